import { setTimeout as delay } from 'node:timers/promises';
import type { RunContext } from '../context.js';
import { errorCode, odataString, withQuery } from '../graph/graph-api.js';
import { enumIn, enumIs } from '../graph/enums.js';
import { formatDuration, humanDuration, parseDuration } from '../core/duration.js';
import type { Action, Step, StepPlan } from '../plan/types.js';
import type { Finding } from '../core/findings.js';
import { graphOpOf, graphRequest, graphWrite, type EligibilityAction, type GraphWrite } from '../graph/writes.js';
import { DEFAULT_EXPIRY_WARNING_MS } from './common.js';
import { finding } from '../core/findings.js';
import { needFact } from '../plan/skip.js';
import type { EligibleUser } from '../entra/lookup.js';
import { loadMemberPolicy, PIM_GROUP, type PimInstance, type PolicyRule } from '../entra/pim.js';
import { convertibleMembers, loadMembers, standingMembers } from './admin-group.js';
import { expiryWarning, scheduleEnd, USABLE_STATUSES, usableOf, type PimSchedule, type UsableEligibility } from './usable-eligibility.js';

export type { PimSchedule } from './usable-eligibility.js';

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
          `the eligibility window (${humanDuration(length)}) is longer than the group policy allows (${humanDuration(max)}, ${rule.maximumDuration}); Graph would refuse it with ExpirationRule`,
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

function requestFor(groupId: string, userId: string, action: EligibilityAction, w: Window, justification: string): EligibilityWrite {
  return {
    op: 'pim.requestEligibility',
    groupId,
    principalId: userId,
    action,
    startDateTime: w.start.toISOString(),
    endDateTime: w.end.toISOString(),
    justification,
  };
}

type EligibilityWrite = Extract<GraphWrite, { op: 'pim.requestEligibility' }>;

/** The eligibility request an action carries, if any. */
function eligibilityOf(action: Action): EligibilityWrite | undefined {
  const op = graphOpOf(action);
  return op?.op === 'pim.requestEligibility' ? op : undefined;
}

/**
 * How long to wait for a new eligibility schedule to become readable. PIM can answer 404 on
 * `GET …/eligibilitySchedules/{targetScheduleId}` for minutes after the 201;
 * terraform-provider-azuread polls the same read for up to 5 minutes, and so do we.
 */
export const SCHEDULE_WAIT_MS = 5 * 60_000;
/** Poll intervals: quick at first (most schedules appear within seconds), then every 15 s. */
const POLL_MS = [500, 1000, 2000, 4000, 8000, 15_000];
/** A progress line at most this often while waiting. */
const PROGRESS_EVERY_MS = 30_000;

export interface ScheduleWait {
  /** Schedule id → what it is for (a user's UPN), for messages. */
  pending: Map<string, string>;
  /** True once the schedule answers 200; false while it answers 404; throws otherwise. */
  readable(id: string): Promise<boolean>;
  nowMs(): number;
  sleep(ms: number): Promise<void>;
  progress(line: string): void;
  timeoutMs?: number;
}

/**
 * Waits until every new schedule is readable, polling them together so the wait is the longest
 * lag, not the sum. Throws a message that says what was accepted and how to resume when PIM has
 * not caught up within the timeout.
 */
export async function waitForSchedules(w: ScheduleWait): Promise<void> {
  const timeoutMs = w.timeoutMs ?? SCHEDULE_WAIT_MS;
  const started = w.nowMs();
  const pending = new Map(w.pending);
  let lastProgress: number | undefined;
  // Time slept counts too, so a clock that does not move (a frozen test clock) still times out.
  let slept = 0;
  for (let attempt = 0; ; attempt++) {
    for (const id of [...pending.keys()]) {
      if (await w.readable(id)) pending.delete(id);
    }
    if (pending.size === 0) return;
    const waited = Math.max(w.nowMs() - started, slept);
    if (waited >= timeoutMs) {
      throw new Error(
        `PIM accepted the eligibility request(s) but after ${humanDuration(waited)} still answers 404 for the new schedule(s) of ${[...pending.values()].join(', ')}; ` +
          'nothing after this step was changed. Run the same command again later: it finds the eligibility that exists and continues',
      );
    }
    if (lastProgress === undefined || waited - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = waited;
      w.progress(
        `waiting for PIM to make ${pending.size} new eligibility schedule(s) readable (${[...pending.values()].join(', ')}): ${humanDuration(waited)} so far, up to ${humanDuration(timeoutMs)}`,
      );
    }
    const pause = Math.min(POLL_MS[Math.min(attempt, POLL_MS.length - 1)], Math.max(0, timeoutMs - waited));
    await w.sleep(pause);
    slept += pause;
  }
}

