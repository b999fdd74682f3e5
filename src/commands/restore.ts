import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import type { RestoreContext } from '../context.js';
import type { ReportSubject } from '../report-meta.js';
import { UsageError } from '../errors.js';
import { journalGroups, readJournal, removedMembers } from '../journal-reading.js';
import type { RawOptions } from '../options.js';
import type { RunMode } from '../plan/types.js';
import { isGuid } from '../core/ids.js';
import { readRestore, restoreStep, type LiveGroup, type RestoreSnapshot } from '../steps/restore.js';
import { safeLine } from '../ui/safe-text.js';
import { trustedGraph } from '../graph/trusted-endpoint.js';
import { tenantInputProblem } from '../graph/tenant.js';
import type { ReportWords } from '../plan/render.js';
import { connectGraph, journalFor, openSession, prompterFor, resolveTenant, type CommandIo } from './session.js';
import { executeAndReport, runHooks } from './session-run.js';

/** Above this many members, the question says so: a journal naming many people deserves a look. */
const MANY = 10;

export interface RestoreOptions extends RawOptions {
  /** The journal to restore from (required). */
  from?: string;
  /** Where restore journals its own writes. */
  restoreJournal?: string;
  /** The object id of the group to restore into, named outside the journal (must match the journal's run). */
  group?: string;
  /** Where --tenant-id, --cloud and --graph-endpoint came from (commander's value sources). */
  sources?: Record<string, string | undefined>;
}

/** The sign-in values restore takes from the journal, with the flag and variable that set each. */
const FROM_JOURNAL = [
  { key: 'tenantId', flag: '--tenant-id', env: 'AZURE_TENANT_ID', what: 'tenant' },
  { key: 'cloud', flag: '--cloud', env: 'ENTRA_PIM_CLOUD', what: 'cloud' },
  { key: 'graphEndpoint', flag: '--graph-endpoint', env: 'ENTRA_PIM_GRAPH_ENDPOINT', what: 'Graph endpoint' },
] as const;

type JournalKey = (typeof FROM_JOURNAL)[number]['key'];

const originOf = (url: string) => {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
};
const same = (key: JournalKey, a: string, b: string) =>
  key === 'graphEndpoint' ? originOf(a) === originOf(b) : a.toLowerCase() === b.toLowerCase();

/**
 * The tenant, cloud and Graph endpoint of the journal's run: restore signs in and writes where
 * the run did. A value given otherwise (flag, config, environment) must agree, or restore stops
 * naming where it came from. A journal is only a file, so a Graph endpoint it names that is not
 * a national cloud's own (or loopback) gets the token only when --graph-endpoint names it too.
 */
export function journalTarget(
  raw: RestoreOptions,
  starts: Array<{ tenantId?: string; cloud?: string; graphEndpoint?: string }>,
): Pick<RawOptions, JournalKey> {
  const out: Pick<RawOptions, JournalKey> = { tenantId: raw.tenantId, cloud: raw.cloud, graphEndpoint: raw.graphEndpoint };
  for (const { key, flag, env, what } of FROM_JOURNAL) {
    const norm = (v: string) => (key === 'graphEndpoint' ? originOf(v) : key === 'tenantId' ? v.toLowerCase() : v);
    const recorded = [
      ...new Set(
        starts
          .map((s) => s[key])
          .filter((v): v is string => typeof v === 'string' && v !== '')
          .map(norm),
      ),
    ];
    if (recorded.length > 1)
      throw new UsageError(
        `--journal ${raw.from}: its runs name more than one ${what} (${recorded.join(', ')}); restore works on the journal of one run`,
      );
    const [value] = recorded;
    if (value === undefined) continue;
    const given = raw[key];
    const source = raw.sources?.[key];
    if (given !== undefined && source !== 'default' && !same(key, given, value)) {
      const name = source === 'env' ? env : source === 'config' ? `"${flag.slice(2)}" in --config` : flag;
      throw new UsageError(
        `${name} ${given}: the journal's run was on ${what} ${value}; leave ${source === 'env' ? 'it unset' : 'it out'} ` +
          `(restore takes it from the journal) or give the journal of that run`,
      );
    }
    if (key === 'graphEndpoint' && !(given !== undefined && source === 'cli') && !trustedGraph(value)) {
      throw new UsageError(
        `the journal's run used the Graph endpoint ${value}: restore sends your token there only when --graph-endpoint names it ` +
          `(pass --graph-endpoint ${value} if this is the run to undo)`,
      );
    }
    out[key] = value;
  }
  return out;
}

