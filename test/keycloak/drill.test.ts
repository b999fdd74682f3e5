import { describe, expect, inject, it } from 'vitest';
import { CONTOSO, type SimulatedTenant } from '../../src/sim/index.js';
import { runCli } from '../support/cli.js';
import { closeSimsAfterEach, json, startSim, tokenEnv } from '../support/sim.js';
import {
  activateWithCli,
  DRILL_MAPPER_NAME,
  drillArgs,
  drillMapper,
  keycloakCliFlags,
  setUpBrokeredRealm,
  setUpDrillEntra,
  type BrokeredRealm,
  type DrillMode,
  type DrillSync,
} from '../support/broker-login.js';

/**
 * The just-in-time loop end to end, as the runbook's manual test does it but automated: a real
 * Keycloak brokers real sign-ins to the simulated tenant, whose ID tokens carry the admin
 * group (or app role) only while the user's PIM activation lasts. Users activate with the
 * `activate` command; the sim clock ends the activation; no test sleeps.
 */

closeSimsAfterEach();

const ALICE = CONTOSO.upns.alice;
const BOB = CONTOSO.upns.bob;
const ACTIVATION = 'PT1H';
const ACTIVATION_MS = 3600_000;

/** Entra set up by the tool, and a realm federated with the simulated tenant through the drill's mapper. */
async function setUp(sim: SimulatedTenant, mode: DrillMode, sync: DrillSync): Promise<BrokeredRealm> {
  await setUpDrillEntra(sim, mode, [ALICE, BOB]);
  return setUpBrokeredRealm(sim, inject('keycloak').url, drillMapper(mode, sync));
}

/** Ends every activation: the sim clock moves past its end. */
function endActivations(sim: SimulatedTenant): void {
  sim.advanceClock(ACTIVATION_MS + 60_000);
}

/** The keycloak step's findings from a CLI audit of the same setup. */
async function audit(sim: SimulatedTenant, mode: DrillMode, realm: string) {
  const k = keycloakCliFlags(realm);
  const res = await runCli(
    ['audit', ...drillArgs(sim, mode, [ALICE, BOB], ['--json', ...k.flags]).filter((a) => a !== '--skip-keycloak')],
    { ...(await tokenEnv(sim)), ...k.env },
  );
  const report = json(res.stdout);
  const step = report.steps.find((s) => s.id === 'keycloak')!;
  return { code: res.code, stderr: res.stderr, report, step };
}

