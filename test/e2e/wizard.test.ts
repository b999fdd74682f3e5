import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONTOSO, type SimulatedTenant } from '../../src/sim/index.js';
import { KEY, PtySession } from '../support/pty.js';
import { closeSimsAfterEach, END, G, startSim, tokenEnv } from '../support/sim.js';

closeSimsAfterEach();

// The run's journal goes to a folder of this test's own, not a fixed path other runs share.
const tmp = mkdtempSync(path.join(os.tmpdir(), 'epim-wizard-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const members = (sim: SimulatedTenant) => [...(sim.snapshot().groups.find((g) => g.id === G)?.members ?? [])].sort();
const base = (sim: SimulatedTenant) => ['--tenant-id', CONTOSO.tenantId, '--graph-endpoint', sim.url, '--auth', 'access-token'];

describe('the interactive wizard in a real terminal', () => {
  it('asks for what flags did not give, shows the plan, and applies it after one confirmation', async () => {
    const sim = await startSim();
    const t = new PtySession([...base(sim), '--journal', path.join(tmp, 'journal.jsonl')], await tokenEnv(sim));

    await t.waitFor(/Search the Keycloak enterprise app by name/);
    t.line('Keycloak (Spark)');
    await t.waitFor(/Which app is Keycloak\?[\s\S]*Keycloak \(Spark\) — OIDC/);
    t.send(KEY.enter);
    await t.waitFor(/Admin group \(display name or object id\)/);
    t.send(KEY.enter); // default: tenant-admin
    await t.waitFor(/Assign the group with which app role\?[\s\S]*tenant-admin/);
    t.send(KEY.enter);
    await t.waitFor(/Search users to make eligible/);
    t.line('alice');
    await t.waitFor(/Make eligible[\s\S]*alice@contoso\.example/);
    t.send(KEY.space + KEY.enter);
    await t.waitFor(/Search more users \(empty to finish; 1 chosen\)/);
    t.line('bob');
    await t.waitFor(/Make eligible[\s\S]*bob@contoso\.example/);
    t.send(KEY.space + KEY.enter);
    await t.waitFor(/Search more users \(empty to finish; 2 chosen\)/);
    t.send(KEY.enter);
    await t.waitFor(/Eligible from/);
    t.send(KEY.enter);
    await t.waitFor(/Eligible until \(YYYY-MM-DD; the group policy allows at most 365 d\)/);
    t.send(KEY.enter);
    await t.waitFor(/Longest activation/);
    t.line('PT4H');
    await t.waitFor(/Require a justification to activate\?/);
    t.send(KEY.enter);
    await t.waitFor(/Require multi-factor authentication to activate\?/);
    t.send(KEY.enter);
    await t.waitFor(/Check the Keycloak side now/);
    t.line('n');
    await t.waitFor(/Planned changes:[\s\S]*remove Carol[\s\S]*Apply these changes, removing 2 member\(s\)\?/);
    expect(sim.writes()).toHaveLength(0);
    t.line('y');
    expect(await t.exited).toBe(0);
    expect(t.screen).toMatch(/Result: changed/);
    expect(t.screen).toMatch(/Test the PIM[\s\S]*alice@contoso\.example/);
    expect(members(sim)).toEqual([]);
    const eligible = (sim.snapshot().pim?.eligibilitySchedules ?? [])
      .filter((s) => s.groupId === G)
      .map((s) => s.principalId)
      .sort();
    expect(eligible).toEqual([CONTOSO.users.alice, CONTOSO.users.bob].sort());
  });

  it('lets the user choose one of two groups with the same name', async () => {
    const sim = await startSim();
    const t = new PtySession(
      [
        'audit',
        ...base(sim),
        '--app-id',
        CONTOSO.keycloakAppId,
        '--group',
        'duplicate-admins',
        '--app-role',
        'tenant-admin',
        '--eligible',
        CONTOSO.upns.alice,
        '--end',
        END,
        '--skip-keycloak',
        '--json',
      ],
      await tokenEnv(sim),
    );
    await t.waitFor(/2 groups are named "duplicate-admins"; which one\?/);
    const second =
      t.screen.indexOf(CONTOSO.groups.duplicateAdmins2) > t.screen.indexOf(CONTOSO.groups.duplicateAdmins1)
        ? CONTOSO.groups.duplicateAdmins2
        : CONTOSO.groups.duplicateAdmins1;
    t.send(KEY.down + KEY.enter);
    await t.exited;
    expect(t.screen).toContain(`"message": "group: duplicate-admins (${second})"`);
    expect(sim.writes()).toHaveLength(0);
  });

  it('rejects an invalid date in place, and Ctrl-C then exits 130 with nothing written', async () => {
    const sim = await startSim();
    const t = new PtySession(
      [...base(sim), '--app-id', CONTOSO.keycloakAppId, '--app-role', 'tenant-admin', '--eligible', CONTOSO.upns.alice, '--skip-keycloak'],
      await tokenEnv(sim),
    );
    await t.waitFor(/Admin group/);
    t.send(KEY.enter);
    await t.waitFor(/Eligible from/);
    t.send(KEY.enter);
    await t.waitFor(/Eligible until/);
    t.line('2027-02-30');
    await t.waitFor(/no such date/);
    // Still the same question: the wrong answer was not taken.
    expect(t.screen.slice(Math.max(0, t.screen.lastIndexOf('no such date') - 400))).toMatch(/Eligible until/);
    t.send(KEY.ctrlC);
    expect(await t.exited).toBe(130);
    expect(sim.writes()).toHaveLength(0);
  });

  it('writes nothing when the confirmation is declined', async () => {
    const sim = await startSim();
    const t = new PtySession(
      [
        ...base(sim),
        '--app-id',
        CONTOSO.keycloakAppId,
        '--group',
        'tenant-admin',
        '--app-role',
        'tenant-admin',
        '--eligible',
        CONTOSO.upns.alice,
        '--end',
        END,
        '--activation-max',
        'PT8H',
        '--skip-keycloak',
      ],
      await tokenEnv(sim),
    );
    await t.waitFor(/Apply these changes, removing 2 member\(s\)\?/);
    t.line('n');
    expect(await t.exited).toBe(1);
    expect(t.screen).toMatch(/declined: nothing was changed/);
    expect(sim.writes()).toHaveLength(0);
    expect(members(sim)).toEqual([CONTOSO.users.carol, CONTOSO.users.dave].sort());
  });
});

describe('colour and spinners in a terminal', () => {
  const flags = (sim: SimulatedTenant) => [
    'audit',
    ...base(sim),
    '--app-id',
    CONTOSO.keycloakAppId,
    '--group',
    'tenant-admin',
    '--app-role',
    'tenant-admin',
    '--eligible',
    CONTOSO.upns.alice,
    '--end',
    END,
    '--skip-keycloak',
  ];
  const COLOUR = /\x1b\[(?:3\d|9\d|1|2)(?:;\d+)*m/;
  const SPINNER = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/;

  it('a terminal gets colour and spinners', async () => {
    const sim = await startSim();
    const t = new PtySession(flags(sim), await tokenEnv(sim));
    expect(await t.exited).toBe(2);
    expect(t.raw).toMatch(COLOUR);
    expect(t.raw).toMatch(SPINNER);
  });

  // NO_COLOR asks for no colour, not for less information: the step progress stays, plain.
  it.each([
    ['NO_COLOR', { NO_COLOR: '1' }, []],
    ['--no-color', {}, ['--no-color']],
  ])('%s: no colour, but the step progress stays, with plain glyphs', async (_name, env, extra) => {
    const sim = await startSim();
    const t = new PtySession([...flags(sim), ...extra], { ...(await tokenEnv(sim)), ...env });
    expect(await t.exited).toBe(2);
    expect(t.raw).not.toMatch(COLOUR);
    expect(t.raw).toMatch(SPINNER);
    // Each step ends on a line of its own with a plain glyph, on the terminal (stderr).
    expect(t.screen).toMatch(/[✔!] Prerequisites: (ok|warning)$/m);
    expect(t.screen).toMatch(/! Keycloak[^\n]*: (warning|skipped)$/m);
  });

  it('--json: no colour and no spinner, even on a terminal', async () => {
    const sim = await startSim();
    const t = new PtySession([...flags(sim), '--json'], await tokenEnv(sim));
    expect(await t.exited).toBe(2);
    expect(t.raw).not.toMatch(COLOUR);
    expect(t.raw).not.toMatch(SPINNER);
  });
});
