import type { RunContext } from '../context.js';
import { resolveRunOptions, type RawOptions } from '../options.js';
import type { RunMode } from '../plan/types.js';
import { STEPS } from '../steps/index.js';
import { connectGraph, executeAndReport, journalFor, openSession, prompterFor, runHooks, type CommandIo } from './session.js';

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
  return executeAndReport(session, ctx, STEPS, hooks, progress, file);
}
