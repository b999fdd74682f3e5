import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { appendFile, readFile, symlink } from 'node:fs/promises';
import { CONTOSO, contosoSeed, withManyMembers, type SimulatedTenant } from '../../src/sim/index.js';
import { PERMISSION_SETS } from '../../src/graph/permissions.js';
import { readJournal, removedMembers } from '../../src/journal-reading.js';
import { runCli } from '../support/cli.js';
import { KEY, PtySession } from '../support/pty.js';
import { args, closeSimsAfterEach, G, journalPath, json, startSim, tokenEnv } from '../support/sim.js';

closeSimsAfterEach();

const members = (sim: SimulatedTenant, group: string = G) => [...(sim.snapshot().groups.find((g) => g.id === group)?.members ?? [])].sort();
const restoreArgs = (sim: SimulatedTenant, journal: string, extra: string[] = []) => [
  'restore',
  '--journal',
  journal,
  '--tenant-id',
  CONTOSO.tenantId,
  '--graph-endpoint',
  sim.url,
  ...extra,
];
/** Restore runs with exactly the README's "restore" set. */
const restoreEnv = (sim: SimulatedTenant) => tokenEnv(sim, PERMISSION_SETS.restore);

interface Recorded {
  id: string;
  displayName: string;
  userPrincipalName?: string;
  appId?: string;
  '@odata.type': string;
}

/** A journal line as an attacker (or a careless edit) would add it: a removal with no answer. */
function forgedRemoval(seq: number, groupId: string, groupName: string, member: Recorded): string {
  return (
    JSON.stringify({
      type: 'before',
      time: new Date().toISOString(),
      seq,
      target: 'graph',
      request: { method: 'DELETE', url: `/groups/${groupId}/members/${member.id}/$ref` },
      backup: { groupId, groupName, member },
    }) + '\n'
  );
}

const carolRecord = (): Recorded => ({
  id: CONTOSO.users.carol,
  displayName: 'Carol Chen',
  userPrincipalName: CONTOSO.upns.carol,
  '@odata.type': '#microsoft.graph.user',
});

/** A real run that empties tenant-admin (Carol and Dave), journaled. */
async function ranJournal(sim: SimulatedTenant): Promise<string> {
  const journal = await journalPath();
  const run = await runCli(args(sim, ['--yes', '--journal', journal]), await tokenEnv(sim));
  expect(run.code, run.stderr).toBe(0);
  expect(members(sim)).toEqual([]);
  return journal;
}

/** Restores with --yes; expects a refusal with zero writes; returns the result. */
async function expectRefused(sim: SimulatedTenant, journal: string) {
  const writes = sim.writes().length;
  const res = await runCli(restoreArgs(sim, journal, ['--yes', '--json']), await restoreEnv(sim));
  expect(res.code, res.stderr).toBe(1);
  expect(sim.writes()).toHaveLength(writes);
  expect(json(res.stdout).error).toMatch(/nothing was changed/);
  return { res, findings: json(res.stdout).steps.flatMap((s) => s.findings) };
}

