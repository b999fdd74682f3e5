import { describe, expect, it } from 'vitest';
import type { StepPlan } from '../../src/plan/types.js';
import { planKeycloak } from '../../src/steps/keycloak.js';
import {
  adminSettings,
  connectApi,
  entraSaml,
  goodSamlMapper,
  makeContext,
  SAML_SIGNING_CERT,
  seedRealm,
} from '../support/keycloak-seed.js';

const errors = (p: StepPlan) => p.findings.filter((f) => f.severity === 'error');

/** Plans the keycloak step against a fresh realm holding one SAML provider with `config` and the right mapper. */
async function planFor(config: Record<string, string>): Promise<StepPlan> {
  const s = await seedRealm({ idps: [{ alias: 'entra-saml', providerId: 'saml', config }], mappers: [goodSamlMapper()] });
  const settings = adminSettings(s.realm);
  const { api } = await connectApi(settings, { readOnly: true });
  return planKeycloak(makeContext({ settings, api }));
}

/** entraSaml() without the signature settings: what the REST API and Terraform store unless told otherwise. */
function unsignedSaml(extra: Record<string, string> = {}): Record<string, string> {
  const { validateSignature: _v, signingCertificate: _c, ...rest } = entraSaml();
  return { ...rest, ...extra };
}

describe('keycloak step: SAML signature validation', () => {
  it('is an error when the provider stores no validateSignature (REST API, Terraform)', async () => {
    const plan = await planFor(unsignedSaml());
    expect(errors(plan).map((f) => f.code)).toEqual(['KC_IDP_SAML_UNSIGNED']);
    expect(errors(plan)[0].message).toContain('validateSignature not set');
  });

  it('is an error with validateSignature "false" even when assertions must be signed and a certificate is pasted', async () => {
    const plan = await planFor(
      unsignedSaml({ validateSignature: 'false', wantAssertionsSigned: 'true', signingCertificate: SAML_SIGNING_CERT }),
    );
    expect(errors(plan).map((f) => f.code)).toEqual(['KC_IDP_SAML_UNSIGNED']);
    expect(errors(plan)[0].message).toContain('wantAssertionsSigned only requires a signature element');
  });

  it('is an error when signatures are validated against no certificate', async () => {
    const plan = await planFor(unsignedSaml({ validateSignature: 'true' }));
    expect(errors(plan).map((f) => f.code)).toEqual(['KC_IDP_SAML_NO_KEY']);
  });

  it('compliant twin: validateSignature "true" with the signing certificate', async () => {
    const plan = await planFor(entraSaml());
    expect(errors(plan)).toEqual([]);
    expect(plan.findings.filter((f) => f.severity === 'warning')).toEqual([]);
  });

  it('compliant twin: validateSignature "true" with keys from the metadata descriptor URL', async () => {
    const plan = await planFor(
      unsignedSaml({
        validateSignature: 'true',
        useMetadataDescriptorUrl: 'true',
        metadataDescriptorUrl: 'http://127.0.0.1:9/federationmetadata.xml',
      }),
    );
    expect(errors(plan)).toEqual([]);
  });
});
