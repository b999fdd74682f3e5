import { removalOf } from './graph/writes.js';
import type { JournalEntry } from './journal.js';

// Reading a journal back, for restore: its entries, its runs' groups, and the member removals it records.

/** Reads a journal file; a torn last line (a run killed mid-append) is ignored. */
export function readJournal(text: string): JournalEntry[] {
  const out: JournalEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as JournalEntry);
    } catch {
      // Only the last line can be torn; anything unparsable carries no complete record.
    }
  }
  return out;
}

/** A member the journal says was (or may have been) removed from a group. */
export interface RemovedMember {
  groupId: string;
  groupName?: string;
  member: { id: string; displayName?: string | null; userPrincipalName?: string | null; appId?: string | null; '@odata.type'?: string };
  /** `removed`: Graph confirmed; `unknown`: no answer was understood, so the removal may have happened. */
  outcome: 'removed' | 'unknown';
  /** Why the outcome is unknown (shown next to the member). */
  why?: string;
  /** The group named by the `group` entry of the run that sent the removal, when it has one. */
  runGroupId?: string;
}

/** The admin group a run recorded before its first write (`group` entry). */
export interface JournalGroup {
  groupId: string;
  displayName: string;
}

type After = Extract<JournalEntry, { type: 'after' }>;

/**
 * Pure: what one answer says about a removal. Only a definite Graph refusal (a 4xx other than
 * 404) means nothing was removed. Everything else that is not a 2xx is unknown: no answer at
 * all (killed, connection dropped, `outcome: 'unknown'`, or older journals' "outcome unknown"
 * message without a status), or a 404, which a retried envelope gets for a member its first,
 * unanswered attempt already removed.
 */
export function removalOutcome(answer: After | undefined): { outcome: 'removed' | 'unknown' | 'failed'; why?: string } {
  if (!answer) return { outcome: 'unknown', why: 'the journal has no answer for its removal' };
  if (answer.outcome === 'unknown' || (!answer.ok && !answer.status))
    return { outcome: 'unknown', why: 'the answer to its removal was lost' };
  if (answer.ok) return { outcome: 'removed' };
  if (answer.status === 404)
    return { outcome: 'unknown', why: 'its removal was answered 404: an earlier, unanswered attempt may have removed it' };
  // A gateway or server error (5xx, also after the retries ran out) does not prove the removal
  // did not happen behind it; only a 4xx is Graph refusing it.
  if (answer.status !== undefined && answer.status >= 500)
    return { outcome: 'unknown', why: `its removal was answered ${answer.status}: it may have happened behind the error` };
  return { outcome: 'failed' };
}

/** Pure: the journal cut into runs, each from its `start` entry (sequence numbers restart per run). */
function runsOf(entries: JournalEntry[]): JournalEntry[][] {
  const runs: JournalEntry[][] = [[]];
  for (const e of entries) {
    if (e.type === 'start' && runs[runs.length - 1].length) runs.push([]);
    runs[runs.length - 1].push(e);
  }
  return runs;
}

/** Pure: the distinct groups the journal's runs recorded as theirs. */
export function journalGroups(entries: JournalEntry[]): JournalGroup[] {
  const out = new Map<string, JournalGroup>();
  for (const e of entries) {
    if (e.type === 'group' && typeof e.groupId === 'string')
      out.set(e.groupId.toLowerCase(), { groupId: e.groupId, displayName: e.displayName });
  }
  return [...out.values()];
}

/**
 * Pure: every member removal a journal records, except those Graph refused (nothing was removed
 * then). A removal whose answer is missing or was not understood may have happened, so it counts
 * as `unknown`. A member removed in several runs counts once, confirmed if any run confirmed it.
 */
export function removedMembers(entries: JournalEntry[]): RemovedMember[] {
  const out = new Map<string, RemovedMember>();
  for (const run of runsOf(entries)) {
    const answers = new Map<number, After>();
    let runGroupId: string | undefined;
    for (const e of run) {
      if (e.type === 'after') answers.set(e.seq, e);
      if (e.type === 'group') runGroupId = e.groupId;
    }
    for (const e of run) {
      if (e.type !== 'before') continue;
      const removal = removalOf(e.request);
      if (!removal) continue;
      const { groupId, memberId } = removal;
      const { outcome, why } = removalOutcome(answers.get(e.seq));
      if (outcome === 'failed') continue;
      const key = `${groupId}/${memberId}`.toLowerCase();
      const seen = out.get(key);
      if (seen?.outcome === 'removed') continue;
      const backup = (e.backup ?? {}) as { groupName?: string; member?: RemovedMember['member'] };
      out.set(key, {
        groupId,
        groupName: backup.groupName,
        // A record that names another id than the request is no record of this member.
        member:
          backup.member && typeof backup.member === 'object' && String(backup.member.id ?? '').toLowerCase() === memberId.toLowerCase()
            ? backup.member
            : { id: memberId },
        outcome,
        ...(why ? { why } : {}),
        ...(runGroupId ? { runGroupId } : {}),
      });
    }
  }
  return [...out.values()];
}
