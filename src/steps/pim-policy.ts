import type { PolicySettings, RunContext, RunOptions } from '../context.js';
import { valueOf, type TenantSnapshot } from './snapshot.js';
import { graphOpOf, graphRequest, graphWrite, type GraphWrite } from '../graph/writes.js';
import { humanDuration, parseDuration } from '../core/duration.js';
import type { Action, Step, StepPlan } from '../plan/types.js';
import type { Finding } from '../core/findings.js';
import { finding } from '../core/findings.js';
import { needFact } from '../plan/skip.js';
import { loadMemberPolicy, type PolicyRule } from '../entra/pim.js';
import { analyseApprovers } from '../entra/approvers.js';
import type { ApproverRef } from '../entra/lookup.js';
import { canonicalEnum } from '../graph/enums.js';

const RULE_TYPE = {
  expiration: '#microsoft.graph.unifiedRoleManagementPolicyExpirationRule',
  enablement: '#microsoft.graph.unifiedRoleManagementPolicyEnablementRule',
  approval: '#microsoft.graph.unifiedRoleManagementPolicyApprovalRule',
};

/**
 * The enablement rules PIM knows (Learn "unifiedRoleManagementPolicyEnablementRule resource type"),
 * in the casing the examples write.
 */
const ENABLEMENT_RULES = ['MultiFactorAuthentication', 'Justification', 'Ticketing'] as const;

/**
 * The default activation maximum of a PIM policy (Expiration_EndUser_Assignment in the example
 * response of Learn "Get unifiedRoleManagementPolicy").
 */
export const DEFAULT_ACTIVATION_MAX = 'PT8H';

/** Above this, Microsoft's Graph overview says activation is not supported (portal allows 24 h). */
const RECOMMENDED_MAX_MS = 8 * 3600_000;

function ruleOf(rules: PolicyRule[], id: string): PolicyRule | undefined {
  return rules.find((r) => r.id === id);
}

/** Canonical form for comparing approvers regardless of order. */
function approverKey(list: unknown): string {
  const arr = Array.isArray(list) ? (list as Array<Record<string, unknown>>) : [];
  return arr
    .map((a) => `${a['@odata.type']}:${a.userId ?? a.groupId ?? ''}`)
    .sort()
    .join(',');
}

/**
 * The rules to PATCH so the policy matches the settings: full rule bodies (each with its
 * derived @odata.type, id and target, which Graph requires), only for rules that differ.
 */
export function diffPolicyRules(current: PolicyRule[], desired: PolicySettings, approvers: ApproverRef[]): PolicyRule[] {
  const patches: PolicyRule[] = [];
  const expiration = ruleOf(current, 'Expiration_EndUser_Assignment');
  if (desired.activationMax !== undefined) {
    const want = parseDuration(desired.activationMax);
    const have = expiration?.maximumDuration ? parseDuration(String(expiration.maximumDuration)) : undefined;
    if (!expiration || expiration.isExpirationRequired !== true || have !== want) {
      patches.push({
        '@odata.type': RULE_TYPE.expiration,
        id: 'Expiration_EndUser_Assignment',
        isExpirationRequired: true,
        maximumDuration: desired.activationMax,
        target: expiration?.target ?? defaultTarget('EndUser', 'Assignment'),
      });
    }
  }
  const enablement = ruleOf(current, 'Enablement_EndUser_Assignment');
  if (desired.requireJustification !== undefined || desired.requireMfa !== undefined) {
    // Graph's casing of the names may differ from ours; canonical names keep the set free of near-duplicates.
    const have = new Set(((enablement?.enabledRules as string[] | undefined) ?? []).map((r) => canonicalEnum(r, ENABLEMENT_RULES)));
    const want = new Set(have);
    const toggle = (name: string, on: boolean | undefined) => {
      if (on === true) want.add(name);
      if (on === false) want.delete(name);
    };
    toggle('Justification', desired.requireJustification);
    toggle('MultiFactorAuthentication', desired.requireMfa);
    if (want.size !== have.size || [...want].some((r) => !have.has(r))) {
      patches.push({
        '@odata.type': RULE_TYPE.enablement,
        id: 'Enablement_EndUser_Assignment',
        enabledRules: [...want].sort(),
        target: enablement?.target ?? defaultTarget('EndUser', 'Assignment'),
      });
    }
  }
  const approval = ruleOf(current, 'Approval_EndUser_Assignment');
  if (desired.requireApproval !== undefined) {
    const setting = (approval?.setting ?? {}) as Record<string, unknown>;
    const stages = (setting.approvalStages as Array<Record<string, unknown>> | undefined) ?? [];
    const primary = desired.requireApproval
      ? approvers.map((a) =>
          a.kind === 'user'
            ? { '@odata.type': '#microsoft.graph.singleUser', userId: a.id }
            : { '@odata.type': '#microsoft.graph.groupMembers', groupId: a.id },
        )
      : [];
    const same =
      setting.isApprovalRequired === desired.requireApproval &&
      (!desired.requireApproval || approverKey(stages[0]?.primaryApprovers) === approverKey(primary));
    if (!same) {
      patches.push({
        '@odata.type': RULE_TYPE.approval,
        id: 'Approval_EndUser_Assignment',
        setting: {
          isApprovalRequired: desired.requireApproval,
          isApprovalRequiredForExtension: false,
          isRequestorJustificationRequired: true,
          approvalMode: 'SingleStage',
          approvalStages: [
            {
              approvalStageTimeOutInDays: 1,
              isApproverJustificationRequired: true,
              escalationTimeInMinutes: 0,
              isEscalationEnabled: false,
              primaryApprovers: primary,
              escalationApprovers: [],
            },
          ],
        },
        target: approval?.target ?? defaultTarget('EndUser', 'Assignment'),
      });
    }
  }
  return patches;
}