describe.each<DrillMode>(['groups', 'roles'])('the PIM drill through a real Keycloak (%s claim)', (mode) => {
  it('FORCE: /tenant-admin comes with each activation and goes when it ends, over two activations; the audit is clean', async () => {
    const sim = await startSim();
    const realm = await setUp(sim, mode, 'FORCE');
    // 1. Eligible but not active: the default group only.
    expect(await realm.signIn(ALICE)).toEqual(['/user:pf']);
    // 2. Activated: the next sign-in brings /tenant-admin.
    await activateWithCli(sim, ALICE, ACTIVATION);
    expect(await realm.signIn(ALICE)).toEqual(['/tenant-admin', '/user:pf']);
    // 3. The activation ends: the next sign-in takes /tenant-admin away.
    endActivations(sim);
    expect(await realm.signIn(ALICE)).toEqual(['/user:pf']);
    // 4. Activated again: the mapper grants it again to the user it took it from…
    // (`activate` starts at the local time, which the sim clock has passed by ACTIVATION_MS + 1 min:
    // a longer activation is still running on the sim clock.)
    await activateWithCli(sim, ALICE, 'PT4H');
    expect(await realm.signIn(ALICE)).toEqual(['/tenant-admin', '/user:pf']);
    // 5. …and takes it away again when the second activation ends.
    sim.advanceClock(4 * ACTIVATION_MS);
    expect(await realm.signIn(ALICE)).toEqual(['/user:pf']);

    const { code, step, stderr, report } = await audit(sim, mode, realm.realm);
    expect(code, stderr + JSON.stringify(report.steps.map((s) => [s.id, s.status]))).toBe(0);
    expect(step.findings.filter((f) => f.code.startsWith('KC_MAPPER'))).toEqual([]);
    expect(step.findings.filter((f) => f.severity === 'error')).toEqual([]);
  });

  it('LEGACY (no syncMode, as the REST API and Terraform store it) acts as FORCE over two activations; the audit only warns', async () => {
    const sim = await startSim();
    const realm = await setUp(sim, mode, 'LEGACY');
    const [stored] = await realm.kc.identityProviders.findMappers({ realm: realm.realm, alias: 'entra' });
    expect(stored.config.syncMode).toBeUndefined();
    expect(await realm.signIn(ALICE)).toEqual(['/user:pf']);
    // 1st activation: granted at the next sign-in, taken away at the first sign-in after it ends.
    await activateWithCli(sim, ALICE, ACTIVATION);
    expect(await realm.signIn(ALICE)).toEqual(['/tenant-admin', '/user:pf']);
    endActivations(sim);
    expect(await realm.signIn(ALICE)).toEqual(['/user:pf']);
    // 2nd activation: granted again (a remove-only LEGACY mapper would not), and taken away again.
    // `activate` starts at the local time, which the sim clock has passed by ACTIVATION_MS + 1 min:
    // a longer activation is still running on the sim clock.
    await activateWithCli(sim, ALICE, 'PT4H');
    expect(await realm.signIn(ALICE)).toEqual(['/tenant-admin', '/user:pf']);
    sim.advanceClock(4 * ACTIVATION_MS);
    expect(await realm.signIn(ALICE)).toEqual(['/user:pf']);

    const { code, step, stderr, report } = await audit(sim, mode, realm.realm);
    expect(code, stderr + JSON.stringify(report.steps.map((s) => [s.id, s.status]))).toBe(0);
    const mapperFindings = step.findings.filter((f) => f.code.startsWith('KC_MAPPER'));
    expect(mapperFindings.map((f) => [f.code, f.severity])).toEqual([['KC_MAPPER_SYNC_LEGACY', 'warning']]);
    expect(step.findings.filter((f) => f.severity === 'error')).toEqual([]);
  });

  it('IMPORT: over two activations /tenant-admin follows the first sign-in, not the activations; the audit flags exactly this mapper', async () => {
    const sim = await startSim();
    const realm = await setUp(sim, mode, 'IMPORT');
    // IMPORT applies the mapper only when Keycloak creates the user. Alice's first sign-in is
    // during an activation: she gets /tenant-admin…
    await activateWithCli(sim, ALICE, ACTIVATION);
    expect(await realm.signIn(ALICE)).toEqual(['/tenant-admin', '/user:pf']);
    // (Bob's first sign-in is before activating: he never gets it, activated or not.)
    expect(await realm.signIn(BOB)).toEqual(['/user:pf']);
    await activateWithCli(sim, BOB, ACTIVATION);
    expect(await realm.signIn(BOB)).toEqual(['/user:pf']);
    // …and Alice keeps it after the activation ended.
    endActivations(sim);
    expect(await realm.signIn(ALICE)).toEqual(['/tenant-admin', '/user:pf']);
    // Second cycle: the activations change nothing either way. Alice, who never lost it, still
    // holds it after her second activation ends; Bob, activated a second time, still does not
    // get it. (PT4H: `activate` starts at the local time, which the sim clock has passed.)
    await activateWithCli(sim, ALICE, 'PT4H');
    await activateWithCli(sim, BOB, 'PT4H');
    expect(await realm.signIn(ALICE)).toEqual(['/tenant-admin', '/user:pf']);
    expect(await realm.signIn(BOB)).toEqual(['/user:pf']);
    sim.advanceClock(4 * ACTIVATION_MS);
    expect(await realm.signIn(ALICE)).toEqual(['/tenant-admin', '/user:pf']);
    expect(await realm.signIn(BOB)).toEqual(['/user:pf']);

    const { code, step } = await audit(sim, mode, realm.realm);
    expect(code).toBe(2);
    const mapperFindings = step.findings.filter((f) => f.code.startsWith('KC_MAPPER'));
    expect(mapperFindings.map((f) => f.code)).toEqual(['KC_MAPPER_SYNC_IMPORT']);
    expect(mapperFindings[0].message).toContain(DRILL_MAPPER_NAME);
    expect(step.findings.filter((f) => f.severity === 'error').map((f) => f.code)).toEqual(['KC_MAPPER_SYNC_IMPORT']);
    // Alice still holds /tenant-admin without an active assignment, and the audit says so.
    const stale = step.findings.find((f) => f.code === 'KC_MEMBER_NOT_ACTIVE');
    expect(stale?.message).toContain(ALICE);
  });
});

describe('sign-in refusals reach Keycloak as Entra sends them', () => {
  it('a user with no assignment to the app is refused (AADSTS50105) once assignment is required', async () => {
    const sim = await startSim();
    const realm = await setUp(sim, 'groups', 'FORCE');
    // The Global Administrator is in neither user:pf nor tenant-admin.
    await expect(realm.signIn(CONTOSO.upns.admin)).rejects.toThrow(/AADSTS50105/);
    expect(await realm.findUser(CONTOSO.upns.admin)).toBeUndefined();
  });
});
