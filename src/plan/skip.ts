/** Thrown by a step's plan() when an earlier step could not establish what it needs. */
export class SkipStep extends Error {
  override name = 'SkipStep';
}

/** Returns the value or skips the step, naming what is missing. */
export function needFact<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) throw new SkipStep(`skipped: ${what} is not known (see prerequisites)`);
  return value;
}
