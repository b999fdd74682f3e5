import { describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../src/journal.js';
import { journalGroups, removalOutcome, removedMembers } from '../../src/journal-reading.js';
import { identityDiff, restoreTarget } from '../../src/steps/restore.js';

const G = '014b90e2-4da2-4c61-9a52-332a0ce58215';
const OTHER = '8d6e1c68-6d1a-4249-99ea-25fcd38dfdd1';
const U1 = '26d4ed77-1ded-4a9a-8b7d-cc64453e38ce';
const U2 = '33d3ee94-622d-49a9-8099-d82185f4833c';
const time = '2026-01-01T00:00:00.000Z';

const start = (): JournalEntry => ({ type: 'start', time, tool: 'entra-pim-setup', version: '0', mode: 'run', tenantId: 't', argv: [] });
const group = (groupId = G): JournalEntry => ({ type: 'group', time, groupId, displayName: 'tenant-admin' });
const removal = (seq: number, member: string, groupId = G): JournalEntry => ({
  type: 'before',
  time,
  seq,
  target: 'graph',
  request: { method: 'DELETE', url: `/groups/${groupId}/members/${member}/$ref` },
  backup: {
    groupId,
    groupName: 'tenant-admin',
    member: { id: member, displayName: 'Carol', userPrincipalName: 'carol@x', '@odata.type': '#microsoft.graph.user' },
  },
});
const answer = (seq: number, a: Partial<Extract<JournalEntry, { type: 'after' }>>): Extract<JournalEntry, { type: 'after' }> => ({
  type: 'after',
  time,
  seq,
  ok: false,
  ...a,
});

describe('removalOutcome: only a definite refusal means nothing was removed', () => {
  it.each([
    ['no answer', undefined, 'unknown'],
    ['2xx', answer(1, { ok: true, status: 204 }), 'removed'],
    ['outcome unknown (a dropped connection)', answer(1, { outcome: 'unknown', message: 'outcome unknown: reset' }), 'unknown'],
    ['an older journal: failed without any HTTP status', answer(1, { message: 'outcome unknown: reset' }), 'unknown'],
    ['status 0: the envelope came back without the item', answer(1, { outcome: 'unknown', status: 0 }), 'unknown'],
    ['404: a retried request found it gone', answer(1, { status: 404 }), 'unknown'],
    ['403', answer(1, { status: 403 }), 'failed'],
    ['429 after the retry budget', answer(1, { status: 429 }), 'failed'],
    ['503 after the retries: may have happened behind the gateway', answer(1, { status: 503 }), 'unknown'],
    ['500', answer(1, { status: 500 }), 'unknown'],
  ] as const)('%s', (_name, a, expected) => {
    expect(removalOutcome(a).outcome).toBe(expected);
  });
});

describe('removedMembers', () => {
  it('reads answers within each run: sequence numbers restart when a journal is appended to', () => {
    const entries = [
      start(),
      group(),
      removal(1, U1),
      answer(1, { status: 403 }),
      start(),
      group(),
      removal(1, U2),
      answer(1, { ok: true, status: 204 }),
    ];
    // Before, run 2's answer to seq 1 also answered run 1's seq 1 (and the other way round).
    expect(removedMembers(entries).map((r) => [r.member.id, r.outcome])).toEqual([[U2, 'removed']]);
  });

  it("records the run's group, and drops a member record that names another id than the request", () => {
    const forged = removal(2, U2) as Extract<JournalEntry, { type: 'before' }>;
    (forged.backup as { member: { id: string } }).member.id = U1;
    const [first, second] = removedMembers([start(), group(), removal(1, U1), forged]);
    expect(first).toMatchObject({ runGroupId: G, outcome: 'unknown', why: 'the journal has no answer for its removal' });
    expect(second.member).toEqual({ id: U2 });
  });

  it('journalGroups lists each group a run recorded once', () => {
    expect(journalGroups([start(), group(), start(), group(G.toUpperCase())])).toHaveLength(1);
  });
});

describe('restoreTarget', () => {
  const removed = (entries: JournalEntry[]) => ({ removed: removedMembers(entries), groups: journalGroups(entries) });

  it("the run's group entry decides; an entry for another group is refused", () => {
    const t = restoreTarget(removed([start(), group(), removal(1, U1), removal(2, U2, OTHER)]));
    expect(t.group).toMatchObject({ id: G, fromEntry: true });
    expect(t.refused).toEqual([expect.stringMatching(/^1 journal entry names another group than the run's \(tenant-admin /)]);
  });

  it('an older journal without a group entry: the one group its removals name, or a refusal', () => {
    expect(restoreTarget(removed([start(), removal(1, U1)]))).toMatchObject({ group: { id: G, fromEntry: false }, refused: [] });
    const two = restoreTarget(removed([start(), removal(1, U1), removal(2, U2, OTHER)]));
    expect(two.group).toBeUndefined();
    expect(two.refused[0]).toMatch(/removals name 2 groups/);
  });

  it('runs naming two groups are refused as a whole', () => {
    const t = restoreTarget(removed([start(), group(), removal(1, U1), start(), group(OTHER), removal(1, U2, OTHER)]));
    expect(t.group).toBeUndefined();
    expect(t.refused[0]).toMatch(/records runs on 2 groups/);
  });
});

describe('identityDiff', () => {
  const user = { id: U1, displayName: 'Carol', userPrincipalName: 'carol@x', '@odata.type': '#microsoft.graph.user' };
  const sp = { id: U1, displayName: 'app', appId: 'A', '@odata.type': '#microsoft.graph.servicePrincipal' };

  it('users: UPN (any case) and display name (exactly)', () => {
    expect(identityDiff('#microsoft.graph.user', user, { id: U1, displayName: 'Carol', userPrincipalName: 'CAROL@x' })).toEqual([]);
    expect(identityDiff('#microsoft.graph.user', user, { id: U1, displayName: 'carol', userPrincipalName: 'carol@x' })).toEqual([
      'displayName',
    ]);
    expect(identityDiff('#microsoft.graph.user', user, { id: U1, displayName: 'Carol', userPrincipalName: 'mallory@x' })).toEqual([
      'userPrincipalName',
    ]);
  });

  it('service principals: appId and display name; any other type cannot be verified', () => {
    expect(identityDiff('#microsoft.graph.servicePrincipal', sp, { id: U1, displayName: 'app', appId: 'a' })).toEqual([]);
    expect(identityDiff('#microsoft.graph.servicePrincipal', sp, { id: U1, displayName: 'app', appId: 'B' })).toEqual(['appId']);
    expect(identityDiff('#microsoft.graph.device', sp, { id: U1 })).toEqual(['@odata.type']);
  });
});
