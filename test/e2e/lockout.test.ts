import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CONTOSO, type FaultResponse, type SimulatedTenant } from '../../src/sim/index.js';
import { ROOT, runCli, startCli } from '../support/cli.js';
import {
  args,
  callSim,
  closeSimsAfterEach,
  G,
  journalPath,
  json,
  simWithEligibleAlice,
  startSim,
  tokenEnv,
  type JsonReport,
} from '../support/sim.js';

closeSimsAfterEach();

const DAY = 86_400_000;
const PIM = '/identityGovernance/privilegedAccess/group';
const STANDING = [CONTOSO.users.carol, CONTOSO.users.dave].sort();
const members = (sim: SimulatedTenant) => [...(sim.snapshot().groups.find((g) => g.id === G)?.members ?? [])].sort();
const deletes = (sim: SimulatedTenant) => sim.writes().filter((w) => w.method === 'DELETE');
const inDays = (n: number) => new Date(Date.now() + n * DAY).toISOString().slice(0, 10);
const step = (report: JsonReport, id: string) => report.steps.find((s) => s.id === id)!;
const codes = (report: JsonReport, id: string) => step(report, id).findings.map((f) => f.code);

/**
 * The CLI runs in a child process with its own clock: preload a module that shifts its `Date` by
 * the simulated tenant's offset, so both sides see the same "now" after a test moves time.
 */
async function envAt(sim: SimulatedTenant): Promise<Record<string, string>> {
  const preload = pathToFileURL(path.join(ROOT, 'test/support/fake-now.mjs')).href;
  return { ...(await tokenEnv(sim)), NODE_OPTIONS: `--import=${preload}`, TEST_CLOCK_OFFSET_MS: String(sim.clock.nowMs() - Date.now()) };
}

/** Makes a user eligible through Graph, as an admin would in the portal. */
async function makeEligible(sim: SimulatedTenant, principalId: string): Promise<void> {
  const admin = await sim.issueToken({ roles: [...CONTOSO.automation.roles], appid: CONTOSO.automation.clientId });
  const res = await callSim(sim.url, admin, 'POST', `/v1.0${PIM}/eligibilityScheduleRequests`, {
    accessId: 'member',
    principalId,
    groupId: G,
    action: 'adminAssign',
    justification: 'test',
    scheduleInfo: {
      startDateTime: new Date(sim.clock.nowMs() - 60_000).toISOString(),
      expiration: { type: 'afterDuration', duration: 'P30D' },
    },
  });
  if (res.status !== 201) throw new Error(`could not make ${principalId} eligible: ${res.status}`);
}

