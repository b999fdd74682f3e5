import { rm } from 'node:fs/promises';
import { ensureTestTls, TLS_DIR } from './tls.js';

/** Runs once before the workers start: a fresh loopback certificate that every child process trusts. */
export default async function setup(): Promise<void> {
  await rm(TLS_DIR, { recursive: true, force: true });
  const tls = await ensureTestTls();
  process.env.NODE_EXTRA_CA_CERTS = tls.caFile;
}
