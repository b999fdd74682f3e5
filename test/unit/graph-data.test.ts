import { describe, expect, it } from 'vitest';
import { enumIn, enumIs } from '../../src/graph/enums.js';
import { standingMembers } from '../../src/steps/admin-group.js';
import { analyseGroup } from '../../src/steps/prerequisites-analysis.js';
import { verdictOf } from '../../src/commands/verify-user.js';
import { userPath } from '../../src/graph/user-path.js';
import { pimEligibilityStep } from '../../src/steps/pim-eligibility.js';
import { waitForSchedules } from '../../src/steps/schedule-wait.js';
import { fakeContext, FakeGraph, snapshotOf } from '../support/fake-graph.js';
import { graphRequest, graphWrite, type GraphWrite } from '../../src/graph/writes.js';

const G = 'aaaaaaaa-0000-0000-0000-000000000001';

describe('Graph enums compare case-insensitively', () => {
  it('matches documented and lower-camel casing alike', () => {
    expect(enumIs('Activated', 'activated')).toBe(true);
    expect(enumIs('activated', 'Activated')).toBe(true);
    expect(enumIs('Assigned', 'activated')).toBe(false);
    expect(enumIs(undefined, 'member')).toBe(false);
    expect(enumIn('PROVISIONED', ['Failed', 'Provisioned'])).toBe(true);
  });

  it('an "Activated" instance (documented casing) is just-in-time, not standing', () => {
    const members = [
      { id: 'u-dave', displayName: 'Dave' },
      { id: 'u-carol', displayName: 'Carol' },
    ];
    // Shape of Learn "List assignmentScheduleInstances": capitalised enum values.
    const active = [
      { id: 'i1', principalId: 'u-dave', groupId: G, accessId: 'member' as const, assignmentType: 'Activated', memberType: 'Direct' },
      { id: 'i2', principalId: 'u-carol', groupId: G, accessId: 'member' as const, assignmentType: 'Assigned', memberType: 'Direct' },
    ];
    const r = standingMembers(members, active);
    expect(r.jit.map((m) => m.id)).toEqual(['u-dave']);
    expect(r.standing.map((m) => m.id)).toEqual(['u-carol']);
  });

  it('verify-user calls an "Activated" assignment an activation', () => {
    const v = verdictOf(
      {
        user: { id: 'u', userPrincipalName: 'dave@contoso.example' },
        group: { id: G, displayName: 'tenant-admin' },
        eligible: [],
        active: [{ principalId: 'u', groupId: G, accessId: 'member', assignmentType: 'Activated', endDateTime: null }],
        member: true,
        lastSignIn: {},
      },
      undefined,
    );
    expect(JSON.stringify(v)).not.toMatch(/standing member/);
  });
});

describe('mail-enabled groups', () => {
  it('refuses a mail-enabled security group with the reason', () => {
    const f = analyseGroup({ id: 'g', displayName: 'g', securityEnabled: true, mailEnabled: true, groupTypes: [] });
    expect(f.map((x) => [x.severity, x.code])).toEqual([['error', 'GROUP_MAIL_ENABLED']]);
    expect(f[0].message).toMatch(/mail-enabled security group.*cannot add or remove its members/);
  });
  it('refuses a distribution list', () => {
    const f = analyseGroup({ id: 'g', displayName: 'g', securityEnabled: false, mailEnabled: true, groupTypes: [] });
    expect(f.map((x) => x.code)).toEqual(['GROUP_MAIL_ENABLED']);
    expect(f[0].message).toContain('distribution list');
  });
  it('accepts a Microsoft 365 group (mail-enabled, Unified)', () => {
    expect(analyseGroup({ id: 'g', displayName: 'g', securityEnabled: true, mailEnabled: true, groupTypes: ['Unified'] })).toEqual([]);
  });
});

describe('userPath', () => {
  it('uses the key form for UPNs, keeping $ and @, doubling quotes, encoding #', () => {
    expect(userPath('$svc@contoso.com')).toBe("/users('$svc@contoso.com')");
    expect(userPath("o'neil@contoso.com")).toBe("/users('o''neil@contoso.com')");
    expect(userPath('ann_fabrikam.com#EXT#@contoso.com')).toBe("/users('ann_fabrikam.com%23EXT%23@contoso.com')");
  });
  it('keeps object ids in the plain form', () => {
    expect(userPath('a34645d2-3096-40e9-b0bc-387ab2c3eeeb')).toBe('/users/a34645d2-3096-40e9-b0bc-387ab2c3eeeb');
  });
});

