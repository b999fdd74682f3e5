import { describe, expect, it } from 'vitest';
import { CONTOSO, type SimulatedTenant } from '../../src/sim/index.js';
import { runCli } from '../support/cli.js';
import { closeSimsAfterEach, simWithEligibleAlice } from '../support/sim.js';

/** `activate`: PIM self-activation by the signed-in user, against the simulated tenant. */

closeSimsAfterEach();

const G = CONTOSO.groups.tenantAdmin;
const ALICE = CONTOSO.users.alice;
/** What an eligible user's sign-in carries: read her eligibilities and the policy, activate. */
const USER_SCOPES =
  'User.Read PrivilegedEligibilitySchedule.Read.AzureADGroup PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup RoleManagementPolicy.Read.AzureADGroup';

/** Changes one rule of the group's member policy in the sim. */
function setRule(sim: SimulatedTenant, id: string, patch: Record<string, unknown>): void {
  const rule = sim.state.policyFor(G, 'member').rules.find((r) => r.id === id)!;
  Object.assign(rule, patch);
}

async function activate(sim: SimulatedTenant, extra: string[], token?: { scp?: string; oid?: string; amr?: string[]; acrs?: string[] }) {
  const t = await sim.issueToken({ scp: token?.scp ?? USER_SCOPES, oid: token?.oid ?? ALICE, amr: token?.amr, acrs: token?.acrs });
  return runCli(['activate', '--tenant-id', CONTOSO.tenantId, '--graph-endpoint', sim.url, ...extra], { ENTRA_PIM_ACCESS_TOKEN: t });
}

const activations = (sim: SimulatedTenant) => sim.writes().filter((w) => w.path.endsWith('/assignmentScheduleRequests'));

