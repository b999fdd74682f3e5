/**
 * Contract tests, PIM for Groups policies. Facts restate the documented example responses of
 * Learn "List roleManagementPolicyAssignments" (policyroot-list-rolemanagementpolicyassignments,
 * example 4: a group's policy with `$expand=policy($expand=rules)`) and "Update
 * unifiedRoleManagementPolicyRule" (unifiedrolemanagementpolicyrule-update), in
 * microsoft-graph-docs-contrib api-reference/v1.0/api/.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { diffPolicyRules } from '../../src/steps/pim-policy.js';
import { loadMemberPolicy } from '../../src/entra/pim.js';
import { eligibilityWindow } from '../../src/steps/eligibility-window.js';
import type { PolicyRule } from '../../src/entra/pim.js';
import { FakeGraph } from '../support/fake-graph.js';
import {
  appToken,
  arrayOf,
  call,
  checkCollection,
  checkFacts,
  closeSims,
  CONTOSO,
  oneOf,
  shape,
  sim,
  type Fact,
  type Facts,
} from './facts.js';

afterEach(closeSims);

const G = CONTOSO.groups.tenantAdmin;
const FILTER = encodeURIComponent(`scopeId eq '${G}' and scopeType eq 'Group' and roleDefinitionId eq 'member'`);

/** Example 4: the rules of a group's policy, in this order. */
const DOCUMENTED_RULE_IDS = [
  'Expiration_Admin_Eligibility',
  'Enablement_Admin_Eligibility',
  'Notification_Admin_Admin_Eligibility',
  'Notification_Requestor_Admin_Eligibility',
  'Notification_Approver_Admin_Eligibility',
  'Expiration_Admin_Assignment',
  'Enablement_Admin_Assignment',
  'Notification_Admin_Admin_Assignment',
  'Notification_Requestor_Admin_Assignment',
  'Notification_Approver_Admin_Assignment',
  'Expiration_EndUser_Assignment',
  'Enablement_EndUser_Assignment',
  'Approval_EndUser_Assignment',
  'AuthenticationContext_EndUser_Assignment',
  'Notification_Admin_EndUser_Assignment',
  'Notification_Requestor_EndUser_Assignment',
  'Notification_Approver_EndUser_Assignment',
];

/** A rule target as the answers write it: no `@odata.type`, `operations: ["All"]`. */
const TARGET: Fact = shape({
  caller: oneOf('Admin', 'EndUser'),
  operations: arrayOf(oneOf('All')),
  level: oneOf('Eligibility', 'Assignment'),
  inheritableSettings: 'array',
  enforcedSettings: 'array',
});

const RULE_FACTS: Record<string, Facts> = {
  '#microsoft.graph.unifiedRoleManagementPolicyExpirationRule': {
    id: 'string',
    isExpirationRequired: 'boolean',
    maximumDuration: 'string',
    target: TARGET,
  },
  '#microsoft.graph.unifiedRoleManagementPolicyEnablementRule': {
    id: 'string',
    enabledRules: arrayOf(oneOf('MultiFactorAuthentication', 'Justification', 'Ticketing')),
    target: TARGET,
  },
  '#microsoft.graph.unifiedRoleManagementPolicyApprovalRule': {
    id: 'string',
    target: TARGET,
    setting: shape({
      isApprovalRequired: 'boolean',
      isApprovalRequiredForExtension: 'boolean',
      isRequestorJustificationRequired: 'boolean',
      approvalMode: oneOf('SingleStage', 'Serial', 'Parallel', 'NoApproval'),
      approvalStages: arrayOf(
        shape({
          approvalStageTimeOutInDays: 'number',
          isApproverJustificationRequired: 'boolean',
          escalationTimeInMinutes: 'number',
          isEscalationEnabled: 'boolean',
          primaryApprovers: 'array',
          escalationApprovers: 'array',
        }),
      ),
    }),
  },
  '#microsoft.graph.unifiedRoleManagementPolicyAuthenticationContextRule': {
    id: 'string',
    isEnabled: 'boolean',
    claimValue: 'string|null',
    target: TARGET,
  },
  '#microsoft.graph.unifiedRoleManagementPolicyNotificationRule': {
    id: 'string',
    notificationType: oneOf('Email'),
    recipientType: oneOf('Requestor', 'Approver', 'Admin'),
    notificationLevel: oneOf('None', 'Critical', 'All'),
    isDefaultRecipientsEnabled: 'boolean',
    notificationRecipients: 'array',
    target: TARGET,
  },
};

