import { describe, expect, it } from 'vitest';
import { normaliseGroupPath } from '../../src/keycloak/group-path.js';
import {
  activePrincipals,
  entraObjectId,
  localCredentialFindings,
  residualFindings,
  type ResidualInput,
} from '../../src/keycloak/holders.js';
import { evaluateMapper } from '../../src/keycloak/mapper-judging.js';
import { effectiveSyncMode, parseConditions } from '../../src/keycloak/mapper-kinds.js';
import { desiredMapper, planMapper, replacedConditions } from '../../src/keycloak/mapper-plan.js';
import { expectedClaim, groupValueMissing, type MappingExpectation } from '../../src/keycloak/mapping-expectation.js';
import { otherProviderGrants, unknownTypeGrants } from '../../src/keycloak/other-providers.js';
import { SAML_GROUPS_ATTRIBUTE, SAML_OBJECT_ID_ATTRIBUTE, SAML_ROLE_ATTRIBUTE } from '../../src/keycloak/protocol.js';
import { checkIdentityProvider, samlSignatureFindings, selectIdentityProvider, tenantSegmentOf } from '../../src/keycloak/provider.js';
import { sessionFindings } from '../../src/keycloak/sessions.js';
import type { IdentityProvider, IdpMapper, RealmInfo } from '../../src/keycloak/types.js';
import { groupClaimFormat } from '../../src/graph/group-claim.js';

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const OTHER = 'f8cdef31-a31e-4b4a-93e4-5f571e91255a';
const APP = '3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
const GID = '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d';
const app = { tenantId: TID, appId: APP, identifiers: [APP, 'https://sso.example/realms/t'] };

const oidc = (tenant = TID, extra: Record<string, string> = {}): IdentityProvider => ({
  alias: 'entra',
  providerId: 'oidc',
  enabled: true,
  config: {
    clientId: APP,
    issuer: `https://login.microsoftonline.com/${tenant}/v2.0`,
    authorizationUrl: `https://login.microsoftonline.com/${tenant}/oauth2/v2.0/authorize`,
    tokenUrl: `https://login.microsoftonline.com/${tenant}/oauth2/v2.0/token`,
    jwksUrl: `https://login.microsoftonline.com/${tenant}/discovery/v2.0/keys`,
    ...extra,
  },
});

const mapper = (config: Record<string, string>, type = 'oidc-advanced-group-idp-mapper', name = 'm'): IdpMapper => ({
  id: `id-${name}`,
  name,
  identityProviderAlias: 'entra',
  identityProviderMapper: type,
  config: {
    syncMode: 'FORCE',
    claims: JSON.stringify([{ key: 'groups', value: GID }]),
    'are.claim.values.regex': 'false',
    group: '/tenant-admin',
    ...config,
  },
});

const exp: MappingExpectation = {
  protocol: 'oidc',
  alias: 'entra',
  target: { kind: 'group', value: '/tenant-admin' },
  // The app registration was read: object ids (groupMembershipClaims ApplicationGroup).
  claim: {
    key: 'groups',
    value: GID,
    displayName: 'Tenant Admins',
    source: 'group',
    valueKind: 'object-id',
    format: 'groupMembershipClaims ApplicationGroup',
  },
  idpSyncMode: 'IMPORT',
  tenantId: TID,
};
const codes = (xs: Array<{ code: string }>) => xs.map((x) => x.code);

describe('sync mode', () => {
  it.each([
    [undefined, 'FORCE', 'LEGACY'],
    ['FORCE', 'IMPORT', 'FORCE'],
    ['IMPORT', 'FORCE', 'IMPORT'],
    ['LEGACY', 'FORCE', 'LEGACY'],
    ['INHERIT', 'FORCE', 'FORCE'],
    ['INHERIT', 'IMPORT', 'IMPORT'],
    ['INHERIT', undefined, 'LEGACY'],
    ['force', 'FORCE', 'INVALID'],
    ['INHERIT', 'SOMETIMES', 'INVALID'],
  ])('mapper %s with provider %s is %s', (m, idp, want) => {
    expect(effectiveSyncMode(m, idp).mode).toBe(want);
  });
});

describe('conditions', () => {
  it('parses the JSON list Keycloak stores', () => {
    expect(parseConditions(JSON.stringify([{ key: 'groups', value: GID }, { key: 'tid' }]))).toEqual({
      conditions: [
        { key: 'groups', value: GID },
        { key: 'tid', value: '' },
      ],
    });
    expect(parseConditions(undefined)).toEqual({ conditions: [] });
    expect(parseConditions('nope')).toEqual({ error: 'is not valid JSON' });
    expect(parseConditions('{}')).toEqual({ error: 'is not a JSON list' });
    expect(parseConditions('[{"value":"x"}]')).toEqual({ error: 'has an entry without a key' });
  });

  it('normalises group paths', () => {
    expect(normaliseGroupPath('tenant-admin')).toBe('/tenant-admin');
    expect(normaliseGroupPath('/a/b/')).toBe('/a/b');
  });

  it('expects groups (OIDC), the SAML groups URI, or the role claim in app-role mode', () => {
    expect(expectedClaim('oidc', { appRoleMode: false, groupId: GID })).toMatchObject({ key: 'groups', value: GID });
    expect(expectedClaim('saml', { appRoleMode: false, groupId: GID })).toMatchObject({ key: SAML_GROUPS_ATTRIBUTE });
    expect(expectedClaim('oidc', { appRoleMode: true, groupId: GID, appRoleValue: 'Admin' })).toMatchObject({
      key: 'roles',
      value: 'Admin',
      source: 'app-role',
    });
    expect(expectedClaim('saml', { appRoleMode: true, appRoleValue: 'Admin' })).toMatchObject({ key: SAML_ROLE_ATTRIBUTE });
    expect(expectedClaim('oidc', { appRoleMode: false })).toBeUndefined();
  });
});

