import { setTimeout as delay } from 'node:timers/promises';

/**
 * Learn "Microsoft Graph service-specific throttling limits" (throttling-limits), Identity and
 * access service limits: 3,000 writes per 2 minutes 30 seconds per application+tenant pair.
 */
export const WRITE_QUOTA = { limit: 3_000, windowMs: 150_000 };

/** Learn "Microsoft Graph service-specific throttling limits": the usage header appears above 0.8 of a limit. */
const HEADER_FLOOR = 0.8;
/**
 * Headroom kept below the quota: the usage header is a rounded fraction (two decimals seen in
 * practice), so a count read from it can be short by up to 1% of the quota.
 */
const HEADROOM = 0.01;

export interface PacerOptions {
  /** Writes allowed per window (default: Graph's documented write quota). */
  quota?: { limit: number; windowMs: number };
  /** Milliseconds (default `performance.now`). */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** What the pacer decided, for tests and the log: envelopes let through, and waits before sending. */
export interface PacerDecisions {
  sent: number;
  waits: number;
  waitedMs: number;
  throttled: number;
}

/**
 * Paces writes to Graph's write quota by its own count: each write counts when it is sent, the
 * count drains at the documented rate, and a batch of writes waits until it fits. Answers correct
 * the count: `x-ms-throttle-limit-percentage` says how full the quota is (absent: at most 0.8),
 * and a 429 holds every write back until its Retry-After has passed. So a run uses the quota that
 * is free at once and then goes at the rate it refills, instead of sending into 429s.
 */
export class WritePacer {
  private used = 0;
  private at: number;
  private holdUntil = 0;
  private inFlight = 0;
  private readonly quota: { limit: number; windowMs: number };
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  readonly decisions: PacerDecisions = { sent: 0, waits: 0, waitedMs: 0, throttled: 0 };

  constructor(opts: PacerOptions = {}) {
    this.quota = opts.quota ?? WRITE_QUOTA;
    this.now = opts.now ?? (() => performance.now());
    this.sleep = opts.sleep ?? ((ms) => delay(ms));
    this.at = this.now();
  }

  private level(now: number): number {
    this.used = Math.max(0, this.used - ((now - this.at) * this.quota.limit) / this.quota.windowMs);
    this.at = now;
    return this.used;
  }

  /** Waits until `writes` more fit under the quota (and any Retry-After has passed), then counts them as in flight. */
  async acquire(writes: number): Promise<void> {
    if (writes === 0) return;
    for (;;) {
      const now = this.now();
      const over = this.level(now) + writes - this.quota.limit * (1 - HEADROOM);
      const wait = Math.max(this.holdUntil - now, (over * this.quota.windowMs) / this.quota.limit);
      if (wait <= 0) break;
      this.decisions.waits++;
      this.decisions.waitedMs += wait;
      await this.sleep(wait);
    }
    this.used += writes;
    this.inFlight += writes;
    this.decisions.sent++;
  }

  /**
   * An envelope of `writes` came back. `answer` (absent when the envelope failed as a whole) holds
   * the last `x-ms-throttle-limit-percentage` among its items (undefined when none carried it) and
   * the longest Retry-After a 429 item asked for. Writes still in flight from other envelopes are
   * added to what the header says.
   */
  settle(writes: number, answer?: { percentage: number | undefined; retryAfterMs: number | undefined }): void {
    if (writes === 0) return;
    this.inFlight = Math.max(0, this.inFlight - writes);
    if (!answer) return;
    const now = this.now();
    this.level(now);
    const { percentage, retryAfterMs } = answer;
    // Absent: at most the floor. A value that is not a finite number ≥ 0 is not what Learn documents:
    // the pacer keeps its own count rather than send faster on it.
    if (percentage === undefined) this.used = Math.min(this.used, HEADER_FLOOR * this.quota.limit + this.inFlight);
    else if (Number.isFinite(percentage) && percentage >= 0) this.used = percentage * this.quota.limit + this.inFlight;
    if (retryAfterMs !== undefined) {
      this.decisions.throttled++;
      this.holdUntil = Math.max(this.holdUntil, now + retryAfterMs);
      // Full until the wait ends: Graph's Retry-After is when the throttled writes fit again.
      this.used = Math.max(this.used, this.quota.limit);
    }
  }
}
