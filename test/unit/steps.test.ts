import { describe, expect, it } from 'vitest';
import { activeAssignmentsOf, planAdminGroup, standingMembers } from '../../src/steps/admin-group.js';
import { chooseAppRole, appGroupsOf, planAppAssignment } from '../../src/steps/app-assignment.js';
import { assignmentRequiredStep } from '../../src/steps/assignment-required.js';
import { readAfterPrerequisites } from '../../src/steps/read-tenant.js';
import { valueOf, type TenantSnapshot } from '../../src/steps/snapshot.js';
import { checkWindow, diffEligibility, eligibilityWindow } from '../../src/steps/eligibility-window.js';
import { eligibilityOutcome, planEligibility } from '../../src/steps/pim-eligibility.js';
import type { PimSchedule } from '../../src/steps/usable-eligibility.js';
import { diffPolicyRules } from '../../src/steps/pim-policy.js';
import { DEFAULT_ACCESS_ROLE_ID } from '../../src/steps/common.js';
import type { PolicyRule } from '../../src/entra/pim.js';
import { FakeGraph, fakeContext, snapshotOf } from '../support/fake-graph.js';

/** The groups the keycloak step judges regex mappers against, as the snapshot gives them. */
const appGroups = (snap: TenantSnapshot) => appGroupsOf(valueOf(snap.appAssignedTo!));

const G = 'aaaaaaaa-0000-0000-0000-000000000001';
const SP = {
  id: 'sp-1',
  appId: '11111111-2222-3333-4444-555555555555',
  displayName: 'Keycloak',
  appRoleAssignmentRequired: false,
  appRoles: [],
};
const alice = { input: 'alice@contoso.com', id: 'u-alice', userPrincipalName: 'alice@contoso.com', displayName: 'Alice' };
const bob = { input: 'bob@contoso.com', id: 'u-bob', userPrincipalName: 'bob@contoso.com', displayName: 'Bob' };

const eligibilityRule: PolicyRule = {
  '@odata.type': '#microsoft.graph.unifiedRoleManagementPolicyExpirationRule',
  id: 'Expiration_Admin_Eligibility',
  isExpirationRequired: true,
  maximumDuration: 'P365D',
  target: { caller: 'Admin', level: 'Eligibility' },
};
const activationRule: PolicyRule = {
  '@odata.type': '#microsoft.graph.unifiedRoleManagementPolicyExpirationRule',
  id: 'Expiration_EndUser_Assignment',
  isExpirationRequired: true,
  maximumDuration: 'PT8H',
  target: { caller: 'EndUser', level: 'Assignment' },
};
const enablementRule: PolicyRule = {
  '@odata.type': '#microsoft.graph.unifiedRoleManagementPolicyEnablementRule',
  id: 'Enablement_EndUser_Assignment',
  enabledRules: ['Justification'],
  target: { caller: 'EndUser', level: 'Assignment' },
};

function schedule(principalId: string, end: string | null): PimSchedule {
  return {
    id: `s-${principalId}`,
    principalId,
    groupId: G,
    accessId: 'member',
    scheduleInfo: {
      startDateTime: '2026-01-01T00:00:00Z',
      expiration: end ? { type: 'afterDateTime', endDateTime: end } : { type: 'noExpiration' },
    },
  };
}

describe('assignment-required', () => {
  it('plans a PATCH when assignment is not required', async () => {
    const ctx = fakeContext(new FakeGraph({}));
    const plan = await assignmentRequiredStep.plan(snapshotOf({ servicePrincipal: { ...SP } }), ctx.options);
    expect(plan.actions).toEqual([
      expect.objectContaining({
        kind: 'update',
        request: { method: 'PATCH', url: '/servicePrincipals/sp-1', body: { appRoleAssignmentRequired: true } },
      }),
    ]);
  });
  it('is a no-op when already required', async () => {
    const ctx = fakeContext(new FakeGraph({}));
    const plan = await assignmentRequiredStep.plan(
      snapshotOf({ servicePrincipal: { ...SP, appRoleAssignmentRequired: true } }),
      ctx.options,
    );
    expect(plan.actions.map((a) => a.kind)).toEqual(['noop']);
  });
  it('skips without the app', async () => {
    expect(() => assignmentRequiredStep.plan(snapshotOf({}), fakeContext(new FakeGraph({})).options)).toThrow(/skipped/);
  });
});

