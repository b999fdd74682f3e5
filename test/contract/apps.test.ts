/**
 * Contract tests, apps: servicePrincipals, applications, appRoleAssignedTo, appRoleAssignments,
 * oauth2PermissionGrants. Facts restate the documented example responses
 * (microsoft-graph-docs-contrib, api-reference/v1.0/api/<page>.md), cited per block.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { planAppAssignment } from '../../src/steps/app-assignment.js';
import { readAfterPrerequisites } from '../../src/steps/read-tenant.js';
import { analyseConsent } from '../../src/steps/prerequisites-analysis.js';
import { FakeGraph, fakeContext } from '../support/fake-graph.js';
import { appToken, arrayOf, call, checkCollection, checkFacts, closeSims, CONTOSO, oneOf, shape, sim, type Facts } from './facts.js';

afterEach(closeSims);

const SP = CONTOSO.keycloakSpId;

/** An appRole as the servicePrincipal and application examples write it. */
const APP_ROLE_FACTS: Facts = {
  allowedMemberTypes: arrayOf(oneOf('User', 'Application')),
  description: 'string|null',
  displayName: 'string|null',
  id: 'string',
  isEnabled: 'boolean',
  origin: oneOf('Application', 'ServicePrincipal'),
  value: 'string|null',
};

/**
 * Learn "Get servicePrincipal" (serviceprincipal-get), examples 1 and 2: 200; context
 * `$metadata#servicePrincipals(<selected>)/$entity` when $select is used; the properties below.
 */
const SP_FACTS: Facts = {
  id: 'string',
  appId: 'string',
  displayName: 'string',
  accountEnabled: 'boolean',
  appOwnerOrganizationId: 'string|null',
  appRoleAssignmentRequired: 'boolean',
  appRoles: arrayOf(shape(APP_ROLE_FACTS)),
  servicePrincipalType: 'string|null',
  tags: 'array',
};
const SP_SELECT =
  'id,appId,displayName,appRoleAssignmentRequired,accountEnabled,preferredSingleSignOnMode,samlSingleSignOnSettings,appRoles,servicePrincipalType,tags,appOwnerOrganizationId,keyCredentials,preferredTokenSigningKeyThumbprint';