describe('activate', () => {
  it('activates the only eligible group for the duration asked, then says it is already active, then ends it', async () => {
    const sim = await simWithEligibleAlice();
    const res = await activate(sim, ['--duration', 'PT2H', '--justification', 'INC-1234']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(
      /^tenant-admin is active for alice@contoso\.example until \S+ \(2 h\)\. Keycloak applies the change at your next sign-in/,
    );
    expect(sim.state.isMember(G, ALICE)).toBe(true);
    const [req] = activations(sim);
    expect(req.body).toMatchObject({
      action: 'selfActivate',
      principalId: ALICE,
      groupId: G,
      accessId: 'member',
      justification: 'INC-1234',
      scheduleInfo: { expiration: { type: 'afterDuration', duration: 'PT2H' } },
    });

    const again = await activate(sim, ['--justification', 'INC-1234', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      command: 'activate',
      status: 'already-active',
      group: { id: G, displayName: 'tenant-admin' },
    });
    expect(activations(sim)).toHaveLength(1);

    const off = await activate(sim, ['--deactivate']);
    expect(off.code, off.stderr).toBe(0);
    expect(off.stdout).toMatch(/the activation of tenant-admin has ended/);
    expect(sim.state.isMember(G, ALICE)).toBe(false);
    const offAgain = await activate(sim, ['--deactivate', '--json']);
    expect(offAgain.code).toBe(0);
    expect(JSON.parse(offAgain.stdout).status).toBe('not-active');
  });

  it('without --duration asks for the policy maximum; the activation ends with it (sim clock)', async () => {
    const sim = await simWithEligibleAlice();
    const res = await activate(sim, ['--justification', 'x', '--json']);
    expect(res.code, res.stderr).toBe(0);
    const doc = JSON.parse(res.stdout);
    expect(doc.status).toBe('active');
    expect(Date.parse(doc.endDateTime) - Date.parse(doc.startDateTime)).toBe(8 * 3600_000);
    sim.advanceClock(8 * 3600_000 + 1000);
    expect(sim.state.isMember(G, ALICE)).toBe(false);
  });

  it('refuses a duration over the policy maximum, and a missing justification, before sending anything', async () => {
    const sim = await simWithEligibleAlice();
    const long = await activate(sim, ['--duration', 'PT9H', '--justification', 'x']);
    expect(long.code).toBe(1);
    expect(long.stderr).toMatch(
      /^error: --duration PT9H: the activation policy of tenant-admin allows at most PT8H \(8 h\); nothing was sent/,
    );
    const noReason = await activate(sim, ['--duration', 'PT1H']);
    expect(noReason.code).toBe(1);
    expect(noReason.stderr).toMatch(/requires a justification: pass --justification/);
    const bad = await activate(sim, ['--duration', 'P1Y']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--duration P1Y: year and month units are not accepted/);
    expect(activations(sim)).toHaveLength(0);
  });

  it("explains PIM's refusal when the policy cannot be read first", async () => {
    const sim = await simWithEligibleAlice();
    const scp = 'User.Read PrivilegedEligibilitySchedule.Read.AzureADGroup PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup';
    const res = await activate(sim, ['--duration', 'PT1H'], { scp });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/PIM refused to activate tenant-admin: the activation policy requires a justification/);
    setRule(sim, 'Enablement_EndUser_Assignment', { enabledRules: ['MultiFactorAuthentication'] });
    const mfa = await activate(sim, ['--duration', 'PT1H'], { scp });
    expect(mfa.stderr).toMatch(/requires multi-factor authentication, and this sign-in did not use it/);
    expect(activations(sim)).toHaveLength(2);
    expect(sim.state.isMember(G, ALICE)).toBe(false);
  });

  it('MFA: refused up front without it, activated with it', async () => {
    const sim = await simWithEligibleAlice();
    setRule(sim, 'Enablement_EndUser_Assignment', { enabledRules: ['MultiFactorAuthentication', 'Justification'] });
    const pwd = await activate(sim, ['--justification', 'x']);
    expect(pwd.code).toBe(1);
    expect(pwd.stderr).toMatch(/requires multi-factor authentication.*sign in again with MFA/);
    expect(activations(sim)).toHaveLength(0);
    const mfa = await activate(sim, ['--justification', 'x'], { amr: ['pwd', 'mfa'] });
    expect(mfa.code, mfa.stderr).toBe(0);
  });

  it('authentication context: refused without the acrs claim, activated with it', async () => {
    const sim = await simWithEligibleAlice();
    setRule(sim, 'AuthenticationContext_EndUser_Assignment', { isEnabled: true, claimValue: 'c1' });
    const plain = await activate(sim, ['--justification', 'x']);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/requires Conditional Access authentication context c1/);
    const stepped = await activate(sim, ['--justification', 'x'], { acrs: ['c1'] });
    expect(stepped.code, stepped.stderr).toBe(0);
  });

  it('approval: the request waits for an approver (exit 2), and no membership yet', async () => {
    const sim = await simWithEligibleAlice();
    const approval = sim.state.policyFor(G, 'member').rules.find((r) => r.id === 'Approval_EndUser_Assignment')!;
    (approval.setting as Record<string, unknown>).isApprovalRequired = true;
    const res = await activate(sim, ['--justification', 'x', '--duration', 'PT1H']);
    expect(res.code).toBe(2);
    expect(res.stdout).toMatch(/approval pending: the request to activate tenant-admin \(request [0-9a-f-]+\) waits for an approver/);
    expect(sim.state.isMember(G, ALICE)).toBe(false);
  });

  it('a user with no eligibility, or the wrong group, is told so', async () => {
    const sim = await simWithEligibleAlice();
    const bob = await activate(sim, ['--justification', 'x'], { oid: CONTOSO.users.bob });
    expect(bob.code).toBe(1);
    expect(bob.stderr).toMatch(/bob@contoso\.example is not eligible for any group in PIM/);
    const other = await activate(sim, ['--group', 'dyn-admins', '--justification', 'x']);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/alice@contoso\.example is not eligible for dyn-admins: .*eligible for: tenant-admin/);
    const byId = await activate(sim, ['--group', G, '--justification', 'x', '--duration', 'PT30M']);
    expect(byId.code, byId.stderr).toBe(0);
    expect(activations(sim)).toHaveLength(1);
  });

  it('needs a signed-in user, not an app-only sign-in', async () => {
    const sim = await simWithEligibleAlice();
    const app = await sim.issueToken({ roles: [...CONTOSO.automation.roles], appid: CONTOSO.automation.clientId });
    const before = sim.requests.length;
    const res = await runCli(['activate', '--tenant-id', CONTOSO.tenantId, '--graph-endpoint', sim.url], { ENTRA_PIM_ACCESS_TOKEN: app });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/activate needs a signed-in user/);
    expect(sim.requests.slice(before)).toHaveLength(0);
  });
});
