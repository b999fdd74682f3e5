import { describe, expect, it } from 'vitest';
import { humanDate, humanDatesIn, humanDateTime, lastEndDate } from '../../src/ui/dates.js';
import { parseDate } from '../../src/options.js';
import { elapsedText } from '../../src/plan/render.js';

describe('dates a person reads', () => {
  it('spells the month out, in UTC', () => {
    expect(humanDate(new Date('2027-11-29T23:59:59Z'))).toBe('29 November 2027');
    expect(humanDateTime(new Date('2027-03-31T23:59:59Z'))).toBe('31 March 2027, 23:59 UTC');
    expect(humanDateTime(new Date('2027-01-05T04:07:00Z'))).toBe('5 January 2027, 04:07 UTC');
  });

  it('rewrites the ISO instants of a line, and nothing else', () => {
    expect(humanDatesIn('from 2026-11-30T13:20:00.000Z to 2027-03-31T23:59:59Z (id 2027-03-31)')).toBe(
      'from 30 November 2026, 13:20 UTC to 31 March 2027, 23:59 UTC (id 2027-03-31)',
    );
  });

  it('the last accepted end date: its end of day is inside the window, the next day is not', () => {
    const start = new Date('2026-11-30T13:20:00Z');
    const max = 365 * 86_400_000;
    const last = lastEndDate(start, max).toISOString().slice(0, 10);
    expect(last).toBe('2027-11-29');
    expect(parseDate('--end', last, true).getTime() - start.getTime()).toBeLessThanOrEqual(max);
    expect(parseDate('--end', '2027-11-30', true).getTime() - start.getTime()).toBeGreaterThan(max);
    // A start at midnight: the window's last second is the end of the day before start + max.
    expect(
      lastEndDate(new Date('2026-12-01T00:00:00Z'), 90 * 86_400_000)
        .toISOString()
        .slice(0, 10),
    ).toBe('2027-02-28');
  });

  it('elapsed time in seconds, then minutes', () => {
    expect(elapsedText(4_230)).toBe('4.2 s');
    expect(elapsedText(65_000)).toBe('1 min 5 s');
  });
});
