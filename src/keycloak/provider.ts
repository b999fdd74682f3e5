/**
 * Which identity provider is the Entra one, and whether it can be trusted: enabled, the app's
 * client id, every endpoint pinned to this tenant, SAML signatures checked.
 */
import { finding, type Finding } from '../core/findings.js';
import { GUID } from '../core/ids.js';
import { javaTrue } from './java-boolean.js';
import { protocolOf } from './protocol.js';
import type { IdentityProvider } from './types.js';

/** Tenant-independent Entra endpoints: any Entra (or Microsoft) account can sign in through them. */
export const MULTI_TENANT_SEGMENTS = ['common', 'organizations', 'consumers'] as const;

const ENTRA_HOST =
  /^(login\.(microsoftonline\.(com|us)|partner\.microsoftonline\.cn|chinacloudapi\.cn|windows\.net|microsoft\.com)|sts\.(windows\.net|chinacloudapi\.cn))$/i;

/** What Entra knows about the app Keycloak signs in with. */
export interface EntraApp {
  tenantId?: string;
  appId?: string;
  /** Identifier URIs / service principal names: a SAML SP entity id must be one of them. */
  identifiers?: string[];
}

/** Host and first path segment (the tenant, for Entra endpoints) of a URL. */
export function tenantSegmentOf(url: string | undefined): { host: string; segment: string; entra: boolean } | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    const segment = decodeURIComponent(u.pathname.split('/').filter(Boolean)[0] ?? '');
    return { host: u.host.toLowerCase(), segment, entra: ENTRA_HOST.test(u.hostname) };
  } catch {
    return undefined;
  }
}

function looksLikeEntra(idp: IdentityProvider): boolean {
  if (idp.providerId === 'microsoft') return true;
  const c = idp.config ?? {};
  return [c.issuer, c.authorizationUrl, c.tokenUrl, c.jwksUrl, c.idpEntityId, c.singleSignOnServiceUrl].some(
    (u) => tenantSegmentOf(u)?.entra,
  );
}

function namesTenant(idp: IdentityProvider, tenantId: string | undefined): boolean {
  if (!tenantId) return false;
  const c = idp.config ?? {};
  return [c.idpEntityId, c.singleSignOnServiceUrl, c.issuer].some(
    (u) => tenantSegmentOf(u)?.segment.toLowerCase() === tenantId.toLowerCase(),
  );
}

const listProviders = (idps: IdentityProvider[]) => (idps.length ? idps.map((i) => `${i.alias} (${i.providerId})`).join(', ') : 'none');

/** The chosen provider and why, or the finding that explains why none could be chosen. */
export type IdpSelection = { idp: IdentityProvider; how: string } | { finding: Finding };

/**
 * The Entra identity provider: the one named by --keycloak-idp-alias, else the one whose client
 * id is the Entra app id (SAML: whose SP entity id is an identifier of the app and whose URLs name
 * the tenant), else the only provider pointing at Entra at all.
 */
export function selectIdentityProvider(idps: IdentityProvider[], alias: string | undefined, app: EntraApp, realm: string): IdpSelection {
  if (alias) {
    const idp = idps.find((i) => i.alias === alias);
    if (idp) return { idp, how: 'named by --keycloak-idp-alias' };
    return {
      finding: finding(
        'error',
        'KC_IDP_NOT_FOUND',
        `realm ${realm} has no identity provider with alias ${alias} (providers: ${listProviders(idps)})`,
        'pass --keycloak-idp-alias with the alias of the Entra provider',
      ),
    };
  }
  const appId = app.appId?.toLowerCase();
  const ids = new Set(app.identifiers ?? []);
  const matches = idps.filter((i) => {
    const c = i.config ?? {};
    if (appId && c.clientId?.toLowerCase() === appId) return true;
    if (i.providerId !== 'saml') return false;
    if (!namesTenant(i, app.tenantId)) return false;
    return ids.size === 0 || (c.entityId !== undefined && ids.has(c.entityId));
  });
  const pick = (list: IdentityProvider[], how: string): IdpSelection | undefined => {
    if (list.length === 1) return { idp: list[0], how };
    const enabled = list.filter((i) => i.enabled !== false);
    if (enabled.length === 1) return { idp: enabled[0], how: `${how} (the only enabled one)` };
    return undefined;
  };
  if (matches.length) {
    const chosen = pick(matches, appId ? `its client id is the Entra app id ${app.appId}` : 'it names the tenant');
    if (chosen) return chosen;
    return {
      finding: finding(
        'error',
        'KC_IDP_AMBIGUOUS',
        `${matches.length} identity providers in realm ${realm} match the Entra app: ${listProviders(matches)}`,
        'pass --keycloak-idp-alias with the one users sign in through',
      ),
    };
  }
  const entra = idps.filter(looksLikeEntra);
  const chosen = pick(entra, 'it is the only provider pointing at Entra');
  if (chosen) return chosen;
  if (entra.length > 1) {
    return {
      finding: finding(
        'error',
        'KC_IDP_AMBIGUOUS',
        `${entra.length} identity providers in realm ${realm} point at Entra and none uses the app id ${app.appId ?? '(unknown)'}: ${listProviders(entra)}`,
        'pass --keycloak-idp-alias',
      ),
    };
  }
  return {
    finding: finding(
      'error',
      'KC_IDP_NOT_FOUND',
      `no identity provider in realm ${realm} signs in with the Entra app ${app.appId ?? '(unknown app id)'} (providers: ${listProviders(idps)})`,
      `add an "OpenID Connect v1.0" provider with client id ${app.appId ?? '<app id>'} and issuer ` +
        `https://login.microsoftonline.com/${app.tenantId ?? '<tenant id>'}/v2.0, or pass --keycloak-idp-alias`,
    ),
  };
}

