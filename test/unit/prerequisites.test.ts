import { describe, expect, it } from 'vitest';
import { analyseClaims, analyseConsent, analyseGroup, analyseLicence, detectSsoMode } from '../../src/steps/prerequisites-analysis.js';
import { missingPermissions, PERMISSION_SETS, requiredPermissions, requiredRoles, ROLE } from '../../src/graph/permissions.js';

const GRAPH = {
  id: 'graph-sp',
  appId: '00000003-0000-0000-c000-000000000000',
  displayName: 'Microsoft Graph',
  oauth2PermissionScopes: [
    { id: 's-openid', value: 'openid' },
    { id: 's-profile', value: 'profile' },
    { id: 's-user-read', value: 'User.Read' },
  ],
  appRoles: [{ id: 'r-group-read', value: 'GroupMember.Read.All' }],
};

describe('analyseConsent', () => {
  const required = [
    {
      resourceAppId: GRAPH.appId,
      resourceAccess: [
        { id: 's-openid', type: 'Scope' },
        { id: 's-user-read', type: 'Scope' },
        { id: 'r-group-read', type: 'Role' },
      ],
    },
  ];
  const resources = new Map([[GRAPH.appId, GRAPH]]);
  it('is complete with an AllPrincipals grant and the app role assignment', () => {
    const r = analyseConsent(
      required,
      resources,
      [{ consentType: 'AllPrincipals', resourceId: 'graph-sp', scope: 'openid User.Read profile' }],
      [{ resourceId: 'graph-sp', appRoleId: 'r-group-read' }],
    );
    expect(r).toEqual({ missing: [], unresolved: [], unverified: [] });
  });
  it('does not count a per-user grant as admin consent, and names what is missing', () => {
    const r = analyseConsent(required, resources, [{ consentType: 'Principal', resourceId: 'graph-sp', scope: 'openid User.Read' }], []);
    expect(r.missing).toEqual([
      'openid (delegated, Microsoft Graph)',
      'User.Read (delegated, Microsoft Graph)',
      'GroupMember.Read.All (application, Microsoft Graph)',
    ]);
  });
  it('reports resources it cannot resolve', () => {
    expect(analyseConsent([{ resourceAppId: 'other', resourceAccess: [] }], new Map([['other', null]]), [], []).unresolved).toEqual([
      'other',
    ]);
  });
});

describe('analyseLicence', () => {
  const p2 = { servicePlanId: 'eec0eb4f-6444-4f95-aba0-50c24d67f998', servicePlanName: 'AAD_PREMIUM_P2', provisioningStatus: 'Success' };
  it('matches the P2 service plan inside a suite', () => {
    expect(analyseLicence([{ skuPartNumber: 'SPE_E5', capabilityStatus: 'Enabled', servicePlans: [p2] }]).code).toBe('LICENCE_OK');
  });
  it('does not mistake the P2 service-plan id for a SKU id', () => {
    expect(analyseLicence([{ skuId: p2.servicePlanId, skuPartNumber: 'X', capabilityStatus: 'Enabled', servicePlans: [] }]).code).toBe(
      'LICENCE_MISSING',
    );
  });
  it('warns during the grace period', () => {
    expect(analyseLicence([{ skuPartNumber: 'E5', capabilityStatus: 'Warning', servicePlans: [p2] }]).severity).toBe('warning');
  });
  it('fails for P1 only or a suspended P2', () => {
    const p1 = { servicePlanId: '41781fb2-bc02-4b7c-bd55-b576c07bb09d', provisioningStatus: 'Success' };
    expect(
      analyseLicence([
        { skuPartNumber: 'P1', capabilityStatus: 'Enabled', servicePlans: [p1] },
        { skuPartNumber: 'E5', capabilityStatus: 'Suspended', servicePlans: [p2] },
      ]).code,
    ).toBe('LICENCE_MISSING');
  });
});

