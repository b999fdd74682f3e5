import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KeycloakError, UsageError } from '../../src/errors.js';
import { KeycloakApi } from '../../src/keycloak/keycloak-api.js';
import { MemoryJournal } from '../../src/journal.js';
import { planKeycloak } from '../../src/steps/keycloak.js';
import type { IdpMapper } from '../../src/keycloak/types.js';
import type { KeycloakWrite } from '../../src/keycloak/requests.js';
import type { Logger } from '../../src/ui/log.js';
import { silentLogger } from '../../src/ui/log.js';
import {
  adminSettings,
  connectApi,
  entraOidc,
  goodOidcMapper,
  grantRealmManagement,
  makeContext,
  seedRealm,
  seedServiceAccount,
  seedUser,
} from '../support/keycloak-seed.js';

function capturingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const push = (m: string) => lines.push(m);
  return {
    lines,
    level: 'debug',
    info: push,
    warn: push,
    error: push,
    verbose: push,
    debug: (m, data) => push(data === undefined ? m : `${m} ${JSON.stringify(data)}`),
    http: (method, url, status, ms) => push(`${method} ${url} ${status} ${ms}`),
  };
}

async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

describe('KeycloakApi: sign-in and errors', () => {
  it('names the client and realm when the client secret is wrong, without the secret', async () => {
    const s = await seedRealm();
    await seedServiceAccount(s, 'pim-auditor', 'right-secret-123456', []);
    const secret = 'definitely-wrong-secret-123';
    const settings = adminSettings(s.realm, { authRealm: s.realm, clientId: 'pim-auditor', clientSecret: secret });
    const api = new KeycloakApi({ settings, readOnly: true, journal: new MemoryJournal(), log: silentLogger });
    const err = await api.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(KeycloakError);
    expect((err as Error).message).toBe(
      `Keycloak rejected the credentials for client pim-auditor in realm ${s.realm} (unauthorized_client)`,
    );
    expect((err as Error).message).not.toContain(secret);
    // The right secret works, so the message above was about the secret and nothing else.
    await connectApi({ ...settings, clientSecret: 'right-secret-123456' });
  });

  it('names the user and realm when the password is wrong', async () => {
    const api = new KeycloakApi({
      settings: {
        ...adminSettings('master'),
        clientId: undefined,
        clientSecret: undefined,
        username: 'nobody-here',
        password: 'wrong-password-1',
      },
      readOnly: true,
      journal: new MemoryJournal(),
      log: silentLogger,
    });
    await expect(api.connect()).rejects.toThrow('Keycloak rejected the credentials for user nobody-here in realm master (invalid_grant)');
  });

  it('says when the auth realm does not exist', async () => {
    const api = new KeycloakApi({
      settings: { ...adminSettings('master'), authRealm: 'no-such-auth-realm' },
      readOnly: true,
      journal: new MemoryJournal(),
      log: silentLogger,
    });
    await expect(api.connect()).rejects.toThrow(/no realm no-such-auth-realm to sign in to.*--keycloak-auth-realm/);
  });

  it('gives one line naming the URL and the error code when Keycloak is unreachable', async () => {
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}`;
    const api = new KeycloakApi({
      settings: { ...adminSettings('master'), url },
      readOnly: true,
      journal: new MemoryJournal(),
      log: silentLogger,
    });
    const err = await api.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(KeycloakError);
    expect((err as Error).message).toBe(`cannot reach Keycloak at ${url}: ECONNREFUSED`);
  });

  it('refuses missing credentials before sending anything', () => {
    const settings = { ...adminSettings('master'), clientSecret: undefined };
    expect(() => new KeycloakApi({ settings, readOnly: true, journal: new MemoryJournal(), log: silentLogger })).toThrow(UsageError);
    expect(
      () =>
        new KeycloakApi({
          settings: { ...settings, clientId: undefined },
          readOnly: true,
          journal: new MemoryJournal(),
          log: silentLogger,
        }),
    ).toThrow(/--keycloak-client-id .* --keycloak-username/);
  });

  it('reads the server version when the account may', async () => {
    const { api } = await connectApi(adminSettings('master'), { readOnly: true });
    expect(api.version).toBe(inject('keycloak').version);
  });

  it('never logs the secret or a token, even at debug level', async () => {
    const s = await seedRealm({ idps: [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }], mappers: [goodOidcMapper()] });
    const settings = adminSettings(s.realm);
    const log = capturingLogger();
    const journal = new MemoryJournal();
    const api = new KeycloakApi({ settings, readOnly: false, journal, log });
    await api.connect();
    await planKeycloak(makeContext({ settings, api, journal }));
    expect(log.lines.length).toBeGreaterThan(5);
    const text = log.lines.join('\n');
    expect(text).toContain(`/admin/realms/${s.realm}/identity-provider/instances`);
    expect(text).not.toContain((settings.clientSecret ?? settings.password)!);
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{5,}\./);
  });
});

describe('KeycloakApi: write gate', () => {
  it('sends only mapper creates and updates, and refuses anything else before journaling it', async () => {
    const s = await seedRealm({ idps: [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }] });
    const { api, journal } = await connectApi(adminSettings(s.realm));
    // Writes are typed operations; anything but a whole mapper create or update (a cast below) is refused.
    for (const op of [
      { op: 'keycloak.deleteMapper', realm: s.realm, alias: 'entra', mapperId: 'some-id' },
      { op: 'keycloak.updateMapper', realm: s.realm, alias: 'entra', mapper: goodOidcMapper() },
      { op: 'keycloak.createUser', realm: s.realm, alias: 'entra', mapper: { username: 'x' } },
      { op: 'keycloak.createMapper', realm: s.realm, alias: '', mapper: goodOidcMapper() },
      { op: 'keycloak.createMapper', realm: s.realm, alias: 'entra' },
    ]) {
      await expect(api.write(op as unknown as KeycloakWrite)).rejects.toThrow(/^refused .*write gate only creates/);
    }
    expect(journal.entries).toEqual([]);
    expect(api.stats.writes).toBe(0);

    const created = await api.createMapper(s.realm, 'entra', goodOidcMapper());
    expect(created).toEqual({ status: 201, id: expect.any(String) });
    const stored = await s.kc.identityProviders.findOneMapper({ realm: s.realm, alias: 'entra', id: created.id! });
    expect(stored).toMatchObject({ name: goodOidcMapper().name, config: { syncMode: 'FORCE' } });
    const changed = { ...stored!, id: created.id, config: { ...stored!.config, syncMode: 'IMPORT' } } as IdpMapper;
    expect(await api.updateMapper(s.realm, 'entra', created.id!, changed)).toEqual({ status: 204 });
    expect((await s.kc.identityProviders.findOneMapper({ realm: s.realm, alias: 'entra', id: created.id! }))?.config).toMatchObject({
      syncMode: 'IMPORT',
    });
    expect(journal.entries.map((e) => e.type)).toEqual(['before', 'after', 'before', 'after']);
    expect(journal.entries[1]).toMatchObject({ ok: true, status: 201, response: { id: created.id } });
  });

  it('journals a write Keycloak rejects, with its status', async () => {
    const s = await seedRealm({ idps: [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }] });
    const { api, journal } = await connectApi(adminSettings(s.realm));
    const err = await api.updateMapper(s.realm, 'entra', '00000000-0000-4000-8000-000000000000', goodOidcMapper()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(KeycloakError);
    expect((err as KeycloakError).status).toBe(404);
    expect((err as Error).message).toMatch(/^Keycloak could not PUT \/admin\/realms\/.*: HTTP 404/);
    expect(journal.entries[1]).toMatchObject({ type: 'after', ok: false, status: 404 });
  });
});

describe('KeycloakApi: signing in again', () => {
  it('signs in again when the session behind the token is logged out mid-check', async () => {
    const s = await seedRealm({ idps: [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }], mappers: [goodOidcMapper()] });
    const userId = await seedUser(s, { username: 'auditor', password: 'auditor-password-1' });
    await grantRealmManagement(s, userId, ['view-identity-providers', 'view-realm', 'view-users']);
    const settings = adminSettings(s.realm, {
      authRealm: s.realm,
      clientId: undefined,
      clientSecret: undefined,
      username: 'auditor',
      password: 'auditor-password-1',
    });
    const { api } = await connectApi(settings, { readOnly: true });
    expect(api.stats.signIns).toBe(1);
    expect(await api.getRealm(s.realm)).toMatchObject({ realm: s.realm });

    // Ending the user's sessions revokes the access token the API holds: the next call gets 401.
    await s.kc.users.logout({ realm: s.realm, id: userId });
    const plan = await planKeycloak(makeContext({ settings, api }));
    expect(api.stats.signIns).toBe(2);
    expect(plan.findings.filter((f) => f.severity === 'error')).toEqual([]);
  });

  it('signs in again with client credentials once the token has expired (no refresh token)', async () => {
    const s = await seedRealm();
    await seedServiceAccount(s, 'pim-auditor', 'right-secret-123456', ['view-identity-providers']);
    let now = Date.now();
    const settings = adminSettings(s.realm, { authRealm: s.realm, clientId: 'pim-auditor', clientSecret: 'right-secret-123456' });
    const { api } = await connectApi(settings, { readOnly: true, now: () => now });
    expect(api.stats.signIns).toBe(1);
    await api.listIdentityProviders(s.realm);
    expect(api.stats.signIns).toBe(1);
    now += 2 * 3600_000;
    expect(await api.listIdentityProviders(s.realm)).toEqual([]);
    expect(api.stats.signIns).toBe(2);
  });
});

describe('KeycloakApi: private CA (--keycloak-ca-file)', () => {
  let dir: string;
  let caFile: string;
  let proxy: https.Server;
  let httpsUrl: string;

  beforeAll(async () => {
    // An https front with its own self-signed certificate, unknown to Node and to NODE_EXTRA_CA_CERTS.
    const { generate } = await import('selfsigned');
    const pems = await generate([{ name: 'commonName', value: 'keycloak private ca test' }], {
      keySize: 2048,
      algorithm: 'sha256',
      notBeforeDate: new Date(Date.now() - 86_400_000),
      notAfterDate: new Date(Date.now() + 86_400_000),
      extensions: [
        { name: 'basicConstraints', cA: true },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
      ],
    });
    dir = await mkdtemp(path.join(os.tmpdir(), 'kc-ca-'));
    caFile = path.join(dir, 'ca.pem');
    await writeFile(caFile, pems.cert);
    const upstream = new URL(inject('keycloak').url);
    proxy = https.createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
      const fwd = http.request(
        {
          host: upstream.hostname,
          port: upstream.port,
          path: req.url,
          method: req.method,
          headers: { ...req.headers, host: upstream.host },
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      fwd.on('error', () => res.destroy());
      req.pipe(fwd);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    httpsUrl = `https://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
  });

  afterAll(async () => {
    proxy?.closeAllConnections();
    await new Promise((r) => proxy?.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('fails with a hint to --keycloak-ca-file when the certificate is not trusted', async () => {
    const api = new KeycloakApi({
      settings: { ...adminSettings('master'), url: httpsUrl },
      readOnly: true,
      journal: new MemoryJournal(),
      log: silentLogger,
    });
    await expect(api.connect()).rejects.toThrow(
      new RegExp(`^cannot reach Keycloak at ${httpsUrl}: (DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN) \\(.*--keycloak-ca-file`),
    );
    api.close();
  });

  it('trusts the CA from --keycloak-ca-file', async () => {
    const api = new KeycloakApi({
      settings: { ...adminSettings('master'), url: httpsUrl, caFile },
      readOnly: true,
      journal: new MemoryJournal(),
      log: silentLogger,
    });
    await api.connect();
    expect(api.version).toBe(inject('keycloak').version);
    expect(await api.getRealm('master')).toMatchObject({ realm: 'master' });
    api.close();
  });

  it('keeps the CA to the connection given it: other connections and plain fetch calls still refuse the certificate', async () => {
    const trusted = new KeycloakApi({
      settings: { ...adminSettings('master'), url: httpsUrl, caFile },
      readOnly: true,
      journal: new MemoryJournal(),
      log: silentLogger,
    });
    await trusted.connect();
    // The fetch wrapper is installed now; it must neither widen trust nor get in the way of other URLs.
    const untrusted = new KeycloakApi({
      settings: { ...adminSettings('master'), url: httpsUrl },
      readOnly: true,
      journal: new MemoryJournal(),
      log: silentLogger,
    });
    await expect(untrusted.connect()).rejects.toThrow(/--keycloak-ca-file/);
    const plain = await fetch(`${httpsUrl}/realms/master`).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(plain).toBeInstanceOf(TypeError);
    expect(((plain as Error).cause as NodeJS.ErrnoException).code).toMatch(/SELF_SIGNED/);
    expect((await fetch(`${inject('keycloak').url}/realms/master`)).status).toBe(200);
    // The trusted connection still works after the others failed.
    expect(await trusted.getRealm('master')).toMatchObject({ realm: 'master' });
    trusted.close();
  });

  it('fails clearly when the CA file is unreadable or holds no certificate', async () => {
    const missing = path.join(dir, 'missing.pem');
    expect(
      () =>
        new KeycloakApi({
          settings: { ...adminSettings('master'), caFile: missing },
          readOnly: true,
          journal: new MemoryJournal(),
          log: silentLogger,
        }),
    ).toThrow(new UsageError(`--keycloak-ca-file ${missing}: cannot read it (ENOENT)`));
    const junk = path.join(dir, 'junk.pem');
    await writeFile(junk, 'not a certificate');
    expect(
      () =>
        new KeycloakApi({
          settings: { ...adminSettings('master'), caFile: junk },
          readOnly: true,
          journal: new MemoryJournal(),
          log: silentLogger,
        }),
    ).toThrow(/no PEM certificate/);
  });
});
