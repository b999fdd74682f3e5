import { GraphError } from './errors.js';
import { parseDuration } from './duration.js';
import type { PolicyRule } from './seed.js';

export const RULE_TYPES = {
  expiration: '#microsoft.graph.unifiedRoleManagementPolicyExpirationRule',
  enablement: '#microsoft.graph.unifiedRoleManagementPolicyEnablementRule',
  approval: '#microsoft.graph.unifiedRoleManagementPolicyApprovalRule',
  authenticationContext: '#microsoft.graph.unifiedRoleManagementPolicyAuthenticationContextRule',
  notification: '#microsoft.graph.unifiedRoleManagementPolicyNotificationRule',
} as const;

type Caller = 'Admin' | 'EndUser';
type Level = 'Eligibility' | 'Assignment';

/**
 * A rule target as the documented answers write it (Learn "List roleManagementPolicyAssignments",
 * policyroot-list-rolemanagementpolicyassignments, example 4): no `@odata.type`, operations `["All"]`.
 */
function target(caller: Caller, level: Level): Record<string, unknown> {
  return {
    caller,
    operations: ['All'],
    level,
    inheritableSettings: [],
    enforcedSettings: [],
  };
}

function notifications(suffix: string, caller: Caller, level: Level): PolicyRule[] {
  return ['Admin', 'Requestor', 'Approver'].map((recipientType) => ({
    '@odata.type': RULE_TYPES.notification,
    id: `Notification_${recipientType}_${suffix}`,
    notificationType: 'Email',
    recipientType,
    notificationLevel: 'All',
    isDefaultRecipientsEnabled: true,
    notificationRecipients: [],
    target: target(caller, level),
  }));
}

/**
 * The 17 rules of a PIM-for-Groups policy, in the order, with the values and the JSON types of
 * the documented group example (Learn "List roleManagementPolicyAssignments", example 4:
 * `scopeType eq 'Group'` with `$expand=policy($expand=rules)`): eligibility expires after at
 * most P365D, active admin assignments after P180D, activation after PT8H; justification on
 * active admin assignment and on activation; no approval; authentication context off with
 * `claimValue: null`; every notification Email/All to the default recipients.
 */
export function defaultGroupPolicyRules(): PolicyRule[] {
  return [
    {
      '@odata.type': RULE_TYPES.expiration,
      id: 'Expiration_Admin_Eligibility',
      isExpirationRequired: true,
      maximumDuration: 'P365D',
      target: target('Admin', 'Eligibility'),
    },
    {
      '@odata.type': RULE_TYPES.enablement,
      id: 'Enablement_Admin_Eligibility',
      enabledRules: [],
      target: target('Admin', 'Eligibility'),
    },
    ...notifications('Admin_Eligibility', 'Admin', 'Eligibility'),
    {
      '@odata.type': RULE_TYPES.expiration,
      id: 'Expiration_Admin_Assignment',
      isExpirationRequired: true,
      maximumDuration: 'P180D',
      target: target('Admin', 'Assignment'),
    },
    {
      '@odata.type': RULE_TYPES.enablement,
      id: 'Enablement_Admin_Assignment',
      enabledRules: ['Justification'],
      target: target('Admin', 'Assignment'),
    },
    ...notifications('Admin_Assignment', 'Admin', 'Assignment'),
    {
      '@odata.type': RULE_TYPES.expiration,
      id: 'Expiration_EndUser_Assignment',
      isExpirationRequired: true,
      maximumDuration: 'PT8H',
      target: target('EndUser', 'Assignment'),
    },
    {
      '@odata.type': RULE_TYPES.enablement,
      id: 'Enablement_EndUser_Assignment',
      enabledRules: ['Justification'],
      target: target('EndUser', 'Assignment'),
    },
    {
      '@odata.type': RULE_TYPES.approval,
      id: 'Approval_EndUser_Assignment',
      target: target('EndUser', 'Assignment'),
      setting: {
        isApprovalRequired: false,
        isApprovalRequiredForExtension: false,
        isRequestorJustificationRequired: true,
        approvalMode: 'SingleStage',
        approvalStages: [
          {
            approvalStageTimeOutInDays: 1,
            isApproverJustificationRequired: true,
            escalationTimeInMinutes: 0,
            isEscalationEnabled: false,
            primaryApprovers: [],
            escalationApprovers: [],
          },
        ],
      },
    },
    {
      '@odata.type': RULE_TYPES.authenticationContext,
      id: 'AuthenticationContext_EndUser_Assignment',
      isEnabled: false,
      claimValue: null,
      target: target('EndUser', 'Assignment'),
    },
    ...notifications('EndUser_Assignment', 'EndUser', 'Assignment'),
  ];
}

function invalidRule(message: string): GraphError {
  // Graph's exact code for a malformed rule PATCH is not documented (ASSUMPTIONS.md, Policies).
  return new GraphError(400, 'InvalidPolicyRule', message);
}

const ENABLEMENT_VALUES = new Set(['MultiFactorAuthentication', 'Justification', 'Ticketing']);
const MAX_ACTIVATION_MS = 24 * 3_600_000;

