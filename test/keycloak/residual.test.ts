import { describe, expect, it } from 'vitest';
import type { PimInstance } from '../../src/entra/pim.js';
import { planKeycloak } from '../../src/steps/keycloak.js';
import {
  adminSettings,
  connectApi,
  entraOidc,
  GROUP_ID,
  goodOidcMapper,
  makeContext,
  seedRealm,
  seedUser,
} from '../support/keycloak-seed.js';

const ACTIVE_OID = '0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6';
const EXPIRED_OID = '1e2f3a4b-5c6d-4e7f-8091-a2b3c4d5e6f7';
const IMPORTED_OID = '2f3a4b5c-6d7e-4f80-91a2-b3c4d5e6f708';

function active(principalId: string, end = new Date(Date.now() + 3600_000)): PimInstance {
  return {
    id: `i-${principalId}`,
    principalId,
    groupId: GROUP_ID,
    accessId: 'member',
    assignmentType: 'activated',
    startDateTime: new Date(Date.now() - 600_000).toISOString(),
    endDateTime: end.toISOString(),
  };
}

describe('keycloak step: who holds the admin group now', () => {
  it('flags local accounts, other providers, holders without an active assignment, and links it cannot resolve', async () => {
    const s = await seedRealm({
      profileAttributes: ['entraObjectId'],
      groups: ['/tenant-admin', '/tenant-admin/ops'],
      idps: [
        { alias: 'entra', providerId: 'oidc', config: entraOidc() },
        {
          alias: 'google',
          providerId: 'oidc',
          config: {
            clientId: 'g',
            clientSecret: 'x',
            authorizationUrl: 'https://accounts.example/auth',
            tokenUrl: 'https://accounts.example/token',
          },
        },
      ],
      mappers: [
        goodOidcMapper(),
        {
          name: 'oid',
          identityProviderAlias: 'entra',
          identityProviderMapper: 'oidc-user-attribute-idp-mapper',
          config: { claim: 'oid', 'user.attribute': 'entraObjectId', syncMode: 'FORCE' },
        },
      ],
    });
    const g = ['/tenant-admin'];
    await seedUser(s, { username: 'local-admin', groups: g });
    await seedUser(s, { username: 'nested-local', groups: ['/tenant-admin/ops'] });
    await seedUser(s, { username: 'disabled-local', groups: g, enabled: false });
    await seedUser(s, { username: 'google-user', groups: g, link: { alias: 'google', userId: 'g-123' } });
    // A GUID subject is the object id (Entra's pairwise sub never is one).
    await seedUser(s, { username: 'active-admin', groups: g, link: { alias: 'entra', userId: ACTIVE_OID } });
    await seedUser(s, { username: 'expired-admin', groups: g, link: { alias: 'entra', userId: EXPIRED_OID } });
    // Pairwise sub, but the oid attribute importer stored the object id.
    await seedUser(s, {
      username: 'imported-admin',
      groups: g,
      link: { alias: 'entra', userId: 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ' },
      attributes: { entraObjectId: [IMPORTED_OID] },
    });
    // Pairwise sub and nothing else: cannot be matched to PIM.
    await seedUser(s, {
      username: 'pairwise-admin',
      groups: g,
      link: { alias: 'entra', userId: 'BBBBBBBBBBBBBBBBBBBBBJkzqFVrSaSaFHy782bbtaQ' },
    });
    await seedUser(s, { username: 'bystander' });

    const settings = adminSettings(s.realm);
    const { api } = await connectApi(settings, { readOnly: true });
    const plan = await planKeycloak(
      makeContext({
        settings,
        api,
        facts: { activeAssignments: [active(ACTIVE_OID), active(IMPORTED_OID), active(EXPIRED_OID, new Date(Date.now() - 60_000))] },
      }),
    );
    const by = (code: string) => plan.findings.find((f) => f.code === code);

    expect(by('KC_MEMBER_LOCAL')).toMatchObject({ severity: 'error' });
    expect(by('KC_MEMBER_LOCAL')!.message).toContain('local-admin');
    expect(by('KC_MEMBER_LOCAL')!.message).toContain('nested-local (via /tenant-admin/ops)');
    expect(by('KC_MEMBER_LOCAL')!.message).not.toContain('disabled-local');
    expect(by('KC_MEMBER_OTHER_IDP')).toMatchObject({ severity: 'error' });
    expect(by('KC_MEMBER_OTHER_IDP')!.message).toContain('google-user');
    expect(by('KC_MEMBER_NOT_ACTIVE')).toMatchObject({ severity: 'warning' });
    expect(by('KC_MEMBER_NOT_ACTIVE')!.message).toMatch(/: expired-admin$/);
    expect(by('KC_MEMBER_UNVERIFIABLE')!.message).toMatch(/: pairwise-admin$/);
    expect(by('KC_MEMBERS')!.message).toContain('8 holder(s), 1 disabled: 2 with an active PIM assignment');
  });

  it('reports a local account as the only finding when everything else is right', async () => {
    const s = await seedRealm({ idps: [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }], mappers: [goodOidcMapper()] });
    await seedUser(s, { username: 'breakglass', groups: ['/tenant-admin'] });
    const settings = adminSettings(s.realm);
    const { api } = await connectApi(settings, { readOnly: true });
    const plan = await planKeycloak(makeContext({ settings, api }));
    expect(plan.findings.filter((f) => f.severity === 'error')).toEqual([
      expect.objectContaining({
        code: 'KC_MEMBER_LOCAL',
        message: expect.stringContaining('breakglass'),
        fix: expect.stringContaining('remove them'),
      }),
    ]);
  });
});
