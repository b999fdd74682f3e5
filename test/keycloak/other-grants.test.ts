import { describe, expect, it } from 'vitest';
import { KEYCLOAK_ROLES } from '../../src/keycloak/permissions.js';
import type { StepPlan } from '../../src/plan/types.js';
import { planKeycloak } from '../../src/steps/keycloak.js';
import {
  adminSettings,
  connectApi,
  entraOidc,
  goodOidcMapper,
  grantRealmManagement,
  makeContext,
  seedRealm,
  seedRoleClosureRealm,
  seedUser,
  type Seeded,
} from '../support/keycloak-seed.js';

/**
 * Ways to the admin rights that no identity-provider mapper governs, on a real
 * Keycloak: mappers of an LDAP user storage provider (hardcoded group or role, LDAP groups landing
 * under the target) and protocol mappers of clients and client scopes writing the admin role or
 * group into every token. Each realm is built through the admin API as the admin console stores
 * it, with a compliant twin. The LDAP provider points at a closed port: Keycloak stores the
 * provider and its mappers without connecting.
 */

const entra = [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }];
const byCode = (p: StepPlan, code: string) => p.findings.filter((f) => f.code === code);
const errors = (p: StepPlan) => p.findings.filter((f) => f.severity === 'error');

async function audit(s: Seeded, extra: Parameters<typeof adminSettings>[1] = {}): Promise<StepPlan> {
  const settings = adminSettings(s.realm, extra);
  const { api } = await connectApi(settings, { readOnly: true });
  return planKeycloak(makeContext({ settings, api }));
}

/** An LDAP user storage provider as the admin console creates it (its URL answers nothing). */
async function addLdap(s: Seeded, enabled = true): Promise<string> {
  const realm = await s.kc.realms.findOne({ realm: s.realm });
  const { id } = await s.kc.components.create({
    realm: s.realm,
    name: 'corp-ldap',
    providerId: 'ldap',
    providerType: 'org.keycloak.storage.UserStorageProvider',
    parentId: realm!.id,
    config: {
      enabled: [String(enabled)],
      vendor: ['other'],
      connectionUrl: ['ldap://127.0.0.1:1'],
      bindType: ['simple'],
      bindDn: ['cn=admin,dc=example,dc=test'],
      bindCredential: ['not-a-real-secret'],
      usersDn: ['ou=people,dc=example,dc=test'],
      usernameLDAPAttribute: ['uid'],
      rdnLDAPAttribute: ['uid'],
      uuidLDAPAttribute: ['entryUUID'],
      userObjectClasses: ['inetOrgPerson, organizationalPerson'],
      editMode: ['READ_ONLY'],
      searchScope: ['1'],
      importEnabled: ['true'],
      syncRegistrations: ['false'],
      pagination: ['false'],
    },
  });
  return id;
}

async function addLdapMapper(s: Seeded, parentId: string, providerId: string, config: Record<string, string[]>): Promise<void> {
  await s.kc.components.create({
    realm: s.realm,
    name: `${providerId}-1`,
    providerId,
    providerType: 'org.keycloak.storage.ldap.mappers.LDAPStorageMapper',
    parentId,
    config,
  });
}

