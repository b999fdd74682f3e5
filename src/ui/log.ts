import { pathOfUrl } from './url.js';
import { redact, redactText } from '../core/redact.js';
import type { Colors } from './color.js';
import { safeLine } from './safe-text.js';

export type Level = 'quiet' | 'normal' | 'verbose' | 'debug';

/** Everything that is not the result goes to stderr, through this. */
export interface Logger {
  level: Level;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  verbose(msg: string): void;
  debug(msg: string, data?: unknown): void;
  http(method: string, url: string, status: number | string | undefined, ms: number): void;
}

/** Each message is one line: a name or server message in it cannot break it or act on the terminal. */
export function createLogger(level: Level, colors: Colors, write: (s: string) => void = (s) => process.stderr.write(s)): Logger {
  const out = (s: string) => write(safeLine(redactText(s), colors.enabled) + '\n');
  return {
    level,
    info: (m) => level !== 'quiet' && out(m),
    warn: (m) => out(colors.yellow(`warning: ${m}`)),
    error: (m) => out(colors.red(`error: ${m}`)),
    verbose: (m) => (level === 'verbose' || level === 'debug') && out(colors.dim(m)),
    debug: (m, data) => {
      if (level !== 'debug') return;
      out(colors.dim(data === undefined ? m : `${m} ${JSON.stringify(redact(data))}`));
    },
    http: (method, url, status, ms) => {
      if (level !== 'verbose' && level !== 'debug') return;
      out(colors.dim(`${method} ${pathOfUrl(url)} ${status ?? '-'} ${ms}ms`));
    },
  };
}

/** A logger that drops everything (tests, library use). */
export const silentLogger: Logger = {
  level: 'quiet',
  info() {},
  warn() {},
  error() {},
  verbose() {},
  debug() {},
  http() {},
};