/** `restore --journal FILE`: puts back every member that journal says was removed. */
export async function restoreCommand(raw: RestoreOptions, io: CommandIo): Promise<number> {
  const mode: RunMode = raw.dryRun ? 'audit' : 'run';
  if (!raw.from) throw new UsageError('--journal FILE is required: the journal of the run to undo');
  const text = readJournalFile(raw.from);
  const entries = readJournal(text);
  const starts = entries.flatMap((e) => (e.type === 'start' ? [e] : []));
  if (starts.length === 0 && entries.length === 0)
    throw new UsageError(`--journal ${raw.from}: not an entra-pim-setup journal (no entries)`);
  const given = raw.tenantId?.trim();
  const tenantProblem = given ? tenantInputProblem(given) : undefined;
  if (tenantProblem) throw new UsageError(tenantProblem);
  // A verified domain is compared with the journal's tenant as the GUID it resolves to, once the
  // session (with the journal's cloud) can look it up; a GUID is compared here.
  const domain = given !== undefined && !isGuid(given);
  const target = journalTarget(domain ? { ...raw, tenantId: undefined } : raw, starts);
  const session = await openSession({ ...raw, ...target, journal: raw.restoreJournal }, io, { tenantGiven: true });
  const journalTenant = target.tenantId?.trim();
  const tenantId = domain ? await resolveTenant(session, given, mode === 'audit') : journalTenant;
  if (!tenantId || !isGuid(tenantId))
    throw new UsageError(
      '--tenant-id is required (or AZURE_TENANT_ID): the directory (tenant) id (a GUID) or a verified domain of the tenant',
    );
  if (domain && journalTenant && journalTenant.toLowerCase() !== tenantId.toLowerCase()) {
    throw new UsageError(`--tenant-id ${given}: that is tenant ${tenantId}, and the journal's run was on tenant ${journalTenant}`);
  }
  if (raw.group !== undefined && !isGuid(raw.group))
    throw new UsageError(`--group ${raw.group}: give the object id (a GUID) of the group to restore into`);
  const source = { removed: removedMembers(entries), groups: journalGroups(entries) };

  const { journal, file } = journalFor(session, mode, tenantId, session.options.journal, '--restore-journal');
  const graph = await connectGraph(session, tenantId, mode === 'audit', journal, { command: 'restore', dryRun: mode === 'audit' });
  const options = { mode, tenantId, yes: Boolean(raw.yes) };
  // The group restore read, for the confirmation and the report's meta.
  let group: LiveGroup | undefined;
  const ctx: RestoreContext & ReportSubject = {
    options,
    graph,
    journal,
    log: session.log,
    prompt: prompterFor(session, options.yes),
    reportFacts: () => (group ? { group: { id: group.id, displayName: group.displayName } } : {}),
  };
  const read = async (c: RestoreContext): Promise<RestoreSnapshot> => {
    const snapshot = await readRestore(c, source);
    group = (snapshot.ok && snapshot.value.group) || undefined;
    return snapshot;
  };
  // Restoring grants standing admin rights back: it always asks (naming the count and the group),
  // and scripts must say --yes.
  const { hooks, progress } = await runHooks<RestoreContext, RestoreSnapshot>(session, mode, async (plans) => {
    const adds = plans.flatMap((p) => p.actions.filter((a) => a.kind === 'create'));
    const into = group ? `${group.displayName} (${group.id})` : 'the admin group';
    const what = `add ${adds.length} member(s) back to ${into}`;
    if (!ctx.prompt.interactive && !options.yes) {
      throw new UsageError(`restore would ${what}; pass --yes to confirm (or --dry-run to preview). Nothing was changed`);
    }
    if (options.yes) return true;
    // Each summary holds live display names: made safe line by line, so a name cannot add a line of its own to this list.
    session.io.stderr(['', 'Planned changes:', ...adds.map((a) => `  + ${safeLine(a.summary, false)}`), ''].join('\n') + '\n');
    const many = adds.length > MANY ? ` (more than ${MANY}: check each one above)` : '';
    return ctx.prompt.confirm(`Restore: ${what}${many}?`, { flag: '--yes', default: false });
  });
  return executeAndReport<RestoreContext & ReportSubject, RestoreSnapshot>(
    session,
    ctx,
    [restoreStep(source, session.options.graphBase, raw.group)],
    read,
    hooks,
    progress,
    file,
    undefined,
    restoreWords(mode),
  );
}

/** What restore's report calls itself and its result: not an audit, and no "drift". */
function restoreWords(mode: RunMode): ReportWords {
  const preview = mode === 'audit';
  return {
    title: preview ? 'entra-pim-setup restore preview (read-only)' : 'entra-pim-setup restore',
    result: (status, changes, errors) => {
      const toFix = errors ? `, ${errors} error(s) to fix` : '';
      switch (status) {
        case 'compliant':
          return 'Result: nothing to restore — no member the journal names is missing.';
        case 'drift':
          return (
            `Result: ${changes ? `to restore — ${changes} member(s) would be added back` : 'nothing would be added back'}${toFix}. ` +
            `Nothing was sent: this was a preview.`
          );
        case 'changed':
          return `Result: restored — ${changes} member(s) added back.`;
        default:
          return undefined;
      }
    },
  };
}

/** The largest journal restore reads: far above a run that empties 5,000 members (about 5 MiB). */
const MAX_JOURNAL_BYTES = 256 * 1024 * 1024;

/**
 * Reads the journal to restore from: a regular file, not through a symbolic link (which could
 * point restore at another file than the one named), and of a sane size.
 */
function readJournalFile(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      `--journal ${path}: ${code === 'ELOOP' ? 'a symbolic link; give the journal file itself' : 'cannot read that file'}`,
    );
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UsageError(`--journal ${path}: not a regular file`);
    if (st.size > MAX_JOURNAL_BYTES)
      throw new UsageError(`--journal ${path}: larger than ${MAX_JOURNAL_BYTES / 1024 / 1024} MiB, not a journal of this tool`);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}