describe('identity provider', () => {
  it('reads the tenant segment of Entra URLs only', () => {
    expect(tenantSegmentOf(`https://sts.windows.net/${TID}/`)).toEqual({ host: 'sts.windows.net', segment: TID, entra: true });
    expect(tenantSegmentOf('https://idp.example/common')?.entra).toBe(false);
    expect(tenantSegmentOf('not a url')).toBeUndefined();
  });

  it('accepts a provider pinned to the tenant', () => {
    expect(checkIdentityProvider(oidc(), app)).toEqual([]);
  });

  it('flags common, organizations and consumers as multi-tenant', () => {
    for (const seg of ['common', 'organizations', 'consumers']) {
      const f = checkIdentityProvider(oidc(TID, { issuer: `https://login.microsoftonline.com/${seg}/v2.0` }), app);
      expect(codes(f)).toEqual(['KC_IDP_MULTI_TENANT']);
      expect(f[0].message).toContain(`issuer https://login.microsoftonline.com/${seg}/v2.0`);
    }
  });

  it('flags another tenant, a domain it cannot verify, a missing issuer and a wrong client id', () => {
    expect(codes(checkIdentityProvider(oidc(OTHER), app))).toEqual(['KC_IDP_TENANT_MISMATCH']);
    expect(codes(checkIdentityProvider(oidc('contoso.onmicrosoft.com'), app))).toEqual(['KC_IDP_TENANT_UNVERIFIED']);
    expect(codes(checkIdentityProvider(oidc(TID, { issuer: '' }), app))).toEqual(['KC_IDP_ISSUER_MISSING']);
    expect(codes(checkIdentityProvider(oidc(TID, { clientId: 'other' }), app))).toEqual(['KC_IDP_CLIENT_MISMATCH']);
  });

  it('rejects the microsoft social provider, other types and a disabled provider', () => {
    expect(codes(checkIdentityProvider({ alias: 'ms', providerId: 'microsoft', config: { clientId: APP } }, app))).toEqual([
      'KC_IDP_MICROSOFT_SOCIAL',
    ]);
    expect(codes(checkIdentityProvider({ alias: 'o', providerId: 'oauth2', config: {} }, app))).toEqual(['KC_IDP_UNSUPPORTED']);
    expect(codes(checkIdentityProvider({ ...oidc(), enabled: false }, app))).toEqual(['KC_IDP_DISABLED']);
  });

  it('checks the SAML entity id and SSO URL', () => {
    const saml = (t: string): IdentityProvider => ({
      alias: 's',
      providerId: 'saml',
      config: {
        idpEntityId: `https://sts.windows.net/${t}/`,
        singleSignOnServiceUrl: `https://login.microsoftonline.com/${t}/saml2`,
        entityId: 'https://sso.example/realms/t',
        validateSignature: 'true',
        signingCertificate: 'MIIC8DCCAdigAwIBAgIQ',
      },
    });
    expect(checkIdentityProvider(saml(TID), app)).toEqual([]);
    expect(checkIdentityProvider(saml(OTHER), app)[0].message).toMatch(/idpEntityId.*singleSignOnServiceUrl/);
  });

  it('selects by alias, by client id, by SAML entity id and tenant, or the only Entra provider', () => {
    const google: IdentityProvider = { alias: 'google', providerId: 'google', config: { clientId: 'g' } };
    expect('idp' in selectIdentityProvider([google, oidc()], 'entra', app, 'r')).toBe(true);
    expect(selectIdentityProvider([google], 'entra', app, 'r')).toMatchObject({ finding: { code: 'KC_IDP_NOT_FOUND' } });
    expect(selectIdentityProvider([google, oidc()], undefined, app, 'r')).toMatchObject({ idp: { alias: 'entra' } });
    const saml: IdentityProvider = {
      alias: 's',
      providerId: 'saml',
      config: { idpEntityId: `https://sts.windows.net/${TID}/`, entityId: 'https://sso.example/realms/t' },
    };
    expect(selectIdentityProvider([google, saml], undefined, app, 'r')).toMatchObject({ idp: { alias: 's' } });
    const other = { ...oidc(), alias: 'legacy', config: { ...oidc().config, clientId: 'x' } };
    expect(selectIdentityProvider([google, other], undefined, app, 'r')).toMatchObject({
      idp: { alias: 'legacy' },
      how: expect.stringContaining('only provider pointing at Entra'),
    });
    expect(selectIdentityProvider([google], undefined, app, 'r')).toMatchObject({
      finding: { code: 'KC_IDP_NOT_FOUND', message: expect.stringContaining('google (google)') },
    });
  });

  it('prefers the only enabled match and reports ambiguity otherwise', () => {
    const a = oidc();
    const b = { ...oidc(), alias: 'entra-old', enabled: false };
    expect(selectIdentityProvider([a, b], undefined, app, 'r')).toMatchObject({ idp: { alias: 'entra' } });
    expect(selectIdentityProvider([a, { ...b, enabled: true }], undefined, app, 'r')).toMatchObject({
      finding: { code: 'KC_IDP_AMBIGUOUS' },
    });
  });
});

