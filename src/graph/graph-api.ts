import { setTimeout as delay } from 'node:timers/promises';
import { GraphRequestError } from '../errors.js';
import type { HttpRequest } from '../plan/types.js';
import type { Journal } from '../journal.js';
import type { Logger } from '../ui/log.js';
import type { SignInTokenSource } from './credential.js';
import { scopeUris } from './delegated-scopes.js';
import { backoffMs, DEFAULT_RESILIENCE, ResilienceMiddleware, retryAfterMs, type ResilienceOptions, type TokenSource } from './resilience.js';

/** Graph's documented cap on requests in one `$batch`. */
export const BATCH_LIMIT = 20;
/** Graph's largest page for directory objects. */
export const MAX_PAGE = 999;
/** Prefix of a relative URL that `GraphApi` reads from the beta endpoint. */
export const BETA = '/beta';

export interface GraphResponse<T = unknown> {
  status: number;
  body: T;
}

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
}

interface ODataError {
  error?: { code?: string; message?: string; innerError?: { 'request-id'?: string } };
}

/** A per-item write outcome of `writeBatch`. */
export interface BatchItemResult {
  request: HttpRequest;
  status: number;
  body: unknown;
}

/** Thrown when a write is attempted in read-only mode: a bug, never a user error. */
export class WriteInReadOnlyMode extends Error {
  override name = 'WriteInReadOnlyMode';
}

type GraphClient = import('@microsoft/microsoft-graph-client').Client;

/**
 * The only door to Microsoft Graph. Reads follow paging links and retry eventual-consistency
 * 404s when asked; every write goes through `write()`/`writeBatch()`, the single gate that
 * journals before sending and refuses in audit mode. Transport concerns (retries, Retry-After,
 * timeouts, token refresh, requests in flight) live in the client's middleware chain.
 */
export class GraphApi {
  private client?: Promise<GraphClient>;
  private resilienceMw?: ResilienceMiddleware;
  private readonly base: string;
  /** Counters for reports and request-count tests. */
  readonly stats = { reads: 0, writes: 0, batches: 0 };

  constructor(private readonly opts: GraphApiOptions) {
    const url = new URL(opts.baseUrl);
    if (url.protocol !== 'https:') throw new Error(`Graph endpoint must be https: ${opts.baseUrl}`);
    this.base = url.origin;
  }

