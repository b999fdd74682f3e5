import { renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunContext } from './context.js';
import { reportJson } from './plan/render.js';
import type { Action, RunReport, StepReport } from './plan/types.js';
import type { Finding } from './core/findings.js';
import type { HttpRequest } from './core/http.js';
import { redact, redactText, registerSecret } from './core/redact.js';
import { jsonSafe, safeOutput, safeText } from './ui/safe-text.js';

/** Who ran the tool, as the prerequisites step identified the signed-in identity. */
export interface ReportCaller {
  kind: 'user' | 'app';
  id?: string;
  name?: string;
}

/** Everything a change record needs beyond the run report itself. */
export interface ReportMeta {
  tool: 'entra-pim-setup';
  version: string;
  /** `run`, `audit` or `restore`: the command as typed (the report's `mode` says whether anything could be written). */
  command: string;
  /** The command line after the program name, with anything secret-looking masked. */
  argv: string[];
  startedAt: string;
  finishedAt: string;
  mode: RunReport['mode'];
  tenantId: string;
  exitCode: number;
  caller?: ReportCaller;
  app?: { displayName?: string; appId: string; servicePrincipalId: string; ssoMode?: string };
  group?: { displayName: string; id: string };
  /** Absolute path of the journal, when this run wrote one. */
  journal?: string;
  /** Graph base URL: action URLs are relative to `<graphEndpoint>/v1.0`. */
  graphEndpoint?: string;
}

/**
 * Environment variables that may hold secrets. They are masked in the report even when this run
 * did not use them (say `--auth access-token` with AZURE_CLIENT_SECRET also set), because only
 * the variables a run actually reads get registered with the redactor along the way.
 */
const SECRET_ENV = ['AZURE_CLIENT_SECRET', 'AZURE_CLIENT_CERTIFICATE_PASSWORD', 'ENTRA_PIM_ACCESS_TOKEN', 'KEYCLOAK_CLIENT_SECRET', 'KEYCLOAK_PASSWORD'];

const COMMANDS = new Set(['run', 'audit', 'restore']);

/**
 * Masks the command line. Secrets are never flags, but a pasted one must not end up in a change
 * record: a value whose flag name looks sensitive is masked whole (the same key rule the journal
 * uses), and every argument goes through the registered-secret and token patterns.
 */
export function redactArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = /^--([^=]+)=(.*)$/s.exec(arg);
    if (eq) {
      out.push(`--${eq[1]}=${maskFor(eq[1], eq[2])}`);
      continue;
    }
    out.push(redactText(arg));
    const flag = /^--?(.+)$/.exec(arg)?.[1];
    const next = argv[i + 1];
    if (flag && next !== undefined && !next.startsWith('-') && maskFor(flag, next) === '***') {
      out.push('***');
      i++;
    }
  }
  return out;
}

/** `redact` masks values of sensitive keys; reuse its rule by asking it about `{ flag: value }`. */
function maskFor(flag: string, value: string): string {
  return (redact({ [flag]: value }) as Record<string, string>)[flag];
}

/**
 * Collects the report's meta data from a finished run: the caller, app and group the
 * prerequisites step found (absent for restore, which does not look them up), times, version
 * and command line. Also registers every secret-bearing environment variable with the redactor.
 */
/** What the report's `meta` names besides the report itself: what the steps found, and the journal. */
export interface ReportSubject {
  facts: Pick<RunContext['facts'], 'caller' | 'servicePrincipal' | 'group' | 'ssoMode'>;
  journal: { readonly path: string | undefined };
}