describe('keycloak step: LDAP user storage mappers', () => {
  it('a hardcoded LDAP group mapper to the admin group or a subgroup is an error; the twin without it is compliant', async () => {
    const bad = await seedRealm({ idps: entra, groups: ['/tenant-admin', '/tenant-admin/ops'], mappers: [goodOidcMapper()] });
    await addLdapMapper(bad, await addLdap(bad), 'hardcoded-ldap-group-mapper', { group: ['/tenant-admin/ops'] });
    const plan = await audit(bad);
    expect(errors(plan).map((f) => f.code)).toEqual(['KC_LDAP_HARDCODED_GROUP']);
    expect(errors(plan)[0].message).toContain('/tenant-admin/ops');

    const twin = await seedRealm({ idps: entra, groups: ['/tenant-admin', '/tenant-admin/ops', '/users'], mappers: [goodOidcMapper()] });
    await addLdapMapper(twin, await addLdap(twin), 'hardcoded-ldap-group-mapper', { group: ['/users'] });
    const ok = await audit(twin);
    expect(errors(ok)).toEqual([]);
    expect(ok.findings.map((f) => f.code).filter((c) => c.startsWith('KC_LDAP'))).toEqual([]);
  });

  it('on a disabled LDAP provider the same mapper is a warning', async () => {
    const s = await seedRealm({ idps: entra, mappers: [goodOidcMapper()] });
    await addLdapMapper(s, await addLdap(s, false), 'hardcoded-ldap-group-mapper', { group: ['/tenant-admin'] });
    const plan = await audit(s);
    expect(errors(plan)).toEqual([]);
    expect(byCode(plan, 'KC_LDAP_HARDCODED_GROUP')).toMatchObject([{ severity: 'warning' }]);
  });

  it('an LDAP group mapper whose groups path is the admin group is a warning; under /ldap-groups it is not', async () => {
    const build = async (path: string) => {
      const s = await seedRealm({ idps: entra, groups: ['/tenant-admin', '/ldap-groups'], mappers: [goodOidcMapper()] });
      // The settings the admin console's "group-ldap-mapper" form stores.
      await addLdapMapper(s, await addLdap(s), 'group-ldap-mapper', {
        'groups.dn': ['ou=groups,dc=example,dc=test'],
        'group.name.ldap.attribute': ['cn'],
        'group.object.classes': ['groupOfNames'],
        'preserve.group.inheritance': ['true'],
        'ignore.missing.groups': ['false'],
        'membership.ldap.attribute': ['member'],
        'membership.attribute.type': ['DN'],
        'membership.user.ldap.attribute': ['uid'],
        // IMPORT keeps the group's members in Keycloak's database. In READ_ONLY (the console's
        // default) Keycloak 26.0 asks the LDAP server for the members of a group under groups.path,
        // and this test's LDAP server is a closed port: listing /tenant-admin's members answers 400.
        mode: ['IMPORT'],
        'user.roles.retrieve.strategy': ['LOAD_GROUPS_BY_MEMBER_ATTRIBUTE'],
        'memberof.ldap.attribute': ['memberOf'],
        'drop.non.existing.groups.during.sync': ['false'],
        'groups.path': [path],
      });
      return s;
    };
    const plan = await audit(await build('/tenant-admin'));
    expect(byCode(plan, 'KC_LDAP_GROUP_MAPPER')).toMatchObject([{ severity: 'warning' }]);
    expect(errors(plan)).toEqual([]);
    expect(byCode(await audit(await build('/ldap-groups')), 'KC_LDAP_GROUP_MAPPER')).toEqual([]);
  });

  it('role mode: a hardcoded LDAP role mapper to a composite containing the admin role is an error', async () => {
    const roleMapper = {
      name: 'pim',
      identityProviderAlias: 'entra',
      identityProviderMapper: 'oidc-role-idp-mapper',
      config: { syncMode: 'FORCE', claim: 'groups', 'claim.value': '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d', role: 'tenant-admin-role' },
    };
    const s = await seedRoleClosureRealm({ role: 'tenant-admin-role', mappers: [roleMapper], idps: entra });
    await addLdapMapper(s, await addLdap(s), 'hardcoded-ldap-role-mapper', { role: ['app.owner'] });
    const plan = await audit(s, { group: undefined, role: 'tenant-admin-role' });
    expect(errors(plan).map((f) => f.code)).toEqual(['KC_LDAP_HARDCODED_ROLE']);
    expect(errors(plan)[0].message).toContain('app.owner');
  });
});