function defaultTarget(caller: 'EndUser' | 'Admin', level: 'Assignment' | 'Eligibility') {
  return {
    '@odata.type': 'microsoft.graph.unifiedRoleManagementPolicyRuleTarget',
    caller,
    operations: ['All'],
    level,
    inheritableSettings: [],
    enforcedSettings: [],
  };
}

function describePatch(rule: PolicyRule): string {
  switch (rule.id) {
    case 'Expiration_EndUser_Assignment':
      return `activation lasts at most ${humanDuration(parseDuration(String(rule.maximumDuration)))} (${rule.maximumDuration})`;
    case 'Enablement_EndUser_Assignment': {
      const rules = rule.enabledRules as string[];
      return `activation requires ${rules.length ? rules.join(' and ') : 'nothing extra'}`;
    }
    case 'Approval_EndUser_Assignment': {
      const s = rule.setting as { isApprovalRequired: boolean; approvalStages: Array<{ primaryApprovers: unknown[] }> };
      return s.isApprovalRequired
        ? `activation requires approval by ${s.approvalStages[0].primaryApprovers.length} approver(s)`
        : 'activation needs no approval';
    }
    default:
      return rule.id;
  }
}

/**
 * Pure: the activation maximum the policy has after this run (ISO duration): the requested one,
 * else the policy's, else PIM's default. The keycloak step compares session lifetimes with it.
 */
export function activationMaxOf(rules: PolicyRule[], desired: PolicySettings): string {
  const current = ruleOf(rules, 'Expiration_EndUser_Assignment');
  return desired.activationMax ?? (current?.maximumDuration as string | undefined) ?? DEFAULT_ACTIVATION_MAX;
}

/** Pure: the rule changes that make the member policy match the requested activation settings. */
export function planPolicy(snapshot: TenantSnapshot, options: RunOptions): StepPlan {
  needFact(snapshot.facts.group, 'the admin group');
  const findings: Finding[] = [];
  const policy = valueOf(needFact(snapshot.memberPolicy, 'the PIM policy of the group'));
  const rules = policy.rules;
  const desired = options.policy;
  const activationMax = activationMaxOf(rules, desired);
  if (parseDuration(activationMax) > RECOMMENDED_MAX_MS) {
    findings.push(
      finding(
        'warning',
        'ACTIVATION_LONG',
        `activations may last ${humanDuration(parseDuration(activationMax))}; Microsoft documents up to 8 hours for PIM for ` +
          `Groups and recommends short windows for admin groups`,
        'use --activation-max PT8H or less',
      ),
    );
  }
  const approval = ruleOf(rules, 'Approval_EndUser_Assignment')?.setting as { isApprovalRequired?: boolean } | undefined;
  if (desired.requireApproval === undefined && !approval?.isApprovalRequired) {
    findings.push(
      finding(
        'info',
        'APPROVAL_OFF',
        'activation needs no approval; Microsoft recommends approval for groups that grant admin rights',
        'add --require-approval --approver <user or group>',
      ),
    );
  }
  // Looked up by the read phase (a prompt when a name is ambiguous); judged here.
  const approvers: ApproverRef[] = [];
  if (desired.requireApproval) {
    const judged = analyseApprovers(valueOf(needFact(snapshot.approvers, 'the approvers')));
    findings.push(...judged.findings);
    approvers.push(...judged.refs);
  }
  if (desired.requireApproval && options.policy.approvers.length === 0) {
    findings.push(finding('error', 'APPROVER_MISSING', '--require-approval needs at least one --approver'));
  }
  const patches = diffPolicyRules(rules, desired, approvers);
  const policyId = policy.policyId;
  const actions: Action[] = patches.map((rule) => ({
    kind: 'update',
    target: 'graph',
    summary: describePatch(rule),
    ...graphWrite({ op: 'policy.patchRule', policyId, ruleId: rule.id, rule }),
  }));
  if (actions.length === 0) actions.push({ kind: 'noop', summary: 'activation policy already as requested' });
  if (patches.length && !(snapshot.pim?.ok && snapshot.pim.value.onboarded)) {
    findings.push(
      finding(
        'info',
        'POLICY_ONBOARDS',
        'the policy ids change when the group is onboarded to PIM; they are re-read just before each change',
      ),
    );
  }
  return { findings, actions };
}

/** The member activation settings of the group's PIM policy. */
export const pimPolicyStep: Step<RunContext, TenantSnapshot> = {
  id: 'pim-policy',
  title: 'PIM activation policy',
  plan: (snapshot, options) => planPolicy(snapshot, options),
  async apply(plan, ctx, snapshot) {
    const group = needFact(snapshot.facts.group, 'the admin group');
    const writes = plan.actions.filter((a) => graphOpOf(a)?.op === 'policy.patchRule');
    if (writes.length === 0) return;
    for (const action of writes) {
      // Onboarding (by the eligibility step, or by the first PATCH here) changes the policy id,
      // so each PATCH goes to the id read just before it.
      const { policyId } = await loadMemberPolicy(ctx.graph, group.id);
      const planned = graphOpOf(action) as Extract<GraphWrite, { op: 'policy.patchRule' }>;
      const op: GraphWrite = { ...planned, policyId };
      const request = graphRequest(op);
      const res = await ctx.graph.write(op);
      action.result = { ok: res.status < 300, status: res.status, sent: policyId !== planned.policyId ? request : undefined };
      if (!action.result.ok) throw ctx.graph.error(request, res);
    }
  },
};
