import { describe, expect, inject, it } from 'vitest';
import { CONTOSO, type SimulatedTenant } from '../../src/sim/index.js';
import { runCli } from '../support/cli.js';
import { closeSimsAfterEach, startSim, tokenEnv } from '../support/sim.js';
import {
  activateWithCli,
  drillMapper,
  keycloakCliFlags,
  setUpBrokeredRealm,
  setUpDrillEntra,
  type BrokeredRealm,
} from '../support/broker-login.js';

/**
 * `verify-user` through the whole loop: simulated Entra, real Keycloak, real brokered sign-ins.
 * Each verdict of the runbook's test appears once, with `--expect` deciding the exit code.
 */

closeSimsAfterEach();

const ALICE = CONTOSO.upns.alice;

interface VerifyDoc {
  verdict: { kind: string; summary: string; reasons: string[] };
  matches: boolean | null;
  keycloak: {
    user?: { username: string };
    links: Array<{ identityProvider: string; userName?: string }>;
    groups: string[];
    mappers: Array<{ name: string; mode: string }>;
  } | null;
}

async function verify(sim: SimulatedTenant, realm: BrokeredRealm, user: string, expectWhat: 'admin' | 'user') {
  const k = keycloakCliFlags(realm.realm);
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
      '--expect',
      expectWhat,
      '--json',
      ...k.flags,
    ],
    { ...(await tokenEnv(sim, CONTOSO.reader.roles)), ...k.env },
  );
  expect(res.stderr).toBe('');
  return { code: res.code, doc: JSON.parse(res.stdout) as VerifyDoc };
}

describe('verify-user with a real Keycloak', () => {
  it('follows the loop: user → active, not mapped → active and mapped → not active, still mapped → user', async () => {
    const sim = await startSim();
    await setUpDrillEntra(sim, 'groups', [ALICE]);
    const realm = await setUpBrokeredRealm(sim, inject('keycloak').url, drillMapper('groups', 'FORCE'));

    // Never signed in: eligible, not active; no Keycloak user yet.
    let v = await verify(sim, realm, ALICE, 'user');
    expect(v.code).toBe(0);
    expect(v.doc.verdict.kind).toBe('eligible-not-active');
    expect(v.doc.keycloak?.user).toBeUndefined();

    // Signed in without activating: only user rights; linked to the provider.
    await realm.signIn(ALICE);
    v = await verify(sim, realm, ALICE, 'user');
    expect(v.code).toBe(0);
    expect(v.doc.keycloak).toMatchObject({
      user: { username: ALICE },
      groups: ['/user:pf'],
      mappers: [{ name: 'tenant-admin-from-entra', mode: 'FORCE' }],
    });
    expect(v.doc.keycloak?.links).toEqual([expect.objectContaining({ identityProvider: 'entra', userName: ALICE })]);

    // Activated, not signed in again: Keycloak does not know yet.
    await activateWithCli(sim, ALICE, 'PT1H');
    v = await verify(sim, realm, ALICE, 'admin');
    expect(v.code).toBe(2);
    expect(v.doc.verdict.kind).toBe('active-not-mapped');
    expect(v.doc.verdict.reasons.join(' ')).toMatch(/sign out of Keycloak and sign in again through Entra/);

    // Signed in again: admin.
    await realm.signIn(ALICE);
    v = await verify(sim, realm, ALICE, 'admin');
    expect(v.code).toBe(0);
    expect(v.doc.verdict.kind).toBe('active-mapped');

    // The activation ends: Keycloak keeps the group until the next Entra sign-in.
    sim.advanceClock(3600_000 + 60_000);
    v = await verify(sim, realm, ALICE, 'user');
    expect(v.code).toBe(2);
    expect(v.doc.verdict.kind).toBe('not-active-but-mapped');
    expect(v.doc.verdict.reasons.join(' ')).toMatch(/removes \/tenant-admin at the next sign-in through Entra \(sync mode FORCE\)/);

    // FORCE: the next sign-in takes it away.
    await realm.signIn(ALICE);
    v = await verify(sim, realm, ALICE, 'user');
    expect(v.code).toBe(0);
    expect(v.doc.verdict.kind).toBe('eligible-not-active');

    // Second cycle, same verdicts: activated again (PT4H: `activate` starts at the local time,
    // which the sim clock has passed), admin again after the next sign-in, user again after it ends.
    await activateWithCli(sim, ALICE, 'PT4H');
    v = await verify(sim, realm, ALICE, 'admin');
    expect([v.code, v.doc.verdict.kind]).toEqual([2, 'active-not-mapped']);
    await realm.signIn(ALICE);
    v = await verify(sim, realm, ALICE, 'admin');
    expect([v.code, v.doc.verdict.kind]).toEqual([0, 'active-mapped']);
    sim.advanceClock(4 * 3600_000);
    v = await verify(sim, realm, ALICE, 'user');
    expect([v.code, v.doc.verdict.kind]).toEqual([2, 'not-active-but-mapped']);
    await realm.signIn(ALICE);
    v = await verify(sim, realm, ALICE, 'user');
    expect([v.code, v.doc.verdict.kind]).toEqual([0, 'eligible-not-active']);
  });

  it('names the IMPORT mapper when the group outlives the activation, and a local admin as not governed by PIM', async () => {
    const sim = await startSim();
    await setUpDrillEntra(sim, 'roles', [ALICE]);
    const realm = await setUpBrokeredRealm(sim, inject('keycloak').url, drillMapper('roles', 'IMPORT'));
    await activateWithCli(sim, ALICE, 'PT1H');
    await realm.signIn(ALICE);
    sim.advanceClock(3600_000 + 60_000);
    await realm.signIn(ALICE);
    const v = await verify(sim, realm, ALICE, 'user');
    expect(v.code).toBe(2);
    expect(v.doc.verdict.kind).toBe('not-active-but-mapped');
    expect(v.doc.verdict.reasons[0]).toMatch(
      /mapper tenant-admin-from-entra has sync mode IMPORT: Keycloak never takes \/tenant-admin away/,
    );

    // Bob is not eligible, but someone put a local Keycloak account of his into /tenant-admin.
    const { id } = await realm.kc.users.create({
      realm: realm.realm,
      username: CONTOSO.upns.bob,
      email: CONTOSO.upns.bob,
      firstName: 'Bob',
      lastName: 'Berg',
      enabled: true,
    });
    await realm.kc.users.addToGroup({ realm: realm.realm, id, groupId: realm.groupIds.get('/tenant-admin')! });
    const bob = await verify(sim, realm, CONTOSO.upns.bob, 'user');
    expect(bob.code).toBe(2);
    expect(bob.doc.verdict.kind).toBe('not-active-but-mapped');
    expect(bob.doc.verdict.reasons[0]).toMatch(/is not linked to entra: \/tenant-admin was given in Keycloak directly/);
  });
});
