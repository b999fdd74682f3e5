import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CONTOSO, SimulatedTenant, contosoSeed } from '../../src/sim/index.js';
import { ensureTestTls, type TestTls } from '../support/tls.js';
import { callSim } from '../support/sim.js';

const G = CONTOSO.groups;
let tls: TestTls;
let sim: SimulatedTenant;
let token: string;

const call = (method: string, path: string, body?: unknown, bearer = token) => callSim(sim.url, bearer, method, path, body);

async function policy(groupId: string, roleDefinitionId = 'member') {
  const filter = encodeURIComponent(`scopeId eq '${groupId}' and scopeType eq 'Group' and roleDefinitionId eq '${roleDefinitionId}'`);
  const res = await call('GET', `/v1.0/policies/roleManagementPolicyAssignments?$filter=${filter}&$expand=policy($expand=rules)`);
  return res.body!.value[0] as { id: string; policyId: string; policy: { rules: Record<string, any>[] } };
}

function ruleUrl(policyId: string, ruleId: string): string {
  return `/v1.0/policies/roleManagementPolicies/${policyId}/rules/${ruleId}`;
}

beforeAll(async () => {
  tls = await ensureTestTls();
});

beforeEach(async () => {
  sim = await SimulatedTenant.start({ seed: contosoSeed(), tls });
  token = await sim.issueToken({ roles: CONTOSO.automation.roles, appid: CONTOSO.automation.clientId });
});

afterEach(async () => {
  await sim.close();
});