/**
 * Checks the provider itself: enabled, a protocol that can carry Entra's group and role claims,
 * every endpoint pinned to this tenant (not common/organizations/consumers), the right client id.
 */
export function checkIdentityProvider(idp: IdentityProvider, app: EntraApp): Finding[] {
  const out: Finding[] = [];
  const c = idp.config ?? {};
  const name = `identity provider ${idp.alias}`;
  if (idp.providerId === 'microsoft') {
    out.push(
      finding(
        'error',
        'KC_IDP_MICROSOFT_SOCIAL',
        `${name} is Keycloak's built-in "Microsoft" social provider: it signs in with plain OAuth2 and Graph /me, receives no ` +
          `ID-token group or role claims, and accepts no claim mappers, so it cannot map the Entra group`,
        `replace it with an "OpenID Connect v1.0" provider (issuer ` +
          `https://login.microsoftonline.com/${app.tenantId ?? '<tenant id>'}/v2.0, client id ${app.appId ?? '<app id>'}), then ` +
          `run with --fix-keycloak to add the mapper`,
      ),
    );
    return out;
  }
  const protocol = protocolOf(idp.providerId);
  if (!protocol) {
    out.push(
      finding(
        'error',
        'KC_IDP_UNSUPPORTED',
        `${name} is of type ${idp.providerId}, which has no claim-to-group mapper for Entra`,
        'use an "OpenID Connect v1.0" (oidc) or "SAML v2.0" provider for Entra',
      ),
    );
    return out;
  }
  if (idp.enabled === false)
    out.push(
      finding(
        'error',
        'KC_IDP_DISABLED',
        `${name} is disabled, so nobody signs in through it and the mapping is never applied`,
        'enable it in the admin console',
      ),
    );

  if (protocol === 'oidc' && app.appId && (c.clientId ?? '').toLowerCase() !== app.appId.toLowerCase()) {
    out.push(
      finding(
        'error',
        'KC_IDP_CLIENT_MISMATCH',
        `${name} uses client id ${c.clientId ?? '(none)'}, not the Entra app ${app.appId}`,
        `set its Client ID to ${app.appId}`,
      ),
    );
  }
  if (protocol === 'saml' && app.identifiers?.length && c.entityId && !app.identifiers.includes(c.entityId)) {
    out.push(
      finding(
        'warning',
        'KC_IDP_ENTITY_MISMATCH',
        `${name} uses SP entity id ${c.entityId}, which is not an identifier of the Entra app (${app.identifiers.join(', ')})`,
        'make the Keycloak SP entity id and the Entra app identifier the same',
      ),
    );
  }

  const fields: Array<[string, string | undefined]> =
    protocol === 'oidc'
      ? [
          ['issuer', c.issuer],
          ['authorizationUrl', c.authorizationUrl],
          ['tokenUrl', c.tokenUrl],
          ['jwksUrl', c.jwksUrl],
        ]
      : [
          ['idpEntityId', c.idpEntityId],
          ['singleSignOnServiceUrl', c.singleSignOnServiceUrl],
          // The metadata the signing keys come from must be this tenant's too, or its keys sign nothing Entra sent.
          ['metadataDescriptorUrl', javaTrue(c.useMetadataDescriptorUrl) ? c.metadataDescriptorUrl : undefined],
        ];
  out.push(...checkTenantUrls(name, fields, app.tenantId));
  if (protocol === 'saml') out.push(...samlSignatureFindings(idp, app));
  if (protocol === 'oidc' && !c.issuer) {
    out.push(
      finding(
        'warning',
        'KC_IDP_ISSUER_MISSING',
        `${name} has no issuer, so Keycloak does not check which tenant issued the ID token`,
        `set Issuer to https://login.microsoftonline.com/${app.tenantId ?? '<tenant id>'}/v2.0`,
      ),
    );
  }
  return out;
}

/**
 * A SAML provider must check the signature of what is posted to its broker endpoint against a
 * key it trusts. Keycloak verifies signatures only when `validateSignature` is true
 * (SAMLEndpoint: `config.isValidateSignature()`), which the REST API, Terraform and the admin
 * console store as absent or "false" unless the settings were imported from metadata; without
 * it an unsigned, forged SAMLResponse carrying the group's value signs anyone in with the group.
 * `wantAssertionsSigned` only demands that a signature element be present. The keys come from
 * `signingCertificate` (comma-separated) or, with `useMetadataDescriptorUrl`, from the metadata
 * at `metadataDescriptorUrl`; with neither there is no key to check a signature with.
 */
