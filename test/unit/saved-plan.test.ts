import { describe, expect, it } from 'vitest';
import { GraphRequestError } from '../../src/errors.js';
import {
  canonicalJson,
  changedParts,
  digestOf,
  digestParts,
  parsePlanMaxAge,
  parseSavedPlan,
  planAgeProblem,
  planDigest,
  sameActions,
  writesWithoutTimes,
  type SavedAction,
  type SavedPlan,
} from '../../src/plan/saved-plan.js';
import { planSteps } from '../../src/commands/plan-file.js';
import type { Action, Step, StepPlan } from '../../src/plan/types.js';
import { snapshotParts } from '../../src/steps/snapshot-parts.js';
import type { PrerequisiteReads, TenantSnapshot } from '../../src/steps/snapshot.js';
import { baseOptions } from '../support/fake-graph.js';

const GROUP = '014b90e2-4da2-4c61-9a52-332a0ce58215';
const options = baseOptions();
const parts = (s: TenantSnapshot) => snapshotParts(s, options);

/** Raw prerequisite reads: the group and its owner found, no licence listed, the caller's claims as given. */
function reads(claims: Record<string, unknown>, owners = [{ id: 'o1', displayName: 'Olga' }]): PrerequisiteReads {
  return {
    app: { ok: true, value: { id: 'sp', appId: '11111111-2222-3333-4444-555555555555', displayName: 'Keycloak' } },
    group: { ok: true, value: { id: GROUP, displayName: 'tenant-admin', securityEnabled: true, mailEnabled: false, groupTypes: [] } },
    owners: { ok: true, value: owners },
    skus: { ok: true, value: [] },
    application: { ok: true, value: null },
    caller: { ok: true, value: { claims } },
  };
}

function snapshot(members: Array<Record<string, unknown>>, over: Partial<TenantSnapshot> = {}): TenantSnapshot {
  return {
    tenantId: 't',
    now: new Date('2026-11-30T12:00:00Z'),
    facts: { group: { id: GROUP, displayName: 'tenant-admin' }, groupOwnerIds: ['o1'] },
    prerequisites: reads({ roles: ['Group.Read.All'], appid: 'reader' }),
    members: { ok: true, value: members as never },
    ...over,
  };
}

const carol = { id: 'c', displayName: 'Carol', userPrincipalName: 'carol@x' };
const dave = { id: 'd', displayName: 'Dave', userPrincipalName: 'dave@x' };

describe('canonicalJson and digestOf', () => {
  it('gives one text whatever the order of object keys, Map entries and Set items', () => {
    const a = {
      b: 1,
      a: [1, { y: 2, x: 1 }],
      m: new Map([
        ['k2', 2],
        ['k1', 1],
      ]),
      s: new Set(['z', 'a']),
    };
    const b = {
      s: new Set(['a', 'z']),
      m: new Map([
        ['k1', 1],
        ['k2', 2],
      ]),
      a: [1, { x: 1, y: 2 }],
      b: 1,
    };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(digestOf(a)).toBe(digestOf(b));
    expect(digestOf(a)).toMatch(/^[0-9a-f]{64}$/);
    // Array order is kept: a list is reordered on purpose where its order means nothing (snapshotParts).
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });

  it('keeps Dates as ISO text, leaves out functions and undefined, and refuses a value that refers to itself', () => {
    expect(canonicalJson({ at: new Date('2026-01-01T00:00:00Z'), f: () => 1, u: undefined })).toBe(
      '{"at":{"$date":"2026-01-01T00:00:00.000Z"}}',
    );
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(() => canonicalJson(loop)).toThrow(/refers to itself/);
  });

  it('digests a failed read by its kind and codes, not by its message (which carries a request id)', () => {
    const err = (status: number, id: string) =>
      new GraphRequestError(`forbidden (request ${id})`, status, 'Authorization_RequestDenied', 'GET', '/groups');
    expect(digestOf({ r: err(403, 'one') })).toBe(digestOf({ r: err(403, 'two') }));
    expect(digestOf({ r: err(403, 'one') })).not.toBe(digestOf({ r: err(404, 'one') }));
  });
});

