import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';

export interface TestTls {
  key: string;
  cert: string;
  /** File holding the certificate, for NODE_EXTRA_CA_CERTS. */
  caFile: string;
}

/** Folder with the generated loopback certificate (outside git, shared by test workers). */
export const TLS_DIR = process.env.ENTRA_PIM_TEST_TLS_DIR ?? path.join(os.tmpdir(), 'entra-pim-setup-test-tls');

/** Generates (once) a self-signed certificate for 127.0.0.1 and localhost. */
export async function ensureTestTls(): Promise<TestTls> {
  const keyFile = path.join(TLS_DIR, 'key.pem');
  const caFile = path.join(TLS_DIR, 'cert.pem');
  // Projects run their global setups one after another and share this folder: reuse a recent
  // certificate rather than replacing one that running workers already trust.
  const fresh = existsSync(keyFile) && existsSync(caFile) && Date.now() - statSync(caFile).mtimeMs < 7 * 86_400_000;
  if (!fresh) {
    const { generate } = await import('selfsigned');
    const notBefore = new Date(Date.now() - 86_400_000);
    const notAfter = new Date(Date.now() + 30 * 86_400_000);
    const pems = await generate([{ name: 'commonName', value: 'entra-pim-setup test' }], {
      keySize: 2048,
      algorithm: 'sha256',
      notBeforeDate: notBefore,
      notAfterDate: notAfter,
      extensions: [
        { name: 'basicConstraints', cA: true },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 2, value: 'localhost' },
            { type: 7, ip: '127.0.0.1' },
          ],
        },
      ],
    });
    await mkdir(TLS_DIR, { recursive: true });
    await writeFile(keyFile, pems.private, { mode: 0o600 });
    await writeFile(caFile, pems.cert);
  }
  return { key: await readFile(keyFile, 'utf8'), cert: await readFile(caFile, 'utf8'), caFile };
}
