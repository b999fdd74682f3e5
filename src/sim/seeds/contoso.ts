import { createHash } from 'node:crypto';
import { guidFromName } from '../ids.js';
import type {
  SeedAppRole,
  SeedAppRoleAssignment,
  SeedGroup,
  SeedPermissionScope,
  SeedServicePrincipal,
  SeedUser,
  TenantSeed,
} from '../seed.js';

const TENANT_ID = '8f2d6a3c-1b4e-4c5d-9e7f-0a1b2c3d4e5f';
const DOMAIN = 'contoso.example';
const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
/** Microsoft's own tenant, owner of first-party service principals. */
const MICROSOFT_TENANT_ID = 'f8cdef31-a31e-4b4a-93e4-5f571e91255a';
const CREATED = '2024-03-04T09:15:00Z';

/**
 * Microsoft Graph application permissions (app roles). Ids are Microsoft's where known
 * (spot-checked against public references); the few marked `made-up` are stable stand-ins.
 */
const GRAPH_APP_ROLES: Record<string, string> = {
  'Application.Read.All': '9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30',
  'Application.ReadWrite.All': '1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9',
  'Application.ReadWrite.OwnedBy': '18a4783c-866b-4cc7-a460-3d5e5662c884',
  'AppRoleAssignment.ReadWrite.All': '06b708a9-e830-4db3-a914-8e69da51d44f',
  'DelegatedPermissionGrant.ReadWrite.All': '8e8e4742-1d95-4f68-9d56-6ee75648c72a',
  'Directory.Read.All': '7ab1d382-f21e-4acd-a863-ba3e13f7da61',
  'Directory.ReadWrite.All': '19dbc75e-c2e2-444c-a770-ec69d8559fc7',
  'Group.Read.All': '5b567255-7703-4780-807c-7be8301ae99b',
  'Group.ReadWrite.All': '62a82d76-70ea-41e2-9197-370581804d09',
  'GroupMember.Read.All': '98830695-27a2-44f7-8c18-0c3ebc9698f6',
  'GroupMember.ReadWrite.All': 'dbaae8cf-10b5-4b86-a4a1-f871c94c6695',
  'User.Read.All': 'df021288-bdef-4463-88db-98f22de89214',
  'User.ReadWrite.All': '741f803b-c850-494e-b5df-cde7c675a1ca',
  'User.DeleteRestore.All': guidFromName('made-up:graph-role:User.DeleteRestore.All'),
  'Organization.Read.All': '498476ce-e0fe-48b0-b801-37ba7e2685c6',
  'Organization.ReadWrite.All': '292d869f-3427-49a8-9dab-8c70152b74e9',
  'LicenseAssignment.Read.All': guidFromName('made-up:graph-role:LicenseAssignment.Read.All'),
  'RoleManagement.Read.Directory': '483bed4a-2ad3-4361-a73b-c83ccdbdc53c',
  'RoleManagement.ReadWrite.Directory': '9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8',
  'PrivilegedAccess.Read.AzureADGroup': '01e37dc9-c035-40bd-b438-b2879c4870a6',
  'PrivilegedAccess.ReadWrite.AzureADGroup': '2f6817f8-7b12-4f0f-bc18-eeaf60705a9e',
  'PrivilegedEligibilitySchedule.Read.AzureADGroup': 'edb419d6-7edc-42a3-9345-509bfdf5d87c',
  'PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup': '618b6020-bca8-4de6-99f6-ef445fa4d857',
  'PrivilegedAssignmentSchedule.Read.AzureADGroup': 'cd4161cb-f098-48f8-a884-1eda9a42434c',
  'PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup': '41202f2c-f7ab-45be-b001-85c9728b9d69',
  'RoleManagementPolicy.Read.AzureADGroup': '69e67828-780e-47fd-b28c-7b27d14864e6',
  'RoleManagementPolicy.ReadWrite.AzureADGroup': 'b38dcc4d-a239-4ed6-aa84-6c65b284f97c',
};

