import { describe, expect, it } from 'vitest';
import type { HttpRequest } from '../../src/core/http.js';
import { sendBatches } from '../../src/graph/batch.js';
import { WritePacer } from '../../src/graph/pacing.js';
import { GraphThrottle } from '../../src/sim/throttle.js';
import type { Logger } from '../../src/ui/log.js';

/**
 * Pacing decisions in virtual time: no test here waits on the wall clock. Sleeps are queued and
 * run in time order; the simulation's throttle (Graph's documented write quota) reads the same
 * virtual clock. The floor for 5,000 removals with an unused quota is (5,000 − 3,000) writes at
 * 3,000 per 150 s: 100 s.
 */
class VirtualTime {
  t = 0;
  private timers: Array<{ at: number; resolve: () => void }> = [];
  now = (): number => this.t;
  sleep = (ms: number): Promise<void> => new Promise((resolve) => this.timers.push({ at: this.t + Math.max(0, ms), resolve }));
  async run<T>(work: Promise<T>): Promise<T> {
    let done = false;
    void work.finally(() => (done = true)).catch(() => undefined);
    while (!done) {
      await new Promise((r) => setImmediate(r));
      if (done || this.timers.length === 0) continue;
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers.shift()!;
      this.t = Math.max(this.t, next.at);
      next.resolve();
    }
    return work;
  }
}

const silent = { verbose: () => undefined, http: () => undefined } as unknown as Logger;
const LATENCY_MS = 50;

async function emptyGroup(members: number, pace: boolean) {
  const vt = new VirtualTime();
  const throttle = new GraphThrottle({ tier: 'L', now: vt.now }, 'tenant', () => members);
  const stats = { batches: 0, items: 0, throttled: 0 };
  const pacer = pace ? new WritePacer({ now: vt.now, sleep: vt.sleep }) : undefined;
  const requests: HttpRequest[] = Array.from({ length: members }, (_, i) => ({ method: 'DELETE', url: `/groups/g/members/m${i}/$ref` }));
  const send = async (req: HttpRequest) => {
    // Charged on arrival, answered after the round trip, as the simulation does.
    const items = (req.body as { requests: Array<{ id: string; method: string; url: string }> }).requests;
    const responses = items.map((it) => {
      stats.items++;
      const d = throttle.check('app', it.method, it.url.split('?')[0], new URLSearchParams())!;
      if (d.throttled) stats.throttled++;
      return { id: it.id, status: d.throttled ? 429 : 204, headers: d.headers };
    });
    await vt.sleep(LATENCY_MS);
    return { status: 200, headers: {}, body: { responses } };
  };
  const results = await vt.run(
    sendBatches({ send, log: silent, stats, pacer, resilience: { sleep: vt.sleep, maxAttempts: 50, maxRetryAfterMs: 600_000 } }, requests),
  );
  return { seconds: vt.t / 1000, stats, results, decisions: pacer?.decisions };
}

describe('write pacing against the documented write quota (virtual time)', () => {
  it('empties 5,000 members within 1.1× of the 100 s floor, with at most 1% of items answered 429', async () => {
    const run = await emptyGroup(5_000, true);
    expect(run.results.every((r) => r.status === 204)).toBe(true);
    expect(run.seconds).toBeGreaterThanOrEqual(100);
    expect(run.seconds).toBeLessThanOrEqual(110);
    expect(run.stats.throttled).toBeLessThanOrEqual(0.01 * run.stats.items);
    // 250 envelopes, plus one per envelope retried after a 429.
    expect(run.stats.batches).toBeLessThanOrEqual(250 + run.decisions!.throttled);
    // The first 3,000 go at once; the rest wait for the quota to refill.
    expect(run.decisions!.waits).toBeGreaterThan(0);
  });

  it('without pacing, the same run is answered 429 far more often (each throttled item still counts)', async () => {
    const run = await emptyGroup(5_000, false);
    expect(run.stats.throttled).toBeGreaterThan(0.01 * run.stats.items);
    expect(run.seconds).toBeGreaterThan(110);
  });

  it('does not wait while the quota has room', async () => {
    const run = await emptyGroup(2_000, true);
    expect(run.decisions!.waits).toBe(0);
    expect(run.stats.throttled).toBe(0);
    expect(run.stats.batches).toBe(100);
  });
});

describe('WritePacer', () => {
  it('reads the usage header and Retry-After into its count', async () => {
    const vt = new VirtualTime();
    const pacer = new WritePacer({ now: vt.now, sleep: vt.sleep });
    await vt.run(pacer.acquire(20));
    // Graph says the quota is full: the next 20 writes wait until 20 fit under 99% of it (the
    // headroom for the header's rounding): 50 writes' refill at 20 per s, 2.5 s.
    pacer.settle(20, { percentage: 1, retryAfterMs: undefined });
    await vt.run(pacer.acquire(20));
    expect(vt.t).toBeCloseTo(2_500, 0);
    // A 429 holds every write back until its Retry-After has passed.
    pacer.settle(20, { percentage: undefined, retryAfterMs: 5_000 });
    const before = vt.t;
    await vt.run(pacer.acquire(20));
    expect(vt.t - before).toBeGreaterThanOrEqual(5_000);
    expect(pacer.decisions).toMatchObject({ sent: 3, throttled: 1 });
  });
});
