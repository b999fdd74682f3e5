import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTOSO, SimulatedTenant, contosoSeed, withManyMembers } from '../../src/sim/index.js';
import { ensureTestTls } from '../support/tls.js';

let sim: SimulatedTenant;
let appToken: string;

async function call(method: string, path: string, opts: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  const token = opts.token === undefined ? appToken : opts.token;
  if (token) headers.Authorization = `Bearer ${token}`;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path.startsWith('https:') ? path : `${sim.url}${path}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
}

beforeAll(async () => {
  const tls = await ensureTestTls();
  sim = await SimulatedTenant.start({ seed: withManyMembers(contosoSeed(), CONTOSO.groups.duplicateAdmins2, 2500), tls });
  appToken = await sim.issueToken({ roles: [...CONTOSO.automation.roles, 'User.ReadWrite.All'], appid: CONTOSO.automation.clientId });
});

afterAll(async () => {
  await sim.close();
});

describe('groups and members', () => {
  it('pages 2,500 members with absolute nextLinks and opaque skiptokens', async () => {
    let url = `/v1.0/groups/${CONTOSO.groups.duplicateAdmins2}/members?$select=id,userPrincipalName&$top=999`;
    const seen = new Set<string>();
    const pageSizes: number[] = [];
    for (;;) {
      const res = await call('GET', url);
      expect(res.status).toBe(200);
      pageSizes.push(res.body!.value.length);
      for (const m of res.body!.value) {
        expect(m['@odata.type']).toBe('#microsoft.graph.user');
        expect(Object.keys(m).sort()).toEqual(['@odata.type', 'id', 'userPrincipalName']);
        seen.add(m.id);
      }
      const next = res.body!['@odata.nextLink'] as string | undefined;
      if (!next) break;
      expect(next.startsWith(`${sim.url}/v1.0/groups/`)).toBe(true);
      const token = new URL(next).searchParams.get('$skiptoken');
      expect(token).toBeTruthy();
      expect(Number.isNaN(Number(token))).toBe(true);
      url = next;
    }
    expect(pageSizes).toEqual([999, 999, 502]);
    expect(seen.size).toBe(2500);
  });

  it('uses the server page size without $top and rejects $top above 999', async () => {
    const first = await call('GET', `/v1.0/groups/${CONTOSO.groups.duplicateAdmins2}/members`);
    expect(first.body!.value).toHaveLength(100);
    // Without $select users carry only Graph's default property set.
    expect(first.body!.value[0]).not.toHaveProperty('accountEnabled');
    expect(first.body!.value[0]).toHaveProperty('userPrincipalName');
    const tooBig = await call('GET', `/v1.0/groups/${CONTOSO.groups.duplicateAdmins2}/members?$top=1000`);
    expect(tooBig.status).toBe(400);
  });

  it('ignores $count=true without ConsistencyLevel and counts only on the first page (Learn "Advanced query capabilities", "Paging")', async () => {
    const url = `/v1.0/groups/${CONTOSO.groups.duplicateAdmins2}/members?$select=id&$count=true`;
    const plain = await call('GET', url);
    expect(plain.status).toBe(200);
    expect(plain.body).not.toHaveProperty('@odata.count');
    expect(plain.body!.value).toHaveLength(100);
    const advanced = await call('GET', url, { headers: { ConsistencyLevel: 'eventual' } });
    expect(advanced.body!['@odata.count']).toBe(2500);
    const second = await call('GET', advanced.body!['@odata.nextLink'] as string, { headers: { ConsistencyLevel: 'eventual' } });
    expect(second.status).toBe(200);
    expect(second.body).not.toHaveProperty('@odata.count');
    expect(second.body!.value).toHaveLength(100);
  });

  it('answers an advanced-only operator without the advanced parameters with the documented error', async () => {
    const filter = encodeURIComponent(`endsWith(userPrincipalName,'@contoso.com')`);
    const res = await call('GET', `/v1.0/users?$filter=${filter}&$select=id`);
    expect(res.status).toBe(400);
    expect(res.body!.error.code).toBe('Request_UnsupportedQuery');
    expect(res.body!.error.message).toMatch(/^Operator 'endsWith' is not supported because the required parameters might be missing\./);
  });

  it('rejects unknown $select properties', async () => {
    const res = await call('GET', `/v1.0/groups/${CONTOSO.groups.tenantAdmin}?$select=id,displayNam`);
    expect(res.status).toBe(400);
    expect(res.body!.error.code).toBe('Request_BadRequest');
  });

  it('finds groups by displayName, escaping quotes, and reports duplicates', async () => {
    const dup = await call('GET', `/v1.0/groups?$filter=${encodeURIComponent("displayName eq 'duplicate-admins'")}&$select=id,displayName`);
    expect(dup.body!.value.map((g: { id: string }) => g.id).sort()).toEqual(
      [CONTOSO.groups.duplicateAdmins1, CONTOSO.groups.duplicateAdmins2].sort(),
    );
    const none = await call('GET', `/v1.0/groups?$filter=${encodeURIComponent("displayName eq 'o''brien admins'")}`);
    expect(none.status).toBe(200);
    expect(none.body!.value).toEqual([]);
    const g = await call('GET', `/v1.0/groups/${CONTOSO.groups.dynAdmins}?$select=groupTypes,membershipRule,isAssignableToRole`);
    expect(g.body).toMatchObject({ groupTypes: ['DynamicMembership'], isAssignableToRole: false });
  });

  it('removes a member with /$ref and 404s when it is not a member', async () => {
    const path = `/v1.0/groups/${CONTOSO.groups.tenantAdmin}/members/${CONTOSO.users.carol}/$ref`;
    expect((await call('DELETE', path)).status).toBe(204);
    expect(sim.state.isMember(CONTOSO.groups.tenantAdmin, CONTOSO.users.carol)).toBe(false);
    expect(sim.state.users.has(CONTOSO.users.carol)).toBe(true);
    const again = await call('DELETE', path);
    expect(again.status).toBe(404);
    expect(again.body!.error.code).toBe('Request_ResourceNotFound');
    expect(again.body!.error.innerError['request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(again.headers.get('request-id')).toBeTruthy();
  });

  it('deletes the user object when /$ref is omitted', async () => {
    const res = await call('DELETE', `/v1.0/groups/${CONTOSO.groups.tenantAdmin}/members/${CONTOSO.users.dave}`);
    expect(res.status).toBe(204);
    expect(sim.state.users.has(CONTOSO.users.dave)).toBe(false);
    expect(sim.state.deletedObjects.map((d) => d.id)).toContain(CONTOSO.users.dave);
    expect(sim.writes().some((w) => w.method === 'DELETE' && !w.path.endsWith('/$ref'))).toBe(true);
  });

  it('adds members with POST /$ref and rejects duplicates and dynamic groups', async () => {
    const body = { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${CONTOSO.users.alice}` };
    expect((await call('POST', `/v1.0/groups/${CONTOSO.groups.tenantAdmin}/members/$ref`, { body })).status).toBe(204);
    const dup = await call('POST', `/v1.0/groups/${CONTOSO.groups.tenantAdmin}/members/$ref`, { body });
    expect(dup.status).toBe(400);
    expect(dup.body!.error.message).toBe(
      "One or more added object references already exist for the following modified properties: 'members'.",
    );
    const dyn = await call('DELETE', `/v1.0/groups/${CONTOSO.groups.dynAdmins}/members/${CONTOSO.users.erin}/$ref`);
    expect(dyn.status).toBe(400);
  });

  it('needs RoleManagement.ReadWrite.Directory to change a role-assignable group', async () => {
    const weak = await sim.issueToken({ roles: ['GroupMember.ReadWrite.All'] });
    const path = `/v1.0/groups/${CONTOSO.groups.roleAssignableAdmins}/members/${CONTOSO.users.dave}/$ref`;
    const res = await call('DELETE', path, { token: weak });
    expect(res.status).toBe(403);
    expect(res.body!.error).toMatchObject({
      code: 'Authorization_RequestDenied',
      message: 'Insufficient privileges to complete the operation.',
    });
  });
});

