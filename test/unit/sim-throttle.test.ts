import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTOSO, SimulatedTenant, contosoSeed, requestCost, tierFor, withManyMembers } from '../../src/sim/index.js';
import { GraphThrottle } from '../../src/sim/throttle.js';
import { ensureTestTls } from '../support/tls.js';

// Learn "Microsoft Graph service-specific throttling limits", Identity and access service limits.
const q = (s = '') => new URLSearchParams(s);

describe('request costs (documented table)', () => {
  it('prices the listed paths, the modifiers and the floor of 1', () => {
    expect(requestCost('GET', '/groups/g1/members', q())).toEqual({ ru: 3, write: 0 });
    expect(requestCost('GET', '/groups/g1/members', q('$select=id&$top=999'))).toEqual({ ru: 2, write: 0 });
    expect(requestCost('GET', '/subscribedSkus', q())).toEqual({ ru: 3, write: 0 });
    expect(requestCost('GET', '/oauth2PermissionGrants', q())).toEqual({ ru: 2, write: 0 });
    expect(requestCost('GET', '/servicePrincipals/s1/appRoleAssignments', q())).toEqual({ ru: 2, write: 0 });
    expect(requestCost('GET', '/applications', q('$expand=owners'))).toEqual({ ru: 3, write: 0 });
    expect(requestCost('GET', '/me/transitiveMemberOf', q())).toEqual({ ru: 2, write: 0 });
    expect(requestCost('GET', '/users/u1/transitiveMemberOf', q())).toEqual({ ru: 2, write: 0 });
    expect(requestCost('GET', '/users', q())).toEqual({ ru: 2, write: 0 });
    expect(requestCost('GET', '/users/u1', q('$select=id'))).toEqual({ ru: 1, write: 0 });
    expect(requestCost('GET', '/groups', q('$top=5'))).toEqual({ ru: 1, write: 0 });
    expect(requestCost('DELETE', '/groups/g1/members/m1/$ref', q())).toEqual({ ru: 1, write: 1 });
    expect(requestCost('POST', '/groups/g1/members/$ref', q())).toEqual({ ru: 1, write: 1 });
    expect(requestCost('POST', '/me/getMemberGroups', q())).toEqual({ ru: 2, write: 0 });
    // PIM for Groups is not among the resources the identity limits list.
    expect(requestCost('POST', '/identityGovernance/privilegedAccess/group/eligibilityScheduleRequests', q())).toBeUndefined();
  });

  it('sizes the tenant as Learn defines S, M and L', () => {
    expect([tierFor(49), tierFor(50), tierFor(500), tierFor(501)]).toEqual(['S', 'M', 'M', 'L']);
  });
});

