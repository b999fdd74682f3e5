import { describe, expect, it } from 'vitest';
import { certificateThumbprint, samlCertificateFindings, type EntraSamlSigning } from '../../src/keycloak/saml-certificate.js';
import type { IdentityProvider } from '../../src/keycloak/types.js';

// Two self-signed certificates made with openssl for this test; their SHA-1 fingerprints as
// `openssl x509 -noout -fingerprint -sha1` printed them.
const CERT_A =
  'MIIDSTCCAjGgAwIBAgIUVF7xuOhsdKbQZpDlyYueZZnzyjEwDQYJKoZIhvcNAQELBQAwNDEyMDAGA1UEAwwpTWljcm9zb2Z0IEF6dXJlIEZlZGVyYXRlZCBTU08gQ2VydGlmaWNhdGUwHhcNMjYxMTMwMTMyNTU3WhcNMzYxMTI3MTMyNTU3WjA0MTIwMAYDVQQDDClNaWNyb3NvZnQgQXp1cmUgRmVkZXJhdGVkIFNTTyBDZXJ0aWZpY2F0ZTCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBAK1bb8pRNvILWW+eENrvfIuy+85zQA/uPhFeodKCoylLR0U0Q+uj7fvQKZ+ZCpBDwEwHVxTxb0NrJQd8LazzhInKGfxqM7eLze1q8CM+z085MyY49SW153CdRVxu/fYM/F7GVg12hpkzF45y594cX3j/YypYefH1O7p6P8tgQEEm2iJoMHB12/Qi54y5yf7jegQgz8nU+eps0iuUvuUQgNahGELTPmMkFNKOfcibMUCoKQ5ABdOubzH7VV/X8obN88nkUpmzeNbt/6r+MIcnj7g6JE/Ebq2QoztELNpTScmpDJaIlb6xw2qtPg/j1vnwej/rgXDgT4+xYaAnGfSLiDECAwEAAaNTMFEwHQYDVR0OBBYEFJwvJ6Duo1E3g4X9x3vtTEiewblBMB8GA1UdIwQYMBaAFJwvJ6Duo1E3g4X9x3vtTEiewblBMA8GA1UdEwEB/wQFMAMBAf8wDQYJKoZIhvcNAQELBQADggEBAGHxRbxyDadBKNDygeby5RjlYMvg7mxjo/8HhjthqdAmha7C4phtq0Y8fi6kv+6bXawTY9IWhsyZxC1I0omAfQ2tYGRFfqg1c7wZZSqkv4ILdo53O2mY/ABz7n5Hv17Y+I5wV7aqzKya+iz8GH/2f8twZ9OGTSqwviUtU5cG1cfNAUr3pbUYw1qpIvg50vJxs3qfpscPMupVkI9lmuVi2LIpMjYYATJGxWQfGsuU2MT1odKQLl3Vma+oLQAX7ZL9vQ9OUfyQtQUOliK6lBqou92J26q5AoeEprBUXWWYnFFmhSxqmo3ZYXBEG55A4JHWbr2eLq+iQmsd7/5Ju4z4lLg=';
const CERT_B =
  'MIIDSTCCAjGgAwIBAgIUP2Uni8v4wZmQjzYpnFWsLTzL3P4wDQYJKoZIhvcNAQELBQAwNDEyMDAGA1UEAwwpTWljcm9zb2Z0IEF6dXJlIEZlZGVyYXRlZCBTU08gQ2VydGlmaWNhdGUwHhcNMjYxMTMwMTMyNTU4WhcNMzYxMTI3MTMyNTU4WjA0MTIwMAYDVQQDDClNaWNyb3NvZnQgQXp1cmUgRmVkZXJhdGVkIFNTTyBDZXJ0aWZpY2F0ZTCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBAMGG7rwFqNHslLEprjE1inn9Y/2KCsrdd4K3ExIIh7GFdZO81g198UtT7EHxIZdvjTLsAglQ78PYQ26Nl60Fl53NSD6jhqBzimdri6eV9/I+PE+haNUVvobT0xrnAV5Wd1m9vAqFxULaEWmgYdXYTobgSk3l6btzUXJk5HcaYMZxoWZmqpLgsrCv1jHkjxEwr1V138eFB/u+C0XCML6IjIsTl7aov3KOzAkV3cNkM473Dj+tg2uy1fPNSkUB6GjiId2XVxpb2NRkuoQosFxpNmFaTEPA09kOvCzJNEKa/rxtIiEBIg160D5H9UP2zeiwDaKtv4zGhti3rqM/8BeV3pUCAwEAAaNTMFEwHQYDVR0OBBYEFHHLcXGXrfUUod0EeM0MdcbEV+aZMB8GA1UdIwQYMBaAFHHLcXGXrfUUod0EeM0MdcbEV+aZMA8GA1UdEwEB/wQFMAMBAf8wDQYJKoZIhvcNAQELBQADggEBAK8tMb2PCAdULqe3lWao+EjNgJAITDSfoOYBA3jF+jVPHjuMURfdD5g3hNYvlG+iLJOZZt//84x+B8bn4GoJQmjQ45s0z5uucsiUhBWh1aXrHhwkmHvmgfbGzNvxYiEM1An82kbaeg1UT/KsjLMtlNiqODJJ/9qzkGMsZb6RDjXQBFAUK1Jq1Qn8zMAEsEHOPO88krchscca+87XOhWNCXK7PvZwJgJymEsjzmLvGRJzvceiyOw/mr0aaFKP0nLjIXqXkhMxYUYLVYFbDes+V9/itnpeHf+sg0U9A4jxw3sF3fMsbwHTDEwkQ99rBR+Bab7xfp1mwh+UsqstA06U1IM=';
