import { describe, expect, it } from 'vitest';
import { judgeRegexCondition, translateJavaRegex, type OtherClaimValues } from '../../src/keycloak/java-regex.js';
import { evaluateMapper } from '../../src/keycloak/mapper-judging.js';
import { planMapper } from '../../src/keycloak/mapper-plan.js';
import { otherClaimValues, type MappingExpectation } from '../../src/keycloak/mapping-expectation.js';
import { judgeOtherProvider } from '../../src/keycloak/other-providers.js';
import { SAML_GROUPS_ATTRIBUTE } from '../../src/keycloak/protocol.js';
import type { IdentityProvider, IdpMapper } from '../../src/keycloak/types.js';
import { groupClaimFormat } from '../../src/graph/group-claim.js';

/**
 * Regex conditions judged as Java's String.matches against the other
 * values the token can carry; sync mode LEGACY judged per mapper type; a second Entra provider's
 * correct mapper is not a bypass.
 */

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const APP = '3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
const GID = '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d';
/** Another group assigned to the app (users:pf), whose members must not become admins. */
const USERS = '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f';
const app = { tenantId: TID, appId: APP, identifiers: [APP, 'https://sso.example/realms/t'] };
const codes = (xs: Array<{ code: string }>) => xs.map((x) => x.code);

const assigned: OtherClaimValues = { values: [USERS], what: 'the object id of another group assigned to the app' };
const claim = (others?: OtherClaimValues): NonNullable<MappingExpectation['claim']> => ({
  key: 'groups',
  value: GID,
  displayName: 'Tenant Admins',
  source: 'group',
  groupId: GID,
  valueKind: 'object-id',
  format: 'groupMembershipClaims ApplicationGroup',
  ...(others ? { others } : {}),
});
const expWith = (others?: OtherClaimValues): MappingExpectation => ({
  protocol: 'oidc',
  alias: 'entra',
  target: { kind: 'group', value: '/tenant-admin' },
  claim: claim(others),
  idpSyncMode: 'IMPORT',
  tenantId: TID,
});
const regexMapper = (value: string, config: Record<string, string> = {}): IdpMapper => ({
  id: 'id-m',
  name: 'm',
  identityProviderAlias: 'entra',
  identityProviderMapper: 'oidc-advanced-group-idp-mapper',
  config: {
    syncMode: 'FORCE',
    claims: JSON.stringify([{ key: 'groups', value }]),
    'are.claim.values.regex': 'true',
    group: '/tenant-admin',
    ...config,
  },
});

describe('Java regex translation (Keycloak: RegexUtils.valueMatchesRegex → String.matches)', () => {
  const matches = (p: string, v: string) => {
    const j = translateJavaRegex(p);
    if ('error' in j) throw new Error(j.error);
    return j.re.test(v);
  };

  it('matches the whole value, as String.matches does', () => {
    expect(matches('abc', 'abc')).toBe(true);
    expect(matches('abc', 'xabc')).toBe(false);
    expect(matches('a|b', 'a')).toBe(true);
    expect(matches('a|b', 'ab')).toBe(false);
    expect(matches('^abc$', 'abc')).toBe(true);
  });

  it('accepts a leading (?i) as the i flag, and \\Q…\\E quoting', () => {
    expect(matches(`(?i)${GID.toUpperCase()}`, GID)).toBe(true);
    expect(translateJavaRegex(`(?i)${GID}`)).toMatchObject({ caseInsensitive: true, literal: GID });
    expect(translateJavaRegex(`\\Q${GID}\\E`)).toMatchObject({ literal: GID });
    expect(matches('\\Qa.b\\E', 'a.b')).toBe(true);
    expect(matches('\\Qa.b\\E', 'axb')).toBe(false);
    // Java repeats the last quoted character only.
    expect(matches('\\Qab\\E+', 'abbb')).toBe(true);
    expect(matches('\\Qab\\E+', 'abab')).toBe(false);
    expect(translateJavaRegex(GID.replace(/-/g, '\\-'))).toMatchObject({ literal: GID });
  });

  it('knows which patterns are a single literal', () => {
    expect(translateJavaRegex(GID)).toMatchObject({ literal: GID });
    expect(translateJavaRegex(`^${GID}$`)).toMatchObject({ literal: GID });
    for (const p of [`${GID}|x`, `${GID}.*`, '[0-9a-f-]{36}', `${GID}?`, `(${GID})`])
      expect(translateJavaRegex(p)).not.toHaveProperty('literal');
  });

  it('refuses what Java reads differently or this tool does not translate', () => {
    for (const p of [
      '(?x) a',
      '(?s).*',
      'a(?i)b',
      '(?i:a)',
      'a++',
      'a*+',
      '(?>a)',
      '(?<n>a)',
      '[a-f&&[^b]]',
      '[a[b]]',
      '\\p{XDigit}+',
      '\\s',
      '\\bX',
      '\\1',
      'a{',
      'x{,3}',
      '[]a]',
      '(a',
      'a)',
      '\\',
      '*a',
    ]) {
      expect(translateJavaRegex(p), p).toHaveProperty('error');
    }
    expect(translateJavaRegex('[\\Qa\\E]')).toHaveProperty('error');
  });
});

