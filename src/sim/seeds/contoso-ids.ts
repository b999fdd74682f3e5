import { guidFromName } from '../ids.js';

// The Contoso tenant's fixed ids and names, and the Graph permissions its apps hold: what tests
// refer to (CONTOSO) and what contoso.ts builds the seed from.

export const TENANT_ID = '8f2d6a3c-1b4e-4c5d-9e7f-0a1b2c3d4e5f';
export const DOMAIN = 'contoso.example';
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
/** Microsoft's own tenant, owner of first-party service principals. */
export const MICROSOFT_TENANT_ID = 'f8cdef31-a31e-4b4a-93e4-5f571e91255a';
export const CREATED = '2024-03-04T09:15:00Z';

/**
 * Microsoft Graph application permissions (app roles). Ids are Microsoft's where known
 * (spot-checked against public references); the few marked `made-up` are stable stand-ins.
 */
export const GRAPH_APP_ROLES: Record<string, string> = {
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
export const GRAPH_SCOPES: Record<string, string> = {
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
export const READER_ROLES = [
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
export const AUTOMATION_ROLES = [
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