describe('chooseAppRole', () => {
  const roles = [
    { id: 'r1', value: 'tenant-admin', allowedMemberTypes: ['User'], isEnabled: true },
    { id: 'r2', value: 'daemon', allowedMemberTypes: ['Application'], isEnabled: true },
    { id: 'r3', value: 'old', allowedMemberTypes: ['User'], isEnabled: false },
  ];
  it('picks the named role', () => expect(chooseAppRole(roles, 'tenant-admin').roleId).toBe('r1'));
  it('refuses an unknown role and lists the user roles', () => {
    expect(chooseAppRole(roles, 'nope').finding?.message).toMatch(/no such role.*tenant-admin/);
  });
  it('refuses a disabled role', () => expect(chooseAppRole(roles, 'old').finding?.code).toBe('APP_ROLE_DISABLED'));
  it('refuses an application-only role', () => expect(chooseAppRole(roles, 'daemon').finding?.code).toBe('APP_ROLE_NOT_FOR_USERS'));
  it('refuses default access when the app declares roles', () => {
    expect(chooseAppRole(roles, undefined).finding?.code).toBe('DEFAULT_ACCESS_NOT_ALLOWED');
  });
  it('uses default access when the app declares none', () => expect(chooseAppRole([], undefined).roleId).toBe(DEFAULT_ACCESS_ROLE_ID));
  it('uses the built-in User role of a SAML app', () => {
    const saml = [
      { id: 'u', value: null, displayName: 'User', allowedMemberTypes: ['User'], isEnabled: true },
      { id: 'm', value: null, displayName: 'msiam_access', allowedMemberTypes: ['User'], isEnabled: true },
    ];
    expect(chooseAppRole(saml, undefined).roleId).toBe('u');
  });
});

describe('app-assignment', () => {
  it('plans the POST and is a no-op when the assignment exists', async () => {
    // Another group's assignment to the same app must not count for this group.
    const other = { principalId: 'other-group', resourceId: 'sp-1', appRoleId: DEFAULT_ACCESS_ROLE_ID };
    const graph = new FakeGraph({ '/servicePrincipals/sp-1/appRoleAssignedTo': [other] });
    const ctx = fakeContext(graph);
    const facts = { servicePrincipal: { ...SP }, group: { id: G, displayName: 'tenant-admin' } };
    const plan = planAppAssignment(await readAfterPrerequisites(ctx, facts), ctx.options);
    expect(plan.actions[0].request).toEqual({
      method: 'POST',
      url: '/servicePrincipals/sp-1/appRoleAssignedTo',
      body: { principalId: G, resourceId: 'sp-1', appRoleId: DEFAULT_ACCESS_ROLE_ID },
    });

    const again = fakeContext(
      new FakeGraph({
        '/servicePrincipals/sp-1/appRoleAssignedTo': [other, { principalId: G, resourceId: 'sp-1', appRoleId: DEFAULT_ACCESS_ROLE_ID }],
      }),
    );
    expect(planAppAssignment(await readAfterPrerequisites(again, facts), again.options).actions.map((a) => a.kind)).toEqual(['noop']);
  });

  it('leaves the groups assigned to the app for the keycloak step (a regex mapper must match none of the others)', async () => {
    const users = {
      principalId: 'users-group',
      principalType: 'Group',
      principalDisplayName: 'users:pf',
      resourceId: 'sp-1',
      appRoleId: DEFAULT_ACCESS_ROLE_ID,
    };
    const person = {
      principalId: 'u-alice',
      principalType: 'User',
      principalDisplayName: 'Alice',
      resourceId: 'sp-1',
      appRoleId: DEFAULT_ACCESS_ROLE_ID,
    };
    const ctx = fakeContext(new FakeGraph({ '/servicePrincipals/sp-1/appRoleAssignedTo': [users, person] }));
    const snap = await readAfterPrerequisites(ctx, { servicePrincipal: { ...SP }, group: { id: G, displayName: 'tenant-admin' } });
    expect(appGroups(snap)).toEqual([{ id: 'users-group', displayName: 'users:pf' }]);
  });
});

