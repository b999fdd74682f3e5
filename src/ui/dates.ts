/**
 * Dates as a person reads them, in UTC (the zone every date of the tool is given and checked in):
 * "29 November 2027", "31 March 2027, 23:59 UTC". Spelled out, not numeric, so 03/04 cannot be
 * read as either month; the JSON document keeps ISO 8601.
 */
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** `29 November 2027` (the UTC calendar day). */
export function humanDate(d: Date): string {
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

/** `31 March 2027, 23:59 UTC` (seconds left out: no window here is that precise). */
export function humanDateTime(d: Date): string {
  const hh = String(d.getUTCHours()).padStart(2, '0');
  const mm = String(d.getUTCMinutes()).padStart(2, '0');
  return `${humanDate(d)}, ${hh}:${mm} UTC`;
}

const ISO_INSTANT = /\b(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)\b/g;

/** Pure: every ISO 8601 UTC instant in a text (as the steps write them) in the human form. */
export function humanDatesIn(text: string): string {
  return text.replace(ISO_INSTANT, (iso) => {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? iso : humanDateTime(d);
  });
}

/**
 * Pure: the last calendar day (UTC) a bare `--end YYYY-MM-DD` may name so that the window from
 * `start` is at most `ms` long: a bare end date means 23:59:59 UTC of that day.
 */
export function lastEndDate(start: Date, ms: number): Date {
  return new Date(start.getTime() + ms - 86_399_000);
}
