/** The certificates a SAML provider trusts, against the app's own SAML signing keys in Entra. */
import { createHash } from 'node:crypto';
import { finding, type Finding } from '../core/findings.js';
import { javaTrue } from './java-boolean.js';
import { protocolOf } from './protocol.js';
import type { IdentityProvider } from './types.js';

/** What Entra says about the app's SAML signing keys (servicePrincipal keyCredentials, preferredTokenSigningKeyThumbprint). */
export interface EntraSamlSigning {
  /** `saml` for an app set up for SAML single sign-on. */
  preferredSingleSignOnMode?: string | null;
  /** SHA-1 thumbprint (hex) of the certificate Entra signs SAML responses with. */
  preferredTokenSigningKeyThumbprint?: string | null;
  keyCredentials?: Array<{
    keyId?: string | null;
    type?: string | null;
    usage?: string | null;
    customKeyIdentifier?: string | null;
    key?: string | null;
    endDateTime?: string | null;
  }> | null;
}

const SIGNING_TYPES = new Set(['AsymmetricX509Cert', 'X509CertAndPassword']);
const SIGNING_USAGES = new Set(['Sign', 'Verify']);

const hex = (b: Buffer) => b.toString('hex').toUpperCase();

/** The SHA-1 thumbprint (upper-case hex) of a base64 DER certificate, PEM armour tolerated; undefined when it is not base64. */
export function certificateThumbprint(cert: string): string | undefined {
  const b64 = cert.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  if (!b64 || !/^[A-Za-z0-9+/]+=*$/.test(b64)) return undefined;
  return hex(createHash('sha1').update(Buffer.from(b64, 'base64')).digest());
}

/**
 * The thumbprint of one of the app's key credentials: the SHA-1 of `key` (the certificate, which
 * Graph returns only on `$select=keyCredentials` of a single object), else `customKeyIdentifier`,
 * which Learn (keyCredential resource) says defaults to the certificate's thumbprint (Binary:
 * base64 of its 20 bytes; a 40-digit hex text is taken as is).
 */
function keyThumbprint(k: NonNullable<EntraSamlSigning['keyCredentials']>[number]): string | undefined {
  if (typeof k.key === 'string' && k.key) return certificateThumbprint(k.key);
  const id = typeof k.customKeyIdentifier === 'string' ? k.customKeyIdentifier.trim() : undefined;
  if (!id) return undefined;
  if (/^[0-9a-f]{40}$/i.test(id)) return id.toUpperCase();
  const bytes = Buffer.from(id, 'base64');
  return bytes.length === 20 ? hex(bytes) : undefined;
}

/**
 * Compares the certificates pasted into a SAML provider (`signingCertificate`, comma-separated;
 * SAMLIdentityProvider checks a signature against each) with the app's SAML signing certificate in
 * Entra. Entra signs with the certificate `preferredTokenSigningKeyThumbprint` names: when no
 * pasted certificate has that thumbprint Keycloak rejects Entra's real responses (error); a pasted
 * certificate that is none of the app's keys is trusted anyway, so whoever holds its private key
 * can sign assertions with any group (error); one of the app's other (inactive) keys is a warning.
 * Not judged when the keys come from the metadata URL, or signatures are not validated
 * (samlSignatureFindings reports that). Without Entra's side the comparison is reported as not done.
 */
export function samlCertificateFindings(idp: IdentityProvider, sp: EntraSamlSigning | undefined): Finding[] {
  const c = idp.config ?? {};
  if (protocolOf(idp.providerId) !== 'saml' || !javaTrue(c.validateSignature) || javaTrue(c.useMetadataDescriptorUrl)) return [];
  const pasted = (c.signingCertificate ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (pasted.length === 0) return [];
  const name = `identity provider ${idp.alias}`;
  const fix =
    `paste the app's active SAML signing certificate from Entra (Enterprise applications → the app → Single sign-on → SAML ` +
    `Certificates → Certificate (Base64)) into "Validating X509 certificates" of ${idp.alias}, and nothing else`;
  const rawPreferred = sp?.preferredTokenSigningKeyThumbprint;
  const preferred = (typeof rawPreferred === 'string' ? rawPreferred : undefined)?.replace(/[^0-9a-f]/gi, '').toUpperCase();
  if (!preferred) {
    // Read but empty is a fact about the app (warning); not read at all is reported where the read failed.
    const read = sp !== undefined && (rawPreferred === null || typeof rawPreferred === 'string');
    const why = read
      ? 'Entra names no preferred signing certificate for the app (preferredTokenSigningKeyThumbprint)'
      : "the enterprise app's signing keys were not read";
    return [
      finding(
        read ? 'warning' : 'info',
        'KC_IDP_SAML_CERT_UNCHECKED',
        `${name}: whether its signing certificate is the app's own SAML signing certificate in Entra was not checked (${why})`,
        fix,
      ),
    ];
  }
  // Only a certificate key credential with a documented usage (Learn "keyCredential resource
  // type": type AsymmetricX509Cert or X509CertAndPassword, usage Sign or Verify) counts as the
  // app's; anything else (a list that is not one, an unknown type or usage) is none of its keys.
  const appKeys = new Map<string, string>();
  for (const k of Array.isArray(sp?.keyCredentials) ? sp.keyCredentials : []) {
    if (!k || typeof k !== 'object') continue;
    if (!SIGNING_TYPES.has(k.type ?? '') || !SIGNING_USAGES.has(k.usage ?? '')) continue;
    const t = keyThumbprint(k);
    if (t) appKeys.set(t, k.usage ?? '');
  }
  const prints = pasted.map((p) => ({ p, t: certificateThumbprint(p) }));
  const out: Finding[] = [];
  const unreadable = prints.filter((x) => !x.t);
  const foreign = prints.filter((x) => x.t && x.t !== preferred && !appKeys.has(x.t));
  const inactive = prints.filter((x) => x.t && x.t !== preferred && appKeys.has(x.t));
  if (!prints.some((x) => x.t === preferred)) {
    out.push(
      finding(
        'error',
        'KC_IDP_SAML_CERT_MISMATCH',
        `${name} does not trust the certificate Entra signs this app's SAML responses with (thumbprint ${preferred}); it trusts ` +
          `${prints.map((x) => x.t ?? 'an unreadable certificate').join(', ')}${inactive.length ? ' (an inactive key of the app)' : ''}: ` +
          `Keycloak rejects Entra's real sign-ins`,
        fix,
      ),
    );
  } else if (inactive.length) {
    out.push(
      finding(
        'warning',
        'KC_IDP_SAML_CERT_INACTIVE',
        `${name} also trusts ${inactive.map((x) => x.t).join(', ')}, a signing key of the app that Entra does not sign with now ` +
          `(the active one is ${preferred})`,
        `remove the inactive certificate from "Validating X509 certificates" of ${idp.alias} once it is not needed for a rollover`,
      ),
    );
  }
  if (foreign.length || unreadable.length) {
    out.push(
      finding(
        'error',
        'KC_IDP_SAML_CERT_FOREIGN',
        `${name} trusts ${[...foreign.map((x) => `certificate ${x.t}`), ...unreadable.map(() => 'a certificate this tool cannot read')].join(', ')}, ` +
          `which is not a signing key of this app in Entra: whoever holds its private key can sign a SAMLResponse with any group ` +
          `and become admin without PIM`,
        fix,
      ),
    );
  }
  return out;
}
