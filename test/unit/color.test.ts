import { describe, expect, it } from 'vitest';
import { createColors, noColors } from '../../src/ui/color.js';

// The escapes chalk 5 writes at level 1, which the painters reproduce (safe-text lets exactly
// these codes through).
const E = '\u001b[';

describe('colours', () => {
  it('paints each style with its own open and reset codes', async () => {
    const c = await createColors(true);
    expect(c.enabled).toBe(true);
    expect([c.red('x'), c.green('x'), c.yellow('x'), c.cyan('x'), c.dim('x'), c.bold('x')]).toEqual([
      `${E}31mx${E}39m`,
      `${E}32mx${E}39m`,
      `${E}33mx${E}39m`,
      `${E}36mx${E}39m`,
      `${E}2mx${E}22m`,
      `${E}1mx${E}22m`,
    ]);
  });

  it('leaves an empty text empty', async () => {
    const c = await createColors(true);
    expect(c.bold('')).toBe('');
  });

  it('re-opens a style after a reset of the same kind inside the text', async () => {
    const c = await createColors(true);
    expect(c.bold(`a ${c.dim('b')} c`)).toBe(`${E}1ma ${E}2mb${E}22m${E}1m c${E}22m`);
    expect(c.red(`a ${c.green('b')} c`)).toBe(`${E}31ma ${E}32mb${E}39m${E}31m c${E}39m`);
    // A reset of another kind is left as it is.
    expect(c.red(`a ${c.bold('b')} c`)).toBe(`${E}31ma ${E}1mb${E}22m c${E}39m`);
  });

  it('closes a style before each line break and re-opens it after (CRLF kept whole)', async () => {
    const c = await createColors(true);
    expect(c.yellow('a\nb')).toBe(`${E}33ma${E}39m\n${E}33mb${E}39m`);
    expect(c.yellow('a\r\nb\n')).toBe(`${E}33ma${E}39m\r\n${E}33mb${E}39m\n${E}33m${E}39m`);
  });

  it('paints nothing when colour is off', async () => {
    expect(await createColors(false)).toBe(noColors);
    expect(noColors.red('a\nb')).toBe('a\nb');
  });
});
