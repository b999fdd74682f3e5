import { setTimeout as delay } from 'node:timers/promises';
import type { RunContext, RunOptions } from '../context.js';
import { errorCode } from '../graph/graph-api.js';
import { enumIs } from '../graph/enums.js';
import { humanDuration } from '../core/duration.js';
import type { Action, Step, StepPlan } from '../plan/types.js';
import type { Finding } from '../core/findings.js';
import { graphOpOf, graphRequest, graphWrite, type EligibilityAction, type GraphWrite } from '../graph/writes.js';
import { DEFAULT_EXPIRY_WARNING_MS } from './common.js';
import { finding } from '../core/findings.js';
import { needFact } from '../plan/skip.js';
import { PIM_GROUP } from '../entra/pim.js';
import { forEachBounded } from '../core/bounded.js';
import { activeAssignmentsOf, convertibleMembers, standingMembers } from './admin-group.js';
import { checkWindow, diffEligibility, eligibilityWindow, renewals, type Window } from './eligibility-window.js';
import { requestOutcome, waitForSchedules } from './schedule-wait.js';
import { valueOf, type TenantSnapshot } from './snapshot.js';
import { expiryWarning, USABLE_STATUSES } from './usable-eligibility.js';
import { ticketFinding } from './ticket-rule.js';

function requestFor(groupId: string, userId: string, action: EligibilityAction, w: Window, options: RunOptions): EligibilityWrite {
  return {
    op: 'pim.requestEligibility',
    groupId,
    principalId: userId,
    action,
    startDateTime: w.start.toISOString(),
    endDateTime: w.end.toISOString(),
    justification: options.justification,
    ...(options.ticket ? { ticket: options.ticket } : {}),
  };
}

type EligibilityWrite = Extract<GraphWrite, { op: 'pim.requestEligibility' }>;

/** The eligibility request an action carries, if any. */
function eligibilityOf(action: Action): EligibilityWrite | undefined {
  const op = graphOpOf(action);
  return op?.op === 'pim.requestEligibility' ? op : undefined;
}

/** What the eligibility step's plan leaves for the lockout guard. */
export interface EligibilityOutcome {
  /**
   * How many enabled users can activate right after this run as planned: the usable eligibilities
   * plus those this run creates or extends with a window that has started. A plan-time count only:
   * admin-group re-reads the live state before the first removal. Undefined when the plan stopped
   * before counting.
   */
  usableAfterRun?: number;
  /** The start of the eligibilities this run plans, when it lies in the future (--start). */
  plannedFutureStart?: Date;
}

/**
 * Pure: the eligibility plan from the snapshot: create for users without an eligibility, extend
 * shorter ones (and, with --renew, those about to end), and count who can activate after the run.
 */
