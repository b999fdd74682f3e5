import { describe, expect, it } from 'vitest';
import { groupScope, type AdminScope } from '../../src/keycloak/admin-scope.js';
import { ldapGrantFindings } from '../../src/keycloak/ldap-grants.js';
import { protocolMapperFindings } from '../../src/keycloak/token-grants.js';
import type { KcComponent, KcMapperOwner, KcProtocolMapper } from '../../src/keycloak/types.js';

// Components shaped as GET /admin/realms/{realm}/components answers them: config values are lists.
const ldap = (config: Record<string, string[]> = {}): KcComponent => ({
  id: 'ldap-1',
  name: 'corp-ldap',
  providerId: 'ldap',
  providerType: 'org.keycloak.storage.UserStorageProvider',
  parentId: 'realm-id',
  config: { connectionUrl: ['ldap://127.0.0.1:1'], editMode: ['READ_ONLY'], ...config },
});
const mapper = (providerId: string, config: Record<string, string[]>, name = 'm'): KcComponent => ({
  id: `${name}-id`,
  name,
  providerId,
  providerType: 'org.keycloak.storage.ldap.mappers.LDAPStorageMapper',
  parentId: 'ldap-1',
  config,
});
const roleScope = (roles: Array<[string, boolean]> = [], groups: string[] = []): AdminScope => ({
  target: { kind: 'role', value: 'tenant-admin' },
  roles: new Map(roles.map(([ref, clientRole], i) => [ref, { id: `r${i}`, ref, clientRole }])),
  groups: new Map(groups.map((g) => [g, 'holds tenant-admin'])),
});
const codes = (xs: Array<{ code: string; severity: string }>) => xs.map((x) => `${x.severity}:${x.code}`);

