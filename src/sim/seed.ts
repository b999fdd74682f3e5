/**
 * JSON-serialisable description of a simulated Entra tenant.
 *
 * Entity shapes follow Microsoft Graph v1.0 property names so a seed can be written by
 * copying real responses. Fields that Graph exposes through navigation properties
 * (group members/owners, service principal owners, directory role members) are stored
 * inline as id arrays; the simulation projects them away when serving the entity.
 */

/** `#microsoft.graph.user` (the subset the project reads). */
export interface SeedUser {
  id: string;
  displayName: string;
  userPrincipalName: string;
  mail?: string | null;
  givenName?: string | null;
  surname?: string | null;
  jobTitle?: string | null;
  department?: string | null;
  accountEnabled: boolean;
  userType: 'Member' | 'Guest';
  createdDateTime?: string;
}

export interface SeedGroup {
  id: string;
  displayName: string;
  description?: string | null;
  mailNickname?: string;
  mail?: string | null;
  securityEnabled: boolean;
  mailEnabled: boolean;
  groupTypes: string[];
  isAssignableToRole: boolean;
  onPremisesSyncEnabled?: boolean | null;
  membershipRule?: string | null;
  membershipRuleProcessingState?: string | null;
  createdDateTime?: string;
  /** Standing direct members (user, group or service principal ids), in insertion order. */
  members: string[];
  /** Owners (user or service principal ids). */
  owners: string[];
}

export interface SeedAppRole {
  id: string;
  value: string | null;
  displayName: string;
  description: string;
  allowedMemberTypes: string[];
  isEnabled: boolean;
  origin?: string;
}

export interface SeedPermissionScope {
  id: string;
  value: string;
  type: 'User' | 'Admin';
  adminConsentDisplayName: string;
  adminConsentDescription: string;
  userConsentDisplayName?: string | null;
  userConsentDescription?: string | null;
  isEnabled: boolean;
}

export interface SeedKeyCredential {
  keyId: string;
  displayName?: string | null;
  type: string;
  usage: string;
  startDateTime: string;
  endDateTime: string;
  customKeyIdentifier?: string | null;
  key?: string | null;
}

export interface SeedPasswordCredential {
  keyId: string;
  displayName?: string | null;
  hint?: string | null;
  startDateTime: string;
  endDateTime: string;
  customKeyIdentifier?: string | null;
  secretText?: string | null;
}

export interface SeedApplication {
  id: string;
  appId: string;
  displayName: string;
  signInAudience?: string;
  identifierUris: string[];
  web: { redirectUris: string[]; homePageUrl?: string | null; logoutUrl?: string | null; implicitGrantSettings?: Record<string, boolean> };
  groupMembershipClaims: string | null;
  optionalClaims: {
    idToken: SeedOptionalClaim[];
    accessToken: SeedOptionalClaim[];
    saml2Token: SeedOptionalClaim[];
  } | null;
  appRoles: SeedAppRole[];
  requiredResourceAccess: { resourceAppId: string; resourceAccess: { id: string; type: 'Scope' | 'Role' }[] }[];
  passwordCredentials: SeedPasswordCredential[];
  keyCredentials: SeedKeyCredential[];
  createdDateTime?: string;
}

export interface SeedOptionalClaim {
  name: string;
  source: string | null;
  essential: boolean;
  additionalProperties: string[];
}

export interface SeedServicePrincipal {
  id: string;
  appId: string;
  displayName: string;
  appDisplayName?: string | null;
  appOwnerOrganizationId?: string | null;
  accountEnabled: boolean;
  appRoleAssignmentRequired: boolean;
  preferredSingleSignOnMode: string | null;
  samlSingleSignOnSettings: { relayState: string | null } | null;
  appRoles: SeedAppRole[];
  oauth2PermissionScopes: SeedPermissionScope[];
  servicePrincipalType: string;
  servicePrincipalNames: string[];
  tags: string[];
  keyCredentials: SeedKeyCredential[];
  passwordCredentials?: SeedPasswordCredential[];
  preferredTokenSigningKeyThumbprint: string | null;
  notes?: string | null;
  /** Owner object ids (used for the Application.ReadWrite.OwnedBy permission). */
  owners?: string[];
}

export interface SeedOAuth2PermissionGrant {
  id: string;
  clientId: string;
  consentType: 'AllPrincipals' | 'Principal';
  principalId: string | null;
  resourceId: string;
  scope: string;
}