describe('regex conditions against the values the token can carry', () => {
  it('calls a pattern that also matches another group assigned to the app an error, and --fix-keycloak rewrites it to the exact id', () => {
    // `<group id>|<another group id>` passed the probe strings before: members of users:pf became admins.
    const broad = regexMapper(`${GID}|${USERS}`);
    const issues = evaluateMapper(broad, expWith(assigned));
    expect(issues).toEqual([expect.objectContaining({ code: 'KC_MAPPER_REGEX', severity: 'error', fixable: true })]);
    expect(issues[0].message).toContain(`also matches ${USERS}`);
    const p = planMapper({ realm: 'acme', exp: expWith(assigned), mappers: [broad], targetExists: true, fix: true });
    expect(p.actions).toEqual([
      expect.objectContaining({
        kind: 'update',
        request: expect.objectContaining({
          method: 'PUT',
          body: expect.objectContaining({
            config: expect.objectContaining({ claims: JSON.stringify([{ key: 'groups', value: GID }]), 'are.claim.values.regex': 'false' }),
          }),
        }),
        backup: broad,
      }),
    ]);
  });

  it('finds the same for a character class or prefix that covers the other id', () => {
    for (const v of ['[0-9a-f-]{36}', `[19]${GID.slice(1)}|1c2d.*`, '.*']) {
      expect(codes(evaluateMapper(regexMapper(v), expWith(assigned))), v).toEqual(['KC_MAPPER_REGEX']);
    }
  });

  it('accepts (?i) with the id and a literal id with the flag on, even when the other groups are unknown', () => {
    // Before, JavaScript rejected (?i) and the mapper was reported as a mismatch.
    expect(evaluateMapper(regexMapper(`(?i)${GID.toUpperCase()}`), expWith())).toEqual([]);
    expect(evaluateMapper(regexMapper(GID), expWith())).toEqual([]);
    expect(evaluateMapper(regexMapper(`^\\Q${GID}\\E$`), expWith())).toEqual([]);
  });

  it('cannot prove a pattern safe when the other values are unknown: an error naming why', () => {
    const why = 'the app emits every group of the user (groupMembershipClaims SecurityGroup), not only the groups assigned to it';
    const issues = evaluateMapper(regexMapper(`${GID}|00000000-0000-0000-0000-00000000000[0-1]`), expWith({ unknown: why }));
    expect(issues).toEqual([expect.objectContaining({ code: 'KC_MAPPER_REGEX', severity: 'error' })]);
    expect(issues[0].message).toContain(why);
  });

  it('warns about a pattern that is safe only because of the groups assigned today', () => {
    const issues = evaluateMapper(regexMapper(`${GID}|deadbeef-.*`), expWith(assigned));
    expect(issues).toEqual([expect.objectContaining({ code: 'KC_MAPPER_REGEX_FRAGILE', severity: 'warning', fixable: false })]);
  });

  it('fails closed on Java syntax it cannot evaluate: an error, which --fix-keycloak rewrites', () => {
    const m = regexMapper(`\\p{XDigit}{8}-${GID.slice(9)}`);
    const issues = evaluateMapper(m, expWith(assigned));
    expect(issues).toEqual([expect.objectContaining({ code: 'KC_MAPPER_REGEX_UNSUPPORTED', severity: 'error', fixable: true })]);
    expect(issues[0].message).toContain('cannot be evaluated');
    const p = planMapper({ realm: 'acme', exp: expWith(assigned), mappers: [m], targetExists: true, fix: true });
    expect(p.actions.map((a) => a.kind)).toEqual(['update']);
  });

  it('needs only one exact condition: every condition must hold', () => {
    const both = regexMapper('', {
      claims: JSON.stringify([
        { key: 'groups', value: GID },
        { key: 'groups', value: '.*' },
      ]),
    });
    expect(evaluateMapper(both, expWith(assigned))).toEqual([]);
  });

  it('judges single conditions', () => {
    expect(judgeRegexCondition(`${GID}|${USERS}`, GID, assigned)).toMatchObject({ verdict: 'too-broad', also: USERS });
    expect(judgeRegexCondition(USERS, GID, assigned)).toEqual({ verdict: 'no-match' });
    expect(judgeRegexCondition('(?i)ADMIN', 'admin', undefined)).toMatchObject({ verdict: 'unprovable' });
    expect(judgeRegexCondition('(?i)ADMIN', 'admin', { values: ['Admin'], what: 'another app role value' })).toMatchObject({
      verdict: 'too-broad',
      also: 'Admin',
    });
    expect(judgeRegexCondition('(?i)é', 'É', { values: [], what: '' })).toMatchObject({ verdict: 'cannot-evaluate' });
  });

  it('(?i) with an ASCII-only pattern reads non-ASCII values as Java does (ASCII folding only), instead of refusing them', () => {
    // Display-name mode: another assigned group is named "Tenant Ädmins"; the pattern names only ASCII.
    const others = { values: ['Tenant Ädmins', 'tenant admins (ö)'], what: 'the name of another group assigned to the app' };
    expect(judgeRegexCondition('(?i)tenant admins', 'Tenant Admins', others)).toEqual({ verdict: 'exact', proof: 'assigned' });
    expect(judgeRegexCondition('(?i)tenant .dmins', 'Tenant Admins', others)).toMatchObject({
      verdict: 'too-broad',
      also: 'Tenant Ädmins',
    });
    // A pattern that names a non-ASCII letter still cannot be evaluated on a non-ASCII value.
    expect(judgeRegexCondition('(?i)tenant \\u00c4dmins|tenant admins', 'Tenant Admins', others)).toMatchObject({
      verdict: 'cannot-evaluate',
    });
  });
});

