import { setTimeout as delay } from 'node:timers/promises';
import { GraphRequestError, SignInError, TransportError, UsageError } from '../errors.js';
import type { HttpRequest } from '../core/http.js';
import type { Journal } from '../journal.js';
import type { Logger } from '../ui/log.js';
import type { SignInTokenSource } from './credential.js';
import { scopeUris } from './delegated-scopes.js';
import { pathOfUrl } from '../ui/url.js';
import {
  backoffMs,
  BearerMiddleware,
  DEFAULT_RESILIENCE,
  ResilienceMiddleware,
  RetryBudgetExceeded,
  retryAfterMs,
  type ResilienceOptions,
  type TokenSource,
} from './resilience.js';

/** Graph's documented cap on requests in one `$batch`. */
export const BATCH_LIMIT = 20;
/** Graph's largest page for directory objects. */
export const MAX_PAGE = 999;
/** Prefix of a relative URL that `GraphApi` reads from the beta endpoint. */
export const BETA = '/beta';
/**
 * Most pages one `list()` follows. The largest collections read here are a group's members
 * (999 a page: a 5,000-member group is 6 pages) and an app's assignments (100 a page by
 * default): 10,000 pages is a million objects of the latter, past any real admin group or app,
 * and it bounds the time and memory a server that keeps handing out fresh links can take.
 */
