import { describe, expect, inject, it } from 'vitest';
import { CONTOSO, type SimulatedTenant } from '../../src/sim/index.js';
import { applyKeycloak, planKeycloak } from '../../src/steps/keycloak.js';
import { groupClaimFormat } from '../../src/graph/group-claim.js';
import type { EntraFacts } from '../../src/steps/entra-facts.js';
import type { StepPlan } from '../../src/plan/types.js';
import { runCli } from '../support/cli.js';
import { closeSimsAfterEach, journalPath, json, startSim, tokenEnv } from '../support/sim.js';
import { activateWithCli, drillArgs, drillMapper, IDP_ALIAS, keycloakCliFlags, setUpBrokeredRealm } from '../support/broker-login.js';
import {
  adminSettings,
  connectApi,
  entraOidc,
  GROUP_ID,
  GROUP_NAME,
  goodOidcMapper,
  makeContext,
  seedRealm,
} from '../support/keycloak-seed.js';

/**
 * The groups claim format decides what the mapper must match: with cloud_displayname (and
 * ApplicationGroup) Entra sends the group's display name, so a mapper on the name is right (with
 * a warning: names are not unique) and --fix-keycloak must never turn it into an object id.
 */

closeSimsAfterEach();

const errors = (p: StepPlan) => p.findings.filter((f) => f.severity === 'error');
const changes = (p: StepPlan) => p.actions.filter((a) => a.kind !== 'noop');
const byName = () => goodOidcMapper('entra', { claims: JSON.stringify([{ key: 'groups', value: GROUP_NAME }]) });

/** The facts prerequisites leaves for an app whose ID token carries the given groups optional claim. */
function claimFacts(additionalProperties: string[]): Partial<EntraFacts> {
  const app = { groupMembershipClaims: 'ApplicationGroup', optionalClaims: { idToken: [{ name: 'groups', additionalProperties }] } };
  const group = { id: GROUP_ID, displayName: GROUP_NAME };
  return { groupClaim: { oidc: groupClaimFormat(app, 'idToken', group), saml: groupClaimFormat(app, 'saml2Token', group) } };
}

describe('keycloak step: the mapper is judged by the claim format the app emits', () => {
  it('cloud_displayname: a mapper on the display name is accepted with a warning, and --fix-keycloak leaves it', async () => {
    const s = await seedRealm({ idps: [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }], mappers: [byName()] });
    const settings = adminSettings(s.realm);
    const { api, journal } = await connectApi(settings);
    const ctx = makeContext({ settings, api, journal, fixKeycloak: true, facts: claimFacts(['cloud_displayname']) });
    const plan = await planKeycloak(ctx);
    expect(errors(plan)).toEqual([]);
    expect(changes(plan)).toEqual([]);
    const warning = plan.findings.find((f) => f.code === 'KC_MAPPER_GROUP_NAME_NOT_UNIQUE');
    expect(warning).toMatchObject({
      severity: 'warning',
      message: expect.stringContaining('names are not unique'),
      fix: expect.stringContaining(GROUP_ID),
    });
    await applyKeycloak(plan, ctx);
    expect(journal.entries).toEqual([]);
    const [stored] = await s.kc.identityProviders.findMappers({ realm: s.realm, alias: 'entra' });
    expect(JSON.parse(stored.config.claims)).toEqual([{ key: 'groups', value: GROUP_NAME }]);
  });

  it('cloud_displayname: --fix-keycloak creates a mapper on the display name, and the next plan changes nothing', async () => {
    const s = await seedRealm({ idps: [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }] });
    const settings = adminSettings(s.realm);
    const { api, journal } = await connectApi(settings);
    const ctx = makeContext({ settings, api, journal, fixKeycloak: true, facts: claimFacts(['cloud_displayname']) });
    const plan = await planKeycloak(ctx);
    expect(errors(plan)).toEqual([]);
    expect(changes(plan)).toEqual([expect.objectContaining({ kind: 'create' })]);
    await applyKeycloak(plan, ctx);
    const [stored] = await s.kc.identityProviders.findMappers({ realm: s.realm, alias: 'entra' });
    expect(stored.config).toMatchObject({
      claims: JSON.stringify([{ key: 'groups', value: GROUP_NAME }]),
      syncMode: 'FORCE',
      group: '/tenant-admin',
    });
    const again = await planKeycloak(ctx);
    expect(errors(again)).toEqual([]);
    expect(changes(again)).toEqual([]);
    expect(again.findings.filter((f) => f.severity === 'warning').map((f) => f.code)).toEqual(['KC_MAPPER_GROUP_NAME_NOT_UNIQUE']);
  });

  it('object ids (no cloud_displayname): a mapper on the display name is an error and --fix-keycloak matches the object id', async () => {
    const s = await seedRealm({ idps: [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }], mappers: [byName()] });
    const settings = adminSettings(s.realm);
    const { api, journal } = await connectApi(settings);
    const ctx = makeContext({ settings, api, journal, facts: claimFacts([]) });
    const plan = await planKeycloak(ctx);
    expect(errors(plan).map((f) => f.code)).toEqual(['KC_MAPPER_GROUP_NAME']);
    expect(errors(plan)[0].message).toContain(`the value must be ${GROUP_ID}`);
    const fixCtx = makeContext({ settings, api, journal, fixKeycloak: true, facts: claimFacts([]) });
    const fix = await planKeycloak(fixCtx);
    expect(changes(fix)).toEqual([expect.objectContaining({ kind: 'update' })]);
    await applyKeycloak(fix, fixCtx);
    const [stored] = await s.kc.identityProviders.findMappers({ realm: s.realm, alias: 'entra' });
    expect(JSON.parse(stored.config.claims)).toEqual([{ key: 'groups', value: GROUP_ID }]);
  });
});

