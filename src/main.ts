import { writeSync } from 'node:fs';
import { ExitCode, errorCodeFor, exitCodeFor } from './errors.js';
import { redactText } from './core/redact.js';
import { jsonSafe, safeOutput, safeText } from './ui/safe-text.js';
import { VERSION } from './version.js';
import { isTerminal } from './ui/terminal.js';

let stdoutStream = false;
const toStdoutStream = (chunk: string | Uint8Array) => {
  stdoutStream = true;
  process.stdout.write(chunk);
};

/**
 * Writes a short text (help, version) to stdout through the file descriptor: creating
 * process.stdout loads Node's stream and socket modules, a cost that `--help` and `--version`
 * would otherwise pay on top of Node's own start-up. Whatever a full or non-blocking pipe
 * refuses goes through the stream.
 */
function writeStdoutDirect(text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  let done = 0;
  try {
    while (done < bytes.length) done += writeSync(1, bytes, done);
  } catch {
    toStdoutStream(bytes.subarray(done));
  }
}

/** Calls `done` once what was written through process.stdout is flushed (at once when nothing was). */
export function whenStdoutFlushed(done: () => void): void {
  if (stdoutStream) process.stdout.write('', done);
  else done();
}

/**
 * The one `--json` document of a command that failed before it had a result (a usage error, a
 * sign-in or network failure): a script that parses stdout always gets a document.
 */
export function failureDocument(err: unknown): string {
  const message = String((err as { message?: unknown } | undefined)?.message ?? err)
    .replace(/^error: /, '')
    .trim();
  const doc = { schemaVersion: 1, status: 'failed', error: { code: errorCodeFor(err), message: safeText(redactText(message)) } };
  return jsonSafe(JSON.stringify(doc, null, 2)) + '\n';
}

/** The stack for --debug, its message part on one line like the error line above it. */
function stackText(err: Error): string {
  const head = `${err.name}: ${err.message}`;
  const stack = err.stack ?? head;
  return stack.startsWith(head) ? safeText(head) + safeOutput(stack.slice(head.length), false) : safeOutput(stack, false);
}

/**
 * Runs the CLI and returns the exit code; bin/ is the only place that calls process.exit.
 */
export async function main(argv: string[]): Promise<number> {
  // `--version` on its own needs nothing but the version: answering it before commander (and
  // node:child_process, which commander loads) is imported keeps it at Node's own start-up time.
  const args = argv.slice(2);
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
    writeStdoutDirect(`${VERSION}\n`);
    return ExitCode.ok;
  }
  const { buildProgram } = await import('./cli.js');
  let code: number = ExitCode.ok;
  // The output boundary: whatever a server put into a string, no escape sequence, carriage
  // return or bidi control reaches the streams. Colour codes of our own pass only when stderr is
  // a terminal, the one case where colour can be on (see colorEnabled).
  // Secrets are masked here too, so no command's own output path (a checklist, a summary line)
  // can print one; masking comes first, before escaping could change the secret's spelling.
  const colors = isTerminal(2);
  const io = {
    env: process.env,
    stdout: (s: string) => toStdoutStream(safeOutput(redactText(s), colors)),
    stderr: (s: string) => void process.stderr.write(safeOutput(redactText(s), colors)),
    // isTerminal, not process.stdin.isTTY: creating the stdin stream alone costs `--help`
    // measurably; asked only when a command needs it.
    get stdinTTY() {
      return isTerminal(0);
    },
    stderrTTY: colors,
    argv: args,
    version: VERSION,
  };
  const debug = argv.includes('--debug');
  // Flags after `--` are not flags; a --config file's `json: true` is reported by the command.
  const end = args.indexOf('--');
  let json = (end < 0 ? args : args.slice(0, end)).includes('--json');
  const program = buildProgram(
    io,
    (c) => (code = c),
    writeStdoutDirect,
    () => (json = true),
  );
  // Under --json, an error with nothing on stdout yet still leaves one document there.
  const failed = (err: unknown) => {
    if (json && !stdoutStream) toStdoutStream(failureDocument(err));
  };
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    const e = err as { code?: string; exitCode?: number; message?: string; name?: string };
    // commander already printed help/version/usage errors.
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
      if (e.exitCode === 0) return ExitCode.ok;
      failed(err);
      return ExitCode.error;
    }
    const exit = exitCodeFor(err);
    failed(err);
    if (exit === ExitCode.interrupted) {
      process.stderr.write('interrupted: nothing more was sent\n');
      return exit;
    }
    // One line: an error can quote a server's message or a display name.
    process.stderr.write(safeText(redactText(`error: ${e.message ?? String(err)}`)) + '\n');
    if (debug && err instanceof Error && err.stack) process.stderr.write(redactText(stackText(err)) + '\n');
    return exit;
  }
}
