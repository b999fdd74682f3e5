import type KeycloakAdminClient from '@keycloak/keycloak-admin-client';
import { KeycloakError, UsageError } from '../errors.js';
import type { Journal } from '../journal.js';
import type { Logger } from '../ui/log.js';
import { registerSecret } from '../core/redact.js';
import { jwtClaims } from '../core/jwt.js';
import { KeycloakForbiddenError } from './errors.js';
import { PrivateCaTrust, readCaFile, TLS_TRUST_CODES } from './private-ca.js';
import type { KeycloakSettings } from './settings.js';

type AdminClientModule = typeof import('@keycloak/keycloak-admin-client');
type NetworkErrorClass = AdminClientModule['NetworkError'];
type NetworkError = InstanceType<NetworkErrorClass>;

export interface KeycloakApiOptions {
  settings: KeycloakSettings;
  /** Audit mode: the write gate refuses every write. */
  readOnly: boolean;
  journal: Journal;
  log: Logger;
  /** Clock for token expiry, in ms (tests move it forward). */
  now?: () => number;
  /** Per-request timeout, default 30 s. */
  timeoutMs?: number;
}

const PAGE = 100;
const seg = encodeURIComponent;

/** What one admin call is, for the log line and for the error message if it fails. */
export interface CallInfo {
  method: string;
  /** Admin REST path, for the log only (the client builds the real URL). */
  path: string;
  /** Completes "Keycloak could not …" / "Keycloak refused to …". */
  what: string;
  /** realm-management role that a 403 means is missing. */
  role?: string;
  /** 404 means "no such thing": return null instead of failing. */
  notFound?: boolean;
  /** Status Keycloak answers on success (the client does not expose it), default 200. */
  okStatus?: number;
  /** The documented answer is a JSON array (a list) or object: anything else is not understood. */
  shape?: 'list' | 'object';
}

/**
 * The connection under `KeycloakApi`, on top of `@keycloak/keycloak-admin-client`. It owns
 * sign-in (client credentials or the password grant with `admin-cli`, in the auth realm), signs
 * in again when the access token nears expiry or is rejected (client credentials get no refresh
 * token), pages lists, and maps failures to one-line KeycloakErrors that never carry secrets.
 */
export class KeycloakConnection {
  readonly settings: KeycloakSettings;
  /** Counters for tests and verbose output; `signIns` counts successful token requests. */
  readonly stats = { reads: 0, writes: 0, signIns: 0 };

  /** `client <id>` or `user <name>`, for messages. */
  readonly principal: string;

  private readonly base: URL;
  private readonly caCerts?: string[];
  private readonly now: () => number;
  private readonly timeoutMs: number;
  private loading?: Promise<KeycloakAdminClient>;
  private networkError?: NetworkErrorClass;
  private trust?: PrivateCaTrust;
  private token?: { value: string; expiresAt: number; lifetimeMs: number };
  private signingIn?: Promise<string>;