describe('waiting for new eligibility schedules', () => {
  const MIN = 60_000;
  /** A fake clock: sleep moves time, nothing really waits. */
  function fakeClock() {
    let now = 0;
    return { nowMs: () => now, sleep: async (ms: number) => void (now += ms) };
  }
  function lagging(clock: { nowMs(): number }, lags: Record<string, number>) {
    return async (id: string) => clock.nowMs() >= lags[id];
  }

  it('waits out a 4-minute lag, with progress lines', async () => {
    const clock = fakeClock();
    const lines: string[] = [];
    await waitForSchedules({
      pending: new Map([['s1', 'alice@contoso.example']]),
      readable: lagging(clock, { s1: 4 * MIN }),
      ...clock,
      progress: (l) => lines.push(l),
    });
    expect(clock.nowMs()).toBeGreaterThanOrEqual(4 * MIN);
    expect(clock.nowMs()).toBeLessThan(5 * MIN);
    expect(lines[0]).toMatch(
      /waiting for PIM to make 1 new eligibility schedule\(s\) readable \(alice@contoso\.example\): 0 s so far, up to 5 min/,
    );
    expect(lines.length).toBeGreaterThan(1);
  });

  it('stops after 5 minutes on a 6-minute lag, with a message that says how to resume', async () => {
    const clock = fakeClock();
    const p = waitForSchedules({
      pending: new Map([
        ['s1', 'alice@contoso.example'],
        ['s2', 'bob@contoso.example'],
      ]),
      readable: lagging(clock, { s1: MIN, s2: 6 * MIN }),
      ...clock,
      progress: () => {},
    });
    await expect(p).rejects.toThrow(
      /after 5 min still answers 404 for the new schedule\(s\) of bob@contoso\.example; nothing after this step was changed\. Run the same command again later/,
    );
    expect(clock.nowMs()).toBe(5 * MIN);
  });

  it('waits for the longest lag, not the sum', async () => {
    const clock = fakeClock();
    await waitForSchedules({
      pending: new Map([
        ['s1', 'a'],
        ['s2', 'b'],
        ['s3', 'c'],
      ]),
      readable: lagging(clock, { s1: 3 * MIN, s2: 4 * MIN, s3: 2 * MIN }),
      ...clock,
      progress: () => {},
    });
    expect(clock.nowMs()).toBeLessThan(4 * MIN + 16_000);
  });

  it('apply sends every eligibility request before it reads any new schedule, and sleeps only through ctx.sleep', async () => {
    const calls: string[] = [];
    let reads = 0;
    const graph = {
      async write(op: GraphWrite) {
        const req = graphRequest(op) as { method: string; url: string; body?: { principalId?: string } };
        calls.push(`${req.method} ${req.body?.principalId}`);
        return { status: 201, body: { status: 'Provisioned', targetScheduleId: `sched-${req.body?.principalId}` } };
      },
      async find(url: string) {
        calls.push(`GET ${url.split('/').pop()}`);
        return ++reads > 2 ? { id: 'x' } : null;
      },
      error: () => new Error('unexpected'),
    };
    const ctx = fakeContext(new FakeGraph({}));
    (ctx as { graph: unknown }).graph = graph;
    const clock = fakeClock();
    ctx.sleep = clock.sleep;
    const snap = snapshotOf({ eligibleUsers: [{ input: 'a', id: 'u-a', userPrincipalName: 'a@contoso.example', displayName: 'A' }] });
    const action = (id: string) => ({
      kind: 'create' as const,
      target: 'graph' as const,
      summary: id,
      ...graphWrite({
        op: 'pim.requestEligibility',
        groupId: G,
        principalId: id,
        action: 'adminAssign',
        startDateTime: '2026-12-01T10:00:00.000Z',
        endDateTime: '2027-01-01T00:00:00.000Z',
        justification: 'test',
      }),
    });
    await pimEligibilityStep.apply({ findings: [], actions: [action('u-a'), action('u-b')] }, ctx, snap);
    expect(calls.slice(0, 2)).toEqual(['POST u-a', 'POST u-b']);
    expect(calls.slice(2, 4)).toEqual(['GET sched-u-a', 'GET sched-u-b']);
    expect(clock.nowMs()).toBeGreaterThan(0);
  });
});

describe('waiting with a clock that does not move', () => {
  it('still stops after 5 minutes of sleeping', async () => {
    let slept = 0;
    const p = waitForSchedules({
      pending: new Map([['s1', 'a']]),
      readable: async () => false,
      nowMs: () => 0,
      sleep: async (ms) => void (slept += ms),
      progress: () => {},
    });
    await expect(p).rejects.toThrow(/after 5 min still answers 404/);
    expect(slept).toBe(5 * 60_000);
  });
});
