import { issueAccessToken } from './auth.js';
import { SimClock } from './clock.js';
import { FaultInjector, type FaultRule } from './faults.js';
import { OidcHttpListener } from './oidc-http.js';
import { oidcProviderFor, type SimOidcProvider } from './oidc.js';
import type { ConsistencySettings, TenantSeed } from './seed.js';
import { SimServer, type RecordedRequest } from './server.js';
import { TenantState } from './state.js';
import { GraphThrottle, type ThrottleSettings } from './throttle.js';
import { TokenService, type TokenClaims } from './tokens.js';

export * from './seed.js';
export type { FaultRule, FaultResponse } from './faults.js';
export type { RecordedRequest } from './server.js';
export type { TokenClaims } from './tokens.js';
export type { ThrottleSettings } from './throttle.js';
export { requestCost, tierFor, WRITE_QUOTA, WRITE_WINDOW_MS } from './throttle.js';
export type { SimOidcProvider, SignInOptions } from './oidc.js';
export type { IdTokenClaims } from './oidc-claims.js';
export type { AuthInfo, PermissionKey } from './permissions.js';
export { PERMISSIONS, ROLE_TEMPLATES } from './permissions.js';
export { TenantState, type DeletedObject, type DirectoryObjectRef, type AccessId } from './state.js';
export { SimClock } from './clock.js';
export { defaultGroupPolicyRules } from './policy.js';
export { contosoSeed, withManyMembers } from './seeds/contoso.js';
export { CONTOSO } from './seeds/contoso-ids.js';

export interface SimStartOptions {
  seed: TenantSeed;
  /** PEM key and certificate for the HTTPS listener. */
  tls: { key: string; cert: string };
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  faults?: FaultRule[];
  /** Added to every response. */
  latencyMs?: number;
  /** Default page size of directory-object collections (default 100; `$top` up to 999 is honoured). */
  pageSize?: number;
  /** Overrides `seed.behaviour.consistency`. */
  consistency?: ConsistencySettings;
  /**
   * Also serve the sign-in (OIDC) endpoints over plain HTTP on loopback, for relying parties
   * that do not trust the test CA (Keycloak). Default true; see `oidcHttpUrl`.
   */
  oidcHttp?: boolean;
  /**
   * Enforce Graph's documented identity-and-access limits (RU per 10 s by tenant size, 3,000
   * writes per 2.5 min, their headers, 429 + Retry-After). Off by default.
   */
  throttling?: ThrottleSettings;
}

function isGraphPath(path: string): boolean {
  return /^\/(v1\.0|beta)(\/|$)/i.test(path);
}

function isBatchEnvelope(r: RecordedRequest): boolean {
  return !r.batchItem && r.method === 'POST' && /^\/(v1\.0|beta)\/\$batch(\?|$)/i.test(r.path);
}

/**
 * A stateful, recording simulation of the Microsoft Graph endpoints entra-pim-setup uses,
 * plus the Entra OAuth endpoints MSAL needs, served over HTTPS on loopback.
 */
export class SimulatedTenant {
  private constructor(
    private readonly server: SimServer,
    private readonly tokens: TokenService,
    private readonly faults: FaultInjector,
    /** Live state, for test assertions (mutations are visible to later requests). */
    readonly state: TenantState,
    private readonly oidcHttp?: OidcHttpListener,
  ) {}

  /** Starts a simulated tenant seeded from `opts.seed`. */
  static async start(opts: SimStartOptions): Promise<SimulatedTenant> {
    const clock = new SimClock();
    const state = new TenantState(opts.seed, clock);
    if (opts.consistency) state.behaviour = { ...state.behaviour, consistency: { ...opts.consistency } };
    const tokens = await TokenService.create();
    const faults = new FaultInjector();
    faults.set(opts.faults ?? []);
    const server = new SimServer({
      state,
      tokens,
      faults,
      tls: opts.tls,
      host: opts.host ?? '127.0.0.1',
      port: opts.port ?? 0,
      latencyMs: opts.latencyMs ?? 0,
      pageSize: opts.pageSize ?? 100,
      throttle: opts.throttling ? new GraphThrottle(opts.throttling, state.tenantId, () => state.users.size) : undefined,
    });
    await server.listen();
    let oidcHttp: OidcHttpListener | undefined;
    if (opts.oidcHttp !== false) {
      // Requests on the plain-http sign-in listener are recorded with the HTTPS ones.
      oidcHttp = new OidcHttpListener({
        state,
        tokens,
        host: opts.host ?? '127.0.0.1',
        onRequest: (r) => {
          server.requests.push(r);
          server.events.emit('request', r);
        },
      });
      await oidcHttp.listen();
    }
    return new SimulatedTenant(server, tokens, faults, state, oidcHttp);
  }

