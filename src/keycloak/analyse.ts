/**
 * Pure analysis of what the Keycloak step read: which identity provider is the Entra one, whether
 * its mapper really turns the PIM group (or app role) into the Keycloak admin group and removes
 * it again (sync mode FORCE), how long sessions outlive an activation, and who holds the group
 * now. No I/O: the step reads, these functions judge.
 */
import { createHash } from 'node:crypto';
import { isMemberAccess } from '../graph/enums.js';
import { humanDuration } from '../core/duration.js';
import type { Action } from '../plan/types.js';
import { finding, type Finding, type Severity } from '../core/findings.js';
import { GUID } from '../core/ids.js';
import { keycloakWrite } from './requests.js';
import type { FederatedIdentity, IdentityProvider, IdpMapper, KcComponent, KcCredential, KcMapperOwner, KcUser, KeycloakConfig, MapperTypes, RealmInfo } from './types.js';
import type { GroupClaimFormat } from '../steps/group-claim.js';

/** The SAML attribute Entra puts group object ids in. */
export const SAML_GROUPS_ATTRIBUTE = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups';
/** The SAML attribute Entra puts app role values in. */
export const SAML_ROLE_ATTRIBUTE = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role';
/** The SAML attribute holding the user's Entra object id. */
export const SAML_OBJECT_ID_ATTRIBUTE = 'http://schemas.microsoft.com/identity/claims/objectidentifier';
/** Tenant-independent Entra endpoints: any Entra (or Microsoft) account can sign in through them. */
export const MULTI_TENANT_SEGMENTS = ['common', 'organizations', 'consumers'] as const;

const ENTRA_HOST = /^(login\.(microsoftonline\.(com|us)|partner\.microsoftonline\.cn|chinacloudapi\.cn|windows\.net|microsoft\.com)|sts\.(windows\.net|chinacloudapi\.cn))$/i;

export type Protocol = 'oidc' | 'saml';

/** `oidc` and `keycloak-oidc` accept the OIDC claim mappers; `saml` the SAML ones; nothing else can map Entra claims. */
export function protocolOf(providerId: string | undefined): Protocol | undefined {
  if (providerId === 'oidc' || providerId === 'keycloak-oidc') return 'oidc';
  if (providerId === 'saml') return 'saml';
  return undefined;
}

/** `/a/b` form of a group path (Keycloak accepts it with or without the leading slash). */
export function normaliseGroupPath(path: string | undefined): string {
  const p = (path ?? '').trim().replace(/\/+$/, '');
  return p.startsWith('/') ? p : `/${p}`;
}

// ---- identity provider ---------------------------------------------------------------------

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
  return [c.issuer, c.authorizationUrl, c.tokenUrl, c.jwksUrl, c.idpEntityId, c.singleSignOnServiceUrl].some((u) => tenantSegmentOf(u)?.entra);
}

function namesTenant(idp: IdentityProvider, tenantId: string | undefined): boolean {
  if (!tenantId) return false;
  const c = idp.config ?? {};
  return [c.idpEntityId, c.singleSignOnServiceUrl, c.issuer].some((u) => tenantSegmentOf(u)?.segment.toLowerCase() === tenantId.toLowerCase());
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
      finding: finding('error', 'KC_IDP_NOT_FOUND', `realm ${realm} has no identity provider with alias ${alias} (providers: ${listProviders(idps)})`, 'pass --keycloak-idp-alias with the alias of the Entra provider'),
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
      finding: finding('error', 'KC_IDP_AMBIGUOUS', `${entra.length} identity providers in realm ${realm} point at Entra and none uses the app id ${app.appId ?? '(unknown)'}: ${listProviders(entra)}`, 'pass --keycloak-idp-alias'),
    };
  }
  return {
    finding: finding(
      'error',
      'KC_IDP_NOT_FOUND',
      `no identity provider in realm ${realm} signs in with the Entra app ${app.appId ?? '(unknown app id)'} (providers: ${listProviders(idps)})`,
      `add an "OpenID Connect v1.0" provider with client id ${app.appId ?? '<app id>'} and issuer https://login.microsoftonline.com/${app.tenantId ?? '<tenant id>'}/v2.0, or pass --keycloak-idp-alias`,
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
        `${name} is Keycloak's built-in "Microsoft" social provider: it signs in with plain OAuth2 and Graph /me, receives no ID-token group or role claims, and accepts no claim mappers, so it cannot map the Entra group`,
        `replace it with an "OpenID Connect v1.0" provider (issuer https://login.microsoftonline.com/${app.tenantId ?? '<tenant id>'}/v2.0, client id ${app.appId ?? '<app id>'}), then run with --fix-keycloak to add the mapper`,
      ),
    );
    return out;
  }
  const protocol = protocolOf(idp.providerId);
  if (!protocol) {
    out.push(finding('error', 'KC_IDP_UNSUPPORTED', `${name} is of type ${idp.providerId}, which has no claim-to-group mapper for Entra`, 'use an "OpenID Connect v1.0" (oidc) or "SAML v2.0" provider for Entra'));
    return out;
  }
  if (idp.enabled === false) out.push(finding('error', 'KC_IDP_DISABLED', `${name} is disabled, so nobody signs in through it and the mapping is never applied`, 'enable it in the admin console'));

  if (protocol === 'oidc' && app.appId && (c.clientId ?? '').toLowerCase() !== app.appId.toLowerCase()) {
    out.push(finding('error', 'KC_IDP_CLIENT_MISMATCH', `${name} uses client id ${c.clientId ?? '(none)'}, not the Entra app ${app.appId}`, `set its Client ID to ${app.appId}`));
  }
  if (protocol === 'saml' && app.identifiers?.length && c.entityId && !app.identifiers.includes(c.entityId)) {
    out.push(finding('warning', 'KC_IDP_ENTITY_MISMATCH', `${name} uses SP entity id ${c.entityId}, which is not an identifier of the Entra app (${app.identifiers.join(', ')})`, 'make the Keycloak SP entity id and the Entra app identifier the same'));
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
      finding('warning', 'KC_IDP_ISSUER_MISSING', `${name} has no issuer, so Keycloak does not check which tenant issued the ID token`, `set Issuer to https://login.microsoftonline.com/${app.tenantId ?? '<tenant id>'}/v2.0`),
    );
  }
  return out;
}

/**
 * Java's `Boolean.valueOf(String)` / `Boolean.parseBoolean`, as Keycloak reads its config flags:
 * true only for "true" in any case, and nothing trimmed (" true" is false to Keycloak).
 */