describe('evaluateMapper', () => {
  it('finds nothing wrong with the right mapper', () => {
    expect(evaluateMapper(mapper({}), exp)).toEqual([]);
    expect(evaluateMapper(mapper({ syncMode: 'INHERIT' }), { ...exp, idpSyncMode: 'FORCE' })).toEqual([]);
  });

  it('recognises a mapper keyed on the display name', () => {
    expect(codes(evaluateMapper(mapper({ claims: JSON.stringify([{ key: 'groups', value: 'tenant admins' }]) }), exp))).toEqual([
      'KC_MAPPER_GROUP_NAME',
    ]);
  });

  it('flags another value, an empty list, bad JSON and a wrong target', () => {
    expect(codes(evaluateMapper(mapper({ claims: JSON.stringify([{ key: 'groups', value: GID.toUpperCase() }]) }), exp))).toEqual([
      'KC_MAPPER_CLAIM_MISMATCH',
    ]);
    expect(codes(evaluateMapper(mapper({ claims: '[]' }), exp))).toEqual(['KC_MAPPER_CLAIMS_EMPTY']);
    expect(codes(evaluateMapper(mapper({ claims: '[' }), exp))).toEqual(['KC_MAPPER_CLAIMS_INVALID']);
    expect(codes(evaluateMapper(mapper({ group: '/other' }), exp))).toEqual(['KC_MAPPER_TARGET']);
    expect(codes(evaluateMapper(mapper({ group: 'tenant-admin' }), exp))).toEqual([]);
  });

  it('accepts a literal value under the regex flag but not a pattern that matches more', () => {
    expect(evaluateMapper(mapper({ 'are.claim.values.regex': 'true' }), exp)).toEqual([]);
    for (const v of ['.*', '[0-9a-f-]+', `${GID}|.+`, `${GID.slice(0, 30)}.*`]) {
      expect(
        codes(evaluateMapper(mapper({ 'are.claim.values.regex': 'true', claims: JSON.stringify([{ key: 'groups', value: v }]) }), exp)),
      ).toEqual(['KC_MAPPER_REGEX']);
    }
    // Without the flag a pattern is compared literally and never matches.
    expect(codes(evaluateMapper(mapper({ claims: JSON.stringify([{ key: 'groups', value: '.*' }]) }), exp))).toEqual([
      'KC_MAPPER_CLAIM_MISMATCH',
    ]);
  });

  it('warns about extra conditions but welcomes a tid pin', () => {
    const pinned = JSON.stringify([
      { key: 'groups', value: GID },
      { key: 'tid', value: TID },
    ]);
    expect(evaluateMapper(mapper({ claims: pinned }), exp)).toEqual([]);
    const extra = JSON.stringify([
      { key: 'groups', value: GID },
      { key: 'department', value: 'IT' },
    ]);
    expect(evaluateMapper(mapper({ claims: extra }), exp)).toEqual([
      expect.objectContaining({ code: 'KC_MAPPER_EXTRA_CLAIMS', severity: 'warning', fixable: false }),
    ]);
  });

  it('reports IMPORT, LEGACY and unknown sync modes', () => {
    expect(codes(evaluateMapper(mapper({ syncMode: 'IMPORT' }), exp))).toEqual(['KC_MAPPER_SYNC_IMPORT']);
    // LEGACY is FORCE for a group mapper (Keycloak AbstractIdentityProviderMapper.updateBrokeredUserLegacy): a warning to set FORCE, nothing to rewrite.
    expect(evaluateMapper(mapper({ syncMode: '' }), exp)).toEqual([
      expect.objectContaining({ code: 'KC_MAPPER_SYNC_LEGACY', severity: 'warning', fixable: false }),
    ]);
    expect(codes(evaluateMapper(mapper({ syncMode: 'INHERIT' }), exp))).toEqual(['KC_MAPPER_SYNC_IMPORT']);
    expect(codes(evaluateMapper(mapper({ syncMode: 'force' }), exp))).toEqual(['KC_MAPPER_SYNC_INVALID']);
  });

  it('understands Claim to Role mappers when the target is a role', () => {
    const roleExp: MappingExpectation = { ...exp, target: { kind: 'role', value: 'app.admin' } };
    const m: IdpMapper = {
      name: 'r',
      identityProviderAlias: 'entra',
      identityProviderMapper: 'oidc-role-idp-mapper',
      config: { claim: 'groups', 'claim.value': GID, role: 'app.admin', syncMode: 'FORCE' },
    };
    expect(evaluateMapper(m, roleExp)).toEqual([]);
    expect(codes(evaluateMapper({ ...m, config: { ...m.config, 'claim.value': 'x' } }, roleExp))).toEqual(['KC_MAPPER_CLAIM_MISMATCH']);
  });
});

