import { describe, expect, it } from 'vitest';
import { groupScope, rolesContaining, type AdminScope } from '../../src/keycloak/admin-scope.js';
import { isWithinGroup } from '../../src/keycloak/group-path.js';
import {
  defaultGroupFindings,
  defaultRoleFindings,
  indirectGrantFindings,
  judgeIndirectGrants,
} from '../../src/keycloak/indirect-grants.js';
import { planMapper } from '../../src/keycloak/mapper-plan.js';
import type { MappingExpectation } from '../../src/keycloak/mapping-expectation.js';
import type { IdpMapper } from '../../src/keycloak/types.js';

const GID = '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d';
const exp: MappingExpectation = {
  protocol: 'oidc',
  alias: 'entra',
  target: { kind: 'group', value: '/tenant-admin' },
  claim: { key: 'groups', value: GID, source: 'group', valueKind: 'object-id' },
  idpSyncMode: 'IMPORT',
};
const claims = (value = GID) => JSON.stringify([{ key: 'groups', value }]);
const groupMapper = (group: string, config: Record<string, string> = {}, name = 'm'): IdpMapper => ({
  name,
  identityProviderAlias: 'entra',
  identityProviderMapper: 'oidc-advanced-group-idp-mapper',
  config: { syncMode: 'FORCE', claims: claims(), 'are.claim.values.regex': 'false', group, ...config },
});
const hardcoded = (kind: 'group' | 'role', value: string): IdpMapper => ({
  name: 'everyone',
  identityProviderAlias: 'entra',
  identityProviderMapper: `oidc-hardcoded-${kind}-idp-mapper`,
  config: { syncMode: 'FORCE', [kind]: value },
});
const codes = (xs: Array<{ code: string }>) => xs.map((x) => x.code);

