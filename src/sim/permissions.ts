import { GraphError, forbidden } from './errors.js';
import type { TenantState } from './state.js';

/** Directory role template ids (Learn "Microsoft Entra built-in roles", permissions-reference). */
export const ROLE_TEMPLATES = {
  globalAdministrator: '62e90394-69f5-4237-9190-012177145e10',
  privilegedRoleAdministrator: 'e8611ab8-c189-46e8-94e1-60213ab1f814',
  groupsAdministrator: 'fdd7a751-b60b-444a-984c-02652fe8fa1c',
  identityGovernanceAdministrator: '45d8d3c5-c802-45c6-b32a-1d70b5e1e86e',
  userAdministrator: 'fe930be7-5e62-47db-91af-98c3a49a38b1',
  directoryWriters: '9360feb5-f418-4baa-8175-e2a00bac4301',
  cloudApplicationAdministrator: '158c047a-c907-4556-b7ef-446551a6b5f7',
  applicationAdministrator: '9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3',
  globalReader: 'f2ef992c-3afb-46b9-b7cf-a126ee74c451',
} as const;

const R = ROLE_TEMPLATES;

/** Who is calling, as read from a verified access token. */
export interface AuthInfo {
  kind: 'app' | 'delegated';
  /** Application permissions (app-only). */
  roles: string[];
  /** Delegated scopes. */
  scopes: string[];
  /** User object id (delegated) or client service principal id (app-only). */
  oid: string;
  appid: string;
  amr: string[];
  acrs: string[];
  claims: Record<string, unknown>;
}

interface PermissionRule {
  /** Each inner list must be matched by at least one granted permission. */
  allOf: string[][];
  /** Application (app-only) tokens use this instead of `allOf` where the page's two rows differ. */
  appAllOf?: string[][];
  /** Role-assignable groups additionally need these (all-of lists), and only these delegated roles. */
  roleAssignable?: { allOf: string[][]; delegatedRoles: string[] };
  /** Delegated callers also need one of these directory roles (Global Administrator always passes). */
  delegatedRoles?: string[];
  /** Group owners pass the delegated role check for their own group. */
  ownersMayWrite?: boolean;
}

const PIM_WRITE_ROLES = [
  R.privilegedRoleAdministrator,
  R.groupsAdministrator,
  R.identityGovernanceAdministrator,
  R.userAdministrator,
  R.directoryWriters,
];
const APP_ADMIN_ROLES = [R.cloudApplicationAdministrator, R.applicationAdministrator];
const GROUP_READ = [
  'GroupMember.Read.All',
  'Group.Read.All',
  'GroupMember.ReadWrite.All',
  'Group.ReadWrite.All',
  'Directory.Read.All',
  'Directory.ReadWrite.All',
];

/**
 * One rule per operation, each from the endpoint's permission table on Microsoft Learn
 * (microsoft-graph-docs-contrib, api-reference/v1.0; least privileged first, then the higher ones).
 * "D" is the delegated (work or school) row, "A" the application row. Application.ReadWrite.OwnedBy
 * for writes is handled in `authorize`: it only counts when the caller owns the target.
 */