/** Microsoft Graph delegated permissions (oauth2PermissionScopes); PIM-for-Groups ones are made-up. */
const GRAPH_SCOPES: Record<string, string> = {
  openid: '37f7f235-527c-4136-accd-4a02d197296e',
  profile: '14dad69e-099b-42c9-810b-d002981feec1',
  email: '64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0',
  offline_access: '7427e0e9-2fba-42fe-b0c0-848c9e6a8182',
  'User.Read': 'e1fe6dd8-ba31-4d61-89e7-88639da4683d',
  'User.ReadBasic.All': 'b340eb25-3456-403f-be2f-af7a0d370277',
  'User.Read.All': 'a154be20-db9c-4678-8ab7-66f6cc099a59',
  'User.ReadWrite.All': '204e0828-b5ca-4ad8-b9f3-f32a958e7cc4',
  'Application.Read.All': 'c79f8feb-a9db-4090-85f9-90d820caa0eb',
  'Application.ReadWrite.All': 'bdfbf15f-ee85-4955-8675-146e8e5296b5',
  'AppRoleAssignment.ReadWrite.All': '84bccea3-f856-4a8a-967b-dbe0a3d53a64',
  'DelegatedPermissionGrant.ReadWrite.All': '41ce6ca6-6826-4807-84f1-1c82854f7ee5',
  'Directory.Read.All': '06da0dbc-49e2-44d2-8312-53f166ab848a',
  'Directory.ReadWrite.All': 'c5366453-9fb0-48a5-a156-24f0c49a4b84',
  'Directory.AccessAsUser.All': '0e263e50-5827-48a4-b97c-d940288653c7',
  'Group.Read.All': '5f8c59db-677d-491f-a6b8-5f174b11ec1d',
  'Group.ReadWrite.All': '4e46008b-f24c-477d-8fff-7bb4ec7aafe0',
  'GroupMember.Read.All': 'bc024368-1153-4739-b217-4326f2e966d0',
  'GroupMember.ReadWrite.All': 'f81125ac-d3b7-4573-a3b2-7099cc39df9e',
  'Organization.Read.All': '4908d5b9-3fb2-4b1e-9336-1888b7937185',
  'LicenseAssignment.Read.All': guidFromName('made-up:graph-scope:LicenseAssignment.Read.All'),
  'RoleManagement.Read.Directory': '741c54c3-0c1e-44a1-818b-3f97ab4e8c83',
  'RoleManagement.ReadWrite.Directory': 'd01b97e9-cbc0-49fe-810a-750afd5527a3',
  'PrivilegedAccess.Read.AzureADGroup': guidFromName('made-up:graph-scope:PrivilegedAccess.Read.AzureADGroup'),
  'PrivilegedAccess.ReadWrite.AzureADGroup': guidFromName('made-up:graph-scope:PrivilegedAccess.ReadWrite.AzureADGroup'),
  'PrivilegedEligibilitySchedule.Read.AzureADGroup': guidFromName('made-up:graph-scope:PrivilegedEligibilitySchedule.Read.AzureADGroup'),
  'PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup': guidFromName(
    'made-up:graph-scope:PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup',
  ),
  'PrivilegedAssignmentSchedule.Read.AzureADGroup': guidFromName('made-up:graph-scope:PrivilegedAssignmentSchedule.Read.AzureADGroup'),
  'PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup': guidFromName(
    'made-up:graph-scope:PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup',
  ),
  'RoleManagementPolicy.Read.AzureADGroup': guidFromName('made-up:graph-scope:RoleManagementPolicy.Read.AzureADGroup'),
  'RoleManagementPolicy.ReadWrite.AzureADGroup': guidFromName('made-up:graph-scope:RoleManagementPolicy.ReadWrite.AzureADGroup'),
};

/** Read-only counterpart (for dry runs and 403 tests): exactly the README's "audit and run" row. */
const READER_ROLES = [
  'Application.Read.All',
  'GroupMember.Read.All',
  'User.Read.All',
  'LicenseAssignment.Read.All',
  'PrivilegedEligibilitySchedule.Read.AzureADGroup',
  'PrivilegedAssignmentSchedule.Read.AzureADGroup',
  'RoleManagementPolicy.Read.AzureADGroup',
];

/**
 * The automation app holds exactly what the README's Permissions table asks of an app-only run:
 * "audit and run", "run, in addition", "run with policy flags" and "run on a role-assignable
 * group" (test/unit/test-tokens.test.ts keeps this equal to PERMISSION_SETS). Nothing optional:
 * no Directory.Read.All, so the default test token is a least-privilege one.
 */
const AUTOMATION_ROLES = [
  ...READER_ROLES,
  'Application.ReadWrite.All',
  'AppRoleAssignment.ReadWrite.All',
  'GroupMember.ReadWrite.All',
  'PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup',
  'RoleManagementPolicy.ReadWrite.AzureADGroup',
  'RoleManagement.ReadWrite.Directory',
];