export const javaTrue = (v: string | undefined) => (v ?? '').toLowerCase() === 'true';

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
  const metadataUrl = `https://login.microsoftonline.com/${app.tenantId ?? '<tenant id>'}/federationmetadata/2007-06/federationmetadata.xml?appid=${app.appId ?? '<app id>'}`;
  const howToFix = `turn on "Validate signatures" and either paste the app's SAML signing certificate from Entra (Single sign-on → SAML Certificates) into "Validating X509 certificates", or turn on "Use metadata descriptor URL" with ${metadataUrl}`;
  if (!javaTrue(c.validateSignature)) {
    const shown = c.validateSignature === undefined ? 'not set' : `"${c.validateSignature}"`;
    const assertions = javaTrue(c.wantAssertionsSigned) ? '; wantAssertionsSigned only requires a signature element to be present, not that it verifies' : '';
    return [
      finding(
        'error',
        'KC_IDP_SAML_UNSIGNED',
        `${name} does not validate SAML signatures (validateSignature ${shown})${assertions}: Keycloak accepts an unsigned or forged SAMLResponse posted to its broker endpoint, so anyone can claim the Entra group and get the admin rights without PIM`,
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
        `${name} validates SAML signatures but has no key to check them with (no signingCertificate, no metadata descriptor URL): no signature from Entra can be verified`,
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
    out.push(finding('error', 'KC_IDP_TENANT_MISMATCH', `${name} points at another tenant, not ${tenantId}: ${other.join('; ')}`, `use the endpoints of tenant ${tenantId}: ${pinned}`));
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

// ---- mappers -------------------------------------------------------------------------------

interface MapperKind {
  type: string;
  protocol: Protocol;
  target: 'group' | 'role';
  /** `list`: a JSON list of {key,value} conditions; `single`: one claim name and value. */
  style: 'list' | 'single';
  listKey?: string;
  regexKey?: string;
  claimKey?: string;
  valueKey?: string;
  label: string;
}

const MAPPER_KINDS: MapperKind[] = [
  { type: 'oidc-advanced-group-idp-mapper', protocol: 'oidc', target: 'group', style: 'list', listKey: 'claims', regexKey: 'are.claim.values.regex', label: 'Advanced Claim to Group' },
  { type: 'saml-advanced-group-idp-mapper', protocol: 'saml', target: 'group', style: 'list', listKey: 'attributes', regexKey: 'are.attribute.values.regex', label: 'Advanced Attribute to Group' },
  { type: 'oidc-advanced-role-idp-mapper', protocol: 'oidc', target: 'role', style: 'list', listKey: 'claims', regexKey: 'are.claim.values.regex', label: 'Advanced Claim to Role' },
  { type: 'saml-advanced-role-idp-mapper', protocol: 'saml', target: 'role', style: 'list', listKey: 'attributes', regexKey: 'are.attribute.values.regex', label: 'Advanced Attribute to Role' },
  { type: 'oidc-role-idp-mapper', protocol: 'oidc', target: 'role', style: 'single', claimKey: 'claim', valueKey: 'claim.value', label: 'Claim to Role' },
  { type: 'saml-role-idp-mapper', protocol: 'saml', target: 'role', style: 'single', claimKey: 'attribute.name', valueKey: 'attribute.value', label: 'SAML Attribute to Role' },
];

/** Mappers that assign their group or role to everyone who signs in through the provider. */
const HARDCODED: Record<string, 'group' | 'role'> = { 'oidc-hardcoded-group-idp-mapper': 'group', 'oidc-hardcoded-role-idp-mapper': 'role' };

/** The mapper type this tool creates for a protocol and target kind. */
export function desiredMapperType(protocol: Protocol, target: 'group' | 'role'): string {
  return MAPPER_KINDS.find((k) => k.protocol === protocol && k.target === target && k.style === 'list')!.type;
}

/** What the mapper must do. */
export interface MappingExpectation {
  protocol: Protocol;
  alias: string;
  /** Group path (normalised) or role (`name` or `clientId.name`). */
  target: { kind: 'group' | 'role'; value: string };
  /** The claim or SAML attribute that must match; undefined when the Entra facts are missing. */
  claim?: {
    key: string;
    value: string;
    /** The Entra group's display name, to recognise a mapper keyed on it. */
    displayName?: string;
    /** `group`: a value of the Entra group (see valueKind); `app-role`: an app role value. */
    source: 'group' | 'app-role';
    /** The Entra group's object id, to recognise a mapper keyed on it when the app emits names. */
    groupId?: string;
    /** What the app emits for the group: its object id (also when unknown) or its display name (cloud_displayname). */
    valueKind?: 'object-id' | 'display-name';
    /** The app registration settings the format comes from, for messages; undefined when not read. */
    format?: string;
    /** What else the claim can carry, against which a regex condition must not match; undefined: unknown. */
    others?: OtherClaimValues;
  };
  /** The provider's own syncMode (for INHERIT). */
  idpSyncMode?: string;
  /** A `tid` condition equal to this tenant only narrows the mapper to the tenant: welcome, not a problem. */
  tenantId?: string;
}

/**
 * The claim (OIDC) or attribute (SAML) carrying the group or app role value. In group mode the
 * app's claim format decides: the object id by default, the display name with cloud_displayname,
 * the roles claim with emit_as_roles. Without a format (app registration not read) object ids are
 * assumed. Undefined when there is nothing a mapper could match.
 */
export function expectedClaim(
  protocol: Protocol,
  o: { appRoleMode: boolean; groupId?: string; groupName?: string; appRoleValue?: string; groupClaim?: GroupClaimFormat },
): MappingExpectation['claim'] {
  if (o.appRoleMode) {
    if (!o.appRoleValue) return undefined;
    return { key: protocol === 'oidc' ? 'roles' : SAML_ROLE_ATTRIBUTE, value: o.appRoleValue, source: 'app-role' };
  }
  if (!o.groupId) return undefined;
  const f = o.groupClaim;
  const inRoles = f?.claim === 'roles';
  const key = protocol === 'oidc' ? (inRoles ? 'roles' : 'groups') : inRoles ? SAML_ROLE_ATTRIBUTE : SAML_GROUPS_ATTRIBUTE;
  const base = { key, displayName: o.groupName, source: 'group' as const, groupId: o.groupId, ...(f ? { format: f.source } : {}) };
  if (!f || f.valueKind === 'object-id') return { ...base, value: o.groupId, valueKind: 'object-id' };
  if (f.valueKind === 'display-name' && o.groupName) return { ...base, value: o.groupName, valueKind: 'display-name' };
  return undefined;
}

/**
 * Fails closed when the app's format leaves nothing that identifies the group (a cloud-only group
 * under a sAMAccountName format, no groups claim, or on-premises names this tool does not read):
 * no mapper can then be right.
 */
export function groupValueMissing(protocol: Protocol, group: { displayName?: string | null; id: string }, f: GroupClaimFormat): Finding | undefined {
  if (f.valueKind !== 'absent' && f.valueKind !== 'on-premises-name') return undefined;
  const why = !f.emitted ? 'the app emits no groups claim' : f.valueKind === 'absent' ? 'the group is left out of the claim' : `on-premises names (${f.onPremisesFormat}) are not read by this tool`;
  return finding(
    'error',
    'KC_CLAIM_NO_GROUP_VALUE',
    `the ${protocol === 'saml' ? 'SAML assertion' : 'ID token'} carries no value for group ${group.displayName ?? group.id} that a mapper could match (${why}; ${f.source}), so no mapper can grant it`,
    'fix the groups claim of the app registration (see the prerequisites step), or use --app-role',
  );
}

/** What the expected value is, for messages: `object id of Entra group X`. */
function meaning(c: NonNullable<MappingExpectation['claim']>): string {
  if (c.source === 'app-role') return 'the app role value';
  const group = `Entra group${c.displayName && c.valueKind !== 'display-name' ? ` ${c.displayName}` : ''}`;
  return c.valueKind === 'display-name' ? `the display name of the ${group}, which the app emits (cloud_displayname)` : `the object id of the ${group}`;
}

/** Why a mapper matching the group's display name is a risk, and what is safer. */
function nameNotUnique(label: string, c: NonNullable<MappingExpectation['claim']>, target: string): Finding {
  return finding(
    'warning',
    'KC_MAPPER_GROUP_NAME_NOT_UNIQUE',
    `${label} matches ${c.key}=${c.value}, a group display name; this works because the app emits display names (cloud_displayname), but names are not unique: any other group assigned to the app that is named or renamed "${c.value}" also grants ${target}`,
    `prefer object ids: remove cloud_displayname from the app's groups claim (Token configuration), then run with --fix-keycloak to match ${c.groupId ?? 'the object id'}; or use --app-role`,
  );
}

/** The sync mode in force; INVALID when Keycloak would not recognise the configured value. */
export type EffectiveSyncMode = 'FORCE' | 'IMPORT' | 'LEGACY' | 'INVALID';

/**
 * The sync mode Keycloak applies to a mapper: its own `syncMode`, or the provider's when it is
 * INHERIT. A missing key is LEGACY, not INHERIT (IdentityProviderMapperSyncModeDelegate); so is
 * a provider without syncMode. Values are case-sensitive enum names on the server.
 */
export function effectiveSyncMode(mapperSyncMode: string | undefined, idpSyncMode: string | undefined): { mode: EffectiveSyncMode; why: string } {
  const known = (v: string): v is 'FORCE' | 'IMPORT' | 'LEGACY' => v === 'FORCE' || v === 'IMPORT' || v === 'LEGACY';
  if (!mapperSyncMode) return { mode: 'LEGACY', why: 'no syncMode set, which Keycloak treats as LEGACY' };
  if (mapperSyncMode === 'INHERIT') {
    if (!idpSyncMode) return { mode: 'LEGACY', why: 'INHERIT from the provider, which has no syncMode' };
    if (known(idpSyncMode)) return { mode: idpSyncMode, why: `INHERIT from the provider, which is on ${idpSyncMode}` };
    return { mode: 'INVALID', why: `the mapper inherits the provider's sync mode "${idpSyncMode}", which Keycloak does not know` };
  }
  if (known(mapperSyncMode)) return { mode: mapperSyncMode, why: `set on the mapper` };
  return { mode: 'INVALID', why: `the mapper's sync mode "${mapperSyncMode}" is not one Keycloak knows` };
}

/** One `{key, value}` entry of an advanced mapper's claims or attributes. */
export interface Condition {
  key: string;
  value: string;
}

/** Parses a `claims`/`attributes` config value: a JSON string holding a list of {key, value}. */
export function parseConditions(json: string | undefined): { conditions: Condition[] } | { error: string } {
  if (json === undefined || json.trim() === '') return { conditions: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return { error: 'is not valid JSON' };
  }
  if (!Array.isArray(parsed)) return { error: 'is not a JSON list' };
  const conditions: Condition[] = [];
  for (const item of parsed) {
    if (!item || typeof item !== 'object' || typeof (item as { key?: unknown }).key !== 'string') return { error: 'has an entry without a key' };
    const v = (item as { value?: unknown }).value;
    conditions.push({ key: (item as { key: string }).key, value: typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v) });
  }
  return { conditions };
}

/** A Java regular expression translated to JavaScript, or why it cannot be faithfully. */
export type JavaRegex = { re: RegExp; caseInsensitive: boolean; literal?: string; asciiPattern: boolean } | { error: string };

const HEX = /^[0-9a-fA-F]$/;

/**
 * Translates the subset of Java regex syntax whose meaning JavaScript's RegExp (without the `u`
 * flag) shares, anchored for a whole-string match: Keycloak compares claim values with Java's
 * `String.matches` (RegexUtils.valueMatchesRegex, used by AdvancedClaimToGroupMapper and
 * AdvancedAttributeToGroupMapper), which must match the entire value. A leading `(?i)` becomes the
 * `i` flag. Anything else Java reads differently (other inline flags, possessive quantifiers,
 * atomic groups, class unions and intersections, `\p{…}`, `\Q…\E` inside classes, back
 * references, `\s`, `\b`, a `{` that is not a quantifier …) is refused: the caller must then fail
 * closed. `literal` is set when the pattern matches one string only (up to case with `(?i)`).
 */
export function translateJavaRegex(pattern: string): JavaRegex {
  let src = pattern;
  let caseInsensitive = false;
  if (src.startsWith('(?i)')) {
    caseInsensitive = true;
    src = src.slice(4);
  }
  let out = '';
  let literal: string | undefined = '';
  const notLiteral = () => {
    literal = undefined;
  };
  const refuse = (what: string): JavaRegex => ({ error: `${what} (Java and JavaScript read it differently, or this tool does not translate it)` });
  let inClass = false;
  let classStart = -1;
  // Whether the previous token can take a quantifier, and whether a quantifier was just written.
  let atom = false;
  let quantified = false;
  let depth = 0;
  for (let i = 0; i < src.length; i++) {
    const ch = src[i];
    if (ch === '\\') {
      const next = src[i + 1];
      if (next === undefined) return refuse('a trailing backslash');
      if (next === 'Q') {
        if (inClass) return refuse('\\Q inside a character class');
        const end = src.indexOf('\\E', i + 2);
        const quoted = end < 0 ? src.slice(i + 2) : src.slice(i + 2, end);
        if (quoted.length === 0) {
          i = end < 0 ? src.length : end + 1;
          continue;
        }
        // Escaped one by one, not grouped: a quantifier after \E repeats the last character only.
        out += quoted.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
        if (literal !== undefined) literal += quoted;
        i = end < 0 ? src.length : end + 1;
        atom = true;
        quantified = false;
        continue;
      }
      if ('dDwW'.includes(next)) {
        out += `\\${next}`;
        notLiteral();
        i++;
        atom = !inClass;
        quantified = false;
        continue;
      }
      const simple: Record<string, string> = { t: '\t', n: '\n', r: '\r', f: '\f' };
      if (simple[next] !== undefined) {
        out += `\\${next}`;
        if (literal !== undefined) literal += simple[next];
        i++;
        atom = !inClass;
        quantified = false;
        continue;
      }
      if (next === 'x' || next === 'u') {
        const len = next === 'x' ? 2 : 4;
        const digits = src.slice(i + 2, i + 2 + len);
        if (digits.length !== len || ![...digits].every((d) => HEX.test(d))) return refuse(`\\${next} not followed by ${len} hex digits`);
        out += `\\${next}${digits}`;
        if (literal !== undefined) literal += String.fromCharCode(parseInt(digits, 16));
        i += 1 + len;
        atom = !inClass;
        quantified = false;
        continue;
      }
      if (/[A-Za-z0-9]/.test(next)) return refuse(`the escape \\${next}`);
      // An escaped non-alphanumeric character is that character in both.
      out += `\\${next}`;
      if (literal !== undefined) literal += next;
      i++;
      atom = !inClass;
      quantified = false;
      continue;
    }
    if (inClass) {
      if (ch === '[') return refuse('a "[" inside a character class (a union in Java)');
      if (ch === '&' && src[i + 1] === '&') return refuse('"&&" inside a character class (an intersection in Java)');
      if (ch === ']') {
        if (i === classStart) return refuse('an empty or "]"-first character class');
        inClass = false;
        out += ']';
        atom = true;
        quantified = false;
        continue;
      }
      out += ch;
      continue;
    }
    if (ch === '[') {
      inClass = true;
      notLiteral();
      out += '[';
      if (src[i + 1] === '^') {
        out += '^';
        i++;
      }
      classStart = i + 1;
      continue;
    }
    if (ch === '(') {
      notLiteral();
      if (src[i + 1] === '?') {
        const kind = src.slice(i + 2, i + 3);
        if (kind !== ':' && kind !== '=' && kind !== '!') return refuse(`the group "(?${kind}"`);
        out += `(?${kind}`;
        i += 2;
      } else {
        out += '(';
      }
      depth++;
      atom = false;
      quantified = false;
      continue;
    }
    if (ch === ')') {
      if (depth === 0) return refuse('an unbalanced ")"');
      depth--;
      out += ')';
      atom = true;
      quantified = false;
      continue;
    }
    if (ch === '*' || ch === '+' || ch === '?' || ch === '{') {
      let q = ch;
      if (ch === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(i));
        if (!m) return refuse('a "{" that is not a quantifier');
        q = m[0];
      }
      if (quantified) {
        // `x*?` is lazy in both; `x*+` is possessive in Java only.
        if (ch === '?') {
          out += '?';
          quantified = false;
          atom = false;
          continue;
        }
        return refuse(ch === '+' ? 'a possessive quantifier' : 'a repeated quantifier');
      }
      if (!atom) return refuse(`a quantifier "${q}" with nothing to repeat`);
      out += q;
      i += q.length - 1;
      notLiteral();
      quantified = true;
      atom = false;
      continue;
    }
    if (ch === '|' || ch === '.') {
      notLiteral();
      out += ch;
      atom = ch === '.';
      quantified = false;
      continue;
    }
    if (ch === '^' || ch === '$') {
      // Anchors change nothing in a whole-string match; in a literal they may only stand at the ends.
      if ((ch === '^' && i !== 0) || (ch === '$' && i !== src.length - 1)) notLiteral();
      out += ch;
      atom = false;
      quantified = false;
      continue;
    }
    out += ch;
    if (literal !== undefined) literal += ch;
    atom = true;
    quantified = false;
  }
  if (inClass) return refuse('an unclosed character class');
  if (depth !== 0) return refuse('an unclosed group');
  try {
    // Every character the pattern names is ASCII (written or escaped): case folding then touches
    // ASCII letters only, in Java's (?i) and in JavaScript's `i` alike (javaMatches).
    const asciiPattern = /^[\x00-\x7f]*$/.test(pattern) && ![...pattern.matchAll(/\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4}))/g)].some((m) => parseInt(m[1] ?? m[2], 16) > 0x7f);
    return { re: new RegExp(`^(?:${out})$`, caseInsensitive ? 'i' : ''), caseInsensitive, asciiPattern, ...(literal !== undefined ? { literal } : {}) };
  } catch (err) {
    return refuse(`a pattern JavaScript cannot compile (${(err as Error).message})`);
  }
}

/** Values whose matching JavaScript and Java could disagree on: line terminators (`.`), surrogate pairs (code points vs units). */
const UNSAFE_VALUE = /[\n\r\u0085\u2028\u2029\ud800-\udfff]/;

/** Java's `String.matches(regex)` for a translated pattern; undefined when the two could disagree on `value`. */
function javaMatches(j: Extract<JavaRegex, { re: RegExp }>, value: string): boolean | undefined {
  if (UNSAFE_VALUE.test(value)) return undefined;
  // Java's (?i) folds ASCII letters only; JavaScript's `i` folds other letters too. The two can
  // differ only where the pattern names a non-ASCII character: a non-ASCII value character can
  // then fold onto it in JavaScript and not in Java. (Without the u flag JavaScript never folds a
  // non-ASCII character onto an ASCII one, so an ASCII-only pattern reads every value alike.)
  if (j.caseInsensitive && !j.asciiPattern && /[^\x00-\x7f]/.test(value)) return undefined;
  return j.re.test(value);
}

/** Java's whole-string match of `pattern` against `value`; undefined when it cannot be evaluated faithfully. */
function fullMatch(pattern: string, value: string): boolean | undefined {
  const j = translateJavaRegex(pattern);
  return 'error' in j ? undefined : javaMatches(j, value);
}

