import { UsageError } from './errors.js';

// The `targets:` list of a --config file: several apps, groups and realms under one sign-in.
// Pure (no I/O), so every rule is unit-tested on plain values.

/** How a config value is read: a boolean flag, a repeatable list, or a string. */
export type OptionKind = 'boolean' | 'list' | 'string';

/** One option as the config file names it (`app-id`) and as the options object holds it (`appId`). */
export interface ConfigOption {
  key: string;
  name: string;
  kind: OptionKind;
}

/** One target: its name and the option values its item sets (keyed like the options object). */
export interface TargetConfig {
  name: string;
  values: Record<string, unknown>;
}

/**
 * The options a target may set: what differs from one realm to the next (app, group, eligible
 * users, window, policy, Keycloak). Every other option is the run's own (sign-in, tenant, cloud,
 * output, report, journal) and is set once, at the top level.
 */
export const PER_TARGET_KEYS: ReadonlySet<string> = new Set([
  'app-id',
  'app-name',
  'app-role',
  'group',
  'eligible',
  'start',
  'end',
  'duration',
  'justification',
  'expiry-warning',
  'renew',
  'convert-members',
  'allow-empty',
  'activation-max',
  'require-justification',
  'require-mfa',
  'require-approval',
  'approver',
  'keycloak-url',
  'keycloak-realm',
  'keycloak-idp-alias',
  'keycloak-group',
  'keycloak-role',
  'keycloak-client-id',
  'keycloak-username',
  'keycloak-auth-realm',
  'keycloak-ca-file',
  'fix-keycloak',
  'skip-keycloak',
]);

/** A target's name becomes part of its journal's file name: letters, digits, `.`, `_`, `-`. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/**
 * Reads one config value as the option expects it; `where` prefixes the error (the file, and
 * the target when the key is inside one). A YAML date or number is taken as its text.
 */
export function configValue(where: string, option: ConfigOption, value: unknown): unknown {
  const { key, kind } = option;
  if (kind === 'boolean') {
    if (typeof value !== 'boolean') throw new UsageError(`${where}: "${key}" must be true or false`);
    return value;
  }
  if (kind === 'list') {
    const list = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(list) || list.some((x) => typeof x !== 'string'))
      throw new UsageError(`${where}: "${key}" must be a string or a list of strings`);
    return list;
  }
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === 'number') return String(value);
  throw new UsageError(`${where}: "${key}" must be a string`);
}

/**
 * Parses the `targets:` value of config file `file`: a non-empty list of mappings, each with a
 * unique `name` and only per-target options (PER_TARGET_KEYS among `options`). A key the run
 * shares (sign-in, tenant, output) inside a target, an unknown key, a missing, unsafe or repeated
 * name, or an empty list is one UsageError naming the target and the key.
 */
export function parseTargets(file: string, value: unknown, options: readonly ConfigOption[]): TargetConfig[] {
  const where = `--config ${file}`;
  if (!Array.isArray(value))
    throw new UsageError(`${where}: "targets" must be a list of targets, each a mapping with a "name" and its options`);
  if (value.length === 0) throw new UsageError(`${where}: "targets" is empty; list at least one target, or leave the key out`);
  const byKey = new Map(options.map((o) => [o.key, o]));
  const perTarget = options.filter((o) => PER_TARGET_KEYS.has(o.key)).map((o) => o.key);
  const seen = new Set<string>();
  return value.map((item, i) => {
    const at = `${where}: targets[${i + 1}]`;
    if (item === null || typeof item !== 'object' || Array.isArray(item))
      throw new UsageError(`${at}: expected a mapping with a "name" and the target's options`);
    const { name, ...rest } = item as Record<string, unknown>;
    if (name === undefined) throw new UsageError(`${at}: "name" is missing; give each target a unique name (letters, digits, . _ -)`);
    if (typeof name !== 'string' || !NAME.test(name))
      throw new UsageError(
        `${at}: "name" ${JSON.stringify(name)} is not a safe name; use letters, digits, . _ - (at most 63, starting with a letter or digit)`,
      );
    if (seen.has(name.toLowerCase())) throw new UsageError(`${at}: "name" ${name} is used by another target; names must be unique`);
    seen.add(name.toLowerCase());
    const here = `${where}: target ${name}`;
    const values: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(rest)) {
      const option = byKey.get(key);
      if (!option || key === 'targets')
        throw new UsageError(`${here}: unknown option "${key}" (allowed in a target: name, ${perTarget.join(', ')})`);
      if (!PER_TARGET_KEYS.has(key))
        throw new UsageError(`${here}: "${key}" is shared by every target; set it at the top level of the file, not in a target`);
      values[option.name] = configValue(here, option, v);
    }
    return { name, values };
  });
}

/**
 * With targets, a per-target option given as a flag is refused: it would silently apply to every
 * target (one group for every realm). Returns the error for the first such flag, or undefined.
 */
export function perTargetFlagProblem(file: string, flagsOnCommandLine: readonly string[]): string | undefined {
  const flag = flagsOnCommandLine.find((k) => PER_TARGET_KEYS.has(k));
  if (!flag) return undefined;
  return (
    `--${flag}: not taken on the command line with the targets of --config ${file}; ` +
    `set "${flag}" in each target (or at the top level of the file for all of them)`
  );
}