describe('restore is no way in: a forged journal is refused, with zero writes', () => {
  it('a legitimate journal restores with exactly the "restore" permissions, naming the group and who each member is, read live', async () => {
    const sim = await startSim();
    const original = members(sim);
    const journal = await ranJournal(sim);
    // The run recorded its group before its first write.
    const entries = readJournal(await readFile(journal, 'utf8'));
    expect(entries.find((e) => e.type === 'group')).toMatchObject({ groupId: G, displayName: 'tenant-admin' });
    expect(entries.findIndex((e) => e.type === 'group')).toBeLessThan(entries.findIndex((e) => e.type === 'before'));

    const preview = await runCli(restoreArgs(sim, journal, ['--dry-run']), await restoreEnv(sim));
    expect(preview.code, preview.stderr).toBe(2);
    expect(preview.stdout).toContain(`restoring into tenant-admin (${G}), the group of the journal's run`);
    expect(preview.stdout).toMatch(new RegExp(`add user .*<${CONTOSO.upns.carol}> \\(${CONTOSO.users.carol}\\) to tenant-admin`));
    // Each member was read live, by id, on its typed path ($batch items).
    expect(sim.requests.some((r) => r.method === 'GET' && r.path.startsWith(`/v1.0/users/${CONTOSO.users.carol}`))).toBe(true);

    const writes = sim.writes().length;
    const noYes = await runCli(restoreArgs(sim, journal), await restoreEnv(sim));
    expect(noYes.code).toBe(1);
    expect(noYes.stderr).toContain(`restore would add 2 member(s) back to tenant-admin (${G}); pass --yes to confirm`);
    expect(sim.writes()).toHaveLength(writes);

    const res = await runCli(restoreArgs(sim, journal, ['--yes']), await restoreEnv(sim));
    expect(res.code, res.stderr).toBe(0);
    expect(members(sim)).toEqual(original);
  });

  it('on a terminal it asks first, naming the count and the group, and says when there are more than 10', async () => {
    const sim = await startSim(withManyMembers(contosoSeed(), G, 12));
    const journal = await ranJournal(sim);
    const writes = sim.writes().length;
    const t = new PtySession(restoreArgs(sim, journal), await restoreEnv(sim));
    await t.waitFor(
      new RegExp(`Restore: add 14 member\\(s\\) back to tenant-admin \\(${G}\\) \\(more than 10: check each one above\\)\\?`),
    );
    expect(t.screen).toContain(`+ add user Carol Chen <${CONTOSO.upns.carol}> (${CONTOSO.users.carol}) to tenant-admin`);
    t.send('n' + KEY.enter);
    expect(await t.exited).toBe(1);
    expect(t.screen).toMatch(/declined: nothing was changed/);
    expect(sim.writes()).toHaveLength(writes);
  });

  it('refuses an id that does not exist', async () => {
    const sim = await startSim();
    const journal = await ranJournal(sim);
    await appendFile(journal, forgedRemoval(100, G, 'tenant-admin', { ...carolRecord(), id: randomUUID() }));
    const { res, findings } = await expectRefused(sim, journal);
    expect(findings.find((f) => f.code === 'RESTORE_UNKNOWN_ID')?.message).toMatch(/^1 member\(s\) in the journal do not exist/);
    expect(res.stderr).toMatch(/do not exist .*refused/);
    expect(members(sim)).toEqual([]);
  });

  it('refuses an id whose live identity differs from the journal record, and shows who it really is', async () => {
    const sim = await startSim();
    const journal = await ranJournal(sim);
    // The Global Administrator's id, labelled as Carol: the old preview showed "Carol".
    await appendFile(journal, forgedRemoval(100, G, 'tenant-admin', { ...carolRecord(), id: CONTOSO.users.admin }));
    const { res, findings } = await expectRefused(sim, journal);
    const message = findings.find((f) => f.code === 'RESTORE_IDENTITY_CHANGED')?.message ?? '';
    expect(message).toMatch(/^1 member\(s\) are not who the journal records, refused/);
    expect(message).toContain(`${CONTOSO.users.admin} is user`);
    expect(message).toMatch(/userPrincipalName, displayName differ/);
    expect(res.stderr).toMatch(/not who the journal records/);
    expect(sim.state.isMember(G, CONTOSO.users.admin)).toBe(false);

    // Also when the type differs: a service principal recorded as a user is not found as a user.
    const sim2 = await startSim();
    const journal2 = await ranJournal(sim2);
    await appendFile(journal2, forgedRemoval(100, G, 'tenant-admin', { ...carolRecord(), id: CONTOSO.automation.spId }));
    const refused = await expectRefused(sim2, journal2);
    expect(refused.findings.map((f) => f.code)).toContain('RESTORE_UNKNOWN_ID');
  });

  it("refuses an entry for another group than the run's", async () => {
    const sim = await startSim();
    const journal = await ranJournal(sim);
    const other = CONTOSO.groups.userPf;
    await appendFile(
      journal,
      forgedRemoval(100, other, 'user-pf', {
        id: CONTOSO.users.admin,
        displayName: 'x',
        userPrincipalName: 'x@x',
        '@odata.type': '#microsoft.graph.user',
      }),
    );
    const { res, findings } = await expectRefused(sim, journal);
    expect(findings.find((f) => f.code === 'RESTORE_OTHER_GROUP')?.message).toMatch(
      /^1 journal entry names another group than the run's \(tenant-admin /,
    );
    expect(res.stderr).toMatch(/names another group than the run's/);
    expect(members(sim)).toEqual([]);
  });

  it('refuses to add to a different, role-assignable group, even when the entry carries the true identity', async () => {
    const sim = await startSim();
    const journal = await ranJournal(sim);
    const roleGroup = CONTOSO.groups.roleAssignableAdmins;
    const before = members(sim, roleGroup);
    await appendFile(journal, forgedRemoval(100, roleGroup, 'role-admins', carolRecord()));
    const { findings } = await expectRefused(sim, journal);
    expect(findings.find((f) => f.code === 'RESTORE_OTHER_GROUP')?.message).toContain(CONTOSO.upns.carol);
    expect(members(sim, roleGroup)).toEqual(before);
  });

  it('a whole journal written by hand for a role-assignable group is refused unless --group names that group', async () => {
    // Every line forged, and consistent: a start, the run's group, one removal with a true identity.
    const sim = await startSim();
    const roleGroup = CONTOSO.groups.roleAssignableAdmins;
    const roleName = sim.snapshot().groups.find((g) => g.id === roleGroup)!.displayName;
    const journal = await journalPath();
    const now = new Date().toISOString();
    await appendFile(
      journal,
      [
        JSON.stringify({ type: 'start', time: now, tenantId: CONTOSO.tenantId, mode: 'run' }),
        JSON.stringify({ type: 'group', time: now, groupId: roleGroup, displayName: roleName }),
      ].join('\n') +
        '\n' +
        forgedRemoval(1, roleGroup, roleName, carolRecord()),
    );
    const { findings } = await expectRefused(sim, journal);
    expect(findings.find((f) => f.code === 'RESTORE_GROUP_UNCONFIRMED')?.message).toContain('role-assignable');
    expect(members(sim, roleGroup)).not.toContain(CONTOSO.users.carol);
    // Naming another group outside the journal is refused too.
    const other = await runCli(restoreArgs(sim, journal, ['--yes', '--json', '--group', G]), await restoreEnv(sim));
    expect(other.code).toBe(1);
    expect(
      json(other.stdout)
        .steps.flatMap((s) => s.findings)
        .map((f) => f.code),
    ).toContain('RESTORE_GROUP_MISMATCH');
    expect(members(sim, roleGroup)).not.toContain(CONTOSO.users.carol);
  });

  it("a journal that does not record its run's group restores only with --group naming it", async () => {
    const sim = await startSim();
    const original = members(sim);
    const journal = await ranJournal(sim);
    const lines = (await readFile(journal, 'utf8')).split('\n').filter((l) => l && !l.includes('"type":"group"'));
    const older = await journalPath('older.jsonl');
    await appendFile(older, lines.join('\n') + '\n');
    const { findings } = await expectRefused(sim, older);
    expect(findings.find((f) => f.code === 'RESTORE_GROUP_UNCONFIRMED')?.message).toContain(
      `restore writes to it only when --group names it`,
    );
    const res = await runCli(restoreArgs(sim, older, ['--yes', '--group', G]), await restoreEnv(sim));
    expect(res.code, res.stderr).toBe(0);
    expect(members(sim)).toEqual(original);
  });

  it('reads the journal itself, never through a symbolic link', async () => {
    const sim = await startSim();
    const journal = await ranJournal(sim);
    const link = `${journal}.link`;
    await symlink(journal, link);
    const res = await runCli(restoreArgs(sim, link, ['--yes']), await restoreEnv(sim));
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n').pop()).toBe(`error: --journal ${link}: a symbolic link; give the journal file itself`);
    expect(members(sim)).toEqual([]);
  });

  it('refuses a journal whose runs name another group in their group entry', async () => {
    const sim = await startSim();
    const journal = await ranJournal(sim);
    await appendFile(
      journal,
      JSON.stringify({
        type: 'group',
        time: new Date().toISOString(),
        groupId: CONTOSO.groups.roleAssignableAdmins,
        displayName: 'role-admins',
      }) + '\n',
    );
    const { findings } = await expectRefused(sim, journal);
    expect(findings.find((f) => f.code === 'RESTORE_OTHER_GROUP')?.message).toMatch(/records runs on 2 groups/);
  });

  it('refuses 500 unknown ids, reading them in $batches, with zero writes', async () => {
    const sim = await startSim();
    const journal = await ranJournal(sim);
    let lines = '';
    for (let i = 0; i < 500; i++) lines += forgedRemoval(100 + i, G, 'tenant-admin', { ...carolRecord(), id: randomUUID() });
    await appendFile(journal, lines);
    const batchesBefore = sim.requests.filter((r) => r.path === '/v1.0/$batch').length;
    const { findings } = await expectRefused(sim, journal);
    expect(findings.find((f) => f.code === 'RESTORE_UNKNOWN_ID')?.message).toMatch(
      /^500 member\(s\) in the journal do not exist .*\(495 more\)$/,
    );
    // 502 reads (the two real members too) in envelopes of 20.
    expect(sim.requests.filter((r) => r.path === '/v1.0/$batch').length - batchesBefore).toBe(26);
  });
});

describe('removals whose answer was lost are restored', () => {
  const dropSecond = (times: number) => [
    { method: 'DELETE', path: /\/members\/[^/]+\/\$ref$/, skip: 1, times, respond: { drop: true as const } },
  ];

  it('the connection drops after Graph applied part of the $batch, every retry too: the run fails, the journal says unknown, restore puts the member back', async () => {
    const sim = await startSim(contosoSeed(), dropSecond(Infinity));
    const original = members(sim);
    const journal = await journalPath();
    const run = await runCli(args(sim, ['--yes', '--journal', journal]), await tokenEnv(sim));
    expect(run.code).toBe(1);
    // The first item of the first envelope was applied before the connection dropped.
    const gone = original.filter((m) => !members(sim).includes(m));
    expect(gone).toHaveLength(1);
    const entries = readJournal(await readFile(journal, 'utf8'));
    const afters = entries.filter((e) => e.type === 'after');
    expect(afters.length).toBeGreaterThanOrEqual(2);
    for (const a of afters.slice(-2)) expect(a).toMatchObject({ ok: false, outcome: 'unknown' });
    expect(removedMembers(entries).map((r) => r.outcome)).toEqual(['unknown', 'unknown']);

    sim.setFaults([]);
    const res = await runCli(restoreArgs(sim, journal, ['--yes', '--json']), await restoreEnv(sim));
    expect(res.code, res.stderr).toBe(0);
    expect(members(sim)).toEqual(original);
    const step = json(res.stdout).steps[0];
    expect(json(res.stdout).steps.map((s) => s.id)).toEqual(['restore']);
    expect(step.actions.filter((a) => a.kind === 'create').map((a) => a.summary)).toEqual([
      expect.stringMatching(/\(the answer to its removal was lost\)$/),
    ]);
  }, 60_000);

  it('the connection drops once after Graph applied an item: the retried envelope gets 404 for it, and restore still puts it back', async () => {
    const sim = await startSim(contosoSeed(), dropSecond(1));
    const original = members(sim);
    const journal = await journalPath();
    const run = await runCli(args(sim, ['--yes', '--journal', journal]), await tokenEnv(sim));
    expect(run.code, run.stderr).toBe(0);
    expect(members(sim)).toEqual([]);
    const outcomes = removedMembers(readJournal(await readFile(journal, 'utf8')))
      .map((r) => r.outcome)
      .sort();
    expect(outcomes).toEqual(['removed', 'unknown']);

    const res = await runCli(restoreArgs(sim, journal, ['--yes']), await restoreEnv(sim));
    expect(res.code, res.stderr).toBe(0);
    expect(members(sim)).toEqual(original);
  });
});
