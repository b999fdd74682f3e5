import type { HttpRequest } from '../core/http.js';

/** The base path of PIM for Groups (Learn "privilegedAccessGroup resource type"). */
export const PIM_GROUP = '/identityGovernance/privilegedAccess/group';

/**
 * Learn "ticketInfo resource type": the change ticket a PIM schedule request names (both
 * properties are strings; `ticketSystem` describes the ticket system).
 */
export interface TicketInfo {
  ticketNumber: string;
  ticketSystem?: string;
}

/** An eligibility request's action: assign, move the window of, or extend an eligibility. */
export type EligibilityAction = 'adminAssign' | 'adminUpdate' | 'adminExtend';

/**
 * Every change this tool makes in Microsoft Graph, as data. A step plans these; `graphRequest`
 * turns one into the HTTP request that is sent, journaled and shown in the report.
 */
export type GraphWrite =
  /** Learn "Update servicePrincipal": only assigned users and groups may sign in. */
  | { op: 'servicePrincipal.requireAssignment'; servicePrincipalId: string }
  /** Learn "Grant an appRoleAssignment for a service principal". */
  | { op: 'servicePrincipal.assignGroup'; servicePrincipalId: string; groupId: string; appRoleId: string }
  /** Learn "Create eligibilityScheduleRequest" (PIM for Groups, member access). */
  | {
      op: 'pim.requestEligibility';
      groupId: string;
      principalId: string;
      action: EligibilityAction;
      startDateTime: string;
      endDateTime: string;
      justification: string;
      /** Sent as `ticketInfo` (the request body's optional property, required by a policy with the Ticketing rule). */
      ticket?: TicketInfo;
    }
  /** Learn "Create assignmentScheduleRequest": the signed-in user activates their eligibility. */
  | {
      op: 'pim.selfActivate';
      groupId: string;
      principalId: string;
      startDateTime: string;
      duration: string;
      justification?: string;
      ticket?: TicketInfo;
    }
  /** Learn "Create assignmentScheduleRequest": the signed-in user ends their activation. */
  | { op: 'pim.selfDeactivate'; groupId: string; principalId: string }
  /** Learn "Update unifiedRoleManagementPolicyRule": the body carries the rule's `@odata.type` with the properties to set. */
  | { op: 'policy.patchRule'; policyId: string; ruleId: string; rule: { id: string } & Record<string, unknown> }
  /** Learn "Remove member" (group-delete-members). */
  | { op: 'group.removeMember'; groupId: string; memberId: string }
  /** Learn "Add members" (group-post-members); `graphBase` is the Graph origin the `@odata.id` names. */
  | { op: 'group.addMember'; groupId: string; memberId: string; graphBase: string };

/** Pure: the HTTP request (method, URL relative to the API base, body) one Graph write is sent as. */
export function graphRequest(w: GraphWrite): HttpRequest {
  switch (w.op) {
    case 'servicePrincipal.requireAssignment':
      return { method: 'PATCH', url: `/servicePrincipals/${w.servicePrincipalId}`, body: { appRoleAssignmentRequired: true } };
    case 'servicePrincipal.assignGroup':
      return {
        method: 'POST',
        url: `/servicePrincipals/${w.servicePrincipalId}/appRoleAssignedTo`,
        body: { principalId: w.groupId, resourceId: w.servicePrincipalId, appRoleId: w.appRoleId },
      };
    case 'pim.requestEligibility':
      return {
        method: 'POST',
        url: `${PIM_GROUP}/eligibilityScheduleRequests`,
        body: {
          accessId: 'member',
          principalId: w.principalId,
          groupId: w.groupId,
          action: w.action,
          scheduleInfo: {
            startDateTime: w.startDateTime,
            expiration: { type: 'afterDateTime', endDateTime: w.endDateTime },
          },
          justification: w.justification,
          ...ticketInfo(w.ticket),
        },
      };
    case 'pim.selfActivate': {
      const scheduleInfo = { startDateTime: w.startDateTime, expiration: { type: 'afterDuration', duration: w.duration } };
      const body: Record<string, unknown> = {
        accessId: 'member',
        principalId: w.principalId,
        groupId: w.groupId,
        action: 'selfActivate',
        scheduleInfo,
      };
      if (w.justification) body.justification = w.justification;
      Object.assign(body, ticketInfo(w.ticket));
      return { method: 'POST', url: `${PIM_GROUP}/assignmentScheduleRequests`, body };
    }
    case 'pim.selfDeactivate':
      return {
        method: 'POST',
        url: `${PIM_GROUP}/assignmentScheduleRequests`,
        body: { accessId: 'member', principalId: w.principalId, groupId: w.groupId, action: 'selfDeactivate' },
      };
    case 'policy.patchRule':
      return { method: 'PATCH', url: `/policies/roleManagementPolicies/${w.policyId}/rules/${w.ruleId}`, body: w.rule };
    case 'group.removeMember':
      return { method: 'DELETE', url: `/groups/${w.groupId}/members/${w.memberId}/$ref` };
    case 'group.addMember':
      return {
        method: 'POST',
        url: `/groups/${w.groupId}/members/$ref`,
        body: { '@odata.id': `${w.graphBase}/v1.0/directoryObjects/${w.memberId}` },
      };
  }
}

/** The `ticketInfo` property of a PIM schedule request, or nothing when no ticket was given. */
function ticketInfo(t: TicketInfo | undefined): { ticketInfo?: { ticketNumber: string; ticketSystem?: string } } {
  if (!t) return {};
  return { ticketInfo: { ticketNumber: t.ticketNumber, ...(t.ticketSystem ? { ticketSystem: t.ticketSystem } : {}) } };
}

/** A planned Graph write: the operation, and the request it is sent as (for the report and `--json`). */
export function graphWrite(w: GraphWrite): { op: GraphWrite; request: HttpRequest } {
  return { op: w, request: graphRequest(w) };
}

const GRAPH_OPS: ReadonlySet<string> = new Set<GraphWrite['op']>([
  'servicePrincipal.requireAssignment',
  'servicePrincipal.assignGroup',
  'pim.requestEligibility',
  'pim.selfActivate',
  'pim.selfDeactivate',
  'policy.patchRule',
  'group.removeMember',
  'group.addMember',
]);

/** The Graph write an action carries, if any (a noop, or a Keycloak write, carries none). */
export function graphOpOf(action: { op?: { op: string } }): GraphWrite | undefined {
  return action.op && GRAPH_OPS.has(action.op.op) ? (action.op as GraphWrite) : undefined;
}

const REMOVAL = /^\/groups\/([^/]+)\/members\/([^/]+)\/\$ref$/;

/**
 * Pure: the group and member of a `group.removeMember` request as a journal recorded it, or
 * undefined for any other request. The journal holds requests as sent (older journals too), so
 * reading one back is the inverse of `graphRequest`, kept next to it.
 */
export function removalOf(request: { method?: unknown; url?: unknown } | undefined): { groupId: string; memberId: string } | undefined {
  if (request?.method !== 'DELETE' || typeof request.url !== 'string') return undefined;
  const m = REMOVAL.exec(request.url);
  return m ? { groupId: m[1], memberId: m[2] } : undefined;
}
