import { describe, expect, it } from 'vitest';
import { resolveRunOptions } from '../../src/options.js';
import { adminGroupStep, planAdminGroup } from '../../src/steps/admin-group.js';
import { diffEligibility, renewals } from '../../src/steps/eligibility-window.js';
import { eligibilityOutcome, planEligibility } from '../../src/steps/pim-eligibility.js';
import { readAfterPrerequisites } from '../../src/steps/read-tenant.js';
import { requestOutcome } from '../../src/steps/schedule-wait.js';
import type { PolicyRule } from '../../src/entra/pim.js';
import {
  expiryWarning,
  scheduleEnd,
  usableEligibilities,
  usableWindow,
  type PimSchedule,
  type PrincipalAccount,
} from '../../src/steps/usable-eligibility.js';
import type { StepPlan } from '../../src/plan/types.js';
import { graphWrite } from '../../src/graph/writes.js';
import { FakeGraph, fakeContext, snapshotOf } from '../support/fake-graph.js';

const G = 'aaaaaaaa-0000-0000-0000-000000000001';
const ALICE = '11111111-0000-0000-0000-00000000000a';
const BOB = '11111111-0000-0000-0000-00000000000b';
const NOW = new Date('2026-12-01T10:00:00Z');
const DAY = 86_400_000;
const PIM = '/identityGovernance/privilegedAccess/group';
const iso = (offsetDays: number) => new Date(NOW.getTime() + offsetDays * DAY).toISOString();

function sched(principalId: string, over: Partial<PimSchedule> = {}, start = iso(-1), end: string | null = iso(100)): PimSchedule {
  return {
    id: `s-${principalId}`,
    principalId,
    groupId: G,
    accessId: 'member',
    status: 'Provisioned',
    scheduleInfo: {
      startDateTime: start,
      expiration: end === null ? { type: 'noExpiration' } : { type: 'afterDateTime', endDateTime: end },
    },
    ...over,
  };
}
const account = (id: string, accountEnabled: boolean | null | undefined): [string, PrincipalAccount] => [
  id,
  { id, accountEnabled, userPrincipalName: `${id}@x` },
];

describe('usable now', () => {
  it('counts a started, not ended, Provisioned member eligibility (any casing)', () => {
    expect(usableWindow(sched(ALICE), NOW)).toBeDefined();
    expect(usableWindow(sched(ALICE, { status: 'provisioned', accessId: 'Member' }), NOW)).toBeDefined();
    expect(usableWindow(sched(ALICE, {}, iso(-1), null), NOW)?.end).toBeNull();
  });
  it.each<[string, PimSchedule]>([
    ['a future start', sched(ALICE, {}, iso(30))],
    ['an end in the past', sched(ALICE, {}, iso(-10), iso(-1))],
    ['owner access', sched(ALICE, { accessId: 'owner' })],
    ['status PendingProvisioning', sched(ALICE, { status: 'PendingProvisioning' })],
    ['status PendingScheduleCreation', sched(ALICE, { status: 'PendingScheduleCreation' })],
    ['status Granted', sched(ALICE, { status: 'Granted' })],
    ['no status', sched(ALICE, { status: undefined })],
    ['no start', { ...sched(ALICE), scheduleInfo: { expiration: { type: 'afterDateTime', endDateTime: iso(10) } } }],
    ['an unknown expiration type', { ...sched(ALICE), scheduleInfo: { startDateTime: iso(-1), expiration: { type: 'whenever' } } }],
    ['afterDateTime without a date', { ...sched(ALICE), scheduleInfo: { startDateTime: iso(-1), expiration: { type: 'afterDateTime' } } }],
  ])('does not count %s', (_name, s) => {
    expect(usableWindow(s, NOW)).toBeUndefined();
  });
  it('an unreadable expiration is not permanent', () => {
    expect(scheduleEnd({ ...sched(ALICE), scheduleInfo: { startDateTime: iso(-1) } })).toBeUndefined();
    expect(
      scheduleEnd({
        ...sched(ALICE),
        scheduleInfo: { startDateTime: iso(-1), expiration: { type: 'afterDuration', duration: 'P2D' } },
      })?.toISOString(),
    ).toBe(iso(1));
  });
  it('counts only principals read as enabled user accounts', () => {
    const schedules = [sched(ALICE), sched(BOB), sched('not-read')];
    expect(usableEligibilities(schedules, new Map([account(ALICE, true), account(BOB, false)]), NOW, G).map((u) => u.principalId)).toEqual([
      ALICE,
    ]);
    expect(usableEligibilities(schedules, new Map([account(ALICE, null), account(BOB, undefined)]), NOW, G)).toEqual([]);
  });
  it("counts only the group's own schedules, whatever else the answer holds", () => {
    const other = { ...sched(ALICE), groupId: '99999999-9999-4999-8999-999999999999' };
    expect(usableEligibilities([other], new Map([account(ALICE, true)]), NOW, G)).toEqual([]);
    expect(usableEligibilities([sched(ALICE)], new Map([account(ALICE, true)]), NOW, G.toUpperCase())).toHaveLength(1);
  });
});

