/**
 * Pure analysis of what the Keycloak step read: which identity provider is the Entra one, whether
 * its mapper really turns the PIM group (or app role) into the Keycloak admin group and removes
 * it again (sync mode FORCE), how long sessions outlive an activation, and who holds the group
 * now. No I/O: the step reads, these functions judge.
 */
import { isMemberAccess } from '../graph/enums.js';
import { humanDuration } from '../plan/duration.js';
import type { Action, Finding, Severity } from '../plan/types.js';
import { createMapperRequest, updateMapperRequest } from './requests.js';
import type { FederatedIdentity, IdentityProvider, IdpMapper, KcCredential, KcUser, KeycloakConfig, MapperTypes, RealmInfo } from './types.js';
import type { GroupClaimFormat } from '../steps/group-claim.js';

/** The SAML attribute Entra puts group object ids in. */
export const SAML_GROUPS_ATTRIBUTE = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups';
/** The SAML attribute Entra puts app role values in. */
export const SAML_ROLE_ATTRIBUTE = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role';
/** The SAML attribute holding the user's Entra object id. */
export const SAML_OBJECT_ID_ATTRIBUTE = 'http://schemas.microsoft.com/identity/claims/objectidentifier';
/** Tenant-independent Entra endpoints: any Entra (or Microsoft) account can sign in through them. */
export const MULTI_TENANT_SEGMENTS = ['common', 'organizations', 'consumers'] as const;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ENTRA_HOST = /^(login\.(microsoftonline\.(com|us)|partner\.microsoftonline\.cn|chinacloudapi\.cn|windows\.net|microsoft\.com)|sts\.(windows\.net|chinacloudapi\.cn))$/i;

const finding = (severity: Severity, code: string, message: string, fix?: string): Finding => (fix ? { severity, code, message, fix } : { severity, code, message });

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

/** Java's `Boolean.valueOf(String)`: true only for "true", in any case (how Keycloak reads its config flags). */
const javaTrue = (v: string | undefined) => (v ?? '').trim().toLowerCase() === 'true';

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

/** Java's `Pattern.matches` is a full match; emulated with an anchored JS regex (same syntax for these cases). */
function fullMatch(pattern: string, value: string): boolean | undefined {
  try {
    return new RegExp(`^(?:${pattern})$`).test(value);
  } catch {
    return undefined;
  }
}

/** A regex value that also matches something other than the expected value grants the group too widely. */
function regexTooBroad(pattern: string, expected: string): boolean {
  const probes = ['', 'x', `${expected}x`, `x${expected}`, '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 'admin', 'Admins'];
  return probes.some((p) => p !== expected && fullMatch(pattern, p) === true);
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
  return { conditions: parsed.conditions, regex: c[kind.regexKey!] === 'true' };
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
    const matching = onKey.filter((c) => (regex ? fullMatch(c.value, want.value) === true : c.value === want.value));
    const what = meaning(want);
    const names = want.valueKind === 'display-name';
    const sends = want.format ? `the app emits ${names ? 'group display names' : 'group object ids'} in the ${want.key} claim (${want.format})` : `Entra sends group object ids in the ${want.key} claim`;
    const same = (a: string, b: string | undefined) => b !== undefined && a.toLowerCase() === b.toLowerCase();
    if (matching.length === 0) {
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
    } else if (regex && matching.some((c) => regexTooBroad(c.value, want.value))) {
      issues.push({
        code: 'KC_MAPPER_REGEX',
        severity: 'error',
        fixable: true,
        message: `${label} treats its values as regular expressions and ${matching.map((c) => c.value).join(', ')} also matches values other than ${want.value}`,
      });
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
    issues.push({
      code: 'KC_MAPPER_SYNC_LEGACY',
      severity: 'error',
      fixable: true,
      message: `${label} has sync mode LEGACY (${sync.why}): not guaranteed to take ${exp.target.value} away on later logins (Claim to Role never grants again under it); only FORCE re-evaluates it at every Entra login`,
    });
  } else if (sync.mode === 'INVALID') {
    issues.push({ code: 'KC_MAPPER_SYNC_INVALID', severity: 'error', fixable: true, message: `${label}: ${sync.why}` });
  }
  return issues;
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
      actions.push({ kind: 'create', target: 'keycloak', summary: `create mapper "${rep.name}" on identity provider ${exp.alias}: ${describe}`, request: createMapperRequest(realm, exp.alias, rep) });
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
      request: updateMapperRequest(realm, exp.alias, primary.mapper.id, rep),
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
    const kind = k?.target ?? HARDCODED[m.identityProviderMapper];
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
    const link = h.links.find((l) => l.identityProvider === input.alias);
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
export function localCredentialFindings(holders: Holder[], input: Pick<ResidualInput, 'alias' | 'target'>): Finding[] {
  const password: Holder[] = [];
  const passkey: Holder[] = [];
  const unknown: Holder[] = [];
  const unread: Holder[] = [];
  const unknownTypes = new Set<string>();
  for (const h of holders) {
    if (h.user.enabled === false || !h.links.some((l) => l.identityProvider === input.alias)) continue;
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
      .filter((i) => !groupId || !i.groupId || i.groupId.toLowerCase() === groupId.toLowerCase())
      .filter((i) => !i.startDateTime || Date.parse(i.startDateTime) <= t)
      .filter((i) => !i.endDateTime || Date.parse(i.endDateTime) > t)
      .map((i) => i.principalId.toLowerCase()),
  );
}
