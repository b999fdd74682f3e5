import { setTimeout as delay } from 'node:timers/promises';
import type { Context, Middleware } from '@microsoft/microsoft-graph-client';
import { TransportError } from '../errors.js';
import type { Logger } from '../ui/log.js';
import { pathOfUrl as pathOf } from '../ui/url.js';

/** Source of bearer tokens; `force` asks for a fresh one after a 401. */
export interface TokenSource {
  getToken(force: boolean): Promise<string>;
}

export interface ResilienceOptions {
  /** Attempts per request, first one included. */
  maxAttempts: number;
  /** Per-attempt timeout; a request that never answers is aborted and retried. */
  timeoutMs: number;
  /** Requests in flight at once across the whole run. */
  maxConcurrency: number;
  /** Base of the exponential backoff when Graph gives no Retry-After. */
  backoffBaseMs: number;
  /** The longest Retry-After we wait for; longer asks fail the run with a clear message. */
  maxRetryAfterMs: number;
  sleep?: (ms: number) => Promise<void>;
  log: Logger;
}

export const DEFAULT_RESILIENCE: Omit<ResilienceOptions, 'log'> = {
  maxAttempts: 6,
  timeoutMs: 30_000,
  maxConcurrency: 4,
  backoffBaseMs: 500,
  maxRetryAfterMs: 120_000,
};

/** Statuses Graph documents as transient. */
const RETRYABLE = new Set([429, 503, 504]);

/** A counting semaphore: bounds the number of requests in flight. */
export class Semaphore {
  private waiting: Array<() => void> = [];
  private active = 0;
  constructor(private readonly limit: number) {}
  async acquire(): Promise<() => void> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    return () => {
      this.active--;
      this.waiting.shift()?.();
    };
  }
}

/** Parses Retry-After (delta seconds or an HTTP date) into milliseconds. */
export function retryAfterMs(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Exponential backoff with full jitter: a random wait in [base, base * 2^attempt]. */
export function backoffMs(attempt: number, baseMs: number, random = Math.random): number {
  const ceiling = Math.min(30_000, baseMs * 2 ** attempt);
  return Math.round(baseMs + random() * Math.max(0, ceiling - baseMs));
}

export class RetryBudgetExceeded extends Error {
  override name = 'RetryBudgetExceeded';
}

/**
 * First link of the Graph client's middleware chain: bounded retries with backoff and jitter
 * (honouring Retry-After), per-attempt timeouts, one token refresh after a 401, a bound on
 * requests in flight, and one log line per attempt.
 */
export class ResilienceMiddleware implements Middleware {
  private next?: Middleware;
  private readonly semaphore: Semaphore;
  private readonly sleep: (ms: number) => Promise<void>;
  requests = 0;

  constructor(
    private readonly opts: ResilienceOptions,
    private readonly tokens: TokenSource,
  ) {
    this.semaphore = new Semaphore(opts.maxConcurrency);
    this.sleep = opts.sleep ?? ((ms) => delay(ms));
  }

  setNext(next: Middleware): void {
    this.next = next;
  }

  async execute(context: Context): Promise<void> {
    const url = typeof context.request === 'string' ? context.request : context.request.url;
    const method = (context.options?.method ?? 'GET').toUpperCase();
    let refreshed = false;
    // The auth handler appends its header to whatever it finds, so each attempt starts from
    // the headers as they were before the first one.
    const originalHeaders = context.options?.headers as HeaderBag | undefined;
    for (let attempt = 1; ; attempt++) {
      const release = await this.semaphore.acquire();
      const started = performance.now();
      let failure: unknown;
      try {
        // redirect 'manual': fetch would otherwise follow a 3xx to wherever it points, and the
        // caller would read another server's answer as Graph's.
        context.options = {
          ...context.options,
          headers: copyHeaders(originalHeaders),
          signal: AbortSignal.timeout(this.opts.timeoutMs),
          redirect: 'manual',
        };
        context.response = undefined;
        this.requests++;
        await this.next!.execute(context);
      } catch (err) {
        failure = err;
      } finally {
        release();
      }
      const ms = Math.round(performance.now() - started);
      const status = context.response?.status;
      this.opts.log.http(method, url, failure ? describeFailure(failure) : status, ms);

      if (failure === undefined && status === 401 && !refreshed) {
        // A token can expire mid-run; ask the source for a fresh one once.
        refreshed = true;
        await this.tokens.getToken(true);
        continue;
      }
      if (failure !== undefined) {
        // Only a failure that can go away on its own is worth another attempt; a name that does
        // not resolve, an untrusted certificate or a refused sign-in fails the same way every time.
        const kind = classifyFailure(failure);
        if (kind.retry === false) throw kind.error ?? transportError(failure, url);
      }
      const transient = failure !== undefined || (status !== undefined && RETRYABLE.has(status));
      if (!transient) return;
      if (attempt >= this.opts.maxAttempts) {
        if (failure !== undefined) {
          throw new RetryBudgetExceeded(`${method} ${pathOf(url)} failed after ${attempt} attempts: ${describeFailure(failure)}`);
        }
        return; // hand the last 429/5xx to the caller, which reports it
      }
      const hinted = retryAfterMs(context.response?.headers.get('retry-after'));
      if (hinted !== undefined && hinted > this.opts.maxRetryAfterMs) {
        throw new RetryBudgetExceeded(
          `${method} ${pathOf(url)}: Graph asked to wait ${Math.round(hinted / 1000)} s (Retry-After), longer than the ` +
            `${Math.round(this.opts.maxRetryAfterMs / 1000)} s this tool waits: try again later`,
        );
      }
      // Drain the body so the connection can be reused before we wait.
      await context.response?.arrayBuffer().catch(() => undefined);
      await this.sleep(hinted ?? backoffMs(attempt - 1, this.opts.backoffBaseMs));
    }
  }
}

type HeaderBag = Headers | string[][] | Record<string, string>;

function copyHeaders(h: HeaderBag | undefined): HeaderBag | undefined {
  if (h === undefined) return undefined;
  if (h instanceof Headers) return new Headers(h);
  if (Array.isArray(h)) return h.map((pair) => [...pair]);
  return { ...h };
}

function describeFailure(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'timeout';
    const cause = (err as { cause?: { code?: string } }).cause;
    return cause?.code ?? err.message;
  }
  return String(err);
}