/** What the claim can carry besides the expected value: a list, or why it is unknown. */
export type OtherClaimValues = { values: string[]; what: string } | { unknown: string };

/** How one regex condition on the expected claim behaves. */
export type RegexVerdict =
  /** `literal`: matches one value only; `assigned`: matches none of the other values the claim can carry today. */
  | { verdict: 'exact'; proof?: 'literal' | 'assigned' }
  | { verdict: 'no-match' }
  | { verdict: 'too-broad'; also: string; what: string }
  | { verdict: 'unprovable'; why: string }
  | { verdict: 'cannot-evaluate'; why: string };

/**
 * Judges a regex condition as Keycloak applies it (Java `String.matches` on each value of the
 * claim; any value matching satisfies the condition): exact when it matches the expected value and
 * none of the other values the token can carry. A plain literal of an object id (also under
 * `(?i)`: another group's id is never a case variant of it) needs no list of the others.
 */
export function judgeRegexCondition(pattern: string, want: string, others: OtherClaimValues | undefined): RegexVerdict {
  const j = translateJavaRegex(pattern);
  if ('error' in j) return { verdict: 'cannot-evaluate', why: j.error };
  const hit = javaMatches(j, want);
  if (hit === undefined) return { verdict: 'cannot-evaluate', why: `the expected value ${want} holds characters Java and JavaScript match differently` };
  if (!hit) return { verdict: 'no-match' };
  if (j.literal !== undefined && (!j.caseInsensitive || GUID.test(want))) return { verdict: 'exact', proof: 'literal' };
  if (!others || 'unknown' in others) return { verdict: 'unprovable', why: others && 'unknown' in others ? others.unknown : 'the other values the token can carry are unknown' };
  for (const o of others.values) {
    const m = javaMatches(j, o);
    if (m === undefined) return { verdict: 'cannot-evaluate', why: `${o} holds characters Java and JavaScript match differently` };
    if (m) return { verdict: 'too-broad', also: o, what: others.what };
  }
  return { verdict: 'exact', proof: 'assigned' };
}

/**
 * The values the expected claim can carry besides the expected one. Group values: with
 * groupMembershipClaims ApplicationGroup only the groups assigned to the app (Learn
 * "Configure group claims for applications"), so their ids (and, with cloud_displayname, names);
 * every group of the user otherwise, which this tool cannot list. App roles: the app's role values.
 */
export function otherClaimValues(
  claim: NonNullable<MappingExpectation['claim']>,
  o: { groupClaim?: GroupClaimFormat; appGroups?: Array<{ id: string; displayName?: string | null }>; appRoles?: Array<{ value?: string | null }> },
): OtherClaimValues {
  const f = o.groupClaim;
  if (claim.source === 'app-role') {
    if (f?.emitted && f.claim === 'roles') return { unknown: `the app puts group values in the roles claim (emit_as_roles, ${f.source})` };
    if (!o.appRoles) return { unknown: 'the app roles of the app were not read' };
    return { values: o.appRoles.map((r) => r.value).filter((v): v is string => !!v && v !== claim.value), what: 'another app role value of the app' };
  }
  if (!f) return { unknown: 'the app registration was not read, so it is unknown which groups the token carries' };
  if (!f.applicationGroupsOnly) return { unknown: `the app emits every group of the user (${f.source}), not only the groups assigned to it` };
  if (!o.appGroups) return { unknown: 'the groups assigned to the app were not read' };
  const others = o.appGroups.filter((g) => g.id.toLowerCase() !== (claim.groupId ?? claim.value).toLowerCase());
  if (claim.valueKind !== 'display-name') return { values: others.map((g) => g.id), what: 'the object id of another group assigned to the app' };
  if (others.some((g) => !g.displayName)) return { unknown: 'a group assigned to the app has no display name in what was read' };
  return { values: others.flatMap((g) => [g.displayName!, g.id]), what: 'the name or id of another group assigned to the app' };
}

function kindOf(m: IdpMapper): MapperKind | undefined {
  return MAPPER_KINDS.find((k) => k.type === m.identityProviderMapper);
}

function targetOf(m: IdpMapper, kind: 'group' | 'role'): string | undefined {
  const v = m.config?.[kind];
  if (!v) return undefined;
  return kind === 'group' ? normaliseGroupPath(v) : v;
}

function conditionsOf(m: IdpMapper, kind: MapperKind): { conditions: Condition[]; regex: boolean } | { error: string } {
  const c = m.config ?? {};
  if (kind.style === 'single') {
    const key = c[kind.claimKey!] || (kind.protocol === 'saml' ? c['attribute.friendly.name'] : undefined) || '';
    return { conditions: key ? [{ key, value: c[kind.valueKey!] ?? '' }] : [], regex: false };
  }
  const parsed = parseConditions(c[kind.listKey!]);
  if ('error' in parsed) return parsed;
  // Keycloak reads the flag with Boolean.parseBoolean: "True" turns regular expressions on too.
  return { conditions: parsed.conditions, regex: javaTrue(c[kind.regexKey!]) };
}

const showConditions = (cs: Condition[]) => cs.map((c) => `${c.key}=${c.value}`).join(' and ');

/** One problem with a mapper. `fixable`: --fix-keycloak repairs it by rewriting the mapper. */
export interface MapperIssue {
  code: string;
  severity: Severity;
  message: string;
  fixable: boolean;
  /** Advice for an issue --fix-keycloak leaves alone. */
  fix?: string;
}

/** Everything wrong with one mapper, judged against the expectation. Empty: the mapper is right. */
export function evaluateMapper(m: IdpMapper, exp: MappingExpectation): MapperIssue[] {
  const kind = kindOf(m);
  if (!kind) return [];
  const issues: MapperIssue[] = [];
  const label = `mapper "${m.name}" on ${exp.alias}`;
  const target = targetOf(m, exp.target.kind);
  if (target !== exp.target.value) {
    issues.push({ code: 'KC_MAPPER_TARGET', severity: 'error', fixable: true, message: `${label} assigns ${target ?? 'nothing'}, not ${exp.target.value}` });
  }
  const parsed = conditionsOf(m, kind);
  if ('error' in parsed) {
    issues.push({ code: 'KC_MAPPER_CLAIMS_INVALID', severity: 'error', fixable: true, message: `${label}: its ${kind.listKey} setting ${parsed.error}, so Keycloak cannot evaluate it` });
  } else if (parsed.conditions.length === 0) {
    issues.push({
      code: 'KC_MAPPER_CLAIMS_EMPTY',
      severity: 'error',
      fixable: true,
      message: `${label} has no claim condition, so it puts every user who signs in through ${exp.alias} into ${exp.target.value}`,
    });
  } else if (exp.claim) {
    const { conditions, regex } = parsed;
    const want = exp.claim;
    const onKey = conditions.filter((c) => c.key === want.key);
    const judged = onKey.map((c) => ({ c, v: regex ? judgeRegexCondition(c.value, want.value, want.others) : ({ verdict: c.value === want.value ? 'exact' : 'no-match' } as RegexVerdict) }));
    const unreadable = judged.filter((j) => j.v.verdict === 'cannot-evaluate');
    const matching = judged.filter((j) => j.v.verdict !== 'no-match' && j.v.verdict !== 'cannot-evaluate').map((j) => j.c);
    const what = meaning(want);
    const names = want.valueKind === 'display-name';
    const sends = want.format ? `the app emits ${names ? 'group display names' : 'group object ids'} in the ${want.key} claim (${want.format})` : `Entra sends group object ids in the ${want.key} claim`;
    const same = (a: string, b: string | undefined) => b !== undefined && a.toLowerCase() === b.toLowerCase();
    if (unreadable.length) {
      // Fail closed: a Java pattern this tool cannot read the way Keycloak does is never called safe.
      issues.push({
        code: 'KC_MAPPER_REGEX_UNSUPPORTED',
        severity: 'error',
        fixable: true,
        message: `${label} treats its values as Java regular expressions and ${unreadable.map((j) => `${j.c.value} cannot be evaluated: ${(j.v as { why: string }).why}`).join('; ')}; it must require exactly ${want.key}=${want.value}`,
      });
    } else if (matching.length === 0) {
      const byName = want.source === 'group' && !names && want.displayName && onKey.some((c) => same(c.value, want.displayName));
      const byId = want.source === 'group' && names && onKey.some((c) => same(c.value, want.groupId));
      const otherKey = want.source === 'group' && onKey.length === 0 && conditions.find((c) => same(c.value, want.groupId) || same(c.value, want.displayName));
      if (byName && !want.format) {
        // The app registration was not read (a gallery or multi-tenant app), so whether Entra sends
        // names (cloud_displayname) or object ids is unknown: the mapper may well be working, and
        // rewriting it to the object id could lock every admin out. Say so; never rewrite it.
        issues.push({
          code: 'KC_MAPPER_GROUP_NAME_UNVERIFIED',
          severity: 'warning',
          fixable: false,
          message: `${label} matches ${want.key}=${want.displayName}, the group's display name; the app registration could not be read, so it is unknown whether Entra sends display names (cloud_displayname) or object ids: the mapper works only with display names, and names are not unique`,
          fix: `check the groups claim of the app in its home tenant; with object ids the value must be ${want.groupId}`,
        });
      } else if (byName) {
        issues.push({
          code: 'KC_MAPPER_GROUP_NAME',
          severity: 'error',
          fixable: true,
          message: `${label} matches ${want.key}=${want.displayName}, the group's display name; ${sends}, so it never matches: the value must be ${want.value}`,
        });
      } else if (byId) {
        issues.push({
          code: 'KC_MAPPER_GROUP_ID',
          severity: 'error',
          fixable: true,
          message: `${label} matches ${want.key}=${want.groupId}, the group's object id; ${sends}, so it never matches: the value must be ${want.value}`,
        });
      } else if (otherKey) {
        issues.push({
          code: 'KC_MAPPER_CLAIM_NAME',
          severity: 'error',
          fixable: true,
          message: `${label} requires ${otherKey.key}=${otherKey.value}, but ${sends}, so it never matches: it must require ${want.key}=${want.value}`,
        });
      } else {
        issues.push({
          code: 'KC_MAPPER_CLAIM_MISMATCH',
          severity: 'error',
          fixable: true,
          message: `${label} requires ${showConditions(conditions)}${regex ? ' (as regular expressions)' : ''}; it must require ${want.key}=${want.value} (${what})`,
        });
      }
    } else if (!judged.some((j) => j.v.verdict === 'exact')) {
      // Every condition must hold (AdvancedClaimToGroupMapper.applies), so one exact condition
      // suffices; without one, each matching pattern admits another value Java's String.matches accepts.
      const why = judged
        .filter((j) => j.v.verdict === 'too-broad' || j.v.verdict === 'unprovable')
        .map((j) => (j.v.verdict === 'too-broad' ? `${j.c.value} also matches ${j.v.also} (${j.v.what}), whose members get ${exp.target.value} without PIM` : `${j.c.value} cannot be shown to match nothing but ${want.value}: ${(j.v as { why: string }).why}`));
      issues.push({
        code: 'KC_MAPPER_REGEX',
        severity: 'error',
        fixable: true,
        message: `${label} treats its values as Java regular expressions (whole-value String.matches) and ${why.join('; ')}`,
      });
    } else if (regex && !judged.some((j) => j.v.verdict === 'exact' && j.v.proof !== 'assigned')) {
      // Safe against the groups assigned to the app today; a group assigned later that the
      // pattern matches would grant the target without PIM.
      issues.push({
        code: 'KC_MAPPER_REGEX_FRAGILE',
        severity: 'warning',
        fixable: false,
        message: `${label} treats its values as Java regular expressions; ${matching.map((c) => c.value).join(', ')} matches ${want.value} and none of the other values the claim can carry today, but it matches more than that value: a group or role added to the app later that it matches would grant ${exp.target.value} too`,
        fix: `turn off "Regex Claim Values" and require exactly ${want.key}=${want.value}`,
      });
      if (names) {
        const w = nameNotUnique(label, want, exp.target.value);
        issues.push({ code: w.code, severity: 'warning', fixable: false, message: w.message, fix: w.fix });
      }
    } else if (names) {
      const w = nameNotUnique(label, want, exp.target.value);
      issues.push({ code: w.code, severity: 'warning', fixable: false, message: w.message, fix: w.fix });
    }
    const extra = conditions.filter((c) => !matching.includes(c) && !(c.key === 'tid' && exp.tenantId && c.value.toLowerCase() === exp.tenantId.toLowerCase()));
    if (matching.length && extra.length) {
      issues.push({
        code: 'KC_MAPPER_EXTRA_CLAIMS',
        severity: 'warning',
        fixable: false,
        message: `${label} also requires ${showConditions(extra)}: users without ${extra.length > 1 ? 'them' : 'it'} do not get ${exp.target.value} even with an active PIM assignment`,
      });
    }
  }
  const sync = effectiveSyncMode(m.config?.syncMode, exp.idpSyncMode);
  if (sync.mode === 'IMPORT') {
    issues.push({
      code: 'KC_MAPPER_SYNC_IMPORT',
      severity: 'error',
      fixable: true,
      message: `${label} has sync mode IMPORT (${sync.why}): Keycloak applies it only at a user's first login, so ${exp.target.value} stays after the PIM activation ends`,
    });
  } else if (sync.mode === 'LEGACY') {
    issues.push(legacySyncIssue(kind, label, sync.why, exp.target.value, m.name));
  } else if (sync.mode === 'INVALID') {
    issues.push({ code: 'KC_MAPPER_SYNC_INVALID', severity: 'error', fixable: true, message: `${label}: ${sync.why}` });
  }
  return issues;
}

