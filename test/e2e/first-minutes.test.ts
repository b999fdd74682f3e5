import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { CONTOSO, type SimulatedTenant } from '../../src/sim/index.js';
import { humanDate, humanDateTime, lastEndDate } from '../../src/ui/dates.js';
import { runCli } from '../support/cli.js';
import { KEY, PtySession } from '../support/pty.js';
import { args, closeSimsAfterEach, END, G, journalPath, json, startSim, tokenEnv } from '../support/sim.js';

// The mistakes of a newcomer's first minutes that belong to dates, the journal, the
// Keycloak URL, the confirmation, the wizard's window and the final screen.

closeSimsAfterEach();

const DAY = 86_400_000;
const inDays = (n: number) => new Date(Date.now() + n * DAY).toISOString().slice(0, 10);
const base = (sim: SimulatedTenant) => ['--tenant-id', CONTOSO.tenantId, '--graph-endpoint', sim.url, '--auth', 'access-token'];
const members = (sim: SimulatedTenant) => [...(sim.snapshot().groups.find((g) => g.id === G)?.members ?? [])].sort();

interface EligibilityBody {
  action: string;
  scheduleInfo: { startDateTime: string; expiration: { type: string; endDateTime?: string } };
}
const eligibilityBodies = (stdout: string) =>
  json(stdout)
    .steps.find((s) => s.id === 'pim-eligibility')!
    .actions.filter((a) => a.request)
    .map((a) => a.request!.body as EligibilityBody);

/** Asserts the one-line refusal of bad input: exit 1, one stderr line naming the flag, nothing sent. */
function expectRefused(res: { code: number | null; stderr: string }, says: RegExp, sim: SimulatedTenant): void {
  expect(res.code, res.stderr).toBe(1);
  const lines = res.stderr.trim().split('\n');
  expect(lines, res.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(says);
  expect(sim.requests, 'no request before the refusal').toHaveLength(0);
}

describe('--start/--end: any valid ISO 8601 date-time, offsets included', () => {
  it('accepts an offset that crosses UTC midnight, and sends the same instant in UTC', async () => {
    const sim = await startSim();
    const day = inDays(100);
    const res = await runCli(['audit', ...args(sim, ['--json'], { '--end': `${day}T01:00:00+02:00` })], await tokenEnv(sim));
    expect(res.stderr).not.toMatch(/no such date/);
    expect(res.code, res.stderr).toBe(2);
    const expected = new Date(Date.parse(`${day}T00:00:00Z`) - 3_600_000).toISOString();
    const bodies = eligibilityBodies(res.stdout);
    expect(bodies.length).toBeGreaterThan(0);
    for (const b of bodies) expect(b.scheduleInfo.expiration.endDateTime).toBe(expected);
  });

  it.each([
    ['an hour that does not exist', `${inDays(100)}T25:00:00Z`, /--end \S+: no such time of day/],
    ['an offset beyond 23 hours', `${inDays(100)}T10:00:00+24:00`, /--end \S+: no such UTC offset/],
    ['30 February with a time and an offset', '2027-02-30T10:00:00+02:00', /--end 2027-02-30T10:00:00\+02:00: no such date/],
  ])('refuses %s, naming --end', async (_name, end, says) => {
    const sim = await startSim();
    expectRefused(await runCli(args(sim, ['--yes'], { '--end': end }), await tokenEnv(sim)), says, sim);
  });
});

describe('--journal that cannot be written is refused before the first request', () => {
  it.each([
    // A regular file where the folder should be: the folder check of old passed it.
    [
      'a file where the folder should be',
      'package.json/journal.jsonl',
      /--journal package\.json\/journal\.jsonl: .*package\.json is not a folder/,
    ],
    // procfs takes no new files, whatever the permission bits (and root) say.
    [
      'a folder that takes no new files',
      '/proc/entra-pim-setup-journal.jsonl',
      /--journal \/proc\/entra-pim-setup-journal\.jsonl: folder \/proc does not take new files/,
    ],
  ])('%s', async (_name, journal, says) => {
    const sim = await startSim();
    expectRefused(await runCli(args(sim, ['--yes', '--journal', journal]), await tokenEnv(sim)), says, sim);
    expect(members(sim)).toEqual([CONTOSO.users.carol, CONTOSO.users.dave].sort());
  });

  it('with a domain as --tenant-id: refused before the tenant discovery request too', async () => {
    const sim = await startSim();
    const res = await runCli(
      args(sim, ['--yes', '--journal', '/proc/entra-pim-setup-journal.jsonl'], { '--tenant-id': 'contoso.onmicrosoft.com' }),
      { ...(await tokenEnv(sim)), AZURE_AUTHORITY_HOST: sim.url },
    );
    expectRefused(res, /--journal \/proc\/entra-pim-setup-journal\.jsonl: folder \/proc does not take new files/, sim);
  });

  it('a writable journal that is not needed is not left behind (the check creates nothing that stays)', async () => {
    const sim = await startSim();
    const journal = await journalPath();
    // An audit writes no journal and is not checked; a compliant run writes none either.
    const first = await runCli(args(sim, ['--yes', '--journal', await journalPath()]), await tokenEnv(sim));
    expect(first.code, first.stderr).toBe(0);
    const again = await runCli(args(sim, ['--yes', '--journal', journal]), await tokenEnv(sim));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/Result: compliant/);
    expect(existsSync(journal)).toBe(false);
    expect(readdirSync(path.dirname(journal))).toEqual([]);
  });
});

