import type { Action, RunReport, StepReport } from './plan/types.js';
import type { Finding } from './core/findings.js';
import type { HttpRequest } from './core/http.js';
import { redact, redactText } from './core/redact.js';
import { jsonSafe, safeOutput, safeText } from './ui/safe-text.js';
import { safeReport, writesSent, type ReportCaller, type ReportMeta } from './report-meta.js';
import {
  changeSummary,
  summaryIsEmpty,
  type ChangeOutcome,
  type ChangeSummary,
  type ReportDetails,
  type SummaryPrincipal,
} from './report-summary.js';
import { rollbackOf, type Rollback } from './report-rollback.js';
import { checklistOf, type Checklist } from './plan/checklist.js';
import { humanDateTime } from './ui/dates.js';

// The `--report FILE.md` change record.

/**
 * Escapes free text (display names, messages) so that Markdown shows it literally: a name such
 * as `Carol <carol@contoso.com>` would otherwise become a link, and a `|` would split a table
 * cell. Control characters are shown as escapes first (`safeText`): Markdown ends a line at a
 * bare carriage return too, so a name holding `\r# Heading` would otherwise start a heading, or
 * a line of its own, in the change record. With no line break left, a name can start no line;
 * it can still open a list item (the summary's sub-bullets), so a leading block marker is escaped.
 */
