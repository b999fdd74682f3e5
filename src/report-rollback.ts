import { nationalCloudGraph } from './graph/trusted-endpoint.js';
import type { RunReport } from './plan/types.js';
import type { ChangeSummary } from './report-summary.js';
import { humanDateTime } from './ui/dates.js';

// The change record's rollback section: the exact `restore` command for this run's journal, and
// what restore does not undo (it puts back removed members, nothing else).

/** How to roll this run back (the JSON report's `rollback`). */
export interface Rollback {
  /** The journal this run wrote (absolute path). */
  journal: string;
  /** Member removals that were sent (confirmed, or answered with a failure): what restore may put back. */
  removalsSent: number;
  /** Of those, the removals Graph confirmed. */
  removalsConfirmed: number;
  /** The read-only preview, as argv (program name first); absent when restore has nothing to put back. */
  preview?: string[];
  /** The restore itself, non-interactive (`--yes`). */
  restore?: string[];
  /** This run's changes restore does not undo, each with how to undo it by hand. */
  notUndone: string[];
}

const sent = (o: string) => o === 'done' || o === 'failed';

/**
 * Pure: the rollback of a run that wrote a journal, or undefined (an audit, a restore, or a run
 * that sent no write). Restore takes the tenant, cloud and Graph endpoint from the journal; the
 * command still names the tenant (restore checks it against the journal) and, for an endpoint
 * that is not a national cloud's own, `--graph-endpoint`, without which restore refuses to send
 * the token there.
 */
export function rollbackOf(
  report: RunReport,
  summary: ChangeSummary,
  run: { command: string; journal?: string; tenantId: string; graphEndpoint?: string },
): Rollback | undefined {
  if (run.command === 'restore' || report.mode !== 'run' || !run.journal) return undefined;
  const removals = summary.standingAccessRemoved.filter((r) => sent(r.outcome)).length;
  const notUndone = notUndoneBy(summary);
  if (removals === 0 && notUndone.length === 0) return undefined;
  const base = ['entra-pim-setup', 'restore', '--journal', run.journal, '--tenant-id', run.tenantId];
  if (run.graphEndpoint && !nationalCloudGraph(run.graphEndpoint)) base.push('--graph-endpoint', run.graphEndpoint);
  return {
    journal: run.journal,
    removalsSent: removals,
    removalsConfirmed: summary.standingAccessRemoved.filter((r) => r.outcome === 'done').length,
    ...(removals ? { preview: [...base, '--dry-run'], restore: [...base, '--yes'] } : {}),
    notUndone,
  };
}

/** Pure: the changes of this run that restore leaves as they are, with how to undo each by hand. */
export function notUndoneBy(summary: ChangeSummary): string[] {
  const out: string[] = [];
  const eligible = summary.eligible.filter((e) => sent(e.outcome));
  if (eligible.length) {
    const who = eligible.map((e) => e.principal.userPrincipalName ?? e.principal.displayName ?? e.principal.id).join(', ');
    const last = eligible.map((e) => e.end).sort()[eligible.length - 1];
    out.push(
      `The eligibilities (${who}): remove them in Privileged Identity Management (Groups, the group's Assignments, Eligible ` +
        `assignments) or let them end (the last on ${humanDateTime(new Date(last))}). The group stays under PIM for Groups: that ` +
        `cannot be undone.`,
    );
  }
  for (const p of summary.policy.filter((x) => sent(x.outcome)))
    out.push(`The activation policy's ${p.setting}, now ${p.after}: set it back to ${p.before} in the group's PIM settings (Member role).`);
  for (const a of summary.app.filter((x) => sent(x.outcome)))
    out.push(
      a.change === 'requireAssignment'
        ? "Assignment required on the enterprise app: turn it off again in the app's Properties to undo."
        : `The group's assignment to the app (${a.summary}): remove it in the app's Users and groups to undo.`,
    );
  for (const k of summary.keycloak.filter((x) => sent(x.outcome)))
    out.push(
      k.change === 'create'
        ? `Keycloak mapper "${k.mapper}" on ${k.identityProvider} (realm ${k.realm}) was created: delete it in the admin console to undo.`
        : `Keycloak mapper "${k.mapper}" on ${k.identityProvider} (realm ${k.realm}) was updated: its previous settings ` +
            `(${k.settings.join('; ')}) are in the journal as the update's backup; set them back in the admin console to undo.`,
    );
  return out;
}
