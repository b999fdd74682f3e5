import { readFileSync } from 'node:fs';
import { KeycloakError, UsageError } from '../errors.js';
import type { Journal } from '../journal.js';
import type { HttpRequest } from '../plan/types.js';
import type { Logger } from '../ui/log.js';
import { registerSecret } from '../ui/redact.js';
import { pemCertificates, TLS_TRUST_CODES, Transport, TransportError, type RawResponse } from './http.js';
import { KeycloakForbiddenError, KeycloakReadOnlyError } from './errors.js';
import { createMapperRequest, updateMapperRequest } from './requests.js';
import type { KeycloakSettings } from './settings.js';
import type { FederatedIdentity, IdentityProvider, IdpMapper, KcClient, KcGroup, KcRole, KcUser, MapperTypes, RealmInfo } from './types.js';

export interface KeycloakApiOptions {
  settings: KeycloakSettings;
  /** Audit mode: the write gate refuses every write. */
  readOnly: boolean;
  journal: Journal;
  log: Logger;
  /** Clock for token expiry, in ms (tests move it forward). */
  now?: () => number;
  /** Per-request inactivity timeout, default 30 s. */
  timeoutMs?: number;
}

/** Result of a write that Keycloak accepted. */
export interface WriteResult {
  status: number;
  /** Id of a created resource, from the Location header. */
  id?: string;
}

const PAGE = 100;
const seg = encodeURIComponent;

export { createMapperRequest, updateMapperRequest, KeycloakForbiddenError, KeycloakReadOnlyError };

/**
 * The only door to the Keycloak admin REST API. It owns sign-in (client credentials or the
 * password grant with `admin-cli`, in the auth realm), signs in again when the access token
 * expires or is rejected (client credentials get no refresh token), maps failures to one-line
 * KeycloakErrors that never carry secrets, and has the single write gate: journal `before`,
 * send, journal `after`, refused outright when read-only.
 */
export class KeycloakApi {
  readonly settings: KeycloakSettings;
  readonly readOnly: boolean;
  /** Server version from /admin/serverinfo, when the account may read it. */
  version?: string;
  /** Counters for tests and verbose output. */
  readonly stats = { reads: 0, writes: 0, signIns: 0 };

  /** `client <id>` or `user <name>`, for messages. */
  readonly principal: string;

  private readonly base: URL;
  private readonly transport: Transport;
  private readonly now: () => number;
  private token?: { value: string; expiresAt: number; lifetimeMs: number };
  private signingIn?: Promise<string>;

  constructor(private readonly opts: KeycloakApiOptions) {
    const s = opts.settings;
    this.settings = s;
    this.readOnly = opts.readOnly;
    this.now = opts.now ?? Date.now;
    try {
      this.base = new URL(s.url);
    } catch {
      throw new UsageError(`--keycloak-url ${s.url}: not a URL`);
    }
    if (s.clientId) {
      if (!s.clientSecret) throw new UsageError('--keycloak-client-id needs the secret in the environment variable KEYCLOAK_CLIENT_SECRET');
      this.principal = `client ${s.clientId}`;
    } else if (s.username) {
      if (!s.password) throw new UsageError('--keycloak-username needs the password in the environment variable KEYCLOAK_PASSWORD');
      this.principal = `user ${s.username}`;
    } else {
      throw new UsageError('Keycloak sign-in: pass --keycloak-client-id (secret in KEYCLOAK_CLIENT_SECRET) or --keycloak-username (password in KEYCLOAK_PASSWORD)');
    }
    registerSecret(s.clientSecret);
    registerSecret(s.password);
    this.transport = new Transport(s.caFile ? readCaFile(s.caFile) : undefined, opts.timeoutMs ?? 30_000);
  }

  /** Signs in and reads the server version (when permitted). Fails with a one-line KeycloakError. */
  async connect(): Promise<void> {
    await this.accessToken();
    this.version = await this.serverVersion();
    this.opts.log.verbose(`Keycloak ${this.version ?? '(version not visible to this account)'} at ${this.settings.url}, signed in as ${this.principal} in realm ${this.settings.authRealm}`);
  }

  /** Releases keep-alive connections. */
  close(): void {
    this.transport.close();
  }

  // ---- reads -------------------------------------------------------------------------------

  /** `systemInfo.version`, or undefined when the account may not see it. */
  async serverVersion(): Promise<string | undefined> {
    try {
      const info = await this.getJson<{ systemInfo?: { version?: string } }>('/admin/serverinfo', { what: 'read the server info' });
      return info?.systemInfo?.version;
    } catch (err) {
      if (err instanceof KeycloakError && err.status !== undefined) return undefined;
      throw err;
    }
  }

