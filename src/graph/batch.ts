import { setTimeout as delay } from 'node:timers/promises';
import type { HttpRequest } from '../core/http.js';
import type { Logger } from '../ui/log.js';
import { batchItemAnswer, headerValue, toGraphError, unexpected, type GraphResponse } from './answers.js';
import type { WritePacer } from './pacing.js';
import { backoffMs, DEFAULT_RESILIENCE, RetryBudgetExceeded, retryAfterMs, type ResilienceOptions } from './resilience.js';
import { forEachBounded } from '../core/bounded.js';

/** Graph's documented cap on requests in one `$batch`. */
export const BATCH_LIMIT = 20;
/** Prefix of a relative URL that `GraphApi` reads from the beta endpoint. */
export const BETA = '/beta';

/** A per-item outcome of a `$batch`. */
export interface BatchItemResult {
  request: HttpRequest;
  status: number;
  body: unknown;
}

/** What sending `$batch` envelopes needs from the gateway. */
export interface BatchDeps {
  /** Sends one whole request (the envelope); never throws for HTTP statuses. */
  send(req: HttpRequest): Promise<GraphResponse>;
  resilience?: Partial<Omit<ResilienceOptions, 'log'>>;
  log: Logger;
  stats: { batches: number };
  /** Paces the writes among the items to Graph's write quota (pacing.ts). */
  pacer?: WritePacer;
}

/**
 * Sends `requests` in `$batch`es of 20 (envelopes in parallel up to the in-flight bound) and
 * returns each item's answer in input order. Items answered 429/503/504 are retried on their own
 * after the longest Retry-After in that envelope; `onItem` hears each final answer as it comes.
 */
export async function sendBatches(
  deps: BatchDeps,
  requests: HttpRequest[],
  onItem?: (index: number, result: BatchItemResult) => void,
): Promise<BatchItemResult[]> {
  // A $batch envelope is v1.0: its items cannot address the beta endpoint.
  if (requests.some((r) => r.url.startsWith(`${BETA}/`))) throw new Error('a beta URL cannot be sent in a v1.0 $batch');
  const chunks: number[][] = [];
  for (let i = 0; i < requests.length; i += BATCH_LIMIT) {
    chunks.push(requests.slice(i, i + BATCH_LIMIT).map((_, j) => i + j));
  }
  const results: BatchItemResult[] = new Array(requests.length);
  // As many envelopes in flight as requests may be, each worker taking the next only while no
  // envelope has failed: after a failure (a Retry-After over the cap, an answer not understood,
  // a journal that cannot be written) nothing more is sent, and the envelopes already in flight
  // still record their answers. A throttled envelope waits in its own worker.
  await forEachBounded(chunks, deps.resilience?.maxConcurrency ?? DEFAULT_RESILIENCE.maxConcurrency, (idx, _i, stopped) =>
    sendEnvelope(deps, requests, idx, results, onItem, stopped),
  );
  return results;
}

