/**
 * What the caller needs, per mode (graph-api.md §§1–9). Each need names the least-privileged
 * permission first; any of `satisfiedBy` also does. Audit needs only read permissions.
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
    need('Application.Read.All', 'read the Keycloak app, its service principal and consent', 'Application.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'),
    need('DelegatedPermissionGrant.Read.All', 'check admin consent for delegated permissions', 'DelegatedPermissionGrant.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'),
    need('GroupMember.Read.All', 'read the admin group, its members and owners', 'Group.Read.All', 'GroupMember.ReadWrite.All', 'Group.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'),
    need('User.Read.All', 'resolve the users to make eligible', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'),
    need('LicenseAssignment.Read.All', 'check the tenant licence (Entra ID P2 or ID Governance)', 'Organization.Read.All', 'Organization.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'),
    need('PrivilegedEligibilitySchedule.Read.AzureADGroup', 'read eligible assignments', 'PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup'),
    need('PrivilegedAssignmentSchedule.Read.AzureADGroup', 'read active assignments', 'PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup'),
    need('RoleManagementPolicy.Read.AzureADGroup', 'read the group activation policy', 'RoleManagementPolicy.ReadWrite.AzureADGroup'),
  ];
  if (input.mode === 'audit') return needs;
  const spWrite = input.appOnly
    ? need('Application.ReadWrite.OwnedBy', 'set "Assignment required" on the service principal', 'Application.ReadWrite.All')
    : need('Application.ReadWrite.All', 'set "Assignment required" on the service principal');
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

/** Directory role template ids (graph-api.md §4). */
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

/** Directory roles a signed-in (delegated) caller needs to write; Global Administrator covers all. */
export function requiredRoles(input: Omit<NeedsInput, 'appOnly'>): RoleNeed[] {
  if (input.mode === 'audit') return [];
  const needs: RoleNeed[] = [
    {
      anyOf: [ROLE.globalAdmin, ROLE.cloudAppAdmin, ROLE.appAdmin],
      names: 'Cloud Application Administrator or Application Administrator',
      why: 'set "Assignment required" and assign the group to the app',
    },
    input.roleAssignableGroup
      ? { anyOf: [ROLE.globalAdmin, ROLE.privilegedRoleAdmin], names: 'Privileged Role Administrator', why: 'manage members and PIM of a role-assignable group' }
      : {
          anyOf: [ROLE.globalAdmin, ROLE.privilegedRoleAdmin, ROLE.groupsAdmin, ROLE.identityGovernanceAdmin, ROLE.userAdmin, ROLE.directoryWriters],
          names: 'Groups Administrator, Identity Governance Administrator, User Administrator or Directory Writers',
          why: 'remove members and create eligible assignments',
        },
  ];
  if (input.policyChanges) {
    needs.push({ anyOf: [ROLE.globalAdmin, ROLE.privilegedRoleAdmin], names: 'Privileged Role Administrator', why: 'change the PIM activation policy' });
  }
  return needs;
}
