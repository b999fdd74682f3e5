import { ExitCode, GraphRequestError, InterruptedError, KeycloakError, StopError, UsageError } from '../errors.js';
import { SkipStep } from './skip.js';
import type { OptionsOf, RunMode, RunReport, RunStatus, Step, StepPlan, StepReport, StepStatus } from './types.js';

/** What the runner reads from a command's context: the mode and tenant it reports, and the journal. */
export interface RunnerContext {
  options: { mode: RunMode; tenantId: string };
  journal: { readonly path: string | undefined };
}

/** Progress callbacks (spinners in a terminal, nothing in scripts). */
export interface RunHooks<C = unknown, S = unknown> {
  /** The read phase starts (prompts may follow: an ambiguous name asks which one). */
  readStarted?(): void;
  stepStarted?(step: Step<C, S>, phase: 'plan' | 'apply'): void;
  stepFinished?(step: Step<C, S>, phase: 'plan' | 'apply', report: StepReport): void;
  /** Shown the full plan and the snapshot it was made from; resolves to false when the user declines. */
  confirm(plans: StepReport[], snapshot: S): Promise<boolean>;
}

/** Pure: a step's status from its plan. */
export function planStatus(plan: StepPlan): StepStatus {
  if (plan.findings.some((f) => f.severity === 'error')) return 'failed';
  if (plan.actions.some((a) => a.kind !== 'noop')) return 'would-change';
  if (plan.findings.some((f) => f.severity === 'warning')) return 'warning';
  return 'ok';
}

/** Pure: the overall status of a set of planned steps. */
export function auditStatus(steps: StepReport[]): RunStatus {
  if (steps.some((s) => s.findings.some((f) => f.code === 'PLAN_FAILED'))) return 'failed';
  if (steps.some((s) => s.status === 'failed' || s.status === 'would-change')) return 'drift';
  return 'compliant';
}

function isFatal(err: unknown): boolean {
  return err instanceof UsageError || err instanceof InterruptedError || (err as { name?: string })?.name === 'ExitPromptError';
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Plans every step from one snapshot: the shared path of audit and run. Nothing here reads or
 * writes; a step whose read failed reports that failure here.
 */
export async function planAll<C, S>(
  steps: Step<C, S>[],
  snapshot: S,
  ctx: C,
  hooks?: Partial<RunHooks<C, S>>,
): Promise<{ reports: StepReport[]; plans: Map<Step<C, S>, StepPlan> }> {
  const reports: StepReport[] = [];
  const plans = new Map<Step<C, S>, StepPlan>();
  for (const step of steps) {
    hooks?.stepStarted?.(step, 'plan');
    let report: StepReport;
    try {
      const plan = await step.plan(snapshot, (ctx as { options: OptionsOf<C> }).options);
      plans.set(step, plan);
      report = { id: step.id, title: step.title, status: planStatus(plan), findings: plan.findings, actions: plan.actions };
    } catch (err) {
      if (isFatal(err)) throw err;
      if (err instanceof SkipStep) {
        report = {
          id: step.id,
          title: step.title,
          status: 'skipped',
          findings: [{ severity: 'info', code: 'SKIPPED', message: err.message }],
          actions: [],
        };
      } else if (err instanceof GraphRequestError || err instanceof KeycloakError) {
        report = {
          id: step.id,
          title: step.title,
          status: 'failed',
          findings: [{ severity: 'error', code: 'PLAN_FAILED', message: err.message }],
          actions: [],
        };
      } else {
        throw err;
      }
    }
    reports.push(report);
    hooks?.stepFinished?.(step, 'plan', report);
  }
  return { reports, plans };
}

/**
 * Read, then decide. Audit: read once, plan and report. Run: read once, plan everything; stop
 * before any write when a step has an error finding; ask once; then apply step by step, stopping
 * at the first failure.
 */
export async function execute<C extends RunnerContext, S>(
  steps: Step<C, S>[],
  ctx: C,
  read: (ctx: C) => Promise<S>,
  hooks: RunHooks<C, S>,
): Promise<RunReport> {
  hooks.readStarted?.();
  const snapshot = await read(ctx);
  const { reports, plans } = await planAll(steps, snapshot, ctx, hooks);
  const base = {
    schemaVersion: 1 as const,
    mode: ctx.options.mode,
    tenantId: ctx.options.tenantId,
    steps: reports,
    journal: ctx.journal.path,
  };
  if (ctx.options.mode === 'audit') return { ...base, journal: undefined, status: auditStatus(reports) };

  const blocking = new Set(steps.filter((s) => s.blocksWrites !== false).map((s) => s.id));
  const blocked = reports.filter((r) => r.status === 'failed' && blocking.has(r.id));
  if (blocked.length) {
    return {
      ...base,
      journal: undefined,
      status: 'failed',
      error: `nothing was changed: ${blocked.map((b) => b.id).join(', ')} reported errors to fix first`,
    };
  }
  const unverified = reports.filter((r) => r.status === 'failed');
  const verifyError = unverified.length
    ? `${unverified.map((u) => u.id).join(', ')} reported errors: the setup is not proven end to end`
    : undefined;
  const changing = reports.filter((r) => r.status === 'would-change');
  if (changing.length === 0) {
    return { ...base, journal: undefined, status: verifyError ? 'failed' : 'compliant', ...(verifyError ? { error: verifyError } : {}) };
  }

  if (!(await hooks.confirm(reports, snapshot))) {
    throw new StopError('declined: nothing was changed', ExitCode.error, 'DECLINED');
  }

  const done: string[] = [];
  for (const step of steps) {
    const report = reports.find((r) => r.id === step.id)!;
    if (report.status !== 'would-change') continue;
    hooks.stepStarted?.(step, 'apply');
    try {
      await step.apply(plans.get(step)!, ctx, snapshot);
      report.status = 'changed';
      done.push(step.id);
      hooks.stepFinished?.(step, 'apply', report);
    } catch (err) {
      if ((err as { name?: string })?.name === 'ExitPromptError') throw err;
      report.status = 'failed';
      report.findings.push({
        severity: 'error',
        code: 'APPLY_FAILED',
        message: messageOf(err),
        fix: 'fix the cause and run the same command again: every change is idempotent, so it resumes where this run stopped',
      });
      hooks.stepFinished?.(step, 'apply', report);
      const summary = done.length ? `completed ${done.join(', ')}; ` : '';
      // A journal that could not be written stops the run before the request it was for: say
      // that, not that the journal holds every request (its last record may be missing).
      const journalBroken = (err as { name?: string })?.name === 'JournalError';
      const after = journalBroken
        ? 'the journal could not be written, so nothing more was sent; free space (or fix the file) and run the same command again'
        : 'the journal records every request sent; re-running resumes safely';
      return { ...base, status: 'failed', error: `${step.id} failed after ${summary}${after}` };
    }
  }
  if (verifyError) return { ...base, status: 'failed', error: `changes applied, but ${verifyError}` };
  return { ...base, status: 'changed' };
}