describe('answers the steps do not understand (fail closed)', () => {
  it('app-assignment: an entry with an unknown principal type leaves the other groups unknown, never a list that may miss one', async () => {
    const odd = { principalId: 'x', principalType: 'Something', resourceId: 'sp-1', appRoleId: DEFAULT_ACCESS_ROLE_ID };
    const users = {
      principalId: 'users-group',
      principalType: 'group',
      principalDisplayName: 'users:pf',
      resourceId: 'sp-1',
      appRoleId: DEFAULT_ACCESS_ROLE_ID,
    };
    const ctx = fakeContext(new FakeGraph({ '/servicePrincipals/sp-1/appRoleAssignedTo': [users, odd] }));
    const facts = { servicePrincipal: { ...SP }, group: { id: G, displayName: 'tenant-admin' } };
    expect(appGroups(await readAfterPrerequisites(ctx, facts))).toBeUndefined();
    // The casing of principalType does not matter.
    const ok = fakeContext(new FakeGraph({ '/servicePrincipals/sp-1/appRoleAssignedTo': [users] }));
    expect(appGroups(await readAfterPrerequisites(ok, facts))).toEqual([{ id: 'users-group', displayName: 'users:pf' }]);
  });

  it("pim-eligibility: only this group's member instances active now shield a member from removal", async () => {
    const inst = (principalId: string, over: Record<string, unknown>) => ({
      id: `i-${principalId}`,
      principalId,
      groupId: G,
      accessId: 'member',
      assignmentType: 'Activated',
      memberType: 'Direct',
      ...over,
    });
    const active = [
      inst('u-ok', {}),
      inst('u-other-group', { groupId: '99999999-9999-4999-8999-999999999999' }),
      inst('u-no-group', { groupId: undefined }),
      inst('u-ended', { endDateTime: '2020-01-01T00:00:00Z' }),
    ];
    const graph = new FakeGraph({
      [`/identityGovernance/privilegedAccess/group/eligibilitySchedules?$filter=groupId eq '${G}'`]: [],
      [`/identityGovernance/privilegedAccess/group/assignmentScheduleInstances?$filter=groupId eq '${G}'`]: active,
      '/policies/roleManagementPolicyAssignments*': [
        { id: 'a', policyId: 'Group_p1', policy: { id: 'Group_p1', rules: [eligibilityRule, activationRule] } },
      ],
    });
    const ctx = fakeContext(graph);
    const snap = await readAfterPrerequisites(ctx, { group: { id: G, displayName: 'tenant-admin' }, eligibleUsers: [] });
    planEligibility(snap, ctx.options);
    expect(activeAssignmentsOf(snap)?.map((a) => a.principalId)).toEqual(['u-ok']);
  });
});

