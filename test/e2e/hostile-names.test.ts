import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CONTOSO, contosoSeed } from '../../src/sim/index.js';
import { runCli } from '../support/cli.js';
import { KEY, PtySession } from '../support/pty.js';
import { PERMISSION_SETS } from '../../src/graph/permissions.js';
import { args, closeSimsAfterEach, G, journalPath, json, simWithEligibleAlice, startSim, tokenEnv } from '../support/sim.js';

closeSimsAfterEach();

// Names a hostile or compromised directory could hold: an OSC that retitles the terminal, a
// screen clear, a line break that forges the result line, a bare carriage return that starts a
// Markdown heading, and bidi overrides, isolates and marks.
const CAROL = 'Carol\u001b]0;pwned\u0007 Chen';
const DAVE = 'Dave\u001b[2J\u001b[H Diaz\nResult: compliant — nothing to change.';
const GROUP = 'tenant-admin\r# Heading\u0085NEL';
const APP = 'Keycloak \u202eevil\u202c (Spark)\u200f';
const CALLER = 'automation \u2066x\u2069\r\n# Forged caller\u009b2J';

function hostileSeed() {
  const seed = contosoSeed();
  const rename = <T extends { id: string; displayName: string | null }>(list: T[], id: string, name: string) => {
    const item = list.find((x) => x.id === id);
    if (!item) throw new Error(`seed has no ${id}`);
    item.displayName = name;
  };
  rename(seed.users, CONTOSO.users.carol, CAROL);
  rename(seed.users, CONTOSO.users.dave, DAVE);
  rename(seed.groups, G, GROUP);
  rename(seed.servicePrincipals, CONTOSO.keycloakSpId, APP);
  rename(seed.servicePrincipals, CONTOSO.automation.spId, CALLER);
  return seed;
}

/** Characters that act on a terminal or a Markdown reader: C0 but LF, DEL, C1, line separators, bidi. */
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

