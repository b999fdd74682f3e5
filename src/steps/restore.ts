import type { RestoreContext } from '../context.js';
import { GraphRequestError } from '../errors.js';
import { errorText, type GraphResponse } from '../graph/graph-api.js';
import { graphOpOf, graphWrite } from '../graph/writes.js';
import type { JournalGroup, RemovedMember } from '../journal-reading.js';
import type { Action, Step, StepPlan } from '../plan/types.js';
import type { Finding } from '../core/findings.js';
import { who } from '../entra/lookup.js';
import { finding } from '../core/findings.js';
import { isGuid } from '../core/ids.js';
import { listGroupMembers } from './admin-group.js';
import { valueOf, type Read } from './snapshot.js';

/** Duplicate member answer (treated as success: the member is back). */
const ALREADY_MEMBER = /already exist/i;

/** What restore takes from a journal: its removals and the groups its runs recorded. */
export interface RestoreSource {
  removed: RemovedMember[];
  groups: JournalGroup[];
}

/** A directory object as read live, by id, to compare with the journal's record. */
export interface LiveObject {
  id: string;
  displayName?: string | null;
  userPrincipalName?: string | null;
  appId?: string | null;
}

/**
 * The member types restore can verify, each read on its own typed path with the least
 * permission its page lists: `GET /directoryObjects/{id}` would need Directory.Read.All (Learn
 * "Get directoryObject", directoryobject-get). Learn "Get user" (user-get): User.ReadBasic.All
 * reads displayName and userPrincipalName; "Get servicePrincipal" (serviceprincipal-get):
 * Application.Read.All; "Get group" (group-get): GroupMember.Read.All. A typed path answers 404
 * for an object of another type, so the type is verified too.
 */
export const MEMBER_KINDS: Record<
  string,
  { noun: string; path: string; select: string; identity: Array<'displayName' | 'userPrincipalName' | 'appId'> }
> = {
  '#microsoft.graph.user': {
    noun: 'user',
    path: 'users',
    select: 'id,displayName,userPrincipalName',
    identity: ['userPrincipalName', 'displayName'],
  },
  '#microsoft.graph.servicePrincipal': {
    noun: 'service principal',
    path: 'servicePrincipals',
    select: 'id,displayName,appId',
    identity: ['appId', 'displayName'],
  },
  '#microsoft.graph.group': { noun: 'group', path: 'groups', select: 'id,displayName', identity: ['displayName'] },
};

const same = (a: string | null | undefined, b: string | null | undefined, caseless: boolean): boolean =>
  caseless ? (a ?? '').toLowerCase() === (b ?? '').toLowerCase() : (a ?? '') === (b ?? '');

/** Pure: the identity properties in which the live object differs from the journal's record. */
export function identityDiff(kind: string, recorded: RemovedMember['member'], live: LiveObject): string[] {
  const spec = MEMBER_KINDS[kind];
  if (!spec) return ['@odata.type'];
  const diff: string[] = spec.identity.filter((p) => !same(recorded[p], live[p], p !== 'displayName'));
  if (!same(recorded.id, live.id, true)) diff.unshift('id');
  return diff;
}

/**
 * Pure: the group restore may write to, and the journal entries it refuses. The run's own group
 * is the one its `group` entry names; a journal written before runs recorded it falls back to the
 * one group its removals name. Entries for any other group are refused, and so is a journal whose
 * runs name more than one group (restore one group at a time).
 */
