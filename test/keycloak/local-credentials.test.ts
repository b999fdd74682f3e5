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
  seedUser,
  type Seeded,
} from '../support/keycloak-seed.js';

const errors = (p: StepPlan) => p.findings.filter((f) => f.severity === 'error');
const LINKED_OID = '0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6';
const OTHER_OID = '1e2f3a4b-5c6d-4e7f-8091-a2b3c4d5e6f7';

/** A realm where everything else is right: the Entra provider with the FORCE mapper. */
const realm = () => seedRealm({ idps: [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }], mappers: [goodOidcMapper()] });

/** Settings that sign in as a user of the realm holding only the documented audit roles. */
async function auditor(s: Seeded) {
  const id = await seedUser(s, { username: 'auditor', password: 'auditor-password-1' });
  await grantRealmManagement(s, id, [...KEYCLOAK_ROLES.audit]);
  return adminSettings(s.realm, {
    authRealm: s.realm,
    clientId: undefined,
    clientSecret: undefined,
    username: 'auditor',
    password: 'auditor-password-1',
  });
}

describe('keycloak step: linked holders with a local password', () => {
  it('is an error for a holder linked to Entra who also has a password, read with the audit roles only', async () => {
    const s = await realm();
    await seedUser(s, {
      username: 'linked-with-password',
      groups: ['/tenant-admin'],
      link: { alias: 'entra', userId: LINKED_OID },
      password: 'local-password-1',
    });
    await seedUser(s, { username: 'linked-only', groups: ['/tenant-admin'], link: { alias: 'entra', userId: OTHER_OID } });
    const settings = await auditor(s);
    const { api } = await connectApi(settings, { readOnly: true });
    const plan = await planKeycloak(makeContext({ settings, api }));
    expect(plan.findings.map((f) => f.code)).not.toContain('KC_MISSING_ROLE');
    expect(errors(plan).map((f) => f.code)).toEqual(['KC_MEMBER_LOCAL_PASSWORD']);
    expect(errors(plan)[0].message).toMatch(/1 holder\(s\) of \/tenant-admin .*: linked-with-password$/);
  });

  it('twin: the same holder without a password is no finding, nor is one with an OTP device only', async () => {
    const s = await realm();
    await seedUser(s, { username: 'linked-only', groups: ['/tenant-admin'], link: { alias: 'entra', userId: LINKED_OID } });
    // An OTP credential as a realm import or the admin API stores it: a second factor, no way in alone.
    const { id } = await s.kc.users.create({
      realm: s.realm,
      username: 'linked-otp',
      enabled: true,
      email: 'linked-otp@example.test',
      firstName: 'Test',
      lastName: 'otp',
      credentials: [
        {
          type: 'otp',
          userLabel: 'phone',
          secretData: JSON.stringify({ value: 'JBSWY3DPEHPK3PXP' }),
          credentialData: JSON.stringify({ subType: 'totp', digits: 6, counter: 0, period: 30, algorithm: 'HmacSHA1' }),
        },
      ],
    });
    await s.kc.users.addToGroup({ realm: s.realm, id, groupId: s.groupIds.get('/tenant-admin')! });
    await s.kc.users.addToFederatedIdentity({
      realm: s.realm,
      id,
      federatedIdentityId: 'entra',
      federatedIdentity: { identityProvider: 'entra', userId: OTHER_OID, userName: 'linked-otp' },
    });
    expect((await s.kc.users.getCredentials({ realm: s.realm, id })).map((c) => c.type)).toEqual(['otp']);
    const settings = await auditor(s);
    const { api } = await connectApi(settings, { readOnly: true });
    const plan = await planKeycloak(makeContext({ settings, api }));
    expect(errors(plan)).toEqual([]);
    expect(plan.findings.map((f) => f.code)).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/^KC_MEMBER_(LOCAL_PASS|CREDENTIAL)/)]),
    );
  });

  it('a password on a linked user who does not hold the group is no finding', async () => {
    const s = await realm();
    await seedUser(s, { username: 'bystander', link: { alias: 'entra', userId: LINKED_OID }, password: 'local-password-1' });
    const settings = adminSettings(s.realm);
    const { api } = await connectApi(settings, { readOnly: true });
    const plan = await planKeycloak(makeContext({ settings, api }));
    expect(errors(plan)).toEqual([]);
  });
});
