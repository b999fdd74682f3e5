import { enumListHas } from '../graph/enums.js';

/**
 * The enablement rules of a PIM for Groups policy that can ask for ticket information. Learn
 * "Configure Microsoft Entra role settings in PIM" (rules section): `Enablement_Admin_Eligibility`
 * holds what admins must give when they operate on eligibilities (assign, update, extend), and
 * `Enablement_EndUser_Assignment` what principals must give to activate; the "unifiedRoleManagementPolicyEnablementRule"
 * resource type names `Ticketing` among its `enabledRules`.
 */
export type TicketingRuleId = 'Enablement_Admin_Eligibility' | 'Enablement_EndUser_Assignment';

/**
 * Pure: whether the policy's enablement rule `ruleId` requires ticket information (its
 * `enabledRules` holds `Ticketing`, in any casing). A policy without that rule requires none;
 * PIM itself refuses a request its policy does not accept.
 */
export function requiresTicket(rules: ReadonlyArray<{ id: string; enabledRules?: unknown }> | undefined, ruleId: TicketingRuleId): boolean {
  const enabled = rules?.find((r) => r.id === ruleId)?.enabledRules;
  return Array.isArray(enabled) && enumListHas(enabled, 'Ticketing');
}
