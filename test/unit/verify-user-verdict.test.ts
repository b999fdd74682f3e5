import { describe, expect, it } from 'vitest';
import { matchesExpectation, verdictOf, type EntraFacts } from '../../src/commands/verify-user.js';
import type { KeycloakFacts } from '../../src/keycloak/user-facts.js';
import { groupScope, type AdminScope } from '../../src/keycloak/admin-scope.js';
import { localCredentialFindings, residualFindings } from '../../src/keycloak/holders.js';
import { grantingMappers, userGrants } from '../../src/keycloak/user-grants.js';
import type { IdpMapper } from '../../src/keycloak/types.js';

/**
 * verify-user's verdict on one user, with the audit's notion of what carries the admin rights
 * (subgroups, the role's composite closure, groups holding it, the default role, LEGACY
 * per mapper type, a second trusted Entra provider).
 */

const GID = '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d';
const UPN = 'alice@contoso.example';
const ROLE = 'tenant-admin-role';

const entra = (state: 'eligible' | 'active'): EntraFacts => ({
  user: { id: 'u-alice', userPrincipalName: UPN },
  group: { id: GID, displayName: 'tenant-admin' },
  eligible: [{ principalId: 'u-alice', groupId: GID, accessId: 'member' }],
  active:
    state === 'active'
      ? [
          {
            principalId: 'u-alice',
            groupId: GID,
            accessId: 'member',
            assignmentType: 'Activated',
            startDateTime: '2026-11-30T10:00:00Z',
            endDateTime: '2026-11-30T11:00:00Z',
          },
        ]
      : [],
  member: state === 'active',
  lastSignIn: {},
});

const groupMapper = (group: string, syncMode = 'FORCE', name = 'pim', alias = 'entra'): IdpMapper => ({
  name,
  identityProviderAlias: alias,
  identityProviderMapper: 'oidc-advanced-group-idp-mapper',
  config: { syncMode, claims: JSON.stringify([{ key: 'groups', value: GID }]), 'are.claim.values.regex': 'false', group },
});
const roleMapper = (role: string, syncMode = 'FORCE', type = 'oidc-role-idp-mapper', name = 'pim-role'): IdpMapper => ({
  name,
  identityProviderAlias: 'entra',
  identityProviderMapper: type,
  config: type.includes('hardcoded') ? { syncMode, role } : { syncMode, claim: 'groups', 'claim.value': GID, role },
});

/** The role-mode scope roleScope builds: `super` and `app.owner` contain the role, group /admins holds it. */
const roleScopeOf = (): AdminScope => ({
  target: { kind: 'role', value: ROLE },
  roles: new Map([
    ['super', { id: 'r-super', ref: 'super', clientRole: false }],
    ['app.owner', { id: 'r-owner', ref: 'app.owner', clientRole: true }],
  ]),
  groups: new Map([['/admins', `holds ${ROLE}`]]),
});
const ROLE_IDS = { targetRoleId: 'r-admin' };

/** Keycloak facts as readKeycloak builds them, from the user's groups and roles and the providers' mappers. */
function kcFacts(o: {
  scope: AdminScope;
  groups?: string[];
  roles?: Array<{ id: string; ref: string; clientRole: boolean }>;
  defaultRole?: string;
  links?: string[];
  mappers?: Array<[string, IdpMapper[], string | undefined]>;
  trusted?: string[];
  incomplete?: string[];
}): KeycloakFacts {
  const grants = userGrants({ groups: o.groups ?? [], roles: o.roles ?? [] }, o.scope, { ...ROLE_IDS, defaultRole: o.defaultRole });
  return {
    url: 'https://kc.example',
    realm: 'r',
    target: o.scope.target,
    alias: 'entra',
    trustedAliases: o.trusted ?? [],
    user: { id: 'k-alice', username: UPN },
    links: (o.links ?? ['entra']).map((a) => ({ identityProvider: a, userId: 'u-alice', userName: UPN })),
    groups: o.groups ?? [],
    holdsTarget: grants.length > 0,
    grants,
    mappers: (o.mappers ?? [['entra', [groupMapper('/tenant-admin')], undefined]]).flatMap(([alias, ms, idpSync]) =>
      grantingMappers(alias, ms, idpSync, o.scope),
    ),
    incomplete: o.incomplete ?? [],
  };
}

const text = (v: { reasons: string[] }) => v.reasons.join('\n');

