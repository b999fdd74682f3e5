import { describe, expect, it } from 'vitest';
import { KEYCLOAK_ROLES } from '../../src/keycloak/permissions.js';
import type { IdpMapper } from '../../src/keycloak/types.js';
import type { StepPlan } from '../../src/plan/types.js';
import { planKeycloak } from '../../src/steps/keycloak.js';
import {
  adminSettings,
  connectApi,
  entraOidc,
  GROUP_ID,
  goodOidcMapper,
  grantRealmManagement,
  makeContext,
  seedRealm,
  seedRoleClosureRealm,
  seedUser,
  type Seeded,
} from '../support/keycloak-seed.js';

/**
 * Ways to the admin rights other than the target itself. Members of a
 * subgroup hold the group's roles; roles reach users through the default role, groups and
 * composites. One realm per case, built through the admin API as the admin console stores it,
 * each with a compliant twin.
 */

const OTHER_GROUP = '11111111-2222-4333-8444-555555555555';
const errors = (p: StepPlan) => p.findings.filter((f) => f.severity === 'error');
const errorCodes = (p: StepPlan) => errors(p).map((f) => f.code);

async function audit(s: Seeded, extra: Parameters<typeof adminSettings>[1] = {}): Promise<StepPlan> {
  const settings = adminSettings(s.realm, extra);
  const { api } = await connectApi(settings, { readOnly: true });
  return planKeycloak(makeContext({ settings, api }));
}

const hardcodedGroup = (group: string): IdpMapper => ({
  name: 'everyone',
  identityProviderAlias: 'entra',
  identityProviderMapper: 'oidc-hardcoded-group-idp-mapper',
  config: { syncMode: 'INHERIT', group },
});
const entra = [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }];

describe('keycloak step: subgroups of the admin group', () => {
  it('a hardcoded group mapper to a subgroup is an error; to an unrelated group it is not', async () => {
    const bad = await seedRealm({
      idps: entra,
      groups: ['/tenant-admin', '/tenant-admin/ops', '/users'],
      mappers: [goodOidcMapper(), hardcodedGroup('/tenant-admin/ops')],
    });
    const plan = await audit(bad);
    expect(errorCodes(plan)).toEqual(['KC_MAPPER_INDIRECT_HARDCODED']);
    expect(errors(plan)[0].message).toContain('/tenant-admin/ops is a subgroup of /tenant-admin');

    const twin = await seedRealm({
      idps: entra,
      groups: ['/tenant-admin', '/tenant-admin/ops', '/users'],
      mappers: [goodOidcMapper(), hardcodedGroup('/users')],
    });
    expect(errors(await audit(twin))).toEqual([]);
  });

  it("another claim's mapper to a subgroup is an error; the PIM group's own mapper to a subgroup is accepted", async () => {
    const sub = (value: string): IdpMapper => ({
      ...goodOidcMapper(),
      name: 'ops',
      config: { ...goodOidcMapper().config, claims: JSON.stringify([{ key: 'groups', value }]), group: '/tenant-admin/ops' },
    });
    const bad = await seedRealm({
      idps: entra,
      groups: ['/tenant-admin', '/tenant-admin/ops'],
      mappers: [goodOidcMapper(), sub(OTHER_GROUP)],
    });
    const plan = await audit(bad);
    expect(errorCodes(plan)).toEqual(['KC_MAPPER_INDIRECT']);
    expect(errors(plan)[0].message).toContain(`requires groups=${OTHER_GROUP}`);

    const twin = await seedRealm({
      idps: entra,
      groups: ['/tenant-admin', '/tenant-admin/ops'],
      mappers: [goodOidcMapper(), sub(GROUP_ID)],
    });
    const ok = await audit(twin);
    expect(errors(ok)).toEqual([]);
    expect(ok.findings.map((f) => f.code)).toContain('KC_MAPPER_INDIRECT_PIM');
  });

  it('a default group that is a subgroup is an error; an unrelated default group is not', async () => {
    const bad = await seedRealm({ idps: entra, groups: ['/tenant-admin', '/tenant-admin/ops', '/users'], mappers: [goodOidcMapper()] });
    await bad.kc.realms.addDefaultGroup({ realm: bad.realm, id: bad.groupIds.get('/tenant-admin/ops')! });
    const plan = await audit(bad);
    expect(errorCodes(plan)).toEqual(['KC_GROUP_DEFAULT']);
    expect(errors(plan)[0].message).toContain('/tenant-admin/ops is a default group');

    const twin = await seedRealm({ idps: entra, groups: ['/tenant-admin', '/tenant-admin/ops', '/users'], mappers: [goodOidcMapper()] });
    await twin.kc.realms.addDefaultGroup({ realm: twin.realm, id: twin.groupIds.get('/users')! });
    expect(errors(await audit(twin))).toEqual([]);
  });
});

const ROLE = 'tenant-admin-role';
const roleMapper = (role = ROLE, value = GROUP_ID, type = 'oidc-role-idp-mapper'): IdpMapper =>
  type === 'oidc-hardcoded-role-idp-mapper'
    ? { name: `everyone-${role}`, identityProviderAlias: 'entra', identityProviderMapper: type, config: { syncMode: 'INHERIT', role } }
    : {
        name: `pim-${role}`,
        identityProviderAlias: 'entra',
        identityProviderMapper: type,
        config: { syncMode: 'FORCE', claim: 'groups', 'claim.value': value, role },
      };

