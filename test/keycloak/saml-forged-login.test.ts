import { describe, expect, inject, it } from 'vitest';
import { planKeycloak } from '../../src/steps/keycloak.js';
import { groupPaths } from '../support/broker-login.js';
import {
  adminSettings,
  connectApi,
  entraSaml,
  GROUP_ID,
  goodSamlMapper,
  makeContext,
  SAML_GROUPS,
  seedRealm,
  type Seeded,
} from '../support/keycloak-seed.js';
import { forgedSamlLogin } from '../support/saml-forge.js';

const PORTAL = { clientId: 'portal', redirectUri: 'http://127.0.0.1:9/portal-callback' } as const;
const ALIAS = 'entra-saml';

/** A realm with the SAML provider as `config` says, the right group mapper, profile importers and a client to sign in to. */
async function samlRealm(config: Record<string, string>): Promise<Seeded> {
  const importer = (attr: string) => ({
    name: `import-${attr}`,
    identityProviderAlias: ALIAS,
    identityProviderMapper: 'saml-user-attribute-idp-mapper',
    config: { syncMode: 'FORCE', 'attribute.name': attr, 'user.attribute': attr },
  });
  const s = await seedRealm({
    idps: [{ alias: ALIAS, providerId: 'saml', config }],
    mappers: [goodSamlMapper(ALIAS), importer('email'), importer('firstName'), importer('lastName')],
  });
  await s.kc.clients.create({
    realm: s.realm,
    clientId: PORTAL.clientId,
    publicClient: true,
    standardFlowEnabled: true,
    redirectUris: [PORTAL.redirectUri],
  });
  return s;
}

function forge(s: Seeded, config: Record<string, string>, fakeSignature = false) {
  return forgedSamlLogin({
    fakeSignature,
    keycloakUrl: inject('keycloak').url,
    realm: s.realm,
    alias: ALIAS,
    ...PORTAL,
    idpEntityId: config.idpEntityId,
    spEntityId: config.entityId,
    nameId: 'mallory-forged',
    attributes: { [SAML_GROUPS]: [GROUP_ID], email: ['mallory@attacker.example'], firstName: ['Mal'], lastName: ['Lory'] },
  });
}

describe('a forged, unsigned SAMLResponse against a real Keycloak (runtime proof)', () => {
  it('without validateSignature Keycloak signs the forger in and puts them in /tenant-admin; the audit calls it an error', async () => {
    const { validateSignature: _v, signingCertificate: _c, ...config } = entraSaml();
    const s = await samlRealm(config);
    const settings = adminSettings(s.realm);
    const { api } = await connectApi(settings, { readOnly: true });
    const plan = await planKeycloak(makeContext({ settings, api }));
    expect(plan.findings.filter((f) => f.severity === 'error').map((f) => f.code)).toEqual(['KC_IDP_SAML_UNSIGNED']);

    await forge(s, config);
    const [user] = await s.kc.users.find({ realm: s.realm, username: 'mallory-forged', exact: true });
    expect(user, 'Keycloak created the forger').toBeDefined();
    expect(await groupPaths(s.kc, s.realm, user.id!)).toEqual(['/tenant-admin']);
  });

  it('wantAssertionsSigned without validateSignature only wants a signature element: a made-up one gets the forger in', async () => {
    const { validateSignature: _v, signingCertificate: _c, ...rest } = entraSaml();
    const config = { ...rest, validateSignature: 'false', wantAssertionsSigned: 'true' };
    const s = await samlRealm(config);
    const settings = adminSettings(s.realm);
    const { api } = await connectApi(settings, { readOnly: true });
    const plan = await planKeycloak(makeContext({ settings, api }));
    expect(plan.findings.filter((f) => f.severity === 'error').map((f) => f.code)).toEqual(['KC_IDP_SAML_UNSIGNED']);

    // With no signature element at all Keycloak refuses the assertion ...
    await expect(forge(s, config)).rejects.toThrow(/broker\/entra-saml\/endpoint \(HTTP 400\)/);
    // ... but a made-up signature element (a Reference to the assertion, random digest and value,
    // signed by nobody) is enough: without validateSignature nothing checks it.
    await forge(s, config, true);
    const [user] = await s.kc.users.find({ realm: s.realm, username: 'mallory-forged', exact: true });
    expect(await groupPaths(s.kc, s.realm, user.id!)).toEqual(['/tenant-admin']);
  });

  it('twin: with validateSignature "true" and the signing certificate the same forgery is refused and the audit is clean', async () => {
    const config = entraSaml();
    const s = await samlRealm(config);
    const settings = adminSettings(s.realm);
    const { api } = await connectApi(settings, { readOnly: true });
    const plan = await planKeycloak(makeContext({ settings, api }));
    expect(plan.findings.filter((f) => f.severity === 'error')).toEqual([]);
    await s.kc.realms.update({ realm: s.realm }, { eventsEnabled: true, enabledEventTypes: ['IDENTITY_PROVIDER_RESPONSE_ERROR'] });

    const refused = await forge(s, config).then(
      () => undefined,
      (e: unknown) => (e as Error).message,
    );
    // SAMLEndpoint.Binding.handleLoginResponse refuses a failed signature check with the event
    // error invalid_signature; its page says "Invalid requester" in Keycloak 26.0
    // (invalidRequesterMessage), "Invalid signature…" in 26.5.6 and 26.7.3.
    const page = inject('keycloak').version.startsWith('26.0.')
      ? 'Invalid requester'
      : 'Invalid signature in response from identity provider';
    expect(refused).toMatch(new RegExp(`forged SAML sign-in stopped at .*/broker/entra-saml/endpoint \\(HTTP 400\\): .*${page}`));
    const events = await s.kc.realms.findEvents({ realm: s.realm, type: 'IDENTITY_PROVIDER_RESPONSE_ERROR' });
    expect(events.map((e) => e.error)).toEqual(['invalid_signature']);
    expect(await s.kc.users.find({ realm: s.realm, username: 'mallory-forged', exact: true })).toEqual([]);
  });
});
