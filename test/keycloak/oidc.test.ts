import { describe, expect, it } from 'vitest';
import { planKeycloak } from '../../src/steps/keycloak.js';
import type { StepPlan } from '../../src/plan/types.js';
import type { Finding } from '../../src/core/findings.js';
import {
  adminSettings,
  APP_ID,
  connectApi,
  entraOidc,
  GROUP_ID,
  GROUP_NAME,
  goodOidcMapper,
  makeContext,
  OTHER_TENANT,
  seedRealm,
  TENANT,
} from '../support/keycloak-seed.js';

const errors = (p: StepPlan) => p.findings.filter((f) => f.severity === 'error');
const codes = (fs: Finding[]) => fs.map((f) => f.code);
const changes = (p: StepPlan) => p.actions.filter((a) => a.kind !== 'noop');

async function planFor(seed: Parameters<typeof seedRealm>[0], ctxExtra: Parameters<typeof makeContext>[0] = {}) {
  const s = await seedRealm(seed);
  const settings = adminSettings(s.realm);
  const { api } = await connectApi(settings, { readOnly: true });
  const plan = await planKeycloak(makeContext({ settings, api, ...ctxExtra }));
  return { s, plan };
}

describe('keycloak step: OIDC provider', () => {
  it('is compliant with a correct mapper: no error or warning findings and nothing to change', async () => {
    const { plan } = await planFor({ idps: [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }], mappers: [goodOidcMapper()] });
    expect(errors(plan)).toEqual([]);
    expect(plan.findings.filter((f) => f.severity === 'warning')).toEqual([]);
    expect(changes(plan)).toEqual([]);
    expect(plan.actions.map((a) => a.summary).join()).toContain('tenant-admin-from-entra');
    expect(plan.findings.find((f) => f.code === 'KC_IDP')?.message).toContain(`client id is the Entra app id ${APP_ID}`);
    expect(plan.findings.find((f) => f.code === 'KC_SERVER')?.message).toMatch(/^Keycloak \d+\.\d+/);
  });

  it('flags sync mode IMPORT: the group would survive the end of the activation', async () => {
    const { plan } = await planFor({
      idps: [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }],
      mappers: [goodOidcMapper('entra', { syncMode: 'IMPORT' })],
    });
    const f = plan.findings.find((x) => x.code === 'KC_MAPPER_SYNC_IMPORT');
    expect(f?.severity).toBe('error');
    expect(f?.message).toContain('first login');
    expect(f?.fix).toContain('--fix-keycloak');
    expect(changes(plan)).toEqual([]);
  });

  it('flags a mapper keyed on the group display name instead of its object id', async () => {
    const mapper = goodOidcMapper('entra', { claims: JSON.stringify([{ key: 'groups', value: GROUP_NAME }]) });
    const { plan } = await planFor({ idps: [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }], mappers: [mapper] });
    const f = plan.findings.find((x) => x.code === 'KC_MAPPER_GROUP_NAME');
    expect(f?.severity).toBe('error');
    expect(f?.message).toContain('display name');
    expect(f?.message).toContain(GROUP_ID);
  });

  it('flags a mapper to a group path that does not exist', async () => {
    const { plan } = await planFor({
      groups: ['/admins'],
      idps: [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }],
      mappers: [goodOidcMapper()],
    });
    const f = plan.findings.find((x) => x.code === 'KC_GROUP_MISSING');
    expect(f?.severity).toBe('error');
    expect(f?.message).toContain('/tenant-admin');
  });

  it('flags the built-in microsoft social provider', async () => {
    const { plan } = await planFor({
      idps: [{ alias: 'microsoft', providerId: 'microsoft', config: { clientId: APP_ID, clientSecret: 'x', tenantId: TENANT } }],
    });
    const f = plan.findings.find((x) => x.code === 'KC_IDP_MICROSOFT_SOCIAL');
    expect(f?.severity).toBe('error');
    expect(f?.message).toContain('cannot map the Entra group');
    expect(codes(plan.findings)).not.toContain('KC_MAPPER_MISSING');
  });

  it('flags the multi-tenant "common" issuer', async () => {
    const config = { ...entraOidc(), issuer: 'https://login.microsoftonline.com/common/v2.0' };
    const { plan } = await planFor({ idps: [{ alias: 'entra', providerId: 'oidc', config }], mappers: [goodOidcMapper()] });
    const f = plan.findings.find((x) => x.code === 'KC_IDP_MULTI_TENANT');
    expect(f?.severity).toBe('error');
    expect(f?.message).toContain('issuer https://login.microsoftonline.com/common/v2.0');
    expect(f?.message).not.toContain('tokenUrl');
  });

  it('flags endpoints of another tenant and a client id that is not the Entra app', async () => {
    const config = { ...entraOidc(OTHER_TENANT), clientId: 'someone-else' };
    const { plan } = await planFor({ idps: [{ alias: 'corp', providerId: 'oidc', config }], mappers: [goodOidcMapper('corp')] });
    // No provider uses the app id: the only Entra-looking one is picked, then judged.
    expect(codes(errors(plan))).toEqual(expect.arrayContaining(['KC_IDP_TENANT_MISMATCH', 'KC_IDP_CLIENT_MISMATCH']));
  });

  it('accepts INHERIT when the provider is on FORCE', async () => {
    const { plan } = await planFor({
      idps: [{ alias: 'entra', providerId: 'oidc', config: { ...entraOidc(), syncMode: 'FORCE' } }],
      mappers: [goodOidcMapper('entra', { syncMode: 'INHERIT' })],
    });
    expect(errors(plan)).toEqual([]);
    expect(changes(plan)).toEqual([]);
  });

  it('flags INHERIT when the provider is on IMPORT', async () => {
    const { plan } = await planFor({
      idps: [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }],
      mappers: [goodOidcMapper('entra', { syncMode: 'INHERIT' })],
    });
    expect(plan.findings.find((x) => x.code === 'KC_MAPPER_SYNC_IMPORT')?.message).toContain(
      'has sync mode IMPORT (INHERIT from the provider, which is on IMPORT)',
    );
  });

  it('treats a group mapper without syncMode as LEGACY, which acts as FORCE: a warning to set FORCE, nothing to change', async () => {
    const mapper = goodOidcMapper();
    delete mapper.config.syncMode;
    const { s, plan } = await planFor({
      idps: [{ alias: 'entra', providerId: 'oidc', config: { ...entraOidc(), syncMode: 'FORCE' } }],
      mappers: [mapper],
    });
    // The server stores no syncMode: what the check reads is what Keycloak will apply.
    const stored = await s.kc.identityProviders.findMappers({ realm: s.realm, alias: 'entra' });
    expect(stored[0].config.syncMode).toBeUndefined();
    const f = plan.findings.find((x) => x.code === 'KC_MAPPER_SYNC_LEGACY');
    expect(f?.severity).toBe('warning');
    expect(f?.message).toContain('no syncMode set');
    expect(errors(plan)).toEqual([]);
    expect(changes(plan)).toEqual([]);
  });

  it('keeps LEGACY an error for a Claim to Role mapper: it never grants the role again', async () => {
    const s = await seedRealm({ idps: [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }], mappers: [] });
    await s.kc.roles.create({ realm: s.realm, name: 'tenant-admin' });
    await s.kc.identityProviders.createMapper({
      realm: s.realm,
      alias: 'entra',
      identityProviderMapper: {
        name: 'admin-role',
        identityProviderAlias: 'entra',
        identityProviderMapper: 'oidc-role-idp-mapper',
        config: { claim: 'groups', 'claim.value': GROUP_ID, role: 'tenant-admin' },
      },
    });
    const settings = adminSettings(s.realm, { role: 'tenant-admin' });
    const { api } = await connectApi(settings, { readOnly: true });
    const plan = await planKeycloak(makeContext({ settings, api }));
    const f = plan.findings.find((x) => x.code === 'KC_MAPPER_SYNC_LEGACY');
    expect(f?.severity).toBe('error');
    expect(f?.message).toContain('never grants it again');
  });

  it('flags an empty claim list: it would put everyone into the group', async () => {
    const { plan } = await planFor({
      idps: [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }],
      mappers: [goodOidcMapper('entra', { claims: '[]' })],
    });
    expect(plan.findings.find((x) => x.code === 'KC_MAPPER_CLAIMS_EMPTY')?.message).toContain('every user');
  });

  it('flags a regular expression that matches other groups too', async () => {
    const mapper = goodOidcMapper('entra', { claims: JSON.stringify([{ key: 'groups', value: '.*' }]), 'are.claim.values.regex': 'true' });
    const { plan } = await planFor({ idps: [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }], mappers: [mapper] });
    expect(plan.findings.find((x) => x.code === 'KC_MAPPER_REGEX')?.severity).toBe('error');
  });

  it('reports a missing mapper with the fix naming --fix-keycloak', async () => {
    const { plan } = await planFor({ idps: [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }] });
    const f = plan.findings.find((x) => x.code === 'KC_MAPPER_MISSING');
    expect(f?.severity).toBe('error');
    expect(f?.fix).toContain('--fix-keycloak');
    expect(changes(plan)).toEqual([]);
  });

  it('uses the roles claim with the app role value in app-role mode', async () => {
    const mapper = goodOidcMapper('entra', { claims: JSON.stringify([{ key: 'roles', value: 'Keycloak.Admin' }]) });
    const { plan } = await planFor(
      { idps: [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }], mappers: [mapper] },
      { appRole: 'Keycloak.Admin', facts: { appRole: { id: 'e1f2a3b4-0000-4000-8000-000000000002', value: 'Keycloak.Admin' } } },
    );
    expect(errors(plan)).toEqual([]);
    const wrong = await planFor(
      { idps: [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }], mappers: [goodOidcMapper()] },
      { appRole: 'Keycloak.Admin' },
    );
    expect(wrong.plan.findings.find((x) => x.code === 'KC_MAPPER_CLAIM_MISMATCH')?.message).toContain('roles=Keycloak.Admin');
  });

  it('flags a hardcoded group mapper and a mapper on another provider granting the group', async () => {
    const { plan } = await planFor({
      idps: [
        { alias: 'entra', providerId: 'oidc', config: entraOidc() },
        {
          alias: 'github',
          providerId: 'oidc',
          config: {
            clientId: 'gh',
            clientSecret: 'x',
            authorizationUrl: 'https://github.example/auth',
            tokenUrl: 'https://github.example/token',
          },
        },
      ],
      mappers: [
        goodOidcMapper(),
        {
          name: 'everyone-admin',
          identityProviderAlias: 'entra',
          identityProviderMapper: 'oidc-hardcoded-group-idp-mapper',
          config: { group: '/tenant-admin', syncMode: 'FORCE' },
        },
        goodOidcMapper('github', { claims: JSON.stringify([{ key: 'org', value: 'acme' }]) }),
      ],
    });
    expect(codes(errors(plan))).toEqual(expect.arrayContaining(['KC_MAPPER_HARDCODED', 'KC_MAPPER_OTHER_IDP']));
    expect(plan.findings.find((x) => x.code === 'KC_MAPPER_OTHER_IDP')?.message).toContain('github');
  });

  it('warns when sessions outlive the activation and names the setting', async () => {
    const { plan } = await planFor(
      {
        idps: [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }],
        mappers: [goodOidcMapper()],
        realm: { ssoSessionMaxLifespan: 36000, offlineSessionMaxLifespanEnabled: false },
      },
      { facts: { activationMax: 'PT4H' } },
    );
    const sso = plan.findings.find((x) => x.code === 'KC_SESSION_OUTLIVES_ACTIVATION');
    expect(sso?.severity).toBe('warning');
    expect(sso?.message).toContain('10 h');
    expect(sso?.fix).toContain('ssoSessionMaxLifespan to 14400');
    expect(plan.findings.find((x) => x.code === 'KC_SESSION_OFFLINE')?.severity).toBe('warning');
  });

  it('flags the target group as a realm default group', async () => {
    const { s } = await planFor({ idps: [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }], mappers: [goodOidcMapper()] });
    await s.kc.realms.addDefaultGroup({ realm: s.realm, id: s.groupIds.get('/tenant-admin')! });
    const settings = adminSettings(s.realm);
    const { api } = await connectApi(settings, { readOnly: true });
    const plan = await planKeycloak(makeContext({ settings, api }));
    expect(plan.findings.find((x) => x.code === 'KC_GROUP_DEFAULT')?.severity).toBe('error');
  });

  it('checks a nested group path and the provider named by --keycloak-idp-alias', async () => {
    const s = await seedRealm({
      groups: ['/ops', '/ops/tenant-admin'],
      idps: [
        { alias: 'entra', providerId: 'oidc', config: entraOidc() },
        { alias: 'entra-2', providerId: 'oidc', config: entraOidc() },
      ],
      mappers: [goodOidcMapper('entra-2', { group: '/ops/tenant-admin' })],
    });
    const settings = adminSettings(s.realm, { group: '/ops/tenant-admin', idpAlias: 'entra-2' });
    const { api } = await connectApi(settings, { readOnly: true });
    const plan = await planKeycloak(makeContext({ settings, api }));
    expect(errors(plan)).toEqual([]);
    const auto = await planKeycloak(makeContext({ settings: { ...settings, idpAlias: undefined }, api }));
    expect(auto.findings.find((x) => x.code === 'KC_IDP_AMBIGUOUS')?.message).toContain('entra-2');
  });

  it('reports a missing realm', async () => {
    const settings = adminSettings('no-such-realm-here');
    const { api } = await connectApi(settings, { readOnly: true });
    const plan = await planKeycloak(makeContext({ settings, api }));
    expect(plan.findings.find((x) => x.code === 'KC_REALM_MISSING')?.severity).toBe('error');
  });

  it('returns a single KC_SKIPPED warning when Keycloak is skipped', async () => {
    const plan = await planKeycloak(makeContext({ skipKeycloak: true, settings: adminSettings('x') }));
    expect(plan).toEqual({ findings: [expect.objectContaining({ severity: 'warning', code: 'KC_SKIPPED' })], actions: [] });
    const none = await planKeycloak(makeContext({}));
    expect(codes(none.findings)).toEqual(['KC_SKIPPED']);
  });
});
