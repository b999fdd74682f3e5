import type { RunOptions } from '../context.js';
import { ExitCode, StopError, UsageError } from '../errors.js';
import { release } from 'node:os';
import { createTokenSource } from '../graph/credential.js';
import { decideSignIn, defaultAuthMethod } from '../graph/sign-in-decision.js';
import { browserUnavailable, onPath } from '../graph/sign-in-environment.js';
import { CLOUDS, graphScope } from '../graph/clouds.js';
import { delegatedScopes, scopeUris, type ScopeRequest } from '../graph/delegated-scopes.js';
import { GraphApi } from '../graph/graph-api.js';
import { resolveTenantId } from '../graph/tenant.js';
import { isGuid } from '../core/ids.js';
import { MemoryJournal, type Journal } from '../journal.js';
import { defaultJournalPath, FileJournal } from '../journal-file.js';
import { isInteractive, resolveSession, type RawOptions, type SessionOptions } from '../options.js';
import type { RunMode, RunReport } from '../plan/types.js';
import { colorEnabled, createColors, type Colors } from '../ui/color.js';
import { createLogger, type Logger } from '../ui/log.js';
import { registerSecret, SECRET_ENV } from '../core/redact.js';
import { safeText } from '../ui/safe-text.js';
import { nonInteractivePrompter, terminalPrompter, type Prompter } from '../ui/prompt.js';

export interface CommandIo {
  env: NodeJS.ProcessEnv;
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  stdinTTY: boolean;
  stderrTTY: boolean;
  argv: string[];
  version: string;
}

/** What every command that talks to Graph shares: streams, colours, prompts, sign-in. */
export interface Session {
  io: CommandIo;
  options: SessionOptions;
  interactive: boolean;
  colors: Colors;
  log: Logger;
  now: Date;
}

/** Resolves session flags (no network): bad values fail here, before anything is sent. */
export async function openSession(raw: RawOptions, io: CommandIo, signIn: { tenantGiven?: boolean } = {}): Promise<Session> {
  for (const name of SECRET_ENV) registerSecret(io.env[name]);
  const options = resolveSession(raw, io.env);
  const interactive = isInteractive(raw, io.env, io.stdinTTY, io.stderrTTY);
  // The sign-in is decided here, before the first request: a browser that cannot open, a
  // script with nothing to sign in with, or a method missing variables fails now in one line,
  // not as a Graph request retried until it gives up.
  options.auth = decideSignIn({
    explicit: options.auth,
    env: io.env,
    interactive,
    noBrowser: browserUnavailable({
      env: io.env,
      stdinTTY: io.stdinTTY,
      stderrTTY: io.stderrTTY,
      platform: process.platform,
      osRelease: release(),
    }),
    azureCli: onPath('az', io.env),
    clientId: options.clientId,
    tenantGiven: signIn.tenantGiven ?? Boolean(raw.tenantId?.trim()),
  });
  const colors = await createColors(colorEnabled({ noColor: options.noColor, json: options.json, isTTY: io.stderrTTY, env: io.env }));
  return { io, options, interactive, colors, log: createLogger(options.level, colors, io.stderr), now: new Date() };
}

export function prompterFor(session: Session, yes: boolean): Prompter {
  return session.interactive ? terminalPrompter(yes) : nonInteractivePrompter(yes);
}

/**
 * The journal: none for read-only modes (the file appears only with the first write). An
 * existing file that may not serve (a link, someone else's) is refused here, before any request.
 */
export function journalFor(
  session: Session,
  mode: RunMode,
  tenantId: string,
  path?: string,
  flag = '--journal',
): { journal: Journal; file?: FileJournal } {
  const opened = openJournal(session, mode, path, flag);
  if (opened.file) noteJournalStart(session, opened.file, mode, tenantId);
  return opened;
}

/**
 * The journal of a run, checked (it can be written) but with no entry yet: a run opens it before
 * its first request of any kind, then notes the start once the tenant is known.
 */
export function openJournal(session: Session, mode: RunMode, path?: string, flag = '--journal'): { journal: Journal; file?: FileJournal } {
  if (mode === 'audit') return { journal: new MemoryJournal() };
  const file = new FileJournal(path ?? defaultJournalPath(session.now), flag);
  file.check();
  return { journal: file, file };
}

/** The journal's first entry: who ran what, on which tenant, cloud and Graph endpoint. */
export function noteJournalStart(session: Session, file: FileJournal, mode: RunMode, tenantId: string): void {
  // The cloud and Graph endpoint go with the tenant: restore signs in and writes where the run did.
  const { cloud, graphBase: graphEndpoint } = session.options;
  file.note({
    type: 'start',
    time: session.now.toISOString(),
    tool: 'entra-pim-setup',
    version: session.io.version,
    mode,
    tenantId,
    cloud,
    graphEndpoint,
    argv: session.io.argv,
  });
}

/**
 * Signs in (lazily loading @azure/identity when needed) and builds the Graph module. `need`
 * says what the command does: a public-client sign-in asks for exactly those delegated scopes.
 */