export function restoreTarget(source: RestoreSource): {
  group?: { id: string; recordedName?: string; fromEntry: boolean };
  refused: string[];
} {
  const refused: string[] = [];
  const lower = (s: string) => s.toLowerCase();
  if (source.groups.length > 1) {
    refused.push(
      `the journal records runs on ${source.groups.length} groups ` +
        `(${source.groups.map((g) => `${g.displayName} ${g.groupId}`).join(', ')}); restore works on one group: nothing restored`,
    );
    return { refused };
  }
  let group: { id: string; recordedName?: string; fromEntry: boolean } | undefined;
  if (source.groups.length === 1) {
    group = { id: source.groups[0].groupId, recordedName: source.groups[0].displayName, fromEntry: true };
  } else {
    const ids = [...new Set(source.removed.map((r) => lower(r.groupId)))];
    if (ids.length > 1) {
      refused.push(
        `the journal's removals name ${ids.length} groups (${ids.join(', ')}) and no run group: restore works on one group: nothing restored`,
      );
      return { refused };
    }
    if (ids.length === 1) {
      const first = source.removed[0];
      group = { id: first.groupId, recordedName: first.groupName, fromEntry: false };
    }
  }
  if (!group) return { refused };
  const others = source.removed.filter(
    (r) => lower(r.groupId) !== lower(group.id) || (r.runGroupId !== undefined && lower(r.runGroupId) !== lower(group.id)),
  );
  if (others.length) {
    refused.push(
      `${others.length} journal entr${others.length === 1 ? 'y names' : 'ies name'} another group than the run's ` +
        `(${group.recordedName ?? group.id} ${group.id}): ${examples(others.map((r) => `${who(r.member)} in ${r.groupName ?? r.groupId}`))}`,
    );
  }
  return { group, refused };
}

function examples(items: string[]): string {
  return `${items.slice(0, 5).join('; ')}${items.length > 5 ? `; … (${items.length - 5} more)` : ''}`;
}

/** Pure: the journal's removals from `groupId`, sorted into those restore can verify and those it refuses. */
function classify(removed: RemovedMember[], groupId: string) {
  const mine = removed.filter((r) => r.groupId.toLowerCase() === groupId.toLowerCase());
  const badIds: string[] = [];
  const noRecord: string[] = [];
  const checkable: Array<{ r: RemovedMember; kind: string }> = [];
  for (const r of mine) {
    const kind = r.member['@odata.type'];
    if (!isGuid(r.member.id)) badIds.push(`"${r.member.id}"`);
    else if (!kind || !MEMBER_KINDS[kind]) noRecord.push(kind ? `${r.member.id} (${kind})` : r.member.id);
    else if (MEMBER_KINDS[kind].identity.some((p) => !r.member[p])) noRecord.push(`${r.member.id} (${who(r.member)})`);
    else checkable.push({ r, kind });
  }
  return { badIds, noRecord, checkable };
}

/** The group restore writes to, as read live. */
export interface LiveGroup {
  id: string;
  displayName: string;
  isAssignableToRole?: boolean | null;
}

/**
 * What restore reads before it plans: the journal's group (null when it does not exist), who each
 * verifiable member is now (one answer per member, in the order of the journal), and the group's
 * members. Nothing is read when the journal names no group restore could write to.
 */
export interface RestoreReads {
  group?: LiveGroup | null;
  answers: Array<GraphResponse<LiveObject>>;
  members: Array<{ id: string }>;
}

/** Restore's snapshot: its reads, or the Graph error that stopped them (the plan reports it). */
export type RestoreSnapshot = Read<RestoreReads>;

/**
 * Restore's read phase: the journal's group, then (once it exists) who each member is now and
 * who is a member now. A signed-in user of a run is asked here for the scope a role-assignable
 * group needs.
 */
export async function readRestore(ctx: RestoreContext, source: RestoreSource): Promise<RestoreSnapshot> {
  const reads: RestoreReads = { answers: [], members: [] };
  const target = source.removed.length ? restoreTarget(source).group : undefined;
  if (!target || !isGuid(target.id)) return { ok: true, value: reads };
  const groupId = target.id;
  try {
    const group = await ctx.graph.find<LiveGroup>(`/groups/${groupId}?$select=id,displayName,isAssignableToRole`);
    reads.group = group;
    if (!group) return { ok: true, value: reads };
    // Adding members to a role-assignable group also needs RoleManagement.ReadWrite.Directory
    // (Learn "Add members"); a signed-in user is asked for it now that the group is known.
    if (group.isAssignableToRole && ctx.options.mode !== 'audit') await ctx.graph.requestScopes?.(['RoleManagement.ReadWrite.Directory']);
    const { checkable } = classify(source.removed, groupId);
    // Who each id really is now, not what the journal says: a hand-edited journal could name
    // anyone, so identity is read live ($batches of 20) and compared with the record.
    reads.answers = await ctx.graph.getManySettled<LiveObject>(
      checkable.map(({ r, kind }) => `/${MEMBER_KINDS[kind].path}/${r.member.id}?$select=${MEMBER_KINDS[kind].select}`),
    );
    // Service principals too: v1.0 would not list them, and one put back would look absent.
    reads.members = await listGroupMembers<{ id: string }>(ctx.graph, groupId, 'id');
    return { ok: true, value: reads };
  } catch (err) {
    if (err instanceof GraphRequestError) return { ok: false, error: err };
    throw err;
  }
}

