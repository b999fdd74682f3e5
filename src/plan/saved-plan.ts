/**
 * A saved plan (`audit --out`, `run --plan`): the plan of a run as a file a person reviews, with a
 * digest of everything the plan was made from. Pure: serialising, digesting, comparing and
 * validating; the command reads and writes the file.
 */
import { createHash } from 'node:crypto';
import { parseDuration } from '../core/duration.js';
import type { Finding } from '../core/findings.js';
import type { HttpRequest } from '../core/http.js';
import type { Action, StepReport, WriteOp } from './types.js';

export const PLAN_SCHEMA = 'entra-pim-setup/plan';
export const PLAN_SCHEMA_VERSION = 1;
/** `--plan-max-age` when not given. */
export const DEFAULT_PLAN_MAX_AGE = '24h';

/** One part of what was read: what it is in words, its digest, and the ids a change is told by. */
export interface PlanPart {
  name: string;
  digest: string;
  ids?: string[];
  /** The read failed (its error is what was digested). */
  failed?: true;
}

/** What a part is made from before it is digested. */
export interface PartInput {
  name: string;
  value: unknown;
  ids?: string[];
  failed?: true;
}

/** An action as saved: what is sent (op and request) and what is journaled before it (backup). */
export interface SavedAction {
  kind: Action['kind'];
  summary: string;
  target?: Action['target'];
  op?: WriteOp;
  request?: HttpRequest;
  backup?: unknown;
}

export interface SavedStep {
  id: StepReport['id'];
  title: string;
  status: StepReport['status'];
  findings: Finding[];
  actions: SavedAction[];
}

/** The file `audit --out` writes and `run --plan` applies. */
export interface SavedPlan {
  schema: typeof PLAN_SCHEMA;
  schemaVersion: typeof PLAN_SCHEMA_VERSION;
  tool: 'entra-pim-setup';
  version: string;
  /** The clock of the read the plan was made from (eligibility windows starting "now" start here). */
  createdAt: string;
  tenantId: string;
  /** The inputs the plan was made with, as options (no secret: those come from the environment when applying). */
  inputs: Record<string, unknown>;
  /**
   * Digest of the whole plan but this field: what was read (each part's digest), the inputs and
   * every action. The record names it, so a change board can tell that the plan applied is the
   * one reviewed: two plans made from one read with other inputs or actions differ here.
   */
  digest: string;
  parts: Record<string, PlanPart>;
  steps: SavedStep[];
}

/**
 * Pure: one JSON text per value whatever the order its object keys were made in. Maps and Sets
 * become sorted entry lists, Dates their ISO text, an Error (a read that failed) its kind and
 * codes (not its message, which may carry a request id that changes each time); functions and
 * undefined are left out as JSON leaves them.
 */
export function canonicalJson(value: unknown): string {
  const seen = new Set<object>();
  const walk = (v: unknown): unknown => {
    if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
    if (typeof v === 'number') return Number.isFinite(v) ? v : { $number: String(v) };
    if (typeof v === 'bigint') return { $bigint: v.toString() };
    if (typeof v === 'symbol') return { $symbol: v.description ?? '' };
    if (typeof v !== 'object') return undefined;
    if (v instanceof Date) return { $date: Number.isNaN(v.getTime()) ? 'invalid' : v.toISOString() };
    if (seen.has(v)) throw new TypeError('canonicalJson: a value refers to itself');
    seen.add(v);
    try {
      if (v instanceof Error) {
        const e = v as Error & { status?: unknown; code?: unknown; method?: unknown; url?: unknown };
        return walk({ $error: e.name, status: e.status, code: e.code, method: e.method, url: e.url });
      }
      if (Array.isArray(v)) return v.map((x) => walk(x) ?? null);
      if (v instanceof Map) return { $map: sortPairs([...v.entries()].map(([k, x]) => [JSON.stringify(walk(k)), walk(x)])) };
      if (v instanceof Set) return { $set: [...v].map((x) => JSON.stringify(walk(x))).sort() };
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(v).sort()) {
        const x = walk((v as Record<string, unknown>)[key]);
        if (x !== undefined) out[key] = x;
      }
      return out;
    } finally {
      seen.delete(v);
    }
  };
  return JSON.stringify(walk(value) ?? null);
}

