import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { reportJson } from './plan/render.js';
import type { RunReport } from './plan/types.js';
import { redact, redactText } from './core/redact.js';
import { jsonSafe } from './ui/safe-text.js';
import { safeReport, type ReportMeta } from './report-meta.js';
import { reportMarkdown } from './report-markdown.js';
import { changeSummary, type ReportDetails } from './report-summary.js';
import { rollbackOf } from './report-rollback.js';

/**
 * The `--report FILE.json` document: exactly what `--json` prints, plus `summary` (the change
 * summary as data), `rollback` (when the run wrote a journal with changes) and `meta`.
 */
export function reportJsonDocument(report: RunReport, meta: ReportMeta, details: ReportDetails = {}): string {
  const summary = changeSummary(report, details.snapshot);
  const rollback = rollbackOf(report, summary, meta);
  const doc = {
    ...(JSON.parse(reportJson(safeReport(report))) as Record<string, unknown>),
    summary: redact(summary),
    ...(rollback ? { rollback: redact(rollback) } : {}),
    meta: redact(meta),
  };
  return jsonSafe(redactText(JSON.stringify(doc, null, 2))) + '\n';
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
export function writeReportFile(file: string, report: RunReport, meta: ReportMeta, details: ReportDetails = {}): void {
  writeReportText(file, /\.json$/i.test(file) ? reportJsonDocument(report, meta, details) : reportMarkdown(report, meta, details));
}

/** Writes a rendered report as writeReportFile does: redacted, 0600, renamed into place. */
export function writeReportText(file: string, rendered: string): void {
  const text = redactText(rendered);
  // A new file of an unguessable name, created here or not at all (`wx`): a link planted at the
  // temporary name in a shared folder is not followed (the report would go wherever it points).
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new Error(`--report ${file}: cannot write the report (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}