  get readOnly(): boolean {
    return this.opts.readOnly;
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

  /** HTTP attempts made so far, retries included. */
  get attempts(): number {
    return this.resilienceMw?.requests ?? 0;
  }

  /** One client per run, built on first use; concurrent first calls share it (and its in-flight bound). */
  private getClient(): Promise<GraphClient> {
    this.client ??= this.buildClient();
    return this.client;
  }

  private async buildClient(): Promise<GraphClient> {
    const { Client, AuthenticationHandler, HTTPMessageHandler } = await import('@microsoft/microsoft-graph-client');
    const resilience = new ResilienceMiddleware({ ...DEFAULT_RESILIENCE, ...this.opts.resilience, log: this.opts.log }, this.opts.tokens);
    const auth = new AuthenticationHandler({ getAccessToken: () => this.opts.tokens.getToken(false) });
    resilience.setNext(auth);
    auth.setNext(new HTTPMessageHandler());
    this.resilienceMw = resilience;
    const host = new URL(this.base).hostname;
    return Client.initWithMiddleware({
      middleware: resilience,
      baseUrl: this.base,
      defaultVersion: 'v1.0',
      // The client sends the bearer token only to Microsoft's Graph hosts and to hosts listed
      // here; a --graph-endpoint override (a national cloud or the simulated tenant) must be named.
      customHosts: new Set([host]),
    });
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
    const text = await res.text();
    let body: unknown = undefined;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
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
    if (res.status === 404) return null;
    if (res.status >= 200 && res.status < 300) return res.body as T;
    this.fail(req, res);
  }

  /** GET a collection, following every absolute `@odata.nextLink` (never building skip tokens). */
  async list<T>(url: string, opts: { headers?: Record<string, string> } = {}): Promise<T[]> {
    const items: T[] = [];
    let next: string | undefined = url;
    while (next) {
      const page: { value?: T[]; '@odata.nextLink'?: string } = await this.get(next, opts);
      items.push(...(page.value ?? []));
      next = page['@odata.nextLink'];
    }
    return items;
  }

  /**
   * GET many resources in `$batch`es of 20 (per-item status; throttled items retried alone).
   * Returns bodies in input order; a 404 item yields null.
   */
  async getMany<T>(urls: string[]): Promise<Array<T | null>> {
    const results = await this.batch(urls.map((url) => ({ method: 'GET' as const, url })));
    return results.map((r, i) => {
      if (r.status === 404) return null;
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

  /** The write gate: journals the request (and backup), sends it, journals the result. */
  async write(req: HttpRequest, backup?: unknown): Promise<GraphResponse> {
    if (this.opts.readOnly) throw new WriteInReadOnlyMode(`refused ${req.method} ${req.url} in read-only mode`);
    const seq = this.opts.journal.before('graph', req, backup);
    this.stats.writes++;
    let res: GraphResponse;
    try {
      res = await this.send(req);
    } catch (err) {
      this.opts.journal.after(seq, { ok: false, message: err instanceof Error ? err.message : String(err) });
      throw err;
    }
    const ok = res.status >= 200 && res.status < 300;
    this.opts.journal.after(seq, { ok, status: res.status, message: ok ? undefined : errorText(res), response: ok ? res.body : undefined });
    return res;
  }

  /**
   * Writes through `$batch` (20 per envelope, envelopes in parallel up to the in-flight bound).
   * Each item is journaled before its envelope is sent. Items answered 429/503/504 are retried
   * on their own after the longest Retry-After in that envelope; the rest are final.
   */
  async writeBatch(items: Array<{ request: HttpRequest; backup?: unknown }>): Promise<BatchItemResult[]> {
    if (this.opts.readOnly) throw new WriteInReadOnlyMode('refused $batch write in read-only mode');
    // Every item is on disk before the first envelope leaves; one flush covers them all.
    const seqs = this.opts.journal.beforeMany('graph', items);
    this.stats.writes += items.length;
    const answered = new Set<number>();
    try {
      // Each item's answer is journaled as soon as its envelope returns, so a run killed while
      // a later envelope is in flight still records what certainly happened.
      return await this.batch(
        items.map((it) => it.request),
        (i, r) => {
          const ok = r.status >= 200 && r.status < 300;
          answered.add(i);
          // Status 0: the envelope came back without this item, so Graph may or may not have applied it.
          this.opts.journal.after(seqs[i], { ok, ...(r.status === 0 ? { outcome: 'unknown' as const } : {}), status: r.status, message: ok ? undefined : errorText(r) });
        },
      );
    } catch (err) {
      seqs.forEach((seq, i) => {
        if (!answered.has(i)) this.opts.journal.after(seq, { ok: false, outcome: 'unknown', message: `outcome unknown: ${err instanceof Error ? err.message : String(err)}` });
      });
      throw err;
    }
  }

  private async batch(requests: HttpRequest[], onItem?: (index: number, result: BatchItemResult) => void): Promise<BatchItemResult[]> {
    // A $batch envelope is v1.0: its items cannot address the beta endpoint.
    if (requests.some((r) => r.url.startsWith(`${BETA}/`))) throw new Error('a beta URL cannot be sent in a v1.0 $batch');
    const chunks: number[][] = [];
    for (let i = 0; i < requests.length; i += BATCH_LIMIT) {
      chunks.push(requests.slice(i, i + BATCH_LIMIT).map((_, j) => i + j));
    }
    const results: BatchItemResult[] = new Array(requests.length);
    // Envelopes run concurrently; the middleware's semaphore keeps at most N in flight, so a
    // throttled envelope only delays its own items.
    await Promise.all(chunks.map((idx) => this.sendEnvelope(requests, idx, results, onItem)));
    return results;
  }

  private async sendEnvelope(requests: HttpRequest[], indexes: number[], results: BatchItemResult[], onItem?: (index: number, result: BatchItemResult) => void): Promise<void> {
    const maxAttempts = this.opts.resilience?.maxAttempts ?? DEFAULT_RESILIENCE.maxAttempts;
    let pending = indexes;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const envelope = {
        requests: pending.map((i) => {
          const r = requests[i];
          const item: Record<string, unknown> = { id: String(i), method: r.method, url: r.url };
          if (r.body !== undefined) {
            item.body = r.body;
            // $batch requires Content-Type on every item that has a body.
            item.headers = { 'Content-Type': 'application/json' };
          }
          return item;
        }),
      };
      this.stats.batches++;
      const res = await this.send({ method: 'POST', url: '/$batch', body: envelope });
      if (res.status < 200 || res.status >= 300) this.fail({ method: 'POST', url: '/$batch' }, res);
      const responses = (res.body as { responses?: Array<{ id: string; status: number; headers?: Record<string, string>; body?: unknown }> }).responses ?? [];
      const retry: number[] = [];
      let wait = 0;
      for (const item of responses) {
        const i = Number(item.id);
        const transient = item.status === 429 || item.status === 503 || item.status === 504;
        if (transient && attempt < maxAttempts) {
          retry.push(i);
          const hinted = retryAfterMs(headerValue(item.headers, 'retry-after'));
          wait = Math.max(wait, hinted ?? backoffMs(attempt - 1, this.opts.resilience?.backoffBaseMs ?? DEFAULT_RESILIENCE.backoffBaseMs));
        } else {
          results[i] = { request: requests[i], status: item.status, body: item.body };
          onItem?.(i, results[i]);
        }
      }
      for (const i of pending) {
        if (!results[i] && !retry.includes(i)) {
          results[i] = { request: requests[i], status: 0, body: { error: { code: 'MissingBatchResponse', message: 'no response for this item' } } };
          onItem?.(i, results[i]);
        }
      }
      pending = retry;
      if (pending.length) {
        this.opts.log.verbose(`$batch: ${pending.length} item(s) throttled; retrying in ${Math.round(wait)} ms`);
        await delay(wait);
      }
    }
  }
}

function headerValue(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key ? headers[key] : undefined;
}

/** The `error.code` of a Graph error body, if any. */
export function errorCode(body: unknown): string | undefined {
  return (body as ODataError | undefined)?.error?.code;
}

/** A one-line description of a failed Graph response. */
export function errorText(res: { status: number; body: unknown }): string {
  const e = (res.body as ODataError | undefined)?.error;
  return `${res.status} ${e?.code ?? ''}${e?.message ? `: ${e.message}` : ''}`.trim();
}

export function toGraphError(req: HttpRequest, res: { status: number; body: unknown }): GraphRequestError {
  const e = (res.body as ODataError | undefined)?.error;
  const hint = res.status === 403 ? ' (the signed-in identity lacks a permission or role for this call)' : '';
  return new GraphRequestError(
    `Graph ${req.method} ${req.url} failed: ${errorText(res)}${hint}`,
    res.status,
    e?.code,
    req.method,
    req.url,
    e?.innerError?.['request-id'],
  );
}

/** OData string literal: single quotes doubled. */
export function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Builds `path?$filter=...` with the value URL-encoded so `&`, `#` and `+` survive. */
export function withQuery(path: string, params: Record<string, string | number | undefined>): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v)).replace(/%24/g, '$').replace(/%2C/gi, ',')}`);
  return parts.length ? `${path}?${parts.join('&')}` : path;
}

