import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import { resolveTenantId } from '../../src/graph/tenant.js';
import { silentLogger } from '../../src/ui/log.js';

// A discovery answer that is not what Learn "OpenID Connect on the Microsoft identity platform"
// documents (issuer and token_endpoint both naming the tenant id) must stop the run, never yield a tenant.

const GUID = '8f2d6a3c-1b4e-4c5d-9e7f-0a1b2c3d4e5f';
const OTHER = '11111111-2222-4333-8444-555555555555';
const servers: http.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

async function authority(status: number, body: string, headers: Record<string, string> = {}): Promise<string> {
  const server = http.createServer((_req, res) => {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

const lookup = (authorityHost: string) =>
  resolveTenantId('contoso.onmicrosoft.com', { authorityHost, cloud: 'global', log: silentLogger, timeoutMs: 5_000 });
const doc = (issuer: unknown, token: unknown) => JSON.stringify({ issuer, token_endpoint: token });

describe('tenant discovery fails closed', () => {
  it('takes the tenant id when issuer and token_endpoint agree', async () => {
    const host = await authority(200, doc(`https://login.example/${GUID}/v2.0`, `https://login.example/${GUID}/oauth2/v2.0/token`));
    await expect(lookup(host)).resolves.toBe(GUID);
  });

  it.each([
    ['a body that is not JSON', 200, '<html>sign in</html>'],
    ['no issuer', 200, doc(undefined, `https://login.example/${GUID}/oauth2/v2.0/token`)],
    ['an issuer without a tenant id', 200, doc('https://login.example/{tenantid}/v2.0', `https://login.example/${GUID}/oauth2/v2.0/token`)],
    [
      'an issuer that disagrees with token_endpoint',
      200,
      doc(`https://login.example/${OTHER}/v2.0`, `https://login.example/${GUID}/oauth2/v2.0/token`),
    ],
    ['no token_endpoint', 200, doc(`https://login.example/${GUID}/v2.0`, undefined)],
    ['a redirect', 302, doc(`https://login.example/${GUID}/v2.0`, `https://login.example/${GUID}/oauth2/v2.0/token`)],
  ])('%s', async (_name, status, body) => {
    const host = await authority(status, body, status === 302 ? { Location: 'http://127.0.0.1:1/elsewhere' } : {});
    await expect(lookup(host)).rejects.toThrow(/no tenant id; give the tenant id/);
  });
});