describe('the other values the claim can carry', () => {
  const format = (gmc: string, props: string[] = []) =>
    groupClaimFormat(
      { groupMembershipClaims: gmc, optionalClaims: { idToken: [{ name: 'groups', additionalProperties: props }] } },
      'idToken',
      { id: GID, displayName: 'Tenant Admins' },
    );
  const groups = [
    { id: GID, displayName: 'Tenant Admins' },
    { id: USERS, displayName: 'users:pf' },
  ];

  it('lists the other groups assigned to the app when only those are emitted', () => {
    expect(otherClaimValues(claim(), { groupClaim: format('ApplicationGroup'), appGroups: groups })).toEqual({
      values: [USERS],
      what: expect.stringContaining('another group assigned to the app'),
    });
    const named = { ...claim(), value: 'Tenant Admins', valueKind: 'display-name' as const };
    expect(otherClaimValues(named, { groupClaim: format('ApplicationGroup', ['cloud_displayname']), appGroups: groups })).toMatchObject({
      values: ['users:pf', USERS],
    });
  });

  it('is unknown when every group of the user is emitted, the registration or the assignments were not read', () => {
    expect(otherClaimValues(claim(), { groupClaim: format('SecurityGroup'), appGroups: groups })).toMatchObject({
      unknown: expect.stringContaining('every group of the user'),
    });
    expect(otherClaimValues(claim(), { appGroups: groups })).toMatchObject({
      unknown: expect.stringContaining('app registration was not read'),
    });
    expect(otherClaimValues(claim(), { groupClaim: format('ApplicationGroup') })).toMatchObject({
      unknown: expect.stringContaining('assigned to the app were not read'),
    });
  });

  it('lists the other app role values in app-role mode', () => {
    const role = { key: 'roles', value: 'Keycloak.Admin', source: 'app-role' as const };
    expect(otherClaimValues(role, { appRoles: [{ value: 'Keycloak.Admin' }, { value: 'Keycloak.User' }, { value: null }] })).toMatchObject({
      values: ['Keycloak.User'],
    });
    expect(otherClaimValues(role, {})).toHaveProperty('unknown');
  });
});

