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

/** Spinners only when interactive and coloured output is allowed; ora loads lazily. */
export async function createProgress(enabled: boolean): Promise<Progress> {
  if (!enabled) return silent;
  const { default: ora } = await import('ora');
  const spinner = ora({ stream: process.stderr, discardStdin: false });
  // ora writes to the stream itself, past the output boundary in main.
  const safe = (text: string | undefined) => (text === undefined ? undefined : safeText(text));
  return {
    start: (text) => void spinner.start(safe(text)),
    succeed: (text) => void spinner.succeed(safe(text)),
    fail: (text) => void spinner.fail(safe(text)),
    warn: (text) => void spinner.warn(safe(text)),
    stop: () => void spinner.stop(),
  };
}
