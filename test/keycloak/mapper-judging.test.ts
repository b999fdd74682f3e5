import { describe, expect, it } from 'vitest';
import { applyKeycloak, planKeycloak } from '../../src/steps/keycloak.js';
import type { StepPlan } from '../../src/plan/types.js';
import type { Finding } from '../../src/core/findings.js';
import {
  adminSettings,
  connectApi,
  entraOidc,
  entraSaml,
  GROUP_ID,
  GROUP_NAME,
  goodOidcMapper,
  goodSamlMapper,
  makeContext,
  seedRealm,
} from '../support/keycloak-seed.js';

/**
 * Regex conditions, LEGACY per mapper type and a second Entra provider on a real Keycloak: realms built through the admin API as the console
 * or Terraform stores them, each with its compliant twin.
 */

const errors = (p: StepPlan) => p.findings.filter((f) => f.severity === 'error');
const codes = (fs: Finding[]) => fs.map((f) => f.code);
const changes = (p: StepPlan) => p.actions.filter((a) => a.kind !== 'noop');

/** users:pf, the other group assigned to the app: its members must never become admins. */
const USERS_ID = '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f';
/** What app-assignment reads from appRoleAssignedTo: both groups assigned to the app. */
const appGroups = [
  { id: GROUP_ID, displayName: GROUP_NAME },
  { id: USERS_ID, displayName: 'users:pf' },
];
/** A self-signed certificate (no key kept): what a SAML provider validates Entra's signature with. */
const SIGNING_CERT =
  'MIIDVzCCAj+gAwIBAgIUd1IY/GS3rKsTdUk3pTBkmTfcmgMwDQYJKoZIhvcNAQELBQAwOzE5MDcGA1UEAwwwTWljcm9zb2Z0IEF6dXJlIEZlZGVyYXRlZCBTU08gQ2VydGlmaWNhdGUgKHRlc3QpMB4XDTI2MTEzMDExNTg1NVoXDTM2MTEyNzExNTg1NVowOzE5MDcGA1UEAwwwTWljcm9zb2Z0IEF6dXJlIEZlZGVyYXRlZCBTU08gQ2VydGlmaWNhdGUgKHRlc3QpMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAn/AHKKTgRGFBOPwuya4DrQTlism6XadjMn448eSNzgEbUqCfCCT/ROP1d74O7h40Gaf3er7qbAN8n8F9vQ5jcYxNohXiADvMegBACAFhoIa40Yw8R4GskyU9Sdaz44VeSBf5nz1HIJUAqsZGlN47blNUnoePrEPnx7GWRH/MtdW7ZvW9UrKAwETzWztxGto85AS6PsQ/pudACkgzyfRuCZibgm8XE8ivBYlSRDbpBBzxEjytx/GEi6SYx7BNwPUEuv/t5+eWtqMrcb5Tn0qVWUc4cp/oXVKvZMRfbrAUnrCzX1nIbL9uxttsEx95cAYdxf4eAy1qLpuygtCSATkPHwIDAQABo1MwUTAdBgNVHQ4EFgQUwDD1sH4TftrFScd2QUJ9TK8YZm8wHwYDVR0jBBgwFoAUwDD1sH4TftrFScd2QUJ9TK8YZm8wDwYDVR0TAQH/BAUwAwEB/zANBgkqhkiG9w0BAQsFAAOCAQEAKlMfz0kcUEOkosxIsWnf6Ayk7ixHIl2XAR7T1FRhMLCNjBjYiPgRb2um5XKNzRE+BwObfiI0cjK9dYIKeQRu+dwVFimvEHRWfZuVVovkR98xKWWc7U+EZOjCIeNy58FncfiM8SiKmxddAKKygdm/QV8Djz1IMpim/0fn1q/yCrYbjVJpkQT31fGaGw7JfzpIgrHloRl+2UoRIXdYxv8jzcxaUQUs0r9+O3xkYoSy2ndky35GnG9Y8r8ycahFcpK6yxuDcR2U6i6UlV4c3F0TsuN1ACKua8VfgCF8TgI8M5EwS1ZWoX14lFDmtL0I0JCCa3Si/+nz/p9+9njJ4r05rQ==';

async function planFor(seed: Parameters<typeof seedRealm>[0], o: { idpAlias?: string; fix?: boolean } = {}) {
  const s = await seedRealm(seed);
  const settings = adminSettings(s.realm, o.idpAlias ? { idpAlias: o.idpAlias } : {});
  const { api } = await connectApi(settings, { readOnly: !o.fix });
  const ctx = makeContext({ settings, api, fixKeycloak: o.fix, facts: { appGroups } });
  return { s, ctx, plan: await planKeycloak(ctx) };
}

