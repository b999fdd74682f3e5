import { ExitCode } from '../errors.js';
import type { RunMode, RunReport } from '../plan/types.js';
import { reportJson } from '../plan/render.js';
import type { ReportMeta } from '../report-meta.js';
import { reportJsonDocument } from '../report.js';
import type { ReportDetails } from '../report-summary.js';
import { mdText, reportMarkdown } from '../report-markdown.js';
import { jsonSafe } from '../ui/safe-text.js';

// What several targets add to the usual report: the summary (one row per target), the overall
// status and exit code, and one document (stdout --json, --report) holding every target's own.

/** A target's status: a run's own, or `not-run` for those after a run that stopped. */
export type TargetStatus = RunReport['status'] | 'not-run';

/** How one target ended. */
export interface TargetOutcome {
  name: string;
  status: TargetStatus;
  /** The run's report, when the steps ran (absent when the target stopped before, or was not run). */
  report?: RunReport;
  meta?: ReportMeta;
  /** What the change record adds to the report (summary, rollback, checklist). */
  details?: ReportDetails;
  /** Why the target stopped before it had a report (one line). */
  error?: string;
}

/**
 * Pure: the worst of the targets' statuses. Any failed (or not run) target fails the whole:
 * exit 1 outranks drift (2), which outranks compliant or changed (0); changed beats compliant.
 */
export function overallStatus(statuses: readonly TargetStatus[]): RunReport['status'] {
  if (statuses.some((s) => s === 'failed' || s === 'not-run')) return 'failed';
  if (statuses.includes('drift')) return 'drift';
  if (statuses.includes('changed')) return 'changed';
  return 'compliant';
}

/** Pure: the exit code of a status (0 compliant or changed, 2 drift, 1 failed). */
export function exitCodeOfStatus(status: RunReport['status']): number {
  return status === 'failed' ? ExitCode.error : status === 'drift' ? ExitCode.drift : ExitCode.ok;
}

/** Errors and warnings of a target's steps. */
export function findingCount(report: RunReport | undefined): number {
  return (report?.steps ?? []).reduce((n, s) => n + s.findings.filter((f) => f.severity !== 'info').length, 0);
}

/** Planned changes (audit) or changes applied (run). */
export function changeCount(report: RunReport | undefined): number {
  if (!report) return 0;
  const applied = report.mode === 'run';
  return report.steps.reduce((n, s) => n + s.actions.filter((a) => a.kind !== 'noop' && (!applied || a.result?.ok)).length, 0);
}

function changeColumn(mode: RunMode): string {
  return mode === 'audit' ? 'would change' : 'changed';
}

/** Pure: the summary table printed on stdout, then the one `Result:` line. */
export function summaryText(mode: RunMode, tenantId: string, outcomes: readonly TargetOutcome[]): string {
  const head = ['target', 'status', 'findings', changeColumn(mode)];
  const rows = outcomes.map((o) => [o.name, o.status, String(findingCount(o.report)), String(changeCount(o.report))]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const title = `entra-pim-setup ${mode === 'audit' ? 'audit (read-only)' : 'run'} — tenant ${tenantId}, ${outcomes.length} targets`;
  const lines = [title, '', line(head), ...rows.map(line), ''];
  for (const o of outcomes) if (o.error) lines.push(`${o.name}: ${o.error}`);
  if (outcomes.some((o) => o.error)) lines.push('');
  const status = overallStatus(outcomes.map((o) => o.status));
  const count = (s: TargetStatus) => outcomes.filter((o) => o.status === s).length;
  const result =
    status === 'failed'
      ? `Result: failed — ${count('failed')} target(s) failed${count('not-run') ? `, ${count('not-run')} not run` : ''}.`
      : status === 'drift'
        ? `Result: drift — ${count('drift')} of ${outcomes.length} target(s) would change. Nothing was sent: this was an audit.`
        : status === 'changed'
          ? `Result: changed — ${count('changed')} of ${outcomes.length} target(s) changed.`
          : `Result: compliant — ${outcomes.length} target(s), nothing to change.`;
  lines.push(result);
  return lines.join('\n') + '\n';
}

function targetEntry(o: TargetOutcome, report: (r: RunReport) => unknown) {
  return {
    name: o.name,
    status: o.status,
    findings: findingCount(o.report),
    changes: changeCount(o.report),
    ...(o.error ? { error: o.error } : {}),
    ...(o.report ? { report: report(o.report) } : {}),
  };
}

/** Pure: the `--json` document: the overall status, then each target with its own report. */
export function targetsJson(mode: RunMode, tenantId: string, outcomes: readonly TargetOutcome[]): string {
  const doc = {
    schemaVersion: 1,
    mode,
    tenantId,
    status: overallStatus(outcomes.map((o) => o.status)),
    targets: outcomes.map((o) => targetEntry(o, (r) => JSON.parse(reportJson(r)) as unknown)),
  };
  return jsonSafe(JSON.stringify(doc, null, 2)) + '\n';
}

/** Pure: the `--report FILE.json` document: as `--json`, each target's report with its `meta`. */
export function targetsReportJson(mode: RunMode, tenantId: string, outcomes: readonly TargetOutcome[]): string {
  const doc = {
    schemaVersion: 1,
    mode,
    tenantId,
    status: overallStatus(outcomes.map((o) => o.status)),
    targets: outcomes.map((o) => targetEntry(o, (r) => (o.meta ? (JSON.parse(reportJsonDocument(r, o.meta, o.details)) as unknown) : r))),
  };
  return jsonSafe(JSON.stringify(doc, null, 2)) + '\n';
}

/** One heading level down, outside fenced blocks: a target's report becomes a section. */
function demoteHeadings(markdown: string): string {
  let fence: string | undefined;
  return markdown
    .split('\n')
    .map((line) => {
      const open = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
      if (open && (!fence || open.startsWith(fence))) {
        fence = fence ? undefined : open;
        return line;
      }
      return !fence && /^#{1,5} /.test(line) ? `#${line}` : line;
    })
    .join('\n');
}

/**
 * Pure: the `--report FILE.md` document: a summary table, then each target's own report (the
 * single-target renderer, one heading level down) as its section.
 */
export function targetsMarkdown(mode: RunMode, tenantId: string, outcomes: readonly TargetOutcome[]): string {
  const status = overallStatus(outcomes.map((o) => o.status));
  const lines = [
    `# entra-pim-setup ${mode === 'audit' ? 'audit' : 'run'} of ${outcomes.length} targets: ${status}`,
    '',
    `Tenant \`${tenantId}\`. Exit code ${exitCodeOfStatus(status)}.`,
    '',
    `| target | status | findings | ${changeColumn(mode)} |`,
    '|---|---|---|---|',
    ...outcomes.map((o) => `| ${mdText(o.name)} | ${o.status} | ${findingCount(o.report)} | ${changeCount(o.report)} |`),
    '',
  ];
  for (const o of outcomes) {
    if (o.report && o.meta)
      lines.push(demoteHeadings(reportMarkdown(o.report, o.meta, o.details)).replace(/^## /, `## ${mdText(o.name)}: `), '');
    else lines.push(`## ${mdText(o.name)}: ${o.status}`, '', o.error ? mdText(o.error) : 'Not run: an earlier target failed.', '');
  }
  return lines.join('\n').trimEnd() + '\n';
}