const THUMB_A = 'E15902F60B1F2A2598A52E743457CE37A2DF702B';
const THUMB_B = '844FFD9675D905CE48714FBF1163ECD8DE7649DB';

const saml = (config: Record<string, string>): IdentityProvider => ({
  alias: 'entra-saml',
  providerId: 'saml',
  config: { validateSignature: 'true', ...config },
});
// The servicePrincipal as Graph returns it with $select=keyCredentials,preferredTokenSigningKeyThumbprint
// (Learn "servicePrincipal resource type", "keyCredential resource type"): customKeyIdentifier is
// Binary (base64 of the thumbprint's bytes), key the base64 certificate or null.
const key = (thumb: string, usage: 'Sign' | 'Verify', cert: string | null = null) => ({
  keyId: `k-${thumb.slice(0, 4)}-${usage}`,
  type: 'AsymmetricX509Cert',
  usage,
  customKeyIdentifier: Buffer.from(thumb, 'hex').toString('base64'),
  key: cert,
});
const sp = (
  preferred: string | null,
  keys = [key(THUMB_A, 'Sign'), key(THUMB_A, 'Verify', CERT_A), key(THUMB_B, 'Sign'), key(THUMB_B, 'Verify')],
): EntraSamlSigning => ({
  preferredSingleSignOnMode: 'saml',
  preferredTokenSigningKeyThumbprint: preferred,
  keyCredentials: keys,
});
const codes = (xs: Array<{ code: string; severity: string }>) => xs.map((x) => `${x.severity}:${x.code}`);