describe('LDAP user-storage mappers', () => {
  const scope = groupScope('/tenant-admin');

  it('a hardcoded LDAP group mapper to the target or a subgroup is an error; elsewhere nothing', () => {
    expect(codes(ldapGrantFindings([ldap()], [mapper('hardcoded-ldap-group-mapper', { group: ['/tenant-admin'] })], scope))).toEqual([
      'error:KC_LDAP_HARDCODED_GROUP',
    ]);
    expect(codes(ldapGrantFindings([ldap()], [mapper('hardcoded-ldap-group-mapper', { group: ['/tenant-admin/ops'] })], scope))).toEqual([
      'error:KC_LDAP_HARDCODED_GROUP',
    ]);
    expect(ldapGrantFindings([ldap()], [mapper('hardcoded-ldap-group-mapper', { group: ['/staff'] })], scope)).toEqual([]);
    expect(ldapGrantFindings([ldap()], [mapper('hardcoded-ldap-group-mapper', { group: ['/tenant-admins'] })], scope)).toEqual([]);
  });

  it('on a disabled provider it is a warning (its users cannot sign in until it is enabled again); "TRUE" and a missing flag are enabled', () => {
    const m = [mapper('hardcoded-ldap-group-mapper', { group: ['/tenant-admin'] })];
    expect(codes(ldapGrantFindings([ldap({ enabled: ['false'] })], m, scope))).toEqual(['warning:KC_LDAP_HARDCODED_GROUP']);
    expect(codes(ldapGrantFindings([ldap({ enabled: ['TRUE'] })], m, scope))).toEqual(['error:KC_LDAP_HARDCODED_GROUP']);
    expect(codes(ldapGrantFindings([ldap({ enabled: ['true'] })], m, scope))).toEqual(['error:KC_LDAP_HARDCODED_GROUP']);
  });

  it('role mode: a hardcoded LDAP role of the closure is an error, so is a hardcoded group holding the role', () => {
    const s = roleScope([['super-admin', false]], ['/ops']);
    expect(codes(ldapGrantFindings([ldap()], [mapper('hardcoded-ldap-role-mapper', { role: ['tenant-admin'] })], s))).toEqual([
      'error:KC_LDAP_HARDCODED_ROLE',
    ]);
    expect(codes(ldapGrantFindings([ldap()], [mapper('hardcoded-ldap-role-mapper', { role: ['super-admin'] })], s))).toEqual([
      'error:KC_LDAP_HARDCODED_ROLE',
    ]);
    expect(ldapGrantFindings([ldap()], [mapper('hardcoded-ldap-role-mapper', { role: ['offline_access'] })], s)).toEqual([]);
    expect(codes(ldapGrantFindings([ldap()], [mapper('hardcoded-ldap-group-mapper', { group: ['/ops/night'] })], s))).toEqual([
      'error:KC_LDAP_HARDCODED_GROUP',
    ]);
    // Group mode knows no roles: a hardcoded role there is not judged.
    expect(ldapGrantFindings([ldap()], [mapper('hardcoded-ldap-role-mapper', { role: ['tenant-admin'] })], scope)).toEqual([]);
  });

  it('a group-ldap-mapper whose groups path is within, at or above the target is a warning; a sibling path is not', () => {
    const g = (path?: string) => [mapper('group-ldap-mapper', path === undefined ? { mode: ['READ_ONLY'] } : { 'groups.path': [path] })];
    expect(codes(ldapGrantFindings([ldap()], g('/tenant-admin'), scope))).toEqual(['warning:KC_LDAP_GROUP_MAPPER']);
    expect(codes(ldapGrantFindings([ldap()], g('/tenant-admin/ldap'), scope))).toEqual(['warning:KC_LDAP_GROUP_MAPPER']);
    // Default "/" (GroupMapperConfig.DEFAULT_LDAP_GROUPS_PATH): an LDAP group named tenant-admin lands on /tenant-admin.
    const top = ldapGrantFindings([ldap()], g(undefined), scope);
    expect(codes(top)).toEqual(['warning:KC_LDAP_GROUP_MAPPER']);
    expect(top[0].message).toContain('named like tenant-admin');
    expect(ldapGrantFindings([ldap()], g('/ldap'), scope)).toEqual([]);
  });

  it('a role-ldap-mapper to realm roles (the default) or to the client of a closure role is a warning in role mode', () => {
    const s = roleScope([['admin-console.super', true]]);
    expect(codes(ldapGrantFindings([ldap()], [mapper('role-ldap-mapper', {})], s))).toEqual(['warning:KC_LDAP_ROLE_MAPPER']);
    expect(
      codes(
        ldapGrantFindings(
          [ldap()],
          [mapper('role-ldap-mapper', { 'use.realm.roles.mapping': ['false'], 'client.id': ['admin-console'] })],
          s,
        ),
      ),
    ).toEqual(['warning:KC_LDAP_ROLE_MAPPER']);
    expect(
      ldapGrantFindings([ldap()], [mapper('role-ldap-mapper', { 'use.realm.roles.mapping': ['false'], 'client.id': ['shop'] })], s),
    ).toEqual([]);
    // A client-role target with realm mapping: only a realm role of the closure counts.
    const c = { target: { kind: 'role' as const, value: 'app.admin' }, roles: new Map(), groups: new Map() };
    expect(ldapGrantFindings([ldap()], [mapper('role-ldap-mapper', {})], c, { targetIsClientRole: true })).toEqual([]);
    expect(ldapGrantFindings([ldap()], [mapper('role-ldap-mapper', {})], groupScope('/tenant-admin'))).toEqual([]);
  });
});

