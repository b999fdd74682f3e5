import type { RunContext, RunOptions } from '../context.js';
import { BETA, errorText, MAX_PAGE, withQuery, type GraphApi } from '../graph/graph-api.js';
import { graphOpOf, graphWrite } from '../graph/writes.js';
import { isActivated } from '../graph/enums.js';
import type { Action, Step, StepPlan } from '../plan/types.js';
import type { Finding } from '../core/findings.js';
import { who } from '../entra/lookup.js';
import { finding } from '../core/findings.js';
import { needFact } from '../plan/skip.js';
import { valueOf, type DirectoryMember, type TenantSnapshot } from './snapshot.js';
import type { PimInstance } from '../entra/pim.js';
import { eligibilityOutcome } from './pim-eligibility.js';
import { holders, readUsableEligibilities } from './usable-eligibility.js';

export const MEMBER_SELECT = 'id,displayName,userPrincipalName,mail,accountEnabled,userType,appId';
const SERVICE_PRINCIPAL = '#microsoft.graph.servicePrincipal';

/**
 * Pure: the members that hold the group standing. A member whose membership comes from an
 * activated PIM assignment is just-in-time already and stays.
 */
export function standingMembers(
  members: DirectoryMember[],
  active: PimInstance[],
): { standing: DirectoryMember[]; jit: DirectoryMember[] } {
  const activated = new Set(active.filter(isActivated).map((a) => a.principalId));
  const standing: DirectoryMember[] = [];
  const jit: DirectoryMember[] = [];
  for (const m of members) (activated.has(m.id) ? jit : standing).push(m);
  return { standing, jit };
}

/**
 * Every direct member of a group, service principals included.
 *
 * v1.0 `GET /groups/{id}/members` leaves service principals out: a documented known issue (Learn
 * "List group members", group-list-members, and "Known issues in Microsoft Graph": "GET
 * /groups/{id}/members doesn't return service principals in v1.0"). Of the two documented
 * workarounds this uses the beta endpoint of the same API: `/groups/{id}?$expand=members` returns
 * at most 20 expanded directory objects with no next link (Learn "Use query parameters"), so it
 * cannot list a large group completely. A standing service principal would otherwise stay
 * invisible and audit would call the group compliant.
 */
export function listGroupMembers<T>(graph: Pick<GraphApi, 'list'>, groupId: string, select: string): Promise<T[]> {
  return graph.list<T>(withQuery(`${BETA}/groups/${groupId}/members`, { $select: select, $top: MAX_PAGE }));
}

/** Pure: standing members who can be turned into eligible assignments (enabled users only). */
export function convertibleMembers(standing: DirectoryMember[]): DirectoryMember[] {
  return standing.filter((m) => (m['@odata.type'] ?? '#microsoft.graph.user') === '#microsoft.graph.user' && m.accountEnabled !== false);
}

/** The group's member assignments active at the snapshot's time, when PIM could be read. */
export function activeAssignmentsOf(snapshot: TenantSnapshot): PimInstance[] | undefined {
  return snapshot.pim?.ok ? [...snapshot.pim.value.activeAssignments] : undefined;
}

/**
 * Pure: removes every standing member of the admin group (journaled first), unless that would
 * leave nobody who can become admin after the run as planned (the lockout guard).
 */
