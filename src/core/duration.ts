/**
 * ISO 8601 durations in the subset PIM accepts: days, hours, minutes, seconds. Year and month
 * units are refused because Graph rejects them with InvalidRoleAssignmentRequest.
 */
const DURATION = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

export class DurationError extends Error {}

/** Parses `P90D`, `PT8H`, `P1DT12H` … into milliseconds; throws DurationError with the reason. */
export function parseDuration(text: string): number {
  const t = text.trim().toUpperCase();
  const datePart = t.startsWith('P') ? t.slice(1).split('T')[0] : '';
  if (/\d+[YM]/.test(datePart)) {
    throw new DurationError(`${text}: year and month units are not accepted (Graph rejects them); use days or hours, e.g. P90D`);
  }
  const m = DURATION.exec(t);
  if (!m || t === 'P' || t.endsWith('T')) throw new DurationError(`${text}: not an ISO 8601 duration such as P90D, PT8H or P1DT12H`);
  const [, w, d, h, min, s] = m.map((x) => (x === undefined ? 0 : Number(x)));
  return ((((Number(w) * 7 + Number(d)) * 24 + Number(h)) * 60 + Number(min)) * 60 + Number(s)) * 1000;
}

/** Formats milliseconds as the shortest ISO duration (days and time). */
export function formatDuration(ms: number): string {
  let s = Math.round(ms / 1000);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const time = `${h ? `${h}H` : ''}${m ? `${m}M` : ''}${s ? `${s}S` : ''}`;
  if (!d && !time) return 'PT0S';
  return `P${d ? `${d}D` : ''}${time ? `T${time}` : ''}`;
}

/** Human form: `8 h`, `90 d`, `1 d 12 h`. */
export function humanDuration(ms: number): string {
  const parts: string[] = [];
  let s = Math.round(ms / 1000);
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['min', 60],
    ['s', 1],
  ] as const) {
    const n = Math.floor(s / size);
    if (n) parts.push(`${n} ${unit}`);
    s -= n * size;
  }
  return parts.join(' ') || '0 s';
}