describe('userGrants: a user holds the rights exactly as the audit counts holders', () => {
  it('group mode: the group and its subgroups, not a sibling with the same prefix', () => {
    const scope = groupScope('/tenant-admin');
    expect(
      userGrants({ groups: ['/tenant-admin/ops', '/tenant-admins', '/users'], roles: [] }, scope).map((g) => [g.kind, g.value]),
    ).toEqual([['group', '/tenant-admin/ops']]);
    expect(userGrants({ groups: ['/tenant-admin'], roles: [] }, scope)[0].why).toBe('member of /tenant-admin');
  });

  it('role mode: the role, a composite containing it, a group holding it and its subgroups, the default role', () => {
    const grants = userGrants(
      {
        groups: ['/admins/night', '/users'],
        roles: [
          { id: 'r-admin', ref: ROLE, clientRole: false },
          { id: 'r-owner', ref: 'app.owner', clientRole: true },
          { id: 'r-harmless', ref: 'harmless', clientRole: false },
        ],
      },
      roleScopeOf(),
      { ...ROLE_IDS, defaultRole: 'default-roles-r' },
    );
    expect(grants.map((g) => [g.kind, g.value])).toEqual([
      ['group', '/admins/night'],
      ['role', ROLE],
      ['role', 'app.owner'],
      ['default-role', 'default-roles-r'],
    ]);
    expect(grants[0].why).toBe(`member of /admins/night, a subgroup of /admins, which holds ${ROLE}`);
    expect(grants[2].why).toContain('contains tenant-admin-role (composite role)');
  });
});

describe('grantingMappers: the mappers that assign what carries the rights', () => {
  it('includes subgroups, composites and hardcoded mappers with their sync mode; LEGACY Claim to Role is remove-only', () => {
    const scope = roleScopeOf();
    const ms = grantingMappers(
      'entra',
      [
        roleMapper(ROLE, 'INHERIT'),
        roleMapper('app.owner', 'FORCE', 'oidc-hardcoded-role-idp-mapper', 'all'),
        groupMapper('/admins/night'),
        groupMapper('/users'),
        roleMapper('harmless'),
      ],
      undefined,
      scope,
    );
    expect(ms.map((m) => [m.name, m.value, m.mode, m.hardcoded, m.legacyRemoveOnly])).toEqual([
      ['pim-role', ROLE, 'LEGACY', false, true],
      ['all', 'app.owner', 'FORCE', true, false],
      ['pim', '/admins/night', 'FORCE', false, false],
    ]);
    // A group mapper under LEGACY acts as FORCE: not remove-only.
    expect(grantingMappers('entra', [groupMapper('/tenant-admin', 'INHERIT')], undefined, groupScope('/tenant-admin'))[0]).toMatchObject({
      mode: 'LEGACY',
      legacyRemoveOnly: false,
    });
  });
});

