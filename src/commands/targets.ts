import { statSync } from 'node:fs';
import path from 'node:path';
import type { TargetConfig } from '../config-targets.js';
import { InterruptedError, UsageError } from '../errors.js';
import type { AuthMethod } from '../graph/auth-methods.js';
import { defaultJournalPath } from '../journal-file.js';
import { MemoryJournal } from '../journal.js';
import { resolveRunOptions, type RawOptions } from '../options.js';
import { execute } from '../plan/runner.js';
import type { RunMode, RunReport } from '../plan/types.js';
import { redactText } from '../core/redact.js';
import { reportMeta } from '../report-meta.js';
import { writeReportText } from '../report.js';
import { createLogger } from '../ui/log.js';
import { policyFlagsGiven, runCommand, type TargetSeam } from './run.js';
import { connectGraph, exitCodeOf, openJournal, openSession, prompterFor, resolveTenant, type CommandIo, type Session } from './session.js';
import { summariseErrors } from './session-run.js';
import {
  exitCodeOfStatus,
  overallStatus,
  targetsJson,
  targetsMarkdown,
  targetsReportJson,
  summaryText,
  type TargetOutcome,
} from './targets-summary.js';
import { mapBounded } from '../core/bounded.js';

/** Targets audited at once: enough to overlap the reads, few enough to stay far from Graph's limits. */
const AUDIT_PARALLEL = 2;

/**
 * The journal of one target: the default name with the target's name in it; an explicit
 * `--journal` is a folder (the default name inside it) or a name holding `{target}`.
 */
export function targetJournalPath(explicit: string | undefined, name: string, now: Date, cwd = process.cwd()): string {
  const withName = (dir: string) => defaultJournalPath(now, dir).replace(/\.jsonl$/, `-${name}.jsonl`);
  if (explicit === undefined) return withName(cwd);
  if (explicit.includes('{target}')) return explicit.replaceAll('{target}', name);
  let folder: boolean;
  try {
    folder = statSync(explicit).isDirectory();
  } catch {
    folder = false;
  }
  if (!folder)
    throw new UsageError(
      `--journal ${explicit}: with several targets give a folder, or a file name containing {target}, so that each target keeps its own journal`,
    );
  return withName(path.resolve(explicit));
}

/**
 * `audit` and `run` over the `targets:` of a config file, under one sign-in and one Graph
 * gateway: every target's inputs and journal are checked before the first request; audit checks
 * AUDIT_PARALLEL targets at once, run applies them one after another and stops at the first that
 * fails. Prints one summary (or one JSON document), writes one report, and returns the worst exit.
 */