  /** Origin, e.g. `https://127.0.0.1:PORT`; Graph lives under `/v1.0` and `/beta`, OAuth under `/{tenantId}/`. */
  get url(): string {
    return this.server.origin;
  }

  /**
   * Origin of the plain-http sign-in listener, e.g. `http://127.0.0.1:PORT` (OIDC endpoints
   * under `/{tenantId}/`); undefined when started with `oidcHttp: false`.
   */
  get oidcHttpUrl(): string | undefined {
    return this.oidcHttp?.origin;
  }

  /** The OpenID Connect provider for user sign-in: choose who signs in, register relying parties. */
  get oidc(): SimOidcProvider {
    return oidcProviderFor(this.state, this.tokens);
  }

  get tenantId(): string {
    return this.state.tenantId;
  }

  /** Every HTTP request and every `$batch` item (`batchItem: true`), in arrival order. */
  get requests(): RecordedRequest[] {
    return this.server.requests;
  }

  /**
   * The most HTTP requests that were ever in flight at once on the HTTPS listener (a `$batch`
   * envelope counts once, however many items it carries): the client's concurrency as the
   * server saw it.
   */
  get maxInFlight(): number {
    return this.server.maxInFlight;
  }

  /** The sim clock used for PIM windows and token lifetimes. */
  get clock(): SimClock {
    return this.state.clock;
  }

  /**
   * Graph writes: every non-GET Graph request except the `POST /$batch` envelope (its
   * items count individually), failed ones included. OAuth token requests are not writes.
   */
  writes(): RecordedRequest[] {
    return this.requests.filter((r) => r.method !== 'GET' && isGraphPath(r.path) && !isBatchEnvelope(r));
  }

  /**
   * Resolves with the first request (already recorded or arriving later) matching
   * `predicate`; rejects after `timeoutMs` (default 10 s). Lets tests wait for the
   * client under test to reach an endpoint without sleeping.
   */
  waitForRequest(predicate: (r: RecordedRequest) => boolean, timeoutMs = 10_000): Promise<RecordedRequest> {
    const found = this.requests.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const onRequest = (r: RecordedRequest): void => {
        if (!predicate(r)) return;
        clearTimeout(timer);
        this.server.events.off('request', onRequest);
        resolve(r);
      };
      const timer = setTimeout(() => {
        this.server.events.off('request', onRequest);
        reject(new Error(`waitForRequest: no matching request within ${timeoutMs} ms`));
      }, timeoutMs);
      this.server.events.on('request', onRequest);
    });
  }

  /** Signs an access token for this tenant (app-only unless `scp` is given). */
  issueToken(claims: TokenClaims): Promise<string> {
    return issueAccessToken(this.tokens, this.state, this.url, claims);
  }

  /** Replaces the fault rules (their counters restart). */
  setFaults(rules: FaultRule[]): void {
    this.faults.set(rules);
  }

  /** Current state in seed form (deep copy). */
  snapshot(): TenantSeed {
    return this.state.snapshot();
  }

  /** Moves the sim clock forward by `ms`. */
  advanceClock(ms: number): void {
    this.state.clock.advance(ms);
  }

  /** Sets the sim clock to `date`. */
  setNow(date: Date | string): void {
    this.state.clock.setNow(date);
  }

  /** Stops the server (hanging requests are cut). */
  async close(): Promise<void> {
    await Promise.all([this.server.close(), this.oidcHttp?.close()]);
  }
}