const ALICE = CONTOSO.upns.alice;

/** Group mode on the seed's app as it is: groups assigned to the app, by display name (cloud_displayname). */
function groupModeWithDisplayNames(sim: SimulatedTenant): void {
  const app = sim.state.applications.get(CONTOSO.keycloakAppObjectId)!;
  expect(app.groupMembershipClaims).toBe('ApplicationGroup');
  expect(app.optionalClaims!.idToken).toEqual([expect.objectContaining({ name: 'groups', additionalProperties: ['cloud_displayname'] })]);
  app.appRoles = [];
  sim.state.servicePrincipals.get(CONTOSO.keycloakSpId)!.appRoles = [];
  sim.state.appRoleAssignments.get(CONTOSO.userPfAssignmentId)!.appRoleId = '00000000-0000-0000-0000-000000000000';
}

describe('cloud_displayname end to end: the tool, a real Keycloak and sign-ins through the simulated tenant', () => {
  it('run accepts the app, --fix-keycloak creates a mapper on the name, and that mapper grants /tenant-admin only while active', async () => {
    const sim = await startSim();
    groupModeWithDisplayNames(sim);
    const entra = await runCli(
      drillArgs(sim, 'groups', [ALICE], ['--yes', '--json', '--journal', await journalPath()]),
      await tokenEnv(sim),
    );
    expect(entra.code, entra.stderr + entra.stdout.slice(-2000)).toBe(0);
    const prerequisites = json(entra.stdout).steps.find((s) => s.id === 'prerequisites')!;
    expect(prerequisites.findings.find((f) => f.code === 'CLAIM_GROUP_DISPLAY_NAMES')?.severity).toBe('warning');

    // A federated realm without a mapper: the tool creates it.
    const realm = await setUpBrokeredRealm(sim, inject('keycloak').url, drillMapper('groups', 'FORCE'));
    for (const m of await realm.kc.identityProviders.findMappers({ realm: realm.realm, alias: IDP_ALIAS })) {
      await realm.kc.identityProviders.delMapper({ realm: realm.realm, alias: IDP_ALIAS, id: m.id! });
    }
    const k = keycloakCliFlags(realm.realm);
    const cli = (extra: string[]) => drillArgs(sim, 'groups', [ALICE], extra).filter((a) => a !== '--skip-keycloak');
    const fixed = await runCli([...cli(['--yes', '--json', '--fix-keycloak', '--journal', await journalPath()]), ...k.flags], {
      ...(await tokenEnv(sim)),
      ...k.env,
    });
    expect(fixed.code, fixed.stderr + fixed.stdout.slice(-3000)).toBe(0);
    const [created] = await realm.kc.identityProviders.findMappers({ realm: realm.realm, alias: IDP_ALIAS });
    expect(created.config).toMatchObject({
      claims: JSON.stringify([{ key: 'groups', value: 'tenant-admin' }]),
      syncMode: 'FORCE',
      group: '/tenant-admin',
    });

    // The name the sim sends (as Entra does under cloud_displayname) is what the mapper matches.
    expect(await realm.signIn(ALICE)).toEqual(['/user:pf']);
    await activateWithCli(sim, ALICE, 'PT1H');
    expect(await realm.signIn(ALICE)).toEqual(['/tenant-admin', '/user:pf']);
    sim.advanceClock(3600_000 + 60_000);
    expect(await realm.signIn(ALICE)).toEqual(['/user:pf']);

    // The audit accepts the mapper on the name, with the warning, and --fix-keycloak would change nothing.
    const audit = await runCli(['audit', ...cli(['--json', '--fix-keycloak']), ...k.flags], { ...(await tokenEnv(sim)), ...k.env });
    const step = json(audit.stdout).steps.find((s) => s.id === 'keycloak')!;
    expect(
      step.findings.filter((f) => f.severity === 'error'),
      audit.stderr,
    ).toEqual([]);
    expect(step.findings.find((f) => f.code === 'KC_MAPPER_GROUP_NAME_NOT_UNIQUE')?.severity).toBe('warning');
    expect(step.actions.filter((a) => a.kind !== 'noop')).toEqual([]);
  });
});