function sortPairs(pairs: Array<[string, unknown]>): Array<[string, unknown]> {
  return pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Pure: sha256 (hex) of the canonical JSON of a value. */
export function digestOf(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

/** Pure: each part digested, with the digest over all of them. */
export function digestParts(parts: Record<string, PartInput>): { digest: string; parts: Record<string, PlanPart> } {
  const out: Record<string, PlanPart> = {};
  for (const [key, p] of Object.entries(parts)) {
    out[key] = {
      name: p.name,
      digest: digestOf(p.value),
      ...(p.ids ? { ids: [...p.ids].sort() } : {}),
      ...(p.failed ? { failed: true } : {}),
    };
  }
  return { digest: partsDigest(out), parts: out };
}

/** Pure: the digest over the parts' digests (names and ids are what a person reads, not what is compared). */
export function partsDigest(parts: Record<string, PlanPart>): string {
  return digestOf(Object.fromEntries(Object.entries(parts).map(([k, p]) => [k, p.digest])));
}

/** Pure: the digest of a plan's content, every field but `digest` itself (see SavedPlan.digest). */
export function planDigest(plan: Omit<SavedPlan, 'digest'> & { digest?: unknown }): string {
  return digestOf({ ...plan, digest: undefined });
}

/** Pure: what changed between the parts a plan was made from and those read now, in words (empty: nothing). */
export function changedParts(saved: Record<string, PlanPart>, now: Record<string, PlanPart>): string[] {
  const lines: string[] = [];
  for (const key of [...new Set([...Object.keys(saved), ...Object.keys(now)])].sort()) {
    const before = saved[key];
    const after = now[key];
    if (!before) lines.push(`${after.name} is now read (it was not when the plan was saved)`);
    else if (!after) lines.push(`${before.name} is no longer read (it was when the plan was saved)`);
    else if (before.digest !== after.digest) lines.push(describeChange(before, after));
  }
  return lines;
}

function describeChange(before: PlanPart, after: PlanPart): string {
  if (after.failed && !before.failed) return `${after.name} could not be read now (it could when the plan was saved)`;
  if (before.failed && !after.failed) return `${after.name} can be read now (it could not when the plan was saved)`;
  if (!before.ids || !after.ids) return `${after.name} changed`;
  const was = new Set(before.ids);
  const is = new Set(after.ids);
  const added = after.ids.filter((id) => !was.has(id));
  const removed = before.ids.filter((id) => !is.has(id));
  const words = [added.length ? `added ${list(added)}` : '', removed.length ? `removed ${list(removed)}` : ''].filter(Boolean);
  return `${after.name} changed: ${words.length ? words.join(', ') : 'same ids, other details'}`;
}

function list(ids: string[]): string {
  return ids.length > 5 ? `${ids.slice(0, 5).join(', ')} and ${ids.length - 5} more` : ids.join(', ');
}

/** Pure: a step's report as saved (results left out: nothing has been applied). */
export function savedStep(r: StepReport): SavedStep {
  return {
    id: r.id,
    title: r.title,
    status: r.status,
    findings: r.findings,
    actions: r.actions.map((a) => savedAction(a)),
  };
}

/** Pure: an action as saved and compared: kind, summary, target, op, request, backup. */
export function savedAction(a: Action | SavedAction): SavedAction {
  return {
    kind: a.kind,
    summary: a.summary,
    ...(a.target ? { target: a.target } : {}),
    ...(a.op ? { op: a.op } : {}),
    ...(a.request ? { request: a.request } : {}),
    ...(a.backup !== undefined ? { backup: a.backup } : {}),
  };
}

/** Pure: whether two lists of actions are the same, field for field. */
export function sameActions(a: readonly (Action | SavedAction)[], b: readonly (Action | SavedAction)[]): boolean {
  return canonicalJson(a.map(savedAction)) === canonicalJson(b.map(savedAction));
}

/**
 * Pure: the writes of a list of actions without their times (an eligibility window that starts
 * "now" moves with the clock): a plan made again later must still send these same writes.
 */
export function writesWithoutTimes(actions: readonly (Action | SavedAction)[]): string {
  return canonicalJson(
    actions
      .filter((a) => a.kind !== 'noop')
      .map((a) => {
        const op = a.op ? Object.fromEntries(Object.entries(a.op).filter(([k]) => !/DateTime$/.test(k))) : undefined;
        return { kind: a.kind, target: a.target, op };
      }),
  );
}

/** Pure: `--plan-max-age` (`24h`, `90m`, `2d`, or an ISO 8601 duration such as PT12H) in ms; throws the reason. */
export function parsePlanMaxAge(text: string): number {
  const short = /^(\d+)\s*([smhd])$/i.exec(text.trim());
  let ms: number;
  try {
    ms = short
      ? Number(short[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[short[2].toLowerCase() as 's' | 'm' | 'h' | 'd']
      : parseDuration(text);
  } catch {
    throw new Error(`${text}: not a duration such as 24h, 90m, 2d or PT12H`);
  }
  if (!(ms > 0)) throw new Error(`${text}: must be longer than zero`);
  return ms;
}

/** How far a plan's time may lie ahead of this machine's clock (clocks drift) before it is refused. */
const FUTURE_SKEW_MS = 5 * 60_000;

/** Pure: why a plan made at `createdAt` may not be applied at `now`, or undefined. */
export function planAgeProblem(createdAt: string, now: Date, maxAgeMs: number, maxAgeText: string): string | undefined {
  const made = Date.parse(createdAt);
  if (!Number.isFinite(made)) return 'its createdAt is not a time';
  const age = now.getTime() - made;
  if (age < -FUTURE_SKEW_MS) return `it was made at ${createdAt}, later than this machine's clock (${now.toISOString()})`;
  if (age > maxAgeMs) {
    return `it was made at ${createdAt}, more than ${maxAgeText} ago (--plan-max-age); run audit --out again and review the new plan`;
  }
  return undefined;
}

const STEP_IDS = new Set([
  'prerequisites',
  'assignment-required',
  'app-assignment',
  'pim-eligibility',
  'pim-policy',
  'admin-group',
  'keycloak',
]);
const KINDS = new Set(['create', 'update', 'delete', 'noop']);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Pure: the plan in a file's text, or why it is not one (the first problem found). Only the
 * shape is checked here: whether the tenant still matches is for the read that follows.
 */
export function parseSavedPlan(text: string): { plan: SavedPlan } | { problem: string } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { problem: 'is not JSON' };
  }
  if (!isObject(v) || v.schema !== PLAN_SCHEMA) return { problem: `is not a saved plan (no "schema": "${PLAN_SCHEMA}")` };
  if (v.schemaVersion !== PLAN_SCHEMA_VERSION)
    return { problem: `has schemaVersion ${String(v.schemaVersion)}; this version reads ${PLAN_SCHEMA_VERSION}` };
  for (const key of ['version', 'createdAt', 'tenantId', 'digest'] as const) {
    if (typeof v[key] !== 'string' || !v[key]) return { problem: `has no ${key}` };
  }
  if (!isObject(v.inputs)) return { problem: 'has no inputs' };
  for (const [key, x] of Object.entries(v.inputs)) {
    const ok = typeof x === 'string' || typeof x === 'boolean' || (Array.isArray(x) && x.every((e) => typeof e === 'string'));
    if (!ok) return { problem: `has an input ${key} that is not text, yes/no or a list of text` };
  }
  if (!isObject(v.parts) || !Object.values(v.parts).every((p) => isObject(p) && typeof p.digest === 'string' && typeof p.name === 'string'))
    return { problem: 'has no parts' };
  if (!Array.isArray(v.steps)) return { problem: 'has no steps' };
  const stepIds = new Set<unknown>();
  for (const s of v.steps) {
    if (!isObject(s) || !STEP_IDS.has(s.id as string) || !Array.isArray(s.actions) || !Array.isArray(s.findings))
      return { problem: 'has a step that is not one this tool plans' };
    // Only a step's first entry would be applied: a second one is something a reviewer read and no run does.
    if (stepIds.has(s.id)) return { problem: `has step ${String(s.id)} twice` };
    stepIds.add(s.id);
    for (const a of s.actions) {
      if (!isObject(a) || !KINDS.has(a.kind as string) || typeof a.summary !== 'string')
        return { problem: `has an action in ${String(s.id)} that is not one this tool plans` };
      if (a.kind !== 'noop' && !isObject(a.op))
        return { problem: `has a ${String(a.kind)} action in ${String(s.id)} without its operation` };
    }
  }
  // Checked last, once the shape is known: an edit anywhere (an input, an action, a part) shows here.
  if (planDigest(v as unknown as SavedPlan) !== v.digest)
    return { problem: 'has a digest that does not match its content (it was changed since it was saved)' };
  return { plan: v as unknown as SavedPlan };
}