describe('regex mappers, judged as Java String.matches against the groups assigned to the app', () => {
  it('flags a pattern that also matches the other assigned group, and --fix-keycloak rewrites it to the exact id', async () => {
    const mapper = goodOidcMapper('entra', {
      claims: JSON.stringify([{ key: 'groups', value: `${GROUP_ID}|${USERS_ID}` }]),
      'are.claim.values.regex': 'true',
    });
    const idps = [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }];
    const { plan } = await planFor({ idps, mappers: [mapper] });
    const f = plan.findings.find((x) => x.code === 'KC_MAPPER_REGEX');
    expect(f?.severity).toBe('error');
    expect(f?.message).toContain(`also matches ${USERS_ID}`);

    const fixed = await planFor({ idps, mappers: [mapper] }, { fix: true });
    expect(changes(fixed.plan).map((a) => a.kind)).toEqual(['update']);
    await applyKeycloak(fixed.plan, fixed.ctx);
    const [stored] = await fixed.s.kc.identityProviders.findMappers({ realm: fixed.s.realm, alias: 'entra' });
    expect(stored.config).toMatchObject({
      claims: JSON.stringify([{ key: 'groups', value: GROUP_ID }]),
      'are.claim.values.regex': 'false',
      syncMode: 'FORCE',
    });
    const again = await planKeycloak(fixed.ctx);
    expect(errors(again)).toEqual([]);
    expect(changes(again)).toEqual([]);
  });

  it('accepts the Java inline flag (?i) with the id (the twin)', async () => {
    const mapper = goodOidcMapper('entra', {
      claims: JSON.stringify([{ key: 'groups', value: `(?i)${GROUP_ID.toUpperCase()}` }]),
      'are.claim.values.regex': 'true',
    });
    const { plan } = await planFor({ idps: [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }], mappers: [mapper] });
    expect(errors(plan)).toEqual([]);
    expect(plan.findings.filter((x) => x.code.startsWith('KC_MAPPER'))).toEqual([]);
  });
});

describe('sync mode LEGACY as the REST API and Terraform store it', () => {
  it('is a warning for a group mapper under INHERIT when the provider has no syncMode', async () => {
    const providerConfig: Record<string, string> = entraOidc();
    delete providerConfig.syncMode;
    const { s, plan } = await planFor({
      idps: [{ alias: 'entra', providerId: 'oidc', config: providerConfig }],
      mappers: [goodOidcMapper('entra', { syncMode: 'INHERIT' })],
    });
    const [idp] = await s.kc.identityProviders.find({ realm: s.realm });
    // Keycloak 26.5 keeps the key absent; 26.0 hands back syncMode LEGACY for a provider created
    // without one (both seen on the servers). Either way the mapper acts under LEGACY.
    const stored = idp.config?.syncMode as string | undefined;
    expect([undefined, 'LEGACY']).toContain(stored);
    expect(errors(plan)).toEqual([]);
    const f = plan.findings.find((x) => x.code === 'KC_MAPPER_SYNC_LEGACY');
    expect(f?.severity).toBe('warning');
    expect(f?.message).toContain(
      stored ? 'INHERIT from the provider, which is on LEGACY' : 'INHERIT from the provider, which has no syncMode',
    );
    expect(changes(plan)).toEqual([]);
  });
});

describe('a second Entra provider (OIDC and SAML side by side)', () => {
  const saml = {
    alias: 'entra-saml',
    providerId: 'saml',
    config: { ...entraSaml(), validateSignature: 'true', signingCertificate: SIGNING_CERT },
  };
  const idps = [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }, saml];

  it('is no bypass when its own mapper requires the PIM group', async () => {
    const { plan } = await planFor({ idps, mappers: [goodOidcMapper(), goodSamlMapper()] }, { idpAlias: 'entra' });
    expect(codes(plan.findings)).not.toContain('KC_MAPPER_OTHER_IDP');
    expect(errors(plan)).toEqual([]);
    expect(plan.findings.filter((x) => x.severity === 'warning' && x.code.startsWith('KC_MAPPER'))).toEqual([]);
  });

  it('is a bypass when its mapper grants the group without the PIM group condition (the twin)', async () => {
    const open = goodSamlMapper('entra-saml', {
      attributes: JSON.stringify([{ key: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/department', value: 'IT' }]),
    });
    const { plan } = await planFor({ idps, mappers: [goodOidcMapper(), open] }, { idpAlias: 'entra' });
    const f = plan.findings.find((x) => x.code === 'KC_MAPPER_OTHER_IDP');
    expect(f?.severity).toBe('error');
    expect(f?.message).toContain('entra-saml');
    expect(f?.message).toContain('does not require the PIM group');
  });
});