/** Network error codes that can succeed on a later attempt: the connection broke or timed out. */
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  // A temporary DNS failure (the resolver did not answer), unlike ENOTFOUND (no such name).
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

function failureCode(err: unknown): string | undefined {
  let e: unknown = err;
  // fetch wraps the socket error: TypeError('fetch failed', { cause }), sometimes twice.
  for (let depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Whether a failed attempt (a thrown error, not an HTTP status) is worth retrying: timeouts and
 * broken connections are; anything else (DNS says no such host, an untrusted certificate, a
 * refused connection, a sign-in error, a bug) fails the same way on every attempt. Pure.
 */
export function classifyFailure(err: unknown): { retry: true } | { retry: false; error?: Error } {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return { retry: true };
  const name = (err as { name?: unknown } | undefined)?.name;
  // Errors that already carry their one-line message: hand them on unchanged.
  if (name === 'SignInError' || name === 'UsageError' || name === 'TransportError') return { retry: false, error: err as Error };
  const code = failureCode(err);
  if (code && TRANSIENT_CODES.has(code)) return { retry: true };
  return { retry: false };
}

/** The one-line error for a failure that retrying cannot fix, naming the host and what to check. */
export function transportError(err: unknown, url: string): Error {
  let host = url;
  try {
    host = new URL(url).host;
  } catch {
    // keep the raw text
  }
  const code = failureCode(err);
  if (code === 'ENOTFOUND')
    return new TransportError(`cannot resolve ${host} (DNS: ENOTFOUND): check --graph-endpoint and the machine's DNS`);
  if (code === 'ECONNREFUSED')
    return new TransportError(`${host} refused the connection (ECONNREFUSED): check --graph-endpoint and any proxy`);
  if (code && /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS/.test(code)) {
    return new TransportError(
      `the TLS certificate of ${host} is not trusted (${code}): nothing was sent to it; if a proxy re-signs TLS, give its CA in NODE_EXTRA_CA_CERTS`,
    );
  }
  const text = err instanceof Error ? err.message.split('\n')[0] : String(err);
  return new TransportError(`request to ${host} failed: ${code ?? text}`);
}

/** True when two absolute URLs share scheme, host and port (the browser's same-origin rule). */
export function sameOrigin(a: string, b: string): boolean {
  try {
    const x = new URL(a);
    const y = new URL(b);
    return x.origin !== 'null' && x.origin === y.origin;
  } catch {
    return false;
  }
}

/**
 * Attaches the bearer token only to requests for the Graph origin (scheme, host and port), and
 * strips any Authorization header from everything else. Replaces the client's own handler,
 * which compares host names only and would hand the token to another port on the same host.
 */
export class BearerMiddleware implements Middleware {
  private next?: Middleware;
  constructor(
    private readonly base: string,
    private readonly tokens: TokenSource,
  ) {}

  setNext(next: Middleware): void {
    this.next = next;
  }

  async execute(context: Context): Promise<void> {
    const url = typeof context.request === 'string' ? context.request : context.request.url;
    const headers = new Headers((context.options?.headers ?? {}) as ConstructorParameters<typeof Headers>[0]);
    headers.delete('authorization');
    if (sameOrigin(url, this.base)) headers.set('Authorization', `Bearer ${await this.tokens.getToken(false)}`);
    context.options = { ...context.options, headers };
    await this.next!.execute(context);
  }
}