export const PERMISSIONS = {
  // Learn "Get servicePrincipal" / "List servicePrincipals" (serviceprincipal-get, serviceprincipal-list):
  // D Application.Read.All | Application.ReadWrite.All, Directory.Read.All, Directory.ReadWrite.All;
  // A Application.Read.All | Application.ReadWrite.OwnedBy, Application.ReadWrite.All, Directory.Read.All
  // (the page: OwnedBy may list every service principal).
  'servicePrincipals.read': {
    allOf: [['Application.Read.All', 'Application.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All']],
    appAllOf: [['Application.Read.All', 'Application.ReadWrite.OwnedBy', 'Application.ReadWrite.All', 'Directory.Read.All']],
  },
  // Learn "Update servicePrincipal" (serviceprincipal-update): D Application.ReadWrite.All | Directory.ReadWrite.All;
  // A Application.ReadWrite.OwnedBy | Application.ReadWrite.All, Directory.ReadWrite.All.
  'servicePrincipals.update': {
    allOf: [['Application.ReadWrite.All', 'Directory.ReadWrite.All']],
    delegatedRoles: APP_ADMIN_ROLES,
  },
  // Learn "Get application" (application-get): D Application.Read.All | Application.ReadWrite.All, Directory.Read.All;
  // A Application.Read.All | Application.ReadWrite.OwnedBy, Application.ReadWrite.All.
  'applications.read': {
    allOf: [['Application.Read.All', 'Application.ReadWrite.All', 'Directory.Read.All']],
    appAllOf: [['Application.Read.All', 'Application.ReadWrite.OwnedBy', 'Application.ReadWrite.All']],
  },
  // Learn "List oauth2PermissionGrants" (oauth2permissiongrant-list) and "List oauth2PermissionGrants granted to a
  // service principal" (serviceprincipal-list-oauth2permissiongrants), D and A alike:
  // Directory.Read.All | DelegatedPermissionGrant.ReadWrite.All, Directory.ReadWrite.All. No smaller read is listed.
  'oauth2PermissionGrants.read': { allOf: [['Directory.Read.All', 'DelegatedPermissionGrant.ReadWrite.All', 'Directory.ReadWrite.All']] },
  // Learn "List appRoleAssignments granted to a service principal" (serviceprincipal-list-approleassignments), D and A:
  // Application.Read.All | Directory.Read.All, Application.ReadWrite.All, Directory.ReadWrite.All.
  'appRoleAssignments.read': {
    allOf: [['Application.Read.All', 'Directory.Read.All', 'Application.ReadWrite.All', 'Directory.ReadWrite.All']],
  },
  // Learn "List appRoleAssignments granted for a service principal" (serviceprincipal-list-approleassignedto):
  // D Application.Read.All | Directory.Read.All, Application.ReadWrite.All, Directory.ReadWrite.All;
  // A Application.Read.All | Application.ReadWrite.OwnedBy, Directory.Read.All, Application.ReadWrite.All, Directory.ReadWrite.All.
  'appRoleAssignedTo.read': {
    allOf: [['Application.Read.All', 'Directory.Read.All', 'Application.ReadWrite.All', 'Directory.ReadWrite.All']],
    appAllOf: [
      [
        'Application.Read.All',
        'Application.ReadWrite.OwnedBy',
        'Directory.Read.All',
        'Application.ReadWrite.All',
        'Directory.ReadWrite.All',
      ],
    ],
  },
  // Learn "List appRoleAssignments granted to a group" (group-list-approleassignments), D and A:
  // Directory.Read.All | AppRoleAssignment.ReadWrite.All, Directory.ReadWrite.All (Group.Read.All is not enough).
  'groupAppRoleAssignments.read': { allOf: [['Directory.Read.All', 'AppRoleAssignment.ReadWrite.All', 'Directory.ReadWrite.All']] },
  // Learn "Grant an appRoleAssignment for a service principal" (serviceprincipal-post-approleassignedto), D and A:
  // AppRoleAssignment.ReadWrite.All and Application.Read.All | AppRoleAssignment.ReadWrite.All and Directory.Read.All.
  'appRoleAssignedTo.create': {
    allOf: [['AppRoleAssignment.ReadWrite.All'], ['Application.Read.All', 'Directory.Read.All']],
    delegatedRoles: [
      ...APP_ADMIN_ROLES,
      R.userAdministrator,
      R.identityGovernanceAdministrator,
      R.directoryWriters,
      R.privilegedRoleAdministrator,
    ],
  },
  // Learn "Delete appRoleAssignedTo" (serviceprincipal-delete-approleassignedto): AppRoleAssignment.ReadWrite.All.
  'appRoleAssignedTo.delete': {
    allOf: [['AppRoleAssignment.ReadWrite.All']],
    delegatedRoles: [
      ...APP_ADMIN_ROLES,
      R.userAdministrator,
      R.identityGovernanceAdministrator,
      R.directoryWriters,
      R.privilegedRoleAdministrator,
    ],
  },
  // Learn "List subscribedSkus" (subscribedsku-list), D and A: LicenseAssignment.Read.All |
  // Directory.Read.All, Directory.ReadWrite.All, Organization.Read.All, Organization.ReadWrite.All.
  'subscribedSkus.read': {
    allOf: [
      [
        'LicenseAssignment.Read.All',
        'Directory.Read.All',
        'Directory.ReadWrite.All',
        'Organization.Read.All',
        'Organization.ReadWrite.All',
      ],
    ],
  },
  // Learn "Get user" (user-get) for /me: D User.Read | User.ReadWrite, User.ReadBasic.All, User.Read.All,
  // User.ReadWrite.All, Directory.Read.All, Directory.ReadWrite.All.
  'me.read': {
    allOf: [
      [
        'User.Read',
        'User.ReadWrite',
        'User.ReadBasic.All',
        'User.Read.All',
        'User.ReadWrite.All',
        'Directory.Read.All',
        'Directory.ReadWrite.All',
      ],
    ],
  },
  // Learn "List a user's memberships (direct and transitive)" (user-list-transitivememberof):
  // D User.Read | Directory.Read.All, Directory.ReadWrite.All, Group.Read.All, GroupMember.Read.All, User.Read.All.
  // Members of a type the token may not read come back with limited information (see directoryRoles.read).
  'me.transitiveMemberOf': {
    allOf: [['User.Read', 'Directory.Read.All', 'Directory.ReadWrite.All', 'Group.Read.All', 'GroupMember.Read.All', 'User.Read.All']],
  },
  // Learn "List directoryRoles" (directoryrole-list), D and A: RoleManagement.Read.Directory |
  // RoleManagement.ReadWrite.Directory, Directory.Read.All, Directory.ReadWrite.All. Without one of these a
  // directoryObject collection returns roles with only @odata.type and id (Learn include "limited-info").
  'directoryRoles.read': {
    allOf: [['RoleManagement.Read.Directory', 'RoleManagement.ReadWrite.Directory', 'Directory.Read.All', 'Directory.ReadWrite.All']],
  },
  // Learn "Get user" / "List users" (user-get, user-list): User.ReadBasic.All for basic properties; the tool reads
  // accountEnabled/userType, which need User.Read.All. Higher: User.ReadWrite.All, Directory.Read.All, Directory.ReadWrite.All.
  'users.read': { allOf: [['User.ReadBasic.All', 'User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All']] },
  // Learn "Get group", "List groups", "List group members", "List group owners" (group-get, group-list,
  // group-list-members, group-list-owners), D and A: GroupMember.Read.All | Group.Read.All, GroupMember.ReadWrite.All,
  // Group.ReadWrite.All, Directory.Read.All (Directory.ReadWrite.All on group-get and group-list).
  'groups.read': { allOf: [GROUP_READ] },
  // Learn "Remove member" (group-delete-members) and "Add members" (group-post-members), D and A:
  // GroupMember.ReadWrite.All | Directory.ReadWrite.All, Group.ReadWrite.All; role-assignable groups also need
  // RoleManagement.ReadWrite.Directory (and Privileged Role Administrator for delegated callers).
  // Delegated roles, same pages: group owners, Directory Writers, Groups Administrator, Identity
  // Governance Administrator, User Administrator (Exchange/SharePoint/Teams/Yammer/Intune
  // administrators only for some group kinds, not modelled); Privileged Role Administrator covers it too.
  'groups.members.write': {
    allOf: [['GroupMember.ReadWrite.All', 'Group.ReadWrite.All', 'Directory.ReadWrite.All']],
    delegatedRoles: [
      R.groupsAdministrator,
      R.identityGovernanceAdministrator,
      R.userAdministrator,
      R.directoryWriters,
      R.privilegedRoleAdministrator,
    ],
    ownersMayWrite: true,
    roleAssignable: { allOf: [['RoleManagement.ReadWrite.Directory']], delegatedRoles: [R.privilegedRoleAdministrator] },
  },
  // DELETE /groups/{id}/members/{memberId} without /$ref addresses the member object itself:
  // Learn "Delete a user" (user-delete): User.ReadWrite.All (stored page lists nothing higher; User.DeleteRestore.All
  // and Directory.ReadWrite.All are kept as also sufficient: ASSUMPTIONS.md).
  'directoryObjects.delete': {
    allOf: [['User.ReadWrite.All', 'User.DeleteRestore.All', 'Directory.ReadWrite.All']],
    delegatedRoles: [R.userAdministrator],
  },
  // Learn "List groupResources" (privilegedaccessgroup-list-resources): PrivilegedAccess.Read.AzureADGroup | PrivilegedAccess.ReadWrite.AzureADGroup.
  'pim.resources.read': { allOf: [['PrivilegedAccess.Read.AzureADGroup', 'PrivilegedAccess.ReadWrite.AzureADGroup']] },
  // Learn "List eligibilitySchedules", "Get privilegedAccessGroupEligibilitySchedule", "List eligibilityScheduleInstances",
  // "filterByCurrentUser" (privilegedaccessgroup-list-eligibilityschedules, privilegedaccessgroupeligibilityschedule-get, …),
  // D and A: PrivilegedEligibilitySchedule.Read.AzureADGroup | PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup.
  'pim.eligibility.read': {
    allOf: [['PrivilegedEligibilitySchedule.Read.AzureADGroup', 'PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup']],
  },
  // Learn "Create eligibilityScheduleRequests" (privilegedaccessgroup-post-eligibilityschedulerequests), D and A:
  // PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup | PrivilegedEligibilitySchedule.Remove.AzureADGroup.
  // Delegated: owner or member of the group, or a supported role (role-assignable group: Privileged Role Administrator).
  'pim.eligibility.write': {
    allOf: [['PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup', 'PrivilegedEligibilitySchedule.Remove.AzureADGroup']],
    delegatedRoles: PIM_WRITE_ROLES,
    ownersMayWrite: true,
    roleAssignable: { allOf: [], delegatedRoles: [R.privilegedRoleAdministrator] },
  },
  // Learn "List eligibilityScheduleRequests" (privilegedaccessgroup-list-eligibilityschedulerequests), D and A:
  // PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup only (the Read permission does not list requests).
  'pim.eligibilityRequests.list': { allOf: [['PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup']] },
  // Learn "privilegedAccessGroupEligibilityScheduleRequest: cancel" (privilegedaccessgroupeligibilityschedulerequest-cancel),
  // D and A: PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup only (no .Remove); its RBAC include is the create page's.
  'pim.eligibility.cancel': {
    allOf: [['PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup']],
    delegatedRoles: PIM_WRITE_ROLES,
    ownersMayWrite: true,
    roleAssignable: { allOf: [], delegatedRoles: [R.privilegedRoleAdministrator] },
  },
  // Learn "List assignmentScheduleInstances", "List assignmentSchedules" (privilegedaccessgroup-list-assignmentscheduleinstances, …),
  // D and A: PrivilegedAssignmentSchedule.Read.AzureADGroup | PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup.
  'pim.assignment.read': {
    allOf: [['PrivilegedAssignmentSchedule.Read.AzureADGroup', 'PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup']],
  },
  // Learn "Create assignmentScheduleRequests" (privilegedaccessgroup-post-assignmentschedulerequests), D and A:
  // PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup.
  'pim.assignment.write': {
    allOf: [['PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup']],
    delegatedRoles: PIM_WRITE_ROLES,
    ownersMayWrite: true,
    roleAssignable: { allOf: [], delegatedRoles: [R.privilegedRoleAdministrator] },
  },
  // Self-activation (selfActivate/selfDeactivate), same page: the scope alone; eligibility is checked by PIM itself.
  // Also Learn "privilegedAccessGroupAssignmentScheduleRequest: cancel" (…assignmentschedulerequest-cancel): D and A
  // PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup.
  'pim.assignment.self': { allOf: [['PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup']] },
  // Learn "List roleManagementPolicyAssignments" / "Get unifiedRoleManagementPolicy" (group scope):
  // RoleManagementPolicy.Read.AzureADGroup | RoleManagementPolicy.ReadWrite.AzureADGroup.
  'policies.read': { allOf: [['RoleManagementPolicy.Read.AzureADGroup', 'RoleManagementPolicy.ReadWrite.AzureADGroup']] },
  // Learn "Update unifiedRoleManagementPolicyRule" (group scope): RoleManagementPolicy.ReadWrite.AzureADGroup;
  // delegated: Privileged Role Administrator.
  'policies.write': {
    allOf: [['RoleManagementPolicy.ReadWrite.AzureADGroup']],
    delegatedRoles: [R.privilegedRoleAdministrator],
  },
} satisfies Record<string, PermissionRule>;

