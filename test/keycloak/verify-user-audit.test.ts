import { describe, expect, it } from 'vitest';
import { verdictOf, type EntraFacts } from '../../src/commands/verify-user.js';
import { readKeycloak } from '../../src/keycloak/user-facts.js';
import { KEYCLOAK_ROLES } from '../../src/keycloak/permissions.js';
import type { IdpMapper } from '../../src/keycloak/types.js';
import type { StepPlan } from '../../src/plan/types.js';
import type { Finding } from '../../src/core/findings.js';
import { planKeycloak } from '../../src/steps/keycloak.js';
import {
  adminSettings,
  APP_ID,
  connectApi,
  entraOidc,
  entraSaml,
  GROUP_ID,
  goodOidcMapper,
  goodSamlMapper,
  grantRealmManagement,
  makeContext,
  seedRealm,
  seedRoleClosureRealm,
  seedUser,
  TENANT,
  type Seeded,
} from '../support/keycloak-seed.js';

/**
 * verify-user gives the same verdict as the audit on realms with a subgroup mapper, a composite
 * role closure, LEGACY per mapper type and a second trusted Entra provider.
 * Each realm is built through the admin API (as the admin console stores it) with a user Alice
 * linked to the Entra provider and no active PIM assignment (or one, where said); the audit runs
 * the keycloak step on it, verify-user reads the same realm and judges Alice.
 */

const UPN = 'alice@contoso.example';
const OID = '0b5c6d7e-8f90-4a1b-8c2d-3e4f5a6b7c8d';
const ROLE = 'tenant-admin-role';
const codes = (fs: Finding[]) => fs.map((f) => f.code);
const errors = (p: StepPlan) => p.findings.filter((f) => f.severity === 'error');

function entraFacts(active: boolean): EntraFacts {
  const now = Date.now();
  const instance = {
    principalId: OID,
    groupId: GROUP_ID,
    accessId: 'member',
    assignmentType: 'Activated',
    startDateTime: new Date(now - 600_000).toISOString(),
    endDateTime: new Date(now + 3600_000).toISOString(),
  };
  return {
    user: { id: OID, userPrincipalName: UPN, mail: UPN },
    group: { id: GROUP_ID, displayName: 'Keycloak Tenant Admins' },
    eligible: [{ principalId: OID, groupId: GROUP_ID, accessId: 'member' }],
    active: active ? [instance] : [],
    member: active,
    lastSignIn: {},
  };
}

/** Alice as a brokered sign-in leaves her: username = UPN, linked to `alias` with her object id as subject. */
async function seedAlice(s: Seeded, o: { groups?: string[]; alias?: string; password?: string } = {}): Promise<string> {
  const { id } = await s.kc.users.create({
    realm: s.realm,
    username: UPN,
    email: UPN,
    emailVerified: true,
    firstName: 'Alice',
    lastName: 'Adams',
    enabled: true,
    ...(o.password ? { credentials: [{ type: 'password', value: o.password, temporary: false }] } : {}),
  });
  for (const path of o.groups ?? []) await s.kc.users.addToGroup({ realm: s.realm, id, groupId: s.groupIds.get(path)! });
  const alias = o.alias ?? 'entra';
  await s.kc.users.addToFederatedIdentity({
    realm: s.realm,
    id,
    federatedIdentityId: alias,
    federatedIdentity: { identityProvider: alias, userId: OID, userName: UPN },
  });
  return id;
}

/** The audit's plan and verify-user's verdict on the same realm, for Alice. */
async function judge(
  s: Seeded,
  o: { role?: string; idpAlias?: string; active?: boolean; settings?: Parameters<typeof adminSettings>[1] } = {},
) {
  const settings = adminSettings(s.realm, {
    ...(o.role ? { role: o.role } : {}),
    ...(o.idpAlias ? { idpAlias: o.idpAlias } : {}),
    ...o.settings,
  });
  const { api } = await connectApi(settings, { readOnly: true });
  const entra = entraFacts(Boolean(o.active));
  const plan = await planKeycloak(
    makeContext({
      settings,
      api,
      facts: { activeAssignments: entra.active.map((i) => ({ ...i, id: 'i-alice', accessId: 'member' as const })) },
    }),
  );
  const kc = await readKeycloak(api, settings, entra, { tenantId: TENANT, appId: APP_ID });
  return { plan, verdict: verdictOf(entra, kc), kc };
}

const entra = [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }];
const holderFinding = (p: StepPlan, code: string) => p.findings.find((f) => f.code === code);

