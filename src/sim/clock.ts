/**
 * The simulation's notion of "now". PIM windows, token lifetimes and schedule instances
 * all read it, so tests can move time instead of sleeping.
 */
export class SimClock {
  private offsetMs = 0;

  /** Current simulated time. */
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  /** Current simulated time in epoch milliseconds. */
  nowMs(): number {
    return Date.now() + this.offsetMs;
  }

  /** Moves simulated time forward (or back, with a negative value). */
  advance(ms: number): void {
    this.offsetMs += ms;
  }

  /** Pins simulated time to `date` (time keeps flowing from there). */
  setNow(date: Date | string): void {
    this.offsetMs = new Date(date).getTime() - Date.now();
  }

  /** Back to real time. */
  reset(): void {
    this.offsetMs = 0;
  }
}