describe('eligibility window', () => {
  const now = new Date('2026-12-01T10:00:00Z');
  it('defaults to now + 90 days when the policy allows longer (P365D)', () => {
    const w = eligibilityWindow({}, now, eligibilityRule);
    expect('start' in w && w.end.toISOString()).toBe('2027-03-01T10:00:00.000Z');
  });
  it('defaults to the policy maximum when it is shorter than 90 days', () => {
    const w = eligibilityWindow({}, now, { ...eligibilityRule, maximumDuration: 'P30D' });
    expect('start' in w && w.end.toISOString()).toBe('2026-12-31T10:00:00.000Z');
  });
  it('defaults to 90 days when the policy allows permanent eligibility (still time-bound)', () => {
    const w = eligibilityWindow({}, now, { ...eligibilityRule, isExpirationRequired: false });
    expect('start' in w && w.end.toISOString()).toBe('2027-03-01T10:00:00.000Z');
  });
  it('uses --duration', () => {
    const w = eligibilityWindow({ duration: 'P90D' }, now, eligibilityRule);
    expect('end' in w && w.end.toISOString()).toBe('2027-03-01T10:00:00.000Z');
  });
  it('rejects a window longer than the policy allows, naming the limit', () => {
    const w = eligibilityWindow({ end: new Date('2028-06-01T00:00:00Z') }, now, eligibilityRule);
    const f = checkWindow(w as never, eligibilityRule, now);
    expect(f.map((x) => x.code)).toEqual(['ELIGIBILITY_TOO_LONG']);
    expect(f[0].fix).toMatch(/P365D/);
  });
  it('accepts a window inside the policy', () => {
    const w = eligibilityWindow({ end: new Date('2027-03-31T23:59:59Z') }, now, eligibilityRule);
    expect(checkWindow(w as never, eligibilityRule, now)).toEqual([]);
  });
});

describe('diffEligibility', () => {
  const w = { start: new Date('2026-12-01T10:00:00Z'), end: new Date('2027-03-31T23:59:59Z'), toleranceMs: 1000, source: 'end' as const };
  it('creates, extends and keeps', () => {
    const d = diffEligibility(
      [alice, bob, { ...alice, id: 'u-carol', userPrincipalName: 'carol' }],
      [schedule('u-alice', '2027-01-01T00:00:00Z'), schedule('u-bob', '2027-06-01T00:00:00Z')],
      w,
    );
    expect(d.map((x) => x.kind)).toEqual(['update', 'noop', 'create']);
  });
  it('treats permanent eligibility as covering', () => {
    expect(diffEligibility([alice], [schedule('u-alice', null)], w)[0].kind).toBe('noop');
  });
  it('ignores owner eligibility', () => {
    expect(diffEligibility([alice], [{ ...schedule('u-alice', '2030-01-01T00:00:00Z'), accessId: 'owner' }], w)[0].kind).toBe('create');
  });
});

describe('pim-eligibility plan', () => {
  const table = (schedules: PimSchedule[]) => ({
    [`/identityGovernance/privilegedAccess/group/eligibilitySchedules?$filter=groupId eq '${G}'`]: schedules,
    [`/identityGovernance/privilegedAccess/group/assignmentScheduleInstances?$filter=groupId eq '${G}'`]: [],
    '/policies/roleManagementPolicyAssignments*': [
      { id: 'a', policyId: 'Group_p1', policy: { id: 'Group_p1', rules: [eligibilityRule, activationRule] } },
    ],
  });
  it('plans adminAssign requests with the exact window and notes onboarding', async () => {
    const ctx = fakeContext(new FakeGraph(table([])), { end: new Date('2027-03-31T23:59:59Z') });
    const snap = await readAfterPrerequisites(ctx, { group: { id: G, displayName: 'tenant-admin' }, eligibleUsers: [alice] });
    const { plan } = planEligibility(snap, ctx.options);
    expect(plan.actions[0].request).toEqual({
      method: 'POST',
      url: '/identityGovernance/privilegedAccess/group/eligibilityScheduleRequests',
      body: {
        accessId: 'member',
        principalId: 'u-alice',
        groupId: G,
        action: 'adminAssign',
        scheduleInfo: {
          startDateTime: '2026-12-01T10:00:00.000Z',
          expiration: { type: 'afterDateTime', endDateTime: '2027-03-31T23:59:59.000Z' },
        },
        justification: 'test',
      },
    });
    expect(plan.findings.map((f) => f.code)).toContain('PIM_ONBOARDS');
    expect(eligibilityOutcome(snap, ctx.options).usableAfterRun).toBe(1);
  });
  it('refuses a too-long window before anything is planned', async () => {
    const ctx = fakeContext(new FakeGraph(table([])), { end: new Date('2028-12-31T00:00:00Z') });
    const snap = await readAfterPrerequisites(ctx, { group: { id: G, displayName: 'tenant-admin' }, eligibleUsers: [alice] });
    const { plan } = planEligibility(snap, ctx.options);
    expect(plan.actions).toEqual([]);
    expect(plan.findings[0]).toMatchObject({ severity: 'error', code: 'ELIGIBILITY_TOO_LONG' });
  });
});