async function sendEnvelope(
  deps: BatchDeps,
  requests: HttpRequest[],
  indexes: number[],
  results: BatchItemResult[],
  onItem: ((index: number, result: BatchItemResult) => void) | undefined,
  stopped: () => boolean,
): Promise<void> {
  const maxAttempts = deps.resilience?.maxAttempts ?? DEFAULT_RESILIENCE.maxAttempts;
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
    const writes = pending.filter((i) => requests[i].method !== 'GET').length;
    await deps.pacer?.acquire(writes);
    deps.stats.batches++;
    let res: GraphResponse;
    try {
      res = await deps.send({ method: 'POST', url: '/$batch', body: envelope });
    } catch (err) {
      deps.pacer?.settle(writes);
      throw err;
    }
    deps.pacer?.settle(writes, res.status >= 200 && res.status < 300 ? throttleSignals(res.body) : undefined);
    if (res.status < 200 || res.status >= 300) throw toGraphError({ method: 'POST', url: '/$batch' }, res);
    const responses = (res.body as { responses?: unknown } | undefined)?.responses;
    if (!Array.isArray(responses))
      throw unexpected({ method: 'POST', url: '/$batch' }, res.status, 'a $batch answer without a "responses" array');
    const retry: number[] = [];
    const throttled: BatchItemResult[] = [];
    let wait = 0;
    for (const raw of responses as Array<{ id?: unknown; status?: unknown; headers?: Record<string, string>; body?: unknown }>) {
      const i = Number(raw?.id);
      if (!pending.includes(i) || results[i] || retry.includes(i) || typeof raw.status !== 'number') {
        throw unexpected(
          { method: 'POST', url: '/$batch' },
          res.status,
          `an item answer that matches no request sent (id ${String(raw?.id).slice(0, 20)})`,
        );
      }
      const item = { id: i, status: raw.status, headers: raw.headers, body: raw.body };
      const transient = item.status === 429 || item.status === 503 || item.status === 504;
      if (transient && attempt < maxAttempts) {
        retry.push(i);
        throttled.push({ request: requests[i], status: item.status, body: item.body });
        const hinted = retryAfterMs(headerValue(item.headers, 'retry-after'));
        wait = Math.max(wait, hinted ?? backoffMs(attempt - 1, deps.resilience?.backoffBaseMs ?? DEFAULT_RESILIENCE.backoffBaseMs));
      } else {
        results[i] = { request: requests[i], ...batchItemAnswer(requests[i], item.status, item.body) };
        onItem?.(i, results[i]);
      }
    }
    const maxWait = deps.resilience?.maxRetryAfterMs ?? DEFAULT_RESILIENCE.maxRetryAfterMs;
    if (wait > maxWait) {
      // The same cap as for whole requests: a throttled item answered, so its outcome (not
      // applied) is recorded before the run stops, instead of waiting for as long as asked.
      throttled.forEach((r, k) => {
        results[retry[k]] = r;
        onItem?.(retry[k], r);
      });
      throw new RetryBudgetExceeded(
        `$batch: Graph asked ${retry.length} item(s) to wait ${Math.round(wait / 1000)} s (Retry-After), longer than the ` +
          `${Math.round(maxWait / 1000)} s this tool waits; nothing more was sent: try again later`,
      );
    }
    for (const i of pending) {
      if (!results[i] && !retry.includes(i)) {
        results[i] = {
          request: requests[i],
          status: 0,
          body: { error: { code: 'MissingBatchResponse', message: 'no response for this item' } },
        };
        onItem?.(i, results[i]);
      }
    }
    pending = retry;
    throttledBefore = throttled;
    if (pending.length) {
      deps.log.verbose(`$batch: ${pending.length} item(s) throttled; retrying in ${Math.round(wait)} ms`);
      await (deps.resilience?.sleep ?? delay)(wait);
    }
  }
}

/**
 * What the items of a `$batch` answer say about the throttling quota: the last
 * `x-ms-throttle-limit-percentage` and the longest Retry-After of a 429 item (Learn "Microsoft
 * Graph service-specific throttling limits", Additional headers; Learn "JSON batching": items are
 * throttled individually).
 */
function throttleSignals(body: unknown): { percentage: number | undefined; retryAfterMs: number | undefined } {
  let percentage: number | undefined;
  let retryAfter: number | undefined;
  const responses = (body as { responses?: unknown } | undefined)?.responses;
  for (const r of Array.isArray(responses) ? (responses as Array<{ status?: unknown; headers?: Record<string, string> }>) : []) {
    const raw: unknown = headerValue(r?.headers, 'x-ms-throttle-limit-percentage');
    // Present but not a number (blank, null, text): NaN, which the pacer does not let lower its count.
    if (raw !== undefined) percentage = (typeof raw === 'string' && raw.trim()) || typeof raw === 'number' ? Number(raw) : NaN;
    if (r?.status === 429) {
      // A 429 whose Retry-After cannot be read still says the quota is full (no wait to hold for).
      const ms = retryAfterMs(headerValue(r.headers, 'retry-after'));
      retryAfter = Math.max(retryAfter ?? 0, ms ?? 0);
    }
  }
  return { percentage, retryAfterMs: retryAfter };
}
