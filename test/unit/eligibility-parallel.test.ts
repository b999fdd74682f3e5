import { describe, expect, it } from 'vitest';
import { setImmediate as tick } from 'node:timers/promises';
import { pimEligibilityStep } from '../../src/steps/pim-eligibility.js';
import { waitForSchedules } from '../../src/steps/schedule-wait.js';
import { forEachBounded } from '../../src/core/bounded.js';
import { fakeContext, FakeGraph, snapshotOf } from '../support/fake-graph.js';
import { graphRequest, graphWrite, type GraphWrite } from '../../src/graph/writes.js';
import type { Action } from '../../src/plan/types.js';

// Eligibility requests and the reads of new schedules go out in parallel up to the gateway's
// in-flight bound: counted here without timing (each call yields to the event loop once, so
// calls started together overlap).

const G = 'aaaaaaaa-0000-0000-0000-000000000001';

function action(id: string): Action {
  return {
    kind: 'create',
    target: 'graph',
    summary: `make ${id} eligible`,
    ...graphWrite({
      op: 'pim.requestEligibility',
      groupId: G,
      principalId: id,
      action: 'adminAssign',
      startDateTime: '2026-12-01T10:00:00.000Z',
      endDateTime: '2027-01-01T00:00:00.000Z',
      justification: 'test',
    }),
  };
}

/** A gateway double that counts calls and how many are in flight at once. */
function countingGraph(opts: { fail?: (principal: string) => boolean; readableAfterRound?: number } = {}) {
  const g = {
    maxConcurrency: 4,
    inFlight: 0,
    maxWriteInFlight: 0,
    maxReadInFlight: 0,
    posts: [] as string[],
    gets: [] as string[],
    async write(op: GraphWrite) {
      const req = graphRequest(op) as { body?: { principalId?: string } };
      const who = String(req.body?.principalId);
      g.posts.push(who);
      g.inFlight++;
      g.maxWriteInFlight = Math.max(g.maxWriteInFlight, g.inFlight);
      await tick();
      g.inFlight--;
      if (opts.fail?.(who)) return { status: 403, body: { error: { code: 'Forbidden' } } };
      return { status: 201, body: { status: 'Provisioned', targetScheduleId: `sched-${who}` } };
    },
    async find(url: string) {
      g.gets.push(url.split('/').pop()!);
      g.inFlight++;
      g.maxReadInFlight = Math.max(g.maxReadInFlight, g.inFlight);
      await tick();
      g.inFlight--;
      return g.gets.length > (opts.readableAfterRound ?? 0) ? { id: 'x' } : null;
    },
    error: (req: { url: string }, res: { status: number }) => new Error(`${res.status} on ${req.url}`),
  };
  return g;
}

function contextWith(graph: ReturnType<typeof countingGraph>) {
  const ctx = fakeContext(new FakeGraph({}));
  (ctx as { graph: unknown }).graph = graph;
  ctx.sleep = async () => {};
  return ctx;
}

const snap = () => snapshotOf({ eligibleUsers: [] });

