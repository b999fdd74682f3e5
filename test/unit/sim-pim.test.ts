import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CONTOSO, SimulatedTenant, contosoSeed, type TenantSeed } from '../../src/sim/index.js';
import { ensureTestTls, type TestTls } from '../support/tls.js';
import { callSim } from '../support/sim.js';

const PIM = '/v1.0/identityGovernance/privilegedAccess/group';
const DAY = 86_400_000;
const G = CONTOSO.groups;
const U = CONTOSO.users;

let tls: TestTls;
let sim: SimulatedTenant;
let token: string;

async function start(seed: TenantSeed = contosoSeed(), consistency?: { notFoundAfterCreate?: number }) {
  sim = await SimulatedTenant.start({ seed, tls, consistency });
  // The simulation's own tests also exercise admin active assignments and group resources, which the
  // tool never calls: the token holds those permissions on top of the automation app's.
  token = await sim.issueToken({
    roles: [...CONTOSO.automation.roles, 'PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup', 'PrivilegedAccess.Read.AzureADGroup'],
    appid: CONTOSO.automation.clientId,
  });
}

const call = (method: string, path: string, body?: unknown, bearer = token) => callSim(sim.url, bearer, method, path, body);

function iso(offsetMs: number): string {
  return new Date(sim.clock.nowMs() + offsetMs).toISOString();
}

function eligibility(principalId: string, expiration: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    accessId: 'member',
    principalId,
    groupId: G.tenantAdmin,
    action: 'adminAssign',
    scheduleInfo: { startDateTime: iso(0), expiration },
    justification: 'PIM for Keycloak tenant-admin',
    ...extra,
  };
}

async function memberPolicy(groupId: string) {
  const filter = encodeURIComponent(`scopeId eq '${groupId}' and scopeType eq 'Group' and roleDefinitionId eq 'member'`);
  const res = await call('GET', `/v1.0/policies/roleManagementPolicyAssignments?$filter=${filter}&$expand=policy($expand=rules)`);
  expect(res.status).toBe(200);
  expect(res.body!.value).toHaveLength(1);
  return res.body!.value[0] as { id: string; policyId: string; policy: { id: string; rules: Record<string, any>[] } };
}

beforeAll(async () => {
  tls = await ensureTestTls();
});

afterEach(async () => {
  await sim?.close();
});