/**
 * Mapper types whose LEGACY mode only removes: AbstractClaimToRoleMapper.updateBrokeredUserLegacy
 * deletes the role when the claim is missing and never grants it on a later login. Every other
 * mapper judged here keeps AbstractIdentityProviderMapper.updateBrokeredUserLegacy, which calls
 * updateBrokeredUser: LEGACY acts as FORCE (keycloak.md §7, proven by the JIT drill).
 */
const LEGACY_REMOVE_ONLY = new Set(['oidc-role-idp-mapper', 'oidc-advanced-role-idp-mapper']);

function legacySyncIssue(kind: MapperKind, label: string, why: string, target: string, name: string): MapperIssue {
  if (LEGACY_REMOVE_ONLY.has(kind.type)) {
    return {
      code: 'KC_MAPPER_SYNC_LEGACY',
      severity: 'error',
      fixable: true,
      message: `${label} has sync mode LEGACY (${why}): a ${kind.label} mapper under LEGACY only removes ${target} at later logins and never grants it again, so a user's second activation brings no admin rights; only FORCE grants and removes it at every Entra login`,
    };
  }
  return {
    code: 'KC_MAPPER_SYNC_LEGACY',
    severity: 'warning',
    fixable: false,
    message: `${label} has sync mode LEGACY (${why}); Keycloak 26 applies LEGACY like FORCE to a ${kind.label} mapper (grants and removes ${target} at every Entra login), but that rests on a legacy default: set FORCE explicitly`,
    fix: `set "Sync mode override" of mapper "${name}" to Force`,
  };
}

function refersToClaim(m: IdpMapper, exp: MappingExpectation): boolean {
  const kind = kindOf(m);
  if (!kind || !exp.claim) return false;
  const parsed = conditionsOf(m, kind);
  if ('error' in parsed) return false;
  const want = exp.claim;
  const known = [want.value, want.displayName, want.groupId].filter((v): v is string => v !== undefined).map((v) => v.toLowerCase());
  return parsed.conditions.some((c) => (c.key === want.key || want.source === 'group') && (known.includes(c.value.toLowerCase()) || (c.key === want.key && parsed.regex && fullMatch(c.value, want.value) === true)));
}

/** The full representation of the right mapper: a repair of `existing` (keeping its id and name; its conditions become exactly the expected one) or a new one. */
export function desiredMapper(exp: MappingExpectation & { claim: NonNullable<MappingExpectation['claim']> }, existing: IdpMapper | undefined, takenNames: string[]): IdpMapper {
  const existingKind = existing ? kindOf(existing) : undefined;
  const kind =
    existingKind && existingKind.protocol === exp.protocol && existingKind.target === exp.target.kind ? existingKind : MAPPER_KINDS.find((k) => k.type === desiredMapperType(exp.protocol, exp.target.kind))!;
  const config: KeycloakConfig = existing && existingKind === kind ? { ...existing.config } : {};
  if (kind.style === 'list') {
    // Exactly the expected condition: a condition kept from the old mapper (someone's email, a
    // department) would let only the people who also meet it become admins, and Keycloak grants
    // only when every listed condition matches (AdvancedClaimToGroupMapper.applies). The old
    // conditions stay in the backup and are named in the plan (replacedConditions).
    config[kind.listKey!] = JSON.stringify([{ key: exp.claim.key, value: exp.claim.value }]);
    config[kind.regexKey!] = 'false';
  } else {
    config[kind.claimKey!] = exp.claim.key;
    config[kind.valueKey!] = exp.claim.value;
    delete config['attribute.friendly.name'];
  }
  config[exp.target.kind] = exp.target.value;
  config.syncMode = 'FORCE';
  const base = `entra-pim-${exp.target.value.split('/').filter(Boolean).pop() ?? 'admin'}`.replace(/[^A-Za-z0-9._-]+/g, '-');
  let name = existing?.name ?? base;
  for (let i = 2; !existing && takenNames.includes(name); i++) name = `${base}-${i}`;
  return {
    ...(existing?.id ? { id: existing.id } : {}),
    name,
    identityProviderAlias: exp.alias,
    identityProviderMapper: kind.type,
    config,
  };
}

/**
 * Conditions of `old` on something other than the group that the repaired `rep` no longer has,
 * for the plan. The old condition meant for the group (on the expected claim, or with one of the
 * group's values) is not listed: its own finding already says why it is rewritten.
 */
export function replacedConditions(old: IdpMapper, rep: IdpMapper, claim: NonNullable<MappingExpectation['claim']>): Condition[] {
  const kind = kindOf(old);
  if (!kind || kind.style !== 'list' || rep.identityProviderMapper !== old.identityProviderMapper) return [];
  const before = conditionsOf(old, kind);
  const after = conditionsOf(rep, kind);
  if ('error' in before || 'error' in after) return [];
  const known = [claim.value, claim.displayName, claim.groupId].filter((v): v is string => v !== undefined).map((v) => v.toLowerCase());
  const aimed = (c: Condition) => c.key === claim.key || known.includes(c.value.toLowerCase());
  return before.conditions.filter((c) => !aimed(c) && !after.conditions.some((a) => a.key === c.key && a.value === c.value));
}

/** What planMapper judges: the provider's mappers against the expectation. */
export interface MapperPlanInput {
  realm: string;
  exp: MappingExpectation;
  mappers: IdpMapper[];
  /** Mapper types the provider accepts; undefined when not read. */
  mapperTypes?: MapperTypes;
  /** Whether the target group or role exists: a mapper to nothing is not worth creating. */
  targetExists: boolean;
  fix: boolean;
  /**
   * Mappers that already grant the target's rights through PIM another way (to a subgroup, or in
   * role mode to a group holding the role), as judgeIndirectGrants found them: with no mapper on
   * the target itself, they satisfy the expectation, and nothing is created beside them.
   */
  viaPim?: IdpMapper[];
}

/**
 * Judges the provider's mappers for the target and plans the repair. The primary mapper is the
 * correct one if any, else the one closest to it (on the target, or matching the expected
 * claim); only it is rewritten. Other mappers that grant the target are reported, never changed.
 */
export function planMapper(input: MapperPlanInput): { findings: Finding[]; actions: Action[] } {
  const { exp, mappers, realm } = input;
  const findings: Finding[] = [];
  const actions: Action[] = [];
  const accepted = mappers.filter((m) => {
    const k = kindOf(m);
    return k && k.protocol === exp.protocol && k.target === exp.target.kind;
  });
  const evaluated = accepted.map((mapper) => ({ mapper, issues: evaluateMapper(mapper, exp) }));
  const errors = (e: { issues: MapperIssue[] }) => e.issues.filter((i) => i.severity === 'error');
  const onTarget = evaluated.filter((e) => targetOf(e.mapper, exp.target.kind) === exp.target.value);
  const primary =
    onTarget.find((e) => errors(e).length === 0) ??
    onTarget.find((e) => refersToClaim(e.mapper, exp)) ??
    onTarget[0] ??
    evaluated.find((e) => refersToClaim(e.mapper, exp));

  for (const m of mappers) {
    if (HARDCODED[m.identityProviderMapper] === exp.target.kind && targetOf(m, exp.target.kind) === exp.target.value) {
      findings.push(
        finding(
          'error',
          'KC_MAPPER_HARDCODED',
          `mapper "${m.name}" on ${exp.alias} is a hardcoded ${exp.target.kind} mapper: it puts every user who signs in through ${exp.alias} into ${exp.target.value}, PIM or not`,
          `delete mapper "${m.name}"`,
        ),
      );
    }
  }
  for (const e of onTarget) {
    if (e === primary) continue;
    for (const i of errors(e)) {
      findings.push(finding('error', i.code, i.message, `delete mapper "${e.mapper.name}" or correct it: only the PIM mapper should grant ${exp.target.value}`));
    }
  }

  if (onTarget.length === 0 && input.viaPim?.length) {
    const names = input.viaPim.map((m) => `"${m.name}"`).join(', ');
    findings.push(finding('info', 'KC_MAPPER_VIA_PIM', `no mapper on ${exp.alias} assigns ${exp.target.value} itself; mapper(s) ${names} grant its rights only through the PIM group (see KC_MAPPER_INDIRECT_PIM)`));
    actions.push({ kind: 'noop', summary: `mapper(s) ${names} on ${exp.alias} grant ${exp.target.value}'s rights through PIM` });
    return { findings, actions };
  }

  const wantType = desiredMapperType(exp.protocol, exp.target.kind);
  if (input.mapperTypes && !input.mapperTypes[wantType] && !primary) {
    findings.push(
      finding('error', 'KC_MAPPER_TYPE_UNAVAILABLE', `identity provider ${exp.alias} does not offer the ${wantType} mapper on this Keycloak`, 'upgrade Keycloak (the SAML group mapper exists since version 21) or map the group by hand'),
    );
    return { findings, actions };
  }

  const claim = exp.claim;
  const describe = claim ? `${claim.key}=${claim.value} → ${exp.target.value}, sync mode FORCE` : '';
  if (!primary) {
    const message = claim
      ? `no mapper on identity provider ${exp.alias} puts users with ${claim.key}=${claim.value} (${meaning(claim)}) into ${exp.target.value}`
      : `no mapper on identity provider ${exp.alias} assigns ${exp.target.value}`;
    if (claim && input.fix && input.targetExists) {
      const rep = desiredMapper({ ...exp, claim }, undefined, mappers.map((m) => m.name));
      findings.push(finding('info', 'KC_MAPPER_MISSING', `${message}; --fix-keycloak creates it`));
      actions.push({ kind: 'create', target: 'keycloak', summary: `create mapper "${rep.name}" on identity provider ${exp.alias}: ${describe}`, ...keycloakWrite({ op: 'keycloak.createMapper', realm, alias: exp.alias, mapper: rep }) });
      if (claim.valueKind === 'display-name') findings.push(nameNotUnique(`the new mapper "${rep.name}"`, claim, exp.target.value));
    } else {
      findings.push(
        finding(
          'error',
          'KC_MAPPER_MISSING',
          message,
          claim ? `run again with --fix-keycloak to create it (${wantType}: ${describe})` : 'the Entra group or app role is unknown (see the earlier steps), so the mapper cannot be checked',
        ),
      );
    }
    return { findings, actions };
  }

  const fixable = primary.issues.filter((i) => i.fixable);
  const rest = primary.issues.filter((i) => !i.fixable);
  for (const i of rest) findings.push(finding(i.severity, i.code, i.message, i.fix ?? 'adjust the mapper in the admin console if this is not intended'));
  if (fixable.length === 0) {
    actions.push({ kind: 'noop', summary: `mapper "${primary.mapper.name}" on ${exp.alias} maps ${describe || exp.target.value}` });
    return { findings, actions };
  }
  if (claim && input.fix && input.targetExists && primary.mapper.id) {
    const rep = desiredMapper({ ...exp, claim }, primary.mapper, mappers.map((m) => m.name));
    for (const i of fixable) findings.push(finding('info', i.code, `${i.message}; --fix-keycloak updates the mapper`));
    const dropped = replacedConditions(primary.mapper, rep, claim);
    if (dropped.length) {
      findings.push(
        finding(
          'info',
          'KC_MAPPER_CONDITIONS_REPLACED',
          `--fix-keycloak sets mapper "${rep.name}" to require only ${claim.key}=${claim.value} and drops ${showConditions(dropped)} (kept in the backup): with them only users who also meet them could get ${exp.target.value}`,
        ),
      );
    }
    actions.push({
      kind: 'update',
      target: 'keycloak',
      summary: `update mapper "${rep.name}" on identity provider ${exp.alias}: ${describe}`,
      ...keycloakWrite({ op: 'keycloak.updateMapper', realm, alias: exp.alias, mapperId: primary.mapper.id, mapper: rep }),
      backup: primary.mapper,
    });
    if (claim.valueKind === 'display-name' && !rest.some((i) => i.code === 'KC_MAPPER_GROUP_NAME_NOT_UNIQUE')) {
      findings.push(nameNotUnique(`mapper "${rep.name}" (once updated)`, claim, exp.target.value));
    }
  } else {
    const how = claim ? `run again with --fix-keycloak to update mapper "${primary.mapper.name}" (${describe}), or correct it in the admin console` : `correct mapper "${primary.mapper.name}" in the admin console`;
    for (const i of fixable) findings.push(finding('error', i.code, i.message, how));
  }
  return { findings, actions };
}

