import { decodeJwt } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { delegatedScopes, missingScopeFix, scopeUris } from '../../src/graph/delegated-scopes.js';
import { PERMISSION_SETS, requiredPermissions } from '../../src/graph/permissions.js';
import { CONTOSO, SimulatedTenant, contosoSeed } from '../../src/sim/index.js';
import { AZURE_CLI_CLIENT_ID, GRAPH_CLI_CLIENT_ID } from '../../src/sim/device-code.js';
import { ensureTestTls } from '../support/tls.js';

describe('delegated scopes per command', () => {
  it('audit asks for the read needs of requiredPermissions (the README\'s "audit and run" row) and nothing that writes', () => {
    const audit = delegatedScopes({ command: 'audit', policyChanges: false });
    expect([...audit].sort()).toEqual([...PERMISSION_SETS.auditAndRun].sort());
    expect(audit.sort()).toEqual(
      requiredPermissions({ mode: 'audit', appOnly: false, roleAssignableGroup: false, policyChanges: false })
        .map((n) => n.permission)
        .sort(),
    );
    expect(audit.filter((s) => /ReadWrite/.test(s))).toEqual([]);
    expect(delegatedScopes({ command: 'audit', policyChanges: true }).sort()).toEqual(audit);
  });

  it('run asks for the reads and the writes, policy write only with policy flags, RoleManagement only for a role-assignable group', () => {
    const run = delegatedScopes({ command: 'run', policyChanges: false });
    expect([...run].sort()).toEqual([...PERMISSION_SETS.auditAndRun, ...PERMISSION_SETS.runInAddition].sort());
    expect(run.sort()).toEqual(
      [
        ...new Set(
          requiredPermissions({ mode: 'run', appOnly: false, roleAssignableGroup: false, policyChanges: false }).map((n) => n.permission),
        ),
      ].sort(),
    );
    expect(run).toContain('PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup');
    expect(run).toContain('Application.Read.All');
    expect(run).toContain('GroupMember.ReadWrite.All');
    expect(run).not.toContain('RoleManagementPolicy.ReadWrite.AzureADGroup');
    expect(run).not.toContain('RoleManagement.ReadWrite.Directory');
    expect(delegatedScopes({ command: 'run', policyChanges: true })).toContain('RoleManagementPolicy.ReadWrite.AzureADGroup');
    expect(delegatedScopes({ command: 'run', policyChanges: false, roleAssignableGroup: true })).toContain(
      'RoleManagement.ReadWrite.Directory',
    );
  });

  it('activate, verify-user and restore ask for their own', () => {
    expect(delegatedScopes({ command: 'activate' })).toEqual([
      'User.Read',
      'PrivilegedEligibilitySchedule.Read.AzureADGroup',
      'PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup',
      'RoleManagementPolicy.Read.AzureADGroup',
    ]);
    expect(delegatedScopes({ command: 'verify-user' })).toEqual([...PERMISSION_SETS.verifyUser]);
    expect(delegatedScopes({ command: 'verify-user', byAppName: true })).toEqual([...PERMISSION_SETS.verifyUser, 'Application.Read.All']);
    expect(delegatedScopes({ command: 'activate' }).slice(0, PERMISSION_SETS.activate.length)).toEqual([...PERMISSION_SETS.activate]);
    // Each member is read live (users, service principals) before it is put back.
    expect(delegatedScopes({ command: 'restore', dryRun: true })).toEqual([
      'GroupMember.Read.All',
      'User.ReadBasic.All',
      'Application.Read.All',
    ]);
    expect(delegatedScopes({ command: 'restore', dryRun: false })).toEqual([
      'GroupMember.ReadWrite.All',
      'User.ReadBasic.All',
      'Application.Read.All',
    ]);
  });

  it('scope URIs name the Graph host, never .default', () => {
    expect(scopeUris('https://graph.microsoft.us/', ['User.Read'])).toEqual(['https://graph.microsoft.us/User.Read']);
  });
});