/**
 * Puts back every member a journal says was removed, into the group of the journal's own run
 * only. Each member is read live by id and must still be who the journal recorded (type,
 * UPN or appId, display name); anything else is refused and nothing is written. Plans one
 * POST …/members/$ref per member who is not a member now; members already back are no-ops, so
 * a re-run changes nothing.
 */
export function restoreStep(source: RestoreSource, graphBase: string, confirmedGroup?: string): Step<RestoreContext, RestoreSnapshot> {
  return {
    id: 'restore',
    title: 'Restore removed members',
    plan(snapshot): StepPlan {
      const { removed } = source;
      const unknown = removed.filter((r) => r.outcome === 'unknown').length;
      const findings: Finding[] = [
        finding(
          'info',
          'RESTORE_FROM_JOURNAL',
          `the journal records ${removed.length} ` +
            `removal(s)${unknown ? `, ${unknown} of them with no confirmed answer (restored too: they may have happened)` : ''}`,
        ),
      ];
      const refuse = (code: string, what: string[], message: string, fix: string) => {
        if (what.length) findings.push(finding('error', code, `${what.length} ${message}, refused: ${examples(what)}`, fix));
      };
      const forged =
        'restore adds only members the journal recorded and that are still the same objects; check where this journal came from, and add anyone else by hand';
      if (removed.length === 0) return { findings, actions: [{ kind: 'noop', summary: 'the journal records no removal' }] };

      const target = restoreTarget(source);
      for (const message of target.refused) findings.push(finding('error', 'RESTORE_OTHER_GROUP', message, forged));
      if (!target.group) return { findings, actions: [] };
      const groupId = target.group.id;
      if (!isGuid(groupId)) {
        findings.push(
          finding('error', 'RESTORE_BAD_ID', `the journal names group "${groupId}", which is not an object id: refused`, forged),
        );
        return { findings, actions: [] };
      }
      const reads = valueOf(snapshot);
      const group = reads.group;
      if (!group) {
        findings.push(finding('error', 'RESTORE_GROUP_MISSING', `the journal's group ${groupId} does not exist: nothing to restore into`));
        return { findings, actions: [] };
      }
      // The journal is only a file: a forged one could name any group. Where the harm would be
      // greatest (a role-assignable group, whose members hold directory roles) or the journal does
      // not record its run's group at all, the admin must name the group outside the journal.
      const confirmed = confirmedGroup !== undefined && confirmedGroup.toLowerCase() === group.id.toLowerCase();
      if (confirmedGroup !== undefined && !confirmed) {
        findings.push(
          finding(
            'error',
            'RESTORE_GROUP_MISMATCH',
            `--group ${confirmedGroup}: the journal's run was on ${group.displayName} (${group.id}), not that group: refused`,
            'check that this is the journal of the run you mean to undo',
          ),
        );
      } else if (!confirmed && group.isAssignableToRole !== false) {
        // An answer without isAssignableToRole is read as role-assignable: the stricter case.
        const kind = group.isAssignableToRole ? 'is role-assignable' : 'may be role-assignable (Graph did not say)';
        findings.push(
          finding(
            'error',
            'RESTORE_GROUP_UNCONFIRMED',
            `the journal's group ${group.displayName} (${group.id}) ${kind}: its members hold directory roles, so restore ` +
              `writes to it only when --group names it`,
            `pass --group ${group.id} if this is the run to undo`,
          ),
        );
      } else if (!confirmed && !target.group.fromEntry) {
        findings.push(
          finding(
            'error',
            'RESTORE_GROUP_UNCONFIRMED',
            `the journal does not record its run's group (it predates run group entries); its removals name ` +
              `${group.displayName} (${group.id}): restore writes to it only when --group names it`,
            `pass --group ${group.id} if this is the run to undo`,
          ),
        );
      }
      if (target.group.recordedName !== undefined && target.group.recordedName !== group.displayName) {
        findings.push(
          finding(
            'error',
            'RESTORE_GROUP_CHANGED',
            `the journal's group ${groupId} is now named "${group.displayName}", the journal says "${target.group.recordedName}": refused`,
            forged,
          ),
        );
      }
      findings.push(
        finding(
          'info',
          'RESTORE_GROUP',
          `restoring into ${group.displayName} (${group.id}), the group of the journal's ` +
            `run${target.group.fromEntry ? '' : ' (named by its removals: the journal predates run group entries)'}`,
        ),
      );
      if (group.isAssignableToRole) {
        findings.push(
          finding(
            'warning',
            'RESTORE_ROLE_ASSIGNABLE',
            `${group.displayName} is role-assignable: the members put back also hold its directory roles`,
          ),
        );
      }

      const { badIds, noRecord, checkable } = classify(removed, groupId);
      refuse('RESTORE_BAD_ID', badIds, 'journal entr(ies) name something that is not an object id', forged);
      refuse(
        'RESTORE_NO_RECORD',
        noRecord,
        'journal entr(ies) carry no record of who the member was (type, UPN or appId, display name), so who it is cannot be verified',
        forged,
      );

      // Who each id really is now (read by readRestore), compared with the record.
      const answers = reads.answers;
      const present = new Set(reads.members.map((m) => m.id.toLowerCase()));
      const missing: string[] = [];
      const changed: string[] = [];
      const unreadable: string[] = [];
      const actions: Action[] = [];
      checkable.forEach(({ r, kind }, i) => {
        const res = answers[i];
        const noun = MEMBER_KINDS[kind].noun;
        if (res.status === 404) return void missing.push(`${r.member.id} (recorded as ${noun} ${who(r.member)})`);
        if (res.status < 200 || res.status >= 300 || !res.body || typeof res.body !== 'object')
          return void unreadable.push(`${r.member.id}: ${errorText(res)}`);
        const live = res.body;
        const diff = identityDiff(kind, r.member, live);
        if (diff.length)
          return void changed.push(
            `${r.member.id} is ${noun} ${who(live)}${live.appId ? ` (appId ${live.appId})` : ''}, the journal records ` +
              `${who(r.member)}${r.member.appId ? ` (appId ${r.member.appId})` : ''} (${diff.join(', ')} differ)`,
          );
        const label = `${noun} ${who(live)} (${live.id})`;
        if (present.has(r.member.id.toLowerCase())) {
          actions.push({ kind: 'noop', summary: `${label} is a member of ${group.displayName}` });
          return;
        }
        actions.push({
          kind: 'create',
          target: 'graph',
          summary: `add ${label} to ${group.displayName}${r.outcome === 'unknown' && r.why ? ` (${r.why})` : ''}`,
          ...graphWrite({ op: 'group.addMember', groupId, memberId: r.member.id, graphBase }),
        });
      });
      refuse('RESTORE_UNKNOWN_ID', missing, 'member(s) in the journal do not exist (as the recorded type)', forged);
      refuse('RESTORE_IDENTITY_CHANGED', changed, 'member(s) are not who the journal records', forged);
      refuse(
        'RESTORE_UNVERIFIED',
        unreadable,
        'member(s) could not be read to verify who they are',
        'restore needs GroupMember.ReadWrite.All, User.ReadBasic.All and Application.Read.All (see Permissions)',
      );
      return { findings, actions };
    },
    async apply(plan, ctx) {
      const adds = plan.actions.filter((a) => graphOpOf(a));
      const results = await ctx.graph.writeBatch(adds.map((a) => ({ op: graphOpOf(a)! })));
      const failed: string[] = [];
      results.forEach((r, i) => {
        const ok = (r.status >= 200 && r.status < 300) || (r.status === 400 && ALREADY_MEMBER.test(errorText(r)));
        adds[i].result = { ok, status: r.status, message: ok ? undefined : errorText(r) };
        if (!ok) failed.push(`${adds[i].summary}: ${errorText(r)}`);
      });
      if (failed.length)
        throw new Error(`${failed.length} of ${adds.length} member(s) could not be restored: ${failed.slice(0, 5).join('; ')}`);
    },
  };
}