  /** The realm, or null when it does not exist. Without `view-realm` the session fields are missing. */
  getRealm(realm: string): Promise<RealmInfo | null> {
    return this.getJson<RealmInfo>(this.realmPath(realm), { what: `read realm ${realm}`, role: 'view-realm', notFound: true });
  }

  /** Every identity provider of the realm (paged). */
  listIdentityProviders(realm: string): Promise<IdentityProvider[]> {
    return this.listAll<IdentityProvider>(`${this.realmPath(realm)}/identity-provider/instances`, {}, { what: `list the identity providers of realm ${realm}`, role: 'view-identity-providers' });
  }

  /** One provider by alias, or null. */
  getIdentityProvider(realm: string, alias: string): Promise<IdentityProvider | null> {
    return this.getJson<IdentityProvider>(`${this.realmPath(realm)}/identity-provider/instances/${seg(alias)}`, {
      what: `read identity provider ${alias}`,
      role: 'view-identity-providers',
      notFound: true,
    });
  }

  /** The provider's mappers. */
  async listMappers(realm: string, alias: string): Promise<IdpMapper[]> {
    return (
      (await this.getJson<IdpMapper[]>(`${this.realmPath(realm)}/identity-provider/instances/${seg(alias)}/mappers`, {
        what: `list the mappers of identity provider ${alias}`,
        role: 'view-identity-providers',
      })) ?? []
    );
  }

  /** The mapper types this provider accepts, by id. */
  async listMapperTypes(realm: string, alias: string): Promise<MapperTypes> {
    return (
      (await this.getJson<MapperTypes>(`${this.realmPath(realm)}/identity-provider/instances/${seg(alias)}/mapper-types`, {
        what: `list the mapper types of identity provider ${alias}`,
        role: 'view-identity-providers',
      })) ?? {}
    );
  }

  /** The group at `path` (`/parent/child`), or null when no group has that path. */
  getGroupByPath(realm: string, path: string): Promise<KcGroup | null> {
    const segments = path.split('/').filter(Boolean).map(seg).join('/');
    return this.getJson<KcGroup>(`${this.realmPath(realm)}/group-by-path/${segments}`, { what: `read group ${path}`, role: 'view-users', notFound: true });
  }

  /** Direct subgroups of a group. */
  listSubGroups(realm: string, groupId: string): Promise<KcGroup[]> {
    return this.listAll<KcGroup>(`${this.realmPath(realm)}/groups/${seg(groupId)}/children`, { briefRepresentation: 'true' }, { what: 'list subgroups', role: 'view-users' });
  }

  /** Direct members with their attributes (not brief: the attributes may hold the Entra object id). */
  listGroupMembers(realm: string, groupId: string): Promise<KcUser[]> {
    return this.listAll<KcUser>(`${this.realmPath(realm)}/groups/${seg(groupId)}/members`, { briefRepresentation: 'false' }, { what: 'list group members', role: 'view-users' });
  }

  /** A user's identity-provider links; `userId` is the upstream subject. */
  async listFederatedIdentities(realm: string, userId: string): Promise<FederatedIdentity[]> {
    return (
      (await this.getJson<FederatedIdentity[]>(`${this.realmPath(realm)}/users/${seg(userId)}/federated-identity`, {
        what: 'read the identity-provider links of a user',
        role: 'view-users',
      })) ?? []
    );
  }

  /** Groups every new user joins. */
  async getDefaultGroups(realm: string): Promise<KcGroup[]> {
    return (await this.getJson<KcGroup[]>(`${this.realmPath(realm)}/default-groups`, { what: `read the default groups of realm ${realm}`, role: 'view-realm' })) ?? [];
  }

  /** A realm role, or null. */
  getRealmRole(realm: string, name: string): Promise<KcRole | null> {
    return this.getJson<KcRole>(`${this.realmPath(realm)}/roles/${seg(name)}`, { what: `read realm role ${name}`, role: 'view-realm', notFound: true });
  }

  /** Users holding a realm role directly. */
  listRealmRoleUsers(realm: string, name: string): Promise<KcUser[]> {
    return this.listAll<KcUser>(`${this.realmPath(realm)}/roles/${seg(name)}/users`, { briefRepresentation: 'false' }, { what: `list the users with realm role ${name}`, role: 'view-users' });
  }

  /** The client with exactly this clientId, or null. */
  async findClient(realm: string, clientId: string): Promise<KcClient | null> {
    const found = await this.getJson<KcClient[]>(`${this.realmPath(realm)}/clients`, { query: { clientId, search: 'false' }, what: `look up client ${clientId}`, role: 'view-clients' });
    return found?.find((c) => c.clientId === clientId) ?? null;
  }