describe('eligibility requests in parallel', () => {
  it('sends 200 requests, at most 4 in flight and more than one, then reads each new schedule once, at most 4 in flight', async () => {
    const graph = countingGraph();
    const ids = Array.from({ length: 200 }, (_, i) => `u-${i}`);
    const actions = ids.map(action);
    await pimEligibilityStep.apply({ findings: [], actions }, contextWith(graph), snap());
    expect(graph.posts).toHaveLength(200);
    expect(new Set(graph.posts)).toEqual(new Set(ids));
    expect(graph.maxWriteInFlight).toBe(4);
    // One poll round: every schedule is readable at the first read.
    expect(graph.gets).toHaveLength(200);
    expect(new Set(graph.gets)).toEqual(new Set(ids.map((id) => `sched-${id}`)));
    expect(graph.maxReadInFlight).toBe(4);
    expect(actions.every((a) => a.result?.ok === true)).toBe(true);
  });

  it('after a failure sends nothing more, keeps the answers of the requests in flight, and reads no schedule', async () => {
    const graph = countingGraph({ fail: (who) => who === 'u-5' });
    const actions = Array.from({ length: 50 }, (_, i) => action(`u-${i}`));
    await expect(pimEligibilityStep.apply({ findings: [], actions }, contextWith(graph), snap())).rejects.toThrow(/403/);
    // u-5 is the 6th request: it leaves with u-2…u-5 in flight (u-0, u-1 answered first); the
    // workers take no request after it fails, so at most the 3 in flight beside it finish.
    expect(graph.posts.length).toBeLessThanOrEqual(9);
    expect(graph.posts.length).toBeGreaterThanOrEqual(6);
    const sent = new Set(graph.posts);
    for (const [i, a] of actions.entries()) {
      const who = `u-${i}`;
      if (!sent.has(who)) expect(a.result).toBeUndefined();
      else if (who === 'u-5') expect(a.result).toMatchObject({ ok: false, status: 403 });
      else expect(a.result).toMatchObject({ ok: true, status: 201 });
    }
    expect(graph.gets).toHaveLength(0);
  });

  it('a gateway without a bound (a test double) sends one at a time', async () => {
    const graph = countingGraph();
    (graph as { maxConcurrency?: number }).maxConcurrency = undefined;
    await pimEligibilityStep.apply({ findings: [], actions: ['a', 'b', 'c'].map(action) }, contextWith(graph), snap());
    expect(graph.maxWriteInFlight).toBe(1);
  });
});

describe('waiting for new schedules reads each pending one once per round', () => {
  it('polls the pending schedules together: one read each per round, up to the bound in flight', async () => {
    let now = 0;
    const lags: Record<string, number> = { s1: 0, s2: 1000, s3: 5000, s4: 5000, s5: 200 };
    const reads: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    await waitForSchedules({
      pending: new Map(Object.keys(lags).map((id) => [id, id])),
      concurrency: 4,
      readable: async (id) => {
        reads.push(id);
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await tick();
        inFlight--;
        return now >= lags[id];
      },
      nowMs: () => now,
      sleep: async (ms) => void (now += ms),
      progress: () => {},
    });
    expect(maxInFlight).toBe(4);
    // Rounds at 0, 0.5, 1.5, 3.5 and 7.5 s: 5 + 4 + 3 + 2 + 2 reads; the wait ends at the first
    // round after the longest lag, not after the sum of the lags.
    expect(reads).toHaveLength(16);
    expect(now).toBe(7500);
  });
});

describe('forEachBounded', () => {
  it('throws the first failure once the calls in flight have finished', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const p = forEachBounded([0, 1, 2, 3, 4, 5], 3, async (i) => {
      started.push(i);
      await tick();
      if (i === 1) throw new Error('one');
      finished.push(i);
    });
    await expect(p).rejects.toThrow('one');
    // 3 was taken when 0 finished, before 1 failed; nothing was taken after the failure.
    expect(started).toEqual([0, 1, 2, 3]);
    expect(finished.sort()).toEqual([0, 2, 3]);
  });
});

describe('the wait names the users in the plan’s order', () => {
  it('whatever order PIM answers the requests in, the progress line lists the users as planned', async () => {
    const graph = countingGraph({ readableAfterRound: 4 });
    // The first request is answered last: each write waits as many event-loop turns as there are writes after it.
    const base = graph.write.bind(graph);
    let n = 0;
    graph.write = async (op: GraphWrite) => {
      const turns = 3 - n++;
      for (let t = 0; t < turns; t++) await tick();
      return base(op);
    };
    const ctx = contextWith(graph);
    const lines: string[] = [];
    ctx.log = { ...ctx.log, info: (line: string) => lines.push(line) };
    const ids = ['u-a', 'u-b', 'u-c', 'u-d'];
    const snapshot = snapshotOf({
      eligibleUsers: ids.map((id) => ({ id, input: id, userPrincipalName: `${id}@contoso.example`, displayName: id })),
    });
    await pimEligibilityStep.apply({ findings: [], actions: ids.map(action) }, ctx, snapshot);
    const waiting = lines.find((l) => l.startsWith('waiting for PIM'));
    expect(waiting).toContain('(u-a@contoso.example, u-b@contoso.example, u-c@contoso.example, u-d@contoso.example)');
  });
});