export const MAX_PAGES = 10_000;

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
  /** Most pages one list() follows (default MAX_PAGES); tests lower it. */
  maxPages?: number;
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
      throw unexpected(req, res.status, `a redirect to ${target}; redirects are not followed (check --graph-endpoint and any proxy)`, 'Redirect');
    }
    const ok = res.status >= 200 && res.status < 300;
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw new TransportError(`Graph ${req.method} ${pathOfUrl(req.url)}: the answer was cut off (${describeCause(err)}); nothing from it was used`);
    }
    let body: unknown = undefined;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        if (ok) throw unexpected(req, res.status, `a body that is not JSON (${res.headers.get('content-type') || 'no content type'}, ${text.length} bytes)`);
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
    const items: T[] = [];
    const first = this.absoluteUrl(url);
    // Bounded by maxPages: a server cannot make this grow without the cap stopping it.
    const seen = new Set<string>([first.href]);
    const maxPages = this.opts.maxPages ?? MAX_PAGES;
    let next = url;
    for (let pages = 1; ; pages++) {
      const page = await this.get<unknown>(next, opts);
      const value = (page as { value?: unknown } | undefined)?.value;
      if (!Array.isArray(value)) throw unexpected({ method: 'GET', url: next }, 200, 'a list page without a "value" array');
      for (const item of value) items.push(item as T);
      const link = (page as Record<string, unknown>)['@odata.nextLink'];
      if (link === undefined) return items;
      const problem = nextLinkProblem(link, first, seen);
      if (problem) throw unexpected({ method: 'GET', url: next }, 200, `an @odata.nextLink that ${problem}`, 'BadNextLink');
      if (pages >= maxPages) {
        throw unexpected({ method: 'GET', url }, 200, `more than ${maxPages} pages; stopped rather than read without end`, 'TooManyPages');
      }
      seen.add(new URL(link as string).href);
      next = link as string;
    }
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

  /** The write gate: journals the request (and backup), sends it, journals the result. */
  async write(req: HttpRequest, backup?: unknown): Promise<GraphResponse> {
    if (this.opts.readOnly) throw new WriteInReadOnlyMode(`refused ${req.method} ${req.url} in read-only mode`);
    const seq = this.opts.journal.before('graph', req, backup);
    this.stats.writes++;
    let res: GraphResponse;
    try {
      res = await this.send(req);
    } catch (err) {
      // No answer was understood (a dropped connection, a 2xx that is not the documented JSON):
      // the request may have taken effect, so restore must treat it as possibly done.
      this.opts.journal.after(seq, { ok: false, outcome: 'unknown', message: err instanceof Error ? err.message : String(err) });
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
    // As many workers as requests may be in flight, each taking the next envelope only while no
    // envelope has failed: after a failure (a Retry-After over the cap, an answer not understood,
    // a journal that cannot be written) nothing more is sent, and the envelopes already in flight
    // still record their answers. A throttled envelope waits in its own worker.
    const workers = Math.min(this.opts.resilience?.maxConcurrency ?? DEFAULT_RESILIENCE.maxConcurrency, chunks.length);
    let next = 0;
    let failure: { err: unknown } | undefined;
    const stopped = () => failure !== undefined;
    const worker = async () => {
      while (!stopped() && next < chunks.length) {
        const idx = chunks[next++];
        try {
          await this.sendEnvelope(requests, idx, results, onItem, stopped);
        } catch (err) {
          failure ??= { err };
        }
      }
    };
    await Promise.all(Array.from({ length: workers }, worker));
    if (failure) throw failure.err;
    return results;
  }

  private async sendEnvelope(
    requests: HttpRequest[],
    indexes: number[],
    results: BatchItemResult[],
    onItem: ((index: number, result: BatchItemResult) => void) | undefined,
    stopped: () => boolean,
  ): Promise<void> {
    const maxAttempts = this.opts.resilience?.maxAttempts ?? DEFAULT_RESILIENCE.maxAttempts;
    let pending = indexes;
    let throttledBefore: BatchItemResult[] = [];
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > 1 && stopped()) {
        // Another envelope failed while these items waited to be retried: they were answered 429
        // (not applied) and are not sent again.
        throttledBefore.forEach((r, k) => {
          results[pending[k]] = r;
          onItem?.(pending[k], r);
        });
        return;
      }
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
      const responses = (res.body as { responses?: unknown } | undefined)?.responses;
      if (!Array.isArray(responses)) throw unexpected({ method: 'POST', url: '/$batch' }, res.status, 'a $batch answer without a "responses" array');
      const retry: number[] = [];
      const throttled: BatchItemResult[] = [];
      let wait = 0;
      for (const raw of responses as Array<{ id?: unknown; status?: unknown; headers?: Record<string, string>; body?: unknown }>) {
        const i = Number(raw?.id);
        if (!pending.includes(i) || results[i] || retry.includes(i) || typeof raw.status !== 'number') {
          throw unexpected({ method: 'POST', url: '/$batch' }, res.status, `an item answer that matches no request sent (id ${String(raw?.id).slice(0, 20)})`);
        }
        const item = { id: i, status: raw.status, headers: raw.headers, body: raw.body };
        const transient = item.status === 429 || item.status === 503 || item.status === 504;
        if (transient && attempt < maxAttempts) {
          retry.push(i);
          throttled.push({ request: requests[i], status: item.status, body: item.body });
          const hinted = retryAfterMs(headerValue(item.headers, 'retry-after'));
          wait = Math.max(wait, hinted ?? backoffMs(attempt - 1, this.opts.resilience?.backoffBaseMs ?? DEFAULT_RESILIENCE.backoffBaseMs));
        } else {
          results[i] = { request: requests[i], ...batchItemAnswer(requests[i], item.status, item.body) };
          onItem?.(i, results[i]);
        }
      }
      const maxWait = this.opts.resilience?.maxRetryAfterMs ?? DEFAULT_RESILIENCE.maxRetryAfterMs;
      if (wait > maxWait) {
        // The same cap as for whole requests: a throttled item answered, so its outcome (not
        // applied) is recorded before the run stops, instead of waiting for as long as asked.
        throttled.forEach((r, k) => {
          results[retry[k]] = r;
          onItem?.(retry[k], r);
        });
        throw new RetryBudgetExceeded(
          `$batch: Graph asked ${retry.length} item(s) to wait ${Math.round(wait / 1000)} s (Retry-After), longer than the ${Math.round(maxWait / 1000)} s this tool waits; nothing more was sent: try again later`,
        );
      }
      for (const i of pending) {
        if (!results[i] && !retry.includes(i)) {
          results[i] = { request: requests[i], status: 0, body: { error: { code: 'MissingBatchResponse', message: 'no response for this item' } } };
          onItem?.(i, results[i]);
        }
      }
      pending = retry;
      throttledBefore = throttled;
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

/** Rebuilds our own errors from the Graph client's wrapper (it keeps their name as `code` and their message). */
function unwrapClientError(err: unknown): unknown {
  const code = (err as { code?: unknown } | undefined)?.code;
  const message = err instanceof Error ? err.message : String(err);
  switch (code) {
    case 'TransportError':
      return new TransportError(message);
    case 'SignInError':
      return new SignInError(message);
    case 'UsageError':
      return new UsageError(message);
    case 'RetryBudgetExceeded':
      return new RetryBudgetExceeded(message);
    default:
      return err;
  }
}

function describeCause(err: unknown): string {
  const cause = (err as { cause?: { code?: string } } | undefined)?.cause;
  return cause?.code ?? (err instanceof Error ? err.message : String(err));
}

/**
 * "Not found" only when Graph says so: a 404 with Graph's error object. A 404 page from
 * something else in the path (a proxy, a wrong endpoint) is a failure, not an absent object.
 */
function isGraphNotFound(res: { status: number; body: unknown }): boolean {
  return res.status === 404 && typeof errorCode(res.body) === 'string';
}

/** An answer this tool cannot read: an error, never an empty result. */
function unexpected(req: HttpRequest, status: number, what: string, code = 'UnexpectedResponse'): GraphRequestError {
  return new GraphRequestError(`Graph ${req.method} ${pathOfUrl(req.url)} answered ${status} with ${what}: refused, nothing from it was used`, status, code, req.method, req.url);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A 2xx is only success when it is the JSON the call documents: a JSON object (or no body at
 * all for a write, e.g. 204), without an `error` member. A GET always documents a body.
 */
function checkSuccessBody(req: HttpRequest, status: number, body: unknown, contentType: string | null): void {
  if (contentType !== null && !/\bjson\b/i.test(contentType)) throw unexpected(req, status, `a ${contentType.split(';')[0]} body where JSON was expected`);
  if (body === undefined) {
    if (req.method === 'GET') throw unexpected(req, status, 'an empty body');
    return;
  }
  if (!isObject(body)) throw unexpected(req, status, 'JSON that is not an object');
  if (body.error !== undefined) throw unexpected(req, status, `an error object (${String((body.error as { code?: unknown })?.code ?? 'no code').slice(0, 60)})`);
}

/**
 * The body of a 2xx $batch item, checked like a whole response: a GET item must carry a JSON
 * object, and no item may carry an `error`. One that does not becomes a failed item (status 0).
 */
function batchItemAnswer(req: HttpRequest, status: number, body: unknown): { status: number; body: unknown } {
  if (status < 200 || status >= 300) return { status, body };
  const bad = body === undefined ? req.method === 'GET' : !isObject(body) || body.error !== undefined;
  if (!bad) return { status, body };
  return { status: 0, body: { error: { code: 'UnexpectedResponse', message: `answered ${status} with a body that is not the JSON this call documents` } } };
}

/**
 * Why a `@odata.nextLink` cannot be followed, or undefined when it can: it must be an absolute
 * URL on the Graph origin (scheme, host, port) with the first request's path (a skip token only
 * changes the query), and must not repeat a page already read. Pure.
 */
export function nextLinkProblem(link: unknown, first: URL, seen: ReadonlySet<string>): string | undefined {
  if (typeof link !== 'string') return 'is not a string';
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    return 'is not an absolute URL';
  }
  if (url.origin !== first.origin) return `points to another origin (${url.protocol}//${url.host})`;
  if (url.username || url.password) return 'carries user credentials';
  if (collectionPath(url.pathname, first.pathname) !== collectionPath(first.pathname, first.pathname)) return `leaves the collection's path (${safeDecode(url.pathname).slice(0, 100)})`;
  if (seen.has(url.href)) return 'repeats a page already read (the server is looping)';
  return undefined;
}

/**
 * A path as compared between pages: decoded and lower-cased. For a `/me/…` collection,
 * `/users/{object id}/` reads as `/me/`: directory services may write its next link with the
 * signed-in user's id instead of `me` (src/sim/ASSUMPTIONS.md), the same collection. Any other
 * collection must keep its path exactly.
 */
function collectionPath(pathname: string, firstPathname: string): string {
  const path = safeDecode(pathname).toLowerCase();
  if (!/^\/(v1\.0|beta)\/me\//i.test(safeDecode(firstPathname))) return path;
  return path.replace(/^\/(v1\.0|beta)\/users\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\//, '/$1/me/');
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
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