/** Fixed ids of the Contoso tenant, for tests. */
export const CONTOSO = {
  tenantId: TENANT_ID,
  domain: DOMAIN,
  graphAppId: GRAPH_APP_ID,
  graphSpId: 'a60567af-e0ea-467a-bd3d-9757fa4eae8e',
  keycloakAppId: '6aa062c7-e5d7-41d8-b19b-36404d3da184',
  keycloakAppObjectId: '5bc04088-6086-4dfa-ac10-9182e97d0f8c',
  keycloakSpId: 'ec9e400e-02e2-4d56-8187-a5d862298609',
  keycloakRoles: { tenantAdmin: '79e840d3-03b8-47c2-b3ad-881841fe8ec3', user: '498524c9-dbcc-4151-a740-0a99deb32517' },
  keycloakRedirectUri: 'https://sso.contoso.example/realms/acme/broker/entra/endpoint',
  keycloakSamlAppId: '7df32798-44f6-4845-83f2-f2b6bfd2e255',
  keycloakSamlAppObjectId: 'd847161c-2d00-423c-9606-aa215bf48bef',
  keycloakSamlSpId: '31c431ea-ea8d-4816-9a16-5c02e3ae5a1f',
  keycloakSamlRoles: {
    tenantAdmin: '22cfc1e5-046a-49fa-a450-c41ac9bf1c88',
    user: 'c87e6a02-f05b-4412-bf0a-0795743e44a8',
    msiamAccess: 'e0b721e4-97cb-4634-9bf8-1a45318b067b',
  },
  keycloakSamlEntityId: 'https://sso.contoso.example/realms/acme',
  /** A multi-tenant app from another tenant: service principal only, no application here. */
  fabrikamAppId: '9d8429ae-d1af-40ad-b04b-8b1a4b13f030',
  fabrikamSpId: 'd81668af-c8bf-42a6-b6f7-fa407839aa16',
  automation: {
    displayName: 'entra-pim-setup automation',
    clientId: '47357d33-e22b-426b-823e-b94172c814e3',
    clientSecret: 'sim~automation~Q8v.3kT_fY2pL9wZ',
    appObjectId: '0ae839a0-4f63-4920-9104-1d73a2194ce3',
    spId: 'ac280a54-12f6-464a-8279-8a9f41ab7e2f',
    roles: AUTOMATION_ROLES,
  },
  reader: {
    displayName: 'entra-pim-setup reader',
    clientId: 'a9283a13-b565-4a80-9419-395a4fbefd02',
    clientSecret: 'sim~reader~m4R.7dQ_xW1nB6cJ',
    appObjectId: guidFromName('contoso:reader-app'),
    spId: '004cabe5-0fab-47a4-886f-ba91ee39c039',
    roles: READER_ROLES,
  },
  users: {
    alice: 'a34645d2-3096-40e9-b0bc-387ab2c3eeeb',
    bob: '58ecd7d6-daa8-4996-be17-cb79a26c8b40',
    carol: '26d4ed77-1ded-4a9a-8b7d-cc64453e38ce',
    dave: '33d3ee94-622d-49a9-8099-d82185f4833c',
    erin: 'd07af9bb-fff3-4e45-ae62-bef0090998af',
    /** Guest from fabrikam.example. */
    guest: '71386c12-6496-42ac-b057-69251b807d8a',
    /** accountEnabled: false */
    disabled: 'bb2e3f0d-498f-4ac1-b88b-a40165df6e62',
    /** Global Administrator. */
    admin: '5ffdfa3f-8273-40d6-a851-51b5de4c3ece',
    /** Privileged Role Administrator. */
    pra: 'c3d997cd-c8fb-4b61-8673-04397929d69a',
    /** Cloud Application Administrator. */
    cloudAppAdmin: 'b6e2fc2a-f6b0-4556-b463-b60260c100d7',
    /** Groups Administrator. */
    groupsAdmin: 'bb4e5602-5189-49a7-b9f9-729df10fde61',
  },
  upns: {
    alice: `alice@${DOMAIN}`,
    bob: `bob@${DOMAIN}`,
    carol: `carol@${DOMAIN}`,
    dave: `dave@${DOMAIN}`,
    erin: `erin@${DOMAIN}`,
    guest: `frank_fabrikam.example#EXT#@${DOMAIN}`,
    disabled: `grace@${DOMAIN}`,
    admin: `admin@${DOMAIN}`,
    pra: `priya@${DOMAIN}`,
    cloudAppAdmin: `cody@${DOMAIN}`,
    groupsAdmin: `gina@${DOMAIN}`,
  },
  groups: {
    /** Security group; standing members carol and dave, owner erin; not role-assignable, not onboarded. */
    tenantAdmin: '014b90e2-4da2-4c61-9a52-332a0ce58215',
    /** Ordinary Keycloak users (alice, bob, carol, dave, erin); assigned to the Keycloak app's "user" role. */
    userPf: 'a2970e0d-c493-48e1-8385-3007f13385b3',
    dynAdmins: 'eed87f78-35c7-4c23-b7bd-3d08d9d15ddb',
    syncedAdmins: 'd1091109-2739-40db-89f0-c3ba025caebf',
    duplicateAdmins1: 'a912adac-e39e-48c7-bdd2-3ff39488d46b',
    duplicateAdmins2: 'f84cbfba-1db2-43d7-a36a-94af3826b60e',
    /** isAssignableToRole: true (member changes need RoleManagement.ReadWrite.Directory). */
    roleAssignableAdmins: '8d6e1c68-6d1a-4249-99ea-25fcd38dfdd1',
  },
  directoryRoles: {
    globalAdministrator: '4cec4d13-fabb-4138-9cd8-3607915b4c80',
    privilegedRoleAdministrator: 'a3b26c48-606a-4229-9cf6-34fbb128ed21',
    cloudApplicationAdministrator: '8a70be36-aa51-494e-b3c1-e4d65d3e3638',
    groupsAdministrator: guidFromName('contoso:role:groups-admin'),
  },
  skus: {
    emsPremium: 'b05e124f-c7cc-45a0-a6aa-8cf78c946968',
    office365E3: '6fd2c87f-b296-42f0-b197-1e91e994b900',
  },
  servicePlans: {
    aadPremiumP2: 'eec0eb4f-6444-4f95-aba0-50c24d67f998',
    aadPremium: '41781fb2-bc02-4b7c-bd55-b576c07bb09d',
  },
  /** The Keycloak app's existing app role assignment (user:pf → "user"). */
  userPfAssignmentId: 'r3dPa1BfRkOyX2QfYkFtT3Zqc1dCRV9uUmVhbGl6ZWQ',
  keycloakGrantId: 'x7QhR2k9ZUmn1fVtWwQ0aK3pYl8sT4uB6cD5eF7gH9i',
  permissions: { application: GRAPH_APP_ROLES, delegated: GRAPH_SCOPES },
} as const;

