import { createHash } from 'node:crypto';
import { guidFromName } from '../ids.js';
import type { TenantSeed } from '../seed.js';
import {
  AUTOMATION_ROLES,
  CONTOSO,
  CREATED,
  DOMAIN,
  GRAPH_APP_ID,
  GRAPH_APP_ROLES,
  GRAPH_SCOPES,
  READER_ROLES,
  TENANT_ID,
} from './contoso-ids.js';
import { appRole, appServicePrincipal, graphRoleAssignments, graphServicePrincipal, securityGroup, user } from './contoso-builders.js';

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
          'Members of this role can create/manage groups, create/manage groups settings like naming and expiration policies, ' +
          'and view groups activity and audit reports.',
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