export function planEligibility(snapshot: TenantSnapshot, options: RunOptions): { plan: StepPlan; outcome: EligibilityOutcome } {
  const outcome: EligibilityOutcome = {};
  const done = (plan: StepPlan) => ({ plan, outcome });
  const group = needFact(snapshot.facts.group, 'the admin group');
  const findings: Finding[] = [];
  const pim = valueOf(needFact(snapshot.pim, 'the PIM state of the group'));
  const policy = valueOf(needFact(snapshot.memberPolicy, 'the PIM policy of the group'));
  const schedules = [...pim.schedules];
  const users = [...needFact(snapshot.facts.eligibleUsers, 'the eligible users')];
  if (options.convertMembers) {
    const members = valueOf(needFact(snapshot.members, 'the members of the admin group'));
    const { standing } = standingMembers([...members], activeAssignmentsOf(snapshot) ?? []);
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
  const rule = policy.rules.find((r) => r.id === 'Expiration_Admin_Eligibility');
  const now = snapshot.now;
  const thresholdMs = options.expiryWarningMs ?? DEFAULT_EXPIRY_WARNING_MS;

  // Who can activate now: a usable schedule held by an account read as enabled (read by the read
  // phase; admin-group reads it again right before the first removal).
  const { usable, accounts } = valueOf(needFact(snapshot.usable, 'who can activate now'));
  const usableIds = new Set(usable.map((u) => u.scheduleId));
  const unusable = schedules.filter((s) => enumIs(s.accessId, 'member') && !usableIds.has(s.id));
  if (unusable.length) {
    findings.push(
      finding(
        'info',
        'ELIGIBLE_NOT_USABLE',
        `${unusable.length} eligibility schedule(s) do not count as a way in: not started, ended, not ` +
          `${USABLE_STATUSES.join('/')}, or held by a disabled account or a non-user ` +
          `(${unusable.map((s) => accounts.get(s.principalId)?.userPrincipalName ?? s.principalId).join(', ')})`,
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

  if (users.length === 0 && !options.renew) {
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
    const w = eligibilityWindow(options, now, rule);
    if ('severity' in w) return done({ findings: [...findings, w], actions: [] });
    const problems = checkWindow(w, rule, now);
    if (problems.length) return done({ findings: [...findings, ...problems], actions: [] });
    const started = w.start.getTime() <= now.getTime();
    if (!started && users.length > 0) outcome.plannedFutureStart = w.start;

    const decisions = diffEligibility(users, schedules, w, now);
    if (!pim.onboarded && decisions.some((d) => d.kind !== 'noop')) {
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
          ...graphWrite(requestFor(group.id, d.user.id, 'adminUpdate', w, options)),
        });
      } else {
        actions.push({
          kind: 'create',
          target: 'graph',
          summary:
            `make ${d.user.userPrincipalName}${d.user.converted ? ' (standing member, converted)' : ''} eligible for ` +
            `${group.displayName} membership from ${w.start.toISOString()} to ${until}`,
          ...graphWrite(requestFor(group.id, d.user.id, 'adminAssign', w, options)),
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

    if (options.renew) {
      // Renewal starts now whatever --start says: a gap would be a lockout of its own.
      const rw = eligibilityWindow({ end: options.end, duration: options.duration }, now, rule);
      if ('severity' in rw) return done({ findings: [...findings, rw], actions: [] });
      const renewProblems = checkWindow(rw, rule, now);
      if (renewProblems.length) return done({ findings: [...findings, ...renewProblems], actions: [] });
      const changing = new Set(decisions.filter((d) => d.kind !== 'noop').map((d) => d.user.id));
      for (const u of renewals(usable, rw, now, thresholdMs, changing)) {
        after.set(u.principalId, { name: u.name, end: rw.end });
        actions.push({
          kind: 'update',
          target: 'graph',
          summary: `renew ${u.name}'s eligibility, ending ${u.end!.toISOString()}, until ${rw.end.toISOString()} (--renew)`,
          // adminExtend: Learn "Create eligibilityScheduleRequest" — "for administrators to
          // extend expiring eligible assignments"; its answer may name a new targetScheduleId.
          ...graphWrite(requestFor(group.id, u.principalId, 'adminExtend', rw, options)),
        });
      }
      if (!actions.some((a) => eligibilityOf(a)?.action === 'adminExtend')) {
        findings.push(finding('info', 'RENEW_NONE', `--renew: no usable eligibility ends within ${humanDuration(thresholdMs)}`));
      }
    }
  }

  const ticketMissing = ticketFinding(
    group.displayName,
    policy.rules,
    options,
    actions.some((a) => eligibilityOf(a) !== undefined),
  );
  // Nothing is sent without the ticket PIM would ask for; the lockout guard then counts nobody.
  if (ticketMissing) return done({ findings: [...findings, ticketMissing], actions: [] });

  outcome.usableAfterRun = after.size;
  // audit reports the tenant as it is; run judges it as it will be once its requests are answered.
  const judged = options.mode === 'audit' ? before : after;
  if (judged.size === 0) {
    const why =
      options.mode !== 'audit' && outcome.plannedFutureStart
        ? `the eligibilities this run plans start ${outcome.plannedFutureStart.toISOString()} (--start), and none is usable before then`
        : 'none is usable now (started, not ended, Provisioned, held by an enabled user account)';
    findings.push(
      finding(
        options.allowEmpty ? 'warning' : 'error',
        'ELIGIBLE_NONE_USABLE',
        `nobody can become admin through PIM: ${why}`,
        'pass --eligible user@domain,… with a window that starts now (or --allow-empty if another admin path exists)',
      ),
    );
  } else {
    const expiring = expiryWarning([...judged.values()], now, thresholdMs);
    if (expiring) findings.push(expiring);
  }
  return done({ findings, actions });
}

/**
 * Pure: what the eligibility step's plan leaves for the lockout guard, or nothing when that plan
 * cannot be made (the guard then counts nobody).
 */
export function eligibilityOutcome(snapshot: TenantSnapshot, options: RunOptions): EligibilityOutcome {
  try {
    return planEligibility(snapshot, options).outcome;
  } catch {
    return {};
  }
}

/** Time-bound eligible member assignments in PIM for Groups (onboarding the group if needed). */
export const pimEligibilityStep: Step<RunContext, TenantSnapshot> = {
  id: 'pim-eligibility',
  title: 'PIM for Groups eligible assignments',
  plan: (snapshot, options) => planEligibility(snapshot, options).plan,
  async apply(plan, ctx, snapshot) {
    // Schedule id → principal, by the plan's order (not the order PIM answered in), so every
    // message naming them is the same from run to run.
    const answered: Array<[string, string] | undefined> = [];
    const requests = plan.actions.flatMap((action) => {
      const planned = eligibilityOf(action);
      return planned ? [{ action, planned }] : [];
    });
    // PIM's requests are sent one by one (no Learn page says they are accepted in `$batch`), in
    // parallel up to the gateway's in-flight bound; each is journaled before it is sent. After a
    // failure nothing more is sent, the requests in flight record their answers, and the step
    // stops with the first failure.
    await forEachBounded(requests, ctx.graph.maxConcurrency, async ({ action, planned }, i) => {
      let op = planned;
      let res = await ctx.graph.write(op);
      if (res.status === 400 && errorCode(res.body) === 'RoleAssignmentExists' && ctx.exactWrites) {
        action.result = { ok: false, status: res.status };
        throw new Error(
          `${action.summary}: PIM answered RoleAssignmentExists (the eligibility appeared since the read); a saved plan sends only ` +
            `its own requests, so it was not updated in place and nothing after this step was changed. Run audit --out again and ` +
            `review the new plan`,
        );
      }
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
      answered[i] = [outcome.targetScheduleId, String(op.principalId ?? '')];
    });
    const created = new Map(answered.filter((e) => e !== undefined));
    if (created.size === 0) return;
    // Every request is sent first, then the new schedules are awaited together: the next steps
    // (policy, member removal) run only once each eligibility is readable, as a re-run will see it.
    const names = new Map<string, string>();
    for (const m of snapshot.members?.ok ? snapshot.members.value : []) if (m.userPrincipalName) names.set(m.id, m.userPrincipalName);
    for (const u of snapshot.facts.eligibleUsers ?? []) names.set(u.id, u.userPrincipalName);
    for (const u of snapshot.usable?.ok ? snapshot.usable.value.usable : []) names.set(u.principalId, u.name);
    await waitForSchedules({
      pending: new Map([...created].map(([id, principal]) => [id, names.get(principal) ?? principal])),
      concurrency: ctx.graph.maxConcurrency,
      readable: async (id) => (await ctx.graph.find(`${PIM_GROUP}/eligibilitySchedules/${encodeURIComponent(id)}`)) !== null,
      nowMs: () => ctx.now().getTime(),
      sleep: ctx.sleep ?? ((ms) => delay(ms)),
      progress: (line) => ctx.log.info(line),
    });
  },
};