describe('the answer to an eligibility request', () => {
  const documented = { id: 'r1', status: 'Provisioned', action: 'adminAssign', targetScheduleId: `${G}_member_r1` };
  it('is success only as a 201 with status Provisioned and a targetScheduleId', () => {
    expect(requestOutcome({ status: 201, body: documented })).toEqual({
      ok: true,
      status: 'Provisioned',
      targetScheduleId: `${G}_member_r1`,
    });
  });
  it.each<[string, { status: number; body: unknown }, RegExp]>([
    [
      'PendingApproval',
      { status: 201, body: { ...documented, status: 'PendingApproval', targetScheduleId: null } },
      /status is PendingApproval/,
    ],
    [
      'PendingScheduleCreation',
      { status: 201, body: { ...documented, status: 'PendingScheduleCreation' } },
      /status is PendingScheduleCreation/,
    ],
    ['Granted', { status: 201, body: { ...documented, status: 'Granted' } }, /status is Granted/],
    ['Failed', { status: 201, body: { ...documented, status: 'Failed' } }, /status is Failed/],
    ['no status', { status: 201, body: { ...documented, status: undefined } }, /status is missing/],
    [
      'a 200 carrying error',
      { status: 200, body: { error: { code: 'UnknownError', message: 'x' } } },
      /200 carrying an error \(UnknownError\)/,
    ],
    ['a 201 carrying error beside a status', { status: 201, body: { ...documented, error: { code: 'X' } } }, /carrying an error/],
    ['a 200 that looks fine', { status: 200, body: documented }, /not the documented 201/],
    ['no body', { status: 201, body: undefined }, /without the request object/],
    ['a text body', { status: 201, body: '<html>' }, /without the request object/],
    ['no targetScheduleId', { status: 201, body: { ...documented, targetScheduleId: null } }, /without a targetScheduleId/],
  ])('is not success: %s', (_name, res, says) => {
    const o = requestOutcome(res);
    expect(o.ok).toBe(false);
    expect(!o.ok && o.problem).toMatch(says);
  });
});