describe('keycloak step: protocol mappers of clients and client scopes', () => {
  it('role mode: a hardcoded role mapper on a client writing a composite of the admin role is an error; a harmless role is not', async () => {
    const roleMapper = {
      name: 'pim',
      identityProviderAlias: 'entra',
      identityProviderMapper: 'oidc-role-idp-mapper',
      config: { syncMode: 'FORCE', claim: 'groups', 'claim.value': '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d', role: 'tenant-admin-role' },
    };
    const build = async (role: string) => {
      const s = await seedRoleClosureRealm({ role: 'tenant-admin-role', mappers: [roleMapper], idps: entra });
      const { id } = await s.kc.clients.create({ realm: s.realm, clientId: 'portal', publicClient: true, protocol: 'openid-connect' });
      await s.kc.clients.addProtocolMapper(
        { realm: s.realm, id },
        { name: 'always-admin', protocol: 'openid-connect', protocolMapper: 'oidc-hardcoded-role-mapper', config: { role } },
      );
      return s;
    };
    const plan = await audit(await build('super'), { group: undefined, role: 'tenant-admin-role' });
    expect(errors(plan).map((f) => f.code)).toEqual(['KC_TOKEN_HARDCODED_ROLE']);
    expect(errors(plan)[0].message).toContain('client portal');

    const ok = await audit(await build('harmless'), { group: undefined, role: 'tenant-admin-role' });
    expect(errors(ok)).toEqual([]);
    expect(byCode(ok, 'KC_TOKEN_MAPPERS_UNCHECKED')).toEqual([]);
  });

  it("role mode: a role name mapper writing a held role under the admin role's name is an error; another name is not", async () => {
    const roleMapper = {
      name: 'pim',
      identityProviderAlias: 'entra',
      identityProviderMapper: 'oidc-role-idp-mapper',
      config: { syncMode: 'FORCE', claim: 'groups', 'claim.value': '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d', role: 'tenant-admin-role' },
    };
    const build = async (newName: string) => {
      const s = await seedRoleClosureRealm({ role: 'tenant-admin-role', mappers: [roleMapper], idps: entra });
      const { id } = await s.kc.clients.create({ realm: s.realm, clientId: 'portal', publicClient: true, protocol: 'openid-connect' });
      // The settings the admin console's "Role Name Mapper" form stores.
      await s.kc.clients.addProtocolMapper(
        { realm: s.realm, id },
        {
          name: 'rename',
          protocol: 'openid-connect',
          protocolMapper: 'oidc-role-name-mapper',
          config: { role: 'offline_access', 'new.role.name': newName },
        },
      );
      return s;
    };
    const plan = await audit(await build('tenant-admin-role'), { group: undefined, role: 'tenant-admin-role' });
    expect(errors(plan).map((f) => f.code)).toEqual(['KC_TOKEN_ROLE_RENAMED']);
    expect(errors(plan)[0].message).toContain('offline_access');

    expect(errors(await audit(await build('reader'), { group: undefined, role: 'tenant-admin-role' }))).toEqual([]);
  });

  it('a client scope writing the admin group into the groups claim is a warning; another claim name is not', async () => {
    const build = async (claim: string) => {
      const s = await seedRealm({ idps: entra, mappers: [goodOidcMapper()] });
      const { id } = await s.kc.clientScopes.create({ realm: s.realm, name: 'admin-everyone', protocol: 'openid-connect' });
      await s.kc.clientScopes.addProtocolMapper(
        { realm: s.realm, id },
        {
          name: 'fake-groups',
          protocol: 'openid-connect',
          protocolMapper: 'oidc-hardcoded-claim-mapper',
          config: {
            'claim.name': claim,
            'claim.value': '/tenant-admin',
            'jsonType.label': 'String',
            'access.token.claim': 'true',
            'id.token.claim': 'true',
          },
        },
      );
      return s;
    };
    const plan = await audit(await build('groups'));
    expect(byCode(plan, 'KC_TOKEN_HARDCODED_GROUP')).toMatchObject([{ severity: 'warning' }]);
    expect(byCode(plan, 'KC_TOKEN_HARDCODED_GROUP')[0].message).toContain('client scope admin-everyone');
    expect(byCode(await audit(await build('department')), 'KC_TOKEN_HARDCODED_GROUP')).toEqual([]);
  });

  it('with only the audit roles (no view-clients) the token check is reported as not done, as info', async () => {
    const s = await seedRealm({ idps: entra, mappers: [goodOidcMapper()] });
    const username = 'auditor';
    const password = 'auditor-password-1';
    await grantRealmManagement(s, await seedUser(s, { username, password }), [...KEYCLOAK_ROLES.audit]);
    const plan = await audit(s, { authRealm: s.realm, clientId: undefined, clientSecret: undefined, username, password });
    expect(byCode(plan, 'KC_TOKEN_MAPPERS_UNCHECKED')).toMatchObject([{ severity: 'info' }]);
    expect(errors(plan)).toEqual([]);
  });
});