describe('missingScopeFix', () => {
  const missing = ['PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup'];
  it('azure-cli: cannot be given the scope; use a public client', () => {
    const fix = missingScopeFix('azure-cli', missing);
    expect(fix).toMatch(
      /Azure CLI's Graph token has a fixed set of scopes and cannot be given PrivilegedEligibilitySchedule\.ReadWrite\.AzureADGroup/,
    );
    expect(fix).toMatch(/--auth browser or --auth device-code/);
    expect(fix).toMatch(/an admin consents once/);
  });
  it('the default public client: admin consent for Graph Command Line Tools', () => {
    expect(missingScopeFix('device-code', missing)).toMatch(
      new RegExp(`consents to ${missing[0]} for the "Microsoft Graph Command Line Tools" app \\(${GRAPH_CLI_CLIENT_ID}\\)`),
    );
  });
  it("a tenant's own app: add the delegated permission with admin consent", () => {
    expect(missingScopeFix('browser', missing, '47357d33-e22b-426b-823e-b94172c814e3')).toMatch(
      /give the app 47357d33-e22b-426b-823e-b94172c814e3 the delegated permissions PrivilegedEligibilitySchedule/,
    );
  });
  it('a handed-over token: a token carrying it, or a public client', () => {
    expect(missingScopeFix('access-token', missing)).toMatch(/hand over a delegated token that carries .*or sign in with --auth browser/);
  });
});