/** A realm in role mode (see seedRoleClosureRealm). */
const roleRealm = (mappers: IdpMapper[] = [roleMapper()]) => seedRoleClosureRealm({ role: ROLE, mappers, idps: entra });

describe('keycloak step: the composite closure of the admin role', () => {
  it('the compliant twin: composites exist but nobody holds them, the default role holds a harmless role', async () => {
    const s = await roleRealm();
    const realmRep = await s.kc.realms.findOne({ realm: s.realm });
    await s.kc.roles.createComposite({ realm: s.realm, roleId: realmRep!.defaultRole!.id! }, [await s.role('harmless')]);
    await s.kc.groups.addRealmRoleMappings({ realm: s.realm, id: s.groupIds.get('/users')!, roles: [await s.role('harmless')] });
    await seedUser(s, { username: 'bystander', groups: ['/users'] });
    const plan = await audit(s, { role: ROLE });
    expect(errors(plan)).toEqual([]);
    expect(plan.findings.find((f) => f.code === 'KC_MEMBERS')!.message).toContain('0 holder(s)');
  });

  it('the default role containing a composite that contains the admin role: everyone is admin', async () => {
    const s = await roleRealm();
    const realmRep = await s.kc.realms.findOne({ realm: s.realm });
    await s.kc.roles.createComposite({ realm: s.realm, roleId: realmRep!.defaultRole!.id! }, [await s.role('super')]);
    const plan = await audit(s, { role: ROLE });
    expect(errorCodes(plan)).toEqual(['KC_ROLE_DEFAULT']);
    expect(errors(plan)[0].message).toContain(`default-roles-${s.realm}`);
  });

  it("a group holding the role: its members and its subgroups' members are holders", async () => {
    const s = await roleRealm();
    await s.kc.groups.addRealmRoleMappings({ realm: s.realm, id: s.groupIds.get('/admins')!, roles: [await s.role(ROLE)] });
    await seedUser(s, { username: 'group-admin', groups: ['/admins'] });
    await seedUser(s, { username: 'night-admin', groups: ['/admins/night'] });
    await seedUser(s, { username: 'bystander', groups: ['/users'] });
    const plan = await audit(s, { role: ROLE });
    expect(errorCodes(plan)).toEqual(['KC_MEMBER_LOCAL']);
    const msg = errors(plan)[0].message;
    expect(msg).toContain('group-admin (via group /admins)');
    expect(msg).toContain('night-admin (via /admins/night)');
    expect(msg).not.toContain('bystander');
  });

  it('a local user with a composite client role containing the admin role is a holder', async () => {
    const s = await roleRealm();
    const id = await seedUser(s, { username: 'owner-user' });
    await s.kc.users.addClientRoleMappings({ realm: s.realm, id, clientUniqueId: s.app, roles: [s.owner] });
    await seedUser(s, { username: 'bystander' });
    const plan = await audit(s, { role: ROLE });
    expect(errorCodes(plan)).toEqual(['KC_MEMBER_LOCAL']);
    expect(errors(plan)[0].message).toContain('owner-user (via role app.owner)');
    expect(errors(plan)[0].message).not.toContain('bystander');
  });

  it('a hardcoded role mapper to such a composite is an error; a PIM mapper to it is accepted', async () => {
    const s = await roleRealm([roleMapper(), roleMapper('app.owner', GROUP_ID, 'oidc-hardcoded-role-idp-mapper')]);
    const plan = await audit(s, { role: ROLE });
    expect(errorCodes(plan)).toEqual(['KC_MAPPER_INDIRECT_HARDCODED']);
    expect(errors(plan)[0].message).toContain('role app.owner contains tenant-admin-role');

    const twin = await roleRealm([roleMapper(), roleMapper('super')]);
    const ok = await audit(twin, { role: ROLE });
    expect(errors(ok)).toEqual([]);
    expect(ok.findings.map((f) => f.code)).toContain('KC_MAPPER_INDIRECT_PIM');
  });

  it('least privilege: the audit roles plus view-clients see the whole closure; without view-clients it says what was not checked', async () => {
    const s = await roleRealm();
    const id = await seedUser(s, { username: 'owner-user' });
    await s.kc.users.addClientRoleMappings({ realm: s.realm, id, clientUniqueId: s.app, roles: [s.owner] });
    const limited = async (username: string, roles: string[]) => {
      const uid = await seedUser(s, { username, password: 'auditor-password-1' });
      await grantRealmManagement(s, uid, roles);
      const settings = adminSettings(s.realm, {
        authRealm: s.realm,
        clientId: undefined,
        clientSecret: undefined,
        username,
        password: 'auditor-password-1',
        role: ROLE,
      });
      const { api } = await connectApi(settings, { readOnly: true });
      return planKeycloak(makeContext({ settings, api }));
    };
    const full = await limited('auditor-full', [...KEYCLOAK_ROLES.audit, ...KEYCLOAK_ROLES.roleTarget]);
    expect(full.findings.map((f) => f.code)).not.toContain('KC_MISSING_ROLE');
    expect(errorCodes(full)).toEqual(['KC_MEMBER_LOCAL']);
    expect(errors(full)[0].message).toContain('owner-user (via role app.owner)');

    const partial = await limited('auditor-partial', [...KEYCLOAK_ROLES.audit]);
    expect(partial.findings.find((f) => f.code === 'KC_ROLE_CLOSURE_INCOMPLETE')).toMatchObject({ severity: 'warning' });
    expect(partial.findings.find((f) => f.code === 'KC_MISSING_ROLE')!.message).toContain('view-clients');
  });
});
