import { describe, expect, it } from 'vitest';
import https from 'node:https';
import { ensureTestTls } from '../support/tls.js';

describe('test TLS', () => {
  it('serves https on loopback that fetch trusts through NODE_EXTRA_CA_CERTS', async () => {
    const tls = await ensureTestTls();
    const server = https.createServer({ key: tls.key, cert: tls.cert }, (_req, res) => res.end('hello'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    try {
      const res = await fetch(`https://127.0.0.1:${port}/`);
      expect(await res.text()).toBe('hello');
    } finally {
      server.close();
    }
  });
});
