import https from 'node:https';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CONTOSO, SimulatedTenant, contosoSeed, withManyMembers } from '../../src/sim/index.js';
import { ensureTestTls } from '../support/tls.js';

let sim: SimulatedTenant;
let token: string;
const big = CONTOSO.groups.duplicateAdmins2;

async function call(method: string, path: string, body?: unknown, init: RequestInit = {}) {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    ...init,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
}

function memberIds(): string[] {
  return [...sim.state.groups.get(big)!.members];
}

beforeAll(async () => {
  sim = await SimulatedTenant.start({ seed: withManyMembers(contosoSeed(), big, 60), tls: await ensureTestTls() });
  token = await sim.issueToken({ roles: CONTOSO.automation.roles, appid: CONTOSO.automation.clientId });
});

afterEach(() => sim.setFaults([]));

afterAll(async () => {
  await sim.close();
});

describe('$batch', () => {
  it('rejects more than 20 requests as a whole', async () => {
    const requests = memberIds()
      .slice(0, 25)
      .map((m, i) => ({ id: String(i + 1), method: 'DELETE', url: `/groups/${big}/members/${m}/$ref` }));
    const before = sim.writes().length;
    const res = await call('POST', '/v1.0/$batch', { requests });
    expect(res.status).toBe(400);
    expect(sim.writes().length).toBe(before);
    expect(memberIds()).toHaveLength(60);
  });

  it('answers 20 items individually, with a throttled item carrying Retry-After', async () => {
    const targets = memberIds().slice(0, 20);
    sim.setFaults([
      { method: 'DELETE', path: `/groups/${big}/members/${targets[4]}/$ref`, respond: { status: 429, headers: { 'Retry-After': '3' } } },
    ]);
    const requests = targets.map((m, i) => ({ id: String(i + 1), method: 'DELETE', url: `/groups/${big}/members/${m}/$ref` }));
    requests[19].url = `/groups/${big}/members/${CONTOSO.users.admin}/$ref`;
    const writesBefore = sim.writes().length;
    const res = await call('POST', '/v1.0/$batch', { requests });
    expect(res.status).toBe(200);
    const byId = new Map(res.body!.responses.map((r: { id: string }) => [r.id, r]));
    expect(byId.size).toBe(20);
    expect(byId.get('1')).toMatchObject({ status: 204 });
    expect(byId.get('5')).toMatchObject({ status: 429, headers: { 'Retry-After': '3' } });
    expect((byId.get('5') as any).body.error.code).toBe('TooManyRequests');
    expect(byId.get('20')).toMatchObject({ status: 404 });
    expect(memberIds()).toContain(targets[4]);
    expect(memberIds()).not.toContain(targets[0]);
    // Items count as writes, the envelope does not.
    const newWrites = sim.writes().slice(writesBefore);
    expect(newWrites).toHaveLength(20);
    expect(newWrites.every((w) => w.batchItem && w.path.startsWith(`/v1.0/groups/${big}/members/`))).toBe(true);
    expect(newWrites.map((w) => w.status).filter((s) => s === 429)).toEqual([429]);
  });

  it('fails dependents with 424 and items with a body but no Content-Type with 400', async () => {
    const [m1] = memberIds();
    const res = await call('POST', '/v1.0/$batch', {
      requests: [
        { id: 'a', method: 'DELETE', url: `/groups/${big}/members/${CONTOSO.users.admin}/$ref` },
        { id: 'b', method: 'DELETE', url: `/groups/${big}/members/${m1}/$ref`, dependsOn: ['a'] },
        {
          id: 'c',
          method: 'POST',
          url: `/groups/${big}/members/$ref`,
          body: { '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${CONTOSO.users.admin}` },
        },
      ],
    });
    const statuses = Object.fromEntries(res.body!.responses.map((r: { id: string; status: number }) => [r.id, r.status]));
    expect(statuses).toEqual({ a: 404, b: 424, c: 400 });
    expect(memberIds()).toContain(m1);
  });

  it('treats request ids as case-insensitive: "A" and "a" are duplicates, dependsOn "A" names "a" (Learn "JSON batching")', async () => {
    const [m1, m2] = memberIds();
    const before = sim.writes().length;
    const dup = await call('POST', '/v1.0/$batch', {
      requests: [
        { id: 'A', method: 'DELETE', url: `/groups/${big}/members/${m1}/$ref` },
        { id: 'a', method: 'DELETE', url: `/groups/${big}/members/${m2}/$ref` },
      ],
    });
    expect(dup.status).toBe(400);
    expect(sim.writes().length).toBe(before);
    const dep = await call('POST', '/v1.0/$batch', {
      requests: [
        { id: 'first', method: 'DELETE', url: `/groups/${big}/members/${CONTOSO.users.admin}/$ref` },
        { id: 'second', method: 'DELETE', url: `/groups/${big}/members/${m1}/$ref`, dependsOn: ['FIRST'] },
      ],
    });
    expect(dep.status).toBe(200);
    const statuses = Object.fromEntries(dep.body!.responses.map((r: { id: string; status: number }) => [r.id, r.status]));
    expect(statuses).toEqual({ first: 404, second: 424 });
    expect(memberIds()).toContain(m1);
  });

  it('routes GETs inside a batch through permission checks', async () => {
    const weak = await sim.issueToken({ roles: ['User.Read.All'] });
    const res = await fetch(`${sim.url}/v1.0/$batch`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${weak}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        requests: [
          { id: '1', method: 'GET', url: `/groups/${big}` },
          { id: '2', method: 'GET', url: `/users/${CONTOSO.users.alice}` },
        ],
      }),
    });
    const body = (await res.json()) as { responses: { id: string; status: number }[] };
    expect(body.responses.map((r) => r.status)).toEqual([403, 200]);
  });
});