describe('verify-user agrees with the audit: subgroups of the target (item 3)', () => {
  it('a member of /tenant-admin/ops without activation: the audit names her (via the subgroup), verify-user says not active, but still mapped, and why', async () => {
    const s = await seedRealm({ idps: entra, groups: ['/tenant-admin', '/tenant-admin/ops', '/users'], mappers: [goodOidcMapper()] });
    await seedAlice(s, { groups: ['/tenant-admin/ops'] });
    const { plan, verdict } = await judge(s);
    expect(holderFinding(plan, 'KC_MEMBER_NOT_ACTIVE')?.message).toContain(`${UPN} (via /tenant-admin/ops)`);
    expect(verdict.kind).toBe('not-active-but-mapped');
    expect(verdict.reasons.join('\n')).toContain(
      'no mapper of entra assigns /tenant-admin/ops, so it was given in Keycloak and PIM never takes it away',
    );
  });

  it('an IMPORT mapper to the subgroup: the audit calls it an error, verify-user names it', async () => {
    const ops: IdpMapper = {
      ...goodOidcMapper(),
      name: 'ops',
      config: { ...goodOidcMapper().config, group: '/tenant-admin/ops', syncMode: 'IMPORT' },
    };
    const s = await seedRealm({ idps: entra, groups: ['/tenant-admin', '/tenant-admin/ops'], mappers: [goodOidcMapper(), ops] });
    await seedAlice(s, { groups: ['/tenant-admin/ops'] });
    const { plan, verdict } = await judge(s);
    expect(errors(plan).find((f) => f.code === 'KC_MAPPER_INDIRECT')?.message).toContain('sync mode IMPORT');
    expect(verdict.kind).toBe('not-active-but-mapped');
    expect(verdict.reasons[0]).toMatch(/^mapper ops has sync mode IMPORT: Keycloak never takes \/tenant-admin\/ops away/);
  });

  it('a linked member of /tenant-admin with a local password: the audit reports it, verify-user names it', async () => {
    const s = await seedRealm({ idps: entra, mappers: [goodOidcMapper()] });
    await seedAlice(s, { groups: ['/tenant-admin'], password: 'alice-local-password-1' });
    const { plan, verdict } = await judge(s);
    expect(errors(plan).find((f) => f.code === 'KC_MEMBER_LOCAL_PASSWORD')?.message).toContain(UPN);
    expect(verdict.kind).toBe('not-active-but-mapped');
    expect(verdict.reasons[0]).toContain('also have a password in Keycloak or its user storage, so they can sign in without Entra');
    // The twin without a password: only the session keeps it.
    const twin = await seedRealm({ idps: entra, mappers: [goodOidcMapper()] });
    await seedAlice(twin, { groups: ['/tenant-admin'] });
    const ok = await judge(twin);
    expect(codes(ok.plan.findings)).not.toContain('KC_MEMBER_LOCAL_PASSWORD');
    expect(ok.verdict.reasons).toEqual([
      expect.stringContaining('Keycloak removes /tenant-admin at the next sign-in through Entra (sync mode FORCE)'),
    ]);
  });

  it('the twin: a member of /users only holds nothing, for both', async () => {
    const s = await seedRealm({ idps: entra, groups: ['/tenant-admin', '/tenant-admin/ops', '/users'], mappers: [goodOidcMapper()] });
    await seedAlice(s, { groups: ['/users'] });
    const { plan, verdict } = await judge(s);
    expect(errors(plan)).toEqual([]);
    expect(codes(plan.findings)).not.toContain('KC_MEMBER_NOT_ACTIVE');
    expect(verdict.kind).toBe('eligible-not-active');
  });
});

const roleMapper = (role = ROLE, syncMode = 'FORCE'): IdpMapper => ({
  name: `pim-${role}`,
  identityProviderAlias: 'entra',
  identityProviderMapper: 'oidc-role-idp-mapper',
  config: { syncMode, claim: 'groups', 'claim.value': GROUP_ID, role },
});

/** Role mode (see seedRoleClosureRealm), with the given provider configuration. */
const roleRealm = (mappers: IdpMapper[] = [roleMapper()], idpConfig: Record<string, string> = entraOidc()) =>
  seedRoleClosureRealm({ role: ROLE, mappers, idps: [{ alias: 'entra', providerId: 'oidc', config: idpConfig }] });