  /** A client role, or null. */
  getClientRole(realm: string, clientUuid: string, name: string): Promise<KcRole | null> {
    return this.getJson<KcRole>(`${this.realmPath(realm)}/clients/${seg(clientUuid)}/roles/${seg(name)}`, { what: `read client role ${name}`, role: 'view-clients', notFound: true });
  }

  /** Users holding a client role directly. */
  listClientRoleUsers(realm: string, clientUuid: string, name: string): Promise<KcUser[]> {
    return this.listAll<KcUser>(`${this.realmPath(realm)}/clients/${seg(clientUuid)}/roles/${seg(name)}/users`, { briefRepresentation: 'false' }, { what: `list the users with client role ${name}`, role: 'view-users' });
  }

  // ---- writes ------------------------------------------------------------------------------

  /** The write gate: journals the request (and backup), sends it exactly, journals the result. */
  async write(request: HttpRequest, backup?: unknown): Promise<WriteResult> {
    if (this.readOnly) throw new KeycloakReadOnlyError(`refused ${request.method} ${request.url}: this Keycloak connection is read-only`);
    const seq = this.opts.journal.before('keycloak', request, backup);
    this.stats.writes++;
    let res: RawResponse;
    try {
      res = await this.exchange(request.method, request.url, undefined, request.body);
    } catch (err) {
      this.opts.journal.after(seq, { ok: false, message: err instanceof Error ? err.message : String(err) });
      throw err;
    }
    const ok = res.status >= 200 && res.status < 300;
    const location = typeof res.headers.location === 'string' ? res.headers.location : undefined;
    const id = location ? decodeURIComponent(location.split('/').pop() ?? '') || undefined : undefined;
    this.opts.journal.after(seq, { ok, status: res.status, message: ok ? undefined : errorDetail(res) || `HTTP ${res.status}`, response: id ? { id } : undefined });
    if (!ok) throw this.httpError(res, `${request.method} ${request.url}`, request.url.includes('/identity-provider/') ? 'manage-identity-providers' : undefined);
    return { status: res.status, id };
  }

  /** Creates a provider mapper through the write gate. */
  createMapper(realm: string, alias: string, mapper: IdpMapper): Promise<WriteResult> {
    return this.write(createMapperRequest(realm, alias, mapper));
  }

  /** Replaces a provider mapper through the write gate. */
  updateMapper(realm: string, alias: string, id: string, mapper: IdpMapper): Promise<WriteResult> {
    return this.write(updateMapperRequest(realm, alias, id, mapper));
  }

  // ---- plumbing ----------------------------------------------------------------------------

  private realmPath(realm: string): string {
    return `/admin/realms/${seg(realm)}`;
  }

