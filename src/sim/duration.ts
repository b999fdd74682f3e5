/**
 * ISO 8601 durations as PIM accepts them.
 *
 * PIM rejects year and month units (`P1Y`, `P6M`) because they have no fixed length;
 * `calendar: true` flags those so callers can answer `InvalidRoleAssignmentRequest`
 * (ASSUMPTIONS.md, PIM for Groups: year and month durations).
 */
export type ParsedDuration = { ok: true; ms: number } | { ok: false; calendar: boolean };

const DURATION_RE =
  /^P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Parses an ISO 8601 duration into milliseconds. */
export function parseDuration(text: unknown): ParsedDuration {
  if (typeof text !== 'string' || text === 'P' || text.endsWith('T')) return { ok: false, calendar: false };
  const m = DURATION_RE.exec(text.toUpperCase());
  if (!m) return { ok: false, calendar: false };
  if (m[1] !== undefined || m[2] !== undefined) return { ok: false, calendar: true };
  const n = (i: number): number => (m[i] === undefined ? 0 : Number(m[i]));
  const ms = ((((n(3) * 7 + n(4)) * 24 + n(5)) * 60 + n(6)) * 60 + n(7)) * 1000;
  return { ok: true, ms };
}