describe('expiry', () => {
  it('warns when every usable eligibility ends within the threshold', () => {
    const f = expiryWarning(
      [
        { name: 'alice', end: new Date(iso(10)) },
        { name: 'bob', end: new Date(iso(20)) },
      ],
      NOW,
      30 * DAY,
    );
    expect(f).toMatchObject({ severity: 'warning', code: 'ELIGIBLE_EXPIRING' });
    expect(f?.message).toMatch(/bob's, ends/);
  });
  it('is quiet when one lasts longer, one is permanent, or none is usable', () => {
    expect(
      expiryWarning(
        [
          { name: 'alice', end: new Date(iso(10)) },
          { name: 'bob', end: new Date(iso(40)) },
        ],
        NOW,
        30 * DAY,
      ),
    ).toBeUndefined();
    expect(expiryWarning([{ name: 'alice', end: null }], NOW, 30 * DAY)).toBeUndefined();
    expect(expiryWarning([], NOW, 30 * DAY)).toBeUndefined();
  });
  it('renews only what ends within the threshold and before the new end, once per user', () => {
    const w = { start: NOW, end: new Date(iso(365)), toleranceMs: DAY, source: 'policy' as const };
    const usable = [
      { scheduleId: 'a', principalId: ALICE, name: 'alice', start: new Date(iso(-300)), end: new Date(iso(10)) },
      { scheduleId: 'a2', principalId: ALICE, name: 'alice', start: new Date(iso(-300)), end: new Date(iso(12)) },
      { scheduleId: 'b', principalId: BOB, name: 'bob', start: new Date(iso(-1)), end: new Date(iso(200)) },
      { scheduleId: 'c', principalId: 'carol', name: 'carol', start: new Date(iso(-1)), end: null },
    ];
    expect(renewals(usable, w, NOW, 30 * DAY, new Set()).map((u) => u.scheduleId)).toEqual(['a']);
    expect(renewals(usable, w, NOW, 30 * DAY, new Set([ALICE]))).toEqual([]);
  });
});

describe('a window computed from now', () => {
  const user = { input: 'alice', id: ALICE, userPrincipalName: 'alice@x', displayName: 'Alice' };
  it('does not turn an unexpired eligibility into drift the next day', () => {
    // Made yesterday for a year; today the target end is a day later.
    const w = { start: NOW, end: new Date(iso(365)), toleranceMs: DAY, source: 'policy' as const };
    expect(diffEligibility([user], [sched(ALICE, {}, iso(-1), iso(364))], w, NOW)[0].kind).toBe('noop');
    expect(diffEligibility([user], [sched(ALICE, {}, iso(-30), iso(335))], { ...w, source: 'duration' }, NOW)[0].kind).toBe('noop');
  });
  it('still extends to a fixed --end', () => {
    const w = { start: NOW, end: new Date(iso(365)), toleranceMs: 1000, source: 'end' as const };
    expect(diffEligibility([user], [sched(ALICE, {}, iso(-1), iso(364))], w, NOW)[0].kind).toBe('update');
  });
});

describe('--expiry-warning and --renew', () => {
  const base = { tenantId: '8f2d6a3c-1b4e-4c5d-9e7f-0a1b2c3d4e5f', appId: '11111111-2222-3333-4444-555555555555' };
  const resolve = (extra: Record<string, unknown>) =>
    resolveRunOptions({ ...base, ...extra }, { mode: 'run', interactive: false, env: {}, now: NOW });
  it('default to 30 days and off', () => {
    expect(resolve({})).toMatchObject({ expiryWarningMs: 30 * DAY, renew: false });
    expect(resolve({ expiryWarning: 'P7D', renew: true })).toMatchObject({ expiryWarningMs: 7 * DAY, renew: true });
    expect(resolve({ expiryWarning: 'PT12H' }).expiryWarningMs).toBe(12 * 3_600_000);
  });
  it.each([
    ['30', /^--expiry-warning 30: not an ISO 8601 duration/],
    ['P1M', /^--expiry-warning P1M: year and month units/],
    ['P0D', /^--expiry-warning P0D: must be longer than zero/],
  ])('refuses %s naming the flag', (value, says) => {
    expect(() => resolve({ expiryWarning: value })).toThrow(says);
  });
});

const eligibilityRule: PolicyRule = {
  '@odata.type': '#microsoft.graph.unifiedRoleManagementPolicyExpirationRule',
  id: 'Expiration_Admin_Eligibility',
  isExpirationRequired: true,
  maximumDuration: 'P365D',
};

describe('pim-eligibility plan counts only usable eligibilities', () => {
  const table = (schedules: PimSchedule[], users: Record<string, unknown>) => ({
    [`${PIM}/eligibilitySchedules?$filter=groupId eq '${G}'`]: schedules,
    [`${PIM}/assignmentScheduleInstances?$filter=groupId eq '${G}'`]: [],
    '/policies/roleManagementPolicyAssignments*': [{ id: 'a', policyId: 'Group_p1', policy: { id: 'Group_p1', rules: [eligibilityRule] } }],
    ...Object.fromEntries(
      Object.entries(users).map(([id, u]) => [`/users/${id}?$select=id,accountEnabled,userPrincipalName,displayName`, u]),
    ),
  });
  it('an eligibility of a disabled user leaves nobody: an error, and nothing usable after the run', async () => {
    const ctx = fakeContext(
      new FakeGraph(table([sched(ALICE)], { [ALICE]: { id: ALICE, accountEnabled: false, userPrincipalName: 'alice@x' } })),
    );
    const snap = await readAfterPrerequisites(ctx, { group: { id: G, displayName: 'tenant-admin' }, eligibleUsers: [] });
    const { plan } = planEligibility(snap, ctx.options);
    expect(plan.findings.find((f) => f.code === 'ELIGIBLE_NONE_USABLE')?.severity).toBe('error');
    expect(eligibilityOutcome(snap, ctx.options).usableAfterRun).toBe(0);
  });
  it('an enabled one counts', async () => {
    const ctx = fakeContext(
      new FakeGraph(table([sched(ALICE)], { [ALICE]: { id: ALICE, accountEnabled: true, userPrincipalName: 'alice@x' } })),
    );
    const snap = await readAfterPrerequisites(ctx, { group: { id: G, displayName: 'tenant-admin' }, eligibleUsers: [] });
    const { plan } = planEligibility(snap, ctx.options);
    expect(plan.findings.some((f) => f.severity === 'error')).toBe(false);
    expect(eligibilityOutcome(snap, ctx.options).usableAfterRun).toBe(1);
  });
  it('audit reports the tenant as it is: nobody usable now is an error even when --eligible users would be made eligible', async () => {
    const ctx = fakeContext(new FakeGraph(table([], {})), { end: new Date(iso(100)) });
    const facts = {
      group: { id: G, displayName: 'tenant-admin' },
      eligibleUsers: [{ input: 'alice@x', id: ALICE, userPrincipalName: 'alice@x', displayName: 'Alice' }],
    };
    const snap = await readAfterPrerequisites(ctx, facts);
    const { plan } = planEligibility(snap, ctx.options);
    expect(plan.actions.map((a) => a.kind)).toEqual(['create']);
    expect(plan.findings.find((f) => f.code === 'ELIGIBLE_NONE_USABLE')?.severity).toBe('error');
    // run judges the tenant as it will be: the planned eligibility starts now.
    const run = fakeContext(new FakeGraph(table([], {})), { mode: 'run', end: new Date(iso(100)) });
    const runSnap = await readAfterPrerequisites(run, facts);
    expect(planEligibility(runSnap, run.options).plan.findings.some((f) => f.code === 'ELIGIBLE_NONE_USABLE')).toBe(false);
    expect(eligibilityOutcome(runSnap, run.options).usableAfterRun).toBe(1);
  });
  it('eligibilities planned to start later do not count until then', async () => {
    const ctx = fakeContext(new FakeGraph(table([], {})), { start: new Date(iso(30)), end: new Date(iso(100)) });
    const snap = await readAfterPrerequisites(ctx, {
      group: { id: G, displayName: 'tenant-admin' },
      eligibleUsers: [{ input: 'alice@x', id: ALICE, userPrincipalName: 'alice@x', displayName: 'Alice' }],
    });
    const outcome = eligibilityOutcome(snap, ctx.options);
    expect(outcome.usableAfterRun).toBe(0);
    expect(outcome.plannedFutureStart?.toISOString()).toBe(iso(30));
  });
});

describe('admin-group: the guard re-reads live right before the first removal', () => {
  const members = [{ id: 'u-carol', displayName: 'Carol', userPrincipalName: 'carol@x' }];
  const pimTable = {
    [`${PIM}/eligibilitySchedules?$filter=groupId eq '${G}'`]: [],
    [`${PIM}/assignmentScheduleInstances?$filter=groupId eq '${G}'`]: [],
    '/policies/roleManagementPolicyAssignments*': [{ id: 'a', policyId: 'Group_p1', policy: { id: 'Group_p1', rules: [eligibilityRule] } }],
  };
  const plan = (): StepPlan => ({
    findings: [],
    actions: [
      {
        kind: 'delete',
        target: 'graph',
        summary: 'remove Carol',
        ...graphWrite({ op: 'group.removeMember', groupId: G, memberId: 'u-carol' }),
        backup: { member: members[0] },
      },
    ],
  });
  const live = (schedules: PimSchedule[], account?: PrincipalAccount) => ({
    [`${PIM}/eligibilitySchedules?$filter=groupId eq '${G}'`]: schedules,
    ...(account ? { [`/users/${account.id}?$select=id,accountEnabled,userPrincipalName,displayName`]: account } : {}),
  });
  it.each<[string, Record<string, unknown>]>([
    ['no eligibility', live([])],
    ['an eligibility of a disabled user', live([sched(ALICE)], { id: ALICE, accountEnabled: false })],
    ['an eligibility that has not started', live([sched(ALICE, {}, iso(1))], { id: ALICE, accountEnabled: true })],
    ['an eligibility not provisioned', live([sched(ALICE, { status: 'PendingProvisioning' })], { id: ALICE, accountEnabled: true })],
  ])('refuses with %s read live, whatever the plan counted, and removes nobody', async (_name, table) => {
    const graph = new FakeGraph(table);
    const ctx = fakeContext(graph, { mode: 'run' });
    // A plan that counted two usable eligibilities (apply does not trust it).
    await expect(adminGroupStep.apply(plan(), ctx, snapshotOf({ group: { id: G, displayName: 'tenant-admin' } }))).rejects.toThrow(
      /lockout guard: refused to remove 1 standing member\(s\) of tenant-admin: read live just now/,
    );
    expect(graph.writes).toEqual([]);
  });
  it('removes when someone can activate now', async () => {
    const graph = new FakeGraph(live([sched(ALICE)], { id: ALICE, accountEnabled: true }));
    const ctx = fakeContext(graph, { mode: 'run' });
    await adminGroupStep.apply(plan(), ctx, snapshotOf({ group: { id: G, displayName: 'tenant-admin' } }));
    expect(graph.writes.map((w) => w.method)).toEqual(['DELETE']);
  });
  it('plans no removal with nobody usable after the run, and says when a future --start is why', async () => {
    // Alice is made eligible from --start, 30 days ahead: nobody is usable until then.
    const ctx = fakeContext(new FakeGraph({ [`/beta/groups/${G}/members*`]: members, ...pimTable }), {
      start: new Date(iso(30)),
      end: new Date(iso(100)),
    });
    const snap = await readAfterPrerequisites(ctx, {
      group: { id: G, displayName: 'tenant-admin' },
      eligibleUsers: [{ input: 'alice@x', id: ALICE, userPrincipalName: 'alice@x', displayName: 'Alice' }],
    });
    expect(eligibilityOutcome(snap, ctx.options)).toEqual({ usableAfterRun: 0, plannedFutureStart: new Date(iso(30)) });
    const p = planAdminGroup(snap, ctx.options);
    expect(p.findings.find((f) => f.code === 'LOCKOUT_GUARD')).toMatchObject({
      severity: 'error',
      message: expect.stringMatching(/until 2026-12-31T10:00:00.000Z/),
    });
  });
});