  private url(path: string, query?: Record<string, string | number>): URL {
    const url = new URL(this.base.toString());
    url.pathname = url.pathname.replace(/\/+$/, '') + path;
    url.search = '';
    for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, String(v));
    return url;
  }

  private async getJson<T>(path: string, o: { query?: Record<string, string | number>; what: string; role?: string; notFound?: boolean }): Promise<T | null> {
    const res = await this.exchange('GET', path, o.query);
    this.stats.reads++;
    if (res.status === 404 && o.notFound) return null;
    if (res.status < 200 || res.status >= 300) throw this.httpError(res, o.what, o.role);
    try {
      return JSON.parse(res.body) as T;
    } catch {
      throw new KeycloakError(`Keycloak answered ${o.what} with something that is not JSON (HTTP ${res.status}); is ${this.settings.url} the Keycloak base URL?`, res.status);
    }
  }

  private async listAll<T>(path: string, query: Record<string, string>, o: { what: string; role?: string }): Promise<T[]> {
    const out: T[] = [];
    for (let first = 0; ; first += PAGE) {
      const page = (await this.getJson<T[]>(path, { query: { ...query, first, max: PAGE }, ...o })) ?? [];
      out.push(...page);
      if (page.length < PAGE) return out;
    }
  }

  /** Sends one authenticated request; a 401 means the token expired or was revoked: sign in once more and resend. */
  private async exchange(method: string, path: string, query?: Record<string, string | number>, body?: unknown): Promise<RawResponse> {
    const url = this.url(path, query);
    for (let attempt = 0; ; attempt++) {
      const token = await this.accessToken();
      const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await this.send(method, url, headers, body === undefined ? undefined : JSON.stringify(body));
      if (res.status === 401 && attempt === 0) {
        this.opts.log.verbose(`Keycloak rejected the access token of ${this.principal} (expired or revoked); signing in again`);
        if (this.token?.value === token) this.token = undefined;
        continue;
      }
      return res;
    }
  }

  private async send(method: string, url: URL, headers: Record<string, string>, body?: string): Promise<RawResponse> {
    const started = Date.now();
    try {
      const res = await this.transport.send(method, url, headers, body);
      this.opts.log.http(method, url.toString(), res.status, Date.now() - started);
      return res;
    } catch (err) {
      this.opts.log.http(method, url.toString(), err instanceof TransportError ? err.code : 'error', Date.now() - started);
      if (err instanceof TransportError) {
        const hint = TLS_TRUST_CODES.has(err.code)
          ? ' (the server certificate is not trusted: pass --keycloak-ca-file with the CA that issued it)'
          : err.code === 'ERR_TLS_CERT_ALTNAME_INVALID'
            ? ' (the server certificate does not name this host)'
            : '';
        throw new KeycloakError(`cannot reach Keycloak at ${this.settings.url}: ${err.code}${hint}`);
      }
      throw err;
    }
  }

  private async accessToken(): Promise<string> {
    const t = this.token;
    // Renew a little early so a token does not expire between here and the server.
    if (t && t.expiresAt - Math.min(10_000, t.lifetimeMs / 4) > this.now()) return t.value;
    this.signingIn ??= this.signIn().finally(() => (this.signingIn = undefined));
    return this.signingIn;
  }

  private async signIn(): Promise<string> {
    const s = this.settings;
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    let form: Record<string, string>;
    if (s.clientId) {
      form = { grant_type: 'client_credentials' };
      // RFC 6749 §2.3.1: form-encode both parts before Basic.
      headers.authorization = `Basic ${Buffer.from(`${formEncode(s.clientId)}:${formEncode(s.clientSecret ?? '')}`).toString('base64')}`;
    } else {
      form = { grant_type: 'password', client_id: 'admin-cli', username: s.username ?? '', password: s.password ?? '' };
    }
    const res = await this.send('POST', this.url(`/realms/${seg(s.authRealm)}/protocol/openid-connect/token`), headers, new URLSearchParams(form).toString());
    const body = parseJson(res.body) as { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown } | undefined;
    if (res.status === 200 && typeof body?.access_token === 'string') {
      const lifetimeMs = (typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60) * 1000;
      this.token = { value: body.access_token, expiresAt: this.now() + lifetimeMs, lifetimeMs };
      this.stats.signIns++;
      return body.access_token;
    }
    if (res.status === 404) {
      throw new KeycloakError(`Keycloak has no realm ${s.authRealm} to sign in to (the token endpoint answered 404); check --keycloak-auth-realm`, 404);
    }
    const error = typeof body?.error === 'string' ? oneLine(body.error) : undefined;
    if (error) {
      const desc = typeof body?.error_description === 'string' ? oneLine(body.error_description) : '';
      // The generic descriptions add nothing to the error code; specific ones ("Account disabled") do.
      const extra = desc && !/^Invalid (user credentials|client or Invalid client credentials)$/.test(desc) ? `: ${desc}` : '';
      throw new KeycloakError(`Keycloak rejected the credentials for ${this.principal} in realm ${s.authRealm} (${error}${extra})`, res.status);
    }
    throw new KeycloakError(`Keycloak sign-in for ${this.principal} in realm ${s.authRealm} failed: HTTP ${res.status}`, res.status);
  }

  private httpError(res: RawResponse, what: string, role: string | undefined): KeycloakError {
    if (res.status === 403) {
      const needs = role ? `${this.principal} needs the realm-management role ${role}` : `${this.principal} lacks the permission`;
      return new KeycloakForbiddenError(`Keycloak refused to ${what} (403 Forbidden): ${needs} in realm ${this.settings.realm}`, role);
    }
    if (res.status === 401) {
      return new KeycloakError(`Keycloak rejected the access token of ${this.principal} even after signing in again (401) while trying to ${what}`, 401);
    }
    const detail = errorDetail(res);
    return new KeycloakError(`Keycloak could not ${what}: HTTP ${res.status}${detail ? ` ${detail}` : ''}`, res.status);
  }
}

function readCaFile(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--keycloak-ca-file ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const certs = pemCertificates(text);
  if (certs.length === 0) throw new UsageError(`--keycloak-ca-file ${file}: no PEM certificate (-----BEGIN CERTIFICATE-----) in it`);
  return certs;
}

function formEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%20/g, '+');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 199)}…` : flat;
}

/** Keycloak's error text from a response body (`error`, `errorMessage`, `error_description`). */
function errorDetail(res: RawResponse): string {
  const body = parseJson(res.body) as Record<string, unknown> | undefined;
  if (!body || typeof body !== 'object') return '';
  const parts = [body.error, body.errorMessage, body.error_description].filter((v): v is string => typeof v === 'string' && v.length > 0);
  return oneLine([...new Set(parts)].join(': '));
}