describe('analyseClaims', () => {
  it('requires a groups claim in group mode', () => {
    expect(analyseClaims({ groupMembershipClaims: 'None' }, 'oidc', false).map((f) => f.code)).toEqual(['CLAIM_GROUPS_MISSING']);
  });
  it('warns of overage when every security group is emitted', () => {
    expect(analyseClaims({ groupMembershipClaims: 'SecurityGroup' }, 'oidc', false).map((f) => f.code)).toEqual([
      'CLAIM_GROUPS',
      'CLAIM_GROUP_OVERAGE',
    ]);
  });
  it('accepts groups assigned to the application', () => {
    expect(analyseClaims({ groupMembershipClaims: 'ApplicationGroup' }, 'oidc', false).every((f) => f.severity === 'info')).toBe(true);
  });
  const group = { id: '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d', displayName: 'tenant-admin' };
  const withGroups = (token: 'idToken' | 'saml2Token', props: string[], gmc = 'ApplicationGroup') => ({
    groupMembershipClaims: gmc,
    optionalClaims: { [token]: [{ name: 'groups', additionalProperties: props }] },
  });

  it('accepts display names (cloud_displayname) with a warning that names are not unique', () => {
    const f = analyseClaims(withGroups('idToken', ['cloud_displayname']), 'oidc', false, group);
    expect(f.filter((x) => x.severity === 'error')).toEqual([]);
    expect(f.map((x) => [x.severity, x.code])).toEqual([
      ['info', 'CLAIM_GROUPS'],
      ['warning', 'CLAIM_GROUP_DISPLAY_NAMES'],
    ]);
    expect(f[0].message).toContain('Keycloak must match "tenant-admin"');
    expect(f[1].message).toMatch(/not unique.*renamed\) "tenant-admin" also reaches Keycloak/);
    expect(f[1].fix).toMatch(/remove cloud_displayname.*--fix-keycloak/);
  });

  it('reads the token of the SSO mode: the SAML assertion for SAML, the ID token otherwise', () => {
    const saml = withGroups('saml2Token', ['cloud_displayname']);
    expect(analyseClaims(saml, 'saml', false, group).map((x) => x.code)).toContain('CLAIM_GROUP_DISPLAY_NAMES');
    expect(analyseClaims(saml, 'oidc', false, group).map((x) => x.code)).toEqual(['CLAIM_GROUPS']);
    expect(analyseClaims(saml, 'oidc', false, group)[0].message).toContain(group.id);
  });

  it('says when cloud_displayname has no effect (not ApplicationGroup): the claim carries object ids', () => {
    const f = analyseClaims(withGroups('idToken', ['cloud_displayname'], 'SecurityGroup'), 'oidc', false, group);
    expect(f.map((x) => [x.severity, x.code])).toEqual([
      ['info', 'CLAIM_GROUPS'],
      ['warning', 'CLAIM_DISPLAY_NAME_IGNORED'],
      ['warning', 'CLAIM_GROUP_OVERAGE'],
    ]);
    expect(f[0].message).toContain('carries group object ids');
  });

  it('refuses an on-premises name format that leaves the cloud-only group out of the claim', () => {
    const f = analyseClaims(withGroups('idToken', ['sam_account_name']), 'oidc', false, group);
    expect(f.find((x) => x.severity === 'error')).toMatchObject({
      code: 'CLAIM_GROUP_NOT_EMITTED',
      message: expect.stringContaining('group tenant-admin out of the claim'),
    });
  });

  it('names the roles claim with emit_as_roles, and refuses emit_as_roles in app-role mode', () => {
    expect(analyseClaims(withGroups('idToken', ['emit_as_roles']), 'oidc', false, group)[0].message).toContain(
      'the roles claim of the ID token (emit_as_roles)',
    );
    expect(analyseClaims(withGroups('idToken', ['emit_as_roles']), 'oidc', true).map((x) => [x.severity, x.code])).toEqual([
      ['error', 'CLAIM_ROLES_DISPLACED'],
    ]);
    expect(analyseClaims(withGroups('saml2Token', ['emit_as_roles']), 'saml', true)[0].code).toBe('CLAIM_ROLES_DISPLACED');
    expect(analyseClaims(withGroups('saml2Token', ['emit_as_roles']), 'oidc', true)[0].code).toBe('CLAIM_ROLES');
  });
  it('needs no groups claim in app-role mode', () => {
    expect(analyseClaims({ groupMembershipClaims: 'None' }, 'oidc', true).map((f) => f.code)).toEqual(['CLAIM_ROLES']);
  });
});

describe('analyseGroup', () => {
  it('refuses dynamic and synced groups', () => {
    const codes = analyseGroup({
      id: 'g',
      displayName: 'g',
      securityEnabled: true,
      groupTypes: ['DynamicMembership'],
      onPremisesSyncEnabled: true,
    }).map((f) => f.code);
    expect(codes).toEqual(['GROUP_DYNAMIC', 'GROUP_SYNCED']);
  });
  it('names the extra role for role-assignable groups', () => {
    expect(analyseGroup({ id: 'g', displayName: 'g', securityEnabled: true, isAssignableToRole: true })[0].message).toMatch(
      /Privileged Role Administrator/,
    );
  });
  it('accepts a plain security group', () =>
    expect(analyseGroup({ id: 'g', displayName: 'g', securityEnabled: true, groupTypes: [] })).toEqual([]));
});