describe('subgroups count as the target group', () => {
  it('isWithinGroup: the group and any path under it, not a sibling with the same prefix', () => {
    expect(isWithinGroup('/tenant-admin', '/tenant-admin')).toBe(true);
    expect(isWithinGroup('tenant-admin/ops', '/tenant-admin')).toBe(true);
    expect(isWithinGroup('/tenant-admin/ops/night/', '/tenant-admin')).toBe(true);
    expect(isWithinGroup('/tenant-admins', '/tenant-admin')).toBe(false);
    expect(isWithinGroup('/other/tenant-admin', '/tenant-admin')).toBe(false);
    expect(isWithinGroup(undefined, '/tenant-admin')).toBe(false);
    expect(isWithinGroup('', '/tenant-admin')).toBe(false);
  });

  it('flags a hardcoded mapper to a subgroup; the exact target is left to planMapper', () => {
    const scope = groupScope('/tenant-admin');
    const f = indirectGrantFindings(
      'entra',
      [hardcoded('group', '/tenant-admin/ops'), hardcoded('group', '/tenant-admin'), hardcoded('group', '/users')],
      scope,
      exp,
    );
    expect(codes(f)).toEqual(['KC_MAPPER_INDIRECT_HARDCODED']);
    expect(f[0]).toMatchObject({ severity: 'error' });
    expect(f[0].message).toContain('/tenant-admin/ops is a subgroup of /tenant-admin');
  });

  it('flags a claim mapper to a subgroup that does not require the PIM group, or does not remove it again', () => {
    const scope = groupScope('/tenant-admin');
    const other = indirectGrantFindings(
      'entra',
      [groupMapper('/tenant-admin/ops', { claims: claims('11111111-2222-4333-8444-555555555555') })],
      scope,
      exp,
    );
    expect(other).toEqual([
      expect.objectContaining({
        severity: 'error',
        code: 'KC_MAPPER_INDIRECT',
        message: expect.stringContaining('requires groups=11111111'),
      }),
    ]);
    const imported = indirectGrantFindings('entra', [groupMapper('/tenant-admin/ops', { syncMode: 'IMPORT' })], scope, exp);
    expect(imported).toEqual([
      expect.objectContaining({ severity: 'error', code: 'KC_MAPPER_INDIRECT', message: expect.stringContaining('IMPORT') }),
    ]);
    const empty = indirectGrantFindings('entra', [groupMapper('/tenant-admin/ops', { claims: '[]' })], scope, exp);
    expect(codes(empty)).toEqual(['KC_MAPPER_INDIRECT']);
  });

  it('accepts a PIM-correct mapper to a subgroup (the PIM group, FORCE) with an info', () => {
    const f = indirectGrantFindings('entra', [groupMapper('/tenant-admin/ops')], groupScope('/tenant-admin'), exp);
    expect(f).toEqual([expect.objectContaining({ severity: 'info', code: 'KC_MAPPER_INDIRECT_PIM' })]);
  });

  it('fails closed without the PIM claim or across protocols', () => {
    expect(
      indirectGrantFindings('entra', [groupMapper('/tenant-admin/ops')], groupScope('/tenant-admin'), { ...exp, claim: undefined }),
    ).toEqual([expect.objectContaining({ severity: 'error', code: 'KC_MAPPER_INDIRECT' })]);
    expect(indirectGrantFindings('other', [groupMapper('/tenant-admin/ops')], groupScope('/tenant-admin'), undefined)).toEqual([
      expect.objectContaining({ severity: 'error' }),
    ]);
    expect(
      indirectGrantFindings('saml', [groupMapper('/tenant-admin/ops')], groupScope('/tenant-admin'), { ...exp, protocol: 'saml' }),
    ).toEqual([expect.objectContaining({ severity: 'error' })]);
  });

  it('flags a default group that is the target or a subgroup of it', () => {
    const scope = groupScope('/tenant-admin');
    expect(defaultGroupFindings([{ path: '/users' }], scope, 'acme')).toEqual([]);
    const f = defaultGroupFindings([{ path: '/tenant-admin/ops' }, { path: '/tenant-admin' }, { path: '/tenant-admins' }], scope, 'acme');
    expect(codes(f)).toEqual(['KC_GROUP_DEFAULT', 'KC_GROUP_DEFAULT']);
    expect(f[0].message).toContain(
      '/tenant-admin/ops is a default group of realm acme and /tenant-admin/ops is a subgroup of /tenant-admin',
    );
    expect(f[1].message).toContain('/tenant-admin is a default group of realm acme: every new user');
  });
});

