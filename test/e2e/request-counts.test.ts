import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { contosoSeed, withManyMembers, type RecordedRequest, type SimulatedTenant } from '../../src/sim/index.js';
import { BATCH_LIMIT, MAX_PAGE } from '../../src/graph/graph-api.js';
import { runCli } from '../support/cli.js';
import { args, closeSimsAfterEach, G, journalPath, startSim, tokenEnv } from '../support/sim.js';

closeSimsAfterEach();

// The Graph round trips of a large tenant, counted exactly. Timings are `npm run bench`'s
// business; what is asserted here does not depend on the machine. No latency is injected, so
// the runs are fast; only the in-flight check adds a few ms per request so requests overlap.

/** The group has 5,000 members: the Contoso seed's 2 plus 4,998 generated ones. */
const MEMBERS = 5000;
const ELIGIBLE = 200;

function largeTenant() {
  const seed = withManyMembers(contosoSeed(), G, MEMBERS - 2);
  // 200 of the members are the users to make eligible (member-00001 … member-00200).
  const eligible = Array.from({ length: ELIGIBLE }, (_, i) => `member-${String(i + 1).padStart(5, '0')}@${seed.defaultDomain}`);
  return { seed, eligible };
}

/**
 * A journal for a run that removes thousands of members: in memory-backed /dev/shm where there
 * is one, since the journal flushes each of its 2 entries per member to disk, which on a busy
 * disk takes longer than everything else the test does.
 */