export async function connectGraph(
  session: Session,
  tenantId: string,
  readOnly: boolean,
  journal: Journal,
  need: ScopeRequest,
): Promise<GraphApi> {
  checkTlsVerification(session, readOnly);
  const noBrowser = browserUnavailable({
    env: session.io.env,
    stdinTTY: session.io.stdinTTY,
    stderrTTY: session.io.stderrTTY,
    platform: process.platform,
    osRelease: release(),
  });
  const method = session.options.auth ?? defaultAuthMethod(session.io.env, session.interactive, !noBrowser);
  // A method chosen in the wizard is checked as --auth would be (every missing variable at once).
  if (method === 'browser' && noBrowser)
    decideSignIn({
      explicit: method,
      env: session.io.env,
      interactive: session.interactive,
      noBrowser,
      azureCli: false,
      clientId: session.options.clientId,
      tenantGiven: true,
    });
  // Scope URIs name the cloud's Graph host: a --graph-endpoint override (a proxy) still forwards
  // to Graph, whose tokens Entra issues for that host.
  const scopeHost = CLOUDS[session.options.cloud].graph;
  const tokens = await createTokenSource({
    method,
    tenantId,
    authorityHost: session.options.authorityHost,
    scope: graphScope(session.options.graphBase),
    scopes: scopeUris(scopeHost, delegatedScopes(need)),
    clientId: session.options.clientId,
    env: session.io.env,
    log: session.log,
    // The device-code instruction is Entra's own text.
    prompt: (line) => session.io.stderr(`${safeText(line)}\n`),
  });
  if (tokens.scopes) {
    // A public client signs in now, before the first Graph call: the user answers one prompt,
    // and a declined or unconsented sign-in stops here with its reason, not as a retried request.
    try {
      await tokens.getToken(false);
    } catch (err) {
      throw new StopError(signInFailure(method, tokens.clientId, err), ExitCode.error, 'SIGN_IN');
    }
  }
  const timeout = Number(session.io.env.ENTRA_PIM_HTTP_TIMEOUT_MS);
  return new GraphApi({
    baseUrl: session.options.graphBase,
    tokens,
    log: session.log,
    journal,
    readOnly,
    scopeHost,
    resilience: Number.isFinite(timeout) && timeout > 0 ? { timeoutMs: timeout } : undefined,
  });
}

/**
 * Node turns certificate checks off for every TLS connection (Graph, sign-in, Keycloak) when
 * NODE_TLS_REJECT_UNAUTHORIZED is exactly "0": anyone on the path could then answer as Graph. A
 * command that writes refuses before its first request; a read-only one says its result cannot
 * be trusted. Every command passes here before it sends anything.
 */
export function checkTlsVerification(session: Session, readOnly: boolean): void {
  if (session.io.env.NODE_TLS_REJECT_UNAUTHORIZED !== '0') return;
  const why =
    'NODE_TLS_REJECT_UNAUTHORIZED=0 turns off TLS certificate checks: any server on the path could answer as Graph, the sign-in or Keycloak';
  const fix = 'unset it (a private CA goes in NODE_EXTRA_CA_CERTS, or --keycloak-ca-file for Keycloak)';
  if (!readOnly) throw new UsageError(`${why}; ${fix}. Nothing was sent`);
  session.log.warn(`${why}, so this result cannot be trusted; ${fix}`);
}

/** One line for a public-client sign-in that did not complete, with the usual fix. */
function signInFailure(method: string, clientId: string | undefined, err: unknown): string {
  // The credential's own words (a SignInError keeps them as its cause) carry the AADSTS code.
  const source = (err as { cause?: unknown } | undefined)?.cause ?? err;
  const text = source instanceof Error ? source.message : String(source);
  const reason = /authorization_declined|65004|90094|65001|consent/i.test(text)
    ? 'the sign-in was declined or lacks consent for the scopes this command asks for; an admin consents to them once for the app (README, "Sign-in")'
    : /expired_token|70019/i.test(text)
      ? 'the code expired before the sign-in was completed; run again and enter the code within 15 minutes'
      : (err instanceof Error ? err.message : String(err)).split('\n')[0].replace(/^sign-in with --auth \S+ (failed|was refused): /, '');
  return `sign-in with --auth ${method} to app ${clientId ?? '(default)'} did not complete: ${reason}`;
}

/**
 * The tenant's GUID for a --tenant-id that may be a verified domain: looked up in the cloud's
 * OpenID discovery document before the journal is opened, so the journal records the GUID. A
 * command that writes refuses switched-off TLS checks before this lookup, as before any request.
 */
export async function resolveTenant(session: Session, value: string, readOnly: boolean, flag = '--tenant-id'): Promise<string> {
  if (!readOnly && !isGuid(value.trim())) checkTlsVerification(session, false);
  const timeout = Number(session.io.env.ENTRA_PIM_HTTP_TIMEOUT_MS);
  return resolveTenantId(value.trim(), {
    authorityHost: session.options.authorityHost,
    cloud: session.options.cloud,
    log: session.log,
    flag,
    timeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout : undefined,
  });
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

export type { RunOptions };
