/**
 * What the caller needs, per mode, from each endpoint's permission table on Microsoft Learn
 * (least privileged first). The README's "Permissions" section lists exactly these sets and
 * test/e2e/least-privilege.test.ts checks that it does, so README, checks and tests cannot drift.
 *
 * Per call (Learn page → least privileged, delegated work/school and application alike unless noted):
 * - GET /servicePrincipals(appId=…), ?$filter (serviceprincipal-get, serviceprincipal-list) → Application.Read.All
 * - GET /applications(appId=…) (application-get) → Application.Read.All
 * - GET /servicePrincipals/{id}/appRoleAssignments (serviceprincipal-list-approleassignments) → Application.Read.All
 * - GET /servicePrincipals/{id}/appRoleAssignedTo (serviceprincipal-list-approleassignedto) → Application.Read.All
 * - GET /oauth2PermissionGrants and /servicePrincipals/{id}/oauth2PermissionGrants (oauth2permissiongrant-list,
 *   serviceprincipal-list-oauth2permissiongrants) → Directory.Read.All; nothing smaller is listed, so the
 *   delegated-consent check is optional (see the optional permissions below)
 * - GET /groups/{id}/appRoleAssignments (group-list-approleassignments) → Directory.Read.All: not used, the
 *   group's assignment is read from the service principal's appRoleAssignedTo instead
 * - GET /groups, /groups/{id}, /members, /owners (group-list, group-get, group-list-members, group-list-owners) → GroupMember.Read.All
 * - GET /users/{id} (user-get) → User.Read.All for other users' accountEnabled/userType; /me → User.Read (User.Read.All is higher)
 * - GET /me/transitiveMemberOf/microsoft.graph.directoryRole (user-list-transitivememberof) → User.Read, but role
 *   properties come back null ("limited information") without RoleManagement.Read.Directory (directoryrole-list)
 * - GET /subscribedSkus (subscribedsku-list) → LicenseAssignment.Read.All
 * - GET …/privilegedAccess/group/eligibilitySchedules (privilegedaccessgroup-list-eligibilityschedules) → PrivilegedEligibilitySchedule.Read.AzureADGroup
 * - GET …/privilegedAccess/group/assignmentScheduleInstances (privilegedaccessgroup-list-assignmentscheduleinstances)
 *   → PrivilegedAssignmentSchedule.Read.AzureADGroup
 * - GET /policies/roleManagementPolicyAssignments (policyroot-list-rolemanagementpolicyassignments, group scope) → RoleManagementPolicy.Read.AzureADGroup
 * - PATCH /servicePrincipals/{id} (serviceprincipal-update) → D Application.ReadWrite.All; A Application.ReadWrite.OwnedBy
 * - POST /servicePrincipals/{id}/appRoleAssignedTo (serviceprincipal-post-approleassignedto) → AppRoleAssignment.ReadWrite.All and Application.Read.All
 * - DELETE /groups/{id}/members/{id}/$ref (group-delete-members) → GroupMember.ReadWrite.All (role-assignable group: also RoleManagement.ReadWrite.Directory)
 * - POST …/eligibilityScheduleRequests (privilegedaccessgroup-post-eligibilityschedulerequests) → PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup
 * - PATCH /policies/roleManagementPolicies/{id}/rules/{id} (unifiedrolemanagementpolicyrule-update, group scope)
 *   → RoleManagementPolicy.ReadWrite.AzureADGroup
 * - activate: …/eligibilityScheduleInstances/filterByCurrentUser → PrivilegedEligibilitySchedule.Read.AzureADGroup;
 *   POST …/assignmentScheduleRequests (privilegedaccessgroup-post-assignmentschedulerequests) → PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup
 * - verify-user: …/eligibilityScheduleInstances and …/assignmentScheduleInstances (privilegedaccessgroup-list-*) → the two
 *   *.Read.AzureADGroup permissions; signInActivity on /users/{id} → AuditLog.Read.All (optional: "unavailable" without it)
 */
export interface PermissionNeed {
  permission: string;
  satisfiedBy: string[];
  why: string;
}

const need = (permission: string, why: string, ...higher: string[]): PermissionNeed => ({
  permission,
  satisfiedBy: [permission, ...higher],
  why,
});