export interface SeedAppRoleAssignment {
  id: string;
  appRoleId: string;
  principalId: string;
  resourceId: string;
  createdDateTime: string;
}

export interface SeedDirectoryRole {
  id: string;
  roleTemplateId: string;
  displayName: string;
  description?: string;
  /** Active members: user ids, or ids of role-assignable groups (expanded transitively). */
  members: string[];
}

export interface SeedServicePlan {
  servicePlanId: string;
  servicePlanName: string;
  provisioningStatus: string;
  appliesTo: string;
}

export interface SeedSubscribedSku {
  skuId: string;
  skuPartNumber: string;
  appliesTo: string;
  capabilityStatus: 'Enabled' | 'Warning' | 'Suspended' | 'Deleted' | 'LockedOut';
  consumedUnits: number;
  prepaidUnits: { enabled: number; suspended: number; warning: number; lockedOut: number };
  servicePlans: SeedServicePlan[];
}

/** An app registration that may use the client-credentials flow against the sim. */
export interface SeedClient {
  clientId: string;
  clientSecret: string;
  displayName: string;
  /** Application permissions (values, e.g. `Group.Read.All`) put in the token's `roles` claim. */
  roles: string[];
}

/** A PIM schedule in normalised form (`endDateTime: null` = no expiration). */
export interface SeedSchedule {
  id: string;
  groupId: string;
  principalId: string;
  accessId: 'member' | 'owner';
  /** `null` only for standing members surfaced as permanent assignments. */
  startDateTime: string | null;
  endDateTime: string | null;
  createdDateTime: string;
  modifiedDateTime?: string | null;
  /** Id of the schedule request that created it. */
  createdUsing: string | null;
  /** Active schedules only. */
  assignmentType?: 'assigned' | 'activated';
}

export type PolicyRule = Record<string, unknown> & { '@odata.type': string; id: string; target: Record<string, unknown> };

export interface SeedPolicy {
  groupId: string;
  accessId: 'member' | 'owner';
  /** `Group_{groupId}_{guid}` */
  policyId: string;
  /** `{policyId}_{accessId}` */
  assignmentId: string;
  lastModifiedDateTime: string | null;
  rules: PolicyRule[];
}

export interface SeedPim {
  /** Group ids already onboarded to PIM for Groups. */
  onboardedGroups: string[];
  eligibilitySchedules: SeedSchedule[];
  /** PIM-created active assignments (standing members are derived from group membership). */
  assignmentSchedules: SeedSchedule[];
  eligibilityScheduleRequests?: Record<string, unknown>[];
  assignmentScheduleRequests?: Record<string, unknown>[];
}

export interface ConsistencySettings {
  /**
   * A new eligibility schedule answers 404 on its first N direct GETs, and a new app role
   * assignment is missing from list reads N times (models Entra replication lag).
   */
  notFoundAfterCreate?: number;
  /**
   * A new eligibility schedule answers 404 on `GET …/eligibilitySchedules/{id}` until this much
   * simulated time has passed since its request (PIM's schedule lag, which
   * terraform-provider-azuread waits up to 5 minutes for). Lists show it at once (unconfirmed: see ASSUMPTIONS.md).
   */
  scheduleLagMs?: number;
}

export interface SeedBehaviour {
  consistency?: ConsistencySettings;
  /**
   * Schedule requests matching an entry (or all, when `true`) are answered 201 with
   * `status: "Failed"` and change nothing — Graph can report failure inside a 201.
   */
  failScheduleRequests?: boolean | { groupId?: string; principalId?: string }[];
}

export interface TenantSeed {
  tenantId: string;
  displayName: string;
  /** Initial verified domain, e.g. `contoso.example`. */
  defaultDomain: string;
  /** Further verified domains (e.g. the tenant's `*.onmicrosoft.com`): sign-in accepts them in place of the tenant id. */
  verifiedDomains?: string[];
  users: SeedUser[];
  groups: SeedGroup[];
  applications: SeedApplication[];
  servicePrincipals: SeedServicePrincipal[];
  oauth2PermissionGrants: SeedOAuth2PermissionGrant[];
  appRoleAssignments: SeedAppRoleAssignment[];
  directoryRoles: SeedDirectoryRole[];
  subscribedSkus: SeedSubscribedSku[];
  clients: SeedClient[];
  pim?: SeedPim;
  /** Role management policies; groups without an entry get default policies. */
  policies?: SeedPolicy[];
  behaviour?: SeedBehaviour;
}
