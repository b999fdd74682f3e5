import { fstatSync } from 'node:fs';

/**
 * `isatty(fd)` without loading node:tty when the answer is no for a cheaper reason: a terminal is
 * always a character device, so a pipe, a file or a closed descriptor is told apart by `fstat`
 * alone. node:tty brings net and Node's stream modules with it, which `--help` into a pipe (or
 * `--version`) has no use for.
 */
export function isTerminal(fd: number): boolean {
  try {
    if (!fstatSync(fd).isCharacterDevice()) return false;
  } catch {
    return false;
  }
  return process.getBuiltinModule('node:tty').isatty(fd);
}
