import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import type { RunContext } from '../context.js';
import { UsageError } from '../errors.js';
import { journalGroups, readJournal, removedMembers } from '../journal.js';
import { DEFAULT_JUSTIFICATION, type RawOptions } from '../options.js';
import type { RunMode } from '../plan/types.js';
import { isGuid } from '../steps/common.js';
import { restoreStep } from '../steps/restore.js';
import { safeLine } from '../ui/safe-text.js';
import { tenantInputProblem } from '../graph/tenant.js';
import { connectGraph, executeAndReport, journalFor, openSession, prompterFor, resolveTenant, runHooks, type CommandIo } from './session.js';

/** Above this many members, the question says so: a journal naming many people deserves a look. */
const MANY = 10;

export interface RestoreOptions extends RawOptions {
  /** The journal to restore from (required). */
  from?: string;
  /** Where restore journals its own writes. */
  restoreJournal?: string;
  /** The object id of the group to restore into, named outside the journal (must match the journal's run). */
  group?: string;
}

/** `restore --journal FILE`: puts back every member that journal says was removed. */
export async function restoreCommand(raw: RestoreOptions, io: CommandIo): Promise<number> {
  const mode: RunMode = raw.dryRun ? 'audit' : 'run';
  // The tenant may come from the journal, which is read (and checked) below.
  const session = await openSession({ ...raw, journal: raw.restoreJournal }, io, { tenantGiven: true });
  if (!raw.from) throw new UsageError('--journal FILE is required: the journal of the run to undo');
  const text = readJournalFile(raw.from);
  const entries = readJournal(text);
  const start = entries.find((e) => e.type === 'start');
  if (!start && entries.length === 0) throw new UsageError(`--journal ${raw.from}: not an entra-pim-setup journal (no entries)`);
  const journalTenant = start?.type === 'start' ? start.tenantId : undefined;
  const given = raw.tenantId?.trim();
  const tenantProblem = given ? tenantInputProblem(given) : undefined;
  if (tenantProblem) throw new UsageError(tenantProblem);
  // A verified domain is compared with the journal's tenant as the GUID it resolves to.
  const tenantId = given ? await resolveTenant(session, given, mode === 'audit') : journalTenant;
  if (!tenantId || !isGuid(tenantId)) throw new UsageError('--tenant-id is required (or AZURE_TENANT_ID): the directory (tenant) id (a GUID) or a verified domain of the tenant');
  if (journalTenant && journalTenant.toLowerCase() !== tenantId.toLowerCase()) {
    throw new UsageError(`--tenant-id ${tenantId}: the journal is from tenant ${journalTenant}`);
  }
  if (raw.group !== undefined && !isGuid(raw.group)) throw new UsageError(`--group ${raw.group}: give the object id (a GUID) of the group to restore into`);
  const source = { removed: removedMembers(entries), groups: journalGroups(entries) };

  const { journal, file } = journalFor(session, mode, tenantId, session.options.journal, '--restore-journal');
  const graph = await connectGraph(session, tenantId, mode === 'audit', journal, { command: 'restore', dryRun: mode === 'audit' });
  const options = {
    mode,
    tenantId,
    group: '',
    eligible: [],
    justification: DEFAULT_JUSTIFICATION,
    policy: { approvers: [] },
    allowEmpty: false,
    yes: Boolean(raw.yes),
    interactive: session.interactive,
    skipKeycloak: true,
    fixKeycloak: false,
  };
  const ctx: RunContext = { options, graph, journal, log: session.log, prompt: prompterFor(session, options.yes), facts: {}, now: () => new Date() };
  const { hooks, progress } = await runHooks(session, ctx);
  // Restoring grants standing admin rights back: it always asks (naming the count and the group),
  // and scripts must say --yes.
  hooks.confirm = async (plans) => {
    const adds = plans.flatMap((p) => p.actions.filter((a) => a.kind === 'create'));
    const into = ctx.facts.group ? `${ctx.facts.group.displayName} (${ctx.facts.group.id})` : 'the admin group';
    const what = `add ${adds.length} member(s) back to ${into}`;
    if (!ctx.prompt.interactive && !options.yes) {
      throw new UsageError(`restore would ${what}; pass --yes to confirm (or --dry-run to preview). Nothing was changed`);
    }
    if (options.yes) return true;
    // Each summary holds live display names: made safe line by line, so a name cannot add a line of its own to this list.
    session.io.stderr(['', 'Planned changes:', ...adds.map((a) => `  + ${safeLine(a.summary, false)}`), ''].join('\n') + '\n');
    const many = adds.length > MANY ? ` (more than ${MANY}: check each one above)` : '';
    return ctx.prompt.confirm(`Restore: ${what}${many}?`, { flag: '--yes', default: false });
  };
  return executeAndReport(session, ctx, [restoreStep(source, session.options.graphBase, raw.group)], hooks, progress, file);
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
    throw new UsageError(`--journal ${path}: ${code === 'ELOOP' ? 'a symbolic link; give the journal file itself' : 'cannot read that file'}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UsageError(`--journal ${path}: not a regular file`);
    if (st.size > MAX_JOURNAL_BYTES) throw new UsageError(`--journal ${path}: larger than ${MAX_JOURNAL_BYTES / 1024 / 1024} MiB, not a journal of this tool`);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}