async function bigJournal(): Promise<string> {
  if (!existsSync('/dev/shm')) return journalPath();
  const dir = await mkdtemp('/dev/shm/epim-');
  inMemory.push(dir);
  return path.join(dir, 'journal.jsonl');
}
const inMemory: string[] = [];
afterEach(async () => {
  await Promise.all(inMemory.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Top-level HTTP requests to Graph: a `$batch` envelope counts once, its items not at all. */
const graphRequests = (sim: SimulatedTenant) => sim.requests.filter((r) => !r.batchItem && /^\/(v1\.0|beta)\//.test(r.path));
const isEnvelope = (r: RecordedRequest) => r.method === 'POST' && r.path === '/v1.0/$batch';
const items = (r: RecordedRequest) => (r.body as { requests: Array<{ method: string; url: string }> }).requests;
const isMemberPage = (r: RecordedRequest) => r.method === 'GET' && r.path.startsWith(`/beta/groups/${G}/members?`);

/**
 * Requests an audit sends whatever the sizes: the enterprise app, its registration, the
 * consent grants, the consent's resource apps (one $batch), the app's role assignments, the
 * group by name, its owners, the licences, the app's appRoleAssignedTo, the group's eligibility
 * schedules, its assignment instances and its member policy.
 */
const AUDIT_FIXED_READS = 12;

describe('Graph requests for large groups', () => {
  it('audits 5,000 members and 200 eligible users within 10% of the API minimum', async () => {
    const { seed, eligible } = largeTenant();
    const sim = await startSim(seed);
    const res = await runCli(['audit', ...args(sim, ['--json'], { '--eligible': eligible.join(',') })], await tokenEnv(sim));
    expect(res.code, res.stderr).toBe(2);
    expect(sim.writes()).toHaveLength(0);

    const sent = graphRequests(sim);
    // The minimum: each fixed read once, the member list in pages of 999 (Graph's largest), the
    // eligible users in $batches of 20 (Graph's cap) instead of one GET each.
    const pages = Math.ceil(MEMBERS / MAX_PAGE);
    const userBatches = Math.ceil(ELIGIBLE / BATCH_LIMIT);
    const minimum = AUDIT_FIXED_READS + pages + userBatches;
    expect(sent.filter(isMemberPage)).toHaveLength(pages);
    const userEnvelopes = sent.filter((r) => isEnvelope(r) && items(r).every((i) => i.method === 'GET' && /^\/users[/(]/.test(i.url)));
    expect(userEnvelopes).toHaveLength(userBatches);
    expect(userEnvelopes.every((r) => items(r).length <= BATCH_LIMIT)).toBe(true);
    expect(sent.length).toBeLessThanOrEqual(Math.floor(minimum * 1.1));
  });

  it('empties the group with ceil(5000/20) $batch envelopes, the member pages and a fixed rest, at most 4 in flight', async () => {
    const { seed } = largeTenant();
    // A few ms per request so that concurrent requests really overlap at the server.
    const sim = await startSim(seed, [], { latencyMs: 3 });
    const res = await runCli(args(sim, ['--yes', '--json', '--journal', await bigJournal()]), await tokenEnv(sim));
    expect(res.code, res.stderr).toBe(0);
    expect(sim.snapshot().groups.find((g) => g.id === G)?.members).toEqual([]);

    const sent = graphRequests(sim);
    const removals = sent.filter((r) => isEnvelope(r) && items(r)[0]?.method === 'DELETE');
    expect(removals).toHaveLength(Math.ceil(MEMBERS / BATCH_LIMIT));
    expect(removals.every((r) => items(r).length === BATCH_LIMIT)).toBe(true);
    expect(sim.writes().filter((w) => w.method === 'DELETE')).toHaveLength(MEMBERS);
    const pages = sent.filter(isMemberPage);
    // Listed once for the whole run (pim-eligibility and admin-group share the list).
    expect(pages).toHaveLength(Math.ceil(MEMBERS / MAX_PAGE));
    // What the run sends whatever the group's size: the audit's 12 fixed reads, the 2 eligible
    // users in one $batch, the assignment-required PATCH, the app assignment, and per eligible
    // user its schedule request and the read-back of the new schedule; then the lockout guard's
    // live read right before the first removal (the schedules, the accounts in one $batch).
    const fixed = AUDIT_FIXED_READS + 1 + 1 + 1 + 2 * 2 + 2;
    expect(sent.length).toBeLessThanOrEqual(removals.length + pages.length + fixed);
    expect(sim.maxInFlight).toBeLessThanOrEqual(4);
    // …and the bound is used: envelopes go out in parallel, not one by one.
    expect(sim.maxInFlight).toBeGreaterThan(1);
  }, 180_000);

  it('sends one throttled envelope again, and only that one', async () => {
    // The count does not depend on the size, so a smaller group keeps this test quick.
    const members = 1000;
    const seed = withManyMembers(contosoSeed(), G, members - 2);
    const envelopes = Math.ceil(members / BATCH_LIMIT);
    // The plan sends 2 envelopes (consent resources, eligible users) and the lockout guard one
    // (the eligible accounts, read live before the first removal); throttle the 25th removal.
    const sim = await startSim(seed, [
      {
        method: 'POST',
        path: '/$batch',
        skip: 3 + 24,
        times: 1,
        respond: { status: 429, headers: { 'Retry-After': '1' }, body: { error: { code: 'TooManyRequests', message: 'throttled' } } },
      },
    ]);
    const res = await runCli(args(sim, ['--yes', '--json', '--journal', await bigJournal()]), await tokenEnv(sim));
    expect(res.code, res.stderr).toBe(0);
    expect(sim.snapshot().groups.find((g) => g.id === G)?.members).toEqual([]);
    const removals = graphRequests(sim).filter((r) => isEnvelope(r) && items(r)[0]?.method === 'DELETE');
    expect(removals.filter((r) => r.status === 429)).toHaveLength(1);
    expect(removals).toHaveLength(envelopes + 1);
    // The throttled envelope's items never reached Graph; every member was removed exactly once.
    const deletes = sim.writes().filter((w) => w.method === 'DELETE');
    expect(deletes).toHaveLength(members);
    expect(new Set(deletes.map((d) => d.path)).size).toBe(members);
  }, 120_000);
});