describe('planMapper', () => {
  const base = {
    realm: 'acme',
    exp,
    targetExists: true,
    fix: false,
    mapperTypes: { 'oidc-advanced-group-idp-mapper': { id: 'oidc-advanced-group-idp-mapper' } },
  };

  it('is a noop for the right mapper', () => {
    const p = planMapper({ ...base, mappers: [mapper({})] });
    expect(p.findings).toEqual([]);
    expect(p.actions).toEqual([{ kind: 'noop', summary: expect.stringContaining('"m" on entra maps groups=') }]);
  });

  it('reports a missing mapper, or plans its exact creation with --fix-keycloak', () => {
    const report = planMapper({ ...base, mappers: [] });
    expect(report.findings).toEqual([
      expect.objectContaining({ severity: 'error', code: 'KC_MAPPER_MISSING', fix: expect.stringContaining('--fix-keycloak') }),
    ]);
    expect(report.actions).toEqual([]);
    const fix = planMapper({
      ...base,
      fix: true,
      mappers: [{ ...mapper({ claims: JSON.stringify([{ key: 'x', value: 'y' }]), group: '/other' }), name: 'entra-pim-tenant-admin' }],
    });
    expect(fix.findings.every((f) => f.severity !== 'error')).toBe(true);
    const created = {
      name: 'entra-pim-tenant-admin-2',
      identityProviderAlias: 'entra',
      identityProviderMapper: 'oidc-advanced-group-idp-mapper',
      config: {
        claims: `[{"key":"groups","value":"${GID}"}]`,
        'are.claim.values.regex': 'false',
        group: '/tenant-admin',
        syncMode: 'FORCE',
      },
    };
    expect(fix.actions).toEqual([
      {
        kind: 'create',
        target: 'keycloak',
        summary: expect.stringContaining('create mapper "entra-pim-tenant-admin-2"'),
        op: { op: 'keycloak.createMapper', realm: 'acme', alias: 'entra', mapper: created },
        request: {
          method: 'POST',
          url: '/admin/realms/acme/identity-provider/instances/entra/mappers',
          body: created,
        },
      },
    ]);
  });

  it('never rewrites a name mapper when the claim format is unknown (app registration not readable): a warning, no action', () => {
    // A gallery or multi-tenant app's registration is not in this tenant, so
    // whether Entra sends names (cloud_displayname) is unknown; a rewrite to the object id could
    // lock every admin out.
    const unknown: MappingExpectation = {
      ...exp,
      idpSyncMode: 'FORCE',
      claim: { key: 'groups', value: GID, displayName: 'Tenant Admins', source: 'group', groupId: GID, valueKind: 'object-id' },
    };
    const byName = mapper({ claims: JSON.stringify([{ key: 'groups', value: 'Tenant Admins' }]) });
    expect(evaluateMapper(byName, unknown)).toEqual([
      expect.objectContaining({ code: 'KC_MAPPER_GROUP_NAME_UNVERIFIED', severity: 'warning', fixable: false }),
    ]);
    const p = planMapper({ ...base, exp: unknown, fix: true, mappers: [byName] });
    expect(p.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(p.actions.filter((a) => a.kind !== 'noop')).toEqual([]);
    // The object id is still right when the format is unknown.
    expect(evaluateMapper(mapper({}), unknown)).toEqual([]);
  });

  it('repairs the closest mapper with a PUT of the full representation and the old one as backup', () => {
    const wrong = mapper({ syncMode: 'IMPORT', claims: JSON.stringify([{ key: 'groups', value: 'Tenant Admins' }]) });
    const p = planMapper({ ...base, fix: true, mappers: [wrong] });
    expect(codes(p.findings)).toEqual(['KC_MAPPER_GROUP_NAME', 'KC_MAPPER_SYNC_IMPORT']);
    expect(p.findings.every((f) => f.severity === 'info')).toBe(true);
    expect(p.actions).toEqual([
      expect.objectContaining({
        kind: 'update',
        request: {
          method: 'PUT',
          url: '/admin/realms/acme/identity-provider/instances/entra/mappers/id-m',
          body: { ...mapper({}), config: { ...mapper({}).config } },
        },
        backup: wrong,
      }),
    ]);
  });

  it('does not plan a mapper to a missing group or unknown facts, and reports errors instead', () => {
    expect(planMapper({ ...base, fix: true, targetExists: false, mappers: [] }).actions).toEqual([]);
    expect(planMapper({ ...base, fix: true, exp: { ...exp, claim: undefined }, mappers: [] }).findings[0]).toMatchObject({
      severity: 'error',
      code: 'KC_MAPPER_MISSING',
    });
  });

  it('says when the provider has no such mapper type', () => {
    expect(codes(planMapper({ ...base, mapperTypes: {}, mappers: [] }).findings)).toEqual(['KC_MAPPER_TYPE_UNAVAILABLE']);
  });

  it('reports hardcoded and other broken mappers on the same target without changing them', () => {
    const hard: IdpMapper = {
      id: 'h',
      name: 'everyone',
      identityProviderAlias: 'entra',
      identityProviderMapper: 'oidc-hardcoded-group-idp-mapper',
      config: { group: '/tenant-admin' },
    };
    const open = { ...mapper({ claims: '[]' }, 'oidc-advanced-group-idp-mapper', 'open') };
    const p = planMapper({ ...base, fix: true, mappers: [mapper({}), hard, open] });
    expect(codes(p.findings)).toEqual(['KC_MAPPER_HARDCODED', 'KC_MAPPER_CLAIMS_EMPTY']);
    expect(p.findings.every((f) => f.severity === 'error')).toBe(true);
    expect(p.actions.map((a) => a.kind)).toEqual(['noop']);
  });
});

describe('desiredMapper', () => {
  it('sets exactly the expected condition: the misplaced group condition and every other one go', () => {
    const samlExp: MappingExpectation & { claim: NonNullable<MappingExpectation['claim']> } = {
      ...exp,
      protocol: 'saml',
      claim: { key: SAML_GROUPS_ATTRIBUTE, value: GID, displayName: 'Tenant Admins', source: 'group' },
    };
    const existing: IdpMapper = {
      id: 'x',
      name: 'admins',
      identityProviderAlias: 'entra',
      identityProviderMapper: 'saml-advanced-group-idp-mapper',
      config: {
        attributes: JSON.stringify([
          { key: 'groups', value: GID },
          { key: 'tenant', value: TID },
        ]),
        'are.attribute.values.regex': 'true',
        group: '/tenant-admin',
      },
    };
    expect(desiredMapper(samlExp, existing, [])).toEqual({
      id: 'x',
      name: 'admins',
      identityProviderAlias: 'entra',
      identityProviderMapper: 'saml-advanced-group-idp-mapper',
      config: {
        attributes: JSON.stringify([{ key: SAML_GROUPS_ATTRIBUTE, value: GID }]),
        'are.attribute.values.regex': 'false',
        group: '/tenant-admin',
        syncMode: 'FORCE',
      },
    });
  });
});

describe("the app's groups claim format", () => {
  const group = { id: GID, displayName: 'tenant-admin' };
  const format = (props: string[], token: 'idToken' | 'saml2Token' = 'idToken', gmc = 'ApplicationGroup') =>
    groupClaimFormat(
      { groupMembershipClaims: gmc, optionalClaims: { [token]: [{ name: 'groups', additionalProperties: props }] } },
      token,
      group,
    );
  const claimFor = (props: string[], protocol: 'oidc' | 'saml' = 'oidc', gmc?: string) =>
    expectedClaim(protocol, {
      appRoleMode: false,
      groupId: GID,
      groupName: 'tenant-admin',
      groupClaim: format(props, protocol === 'saml' ? 'saml2Token' : 'idToken', gmc),
    });
  const namesExp: MappingExpectation = { ...exp, idpSyncMode: 'FORCE', claim: claimFor(['cloud_displayname']) };
  const byName = (name = 'tenant-admin', extra: Record<string, string> = {}) =>
    mapper({ claims: JSON.stringify([{ key: 'groups', value: name }]), ...extra });
  const base = {
    realm: 'acme',
    targetExists: true,
    mapperTypes: { 'oidc-advanced-group-idp-mapper': { id: 'oidc-advanced-group-idp-mapper' } },
  };

  it('expects the value and claim the app emits', () => {
    expect(claimFor([])).toMatchObject({ key: 'groups', value: GID, valueKind: 'object-id', groupId: GID });
    expect(claimFor(['cloud_displayname'])).toMatchObject({
      key: 'groups',
      value: 'tenant-admin',
      valueKind: 'display-name',
      groupId: GID,
    });
    expect(claimFor(['cloud_displayname'], 'oidc', 'SecurityGroup')).toMatchObject({ value: GID, valueKind: 'object-id' });
    expect(claimFor(['cloud_displayname'], 'saml')).toMatchObject({ key: SAML_GROUPS_ATTRIBUTE, value: 'tenant-admin' });
    expect(claimFor(['emit_as_roles'])).toMatchObject({ key: 'roles', value: GID });
    expect(claimFor(['emit_as_roles'], 'saml')).toMatchObject({ key: SAML_ROLE_ATTRIBUTE, value: GID });
    // A cloud-only group is left out with an on-premises format: nothing a mapper could match.
    expect(claimFor(['sam_account_name'])).toBeUndefined();
  });

  it('accepts a mapper on the display name when the app emits names, with a warning that says why', () => {
    const issues = evaluateMapper(byName(), namesExp);
    expect(issues).toEqual([expect.objectContaining({ code: 'KC_MAPPER_GROUP_NAME_NOT_UNIQUE', severity: 'warning', fixable: false })]);
    expect(issues[0].message).toMatch(
      /works because the app emits display names.*not unique.*renamed "tenant-admin" also grants \/tenant-admin/,
    );
    expect(issues[0].fix).toContain(`--fix-keycloak to match ${GID}`);
    // Keycloak compares values exactly: another casing never matches.
    expect(codes(evaluateMapper(byName('Tenant-Admin'), namesExp))).toEqual(['KC_MAPPER_CLAIM_MISMATCH']);
  });

  it('flags a mapper on the object id when the app emits names: it never matches', () => {
    const [issue] = evaluateMapper(mapper({}), namesExp);
    expect(issue).toMatchObject({ code: 'KC_MAPPER_GROUP_ID', severity: 'error', fixable: true });
    expect(issue.message).toContain(
      'the app emits group display names in the groups claim (groupMembershipClaims ApplicationGroup, optionalClaims.idToken groups [cloud_displayname])',
    );
  });

  it('still refuses a name mapper when the app emits object ids, saying where that comes from', () => {
    const idExp: MappingExpectation = { ...exp, claim: claimFor([]) };
    const [issue] = evaluateMapper(byName(), idExp);
    expect(issue).toMatchObject({ code: 'KC_MAPPER_GROUP_NAME', severity: 'error' });
    expect(issue.message).toContain('the app emits group object ids in the groups claim (groupMembershipClaims ApplicationGroup)');
  });

  it('flags a mapper on the groups claim when the app emits the group in roles (emit_as_roles)', () => {
    const rolesExp: MappingExpectation = { ...exp, idpSyncMode: 'FORCE', claim: claimFor(['emit_as_roles']) };
    expect(codes(evaluateMapper(mapper({}), rolesExp))).toEqual(['KC_MAPPER_CLAIM_NAME']);
    expect(evaluateMapper(mapper({ claims: JSON.stringify([{ key: 'roles', value: GID }]) }), rolesExp)).toEqual([]);
  });

  it('--fix-keycloak leaves a working name mapper alone when the app emits names', () => {
    const p = planMapper({ ...base, exp: namesExp, fix: true, mappers: [byName()] });
    expect(p.actions).toEqual([{ kind: 'noop', summary: expect.stringContaining('groups=tenant-admin') }]);
    expect(p.findings.map((f) => [f.severity, f.code])).toEqual([['warning', 'KC_MAPPER_GROUP_NAME_NOT_UNIQUE']]);
  });

  it('--fix-keycloak creates a name mapper, or rewrites an object-id one to the name, when the app emits names', () => {
    const created = planMapper({ ...base, exp: namesExp, fix: true, mappers: [] });
    expect(created.actions).toEqual([
      expect.objectContaining({
        kind: 'create',
        request: expect.objectContaining({
          body: expect.objectContaining({
            config: expect.objectContaining({ claims: JSON.stringify([{ key: 'groups', value: 'tenant-admin' }]) }),
          }),
        }),
      }),
    ]);
    expect(created.findings.map((f) => [f.severity, f.code])).toEqual([
      ['info', 'KC_MAPPER_MISSING'],
      ['warning', 'KC_MAPPER_GROUP_NAME_NOT_UNIQUE'],
    ]);
    expect(created.findings[0].message).toContain('the display name of the Entra group, which the app emits (cloud_displayname)');
    const updated = planMapper({
      ...base,
      exp: namesExp,
      fix: true,
      mappers: [
        mapper({
          claims: JSON.stringify([
            { key: 'groups', value: GID },
            { key: 'tid', value: TID },
          ]),
        }),
      ],
    });
    expect(updated.actions).toEqual([
      expect.objectContaining({
        kind: 'update',
        request: expect.objectContaining({
          body: expect.objectContaining({
            config: expect.objectContaining({ claims: JSON.stringify([{ key: 'groups', value: 'tenant-admin' }]) }),
          }),
        }),
      }),
    ]);
    expect(updated.findings.map((f) => f.code)).toEqual([
      'KC_MAPPER_GROUP_ID',
      'KC_MAPPER_CONDITIONS_REPLACED',
      'KC_MAPPER_GROUP_NAME_NOT_UNIQUE',
    ]);
  });

  it('fails closed when the format leaves nothing that identifies the group', () => {
    expect(groupValueMissing('oidc', group, format(['sam_account_name']))).toMatchObject({
      severity: 'error',
      code: 'KC_CLAIM_NO_GROUP_VALUE',
      message: expect.stringContaining(
        'the group is left out of the claim; groupMembershipClaims ApplicationGroup, optionalClaims.idToken groups [sam_account_name]',
      ),
    });
    expect(groupValueMissing('oidc', group, groupClaimFormat({ groupMembershipClaims: 'None' }, 'idToken', group))?.message).toContain(
      'the app emits no groups claim',
    );
    expect(groupValueMissing('oidc', group, format([]))).toBeUndefined();
    expect(groupValueMissing('oidc', group, format(['cloud_displayname']))).toBeUndefined();
  });

  it('--fix-keycloak moves the condition to the roles claim with emit_as_roles', () => {
    const rolesExp: MappingExpectation = { ...exp, idpSyncMode: 'FORCE', claim: claimFor(['emit_as_roles']) };
    const p = planMapper({ ...base, exp: rolesExp, fix: true, mappers: [mapper({})] });
    expect(p.actions[0]).toMatchObject({
      kind: 'update',
      request: { body: { config: { claims: JSON.stringify([{ key: 'roles', value: GID }]) } } },
    });
  });
});

describe('sessionFindings', () => {
  const realm = (r: RealmInfo): RealmInfo => ({
    ssoSessionMaxLifespan: 28800,
    ssoSessionIdleTimeout: 1800,
    offlineSessionMaxLifespanEnabled: true,
    offlineSessionMaxLifespan: 28800,
    ...r,
  });
  const o = { realm: 'acme', target: '/tenant-admin', activation: 'PT8H' };

  it('is content when every session ends within the activation', () => {
    expect(codes(sessionFindings(realm({}), 28800, o))).toEqual(['KC_SESSIONS']);
  });

  it('names the setting and the value to use', () => {
    const [f] = sessionFindings(realm({ ssoSessionMaxLifespan: 36000 }), 28800, o);
    expect(f).toMatchObject({ severity: 'warning', code: 'KC_SESSION_OUTLIVES_ACTIVATION' });
    expect(f.message).toContain('10 h');
    expect(f.fix).toContain('ssoSessionMaxLifespan to 28800 (8 h)');
    expect(sessionFindings(realm({ ssoSessionMaxLifespan: 0 }), 28800, o)[0].message).toContain('without a limit');
  });

  it('covers remember-me and offline sessions', () => {
    expect(codes(sessionFindings(realm({ rememberMe: true, ssoSessionMaxLifespanRememberMe: 604800 }), 28800, o))).toEqual([
      'KC_SESSION_REMEMBER_ME',
    ]);
    expect(codes(sessionFindings(realm({ rememberMe: true, ssoSessionMaxLifespanRememberMe: 0 }), 28800, o))).toEqual(['KC_SESSIONS']);
    expect(codes(sessionFindings(realm({ offlineSessionMaxLifespanEnabled: false }), 28800, o))).toEqual(['KC_SESSION_OFFLINE']);
    expect(codes(sessionFindings(realm({ offlineSessionMaxLifespan: 5184000 }), 28800, o))).toEqual(['KC_SESSION_OFFLINE']);
  });
});

describe('residual access', () => {
  const input = (over: Partial<ResidualInput> = {}): ResidualInput => ({
    alias: 'entra',
    protocol: 'oidc',
    idpConfig: {},
    mappers: [],
    active: new Set(['0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6']),
    eligibleByUpn: new Map(),
    target: '/tenant-admin',
    ...over,
  });
  const user = (username: string, attributes?: Record<string, string[]>) => ({ id: username, username, attributes });

  it('resolves the object id from an oid attribute, a SAML objectidentifier subject, a GUID subject or the UPN', () => {
    const link = { identityProvider: 'entra', userId: 'AAAApairwise', userName: 'ada@contoso.com' };
    const importer: IdpMapper = {
      name: 'oid',
      identityProviderAlias: 'entra',
      identityProviderMapper: 'oidc-user-attribute-idp-mapper',
      config: { claim: 'oid', 'user.attribute': 'entraObjectId' },
    };
    expect(entraObjectId(user('a', { entraObjectId: [GID] }), link, input({ mappers: [importer] }))).toEqual({
      id: GID,
      how: 'user attribute entraObjectId',
    });
    expect(
      entraObjectId(
        user('a'),
        { ...link, userId: GID.toUpperCase() },
        input({ protocol: 'saml', idpConfig: { principalType: 'ATTRIBUTE', principalAttribute: SAML_OBJECT_ID_ATTRIBUTE } }),
      ).id,
    ).toBe(GID);
    expect(entraObjectId(user('a'), { ...link, userId: GID }, input()).id).toBe(GID);
    expect(entraObjectId(user('a'), link, input({ eligibleByUpn: new Map([['ada@contoso.com', GID]]) })).id).toBe(GID);
    expect(entraObjectId(user('a'), link, input())).toEqual({});
  });

  it('sorts holders into local, other provider, inactive, unverifiable and active', () => {
    const f = residualFindings(
      [
        { user: user('local'), links: [] },
        { user: { ...user('off'), enabled: false }, links: [] },
        { user: user('gh'), links: [{ identityProvider: 'github', userId: '1' }] },
        { user: user('on'), links: [{ identityProvider: 'entra', userId: '0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6' }] },
        { user: user('late'), links: [{ identityProvider: 'entra', userId: GID }] },
        { user: user('pairwise'), links: [{ identityProvider: 'entra', userId: 'AAAApairwise' }] },
      ],
      input(),
    );
    expect(f.map((x) => [x.code, x.severity])).toEqual([
      ['KC_MEMBER_LOCAL', 'error'],
      ['KC_MEMBER_OTHER_IDP', 'error'],
      ['KC_MEMBER_NOT_ACTIVE', 'warning'],
      ['KC_MEMBER_UNVERIFIABLE', 'warning'],
      ['KC_MEMBERS', 'info'],
    ]);
    expect(f[4].message).toBe('/tenant-admin has 6 holder(s), 1 disabled: 1 with an active PIM assignment');
  });

  it('a holder linked to Entra and also to another provider can sign in past the mapper; a second trusted Entra provider is fine', () => {
    const both = {
      user: user('both'),
      links: [
        { identityProvider: 'entra', userId: GID },
        { identityProvider: 'github', userId: '7' },
      ],
    };
    const f = residualFindings([both], input({ active: undefined }));
    expect(f.find((x) => x.code === 'KC_MEMBER_ALSO_OTHER_IDP')).toMatchObject({
      severity: 'error',
      message: expect.stringContaining('github'),
    });
    const twin = {
      user: user('twin'),
      links: [
        { identityProvider: 'entra', userId: GID },
        { identityProvider: 'entra-saml', userId: GID },
      ],
    };
    expect(codes(residualFindings([twin], input({ active: undefined, trustedAliases: new Set(['entra-saml']) })))).not.toContain(
      'KC_MEMBER_ALSO_OTHER_IDP',
    );
    expect(codes(residualFindings([twin], input({ active: undefined })))).toContain('KC_MEMBER_ALSO_OTHER_IDP');
  });

  it('does not compare when the active assignments are unknown', () => {
    const f = residualFindings([{ user: user('late'), links: [{ identityProvider: 'entra', userId: GID }] }], input({ active: undefined }));
    expect(codes(f)).toEqual(['KC_MEMBERS']);
    expect(f[0].message).toContain('not compared');
  });

  it('an instance that does not say which group it belongs to explains nobody', () => {
    expect([...activePrincipals([{ principalId: 'x', accessId: 'member' }], GID, new Date())]).toEqual([]);
  });

  it('counts only member assignments of the group that are active now', () => {
    const now = new Date('2026-01-01T12:00:00Z');
    const set = activePrincipals(
      [
        { principalId: 'A', groupId: GID, accessId: 'member', startDateTime: '2026-01-01T11:00:00Z', endDateTime: '2026-01-01T13:00:00Z' },
        { principalId: 'b', groupId: GID, accessId: 'member', startDateTime: '2026-01-01T09:00:00Z', endDateTime: '2026-01-01T11:00:00Z' },
        { principalId: 'c', groupId: GID, accessId: 'owner', startDateTime: '2026-01-01T11:00:00Z', endDateTime: null },
        { principalId: 'd', groupId: 'other', accessId: 'member' },
        { principalId: 'e', groupId: GID, accessId: 'member', startDateTime: '2026-01-01T11:00:00Z', endDateTime: null },
      ],
      GID,
      now,
    );
    expect([...set]).toEqual(['a', 'e']);
  });
});

describe('SAML signature validation', () => {
  const saml = (config: Record<string, string>): IdentityProvider => ({
    alias: 'entra-saml',
    providerId: 'saml',
    config: {
      idpEntityId: `https://sts.windows.net/${TID}/`,
      singleSignOnServiceUrl: `https://login.microsoftonline.com/${TID}/saml2`,
      entityId: 'https://sso.example/realms/t',
      ...config,
    },
  });
  const cert = 'MIIC8DCCAdigAwIBAgIQ';

  it('is an error when signatures are not validated, whatever else is set', () => {
    for (const config of <Array<Record<string, string>>>[
      {},
      { validateSignature: 'false' },
      { validateSignature: 'false', signingCertificate: cert },
      { validateSignature: 'false', wantAssertionsSigned: 'true' },
      { validateSignature: 'yes' },
    ]) {
      const f = samlSignatureFindings(saml(config), app);
      expect(codes(f)).toEqual(['KC_IDP_SAML_UNSIGNED']);
      expect(f[0]).toMatchObject({ severity: 'error' });
      expect(f[0].fix).toContain(`https://login.microsoftonline.com/${TID}/federationmetadata/2007-06/federationmetadata.xml?appid=${APP}`);
    }
    expect(samlSignatureFindings(saml({}), app)[0].message).toContain('validateSignature not set');
    expect(samlSignatureFindings(saml({ wantAssertionsSigned: 'true' }), app)[0].message).toContain(
      'wantAssertionsSigned only requires a signature element',
    );
    // checkIdentityProvider carries it for the chosen provider.
    expect(codes(checkIdentityProvider(saml({}), app))).toEqual(['KC_IDP_SAML_UNSIGNED']);
  });

  it('is an error when signatures are validated against no key', () => {
    for (const config of <Array<Record<string, string>>>[
      { validateSignature: 'true' },
      { validateSignature: 'true', signingCertificate: ' , ' },
      { validateSignature: 'true', useMetadataDescriptorUrl: 'true' },
      { validateSignature: 'true', metadataDescriptorUrl: 'https://x/md' },
    ]) {
      expect(codes(samlSignatureFindings(saml(config), app))).toEqual(['KC_IDP_SAML_NO_KEY']);
    }
  });

  it('accepts validation with a signing certificate or a metadata URL (the flag read as Java does, any case)', () => {
    expect(samlSignatureFindings(saml({ validateSignature: 'true', signingCertificate: cert }), app)).toEqual([]);
    expect(samlSignatureFindings(saml({ validateSignature: 'TRUE', signingCertificate: `${cert},${cert}` }), app)).toEqual([]);
    expect(
      samlSignatureFindings(
        saml({
          validateSignature: 'true',
          useMetadataDescriptorUrl: 'true',
          metadataDescriptorUrl: 'https://login.microsoftonline.com/x/federationmetadata/2007-06/federationmetadata.xml',
        }),
        app,
      ),
    ).toEqual([]);
  });

  it('reads the flag exactly as Java does: " true" (with a space) is false to Keycloak', () => {
    expect(codes(samlSignatureFindings(saml({ validateSignature: ' true', signingCertificate: cert }), app))).toEqual([
      'KC_IDP_SAML_UNSIGNED',
    ]);
    expect(codes(samlSignatureFindings(saml({ validateSignature: 'true ', signingCertificate: cert }), app))).toEqual([
      'KC_IDP_SAML_UNSIGNED',
    ]);
  });

  it("the metadata the keys come from must be this tenant's", () => {
    const other =
      'https://login.microsoftonline.com/99999999-9999-4999-8999-999999999999/federationmetadata/2007-06/federationmetadata.xml';
    expect(
      codes(
        checkIdentityProvider(saml({ validateSignature: 'true', useMetadataDescriptorUrl: 'true', metadataDescriptorUrl: other }), app),
      ),
    ).toContain('KC_IDP_TENANT_MISMATCH');
    const mine = `https://login.microsoftonline.com/${TID}/federationmetadata/2007-06/federationmetadata.xml?appid=${APP}`;
    expect(
      codes(checkIdentityProvider(saml({ validateSignature: 'true', useMetadataDescriptorUrl: 'true', metadataDescriptorUrl: mine }), app)),
    ).toEqual([]);
  });

  it('a regex flag of "True" turns regular expressions on, as Boolean.parseBoolean reads it', () => {
    const m = mapper({ 'are.claim.values.regex': 'True', claims: JSON.stringify([{ key: 'groups', value: `${GID}|.*` }]) });
    expect(codes(evaluateMapper(m, { ...exp, idpSyncMode: 'FORCE' }))).toContain('KC_MAPPER_REGEX');
  });

  it('does not judge OIDC providers', () => {
    expect(codes(checkIdentityProvider(oidc(), app))).toEqual([]);
  });
});

describe('--fix-keycloak sets exactly the expected conditions', () => {
  const base = {
    realm: 'acme',
    exp,
    targetExists: true,
    fix: true,
    mapperTypes: { 'oidc-advanced-group-idp-mapper': { id: 'oidc-advanced-group-idp-mapper' } },
  };
  const claimsOf = (body: unknown) => JSON.parse((body as IdpMapper).config.claims!);

  it('replaces a lone email condition with the group condition instead of appending to it', () => {
    const emailOnly = mapper({ claims: JSON.stringify([{ key: 'email', value: 'alice@contoso.com' }]) });
    const planned = planMapper({ ...base, mappers: [emailOnly] });
    const [update] = planned.actions;
    expect(update).toMatchObject({ kind: 'update', backup: emailOnly });
    expect(claimsOf(update.request!.body)).toEqual([{ key: 'groups', value: GID }]);
    const replaced = planned.findings.find((f) => f.code === 'KC_MAPPER_CONDITIONS_REPLACED');
    expect(replaced).toMatchObject({ severity: 'info' });
    expect(replaced!.message).toContain('drops email=alice@contoso.com');
  });

  it('drops every other condition, a tid pin included, when the mapper is rewritten', () => {
    const m = mapper({
      syncMode: 'IMPORT',
      claims: JSON.stringify([
        { key: 'groups', value: 'Tenant Admins' },
        { key: 'tid', value: TID },
        { key: 'department', value: 'IT' },
      ]),
    });
    const [update] = planMapper({ ...base, mappers: [m] }).actions;
    expect(claimsOf(update.request!.body)).toEqual([{ key: 'groups', value: GID }]);
    expect((update.request!.body as IdpMapper).config['are.claim.values.regex']).toBe('false');
    // The group's own condition (its display name here) is reported by KC_MAPPER_GROUP_NAME, not as dropped.
    expect(replacedConditions(m, update.request!.body as IdpMapper, exp.claim!)).toEqual([
      { key: 'tid', value: TID },
      { key: 'department', value: 'IT' },
    ]);
  });

  it('names nothing as replaced when the conditions were already exactly right', () => {
    const m = mapper({ syncMode: 'IMPORT' });
    const planned = planMapper({ ...base, mappers: [m] });
    expect(claimsOf(planned.actions[0].request!.body)).toEqual([{ key: 'groups', value: GID }]);
    expect(codes(planned.findings)).toEqual(['KC_MAPPER_SYNC_IMPORT']);
  });
});

describe('linked holders with local credentials', () => {
  const link = [{ identityProvider: 'entra', userId: GID }];
  const holder = (
    username: string,
    types: string[] | undefined,
    extra: Partial<{ enabled: boolean; federationLink: string; storage: string[]; links: typeof link }> = {},
  ) => ({
    user: { id: username, username, enabled: extra.enabled, federationLink: extra.federationLink },
    links: extra.links ?? link,
    credentials: types?.map((type) => ({ type })),
    ...(extra.storage ? { storageCredentialTypes: extra.storage } : {}),
  });
  const judge = (hs: ReturnType<typeof holder>[]) => localCredentialFindings(hs, { alias: 'entra', target: '/tenant-admin' });

  it('is an error for a linked holder with a password (also with OTP), naming them', () => {
    const f = judge([holder('pw', ['password']), holder('pw-otp', ['password', 'otp']), holder('clean', [])]);
    expect(f.map((x) => [x.severity, x.code])).toEqual([['error', 'KC_MEMBER_LOCAL_PASSWORD']]);
    expect(f[0].message).toContain('2 holder(s)');
    expect(f[0].message).toMatch(/: pw, pw-otp$/);
  });

  it('ignores second factors alone, disabled holders and holders not linked to the provider', () => {
    expect(
      judge([
        holder('otp', ['otp']),
        holder('wa', ['webauthn', 'recovery-authn-codes']),
        holder('off', ['password'], { enabled: false }),
        holder('local', ['password'], { links: [] }),
      ]),
    ).toEqual([]);
  });

  it('counts the password of a user storage (LDAP) and fails closed when it was not read', () => {
    expect(codes(judge([holder('ldap', [], { federationLink: 'ldap-1', storage: ['password'] })]))).toEqual(['KC_MEMBER_LOCAL_PASSWORD']);
    expect(codes(judge([holder('ldap', [], { federationLink: 'ldap-1' })]))).toEqual(['KC_MEMBER_CREDENTIALS_UNREAD']);
    expect(codes(judge([holder('unread', undefined)]))).toEqual(['KC_MEMBER_CREDENTIALS_UNREAD']);
  });

  it('warns about passkeys and credential types it does not know', () => {
    expect(judge([holder('pk', ['webauthn-passwordless'])]).map((x) => [x.severity, x.code])).toEqual([
      ['warning', 'KC_MEMBER_LOCAL_PASSKEY'],
    ]);
    const f = judge([holder('odd', ['secret-question'])]);
    expect(f.map((x) => [x.severity, x.code])).toEqual([['warning', 'KC_MEMBER_CREDENTIAL_UNKNOWN']]);
    expect(f[0].message).toContain('secret-question');
  });
});

describe('mapper types this tool does not know', () => {
  const custom = (type: string, config: Record<string, string>): IdpMapper => ({
    id: `id-${type}`,
    name: `custom ${type}`,
    identityProviderAlias: 'entra',
    identityProviderMapper: type,
    config,
  });

  it('on the chosen provider, one that assigns exactly the target group is a way in', () => {
    const f = unknownTypeGrants('entra', [custom('acme-magic-group-mapper', { group: '/tenant-admin' })], {
      kind: 'group',
      value: '/tenant-admin',
    });
    expect(f).toEqual([expect.objectContaining({ severity: 'error', code: 'KC_MAPPER_UNKNOWN_TYPE' })]);
    // The known types are planMapper's business, not this check's.
    expect(unknownTypeGrants('entra', [mapper({})], { kind: 'group', value: '/tenant-admin' })).toEqual([]);
    expect(
      unknownTypeGrants('entra', [custom('acme-magic-group-mapper', { group: '/other' })], { kind: 'group', value: '/tenant-admin' }),
    ).toEqual([]);
  });

  it('on another provider, "External Role to Role" to the target role is reported as a grant', () => {
    const f = otherProviderGrants('other', [custom('keycloak-oidc-role-to-role-idp-mapper', { 'external.role': 'x', role: 'admin' })], {
      kind: 'role',
      value: 'admin',
    });
    expect(f.map((x) => x.code)).toEqual(['KC_MAPPER_OTHER_IDP']);
  });
});
