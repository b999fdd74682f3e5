import type { Colors } from '../ui/color.js';
import { humanDatesIn } from '../ui/dates.js';
import { jsonSafe, safeLine } from '../ui/safe-text.js';
import type { Action, RunReport, StepReport, StepStatus } from './types.js';
import type { Finding } from '../core/findings.js';

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
  const painted =
    a.kind === 'create' ? c.green(glyph) : a.kind === 'delete' ? c.red(glyph) : a.kind === 'update' ? c.cyan(glyph) : c.dim(glyph);
  const result = a.result
    ? a.result.ok
      ? c.green(` (done${a.result.message ? `: ${a.result.message}` : ''})`)
      : c.red(` (failed: ${a.result.message ?? a.result.status})`)
    : '';
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

/** `4.2 s`, `1 min 5 s`: how long the command took, for the last lines of the report. */
export function elapsedText(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

/**
 * The steps of a run, short: a step that changed (or failed) in full, with the dates in words; a
 * step that changed nothing shows only its warnings and errors; the rest is one line each for
 * the steps already as required and those skipped. --verbose shows every step as an audit does.
 */
function renderRunSteps(c: Colors, report: RunReport): string[] {
  const lines: string[] = [];
  const unchanged: string[] = [];
  const skipped: string[] = [];
  for (const s of report.steps) {
    const changes = s.actions.some((a) => a.kind !== 'noop');
    const notes = s.findings.filter((f) => f.severity !== 'info');
    if (!changes && notes.length === 0 && s.status !== 'failed') {
      (s.status === 'skipped' ? skipped : unchanged).push(s.id);
      continue;
    }
    const shown = changes || s.status === 'failed' ? s : { ...s, findings: notes };
    lines.push(...renderStep(c, shown, { showRequests: false, showNoops: false }).map(humanDatesIn), '');
  }
  if (unchanged.length) lines.push(c.green(`✔ already as required: ${unchanged.join(', ')}`));
  if (skipped.length) lines.push(c.dim(`- skipped: ${skipped.join(', ')}`));
  if (unchanged.length || skipped.length) lines.push('');
  return lines;
}

/** A command's own words for the report: its title, and its result line (undefined: the usual one). */
export interface ReportWords {
  title?: string;
  result?: (status: RunReport['status'], changes: number, errors: number) => string | undefined;
}

/**
 * The human report printed on stdout at the end of a run or audit: the steps, then `epilogue`
 * (the run's checklist), the journal, the time taken, and the `Result:` line last, where a reader
 * (and `tail -1`) finds it. The JSON document keeps every step and ISO dates.
 */
export function renderReport(
  c: Colors,
  report: RunReport,
  opts: { showRequests?: boolean; elapsedMs?: number; epilogue?: string; words?: ReportWords } = {},
): string {
  const audit = report.mode === 'audit';
  const title = opts.words?.title ?? `entra-pim-setup ${audit ? 'audit (read-only)' : 'run'}`;
  const lines = [c.bold(`${title} — tenant ${report.tenantId}`), ''];
  if (audit || opts.showRequests) {
    for (const s of report.steps) {
      lines.push(...renderStep(c, s, { showRequests: audit || Boolean(opts.showRequests), showNoops: true }), '');
    }
  } else {
    lines.push(...renderRunSteps(c, report));
  }
  const changes = countChanges(report.steps);
  const errors = report.steps.reduce((n, s) => n + s.findings.filter((f) => f.severity === 'error').length, 0);
  let result = '';
  const own = opts.words?.result?.(report.status, changes, errors);
  const paint = report.status === 'drift' ? c.yellow : report.status === 'failed' ? c.red : c.green;
  if (own !== undefined) result = paint(own);
  else
    switch (report.status) {
      case 'compliant':
        result = c.green('Result: compliant — nothing to change.');
        break;
      case 'drift':
        result = c.yellow(
          `Result: drift — ${changes} change(s) would be made${errors ? `, ${errors} error(s) to fix` : ''}. Nothing was sent: this was an audit.`,
        );
        break;
      case 'changed':
        result = c.green(`Result: changed — ${changes} change(s) applied.`);
        break;
      case 'failed':
        result = c.red(`Result: failed — ${report.error ?? `${errors} error(s)`}`);
        break;
    }
  const out = lines.map((l) => safeLine(l, c.enabled));
  // The checklist is made safe line by line by its renderer, and keeps its own line breaks.
  if (opts.epilogue) out.push(opts.epilogue.replace(/^\n+|\n+$/g, ''), '');
  const tail: string[] = [];
  if (report.journal) tail.push(`Journal: ${report.journal}`);
  if (opts.elapsedMs !== undefined) tail.push(c.dim(`Took ${elapsedText(opts.elapsedMs)}.`));
  tail.push(result);
  return [...out, ...tail.map((l) => safeLine(l, c.enabled))].join('\n') + '\n';
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