/** Mappers on other providers that grant the target: a way to it that bypasses PIM. */
export function otherProviderGrants(alias: string, mappers: IdpMapper[], target: MappingExpectation['target']): Finding[] {
  const grants = mappers.filter((m) => {
    const k = kindOf(m);
    // A mapper type this tool does not know (a custom one, "External Role to Role") that names the
    // target in its config counts as a grant: nothing shows that it requires the PIM group.
    const kind = k?.target ?? HARDCODED[m.identityProviderMapper] ?? target.kind;
    return kind === target.kind && targetOf(m, target.kind) === target.value;
  });
  return grants.map((m) =>
    finding(
      'error',
      'KC_MAPPER_OTHER_IDP',
      `mapper "${m.name}" on identity provider ${alias} also grants ${target.value}: users signing in through ${alias} get it without PIM`,
      `delete the mapper or point it at another ${target.kind}`,
    ),
  );
}

/**
 * On the chosen provider: mappers of a type this tool does not know that assign exactly the
 * target. planMapper judges only the claim and attribute mappers it understands, so such a mapper
 * would otherwise pass unseen; it cannot be shown to require the PIM group, so it is a way in.
 */
export function unknownTypeGrants(alias: string, mappers: IdpMapper[], target: MappingExpectation['target']): Finding[] {
  return mappers
    .filter((m) => !kindOf(m) && !HARDCODED[m.identityProviderMapper] && targetOf(m, target.kind) === target.value)
    .map((m) =>
      finding(
        'error',
        'KC_MAPPER_UNKNOWN_TYPE',
        `mapper "${m.name}" on ${alias} (type ${m.identityProviderMapper}) assigns ${target.value}; this tool does not know how that mapper type decides, so it cannot show that it requires the PIM group`,
        `delete mapper "${m.name}", or replace it with an Advanced Claim to ${target.kind === 'group' ? 'Group' : 'Role'} mapper (--fix-keycloak creates one)`,
      ),
    );
}

/** What judgeOtherProvider needs: a provider other than the chosen one, and the expectation per protocol. */
export interface OtherProviderInput {
  idp: IdentityProvider;
  mappers: IdpMapper[];
  target: MappingExpectation['target'];
  app: EntraApp;
  /** The expected claim per protocol (undefined when the Entra facts are missing). */
  claims: Partial<Record<Protocol, MappingExpectation['claim']>>;
}

/**
 * Why a provider cannot vouch for the PIM group: its tokens do not provably come from this
 * tenant, or (SAML) nobody checks their signature, so anyone can send the group's id (keycloak.md §7).
 */
export function untrustedEntraProvider(idp: IdentityProvider, app: EntraApp): string | undefined {
  const protocol = protocolOf(idp.providerId);
  if (!protocol) return `it is of type ${idp.providerId}`;
  // A disabled provider signs nobody in; it is judged as if enabled, for the day it is.
  const problems = checkIdentityProvider(idp, app).filter((f) => f.code !== 'KC_IDP_DISABLED' && (f.severity === 'error' || f.code === 'KC_IDP_TENANT_UNVERIFIED'));
  if (problems.length) return problems.map((f) => f.message).join('; ');
  if (!app.tenantId || !looksLikeEntra(idp)) return 'it does not point at this Entra tenant';
  // SAML signature validation is part of checkIdentityProvider's errors (samlSignatureFindings).
  return undefined;
}

/**
 * Judges the mappers of another provider that grant the target. A second Entra provider of this
 * tenant (OIDC and SAML side by side) may grant it too, when its mapper requires the PIM group in
 * its own protocol: such a mapper is judged like the chosen provider's (sync mode included).
 * Every other grant is a way in without PIM.
 */
export function judgeOtherProvider(input: OtherProviderInput): Finding[] {
  const { idp, target } = input;
  const protocol = protocolOf(idp.providerId);
  const untrusted = untrustedEntraProvider(idp, input.app);
  const claim = protocol ? input.claims[protocol] : undefined;
  const out: Finding[] = [];
  for (const m of input.mappers) {
    const bypass = otherProviderGrants(idp.alias, [m], target);
    if (bypass.length === 0) continue;
    const kind = kindOf(m);
    if (untrusted || !protocol || !claim || !kind || kind.protocol !== protocol || kind.target !== target.kind) {
      const why = untrusted ? `identity provider ${idp.alias} cannot vouch for the PIM group: ${untrusted}` : !claim ? 'the Entra group (or app role) is unknown, so its condition cannot be checked' : 'it is not a claim mapper for this protocol and target';
      out.push(...bypass.map((f) => ({ ...f, message: `${f.message} (${why})` })));
      continue;
    }
    const exp: MappingExpectation = { protocol, alias: idp.alias, target, claim, idpSyncMode: idp.config?.syncMode, tenantId: input.app.tenantId };
    const issues = evaluateMapper(m, exp);
    const conditionErrors = issues.filter((i) => i.severity === 'error' && !i.code.startsWith('KC_MAPPER_SYNC_'));
    if (conditionErrors.length) {
      out.push(...bypass.map((f) => ({ ...f, message: `${f.message}: it does not require the PIM group (${conditionErrors.map((i) => i.message).join('; ')})` })));
      continue;
    }
    const fix = `correct mapper "${m.name}" on ${idp.alias} in the admin console (--fix-keycloak repairs only the chosen provider's mapper)`;
    for (const i of issues) out.push(finding(i.severity, i.code, i.message, i.fix ?? fix));
  }
  return out;
}

// ---- sessions ------------------------------------------------------------------------------

/** `8 h`, `30 d`, `1 d 12 h`. */
export function humanSeconds(s: number): string {
  return humanDuration(s * 1000);
}

/**
 * Mappers run only at login, so a Keycloak session started during an activation keeps the group
 * until it ends. Warns when sessions (SSO, remember-me, offline) can outlive the longest
 * activation. Client session limits (0 = inherit) cannot extend an SSO session, only shorten it.
 */
export function sessionFindings(realm: RealmInfo, activationSeconds: number, o: { realm: string; target: string; activation: string }): Finding[] {
  const out: Finding[] = [];
  const a = activationSeconds;
  const act = `the longest PIM activation (${o.activation} = ${humanSeconds(a)})`;
  const ssoMax = realm.ssoSessionMaxLifespan ?? 0;
  const idle = realm.ssoSessionIdleTimeout ?? 0;
  const clientMax = realm.clientSessionMaxLifespan ?? 0;
  const effectiveClient = clientMax > 0 && ssoMax > 0 ? Math.min(clientMax, ssoMax) : ssoMax;
  if (ssoMax <= 0 || ssoMax > a) {
    const lasting = ssoMax > 0 ? `up to ${humanSeconds(ssoMax)} (ssoSessionMaxLifespan=${ssoMax})` : 'without a limit (ssoSessionMaxLifespan=0)';
    out.push(
      finding(
        'warning',
        'KC_SESSION_OUTLIVES_ACTIVATION',
        `SSO sessions in realm ${o.realm} last ${lasting}, longer than ${act}: a user keeps ${o.target} in Keycloak until the session ends, because the mapper only runs at the next Entra login` +
          (clientMax > 0 ? ` (client sessions end after ${humanSeconds(effectiveClient)}, but the SSO session opens new ones)` : ''),
        `set ssoSessionMaxLifespan to ${a} (${humanSeconds(a)}) or less in realm ${o.realm} (Realm settings → Sessions → SSO Session Max)${idle > a || idle <= 0 ? `, and ssoSessionIdleTimeout (${idle}) below it` : ''}`,
      ),
    );
  }
  if (realm.rememberMe) {
    const rm = realm.ssoSessionMaxLifespanRememberMe && realm.ssoSessionMaxLifespanRememberMe > 0 ? realm.ssoSessionMaxLifespanRememberMe : ssoMax;
    if (rm <= 0 || rm > a) {
      out.push(
        finding(
          'warning',
          'KC_SESSION_REMEMBER_ME',
          `"Remember me" is on in realm ${o.realm} and those sessions last ${rm > 0 ? humanSeconds(rm) : 'without a limit'}, longer than ${act}`,
          `turn off Remember me, or set ssoSessionMaxLifespanRememberMe to ${a} or less`,
        ),
      );
    }
  }
  const offlineIdle = realm.offlineSessionIdleTimeout ?? 0;
  if (!realm.offlineSessionMaxLifespanEnabled) {
    out.push(
      finding(
        'warning',
        'KC_SESSION_OFFLINE',
        `offline sessions in realm ${o.realm} have no maximum lifespan (offlineSessionMaxLifespanEnabled=false) and stay valid while used at least every ${humanSeconds(offlineIdle)}: an offline token (scope offline_access) keeps ${o.target} indefinitely`,
        `enable "Offline Session Max Limited" with offlineSessionMaxLifespan ${a} or less, or take the offline_access scope away from clients that admins use`,
      ),
    );
  } else if ((realm.offlineSessionMaxLifespan ?? 0) > a) {
    out.push(
      finding(
        'warning',
        'KC_SESSION_OFFLINE',
        `offline sessions in realm ${o.realm} last up to ${humanSeconds(realm.offlineSessionMaxLifespan ?? 0)}, longer than ${act}`,
        `set offlineSessionMaxLifespan to ${a} or less, or take the offline_access scope away from clients that admins use`,
      ),
    );
  }
  if (out.length === 0) {
    out.push(finding('info', 'KC_SESSIONS', `Keycloak sessions in realm ${o.realm} end within ${act} (SSO max ${humanSeconds(ssoMax)}, idle ${humanSeconds(idle)})`));
  }
  return out;
}

// ---- residual access -----------------------------------------------------------------------

/** A holder of the target group or role, with their identity-provider links. */
export interface Holder {
  user: KcUser;
  links: FederatedIdentity[];
  /** Credentials stored in Keycloak; undefined when not read. */
  credentials?: KcCredential[];
  /** Credential types the user's storage provider (LDAP, Kerberos) checks; undefined when not read or not federated. */
  storageCredentialTypes?: string[];
}

/** What residualFindings needs besides the holders. */
export interface ResidualInput {
  alias: string;
  protocol: Protocol | undefined;
  idpConfig: KeycloakConfig;
  /** The provider's mappers (to find an attribute importer for the object id). */
  mappers: IdpMapper[];
  /** Object ids with an active PIM assignment for the group now; undefined when unknown. */
  active: Set<string> | undefined;
  /** Eligible users by lower-cased UPN, to recognise a link by its user name. */
  eligibleByUpn: Map<string, string>;
  target: string;
  /**
   * Other providers that are Entra providers of this tenant (a second one, OIDC beside SAML): a
   * holder's link to one of them is no way around PIM. Every other link is; unknown means none.
   */
  trustedAliases?: ReadonlySet<string>;
}

/** User attributes that an attribute-importer mapper on the provider fills with the Entra object id. */
export function objectIdAttributes(mappers: IdpMapper[]): string[] {
  const out: string[] = [];
  for (const m of mappers) {
    const c = m.config ?? {};
    const attr = c['user.attribute'];
    if (!attr) continue;
    if (m.identityProviderMapper === 'oidc-user-attribute-idp-mapper' && c.claim === 'oid') out.push(attr);
    if (m.identityProviderMapper === 'saml-user-attribute-idp-mapper' && (c['attribute.name'] === SAML_OBJECT_ID_ATTRIBUTE || c['attribute.friendly.name'] === 'objectidentifier')) out.push(attr);
  }
  return out;
}

/**
 * The Entra object id of a linked user, or undefined when it cannot be known.
 *
 * The link's `userId` is the upstream subject: for OIDC that is Entra's `sub`, a pairwise id
 * (per app, not a GUID) that never equals the object id (`oid`) PIM reports. So, in order:
 *  1. a user attribute filled from the `oid` claim (SAML: objectidentifier) by an attribute importer;
 *  2. the link's userId, when a SAML provider takes the subject from the objectidentifier attribute;
 *  3. the link's userId, when it is a GUID: Entra's pairwise `sub` never is, so the provider (or a
 *     broker in front of it) uses the object id as the subject;
 *  4. the eligible user whose UPN equals the link's user name (Entra's preferred_username).
 */
export function entraObjectId(user: KcUser, link: FederatedIdentity, input: Pick<ResidualInput, 'protocol' | 'idpConfig' | 'mappers' | 'eligibleByUpn'>): { id?: string; how?: string } {
  for (const attr of objectIdAttributes(input.mappers)) {
    const v = user.attributes?.[attr]?.[0];
    if (v && GUID.test(v)) return { id: v.toLowerCase(), how: `user attribute ${attr}` };
  }
  const c = input.idpConfig;
  if (input.protocol === 'saml' && (c.principalType === 'ATTRIBUTE' || c.principalType === 'FRIENDLY_ATTRIBUTE') && [SAML_OBJECT_ID_ATTRIBUTE, 'objectidentifier'].includes(c.principalAttribute ?? '')) {
    return { id: link.userId.toLowerCase(), how: 'SAML subject is the objectidentifier attribute' };
  }
  if (GUID.test(link.userId)) return { id: link.userId.toLowerCase(), how: 'the link user id is an object id' };
  const byUpn = link.userName ? input.eligibleByUpn.get(link.userName.toLowerCase()) : undefined;
  if (byUpn) return { id: byUpn.toLowerCase(), how: 'the link user name is an eligible user' };
  return {};
}