describe('faults', () => {
  it('throttles with 429 and Retry-After, then lets requests through', async () => {
    sim.setFaults([{ path: `/groups/${CONTOSO.groups.userPf}`, times: 2, respond: { status: 429, headers: { 'Retry-After': '1' } } }]);
    const a = await call('GET', `/v1.0/groups/${CONTOSO.groups.userPf}`);
    const b = await call('GET', `/v1.0/groups/${CONTOSO.groups.userPf}?$select=id`);
    const c = await call('GET', `/v1.0/groups/${CONTOSO.groups.userPf}`);
    expect([a.status, b.status, c.status]).toEqual([429, 429, 200]);
    expect(a.headers.get('retry-after')).toBe('1');
    expect(a.body!.error.code).toBe('TooManyRequests');
  });

  it('honours skip and RegExp paths', async () => {
    sim.setFaults([{ method: 'GET', path: /^\/users\//, skip: 1, respond: { status: 503 } }]);
    const first = await call('GET', `/v1.0/users/${CONTOSO.users.alice}`);
    const second = await call('GET', `/v1.0/users/${CONTOSO.users.bob}`);
    expect([first.status, second.status]).toEqual([200, 503]);
  });

  it('drops the connection', async () => {
    sim.setFaults([{ path: `/groups/${CONTOSO.groups.userPf}`, respond: { drop: true } }]);
    await expect(call('GET', `/v1.0/groups/${CONTOSO.groups.userPf}`)).rejects.toThrow();
    expect((await call('GET', `/v1.0/groups/${CONTOSO.groups.userPf}`)).status).toBe(200);
  });

  it('hangs until the client gives up', async () => {
    sim.setFaults([{ path: `/groups/${CONTOSO.groups.userPf}`, respond: { hang: true } }]);
    const err = await call('GET', `/v1.0/groups/${CONTOSO.groups.userPf}`, undefined, { signal: AbortSignal.timeout(300) }).catch(
      (e: unknown) => e,
    );
    expect((err as Error).name).toBe('TimeoutError');
    const last = sim.requests.filter((r) => r.path === `/v1.0/groups/${CONTOSO.groups.userPf}`).at(-1);
    expect(last?.status).toBe(0);
  });

  it('close() does not wait for hanging requests', async () => {
    const other = await SimulatedTenant.start({ seed: contosoSeed(), tls: await ensureTestTls(), faults: [{ respond: { hang: true } }] });
    const otherToken = await other.issueToken({ roles: ['Group.Read.All'] });
    const pending = new Promise<string>((resolve) => {
      const req = https.get(`${other.url}/v1.0/groups`, { headers: { Authorization: `Bearer ${otherToken}` } }, () => resolve('answered'));
      req.on('error', () => resolve('cut'));
    });
    await other.waitForRequest((r) => r.path === '/v1.0/groups');
    await other.close();
    expect(await pending).toBe('cut');
  });
});
