import { setTimeout as delay } from 'node:timers/promises';
import { TransportError } from '../errors.js';
import type { HttpRequest } from '../core/http.js';
import { WriteGate } from '../core/write-gate.js';
import type { Journal } from '../journal.js';
import type { Logger } from '../ui/log.js';
import type { SignInTokenSource } from './credential.js';
import { scopeUris } from './delegated-scopes.js';
import { pathOfUrl } from '../ui/url.js';
import {
  checkSuccessBody,
  describeCause,
  errorText,
  isGraphNotFound,
  toGraphError,
  unexpected,
  unwrapClientError,
  type GraphResponse,
} from './answers.js';
import { BETA, sendBatches, type BatchItemResult } from './batch.js';
import { followPages, MAX_PAGES } from './paging.js';
import { graphRequest, type GraphWrite } from './writes.js';
import { WritePacer, type PacerOptions } from './pacing.js';
import {
  backoffMs,
  BearerMiddleware,
  DEFAULT_RESILIENCE,
  ResilienceMiddleware,
  type ResilienceOptions,
  type TokenSource,
} from './resilience.js';

export { errorCode, errorText, type GraphResponse } from './answers.js';
export { BATCH_LIMIT, BETA, type BatchItemResult } from './batch.js';
export { nextLinkProblem } from './paging.js';
export { odataString, withQuery } from './query.js';

/** Graph's largest page for directory objects. */
export const MAX_PAGE = 999;

export interface GraphApiOptions {
  /** Origin of the Graph endpoint, e.g. https://graph.microsoft.com (https only). */
  baseUrl: string;
  tokens: TokenSource;
  log: Logger;
  journal: Journal;
  /** Audit mode: the write gate refuses every write. */
  readOnly: boolean;
  resilience?: Partial<Omit<ResilienceOptions, 'log'>>;
  /** Host of explicit delegated scope URIs (the cloud's Graph host); default: baseUrl. */
  scopeHost?: string;
  /** Most pages one list() follows (default MAX_PAGES); tests lower it. */
  maxPages?: number;
  /** Write pacing (default: Graph's documented write quota, real time). */
  pacing?: PacerOptions;
}

/** Thrown when a write is attempted in read-only mode: a bug, never a user error. */
export class WriteInReadOnlyMode extends Error {
  override name = 'WriteInReadOnlyMode';
}

type GraphClient = import('@microsoft/microsoft-graph-client').Client;

/**
 * The only door to Microsoft Graph. Reads follow paging links and retry eventual-consistency
 * 404s when asked; every write is a typed operation (writes.ts) sent by `write()`/`writeBatch()`
 * through the write gate both gateways share (core/write-gate.ts), which journals before sending
 * and refuses in audit mode. Answer checking is in answers.ts, paging in paging.ts, `$batch` in
 * batch.ts; transport concerns (retries, Retry-After, timeouts, token refresh, requests in
 * flight) live in the client's middleware chain.
 */
export class GraphApi {
  private client?: Promise<GraphClient>;
  private resilienceMw?: ResilienceMiddleware;
  private readonly base: string;
  /** Counters for reports and request-count tests. */
  readonly stats: { reads: number; writes: number; batches: number };

  private readonly gate: WriteGate;
  /** Paces `$batch` writes to Graph's write quota; its decisions are read by tests. */
  readonly pacer: WritePacer;

  constructor(
    private readonly opts: GraphApiOptions,
    /** The gateway whose sign-in, HTTP client, pacing and counters this one shares (see withJournal). */
    private readonly parent?: GraphApi,
  ) {
    const url = new URL(opts.baseUrl);
    if (url.protocol !== 'https:') throw new Error(`Graph endpoint must be https: ${opts.baseUrl}`);
    this.base = url.origin;
    this.stats = parent?.stats ?? { reads: 0, writes: 0, batches: 0 };
    this.pacer = parent?.pacer ?? new WritePacer({ sleep: opts.resilience?.sleep, ...opts.pacing });
    this.gate = new WriteGate({
      target: 'graph',
      journal: opts.journal,
      readOnly: opts.readOnly,
      refused: (what) => new WriteInReadOnlyMode(`refused ${what} in read-only mode`),
      stats: this.stats,
    });
  }

  get readOnly(): boolean {
    return this.opts.readOnly;
  }

  /**
   * The same session for another journal: one sign-in (one token), one HTTP client (one bound
   * on requests in flight) and one write pacer, so several targets in one run share Graph's
   * quota instead of each pacing as if alone; only the write gate (and its journal) is its own.
   */
  withJournal(journal: Journal, log: Logger = this.opts.log): GraphApi {
    return new GraphApi({ ...this.opts, journal, log }, this.parent ?? this);
  }

  /** The current bearer token (for reading its claims: scp, roles, tid). */
  token(): Promise<string> {
    return this.opts.tokens.getToken(false);
  }

  /** How this session signed in (method and client id), when the token source says. */
  get signIn(): { method?: string; clientId?: string } {
    const t = this.opts.tokens as Partial<SignInTokenSource>;
    return { method: t.method, clientId: t.clientId };
  }

