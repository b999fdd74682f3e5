import type { ChalkInstance } from 'chalk';

export interface Colors {
  enabled: boolean;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

/**
 * Colour is off for NO_COLOR, --no-color, --json and a non-TTY stream. chalk alone does not
 * honour NO_COLOR, so the decision is made here and chalk only paints.
 */
export function colorEnabled(opts: { noColor?: boolean; json?: boolean; isTTY?: boolean; env?: NodeJS.ProcessEnv }): boolean {
  const env = opts.env ?? process.env;
  if (opts.noColor || opts.json) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR === '0') return false;
  return Boolean(opts.isTTY);
}

const plain = (s: string) => s;

export const noColors: Colors = { enabled: false, red: plain, green: plain, yellow: plain, cyan: plain, dim: plain, bold: plain };

/** Builds a painter; chalk is only loaded when colour is on. */
export async function createColors(enabled: boolean): Promise<Colors> {
  if (!enabled) return noColors;
  const { Chalk } = await import('chalk');
  const c: ChalkInstance = new Chalk({ level: 1 });
  return { enabled, red: c.red, green: c.green, yellow: c.yellow, cyan: c.cyan, dim: c.dim, bold: c.bold };
}
