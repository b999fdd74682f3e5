import { describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CONTOSO, type SimulatedTenant } from '../../src/sim/index.js';
import { PERMISSION_SETS } from '../../src/graph/permissions.js';
import { runCli } from '../support/cli.js';
import { KEY, PtySession } from '../support/pty.js';
import { args, closeSimsAfterEach, END, G, journalPath, json, simWithEligibleAlice, startSim, tokenEnv } from '../support/sim.js';

closeSimsAfterEach();

const ELIGIBILITY = '/identityGovernance/privilegedAccess/group/eligibilityScheduleRequests';
const ACTIVATION = '/identityGovernance/privilegedAccess/group/assignmentScheduleRequests';

/** The group's member policy asks for ticket information in `ruleId` (as an admin would set it in PIM). */
function requireTicketing(sim: SimulatedTenant, ruleId = 'Enablement_Admin_Eligibility'): void {
  const rule = sim.state.policyFor(G, 'member').rules.find((r) => r.id === ruleId)!;
  rule.enabledRules = ['Ticketing'];
}

const eligibilityWrites = (sim: SimulatedTenant) => sim.writes().filter((w) => w.path.endsWith(ELIGIBILITY));

describe('--ticket-number / --ticket-system', () => {
  it('a policy that requires ticket information: a run without a ticket is refused before any write, naming --ticket-number', async () => {
    const sim = await startSim();
    requireTicketing(sim);
    const res = await runCli(args(sim, ['--yes', '--journal', await journalPath(), '--json']), await tokenEnv(sim));
    expect(res.code).toBe(1);
    expect(sim.writes()).toHaveLength(0);
    const step = json(res.stdout).steps.find((s) => s.id === 'pim-eligibility')!;
    const f = step.findings.find((x) => x.code === 'TICKET_REQUIRED');
    expect(f).toMatchObject({ severity: 'error' });
    expect(f!.message).toMatch(/requires ticket information for eligible assignments \(Enablement_Admin_Eligibility: Ticketing\)/);
    expect((f as { fix?: string }).fix).toMatch(/--ticket-number/);
    expect(step.actions.filter((a) => a.request)).toHaveLength(0);
    // Standing members stay: nothing after a held-back plan is applied.
    expect(sim.state.isMember(G, CONTOSO.users.carol)).toBe(true);
  });

  it('the same in text: the finding names the flag, and nothing was changed', async () => {
    const sim = await startSim();
    requireTicketing(sim);
    const res = await runCli(args(sim, ['--yes', '--journal', await journalPath()]), await tokenEnv(sim));
    expect(res.code).toBe(1);
    expect(`${res.stdout}\n${res.stderr}`).toMatch(/TICKET_REQUIRED/);
    expect(`${res.stdout}\n${res.stderr}`).toMatch(/--ticket-number/);
    expect(`${res.stdout}\n${res.stderr}`).toMatch(/nothing was changed/);
    expect(sim.writes()).toHaveLength(0);
  });

  it('an audit reports the missing ticket as an error, so a pipeline learns it before the run; with the ticket it does not', async () => {
    const sim = await startSim();
    requireTicketing(sim);
    const without = await runCli(['audit', ...args(sim, ['--json'])], await tokenEnv(sim));
    // Exit 2: an audit's error-level finding (README, exit codes).
    expect(without.code).toBe(2);
    const codes = (out: string) => json(out).steps.flatMap((s) => s.findings.map((f) => f.code));
    const all = json(without.stdout).steps.flatMap((s) => s.findings);
    expect(all.find((f) => f.code === 'TICKET_REQUIRED')).toMatchObject({ severity: 'error' });
    const withTicket = await runCli(['audit', ...args(sim, ['--json', '--ticket-number', 'CHG0012345'])], await tokenEnv(sim));
    expect(withTicket.code).toBe(2);
    expect(codes(withTicket.stdout)).not.toContain('TICKET_REQUIRED');
    expect(sim.writes()).toHaveLength(0);
  });

  it('with a ticket: every eligibility request carries ticketInfo; the journal and both reports name the ticket', async () => {
    const sim = await startSim();
    requireTicketing(sim);
    const journal = await journalPath();
    const dir = path.dirname(journal);
    const ticket = ['--ticket-number', 'CHG0012345', '--ticket-system', 'ServiceNow'];
    const res = await runCli(
      args(sim, ['--yes', '--journal', journal, '--report', path.join(dir, 'change.json'), ...ticket]),
      await tokenEnv(sim),
    );
    expect(res.code, res.stderr).toBe(0);
    const sent = eligibilityWrites(sim);
    expect(sent).toHaveLength(2);
    for (const w of sent)
      expect((w.body as Record<string, unknown>).ticketInfo).toEqual({ ticketNumber: 'CHG0012345', ticketSystem: 'ServiceNow' });
    // PIM recorded the ticket on each request.
    for (const r of sim.state.eligibilityScheduleRequests)
      expect(r.ticketInfo).toEqual({ ticketNumber: 'CHG0012345', ticketSystem: 'ServiceNow' });

    const lines = (await readFile(journal, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; ticketNumber?: string; ticketSystem?: string });
    const at = lines.findIndex((l) => l.type === 'ticket');
    expect(lines[at]).toMatchObject({ ticketNumber: 'CHG0012345', ticketSystem: 'ServiceNow' });
    expect(at).toBeLessThan(lines.findIndex((l) => l.type === 'before'));

    const doc = JSON.parse(await readFile(path.join(dir, 'change.json'), 'utf8')) as { meta: { ticket?: unknown } };
    expect(doc.meta.ticket).toEqual({ ticketNumber: 'CHG0012345', ticketSystem: 'ServiceNow' });

    // The Markdown report of an audit with the ticket names it too.
    const md = path.join(dir, 'audit.md');
    const audit = await runCli(['audit', ...args(sim, ['--report', md, ...ticket])], await tokenEnv(sim));
    expect(audit.code, audit.stderr).toBe(0);
    expect(await readFile(md, 'utf8')).toContain('| Ticket | `CHG0012345` (ServiceNow) |');

    // restore reads the journal past its ticket line and puts the removed members back.
    const restore = await runCli(
      [
        'restore',
        '--journal',
        journal,
        '--tenant-id',
        CONTOSO.tenantId,
        '--graph-endpoint',
        sim.url,
        '--yes',
        '--restore-journal',
        path.join(dir, 'restore.jsonl'),
      ],
      await tokenEnv(sim, PERMISSION_SETS.restore),
    );
    expect(restore.code, restore.stderr).toBe(0);
    expect(sim.state.isMember(G, CONTOSO.users.carol)).toBe(true);
  });

  it('from the environment and from a config file; without a policy requirement it is still sent', async () => {
    const sim = await startSim();
    const res = await runCli(args(sim, ['--yes', '--journal', await journalPath()]), {
      ...(await tokenEnv(sim)),
      ENTRA_PIM_TICKET_NUMBER: 'INC-7',
      ENTRA_PIM_TICKET_SYSTEM: 'Jira',
    });
    expect(res.code, res.stderr).toBe(0);
    for (const w of eligibilityWrites(sim))
      expect((w.body as Record<string, unknown>).ticketInfo).toEqual({ ticketNumber: 'INC-7', ticketSystem: 'Jira' });

    const other = await startSim();
    requireTicketing(other);
    const journal = await journalPath();
    const config = path.join(path.dirname(journal), 'change.yaml');
    await writeFile(config, 'ticket-number: 4711\n');
    const viaConfig = await runCli(args(other, ['--yes', '--journal', journal, '--config', config]), await tokenEnv(other));
    expect(viaConfig.code, viaConfig.stderr).toBe(0);
    const sent = eligibilityWrites(other);
    expect(sent.length).toBeGreaterThan(0);
    for (const w of sent) expect((w.body as Record<string, unknown>).ticketInfo).toEqual({ ticketNumber: '4711' });
  });

  it('without a ticket and without a requirement, requests carry no ticketInfo and the journal no ticket', async () => {
    const sim = await startSim();
    const journal = await journalPath();
    const res = await runCli(args(sim, ['--yes', '--journal', journal]), await tokenEnv(sim));
    expect(res.code, res.stderr).toBe(0);
    for (const w of eligibilityWrites(sim)) expect(w.body).not.toHaveProperty('ticketInfo');
    expect(await readFile(journal, 'utf8')).not.toContain('"type":"ticket"');
  });

  it.each([
    { name: 'empty number', extra: ['--ticket-number', ' '], says: /^--ticket-number: empty; give the change ticket's number/ },
    { name: 'number with a line break', extra: ['--ticket-number', 'CHG1\nrm'], says: /^--ticket-number: contains a control character/ },
    {
      name: 'number with a zero-width space',
      extra: ['--ticket-number', 'CHG12\u200b34'],
      says: /^--ticket-number: contains a control character/,
    },
    { name: 'number too long', extra: ['--ticket-number', 'x'.repeat(101)], says: /^--ticket-number: longer than 100 characters/ },
    {
      name: 'system with a tab',
      extra: ['--ticket-number', 'CHG1', '--ticket-system', 'Service\tNow'],
      says: /^--ticket-system: contains a control character/,
    },
    { name: 'system without number', extra: ['--ticket-system', 'ServiceNow'], says: /^--ticket-system needs --ticket-number/ },
  ])('bad input ($name): one line naming the flag, exit 1, no request', async ({ extra, says }) => {
    const sim = await startSim();
    const res = await runCli(args(sim, ['--yes', ...extra]), await tokenEnv(sim));
    expect(res.code).toBe(1);
    const lines = res.stderr.trim().split('\n');
    expect(lines, res.stderr).toHaveLength(1);
    expect(lines[0].replace(/^error: /, '')).toMatch(says);
    expect(sim.requests).toHaveLength(0);
  });
});

describe('activate with a ticket', () => {
  const USER_SCOPES =
    'User.Read PrivilegedEligibilitySchedule.Read.AzureADGroup PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup RoleManagementPolicy.Read.AzureADGroup';
  const activate = async (sim: SimulatedTenant, extra: string[]) => {
    const t = await sim.issueToken({ scp: USER_SCOPES, oid: CONTOSO.users.alice });
    return runCli(['activate', '--tenant-id', CONTOSO.tenantId, '--graph-endpoint', sim.url, '--justification', 'x', ...extra], {
      ENTRA_PIM_ACCESS_TOKEN: t,
    });
  };

  it('an activation policy that requires ticket information: refused up front without one, activated with ticketInfo with one', async () => {
    const sim = await simWithEligibleAlice();
    requireTicketing(sim, 'Enablement_EndUser_Assignment');
    const before = sim.writes().length;
    const without = await activate(sim, ['--duration', 'PT1H']);
    expect(without.code).toBe(1);
    expect(without.stderr).toMatch(/requires ticket information: pass --ticket-number <number>.*nothing was sent/);
    expect(sim.writes()).toHaveLength(before);
    const withTicket = await activate(sim, ['--duration', 'PT1H', '--ticket-number', 'CHG42', '--ticket-system', 'ServiceNow']);
    expect(withTicket.code, withTicket.stderr).toBe(0);
    const sent = sim.writes().filter((w) => w.path.endsWith(ACTIVATION));
    expect(sent).toHaveLength(1);
    expect((sent[0].body as Record<string, unknown>).ticketInfo).toEqual({ ticketNumber: 'CHG42', ticketSystem: 'ServiceNow' });
    expect(sim.state.isMember(G, CONTOSO.users.alice)).toBe(true);
  });
  it.each([
    { extra: ['--deactivate', '--ticket-number', 'CHG1'], says: /^error: --ticket-number and --deactivate: give one, not both$/ },
    { extra: ['--ticket-number', 'CHG1\u001b[2J'], says: /^error: --ticket-number: contains a control character/ },
    { extra: ['--ticket-system', 'Jira'], says: /^error: --ticket-system needs --ticket-number/ },
  ])('bad ticket input to activate ($extra): one line, exit 1, no request', async ({ extra, says }) => {
    const sim = await startSim();
    const res = await activate(sim, extra);
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n'), res.stderr).toHaveLength(1);
    expect(res.stderr.trim()).toMatch(says);
    expect(sim.requests).toHaveLength(0);
  });
});

describe('the wizard asks for the ticket only when the policy requires one', () => {
  it('asks on a terminal, rejects an empty number in place, and sends what was typed', async () => {
    const sim = await startSim();
    requireTicketing(sim);
    const journal = await journalPath();
    const t = new PtySession(
      [
        '--tenant-id',
        CONTOSO.tenantId,
        '--graph-endpoint',
        sim.url,
        '--auth',
        'access-token',
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
        '--journal',
        journal,
      ],
      await tokenEnv(sim),
    );
    await t.waitFor(/requires ticket information for eligible assignments[\s\S]*Change ticket number/);
    t.send(KEY.enter);
    await t.waitFor(/empty/);
    t.line('CHG0099');
    await t.waitFor(/Ticket system \(empty for none\)/);
    t.line('ServiceNow');
    await t.waitFor(/Apply these changes, removing 2 member\(s\)\?/);
    expect(sim.writes()).toHaveLength(0);
    t.line('y');
    expect(await t.exited).toBe(0);
    const sent = eligibilityWrites(sim);
    expect(sent).toHaveLength(1);
    expect((sent[0].body as Record<string, unknown>).ticketInfo).toEqual({ ticketNumber: 'CHG0099', ticketSystem: 'ServiceNow' });
    expect(await readFile(journal, 'utf8')).toContain('"type":"ticket"');
  });
});