const ASSIGNMENT_FACTS: Facts = {
  id: 'string',
  policyId: 'string',
  scopeId: 'string',
  scopeType: oneOf('Group'),
  roleDefinitionId: oneOf('member', 'owner'),
  policy: shape({
    id: 'string',
    displayName: oneOf('Group'),
    description: oneOf('Group'),
    isOrganizationDefault: 'boolean',
    scopeId: 'string',
    scopeType: oneOf('Group'),
    lastModifiedDateTime: 'string|null',
    lastModifiedBy: shape({ displayName: 'string|null', id: 'string|null' }),
    rules: 'array',
  }),
};

function ruleProblems(rules: Array<Record<string, unknown>>): string[] {
  return rules.flatMap((r) => {
    const facts = RULE_FACTS[String(r['@odata.type'])];
    if (!facts) return [`${String(r.id)}: unknown @odata.type ${String(r['@odata.type'])}`];
    const out = checkFacts(r, facts).map((m) => `${String(r.id)}.${m}`);
    if (r.target && typeof r.target === 'object' && '@odata.type' in r.target)
      out.push(`${String(r.id)}.target: has @odata.type, the answers write none`);
    return out;
  });
}

describe('GET roleManagementPolicyAssignments with the policy and its rules (policyroot-list-rolemanagementpolicyassignments)', () => {
  it('answers with the documented shape, rule order and values, with RoleManagementPolicy.Read.AzureADGroup (least privileged)', async () => {
    const s = await sim();
    const token = await appToken(s, 'RoleManagementPolicy.Read.AzureADGroup');
    const res = await call(s, token, 'GET', `/policies/roleManagementPolicyAssignments?$filter=${FILTER}&$expand=policy($expand=rules)`);
    expect(res.status).toBe(200);
    expect(checkCollection(res.body, 'policies/roleManagementPolicyAssignments(policy(rules()))', ASSIGNMENT_FACTS)).toEqual([]);
    const a = res.body!.value[0];
    expect(a.policyId).toMatch(new RegExp(`^Group_${G}_[0-9a-f-]{36}$`));
    expect(a.id).toBe(`${a.policyId}_member`);
    expect(a.policy.id).toBe(a.policyId);
    const rules = a.policy.rules as Array<Record<string, unknown>>;
    expect(rules.map((r) => r.id)).toEqual(DOCUMENTED_RULE_IDS);
    expect(ruleProblems(rules)).toEqual([]);
    // The documented values of a group policy.
    const byId = Object.fromEntries(rules.map((r) => [r.id, r]));
    expect(byId.Expiration_Admin_Eligibility).toMatchObject({ isExpirationRequired: true, maximumDuration: 'P365D' });
    expect(byId.Expiration_Admin_Assignment).toMatchObject({ isExpirationRequired: true, maximumDuration: 'P180D' });
    expect(byId.Expiration_EndUser_Assignment).toMatchObject({ isExpirationRequired: true, maximumDuration: 'PT8H' });
    expect(byId.Enablement_EndUser_Assignment).toMatchObject({ enabledRules: ['Justification'] });
    expect(byId.AuthenticationContext_EndUser_Assignment).toMatchObject({ isEnabled: false, claimValue: null });
  });

  it('the tool reads the documented policy: its id, its rules, the eligibility maximum', async () => {
    const policyId = 'Group_7e526275-0000-4dc6-932a-4db521cccf96_c2e2ba31-f113-406b-9e86-4ae08781ce2e';
    const target = { caller: 'EndUser', operations: ['All'], level: 'Assignment', inheritableSettings: [], enforcedSettings: [] };
    const rules: PolicyRule[] = [
      {
        '@odata.type': '#microsoft.graph.unifiedRoleManagementPolicyExpirationRule',
        id: 'Expiration_Admin_Eligibility',
        isExpirationRequired: true,
        maximumDuration: 'P365D',
        target: { ...target, caller: 'Admin', level: 'Eligibility' },
      },
      {
        '@odata.type': '#microsoft.graph.unifiedRoleManagementPolicyExpirationRule',
        id: 'Expiration_EndUser_Assignment',
        isExpirationRequired: true,
        maximumDuration: 'PT8H',
        target,
      },
      {
        '@odata.type': '#microsoft.graph.unifiedRoleManagementPolicyEnablementRule',
        id: 'Enablement_EndUser_Assignment',
        enabledRules: ['Justification'],
        target,
      },
      {
        '@odata.type': '#microsoft.graph.unifiedRoleManagementPolicyAuthenticationContextRule',
        id: 'AuthenticationContext_EndUser_Assignment',
        isEnabled: false,
        claimValue: null,
        target,
      },
    ];
    const documented = [
      {
        id: `${policyId}_member`,
        policyId,
        scopeId: '7e526275-0000-4dc6-932a-4db521cccf96',
        scopeType: 'Group',
        roleDefinitionId: 'member',
        policy: {
          id: policyId,
          displayName: 'Group',
          description: 'Group',
          isOrganizationDefault: false,
          scopeId: '7e526275-0000-4dc6-932a-4db521cccf96',
          scopeType: 'Group',
          lastModifiedDateTime: null,
          lastModifiedBy: { displayName: null, id: null },
          rules,
        },
      },
    ];
    const graph = new FakeGraph({ '/policies/roleManagementPolicyAssignments*': documented });
    const loaded = await loadMemberPolicy(graph as never, '7e526275-0000-4dc6-932a-4db521cccf96');
    expect(loaded.policyId).toBe(policyId);

    const now = new Date('2026-12-01T10:00:00Z');
    // The documented maximum (P365D) is read; the default window is the shorter 90 days.
    const rule = loaded.rules.find((r) => r.id === 'Expiration_Admin_Eligibility');
    expect(rule).toMatchObject({ isExpirationRequired: true, maximumDuration: 'P365D' });
    const w = eligibilityWindow({ duration: String(rule?.maximumDuration) }, now, rule);
    expect('end' in w && w.end.toISOString()).toBe('2027-12-01T10:00:00.000Z');

    // A PATCH built from the documented rules restates the derived @odata.type, id and target.
    const patches = diffPolicyRules(loaded.rules, { activationMax: 'PT2H', approvers: [] }, []);
    expect(patches).toEqual([
      {
        '@odata.type': '#microsoft.graph.unifiedRoleManagementPolicyExpirationRule',
        id: 'Expiration_EndUser_Assignment',
        isExpirationRequired: true,
        maximumDuration: 'PT2H',
        target,
      },
    ]);
    expect(diffPolicyRules(loaded.rules, { activationMax: 'PT8H', requireJustification: true, approvers: [] }, [])).toEqual([]);
  });
});

