import { describe, expect, it } from 'vitest';
import { DurationError, formatDuration, parseDuration } from '../../src/core/duration.js';

describe('parseDuration', () => {
  it.each([
    ['P90D', 90 * 86400e3],
    ['PT8H', 8 * 3600e3],
    ['P1DT12H', 36 * 3600e3],
    ['PT30M', 30 * 60e3],
    ['P2W', 14 * 86400e3],
  ])('%s', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['P1Y', 'P6M', 'P1Y2D', 'P1M2DT3H', '90D', 'P', 'PT', 'P-1D', 'PT8X', ''])('rejects %s', (text) => {
    expect(() => parseDuration(text)).toThrow(DurationError);
  });

  it('explains why years and months are refused', () => {
    expect(() => parseDuration('P6M')).toThrow(/year and month/);
  });
});

describe('formatDuration', () => {
  it.each([
    [8 * 3600e3, 'PT8H'],
    [90 * 86400e3, 'P90D'],
    [36 * 3600e3, 'P1DT12H'],
    [0, 'PT0S'],
  ])('%d ms', (ms, text) => expect(formatDuration(ms)).toBe(text));
});