export async function targetsCommand(mode: RunMode, raw: RawOptions, targets: TargetConfig[], io: CommandIo): Promise<number> {
  const effectiveMode: RunMode = raw.dryRun ? 'audit' : mode;
  // Saved plans name one target each.
  for (const [key, flag] of [
    ['plan', '--plan'],
    ['out', '--out'],
    ['planMaxAge', '--plan-max-age'],
    ['planDigest', '--plan-digest'],
  ])
    if ((raw as Record<string, unknown>)[key] !== undefined)
      throw new UsageError(`${flag}: not taken with the targets of --config yet; run one target per config file to save or apply a plan`);
  const session = await openSession(raw, io);
  const env = { ...io.env };
  if (session.interactive) {
    const { askSignIn } = await import('../wizard.js');
    await askSignIn(raw, prompterFor(session, Boolean(raw.yes)), env);
    session.options.auth ??= raw.auth as AuthMethod;
  }
  // Nothing is asked per target during an audit (targets run side by side): an ambiguous name is
  // an error naming its flag, as in a script. A run confirms each target's plan on a terminal.
  const interactive = session.interactive && effectiveMode === 'run';
  const planned = targets.map((t) => {
    const targetRaw: RawOptions = { ...raw, ...t.values };
    try {
      const options = resolveRunOptions(targetRaw, { mode: effectiveMode, interactive, env, now: session.now });
      const journal = effectiveMode === 'run' ? targetJournalPath(raw.journal, t.name, session.now) : undefined;
      if (journal) openJournal(session, 'run', journal);
      return { name: t.name, raw: targetRaw, options, journal };
    } catch (err) {
      if (err instanceof UsageError) throw new UsageError(`target ${t.name}: ${err.message}`);
      throw err;
    }
  });

  const tenantId = await resolveTenant(session, planned[0].options.tenantId, effectiveMode === 'audit');
  // One sign-in and one gateway for every target; each target's writes go to its own journal.
  const graph = await connectGraph(session, tenantId, effectiveMode === 'audit', new MemoryJournal(), {
    command: effectiveMode,
    policyChanges: planned.some((t) => policyFlagsGiven(t.raw)),
  });

  const runOne = async (t: (typeof planned)[number], index: number): Promise<TargetOutcome> => {
    const stderr = (s: string) => io.stderr(s.replace(/^(?=[^\n])/gm, `[${t.name}] `));
    const tio: CommandIo = { ...io, stderr };
    const log = createLogger(session.options.level, session.colors, stderr);
    const tsession: Session = { ...session, io: tio, interactive, log };
    const startedAt = new Date();
    let outcome: TargetOutcome = { name: t.name, status: 'failed', error: 'stopped before its report' };
    const finish: TargetSeam['finish'] = async (ctx, steps, read, hooks, progress, file) => {
      let report: RunReport | undefined;
      try {
        report = await execute(steps, ctx, read, hooks);
      } finally {
        progress.stop();
        file?.close(report?.status ?? 'stopped');
      }
      if (file?.failure && !report.steps.some((s) => s.findings.some((f) => f.message === file.failure))) log.warn(file.failure);
      if (file && !file.written) report.journal = undefined;
      summariseErrors(report, log);
      const exitCode = exitCodeOf(report);
      const meta = reportMeta(ctx, report, {
        startedAt,
        version: io.version,
        argv: io.argv,
        env: io.env,
        exitCode,
        graphEndpoint: session.options.graphBase,
      });
      // The summary names why a target failed, as the one stderr line of a single run does.
      const firstError = report.steps.flatMap((s) => s.findings).find((f) => f.severity === 'error')?.message;
      const error = report.status === 'failed' ? (report.error ?? firstError) : undefined;
      outcome = { name: t.name, status: report.status, report, meta, details: ctx.reportDetails?.(), ...(error ? { error } : {}) };
      return exitCode;
    };
    log.info(`${effectiveMode === 'audit' ? 'checking' : 'planning'} (target ${index + 1} of ${planned.length})`);
    try {
      await runCommand(mode, { ...t.raw }, tio, { session: tsession, graph, tenantId, options: t.options, journal: t.journal, finish });
    } catch (err) {
      if (err instanceof InterruptedError) throw err;
      const message = String((err as Error).message ?? err).split('\n')[0];
      log.error(message);
      return { name: t.name, status: 'failed', error: message };
    }
    log.info(`${outcome.status}${outcome.report?.journal ? `; journal ${outcome.report.journal}` : ''}`);
    return outcome;
  };

  let outcomes: TargetOutcome[];
  if (effectiveMode === 'audit') {
    outcomes = await mapBounded(planned, AUDIT_PARALLEL, (t, i) => runOne(t, i));
  } else {
    // One after another, each confirmed on its own; after a failure the rest are not run.
    outcomes = [];
    for (const [i, t] of planned.entries()) {
      if (outcomes.some((o) => o.status === 'failed')) outcomes.push({ name: t.name, status: 'not-run' });
      else outcomes.push(await runOne(t, i));
    }
  }

  io.stdout(
    redactText(session.options.json ? targetsJson(effectiveMode, tenantId, outcomes) : summaryText(effectiveMode, tenantId, outcomes)),
  );
  const report = session.options.report;
  if (report) {
    writeReportText(
      report,
      /\.json$/i.test(report) ? targetsReportJson(effectiveMode, tenantId, outcomes) : targetsMarkdown(effectiveMode, tenantId, outcomes),
    );
  }
  return exitCodeOfStatus(overallStatus(outcomes.map((o) => o.status)));
}
