import type { RunContext } from '../context.js';
import { ExitCode, StopError } from '../errors.js';
import { createTokenSource, defaultAuthMethod } from '../graph/credential.js';
import { graphScope } from '../graph/clouds.js';
import { GraphApi } from '../graph/graph-api.js';
import { defaultJournalPath, FileJournal, MemoryJournal, type Journal } from '../journal.js';
import { isInteractive, resolveRunOptions, resolveSession, type RawOptions } from '../options.js';
import { renderReport, renderStep, reportJson } from '../plan/render.js';
import { execute } from '../plan/runner.js';
import type { RunMode, RunReport, StepReport } from '../plan/types.js';
import { STEPS } from '../steps/index.js';
import { colorEnabled, createColors } from '../ui/color.js';
import { createLogger } from '../ui/log.js';
import { nonInteractivePrompter, terminalPrompter } from '../ui/prompt.js';
import { createProgress } from '../ui/spinner.js';

export interface CommandIo {
  env: NodeJS.ProcessEnv;
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  stdinTTY: boolean;
  stderrTTY: boolean;
  argv: string[];
  version: string;
}

/** Exit code of a finished report. */
export function exitCodeOf(report: RunReport): number {
  switch (report.status) {
    case 'compliant':
    case 'changed':
      return ExitCode.ok;
    case 'drift':
      return ExitCode.drift;
    default:
      return ExitCode.error;
  }
}

/** `run` and `audit`: resolve inputs, plan every step, then (run only) confirm and apply. */
export async function runCommand(mode: RunMode, raw: RawOptions, io: CommandIo): Promise<number> {
  const effectiveMode: RunMode = raw.dryRun ? 'audit' : mode;
  const session = resolveSession(raw, io.env);
  const interactive = isInteractive(raw, io.env, io.stdinTTY, io.stderrTTY);
  const colors = await createColors(colorEnabled({ noColor: session.noColor, json: session.json, isTTY: io.stderrTTY, env: io.env }));
  const log = createLogger(session.level, colors, io.stderr);
  const now = new Date();
  const options = resolveRunOptions(raw, { mode: effectiveMode, interactive, env: io.env, now });
  const prompt = interactive ? terminalPrompter(options.yes) : nonInteractivePrompter(options.yes);

  const method = session.auth ?? defaultAuthMethod(io.env, interactive);
  const tokens = await createTokenSource({
    method,
    tenantId: options.tenantId,
    authorityHost: session.authorityHost,
    scope: graphScope(session.graphBase),
    env: io.env,
    log,
  });

  let journal: Journal;
  let fileJournal: FileJournal | undefined;
  if (effectiveMode === 'audit') {
    journal = new MemoryJournal();
  } else {
    fileJournal = new FileJournal(session.journal ?? defaultJournalPath(now));
    fileJournal.note({ type: 'start', time: now.toISOString(), tool: 'entra-pim-setup', version: io.version, mode: effectiveMode, tenantId: options.tenantId, argv: io.argv });
    journal = fileJournal;
  }

  const graph = new GraphApi({ baseUrl: session.graphBase, tokens, log, journal, readOnly: effectiveMode === 'audit' });
  const ctx: RunContext = { options, graph, journal, log, prompt, facts: {}, now: () => new Date() };
  if (options.keycloak) {
    const { KeycloakApi } = await import('../keycloak/keycloak-api.js');
    ctx.keycloak = new KeycloakApi({ settings: options.keycloak, readOnly: effectiveMode === 'audit', journal, log });
    await ctx.keycloak.connect();
  }

  const progress = await createProgress(interactive && !session.json && colors.enabled);
  const verb = { plan: effectiveMode === 'audit' ? 'Checking' : 'Planning', apply: 'Applying' };
  let report: RunReport;
  try {
    report = await execute(STEPS, ctx, {
      stepStarted: (step, phase) => progress.start(`${verb[phase]}: ${step.title}`),
      stepFinished: (step, phase, r) => {
        const text = `${step.title}: ${r.status}`;
        if (r.status === 'failed') progress.fail(text);
        else if (r.status === 'warning' || r.status === 'skipped') progress.warn(text);
        else progress.succeed(text);
      },
      confirm: (plans) => confirmPlan(plans, ctx, colors, io),
    });
  } finally {
    progress.stop();
  }
  if (fileJournal) {
    fileJournal.close(report.status);
    if (!fileJournal.written) report.journal = undefined;
  }
  io.stdout(session.json ? reportJson(report) : renderReport(colors, report, { showRequests: session.level !== 'normal' }));
  return exitCodeOf(report);
}

/**
 * Shows the whole plan (with the names of the members to be removed) and asks once. A
 * non-interactive run proceeds without asking unless it would remove someone: that needs --yes.
 */
async function confirmPlan(plans: StepReport[], ctx: RunContext, colors: Awaited<ReturnType<typeof createColors>>, io: CommandIo): Promise<boolean> {
  const removals = plans.flatMap((p) => p.actions.filter((a) => a.kind === 'delete'));
  if (!ctx.prompt.interactive) {
    if (removals.length && !ctx.options.yes) {
      throw new StopError(`this run would remove ${removals.length} standing member(s) from the admin group; pass --yes to confirm (or run audit to review first). Nothing was changed`, ExitCode.error);
    }
    return true;
  }
  if (ctx.options.yes) return true;
  const lines = ['', colors.bold('Planned changes:')];
  for (const p of plans.filter((s) => s.status === 'would-change')) lines.push(...renderStep(colors, p, { showRequests: false, showNoops: false }));
  io.stderr(lines.join('\n') + '\n\n');
  return ctx.prompt.confirm(removals.length ? `Apply these changes, removing ${removals.length} member(s)?` : 'Apply these changes?', { flag: '--yes', default: false });
}
