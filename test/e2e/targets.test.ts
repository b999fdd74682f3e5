import { describe, expect, it } from 'vitest';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { CONTOSO } from '../../src/sim/index.js';
import { runCli } from '../support/cli.js';
import { PtySession } from '../support/pty.js';
import { args, closeSimsAfterEach, G, journalPath, startSim, tokenEnv } from '../support/sim.js';
import {
  clientSecretEnv,
  PROD,
  STAGING,
  STAGING_GROUP,
  targetsConfig as config,
  tokenRequests,
  twoRealmSeed,
  type Target,
} from '../support/targets.js';

closeSimsAfterEach();

describe('several targets in one --config', () => {
  it('audits both under one sign-in: one compliant, one drifted, exit 2, one summary table', async () => {
    const sim = await startSim(twoRealmSeed());
    // prod is brought into line by an ordinary single-target run first.
    const setup = await runCli([...args(sim, ['--yes', '--journal', await journalPath()])], await tokenEnv(sim));
    expect(setup.code, setup.stderr).toBe(0);
    const writes = sim.writes().length;
    const file = await config(sim, [PROD, STAGING], {}, 'yaml');
    expect(await readFile(file, 'utf8')).toMatch(/^targets:\n {2}- name: prod\n/m);
    const requestsBefore = sim.requests.length;

    const res = await runCli(['audit', '--config', file], clientSecretEnv(sim));
    expect(res.code, res.stderr).toBe(2);
    const table = res.stdout.split('\n');
    expect(table.find((l) => l.startsWith('target'))).toMatch(/^target\s+status\s+findings\s+would change$/);
    expect(table.find((l) => l.startsWith('prod '))).toMatch(/^prod\s+compliant\s+\d+\s+0$/);
    const staging = table.find((l) => l.startsWith('staging '));
    expect(staging).toMatch(/^staging\s+drift\s+\d+\s+[1-9]\d*$/);
    expect(res.stdout.trimEnd().split('\n').at(-1)).toMatch(/^Result: drift — 1 of 2 target\(s\) would change/);
    // Progress on stderr, each line naming its target.
    expect(res.stderr).toMatch(/^\[prod\] checking/m);
    expect(res.stderr).toMatch(/^\[staging\] checking/m);
    for (const line of res.stderr.trim().split('\n')) expect(line).toMatch(/^\[(prod|staging)\] /);
    // One sign-in for both targets, and an audit writes nothing.
    expect(tokenRequests(sim)).toBe(1);
    expect(sim.requests.length).toBeGreaterThan(requestsBefore);
    expect(sim.writes()).toHaveLength(writes);
  });

  it('--json is one document with every target, and --report one file with a section per target', async () => {
    const sim = await startSim(twoRealmSeed());
    // staging takes its group and users from the top level, which wins over the environment;
    // prod's own group wins over the top level.
    const { group: _group, eligible: _eligible, ...stagingOwn } = STAGING;
    const file = await config(sim, [PROD, stagingOwn], { group: 'staging-admin', eligible: CONTOSO.upns.alice });
    const report = await journalPath('change.md');
    const env = { ...(await tokenEnv(sim)), ENTRA_PIM_GROUP: 'duplicate-admins' };
    const res = await runCli(['audit', '--config', file, '--json', '--report', report], env);
    expect(res.code, res.stderr).toBe(2);
    const doc = JSON.parse(res.stdout) as {
      schemaVersion: number;
      status: string;
      targets: Array<{ name: string; status: string; changes: number; report: { steps: Array<{ id: string }> } }>;
    };
    expect(doc.schemaVersion).toBe(1);
    expect(doc.status).toBe('drift');
    expect(doc.targets.map((t) => [t.name, t.status])).toEqual([
      ['prod', 'drift'],
      ['staging', 'drift'],
    ]);
    expect(doc.targets[1].report.steps.map((s) => s.id)).toContain('admin-group');
    const md = await readFile(report, 'utf8');
    expect(md).toMatch(/^# entra-pim-setup audit of 2 targets: drift/);
    expect(md).toMatch(/^\| prod \| drift \| \d+ \| \d+ \|$/m);
    expect(md).toMatch(/^## prod: entra-pim-setup audit: drift$/m);
    expect(md).toMatch(/^## staging: entra-pim-setup audit: drift$/m);
    expect(md).toContain(`/groups/${STAGING_GROUP}/members/${CONTOSO.users.erin}/$ref`);
    expect(md).toContain(`/groups/${G}/members/${CONTOSO.users.carol}/$ref`);

    const jsonReport = await journalPath('change.json');
    const again = await runCli(['audit', '--config', file, '--report', jsonReport], env);
    expect(again.code, again.stderr).toBe(2);
    const saved = JSON.parse(await readFile(jsonReport, 'utf8')) as {
      status: string;
      targets: Array<{ name: string; report: { status: string; meta: { group: { id: string } } } }>;
    };
    expect(saved.status).toBe('drift');
    expect(saved.targets.map((t) => [t.name, t.report.status, t.report.meta.group.id])).toEqual([
      ['prod', 'drift', G],
      ['staging', 'drift', STAGING_GROUP],
    ]);
  });

  it('runs both one after another, each with its own journal under --journal FOLDER', async () => {
    const sim = await startSim(twoRealmSeed());
    const folder = path.join(path.dirname(await journalPath()), 'journals');
    await mkdir(folder);
    const file = await config(sim, [PROD, STAGING]);
    const res = await runCli(['run', '--config', file, '--yes', '--journal', folder], clientSecretEnv(sim));
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^prod\s+changed\s+\d+\s+[1-9]\d*$/m);
    expect(res.stdout).toMatch(/^staging\s+changed\s+\d+\s+[1-9]\d*$/m);
    expect(tokenRequests(sim)).toBe(1);

    const files = (await readdir(folder)).sort();
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^entra-pim-setup-journal-.*-prod\.jsonl$/);
    expect(files[1]).toMatch(/^entra-pim-setup-journal-.*-staging\.jsonl$/);
    const groupOf = async (name: string) =>
      (await readFile(path.join(folder, name), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; groupId?: string })
        .find((l) => l.type === 'group')?.groupId;
    expect(await groupOf(files[0])).toBe(G);
    expect(await groupOf(files[1])).toBe(STAGING_GROUP);
    // Both groups lost their standing members.
    const state = sim.snapshot();
    expect(state.groups.find((g) => g.id === G)?.members).toEqual([]);
    expect(state.groups.find((g) => g.id === STAGING_GROUP)?.members).toEqual([]);

    // restore takes one target's journal, and puts back only that target's members.
    const restore = await runCli(['restore', '--journal', path.join(folder, files[1]), '--dry-run', '--json'], clientSecretEnv(sim));
    expect(restore.code, restore.stderr).toBe(2);
    expect(restore.stdout).toContain(`/groups/${STAGING_GROUP}/members/$ref`);
    expect(restore.stdout).not.toContain(`/groups/${G}/`);
  });

  it('a ticket at the top level goes with every target: each eligibility request carries it, each journal notes it, --json is one document', async () => {
    const sim = await startSim(twoRealmSeed());
    const file = await config(sim, [PROD, STAGING], { 'ticket-number': 'CHG42', 'ticket-system': 'ServiceNow' });
    const folder = path.dirname(file);
    const res = await runCli(
      ['run', '--config', file, '--yes', '--json', '--journal', path.join(folder, '{target}.jsonl')],
      clientSecretEnv(sim),
    );
    expect(res.code, res.stderr).toBe(0);
    const doc = JSON.parse(res.stdout) as { status: string; targets: Array<{ name: string; status: string }> };
    expect(doc.targets.map((t) => `${t.name}:${t.status}`)).toEqual(['prod:changed', 'staging:changed']);
    const requests = sim.writes().filter((w) => w.path.endsWith('/eligibilityScheduleRequests'));
    expect(requests.length).toBeGreaterThanOrEqual(2);
    for (const w of requests)
      expect((w.body as { ticketInfo?: unknown }).ticketInfo).toEqual({ ticketNumber: 'CHG42', ticketSystem: 'ServiceNow' });
    for (const name of ['prod', 'staging']) {
      const entries = (await readFile(path.join(folder, `${name}.jsonl`), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string });
      expect(entries.find((e) => e.type === 'ticket')).toMatchObject({ ticketNumber: 'CHG42', ticketSystem: 'ServiceNow' });
    }
  });

  it('in a script without --yes, the first target that would remove members stops the run', async () => {
    const sim = await startSim(twoRealmSeed());
    const file = await config(sim, [PROD, STAGING]);
    const res = await runCli(['run', '--config', file, '--journal', path.join(path.dirname(file), '{target}.jsonl')], await tokenEnv(sim));
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^\[prod\] error: this run would remove 2 standing member\(s\) .*pass --yes/m);
    expect(res.stdout).toMatch(/^staging\s+not-run\s/m);
    expect(sim.writes()).toHaveLength(0);
  });

  it('on a terminal, run asks for each target in turn; declining one stops there', async () => {
    const sim = await startSim(twoRealmSeed());
    const file = await config(sim, [PROD, STAGING], { auth: 'access-token' });
    const journal = path.join(path.dirname(file), '{target}.jsonl');
    const t = new PtySession(['run', '--config', file, '--journal', journal], await tokenEnv(sim));
    await t.waitFor(/\[prod\] Planned changes:[\s\S]*Apply these changes, removing 2 member\(s\)\?/);
    t.line('y');
    await t.waitFor(/\[staging\] Planned changes:[\s\S]*Apply these changes, removing 1 member\(s\)\?/);
    t.line('n');
    expect(await t.exited, t.screen.slice(-3000)).toBe(1);
    expect(t.screen).toMatch(/^prod\s+changed\s/m);
    expect(t.screen).toMatch(/^staging\s+failed\s/m);
    const state = sim.snapshot();
    expect(state.groups.find((g) => g.id === G)?.members).toEqual([]);
    expect(state.groups.find((g) => g.id === STAGING_GROUP)?.members).toEqual([CONTOSO.users.erin]);
    expect((await readdir(path.dirname(file))).filter((f) => f.endsWith('.jsonl'))).toEqual(['prod.jsonl']);
  });

  it('on a terminal, audit asks nothing: an ambiguous group is an error naming the flag, as in a script', async () => {
    const sim = await startSim(twoRealmSeed());
    const file = await config(sim, [PROD, { ...STAGING, group: 'duplicate-admins' }], { auth: 'access-token' });
    const report = path.join(path.dirname(file), 'audit.md');
    const t = new PtySession(['audit', '--config', file, '--report', report], await tokenEnv(sim));
    expect(await t.exited, t.screen.slice(-3000)).toBe(2);
    expect(t.screen).toMatch(/^staging\s+drift\s/m);
    const staging = (await readFile(report, 'utf8')).split('## staging: ')[1];
    expect(staging).toMatch(/\| error \| .*duplicate-admins.*--group/);
  });

  it('run --dry-run checks every target as audit does; a run without --journal writes each journal here', async () => {
    const sim = await startSim(twoRealmSeed());
    const file = await config(sim, [PROD, STAGING]);
    const here = path.dirname(file);
    const dry = await runCli(['run', '--config', file, '--dry-run'], await tokenEnv(sim), { cwd: here });
    expect(dry.code, dry.stderr).toBe(2);
    expect(dry.stdout).toMatch(/^target\s+status\s+findings\s+would change$/m);
    expect(dry.stdout).toMatch(/^staging\s+drift\s/m);
    expect(sim.writes()).toHaveLength(0);

    const one = await config(sim, [PROD]);
    const run = await runCli(['run', '--config', one, '--yes'], await tokenEnv(sim), { cwd: here });
    expect(run.code, run.stderr).toBe(0);
    expect((await readdir(here)).filter((f) => f.endsWith('.jsonl'))).toEqual([
      expect.stringMatching(/^entra-pim-setup-journal-\d{4}-\d\d-\d\dT[\d-]+Z-prod\.jsonl$/),
    ]);
  });

  it('stops at the first target that fails: the rest are not run, exit 1', async () => {
    const sim = await startSim(twoRealmSeed());
    const missingApp = 'c0ffee00-0000-4000-8000-000000000001';
    const file = await config(sim, [{ ...STAGING, name: 'broken', 'app-id': missingApp }, PROD]);
    const folder = path.dirname(file);
    const res = await runCli(['run', '--config', file, '--yes', '--journal', path.join(folder, '{target}.jsonl')], await tokenEnv(sim));
    expect(res.code, res.stdout).toBe(1);
    expect(res.stdout).toMatch(/^broken\s+failed\s/m);
    expect(res.stdout).toMatch(/^prod\s+not-run\s+0\s+0$/m);
    expect(res.stdout.trimEnd().split('\n').at(-1)).toBe('Result: failed — 1 target(s) failed, 1 not run.');
    expect(res.stderr).toMatch(/^\[broken\] error: /m);
    expect(sim.writes()).toHaveLength(0);
    expect((await readdir(folder)).filter((f) => f.endsWith('.jsonl'))).toEqual([]);
  });

  it('refuses a bad targets list or a per-target flag with one line naming the key, before any request', async () => {
    const sim = await startSim(twoRealmSeed());
    const cases: Array<[Target[], string[], Record<string, unknown>, RegExp]> = [
      [[PROD, { ...STAGING, name: 'prod' }], [], {}, /targets\[2\]: "name" prod is used by another target/],
      [[PROD, { ...STAGING, grup: 'x' }], [], {}, /target staging: unknown option "grup"/],
      [[PROD, { ...STAGING, 'tenant-id': CONTOSO.tenantId }], [], {}, /target staging: "tenant-id" is shared by every target/],
      [[PROD, { ...STAGING, auth: 'client-secret' }], [], {}, /target staging: "auth" is shared by every target/],
      [[], [], {}, /"targets" is empty/],
      [[PROD, { ...STAGING, name: '../x' }], [], {}, /targets\[2\]: "name" "\.\.\/x" is not a safe name/],
      [[PROD, STAGING], ['--group', 'tenant-admin'], {}, /^error: --group: not taken on the command line with the targets of --config/],
      [[PROD, { ...STAGING, 'app-id': 'nope' }], [], {}, /^error: target staging: --app-id nope: not a GUID/],
      [[PROD, STAGING], ['--journal', 'plain.jsonl', '--yes'], {}, /--journal plain\.jsonl: with several targets give a folder/],
      // A saved plan names one target.
      [[PROD, STAGING], ['--dry-run', '--out', 'plan.json'], {}, /^error: --out: not taken with the targets of --config yet/],
      [[PROD, STAGING], ['--plan', 'plan.json'], {}, /^error: --plan: not taken with the targets of --config yet/],
      [[PROD, STAGING], ['--plan-max-age', '2h'], {}, /^error: --plan-max-age: not taken with the targets of --config yet/],
      [[PROD, STAGING], ['--plan-digest', 'a'.repeat(64)], {}, /^error: --plan-digest: not taken with the targets of --config yet/],
    ];
    // A target's journal that cannot serve (here a folder) is refused before any request.
    const taken = path.dirname(await journalPath());
    await mkdir(path.join(taken, 'staging.jsonl'));
    cases.push([
      [PROD, STAGING],
      ['--journal', path.join(taken, '{target}.jsonl')],
      {},
      /^error: target staging: --journal .*staging\.jsonl: /,
    ]);
    for (const [targets, extra, top, error] of cases) {
      const file = await config(sim, targets, top);
      const res = await runCli(['run', '--config', file, ...extra], await tokenEnv(sim));
      expect(res.code, res.stderr).toBe(1);
      expect(res.stderr.trim().split('\n')).toHaveLength(1);
      expect(res.stderr).toMatch(error);
    }
    // Only run and audit take targets.
    const file = await config(sim, [PROD]);
    const other = await runCli(['verify-user', CONTOSO.upns.alice, '--config', file], await tokenEnv(sim));
    expect(other.code).toBe(1);
    expect(other.stderr.trim().split('\n')).toEqual([
      `error: --config ${file}: "targets" is taken by run and audit only; verify-user takes one target's options`,
    ]);
    expect(sim.requests).toHaveLength(0);
  });
});