export function reportMeta(
  ctx: ReportSubject,
  report: RunReport,
  run: { startedAt: Date; version: string; argv: readonly string[]; env: NodeJS.ProcessEnv; exitCode: number; graphEndpoint?: string },
): ReportMeta {
  for (const name of SECRET_ENV) registerSecret(run.env[name]);
  const { caller, servicePrincipal: sp, group, ssoMode } = ctx.facts;
  const first = run.argv[0];
  // Not only report.journal: executeAndReport reads `file.written` after closing the journal,
  // when it is false again, so that field is unset even after writes. Once that is fixed,
  // report.journal alone is enough.
  const journal = report.journal ?? (writesSent(report) ? ctx.journal.path : undefined);
  return {
    tool: 'entra-pim-setup',
    version: run.version,
    command: first && COMMANDS.has(first) ? first : 'run',
    argv: redactArgv(run.argv),
    startedAt: run.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    mode: report.mode,
    tenantId: report.tenantId,
    exitCode: run.exitCode,
    ...(caller ? { caller: { kind: caller.kind, ...(caller.id ? { id: caller.id } : {}), ...(caller.name ? { name: caller.name } : {}) } } : {}),
    ...(sp ? { app: { displayName: sp.displayName ?? undefined, appId: sp.appId, servicePrincipalId: sp.id, ...(ssoMode ? { ssoMode } : {}) } } : {}),
    ...(group ? { group: { displayName: group.displayName, id: group.id } } : {}),
    ...(journal ? { journal: path.resolve(journal) } : {}),
    ...(run.graphEndpoint ? { graphEndpoint: run.graphEndpoint } : {}),
  };
}

/**
 * A copy of the report whose request bodies and results went through `redact` (a Keycloak
 * mapper or credential body could carry a secret-named key). Findings are left as they are:
 * `redact` would mask their `code` field, and their text is covered by the final `redactText`.
 */
function safeReport(report: RunReport): RunReport {
  return {
    ...report,
    steps: report.steps.map((s) => ({
      ...s,
      actions: s.actions.map((a) => ({
        ...a,
        ...(a.request ? { request: redact(a.request) } : {}),
        ...(a.result ? { result: redact(a.result) } : {}),
        backup: undefined,
      })),
    })),
  };
}

/** The `--report FILE.json` document: exactly what `--json` prints, plus `meta`. */
export function reportJsonDocument(report: RunReport, meta: ReportMeta): string {
  const doc = { ...(JSON.parse(reportJson(safeReport(report))) as Record<string, unknown>), meta: redact(meta) };
  return jsonSafe(redactText(JSON.stringify(doc, null, 2))) + '\n';
}

// ---------------------------------------------------------------------------------------------
// Markdown

/**
 * Escapes free text (display names, messages) so that Markdown shows it literally: a name such
 * as `Carol <carol@contoso.com>` would otherwise become a link, and a `|` would split a table
 * cell. Control characters are shown as escapes first (`safeText`): Markdown ends a line at a
 * bare carriage return too, so a name holding `\r# Heading` would otherwise start a heading, or
 * a line of its own, in the change record. With no line break left, nothing a name holds can
 * start a line, so `#`, `>` or `-` in it stay text.
 */
