// What a run needs once the questions are answered: the spinners, the confirmation, the runner
// and the report. Kept apart from session.ts so that the wizard's first question does not wait
// for these modules to load (run imports this file only after the wizard).
import type { RunContext } from '../context.js';
import { ExitCode, StopError } from '../errors.js';
import type { FileJournal } from '../journal-file.js';
import { renderReport, renderStep, reportJson, type ReportWords } from '../plan/render.js';
import { execute } from '../plan/runner.js';
import { reportMeta, type ReportSubject } from '../report-meta.js';
import { writeReportFile } from '../report.js';
import type { RunMode, RunReport, Step, StepReport } from '../plan/types.js';
import type { Colors } from '../ui/color.js';
import type { Logger } from '../ui/log.js';
import { redactText } from '../core/redact.js';
import { safeLine } from '../ui/safe-text.js';
import { createProgress, type Progress } from '../ui/spinner.js';
import type { RunHooks, RunnerContext } from '../plan/runner.js';
import { exitCodeOf, type Session } from './session.js';

/** Spinner hooks for the runner, with the command's one confirmation before writes. */
export async function runHooks<C, S>(
  session: Session,
  mode: RunMode,
  confirm: RunHooks<C, S>['confirm'],
): Promise<{ hooks: RunHooks<C, S>; progress: Progress }> {
  const progress = await createProgress(
    session.interactive && !session.options.json && session.options.level !== 'quiet',
    session.colors.enabled,
  );
  const verb = { plan: mode === 'audit' ? 'Checking' : 'Planning', apply: 'Applying' };
  const hooks: RunHooks<C, S> = {
    readStarted: () => progress.start(`${verb.plan}: reading`),
    stepStarted: (step, phase) => progress.start(`${verb[phase]}: ${step.title}`),
    stepFinished: (step, _phase, r) => {
      const text = `${step.title}: ${r.status}`;
      if (r.status === 'failed') progress.fail(text);
      else if (r.status === 'warning' || r.status === 'skipped') progress.warn(text);
      else progress.succeed(text);
    },
    confirm,
  };
  return { hooks, progress };
}

/**
 * Shows the whole plan (with the names of the members to be removed) and asks once. A
 * non-interactive run proceeds without asking unless it would remove someone: that needs --yes.
 */
export async function confirmPlan(plans: StepReport[], ctx: RunContext, session: Session): Promise<boolean> {
  const removals = plans.flatMap((p) => p.actions.filter((a) => a.kind === 'delete'));
  if (!ctx.prompt.interactive) {
    if (removals.length && !ctx.options.yes) {
      throw new StopError(
        `this run would remove ${removals.length} standing member(s) from the admin group; pass --yes to confirm (or run audit ` +
          `to review first). Nothing was changed`,
        ExitCode.error,
        'NEEDS_YES',
      );
    }
    return true;
  }
  if (ctx.options.yes) return true;
  session.io.stderr(confirmationText(plans, session.colors) + '\n\n');
  return ctx.prompt.confirm(removals.length ? `Apply these changes, removing ${removals.length} member(s)?` : 'Apply these changes?', {
    flag: '--yes',
    default: false,
  });
}

/**
 * Pure: what the confirmation shows. Every error and warning of every step comes first, those of
 * steps that change nothing too (a group owner who can bypass PIM is a reason to say no), then
 * the changes: the decision is made with both in view, not after the changes were applied.
 */
export function confirmationText(plans: StepReport[], c: Colors): string {
  const lines: string[] = [];
  const notes = plans.flatMap((p) => p.findings.filter((f) => f.severity !== 'info').map((f) => ({ step: p, f })));
  if (notes.length) {
    lines.push('', c.bold('Before you confirm:'));
    for (const { step, f } of notes) {
      const mark = f.severity === 'error' ? c.red('✖ error') : c.yellow('! warning');
      lines.push(safeLine(`  ${mark} ${f.message} ${c.dim(`[${step.id}: ${f.code}]`)}`, c.enabled));
      if (f.fix) lines.push(safeLine(c.dim(`      fix: ${f.fix}`), c.enabled));
    }
  }
  lines.push('', c.bold('Planned changes:'));
  for (const p of plans.filter((s) => s.status === 'would-change')) {
    // Errors and warnings are listed above; a changing step keeps its notes (e.g. that the first
    // eligibility brings the group under PIM, irreversibly) next to its changes.
    lines.push(
      ...renderStep(c, { ...p, findings: p.findings.filter((f) => f.severity === 'info') }, { showRequests: false, showNoops: false }),
    );
  }
  return lines.join('\n');
}

/** One line on stderr for a run that stopped on errors, so scripts see why without parsing. */
export function summariseErrors(report: RunReport, log: Logger): void {
  if (report.status !== 'failed') return;
  // A step that could not plan or apply (Graph answered what the tool does not understand, a
  // request failed) is what stopped the run: it leads, ahead of the findings of other steps.
  const stopped = (code: string) => code === 'PLAN_FAILED' || code === 'APPLY_FAILED';
  const all = report.steps.flatMap((s) => s.findings.filter((f) => f.severity === 'error'));
  const errors = [...all.filter((f) => stopped(f.code)), ...all.filter((f) => !stopped(f.code))];
  if (errors.length === 0) return;
  log.error(`${errors[0].message}${errors.length > 1 ? ` (and ${errors.length - 1} more error(s): see the report)` : ''}`);
}

/**
 * Runs the steps with spinners, closes the journal, prints the report (text or --json) on
 * stdout and returns the exit code: the common tail of every command that plans and applies.
 */
export async function executeAndReport<C extends RunnerContext & ReportSubject, S>(
  session: Session,
  ctx: C,
  steps: Step<C, S>[],
  read: (ctx: C) => Promise<S>,
  hooks: RunHooks<C, S>,
  progress: Progress,
  file?: FileJournal,
  /** Text shown above the journal, time and `Result:` lines of a text report (the run's checklist). */
  epilogue?: (report: RunReport) => string | undefined,
  /** A command's own title and result line (restore). */
  words?: ReportWords,
): Promise<number> {
  let report: RunReport | undefined;
  try {
    report = await execute(steps, ctx, read, hooks);
  } finally {
    progress.stop();
    file?.close(report?.status ?? 'stopped');
  }
  // A journal that failed while the last answers or the end were written: the run's own report
  // already names a failure during a step; this covers the close.
  if (file?.failure && !report.steps.some((s) => s.findings.some((f) => f.message === file.failure))) session.log.warn(file.failure);
  if (file && !file.written) report.journal = undefined;
  summariseErrors(report, session.log);
  const { options, colors, io } = session;
  // Bodies echo what the user typed (e.g. a justification): mask any registered secret in them.
  const text = () =>
    renderReport(colors, report, {
      showRequests: options.level === 'verbose' || options.level === 'debug',
      elapsedMs: Math.max(0, Date.now() - session.now.getTime()),
      epilogue: epilogue?.(report),
      words,
    });
  io.stdout(redactText(options.json ? reportJson(report) : text()));
  const exitCode = exitCodeOf(report);
  if (options.report) {
    // After stdout, so a report that cannot be written still leaves the printed result; the
    // thrown error then makes the exit code 1, since the change record asked for is missing.
    const meta = reportMeta(ctx, report, {
      startedAt: session.now,
      version: io.version,
      argv: io.argv,
      env: io.env,
      exitCode,
      graphEndpoint: options.graphBase,
    });
    writeReportFile(options.report, report, meta, ctx.reportDetails?.());
  }
  return exitCode;
}