describe('GET /servicePrincipals (serviceprincipal-get, serviceprincipal-list)', () => {
  it('answers by appId with the documented shape, with Application.Read.All (least privileged)', async () => {
    const s = await sim();
    const token = await appToken(s, 'Application.Read.All');
    const res = await call(s, token, 'GET', `/servicePrincipals(appId='${CONTOSO.keycloakAppId}')?$select=${SP_SELECT}`);
    expect(res.status).toBe(200);
    expect(String(res.body!['@odata.context'])).toMatch(new RegExp(`/\\$metadata#servicePrincipals\\(${SP_SELECT}\\)/\\$entity$`));
    expect(checkFacts(res.body, SP_FACTS)).toEqual([]);
    expect(
      Object.keys(res.body!)
        .filter((k) => !k.startsWith('@'))
        .sort(),
    ).toEqual(SP_SELECT.split(',').sort());
  });

  // Learn "servicePrincipal resource type": keyCredentials (keyCredential collection) and
  // preferredTokenSigningKeyThumbprint (String; on SAML apps, which certificate signs the SAML
  // responses). Learn "keyCredential resource type": customKeyIdentifier Binary (base64; defaults
  // to the certificate's thumbprint), type e.g. AsymmetricX509Cert, usage e.g. Verify, and `key`
  // (the base64 certificate) returned only on $select=keyCredentials of a single object, else null.
  it("a SAML app's signing keys: a Sign and a Verify certificate, the preferred thumbprint, key only on a single object's $select", async () => {
    const s = await sim();
    const token = await appToken(s, 'Application.Read.All');
    const res = await call(s, token, 'GET', `/servicePrincipals(appId='${CONTOSO.keycloakSamlAppId}')?$select=${SP_SELECT}`);
    expect(res.status).toBe(200);
    const KEY_FACTS: Facts = {
      keyId: 'string',
      type: 'string',
      usage: oneOf('Sign', 'Verify'),
      customKeyIdentifier: 'string|null',
      key: 'string|null',
      startDateTime: 'string',
      endDateTime: 'string',
      displayName: 'string|null',
    };
    expect(
      checkFacts(res.body, {
        ...SP_FACTS,
        preferredSingleSignOnMode: oneOf('saml'),
        keyCredentials: arrayOf(shape(KEY_FACTS)),
        preferredTokenSigningKeyThumbprint: 'string',
      }),
    ).toEqual([]);
    const keys = res.body!.keyCredentials as Array<{ usage: string; type: string; customKeyIdentifier: string; key: string }>;
    expect(keys.map((k) => [k.type, k.usage]).sort()).toEqual([
      ['AsymmetricX509Cert', 'Sign'],
      ['AsymmetricX509Cert', 'Verify'],
    ]);
    const preferred = String(res.body!.preferredTokenSigningKeyThumbprint);
    expect(preferred).toMatch(/^[0-9A-F]{40}$/);
    for (const k of keys) {
      expect(Buffer.from(k.customKeyIdentifier, 'base64').toString('hex').toUpperCase()).toBe(preferred);
      expect(createHash('sha1').update(Buffer.from(k.key, 'base64')).digest('hex').toUpperCase()).toBe(preferred);
    }
    const list = await call(
      s,
      token,
      'GET',
      `/servicePrincipals?$filter=${encodeURIComponent("displayName eq 'Keycloak SAML'")}&$select=id,keyCredentials`,
    );
    expect(list.body!.value[0].keyCredentials.map((k: { key: unknown }) => k.key)).toEqual([null, null]);
    // The OIDC app has none: the same select costs it nothing.
    const oidc = await call(s, token, 'GET', `/servicePrincipals(appId='${CONTOSO.keycloakAppId}')?$select=${SP_SELECT}`);
    expect(oidc.body).toMatchObject({ keyCredentials: [], preferredTokenSigningKeyThumbprint: null });
  });

  it('answers without $select with every property of example 1', async () => {
    const s = await sim();
    const token = await appToken(s, 'Application.Read.All');
    const res = await call(s, token, 'GET', `/servicePrincipals/${SP}`);
    expect(res.status).toBe(200);
    expect(String(res.body!['@odata.context'])).toMatch(/\/\$metadata#servicePrincipals\/\$entity$/);
    expect(
      checkFacts(res.body, {
        ...SP_FACTS,
        addIns: 'array',
        alternativeNames: 'array',
        appDisplayName: 'string|null',
        disabledByMicrosoftStatus: 'string|null',
        endpoints: 'array',
        homepage: 'string|null',
        info: shape({
          termsOfServiceUrl: 'string|null',
          supportUrl: 'string|null',
          privacyStatementUrl: 'string|null',
          marketingUrl: 'string|null',
          logoUrl: 'string|null',
        }),
        keyCredentials: 'array',
        logoutUrl: 'string|null',
        oauth2PermissionScopes: 'array',
        passwordCredentials: 'array',
        publisherName: 'string|null',
        replyUrls: 'array',
        resourceSpecificApplicationPermissions: 'array',
        servicePrincipalNames: 'array',
        signInAudience: 'string|null',
        tokenEncryptionKeyId: 'string|null',
        verifiedPublisher: 'object',
      }),
    ).toEqual([]);
  });

  it('finds by displayName (collection context servicePrincipals)', async () => {
    const s = await sim();
    const token = await appToken(s, 'Application.Read.All');
    const res = await call(
      s,
      token,
      'GET',
      `/servicePrincipals?$filter=${encodeURIComponent("displayName eq 'Keycloak (Spark)'")}&$select=id,appId,displayName`,
    );
    expect(res.status).toBe(200);
    expect(res.body!.value.length).toBeGreaterThan(0);
    expect(
      checkCollection(res.body, 'servicePrincipals(id,appId,displayName)', { id: 'string', appId: 'string', displayName: 'string' }),
    ).toEqual([]);
  });

  // Learn "List servicePrincipals" (serviceprincipal-list): startswith on displayName is a plain
  // filter; the wizard searches this way.
  it('searches by displayName prefix, with Application.Read.All', async () => {
    const s = await sim();
    const token = await appToken(s, 'Application.Read.All');
    const select = 'id,appId,displayName,preferredSingleSignOnMode,appRoles';
    const res = await call(
      s,
      token,
      'GET',
      `/servicePrincipals?$filter=${encodeURIComponent("startswith(displayName,'Keycloak')")}&$select=${select}&$top=25`,
    );
    expect(res.status).toBe(200);
    expect(
      checkCollection(res.body, `servicePrincipals(${select})`, {
        id: 'string',
        appId: 'string',
        displayName: 'string',
        preferredSingleSignOnMode: oneOf(null, 'password', 'saml', 'notSupported', 'oidc'),
        appRoles: arrayOf(shape(APP_ROLE_FACTS)),
      }),
    ).toEqual([]);
    expect(res.body!.value.map((sp: { id: string }) => sp.id).sort()).toEqual([CONTOSO.keycloakSpId, CONTOSO.keycloakSamlSpId].sort());
  });

  // Learn "Update servicePrincipal" (serviceprincipal-update): 204 No Content, no body.
  it('PATCH appRoleAssignmentRequired answers 204 with no body, with Application.ReadWrite.All (least privileged)', async () => {
    const s = await sim();
    const token = await appToken(s, 'Application.ReadWrite.All');
    const res = await call(s, token, 'PATCH', `/servicePrincipals/${SP}`, { appRoleAssignmentRequired: true });
    expect(res).toEqual({ status: 204, body: undefined });
  });
});

/**
 * Learn "Get application" (application-get): 200, context `$metadata#applications…/$entity`;
 * requiredResourceAccess items `{resourceAppId, resourceAccess: [{id, type: "Scope" | "Role"}]}`.
 */
const APPLICATION_FACTS: Facts = {
  id: 'string',
  appId: 'string',
  displayName: 'string',
  identifierUris: 'array',
  web: shape({ redirectUris: 'array' }),
  groupMembershipClaims: 'string|null',
  optionalClaims: 'object|null',
  appRoles: arrayOf(shape(APP_ROLE_FACTS)),
  requiredResourceAccess: arrayOf(
    shape({ resourceAppId: 'string', resourceAccess: arrayOf(shape({ id: 'string', type: oneOf('Scope', 'Role') })) }),
  ),
};
const APP_SELECT = 'id,appId,displayName,identifierUris,web,groupMembershipClaims,optionalClaims,appRoles,requiredResourceAccess';

describe("GET /applications(appId='…') (application-get)", () => {
  it('answers with the documented shape, with Application.Read.All (least privileged)', async () => {
    const s = await sim();
    const token = await appToken(s, 'Application.Read.All');
    const res = await call(s, token, 'GET', `/applications(appId='${CONTOSO.keycloakAppId}')?$select=${APP_SELECT}`);
    expect(res.status).toBe(200);
    expect(String(res.body!['@odata.context'])).toMatch(/\/\$metadata#applications\(.*\)\/\$entity$/);
    expect(checkFacts(res.body, APPLICATION_FACTS)).toEqual([]);
  });
});

/**
 * Learn "List oauth2PermissionGrants" (oauth2permissiongrant-list): 200, context
 * `$metadata#oauth2PermissionGrants`; items `{clientId, consentType: "AllPrincipals" | "Principal",
 * id, principalId (null for AllPrincipals), resourceId, scope: space-separated values}`.
 * Least privileged permission: Directory.Read.All (the same page's permission table).
 */
const GRANT_FACTS: Facts = {
  clientId: 'string',
  consentType: oneOf('AllPrincipals', 'Principal'),
  id: 'string',
  principalId: 'string|null',
  resourceId: 'string',
  scope: 'string',
};

describe('GET /oauth2PermissionGrants (oauth2permissiongrant-list)', () => {
  it('answers with the documented shape, with Directory.Read.All (least privileged)', async () => {
    const s = await sim();
    const token = await appToken(s, 'Directory.Read.All');
    const res = await call(s, token, 'GET', `/oauth2PermissionGrants?$filter=${encodeURIComponent(`clientId eq '${SP}'`)}`);
    expect(res.status).toBe(200);
    expect(checkCollection(res.body, 'oauth2PermissionGrants', GRANT_FACTS)).toEqual([]);
  });

  it('the tool reads the documented grant: AllPrincipals with space-separated scope values', () => {
    const graphSp = {
      id: '1804a6f8-0000-4520-8f40-ba1b0c11c42d',
      appId: '00000003-0000-0000-c000-000000000000',
      displayName: 'Microsoft Graph',
      oauth2PermissionScopes: [
        { id: 'e1fe6dd8-ba31-4d61-89e7-88639da4683d', value: 'User.Read' },
        { id: '37f7f235-527c-4136-accd-4a02d197296e', value: 'openid' },
      ],
      appRoles: [],
    };
    const required = [
      {
        resourceAppId: graphSp.appId,
        resourceAccess: [
          { id: 'e1fe6dd8-ba31-4d61-89e7-88639da4683d', type: 'Scope' },
          { id: '37f7f235-527c-4136-accd-4a02d197296e', type: 'Scope' },
        ],
      },
    ];
    const grant = {
      clientId: '263a5b01-0000-408e-8557-bab681df104c',
      consentType: 'AllPrincipals',
      id: 'AVs6JuUDjkCFV7q2gd8QTPim',
      principalId: null,
      resourceId: graphSp.id,
      scope: 'User.Read openid',
    };
    expect(analyseConsent(required, new Map([[graphSp.appId, graphSp]]), [grant], [])).toMatchObject({ missing: [], unresolved: [] });
    expect(
      analyseConsent(
        required,
        new Map([[graphSp.appId, graphSp]]),
        [{ ...grant, consentType: 'Principal', principalId: 'a34645d2-3096-40e9-b0bc-387ab2c3eeeb' }],
        [],
      ).missing,
    ).toHaveLength(2);
  });
});

/**
 * Learn "List appRoleAssignedTo" (serviceprincipal-list-approleassignedto), "Grant an
 * appRoleAssignment for a service principal" (serviceprincipal-post-approleassignedto), "List
 * appRoleAssignments granted to a service principal" (serviceprincipal-list-approleassignments)
 * and "List appRoleAssignments granted to a group" (group-list-approleassignments): each
 * appRoleAssignment has the properties below; principalType is written "User", "Group" or
 * "ServicePrincipal". Contexts: `servicePrincipals('{id}')/appRoleAssignedTo`,
 * `groups('{id}')/appRoleAssignments`, and plain `appRoleAssignments` for a service principal's own.
 */
const ASSIGNMENT_FACTS: Facts = {
  id: 'string',
  deletedDateTime: 'null',
  appRoleId: 'string',
  createdDateTime: 'string',
  principalDisplayName: 'string',
  principalId: 'string',
  principalType: oneOf('User', 'Group', 'ServicePrincipal'),
  resourceDisplayName: 'string',
  resourceId: 'string',
};

describe('app role assignments', () => {
  it('GET appRoleAssignedTo answers with the documented shape and context, with Application.Read.All', async () => {
    const s = await sim();
    const token = await appToken(s, 'Application.Read.All');
    const res = await call(s, token, 'GET', `/servicePrincipals/${SP}/appRoleAssignedTo`);
    expect(res.status).toBe(200);
    expect(checkCollection(res.body, `servicePrincipals('${SP}')/appRoleAssignedTo`, ASSIGNMENT_FACTS)).toEqual([]);
    expect(res.body!.value[0].principalType).toBe('Group');
  });

  it('POST appRoleAssignedTo answers 201 with the documented entity, with AppRoleAssignment.ReadWrite.All and Application.Read.All', async () => {
    const s = await sim();
    const token = await appToken(s, 'AppRoleAssignment.ReadWrite.All', 'Application.Read.All');
    const res = await call(s, token, 'POST', `/servicePrincipals/${SP}/appRoleAssignedTo`, {
      principalId: CONTOSO.groups.tenantAdmin,
      resourceId: SP,
      appRoleId: CONTOSO.keycloakRoles.tenantAdmin,
    });
    expect(res.status).toBe(201);
    expect(String(res.body!['@odata.context'])).toMatch(
      new RegExp(`/\\$metadata#servicePrincipals\\('${SP}'\\)/appRoleAssignedTo/\\$entity$`),
    );
    expect(checkFacts(res.body, ASSIGNMENT_FACTS)).toEqual([]);
    expect(res.body!.principalType).toBe('Group');
  });

  it("GET a service principal's appRoleAssignments answers with the documented context, with Application.Read.All", async () => {
    const s = await sim();
    const token = await appToken(s, 'Application.Read.All');
    const res = await call(s, token, 'GET', `/servicePrincipals/${CONTOSO.automation.spId}/appRoleAssignments`);
    expect(res.status).toBe(200);
    // This page's example writes the plain entity set in the context.
    expect(checkCollection(res.body, 'appRoleAssignments', ASSIGNMENT_FACTS)).toEqual([]);
    expect(res.body!.value[0].principalType).toBe('ServicePrincipal');
  });

  it("GET a group's appRoleAssignments answers with the documented context, with Directory.Read.All (least privileged)", async () => {
    const s = await sim();
    const token = await appToken(s, 'Directory.Read.All');
    const res = await call(s, token, 'GET', `/groups/${CONTOSO.groups.userPf}/appRoleAssignments`);
    expect(res.status).toBe(200);
    expect(checkCollection(res.body, `groups('${CONTOSO.groups.userPf}')/appRoleAssignments`, ASSIGNMENT_FACTS)).toEqual([]);
  });

  it('the tool reads a documented assignment of the group as "already assigned"', async () => {
    const group = { id: '33ad69f9-0000-4bed-acd0-3f24235cb296', displayName: 'tenant-admin' };
    const sp = {
      id: '9028d19c-0000-4809-8e3f-20ff73e2d75e',
      appId: '6aa062c7-0000-41d8-b19b-36404d3da184',
      displayName: 'Keycloak',
      appRoles: [
        {
          id: 'ef7437e6-4f94-4a0a-a110-a439eb2aa8f7',
          value: 'tenant-admin',
          displayName: 'Tenant admin',
          allowedMemberTypes: ['User'],
          isEnabled: true,
          origin: 'Application',
          description: null,
        },
      ],
    };
    const documented = [
      {
        id: '-WmtM5na7Uus0D8kI1yylpU9Mdo0Pb9OoBJvd3T5eKc',
        deletedDateTime: null,
        appRoleId: 'ef7437e6-4f94-4a0a-a110-a439eb2aa8f7',
        createdDateTime: '2021-02-15T16:14:59.8643039Z',
        principalDisplayName: 'tenant-admin',
        principalId: group.id,
        principalType: 'Group',
        resourceDisplayName: 'Keycloak',
        resourceId: sp.id,
      },
    ];
    // Either read path (the group's appRoleAssignments or the app's appRoleAssignedTo) sees it.
    const graph = new FakeGraph({
      [`/groups/${group.id}/appRoleAssignments*`]: documented,
      [`/servicePrincipals/${sp.id}/appRoleAssignedTo*`]: documented,
    });
    const ctx = fakeContext(graph, { appRole: 'tenant-admin' });
    const snap = await readAfterPrerequisites(ctx, { servicePrincipal: sp as never, group: group as never });
    const plan = planAppAssignment(snap, ctx.options);
    expect(plan.actions.map((a) => a.kind)).toEqual(['noop']);
  });
});
