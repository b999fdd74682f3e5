/**
 * Contract test, sign-in discovery by domain: Learn "OpenID Connect on the Microsoft identity
 * platform" (v2-protocols-oidc, MicrosoftDocs/entra-docs docs/identity-platform/v2-protocols-oidc.md),
 * "Find your app's OpenID configuration document URI": the authority is
 * `https://login.microsoftonline.com/{tenant}/v2.0` (the host varies by cloud), `{tenant}` is the
 * tenant id (GUID) or a domain name of the tenant; the sample response has authorization_endpoint,
 * token_endpoint, token_endpoint_auth_methods_supported, jwks_uri, userinfo_endpoint,
 * subject_types_supported. Learn "reference-error-codes": AADSTS90002 InvalidTenantName. What no page
 * settles (the GUID in `issuer` for a domain, the 400 status, the error text): src/sim/ASSUMPTIONS.md.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CONTOSO } from '../../src/sim/index.js';
import { closeSims, sim } from './facts.js';

afterEach(closeSims);

describe('the simulated discovery document', () => {
  it('answers a verified domain with the tenant GUID in issuer and token_endpoint, and an unknown one as Entra does', async () => {
    const s = await sim();
    const ok = await fetch(`${s.url}/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration`);
    expect(ok.status).toBe(200);
    const doc = (await ok.json()) as Record<string, string>;
    expect(doc.issuer).toBe(`${s.url}/${CONTOSO.tenantId}/v2.0`);
    expect(doc.token_endpoint).toBe(`${s.url}/${CONTOSO.tenantId}/oauth2/v2.0/token`);
    for (const field of [
      'authorization_endpoint',
      'token_endpoint_auth_methods_supported',
      'jwks_uri',
      'userinfo_endpoint',
      'subject_types_supported',
    ])
      expect(doc).toHaveProperty(field);
    // The domain is matched without regard to case, like a host name; the default domain too.
    for (const name of ['CONTOSO.onmicrosoft.com', 'contoso.example', CONTOSO.tenantId]) {
      const again = await fetch(`${s.url}/${name}/v2.0/.well-known/openid-configuration`);
      expect(((await again.json()) as Record<string, string>).issuer).toBe(doc.issuer);
    }
    const missing = await fetch(`${s.url}/fabrikam.example/v2.0/.well-known/openid-configuration`);
    expect(missing.status).toBe(400);
    const body = (await missing.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      error: 'invalid_tenant',
      error_codes: [90002],
      error_uri: 'https://login.microsoftonline.com/error?code=90002',
    });
    expect(String(body.error_description)).toMatch(
      /^AADSTS90002: Tenant 'fabrikam\.example' not found\. Check to make sure you have the correct tenant ID and are signing into the correct cloud\. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant\. Trace ID: /,
    );
  });
});