describe('lockout guard: counts only what someone can use now', () => {
  it('--start 30 days ahead: refused, the standing members stay and nothing is sent', async () => {
    const sim = await startSim();
    const res = await runCli(args(sim, ['--yes', '--json', '--start', inDays(30)]), await tokenEnv(sim));
    expect(res.code, res.stderr).toBe(1);
    const report = json(res.stdout);
    const guard = step(report, 'admin-group').findings.find((f) => f.code === 'LOCKOUT_GUARD');
    expect(guard?.severity).toBe('error');
    expect(guard?.message).toMatch(/nobody who can become admin until .* \(--start\); the standing members stay/);
    expect(codes(report, 'pim-eligibility')).toContain('ELIGIBLE_NONE_USABLE');
    expect(members(sim)).toEqual(STANDING);
    expect(sim.writes()).toHaveLength(0);
  });

  it('an eligibility held only by a disabled user does not count: refused, nothing removed', async () => {
    const sim = await startSim();
    await makeEligible(sim, CONTOSO.users.disabled);
    const res = await runCli(args(sim, ['--yes', '--json'], { '--eligible': '' }), await tokenEnv(sim));
    expect(res.code, res.stderr).toBe(1);
    const report = json(res.stdout);
    expect(codes(report, 'admin-group')).toContain('LOCKOUT_GUARD');
    expect(codes(report, 'pim-eligibility')).toEqual(expect.arrayContaining(['ELIGIBLE_NOT_USABLE', 'ELIGIBLE_NONE_USABLE']));
    expect(members(sim)).toEqual(STANDING);
    expect(deletes(sim)).toHaveLength(0);
  });

  const pendingApproval = {
    id: 'e3405b79-c0d8-4597-87b5-a84451e29224',
    status: 'PendingApproval',
    action: 'adminAssign',
    isValidationOnly: false,
    principalId: CONTOSO.users.alice,
    accessId: 'member',
    groupId: G,
    approvalId: '1b5e2d1c-7a36-4f0d-9d4a-2f4f5c9e8a11',
    completedDateTime: null,
    targetScheduleId: null,
  };
  it.each<[string, FaultResponse, RegExp]>([
    ['a 201 with status PendingApproval', { status: 201, body: pendingApproval }, /request status is PendingApproval/],
    ['a 201 with status Granted', { status: 201, body: { ...pendingApproval, status: 'Granted' } }, /request status is Granted/],
    [
      'a 200 carrying an error object',
      { status: 200, body: { error: { code: 'UnknownError', message: 'something went wrong' } } },
      /answered 200 with an error object \(UnknownError\)/,
    ],
  ])('an eligibility request answered with %s is not success: the step fails and nobody is removed', async (_name, respond, says) => {
    const sim = await startSim(undefined, [{ method: 'POST', path: `${PIM}/eligibilityScheduleRequests`, times: Infinity, respond }]);
    const journal = await journalPath();
    const res = await runCli(args(sim, ['--yes', '--json', '--journal', journal]), await tokenEnv(sim));
    expect(res.code, res.stderr).toBe(1);
    const report = json(res.stdout);
    const failed = step(report, 'pim-eligibility');
    expect(failed.status).toBe('failed');
    expect(failed.findings.find((f) => f.code === 'APPLY_FAILED')?.message).toMatch(says);
    expect(step(report, 'admin-group').status).not.toBe('changed');
    expect(members(sim)).toEqual(STANDING);
    expect(deletes(sim)).toHaveLength(0);
    // The request itself was journaled like every write.
    expect(await readFile(journal, 'utf8')).toContain('eligibilityScheduleRequests');
  });

  it.each<[string, (sim: SimulatedTenant) => void]>([
    ['the eligibility is removed', (sim) => sim.state.eligibilitySchedules.clear()],
    ['the eligible user is disabled', (sim) => void (sim.state.users.get(CONTOSO.users.alice)!.accountEnabled = false)],
  ])('re-reads live right before the first removal: when %s after the plan, nobody is removed', async (_name, change) => {
    const sim = await simWithEligibleAlice();
    // The plan sees Alice able to activate; the change lands while the run is applying the app
    // assignment, after every plan read and before the removal step.
    const changed = sim.waitForRequest((r) => r.method === 'POST' && r.path.endsWith('/appRoleAssignedTo') && (change(sim), true), 60_000);
    const running = startCli(args(sim, ['--yes', '--json'], { '--eligible': '' }), await tokenEnv(sim));
    await changed;
    const res = await running.done;
    expect(res.code, res.stderr).toBe(1);
    const admin = step(json(res.stdout), 'admin-group');
    expect(admin.findings.find((f) => f.code === 'APPLY_FAILED')?.message).toMatch(
      /lockout guard: refused to remove 2 standing member\(s\) of tenant-admin: read live just now, no eligible member assignment is usable.*nothing was removed/,
    );
    expect(members(sim)).toEqual(STANDING);
    expect(deletes(sim)).toHaveLength(0);
  });

  it('with an eligibility usable now, the standing members are removed', async () => {
    const sim = await simWithEligibleAlice();
    const res = await runCli(args(sim, ['--yes', '--json'], { '--eligible': '' }), await tokenEnv(sim));
    expect(res.code, res.stderr).toBe(0);
    expect(members(sim)).toEqual([]);
  });
});

