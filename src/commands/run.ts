import type { RunContext, RunOptions } from '../context.js';
import { ExitCode } from '../errors.js';
import type { AuthMethod } from '../graph/auth-methods.js';
import { resolveRunOptions, type RawOptions } from '../options.js';
import path from 'node:path';
import type { RunMode, RunReport } from '../plan/types.js';
import type { PlanFlags } from './plan-file.js';
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
  type Session,
} from './session.js';
import type { GraphApi } from '../graph/graph-api.js';
import type { FileJournal } from '../journal-file.js';
import type { RunHooks } from '../plan/runner.js';
import type { Step } from '../plan/types.js';
import type { Progress } from '../ui/spinner.js';

export type { CommandIo };

/**
 * One target of several (commands/targets.ts): the session and Graph gateway are already open and
 * shared, the options resolved; the caller runs the steps and keeps the report (`finish`).
 */
export interface TargetSeam {
  session: Session;
  graph: GraphApi;
  tenantId: string;
  options: RunOptions;
  journal?: string;
  finish: (
    ctx: RunContext & ReportSubject,
    steps: Step<RunContext, TenantSnapshot>[],
    read: (ctx: RunContext) => Promise<TenantSnapshot>,
    hooks: RunHooks<RunContext, TenantSnapshot>,
    progress: Progress,
    file: FileJournal | undefined,
    checklist: (report: RunReport) => string | undefined,
  ) => Promise<number>;
}

/** Whether any activation-policy flag was given (its write scope is asked for only then). */
export function policyFlagsGiven(raw: RawOptions): boolean {
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
export async function runCommand(mode: RunMode, raw: RawOptions & PlanFlags, io: CommandIo, target?: TargetSeam): Promise<number> {
  const effectiveMode: RunMode = raw.dryRun ? 'audit' : mode;
  // A saved plan: checked, and its inputs taken, before anything else (the session's endpoint included).
  const savedPlans =
    raw.out !== undefined || raw.plan !== undefined || raw.planMaxAge !== undefined || raw.planDigest !== undefined
      ? await import('./plan-file.js')
      : undefined;
  savedPlans?.checkPlanFlags(mode, raw);
  const plan = raw.plan !== undefined ? savedPlans!.loadPlan(raw, new Date()) : undefined;
  const session = target?.session ?? (await openSession(raw, io));
  // The wizard may add Keycloak secrets typed at a masked prompt; the caller's env stays as it is.
  const env = { ...io.env };
  const resolve = () => resolveRunOptions(raw, { mode: effectiveMode, interactive: session.interactive, env, now: session.now });
  const prompt = prompterFor(session, Boolean(raw.yes));

  // A saved plan holds every input: nothing is asked.
  let options: RunOptions | undefined = target?.options ?? (session.interactive && !plan ? undefined : resolve());
  if (!options) {
    const { askSignIn } = await import('../wizard.js');
    await askSignIn(raw, prompt, env);
    session.options.auth ??= raw.auth as AuthMethod;
  }
  const given = options?.tenantId ?? raw.tenantId?.trim() ?? '';
  if (tenantInputProblem(given)) resolve(); // throws the usual one-line error naming --tenant-id
  // Checked before any request, the tenant's discovery for a domain included.
  const { journal, file } = openJournal(session, effectiveMode, target ? target.journal : session.options.journal);
  // A verified domain becomes the tenant's GUID here: the journal and the sign-in use the GUID.
  const tenantId = target?.tenantId ?? (await resolveTenant(session, given, effectiveMode === 'audit'));
  if (plan) savedPlans!.checkPlanTenant(plan, raw.plan!, tenantId);
  raw.tenantId = tenantId;
  if (options) options.tenantId = tenantId;
  if (file) noteJournalStart(session, file, effectiveMode, tenantId);
  const graph = target
    ? target.graph.withJournal(journal, session.log)
    : await connectGraph(session, tenantId, effectiveMode === 'audit', journal, {
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
    reportDetails: () => ({ snapshot, checklist: { options: ctx.options, found: snapshot?.facts ?? {} } }),
    prompt,
    now: () => new Date(),
    reportFacts: () => snapshot?.facts ?? {},
    ticket: options.ticket,
    ...(plan ? { appliedPlan: { file: path.resolve(raw.plan!), digest: plan.digest, createdAt: plan.createdAt }, exactWrites: true } : {}),
  };
  if (options.keycloak) {
    const { KeycloakApi } = await import('../keycloak/keycloak-api.js');
    ctx.keycloak = new KeycloakApi({ settings: options.keycloak, readOnly: effectiveMode === 'audit', journal, log: session.log });
    await ctx.keycloak.connect();
  }

  const { runHooks, confirmPlan, executeAndReport } = await import('./session-run.js');
  const { hooks, progress } = await runHooks<RunContext, TenantSnapshot>(session, effectiveMode, async (plans, read) => {
    // Applying a saved plan asks nothing: the approval was its review.
    const ok = ctx.appliedPlan ? true : await confirmPlan(plans, ctx, session);
    if (ok && ctx.appliedPlan) journal.note({ type: 'plan', time: new Date().toISOString(), ...ctx.appliedPlan });
    // The journal names the run's group before its first write: restore puts members back into
    // that group only, so a line added for another group is refused.
    const group = read.facts.group;
    if (ok && group) journal.note({ type: 'group', time: new Date().toISOString(), groupId: group.id, displayName: group.displayName });
    if (ok && options.ticket) journal.note({ type: 'ticket', time: new Date().toISOString(), ...options.ticket });
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
  const read = async (c: RunContext) => {
    snapshot = await readTenant(c);
    if (plan) savedPlans!.checkUnchanged(plan, raw.plan!, snapshot, ctx.options);
    return snapshot;
  };
  const steps = plan ? savedPlans!.planSteps(STEPS, plan, raw.plan!) : STEPS;
  if (target) return target.finish(ctx, steps, read, hooks, progress, file, checklist);
  const code = await executeAndReport<RunContext & ReportSubject, TenantSnapshot>(
    session,
    ctx,
    steps,
    read,
    hooks,
    progress,
    file,
    checklist,
  );
  if (raw.out === undefined || !snapshot) return code;
  // The plan saved is what `run` would do from this same read: its steps planned as run judges
  // them (the tenant as it will be once the requests are answered), without I/O.
  const { planAll } = await import('../plan/runner.js');
  const planned = (await planAll(STEPS, snapshot, { ...ctx, options: { ...ctx.options, mode: 'run' as const } })).reports;
  const why = savedPlans!.unsavable(planned, STEPS);
  if (why) {
    session.log.error(`--out ${raw.out}: no plan saved: ${why}`);
    return ExitCode.error;
  }
  const saved = savedPlans!.buildPlan({
    version: io.version,
    snapshot,
    inputs: savedPlans!.planInputs(raw, tenantId),
    reports: planned,
    options: ctx.options,
  });
  savedPlans!.writePlanFile(raw.out, saved);
  const changes = saved.steps.reduce((n, s) => n + s.actions.filter((a) => a.kind !== 'noop').length, 0);
  session.log.info(`Plan saved to ${raw.out} (${changes} change(s), digest ${saved.digest}): apply it with run --plan ${raw.out}`);
  return code;
}
