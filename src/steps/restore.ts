import type { RunContext } from '../context.js';
import { errorText } from '../graph/graph-api.js';
import type { RemovedMember } from '../journal.js';
import type { Action, Step, StepPlan } from '../plan/types.js';
import { finding, who } from './common.js';
import { listGroupMembers } from './admin-group.js';

/** Duplicate member answer (treated as success: the member is back). */
const ALREADY_MEMBER = /already exist/i;

/**
 * Puts back every member a journal says was removed. Plans one POST …/members/$ref per member
 * who is not a member now; members already back are no-ops, so a re-run changes nothing.
 */
export function restoreStep(removed: RemovedMember[], graphBase: string): Step<RunContext> {
  return {
    id: 'admin-group',
    title: 'Restore removed members',
    async plan(ctx): Promise<StepPlan> {
      const byGroup = new Map<string, RemovedMember[]>();
      for (const r of removed) byGroup.set(r.groupId, [...(byGroup.get(r.groupId) ?? []), r]);
      const actions: Action[] = [];
      const findings = [finding('info', 'RESTORE_FROM_JOURNAL', `the journal records ${removed.length} removal(s) in ${byGroup.size} group(s)`)];
      for (const [groupId, members] of byGroup) {
        // Service principals too: v1.0 would not list them, and one put back would look absent.
        const current = await listGroupMembers<{ id: string }>(ctx.graph, groupId, 'id');
        const present = new Set(current.map((m) => m.id));
        for (const r of members) {
          const label = `${who(r.member)} to ${r.groupName ?? groupId}`;
          if (present.has(r.member.id)) {
            actions.push({ kind: 'noop', summary: `${who(r.member)} is a member of ${r.groupName ?? groupId}` });
            continue;
          }
          actions.push({
            kind: 'create',
            target: 'graph',
            summary: `add ${label}${r.outcome === 'unknown' ? ' (the journal has no answer for its removal)' : ''}`,
            request: { method: 'POST', url: `/groups/${groupId}/members/$ref`, body: { '@odata.id': `${graphBase}/v1.0/directoryObjects/${r.member.id}` } },
          });
        }
      }
      return { findings, actions };
    },
    async apply(plan, ctx) {
      const adds = plan.actions.filter((a) => a.request);
      const results = await ctx.graph.writeBatch(adds.map((a) => ({ request: a.request! })));
      const failed: string[] = [];
      results.forEach((r, i) => {
        const ok = (r.status >= 200 && r.status < 300) || (r.status === 400 && ALREADY_MEMBER.test(errorText(r)));
        adds[i].result = { ok, status: r.status, message: ok ? undefined : errorText(r) };
        if (!ok) failed.push(`${adds[i].summary}: ${errorText(r)}`);
      });
      if (failed.length) throw new Error(`${failed.length} of ${adds.length} member(s) could not be restored: ${failed.slice(0, 5).join('; ')}`);
    },
  };
}
