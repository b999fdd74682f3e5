import { enumIs } from '../graph/enums.js';
import { formatDuration, humanDuration, parseDuration } from '../core/duration.js';
import type { Finding } from '../core/findings.js';
import { finding } from '../core/findings.js';
import type { EligibleUser } from '../entra/lookup.js';
import type { PolicyRule } from '../entra/pim.js';
import { scheduleEnd, type PimSchedule, type UsableEligibility } from './usable-eligibility.js';

/** Pure: the eligibility window of a run, its checks against the group policy, and what to request. */

export interface Window {
  start: Date;
  end: Date;
  /**
   * How much earlier an existing end may be and still count as covering a fixed `--end`. A window
   * computed from now (`duration`, `policy`) is covered by any eligibility that has not ended
   * (see diffEligibility).
   */
  toleranceMs: number;
  source: 'end' | 'duration' | 'policy' | 'default';
}

const DAY = 86_400_000;

/**
 * The window given when neither --end nor --duration is: 90 days, or the policy's maximum when
 * that is shorter. The same for the wizard's suggestion and for scripts. Not the policy's maximum
 * (often a year, or none at all): for a tier-0 admin group a standing right to activate should
 * lapse within a quarter unless someone renews it on purpose (--renew, or a new --end), and a
 * forgotten eligibility then ends on its own.
 */
export const DEFAULT_ELIGIBILITY_MS = 90 * DAY;

/** The default window length under a policy rule: DEFAULT_ELIGIBILITY_MS or the rule's shorter maximum. */
export function defaultEligibilityMs(rule: PolicyRule | undefined): { ms: number; source: 'policy' | 'default' } {
  const max = rule?.isExpirationRequired && rule.maximumDuration ? parseDuration(String(rule.maximumDuration)) : undefined;
  return max !== undefined && max < DEFAULT_ELIGIBILITY_MS
    ? { ms: max, source: 'policy' }
    : { ms: DEFAULT_ELIGIBILITY_MS, source: 'default' };
}

/**
 * The eligibility window: from --start (default now) to --end, or start + --duration, or
 * start + the default (see DEFAULT_ELIGIBILITY_MS). Only --end gives a fixed end; the others
 * move with "now".
 */
export function eligibilityWindow(
  opts: { start?: Date; end?: Date; duration?: string },
  now: Date,
  rule: PolicyRule | undefined,
): Window | Finding {
  const start = opts.start ?? new Date(Math.floor(now.getTime() / 1000) * 1000);
  if (opts.end) return { start, end: opts.end, toleranceMs: 1000, source: 'end' };
  if (opts.duration) return { start, end: new Date(start.getTime() + parseDuration(opts.duration)), toleranceMs: DAY, source: 'duration' };
  const def = defaultEligibilityMs(rule);
  return { start, end: new Date(start.getTime() + def.ms), toleranceMs: DAY, source: def.source };
}

/** Checks the window against the live Expiration_Admin_Eligibility rule before anything is sent. */
export function checkWindow(w: Window, rule: PolicyRule | undefined, now: Date): Finding[] {
  const out: Finding[] = [];
  if (w.end.getTime() <= w.start.getTime()) {
    out.push(
      finding(
        'error',
        'ELIGIBILITY_END_BEFORE_START',
        `the eligibility would end (${w.end.toISOString()}) before it starts (${w.start.toISOString()})`,
        'pass a later --end',
      ),
    );
  }
  if (w.end.getTime() <= now.getTime()) {
    out.push(finding('error', 'ELIGIBILITY_END_PAST', `--end ${w.end.toISOString()} is in the past`, 'pass a future --end'));
  }
  if (rule?.isExpirationRequired && rule.maximumDuration) {
    const max = parseDuration(String(rule.maximumDuration));
    const length = w.end.getTime() - w.start.getTime();
    if (length > max) {
      out.push(
        finding(
          'error',
          'ELIGIBILITY_TOO_LONG',
          `the eligibility window (${humanDuration(length)}) is longer than the group policy allows (${humanDuration(max)}, ` +
            `${rule.maximumDuration}); Graph would refuse it with ExpirationRule`,
          `pass --end on or before ${new Date(w.start.getTime() + max).toISOString()}, or --duration ${formatDuration(max)} or less`,
        ),
      );
    }
  }
  return out;
}

export type EligibilityDecision =
  | { user: EligibleUser; kind: 'create' }
  | { user: EligibleUser; kind: 'update'; currentEnd: Date }
  | { user: EligibleUser; kind: 'noop'; currentEnd: Date | null };

/**
 * Pure: create for users without an eligibility, extend shorter ones, keep covering ones.
 *
 * With `--end` the target is a fixed date and an eligibility ending earlier is extended. Without
 * it the target end is computed from "now" (`--duration` or the default window) and moves a day
 * each day, so comparing ends would turn a compliant tenant into drift on the second day: there,
 * an eligibility that has not ended covers the user, and its approaching end is the expiry
 * warning's business (and `--renew`'s).
 */
export function diffEligibility(users: EligibleUser[], schedules: PimSchedule[], w: Window, now: Date = w.start): EligibilityDecision[] {
  return users.map((user) => {
    const existing = schedules.filter((s) => s.principalId === user.id && enumIs(s.accessId, 'member'));
    if (existing.length === 0) return { user, kind: 'create' };
    const ends = existing.map(scheduleEnd);
    if (ends.some((e) => e === null)) return { user, kind: 'noop', currentEnd: null };
    const known = ends.filter((e): e is Date => e instanceof Date);
    // An answer without a readable end: adminAssign meets RoleAssignmentExists and becomes adminUpdate.
    if (known.length === 0) return { user, kind: 'create' };
    const latest = new Date(Math.max(...known.map((e) => e.getTime())));
    const covers = w.source === 'end' ? latest.getTime() >= w.end.getTime() - w.toleranceMs : latest.getTime() > now.getTime();
    if (covers) return { user, kind: 'noop', currentEnd: latest };
    return { user, kind: 'update', currentEnd: latest };
  });
}

/**
 * Pure: the usable eligibilities `--renew` extends: those ending within the threshold and before
 * the renewal window's end, of users this run does not already extend.
 */
export function renewals(usable: UsableEligibility[], w: Window, now: Date, thresholdMs: number, skip: Set<string>): UsableEligibility[] {
  const limit = now.getTime() + thresholdMs;
  const seen = new Set<string>();
  return usable.filter((u) => {
    if (u.end === null || u.end.getTime() > limit || u.end.getTime() >= w.end.getTime()) return false;
    if (skip.has(u.principalId) || seen.has(u.principalId)) return false;
    seen.add(u.principalId);
    return true;
  });
}