describe('verdictOf with the audit scope', () => {
  it('a member of /tenant-admin/ops without activation: not active, but still mapped, because no mapper manages the subgroup', () => {
    const v = verdictOf(entra('eligible'), kcFacts({ scope: groupScope('/tenant-admin'), groups: ['/tenant-admin/ops'] }));
    expect(v.kind).toBe('not-active-but-mapped');
    expect(text(v)).toContain('member of /tenant-admin/ops, a subgroup of /tenant-admin');
    expect(text(v)).toContain('no mapper of entra assigns /tenant-admin/ops, so it was given in Keycloak and PIM never takes it away');
    expect(text(v)).not.toContain('sign the user out');
  });

  it('a subgroup the PIM mapper itself assigns (FORCE): the session is the reason', () => {
    const v = verdictOf(
      entra('eligible'),
      kcFacts({
        scope: groupScope('/tenant-admin'),
        groups: ['/tenant-admin/ops'],
        mappers: [['entra', [groupMapper('/tenant-admin'), groupMapper('/tenant-admin/ops', 'FORCE', 'ops')], undefined]],
      }),
    );
    expect(v.kind).toBe('not-active-but-mapped');
    expect(v.reasons).toEqual([
      expect.stringContaining('Keycloak removes /tenant-admin/ops at the next sign-in through Entra (sync mode FORCE)'),
    ]);
  });

  it('an IMPORT mapper to the subgroup is named', () => {
    const v = verdictOf(
      entra('eligible'),
      kcFacts({
        scope: groupScope('/tenant-admin'),
        groups: ['/tenant-admin/ops'],
        mappers: [['entra', [groupMapper('/tenant-admin/ops', 'IMPORT', 'ops')], undefined]],
      }),
    );
    expect(v.reasons[0]).toMatch(/^mapper ops has sync mode IMPORT: Keycloak never takes \/tenant-admin\/ops away/);
  });

  it('a hardcoded mapper to the subgroup gives it to everyone', () => {
    const hard: IdpMapper = {
      name: 'everyone',
      identityProviderAlias: 'entra',
      identityProviderMapper: 'oidc-hardcoded-group-idp-mapper',
      config: { syncMode: 'FORCE', group: '/tenant-admin/ops' },
    };
    const v = verdictOf(
      entra('eligible'),
      kcFacts({
        scope: groupScope('/tenant-admin'),
        groups: ['/tenant-admin/ops'],
        mappers: [['entra', [groupMapper('/tenant-admin'), hard], undefined]],
      }),
    );
    expect(text(v)).toContain('hardcoded mapper everyone on entra gives /tenant-admin/ops to everyone who signs in');
  });

  it('a group mapper under LEGACY (no syncMode stored) removes like FORCE', () => {
    const v = verdictOf(
      entra('eligible'),
      kcFacts({
        scope: groupScope('/tenant-admin'),
        groups: ['/tenant-admin'],
        mappers: [['entra', [groupMapper('/tenant-admin', 'INHERIT')], undefined]],
      }),
    );
    expect(v.reasons).toEqual([
      expect.stringContaining(
        'removes /tenant-admin at the next sign-in through Entra (sync mode LEGACY, which Keycloak 26 applies like FORCE',
      ),
    ]);
  });

  it('role mode: a local composite role holder is mapped, and the role is local', () => {
    const v = verdictOf(
      entra('eligible'),
      kcFacts({
        scope: roleScopeOf(),
        roles: [{ id: 'r-owner', ref: 'app.owner', clientRole: true }],
        mappers: [['entra', [roleMapper(ROLE)], undefined]],
      }),
    );
    expect(v.kind).toBe('not-active-but-mapped');
    expect(text(v)).toContain(
      'holds role app.owner, which contains tenant-admin-role (composite role): no mapper of entra assigns role app.owner',
    );
  });

  it('role mode: a member of a subgroup of a group holding the role', () => {
    const v = verdictOf(
      entra('eligible'),
      kcFacts({ scope: roleScopeOf(), groups: ['/admins/night'], mappers: [['entra', [roleMapper(ROLE)], undefined]] }),
    );
    expect(v.kind).toBe('not-active-but-mapped');
    expect(text(v)).toContain('member of /admins/night, a subgroup of /admins, which holds tenant-admin-role');
  });

  it('role mode: the default role containing the role makes everyone mapped, linked or not', () => {
    const v = verdictOf(
      entra('eligible'),
      kcFacts({ scope: roleScopeOf(), defaultRole: 'default-roles-r', mappers: [['entra', [roleMapper(ROLE)], undefined]] }),
    );
    expect(v.kind).toBe('not-active-but-mapped');
    expect(text(v)).toContain('every user holds the default role default-roles-r');
    expect(text(v)).toContain("from the realm's default roles");
  });

  it('LEGACY Claim to Role: removes the role after the activation, and the verdict says a later activation brings nothing', () => {
    const scope = roleScopeOf();
    const held = verdictOf(
      entra('eligible'),
      kcFacts({
        scope,
        roles: [{ id: 'r-admin', ref: ROLE, clientRole: false }],
        mappers: [['entra', [roleMapper(ROLE, 'INHERIT')], undefined]],
      }),
    );
    expect(held.kind).toBe('not-active-but-mapped');
    expect(text(held)).toContain(
      `Keycloak removes ${ROLE} at the next sign-in through Entra (LEGACY, which for this Claim to Role mapper removes it)`,
    );
    expect(text(held)).toContain('mapper pim-role is a Claim to Role mapper with sync mode LEGACY');

    const second = verdictOf(entra('active'), kcFacts({ scope, mappers: [['entra', [roleMapper(ROLE, 'INHERIT')], undefined]] }));
    expect(second.kind).toBe('active-not-mapped');
    expect(text(second)).toContain('a later activation brings no admin rights; set FORCE');
  });

  it('an active user holding the rights also through a local subgroup membership is told it outlives the activation', () => {
    const v = verdictOf(entra('active'), kcFacts({ scope: groupScope('/tenant-admin'), groups: ['/tenant-admin', '/tenant-admin/ops'] }));
    expect(v.kind).toBe('active-mapped');
    expect(v.reasons).toEqual([expect.stringContaining('no mapper of entra assigns /tenant-admin/ops')]);
  });

  it('a user linked only to a second trusted Entra provider is governed by its mapper, not "given in Keycloak directly"', () => {
    const saml = groupMapper('/tenant-admin', 'FORCE', 'pim-saml', 'entra-saml');
    const v = verdictOf(
      entra('eligible'),
      kcFacts({
        scope: groupScope('/tenant-admin'),
        groups: ['/tenant-admin'],
        links: ['entra-saml'],
        trusted: ['entra-saml'],
        mappers: [
          ['entra', [groupMapper('/tenant-admin')], undefined],
          ['entra-saml', [saml], undefined],
        ],
      }),
    );
    expect(v.kind).toBe('not-active-but-mapped');
    expect(v.reasons).toEqual([
      expect.stringContaining('sign-in through entra-saml was during an activation; Keycloak removes /tenant-admin'),
    ]);
  });

  it('a user linked only to an untrusted provider reaches the rights without PIM', () => {
    const v = verdictOf(
      entra('eligible'),
      kcFacts({ scope: groupScope('/tenant-admin'), groups: ['/tenant-admin/ops'], links: ['github'] }),
    );
    expect(v.reasons[0]).toContain('signs in through github, not entra: /tenant-admin reaches it without PIM');
    expect(v.reasons[1]).toContain('member of /tenant-admin/ops');
  });

  it("a linked holder with a local password: named (the audit's localCredentialFindings), whatever the mapper does", () => {
    const facts = kcFacts({ scope: groupScope('/tenant-admin'), groups: ['/tenant-admin'] });
    const holder = { user: { id: 'k-alice', username: UPN }, links: facts.links, credentials: [{ type: 'password' }] };
    facts.credentials = localCredentialFindings([holder], { alias: 'entra', target: '/tenant-admin' });
    const v = verdictOf(entra('eligible'), facts);
    expect(v.kind).toBe('not-active-but-mapped');
    expect(v.reasons[0]).toContain('also have a password in Keycloak or its user storage, so they can sign in without Entra');
    expect(v.reasons[1]).toContain('Keycloak removes /tenant-admin at the next sign-in through Entra (sync mode FORCE)');
    const active = verdictOf(entra('active'), facts);
    expect(active.kind).toBe('active-mapped');
    expect(active.reasons.join('\n')).toContain('also have a password');
  });

  it('fails closed: nothing seen, but the closure could not be read', () => {
    const v = verdictOf(entra('eligible'), kcFacts({ scope: roleScopeOf(), incomplete: ['client roles of realm r could not be read'] }));
    expect(v.kind).toBe('unverified');
    expect(matchesExpectation(v.kind, 'user')).toBe(false);
    expect(matchesExpectation(v.kind, 'admin')).toBe(false);
  });

  it('the compliant twin: an eligible user in an unrelated group holds nothing', () => {
    const v = verdictOf(
      entra('eligible'),
      kcFacts({ scope: roleScopeOf(), groups: ['/users'], roles: [{ id: 'r-harmless', ref: 'harmless', clientRole: false }] }),
    );
    expect(v.kind).toBe('eligible-not-active');
    expect(matchesExpectation(v.kind, 'user')).toBe(true);
  });
});