  /**
   * Asks a public-client sign-in for more delegated scopes (bare names such as
   * `RoleManagement.ReadWrite.Directory`) before the token is read: incremental consent, silent
   * when already consented. A no-op (false) for every other sign-in.
   */
  async requestScopes(names: readonly string[]): Promise<boolean> {
    const t = this.opts.tokens as Partial<SignInTokenSource>;
    if (!t.requestScopes || !t.scopes) return false;
    return t.requestScopes(scopeUris(this.opts.scopeHost ?? this.base, names));
  }

  /** How many requests this gateway keeps in flight at most (the resilience middleware's bound). */
  get maxConcurrency(): number {
    return this.opts.resilience?.maxConcurrency ?? DEFAULT_RESILIENCE.maxConcurrency;
  }

  /** HTTP attempts made so far, retries included. */
  get attempts(): number {
    if (this.parent) return this.parent.attempts;
    return this.resilienceMw?.requests ?? 0;
  }

  /** One client per run, built on first use; concurrent first calls share it (and its in-flight bound). */
  private getClient(): Promise<GraphClient> {
    if (this.parent) return this.parent.getClient();
    this.client ??= this.buildClient();
    return this.client;
  }

  private async buildClient(): Promise<GraphClient> {
    const { Client, HTTPMessageHandler } = await import('@microsoft/microsoft-graph-client');
    const resilience = new ResilienceMiddleware({ ...DEFAULT_RESILIENCE, ...this.opts.resilience, log: this.opts.log }, this.opts.tokens);
    // Our own bearer middleware, not the client's AuthenticationHandler: that one matches host
    // names only, so another port on the Graph host would receive the token.
    const auth = new BearerMiddleware(this.base, this.opts.tokens);
    resilience.setNext(auth);
    auth.setNext(new HTTPMessageHandler());
    this.resilienceMw = resilience;
    return Client.initWithMiddleware({ middleware: resilience, baseUrl: this.base, defaultVersion: 'v1.0' });
  }