describe('diffPolicyRules', () => {
  it('patches only rules that differ, each with @odata.type, id and target', () => {
    const patches = diffPolicyRules(
      [activationRule, enablementRule],
      { activationMax: 'PT2H', requireJustification: true, approvers: [] },
      [],
    );
    expect(patches).toEqual([
      {
        '@odata.type': '#microsoft.graph.unifiedRoleManagementPolicyExpirationRule',
        id: 'Expiration_EndUser_Assignment',
        isExpirationRequired: true,
        maximumDuration: 'PT2H',
        target: activationRule.target,
      },
    ]);
  });
  it('is empty when everything matches', () => {
    expect(
      diffPolicyRules([activationRule, enablementRule], { activationMax: 'PT8H', requireJustification: true, approvers: [] }, []),
    ).toEqual([]);
  });
  it('adds MFA to the enablement rule', () => {
    const [p] = diffPolicyRules([activationRule, enablementRule], { requireMfa: true, approvers: [] }, []);
    expect(p).toMatchObject({ id: 'Enablement_EndUser_Assignment', enabledRules: ['Justification', 'MultiFactorAuthentication'] });
  });
  it('builds an approval stage with users and groups', () => {
    const [p] = diffPolicyRules([], { requireApproval: true, approvers: ['x'] }, [
      { kind: 'user', id: 'u1', label: 'u1' },
      { kind: 'group', id: 'g1', label: 'g1' },
    ]);
    const setting = p.setting as { isApprovalRequired: boolean; approvalStages: Array<{ primaryApprovers: unknown[] }> };
    expect(setting.isApprovalRequired).toBe(true);
    expect(setting.approvalStages[0].primaryApprovers).toEqual([
      { '@odata.type': '#microsoft.graph.singleUser', userId: 'u1' },
      { '@odata.type': '#microsoft.graph.groupMembers', groupId: 'g1' },
    ]);
  });
});

