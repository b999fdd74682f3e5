import { describe, expect, it } from 'vitest';
import { KeycloakError } from '../../src/errors.js';
import { KEYCLOAK_ROLES } from '../../src/keycloak/permissions.js';
import type { StepPlan } from '../../src/plan/types.js';
import { applyKeycloak, planKeycloak } from '../../src/steps/keycloak.js';
import {
  adminSettings,
  connectApi,
  entraOidc,
  entraSaml,
  goodOidcMapper,
  goodSamlMapper,
  grantRealmManagement,
  makeContext,
  seedRealm,
  seedUser,
  type Seeded,
} from '../support/keycloak-seed.js';

const errors = (p: StepPlan) => p.findings.filter((f) => f.severity === 'error');
const changes = (p: StepPlan) => p.actions.filter((a) => a.kind !== 'noop');

/** Settings that sign in as a user of the tenant realm holding only the given realm-management roles. */
async function limitedUser(s: Seeded, roles: readonly string[]) {
  const username = `auditor-${roles.length}`;
  const password = 'auditor-password-1';
  const id = await seedUser(s, { username, password });
  if (roles.length) await grantRealmManagement(s, id, [...roles]);
  return adminSettings(s.realm, { authRealm: s.realm, clientId: undefined, clientSecret: undefined, username, password });
}

describe('keycloak step: least privilege', () => {
  it('the documented audit roles are enough for every check', async () => {
    const s = await seedRealm({ idps: [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }], mappers: [goodOidcMapper()] });
    await seedUser(s, {
      username: 'linked',
      groups: ['/tenant-admin'],
      link: { alias: 'entra', userId: '0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6' },
    });
    const settings = await limitedUser(s, KEYCLOAK_ROLES.audit);
    const { api } = await connectApi(settings, { readOnly: true });
    const plan = await planKeycloak(makeContext({ settings, api }));
    expect(plan.findings.map((f) => f.code)).not.toContain('KC_MISSING_ROLE');
    expect(plan.findings.map((f) => f.code)).toEqual(expect.arrayContaining(['KC_SESSIONS', 'KC_MEMBERS', 'KC_MEMBER_NOT_ACTIVE']));
    expect(errors(plan)).toEqual([]);
  });

  it('without view-realm it names the missing role instead of failing, and still checks the mapper', async () => {
    const s = await seedRealm({
      idps: [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }],
      mappers: [goodOidcMapper('entra', { syncMode: 'IMPORT' })],
    });
    const settings = await limitedUser(s, ['view-identity-providers', 'view-users']);
    const { api } = await connectApi(settings, { readOnly: true });
    const plan = await planKeycloak(makeContext({ settings, api }));
    const missing = plan.findings.find((f) => f.code === 'KC_MISSING_ROLE');
    expect(missing).toMatchObject({ severity: 'warning' });
    expect(missing!.message).toContain('view-realm');
    expect(missing!.message).toContain('session lifetimes');
    expect(plan.findings.map((f) => f.code)).toContain('KC_MAPPER_SYNC_IMPORT');
  });

  it('without view-identity-providers it is an error naming that role', async () => {
    const s = await seedRealm({ idps: [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }], mappers: [goodOidcMapper()] });
    const settings = await limitedUser(s, ['view-realm', 'view-users']);
    const { api } = await connectApi(settings, { readOnly: true });
    const plan = await planKeycloak(makeContext({ settings, api }));
    const missing = errors(plan).find((f) => f.code === 'KC_MISSING_ROLE');
    expect(missing!.message).toMatch(/403 Forbidden\).*view-identity-providers/);
    expect(missing!.fix).toContain('view-identity-providers');
  });

  it('without manage-identity-providers the fix fails with a one-line error naming it, journaled', async () => {
    const s = await seedRealm({ idps: [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }] });
    const settings = await limitedUser(s, KEYCLOAK_ROLES.audit);
    const { api, journal } = await connectApi(settings);
    const ctx = makeContext({ settings, api, journal, fixKeycloak: true });
    const plan = await planKeycloak(ctx);
    expect(changes(plan)).toHaveLength(1);
    const err = await applyKeycloak(plan, ctx).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(KeycloakError);
    expect((err as KeycloakError).status).toBe(403);
    expect((err as Error).message).toContain('manage-identity-providers');
    expect((err as Error).message).not.toContain('\n');
    expect(changes(plan)[0].result).toMatchObject({ ok: false, status: 403 });
    expect(journal.entries.map((e) => e.type)).toEqual(['before', 'after']);
    expect(journal.entries[1]).toMatchObject({ ok: false, status: 403 });

    await grantRealmManagement(s, (await s.kc.users.find({ realm: s.realm, username: settings.username, exact: true }))[0].id!, [
      ...KEYCLOAK_ROLES.fix,
    ]);
    const { api: granted } = await connectApi(settings);
    const ctx2 = makeContext({ settings, api: granted, fixKeycloak: true });
    const plan2 = await planKeycloak(ctx2);
    await applyKeycloak(plan2, ctx2);
    expect(changes(await planKeycloak(ctx2))).toEqual([]);
  });
});

