import type { Colors } from '../ui/color.js';
import { jsonSafe, safeLine } from '../ui/safe-text.js';
import type { Action, Finding, RunReport, StepReport, StepStatus } from './types.js';

const STATUS_GLYPH: Record<StepStatus, string> = {
  ok: '✔',
  changed: '✔',
  'would-change': '~',
  warning: '!',
  failed: '✖',
  skipped: '-',
};

const KIND_GLYPH: Record<Action['kind'], string> = { create: '+', update: '~', delete: '-', noop: '=' };

function paintStatus(c: Colors, status: StepStatus, text: string): string {
  switch (status) {
    case 'ok':
    case 'changed':
      return c.green(text);
    case 'would-change':
      return c.cyan(text);
    case 'warning':
      return c.yellow(text);
    case 'failed':
      return c.red(text);
    default:
      return c.dim(text);
  }
}

function renderFinding(c: Colors, f: Finding): string[] {
  const mark = f.severity === 'error' ? c.red('✖ error') : f.severity === 'warning' ? c.yellow('! warning') : c.dim('i');
  const lines = [`    ${mark} ${f.message}${f.severity === 'info' ? '' : c.dim(` [${f.code}]`)}`];
  if (f.fix) lines.push(c.dim(`        fix: ${f.fix}`));
  return lines;
}

function renderAction(c: Colors, a: Action, showRequests: boolean): string[] {
  const glyph = KIND_GLYPH[a.kind];
  const painted = a.kind === 'create' ? c.green(glyph) : a.kind === 'delete' ? c.red(glyph) : a.kind === 'update' ? c.cyan(glyph) : c.dim(glyph);
  const result = a.result ? (a.result.ok ? c.green(` (done${a.result.message ? `: ${a.result.message}` : ''})`) : c.red(` (failed: ${a.result.message ?? a.result.status})`)) : '';
  const lines = [`    ${painted} ${a.kind === 'noop' ? c.dim(a.summary) : a.summary}${result}`];
  if (showRequests && a.request) {
    const sent = a.result?.sent ?? a.request;
    lines.push(c.dim(`        ${sent.method} ${sent.url}${sent.body === undefined ? '' : ` ${JSON.stringify(sent.body)}`}`));
  }
  return lines;
}

/**
 * Renders one step (used for the plan shown before confirmation, too). Messages and summaries
 * quote names from Graph and Keycloak, so each line is made safe as a whole: a line break or an
 * escape sequence in a name cannot start a line of its own.
 */
export function renderStep(c: Colors, s: StepReport, opts: { showRequests: boolean; showNoops: boolean }): string[] {
  const lines = [paintStatus(c, s.status, `${STATUS_GLYPH[s.status]} ${s.title}`) + c.dim(` (${s.id}: ${s.status})`)];
  for (const f of s.findings) lines.push(...renderFinding(c, f));
  for (const a of s.actions) {
    if (a.kind === 'noop' && !opts.showNoops) continue;
    lines.push(...renderAction(c, a, opts.showRequests));
  }
  return lines.map((l) => safeLine(l, c.enabled));
}

function countChanges(steps: StepReport[]): number {
  return steps.reduce((n, s) => n + s.actions.filter((a) => a.kind !== 'noop').length, 0);
}

/** A command's own words for the report: its title, and its result line (undefined: the usual one). */
export interface ReportWords {
  title?: string;
  result?: (status: RunReport['status'], changes: number, errors: number) => string | undefined;
}

/** The human report printed on stdout at the end of a run or audit. */
export function renderReport(c: Colors, report: RunReport, opts: { showRequests?: boolean; words?: ReportWords } = {}): string {
  const audit = report.mode === 'audit';
  const title = opts.words?.title ?? `entra-pim-setup ${audit ? 'audit (read-only)' : 'run'}`;
  const lines = [c.bold(`${title} — tenant ${report.tenantId}`), ''];
  for (const s of report.steps) {
    lines.push(...renderStep(c, s, { showRequests: audit || Boolean(opts.showRequests), showNoops: true }), '');
  }
  const changes = countChanges(report.steps);
  const errors = report.steps.reduce((n, s) => n + s.findings.filter((f) => f.severity === 'error').length, 0);
  const own = opts.words?.result?.(report.status, changes, errors);
  const paint = report.status === 'drift' ? c.yellow : report.status === 'failed' ? c.red : c.green;
  if (own !== undefined) lines.push(paint(own));
  else switch (report.status) {
    case 'compliant':
      lines.push(c.green('Result: compliant — nothing to change.'));
      break;
    case 'drift':
      lines.push(c.yellow(`Result: drift — ${changes} change(s) would be made${errors ? `, ${errors} error(s) to fix` : ''}. Nothing was sent: this was an audit.`));
      break;
    case 'changed':
      lines.push(c.green(`Result: changed — ${changes} change(s) applied.`));
      break;
    case 'failed':
      lines.push(c.red(`Result: failed — ${report.error ?? `${errors} error(s)`}`));
      break;
  }
  if (report.journal) lines.push(`Journal: ${report.journal}`);
  return lines.map((l) => safeLine(l, c.enabled)).join('\n') + '\n';
}

/**
 * The `--json` document: internal fields (backups, targets) are left out. Values stay exact (a
 * consumer may match a name); `jsonSafe` only writes the characters that could act on a terminal
 * showing the document as `\u` escapes.
 */
export function reportJson(report: RunReport): string {
  const doc = {
    schemaVersion: report.schemaVersion,
    mode: report.mode,
    tenantId: report.tenantId,
    status: report.status,
    ...(report.error ? { error: report.error } : {}),
    steps: report.steps.map((s) => ({
      id: s.id,
      status: s.status,
      findings: s.findings.map((f) => ({ severity: f.severity, code: f.code, message: f.message, ...(f.fix ? { fix: f.fix } : {}) })),
      actions: s.actions.map((a) => ({
        kind: a.kind,
        summary: a.summary,
        ...(a.request ? { request: a.request } : {}),
        ...(a.result ? { result: a.result } : {}),
      })),
    })),
    ...(report.journal ? { journal: report.journal } : {}),
  };
  return jsonSafe(JSON.stringify(doc, null, 2)) + '\n';
}