describe('SAML signing certificate against the app in Entra', () => {
  it('thumbprints equal openssl SHA-1 fingerprints, PEM armour tolerated', () => {
    expect(certificateThumbprint(CERT_A)).toBe(THUMB_A);
    expect(certificateThumbprint(`-----BEGIN CERTIFICATE-----\n${CERT_B}\n-----END CERTIFICATE-----`)).toBe(THUMB_B);
  });

  it("Entra's preferred certificate pasted: compliant", () => {
    expect(samlCertificateFindings(saml({ signingCertificate: CERT_A }), sp(THUMB_A))).toEqual([]);
    // Keycloak takes a comma-separated list; spaces around the comma are ignored.
    expect(samlCertificateFindings(saml({ signingCertificate: `${CERT_A} ` }), sp(THUMB_A.toLowerCase()))).toEqual([]);
  });

  it('only a non-preferred key of the app: error (Keycloak rejects Entra); both: warning about the inactive one', () => {
    const only = samlCertificateFindings(saml({ signingCertificate: CERT_B }), sp(THUMB_A));
    expect(codes(only)).toEqual(['error:KC_IDP_SAML_CERT_MISMATCH']);
    expect(only[0].message).toContain('inactive key');
    expect(codes(samlCertificateFindings(saml({ signingCertificate: `${CERT_A},${CERT_B}` }), sp(THUMB_A)))).toEqual([
      'warning:KC_IDP_SAML_CERT_INACTIVE',
    ]);
  });

  it("a certificate that is none of the app's keys is an error, also beside the right one", () => {
    const foreignOnly = sp(THUMB_A, [key(THUMB_A, 'Verify', CERT_A)]);
    expect(codes(samlCertificateFindings(saml({ signingCertificate: CERT_B }), foreignOnly))).toEqual([
      'error:KC_IDP_SAML_CERT_MISMATCH',
      'error:KC_IDP_SAML_CERT_FOREIGN',
    ]);
    expect(codes(samlCertificateFindings(saml({ signingCertificate: `${CERT_A},${CERT_B}` }), foreignOnly))).toEqual([
      'error:KC_IDP_SAML_CERT_FOREIGN',
    ]);
    expect(codes(samlCertificateFindings(saml({ signingCertificate: `${CERT_A},not base64!` }), foreignOnly))).toEqual([
      'error:KC_IDP_SAML_CERT_FOREIGN',
    ]);
  });

  it('keys recognised from a hex customKeyIdentifier too', () => {
    const hexKeys = sp(THUMB_A, [{ keyId: 'k', type: 'AsymmetricX509Cert', usage: 'Verify', customKeyIdentifier: THUMB_B, key: null }]);
    expect(codes(samlCertificateFindings(saml({ signingCertificate: `${CERT_A},${CERT_B}` }), hexKeys))).toEqual([
      'warning:KC_IDP_SAML_CERT_INACTIVE',
    ]);
  });

  it('not judged with metadata keys, without signature validation, or for OIDC; not compared without Entra facts', () => {
    expect(
      samlCertificateFindings(
        saml({ signingCertificate: CERT_B, useMetadataDescriptorUrl: 'true', metadataDescriptorUrl: 'https://x' }),
        sp(THUMB_A),
      ),
    ).toEqual([]);
    expect(samlCertificateFindings(saml({ signingCertificate: CERT_B, validateSignature: 'false' }), sp(THUMB_A))).toEqual([]);
    expect(samlCertificateFindings({ alias: 'entra', providerId: 'oidc', config: {} }, sp(THUMB_A))).toEqual([]);
    expect(codes(samlCertificateFindings(saml({ signingCertificate: CERT_A }), sp(null)))).toEqual(['warning:KC_IDP_SAML_CERT_UNCHECKED']);
    expect(codes(samlCertificateFindings(saml({ signingCertificate: CERT_A }), undefined))).toEqual(['info:KC_IDP_SAML_CERT_UNCHECKED']);
    expect(codes(samlCertificateFindings(saml({ signingCertificate: CERT_A }), { appId: 'x' } as EntraSamlSigning))).toEqual([
      'info:KC_IDP_SAML_CERT_UNCHECKED',
    ]);
  });
});

describe("Entra's key list not as documented: no key of doubt counts as the app's", () => {
  const both = saml({ signingCertificate: `${CERT_A},${CERT_B}` });
  it.each([
    ['an unknown usage', [key(THUMB_A, 'Sign'), { ...key(THUMB_B, 'Verify'), usage: 'Encrypt' }]],
    ['an unknown type', [key(THUMB_A, 'Sign'), { ...key(THUMB_B, 'Verify'), type: 'SomethingNew' }]],
    ['a key without type or usage', [key(THUMB_A, 'Sign'), { customKeyIdentifier: key(THUMB_B, 'Verify').customKeyIdentifier }]],
  ])('%s: a pasted certificate only that key names is foreign (error), not an inactive key', (_name, keys) => {
    const f = samlCertificateFindings(both, { preferredTokenSigningKeyThumbprint: THUMB_A, keyCredentials: keys });
    expect(codes(f)).toEqual(['error:KC_IDP_SAML_CERT_FOREIGN']);
  });

  it('keyCredentials that is not a list, or holds null, key and customKeyIdentifier not strings: foreign, no crash', () => {
    for (const keyCredentials of [
      { value: [key(THUMB_B, 'Verify')] },
      'AsymmetricX509Cert',
      [null, { type: 'AsymmetricX509Cert', usage: 'Verify', key: 7, customKeyIdentifier: 7 }],
    ]) {
      const f = samlCertificateFindings(both, {
        preferredTokenSigningKeyThumbprint: THUMB_A,
        keyCredentials,
      } as unknown as EntraSamlSigning);
      expect(codes(f)).toEqual(['error:KC_IDP_SAML_CERT_FOREIGN']);
    }
  });

  it('a preferredTokenSigningKeyThumbprint that is not a string: not checked, never compliant', () => {
    const f = samlCertificateFindings(saml({ signingCertificate: CERT_A }), {
      preferredTokenSigningKeyThumbprint: 42,
      keyCredentials: [],
    } as unknown as EntraSamlSigning);
    expect(codes(f)).toEqual(['info:KC_IDP_SAML_CERT_UNCHECKED']);
  });
});