/**
 * The README's permission sets, one list per row of its table. Tests sign tokens holding exactly
 * these, and a test checks the README lists exactly these.
 */
export const PERMISSION_SETS = {
  /** "audit and run": every read a run makes. */
  auditAndRun: [
    'Application.Read.All',
    'GroupMember.Read.All',
    'User.Read.All',
    'LicenseAssignment.Read.All',
    'PrivilegedEligibilitySchedule.Read.AzureADGroup',
    'PrivilegedAssignmentSchedule.Read.AzureADGroup',
    'RoleManagementPolicy.Read.AzureADGroup',
  ],
  /** "run, in addition": the writes (app-only may hold Application.ReadWrite.OwnedBy instead of Application.ReadWrite.All). */
  runInAddition: [
    'Application.ReadWrite.All',
    'AppRoleAssignment.ReadWrite.All',
    'GroupMember.ReadWrite.All',
    'PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup',
  ],
  /** "run with policy flags". */
  policyFlags: ['RoleManagementPolicy.ReadWrite.AzureADGroup'],
  /** "run on a role-assignable group". */
  roleAssignableGroup: ['RoleManagement.ReadWrite.Directory'],
  /** "activate" (delegated only). */
  activate: ['User.Read', 'PrivilegedEligibilitySchedule.Read.AzureADGroup', 'PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup'],
  /** "verify-user": reads only. */
  verifyUser: [
    'User.Read.All',
    'GroupMember.Read.All',
    'PrivilegedEligibilitySchedule.Read.AzureADGroup',
    'PrivilegedAssignmentSchedule.Read.AzureADGroup',
  ],
  /** "restore": put members back, after reading each one live (users and service principals by id). */
  restore: ['GroupMember.ReadWrite.All', 'User.ReadBasic.All', 'Application.Read.All'],
  /** "optional": checks that are skipped with a warning without them. */
  optional: ['Directory.Read.All', 'RoleManagement.Read.Directory'],
} as const;

// Permissions that only make a check possible (without them the check says "not verified"):
// - reading oauth2PermissionGrants (admin consent for delegated permissions): Directory.Read.All,
//   DelegatedPermissionGrant.ReadWrite.All or Directory.ReadWrite.All; no smaller permission is documented;
// - reading directory role properties (roleTemplateId) in /me/transitiveMemberOf: RoleManagement.Read.Directory,
//   RoleManagement.ReadWrite.Directory, Directory.Read.All or Directory.ReadWrite.All.

export interface NeedsInput {
  mode: 'run' | 'audit';
  /** App-only tokens can use Application.ReadWrite.OwnedBy when the app owns the Keycloak SP. */
  appOnly: boolean;
  roleAssignableGroup: boolean;
  /** Whether pim-policy flags were given (policy writes are needed only then). */
  policyChanges: boolean;
}