/** Whether a link is to the chosen Entra provider or to a trusted second one (PIM governs both). */
const entraLink = (l: FederatedIdentity, input: Pick<ResidualInput, 'alias' | 'trustedAliases'>) => l.identityProvider === input.alias || Boolean(input.trustedAliases?.has(l.identityProvider));

const listNames = (hs: Holder[]) => {
  const names = hs.map((h) => (h.user.viaGroup ? `${h.user.username} (via ${h.user.viaGroup})` : h.user.username));
  return names.length > 10 ? `${names.slice(0, 10).join(', ')} and ${names.length - 10} more` : names.join(', ');
};

/**
 * Who holds the target now. Local accounts and accounts linked only to other providers hold
 * admin rights that PIM never grants or takes away; linked accounts without an active PIM
 * assignment keep them until their next Entra login.
 */
export function residualFindings(holders: Holder[], input: ResidualInput): Finding[] {
  const out: Finding[] = [];
  const enabled = holders.filter((h) => h.user.enabled !== false);
  const local: Holder[] = [];
  const otherIdp: Holder[] = [];
  const inactive: Holder[] = [];
  const unknown: Holder[] = [];
  const activeOk: Holder[] = [];
  for (const h of enabled) {
    const link = h.links.find((l) => l.identityProvider === input.alias) ?? h.links.find((l) => input.trustedAliases?.has(l.identityProvider));
    if (!link) {
      (h.links.length ? otherIdp : local).push(h);
      continue;
    }
    const { id } = entraObjectId(h.user, link, input);
    if (!id) unknown.push(h);
    else if (!input.active) continue;
    else if (input.active.has(id)) activeOk.push(h);
    else inactive.push(h);
  }
  if (local.length) {
    out.push(
      finding(
        'error',
        'KC_MEMBER_LOCAL',
        `${local.length} holder(s) of ${input.target} are local Keycloak accounts not linked to ${input.alias}, so they have admin rights without PIM: ${listNames(local)}`,
        `remove them from ${input.target} (keep a break-glass account only if it is documented and monitored)`,
      ),
    );
  }
  // A holder linked to Entra and also to another provider can sign in through that one: Entra's
  // FORCE mapper never runs then, and the admin rights stay after the activation ends.
  const alsoOther = enabled.filter(
    (h) => h.links.some((l) => entraLink(l, input)) && h.links.some((l) => !entraLink(l, input)),
  );
  if (alsoOther.length) {
    const others = [...new Set(alsoOther.flatMap((h) => h.links.map((l) => l.identityProvider).filter((a) => a !== input.alias && !input.trustedAliases?.has(a))))];
    out.push(
      finding(
        'error',
        'KC_MEMBER_ALSO_OTHER_IDP',
        `${alsoOther.length} holder(s) of ${input.target} are linked to ${input.alias} and also to ${others.join(', ')}, through which they can sign in without Entra, so the mapper never takes the rights away: ${listNames(alsoOther)}`,
        `remove the other link (Users → Identity provider links) or take them out of ${input.target}`,
      ),
    );
  }
  if (otherIdp.length) {
    out.push(
      finding(
        'error',
        'KC_MEMBER_OTHER_IDP',
        `${otherIdp.length} holder(s) of ${input.target} sign in through other identity providers (${[...new Set(otherIdp.flatMap((h) => h.links.map((l) => l.identityProvider)))].join(', ')}), so PIM does not govern them: ${listNames(otherIdp)}`,
        `remove them from ${input.target}`,
      ),
    );
  }
  if (inactive.length) {
    out.push(
      finding(
        'warning',
        'KC_MEMBER_NOT_ACTIVE',
        `${inactive.length} holder(s) of ${input.target} have no active PIM assignment now; Keycloak keeps the membership until their next sign-in through ${input.alias}: ${listNames(inactive)}`,
        `sign them out (Users → Sessions → Sign out) or remove them from ${input.target}; with sync mode FORCE their next Entra login removes it`,
      ),
    );
  }
  if (unknown.length) {
    out.push(
      finding(
        'warning',
        'KC_MEMBER_UNVERIFIABLE',
        `cannot tell whether ${unknown.length} holder(s) of ${input.target} have an active PIM assignment: their link to ${input.alias} carries Entra's pairwise "sub", not the object id: ${listNames(unknown)}`,
        `add an "Attribute Importer" mapper on ${input.alias} that stores ${input.protocol === 'saml' ? `attribute ${SAML_OBJECT_ID_ATTRIBUTE}` : 'claim oid'} in a user attribute declared in the realm's user profile (e.g. entraObjectId, admin-only); it is filled at each user's next login`,
      ),
    );
  }
  const disabled = holders.length - enabled.length;
  const notCompared = input.active ? '' : ' (active PIM assignments unknown: not compared)';
  out.push(
    finding(
      'info',
      'KC_MEMBERS',
      `${input.target} has ${holders.length} holder(s)${disabled ? `, ${disabled} disabled` : ''}: ${activeOk.length} with an active PIM assignment${notCompared}`,
    ),
  );
  return out;
}

/**
 * Credential types that sign a user in on their own: a password (Keycloak's or the user
 * storage's, checked by the default browser flow's Username Password Form and by the password
 * grant) and Kerberos (SPNEGO, from a user storage).
 */
const FIRST_FACTOR = new Set(['password', 'kerberos']);
/** A passkey signs in on its own wherever the realm's flows accept passkeys (not in the default flows). */
const PASSKEY = 'webauthn-passwordless';
/**
 * Second factors: the default flows ask for them only after a password (OTP Form, WebAuthn
 * Authenticator and Recovery Codes run as conditional steps after the Username Password Form),
 * so without a first factor they open no way in.
 */
const SECOND_FACTOR = new Set(['otp', 'totp', 'hotp', 'webauthn', 'recovery-authn-codes']);

/**
 * Holders linked to the Entra provider who can also sign in without it. Mappers run only at a
 * sign-in through the provider, so a holder who signs in with a local password (or the password
 * grant) never meets the FORCE mapper and keeps the target after the PIM activation ends.
 * Holders without a link are already reported by residualFindings. Fails closed: a credential
 * type this tool does not know, or credentials it could not read, is a warning.
 */
export function localCredentialFindings(holders: Holder[], input: Pick<ResidualInput, 'alias' | 'target' | 'trustedAliases'>): Finding[] {
  const password: Holder[] = [];
  const passkey: Holder[] = [];
  const unknown: Holder[] = [];
  const unread: Holder[] = [];
  const unknownTypes = new Set<string>();
  for (const h of holders) {
    if (h.user.enabled === false || !h.links.some((l) => entraLink(l, input))) continue;
    if (h.credentials === undefined || (h.user.federationLink && h.storageCredentialTypes === undefined)) {
      unread.push(h);
      continue;
    }
    const types = [...h.credentials.map((c) => c.type), ...(h.storageCredentialTypes ?? [])].map((t) => t.toLowerCase());
    if (types.some((t) => FIRST_FACTOR.has(t))) password.push(h);
    else if (types.includes(PASSKEY)) passkey.push(h);
    const odd = types.filter((t) => !FIRST_FACTOR.has(t) && t !== PASSKEY && !SECOND_FACTOR.has(t));
    if (odd.length && !password.includes(h)) {
      unknown.push(h);
      for (const t of odd) unknownTypes.add(t);
    }
  }
  const out: Finding[] = [];
  const why = `the mapper runs only at a sign-in through ${input.alias}, so they keep ${input.target} after their PIM activation ends`;
  if (password.length) {
    out.push(
      finding(
        'error',
        'KC_MEMBER_LOCAL_PASSWORD',
        `${password.length} holder(s) of ${input.target} are linked to ${input.alias} but also have a password in Keycloak or its user storage, so they can sign in without Entra (login form or password grant); ${why}: ${listNames(password)}`,
        `delete their Keycloak password (Users → user → Credentials → Delete), or for a user-storage account stop it from being a holder; admins must sign in only through ${input.alias}`,
      ),
    );
  }
  if (passkey.length) {
    out.push(
      finding(
        'warning',
        'KC_MEMBER_LOCAL_PASSKEY',
        `${passkey.length} holder(s) of ${input.target} are linked to ${input.alias} but also have a passkey (webauthn-passwordless), which signs them in without Entra wherever the realm's flows accept passkeys; ${why}: ${listNames(passkey)}`,
        'delete the passkey (Users → user → Credentials), or make sure no flow of the realm accepts passkeys',
      ),
    );
  }
  if (unknown.length) {
    out.push(
      finding(
        'warning',
        'KC_MEMBER_CREDENTIAL_UNKNOWN',
        `${unknown.length} holder(s) of ${input.target} linked to ${input.alias} have credentials of a type this tool does not judge (${[...unknownTypes].join(', ')}); if a flow of the realm accepts it alone, they sign in without Entra: ${listNames(unknown)}`,
        'check the realm\'s authentication flows, or delete those credentials',
      ),
    );
  }
  if (unread.length) {
    out.push(
      finding(
        'warning',
        'KC_MEMBER_CREDENTIALS_UNREAD',
        `cannot tell whether ${unread.length} holder(s) of ${input.target} linked to ${input.alias} can also sign in with a password: their credentials were not read: ${listNames(unread)}`,
        'grant the view-users role of realm-management to the account',
      ),
    );
  }
  return out;
}

/** Active member assignments of the group at `now` (PIM instances cover both activations and active assignments). */
export function activePrincipals(
  instances: Array<{ principalId: string; groupId?: string; accessId?: string; startDateTime?: string | null; endDateTime?: string | null }>,
  groupId: string | undefined,
  now: Date,
): Set<string> {
  const t = now.getTime();
  return new Set(
    instances
      .filter(isMemberAccess)
      // An instance without the group it belongs to is not understood: it explains nobody's rights.
      .filter((i) => !groupId || (typeof i.groupId === 'string' && i.groupId.toLowerCase() === groupId.toLowerCase()))
      .filter((i) => !i.startDateTime || Date.parse(i.startDateTime) <= t)
      .filter((i) => !i.endDateTime || Date.parse(i.endDateTime) > t)
      .map((i) => i.principalId.toLowerCase()),
  );
}

// ---- indirect grants: subgroups, composite roles, default roles --------------------------

/**
 * Whether `path` is the group `root` or one of its subgroups. Members of a subgroup hold the
 * parent's role mappings (a user's hasRole asks RoleUtils.hasRoleFromGroup with checkParentGroup,
 * which walks up the parents), so for admin rights a subgroup counts as the group itself.
 */
export function isWithinGroup(path: string | undefined, root: string): boolean {
  if (path === undefined || path.trim() === '') return false;
  const p = normaliseGroupPath(path);
  const r = normaliseGroupPath(root);
  return p === r || p.startsWith(`${r}/`);
}

/**
 * Ids of the roles that contain `targetId` directly or through nested composites, the target
 * included. `children` maps a composite role's id to the ids of its direct composites (as
 * `GET /roles-by-id/{id}/composites` lists them); Keycloak expands them transitively when it
 * checks a role (RoleUtils.hasRole asks each mapped role's hasRole, which searches its composites
 * recursively), so a holder of any of these
 * roles holds the target. Cycles are allowed.
 */
export function rolesContaining(targetId: string, children: Map<string, string[]>): Set<string> {
  const parents = new Map<string, string[]>();
  for (const [parent, kids] of children) for (const k of kids) parents.set(k, [...(parents.get(k) ?? []), parent]);
  const out = new Set<string>([targetId]);
  const queue = [targetId];
  while (queue.length) {
    for (const p of parents.get(queue.shift()!) ?? []) {
      if (out.has(p)) continue;
      out.add(p);
      queue.push(p);
    }
  }
  return out;
}

/** A role as a mapper or the admin console names it: realm role `name`, client role `clientId.name`. */
export interface RoleRef {
  id: string;
  /** `name` for a realm role, `clientId.name` for a client role. */
  ref: string;
  clientRole: boolean;
}

/** Everything in the realm that carries the admin rights of the target. */
export interface AdminScope {
  target: MappingExpectation['target'];
  /** Role mode: the roles (other than the target) that contain it, by mapper reference. */
  roles: Map<string, RoleRef>;
  /**
   * Groups whose members hold the admin rights, each with its subgroups: the target group (group
   * mode), or the groups holding the target role or a role containing it (role mode), by path,
   * with why.
   */
  groups: Map<string, string>;
}

/** The scope of a group target: the group and its subgroups, nothing else. */
export function groupScope(path: string): AdminScope {
  const p = normaliseGroupPath(path);
  return { target: { kind: 'group', value: p }, roles: new Map(), groups: new Map([[p, `it is ${p}`]]) };
}

