import { ExitCode, exitCodeFor } from './errors.js';
import { redactText } from './ui/redact.js';
import { VERSION } from './version.js';

/**
 * Runs the CLI and returns the exit code; bin/ is the only place that calls process.exit.
 */
export async function main(argv: string[]): Promise<number> {
  // `--version` on its own needs nothing but the version: answering it before commander (and
  // node:child_process, which commander loads) is imported keeps it at Node's own start-up time.
  const args = argv.slice(2);
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
    process.stdout.write(`${VERSION}\n`);
    return ExitCode.ok;
  }
  const { buildProgram } = await import('./cli.js');
  let code: number = ExitCode.ok;
  const io = {
    env: process.env,
    stdout: (s: string) => void process.stdout.write(s),
    stderr: (s: string) => void process.stderr.write(s),
    stdinTTY: Boolean(process.stdin.isTTY),
    stderrTTY: Boolean(process.stderr.isTTY),
    argv: args,
    version: VERSION,
  };
  const debug = argv.includes('--debug');
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    const e = err as { code?: string; exitCode?: number; message?: string; name?: string };
    // commander already printed help/version/usage errors.
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
      return e.exitCode === 0 ? ExitCode.ok : ExitCode.error;
    }
    const exit = exitCodeFor(err);
    if (exit === ExitCode.interrupted) {
      process.stderr.write('interrupted: nothing more was sent\n');
      return exit;
    }
    process.stderr.write(redactText(`error: ${e.message ?? String(err)}`) + '\n');
    if (debug && err instanceof Error && err.stack) process.stderr.write(redactText(err.stack) + '\n');
    return exit;
  }
}
