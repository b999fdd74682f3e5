import { safeText } from './safe-text.js';

/** A line of progress on stderr: an ora spinner on a terminal, nothing otherwise. */
export interface Progress {
  start(text: string): void;
  succeed(text?: string): void;
  fail(text?: string): void;
  warn(text?: string): void;
  stop(): void;
}

const silent: Progress = { start() {}, succeed() {}, fail() {}, warn() {}, stop() {} };

/** Plain glyphs for the end of a step when colour is off; the same shapes as the coloured ones. */
const PLAIN = { succeed: '✔', fail: '✖', warn: '!' } as const;

/**
 * Spinners only when interactive (a terminal a person watches); ora loads lazily. Colour is a
 * separate choice: without it (NO_COLOR, --no-color) the progress stays, with plain glyphs, since
 * NO_COLOR asks for no colour, not for less information.
 */
export async function createProgress(enabled: boolean, color = true): Promise<Progress> {
  if (!enabled) return silent;
  const { default: ora } = await import('ora');
  const spinner = ora({ stream: process.stderr, discardStdin: false, color: color ? 'cyan' : false });
  // ora writes to the stream itself, past the output boundary in main.
  const safe = (text: string | undefined) => (text === undefined ? undefined : safeText(text));
  // ora's own end symbols are painted whatever `color` says: plain ones are given instead.
  const end = (kind: keyof typeof PLAIN, text: string | undefined) =>
    void (color ? spinner[kind](safe(text)) : spinner.stopAndPersist({ symbol: PLAIN[kind], text: safe(text) }));
  return {
    start: (text) => void spinner.start(safe(text)),
    succeed: (text) => end('succeed', text),
    fail: (text) => end('fail', text),
    warn: (text) => end('warn', text),
    stop: () => void spinner.stop(),
  };
}