describe('sync mode LEGACY per mapper type (Keycloak AbstractIdentityProviderMapper.updateBrokeredUserLegacy)', () => {
  const exp = expWith(assigned);
  const legacy = (m: IdpMapper) =>
    evaluateMapper(
      { ...m, config: { ...m.config, syncMode: 'LEGACY' } },
      m.config.role ? { ...exp, target: { kind: 'role', value: 'admin' } } : exp,
    );

  it('is a warning for the group mappers (LEGACY acts as FORCE), with no rewrite planned', () => {
    const m = regexMapper(GID, { 'are.claim.values.regex': 'false' });
    expect(legacy(m)).toEqual([
      expect.objectContaining({
        code: 'KC_MAPPER_SYNC_LEGACY',
        severity: 'warning',
        fixable: false,
        fix: expect.stringContaining('Force'),
      }),
    ]);
    const noKey = { ...m, config: { ...m.config } };
    delete noKey.config.syncMode;
    const p = planMapper({ realm: 'acme', exp, mappers: [noKey], targetExists: true, fix: true });
    expect(p.findings.map((f) => [f.code, f.severity])).toEqual([['KC_MAPPER_SYNC_LEGACY', 'warning']]);
    expect(p.actions.map((a) => a.kind)).toEqual(['noop']);
    // INHERIT under a provider without syncMode is LEGACY too.
    expect(evaluateMapper({ ...m, config: { ...m.config, syncMode: 'INHERIT' } }, { ...exp, idpSyncMode: undefined })).toEqual([
      expect.objectContaining({ code: 'KC_MAPPER_SYNC_LEGACY', severity: 'warning' }),
    ]);
  });

  it('is a warning for the SAML group and role mappers', () => {
    const samlExp = { ...exp, protocol: 'saml' as const, claim: { ...claim(assigned), key: SAML_GROUPS_ATTRIBUTE } };
    const group: IdpMapper = {
      name: 's',
      identityProviderAlias: 'entra',
      identityProviderMapper: 'saml-advanced-group-idp-mapper',
      config: { syncMode: 'LEGACY', attributes: JSON.stringify([{ key: SAML_GROUPS_ATTRIBUTE, value: GID }]), group: '/tenant-admin' },
    };
    expect(evaluateMapper(group, samlExp)).toEqual([expect.objectContaining({ code: 'KC_MAPPER_SYNC_LEGACY', severity: 'warning' })]);
    const role: IdpMapper = {
      name: 'r',
      identityProviderAlias: 'entra',
      identityProviderMapper: 'saml-role-idp-mapper',
      config: { syncMode: 'LEGACY', 'attribute.name': SAML_GROUPS_ATTRIBUTE, 'attribute.value': GID, role: 'admin' },
    };
    expect(evaluateMapper(role, { ...samlExp, target: { kind: 'role', value: 'admin' } })).toEqual([
      expect.objectContaining({ code: 'KC_MAPPER_SYNC_LEGACY', severity: 'warning' }),
    ]);
  });

  it('stays an error for the OIDC Claim to Role mappers (remove-only under LEGACY), and IMPORT stays an error', () => {
    const role: IdpMapper = {
      id: 'r',
      name: 'r',
      identityProviderAlias: 'entra',
      identityProviderMapper: 'oidc-role-idp-mapper',
      config: { claim: 'groups', 'claim.value': GID, role: 'admin' },
    };
    expect(legacy(role)).toEqual([expect.objectContaining({ code: 'KC_MAPPER_SYNC_LEGACY', severity: 'error', fixable: true })]);
    expect(legacy(role)[0].message).toContain('never grants it again');
    const advanced: IdpMapper = {
      ...role,
      identityProviderMapper: 'oidc-advanced-role-idp-mapper',
      config: { claims: JSON.stringify([{ key: 'groups', value: GID }]), role: 'admin' },
    };
    expect(legacy(advanced)).toEqual([expect.objectContaining({ code: 'KC_MAPPER_SYNC_LEGACY', severity: 'error' })]);
    expect(evaluateMapper(regexMapper(GID, { syncMode: 'IMPORT' }), exp)).toEqual([
      expect.objectContaining({ code: 'KC_MAPPER_SYNC_IMPORT', severity: 'error' }),
    ]);
  });
});

