import { closeSync, openSync, readSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from './errors.js';
import { configValue, parseTargets, perTargetFlagProblem, type ConfigOption, type TargetConfig } from './config-targets.js';

/** A config holds a few dozen options: anything larger is a mistake (or a YAML bomb). */
export const CONFIG_MAX_BYTES = 1024 * 1024;

/**
 * Reads at most CONFIG_MAX_BYTES + 1 bytes, so a huge file (or /dev/zero, whose size says 0) is
 * refused before the parser sees any of it.
 */
function readBounded(file: string): string {
  const chunks: Buffer[] = [];
  let total = 0;
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    throw new UsageError(`--config ${file}: cannot read that file`);
  }
  try {
    const chunk = Buffer.alloc(64 * 1024);
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      total += n;
      if (total > CONFIG_MAX_BYTES) throw new UsageError(`--config ${file}: larger than 1 MiB; a config file holds a few options`);
      chunks.push(Buffer.from(chunk.subarray(0, n)));
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`--config ${file}: cannot read that file`);
  } finally {
    closeSync(fd);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Reads a --config file (YAML or JSON, keyed by the long option names, e.g. `tenant-id`) into
 * the command's option values. A flag given on the command line wins over the file; the file
 * wins over environment variables and defaults. Unknown keys and wrong types are errors. A
 * `targets:` list (run and audit) is returned parsed, its items' values not applied.
 */
export async function applyConfigFile(file: string, cmd: Command): Promise<TargetConfig[] | undefined> {
  const text = readBounded(file);
  let data: unknown;
  try {
    if (/\.json$/i.test(file)) data = JSON.parse(text);
    else {
      const { parse } = await import('yaml');
      data = parse(text);
    }
  } catch (err) {
    const first = String((err as Error).message).split('\n')[0];
    throw new UsageError(`--config ${file}: not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'} (${first})`);
  }
  if (data === null || data === undefined) return undefined;
  if (typeof data !== 'object' || Array.isArray(data))
    throw new UsageError(`--config ${file}: expected a mapping of option names to values`);

  const options = new Map(cmd.options.filter((o) => o.long && o.long !== '--config').map((o) => [o.attributeName(), o]));
  const allowed = [...new Set(cmd.options.filter((o) => o.long && !o.negate && o.long !== '--config').map((o) => o.long!.slice(2)))];
  const kinds: ConfigOption[] = allowed.map((key) => {
    const name = camel(key);
    const option = options.get(name)!;
    return { key, name, kind: option.isBoolean() ? 'boolean' : name === 'eligible' || name === 'approver' ? 'list' : 'string' };
  });
  const { targets: targetList, ...top } = data as Record<string, unknown>;
  let targets: TargetConfig[] | undefined;
  if ('targets' in data) {
    if (cmd.name() !== 'run' && cmd.name() !== 'audit')
      throw new UsageError(`--config ${file}: "targets" is taken by run and audit only; ${cmd.name()} takes one target's options`);
    targets = parseTargets(file, targetList, kinds);
    const onCommandLine = allowed.filter((key) => cmd.getOptionValueSource(camel(key)) === 'cli');
    const problem = perTargetFlagProblem(file, onCommandLine);
    if (problem) throw new UsageError(problem);
  }
  for (const [key, value] of Object.entries(top)) {
    const name = camel(key);
    const option = options.get(name);
    if (!option) {
      throw new UsageError(`--config ${file}: unknown option "${key}" (allowed: ${allowed.join(', ')}${targets ? ', targets' : ''})`);
    }
    if (cmd.getOptionValueSource(name) === 'cli') continue;
    const kind = kinds.find((k) => k.name === name) ?? { key, name, kind: option.isBoolean() ? 'boolean' : 'string' };
    cmd.setOptionValueWithSource(name, configValue(`--config ${file}`, kind, value), 'config');
  }
  return targets;
}