describe('role management policies', () => {
  it('requires scopeId and scopeType in the assignment filter', async () => {
    const res = await call(
      'GET',
      `/v1.0/policies/roleManagementPolicyAssignments?$filter=${encodeURIComponent(`scopeId eq '${G.tenantAdmin}'`)}`,
    );
    expect(res.status).toBe(400);
  });

  it('gives every group member and owner policies with the 17 default rules', async () => {
    const member = await policy(G.userPf);
    const owner = await policy(G.userPf, 'owner');
    expect(member.policyId).not.toBe(owner.policyId);
    const rules = member.policy.rules;
    expect(rules.map((r) => r.id)).toHaveLength(17);
    expect(rules.find((r) => r.id === 'Expiration_Admin_Eligibility')).toMatchObject({
      '@odata.type': '#microsoft.graph.unifiedRoleManagementPolicyExpirationRule',
      isExpirationRequired: true,
      maximumDuration: 'P365D',
      target: { caller: 'Admin', level: 'Eligibility', operations: ['All'] },
    });
    expect(rules.find((r) => r.id === 'Expiration_EndUser_Assignment')).toMatchObject({
      maximumDuration: 'PT8H',
      target: { caller: 'EndUser', level: 'Assignment' },
    });
    expect(rules.filter((r) => r.id.startsWith('Notification_'))).toHaveLength(9);
  });

  it('answers GET of one policy assignment under the $entity context (Learn "Get unifiedRoleManagementPolicyAssignment")', async () => {
    const { id, policyId } = await policy(G.userPf);
    const res = await call('GET', `/v1.0/policies/roleManagementPolicyAssignments/${id}`);
    expect(res.status).toBe(200);
    expect(res.body!['@odata.context']).toMatch(/\/\$metadata#policies\/roleManagementPolicyAssignments\/\$entity$/);
    expect(res.body).toMatchObject({ id, policyId, scopeId: G.userPf, scopeType: 'Group', roleDefinitionId: 'member' });
  });

  it('answers a whole-policy PATCH with 200, the $entity context and no rules (Learn "Update unifiedRoleManagementPolicy", example 2)', async () => {
    const { policyId, policy: p } = await policy(G.userPf);
    const rule = p.rules.find((r) => r.id === 'Expiration_Admin_Eligibility')!;
    const res = await call('PATCH', `/v1.0/policies/roleManagementPolicies/${policyId}`, { rules: [rule] });
    expect(res.status).toBe(200);
    expect(res.body!['@odata.context']).toMatch(/\/\$metadata#policies\/roleManagementPolicies\/\$entity$/);
    expect(res.body).toMatchObject({
      displayName: 'Group',
      description: 'Group',
      isOrganizationDefault: false,
      scopeId: G.userPf,
      scopeType: 'Group',
    });
    expect(res.body).not.toHaveProperty('rules');
  });

  it('rejects rule PATCHes without @odata.type, id or target, and out-of-range values', async () => {
    const { policyId, policy: p } = await policy(G.tenantAdmin);
    const rule = p.rules.find((r) => r.id === 'Expiration_EndUser_Assignment')!;
    const { '@odata.type': _type, ...untyped } = rule;
    const { target: _target, ...untargeted } = rule;
    const cases: Record<string, unknown>[] = [
      { ...untyped, maximumDuration: 'PT2H' },
      { ...rule, id: 'Expiration_Admin_Eligibility', maximumDuration: 'PT2H' },
      { ...untargeted, maximumDuration: 'PT2H' },
      { ...rule, maximumDuration: 'PT25H' },
      { ...rule, isExpirationRequired: true, maximumDuration: undefined },
    ];
    for (const body of cases) {
      const res = await call('PATCH', ruleUrl(policyId, rule.id), body);
      expect(res.status).toBe(400);
    }
    const approval = p.rules.find((r) => r.id === 'Approval_EndUser_Assignment')!;
    const noApprover = structuredClone(approval);
    noApprover.setting.isApprovalRequired = true;
    expect((await call('PATCH', ruleUrl(policyId, approval.id), noApprover)).status).toBe(400);
    // Nothing was written, so the group is still not onboarded and the id is stable.
    expect(sim.state.onboarded.has(G.tenantAdmin)).toBe(false);
    expect((await policy(G.tenantAdmin)).policyId).toBe(policyId);
  });

  it('a valid PATCH onboards the group and moves the policy to a new id', async () => {
    const before = await policy(G.tenantAdmin);
    const rule = before.policy.rules.find((r) => r.id === 'Expiration_EndUser_Assignment')!;
    const res = await call('PATCH', ruleUrl(before.policyId, rule.id), { ...rule, maximumDuration: 'PT2H' });
    expect(res.status).toBe(204);
    expect(sim.state.onboarded.has(G.tenantAdmin)).toBe(true);
    const after = await policy(G.tenantAdmin);
    expect(after.policyId).not.toBe(before.policyId);
    expect(after.id).not.toBe(before.id);
    expect(after.policy.rules.find((r) => r.id === rule.id)!.maximumDuration).toBe('PT2H');
    expect((await call('GET', ruleUrl(before.policyId, rule.id))).status).toBe(404);
    expect((await call('GET', `/v1.0/policies/roleManagementPolicyAssignments/${before.id}`)).status).toBe(404);
  });

  it('applies a tightened eligibility maximum to later requests', async () => {
    const { policyId, policy: p } = await policy(G.tenantAdmin);
    const rule = p.rules.find((r) => r.id === 'Expiration_Admin_Eligibility')!;
    expect((await call('PATCH', ruleUrl(policyId, rule.id), { ...rule, maximumDuration: 'P30D' })).status).toBe(204);
    const request = (duration: string) => ({
      accessId: 'member',
      principalId: CONTOSO.users.alice,
      groupId: G.tenantAdmin,
      action: 'adminAssign',
      scheduleInfo: { startDateTime: new Date(sim.clock.nowMs()).toISOString(), expiration: { type: 'afterDuration', duration } },
    });
    const long = await call('POST', '/v1.0/identityGovernance/privilegedAccess/group/eligibilityScheduleRequests', request('P60D'));
    expect(long.body!.error.code).toBe('RoleAssignmentRequestPolicyValidationFailed');
    const short = await call('POST', '/v1.0/identityGovernance/privilegedAccess/group/eligibilityScheduleRequests', request('P30D'));
    expect(short.status).toBe(201);
  });

  it('lets only Privileged Role Administrators edit rules with a delegated token', async () => {
    const { policyId, policy: p } = await policy(G.tenantAdmin);
    const rule = p.rules.find((r) => r.id === 'Expiration_EndUser_Assignment')!;
    const scp = 'RoleManagementPolicy.ReadWrite.AzureADGroup';
    const groupsAdmin = await sim.issueToken({ scp, oid: CONTOSO.users.groupsAdmin });
    expect((await call('PATCH', ruleUrl(policyId, rule.id), { ...rule, maximumDuration: 'PT4H' }, groupsAdmin)).status).toBe(403);
    const pra = await sim.issueToken({ scp, oid: CONTOSO.users.pra });
    expect((await call('PATCH', ruleUrl(policyId, rule.id), { ...rule, maximumDuration: 'PT4H' }, pra)).status).toBe(204);
  });
});
