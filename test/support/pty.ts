import { spawn, type ChildProcess } from 'node:child_process';
import { BIN, ROOT } from './cli.js';

const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-B]|\x1b[=>]|\r/g;

/** Keys as a terminal sends them. */
export const KEY = { enter: '\r', down: '\x1b[B', up: '\x1b[A', space: ' ', ctrlC: '\x03' } as const;

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * `script` running a shell command in a new pseudo-terminal, output to stdout only: util-linux
 * takes the command with -c (-e: its exit code, -f: flush at once); BSD and macOS take it after
 * the typescript file and flush the terminal's output as it comes.
 */
function scriptArgs(command: string): string[] {
  return process.platform === 'linux' ? ['-qfec', command, '/dev/null'] : ['-q', '/dev/null', '/bin/sh', '-c', command];
}

/**
 * Runs the built CLI in a real pseudo-terminal (`script`, see scriptArgs), so the tool sees a TTY on
 * stdin and stderr and runs its interactive wizard. Keystrokes go in through `send`, the screen
 * comes out through `waitFor` (ANSI sequences stripped).
 */
export class PtySession {
  /** Everything the terminal received, escape codes included. */
  raw = '';
  private mark = 0;
  private waiters: Array<() => void> = [];
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(args: string[], env: Record<string, string | undefined>) {
    const command = `stty cols 160 rows 50; exec ${quote(process.execPath)} ${quote(BIN)} ${args.map(quote).join(' ')}`;
    const childEnv: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', TERM: 'xterm-256color' };
    if (process.env.NODE_EXTRA_CA_CERTS) childEnv.NODE_EXTRA_CA_CERTS = process.env.NODE_EXTRA_CA_CERTS;
    for (const [k, v] of Object.entries(env)) if (v !== undefined) childEnv[k] = v;
    this.child = spawn('script', scriptArgs(command), { cwd: ROOT, env: childEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    const onData = (d: Buffer) => {
      this.raw += d.toString('utf8');
      for (const w of this.waiters.splice(0)) w();
    };
    this.child.stdout!.on('data', onData);
    this.child.stderr!.on('data', onData);
    this.exited = new Promise((resolve) =>
      this.child.on('close', (code) => {
        for (const w of this.waiters.splice(0)) w();
        resolve(code);
      }),
    );
  }

  /** Everything shown so far, without colour and cursor codes. */
  get screen(): string {
    return this.raw.replace(ANSI, '');
  }

  /** Resolves when text after the last match shows `pattern`; fails with the screen after `ms`. */
  async waitFor(pattern: RegExp, ms = 30_000): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      const rest = this.raw.slice(this.mark).replace(ANSI, '');
      const m = pattern.exec(rest);
      if (m) {
        // Move the mark past the match, measured in the raw buffer.
        let i = this.mark;
        while (i < this.raw.length && !pattern.test(this.raw.slice(this.mark, i + 1).replace(ANSI, ''))) i++;
        this.mark = i + 1;
        return;
      }
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(`timed out waiting for ${pattern}; screen:\n${this.screen.slice(-3000)}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  send(keys: string): void {
    this.child.stdin!.write(keys);
  }

  /** Types a line and presses enter. */
  line(text: string): void {
    this.send(text + KEY.enter);
  }
}