describe('sim: device authorization grant and refresh tokens', () => {
  let sim: SimulatedTenant;
  beforeEach(async () => {
    sim = await SimulatedTenant.start({ seed: contosoSeed(), tls: await ensureTestTls() });
  });
  afterEach(async () => {
    await sim.close();
  });
  const post = async (path: string, form: Record<string, string>) => {
    const r = await fetch(`${sim.url}/${CONTOSO.tenantId}/oauth2/v2.0/${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
    });
    return { status: r.status, body: (await r.json()) as Record<string, any> };
  };
  const GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
  const PIM_READ = 'https://graph.microsoft.com/PrivilegedEligibilitySchedule.Read.AzureADGroup';

  it('answers /devicecode as documented, pending until approved, then tokens for the signed-in user', async () => {
    const dc = await post('devicecode', { client_id: GRAPH_CLI_CLIENT_ID, scope: `${PIM_READ} openid profile offline_access` });
    expect(dc.status).toBe(200);
    expect(Object.keys(dc.body).sort()).toEqual(['device_code', 'expires_in', 'interval', 'message', 'user_code', 'verification_uri']);
    expect(dc.body).toMatchObject({ expires_in: 900, interval: 5, verification_uri: 'https://microsoft.com/devicelogin' });
    expect(dc.body.message).toContain(dc.body.user_code);
    const pending = await post('token', { grant_type: GRANT, client_id: GRAPH_CLI_CLIENT_ID, device_code: dc.body.device_code });
    expect(pending).toMatchObject({ status: 400, body: { error: 'authorization_pending', error_codes: [70016] } });
    expect(sim.oidc.deviceCodes.approve(dc.body.user_code, CONTOSO.users.admin, { consent: 'admin' })).toEqual({ ok: true });
    const tok = await post('token', { grant_type: GRANT, client_id: GRAPH_CLI_CLIENT_ID, device_code: dc.body.device_code });
    expect(tok.status).toBe(200);
    const claims = decodeJwt(tok.body.access_token);
    expect(claims).toMatchObject({
      scp: 'PrivilegedEligibilitySchedule.Read.AzureADGroup',
      oid: CONTOSO.users.admin,
      appid: GRAPH_CLI_CLIENT_ID,
      aud: 'https://graph.microsoft.com',
    });
    expect(tok.body.refresh_token).toEqual(expect.any(String));
    expect(decodeJwt(tok.body.id_token)).toMatchObject({ oid: CONTOSO.users.admin, tid: CONTOSO.tenantId, aud: GRAPH_CLI_CLIENT_ID });
    // The admin's consent is an AllPrincipals grant, as the consent prompt records it.
    expect(
      sim.state.oauth2PermissionGrants.some(
        (g) => g.consentType === 'AllPrincipals' && g.scope.includes('PrivilegedEligibilitySchedule.Read.AzureADGroup'),
      ),
    ).toBe(true);
    // A code is redeemed once.
    const again = await post('token', { grant_type: GRANT, client_id: GRAPH_CLI_CLIENT_ID, device_code: dc.body.device_code });
    expect(again.body.error).toBe('bad_verification_code');

    // A scope nobody consented to: consent_required (65001); after consent, the refresh token gets it.
    const more = {
      grant_type: 'refresh_token',
      client_id: GRAPH_CLI_CLIENT_ID,
      refresh_token: tok.body.refresh_token,
      scope: `${PIM_READ} https://graph.microsoft.com/RoleManagement.ReadWrite.Directory offline_access`,
    };
    const refused = await post('token', more);
    expect(refused).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_codes: [65001], suberror: 'consent_required' } });
    sim.oidc.deviceCodes.grantConsent(GRAPH_CLI_CLIENT_ID, ['RoleManagement.ReadWrite.Directory']);
    const wider = await post('token', more);
    expect(wider.status).toBe(200);
    expect(String(decodeJwt(wider.body.access_token).scp).split(' ').sort()).toEqual([
      'PrivilegedEligibilitySchedule.Read.AzureADGroup',
      'RoleManagement.ReadWrite.Directory',
    ]);
  });

  it('expires the code by the sim clock, refuses unknown clients, and declines without consent', async () => {
    const dc = await post('devicecode', { client_id: GRAPH_CLI_CLIENT_ID, scope: PIM_READ });
    sim.advanceClock(901_000);
    const expired = await post('token', { grant_type: GRANT, client_id: GRAPH_CLI_CLIENT_ID, device_code: dc.body.device_code });
    expect(expired.body).toMatchObject({ error: 'expired_token', error_codes: [70019] });
    const unknown = await post('devicecode', { client_id: '00000000-1111-2222-3333-444444444444', scope: PIM_READ });
    expect(unknown.body).toMatchObject({ error: 'unauthorized_client', error_codes: [700016] });
    const dc2 = await post('devicecode', { client_id: GRAPH_CLI_CLIENT_ID, scope: PIM_READ });
    expect(sim.oidc.deviceCodes.approve(dc2.body.user_code, CONTOSO.users.alice)).toMatchObject({ ok: false, aadsts: 65004 });
    const declined = await post('token', { grant_type: GRANT, client_id: GRAPH_CLI_CLIENT_ID, device_code: dc2.body.device_code });
    expect(declined.body.error).toBe('authorization_declined');
  });

  it('the Azure CLI client: .default gives its fixed scopes, an explicit PIM scope is refused (65002)', async () => {
    const dc = await post('devicecode', { client_id: AZURE_CLI_CLIENT_ID, scope: PIM_READ });
    expect(sim.oidc.deviceCodes.approve(dc.body.user_code, CONTOSO.users.admin, { consent: 'admin' })).toMatchObject({
      ok: false,
      aadsts: 65002,
    });
    const dc2 = await post('devicecode', { client_id: AZURE_CLI_CLIENT_ID, scope: 'https://graph.microsoft.com/.default' });
    expect(sim.oidc.deviceCodes.approve(dc2.body.user_code, CONTOSO.users.admin)).toEqual({ ok: true });
    const tok = await post('token', { grant_type: GRANT, client_id: AZURE_CLI_CLIENT_ID, device_code: dc2.body.device_code });
    const scp = String(decodeJwt(tok.body.access_token).scp);
    expect(scp).not.toMatch(/AzureADGroup/);
    expect(scp).toMatch(/Group\.ReadWrite\.All/);
  });
});