describe('verify-user agrees with the audit: the composite closure of the admin role (item 4)', () => {
  it('a linked user holding a composite client role containing the role', async () => {
    const s = await roleRealm();
    const id = await seedAlice(s);
    await s.kc.users.addClientRoleMappings({ realm: s.realm, id, clientUniqueId: s.app, roles: [s.owner] });
    const { plan, verdict } = await judge(s, { role: ROLE });
    expect(holderFinding(plan, 'KC_MEMBER_NOT_ACTIVE')?.message).toContain(`${UPN} (via role app.owner)`);
    expect(verdict.kind).toBe('not-active-but-mapped');
    expect(verdict.reasons.join('\n')).toContain(
      'holds role app.owner, which contains tenant-admin-role (composite role): no mapper of entra assigns role app.owner',
    );
  });

  it('a member of a subgroup of a group holding the role', async () => {
    const s = await roleRealm();
    await s.kc.groups.addRealmRoleMappings({ realm: s.realm, id: s.groupIds.get('/admins')!, roles: [await s.role(ROLE)] });
    await seedAlice(s, { groups: ['/admins/night'] });
    const { plan, verdict } = await judge(s, { role: ROLE });
    expect(holderFinding(plan, 'KC_MEMBER_NOT_ACTIVE')?.message).toContain(`${UPN} (via /admins/night)`);
    expect(verdict.kind).toBe('not-active-but-mapped');
    expect(verdict.reasons.join('\n')).toContain('member of /admins/night, a subgroup of /admins, which holds tenant-admin-role');
  });

  it('the default role containing a composite that contains the role: everyone is admin', async () => {
    const s = await roleRealm();
    const realmRep = await s.kc.realms.findOne({ realm: s.realm });
    await s.kc.roles.createComposite({ realm: s.realm, roleId: realmRep!.defaultRole!.id! }, [await s.role('super')]);
    await seedAlice(s);
    const { plan, verdict } = await judge(s, { role: ROLE });
    expect(codes(errors(plan))).toEqual(['KC_ROLE_DEFAULT']);
    expect(verdict.kind).toBe('not-active-but-mapped');
    expect(verdict.reasons.join('\n')).toContain(`every user holds the default role default-roles-${s.realm}`);
  });

  it('the twin: a harmless default role and group, a composite nobody holds: nothing for both', async () => {
    const s = await roleRealm();
    const realmRep = await s.kc.realms.findOne({ realm: s.realm });
    await s.kc.roles.createComposite({ realm: s.realm, roleId: realmRep!.defaultRole!.id! }, [await s.role('harmless')]);
    await s.kc.groups.addRealmRoleMappings({ realm: s.realm, id: s.groupIds.get('/users')!, roles: [await s.role('harmless')] });
    await seedAlice(s, { groups: ['/users'] });
    const { plan, verdict } = await judge(s, { role: ROLE });
    expect(errors(plan)).toEqual([]);
    expect(verdict.kind).toBe('eligible-not-active');
  });

  it('without view-clients the audit warns the closure is incomplete, and verify-user cannot tell rather than clearing her', async () => {
    const s = await roleRealm();
    const id = await seedAlice(s);
    await s.kc.users.addClientRoleMappings({ realm: s.realm, id, clientUniqueId: s.app, roles: [s.owner] });
    const auditor = await seedUser(s, { username: 'auditor', password: 'auditor-password-1' });
    await grantRealmManagement(s, auditor, [...KEYCLOAK_ROLES.audit]);
    const { plan, verdict } = await judge(s, {
      role: ROLE,
      settings: { authRealm: s.realm, clientId: undefined, clientSecret: undefined, username: 'auditor', password: 'auditor-password-1' },
    });
    expect(holderFinding(plan, 'KC_ROLE_CLOSURE_INCOMPLETE')?.severity).toBe('warning');
    expect(verdict.kind).toBe('unverified');
  });
});

describe('verify-user agrees with the audit: LEGACY per mapper type (item 6)', () => {
  it('a Claim to Role mapper under LEGACY (provider without syncMode): an error in the audit, named by verify-user', async () => {
    const provider: Record<string, string> = entraOidc();
    delete provider.syncMode;
    const s = await roleRealm([roleMapper(ROLE, 'INHERIT')], provider);
    const id = await seedAlice(s);
    await s.kc.users.addRealmRoleMappings({ realm: s.realm, id, roles: [await s.role(ROLE)] });
    const { plan, verdict } = await judge(s, { role: ROLE });
    expect(errors(plan).find((f) => f.code === 'KC_MAPPER_SYNC_LEGACY')).toBeDefined();
    expect(verdict.kind).toBe('not-active-but-mapped');
    expect(verdict.reasons.join('\n')).toContain(`mapper pim-${ROLE} is a Claim to Role mapper with sync mode LEGACY`);
  });

  it('a group mapper under LEGACY: a warning in the audit; verify-user expects it removed at the next sign-in', async () => {
    const provider: Record<string, string> = entraOidc();
    delete provider.syncMode;
    const s = await seedRealm({
      idps: [{ alias: 'entra', providerId: 'oidc', config: provider }],
      mappers: [goodOidcMapper('entra', { syncMode: 'INHERIT' })],
    });
    await seedAlice(s, { groups: ['/tenant-admin'] });
    const { plan, verdict } = await judge(s);
    expect(holderFinding(plan, 'KC_MAPPER_SYNC_LEGACY')?.severity).toBe('warning');
    expect(codes(plan.findings)).toContain('KC_MEMBER_NOT_ACTIVE');
    expect(verdict.reasons).toEqual([
      expect.stringContaining(
        'removes /tenant-admin at the next sign-in through Entra (sync mode LEGACY, which Keycloak 26 applies like FORCE',
      ),
    ]);
  });
});

