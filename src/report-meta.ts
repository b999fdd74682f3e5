import path from 'node:path';
import type { PrerequisiteFacts } from './steps/snapshot.js';
import type { RunReport } from './plan/types.js';
import type { ReportDetails } from './report-summary.js';
import { redact, redactText, registerSecret, SECRET_ENV } from './core/redact.js';

/**
 * What a report file carries besides the run report (who, when, which app and group), and the
 * redacted copy of the run report that both formats (report.ts, report-markdown.ts) print.
 */

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
  /** The change ticket sent as PIM ticketInfo with each eligibility request. */
  ticket?: { ticketNumber: string; ticketSystem?: string };
  /** The saved plan this run applied. */
  appliedPlan?: { file: string; digest: string; createdAt: string };
}

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
  /** What the change record's summary and checklist are made from (run and audit; restore has none). */
  reportDetails?(): ReportDetails;
  /** What the read phase found (restore: the group it read), asked for once the run has ended. */
  reportFacts(): Pick<PrerequisiteFacts, 'caller' | 'servicePrincipal' | 'group' | 'ssoMode'>;
  journal: { readonly path: string | undefined };
  /** `run` and `audit`: the change ticket given (--ticket-number). */
  ticket?: ReportMeta['ticket'];
  /** The saved plan the run applies (`run --plan`). */
  appliedPlan?: ReportMeta['appliedPlan'];
}

export function reportMeta(
  ctx: ReportSubject,
  report: RunReport,
  run: { startedAt: Date; version: string; argv: readonly string[]; env: NodeJS.ProcessEnv; exitCode: number; graphEndpoint?: string },
): ReportMeta {
  for (const name of SECRET_ENV) registerSecret(run.env[name]);
  const { caller, servicePrincipal: sp, group, ssoMode } = ctx.reportFacts();
  const first = run.argv[0];
  // report.journal names the file whenever writes reached it: the runner sets it for a run that
  // got to writing, and executeAndReport clears it only when nothing was written (FileJournal's
  // `written` stays true after close). The fallback matters only for a report built elsewhere.
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
    ...(caller
      ? { caller: { kind: caller.kind, ...(caller.id ? { id: caller.id } : {}), ...(caller.name ? { name: caller.name } : {}) } }
      : {}),
    ...(sp
      ? { app: { displayName: sp.displayName ?? undefined, appId: sp.appId, servicePrincipalId: sp.id, ...(ssoMode ? { ssoMode } : {}) } }
      : {}),
    ...(group ? { group: { displayName: group.displayName, id: group.id } } : {}),
    ...(journal ? { journal: path.resolve(journal) } : {}),
    ...(run.graphEndpoint ? { graphEndpoint: run.graphEndpoint } : {}),
    ...(ctx.ticket ? { ticket: { ...ctx.ticket } } : {}),
    ...(ctx.appliedPlan ? { appliedPlan: ctx.appliedPlan } : {}),
  };
}

/**
 * A copy of the report whose request bodies and results went through `redact` (a Keycloak
 * mapper or credential body could carry a secret-named key). Findings are left as they are:
 * `redact` would mask their `code` field, and their text is covered by the final `redactText`.
 */
export function safeReport(report: RunReport): RunReport {
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

/**
 * Whether any step got as far as sending: writes happen only in a step's apply, which leaves
 * the step `changed` or with an APPLY_FAILED finding. Audit never applies. This does not rely on
 * the journal, so a claim that nothing was changed holds whatever the journal bookkeeping says.
 */
export function writesSent(report: RunReport): boolean {
  return report.mode === 'run' && report.steps.some((s) => s.status === 'changed' || s.findings.some((f) => f.code === 'APPLY_FAILED'));
}