/**
 * Pure: whether the answer to an eligibility request shows it took effect. Only a 201 whose body
 * is the documented request object (Learn "Create eligibilityScheduleRequest": 201 Created, the
 * request in the body) with a usable `status` and a `targetScheduleId` counts; a 200 (not the
 * documented status), a body carrying `error`, or any other status (PendingApproval, Granted, …;
 * see USABLE_STATUSES) does not, so nobody is removed on an eligibility that may not exist.
 */
export function requestOutcome(res: {
  status: number;
  body: unknown;
}): { ok: true; status: string; targetScheduleId: string } | { ok: false; status?: string; problem: string } {
  const body =
    res.body && typeof res.body === 'object' && !Array.isArray(res.body)
      ? (res.body as { status?: unknown; targetScheduleId?: unknown; error?: unknown })
      : undefined;
  const status = typeof body?.status === 'string' ? body.status : undefined;
  if (!body) return { ok: false, problem: `PIM answered ${res.status} without the request object` };
  if (body.error !== undefined) {
    const code = (body.error as { code?: unknown })?.code;
    return { ok: false, status, problem: `PIM answered ${res.status} carrying an error${typeof code === 'string' ? ` (${code})` : ''}` };
  }
  if (res.status !== 201) return { ok: false, status, problem: `PIM answered ${res.status}, not the documented 201 Created` };
  if (!enumIn(status, USABLE_STATUSES)) {
    return {
      ok: false,
      status,
      problem: `PIM answered 201 but the request status is ${status ?? 'missing'} (only ${USABLE_STATUSES.join(', ')} means the eligibility is in effect)`,
    };
  }
  if (typeof body.targetScheduleId !== 'string' || !body.targetScheduleId)
    return { ok: false, status, problem: 'PIM answered 201 without a targetScheduleId' };
  return { ok: true, status: status!, targetScheduleId: body.targetScheduleId };
}

/** Reads the group's PIM state into facts: schedules, active assignments, onboarded or not. */
async function readPimState(ctx: RunContext, groupId: string): Promise<PimSchedule[]> {
  const filter = { $filter: `groupId eq ${odataString(groupId)}` };
  const [schedules, active] = await Promise.all([
    ctx.graph.list<PimSchedule>(withQuery(`${PIM_GROUP}/eligibilitySchedules`, filter)),
    ctx.graph.list<PimInstance>(withQuery(`${PIM_GROUP}/assignmentScheduleInstances`, filter)),
  ]);
  // Only this group's member instances active now make a member just-in-time (admin-group keeps
  // them): one of another group, or one that has ended, must not shield a standing member.
  const nowMs = ctx.now().getTime();
  ctx.facts.activeAssignments = active.filter(
    (a) =>
      enumIs(a.accessId, 'member') &&
      typeof a.groupId === 'string' &&
      a.groupId.toLowerCase() === groupId.toLowerCase() &&
      (!a.startDateTime || Date.parse(a.startDateTime) <= nowMs) &&
      (!a.endDateTime || Date.parse(a.endDateTime) > nowMs),
  );
  // PIM lists nothing for a group that was never onboarded; after onboarding even standing
  // members show up as "assigned" instances.
  ctx.facts.onboarded = schedules.length > 0 || active.length > 0;
  return schedules;
}