function user(key: keyof typeof CONTOSO.users, displayName: string, extra: Partial<SeedUser> = {}): SeedUser {
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

function securityGroup(id: string, displayName: string, extra: Partial<SeedGroup> = {}): SeedGroup {
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

function appRole(id: string, value: string | null, displayName: string, description: string): SeedAppRole {
  return { id, value, displayName, description, allowedMemberTypes: ['User'], isEnabled: true, origin: 'Application' };
}

function graphServicePrincipal(): SeedServicePrincipal {
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

function appServicePrincipal(
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

function graphRoleAssignments(principalId: string, roles: readonly string[]): SeedAppRoleAssignment[] {
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

/** A realistic tenant for the Keycloak + PIM for Groups scenario (fresh deep copy on each call). */
export function contosoSeed(): TenantSeed {
  const U = CONTOSO.users;
  const G = CONTOSO.groups;
  const kcRoles = [
    appRole(CONTOSO.keycloakRoles.tenantAdmin, 'tenant-admin', 'Tenant admin', 'Administers the Spark tenant in Keycloak.'),
    appRole(CONTOSO.keycloakRoles.user, 'user', 'User', 'Signs in to Spark.'),
  ];
  const samlRoles = [
    appRole(CONTOSO.keycloakSamlRoles.tenantAdmin, 'tenant-admin', 'Tenant admin', 'Administers the Spark tenant in Keycloak.'),
    // Custom (non-gallery) SAML apps come with these two default roles whose value is null.
    { ...appRole(CONTOSO.keycloakSamlRoles.user, null, 'User', 'User'), origin: 'Application' },
    { ...appRole(CONTOSO.keycloakSamlRoles.msiamAccess, null, 'msiam_access', 'msiam_access'), isEnabled: true },
  ];
  // The SAML app's token signing certificate, as Entra keeps it (Learn "servicePrincipal resource
  // type" / "keyCredential resource type"): a Sign and a Verify keyCredential of type
  // AsymmetricX509Cert; customKeyIdentifier (Binary, base64) defaults to the certificate's SHA-1
  // thumbprint; `key` is the base64 DER certificate (served only on $select=keyCredentials of a
  // single servicePrincipal); preferredTokenSigningKeyThumbprint names the certificate Entra signs
  // SAML responses with, as the upper-case hex thumbprint. A self-signed test certificate.
  const signingCert = SAML_SIGNING_CERT;
  const signingThumbprint = createHash('sha1').update(Buffer.from(signingCert, 'base64')).digest();
  const signingCertStart = '2024-03-04T09:20:00Z';
  const signingCertEnd = '2027-03-04T09:20:00Z';

  return structuredClone<TenantSeed>({
    tenantId: TENANT_ID,
    displayName: 'Contoso',
    defaultDomain: DOMAIN,
    verifiedDomains: ['contoso.onmicrosoft.com'],
    users: [
      user('alice', 'Alice Anders', { department: 'Engineering', jobTitle: 'Developer' }),
      user('bob', 'Bob Berg', { department: 'Engineering', jobTitle: 'Developer' }),
      user('carol', 'Carol Chen', { department: 'IT Admins', jobTitle: 'Platform engineer' }),
      user('dave', 'Dave Diaz', { department: 'IT Admins', jobTitle: 'Platform engineer' }),
      user('erin', 'Erin Eklund', { department: 'IT Admins', jobTitle: 'Platform lead' }),
      user('guest', 'Frank Fischer', { userType: 'Guest', mail: 'frank@fabrikam.example' }),
      user('disabled', 'Grace Gray', { accountEnabled: false }),
      user('admin', 'Tenant Administrator'),
      user('pra', 'Priya Patel', { jobTitle: 'Privileged role administrator' }),
      user('cloudAppAdmin', 'Cody Cole', { jobTitle: 'Cloud application administrator' }),
      user('groupsAdmin', 'Gina Grant', { jobTitle: 'Groups administrator' }),
    ],
    groups: [
      securityGroup(G.tenantAdmin, 'tenant-admin', {
        description: 'Spark tenant administrators (Keycloak tenant-admin)',
        members: [U.carol, U.dave],
        owners: [U.erin],
      }),
      securityGroup(G.userPf, 'user:pf', {
        description: 'Spark users',
        mailNickname: 'user-pf',
        members: [U.alice, U.bob, U.carol, U.dave, U.erin],
        owners: [U.erin],
      }),
      securityGroup(G.dynAdmins, 'dyn-admins', {
        groupTypes: ['DynamicMembership'],
        membershipRule: '(user.department -eq "IT Admins")',
        membershipRuleProcessingState: 'On',
        members: [U.carol, U.dave, U.erin],
      }),
      securityGroup(G.syncedAdmins, 'synced-admins', { onPremisesSyncEnabled: true, members: [U.alice] }),
      securityGroup(G.duplicateAdmins1, 'duplicate-admins', { description: 'first of two groups with this name', members: [U.bob] }),
      securityGroup(G.duplicateAdmins2, 'duplicate-admins', { description: 'second of two groups with this name' }),
      securityGroup(G.roleAssignableAdmins, 'keycloak-platform-admins', { isAssignableToRole: true, members: [U.dave], owners: [U.pra] }),
    ],
    applications: [
      {
        id: CONTOSO.keycloakAppObjectId,
        appId: CONTOSO.keycloakAppId,
        displayName: 'Keycloak (Spark)',
        signInAudience: 'AzureADMyOrg',
        identifierUris: [],
        web: {
          redirectUris: [CONTOSO.keycloakRedirectUri],
          homePageUrl: null,
          logoutUrl: null,
          implicitGrantSettings: { enableIdTokenIssuance: false, enableAccessTokenIssuance: false },
        },
        groupMembershipClaims: 'ApplicationGroup',
        optionalClaims: {
          idToken: [{ name: 'groups', source: null, essential: false, additionalProperties: ['cloud_displayname'] }],
          accessToken: [],
          saml2Token: [],
        },
        appRoles: kcRoles,
        requiredResourceAccess: [
          {
            resourceAppId: GRAPH_APP_ID,
            resourceAccess: ['openid', 'profile', 'email', 'User.Read'].map((s) => ({ id: GRAPH_SCOPES[s], type: 'Scope' as const })),
          },
        ],
        passwordCredentials: [
          {
            keyId: guidFromName('contoso:keycloak-secret'),
            displayName: 'keycloak broker',
            hint: 'kc~',
            startDateTime: CREATED,
            endDateTime: '2026-03-04T09:15:00Z',
            customKeyIdentifier: null,
            secretText: null,
          },
        ],
        keyCredentials: [],
        createdDateTime: CREATED,
      },
      {
        id: CONTOSO.keycloakSamlAppObjectId,
        appId: CONTOSO.keycloakSamlAppId,
        displayName: 'Keycloak SAML',
        signInAudience: 'AzureADMyOrg',
        identifierUris: [CONTOSO.keycloakSamlEntityId],
        web: { redirectUris: ['https://sso.contoso.example/realms/acme/broker/entra-saml/endpoint'], homePageUrl: null, logoutUrl: null },
        groupMembershipClaims: 'ApplicationGroup',
        optionalClaims: {
          idToken: [],
          accessToken: [],
          saml2Token: [{ name: 'groups', source: null, essential: false, additionalProperties: ['cloud_displayname'] }],
        },
        appRoles: samlRoles,
        requiredResourceAccess: [{ resourceAppId: GRAPH_APP_ID, resourceAccess: [{ id: GRAPH_SCOPES['User.Read'], type: 'Scope' }] }],
        passwordCredentials: [],
        keyCredentials: [],
        createdDateTime: CREATED,
      },
      {
        id: CONTOSO.automation.appObjectId,
        appId: CONTOSO.automation.clientId,
        displayName: CONTOSO.automation.displayName,
        signInAudience: 'AzureADMyOrg',
        identifierUris: [],
        web: { redirectUris: [] },
        groupMembershipClaims: null,
        optionalClaims: null,
        appRoles: [],
        requiredResourceAccess: [
          { resourceAppId: GRAPH_APP_ID, resourceAccess: AUTOMATION_ROLES.map((r) => ({ id: GRAPH_APP_ROLES[r], type: 'Role' as const })) },
        ],
        passwordCredentials: [
          {
            keyId: guidFromName('contoso:automation-secret'),
            displayName: 'ci',
            hint: 'sim',
            startDateTime: CREATED,
            endDateTime: '2026-09-04T09:15:00Z',
          },
        ],
        keyCredentials: [],
        createdDateTime: CREATED,
      },
      {
        id: CONTOSO.reader.appObjectId,
        appId: CONTOSO.reader.clientId,
        displayName: CONTOSO.reader.displayName,
        signInAudience: 'AzureADMyOrg',
        identifierUris: [],
        web: { redirectUris: [] },
        groupMembershipClaims: null,
        optionalClaims: null,
        appRoles: [],
        requiredResourceAccess: [
          { resourceAppId: GRAPH_APP_ID, resourceAccess: READER_ROLES.map((r) => ({ id: GRAPH_APP_ROLES[r], type: 'Role' as const })) },
        ],
        passwordCredentials: [],
        keyCredentials: [],
        createdDateTime: CREATED,
      },
    ],
    servicePrincipals: [
      graphServicePrincipal(),
      appServicePrincipal(CONTOSO.keycloakSpId, CONTOSO.keycloakAppId, 'Keycloak (Spark)', kcRoles),
      appServicePrincipal(CONTOSO.keycloakSamlSpId, CONTOSO.keycloakSamlAppId, 'Keycloak SAML', samlRoles, {
        preferredSingleSignOnMode: 'saml',
        samlSingleSignOnSettings: { relayState: null },
        servicePrincipalNames: [CONTOSO.keycloakSamlAppId, CONTOSO.keycloakSamlEntityId],
        tags: ['WindowsAzureActiveDirectoryCustomSingleSignOnApplication', 'WindowsAzureActiveDirectoryIntegratedApp'],
        keyCredentials: [
          {
            keyId: guidFromName('contoso:saml-sign'),
            displayName: `CN=Microsoft Azure Federated SSO Certificate`,
            type: 'AsymmetricX509Cert',
            usage: 'Sign',
            startDateTime: signingCertStart,
            endDateTime: signingCertEnd,
            customKeyIdentifier: signingThumbprint.toString('base64'),
            key: signingCert,
          },
          {
            keyId: guidFromName('contoso:saml-verify'),
            displayName: `CN=Microsoft Azure Federated SSO Certificate`,
            type: 'AsymmetricX509Cert',
            usage: 'Verify',
            startDateTime: signingCertStart,
            endDateTime: signingCertEnd,
            customKeyIdentifier: signingThumbprint.toString('base64'),
            key: signingCert,
          },
        ],
        preferredTokenSigningKeyThumbprint: signingThumbprint.toString('hex').toUpperCase(),
      }),
      appServicePrincipal(CONTOSO.fabrikamSpId, CONTOSO.fabrikamAppId, 'Fabrikam Portal', [], {
        appOwnerOrganizationId: guidFromName('fabrikam-tenant'),
      }),
      appServicePrincipal(CONTOSO.automation.spId, CONTOSO.automation.clientId, CONTOSO.automation.displayName, []),
      appServicePrincipal(CONTOSO.reader.spId, CONTOSO.reader.clientId, CONTOSO.reader.displayName, []),
    ],
    oauth2PermissionGrants: [
      {
        id: CONTOSO.keycloakGrantId,
        clientId: CONTOSO.keycloakSpId,
        consentType: 'AllPrincipals',
        principalId: null,
        resourceId: CONTOSO.graphSpId,
        scope: 'openid profile email User.Read',
      },
    ],
    appRoleAssignments: [
      {
        id: CONTOSO.userPfAssignmentId,
        appRoleId: CONTOSO.keycloakRoles.user,
        principalId: G.userPf,
        resourceId: CONTOSO.keycloakSpId,
        createdDateTime: CREATED,
      },
      ...graphRoleAssignments(CONTOSO.automation.spId, AUTOMATION_ROLES),
      ...graphRoleAssignments(CONTOSO.reader.spId, READER_ROLES),
    ],
    directoryRoles: [
      {
        id: CONTOSO.directoryRoles.globalAdministrator,
        roleTemplateId: '62e90394-69f5-4237-9190-012177145e10',
        displayName: 'Global Administrator',
        description: 'Can manage all aspects of Microsoft Entra ID and Microsoft services that use Microsoft Entra identities.',
        members: [U.admin],
      },
      {
        id: CONTOSO.directoryRoles.privilegedRoleAdministrator,
        roleTemplateId: 'e8611ab8-c189-46e8-94e1-60213ab1f814',
        displayName: 'Privileged Role Administrator',
        description: 'Can manage role assignments in Microsoft Entra ID, and all aspects of Privileged Identity Management.',
        members: [U.pra],
      },
      {
        id: CONTOSO.directoryRoles.cloudApplicationAdministrator,
        roleTemplateId: '158c047a-c907-4556-b7ef-446551a6b5f7',
        displayName: 'Cloud Application Administrator',
        description: 'Can create and manage all aspects of app registrations and enterprise apps except App Proxy.',
        members: [U.cloudAppAdmin],
      },
      {
        id: CONTOSO.directoryRoles.groupsAdministrator,
        roleTemplateId: 'fdd7a751-b60b-444a-984c-02652fe8fa1c',
        displayName: 'Groups Administrator',
        description:
          'Members of this role can create/manage groups, create/manage groups settings like naming and expiration policies, and view groups activity and audit reports.',
        members: [U.groupsAdmin],
      },
    ],
    subscribedSkus: [
      {
        skuId: CONTOSO.skus.emsPremium,
        skuPartNumber: 'EMSPREMIUM',
        appliesTo: 'User',
        capabilityStatus: 'Enabled',
        consumedUnits: 9,
        prepaidUnits: { enabled: 25, suspended: 0, warning: 0, lockedOut: 0 },
        servicePlans: [
          {
            servicePlanId: CONTOSO.servicePlans.aadPremiumP2,
            servicePlanName: 'AAD_PREMIUM_P2',
            provisioningStatus: 'Success',
            appliesTo: 'User',
          },
          {
            servicePlanId: CONTOSO.servicePlans.aadPremium,
            servicePlanName: 'AAD_PREMIUM',
            provisioningStatus: 'Success',
            appliesTo: 'User',
          },
          {
            servicePlanId: 'c1ec4a95-1f05-45b3-a911-aa3fa01094f5',
            servicePlanName: 'INTUNE_A',
            provisioningStatus: 'Success',
            appliesTo: 'User',
          },
        ],
      },
      {
        skuId: CONTOSO.skus.office365E3,
        skuPartNumber: 'ENTERPRISEPACK',
        appliesTo: 'User',
        capabilityStatus: 'Enabled',
        consumedUnits: 9,
        prepaidUnits: { enabled: 25, suspended: 0, warning: 0, lockedOut: 0 },
        servicePlans: [
          {
            servicePlanId: 'efb87545-963c-4e0d-99df-69c6916d9eb0',
            servicePlanName: 'EXCHANGE_S_ENTERPRISE',
            provisioningStatus: 'Success',
            appliesTo: 'User',
          },
        ],
      },
    ],
    clients: [
      {
        clientId: CONTOSO.automation.clientId,
        clientSecret: CONTOSO.automation.clientSecret,
        displayName: CONTOSO.automation.displayName,
        roles: [...AUTOMATION_ROLES],
      },
      {
        clientId: CONTOSO.reader.clientId,
        clientSecret: CONTOSO.reader.clientSecret,
        displayName: CONTOSO.reader.displayName,
        roles: [...READER_ROLES],
      },
    ],
    pim: { onboardedGroups: [], eligibilitySchedules: [], assignmentSchedules: [] },
    behaviour: {},
  });
}

/**
 * Returns a copy of `seed` with `n` generated member users added to `groupId`
 * (ids and UPNs are deterministic: `member-00001@{domain}` …).
 */
export function withManyMembers(seed: TenantSeed, groupId: string, n: number): TenantSeed {
  const out = structuredClone(seed);
  const group = out.groups.find((g) => g.id === groupId);
  if (!group) throw new Error(`withManyMembers: no group ${groupId} in the seed`);
  for (let i = 1; i <= n; i++) {
    const num = String(i).padStart(5, '0');
    const id = guidFromName(`member:${groupId}:${i}`);
    out.users.push({
      id,
      displayName: `Member ${num}`,
      givenName: 'Member',
      surname: num,
      userPrincipalName: `member-${num}@${out.defaultDomain}`,
      mail: `member-${num}@${out.defaultDomain}`,
      accountEnabled: true,
      userType: 'Member',
      createdDateTime: CREATED,
    });
    group.members.push(id);
  }
  return out;
}

/** The Contoso SAML app's token signing certificate (base64 DER, self-signed for the simulation). */
export const SAML_SIGNING_CERT =
  'MIIDSTCCAjGgAwIBAgIUVF7xuOhsdKbQZpDlyYueZZnzyjEwDQYJKoZIhvcNAQELBQAwNDEyMDAGA1UEAwwpTWljcm9zb2Z0IEF6dXJlIEZlZGVyYXRlZCBTU08gQ2VydGlmaWNhdGUwHhcNMjYxMTMwMTMyNTU3WhcNMzYxMTI3MTMyNTU3WjA0MTIwMAYDVQQDDClNaWNyb3NvZnQgQXp1cmUgRmVkZXJhdGVkIFNTTyBDZXJ0aWZpY2F0ZTCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBAK1bb8pRNvILWW+eENrvfIuy+85zQA/uPhFeodKCoylLR0U0Q+uj7fvQKZ+ZCpBDwEwHVxTxb0NrJQd8LazzhInKGfxqM7eLze1q8CM+z085MyY49SW153CdRVxu/fYM/F7GVg12hpkzF45y594cX3j/YypYefH1O7p6P8tgQEEm2iJoMHB12/Qi54y5yf7jegQgz8nU+eps0iuUvuUQgNahGELTPmMkFNKOfcibMUCoKQ5ABdOubzH7VV/X8obN88nkUpmzeNbt/6r+MIcnj7g6JE/Ebq2QoztELNpTScmpDJaIlb6xw2qtPg/j1vnwej/rgXDgT4+xYaAnGfSLiDECAwEAAaNTMFEwHQYDVR0OBBYEFJwvJ6Duo1E3g4X9x3vtTEiewblBMB8GA1UdIwQYMBaAFJwvJ6Duo1E3g4X9x3vtTEiewblBMA8GA1UdEwEB/wQFMAMBAf8wDQYJKoZIhvcNAQELBQADggEBAGHxRbxyDadBKNDygeby5RjlYMvg7mxjo/8HhjthqdAmha7C4phtq0Y8fi6kv+6bXawTY9IWhsyZxC1I0omAfQ2tYGRFfqg1c7wZZSqkv4ILdo53O2mY/ABz7n5Hv17Y+I5wV7aqzKya+iz8GH/2f8twZ9OGTSqwviUtU5cG1cfNAUr3pbUYw1qpIvg50vJxs3qfpscPMupVkI9lmuVi2LIpMjYYATJGxWQfGsuU2MT1odKQLl3Vma+oLQAX7ZL9vQ9OUfyQtQUOliK6lBqou92J26q5AoeEprBUXWWYnFFmhSxqmo3ZYXBEG55A4JHWbr2eLq+iQmsd7/5Ju4z4lLg=';