  constructor(protected readonly opts: KeycloakApiOptions) {
    const s = opts.settings;
    this.settings = s;
    this.now = opts.now ?? Date.now;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
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
      throw new UsageError(
        'Keycloak sign-in: pass --keycloak-client-id (secret in KEYCLOAK_CLIENT_SECRET) or --keycloak-username (password in KEYCLOAK_PASSWORD)',
      );
    }
    registerSecret(s.clientSecret);
    registerSecret(s.password);
    // Read now so a bad file is a usage error before anything is sent.
    this.caCerts = s.caFile ? readCaFile(s.caFile) : undefined;
  }

  /** Releases keep-alive connections of the private-CA agent, if any. */
  close(): void {
    this.trust?.close();
  }

  // ---- plumbing ----------------------------------------------------------------------------

  /**
   * The admin client, imported on first use so the CLI's start-up does not load it. Its
   * `realmName` stays the auth realm (every call names its realm), and it takes tokens from
   * this class rather than refreshing on its own: client credentials get no refresh token,
   * and the expiry must follow `opts.now`.
   */
  protected client(): Promise<KeycloakAdminClient> {
    this.loading ??= (async () => {
      const mod = await import('@keycloak/keycloak-admin-client');
      if (this.caCerts) this.trust = await PrivateCaTrust.create(this.base.origin, this.caCerts);
      this.networkError = mod.NetworkError;
      // No redirect is followed: a 3xx is an answer this tool does not understand (an error), never
      // the way to another server's "[]".
      const kc = new mod.default({
        baseUrl: this.settings.url,
        realmName: this.settings.authRealm,
        timeout: this.timeoutMs,
        requestOptions: { redirect: 'manual' },
      });
      kc.registerTokenProvider({ getAccessToken: () => this.accessToken() });
      return kc;
    })();
    return this.loading;
  }

  /** Runs admin-client work so that its fetches trust --keycloak-ca-file. */
  protected scoped<T>(fn: () => Promise<T>): Promise<T> {
    return this.trust ? this.trust.run(fn) : fn();
  }

  /** A read whose 404 means "not there". */
  protected find(info: CallInfo, fn: (kc: KeycloakAdminClient, o: { catchNotFound: false }) => Promise<unknown>): Promise<unknown> {
    return this.call({ ...info, notFound: true }, fn);
  }

  protected async listAll(
    info: CallInfo,
    fn: (kc: KeycloakAdminClient, page: { first: number; max: number }, o: { catchNotFound: false }) => Promise<unknown[]>,
  ): Promise<unknown[]> {
    const out: unknown[] = [];
    for (let first = 0; ; first += PAGE) {
      const page = (await this.call({ ...info, shape: 'list' }, (kc, o) => fn(kc, { first, max: PAGE }, o))) ?? [];
      out.push(...page);
      if (page.length < PAGE) return out;
    }
  }

  /**
   * One admin call. A 401 means the token expired or was revoked: sign in once more and call
   * again. 404 is handled here rather than by the client's `catchNotFound`, so it is logged
   * and only the calls that expect it turn it into null.
   */
  protected async call<T>(info: CallInfo, fn: (kc: KeycloakAdminClient, o: { catchNotFound: false }) => Promise<T>): Promise<T | null> {
    const kc = await this.client();
    for (let attempt = 0; ; attempt++) {
      // Taking the token first (instead of inside the request) tells a 401 on this token apart
      // from one on a token that another call has already replaced.
      const token = await this.scoped(() => this.accessToken());
      const started = Date.now();
      let out: T;
      try {
        out = await this.scoped(() => fn(kc, { catchNotFound: false }));
      } catch (err) {
        if (!this.isNetworkError(err)) {
          const unreachable = this.unreachable(err);
          if (unreachable) {
            this.logHttp(info.method, info.path, unreachable.code, started);
            throw unreachable.error;
          }
          throw err;
        }
        const status = err.response.status;
        this.logHttp(info.method, info.path, status, started);
        if (info.okStatus === undefined) this.stats.reads++;
        if (status === 401 && attempt === 0) {
          this.opts.log.verbose(`Keycloak rejected the access token of ${this.principal} (expired or revoked); signing in again`);
          if (this.token?.value === token) this.token = undefined;
          continue;
        }
        if (status === 404 && info.notFound) return null;
        throw this.httpError(status, err.responseData, info.what, info.role);
      }
      this.logHttp(info.method, info.path, info.okStatus ?? 200, started);
      if (info.okStatus === undefined) {
        this.stats.reads++;
        // The client hands back the body text when it is not JSON (some other server answered),
        // and nothing for an empty body: neither may read as "nothing there".
        if (typeof out === 'string' || out === null || out === undefined) {
          throw new KeycloakError(
            `Keycloak answered ${info.what} with ` +
              `${typeof out === 'string' && out.length > 0 ? 'something that is not JSON' : 'an empty body'} (HTTP 200); is ` +
              `${this.settings.url} the Keycloak base URL?`,
            200,
          );
        }
        const list = Array.isArray(out);
        if ((info.shape === 'list' && !list) || (info.shape === 'object' && (list || typeof out !== 'object'))) {
          throw new KeycloakError(
            `Keycloak answered ${info.what} with JSON that is not ${info.shape === 'list' ? 'a list' : 'an object'} (HTTP 200): ` +
              `not understood, nothing concluded from it`,
            200,
          );
        }
      }
      return out;
    }
  }

  protected async accessToken(): Promise<string> {
    const t = this.token;
    // Renew a little early so a token does not expire between here and the server.
    if (t && t.expiresAt - Math.min(10_000, t.lifetimeMs / 4) > this.now()) return t.value;
    this.signingIn ??= this.signIn().finally(() => (this.signingIn = undefined));
    return this.signingIn;
  }

  /** A token request through `kc.auth()` in the auth realm. */
  private async signIn(): Promise<string> {
    const kc = await this.client();
    const s = this.settings;
    const tokenPath = `/realms/${seg(s.authRealm)}/protocol/openid-connect/token`;
    const started = Date.now();
    try {
      await this.scoped(() =>
        kc.auth(
          s.clientId
            ? { grantType: 'client_credentials', clientId: s.clientId, clientSecret: s.clientSecret ?? '' }
            : { grantType: 'password', clientId: 'admin-cli', username: s.username ?? '', password: s.password ?? '' },
        ),
      );
    } catch (err) {
      const failure = this.signInError(err);
      this.logHttp('POST', tokenPath, failure.logStatus, started);
      throw failure.error;
    }
    this.logHttp('POST', tokenPath, 200, started);
    const value = kc.accessToken;
    if (!value)
      throw new KeycloakError(`Keycloak sign-in for ${this.principal} in realm ${s.authRealm} failed: the answer held no access token`);
    // kc.auth() keeps expires_in to itself; the token's own exp - iat is the same lifetime.
    const lifetimeMs = tokenLifetimeMs(value) ?? 60_000;
    this.token = { value, expiresAt: this.now() + lifetimeMs, lifetimeMs };
    this.stats.signIns++;
    return value;
  }

  private signInError(err: unknown): { error: Error; logStatus: number | string } {
    const s = this.settings;
    if (this.isNetworkError(err)) {
      const status = err.response.status;
      if (status === 404) {
        return {
          error: new KeycloakError(
            `Keycloak has no realm ${s.authRealm} to sign in to (the token endpoint answered 404); check --keycloak-auth-realm`,
            404,
          ),
          logStatus: status,
        };
      }
      const body = isRecord(err.responseData) ? err.responseData : {};
      const error = typeof body.error === 'string' ? oneLine(body.error) : undefined;
      if (error) {
        const desc = typeof body.error_description === 'string' ? oneLine(body.error_description) : '';
        // The generic descriptions add nothing to the error code; specific ones ("Account disabled") do.
        const extra = desc && !/^Invalid (user credentials|client or Invalid client credentials)$/.test(desc) ? `: ${desc}` : '';
        return {
          error: new KeycloakError(
            `Keycloak rejected the credentials for ${this.principal} in realm ${s.authRealm} (${error}${extra})`,
            status,
          ),
          logStatus: status,
        };
      }
      return {
        error: new KeycloakError(`Keycloak sign-in for ${this.principal} in realm ${s.authRealm} failed: HTTP ${status}`, status),
        logStatus: status,
      };
    }
    const unreachable = this.unreachable(err);
    if (unreachable) return { error: unreachable.error, logStatus: unreachable.code };
    // A 200 whose body is not JSON: response.json() threw inside the client.
    if (err instanceof SyntaxError) {
      return {
        error: new KeycloakError(
          `Keycloak sign-in for ${this.principal} in realm ${s.authRealm} failed: the token endpoint did not answer with JSON; ` +
            `is ${s.url} the Keycloak base URL?`,
        ),
        logStatus: 'error',
      };
    }
    return { error: err instanceof Error ? err : new Error(String(err)), logStatus: 'error' };
  }

  private isNetworkError(err: unknown): err is NetworkError {
    return this.networkError !== undefined && err instanceof this.networkError;
  }

  /** Failures before any HTTP status (fetch's `TypeError: fetch failed` with a cause code, or the client's timeout). */
  private unreachable(err: unknown): { error: KeycloakError; code: string } | undefined {
    let code: string | undefined;
    if (err instanceof Error && err.name === 'TimeoutError') code = 'ETIMEDOUT';
    else if (err instanceof TypeError && err.message === 'fetch failed') code = causeCode(err.cause);
    if (!code) return undefined;
    const hint = TLS_TRUST_CODES.has(code)
      ? ' (the server certificate is not trusted: pass --keycloak-ca-file with the CA that issued it)'
      : code === 'ERR_TLS_CERT_ALTNAME_INVALID'
        ? ' (the server certificate does not name this host)'
        : '';
    return { error: new KeycloakError(`cannot reach Keycloak at ${this.settings.url}: ${code}${hint}`), code };
  }

  private httpError(status: number, data: unknown, what: string, role: string | undefined): KeycloakError {
    if (status === 403) {
      const needs = role ? `${this.principal} needs the realm-management role ${role}` : `${this.principal} lacks the permission`;
      return new KeycloakForbiddenError(`Keycloak refused to ${what} (403 Forbidden): ${needs} in realm ${this.settings.realm}`, role);
    }
    if (status === 401) {
      return new KeycloakError(
        `Keycloak rejected the access token of ${this.principal} even after signing in again (401) while trying to ${what}`,
        401,
      );
    }
    const detail = errorDetail(data);
    return new KeycloakError(`Keycloak could not ${what}: HTTP ${status}${detail ? ` ${detail}` : ''}`, status);
  }

  private logHttp(method: string, path: string, status: number | string, started: number): void {
    const base = this.base.toString().replace(/\/+$/, '');
    this.opts.log.http(method, `${base}${path}`, status, Date.now() - started);
  }
}

