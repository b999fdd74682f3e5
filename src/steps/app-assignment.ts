import type * as MG from '@microsoft/microsoft-graph-types';
import type { RunContext, RunOptions } from '../context.js';
import { valueOf, type TenantSnapshot } from './snapshot.js';
import { errorText } from '../graph/graph-api.js';
import { graphOpOf, graphRequest, graphWrite } from '../graph/writes.js';
import type { Step, StepPlan } from '../plan/types.js';
import type { Finding } from '../core/findings.js';
import { DEFAULT_ACCESS_ROLE_ID } from './common.js';
import { finding } from '../core/findings.js';
import { needFact } from '../plan/skip.js';
import { enumIn, enumIs, enumListHas } from '../graph/enums.js';

type AppRole = MG.AppRole & { id: string };

/** Duplicate assignment text Graph answers with (treated as success: the state is already right). */
const ALREADY_EXISTS = /already exists/i;

/**
 * Chooses the app role the group gets: `--app-role VALUE` must name an enabled role that allows
 * users; without it, default access, which is valid only when the app declares no roles.
 */
export function chooseAppRole(
  appRoles: MG.AppRole[],
  wanted: string | undefined,
): { role?: AppRole; roleId?: string; label?: string; finding?: Finding } {
  const userRoles = appRoles.filter((r) => enumListHas(r.allowedMemberTypes, 'User'));
  const listing =
    userRoles
      .map((r) => r.value ?? r.displayName)
      .filter(Boolean)
      .join(', ') || 'none';
  if (wanted !== undefined) {
    const role = appRoles.find((r) => r.value === wanted) as AppRole | undefined;
    if (!role) {
      return {
        finding: finding(
          'error',
          'APP_ROLE_NOT_FOUND',
          `--app-role ${wanted}: the app declares no such role (roles for users: ${listing})`,
          'create the app role in the app registration, or pass one of the listed values',
        ),
      };
    }
    if (role.isEnabled === false)
      return {
        finding: finding('error', 'APP_ROLE_DISABLED', `--app-role ${wanted}: the role is disabled`, 'enable it in the app registration'),
      };
    if (!enumListHas(role.allowedMemberTypes, 'User')) {
      return {
        finding: finding(
          'error',
          'APP_ROLE_NOT_FOR_USERS',
          `--app-role ${wanted}: the role allows ${(role.allowedMemberTypes ?? []).join(', ')}, not users and groups`,
          'set "Allowed member types" to include Users/Groups',
        ),
      };
    }
    return { role, roleId: role.id, label: `app role ${wanted}` };
  }
  // Non-gallery SAML apps carry built-in roles with a null value (User, msiam_access): the
  // portal assigns "User" for them, so they do not count as declared roles.
  const declared = appRoles.filter((r) => r.value);
  if (declared.length) {
    return {
      finding: finding(
        'error',
        'DEFAULT_ACCESS_NOT_ALLOWED',
        `the app declares app roles (${declared.map((r) => r.value).join(', ')}), so default access cannot be assigned`,
        'pass --app-role with the role that grants admin rights',
      ),
    };
  }
  const builtInUser = appRoles.find((r) => r.displayName === 'User' && enumListHas(r.allowedMemberTypes, 'User') && r.isEnabled !== false);
  if (builtInUser?.id) return { roleId: builtInUser.id, label: 'the built-in User role' };
  return { roleId: DEFAULT_ACCESS_ROLE_ID, label: 'default access' };
}

/**
 * Pure: the groups assigned to the enterprise app (appRoleAssignedTo, principalType Group), this
 * group included once assigned: with groupMembershipClaims ApplicationGroup, the only groups the
 * token can carry. The keycloak step judges regex mappers against them. An entry whose principal
 * is not understood leaves the list unknown (the regex check then accepts only a plain literal of
 * the id), rather than a list that may miss a group.
 */
export function appGroupsOf(assignedTo: MG.AppRoleAssignment[]): Array<{ id: string; displayName?: string | null }> | undefined {
  const understood = assignedTo.every((a) => a.principalId && enumIn(a.principalType, ['User', 'Group', 'ServicePrincipal']));
  return understood
    ? assignedTo.filter((a) => enumIs(a.principalType, 'Group')).map((a) => ({ id: a.principalId!, displayName: a.principalDisplayName }))
    : undefined;
}

/** Pure: assigns the admin group to the enterprise app unless it already holds the chosen role. */
export function planAppAssignment(snapshot: TenantSnapshot, options: RunOptions): StepPlan {
  const sp = needFact(snapshot.facts.servicePrincipal, 'the enterprise app');
  const group = needFact(snapshot.facts.group, 'the admin group');
  const choice = chooseAppRole(sp.appRoles ?? [], options.appRole);
  if (choice.finding) return { findings: [choice.finding], actions: [] };
  // Read by the read phase from the app's side; filtered here, not with $filter, on principalId.
  const assignedTo = valueOf(needFact(snapshot.appAssignedTo, "the enterprise app's assignments"));
  const toApp = assignedTo.filter((a) => a.principalId?.toLowerCase() === group.id.toLowerCase() && a.resourceId === sp.id);
  if (toApp.some((a) => a.appRoleId === choice.roleId)) {
    return {
      findings: [],
      actions: [{ kind: 'noop', summary: `${group.displayName} is already assigned to ${sp.displayName} with ${choice.label}` }],
    };
  }
  const findings: Finding[] = [];
  if (toApp.length) {
    findings.push(
      finding(
        'warning',
        'GROUP_OTHER_ASSIGNMENT',
        `${group.displayName} is also assigned to ${sp.displayName} with other role id(s) ${toApp.map((a) => a.appRoleId).join(', ')}; left as is`,
      ),
    );
  }
  return {
    findings,
    actions: [
      {
        kind: 'create',
        target: 'graph',
        summary: `assign ${group.displayName} to ${sp.displayName} with ${choice.label}`,
        ...graphWrite({ op: 'servicePrincipal.assignGroup', servicePrincipalId: sp.id, groupId: group.id, appRoleId: choice.roleId! }),
      },
    ],
  };
}

/** Assigns the admin group to the Keycloak enterprise app (app role or default access). */
export const appAssignmentStep: Step<RunContext, TenantSnapshot> = {
  id: 'app-assignment',
  title: 'Group assigned to the enterprise app',
  plan: (snapshot, options) => planAppAssignment(snapshot, options),
  async apply(plan, ctx) {
    for (const action of plan.actions) {
      const op = graphOpOf(action);
      if (!op) continue;
      const res = await ctx.graph.write(op);
      if (res.status === 400 && ALREADY_EXISTS.test(errorText(res))) {
        action.result = { ok: true, status: res.status, message: 'already assigned' };
        continue;
      }
      action.result = { ok: res.status < 300, status: res.status };
      if (!action.result.ok) throw ctx.graph.error(graphRequest(op), res);
    }
  },
};