describe('PIM for Groups eligibility', () => {
  it('requires a groupId or principalId filter on schedule lists', async () => {
    await start();
    expect((await call('GET', `${PIM}/eligibilitySchedules`)).status).toBe(400);
    expect((await call('GET', `${PIM}/assignmentScheduleInstances?$filter=${encodeURIComponent("accessId eq 'member'")}`)).status).toBe(
      400,
    );
    const ok = await call('GET', `${PIM}/eligibilitySchedules?$filter=${encodeURIComponent(`groupId eq '${G.tenantAdmin}'`)}`);
    expect(ok).toMatchObject({ status: 200, body: { value: [] } });
  });

  it('validates against the live expiration rule and rejects calendar durations', async () => {
    await start();
    const tooLong = await call(
      'POST',
      `${PIM}/eligibilityScheduleRequests`,
      eligibility(U.alice, { type: 'afterDateTime', endDateTime: iso(400 * DAY) }),
    );
    expect(tooLong.status).toBe(400);
    expect(tooLong.body!.error).toMatchObject({
      code: 'RoleAssignmentRequestPolicyValidationFailed',
      message: 'The following policy rules failed: ["ExpirationRule"]',
    });
    const permanent = await call('POST', `${PIM}/eligibilityScheduleRequests`, eligibility(U.alice, { type: 'noExpiration' }));
    expect(permanent.body!.error.code).toBe('RoleAssignmentRequestPolicyValidationFailed');
    for (const duration of ['P1Y', 'P6M']) {
      const res = await call('POST', `${PIM}/eligibilityScheduleRequests`, eligibility(U.alice, { type: 'afterDuration', duration }));
      expect(res.status).toBe(400);
      expect(res.body!.error.code).toBe('InvalidRoleAssignmentRequest');
    }
    expect(sim.state.onboarded.has(G.tenantAdmin)).toBe(false);
    expect(sim.state.eligibilitySchedules.size).toBe(0);
  });

  it('onboards on the first assignment: policy ids change, the old ones 404', async () => {
    await start();
    const before = await memberPolicy(G.tenantAdmin);
    expect(before.policyId).toMatch(new RegExp(`^Group_${G.tenantAdmin}_[0-9a-f-]{36}$`));
    expect(before.id).toBe(`${before.policyId}_member`);
    expect(before.policy.rules).toHaveLength(17);

    const res = await call(
      'POST',
      `${PIM}/eligibilityScheduleRequests`,
      eligibility(U.alice, { type: 'afterDuration', duration: 'P180D' }),
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      status: 'Provisioned',
      action: 'adminAssign',
      principalId: U.alice,
      groupId: G.tenantAdmin,
      isValidationOnly: false,
      approvalId: null,
    });
    expect(res.body!.targetScheduleId).toMatch(new RegExp(`^${G.tenantAdmin}_member_[0-9a-f-]{36}$`));

    const resources = await call('GET', `${PIM}/resources?$filter=${encodeURIComponent(`id eq '${G.tenantAdmin}'`)}`);
    expect(resources.body!.value.map((r: { id: string }) => r.id)).toEqual([G.tenantAdmin]);
    const after = await memberPolicy(G.tenantAdmin);
    expect(after.policyId).not.toBe(before.policyId);
    expect((await call('GET', `/v1.0/policies/roleManagementPolicies/${before.policyId}`)).status).toBe(404);
    expect((await call('GET', `/v1.0/policies/roleManagementPolicies/${after.policyId}/rules`)).status).toBe(200);

    const schedule = await call('GET', `${PIM}/eligibilitySchedules/${res.body!.targetScheduleId}`);
    expect(schedule.body).toMatchObject({
      principalId: U.alice,
      memberType: 'Direct',
      status: 'Provisioned',
      scheduleInfo: { expiration: { type: 'afterDateTime' } },
    });
    const instances = await call(
      'GET',
      `${PIM}/eligibilityScheduleInstances?$filter=${encodeURIComponent(`groupId eq '${G.tenantAdmin}' and principalId eq '${U.alice}'`)}`,
    );
    expect(instances.body!.value).toHaveLength(1);
    // Eligible is not a member.
    expect(sim.state.isMember(G.tenantAdmin, U.alice)).toBe(false);
  });

  it('refuses a duplicate adminAssign and supports update and remove', async () => {
    await start();
    const first = await call('POST', `${PIM}/eligibilityScheduleRequests`, eligibility(U.bob, { type: 'afterDuration', duration: 'P30D' }));
    expect(first.status).toBe(201);
    const dup = await call('POST', `${PIM}/eligibilityScheduleRequests`, eligibility(U.bob, { type: 'afterDuration', duration: 'P30D' }));
    expect(dup.status).toBe(400);
    expect(dup.body!.error).toMatchObject({ code: 'RoleAssignmentExists', message: 'The Role assignment already exists.' });
    const update = await call(
      'POST',
      `${PIM}/eligibilityScheduleRequests`,
      eligibility(U.bob, { type: 'afterDuration', duration: 'P90D' }, { action: 'adminUpdate' }),
    );
    expect(update.status).toBe(201);
    // Learn "Create eligibilityScheduleRequest" (adminExtend example): the answer names a new
    // schedule after the request; the old id is gone and only one schedule remains.
    expect(update.body!.targetScheduleId).toBe(`${G.tenantAdmin}_member_${update.body!.id}`);
    expect(sim.state.eligibilitySchedules.has(first.body!.targetScheduleId)).toBe(false);
    expect(sim.state.eligibilitySchedules.size).toBe(1);
    const end = Date.parse(sim.state.eligibilitySchedules.get(update.body!.targetScheduleId)!.endDateTime!);
    expect(end - sim.clock.nowMs()).toBeGreaterThan(89 * DAY);
    const remove = await call('POST', `${PIM}/eligibilityScheduleRequests`, {
      accessId: 'member',
      principalId: U.bob,
      groupId: G.tenantAdmin,
      action: 'adminRemove',
    });
    expect(remove.body!.status).toBe('Revoked');
    expect(sim.state.eligibilitySchedules.size).toBe(0);
    const again = await call('POST', `${PIM}/eligibilityScheduleRequests`, {
      accessId: 'member',
      principalId: U.bob,
      groupId: G.tenantAdmin,
      action: 'adminRemove',
    });
    expect(again.body!.error.code).toBe('RoleAssignmentDoesNotExist');
  });

  it('refuses dynamic and on-premises-synced groups', async () => {
    await start();
    for (const groupId of [G.dynAdmins, G.syncedAdmins]) {
      const res = await call('POST', `${PIM}/eligibilityScheduleRequests`, {
        ...eligibility(U.alice, { type: 'afterDuration', duration: 'P30D' }),
        groupId,
      });
      expect(res.status).toBe(400);
      expect(res.body!.error.code).toBe('InvalidGroupType');
    }
  });

  it('validation-only requests change nothing', async () => {
    await start();
    const res = await call(
      'POST',
      `${PIM}/eligibilityScheduleRequests`,
      eligibility(U.alice, { type: 'afterDuration', duration: 'P30D' }, { isValidationOnly: true }),
    );
    expect(res.status).toBe(201);
    expect(res.body!.isValidationOnly).toBe(true);
    expect(sim.state.eligibilitySchedules.size).toBe(0);
    expect(sim.state.onboarded.size).toBe(0);
  });

  it('can be told to answer 201 with status Failed', async () => {
    const seed = contosoSeed();
    seed.behaviour = { failScheduleRequests: [{ principalId: U.carol }] };
    await start(seed);
    const res = await call('POST', `${PIM}/eligibilityScheduleRequests`, eligibility(U.carol, { type: 'afterDuration', duration: 'P30D' }));
    expect(res.status).toBe(201);
    expect(res.body!.status).toBe('Failed');
    expect(sim.state.eligibilitySchedules.size).toBe(0);
  });

  it('new schedules 404 on their first direct reads (eventual consistency)', async () => {
    await start(contosoSeed(), { notFoundAfterCreate: 2 });
    const res = await call('POST', `${PIM}/eligibilityScheduleRequests`, eligibility(U.alice, { type: 'afterDuration', duration: 'P30D' }));
    const url = `${PIM}/eligibilitySchedules/${res.body!.targetScheduleId}`;
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call('GET', url)).status);
    expect(statuses).toEqual([404, 404, 200]);
    expect((await call('GET', url)).body!.error).toBeUndefined();
  });

  it('lists eligibility requests only with PrivilegedEligibilitySchedule.ReadWrite; delegated without a filter lists the caller\'s own (Learn "List eligibilityScheduleRequests")', async () => {
    await start();
    expect(
      (await call('POST', `${PIM}/eligibilityScheduleRequests`, eligibility(U.alice, { type: 'afterDuration', duration: 'P30D' }))).status,
    ).toBe(201);
    expect(
      (await call('POST', `${PIM}/eligibilityScheduleRequests`, eligibility(U.bob, { type: 'afterDuration', duration: 'P30D' }))).status,
    ).toBe(201);
    const byGroup = `${PIM}/eligibilityScheduleRequests?$filter=${encodeURIComponent(`groupId eq '${G.tenantAdmin}'`)}`;
    const readOnly = await sim.issueToken({ roles: ['PrivilegedEligibilitySchedule.Read.AzureADGroup'] });
    expect((await call('GET', byGroup, undefined, readOnly)).status).toBe(403);
    const readWrite = await sim.issueToken({ roles: ['PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup'] });
    expect((await call('GET', byGroup, undefined, readWrite)).body!.value).toHaveLength(2);
    expect((await call('GET', `${PIM}/eligibilityScheduleRequests`, undefined, readWrite)).status).toBe(400);
    const alice = await sim.issueToken({ scp: 'PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup', oid: U.alice });
    const own = await call('GET', `${PIM}/eligibilityScheduleRequests`, undefined, alice);
    expect(own.status).toBe(200);
    expect(own.body!.value.map((r: { principalId: string }) => r.principalId)).toEqual([U.alice]);
  });

  it('cancels eligibility requests only with PrivilegedEligibilitySchedule.ReadWrite, not .Remove (Learn "cancel" permission table)', async () => {
    await start();
    const created = await call(
      'POST',
      `${PIM}/eligibilityScheduleRequests`,
      eligibility(U.alice, { type: 'afterDuration', duration: 'P30D' }),
    );
    expect(created.status).toBe(201);
    const url = `${PIM}/eligibilityScheduleRequests/${created.body!.id}/cancel`;
    const removeOnly = await sim.issueToken({ roles: ['PrivilegedEligibilitySchedule.Remove.AzureADGroup'] });
    expect((await call('POST', url, undefined, removeOnly)).status).toBe(403);
    const readWrite = await sim.issueToken({ roles: ['PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup'] });
    // Provisioned at once, so not cancellable: past the permission check, PIM's own 400.
    expect((await call('POST', url, undefined, readWrite)).status).toBe(400);
  });

  it('checks the delegated caller directory role (role-assignable groups need PRA)', async () => {
    await start();
    const scp = 'PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup';
    const groupsAdmin = await sim.issueToken({ scp, oid: U.groupsAdmin });
    const body = eligibility(U.alice, { type: 'afterDuration', duration: 'P30D' });
    expect((await call('POST', `${PIM}/eligibilityScheduleRequests`, body, groupsAdmin)).status).toBe(201);
    const raBody = { ...eligibility(U.alice, { type: 'afterDuration', duration: 'P30D' }), groupId: G.roleAssignableAdmins };
    expect((await call('POST', `${PIM}/eligibilityScheduleRequests`, raBody, groupsAdmin)).status).toBe(403);
    const pra = await sim.issueToken({ scp, oid: U.pra });
    expect((await call('POST', `${PIM}/eligibilityScheduleRequests`, raBody, pra)).status).toBe(201);
    const alice = await sim.issueToken({ scp, oid: U.alice });
    expect(
      (await call('POST', `${PIM}/eligibilityScheduleRequests`, eligibility(U.bob, { type: 'afterDuration', duration: 'P30D' }), alice))
        .status,
    ).toBe(403);
  });
});