describe('keycloak step: SAML provider', () => {
  it('is compliant with a correct Advanced Attribute to Group mapper', async () => {
    const s = await seedRealm({ idps: [{ alias: 'entra-saml', providerId: 'saml', config: entraSaml() }], mappers: [goodSamlMapper()] });
    const settings = adminSettings(s.realm);
    const { api } = await connectApi(settings, { readOnly: true });
    const plan = await planKeycloak(makeContext({ settings, api }));
    expect(errors(plan)).toEqual([]);
    expect(plan.findings.filter((f) => f.severity === 'warning')).toEqual([]);
    expect(changes(plan)).toEqual([]);
    expect(plan.findings.find((f) => f.code === 'KC_IDP')?.message).toContain('entra-saml (saml)');
  });

  it('flags a SAML provider whose entity id and SSO URL name another tenant', async () => {
    const other = '0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9';
    const s = await seedRealm({
      idps: [{ alias: 'entra-saml', providerId: 'saml', config: entraSaml(other) }],
      mappers: [goodSamlMapper()],
    });
    const settings = adminSettings(s.realm, { idpAlias: 'entra-saml' });
    const { api } = await connectApi(settings, { readOnly: true });
    const plan = await planKeycloak(makeContext({ settings, api }));
    const f = errors(plan).find((x) => x.code === 'KC_IDP_TENANT_MISMATCH');
    expect(f?.message).toContain('idpEntityId');
    expect(f?.message).toContain('singleSignOnServiceUrl');
  });
});

describe('keycloak step: a role instead of a group (--keycloak-role)', () => {
  it('accepts a role mapper for a realm role and lists the role holders', async () => {
    const s = await seedRealm({
      idps: [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }],
      mappers: [
        {
          name: 'admin-role',
          identityProviderAlias: 'entra',
          identityProviderMapper: 'oidc-role-idp-mapper',
          config: { syncMode: 'FORCE', claim: 'groups', 'claim.value': '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d', role: 'tenant-admin-role' },
        },
      ],
    });
    await s.kc.roles.create({ realm: s.realm, name: 'tenant-admin-role' });
    const userId = await seedUser(s, { username: 'role-holder' });
    const role = await s.kc.roles.findOneByName({ realm: s.realm, name: 'tenant-admin-role' });
    await s.kc.users.addRealmRoleMappings({ realm: s.realm, id: userId, roles: [{ id: role!.id!, name: role!.name! }] });
    const settings = adminSettings(s.realm, { role: 'tenant-admin-role' });
    const { api } = await connectApi(settings, { readOnly: true });
    const plan = await planKeycloak(makeContext({ settings, api }));
    expect(errors(plan).map((f) => f.code)).toEqual(['KC_MEMBER_LOCAL']);
    expect(errors(plan)[0].message).toContain('role-holder');

    const missing = await planKeycloak(makeContext({ settings: { ...settings, role: 'realm-management.no-such-role' }, api }));
    expect(errors(missing).map((f) => f.code)).toContain('KC_ROLE_MISSING');
  });
});