describe('time is a lockout too', () => {
  // No --end: the target window is computed from "now" (the default 90 days; the policy allows P365D).
  const noEnd = { '--end': '' };

  it('a daily audit of an unchanged, compliant tenant stays compliant day after day', async () => {
    const sim = await startSim();
    const run = await runCli(args(sim, ['--yes', '--json'], noEnd), await envAt(sim));
    expect(run.code, run.stderr).toBe(0);
    for (let day = 1; day <= 3; day++) {
      sim.advanceClock(DAY + 3_600_000);
      const audit = await runCli(['audit', ...args(sim, ['--json'], noEnd)], await envAt(sim));
      expect(audit.code, `day ${day}: ${audit.stdout}`).toBe(0);
      const report = json(audit.stdout);
      expect(report.status).toBe('compliant');
      expect(step(report, 'pim-eligibility').actions.every((a) => a.kind === 'noop')).toBe(true);
      expect(codes(report, 'pim-eligibility')).not.toContain('ELIGIBLE_EXPIRING');
    }
  });

  it('audit warns when every usable eligibility ends within the threshold, and errors once none is usable', async () => {
    const sim = await startSim();
    expect((await runCli(args(sim, ['--yes'], noEnd), await envAt(sim))).code).toBe(0);
    // A threshold longer than the eligibility warns at once.
    const long = await runCli(['audit', ...args(sim, ['--json', '--expiry-warning', 'P400D'], noEnd)], await envAt(sim));
    expect(long.code, long.stdout).toBe(0);
    expect(codes(json(long.stdout), 'pim-eligibility')).toContain('ELIGIBLE_EXPIRING');

    const end = Math.max(
      ...(sim.snapshot().pim?.eligibilitySchedules ?? []).filter((s) => s.groupId === G).map((s) => Date.parse(s.endDateTime!)),
    );
    sim.setNow(new Date(end - 10 * DAY));
    const near = await runCli(['audit', ...args(sim, ['--json'], noEnd)], await envAt(sim));
    expect(near.code, near.stdout).toBe(0);
    const warning = step(json(near.stdout), 'pim-eligibility').findings.find((f) => f.code === 'ELIGIBLE_EXPIRING');
    expect(warning).toMatchObject({ severity: 'warning' });
    expect(warning?.message).toMatch(/every usable eligibility ends within 30 d/);

    sim.setNow(new Date(end + DAY));
    const past = await runCli(['audit', ...args(sim, ['--json'], { ...noEnd, '--eligible': '' })], await envAt(sim));
    expect(past.code, past.stdout).toBe(2);
    const none = step(json(past.stdout), 'pim-eligibility').findings.find((f) => f.code === 'ELIGIBLE_NONE_USABLE');
    expect(none?.severity).toBe('error');
  });

  it('run --renew extends every usable eligibility ending within the threshold with adminExtend, journaled, inside the policy', async () => {
    const sim = await startSim();
    expect((await runCli(args(sim, ['--yes'], noEnd), await envAt(sim))).code).toBe(0);
    const oldEnd = Math.max(
      ...(sim.snapshot().pim?.eligibilitySchedules ?? []).filter((s) => s.groupId === G).map((s) => Date.parse(s.endDateTime!)),
    );
    sim.setNow(new Date(oldEnd - 10 * DAY));

    const journal = await journalPath();
    // No --eligible: --renew alone extends what exists.
    const renew = await runCli(
      args(sim, ['--yes', '--json', '--renew', '--journal', journal], { ...noEnd, '--eligible': '' }),
      await envAt(sim),
    );
    expect(renew.code, renew.stderr).toBe(0);
    const extended = sim
      .writes()
      .filter((w) => w.path.endsWith('/eligibilityScheduleRequests') && (w.body as { action?: string }).action === 'adminExtend');
    expect(extended.map((w) => (w.body as { principalId: string }).principalId).sort()).toEqual(
      [CONTOSO.users.alice, CONTOSO.users.bob].sort(),
    );
    expect(extended.every((w) => w.status === 201)).toBe(true);
    const journaled = (await readFile(journal, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; request?: { body?: { action?: string; principalId?: string } } })
      .filter((e) => e.type === 'before' && e.request?.body?.action === 'adminExtend');
    expect(journaled.map((e) => e.request!.body!.principalId).sort()).toEqual([CONTOSO.users.alice, CONTOSO.users.bob].sort());
    const schedules = (sim.snapshot().pim?.eligibilitySchedules ?? []).filter((s) => s.groupId === G);
    // The default window (90 days) from now, not beyond.
    for (const s of schedules) {
      const length = Date.parse(s.endDateTime!) - Date.parse(s.startDateTime!);
      expect(length).toBeLessThanOrEqual(365 * DAY);
      expect(Date.parse(s.endDateTime!)).toBeGreaterThan(oldEnd + 70 * DAY);
      expect(Date.parse(s.endDateTime!)).toBeLessThanOrEqual(oldEnd - 10 * DAY + 90 * DAY + DAY);
    }

    const audit = await runCli(['audit', ...args(sim, ['--json'], noEnd)], await envAt(sim));
    expect(audit.code, audit.stdout).toBe(0);
    expect(codes(json(audit.stdout), 'pim-eligibility')).not.toContain('ELIGIBLE_EXPIRING');
    // Nothing left to renew: a second run sends no eligibility request.
    const before = sim.writes().length;
    const again = await runCli(args(sim, ['--yes', '--json', '--renew'], { ...noEnd, '--eligible': '' }), await envAt(sim));
    expect(again.code, again.stderr).toBe(0);
    expect(sim.writes()).toHaveLength(before);
  });
});
