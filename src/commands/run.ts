import type { RunContext } from '../context.js';
import { resolveRunOptions, type RawOptions } from '../options.js';
import { renderReport, reportJson } from '../plan/render.js';
import { execute } from '../plan/runner.js';
import type { RunMode, RunReport } from '../plan/types.js';
import { STEPS } from '../steps/index.js';
import { connectGraph, exitCodeOf, journalFor, openSession, prompterFor, runHooks, summariseErrors, type CommandIo } from './session.js';

export type { CommandIo };

/** `run` and `audit`: resolve inputs, plan every step, then (run only) confirm and apply. */
export async function runCommand(mode: RunMode, raw: RawOptions, io: CommandIo): Promise<number> {
  const effectiveMode: RunMode = raw.dryRun ? 'audit' : mode;
  const session = await openSession(raw, io);
  const options = resolveRunOptions(raw, { mode: effectiveMode, interactive: session.interactive, env: io.env, now: session.now });
  const { journal, file } = journalFor(session, effectiveMode, options.tenantId, session.options.journal);
  const graph = await connectGraph(session, options.tenantId, effectiveMode === 'audit', journal);
  const ctx: RunContext = { options, graph, journal, log: session.log, prompt: prompterFor(session, options.yes), facts: {}, now: () => new Date() };
  if (options.keycloak) {
    const { KeycloakApi } = await import('../keycloak/keycloak-api.js');
    ctx.keycloak = new KeycloakApi({ settings: options.keycloak, readOnly: effectiveMode === 'audit', journal, log: session.log });
    await ctx.keycloak.connect();
  }

  const { hooks, progress } = await runHooks(session, ctx);
  let report: RunReport | undefined;
  try {
    report = await execute(STEPS, ctx, hooks);
  } finally {
    progress.stop();
    file?.close(report?.status ?? 'stopped');
  }
  if (file && !file.written) report.journal = undefined;
  summariseErrors(report, session.log);
  io.stdout(session.options.json ? reportJson(report) : renderReport(session.colors, report, { showRequests: session.options.level !== 'normal' }));
  return exitCodeOf(report);
}
