import { describe, expect, it } from 'vitest';
import { CONTOSO, type SimulatedTenant } from '../../src/sim/index.js';
import { runCli } from '../support/cli.js';
import { callSim, closeSimsAfterEach, simWithEligibleAlice } from '../support/sim.js';

/**
 * `activate` and the documented answer of a self-activation: the request always
 * carries `scheduleInfo.expiration`, and the 201 for `afterDuration` has no `endDateTime`
 * (Learn "Create assignmentScheduleRequest", example 2), so the end is start + duration.
 */

closeSimsAfterEach();

const G = CONTOSO.groups.tenantAdmin;
const ALICE = CONTOSO.users.alice;
const PIM = '/identityGovernance/privilegedAccess/group';
/** The README's activate scopes. */
const ACTIVATE_SCOPES =
  'User.Read PrivilegedEligibilitySchedule.Read.AzureADGroup PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup RoleManagementPolicy.Read.AzureADGroup';

const activations = (sim: SimulatedTenant) => sim.writes().filter((w) => w.path.endsWith('/assignmentScheduleRequests'));

async function activate(sim: SimulatedTenant, extra: string[], scp = ACTIVATE_SCOPES) {
  const t = await sim.issueToken({ scp, oid: ALICE });
  return runCli(['activate', '--tenant-id', CONTOSO.tenantId, '--graph-endpoint', sim.url, ...extra], { ENTRA_PIM_ACCESS_TOKEN: t });
}

describe('self-activation schedule', () => {
  it('the sim answers selfActivate with afterDuration as documented: {type, duration}, no endDateTime', async () => {
    const sim = await simWithEligibleAlice();
    const token = await sim.issueToken({ scp: ACTIVATE_SCOPES, oid: ALICE });
    const start = new Date().toISOString();
    const res = await callSim(sim.url, token, 'POST', `/v1.0${PIM}/assignmentScheduleRequests`, {
      accessId: 'member',
      principalId: ALICE,
      groupId: G,
      action: 'selfActivate',
      justification: 'x',
      scheduleInfo: { startDateTime: start, expiration: { type: 'afterDuration', duration: 'PT2H' } },
    });
    expect(res.status).toBe(201);
    expect(res.body?.scheduleInfo.expiration).toEqual({ type: 'afterDuration', duration: 'PT2H' });
    expect(res.body?.scheduleInfo).not.toHaveProperty('expiration.endDateTime');
    expect(res.body?.status).toBe('Provisioned');
  });

  it('computes the end from start + duration, since the answer carries none', async () => {
    const sim = await simWithEligibleAlice();
    const res = await activate(sim, ['--duration', 'PT2H', '--justification', 'INC-1', '--json']);
    expect(res.code, res.stderr).toBe(0);
    const doc = JSON.parse(res.stdout);
    expect(doc.status).toBe('active');
    expect(doc.endDateTime).not.toBeNull();
    expect(Date.parse(doc.endDateTime) - Date.parse(doc.startDateTime)).toBe(2 * 3600_000);
    const text = await activate(sim, ['--deactivate']);
    expect(text.code, text.stderr).toBe(0);
    const again = await activate(sim, ['--duration', 'PT1H', '--justification', 'INC-2']);
    expect(again.stdout).toMatch(/until \d{4}-\d{2}-\d{2}T\S+Z \(1 h\)/);
    expect(again.stdout).not.toMatch(/policy maximum/);
  });

  it('always sends scheduleInfo.expiration: without --duration, the policy maximum', async () => {
    const sim = await simWithEligibleAlice();
    const res = await activate(sim, ['--justification', 'x']);
    expect(res.code, res.stderr).toBe(0);
    const [req] = activations(sim);
    expect((req.body as { scheduleInfo: unknown }).scheduleInfo).toMatchObject({ expiration: { type: 'afterDuration', duration: 'PT8H' } });
  });

  it('with the policy unreadable and no --duration, asks for --duration and sends nothing', async () => {
    const sim = await simWithEligibleAlice();
    const res = await activate(
      sim,
      ['--justification', 'x'],
      'User.Read PrivilegedEligibilitySchedule.Read.AzureADGroup PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup',
    );
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(/^error: .*pass --duration/);
    expect(activations(sim)).toHaveLength(0);
  });
});