describe('GraphThrottle', () => {
  it('allows the RU quota per 10 s, then answers 429 with the documented headers', () => {
    let t = 0;
    const th = new GraphThrottle({ tier: 'S', now: () => t }, 'tenant', () => 10);
    for (let i = 0; i < 3_500; i++) expect(th.check('app', 'GET', '/groups/g', q())?.throttled).toBe(false);
    const over = th.check('app', 'GET', '/groups/g', q())!;
    expect(over.throttled).toBe(true);
    expect(over.headers).toMatchObject({
      'x-ms-resource-unit': '1',
      'x-ms-throttle-information': 'ResourceUnitLimitExceeded',
      'x-ms-throttle-scope': 'Tenant_Application/ReadWrite/app/tenant',
    });
    expect(Number(over.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
    expect(Number(over.headers['x-ms-throttle-limit-percentage'])).toBeGreaterThanOrEqual(1);
    // Another app has its own pair budget.
    expect(th.check('other', 'GET', '/groups/g', q())?.throttled).toBe(false);
    t += 10_000;
    expect(th.check('app', 'GET', '/groups/g', q())?.throttled).toBe(false);
  });

  it('uses the tier of the tenant size', () => {
    const th = new GraphThrottle({ now: () => 0 }, 'tenant', () => 600);
    let allowed = 0;
    while (th.check('app', 'GET', '/groups/g', q())?.throttled === false) allowed++;
    expect(allowed).toBe(8_000);
  });

  it('allows 3,000 writes per 2.5 minutes, reports usage above 0.8, then answers WriteLimitExceeded', () => {
    let t = 0;
    const th = new GraphThrottle({ tier: 'L', now: () => t }, 'tenant', () => 0);
    const del = () => th.check('app', 'DELETE', '/groups/g/members/m/$ref', q())!;
    for (let i = 0; i < 2_400; i++) expect(del().headers['x-ms-throttle-limit-percentage']).toBeUndefined();
    for (let i = 0; i < 600; i++) {
      const d = del();
      expect(d.throttled).toBe(false);
    }
    const over = del();
    expect(over.throttled).toBe(true);
    expect(over.headers).toMatchObject({ 'x-ms-throttle-information': 'WriteLimitExceeded' });
    expect(over.headers['x-ms-throttle-scope']).toMatch(/^Tenant_Application\/Write\//);
    // Reads are not writes: a GET still passes.
    expect(th.check('app', 'GET', '/groups/g', q())?.throttled).toBe(false);
    t += 150_000;
    expect(del().throttled).toBe(false);
  });

  it('runs its time faster by the time-scale factor, Retry-After scaled alike', () => {
    let t = 0;
    const th = new GraphThrottle({ tier: 'L', timeScale: 100, now: () => t }, 'tenant', () => 0);
    for (let i = 0; i < 3_000; i++) th.check('app', 'DELETE', '/groups/g/members/m/$ref', q());
    const over = th.check('app', 'DELETE', '/groups/g/members/m/$ref', q())!;
    expect(over.throttled).toBe(true);
    // Two writes' worth at 20 writes per simulated second is 0.1 s, 1 ms real at scale 100.
    expect(Number(over.headers['Retry-After'])).toBeLessThan(0.01);
    t += 1_500; // 150 simulated seconds
    expect(th.check('app', 'DELETE', '/groups/g/members/m/$ref', q())?.throttled).toBe(false);
  });
});

describe('the simulated tenant with throttling on', () => {
  let sim: SimulatedTenant;
  let plain: SimulatedTenant;
  let token: string;
  const big = CONTOSO.groups.duplicateAdmins2;

  beforeAll(async () => {
    const tls = await ensureTestTls();
    sim = await SimulatedTenant.start({ seed: withManyMembers(contosoSeed(), big, 40), tls, throttling: { tier: 'S' } });
    plain = await SimulatedTenant.start({ seed: contosoSeed(), tls });
    token = await sim.issueToken({ roles: CONTOSO.automation.roles, appid: CONTOSO.automation.clientId });
  });
  afterAll(async () => {
    await Promise.all([sim.close(), plain.close()]);
  });

  it('answers x-ms-resource-unit on a request and on each $batch item', async () => {
    const res = await fetch(`${sim.url}/v1.0/groups/${big}/members?$select=id`, { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ms-resource-unit')).toBe('2');
    const members = [...sim.state.groups.get(big)!.members].slice(0, 20);
    const batch = await fetch(`${sim.url}/v1.0/$batch`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        requests: members.map((m, i) => ({ id: String(i), method: 'DELETE', url: `/groups/${big}/members/${m}/$ref` })),
      }),
    });
    const body = (await batch.json()) as { responses: Array<{ status: number; headers: Record<string, string> }> };
    expect(body.responses.map((r) => [r.status, r.headers['x-ms-resource-unit']])).toEqual(members.map(() => [204, '1']));
  });

  it('is off by default: no throttling headers', async () => {
    const t = await plain.issueToken({ roles: CONTOSO.automation.roles, appid: CONTOSO.automation.clientId });
    const res = await fetch(`${plain.url}/v1.0/groups/${big}`, { headers: { Authorization: `Bearer ${t}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ms-resource-unit')).toBeNull();
  });
});