export function mdText(text: string): string {
  // Where the text opens a list item or a paragraph (a removed member's name in the summary), a
  // leading `#`, `-`, `+`, `=`, `~` or `1.` would start a heading, a nested list or a fence.
  return safeText(text)
    .replace(/[\\`*_[\]<>|&]/g, (c) => `\\${c}`)
    .replace(/^(\s*)([#+=~-]|\d+(?=[.)]))/, (_, space: string, lead: string) =>
      /\d/.test(lead) ? `${space}${lead}\\` : `${space}\\${lead}`,
    );
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
    return (
      `**Nothing was changed.** This was ${command === 'restore' ? 'a restore preview (--dry-run)' : 'an audit'}: read-only, no ` +
      `write of any kind was sent. The actions below are what a run would do.`
    );
  }
  if (!writesSent(report)) return '**Nothing was changed.** No write was sent to Entra ID or Keycloak.';
  const applied = changesApplied(report);
  if (report.status === 'changed')
    return `**Changes were made:** ${applied} change(s) applied, each listed below with the exact request. The journal records every request and answer.`;
  return (
    `**Changes may have been made:** ${applied} change(s) confirmed before the run stopped. The journal records every request ` +
    `that was sent, including any whose answer never arrived.`
  );
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

function principalText(p: SummaryPrincipal): string {
  if (p.displayName && p.userPrincipalName) return `${mdText(p.displayName)} (${mdText(p.userPrincipalName)})`;
  const name = p.userPrincipalName ?? p.displayName;
  const kind = p.kind === 'servicePrincipal' ? 'application' : p.kind === 'group' ? 'group' : undefined;
  const extra = [kind, p.appId ? `app id ${mdCode(p.appId)}` : undefined, name ? undefined : `id ${mdCode(p.id)}`].filter(Boolean);
  return `${name ? mdText(name) : ''}${extra.length ? `${name ? ' ' : ''}(${extra.join(', ')})` : ''}`;
}

const OUTCOME_NOTE: Record<ChangeOutcome, string> = { planned: '', done: '', failed: ' **(failed)**', 'not-sent': '' };

/** `31 March 2027, 23:59 UTC (`2027-03-31T23:59:59.000Z`)`: words for a person, ISO for the record. */
function whenText(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? mdCode(iso) : `${humanDateTime(d)} (${mdCode(iso)})`;
}

/** Items of a summary line, one nested bullet each. */
const sub = (items: string[]) => items.map((i) => `\n  - ${i}`).join('');

const ELIGIBILITY_VERB = { adminAssign: 'newly eligible', adminUpdate: 'eligibility moved', adminExtend: 'eligibility renewed' };

/**
 * The summary a change board reads first: who loses standing access, who becomes eligible and
 * until when, the activation settings before and after, the Keycloak and app changes, the ticket
 * and the applied plan. An audit says what a run would do; a run lists what it sent (a change
 * the run never got to is counted, not listed: the steps below show it).
 */
export function summaryLines(summary: ChangeSummary, meta: Pick<ReportMeta, 'ticket' | 'appliedPlan' | 'command'>): string[] {
  const audit = summary.mode === 'audit';
  const keep = <T extends { outcome: ChangeOutcome }>(list: T[]) => list.filter((x) => x.outcome !== 'not-sent');
  const items: string[] = [];
  if (meta.ticket)
    items.push(
      `**Ticket:** ${mdText(meta.ticket.ticketNumber)}${meta.ticket.ticketSystem ? ` (${mdText(meta.ticket.ticketSystem)})` : ''}`,
    );
  if (meta.appliedPlan)
    items.push(
      `**Applied plan:** ${mdCode(meta.appliedPlan.file)}, digest ${mdCode(meta.appliedPlan.digest)}, made ${whenText(meta.appliedPlan.createdAt)}`,
    );
  const removed = keep(summary.standingAccessRemoved);
  if (removed.length) {
    const groups = [...new Set(removed.map((r) => r.groupName).filter((g): g is string => Boolean(g)))];
    const from = groups.length ? ` from ${groups.map(mdText).join(', ')}` : '';
    items.push(
      `**${audit ? 'Would lose' : 'Lost'} standing access** (${audit ? 'a run removes them' : 'removed'}${from}):` +
        sub(removed.map((r) => `${principalText(r.principal)}${OUTCOME_NOTE[r.outcome]}`)),
    );
  }
  const eligible = keep(summary.eligible);
  if (eligible.length) {
    items.push(
      `**${audit ? 'Would become' : 'Became'} eligible** (member, activated on demand):` +
        sub(
          eligible.map(
            (e) =>
              `${principalText(e.principal)}: ${ELIGIBILITY_VERB[e.action]} until ${whenText(e.end)}, from ${whenText(e.start)}${OUTCOME_NOTE[e.outcome]}`,
          ),
        ),
    );
  }
  const policy = keep(summary.policy);
  if (policy.length)
    items.push(
      `**Activation policy${audit ? ' (would change)' : ''}:**` +
        sub(policy.map((p) => `${p.setting}: ${mdText(p.before)} → ${mdText(p.after)}${OUTCOME_NOTE[p.outcome]}`)),
    );
  const kc = keep(summary.keycloak);
  if (kc.length)
    items.push(
      `**Keycloak${audit ? ' (would change)' : ''}:**` +
        sub(
          kc.map(
            (k) =>
              `${k.change} mapper "${mdText(k.mapper)}" on identity provider ${mdText(k.identityProvider)} in realm ` +
              `${mdText(k.realm)}${k.settings.length ? `: ${k.settings.map(mdText).join('; ')}` : ''}${OUTCOME_NOTE[k.outcome]}`,
          ),
        ),
    );
  const app = keep(summary.app);
  if (app.length)
    items.push(`**Enterprise app${audit ? ' (would change)' : ''}:**` + sub(app.map((a) => mdText(a.summary) + OUTCOME_NOTE[a.outcome])));
  const restored = keep(summary.restored);
  if (restored.length)
    items.push(
      `**${audit ? 'Would be given' : 'Given'} standing access back:**` +
        sub(restored.map((a) => mdText(a.summary) + OUTCOME_NOTE[a.outcome])),
    );
  const unsent = [summary.standingAccessRemoved, summary.eligible, summary.policy, summary.keycloak, summary.app, summary.restored]
    .flat()
    .filter((x) => x.outcome === 'not-sent').length;
  const lines = ['## Summary', ''];
  if (summaryIsEmpty(summary)) {
    lines.push(
      audit
        ? `**Nothing would change:** ${meta.command === 'restore' ? 'no member the journal names is missing' : 'everything checked is already as required'}.`
        : '**Nothing changed.**',
    );
  } else if (!audit && removed.length + eligible.length + policy.length + kc.length + app.length + restored.length === 0) {
    lines.push('**Nothing changed.**');
  }
  if (unsent) lines.push('', `${unsent} planned change(s) were not sent: the run stopped before them (see the steps below).`);
  if (items.length) lines.push('', ...items.map((i) => `- ${i}`));
  return [...lines, ''];
}

/** The rollback section: the exact restore commands, and what restore does not undo. */
export function rollbackLines(rb: Rollback): string[] {
  const lines = ['## Rollback', ''];
  const command = (argv: string[]) => fence('sh', argv.map(shellWord).join(' '), '');
  if (rb.preview && rb.restore) {
    const unanswered =
      rb.removalsSent > rb.removalsConfirmed
        ? `, and of ${rb.removalsSent - rb.removalsConfirmed} more whose removal failed or went unanswered, those that may have been removed`
        : '';
    lines.push(
      `\`restore\` puts back the ${rb.removalsConfirmed} member(s) this run ` +
        `removed${unanswered}, ` +
        `from its journal ${mdCode(rb.journal)}. Preview it first (read-only: lists who would be added back, sends no write):`,
      '',
      ...command(rb.preview),
      '',
      'Then restore (it asks on a terminal; `--yes` confirms in a script):',
      '',
      ...command(rb.restore),
      '',
      'Sign in as for the run (the same sign-in flags or environment variables), with the permissions restore needs. Restore ' +
        "adds members back only to this run's group, after reading each one live: a member who is no longer who the journal " +
        'records is refused, and a member already back is left as is. It takes the tenant, cloud and Graph endpoint from the journal.',
      '',
    );
  } else {
    lines.push(`This run removed no member, so \`restore\` has nothing to put back (journal ${mdCode(rb.journal)}).`, '');
  }
  if (rb.notUndone.length) {
    lines.push('Restore puts back removed members only. It does not undo:', '', ...rb.notUndone.map((t) => `- ${mdText(t)}`), '');
  }
  return lines;
}