describe('residualFindings: a holder linked to a second trusted Entra provider', () => {
  const OID = '0b5c6d7e-8f90-4a1b-8c2d-3e4f5a6b7c8d';
  const holder = { user: { id: 'k1', username: 'alice' }, links: [{ identityProvider: 'entra-saml', userId: OID, userName: UPN }] };
  const input = {
    alias: 'entra',
    protocol: 'oidc' as const,
    idpConfig: {},
    mappers: [],
    eligibleByUpn: new Map<string, string>(),
    target: '/tenant-admin',
  };

  it('is governed by PIM like a holder linked to the chosen provider', () => {
    const active = residualFindings([holder], { ...input, active: new Set([OID]), trustedAliases: new Set(['entra-saml']) });
    expect(active.map((f) => f.code)).toEqual(['KC_MEMBERS']);
    expect(active[0].message).toContain('1 with an active PIM assignment');
    const inactive = residualFindings([holder], { ...input, active: new Set(), trustedAliases: new Set(['entra-saml']) });
    expect(inactive.map((f) => [f.severity, f.code])).toEqual([
      ['warning', 'KC_MEMBER_NOT_ACTIVE'],
      ['info', 'KC_MEMBERS'],
    ]);
  });

  it('its local password is reported, and a further untrusted link is a way around Entra', () => {
    const withPassword = { ...holder, credentials: [{ type: 'password' }] };
    expect(
      localCredentialFindings([withPassword], { alias: 'entra', target: '/tenant-admin', trustedAliases: new Set(['entra-saml']) }).map(
        (f) => f.code,
      ),
    ).toEqual(['KC_MEMBER_LOCAL_PASSWORD']);
    const alsoGithub = { ...holder, links: [...holder.links, { identityProvider: 'github', userId: 'gh-1' }] };
    expect(
      residualFindings([alsoGithub], { ...input, active: new Set([OID]), trustedAliases: new Set(['entra-saml']) }).map((f) => f.code),
    ).toEqual(['KC_MEMBER_ALSO_OTHER_IDP', 'KC_MEMBERS']);
  });

  it('a provider the audit does not trust stays a way around PIM (the twin)', () => {
    const f = residualFindings([holder], { ...input, active: new Set([OID]) });
    expect(f.map((x) => x.code)).toEqual(['KC_MEMBER_OTHER_IDP', 'KC_MEMBERS']);
  });
});