describe('protocol mappers of clients and client scopes', () => {
  const pm = (protocolMapper: string, config: Record<string, string>, name = 'pm'): KcProtocolMapper => ({
    name,
    protocol: 'openid-connect',
    protocolMapper,
    config,
  });
  const owner = (mappers: KcProtocolMapper[], kind: KcMapperOwner['kind'] = 'client'): KcMapperOwner => ({
    id: 'c1',
    name: 'portal',
    kind,
    protocolMappers: mappers,
  });

  it('role mode: a hardcoded role of the closure in tokens is an error (OIDC and SAML), another role nothing', () => {
    const s = roleScope([['super-admin', false]]);
    expect(codes(protocolMapperFindings([owner([pm('oidc-hardcoded-role-mapper', { role: 'tenant-admin' })])], s))).toEqual([
      'error:KC_TOKEN_HARDCODED_ROLE',
    ]);
    expect(codes(protocolMapperFindings([owner([pm('saml-hardcode-role-mapper', { role: 'super-admin' })], 'client scope')], s))).toEqual([
      'error:KC_TOKEN_HARDCODED_ROLE',
    ]);
    expect(protocolMapperFindings([owner([pm('oidc-hardcoded-role-mapper', { role: 'viewer' })])], s)).toEqual([]);
    // A role name mapper writing a role outside the closure under an admin role's name.
    expect(
      codes(protocolMapperFindings([owner([pm('oidc-role-name-mapper', { role: 'viewer', 'new.role.name': 'tenant-admin' })])], s)),
    ).toEqual(['error:KC_TOKEN_ROLE_RENAMED']);
    expect(
      codes(
        protocolMapperFindings(
          [owner([pm('saml-role-name-mapper', { role: 'viewer', 'new.role.name': 'super-admin' })], 'client scope')],
          s,
        ),
      ),
    ).toEqual(['error:KC_TOKEN_ROLE_RENAMED']);
    expect(
      protocolMapperFindings([owner([pm('oidc-role-name-mapper', { role: 'super-admin', 'new.role.name': 'tenant-admin' })])], s),
    ).toEqual([]);
    expect(protocolMapperFindings([owner([pm('oidc-role-name-mapper', { role: 'viewer', 'new.role.name': 'reader' })])], s)).toEqual([]);
  });

  it('a hardcoded groups claim naming the target (path, subgroup path, name, in a JSON list) is a warning; another claim name or group is not', () => {
    const s = groupScope('/tenant-admin');
    const claim = (name: string, value: string) => [
      owner([pm('oidc-hardcoded-claim-mapper', { 'claim.name': name, 'claim.value': value, 'jsonType.label': 'String' })]),
    ];
    expect(codes(protocolMapperFindings(claim('groups', '/tenant-admin'), s))).toEqual(['warning:KC_TOKEN_HARDCODED_GROUP']);
    expect(codes(protocolMapperFindings(claim('groups', '/tenant-admin/ops'), s))).toEqual(['warning:KC_TOKEN_HARDCODED_GROUP']);
    expect(codes(protocolMapperFindings(claim('groups', 'tenant-admin'), s))).toEqual(['warning:KC_TOKEN_HARDCODED_GROUP']);
    expect(codes(protocolMapperFindings(claim('groups', '["staff","/tenant-admin"]'), s))).toEqual(['warning:KC_TOKEN_HARDCODED_GROUP']);
    expect(protocolMapperFindings(claim('groups', '/staff'), s)).toEqual([]);
    expect(protocolMapperFindings(claim('department', '/tenant-admin'), s)).toEqual([]);
  });

  it('the claim a group membership mapper writes counts as the group claim; SAML attributes too', () => {
    const s = groupScope('/tenant-admin');
    const scopeWithGroups: KcMapperOwner = {
      id: 's1',
      name: 'groups',
      kind: 'client scope',
      protocolMappers: [pm('oidc-group-membership-mapper', { 'claim.name': 'kc_groups', 'full.path': 'true' })],
    };
    const hard = owner([pm('oidc-hardcoded-claim-mapper', { 'claim.name': 'kc_groups', 'claim.value': '/tenant-admin' })]);
    expect(codes(protocolMapperFindings([scopeWithGroups, hard], s))).toEqual(['warning:KC_TOKEN_HARDCODED_GROUP']);
    expect(protocolMapperFindings([hard], s)).toEqual([]);
    const saml = owner([pm('saml-hardcode-attribute-mapper', { 'attribute.name': 'groups', 'attribute.value': '/tenant-admin' })]);
    expect(codes(protocolMapperFindings([saml], s))).toEqual(['warning:KC_TOKEN_HARDCODED_GROUP']);
  });
});