describe('authentication and permissions', () => {
  it('answers 403 without a suitable permission', async () => {
    const token = await sim.issueToken({ roles: ['User.Read.All'] });
    const res = await call('GET', `/v1.0/groups/${CONTOSO.groups.tenantAdmin}/members`, { token });
    expect(res.status).toBe(403);
    expect(res.body!.error.code).toBe('Authorization_RequestDenied');
  });

  it('rejects expired, missing and foreign-tenant tokens with 401', async () => {
    const expired = await sim.issueToken({ roles: ['Group.Read.All'], expiresInSec: -60 });
    const a = await call('GET', '/v1.0/groups', { token: expired });
    expect(a.status).toBe(401);
    expect(a.body!.error).toMatchObject({
      code: 'InvalidAuthenticationToken',
      message: 'Lifetime validation failed, the token is expired.',
    });
    const b = await call('GET', '/v1.0/groups', { token: null });
    expect(b.status).toBe(401);
    const foreign = await sim.issueToken({ roles: ['Group.Read.All'], tid: '11111111-2222-4333-8444-555555555555' });
    expect((await call('GET', '/v1.0/groups', { token: foreign })).status).toBe(401);
  });

  it('expires tokens when the sim clock moves', async () => {
    const token = await sim.issueToken({ roles: ['Group.Read.All'], expiresInSec: 600 });
    expect((await call('GET', `/v1.0/groups/${CONTOSO.groups.userPf}`, { token })).status).toBe(200);
    sim.advanceClock(601_000);
    try {
      expect((await call('GET', `/v1.0/groups/${CONTOSO.groups.userPf}`, { token })).status).toBe(401);
    } finally {
      sim.advanceClock(-601_000);
    }
  });

  it('serves /me only to delegated tokens and lists directory roles', async () => {
    const app = await call('GET', '/v1.0/me');
    expect(app.status).toBe(400);
    expect(app.body!.error.message).toBe('/me request is only valid with delegated authentication flow.');
    const bare = '/v1.0/me/transitiveMemberOf/microsoft.graph.directoryRole?$select=id,displayName,roleTemplateId';
    const token = await sim.issueToken({ scp: 'User.Read RoleManagement.Read.Directory', oid: CONTOSO.users.admin });
    // Learn "List a user's memberships": an OData cast needs ConsistencyLevel: eventual and $count.
    const refused = await call('GET', bare, { token });
    expect(refused.status).toBe(400);
    expect(refused.body!.error.code).toBe('Request_UnsupportedQuery');
    const url = `${bare}&$count=true`;
    const advanced = { ConsistencyLevel: 'eventual' };
    const roles = await call('GET', url, { token, headers: advanced });
    expect(roles.status).toBe(200);
    expect(roles.body!.value).toEqual([
      expect.objectContaining({ displayName: 'Global Administrator', roleTemplateId: '62e90394-69f5-4237-9190-012177145e10' }),
    ]);
    // Learn "List a user's memberships", limited-information note: with User.Read alone the role is
    // listed with @odata.type and id only; its other properties are null.
    const limited = await call('GET', url, {
      token: await sim.issueToken({ scp: 'User.Read', oid: CONTOSO.users.admin }),
      headers: advanced,
    });
    expect(limited.status).toBe(200);
    expect(limited.body!.value).toEqual([
      {
        '@odata.type': '#microsoft.graph.directoryRole',
        id: CONTOSO.directoryRoles.globalAdministrator,
        displayName: null,
        roleTemplateId: null,
      },
    ]);
  });

  it('looks users up by UPN, including guests', async () => {
    const res = await call('GET', `/v1.0/users/${encodeURIComponent(CONTOSO.upns.guest)}?$select=id,userType,accountEnabled`);
    expect(res.body).toMatchObject({ id: CONTOSO.users.guest, userType: 'Guest', accountEnabled: true });
    const byFilter = await call(
      'GET',
      `/v1.0/users?$filter=${encodeURIComponent(`startswith(displayName,'Grace')`)}&$select=id,accountEnabled`,
    );
    expect(byFilter.body!.value).toEqual([{ id: CONTOSO.users.disabled, accountEnabled: false }]);
  });

  it('refuses $filter on subscribedSkus and exposes the P2 service plan', async () => {
    expect((await call('GET', `/v1.0/subscribedSkus?$filter=${encodeURIComponent("skuPartNumber eq 'EMSPREMIUM'")}`)).status).toBe(400);
    const res = await call('GET', '/v1.0/subscribedSkus');
    const plans = res.body!.value.flatMap((s: { servicePlans: { servicePlanId: string; provisioningStatus: string }[] }) => s.servicePlans);
    expect(plans).toContainEqual(
      expect.objectContaining({ servicePlanId: 'eec0eb4f-6444-4f95-aba0-50c24d67f998', provisioningStatus: 'Success' }),
    );
  });
});
