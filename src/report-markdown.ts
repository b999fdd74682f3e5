import type { Action, RunReport, StepReport } from './plan/types.js';
import type { Finding } from './core/findings.js';
import type { HttpRequest } from './core/http.js';
import { redact, redactText } from './core/redact.js';
import { jsonSafe, safeOutput, safeText } from './ui/safe-text.js';
import { safeReport, writesSent, type ReportCaller, type ReportMeta } from './report-meta.js';

// The `--report FILE.md` change record.

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
  if (report.status === 'changed')
    return `**Changes were made:** ${applied} change(s) applied, each listed below with the exact request. The journal records every request and answer.`;
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
  return r.ok
    ? `done${status}${r.message ? `: ${mdText(r.message)}` : ''}`
    : `**failed**${status}${r.message ? `: ${mdText(r.message)}` : ''}`;
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
  if (m.ticket)
    summary.push(['Ticket', `${mdCode(m.ticket.ticketNumber)}${m.ticket.ticketSystem ? ` (${mdText(m.ticket.ticketSystem)})` : ''}`]);
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
  return safeOutput(
    redactText(
      lines
        .join('\n')
        .replace(/\n{3,}/g, '\n\n')
        .trimEnd() + '\n',
    ),
    false,
  );
}