export function samlSignatureFindings(idp: IdentityProvider, app: EntraApp = {}): Finding[] {
  const c = idp.config ?? {};
  const name = `identity provider ${idp.alias}`;
  const metadataUrl =
    `https://login.microsoftonline.com/${app.tenantId ?? '<tenant id>'}/federationmetadata/2007-06/federationmetadata.xml` +
    `?appid=${app.appId ?? '<app id>'}`;
  const howToFix =
    `turn on "Validate signatures" and either paste the app's SAML signing certificate from Entra (Single sign-on → SAML ` +
    `Certificates) into "Validating X509 certificates", or turn on "Use metadata descriptor URL" with ${metadataUrl}`;
  if (!javaTrue(c.validateSignature)) {
    const shown = c.validateSignature === undefined ? 'not set' : `"${c.validateSignature}"`;
    const assertions = javaTrue(c.wantAssertionsSigned)
      ? '; wantAssertionsSigned only requires a signature element to be present, not that it verifies'
      : '';
    return [
      finding(
        'error',
        'KC_IDP_SAML_UNSIGNED',
        `${name} does not validate SAML signatures (validateSignature ${shown})${assertions}: Keycloak accepts an unsigned or ` +
          `forged SAMLResponse posted to its broker endpoint, so anyone can claim the Entra group and get the admin rights without PIM`,
        howToFix,
      ),
    ];
  }
  const certs = (c.signingCertificate ?? '').split(',').filter((s) => s.trim() !== '');
  const metadata = javaTrue(c.useMetadataDescriptorUrl) && (c.metadataDescriptorUrl ?? '').trim() !== '';
  if (certs.length === 0 && !metadata) {
    return [
      finding(
        'error',
        'KC_IDP_SAML_NO_KEY',
        `${name} validates SAML signatures but has no key to check them with (no signingCertificate, no metadata descriptor ` +
          `URL): no signature from Entra can be verified`,
        howToFix,
      ),
    ];
  }
  return [];
}

function checkTenantUrls(name: string, fields: Array<[string, string | undefined]>, tenantId: string | undefined): Finding[] {
  const multi: string[] = [];
  const other: string[] = [];
  const unverified: string[] = [];
  for (const [field, url] of fields) {
    if (!url) continue;
    const t = tenantSegmentOf(url);
    if (!t || !t.entra) {
      unverified.push(`${field} ${url}`);
      continue;
    }
    const segment = t.segment.toLowerCase();
    if ((MULTI_TENANT_SEGMENTS as readonly string[]).includes(segment)) multi.push(`${field} ${url}`);
    else if (!tenantId) continue;
    else if (segment === tenantId.toLowerCase()) continue;
    else if (GUID.test(segment)) other.push(`${field} ${url}`);
    else unverified.push(`${field} ${url}`);
  }
  const out: Finding[] = [];
  const pinned = `https://login.microsoftonline.com/${tenantId ?? '<tenant id>'}/…`;
  if (multi.length) {
    out.push(
      finding(
        'error',
        'KC_IDP_MULTI_TENANT',
        `${name} uses a multi-tenant Entra endpoint (${multi.join('; ')}): accounts from other tenants can sign in through it`,
        `use the tenant-specific endpoints ${pinned} (issuer https://login.microsoftonline.com/${tenantId ?? '<tenant id>'}/v2.0)`,
      ),
    );
  }
  if (other.length) {
    out.push(
      finding(
        'error',
        'KC_IDP_TENANT_MISMATCH',
        `${name} points at another tenant, not ${tenantId}: ${other.join('; ')}`,
        `use the endpoints of tenant ${tenantId}: ${pinned}`,
      ),
    );
  }
  if (unverified.length) {
    out.push(
      finding(
        'warning',
        'KC_IDP_TENANT_UNVERIFIED',
        `${name}: cannot confirm that these name tenant ${tenantId ?? '(unknown)'}: ${unverified.join('; ')}`,
        `use the Entra endpoints with the tenant id: ${pinned}`,
      ),
    );
  }
  return out;
}

/**
 * Why a provider cannot vouch for the PIM group: its tokens do not provably come from this
 * tenant, or (SAML) nobody checks their signature, so anyone can send the group's id (see samlSignatureFindings).
 */
export function untrustedEntraProvider(idp: IdentityProvider, app: EntraApp): string | undefined {
  const protocol = protocolOf(idp.providerId);
  if (!protocol) return `it is of type ${idp.providerId}`;
  // A disabled provider signs nobody in; it is judged as if enabled, for the day it is.
  const problems = checkIdentityProvider(idp, app).filter(
    (f) => f.code !== 'KC_IDP_DISABLED' && (f.severity === 'error' || f.code === 'KC_IDP_TENANT_UNVERIFIED'),
  );
  if (problems.length) return problems.map((f) => f.message).join('; ');
  if (!app.tenantId || !looksLikeEntra(idp)) return 'it does not point at this Entra tenant';
  // SAML signature validation is part of checkIdentityProvider's errors (samlSignatureFindings).
  return undefined;
}
