import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import { KeycloakApi } from '../../src/keycloak/keycloak-api.js';
import { MemoryJournal } from '../../src/journal.js';
import { silentLogger } from '../../src/ui/log.js';

// Keycloak answers the tool does not understand must never read as "nobody holds the role": an
// empty body, JSON null, a non-list where a list is documented, or a redirect to another server's
// "[]" are errors. A stand-in server signs the client in and answers every admin call as told.

const servers: http.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

const jwt = (claims: Record<string, unknown>) => `h.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.s`;

async function serve(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<string> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

async function apiAnswering(admin: (res: http.ServerResponse, url: string) => void): Promise<KeycloakApi> {
  const url = await serve((req, res) => {
    if (req.url?.includes('/protocol/openid-connect/token')) {
      const now = Math.floor(Date.now() / 1000);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ access_token: jwt({ iat: now, exp: now + 300 }), expires_in: 300, token_type: 'Bearer' }));
      return;
    }
    admin(res, req.url ?? '');
  });
  return new KeycloakApi({
    settings: { url, realm: 'acme', group: '/tenant-admin', authRealm: 'master', clientId: 'audit', clientSecret: 'kc-test-secret' },
    readOnly: true,
    journal: new MemoryJournal(),
    log: silentLogger,
  });
}

const json = (body: string) => (res: http.ServerResponse) => {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(body);
};

describe('Keycloak answers that are not understood are errors, never an empty result', () => {
  it.each([
    ['an empty body', json(''), /empty body/],
    ['JSON null', json('null'), /empty body/],
    ['an object where a list is documented', json('{"users":[]}'), /not a list/],
  ])('%s', async (_name, answer, reason) => {
    const api = await apiAnswering(answer);
    await expect(api.listRealmRoleUsers('acme', 'admin')).rejects.toThrow(reason);
    await expect(api.listCredentials('acme', 'u1')).rejects.toThrow(reason);
  });

  it('a role-mapping answer that is not an object', async () => {
    const api = await apiAnswering(json('[]'));
    await expect(api.listUserRoleMappings('acme', 'u1')).rejects.toThrow(/not an object/);
  });

  it('a redirect to another server that answers [] is not followed', async () => {
    let reached = false;
    const other = await serve((_req, res) => {
      reached = true;
      json('[]')(res);
    });
    const api = await apiAnswering((res) => {
      res.writeHead(302, { Location: `${other}/admin/realms/acme/roles/admin/users` });
      res.end();
    });
    await expect(api.listRealmRoleUsers('acme', 'admin')).rejects.toThrow();
    expect(reached).toBe(false);
  });

  it('a documented list is read', async () => {
    const api = await apiAnswering(json('[{"id":"u1","username":"alice"}]'));
    expect(await api.listRealmRoleUsers('acme', 'admin')).toEqual([{ id: 'u1', username: 'alice' }]);
  });
});

describe('components and protocol mappers not as Keycloak represents them are errors, never "no mappers"', () => {
  const mgmt = { id: 'c0', clientId: 'realm-management' };
  const mapper = { name: 'm', protocol: 'openid-connect', protocolMapper: 'oidc-hardcoded-role-mapper', config: { role: 'admin' } };
  const owners = (clientMappers: unknown, scopeMappers: unknown = [mapper]) =>
    apiAnswering((res, url) =>
      json(
        JSON.stringify(
          url.includes('/client-scopes')
            ? [{ id: 's1', name: 'roles', protocolMappers: scopeMappers }]
            : [mgmt, { id: 'c1', clientId: 'app', protocolMappers: clientMappers }],
        ),
      )(res),
    );

  it('protocol mappers as documented (left out when none) are read', async () => {
    const api = await owners(undefined);
    const read = await api.listProtocolMapperOwners('acme');
    expect(read.find((o) => o.name === 'app')?.protocolMappers).toEqual([]);
    expect(read.find((o) => o.name === 'roles')?.protocolMappers).toEqual([mapper]);
  });

  it.each([
    ['not a list', { mapper }],
    ['null', null],
    ['a null mapper', [null]],
    ['a mapper without config', [{ ...mapper, config: undefined }]],
    ['a mapper with a null config', [{ ...mapper, config: null }]],
    ['a config value that is not a string', [{ ...mapper, config: { role: ['admin'] } }]],
    ['a mapper without protocolMapper', [{ ...mapper, protocolMapper: undefined }]],
  ])('client protocolMappers %s', async (_name, value) => {
    const api = await owners(value);
    await expect(api.listProtocolMapperOwners('acme')).rejects.toThrow(/not understood, nothing concluded/);
  });

  it('a client scope whose protocolMappers is not a list', async () => {
    const api = await owners([mapper], 'oidc-hardcoded-role-mapper');
    await expect(api.listProtocolMapperOwners('acme')).rejects.toThrow(/not understood, nothing concluded/);
  });

  const ldapMapper = {
    id: 'm1',
    name: 'admins',
    providerId: 'hardcoded-ldap-group-mapper',
    parentId: 'p1',
    config: { group: ['/tenant-admin'] },
  };
  it('components as documented are read', async () => {
    const api = await apiAnswering(json(JSON.stringify([ldapMapper])));
    expect(await api.listComponents('acme', 'org.keycloak.storage.ldap.mappers.LDAPStorageMapper', 'p1')).toEqual([ldapMapper]);
  });

  it.each([
    ['null', null],
    ['without config', { ...ldapMapper, config: undefined }],
    ['with a null config', { ...ldapMapper, config: null }],
    ['with a config value that is not a list', { ...ldapMapper, config: { group: '/tenant-admin' } }],
    ['without providerId', { ...ldapMapper, providerId: undefined }],
    ['without id', { ...ldapMapper, id: undefined }],
  ])('a component %s', async (_name, value) => {
    const api = await apiAnswering(json(JSON.stringify([value])));
    await expect(api.listComponents('acme', 'org.keycloak.storage.ldap.mappers.LDAPStorageMapper', 'p1')).rejects.toThrow(
      /not understood, nothing concluded/,
    );
  });
});
