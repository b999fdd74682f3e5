import { odataString, withQuery, type GraphApi } from '../graph/graph-api.js';
import { isMemberAccess } from '../graph/enums.js';
import { PIM_GROUP } from '../graph/writes.js';

/**
 * PIM reads for a group: schedule instances and the member policy. Shared by the wizard, the
 * steps and the commands, so none of them imports another's code to read PIM.
 */

export { PIM_GROUP };

/**
 * A PIM schedule instance (eligibility or active assignment) as Graph returns it: Learn
 * "privilegedAccessGroupEligibilityScheduleInstance" and "privilegedAccessGroupAssignmentScheduleInstance".
 */
export interface PimInstance {
  /** Not relied upon: nothing is addressed by an instance's id. */
  id?: string;
  principalId: string;
  groupId: string;
  /** `member` or `owner`, compared with enumIs (Graph's casing may differ). */
  accessId: string;
  startDateTime?: string | null;
  endDateTime?: string | null;
  /** `assigned` or `activated` (isActivated). */
  assignmentType?: string;
  memberType?: string;
  /** Only with `$expand=group`. */
  group?: { id: string; displayName?: string } | null;
}

/** A rule of a PIM policy (unifiedRoleManagementPolicyRule), as read and as patched. */
export interface PolicyRule {
  '@odata.type': string;
  id: string;
  target?: unknown;
  [key: string]: unknown;
}

interface PolicyAssignment {
  id: string;
  policyId: string;
  policy?: { id: string; rules?: PolicyRule[] };
}

/**
 * Reads the group's member policy. Its ids change when the group is onboarded to PIM, so
 * anything that writes re-reads it first instead of trusting an id from the plan.
 */
export async function loadMemberPolicy(graph: GraphApi, groupId: string): Promise<{ policyId: string; rules: PolicyRule[] }> {
  const url = withQuery('/policies/roleManagementPolicyAssignments', {
    $filter: `scopeId eq ${odataString(groupId)} and scopeType eq 'Group' and roleDefinitionId eq 'member'`,
    $expand: 'policy($expand=rules)',
  });
  const assignments = await graph.list<PolicyAssignment>(url);
  const a = assignments[0];
  if (!a) throw new Error(`no PIM member policy found for group ${groupId}`);
  return { policyId: a.policyId ?? a.policy?.id, rules: a.policy?.rules ?? [] };
}

/** Eligibility or active-assignment instances (valid now) of one user for one group, member access only. */
export async function pimInstances(
  graph: GraphApi,
  kind: 'eligibility' | 'assignment',
  groupId: string,
  principalId: string,
): Promise<PimInstance[]> {
  const url = withQuery(`${PIM_GROUP}/${kind}ScheduleInstances`, {
    $filter: `groupId eq ${odataString(groupId)} and principalId eq ${odataString(principalId)}`,
  });
  return (await graph.list<PimInstance>(url)).filter((i) => isMemberAccess(i));
}

/** The signed-in user's own eligibility instances, each with its group (filterByCurrentUser, `$expand=group`). */
export async function myEligibilityInstances(graph: GraphApi): Promise<PimInstance[]> {
  return graph.list<PimInstance>(
    withQuery(`${PIM_GROUP}/eligibilityScheduleInstances/filterByCurrentUser(on='principal')`, { $expand: 'group' }),
  );
}

/** The signed-in user's own active assignment instances (filterByCurrentUser). */
export async function myAssignmentInstances(graph: GraphApi): Promise<PimInstance[]> {
  return graph.list<PimInstance>(`${PIM_GROUP}/assignmentScheduleInstances/filterByCurrentUser(on='principal')`);
}