describe('verify-user names a granting mapper that does not require the PIM group (as the audit does)', () => {
  const exp = {
    protocol: 'oidc' as const,
    alias: 'entra',
    target: { kind: 'group' as const, value: '/tenant-admin' },
    claim: { key: 'groups', value: GID, source: 'group' as const, groupId: GID, valueKind: 'object-id' as const },
  };
  const byEmail: IdpMapper = {
    ...groupMapper('/tenant-admin'),
    name: 'by-email',
    config: { ...groupMapper('/tenant-admin').config, claims: JSON.stringify([{ key: 'email', value: UPN }]) },
  };
  const noCondition: IdpMapper = {
    ...groupMapper('/tenant-admin'),
    name: 'no-condition',
    config: { ...groupMapper('/tenant-admin').config, claims: '[]' },
  };
  const facts = (ms: IdpMapper[], groups = ['/tenant-admin']): KeycloakFacts => ({
    ...kcFacts({ scope: groupScope('/tenant-admin'), groups }),
    mappers: grantingMappers('entra', ms, undefined, groupScope('/tenant-admin'), exp),
  });

  it('grantingMappers marks a FORCE mapper on another claim or with no condition; the PIM mapper is not marked', () => {
    const ms = grantingMappers('entra', [groupMapper('/tenant-admin'), byEmail, noCondition], undefined, groupScope('/tenant-admin'), exp);
    expect(ms.map((m) => [m.name, Boolean(m.withoutPim)])).toEqual([
      ['pim', false],
      ['by-email', true],
      ['no-condition', true],
    ]);
    expect(ms[1].withoutPim).toContain(`requires email=${UPN}`);
    // Without an expectation nothing is judged (as before).
    expect(grantingMappers('entra', [byEmail], undefined, groupScope('/tenant-admin')).every((m) => m.withoutPim === undefined)).toBe(true);
  });

  it('not active: the grant stays, and the verdict says the mapper lacks the PIM condition instead of "removed at next sign-in"', () => {
    const v = verdictOf(entra('eligible'), facts([byEmail]));
    expect(v.kind).toBe('not-active-but-mapped');
    expect(text(v)).toContain(`requires email=${UPN}`);
    expect(text(v)).toContain('whether or not PIM is active');
    expect(text(v)).not.toContain('removes /tenant-admin at the next sign-in');
  });

  it('active: admin, with the reason that PIM does not govern it; a correct mapper gives no such reason', () => {
    const v = verdictOf(entra('active'), facts([noCondition]));
    expect(v.kind).toBe('active-mapped');
    expect(text(v)).toContain('has no claim condition');
    expect(text(v)).toContain('whether or not PIM is active');
    expect(text(verdictOf(entra('active'), facts([groupMapper('/tenant-admin')])))).not.toContain('whether or not PIM is active');
  });

  it('a subgroup mapper on another claim is named too', () => {
    const ops: IdpMapper = { ...byEmail, name: 'ops-by-email', config: { ...byEmail.config, group: '/tenant-admin/ops' } };
    const v = verdictOf(entra('eligible'), facts([groupMapper('/tenant-admin'), ops], ['/tenant-admin/ops']));
    expect(text(v)).toContain('whether or not PIM is active');
  });
});
