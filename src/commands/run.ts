import type { RunContext, RunOptions } from '../context.js';
import { ExitCode } from '../errors.js';
import type { AuthMethod } from '../graph/auth-methods.js';
import { resolveRunOptions, type RawOptions } from '../options.js';
import type { RunMode, RunReport } from '../plan/types.js';
import { tenantInputProblem } from '../graph/tenant.js';
import type { TenantSnapshot } from '../steps/snapshot.js';
import type { ReportSubject } from '../report-meta.js';
import {
  connectGraph,
  exitCodeOf,
  noteJournalStart,
  openJournal,
  openSession,
  prompterFor,
  resolveTenant,
  type CommandIo,
} from './session.js';

export type { CommandIo };

/** Whether any activation-policy flag was given (its write scope is asked for only then). */
function policyFlagsGiven(raw: RawOptions): boolean {
  return (
    raw.activationMax !== undefined ||
    raw.requireJustification !== undefined ||
    raw.requireMfa !== undefined ||
    raw.requireApproval !== undefined
  );
}

/**
 * `run` and `audit`: resolve inputs, plan every step, then (run only) confirm and apply. In
 * scripts every input is validated before the first request; on a terminal the wizard asks,
 * with the tenant's live data, for whatever flags, config and environment did not give.
 */
export async function runCommand(mode: RunMode, raw: RawOptions, io: CommandIo): Promise<number> {
  const effectiveMode: RunMode = raw.dryRun ? 'audit' : mode;
  const session = await openSession(raw, io);
  // The wizard may add Keycloak secrets typed at a masked prompt; the caller's env stays as it is.
  const env = { ...io.env };
  const resolve = () => resolveRunOptions(raw, { mode: effectiveMode, interactive: session.interactive, env, now: session.now });
  const prompt = prompterFor(session, Boolean(raw.yes));

  let options: RunOptions | undefined = session.interactive ? undefined : resolve();
  if (!options) {
    const { askSignIn } = await import('../wizard.js');
    await askSignIn(raw, prompt, env);
    session.options.auth ??= raw.auth as AuthMethod;
  }
  const given = options?.tenantId ?? raw.tenantId?.trim() ?? '';
  if (tenantInputProblem(given)) resolve(); // throws the usual one-line error naming --tenant-id
  // Checked before any request, the tenant's discovery for a domain included.
  const { journal, file } = openJournal(session, effectiveMode, session.options.journal);
  // A verified domain becomes the tenant's GUID here: the journal and the sign-in use the GUID.
  const tenantId = await resolveTenant(session, given, effectiveMode === 'audit');
  raw.tenantId = tenantId;
  if (options) options.tenantId = tenantId;
  if (file) noteJournalStart(session, file, effectiveMode, tenantId);
  const graph = await connectGraph(session, tenantId, effectiveMode === 'audit', journal, {
    command: effectiveMode,
    policyChanges: policyFlagsGiven(raw),
  });
  if (!options) {
    const { askRunInputs } = await import('../wizard.js');
    await askRunInputs(raw, { mode: effectiveMode, graph, prompt, log: session.log, now: session.now, env });
    options = resolve();
  }

  // The snapshot the read phase made, for the confirmation, the report's meta and the checklist.
  let snapshot: TenantSnapshot | undefined;
  const ctx: RunContext & ReportSubject = {
    options,
    graph,
    journal,
    log: session.log,
    prompt,
    now: () => new Date(),
    reportFacts: () => snapshot?.facts ?? {},
  };
  if (options.keycloak) {
    const { KeycloakApi } = await import('../keycloak/keycloak-api.js');
    ctx.keycloak = new KeycloakApi({ settings: options.keycloak, readOnly: effectiveMode === 'audit', journal, log: session.log });
    await ctx.keycloak.connect();
  }

  const { runHooks, confirmPlan, executeAndReport } = await import('./session-run.js');
  const { hooks, progress } = await runHooks<RunContext, TenantSnapshot>(session, effectiveMode, async (plans, read) => {
    const ok = await confirmPlan(plans, ctx, session);
    // The journal names the run's group before its first write: restore puts members back into
    // that group only, so a line added for another group is refused.
    const group = read.facts.group;
    if (ok && group) journal.note({ type: 'group', time: new Date().toISOString(), groupId: group.id, displayName: group.displayName });
    return ok;
  });
  // The steps, the read phase and the checklist load only now: on a terminal, after the wizard's
  // questions, so the first question does not wait for their modules.
  const [{ STEPS }, { readTenant }, { renderChecklist }] = await Promise.all([
    import('../steps/index.js'),
    import('../steps/read-tenant.js'),
    import('../plan/checklist.js'),
  ]);
  // The checklist comes above the `Result:` line, which stays last.
  const checklist = (report: RunReport) =>
    exitCodeOf(report) === ExitCode.ok && effectiveMode === 'run'
      ? renderChecklist(ctx.options, snapshot?.facts ?? {}, session.colors)
      : undefined;
  const read = async (c: RunContext) => (snapshot = await readTenant(c));
  return executeAndReport<RunContext & ReportSubject, TenantSnapshot>(session, ctx, STEPS, read, hooks, progress, file, checklist);
}
