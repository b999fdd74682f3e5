import { GraphError, forbidden } from './errors.js';
import type { TenantState } from './state.js';

/** Directory role template ids (graph-api.md §4). */
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
  /** Role-assignable groups additionally need these (all-of lists), and only these delegated roles. */
  roleAssignable?: { allOf: string[][]; delegatedRoles: string[] };
  /** Delegated callers also need one of these directory roles (Global Administrator always passes). */
  delegatedRoles?: string[];
  /** Group owners pass the delegated role check for their own group. */
  ownersMayWrite?: boolean;
}

const DIRECTORY_READ = ['Directory.Read.All', 'Directory.ReadWrite.All'];
const APPLICATION_READ = ['Application.Read.All', 'Application.ReadWrite.All', ...DIRECTORY_READ];
const GROUP_READ = ['GroupMember.Read.All', 'Group.Read.All', 'GroupMember.ReadWrite.All', 'Group.ReadWrite.All', ...DIRECTORY_READ];
const USER_READ = ['User.ReadBasic.All', 'User.Read.All', 'User.ReadWrite.All', ...DIRECTORY_READ];
const PIM_WRITE_ROLES = [R.privilegedRoleAdministrator, R.groupsAdministrator, R.identityGovernanceAdministrator, R.userAdministrator, R.directoryWriters];
const APP_ADMIN_ROLES = [R.cloudApplicationAdministrator, R.applicationAdministrator];

/**
 * Least-privileged permission per operation plus the documented higher ones (graph-api.md).
 * Application.ReadWrite.OwnedBy is handled separately: it only counts when the caller owns the target.
 */
export const PERMISSIONS = {
  'servicePrincipals.read': { allOf: [[...APPLICATION_READ, 'Application.ReadWrite.OwnedBy']] },
  'servicePrincipals.update': {
    allOf: [['Application.ReadWrite.All', 'Directory.AccessAsUser.All']],
    delegatedRoles: APP_ADMIN_ROLES,
  },
  'applications.read': { allOf: [[...APPLICATION_READ, 'Application.ReadWrite.OwnedBy']] },
  'oauth2PermissionGrants.read': { allOf: [['Directory.Read.All', 'DelegatedPermissionGrant.ReadWrite.All', 'Directory.ReadWrite.All']] },
  'appRoleAssignments.read': { allOf: [[...APPLICATION_READ, 'AppRoleAssignment.ReadWrite.All']] },
  'groupAppRoleAssignments.read': { allOf: [[...DIRECTORY_READ, 'Group.Read.All', 'Group.ReadWrite.All', 'AppRoleAssignment.ReadWrite.All']] },
  // Community-reported: AppRoleAssignment.ReadWrite.All alone is not enough to create assignments.
  'appRoleAssignedTo.create': {
    allOf: [['AppRoleAssignment.ReadWrite.All'], APPLICATION_READ],
    delegatedRoles: [...APP_ADMIN_ROLES, R.userAdministrator, R.identityGovernanceAdministrator, R.directoryWriters, R.privilegedRoleAdministrator],
  },
  'appRoleAssignedTo.delete': {
    allOf: [['AppRoleAssignment.ReadWrite.All']],
    delegatedRoles: [...APP_ADMIN_ROLES, R.userAdministrator, R.identityGovernanceAdministrator, R.directoryWriters, R.privilegedRoleAdministrator],
  },
  'subscribedSkus.read': {
    allOf: [['LicenseAssignment.Read.All', 'LicenseAssignment.ReadWrite.All', 'Organization.Read.All', 'Organization.ReadWrite.All', ...DIRECTORY_READ]],
  },
  'me.read': { allOf: [['User.Read', 'User.ReadWrite', ...USER_READ]] },
  'users.read': { allOf: [USER_READ] },
  'groups.read': { allOf: [GROUP_READ] },
  'groups.members.write': {
    allOf: [['GroupMember.ReadWrite.All', 'Group.ReadWrite.All', 'Directory.ReadWrite.All', 'Directory.AccessAsUser.All']],
    delegatedRoles: [R.groupsAdministrator, R.userAdministrator, R.directoryWriters, R.privilegedRoleAdministrator],
    ownersMayWrite: true,
    roleAssignable: { allOf: [['RoleManagement.ReadWrite.Directory']], delegatedRoles: [R.privilegedRoleAdministrator] },
  },
  // DELETE /groups/{id}/members/{memberId} without /$ref addresses the member object itself.
  'directoryObjects.delete': {
    allOf: [['User.ReadWrite.All', 'User.DeleteRestore.All', 'Directory.ReadWrite.All', 'Directory.AccessAsUser.All']],
    delegatedRoles: [R.userAdministrator],
  },
  'pim.resources.read': { allOf: [['PrivilegedAccess.Read.AzureADGroup', 'PrivilegedAccess.ReadWrite.AzureADGroup']] },
  'pim.eligibility.read': {
    allOf: [[
      'PrivilegedEligibilitySchedule.Read.AzureADGroup',
      'PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup',
      'PrivilegedAccess.Read.AzureADGroup',
      'PrivilegedAccess.ReadWrite.AzureADGroup',
    ]],
  },
  'pim.eligibility.write': {
    allOf: [['PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup', 'PrivilegedAccess.ReadWrite.AzureADGroup']],
    delegatedRoles: PIM_WRITE_ROLES,
    ownersMayWrite: true,
    roleAssignable: { allOf: [], delegatedRoles: [R.privilegedRoleAdministrator] },
  },
  'pim.assignment.read': {
    allOf: [[
      'PrivilegedAssignmentSchedule.Read.AzureADGroup',
      'PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup',
      'PrivilegedAccess.Read.AzureADGroup',
      'PrivilegedAccess.ReadWrite.AzureADGroup',
    ]],
  },
  'pim.assignment.write': {
    allOf: [['PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup', 'PrivilegedAccess.ReadWrite.AzureADGroup']],
    delegatedRoles: PIM_WRITE_ROLES,
    ownersMayWrite: true,
    roleAssignable: { allOf: [], delegatedRoles: [R.privilegedRoleAdministrator] },
  },
  // Self-activation: the scope alone; eligibility is checked by PIM itself.
  'pim.assignment.self': { allOf: [['PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup', 'PrivilegedAccess.ReadWrite.AzureADGroup']] },
  'policies.read': { allOf: [['RoleManagementPolicy.Read.AzureADGroup', 'RoleManagementPolicy.ReadWrite.AzureADGroup']] },
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
  const allOf = roleAssignable ? [...rule.allOf, ...rule.roleAssignable!.allOf] : rule.allOf;
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

/** 400 for endpoints that only make sense with a signed-in user. */
export function requireDelegated(auth: AuthInfo): void {
  if (auth.kind !== 'delegated') {
    throw new GraphError(400, 'BadRequest', '/me request is only valid with delegated authentication flow.');
  }
}
