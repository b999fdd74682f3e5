import { guidFromName } from '../ids.js';
import type { SeedAppRole, SeedAppRoleAssignment, SeedGroup, SeedPermissionScope, SeedServicePrincipal, SeedUser } from '../seed.js';
import { CONTOSO, CREATED, GRAPH_APP_ID, GRAPH_APP_ROLES, GRAPH_SCOPES, MICROSOFT_TENANT_ID, TENANT_ID } from './contoso-ids.js';

// Builders of the Contoso seed's objects, with the defaults Graph shows for a fresh one.

/** A Contoso user by its key in CONTOSO.users. */
export function user(key: keyof typeof CONTOSO.users, displayName: string, extra: Partial<SeedUser> = {}): SeedUser {
  const [givenName, surname] = displayName.split(' ');
  return {
    id: CONTOSO.users[key],
    displayName,
    givenName: givenName ?? null,
    surname: surname ?? null,
    userPrincipalName: CONTOSO.upns[key],
    mail: CONTOSO.upns[key],
    jobTitle: null,
    department: null,
    accountEnabled: true,
    userType: 'Member',
    createdDateTime: CREATED,
    ...extra,
  };
}

/** A cloud-only security group with no members or owners. */
export function securityGroup(id: string, displayName: string, extra: Partial<SeedGroup> = {}): SeedGroup {
  return {
    id,
    displayName,
    description: null,
    mailNickname: displayName.replace(/[^A-Za-z0-9-]/g, '') || 'group',
    mail: null,
    securityEnabled: true,
    mailEnabled: false,
    groupTypes: [],
    isAssignableToRole: false,
    onPremisesSyncEnabled: null,
    membershipRule: null,
    membershipRuleProcessingState: null,
    createdDateTime: CREATED,
    members: [],
    owners: [],
    ...extra,
  };
}

/** An enabled app role that users can be assigned. */
export function appRole(id: string, value: string | null, displayName: string, description: string): SeedAppRole {
  return { id, value, displayName, description, allowedMemberTypes: ['User'], isEnabled: true, origin: 'Application' };
}

/** Microsoft Graph's service principal, with its app roles and delegated scopes. */
export function graphServicePrincipal(): SeedServicePrincipal {
  const appRoles: SeedAppRole[] = Object.entries(GRAPH_APP_ROLES).map(([value, id]) => ({
    id,
    value,
    displayName: value,
    description: `Allows the app to use ${value} without a signed-in user.`,
    allowedMemberTypes: ['Application'],
    isEnabled: true,
    origin: 'Application',
  }));
  const scopes: SeedPermissionScope[] = Object.entries(GRAPH_SCOPES).map(([value, id]) => ({
    id,
    value,
    type: ['openid', 'profile', 'email', 'offline_access', 'User.Read', 'User.ReadBasic.All'].includes(value) ? 'User' : 'Admin',
    adminConsentDisplayName: value,
    adminConsentDescription: `Allows the app to use ${value} on behalf of the signed-in user.`,
    userConsentDisplayName: value,
    userConsentDescription: `Allows the app to use ${value} on your behalf.`,
    isEnabled: true,
  }));
  return {
    id: CONTOSO.graphSpId,
    appId: GRAPH_APP_ID,
    displayName: 'Microsoft Graph',
    appDisplayName: 'Microsoft Graph',
    appOwnerOrganizationId: MICROSOFT_TENANT_ID,
    accountEnabled: true,
    appRoleAssignmentRequired: false,
    preferredSingleSignOnMode: null,
    samlSingleSignOnSettings: null,
    appRoles,
    oauth2PermissionScopes: scopes,
    servicePrincipalType: 'Application',
    servicePrincipalNames: [
      'https://graph.microsoft.com',
      'https://graph.microsoft.com/',
      GRAPH_APP_ID,
      'https://canary.graph.microsoft.com',
    ],
    tags: [],
    keyCredentials: [],
    preferredTokenSigningKeyThumbprint: null,
  };
}

/** The service principal of one of the tenant's apps. */
export function appServicePrincipal(
  id: string,
  appId: string,
  displayName: string,
  appRoles: SeedAppRole[],
  extra: Partial<SeedServicePrincipal> = {},
): SeedServicePrincipal {
  return {
    id,
    appId,
    displayName,
    appDisplayName: displayName,
    appOwnerOrganizationId: TENANT_ID,
    accountEnabled: true,
    appRoleAssignmentRequired: false,
    preferredSingleSignOnMode: null,
    samlSingleSignOnSettings: null,
    appRoles: appRoles.map((r) => ({ ...r })),
    oauth2PermissionScopes: [],
    servicePrincipalType: 'Application',
    servicePrincipalNames: [appId],
    tags: ['WindowsAzureActiveDirectoryIntegratedApp'],
    keyCredentials: [],
    preferredTokenSigningKeyThumbprint: null,
    ...extra,
  };
}

/** Graph app role assignments of `roles` to a service principal. */
export function graphRoleAssignments(principalId: string, roles: readonly string[]): SeedAppRoleAssignment[] {
  return roles.map((r) => ({
    id: Buffer.from(guidFromName(`contoso:ara:${principalId}:${r}`))
      .toString('base64url')
      .slice(0, 43),
    appRoleId: GRAPH_APP_ROLES[r],
    principalId,
    resourceId: CONTOSO.graphSpId,
    createdDateTime: CREATED,
  }));
}
