import { forEachBounded } from '../core/bounded.js';
import { humanDuration } from '../core/duration.js';
import { enumIn } from '../graph/enums.js';
import { USABLE_STATUSES } from './usable-eligibility.js';

/** After the eligibility requests: whether each took effect, and the wait until its schedule is readable. */

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
  /** How many reads a poll round keeps in flight at once (default 1: one after another). */
  concurrency?: number;
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
    // One read per pending schedule per round, up to `concurrency` at once.
    await forEachBounded([...pending.keys()], w.concurrency ?? 1, async (id) => {
      if (await w.readable(id)) pending.delete(id);
    });
    if (pending.size === 0) return;
    const waited = Math.max(w.nowMs() - started, slept);
    if (waited >= timeoutMs) {
      throw new Error(
        `PIM accepted the eligibility request(s) but after ${humanDuration(waited)} still answers 404 for the new schedule(s) ` +
          `of ${[...pending.values()].join(', ')}; ` +
          'nothing after this step was changed. Run the same command again later: it finds the eligibility that exists and continues',
      );
    }
    if (lastProgress === undefined || waited - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = waited;
      w.progress(
        `waiting for PIM to make ${pending.size} new eligibility schedule(s) readable (${[...pending.values()].join(', ')}): ` +
          `${humanDuration(waited)} so far, up to ${humanDuration(timeoutMs)}`,
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
