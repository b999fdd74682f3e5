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
 * Colour is off for NO_COLOR, --no-color, --json and a non-TTY stream: the decision is made here,
 * and the painters below only paint.
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

/**
 * One style as chalk paints it at level 1 (the 16 basic colours), written out here because
 * loading chalk before the wizard's first question cost more than the rest of the colour code:
 * a reset inside the text re-opens the style after it, and each line break is closed before and
 * re-opened after, so a line never carries a style into the next; an empty text stays empty.
 */
function painter(open: number, close: number): (s: string) => string {
  const on = `\u001b[${open}m`;
  const off = `\u001b[${close}m`;
  return (s) => {
    if (!s) return s;
    let text = s.includes('\u001b') ? s.split(off).join(off + on) : s;
    if (text.includes('\n')) text = text.replace(/\r?\n/g, (lineBreak) => off + lineBreak + on);
    return on + text + off;
  };
}

const painted: Colors = {
  enabled: true,
  red: painter(31, 39),
  green: painter(32, 39),
  yellow: painter(33, 39),
  cyan: painter(36, 39),
  dim: painter(2, 22),
  bold: painter(1, 22),
};

/** The painters for colour on or off (a promise, as when chalk was loaded here). */
export function createColors(enabled: boolean): Promise<Colors> {
  return Promise.resolve(enabled ? painted : noColors);
}