export function mdText(text: string): string {
  return safeText(text).replace(/[\\`*_[\]<>|&]/g, (c) => `\\${c}`);
}

/** A code span for ids, paths and codes; a `|` still needs its backslash inside a table. */
function mdCode(text: string): string {
  const clean = safeText(text).replace(/\|/g, '\\|');
  const ticks = '`'.repeat(Math.max(1, ...[...clean.matchAll(/`+/g)].map((m) => m[0].length + 1)));
  const pad = ticks.length > 1 || clean.startsWith('`') || clean.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${clean}${pad}${ticks}`;
}

/** A fenced block long enough that nothing inside can close it. */
function fence(lang: string, body: string, indent: string): string[] {
  const longest = Math.max(2, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return [`${indent}${ticks}${lang}`, ...body.split('\n').map((l) => (l ? `${indent}${l}` : '')), `${indent}${ticks}`];
}

/** Quotes an argument the way a shell would need it, so the command line can be read back exactly. */
function shellWord(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

const EXIT_MEANING: Record<number, string> = {
  0: 'done, or compliant',
  1: 'error',
  2: 'audit found drift',
  130: 'interrupted',
};

/**
 * Whether any step got as far as sending: writes happen only in a step's apply, which leaves
 * the step `changed` or with an APPLY_FAILED finding. Audit never applies. This does not rely on
 * the journal, so a claim that nothing was changed holds whatever the journal bookkeeping says.
 */
function writesSent(report: RunReport): boolean {
  return report.mode === 'run' && report.steps.some((s) => s.status === 'changed' || s.findings.some((f) => f.code === 'APPLY_FAILED'));
}

function changesApplied(report: RunReport): number {
  return report.steps.reduce((n, s) => n + s.actions.filter((a) => a.kind !== 'noop' && a.result?.ok).length, 0);
}

function changesPlanned(report: RunReport): number {
  return report.steps.reduce((n, s) => n + s.actions.filter((a) => a.kind !== 'noop').length, 0);
}

function resultLine(report: RunReport): string {
  const errors = report.steps.reduce((n, s) => n + s.findings.filter((f) => f.severity === 'error').length, 0);
  switch (report.status) {
    case 'compliant':
      return 'compliant: nothing to change';
    case 'drift':
      return `drift: ${changesPlanned(report)} change(s) would be made${errors ? `, ${errors} error(s) to fix` : ''}`;
    case 'changed':
      return `changed: ${changesApplied(report)} change(s) applied`;
    default:
      return `failed: ${report.error ?? `${errors} error(s)`}`;
  }
}

/**
 * The plain statement a change board looks for first. A run wrote something exactly when it
 * kept a journal: every write is journaled before it is sent, and the journal is dropped from
 * the report when nothing was written.
 */
function changeStatement(report: RunReport, command: string): string {
  if (report.mode === 'audit') {
    return `**Nothing was changed.** This was ${command === 'restore' ? 'a restore preview (--dry-run)' : 'an audit'}: read-only, no write of any kind was sent. The actions below are what a run would do.`;
  }
  if (!writesSent(report)) return '**Nothing was changed.** No write was sent to Entra ID or Keycloak.';
  const applied = changesApplied(report);
  if (report.status === 'changed') return `**Changes were made:** ${applied} change(s) applied, each listed below with the exact request. The journal records every request and answer.`;
  return `**Changes may have been made:** ${applied} change(s) confirmed before the run stopped. The journal records every request that was sent, including any whose answer never arrived.`;
}

function callerCell(caller: ReportCaller | undefined): string {
  if (!caller) return 'not identified (the run stopped before the caller was checked)';
  const kind = caller.kind === 'app' ? 'application' : 'user';
  return `${mdText(caller.name || '(no name)')} (${kind}${caller.id ? `, id ${mdCode(caller.id)}` : ''})`;
}

function appCell(app: ReportMeta['app']): string {
  if (!app) return 'not looked up';
  const sso = app.ssoMode && app.ssoMode !== 'unknown' ? `, ${app.ssoMode.toUpperCase()}` : '';
  return `${mdText(app.displayName || '(no name)')}: app id ${mdCode(app.appId)}, service principal ${mdCode(app.servicePrincipalId)}${sso}`;
}

function modeCell(meta: ReportMeta): string {
  if (meta.command === 'restore') return meta.mode === 'audit' ? 'restore preview (--dry-run, read-only)' : 'restore';
  return meta.mode === 'audit' ? 'audit (read-only)' : 'run';
}

function actionResult(a: Action, mode: RunReport['mode']): string {
  if (a.kind === 'noop') return 'already in place';
  const r = a.result;
  if (!r) return mode === 'audit' ? 'planned, not sent (audit)' : 'not sent';
  const status = r.status !== undefined ? ` (HTTP ${r.status})` : '';
  return r.ok ? `done${status}${r.message ? `: ${mdText(r.message)}` : ''}` : `**failed**${status}${r.message ? `: ${mdText(r.message)}` : ''}`;
}

function requestBlock(req: HttpRequest): string {
  const lines = [`${req.method} ${safeText(req.url)}`];
  if (req.body !== undefined) lines.push('', jsonSafe(JSON.stringify(req.body, null, 2)));
  return lines.join('\n');
}

function findingsTable(findings: Finding[]): string[] {
  const rows = findings.map((f) => `| ${f.severity} | ${mdCode(f.code)} | ${mdText(f.message)} | ${f.fix ? mdText(f.fix) : ''} |`);
  return ['| severity | code | message | fix |', '|---|---|---|---|', ...rows];
}

function actionItems(step: StepReport, mode: RunReport['mode']): string[] {
  const lines: string[] = [];
  step.actions.forEach((a, i) => {
    lines.push(`${i + 1}. **${a.kind}**: ${mdText(a.summary)}. Result: ${actionResult(a, mode)}`);
    const sent = a.result?.sent ?? a.request;
    if (sent) {
      const where = a.target === 'keycloak' ? 'Keycloak admin API' : 'Microsoft Graph';
      lines.push('', `   ${where} request${a.result?.sent ? ' (as sent)' : ''}:`, '', ...fence('http', requestBlock(sent), '   '));
    }
    lines.push('');
  });
  return lines;
}

/** The `--report FILE.md` document, for a change record. */
export function reportMarkdown(report: RunReport, meta: ReportMeta): string {
  const r = safeReport(report);
  const m = redact(meta);
  const title = m.command === 'restore' ? 'restore' : m.mode === 'audit' ? 'audit' : 'run';
  const lines: string[] = [`# entra-pim-setup ${title}: ${r.status}`, '', changeStatement(r, m.command), ''];
  const summary: Array<[string, string]> = [
    ['When', `${mdCode(m.startedAt)} to ${mdCode(m.finishedAt)} (UTC)`],
    ['Who', callerCell(m.caller)],
    ['Tenant', mdCode(m.tenantId)],
    ['App', appCell(m.app)],
    ['Group', m.group ? `${mdText(m.group.displayName)} (id ${mdCode(m.group.id)})` : 'not looked up'],
    ['Mode', modeCell(m)],
    ['Result', mdText(resultLine(r))],
    ['Exit code', `${m.exitCode}: ${EXIT_MEANING[m.exitCode] ?? 'error'}`],
    ['Journal', m.journal ? mdCode(m.journal) : 'none (nothing was written)'],
    ['Tool', `entra-pim-setup ${mdCode(m.version)}`],
    ['Command line', mdCode(['entra-pim-setup', ...m.argv.map(shellWord)].join(' '))],
  ];
  if (m.graphEndpoint) summary.push(['Graph endpoint', `${mdCode(`${m.graphEndpoint}/v1.0`)} (request URLs below are relative to it)`]);
  lines.push('| | |', '|---|---|', ...summary.map(([k, v]) => `| ${k} | ${v} |`), '');

  lines.push('## Steps', '');
  r.steps.forEach((s, i) => {
    lines.push(`### ${i + 1}. ${mdText(s.title)} (${mdCode(s.id)})`, '', `Status: **${s.status}**`, '');
    if (s.findings.length) lines.push('Findings:', '', ...findingsTable(s.findings), '');
    else lines.push('Findings: none.', '');
    if (s.actions.length) lines.push(m.mode === 'audit' ? 'Actions (what a run would do):' : 'Actions:', '', ...actionItems(s, r.mode));
    else lines.push('Actions: none.', '');
  });
  // The last net: whatever field was missed above, no control or bidi character reaches the file.
  return safeOutput(redactText(lines.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n'), false);
}

/**
 * Writes the report to `file`: Markdown for `.md`, the JSON document for `.json` (the extension
 * was checked with the other flags, before anything was sent). Everything passes through the
 * redactor. The file is written next to its final name and renamed into place, so a change
 * record is never half a report.
 *
 * Mode 0600, like the journal: the report names the admins of a tier-0 system and the members
 * removed, and build agents are often shared. Whoever attaches it to the change record can widen
 * it; a world-readable default cannot be taken back.
 */
export function writeReportFile(file: string, report: RunReport, meta: ReportMeta): void {
  const text = /\.json$/i.test(file) ? reportJsonDocument(report, meta) : reportMarkdown(report, meta);
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, text, { mode: 0o600 });
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new Error(`--report ${file}: cannot write the report (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}
