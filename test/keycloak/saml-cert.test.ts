import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { StepPlan } from '../../src/plan/types.js';
import { planKeycloak } from '../../src/steps/keycloak.js';
import {
  adminSettings,
  APP_ID,
  connectApi,
  entraSaml,
  goodSamlMapper,
  makeContext,
  SAML_ENTITY_ID,
  SAML_SIGNING_CERT,
  seedRealm,
} from '../support/keycloak-seed.js';

/**
 * The certificate pasted into a SAML provider against the app's own SAML signing
 * certificate in Entra (servicePrincipal keyCredentials and preferredTokenSigningKeyThumbprint, as
 * the prerequisites step reads them). The provider is stored through the admin API as the admin
 * console stores it; the audit reads it back from a real Keycloak.
 */

// Another self-signed certificate (openssl), standing for a key that is not the app's.
const OTHER_CERT =
  'MIIDSTCCAjGgAwIBAgIUP2Uni8v4wZmQjzYpnFWsLTzL3P4wDQYJKoZIhvcNAQELBQAwNDEyMDAGA1UEAwwpTWljcm9zb2Z0IEF6dXJlIEZlZGVyYXRlZCBTU08gQ2VydGlmaWNhdGUwHhcNMjYxMTMwMTMyNTU4WhcNMzYxMTI3MTMyNTU4WjA0MTIwMAYDVQQDDClNaWNyb3NvZnQgQXp1cmUgRmVkZXJhdGVkIFNTTyBDZXJ0aWZpY2F0ZTCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBAMGG7rwFqNHslLEprjE1inn9Y/2KCsrdd4K3ExIIh7GFdZO81g198UtT7EHxIZdvjTLsAglQ78PYQ26Nl60Fl53NSD6jhqBzimdri6eV9/I+PE+haNUVvobT0xrnAV5Wd1m9vAqFxULaEWmgYdXYTobgSk3l6btzUXJk5HcaYMZxoWZmqpLgsrCv1jHkjxEwr1V138eFB/u+C0XCML6IjIsTl7aov3KOzAkV3cNkM473Dj+tg2uy1fPNSkUB6GjiId2XVxpb2NRkuoQosFxpNmFaTEPA09kOvCzJNEKa/rxtIiEBIg160D5H9UP2zeiwDaKtv4zGhti3rqM/8BeV3pUCAwEAAaNTMFEwHQYDVR0OBBYEFHHLcXGXrfUUod0EeM0MdcbEV+aZMB8GA1UdIwQYMBaAFHHLcXGXrfUUod0EeM0MdcbEV+aZMA8GA1UdEwEB/wQFMAMBAf8wDQYJKoZIhvcNAQELBQADggEBAK8tMb2PCAdULqe3lWao+EjNgJAITDSfoOYBA3jF+jVPHjuMURfdD5g3hNYvlG+iLJOZZt//84x+B8bn4GoJQmjQ45s0z5uucsiUhBWh1aXrHhwkmHvmgfbGzNvxYiEM1An82kbaeg1UT/KsjLMtlNiqODJJ/9qzkGMsZb6RDjXQBFAUK1Jq1Qn8zMAEsEHOPO88krchscca+87XOhWNCXK7PvZwJgJymEsjzmLvGRJzvceiyOw/mr0aaFKP0nLjIXqXkhMxYUYLVYFbDes+V9/itnpeHf+sg0U9A4jxw3sF3fMsbwHTDEwkQ99rBR+Bab7xfp1mwh+UsqstA06U1IM=';
const thumb = (c: string) => createHash('sha1').update(Buffer.from(c, 'base64')).digest('hex').toUpperCase();
const spWith = (cert: string) => ({
  id: 'b1c2d3e4-0000-4000-8000-000000000001',
  appId: APP_ID,
  servicePrincipalNames: [APP_ID, SAML_ENTITY_ID],
  preferredSingleSignOnMode: 'saml',
  preferredTokenSigningKeyThumbprint: thumb(cert),
  keyCredentials: [
    {
      keyId: 'k1',
      type: 'AsymmetricX509Cert',
      usage: 'Sign',
      customKeyIdentifier: Buffer.from(thumb(cert), 'hex').toString('base64'),
      key: null,
    },
    {
      keyId: 'k2',
      type: 'AsymmetricX509Cert',
      usage: 'Verify',
      customKeyIdentifier: Buffer.from(thumb(cert), 'hex').toString('base64'),
      key: cert,
    },
  ],
});
const certCodes = (p: StepPlan) => p.findings.filter((f) => f.code.startsWith('KC_IDP_SAML_CERT')).map((f) => `${f.severity}:${f.code}`);

async function audit(signingCertificate: string, entraCert: string): Promise<StepPlan> {
  const s = await seedRealm({
    idps: [{ alias: 'entra-saml', providerId: 'saml', config: { ...entraSaml(), signingCertificate } }],
    mappers: [goodSamlMapper()],
  });
  const settings = adminSettings(s.realm);
  const { api } = await connectApi(settings, { readOnly: true });
  return planKeycloak(makeContext({ settings, api, facts: { servicePrincipal: spWith(entraCert) } }));
}

describe("keycloak step: the SAML signing certificate is the app's own", () => {
  it("Entra's signing certificate pasted: no finding; the twin with another certificate: Keycloak would reject Entra and trusts a foreign key", async () => {
    expect(certCodes(await audit(SAML_SIGNING_CERT, SAML_SIGNING_CERT))).toEqual([]);
    expect(certCodes(await audit(OTHER_CERT, SAML_SIGNING_CERT))).toEqual([
      'error:KC_IDP_SAML_CERT_MISMATCH',
      'error:KC_IDP_SAML_CERT_FOREIGN',
    ]);
  });

  it('two pasted certificates (comma-separated, as the console stores them): the right one beside a foreign one is an error', async () => {
    expect(certCodes(await audit(`${SAML_SIGNING_CERT},${OTHER_CERT}`, SAML_SIGNING_CERT))).toEqual(['error:KC_IDP_SAML_CERT_FOREIGN']);
  });
});
