import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CONTOSO } from '../../src/sim/index.js';
import { PERMISSION_SETS } from '../../src/graph/permissions.js';
import { runCli } from '../support/cli.js';
import { args, closeSimsAfterEach, END, G, journalPath, startSim, tokenEnv } from '../support/sim.js';

closeSimsAfterEach();

const POLICY = ['--activation-max', 'PT4H', '--require-mfa'];

/** The section of a Markdown report from its `## title` to the next `## ` heading. */
function section(md: string, title: string): string {
  const start = md.indexOf(`\n## ${title}\n`);
  expect(start, `section ${title}`).toBeGreaterThan(-1);
  const next = md.indexOf('\n## ', start + 1);
  return md.slice(start, next === -1 ? undefined : next);
}

/** The shell commands in a section's ```sh fences, split into words (the report quotes a word only when needed). */
function shCommands(text: string): string[][] {
  return [...text.matchAll(/```sh\n([^\n]*)\n```/g)].map((m) =>
    [...m[1].matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g)].map((w) => (w[1] !== undefined ? w[1].replace(/'\\''/g, "'") : w[2])),
  );
}

describe('--report FILE.md: the record a change board reads', () => {
  it('a run: the summary names who lost standing access, who became eligible until when, the policy before → after; rollback gives the exact restore command, which previews and restores from this journal', async () => {
    const sim = await startSim();
    const journal = await journalPath();
    const dir = path.dirname(journal);
    const file = path.join(dir, 'change.md');
    const env = await tokenEnv(sim);
    const res = await runCli(args(sim, ['--yes', '--journal', journal, '--report', file, ...POLICY]), env);
    expect(res.code, res.stderr).toBe(0);
    const md = await readFile(file, 'utf8');

    // Order: the summary first, then the meta table and the steps' findings, then rollback, then the checklist.
    const at = (s: string) => md.indexOf(s);
    expect(at('## Summary')).toBeGreaterThan(0);
    expect(at('## Summary')).toBeLessThan(at('| When |'));
    expect(at('| When |')).toBeLessThan(at('## Steps'));
    expect(at('## Steps')).toBeLessThan(at('## Rollback'));
    expect(at('## Rollback')).toBeLessThan(at('## Test the PIM'));

    const summary = section(md, 'Summary');
    expect(summary).toContain(
      `- **Lost standing access** (removed from tenant-admin):\n  - Carol Chen (${CONTOSO.upns.carol})\n  - Dave Diaz (${CONTOSO.upns.dave})\n`,
    );
    // The window's end in words and in ISO: --end is the last day, through 23:59:59 UTC.
    const endIso = `${END}T23:59:59.000Z`;
    const [y, mo, d] = END.split('-').map(Number);
    const month = new Date(Date.UTC(y, mo - 1, d)).toLocaleString('en-GB', { month: 'long', timeZone: 'UTC' });
    const endWords = `${d} ${month} ${y}, 23:59 UTC`;
    expect(summary).toContain('- **Became eligible** (member, activated on demand):\n');
    for (const [name, upn] of [
      ['Alice Anders', CONTOSO.upns.alice],
      ['Bob Berg', CONTOSO.upns.bob],
    ]) {
      expect(summary).toContain(`\n  - ${name} (${upn}): newly eligible until ${endWords} (\`${endIso}\`), from `);
    }
    // The activation policy as it was (the simulated tenant's defaults) and as the run left it.
    expect(summary).toContain('- **Activation policy:**\n  - longest activation: 8 h (PT8H) → 4 h (PT4H)\n');
    expect(summary).toContain('\n  - activation requires: a justification → a justification and multifactor authentication\n');
    expect(summary).not.toContain('**Keycloak');

    // Rollback: the exact restore commands for this run's journal.
    const rollback = section(md, 'Rollback');
    const [preview, restore] = shCommands(rollback);
    const base = ['entra-pim-setup', 'restore', '--journal', journal, '--tenant-id', CONTOSO.tenantId, '--graph-endpoint', sim.url];
    expect(preview).toEqual([...base, '--dry-run']);
    expect(restore).toEqual([...base, '--yes']);
    expect(rollback).toContain(`\`restore\` puts back the 2 member(s) this run removed, from its journal \`${journal}\`.`);
    // What restore leaves: the eligibilities (and onboarding) and the policy, named with their old values.
    expect(rollback).toContain('It does not undo:');
    expect(rollback).toMatch(/- The eligibilities \([^)]*alice[^)]*bob[^)]*\): remove them in Privileged Identity Management/);
    expect(rollback).toContain('The group stays under PIM for Groups: that cannot be undone.');
    expect(rollback).toContain("- Assignment required on the enterprise app: turn it off again in the app's Properties to undo.");
    expect(rollback).toContain(
      "- The activation policy's longest activation, now 4 h (PT4H): set it back to 8 h (PT8H) in the group's PIM settings (Member role).",
    );

    // The printed commands, run as printed (with the restore permission set): the preview lists
    // the two members and sends nothing; the restore puts them back.
    const restoreEnv = await tokenEnv(sim, PERMISSION_SETS.restore);
    const before = sim.writes().length;
    const pre = await runCli([...preview.slice(1), '--json'], restoreEnv, { cwd: dir });
    expect(pre.code, pre.stderr).toBe(2);
    expect(sim.writes()).toHaveLength(before);
    const adds = (JSON.parse(pre.stdout) as { steps: Array<{ actions: Array<{ kind: string; summary: string }> }> }).steps[0].actions;
    expect(adds.map((a) => a.kind)).toEqual(['create', 'create']);
    const done = await runCli(restore.slice(1), restoreEnv, { cwd: dir });
    expect(done.code, done.stderr).toBe(0);
    const members = sim.snapshot().groups.find((g) => g.id === G)?.members ?? [];
    expect([...members].sort()).toEqual([CONTOSO.users.carol, CONTOSO.users.dave].sort());
    // Restore wrote its own journal in the folder it ran in, next to the run's.
    expect((await readdir(dir)).filter((f) => f.endsWith('.jsonl')).length).toBe(2);

    // The runbook's checklist, filled in with this tenant's app, group and users.
    const checklist = section(md, 'Test the PIM');
    expect(checklist).toContain(
      `Filled in for app Keycloak (Spark), group tenant-admin, Keycloak /tenant-admin. Eligible: ${CONTOSO.upns.alice}, ${CONTOSO.upns.bob}.`,
    );
    expect(checklist).toContain(`**Without PIM — as ${CONTOSO.upns.alice}:**`);
    expect(checklist).toContain(
      '2. Under Eligible assignments, activate tenant-admin (member): choose a duration and give a reason if asked.',
    );
    // The same checklist the screen showed.
    expect(res.stdout).toContain('Under Eligible assignments, activate tenant-admin (member)');
  });

  it('the JSON report carries the same summary and rollback as data', async () => {
    const sim = await startSim();
    const journal = await journalPath();
    const file = path.join(path.dirname(journal), 'change.json');
    const res = await runCli(args(sim, ['--yes', '--journal', journal, '--report', file, ...POLICY]), await tokenEnv(sim));
    expect(res.code, res.stderr).toBe(0);
    const doc = JSON.parse(await readFile(file, 'utf8')) as Record<string, any>;
    expect(doc.summary.mode).toBe('run');
    expect(doc.summary.standingAccessRemoved.map((r: any) => [r.principal.userPrincipalName, r.groupName, r.outcome])).toEqual([
      [CONTOSO.upns.carol, 'tenant-admin', 'done'],
      [CONTOSO.upns.dave, 'tenant-admin', 'done'],
    ]);
    expect(doc.summary.eligible.map((e: any) => [e.principal.userPrincipalName, e.action, e.end, e.outcome])).toEqual([
      [CONTOSO.upns.alice, 'adminAssign', `${END}T23:59:59.000Z`, 'done'],
      [CONTOSO.upns.bob, 'adminAssign', `${END}T23:59:59.000Z`, 'done'],
    ]);
    expect(doc.summary.policy).toContainEqual({
      ruleId: 'Expiration_EndUser_Assignment',
      setting: 'longest activation',
      before: '8 h (PT8H)',
      after: '4 h (PT4H)',
      outcome: 'done',
    });
    expect(doc.rollback).toMatchObject({
      journal,
      removalsSent: 2,
      preview: [
        'entra-pim-setup',
        'restore',
        '--journal',
        journal,
        '--tenant-id',
        CONTOSO.tenantId,
        '--graph-endpoint',
        sim.url,
        '--dry-run',
      ],
    });
  });

  it('an audit with drift says what a run would do, and has no rollback section', async () => {
    const sim = await startSim();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'epim-cb-'));
    const file = path.join(dir, 'audit.md');
    const res = await runCli(['audit', ...args(sim, ['--report', file, ...POLICY])], await tokenEnv(sim));
    expect(res.code, res.stderr).toBe(2);
    expect(sim.writes()).toHaveLength(0);
    const md = await readFile(file, 'utf8');
    const summary = section(md, 'Summary');
    expect(summary).toContain(
      `- **Would lose standing access** (a run removes them from tenant-admin):\n  - Carol Chen (${CONTOSO.upns.carol})\n  - Dave Diaz (${CONTOSO.upns.dave})\n`,
    );
    expect(summary).toContain(
      `- **Would become eligible** (member, activated on demand):\n  - Alice Anders (${CONTOSO.upns.alice}): newly eligible until `,
    );
    expect(summary).toContain('- **Activation policy (would change):**\n  - longest activation: 8 h (PT8H) → 4 h (PT4H)\n');
    expect(md).not.toContain('## Rollback');
    expect(md).not.toContain('entra-pim-setup restore');
    expect(md).toContain('## Test the PIM');
  });

  it('a compliant audit says nothing would change; a run that changes nothing says nothing changed and offers no rollback', async () => {
    const sim = await startSim();
    const journal = await journalPath();
    const dir = path.dirname(journal);
    const first = await runCli(args(sim, ['--yes', '--journal', journal]), await tokenEnv(sim));
    expect(first.code, first.stderr).toBe(0);

    const audit = await runCli(['audit', ...args(sim, ['--report', path.join(dir, 'audit.md')])], await tokenEnv(sim));
    expect(audit.code, audit.stderr).toBe(0);
    const md = await readFile(path.join(dir, 'audit.md'), 'utf8');
    expect(section(md, 'Summary')).toContain('**Nothing would change:** everything checked is already as required.');
    expect(md).not.toContain('## Rollback');

    const again = await runCli(
      args(sim, ['--yes', '--journal', path.join(dir, 'again.jsonl'), '--report', path.join(dir, 'again.md')]),
      await tokenEnv(sim),
    );
    expect(again.code, again.stderr).toBe(0);
    const md2 = await readFile(path.join(dir, 'again.md'), 'utf8');
    expect(section(md2, 'Summary')).toContain('**Nothing changed.**');
    expect(md2).not.toContain('## Rollback');
  });
});