export function planAdminGroup(snapshot: TenantSnapshot, options: RunOptions): StepPlan {
  const group = needFact(snapshot.facts.group, 'the admin group');
  const members = valueOf(needFact(snapshot.members, 'the members of the admin group'));
  const { standing, jit } = standingMembers([...members], activeAssignmentsOf(snapshot) ?? []);
  const findings: Finding[] = [];
  if (jit.length)
    findings.push(
      finding(
        'info',
        'MEMBERS_ACTIVATED',
        `${jit.length} member(s) hold the group through an active PIM activation and stay: ${jit.map(who).join(', ')}`,
      ),
    );
  if (standing.length === 0) {
    return { findings, actions: [{ kind: 'noop', summary: `${group.displayName} has no standing members` }] };
  }
  findings.push(
    finding('info', 'MEMBERS_STANDING', `${standing.length} standing member(s) of ${group.displayName} hold admin rights permanently`),
  );
  const apps = standing.filter((m) => m['@odata.type'] === SERVICE_PRINCIPAL);
  if (apps.length) {
    findings.push(
      finding(
        'warning',
        'MEMBERS_SERVICE_PRINCIPAL',
        `${apps.length} service principal(s) are standing members and hold admin rights without PIM: ` +
          `${apps.map(who).join(', ')} (Graph v1.0 does not list them as members)`,
        'they are removed with the other standing members (journaled first; `restore` puts them back)',
      ),
    );
  }
  const caller = snapshot.facts.caller;
  const callerId = caller?.kind === 'user' ? caller.id : undefined;
  if (callerId && standing.some((m) => m.id === callerId)) {
    findings.push(
      finding(
        'warning',
        'CALLER_IS_MEMBER',
        `you (${caller?.name}) are a standing member and will be removed too`,
        'make yourself eligible with --eligible if you need admin rights later',
      ),
    );
  }
  // The guard judges the eligibility step's plan, from the same snapshot, whatever the order of the steps.
  const outcome = eligibilityOutcome(snapshot, options);
  const usableAfter = outcome.usableAfterRun ?? 0;
  if (usableAfter === 0 && !options.allowEmpty) {
    const future = outcome.plannedFutureStart;
    findings.push(
      finding(
        'error',
        'LOCKOUT_GUARD',
        future
          ? `removing the ${standing.length} standing member(s) now would leave nobody who can become admin until ` +
              `${future.toISOString()}, when the planned eligibilities start (--start); the standing members stay and nothing is changed`
          : `removing all ${standing.length} standing member(s) would leave nobody who can become admin: no eligible assignment ` +
              `usable now (started, not ended, Provisioned, held by an enabled user) exists or is planned`,
        future
          ? 'run without --start (eligibility from now), or run again once the eligibilities have started (or --allow-empty if another admin path exists)'
          : 'pass --eligible user@domain,… (or --allow-empty if another admin path exists)',
      ),
    );
  }
  const actions: Action[] = standing.map((m) => ({
    kind: 'delete',
    target: 'graph',
    summary: `remove ${who(m)} from ${group.displayName}`,
    ...graphWrite({ op: 'group.removeMember', groupId: group.id, memberId: m.id }),
    backup: { groupId: group.id, groupName: group.displayName, member: m },
  }));
  return { findings, actions };
}

/**
 * Empties the admin group of standing members. Each removal is `DELETE …/members/{id}/$ref`
 * (without `/$ref` Graph would delete the user object itself), sent in `$batch`es of 20, and
 * the member's full record is journaled before the request goes out.
 */
export const adminGroupStep: Step<RunContext, TenantSnapshot> = {
  id: 'admin-group',
  title: 'No standing members in the admin group',
  plan: (snapshot, options) => planAdminGroup(snapshot, options),
  async apply(plan, ctx, snapshot) {
    const deletes = plan.actions.filter((a) => graphOpOf(a));
    if (deletes.length === 0) return;
    if (!ctx.options.allowEmpty) {
      // The plan's count is minutes old and came before the eligibility requests were answered:
      // read schedules and accounts again, right before the first removal.
      const group = needFact(snapshot.facts.group, 'the admin group');
      const usable = await readUsableEligibilities(ctx, group.id);
      if (usable.length === 0) {
        throw new Error(
          `lockout guard: refused to remove ${deletes.length} standing member(s) of ${group.displayName}: read live just now, ` +
            `no eligible member assignment is usable (started, not ended, Provisioned, held by an enabled user), so nobody could ` +
            `become admin afterwards; nothing was removed. Make someone eligible (--eligible) or pass --allow-empty if another ` +
            `admin path exists`,
        );
      }
      ctx.log.verbose(`lockout guard: ${usable.length} usable eligibility(ies) read live (${holders(usable)})`);
    }
    const results = await ctx.graph.writeBatch(deletes.map((a) => ({ op: graphOpOf(a)!, backup: a.backup })));
    const failed: string[] = [];
    results.forEach((r, i) => {
      // 404: the member is already gone (a re-run, or someone else removed it): the goal holds.
      const ok = (r.status >= 200 && r.status < 300) || r.status === 404;
      deletes[i].result = { ok, status: r.status, message: r.status === 404 ? 'already removed' : ok ? undefined : errorText(r) };
      if (!ok) failed.push(`${deletes[i].summary}: ${errorText(r)}`);
    });
    if (failed.length) {
      throw new Error(
        `${failed.length} of ${deletes.length} removal(s) failed: ${failed.slice(0, 5).join('; ')}${failed.length > 5 ? '; …' : ''}`,
      );
    }
  },
};