describe('verify-user agrees with the audit: a second trusted Entra provider (item 7)', () => {
  const idps = [
    { alias: 'entra', providerId: 'oidc', config: entraOidc() },
    // The seeded SAML provider validates signatures with a certificate: the audit trusts it.
    { alias: 'entra-saml', providerId: 'saml', config: entraSaml() },
  ];

  it('Alice linked only to the SAML provider, active: the audit counts her as governed by PIM, verify-user as active and mapped', async () => {
    const s = await seedRealm({ idps, mappers: [goodOidcMapper(), goodSamlMapper()] });
    await seedAlice(s, { groups: ['/tenant-admin'], alias: 'entra-saml' });
    const { plan, verdict } = await judge(s, { idpAlias: 'entra', active: true });
    expect(errors(plan)).toEqual([]);
    expect(holderFinding(plan, 'KC_MEMBERS')?.message).toContain('1 with an active PIM assignment');
    expect(verdict.kind).toBe('active-mapped');
    expect(verdict.reasons).toEqual([]);
  });

  it('not active: the audit says she keeps it until her next sign-in, and so does verify-user', async () => {
    const s = await seedRealm({ idps, mappers: [goodOidcMapper(), goodSamlMapper()] });
    await seedAlice(s, { groups: ['/tenant-admin'], alias: 'entra-saml' });
    const { plan, verdict } = await judge(s, { idpAlias: 'entra' });
    expect(codes(plan.findings)).toContain('KC_MEMBER_NOT_ACTIVE');
    expect(codes(plan.findings)).not.toContain('KC_MEMBER_OTHER_IDP');
    expect(verdict.kind).toBe('not-active-but-mapped');
    expect(verdict.reasons).toEqual([
      expect.stringContaining('sign-in through entra-saml was during an activation; Keycloak removes /tenant-admin'),
    ]);
  });

  it('the twin: a SAML provider without signature validation is no trusted door, for both', async () => {
    const { signingCertificate: _cert, ...unsigned } = entraSaml();
    const open = [idps[0], { ...idps[1], config: { ...unsigned, validateSignature: 'false' } }];
    const s = await seedRealm({ idps: open, mappers: [goodOidcMapper(), goodSamlMapper()] });
    await seedAlice(s, { groups: ['/tenant-admin'], alias: 'entra-saml' });
    const { plan, verdict } = await judge(s, { idpAlias: 'entra', active: true });
    expect(codes(errors(plan))).toContain('KC_MEMBER_OTHER_IDP');
    expect(verdict.kind).toBe('active-mapped');
    expect(verdict.reasons.join('\n')).toContain('is not linked to entra');
  });
});

describe('verify-user agrees with the audit: a FORCE mapper without the PIM group condition', () => {
  it("a FORCE mapper on someone's email: an error in the audit, and verify-user says the grant does not depend on PIM", async () => {
    const byEmail = goodOidcMapper('entra', { claims: JSON.stringify([{ key: 'email', value: UPN }]) });
    const s = await seedRealm({ idps: entra, mappers: [byEmail] });
    await seedAlice(s, { groups: ['/tenant-admin'] });
    const { plan, verdict } = await judge(s);
    expect(codes(errors(plan))).toContain('KC_MAPPER_CLAIM_MISMATCH');
    expect(verdict.kind).toBe('not-active-but-mapped');
    expect(verdict.reasons.join('\n')).toContain(`requires email=${UPN}`);
    expect(verdict.reasons.join('\n')).toContain('whether or not PIM is active');
    expect(verdict.reasons.join('\n')).not.toContain('removes /tenant-admin at the next sign-in');
  });

  it('the twin: the PIM mapper with FORCE; both expect the group removed at the next sign-in', async () => {
    const s = await seedRealm({ idps: entra, mappers: [goodOidcMapper()] });
    await seedAlice(s, { groups: ['/tenant-admin'] });
    const { plan, verdict } = await judge(s);
    expect(errors(plan)).toEqual([]);
    expect(verdict.reasons.join('\n')).not.toContain('whether or not PIM is active');
    expect(verdict.reasons.join('\n')).toContain('removes /tenant-admin at the next sign-in');
  });
});