/** The runbook's "Test the PIM" checklist, filled in (the same text the screen shows). */
export function checklistLines(list: Checklist): string[] {
  const where = [`app ${mdText(list.app)}`, `group ${mdText(list.group)}`, `Keycloak ${mdText(list.keycloakTarget)}`];
  if (list.realm) where.push(`realm ${mdText(list.realm)}`);
  const lines = [
    `## ${list.title}`,
    '',
    `Filled in for ${where.join(', ')}. Eligible: ${list.eligible.length ? list.eligible.map(mdText).join(', ') : 'nobody given in this run'}.`,
    '',
  ];
  for (const s of list.sections) lines.push(`**${mdText(s.title)}:**`, '', ...s.steps.map((step, i) => `${i + 1}. ${mdText(step)}`), '');
  return lines;
}

/** The `--report FILE.md` document, for a change record. */
export function reportMarkdown(report: RunReport, meta: ReportMeta, details: ReportDetails = {}): string {
  // The summary reads the actions' backups (the members removed), which safeReport drops.
  const changes = changeSummary(report, details.snapshot);
  const r = safeReport(report);
  const m = redact(meta);
  const title = m.command === 'restore' ? 'restore' : m.mode === 'audit' ? 'audit' : 'run';
  const lines: string[] = [`# entra-pim-setup ${title}: ${r.status}`, '', changeStatement(r, m.command), ''];
  lines.push(...summaryLines(changes, m));
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
  const rollback = rollbackOf(report, changes, m);
  if (rollback) lines.push(...rollbackLines(rollback));
  if (details.checklist && m.command !== 'restore') lines.push(...checklistLines(checklistOf(details.checklist)));
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
