import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from './errors.js';

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Reads a --config file (YAML or JSON, keyed by the long option names, e.g. `tenant-id`) into
 * the command's option values. A flag given on the command line wins over the file; the file
 * wins over environment variables and defaults. Unknown keys and wrong types are errors.
 */
export async function applyConfigFile(file: string, cmd: Command): Promise<void> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`--config ${file}: cannot read that file`);
  }
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
  if (data === null || data === undefined) return;
  if (typeof data !== 'object' || Array.isArray(data)) throw new UsageError(`--config ${file}: expected a mapping of option names to values`);

  const options = new Map(cmd.options.filter((o) => o.long && o.long !== '--config').map((o) => [o.attributeName(), o]));
  const allowed = [...new Set(cmd.options.filter((o) => o.long && !o.negate && o.long !== '--config').map((o) => o.long!.slice(2)))];
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    const name = camel(key);
    const option = options.get(name);
    if (!option) {
      throw new UsageError(`--config ${file}: unknown option "${key}" (allowed: ${allowed.join(', ')})`);
    }
    if (cmd.getOptionValueSource(name) === 'cli') continue;
    const isList = name === 'eligible' || name === 'approver';
    let v: unknown = value;
    if (option.isBoolean()) {
      if (typeof v !== 'boolean') throw new UsageError(`--config ${file}: "${key}" must be true or false`);
    } else if (isList) {
      if (typeof v === 'string') v = [v];
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new UsageError(`--config ${file}: "${key}" must be a string or a list of strings`);
    } else if (typeof v !== 'string') {
      if (typeof v === 'number' || v instanceof Date) v = v instanceof Date ? v.toISOString().slice(0, 10) : String(v);
      else throw new UsageError(`--config ${file}: "${key}" must be a string`);
    }
    cmd.setOptionValueWithSource(name, v, 'config');
  }
}