describe('a second provider that grants the target', () => {
  const target = { kind: 'group' as const, value: '/tenant-admin' };
  const samlIdp = (config: Record<string, string> = {}): IdentityProvider => ({
    alias: 'entra-saml',
    providerId: 'saml',
    enabled: true,
    config: {
      idpEntityId: `https://sts.windows.net/${TID}/`,
      singleSignOnServiceUrl: `https://login.microsoftonline.com/${TID}/saml2`,
      entityId: 'https://sso.example/realms/t',
      validateSignature: 'true',
      signingCertificate: 'MIIC…',
      ...config,
    },
  });
  const samlMapper = (attributes: Array<{ key: string; value: string }>, config: Record<string, string> = {}): IdpMapper => ({
    id: 's',
    name: 'tenant-admin-from-entra',
    identityProviderAlias: 'entra-saml',
    identityProviderMapper: 'saml-advanced-group-idp-mapper',
    config: {
      syncMode: 'FORCE',
      attributes: JSON.stringify(attributes),
      'are.attribute.values.regex': 'false',
      group: '/tenant-admin',
      ...config,
    },
  });
  const claims = { oidc: claim(assigned), saml: { ...claim(assigned), key: SAML_GROUPS_ATTRIBUTE } };
  const judge = (idp: IdentityProvider, mappers: IdpMapper[], c: typeof claims | Record<string, never> = claims) =>
    judgeOtherProvider({ idp, mappers, target, app, claims: c });

  it('accepts a second Entra provider whose mapper requires the PIM group in its own protocol', () => {
    expect(judge(samlIdp(), [samlMapper([{ key: SAML_GROUPS_ATTRIBUTE, value: GID }])])).toEqual([]);
    const oidcIdp: IdentityProvider = {
      alias: 'entra-2',
      providerId: 'oidc',
      config: {
        clientId: APP,
        issuer: `https://login.microsoftonline.com/${TID}/v2.0`,
        authorizationUrl: `https://login.microsoftonline.com/${TID}/oauth2/v2.0/authorize`,
        tokenUrl: `https://login.microsoftonline.com/${TID}/oauth2/v2.0/token`,
      },
    };
    expect(judge(oidcIdp, [{ ...regexMapper(GID, { 'are.claim.values.regex': 'false' }), identityProviderAlias: 'entra-2' }])).toEqual([]);
  });

  it('judges that mapper like the chosen one: IMPORT is an error of its own, not a bypass', () => {
    const f = judge(samlIdp(), [samlMapper([{ key: SAML_GROUPS_ATTRIBUTE, value: GID }], { syncMode: 'IMPORT' })]);
    expect(f.map((x) => [x.code, x.severity])).toEqual([['KC_MAPPER_SYNC_IMPORT', 'error']]);
    expect(f[0].message).toContain('entra-saml');
  });

  it('flags a grant that does not require the PIM group', () => {
    const f = judge(samlIdp(), [samlMapper([{ key: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/department', value: 'IT' }])]);
    expect(codes(f)).toEqual(['KC_MAPPER_OTHER_IDP']);
    expect(f[0].message).toContain('does not require the PIM group');
    expect(
      codes(
        judge(samlIdp(), [
          samlMapper([{ key: SAML_GROUPS_ATTRIBUTE, value: `${GID}|${USERS}` }], { 'are.attribute.values.regex': 'true' }),
        ]),
      ),
    ).toEqual(['KC_MAPPER_OTHER_IDP']);
    const hardcoded: IdpMapper = {
      name: 'everyone',
      identityProviderAlias: 'entra-saml',
      identityProviderMapper: 'oidc-hardcoded-group-idp-mapper',
      config: { group: '/tenant-admin' },
    };
    expect(codes(judge(samlIdp(), [hardcoded]))).toEqual(['KC_MAPPER_OTHER_IDP']);
  });

  it('flags every grant of a provider that cannot vouch for the group', () => {
    const good = samlMapper([{ key: SAML_GROUPS_ATTRIBUTE, value: GID }]);
    // No signature check: anyone can post an assertion with the group's id.
    expect(judge(samlIdp({ validateSignature: 'false' }), [good])[0].message).toContain('does not validate SAML signatures');
    expect(
      codes(
        judge(
          samlIdp({
            idpEntityId: 'https://sts.windows.net/f8cdef31-a31e-4b4a-93e4-5f571e91255a/',
            singleSignOnServiceUrl: 'https://login.microsoftonline.com/f8cdef31-a31e-4b4a-93e4-5f571e91255a/saml2',
          }),
          [good],
        ),
      ),
    ).toEqual(['KC_MAPPER_OTHER_IDP']);
    const github: IdentityProvider = {
      alias: 'github',
      providerId: 'oidc',
      config: { clientId: 'gh', authorizationUrl: 'https://github.example/auth', tokenUrl: 'https://github.example/token' },
    };
    expect(codes(judge(github, [{ ...regexMapper(GID, { 'are.claim.values.regex': 'false' }), identityProviderAlias: 'github' }]))).toEqual(
      ['KC_MAPPER_OTHER_IDP'],
    );
    // Without the Entra facts nothing proves the condition is the PIM group.
    expect(codes(judge(samlIdp(), [good], {}))).toEqual(['KC_MAPPER_OTHER_IDP']);
  });
});
