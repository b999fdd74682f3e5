import { describe, expect, it } from 'vitest';
import type { HttpRequest } from '../../src/core/http.js';
import { sendBatches } from '../../src/graph/batch.js';
import { WritePacer } from '../../src/graph/pacing.js';
import type { Logger } from '../../src/ui/log.js';

// Throttling headers that are not what Learn "Microsoft Graph service-specific throttling limits"
// documents (x-ms-throttle-limit-percentage a fraction from 0.8, Retry-After seconds or a date)
// must never let the pacer send faster than its own count allows.

const silent = { verbose: () => undefined, http: () => undefined } as unknown as Logger;

function clocked() {
  let t = 0;
  const pacer = new WritePacer({
    quota: { limit: 100, windowMs: 100_000 },
    now: () => t,
    sleep: async (ms) => {
      t += ms;
    },
  });
  return pacer;
}

describe('the pacer keeps its own count on a throttling header it cannot read', () => {
  it.each([
    ['NaN', NaN],
    ['negative', -0.5],
    ['infinite', Infinity],
  ])('percentage %s', async (_name, percentage) => {
    const pacer = clocked();
    await pacer.acquire(90);
    pacer.settle(90, { percentage, retryAfterMs: undefined });
    await pacer.acquire(10);
    // 90 + 10 is over the quota less its headroom (99): the second acquire waits.
    expect(pacer.decisions.waits).toBe(1);
  });

  it.each([
    ['blank', ''],
    ['null', null],
    ['text', 'high'],
    ['negative', '-1'],
  ])('a %s x-ms-throttle-limit-percentage in a $batch answer', async (_name, value) => {
    const pacer = clocked();
    const requests: HttpRequest[] = Array.from({ length: 100 }, (_, i) => ({ method: 'DELETE', url: `/groups/g/members/m${i}/$ref` }));
    const send = async (req: HttpRequest) => {
      const items = (req.body as { requests: Array<{ id: string }> }).requests;
      return {
        status: 200,
        headers: {},
        body: { responses: items.map((it) => ({ id: it.id, status: 204, headers: { 'x-ms-throttle-limit-percentage': value } })) },
      };
    };
    await sendBatches({ send, log: silent, stats: { batches: 0 }, pacer, resilience: { maxConcurrency: 1 } }, requests);
    // 100 writes against a quota of 100 less 1% headroom: the last envelope must wait.
    expect(pacer.decisions.waits).toBeGreaterThan(0);
  });

  it('a 429 item whose Retry-After cannot be read still fills the count', async () => {
    const pacer = clocked();
    let first = true;
    const requests: HttpRequest[] = Array.from({ length: 20 }, (_, i) => ({ method: 'DELETE', url: `/groups/g/members/m${i}/$ref` }));
    const send = async (req: HttpRequest) => {
      const items = (req.body as { requests: Array<{ id: string }> }).requests;
      const responses = items.map((it, k) => ({
        id: it.id,
        status: first && k === 0 ? 429 : 204,
        headers: first && k === 0 ? { 'Retry-After': 'soon' } : {},
      }));
      first = false;
      return { status: 200, headers: {}, body: { responses } };
    };
    await sendBatches(
      {
        send,
        log: silent,
        stats: { batches: 0 },
        pacer,
        resilience: { maxConcurrency: 1, sleep: async () => undefined },
      },
      requests,
    );
    expect(pacer.decisions.throttled).toBe(1);
    expect(pacer.decisions.waits).toBe(1);
  });
});