describe('snapshotParts, digestParts and changedParts', () => {
  it('digests the same tenant the same whatever the order it was listed in', () => {
    const one = digestParts(parts(snapshot([carol, dave])));
    const two = digestParts(parts(snapshot([{ ...dave }, { userPrincipalName: 'carol@x', displayName: 'Carol', id: 'c' }])));
    expect(two.digest).toBe(one.digest);
    expect(changedParts(one.parts, two.parts)).toEqual([]);
    // The clock is not part of what was read.
    expect(digestParts(parts(snapshot([carol, dave], { now: new Date('2026-12-01T00:00:00Z') }))).digest).toBe(one.digest);
  });

  it('names the part that changed: a member added or removed by id, a member changed in place, a read that now fails', () => {
    const saved = digestParts(parts(snapshot([carol, dave])));
    const added = digestParts(parts(snapshot([carol, dave, { id: 'e', displayName: 'Erin' }])));
    expect(added.digest).not.toBe(saved.digest);
    expect(changedParts(saved.parts, added.parts)).toEqual(["the admin group's members changed: added e"]);
    const gone = digestParts(parts(snapshot([carol])));
    expect(changedParts(saved.parts, gone.parts)).toEqual(["the admin group's members changed: removed d"]);
    const renamed = digestParts(parts(snapshot([carol, { ...dave, displayName: 'D. Admin' }])));
    expect(changedParts(saved.parts, renamed.parts)).toEqual(["the admin group's members changed: same ids, other details"]);
    const failed = digestParts(
      parts(snapshot([], { members: { ok: false, error: new GraphRequestError('x', 503, undefined, 'GET', '/members') } })),
    );
    expect(changedParts(saved.parts, failed.parts)).toEqual([
      "the admin group's members could not be read now (it could when the plan was saved)",
    ]);
  });

  it('leaves the caller and what its token may do out, so one identity may save and another apply', () => {
    const saved = digestParts(parts(snapshot([carol])));
    const other = snapshot([carol], {
      facts: { group: { id: GROUP, displayName: 'tenant-admin' }, groupOwnerIds: ['o1'], caller: { kind: 'app', id: 'writer' } },
      prerequisites: reads({ roles: ['Group.ReadWrite.All', 'PrivilegedAccess.ReadWrite.AzureADGroup'], appid: 'writer' }),
    });
    expect(digestParts(parts(other)).digest).toBe(saved.digest);
    // What the reads establish about the tenant does count: the group has lost its owner.
    const ownerless = snapshot([carol], { prerequisites: reads({ roles: ['Group.Read.All'], appid: 'reader' }, []) });
    expect(changedParts(saved.parts, digestParts(parts(ownerless)).parts)).toEqual([
      "the prerequisites' findings (app, group, permissions, consent, licence) changed",
    ]);
  });
});

describe('saved actions', () => {
  const eligibility = (start: string): SavedAction => ({
    kind: 'create',
    summary: 'make alice eligible',
    target: 'graph',
    op: {
      op: 'pim.requestEligibility',
      groupId: GROUP,
      principalId: 'a',
      action: 'adminAssign',
      startDateTime: start,
      endDateTime: '2027-01-01T00:00:00.000Z',
      justification: 'j',
    },
  });

  it('compares actions field for field, and their writes without the times that move with the clock', () => {
    const at = eligibility('2026-11-30T12:00:00.000Z');
    const later = eligibility('2026-11-30T13:00:00.000Z');
    expect(sameActions([at], [{ ...at }])).toBe(true);
    expect(sameActions([at], [later])).toBe(false);
    expect(writesWithoutTimes([at])).toBe(writesWithoutTimes([later]));
    expect(writesWithoutTimes([at])).not.toBe(writesWithoutTimes([{ ...at, op: { ...at.op!, principalId: 'b' } as never }]));
    expect(writesWithoutTimes([at, { kind: 'noop', summary: 'ok' }])).toBe(writesWithoutTimes([at]));
  });
});