/** Lifetime of a JWT access token from its `exp` and `iat` claims (no signature check: only timing is read). */
function tokenLifetimeMs(jwt: string): number | undefined {
  // Not a JWT (no claims): the caller's default applies.
  const claims = jwtClaims(jwt);
  if (typeof claims.exp === 'number' && typeof claims.iat === 'number' && claims.exp > claims.iat) return (claims.exp - claims.iat) * 1000;
  return undefined;
}

/** The cause code of `TypeError: fetch failed` (ECONNREFUSED, ENOTFOUND, a TLS code, …). */
function causeCode(cause: unknown): string {
  if (isRecord(cause)) {
    if (typeof cause.code === 'string') return cause.code;
    // Several addresses tried (happy eyeballs): the first one's code.
    if (Array.isArray(cause.errors) && isRecord(cause.errors[0]) && typeof cause.errors[0].code === 'string') return cause.errors[0].code;
    if (typeof cause.message === 'string' && cause.message) return oneLine(cause.message);
  }
  return 'ERROR';
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 199)}…` : flat;
}

/** Keycloak's error text from a parsed response body (`error`, `errorMessage`, `error_description`). */
function errorDetail(data: unknown): string {
  if (!isRecord(data)) return '';
  const parts = [data.error, data.errorMessage, data.error_description].filter((v): v is string => typeof v === 'string' && v.length > 0);
  return oneLine([...new Set(parts)].join(': '));
}