describe('--keycloak-url: plain http only to this machine', () => {
  const kc = (url: string) => ['--keycloak-url', url, '--keycloak-realm', 'acme', '--keycloak-username', 'admin'];

  it('refuses http:// to another host, naming --keycloak-url, before anything is sent', async () => {
    const sim = await startSim();
    const res = await runCli(
      args(sim, ['--yes', ...kc('http://sso.example.com')]).filter((a) => a !== '--skip-keycloak'),
      { ...(await tokenEnv(sim)), KEYCLOAK_PASSWORD: 'pw-9f3k2' },
    );
    expectRefused(
      res,
      /--keycloak-url http:\/\/sso\.example\.com: plain http:\/\/ is allowed only to this machine .*use https:\/\/sso\.example\.com/,
      sim,
    );
  });

  it.each(['http://127.0.0.1:9', 'http://localhost:9', 'http://[::1]:9'])('accepts %s (loopback) past validation', async (url) => {
    const sim = await startSim();
    // Validated, then --skip-keycloak leaves Keycloak alone: the audit runs.
    const res = await runCli(['audit', ...args(sim, ['--json', ...kc(url)])], { ...(await tokenEnv(sim)), KEYCLOAK_PASSWORD: 'pw-9f3k2' });
    expect(res.stderr).not.toMatch(/--keycloak-url/);
    expect(res.code, res.stderr).toBe(2);
  });
});

describe('the default window is one: 90 days, or the policy maximum when shorter', () => {
  it('a script without --end or --duration asks for 90 days from now (the policy allows 365)', async () => {
    const sim = await startSim();
    const res = await runCli(['audit', ...args(sim, ['--json'], { '--end': '' })], await tokenEnv(sim));
    expect(res.code, res.stderr).toBe(2);
    const bodies = eligibilityBodies(res.stdout);
    expect(bodies.length).toBeGreaterThan(0);
    for (const b of bodies) {
      expect(Date.parse(b.scheduleInfo.expiration.endDateTime!) - Date.parse(b.scheduleInfo.startDateTime)).toBe(90 * DAY);
    }
  });

  it('help states the default', async () => {
    const res = await runCli(['run', '--help']);
    expect(res.stdout.replace(/\s+/g, ' ')).toMatch(
      /--end <date>.*default \(no --end, no --duration\): 90 days from the start, or the group policy's maximum when shorter/,
    );
  });
});

describe('the wizard names the last date it accepts, in words', () => {
  it('offers the default window and refuses a date past the policy with the last accepted date', async () => {
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
        '--activation-max',
        'PT8H',
        '--skip-keycloak',
      ],
      await tokenEnv(sim),
    );
    await t.waitFor(/Eligible from/);
    t.send(KEY.enter);
    const now = new Date();
    const offered = lastEndDate(now, 90 * DAY)
      .toISOString()
      .slice(0, 10);
    await t.waitFor(new RegExp(`Eligible until \\(YYYY-MM-DD; the group policy allows at most 365 d\\) \\(${offered}\\)`));
    t.line(inDays(365));
    const last = humanDate(lastEndDate(now, 365 * DAY));
    await t.waitFor(new RegExp(`at most 365 d after the start: the last date accepted is ${last}`));
    t.send(KEY.ctrlC);
    expect(await t.exited).toBe(130);
    expect(sim.writes()).toHaveLength(0);
  });
});

describe('the confirmation shows warnings and errors above the plan, before asking', () => {
  it('a group owner who can bypass PIM is named before "Apply these changes?"', async () => {
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
    const screen = t.screen;
    const ask = screen.lastIndexOf('Apply these changes');
    const warnings = screen.lastIndexOf('Before you confirm:', ask);
    const plan = screen.lastIndexOf('Planned changes:', ask);
    expect(warnings, screen).toBeGreaterThanOrEqual(0);
    expect(warnings).toBeLessThan(plan);
    expect(screen.slice(warnings, plan)).toMatch(
      /! warning group owners can add members at any time and so bypass PIM: .*erin@contoso\.example/,
    );
    // The skipped Keycloak check is a warning too: it is there, not only after the changes.
    expect(screen.slice(warnings, plan)).toMatch(/Keycloak was not checked/);
    t.line('n');
    expect(await t.exited).toBe(1);
    expect(sim.writes()).toHaveLength(0);
  });
});

describe('the final screen of a run', () => {
  it('is short: what changed, dates in words, the checklist, the time taken, and Result last', async () => {
    const sim = await startSim();
    const journal = await journalPath();
    const res = await runCli(args(sim, ['--yes', '--journal', journal]), await tokenEnv(sim));
    expect(res.code, res.stderr).toBe(0);
    const lines = res.stdout.trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(/^Result: changed — \d+ change\(s\) applied\.$/);
    expect(lines.at(-2)).toMatch(/^Took \d+(\.\d)? s\.$|^Took \d+ min \d+ s\.$/);
    expect(lines.at(-3)).toBe(`Journal: ${journal}`);
    expect(res.stdout.indexOf('Test the PIM')).toBeLessThan(res.stdout.indexOf('Result:'));
    // Dates a person reads; no ISO instant on the screen.
    expect(res.stdout).toContain(`to ${humanDateTime(new Date(`${END}T23:59:59Z`))}`);
    expect(res.stdout).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/);
    // Steps that changed nothing take one line; their notes (info) are not repeated.
    expect(res.stdout).toMatch(/^✔ already as required: [a-z-]+(, [a-z-]+)*$/m);
    expect(res.stdout).not.toMatch(/^\s+i group: tenant-admin/m);
    // The JSON keeps ISO dates.
    const again = await runCli(['audit', ...args(sim, ['--json'])], await tokenEnv(sim));
    expect(again.stdout).toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/);
  });
});