describe('plan files', () => {
  const now = new Date('2026-11-30T12:00:00Z');

  it('reads --plan-max-age as 24h, 90m, 2d or an ISO duration, and refuses anything else', () => {
    expect(parsePlanMaxAge('24h')).toBe(86_400_000);
    expect(parsePlanMaxAge('90m')).toBe(5_400_000);
    expect(parsePlanMaxAge('2d')).toBe(172_800_000);
    expect(parsePlanMaxAge('PT12H')).toBe(43_200_000);
    expect(() => parsePlanMaxAge('0h')).toThrow('0h: must be longer than zero');
    expect(() => parsePlanMaxAge('soon')).toThrow('soon: not a duration such as 24h, 90m, 2d or PT12H');
  });

  it('refuses a plan older than the limit, or made later than this clock', () => {
    expect(planAgeProblem('2026-11-30T11:00:00Z', now, 86_400_000, '24h')).toBeUndefined();
    expect(planAgeProblem('2026-11-29T11:59:00Z', now, 86_400_000, '24h')).toMatch(/more than 24h ago \(--plan-max-age\)/);
    expect(planAgeProblem('2026-11-30T13:00:00Z', now, 86_400_000, '24h')).toMatch(/later than this machine's clock/);
    expect(planAgeProblem('yesterday', now, 86_400_000, '24h')).toBe('its createdAt is not a time');
  });

  it('reads only a plan whose digest matches its content, with each step once and the operation of each action', () => {
    const { parts: saved } = digestParts(parts(snapshot([carol])));
    const content = {
      schema: 'entra-pim-setup/plan',
      schemaVersion: 1,
      tool: 'entra-pim-setup',
      version: '0.1.0',
      createdAt: now.toISOString(),
      tenantId: 't',
      inputs: {},
      parts: saved,
      steps: [{ id: 'admin-group', title: 'x', status: 'would-change', findings: [], actions: [{ kind: 'noop', summary: 'ok' }] }],
    };
    const plan = { ...content, digest: planDigest(content as unknown as SavedPlan) };
    expect('plan' in parseSavedPlan(JSON.stringify(plan))).toBe(true);
    expect(parseSavedPlan('nope')).toEqual({ problem: 'is not JSON' });
    expect(parseSavedPlan(JSON.stringify({ ...plan, schemaVersion: 2 }))).toEqual({ problem: 'has schemaVersion 2; this version reads 1' });
    expect(parseSavedPlan(JSON.stringify({ ...plan, digest: '0'.repeat(64) }))).toEqual({
      problem: 'has a digest that does not match its content (it was changed since it was saved)',
    });
    // An edit anywhere shows: an input, an action.
    expect(parseSavedPlan(JSON.stringify({ ...plan, inputs: { allowEmpty: true } }))).toEqual({
      problem: 'has a digest that does not match its content (it was changed since it was saved)',
    });
    const added = { ...plan.steps[0], actions: [...plan.steps[0].actions, { kind: 'noop', summary: 'more' }] };
    expect(parseSavedPlan(JSON.stringify({ ...plan, steps: [added] }))).toEqual({
      problem: 'has a digest that does not match its content (it was changed since it was saved)',
    });
    expect(parseSavedPlan(JSON.stringify({ ...plan, inputs: { eligible: [1] } }))).toEqual({
      problem: 'has an input eligible that is not text, yes/no or a list of text',
    });
    const noOp = { ...plan, steps: [{ ...plan.steps[0], actions: [{ kind: 'delete', summary: 'remove carol' }] }] };
    expect(parseSavedPlan(JSON.stringify(noOp))).toEqual({ problem: 'has a delete action in admin-group without its operation' });
    const twice = { ...content, steps: [content.steps[0], content.steps[0]] };
    expect(parseSavedPlan(JSON.stringify({ ...twice, digest: planDigest(twice as unknown as SavedPlan) }))).toEqual({
      problem: 'has step admin-group twice',
    });
    const otherStep = { ...plan, steps: [{ ...plan.steps[0], id: 'restore' }] };
    expect(parseSavedPlan(JSON.stringify(otherStep))).toEqual({ problem: 'has a step that is not one this tool plans' });
  });
});

describe('planSteps: the steps of run --plan', () => {
  const madeAt = '2026-11-30T12:00:00.000Z';
  const action = (now: Date, who = 'a'): Action => ({
    kind: 'create',
    summary: `make ${who} eligible`,
    target: 'graph',
    op: {
      op: 'pim.requestEligibility',
      groupId: GROUP,
      principalId: who,
      action: 'adminAssign',
      startDateTime: now.toISOString(),
      endDateTime: '2027-01-01T00:00:00.000Z',
      justification: 'j',
    },
  });
  const step = (plan: (s: TenantSnapshot) => StepPlan): Step<unknown, TenantSnapshot> => ({
    id: 'pim-eligibility',
    title: 'eligibility',
    plan: (s) => plan(s),
    apply: async () => {},
  });
  const saved = (actions: Action[]) =>
    ({
      createdAt: madeAt,
      steps: [{ id: 'pim-eligibility', title: 'eligibility', status: 'would-change', findings: [], actions }],
    }) as unknown as SavedPlan;
  const later = snapshot([], { now: new Date('2026-11-30T15:00:00Z') });

  it('plans at the plan’s time to compare exactly, and hands over the saved actions with the findings of now', async () => {
    const [wrapped] = planSteps(
      [step((s) => ({ findings: [{ severity: 'info', code: 'AT', message: s.now.toISOString() }], actions: [action(s.now)] }))],
      saved([action(new Date(madeAt))]),
      'p.json',
    );
    const out = await wrapped.plan(later, {} as never);
    expect(out.actions.map((a) => (a.op as { startDateTime: string }).startDateTime)).toEqual([madeAt]);
    expect(out.findings.map((f) => f.message)).toEqual(['2026-11-30T15:00:00.000Z']);
  });

  it('refuses when the plan made again sends other requests, or when time alone changes the writes', async () => {
    const other = planSteps([step((s) => ({ findings: [], actions: [action(s.now, 'b')] }))], saved([action(new Date(madeAt))]), 'p.json');
    await expect(other[0].plan(later, {} as never)).rejects.toThrow(
      '--plan p.json: refused: pim-eligibility would now send other requests than the plan says',
    );
    // Planned at the plan's time it is the same; planned now, a second write appears (an eligibility ended meanwhile).
    const timed = planSteps(
      [
        step((s) => ({
          findings: [],
          actions: s.now.getTime() > Date.parse(madeAt) ? [action(s.now), action(s.now, 'c')] : [action(s.now)],
        })),
      ],
      saved([action(new Date(madeAt))]),
      'p.json',
    );
    await expect(timed[0].plan(later, {} as never)).rejects.toThrow(/pim-eligibility would now make other changes than the plan says/);
  });
});
