import { GraphRequestError, SignInError, TransportError, UsageError } from '../errors.js';
import type { HttpRequest } from '../core/http.js';
import { pathOfUrl } from '../ui/url.js';
import { RetryBudgetExceeded } from './resilience.js';

/** A Graph answer: status and parsed body. */
export interface GraphResponse<T = unknown> {
  status: number;
  body: T;
}

interface ODataError {
  error?: { code?: string; message?: string; innerError?: { 'request-id'?: string } };
}

/** A header of a `$batch` item answer, by case-insensitive name (`name` lower-case). */
export function headerValue(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key ? headers[key] : undefined;
}

/** Rebuilds our own errors from the Graph client's wrapper (it keeps their name as `code` and their message). */
export function unwrapClientError(err: unknown): unknown {
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

/** The cause code of a failed body read (ECONNRESET, …), else the error's message. */
export function describeCause(err: unknown): string {
  const cause = (err as { cause?: { code?: string } } | undefined)?.cause;
  return cause?.code ?? (err instanceof Error ? err.message : String(err));
}

/**
 * "Not found" only when Graph says so: a 404 with Graph's error object. A 404 page from
 * something else in the path (a proxy, a wrong endpoint) is a failure, not an absent object.
 */
export function isGraphNotFound(res: { status: number; body: unknown }): boolean {
  return res.status === 404 && typeof errorCode(res.body) === 'string';
}

/** An answer this tool cannot read: an error, never an empty result. */
export function unexpected(req: HttpRequest, status: number, what: string, code = 'UnexpectedResponse'): GraphRequestError {
  return new GraphRequestError(
    `Graph ${req.method} ${pathOfUrl(req.url)} answered ${status} with ${what}: refused, nothing from it was used`,
    status,
    code,
    req.method,
    req.url,
  );
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A 2xx is only success when it is the JSON the call documents: a JSON object (or no body at
 * all for a write, e.g. 204), without an `error` member. A GET always documents a body.
 */
export function checkSuccessBody(req: HttpRequest, status: number, body: unknown, contentType: string | null): void {
  if (contentType !== null && !/\bjson\b/i.test(contentType))
    throw unexpected(req, status, `a ${contentType.split(';')[0]} body where JSON was expected`);
  if (body === undefined) {
    if (req.method === 'GET') throw unexpected(req, status, 'an empty body');
    return;
  }
  if (!isObject(body)) throw unexpected(req, status, 'JSON that is not an object');
  if (body.error !== undefined)
    throw unexpected(req, status, `an error object (${String((body.error as { code?: unknown })?.code ?? 'no code').slice(0, 60)})`);
}

/**
 * The body of a 2xx $batch item, checked like a whole response: a GET item must carry a JSON
 * object, and no item may carry an `error`. One that does not becomes a failed item (status 0).
 */
export function batchItemAnswer(req: HttpRequest, status: number, body: unknown): { status: number; body: unknown } {
  if (status < 200 || status >= 300) return { status, body };
  const bad = body === undefined ? req.method === 'GET' : !isObject(body) || body.error !== undefined;
  if (!bad) return { status, body };
  return {
    status: 0,
    body: { error: { code: 'UnexpectedResponse', message: `answered ${status} with a body that is not the JSON this call documents` } },
  };
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

/** The error to throw for a failed Graph request: its status, Graph's code and request id, and a hint for 403. */
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