describe('detectSsoMode', () => {
  it('sees SAML from the SP', () =>
    expect(detectSsoMode({ preferredSingleSignOnMode: 'saml' }, { identifierUris: ['urn:kc'] }).mode).toBe('saml'));
  it('sees OIDC from the broker redirect URI', () => {
    const r = detectSsoMode(
      { preferredSingleSignOnMode: null },
      { web: { redirectUris: ['https://kc/realms/acme/broker/entra/endpoint'] } },
    );
    expect(r).toEqual({ mode: 'oidc', detail: 'OpenID Connect (redirect URI https://kc/realms/acme/broker/entra/endpoint)' });
  });
});

describe('permissions', () => {
  it('audit needs only read permissions', () => {
    const needs = requiredPermissions({ mode: 'audit', appOnly: true, roleAssignableGroup: false, policyChanges: false });
    expect(needs.every((n) => !/ReadWrite/.test(n.permission))).toBe(true);
  });
  it('names exactly what a run is missing; higher permissions count', () => {
    const needs = requiredPermissions({ mode: 'run', appOnly: true, roleAssignableGroup: true, policyChanges: true });
    const granted = [
      'Directory.Read.All',
      'PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup',
      'PrivilegedAssignmentSchedule.Read.AzureADGroup',
      'RoleManagementPolicy.Read.AzureADGroup',
      'Application.ReadWrite.All',
      'AppRoleAssignment.ReadWrite.All',
      'GroupMember.ReadWrite.All',
    ];
    expect(missingPermissions(needs, granted).map((n) => n.permission)).toEqual([
      'RoleManagement.ReadWrite.Directory',
      'RoleManagementPolicy.ReadWrite.AzureADGroup',
    ]);
  });
  it('checks exactly the README sets: their least permissions, nothing more (no Directory.Read.All, no DelegatedPermissionGrant.Read.All)', () => {
    const S = PERMISSION_SETS;
    const least = (input: Parameters<typeof requiredPermissions>[0]) => requiredPermissions(input).map((n) => n.permission);
    expect(least({ mode: 'audit', appOnly: true, roleAssignableGroup: false, policyChanges: false })).toEqual([...S.auditAndRun]);
    expect(least({ mode: 'run', appOnly: false, roleAssignableGroup: false, policyChanges: false })).toEqual([
      ...S.auditAndRun,
      ...S.runInAddition,
    ]);
    expect(least({ mode: 'run', appOnly: false, roleAssignableGroup: true, policyChanges: true })).toEqual([
      ...S.auditAndRun,
      ...S.runInAddition,
      ...S.roleAssignableGroup,
      ...S.policyFlags,
    ]);
    // App-only may hold OwnedBy instead; Application.ReadWrite.All (the README's first choice) also satisfies it.
    const appRun = requiredPermissions({ mode: 'run', appOnly: true, roleAssignableGroup: false, policyChanges: false });
    expect(missingPermissions(appRun, [...S.auditAndRun, ...S.runInAddition])).toEqual([]);
    expect(
      missingPermissions(appRun, [
        ...S.auditAndRun,
        ...S.runInAddition.filter((p) => p !== 'Application.ReadWrite.All'),
        'Application.ReadWrite.OwnedBy',
      ]),
    ).toEqual([]);
  });
  it('an owner of a group that is not role-assignable needs no members/eligibility role; a role-assignable group still needs Privileged Role Administrator', () => {
    const names = (n: ReturnType<typeof requiredRoles>) => n.map((r) => r.names);
    expect(names(requiredRoles({ mode: 'run', roleAssignableGroup: false, policyChanges: false, callerOwnsGroup: true }))).toEqual([
      'Cloud Application Administrator or Application Administrator',
    ]);
    expect(names(requiredRoles({ mode: 'run', roleAssignableGroup: true, policyChanges: false, callerOwnsGroup: true }))).toContain(
      'Privileged Role Administrator',
    );
  });
  it('Global Administrator covers every role need', () => {
    const needs = requiredRoles({ mode: 'run', roleAssignableGroup: true, policyChanges: true });
    expect(needs.every((n) => n.anyOf.includes(ROLE.globalAdmin))).toBe(true);
    expect(requiredRoles({ mode: 'audit', roleAssignableGroup: false, policyChanges: false })).toEqual([]);
  });
});