/** Why a mapper target is a way to the admin rights other than the target itself, or undefined. */
function indirectReason(kind: 'group' | 'role', value: string | undefined, scope: AdminScope): string | undefined {
  if (!value) return undefined;
  const t = scope.target;
  if (kind === 'group') {
    if (t.kind === 'group' && normaliseGroupPath(value) === t.value) return undefined;
    for (const [root, why] of scope.groups) {
      if (!isWithinGroup(value, root)) continue;
      if (t.kind === 'group') return `${normaliseGroupPath(value)} is a subgroup of ${t.value}, and members of a subgroup hold its roles`;
      return normaliseGroupPath(value) === root ? `group ${root} ${why}` : `${normaliseGroupPath(value)} is a subgroup of ${root}, which ${why}`;
    }
    return undefined;
  }
  if (t.kind === 'role' && value === t.value) return undefined;
  const r = scope.roles.get(value);
  return r ? `role ${value} contains ${t.value} (composite role)` : undefined;
}

/**
 * Judges the mappers of one provider that grant the admin rights other than by assigning the
 * target itself: to a subgroup of the target group, to a composite role containing the target
 * role, or to a group holding such a role. A hardcoded mapper gives them to everyone who signs in
 * through the provider; a claim mapper is acceptable only when it passes the same check as the
 * PIM mapper (the PIM group's claim value, FORCE), against `exp`, the expectation in this
 * provider's protocol. Mappers assigning exactly the target are left to planMapper and
 * otherProviderGrants.
 */
export function judgeIndirectGrants(alias: string, mappers: IdpMapper[], scope: AdminScope, exp: MappingExpectation | undefined): Array<{ mapper: IdpMapper; finding: Finding }> {
  const out: Array<{ mapper: IdpMapper; finding: Finding }> = [];
  const rights = `the admin rights of ${scope.target.value}`;
  for (const m of mappers) {
    const kind = kindOf(m);
    const targetKind = kind?.target ?? HARDCODED[m.identityProviderMapper] ?? (m.config?.group ? 'group' : m.config?.role ? 'role' : undefined);
    if (!targetKind) continue;
    const value = m.config?.[targetKind];
    const why = indirectReason(targetKind, value, scope);
    if (!why) continue;
    const label = `mapper "${m.name}" on ${alias}`;
    if (HARDCODED[m.identityProviderMapper]) {
      out.push({
        mapper: m,
        finding: finding(
          'error',
          'KC_MAPPER_INDIRECT_HARDCODED',
          `${label} is a hardcoded ${targetKind} mapper to ${value}: ${why}, so everyone who signs in through ${alias} gets ${rights}, PIM or not`,
          `delete mapper "${m.name}"`,
        ),
      });
      continue;
    }
    if (!kind) {
      out.push({
        mapper: m,
        finding: finding(
          'error',
          'KC_MAPPER_INDIRECT',
          `${label} (type ${m.identityProviderMapper}) assigns ${value}: ${why}; this tool does not know the mapper type, so it cannot tell whether it requires the PIM group`,
          `delete mapper "${m.name}" or point it elsewhere`,
        ),
      });
      continue;
    }
    if (!exp || exp.protocol !== kind.protocol || !exp.claim) {
      out.push({
        mapper: m,
        finding: finding(
          'error',
          'KC_MAPPER_INDIRECT',
          `${label} assigns ${value}: ${why}; ${exp?.claim ? `it is a ${kind.protocol.toUpperCase()} mapper on a ${exp.protocol.toUpperCase()} provider` : 'the PIM group claim is not known, so it cannot be shown to require the PIM group'}`,
          `delete mapper "${m.name}" or point it elsewhere`,
        ),
      });
      continue;
    }
    const issues = evaluateMapper(m, { ...exp, target: { kind: targetKind, value: targetKind === 'group' ? normaliseGroupPath(value) : value! } });
    const errs = issues.filter((i) => i.severity === 'error');
    if (errs.length === 0) {
      out.push({ mapper: m, finding: finding('info', 'KC_MAPPER_INDIRECT_PIM', `${label} assigns ${value} (${why}) only to users whose ${exp.claim.key} holds ${exp.claim.value}: it grants ${rights} through PIM too`) });
      continue;
    }
    out.push({
      mapper: m,
      finding: finding(
        'error',
        'KC_MAPPER_INDIRECT',
        `${label} assigns ${value}: ${why}, so it grants ${rights} outside PIM: ${errs.map((i) => i.message).join('; ')}`,
        `delete mapper "${m.name}", or make it require ${exp.claim.key}=${exp.claim.value} with sync mode FORCE like the PIM mapper`,
      ),
    });
  }
  return out;
}

/** The findings of judgeIndirectGrants. */
export function indirectGrantFindings(alias: string, mappers: IdpMapper[], scope: AdminScope, exp: MappingExpectation | undefined): Finding[] {
  return judgeIndirectGrants(alias, mappers, scope, exp).map((j) => j.finding);
}

/** Default groups that give every new user the admin rights: the target group, a subgroup, or (role mode) a group holding the role. */
export function defaultGroupFindings(defaults: Array<{ path?: string; name?: string }>, scope: AdminScope, realm: string): Finding[] {
  const out: Finding[] = [];
  for (const g of defaults) {
    const path = normaliseGroupPath(g.path ?? g.name);
    const exact = scope.target.kind === 'group' && path === scope.target.value;
    const why = exact ? undefined : indirectReason('group', path, scope);
    if (!exact && !why) continue;
    out.push(
      finding(
        'error',
        'KC_GROUP_DEFAULT',
        exact
          ? `${path} is a default group of realm ${realm}: every new user, local or brokered, joins it without PIM`
          : `${path} is a default group of realm ${realm} and ${why}: every new user, local or brokered, gets the admin rights of ${scope.target.value} without PIM`,
        `remove ${path} from Realm settings → User registration → Default groups`,
      ),
    );
  }
  return out;
}

/** The realm's default role (`default-roles-<realm>`, held by every user) containing the target role: everyone is admin. */
export function defaultRoleFindings(defaultRole: { id?: string; name?: string } | undefined, closure: Set<string>, target: string, realm: string): Finding[] {
  if (!defaultRole?.id || !closure.has(defaultRole.id)) return [];
  const name = defaultRole.name ?? `default-roles-${realm}`;
  return [
    finding(
      'error',
      'KC_ROLE_DEFAULT',
      `the default role ${name} of realm ${realm} is or contains ${target} (directly or through composite roles): every user of the realm holds it, so everyone has the admin rights without PIM`,
      `remove ${target} (or the composite role containing it) from Realm settings → User registration → Default roles`,
    ),
  ];
}

// ---- one user's admin rights (verify-user) ------------------------------------------------

/** One way a user holds the admin rights: a group membership, a role mapping, or the realm's default role. */
export interface UserGrant {
  kind: 'group' | 'role' | 'default-role';
  /** The user's own group (path) or role (`name`, `clientId.name`) that carries the rights. */
  value: string;
  /** Why it carries them, in words. */
  why: string;
}

/**
 * The ways one user holds the admin rights, judged with the audit's scope: each direct group of
 * the user that is within a scope group (the target group, or a group holding a role of the
 * closure, each with its subgroups: isWithinGroup), each direct role mapping that is the target
 * role or a composite containing it, and the default role when it contains the target. These are
 * exactly the users residualFindings and defaultRoleFindings count.
 */
export function userGrants(user: { groups: string[]; roles: RoleRef[] }, scope: AdminScope, o: { targetRoleId?: string; defaultRole?: string } = {}): UserGrant[] {
  const t = scope.target;
  const out: UserGrant[] = [];
  for (const g of user.groups) {
    const path = normaliseGroupPath(g);
    for (const [root, why] of scope.groups) {
      if (!isWithinGroup(path, root)) continue;
      const text =
        t.kind === 'group'
          ? path === t.value
            ? `member of ${t.value}`
            : `member of ${path}, a subgroup of ${t.value} (members of a subgroup hold its roles)`
          : path === root
            ? `member of group ${root}, which ${why}`
            : `member of ${path}, a subgroup of ${root}, which ${why}`;
      out.push({ kind: 'group', value: path, why: text });
      break;
    }
  }
  if (t.kind === 'role') {
    const composites = new Set([...scope.roles.values()].map((r) => r.id));
    for (const r of user.roles) {
      if (o.targetRoleId !== undefined && r.id === o.targetRoleId) out.push({ kind: 'role', value: r.ref, why: `holds ${t.value} directly` });
      else if (composites.has(r.id)) out.push({ kind: 'role', value: r.ref, why: `holds role ${r.ref}, which contains ${t.value} (composite role)` });
    }
    if (o.defaultRole) out.push({ kind: 'default-role', value: o.defaultRole, why: `every user holds the default role ${o.defaultRole}, which is or contains ${t.value}` });
  }
  return out;
}

/** A mapper that assigns a group or role carrying the admin rights, with how Keycloak applies it. */
export interface GrantingMapper {
  alias: string;
  name: string;
  /** What it assigns: a group path (normalised) or a role. */
  kind: 'group' | 'role';
  value: string;
  /** Assigns it to everyone who signs in through the provider. */
  hardcoded: boolean;
  mode: EffectiveSyncMode;
  /** LEGACY on an OIDC Claim-to-Role mapper: removes at later logins, never grants again. */
  legacyRemoveOnly: boolean;
  /**
   * Set when the mapper does not require the PIM group (no condition, or conditions on something
   * else): it grants at every sign-in whether or not PIM is active. Judged only when an
   * expectation is passed to grantingMappers.
   */
  withoutPim?: string;
}

/** Condition problems that leave a mapper granting without the PIM group (as opposed to never matching). */
const NO_PIM_CONDITION = new Set(['KC_MAPPER_CLAIMS_EMPTY', 'KC_MAPPER_CLAIM_MISMATCH']);

/**
 * The mappers of one provider that assign the target or anything carrying its rights (a subgroup,
 * a group holding a role of the closure, a composite containing the role), as the audit's
 * planMapper and indirectGrantFindings see them, with their effective sync mode.
 */
export function grantingMappers(alias: string, mappers: IdpMapper[], idpSyncMode: string | undefined, scope: AdminScope, exp?: MappingExpectation): GrantingMapper[] {
  const out: GrantingMapper[] = [];
  for (const m of mappers) {
    const hardcoded = HARDCODED[m.identityProviderMapper];
    const kind = kindOf(m)?.target ?? hardcoded;
    if (!kind) continue;
    const value = targetOf(m, kind);
    if (!value) continue;
    const exact = scope.target.kind === kind && value === scope.target.value;
    if (!exact && !indirectReason(kind, value, scope)) continue;
    const mode = effectiveSyncMode(m.config?.syncMode, idpSyncMode).mode;
    // The audit's evaluateMapper on this mapper and its own target (KC_MAPPER_CLAIM_MISMATCH /
    // KC_MAPPER_CLAIMS_EMPTY there, KC_MAPPER_INDIRECT for a subgroup or composite).
    const missing = !hardcoded && exp?.claim && kindOf(m)?.protocol === exp.protocol ? evaluateMapper(m, { ...exp, target: { kind, value } }).find((i) => NO_PIM_CONDITION.has(i.code)) : undefined;
    out.push({
      alias,
      name: m.name,
      kind,
      value,
      hardcoded: Boolean(hardcoded),
      mode,
      legacyRemoveOnly: mode === 'LEGACY' && LEGACY_REMOVE_ONLY.has(m.identityProviderMapper),
      ...(missing ? { withoutPim: missing.message } : {}),
    });
  }
  return out;
}

// ---- grants outside identity-provider mappers (LDAP user storage, protocol mappers) -------

/** Component provider type of an LDAP (or other) user storage provider. */
export const USER_STORAGE_TYPE = 'org.keycloak.storage.UserStorageProvider';
/** Component provider type of the mappers under an LDAP provider. */
export const LDAP_MAPPER_TYPE = 'org.keycloak.storage.ldap.mappers.LDAPStorageMapper';

const first = (c: KcComponent, key: string): string | undefined => c.config?.[key]?.[0];

/**
 * Whether a user storage provider is in force: CacheableStorageProviderModel.isEnabled reads a
 * missing `enabled` as true and anything else with Boolean.valueOf (case-insensitive "true").
 */
function storageEnabled(provider: KcComponent | undefined): boolean {
  const v = provider ? first(provider, 'enabled') : undefined;
  return v === undefined || javaTrue(v);
}

/** Whether `path` is `root` or one of its ancestors (`/` is everyone's ancestor). */
function isAncestorOrSelf(path: string, root: string): boolean {
  const p = normaliseGroupPath(path);
  return p === '/' || isWithinGroup(root, p);
}

/** What a role reference grants within the scope (role mode): the target or a composite containing it. */
function roleReason(role: string | undefined, scope: AdminScope): string | undefined {
  if (!role || scope.target.kind !== 'role') return undefined;
  if (role === scope.target.value) return `it is ${role}`;
  return scope.roles.has(role) ? `role ${role} contains ${scope.target.value} (composite role)` : undefined;
}

