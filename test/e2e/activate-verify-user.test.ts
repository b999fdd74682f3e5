import { describe, expect, it } from 'vitest';
import { CONTOSO, type SimulatedTenant } from '../../src/sim/index.js';
import { runCli } from '../support/cli.js';
import { closeSimsAfterEach, tokenEnv, simWithEligibleAlice, selfActivateAlice } from '../support/sim.js';

/**
 * `verify-user` against the simulated tenant, Entra side only (`--skip-keycloak`); the Keycloak
 * side runs against a real Keycloak in test/keycloak/drill-verify-user.test.ts.
 */

closeSimsAfterEach();

async function verify(sim: SimulatedTenant, user: string, extra: string[] = []) {
  const before = sim.writes().length;
  const res = await runCli(
    [
      'verify-user',
      user,
      '--tenant-id',
      CONTOSO.tenantId,
      '--graph-endpoint',
      sim.url,
      '--app-id',
      CONTOSO.keycloakAppId,
      '--skip-keycloak',
      ...extra,
    ],
    await tokenEnv(sim, CONTOSO.reader.roles),
  );
  // verify-user only reads.
  expect(sim.writes().length).toBe(before);
  return res;
}

describe('verify-user (Entra only)', () => {
  it('eligible, not active: --expect user passes, --expect admin fails with exit 2', async () => {
    const sim = await simWithEligibleAlice();
    const user = await verify(sim, CONTOSO.upns.alice, ['--expect', 'user']);
    expect(user.code, user.stderr).toBe(0);
    expect(user.stdout).toContain('eligible:     yes, until');
    expect(user.stdout).toContain('active:       no');
    expect(user.stdout).toMatch(
      /Verdict: eligible, not active — alice@contoso\.example is eligible for tenant-admin but has not activated it; Keycloak was not checked/,
    );
    expect(user.stdout).toContain('Keycloak: not checked (--skip-keycloak)');
    const admin = await verify(sim, CONTOSO.upns.alice, ['--expect', 'admin']);
    expect(admin.code).toBe(2);
    expect(admin.stdout).toContain('not as expected (--expect admin)');
  });

  it('after a self-activation: active (Keycloak not checked), and --json carries the verdict', async () => {
    const sim = await simWithEligibleAlice();
    const act = await selfActivateAlice(sim);
    expect(act.status).toBe(201);
    const res = await verify(sim, CONTOSO.users.alice, ['--expect', 'admin', '--json']);
    expect(res.code, res.stderr).toBe(0);
    const doc = JSON.parse(res.stdout);
    expect(doc).toMatchObject({
      command: 'verify-user',
      verdict: { kind: 'active' },
      matches: true,
      keycloak: null,
      entra: { member: true },
    });
    expect(doc.entra.active[0]).toMatchObject({ assignmentType: 'Activated', principalId: CONTOSO.users.alice });
    // Last sign-in needs AuditLog.Read.All; the simulation does not serve it.
    expect(doc.entra.lastSignIn.unavailable).toMatch(/AuditLog\.Read\.All/);

    sim.advanceClock(3600_000 + 1000);
    const later = await verify(sim, CONTOSO.users.alice, ['--expect', 'user']);
    expect(later.code).toBe(0);
  });

  it('a standing member is active, and named as not through PIM; a stranger is not eligible', async () => {
    const sim = await simWithEligibleAlice();
    const carol = await verify(sim, CONTOSO.upns.carol);
    expect(carol.code).toBe(0);
    expect(carol.stdout).toContain('active:       standing member (permanent, not through PIM)');
    expect(carol.stdout).toMatch(/Verdict: active \(Keycloak not checked\) — carol@contoso\.example is a standing member of tenant-admin/);
    const bob = await verify(sim, CONTOSO.upns.bob, ['--expect', 'admin']);
    expect(bob.code).toBe(2);
    expect(bob.stdout).toMatch(/Verdict: not eligible/);
  });

  it('bad input: an unknown user or --expect value is one error line, exit 1', async () => {
    const sim = await simWithEligibleAlice();
    const nobody = await verify(sim, 'nobody@contoso.example');
    expect(nobody.code).toBe(1);
    expect(nobody.stderr.trim()).toBe(
      'error: nobody@contoso.example: no such user in the tenant (give a user principal name or object id)',
    );
    const expect3 = await verify(sim, CONTOSO.upns.alice, ['--expect', 'root']);
    expect(expect3.code).toBe(1);
    expect(expect3.stderr).toMatch(/--expect root: give admin or user/);
  });

  it('an ambiguous group name is one error line listing the matches and naming the flag (no terminal)', async () => {
    const sim = await simWithEligibleAlice();
    const res = await verify(sim, CONTOSO.upns.alice, ['--group', 'duplicate-admins']);
    expect(res.code).toBe(1);
    const line = res.stderr.trim();
    expect(line).toMatch(
      /^error: 2 groups are named "duplicate-admins": [0-9a-f-]{36}, [0-9a-f-]{36}; pass --group with the object id of the one to use$/,
    );
    expect(line).toContain(CONTOSO.groups.duplicateAdmins1);
    expect(line).toContain(CONTOSO.groups.duplicateAdmins2);
  });
});