/**
 * Validates a rule update and returns the rule to store.
 * The body must restate the derived `@odata.type`, the rule `id` and its `target`: Graph
 * replaces the whole rule and cannot infer the derived type from the URL (Learn "Update
 * unifiedRoleManagementPolicyRule", unifiedrolemanagementpolicyrule-update: the examples send all
 * three). Value checks follow the rule resource types; refusal wording: ASSUMPTIONS.md (Policies).
 */
export function validateRuleUpdate(existing: PolicyRule, body: unknown): PolicyRule {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalidRule('The request body must be a rule object.');
  const b = body as Record<string, unknown>;
  const type = b['@odata.type'];
  if (typeof type !== 'string') throw invalidRule("The rule must specify '@odata.type'.");
  const normalised = type.startsWith('#') ? type : `#${type}`;
  if (normalised.toLowerCase() !== existing['@odata.type'].toLowerCase()) {
    throw invalidRule(`The '@odata.type' '${type}' does not match rule '${existing.id}'.`);
  }
  if (b.id !== existing.id) throw invalidRule(`The rule id '${String(b.id)}' does not match '${existing.id}'.`);
  if (b.target === null || typeof b.target !== 'object') throw invalidRule("The rule must specify 'target'.");

  // The update example sends the target with its `@odata.type`; answers write targets without it.
  const { '@odata.type': _targetType, ...storedTarget } = structuredClone(b.target) as Record<string, unknown>;
  const next: PolicyRule = { ...structuredClone(b), '@odata.type': existing['@odata.type'], id: existing.id, target: storedTarget };

  switch (existing['@odata.type']) {
    case RULE_TYPES.expiration: {
      if (typeof b.isExpirationRequired !== 'boolean') throw invalidRule("'isExpirationRequired' must be a boolean.");
      if (b.isExpirationRequired || b.maximumDuration !== undefined) {
        const d = parseDuration(b.maximumDuration);
        if (!d.ok || d.ms <= 0) {
          throw invalidRule(
            "'maximumDuration' must be a positive ISO 8601 duration in days, hours or minutes when expiration is required.",
          );
        }
        // The portal and Graph cap activation at 24 hours (ASSUMPTIONS.md, Policies: PT24H).
        if (existing.id === 'Expiration_EndUser_Assignment' && d.ms > MAX_ACTIVATION_MS) {
          throw invalidRule('The maximum activation duration must not exceed PT24H.');
        }
      }
      break;
    }
    case RULE_TYPES.enablement: {
      const enabled = b.enabledRules;
      if (!Array.isArray(enabled) || enabled.some((v) => typeof v !== 'string' || !ENABLEMENT_VALUES.has(v))) {
        throw invalidRule("'enabledRules' must only contain MultiFactorAuthentication, Justification or Ticketing.");
      }
      break;
    }
    case RULE_TYPES.approval: {
      const setting = b.setting as Record<string, unknown> | undefined;
      if (!setting || typeof setting !== 'object') throw invalidRule("The approval rule must specify 'setting'.");
      if (setting.isApprovalRequired === true) {
        const stages = setting.approvalStages;
        const first = Array.isArray(stages) ? (stages[0] as Record<string, unknown> | undefined) : undefined;
        const approvers = first?.primaryApprovers;
        if (!Array.isArray(approvers) || approvers.length === 0) {
          throw invalidRule('At least one primary approver is required when approval is required.');
        }
      }
      break;
    }
    case RULE_TYPES.authenticationContext: {
      if (typeof b.isEnabled !== 'boolean') throw invalidRule("'isEnabled' must be a boolean.");
      if (b.isEnabled && (typeof b.claimValue !== 'string' || b.claimValue === '')) {
        throw invalidRule("'claimValue' is required when the authentication context rule is enabled.");
      }
      break;
    }
    case RULE_TYPES.notification: {
      if (!['None', 'Critical', 'All'].includes(String(b.notificationLevel))) {
        throw invalidRule("'notificationLevel' must be None, Critical or All.");
      }
      break;
    }
  }
  return next;
}

/** Reads a rule by id from a rule list. */
export function findRule(rules: PolicyRule[], id: string): PolicyRule | undefined {
  return rules.find((r) => r.id.toLowerCase() === id.toLowerCase());
}

/** `maximumDuration` in ms, or undefined when expiration is not required. */
export function expirationLimit(rules: PolicyRule[], id: string): { required: boolean; maxMs: number | undefined } {
  const rule = findRule(rules, id);
  if (!rule) return { required: false, maxMs: undefined };
  const d = parseDuration(rule.maximumDuration);
  return { required: rule.isExpirationRequired === true, maxMs: d.ok ? d.ms : undefined };
}

/** `enabledRules` of an enablement rule. */
export function enabledRules(rules: PolicyRule[], id: string): string[] {
  const rule = findRule(rules, id);
  return Array.isArray(rule?.enabledRules) ? (rule.enabledRules as string[]) : [];
}