describe('the composite closure of the admin role', () => {
  it('rolesContaining: direct and nested parents, not children or siblings, cycles allowed', () => {
    const children = new Map([
      ['super', ['admin', 'view']],
      ['ops', ['super']],
      ['default', ['offline', 'ops']],
      ['view', ['query']],
      ['loop-a', ['loop-b']],
      ['loop-b', ['loop-a', 'admin']],
      ['unrelated', ['view']],
    ]);
    expect([...rolesContaining('admin', children)].sort()).toEqual(['admin', 'default', 'loop-a', 'loop-b', 'ops', 'super']);
    expect([...rolesContaining('admin', new Map())]).toEqual(['admin']);
  });

  const roleScope: AdminScope = {
    target: { kind: 'role', value: 'tenant-admin-role' },
    roles: new Map([['app.super', { id: 'r2', ref: 'app.super', clientRole: true }]]),
    groups: new Map([['/admins', 'holds tenant-admin-role']]),
  };
  const roleExp: MappingExpectation = { ...exp, target: roleScope.target };

  it('the default role containing the target is an error: everyone holds it', () => {
    expect(defaultRoleFindings({ id: 'd', name: 'default-roles-acme' }, new Set(['admin', 'd']), 'tenant-admin-role', 'acme')).toEqual([
      expect.objectContaining({ severity: 'error', code: 'KC_ROLE_DEFAULT', message: expect.stringContaining('default-roles-acme') }),
    ]);
    expect(defaultRoleFindings({ id: 'd', name: 'default-roles-acme' }, new Set(['admin']), 'tenant-admin-role', 'acme')).toEqual([]);
    expect(defaultRoleFindings(undefined, new Set(['admin']), 'tenant-admin-role', 'acme')).toEqual([]);
  });

  it('judges mappers to a composite containing the role and to groups holding it like grants of the role', () => {
    const roleMapper = (role: string, value = GID): IdpMapper => ({
      name: `to-${role}`,
      identityProviderAlias: 'entra',
      identityProviderMapper: 'oidc-role-idp-mapper',
      config: { syncMode: 'FORCE', claim: 'groups', 'claim.value': value, role },
    });
    const f = indirectGrantFindings(
      'entra',
      [
        hardcoded('role', 'app.super'),
        hardcoded('group', '/admins/sub'),
        roleMapper('app.super', 'someone-else'),
        roleMapper('app.super'),
        roleMapper('tenant-admin-role', 'x'),
        roleMapper('unrelated'),
      ],
      roleScope,
      roleExp,
    );
    expect(f.map((x) => [x.severity, x.code])).toEqual([
      ['error', 'KC_MAPPER_INDIRECT_HARDCODED'],
      ['error', 'KC_MAPPER_INDIRECT_HARDCODED'],
      ['error', 'KC_MAPPER_INDIRECT'],
      ['info', 'KC_MAPPER_INDIRECT_PIM'],
    ]);
    expect(f[0].message).toContain('role app.super contains tenant-admin-role');
    expect(f[1].message).toContain('/admins/sub is a subgroup of /admins, which holds tenant-admin-role');
  });

  it('a default group holding the role (or under one that does) is an error', () => {
    expect(codes(defaultGroupFindings([{ path: '/admins/sub' }, { path: '/users' }], roleScope, 'acme'))).toEqual(['KC_GROUP_DEFAULT']);
  });
});

describe('role mode: a PIM mapper to a group holding the role satisfies the expectation', () => {
  const roleExp: MappingExpectation = { ...exp, target: { kind: 'role', value: 'admin' }, idpSyncMode: 'FORCE' };
  const scope: AdminScope = {
    target: { kind: 'role', value: 'admin' },
    roles: new Map(),
    groups: new Map([['/admins', 'holds role admin']]),
  };
  const types = { 'oidc-advanced-role-idp-mapper': { id: 'oidc-advanced-role-idp-mapper' } };

  it('is not reported missing, and --fix-keycloak creates no second, direct mapper', () => {
    const m = groupMapper('/admins', {}, 'pim-admins');
    const viaPim = judgeIndirectGrants('entra', [m], scope, roleExp)
      .filter((j) => j.finding.code === 'KC_MAPPER_INDIRECT_PIM')
      .map((j) => j.mapper);
    expect(viaPim.map((x) => x.name)).toEqual(['pim-admins']);
    const p = planMapper({ realm: 'acme', exp: roleExp, mappers: [m], mapperTypes: types, targetExists: true, fix: true, viaPim });
    expect(codes(p.findings)).toEqual(['KC_MAPPER_VIA_PIM']);
    expect(p.actions.map((a) => a.kind)).toEqual(['noop']);
  });

  it('a group mapper that does not require the PIM group does not count', () => {
    const m = groupMapper('/admins', { claims: claims('someone-else') }, 'loose');
    const viaPim = judgeIndirectGrants('entra', [m], scope, roleExp)
      .filter((j) => j.finding.code === 'KC_MAPPER_INDIRECT_PIM')
      .map((j) => j.mapper);
    expect(viaPim).toEqual([]);
    const p = planMapper({ realm: 'acme', exp: roleExp, mappers: [m], mapperTypes: types, targetExists: true, fix: false, viaPim });
    expect(codes(p.findings)).toContain('KC_MAPPER_MISSING');
  });
});