/** Why a group path carries the admin rights (the target, a subgroup, a group holding a role of the closure), or undefined. */
function groupReason(path: string | undefined, scope: AdminScope): string | undefined {
  if (!path || !path.trim()) return undefined;
  if (scope.target.kind === 'group' && normaliseGroupPath(path) === scope.target.value) return `it is ${scope.target.value}`;
  return indirectReason('group', path, scope);
}

/**
 * Judges the mappers of the realm's LDAP user storage providers. A hardcoded LDAP group or role
 * mapper gives its group or role to every user of that LDAP provider: HardcodedLDAPGroupStorageMapper
 * and HardcodedLDAPRoleStorageMapper add it in the user proxy (getGroupsStream, hasRole) on every
 * read, nothing is stored, so no group-member listing shows these users, an IdP mapper cannot take
 * it away (leaveGroup throws "hardcoded by LDAP mapper") and they sign in with their LDAP
 * password, never through Entra: a way to the admin rights without PIM (error). A group-ldap-mapper
 * whose `groups.path` (default `/`) is at or under a group carrying the rights, or above it (an
 * LDAP group of the right name lands on it), and a role-ldap-mapper mapping LDAP groups to the
 * realm roles (`use.realm.roles.mapping`, default true) or to the client of a role of the
 * closure, grant the rights to whoever LDAP says: a warning, since it depends on LDAP content.
 * A disabled provider only lowers an error to a warning: UserStorageManager.validateFederatedUser
 * hands out its users as disabled, read-only users (no sign-in, no mapper proxy), but anyone who
 * may manage the realm can enable it again.
 */
export function ldapGrantFindings(providers: KcComponent[], mappers: KcComponent[], scope: AdminScope, o: { targetIsClientRole?: boolean } = {}): Finding[] {
  const out: Finding[] = [];
  const rights = `the admin rights of ${scope.target.value}`;
  for (const m of mappers) {
    const provider = providers.find((p) => p.id === m.parentId);
    const enabled = storageEnabled(provider);
    const where = `LDAP mapper "${m.name ?? m.id}" of user storage ${provider?.name ?? m.parentId ?? '(unknown)'}${enabled ? '' : ' (disabled)'}`;
    const disabledNote = enabled ? '' : '; the provider is disabled (its users cannot sign in now), but enabling it again grants this at once';
    const fix = `delete the mapper "${m.name ?? m.id}" (User federation → ${provider?.name ?? 'the LDAP provider'} → Mappers)`;
    const type = m.providerId;
    if (type === 'hardcoded-ldap-group-mapper' || type === 'hardcoded-ldap-role-mapper') {
      const group = type === 'hardcoded-ldap-group-mapper';
      const value = first(m, group ? 'group' : 'role');
      const why = group ? groupReason(value, scope) : roleReason(value, scope);
      if (!why) continue;
      out.push(
        finding(
          enabled ? 'error' : 'warning',
          group ? 'KC_LDAP_HARDCODED_GROUP' : 'KC_LDAP_HARDCODED_ROLE',
          `${where} gives every LDAP user the ${group ? 'group' : 'role'} ${value} (${why}): they hold ${rights} without PIM, sign in with their LDAP password, and no group-member listing or identity-provider mapper sees or removes it${disabledNote}`,
          fix,
        ),
      );
      continue;
    }
    if (type === 'group-ldap-mapper') {
      const path = normaliseGroupPath(first(m, 'groups.path') || '/');
      for (const [root] of scope.groups) {
        const under = isWithinGroup(path, root);
        if (!under && !isAncestorOrSelf(path, root)) continue;
        out.push(
          finding(
            'warning',
            'KC_LDAP_GROUP_MAPPER',
            under
              ? `${where} puts the LDAP groups it maps under ${path}, within ${root}: every member of such an LDAP group holds ${rights}, decided in LDAP, not by PIM${disabledNote}`
              : `${where} maps LDAP groups under ${path}, above ${root}: an LDAP group named like ${root.slice(path === '/' ? 1 : path.length + 1)} lands on ${root}, so its members would hold ${rights}, decided in LDAP, not by PIM${disabledNote}`,
            `check the LDAP groups it maps, or set its "LDAP groups path" outside ${root}`,
          ),
        );
        break;
      }
      continue;
    }
    if (type === 'role-ldap-mapper' && scope.target.kind === 'role') {
      const realmMapping = first(m, 'use.realm.roles.mapping') === undefined || javaTrue(first(m, 'use.realm.roles.mapping'));
      const client = first(m, 'client.id');
      const closure = [{ ref: scope.target.value, clientRole: Boolean(o.targetIsClientRole) }, ...[...scope.roles.values()].map((r) => ({ ref: r.ref, clientRole: r.clientRole }))];
      const hit = realmMapping ? closure.find((r) => !r.clientRole) : client ? closure.find((r) => r.clientRole && r.ref.startsWith(`${client}.`)) : undefined;
      if (!hit) continue;
      out.push(
        finding(
          'warning',
          'KC_LDAP_ROLE_MAPPER',
          `${where} maps LDAP groups to ${realmMapping ? 'realm roles' : `roles of client ${client}`} by name: an LDAP group named like ${hit.clientRole ? hit.ref.slice(client!.length + 1) : hit.ref} would give its members ${hit.ref}${hit.ref === scope.target.value ? '' : `, which contains ${scope.target.value}`}, decided in LDAP, not by PIM${disabledNote}`,
          `check the LDAP groups it maps, or point it at a client without admin roles`,
        ),
      );
    }
  }
  return out;
}

const GROUP_MEMBERSHIP_CLAIM: Record<string, string> = { 'oidc-group-membership-mapper': 'claim.name', 'saml-group-membership-mapper': 'attribute.name' };
const HARDCODED_CLAIM: Record<string, [string, string]> = {
  'oidc-hardcoded-claim-mapper': ['claim.name', 'claim.value'],
  'saml-hardcode-attribute-mapper': ['attribute.name', 'attribute.value'],
};
const HARDCODED_TOKEN_ROLE = new Set(['oidc-hardcoded-role-mapper', 'saml-hardcode-role-mapper']);

/** The values a hardcoded claim carries: a JSON list's strings, or the text itself. */
function claimValues(v: string): string[] {
  try {
    const parsed: unknown = JSON.parse(v);
    if (Array.isArray(parsed)) return parsed.filter((x): x is string => typeof x === 'string');
    if (typeof parsed === 'string') return [parsed];
  } catch {
    // not JSON: the plain text is the value
  }
  return [v];
}

/**
 * Judges the protocol mappers of clients and client scopes: they write tokens, not memberships.
 * A hardcoded role mapper (`oidc-hardcoded-role-mapper`, `saml-hardcode-role-mapper`: config
 * `role`) puts a role into every token of the clients it applies to, held or not
 * (HardcodedRole.transformAccessToken): in role mode a role of the closure there is admin in
 * every token, without PIM (error). A hardcoded claim or attribute whose name is the group claim
 * (`groups`, or the name a group membership mapper of the realm writes) carrying a group that
 * holds the rights (its path or name) makes every token look like the admin group's: a warning,
 * since it matters only to applications reading that claim.
 */
export function protocolMapperFindings(owners: KcMapperOwner[], scope: AdminScope): Finding[] {
  const out: Finding[] = [];
  const rights = `the admin rights of ${scope.target.value}`;
  const claimNames = new Set(['groups']);
  for (const ow of owners) for (const pm of ow.protocolMappers ?? []) {
    const key = GROUP_MEMBERSHIP_CLAIM[pm.protocolMapper];
    const name = key ? pm.config?.[key]?.trim() : undefined;
    if (name) claimNames.add(name);
  }
  for (const ow of owners) {
    for (const pm of ow.protocolMappers ?? []) {
      const where = `protocol mapper "${pm.name ?? pm.id}" of ${ow.kind} ${ow.name}`;
      const fix = `delete the protocol mapper "${pm.name ?? pm.id}" (${ow.kind === 'client' ? 'Clients' : 'Client scopes'} → ${ow.name} → ${ow.kind === 'client' ? 'Client scopes → dedicated scope' : 'Mappers'})`;
      if (HARDCODED_TOKEN_ROLE.has(pm.protocolMapper)) {
        const why = roleReason(pm.config?.role, scope);
        if (!why) continue;
        out.push(
          finding(
            'error',
            'KC_TOKEN_HARDCODED_ROLE',
            `${where} writes role ${pm.config?.role} (${why}) into every token ${ow.kind === 'client' ? 'of that client' : 'of the clients using that scope'}, whoever signs in: an application reading the token's roles grants ${rights} without PIM`,
            fix,
          ),
        );
        continue;
      }
      const keys = HARDCODED_CLAIM[pm.protocolMapper];
      if (!keys) continue;
      const name = pm.config?.[keys[0]]?.trim();
      const raw = pm.config?.[keys[1]];
      if (!name || !claimNames.has(name) || !raw) continue;
      const hit = claimValues(raw)
        .map((v) => v.trim())
        .find((v) => [...scope.groups.keys()].some((root) => isWithinGroup(v, root) || v === root.split('/').pop()));
      if (!hit) continue;
      out.push(
        finding(
          'warning',
          'KC_TOKEN_HARDCODED_GROUP',
          `${where} writes ${hit} into the group claim ${name} of every token ${ow.kind === 'client' ? 'of that client' : 'of the clients using that scope'}, whoever signs in: an application reading ${name} sees a member of a group carrying ${rights}, without PIM`,
          fix,
        ),
      );
    }
  }
  return out;
}

// ---- SAML: the pasted signing certificate against the app's own ---------------------------

/** What Entra says about the app's SAML signing keys (servicePrincipal keyCredentials, preferredTokenSigningKeyThumbprint). */
export interface EntraSamlSigning {
  /** `saml` for an app set up for SAML single sign-on. */
  preferredSingleSignOnMode?: string | null;
  /** SHA-1 thumbprint (hex) of the certificate Entra signs SAML responses with. */
  preferredTokenSigningKeyThumbprint?: string | null;
  keyCredentials?: Array<{ keyId?: string | null; type?: string | null; usage?: string | null; customKeyIdentifier?: string | null; key?: string | null; endDateTime?: string | null }> | null;
}

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
  if (k.key) return certificateThumbprint(k.key);
  const id = k.customKeyIdentifier?.trim();
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
  const pasted = (c.signingCertificate ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (pasted.length === 0) return [];
  const name = `identity provider ${idp.alias}`;
  const fix = `paste the app's active SAML signing certificate from Entra (Enterprise applications → the app → Single sign-on → SAML Certificates → Certificate (Base64)) into "Validating X509 certificates" of ${idp.alias}, and nothing else`;
  const preferred = sp?.preferredTokenSigningKeyThumbprint?.replace(/[^0-9a-f]/gi, '').toUpperCase();
  if (!preferred) {
    // Read but empty is a fact about the app (warning); not read at all is reported where the read failed.
    const read = sp !== undefined && sp.preferredTokenSigningKeyThumbprint !== undefined;
    const why = read ? 'Entra names no preferred signing certificate for the app (preferredTokenSigningKeyThumbprint)' : "the enterprise app's signing keys were not read";
    return [finding(read ? 'warning' : 'info', 'KC_IDP_SAML_CERT_UNCHECKED', `${name}: whether its signing certificate is the app's own SAML signing certificate in Entra was not checked (${why})`, fix)];
  }
  const appKeys = new Map<string, string>();
  for (const k of sp?.keyCredentials ?? []) {
    const t = keyThumbprint(k);
    if (t && k.type !== 'Symmetric') appKeys.set(t, k.usage ?? '');
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
        `${name} does not trust the certificate Entra signs this app's SAML responses with (thumbprint ${preferred}); it trusts ${prints.map((x) => x.t ?? 'an unreadable certificate').join(', ')}${inactive.length ? ' (an inactive key of the app)' : ''}: Keycloak rejects Entra's real sign-ins`,
        fix,
      ),
    );
  } else if (inactive.length) {
    out.push(
      finding(
        'warning',
        'KC_IDP_SAML_CERT_INACTIVE',
        `${name} also trusts ${inactive.map((x) => x.t).join(', ')}, a signing key of the app that Entra does not sign with now (the active one is ${preferred})`,
        `remove the inactive certificate from "Validating X509 certificates" of ${idp.alias} once it is not needed for a rollover`,
      ),
    );
  }
  if (foreign.length || unreadable.length) {
    out.push(
      finding(
        'error',
        'KC_IDP_SAML_CERT_FOREIGN',
        `${name} trusts ${[...foreign.map((x) => `certificate ${x.t}`), ...unreadable.map(() => 'a certificate this tool cannot read')].join(', ')}, which is not a signing key of this app in Entra: whoever holds its private key can sign a SAMLResponse with any group and become admin without PIM`,
        fix,
      ),
    );
  }
  return out;
}