/** The Graph permissions (scp or roles) the chosen mode needs. */
export function requiredPermissions(input: NeedsInput): PermissionNeed[] {
  const needs: PermissionNeed[] = [
    need(
      'Application.Read.All',
      'read the Keycloak app, its service principal, its assignments and its application permissions',
      'Application.ReadWrite.All',
      'Directory.Read.All',
      'Directory.ReadWrite.All',
    ),
    need(
      'GroupMember.Read.All',
      'read the admin group, its members and owners',
      'Group.Read.All',
      'GroupMember.ReadWrite.All',
      'Group.ReadWrite.All',
      'Directory.Read.All',
      'Directory.ReadWrite.All',
    ),
    need('User.Read.All', 'resolve the users to make eligible', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'),
    need(
      'LicenseAssignment.Read.All',
      'check the tenant licence (Entra ID P2 or ID Governance)',
      'Organization.Read.All',
      'Organization.ReadWrite.All',
      'Directory.Read.All',
      'Directory.ReadWrite.All',
    ),
    need(
      'PrivilegedEligibilitySchedule.Read.AzureADGroup',
      'read eligible assignments',
      'PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup',
    ),
    need(
      'PrivilegedAssignmentSchedule.Read.AzureADGroup',
      'read active assignments',
      'PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup',
    ),
    need('RoleManagementPolicy.Read.AzureADGroup', 'read the group activation policy', 'RoleManagementPolicy.ReadWrite.AzureADGroup'),
  ];
  if (input.mode === 'audit') return needs;
  const spWrite = input.appOnly
    ? need(
        'Application.ReadWrite.OwnedBy',
        'set "Assignment required" on the service principal',
        'Application.ReadWrite.All',
        'Directory.ReadWrite.All',
      )
    : need('Application.ReadWrite.All', 'set "Assignment required" on the service principal', 'Directory.ReadWrite.All');
  needs.push(
    spWrite,
    need('AppRoleAssignment.ReadWrite.All', 'assign the group to the app'),
    need('GroupMember.ReadWrite.All', 'remove standing members from the admin group', 'Group.ReadWrite.All', 'Directory.ReadWrite.All'),
    need('PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup', 'create eligible assignments (and onboard the group to PIM)'),
  );
  if (input.roleAssignableGroup) {
    needs.push(need('RoleManagement.ReadWrite.Directory', 'change members of a role-assignable group'));
  }
  if (input.policyChanges) {
    needs.push(need('RoleManagementPolicy.ReadWrite.AzureADGroup', 'change the activation policy'));
  }
  return needs;
}

/** The needs that none of the granted permissions satisfies. */
export function missingPermissions(needs: PermissionNeed[], granted: Iterable<string>): PermissionNeed[] {
  const have = new Set([...granted].map((p) => p.toLowerCase()));
  return needs.filter((n) => !n.satisfiedBy.some((p) => have.has(p.toLowerCase())));
}

/** Directory role template ids (Learn "Microsoft Entra built-in roles", permissions-reference). */
export const ROLE = {
  globalAdmin: '62e90394-69f5-4237-9190-012177145e10',
  privilegedRoleAdmin: 'e8611ab8-c189-46e8-94e1-60213ab1f814',
  groupsAdmin: 'fdd7a751-b60b-444a-984c-02652fe8fa1c',
  identityGovernanceAdmin: '45d8d3c5-c802-45c6-b32a-1d70b5e1e86e',
  userAdmin: 'fe930be7-5e62-47db-91af-98c3a49a38b1',
  directoryWriters: '9360feb5-f418-4baa-8175-e2a00bac4301',
  cloudAppAdmin: '158c047a-c907-4556-b7ef-446551a6b5f7',
  appAdmin: '9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3',
  globalReader: 'f2ef992c-3afb-46b9-b7cf-a126ee74c451',
} as const;

export interface RoleNeed {
  /** Any one of these role template ids satisfies the need. */
  anyOf: string[];
  names: string;
  why: string;
}

/**
 * Directory roles a signed-in (delegated) caller needs to write; Global Administrator covers all.
 * An owner of a group that is not role-assignable may manage its members and its PIM
 * assignments without a role (Learn "Remove member" and the PIM for Groups request pages:
 * "owner or member of the group"), so no role is needed for that part.
 */
export function requiredRoles(input: Omit<NeedsInput, 'appOnly'> & { callerOwnsGroup?: boolean }): RoleNeed[] {
  if (input.mode === 'audit') return [];
  const needs: RoleNeed[] = [
    {
      anyOf: [ROLE.globalAdmin, ROLE.cloudAppAdmin, ROLE.appAdmin],
      names: 'Cloud Application Administrator or Application Administrator',
      why: 'set "Assignment required" and assign the group to the app',
    },
  ];
  if (input.roleAssignableGroup) {
    needs.push({
      anyOf: [ROLE.globalAdmin, ROLE.privilegedRoleAdmin],
      names: 'Privileged Role Administrator',
      why: 'manage members and PIM of a role-assignable group',
    });
  } else if (!input.callerOwnsGroup) {
    needs.push({
      anyOf: [
        ROLE.globalAdmin,
        ROLE.privilegedRoleAdmin,
        ROLE.groupsAdmin,
        ROLE.identityGovernanceAdmin,
        ROLE.userAdmin,
        ROLE.directoryWriters,
      ],
      names: 'Groups Administrator, Identity Governance Administrator, User Administrator or Directory Writers',
      why: 'remove members and create eligible assignments',
    });
  }
  if (input.policyChanges) {
    needs.push({
      anyOf: [ROLE.globalAdmin, ROLE.privilegedRoleAdmin],
      names: 'Privileged Role Administrator',
      why: 'change the PIM activation policy',
    });
  }
  return needs;
}