/** Time-bound eligible member assignments in PIM for Groups (onboarding the group if needed). */
export const pimEligibilityStep: Step<RunContext> = {
  id: 'pim-eligibility',
  title: 'PIM for Groups eligible assignments',
  async plan(ctx): Promise<StepPlan> {
    const group = needFact(ctx.facts.group, 'the admin group');
    const findings: Finding[] = [];
    const [schedules, policy] = await Promise.all([readPimState(ctx, group.id), loadMemberPolicy(ctx.graph, group.id)]);
    const users = [...needFact(ctx.facts.eligibleUsers, 'the eligible users')];
    if (ctx.options.convertMembers) {
      const { standing } = standingMembers(await loadMembers(ctx, group.id), ctx.facts.activeAssignments ?? []);
      const known = new Set(users.map((u) => u.id));
      for (const m of convertibleMembers(standing)) {
        if (known.has(m.id)) continue;
        users.push({
          input: m.id,
          id: m.id,
          userPrincipalName: m.userPrincipalName ?? m.id,
          displayName: m.displayName ?? m.id,
          converted: true,
        });
      }
      const skipped = standing.filter((m) => !convertibleMembers([m]).length);
      if (skipped.length) {
        findings.push(
          finding(
            'warning',
            'CONVERT_SKIPPED',
            `not converted (disabled accounts, groups or service principals): ${skipped.map((m) => m.displayName ?? m.id).join(', ')}`,
          ),
        );
      }
    }
    ctx.facts.memberPolicyId = policy.policyId;
    ctx.facts.memberPolicyRules = policy.rules;
    const rule = policy.rules.find((r) => r.id === 'Expiration_Admin_Eligibility');
    const now = ctx.now();
    const thresholdMs = ctx.options.expiryWarningMs ?? DEFAULT_EXPIRY_WARNING_MS;

    // Who can activate now: a usable schedule held by an account read as enabled (read live here;
    // admin-group reads it again right before the first removal).
    const { usable, accounts } = await usableOf(ctx, schedules, group.id);
    ctx.facts.usableEligibilities = usable;
    const usableIds = new Set(usable.map((u) => u.scheduleId));
    const unusable = schedules.filter((s) => enumIs(s.accessId, 'member') && !usableIds.has(s.id));
    if (unusable.length) {
      findings.push(
        finding(
          'info',
          'ELIGIBLE_NOT_USABLE',
          `${unusable.length} eligibility schedule(s) do not count as a way in: not started, ended, not ${USABLE_STATUSES.join('/')}, or held by a disabled account or a non-user (${unusable.map((s) => accounts.get(s.principalId)?.userPrincipalName ?? s.principalId).join(', ')})`,
        ),
      );
    }
    // Who can activate after the run, and until when: the lockout guard and the expiry warning
    // judge this, not the number of requests sent.
    const after = new Map<string, { name: string; end: Date | null }>();
    for (const u of usable) {
      const prev = after.get(u.principalId);
      if (!prev || (prev.end !== null && (u.end === null || u.end.getTime() > prev.end.getTime())))
        after.set(u.principalId, { name: u.name, end: u.end });
    }
    // Kept apart from `after`: an audit must report the tenant as it is, not as a run would leave it.
    const before = new Map(after);
    const actions: Action[] = [];

    if (users.length === 0 && !ctx.options.renew) {
      findings.push(
        usable.length
          ? finding(
              'info',
              'ELIGIBLE_NONE_GIVEN',
              `no --eligible users given; ${usable.length} eligible assignment(s) usable now (${[...after.values()].map((a) => a.name).join(', ')})`,
            )
          : finding('info', 'ELIGIBLE_NONE_GIVEN', 'no --eligible users given'),
      );
      actions.push({ kind: 'noop', summary: 'no eligible users requested' });
    } else {
      const w = eligibilityWindow(ctx.options, now, rule);
      if ('severity' in w) return { findings: [...findings, w], actions: [] };
      const problems = checkWindow(w, rule, now);
      if (problems.length) return { findings: [...findings, ...problems], actions: [] };
      const started = w.start.getTime() <= now.getTime();
      if (!started && users.length > 0) ctx.facts.plannedFutureStart = w.start;

      const decisions = diffEligibility(users, schedules, w, now);
      if (!ctx.facts.onboarded && decisions.some((d) => d.kind !== 'noop')) {
        findings.push(
          finding(
            'info',
            'PIM_ONBOARDS',
            `the first eligibility request brings ${group.displayName} under PIM for Groups (irreversible; there is no separate onboarding call)`,
          ),
        );
      }
      const until = w.end.toISOString();
      for (const d of decisions) {
        if (d.kind === 'noop') {
          actions.push({
            kind: 'noop',
            summary: `${d.user.userPrincipalName} is eligible ${d.currentEnd ? `until ${d.currentEnd.toISOString()}` : 'permanently'}`,
          });
          continue;
        }
        // A request whose window starts later leaves the user unable to activate until then
        // (an adminUpdate moves the start of the existing eligibility too).
        if (started) after.set(d.user.id, { name: d.user.userPrincipalName, end: w.end });
        else after.delete(d.user.id);
        if (d.kind === 'update') {
          actions.push({
            kind: 'update',
            target: 'graph',
            summary: `extend ${d.user.userPrincipalName}'s eligibility from ${d.currentEnd.toISOString()} to ${until}`,
            ...graphWrite(requestFor(group.id, d.user.id, 'adminUpdate', w, ctx.options.justification)),
          });
        } else {
          actions.push({
            kind: 'create',
            target: 'graph',
            summary: `make ${d.user.userPrincipalName}${d.user.converted ? ' (standing member, converted)' : ''} eligible for ${group.displayName} membership from ${w.start.toISOString()} to ${until}`,
            ...graphWrite(requestFor(group.id, d.user.id, 'adminAssign', w, ctx.options.justification)),
          });
        }
      }
      const permanent = decisions.filter((d) => d.kind === 'noop' && d.currentEnd === null);
      if (permanent.length) {
        findings.push(
          finding(
            'warning',
            'ELIGIBLE_PERMANENT',
            `permanent eligibility for ${permanent.map((d) => d.user.userPrincipalName).join(', ')}; time-bound is safer`,
            'review these assignments in PIM',
          ),
        );
      }

      if (ctx.options.renew) {
        // Renewal starts now whatever --start says: a gap would be a lockout of its own.
        const rw = eligibilityWindow({ end: ctx.options.end, duration: ctx.options.duration }, now, rule);
        if ('severity' in rw) return { findings: [...findings, rw], actions: [] };
        const renewProblems = checkWindow(rw, rule, now);
        if (renewProblems.length) return { findings: [...findings, ...renewProblems], actions: [] };
        const changing = new Set(decisions.filter((d) => d.kind !== 'noop').map((d) => d.user.id));
        for (const u of renewals(usable, rw, now, thresholdMs, changing)) {
          after.set(u.principalId, { name: u.name, end: rw.end });
          actions.push({
            kind: 'update',
            target: 'graph',
            summary: `renew ${u.name}'s eligibility, ending ${u.end!.toISOString()}, until ${rw.end.toISOString()} (--renew)`,
            // adminExtend: Learn "Create eligibilityScheduleRequest" — "for administrators to
            // extend expiring eligible assignments"; its answer may name a new targetScheduleId.
            ...graphWrite(requestFor(group.id, u.principalId, 'adminExtend', rw, ctx.options.justification)),
          });
        }
        if (!actions.some((a) => eligibilityOf(a)?.action === 'adminExtend')) {
          findings.push(finding('info', 'RENEW_NONE', `--renew: no usable eligibility ends within ${humanDuration(thresholdMs)}`));
        }
      }
    }

    ctx.facts.usableAfterRun = after.size;
    // audit reports the tenant as it is; run judges it as it will be once its requests are answered.
    const judged = ctx.options.mode === 'audit' ? before : after;
    if (judged.size === 0) {
      const why =
        ctx.options.mode !== 'audit' && ctx.facts.plannedFutureStart
          ? `the eligibilities this run plans start ${ctx.facts.plannedFutureStart.toISOString()} (--start), and none is usable before then`
          : 'none is usable now (started, not ended, Provisioned, held by an enabled user account)';
      findings.push(
        finding(
          ctx.options.allowEmpty ? 'warning' : 'error',
          'ELIGIBLE_NONE_USABLE',
          `nobody can become admin through PIM: ${why}`,
          'pass --eligible user@domain,… with a window that starts now (or --allow-empty if another admin path exists)',
        ),
      );
    } else {
      const expiring = expiryWarning([...judged.values()], now, thresholdMs);
      if (expiring) findings.push(expiring);
    }
    return { findings, actions };
  },
  async apply(plan, ctx) {
    const created = new Map<string, string>();
    for (const action of plan.actions) {
      const planned = eligibilityOf(action);
      if (!planned) continue;
      let op = planned;
      let res = await ctx.graph.write(op);
      if (res.status === 400 && errorCode(res.body) === 'RoleAssignmentExists') {
        // The schedule appeared since the plan was read (or an earlier run was cut short):
        // extend it in place instead of failing.
        op = { ...op, action: 'adminUpdate' };
        res = await ctx.graph.write(op);
      }
      const request = graphRequest(op);
      action.result = { ok: false, status: res.status, sent: op !== planned ? request : undefined };
      if (res.status >= 300) throw ctx.graph.error(request, res);
      const outcome = requestOutcome(res);
      action.result.message = outcome.status;
      if (!outcome.ok)
        throw new Error(
          `${action.summary}: ${outcome.problem}; nothing after this step was changed (standing members stay). Check the request in PIM and run again`,
        );
      action.result.ok = true;
      created.set(outcome.targetScheduleId, String(op.principalId ?? ''));
    }
    if (created.size === 0) return;
    // Every request is sent first, then the new schedules are awaited together: the next steps
    // (policy, member removal) run only once each eligibility is readable, as a re-run will see it.
    const names = new Map<string, string>();
    for (const m of ctx.facts.members ?? []) if (m.userPrincipalName) names.set(m.id, m.userPrincipalName);
    for (const u of ctx.facts.eligibleUsers ?? []) names.set(u.id, u.userPrincipalName);
    for (const u of ctx.facts.usableEligibilities ?? []) names.set(u.principalId, u.name);
    await waitForSchedules({
      pending: new Map([...created].map(([id, principal]) => [id, names.get(principal) ?? principal])),
      readable: async (id) => (await ctx.graph.find(`${PIM_GROUP}/eligibilitySchedules/${encodeURIComponent(id)}`)) !== null,
      nowMs: () => ctx.now().getTime(),
      sleep: ctx.sleep ?? ((ms) => delay(ms)),
      progress: (line) => ctx.log.info(line),
    });
  },
};