function expectInert(text: string, where: string): void {
  expect(RAW.exec(text)?.[0], `${where} holds a raw control or bidi character`).toBeUndefined();
  expect(text, where).not.toMatch(/^Result: compliant/m);
  expect(text, where).not.toMatch(/^# (Heading|Forged)/m);
}

describe('names from Graph cannot act on the terminal, forge a line or a Markdown heading', () => {
  it('audit (text and --verbose): every name is shown, escaped, on its own line', async () => {
    const sim = await startSim(hostileSeed());
    const res = await runCli(['audit', ...args(sim, ['--verbose'], { '--group': G })], await tokenEnv(sim));
    expect(res.code, res.stderr).toBe(2);
    expectInert(res.stdout, 'stdout');
    expectInert(res.stderr, 'stderr');
    expect(res.stdout).toMatch(/^Result: drift/m);
    // Visible, not dropped: an admin sees that the names are odd.
    expect(res.stdout).toContain('remove Carol\\u001b]0;pwned\\u0007 Chen');
    expect(res.stdout).toContain('Dave\\u001b[2J\\u001b[H Diaz\\nResult: compliant');
  });

  it('run --yes --report x.md: stdout, stderr, the checklist and the change record stay inert; the journal stays one JSON line per entry', async () => {
    const sim = await startSim(hostileSeed());
    const journal = await journalPath();
    const file = path.join(path.dirname(journal), 'change.md');
    const res = await runCli(args(sim, ['--yes', '--journal', journal, '--report', file], { '--group': G }), await tokenEnv(sim));
    expect(res.code, res.stderr).toBe(0);
    expectInert(res.stdout, 'stdout');
    expectInert(res.stderr, 'stderr');
    // The checklist names the app and the group.
    expect(res.stdout).toContain('activate tenant-admin\\r# Heading\\u0085NEL (member)');
    expect(res.stdout).toContain('through Keycloak \\u202eevil\\u202c (Spark)\\u200f');

    const md = await readFile(file, 'utf8');
    expectInert(md, 'report');
    // The title is the only heading of level 1, and the summary table keeps one row per field.
    expect(md.split('\n').filter((l) => l.startsWith('# '))).toEqual(['# entra-pim-setup run: changed']);
    expect(md.split('\n').filter((l) => l.startsWith('| Who |'))).toHaveLength(1);
    expect(md).toContain('| Group | tenant-admin\\\\r# Heading\\\\u0085NEL (id');
    expect(md).toContain('remove Carol\\\\u001b\\]0;pwned\\\\u0007 Chen');

    const lines = (await readFile(journal, 'utf8')).split('\n').filter(Boolean);
    const entries = lines.map((l) => JSON.parse(l) as { type: string });
    expect(entries[0].type).toBe('start');
    expect(entries.at(-1)?.type).toBe('end');
    // The journal keeps the exact names (restore needs them): they were only escaped as JSON.
    expect(lines.join('\n')).toContain(JSON.stringify(DAVE).slice(1, -1));
  });

  it('restore on a terminal: the list read before confirming shows each live name on its own line, never a forged one', async () => {
    const sim = await startSim(hostileSeed());
    const journal = await journalPath();
    const run = await runCli(args(sim, ['--yes', '--journal', journal], { '--group': G }), await tokenEnv(sim));
    expect(run.code, run.stderr).toBe(0);
    const writes = sim.writes().length;
    const t = new PtySession(
      ['restore', '--journal', journal, '--tenant-id', CONTOSO.tenantId, '--graph-endpoint', sim.url],
      await tokenEnv(sim, PERMISSION_SETS.restore),
    );
    await t.waitFor(/Restore: add 2 member\(s\)/);
    expect(t.screen).toContain('Dave\\u001b[2J\\u001b[H Diaz\\nResult: compliant');
    expect(t.screen).not.toMatch(/^\s*Result: compliant/m);
    t.send('n' + KEY.enter);
    expect(await t.exited).toBe(1);
    expect(sim.writes()).toHaveLength(writes);
  });

  it('--json: the document prints inert, and parses back to the exact names the server sent', async () => {
    const sim = await startSim(hostileSeed());
    const res = await runCli(['audit', ...args(sim, ['--json'], { '--group': G })], await tokenEnv(sim));
    expect(res.code, res.stderr).toBe(2);
    expectInert(res.stdout, 'stdout');
    expectInert(res.stderr, 'stderr');
    const summaries = json(res.stdout).steps.flatMap((s) => s.actions.map((a) => a.summary));
    expect(summaries).toContain(`remove ${DAVE} <${CONTOSO.upns.dave}> from ${GROUP}`);
    expect(summaries.some((s) => s.includes(APP))).toBe(true);
  });

  it('verify-user (text and --json) and activate: names from Graph stay inert', async () => {
    const sim = await simWithEligibleAlice();
    sim.state.groups.get(G)!.displayName = GROUP;
    sim.state.users.get(CONTOSO.users.carol)!.displayName = CAROL;
    const env = await tokenEnv(sim, CONTOSO.reader.roles);
    const verify = (extra: string[]) =>
      runCli(
        [
          'verify-user',
          CONTOSO.upns.carol,
          '--tenant-id',
          CONTOSO.tenantId,
          '--graph-endpoint',
          sim.url,
          '--app-id',
          CONTOSO.keycloakAppId,
          '--group',
          G,
          '--skip-keycloak',
          ...extra,
        ],
        env,
      );
    const text = await verify([]);
    expect(text.code, text.stderr).toBe(0);
    expectInert(text.stdout, 'verify-user stdout');
    expect(text.stdout).toContain('(Carol\\u001b]0;pwned\\u0007 Chen)');
    const doc = await verify(['--json']);
    expect(doc.code, doc.stderr).toBe(0);
    expectInert(doc.stdout, 'verify-user --json');
    expect(JSON.parse(doc.stdout)).toMatchObject({ user: { displayName: CAROL }, group: { displayName: GROUP } });

    const scp =
      'User.Read PrivilegedEligibilitySchedule.Read.AzureADGroup PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup RoleManagementPolicy.Read.AzureADGroup';
    const token = await sim.issueToken({ scp, oid: CONTOSO.users.alice });
    // An error that names the group is still one line.
    const refused = await runCli(['activate', '--tenant-id', CONTOSO.tenantId, '--graph-endpoint', sim.url, '--duration', 'PT1H'], {
      ENTRA_PIM_ACCESS_TOKEN: token,
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^error: the activation policy of tenant-admin\\r# Heading\\u0085NEL requires a justification/),
    ]);
    const act = await runCli(
      ['activate', '--tenant-id', CONTOSO.tenantId, '--graph-endpoint', sim.url, '--duration', 'PT1H', '--justification', 'test'],
      { ENTRA_PIM_ACCESS_TOKEN: token },
    );
    expect(act.code, act.stderr).toBe(0);
    expectInert(act.stdout, 'activate stdout');
    expectInert(act.stderr, 'activate stderr');
    expect(act.stdout).toContain('tenant-admin\\r# Heading\\u0085NEL is active for');
  });
});