export type PermissionKey = keyof typeof PERMISSIONS;

export interface AuthorizeOptions {
  /** The target group, for role-assignable and owner checks. */
  groupId?: string;
  /** The caller (app-only) owns the target application/service principal. */
  callerOwnsTarget?: boolean;
}

function has(granted: Set<string>, anyOf: string[]): boolean {
  return anyOf.some((p) => granted.has(p.toLowerCase()));
}

/**
 * Throws 403 `Authorization_RequestDenied` unless the token carries the permission for `key`
 * (its `roles` when app-only, its `scp` when delegated) and, for delegated writes, the
 * signed-in user holds a suitable directory role.
 */
export function authorize(state: TenantState, auth: AuthInfo, key: PermissionKey, opts: AuthorizeOptions = {}): void {
  const rule: PermissionRule = PERMISSIONS[key];
  const granted = new Set((auth.kind === 'app' ? auth.roles : auth.scopes).map((p) => p.toLowerCase()));
  if (auth.kind === 'app' && opts.callerOwnsTarget && granted.has('application.readwrite.ownedby')) {
    granted.add('application.readwrite.all');
  }
  const group = opts.groupId ? state.findGroup(opts.groupId) : undefined;
  const roleAssignable = group?.isAssignableToRole === true && rule.roleAssignable !== undefined;
  const base = auth.kind === 'app' && rule.appAllOf ? rule.appAllOf : rule.allOf;
  const allOf = roleAssignable ? [...base, ...rule.roleAssignable!.allOf] : base;
  for (const anyOf of allOf) if (!has(granted, anyOf)) throw forbidden();

  if (auth.kind === 'delegated') {
    const requiredRoles = roleAssignable ? rule.roleAssignable!.delegatedRoles : rule.delegatedRoles;
    if (!requiredRoles) return;
    const held = new Set(state.directoryRolesOf(auth.oid).map((r) => r.roleTemplateId));
    if (held.has(R.globalAdministrator)) return;
    if (requiredRoles.some((r) => held.has(r))) return;
    if (rule.ownersMayWrite && group && !roleAssignable && group.owners.includes(auth.oid)) return;
    throw forbidden();
  }
}

/** True when `authorize` would let the caller through (for answers that degrade instead of failing). */
export function permits(state: TenantState, auth: AuthInfo, key: PermissionKey, opts: AuthorizeOptions = {}): boolean {
  try {
    authorize(state, auth, key, opts);
    return true;
  } catch (e) {
    if (e instanceof GraphError) return false;
    throw e;
  }
}

/** 400 for endpoints that only make sense with a signed-in user. */
export function requireDelegated(auth: AuthInfo): void {
  if (auth.kind !== 'delegated') {
    throw new GraphError(400, 'BadRequest', '/me request is only valid with delegated authentication flow.');
  }
}