describe('admin-group', () => {
  const members = [
    { id: 'u-carol', displayName: 'Carol', userPrincipalName: 'carol@contoso.com' },
    { id: 'u-dave', displayName: 'Dave', userPrincipalName: 'dave@contoso.com' },
  ];
  it('keeps members who hold the group through an activation', () => {
    const r = standingMembers(members, [{ id: 'i', principalId: 'u-dave', groupId: G, accessId: 'member', assignmentType: 'activated' }]);
    expect(r.standing.map((m) => m.id)).toEqual(['u-carol']);
    expect(r.jit.map((m) => m.id)).toEqual(['u-dave']);
  });
  // The lockout guard counts the eligibility plan's outcome from the same snapshot: here the two
  // users this run makes eligible from now (no schedule exists yet), or nobody.
  const pim = { pim: { ok: true as const, value: { schedules: [], activeAssignments: [], onboarded: true } } };
  const policy = { memberPolicy: { ok: true as const, value: { policyId: 'Group_p1', rules: [eligibilityRule, activationRule] } } };
  const usable = { usable: { ok: true as const, value: { usable: [], accounts: new Map() } } };
  const read = (eligibleUsers: (typeof alice)[]) =>
    snapshotOf(
      { group: { id: G, displayName: 'tenant-admin' }, eligibleUsers },
      { ...pim, ...policy, ...usable, members: { ok: true, value: members } },
    );
  it('plans one DELETE …/$ref per standing member, with the member as backup', async () => {
    const ctx = fakeContext(new FakeGraph({}));
    const snap = read([alice, bob]);
    expect(eligibilityOutcome(snap, ctx.options).usableAfterRun).toBe(2);
    const plan = planAdminGroup(snap, ctx.options);
    expect(plan.actions.map((a) => a.request?.url)).toEqual([`/groups/${G}/members/u-carol/$ref`, `/groups/${G}/members/u-dave/$ref`]);
    expect(plan.actions.every((a) => a.request?.method === 'DELETE' && a.request.url.endsWith('/$ref'))).toBe(true);
    expect(plan.actions[0].backup).toMatchObject({ member: members[0] });
    expect(plan.findings.some((f) => f.severity === 'error')).toBe(false);
  });
  it('guards against lockout when nobody will be eligible', async () => {
    const ctx = fakeContext(new FakeGraph({}));
    const snap = read([]);
    expect(eligibilityOutcome(snap, ctx.options).usableAfterRun).toBe(0);
    const plan = planAdminGroup(snap, ctx.options);
    expect(plan.findings.find((f) => f.severity === 'error')?.code).toBe('LOCKOUT_GUARD');
    const allowed = fakeContext(new FakeGraph({}), { allowEmpty: true });
    expect(planAdminGroup(snap, allowed.options).findings.some((f) => f.code === 'LOCKOUT_GUARD')).toBe(false);
  });
});

describe('read, then decide', () => {
  const table = {
    [`/identityGovernance/privilegedAccess/group/eligibilitySchedules?$filter=groupId eq '${G}'`]: [],
    [`/identityGovernance/privilegedAccess/group/assignmentScheduleInstances?$filter=groupId eq '${G}'`]: [],
    '/policies/roleManagementPolicyAssignments*': [
      { id: 'a', policyId: 'Group_p1', policy: { id: 'Group_p1', rules: [eligibilityRule, activationRule] } },
    ],
    [`/beta/groups/${G}/members*`]: [{ id: 'u-carol', displayName: 'Carol', userPrincipalName: 'carol@contoso.com', accountEnabled: true }],
  };
  it('reads the members and the policy once, even when two steps need them (--convert-members)', async () => {
    const graph = new FakeGraph(table);
    const ctx = fakeContext(graph, { convertMembers: true });
    await readAfterPrerequisites(ctx, { group: { id: G, displayName: 'tenant-admin' }, eligibleUsers: [alice] });
    expect(graph.reads.filter((r) => r.startsWith(`/beta/groups/${G}/members`))).toHaveLength(1);
    expect(graph.reads.filter((r) => r.startsWith('/policies/roleManagementPolicyAssignments'))).toHaveLength(1);
  });
  it('plans the same whatever the order: the lockout guard counts the eligibility plan from the snapshot', async () => {
    const ctx = fakeContext(new FakeGraph(table), { convertMembers: true });
    const snap = await readAfterPrerequisites(ctx, { group: { id: G, displayName: 'tenant-admin' }, eligibleUsers: [] });
    const guardFirst = planAdminGroup(snap, ctx.options);
    const eligibility = planEligibility(snap, ctx.options).plan;
    expect(planAdminGroup(snap, ctx.options)).toEqual(guardFirst);
    // Carol, a standing member, is converted into an eligibility that starts now: nobody is locked out.
    expect(eligibility.actions.map((a) => a.kind)).toEqual(['create']);
    expect(guardFirst.findings.some((f) => f.code === 'LOCKOUT_GUARD')).toBe(false);
    expect(guardFirst.actions.map((a) => a.kind)).toEqual(['delete']);
  });
});