  /** Sends one request and returns status and parsed body; never throws for HTTP statuses. */
  private async send(req: HttpRequest, headers?: Record<string, string>): Promise<GraphResponse> {
    const { ResponseType } = await import('@microsoft/microsoft-graph-client');
    const client = await this.getClient();
    // A path under `/beta/` goes to the beta endpoint (reads only: `$batch` items share the
    // envelope's version); everything else to v1.0.
    const beta = req.url.startsWith(`${BETA}/`);
    let call = client.api(beta ? req.url.slice(BETA.length) : req.url).responseType(ResponseType.RAW);
    if (beta) call = call.version('beta');
    if (headers) call = call.headers(headers);
    this.opts.log.debug(`→ ${req.method} ${req.url}`, req.body);
    let res: Response;
    try {
      switch (req.method) {
        case 'GET':
          res = await call.get();
          break;
        case 'POST':
          res = await call.post(req.body ?? {});
          break;
        case 'PATCH':
          res = await call.patch(req.body ?? {});
          break;
        case 'PUT':
          res = await call.put(req.body ?? {});
          break;
        case 'DELETE':
          res = await call.delete();
          break;
      }
    } catch (err) {
      throw unwrapClientError(err);
    }
    if (res.status >= 300 && res.status < 400) {
      // Not followed (the middleware asks fetch for redirect 'manual'): whatever answers at the
      // other end is not Graph, and an empty list from it would read as "no standing members".
      const location = res.headers.get('location');
      let target = 'no Location';
      if (location) {
        try {
          target = new URL(location, res.url || this.base).host;
        } catch {
          target = 'an unreadable Location';
        }
      }
      throw unexpected(
        req,
        res.status,
        `a redirect to ${target}; redirects are not followed (check --graph-endpoint and any proxy)`,
        'Redirect',
      );
    }
    const ok = res.status >= 200 && res.status < 300;
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw new TransportError(
        `Graph ${req.method} ${pathOfUrl(req.url)}: the answer was cut off (${describeCause(err)}); nothing from it was used`,
      );
    }
    let body: unknown = undefined;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        if (ok)
          throw unexpected(
            req,
            res.status,
            `a body that is not JSON (${res.headers.get('content-type') || 'no content type'}, ${text.length} bytes)`,
          );
        body = text;
      }
    }
    if (ok) checkSuccessBody(req, res.status, body, text ? res.headers.get('content-type') : null);
    this.opts.log.debug(`← ${res.status}`, body);
    return { status: res.status, body };
  }

  private fail(req: HttpRequest, res: GraphResponse): never {
    throw toGraphError(req, res);
  }

  /** The error to throw for a failed write response. */
  error(req: HttpRequest, res: { status: number; body: unknown }): Error {
    return toGraphError(req, res);
  }

  /**
   * GET a resource. `notFoundRetries` retries 404s with backoff: a freshly created object can
   * be invisible to the next read (eventual consistency).
   */
  async get<T>(url: string, opts: { headers?: Record<string, string>; notFoundRetries?: number } = {}): Promise<T> {
    const req: HttpRequest = { method: 'GET', url };
    for (let attempt = 0; ; attempt++) {
      this.stats.reads++;
      const res = await this.send(req, opts.headers);
      if (res.status >= 200 && res.status < 300) return res.body as T;
      if (res.status === 404 && attempt < (opts.notFoundRetries ?? 0)) {
        await delay(backoffMs(attempt, this.opts.resilience?.backoffBaseMs ?? DEFAULT_RESILIENCE.backoffBaseMs));
        continue;
      }
      this.fail(req, res);
    }
  }

  /** GET that maps 404 to null. */
  async find<T>(url: string, opts: { headers?: Record<string, string> } = {}): Promise<T | null> {
    const req: HttpRequest = { method: 'GET', url };
    this.stats.reads++;
    const res = await this.send(req, opts.headers);
    if (isGraphNotFound(res)) return null;
    if (res.status >= 200 && res.status < 300) return res.body as T;
    this.fail(req, res);
  }

  /**
   * GET a collection, following every absolute `@odata.nextLink` (never building skip tokens).
   * Every page must carry a `value` array; every link must stay on the Graph origin and the
   * first request's path, must not repeat one already read, and at most `maxPages` are read.
   */
  async list<T>(url: string, opts: { headers?: Record<string, string> } = {}): Promise<T[]> {
    return followPages<T>(url, this.absoluteUrl(url), this.opts.maxPages ?? MAX_PAGES, (next) => this.get<unknown>(next, opts));
  }

  /** The absolute URL a relative request path goes to (v1.0 unless it starts with /beta). */
  private absoluteUrl(url: string): URL {
    if (/^https:\/\//i.test(url)) return new URL(url);
    return new URL(url.startsWith(`${BETA}/`) ? `${this.base}${url}` : `${this.base}/v1.0${url}`);
  }

  /**
   * GET many resources in `$batch`es of 20 (per-item status; throttled items retried alone).
   * Returns bodies in input order; a 404 item yields null.
   */
  async getMany<T>(urls: string[]): Promise<Array<T | null>> {
    const results = await this.batch(urls.map((url) => ({ method: 'GET' as const, url })));
    return results.map((r, i) => {
      if (isGraphNotFound(r)) return null;
      if (r.status >= 200 && r.status < 300) return r.body as T;
      throw toGraphError({ method: 'GET', url: urls[i] }, r);
    });
  }

  /**
   * Like getMany, but never throws for an item's status: each answer comes back as it is, so
   * the caller can name the input an unreadable item stands for instead of its encoded URL.
   */
  async getManySettled<T>(urls: string[]): Promise<Array<GraphResponse<T>>> {
    const results = await this.batch(urls.map((url) => ({ method: 'GET' as const, url })));
    return results.map((r) => ({ status: r.status, body: r.body as T }));
  }

  /**
   * One write through the write gate (journaled before it is sent, refused in audit mode): the
   * operation is sent as `graphRequest(op)`. Never throws for HTTP statuses.
   */
  async write(op: GraphWrite, backup?: unknown): Promise<GraphResponse> {
    const req = graphRequest(op);
    return this.gate.write(req, backup, () => this.send(req), {
      answer: (res) => {
        const ok = res.status >= 200 && res.status < 300;
        return { ok, status: res.status, message: ok ? undefined : errorText(res), response: ok ? res.body : undefined };
      },
      // No answer was understood (a dropped connection, a 2xx that is not the documented JSON):
      // the request may have taken effect, so restore must treat it as possibly done.
      failure: (err) => ({ ok: false, outcome: 'unknown', message: err instanceof Error ? err.message : String(err) }),
    });
  }

  /**
   * Writes through `$batch` (20 per envelope, envelopes in parallel up to the in-flight bound).
   * Each item is journaled before its envelope is sent. Items answered 429/503/504 are retried
   * on their own after the longest Retry-After in that envelope; the rest are final.
   */
  async writeBatch(items: Array<{ op: GraphWrite; backup?: unknown }>): Promise<BatchItemResult[]> {
    const planned = items.map((it) => ({ request: graphRequest(it.op), backup: it.backup }));
    // Every item is on disk before the first envelope leaves; one flush covers them all.
    return this.gate.writeMany(
      planned,
      // Each item's answer is journaled as soon as its envelope returns, so a run killed while
      // a later envelope is in flight still records what certainly happened.
      (answered) =>
        this.batch(
          planned.map((it) => it.request),
          (i, r) => {
            const ok = r.status >= 200 && r.status < 300;
            // Status 0: the envelope came back without this item, so Graph may or may not have applied it.
            answered(i, {
              ok,
              ...(r.status === 0 ? { outcome: 'unknown' as const } : {}),
              status: r.status,
              message: ok ? undefined : errorText(r),
            });
          },
        ),
      (err) => ({ ok: false, outcome: 'unknown', message: `outcome unknown: ${err instanceof Error ? err.message : String(err)}` }),
    );
  }

  private batch(requests: HttpRequest[], onItem?: (index: number, result: BatchItemResult) => void): Promise<BatchItemResult[]> {
    return sendBatches(
      { send: (req) => this.send(req), resilience: this.opts.resilience, log: this.opts.log, stats: this.stats, pacer: this.pacer },
      requests,
      onItem,
    );
  }
}