describe('PIM for Groups active assignments and activation', () => {
  const activation = (extra: Record<string, unknown> = {}) => ({
    accessId: 'member',
    principalId: U.alice,
    groupId: G.tenantAdmin,
    action: 'selfActivate',
    scheduleInfo: { startDateTime: iso(0), expiration: { type: 'afterDuration', duration: 'PT2H' } },
    justification: 'Spark maintenance',
    ...extra,
  });

  async function makeAliceEligible() {
    const res = await call('POST', `${PIM}/eligibilityScheduleRequests`, eligibility(U.alice, { type: 'afterDuration', duration: 'P30D' }));
    expect(res.status).toBe(201);
    return sim.issueToken({ scp: 'PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup GroupMember.Read.All', oid: U.alice, amr: ['pwd'] });
  }

  it('surfaces standing members as permanent "assigned" instances once onboarded', async () => {
    await start();
    const filter = `?$filter=${encodeURIComponent(`groupId eq '${G.tenantAdmin}'`)}`;
    expect((await call('GET', `${PIM}/assignmentScheduleInstances${filter}`)).body!.value).toEqual([]);
    await makeAliceEligible();
    const instances = (await call('GET', `${PIM}/assignmentScheduleInstances${filter}`)).body!.value as Record<string, unknown>[];
    const members = instances.filter((i) => i.accessId === 'member');
    expect(members.map((i) => i.principalId).sort()).toEqual([U.carol, U.dave].sort());
    expect(members[0]).toMatchObject({ assignmentType: 'Assigned', memberType: 'Direct', endDateTime: null });
    expect(instances.some((i) => i.accessId === 'owner' && i.principalId === U.erin)).toBe(true);
    await call('DELETE', `/v1.0/groups/${G.tenantAdmin}/members/${U.carol}/$ref`);
    const after = (await call('GET', `${PIM}/assignmentScheduleInstances${filter}`)).body!.value as Record<string, unknown>[];
    expect(after.filter((i) => i.accessId === 'member').map((i) => i.principalId)).toEqual([U.dave]);
  });

  it('self-activation makes the user a direct member until the window ends', async () => {
    await start();
    const alice = await makeAliceEligible();
    const res = await call('POST', `${PIM}/assignmentScheduleRequests`, activation(), alice);
    expect(res.status).toBe(201);
    expect(res.body!.status).toBe('Provisioned');
    const members = await call('GET', `/v1.0/groups/${G.tenantAdmin}/members?$select=id`, undefined, alice);
    expect(members.body!.value.map((m: { id: string }) => m.id)).toContain(U.alice);
    const active = await call('GET', `${PIM}/assignmentScheduleInstances?$filter=${encodeURIComponent(`principalId eq '${U.alice}'`)}`);
    expect(active.body!.value).toEqual([expect.objectContaining({ assignmentType: 'Activated', groupId: G.tenantAdmin })]);
    expect((await call('POST', `${PIM}/assignmentScheduleRequests`, activation(), alice)).body!.error.code).toBe('RoleAssignmentExists');
    sim.advanceClock(2 * 3_600_000 + 1000);
    expect(sim.state.isMember(G.tenantAdmin, U.alice)).toBe(false);
  });

  it('enforces the activation rules: duration, justification, MFA, approval', async () => {
    await start();
    const alice = await makeAliceEligible();
    const tooLong = await call(
      'POST',
      `${PIM}/assignmentScheduleRequests`,
      activation({ scheduleInfo: { startDateTime: iso(0), expiration: { type: 'afterDuration', duration: 'PT9H' } } }),
      alice,
    );
    expect(tooLong.body!.error.message).toBe('The following policy rules failed: ["ExpirationRule"]');
    const noReason = await call('POST', `${PIM}/assignmentScheduleRequests`, activation({ justification: undefined }), alice);
    expect(noReason.body!.error.message).toBe('The following policy rules failed: ["JustificationRule"]');

    const policy = await memberPolicy(G.tenantAdmin);
    const rule = policy.policy.rules.find((r) => r.id === 'Enablement_EndUser_Assignment')!;
    const patch = await call('PATCH', `/v1.0/policies/roleManagementPolicies/${policy.policyId}/rules/${rule.id}`, {
      ...rule,
      enabledRules: ['Justification', 'MultiFactorAuthentication'],
    });
    expect(patch.status).toBe(204);
    const noMfa = await call('POST', `${PIM}/assignmentScheduleRequests`, activation(), alice);
    expect(noMfa.body!.error.message).toBe('The following policy rules failed: ["MfaRule"]');

    const approval = policy.policy.rules.find((r) => r.id === 'Approval_EndUser_Assignment')!;
    approval.setting.isApprovalRequired = true;
    approval.setting.approvalStages[0].primaryApprovers = [{ '@odata.type': '#microsoft.graph.singleUser', userId: U.erin }];
    expect((await call('PATCH', `/v1.0/policies/roleManagementPolicies/${policy.policyId}/rules/${approval.id}`, approval)).status).toBe(
      204,
    );
    const withMfa = await sim.issueToken({ scp: 'PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup', oid: U.alice, amr: ['pwd', 'mfa'] });
    const pending = await call('POST', `${PIM}/assignmentScheduleRequests`, activation(), withMfa);
    expect(pending.status).toBe(201);
    expect(pending.body!.status).toBe('PendingApproval');
    expect(sim.state.isMember(G.tenantAdmin, U.alice)).toBe(false);
  });

  it('refuses activation without eligibility and from app-only callers', async () => {
    await start();
    const bob = await sim.issueToken({ scp: 'PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup', oid: U.bob });
    expect((await call('POST', `${PIM}/assignmentScheduleRequests`, activation({ principalId: U.bob }), bob)).body!.error.code).toBe(
      'RoleAssignmentDoesNotExist',
    );
    await makeAliceEligible();
    expect((await call('POST', `${PIM}/assignmentScheduleRequests`, activation())).status).toBe(400);
  });

  it('admin active assignments add the member for their window', async () => {
    await start();
    const res = await call('POST', `${PIM}/assignmentScheduleRequests`, {
      accessId: 'member',
      principalId: U.bob,
      groupId: G.tenantAdmin,
      action: 'adminAssign',
      scheduleInfo: { startDateTime: iso(0), expiration: { type: 'afterDuration', duration: 'P1D' } },
      justification: 'break glass drill',
    });
    expect(res.status).toBe(201);
    expect(sim.state.isMember(G.tenantAdmin, U.bob)).toBe(true);
    sim.advanceClock(DAY + 1000);
    expect(sim.state.isMember(G.tenantAdmin, U.bob)).toBe(false);
  });
});