describe('PATCH a policy rule (unifiedrolemanagementpolicyrule-update)', () => {
  it('answers 204 No Content to the documented request body, with RoleManagementPolicy.ReadWrite.AzureADGroup (least privileged)', async () => {
    const s = await sim();
    const token = await appToken(s, 'RoleManagementPolicy.ReadWrite.AzureADGroup');
    const list = await call(s, token, 'GET', `/policies/roleManagementPolicyAssignments?$filter=${FILTER}`);
    const policyId = list.body!.value[0].policyId as string;
    const res = await call(s, token, 'PATCH', `/policies/roleManagementPolicies/${policyId}/rules/Expiration_EndUser_Assignment`, {
      '@odata.type': '#microsoft.graph.unifiedRoleManagementPolicyExpirationRule',
      id: 'Expiration_EndUser_Assignment',
      isExpirationRequired: true,
      maximumDuration: 'PT1H45M',
      target: {
        '@odata.type': 'microsoft.graph.unifiedRoleManagementPolicyRuleTarget',
        caller: 'EndUser',
        operations: ['All'],
        level: 'Assignment',
        inheritableSettings: [],
        enforcedSettings: [],
      },
    });
    expect(res).toEqual({ status: 204, body: undefined });
    // Patching a group's rule onboards the group: the policy id changes (Learn "PIM for Groups APIs overview", onboarding), so read it again.
    const again = await call(s, token, 'GET', `/policies/roleManagementPolicyAssignments?$filter=${FILTER}&$expand=policy($expand=rules)`);
    const rules = again.body!.value[0].policy.rules as Array<Record<string, unknown>>;
    expect(ruleProblems(rules)).toEqual([]);
    expect(rules.find((r) => r.id === 'Expiration_EndUser_Assignment')).toMatchObject({ maximumDuration: 'PT1H45M' });
  });
});
