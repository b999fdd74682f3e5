import { describe, expect, it } from 'vitest';
import { applyKeycloak, planKeycloak } from '../../src/steps/keycloak.js';
import type { StepPlan } from '../../src/plan/types.js';
import { KeycloakError } from '../../src/errors.js';
import {
  adminSettings,
  connectApi,
  entraOidc,
  entraSaml,
  GROUP_ID,
  GROUP_NAME,
  goodOidcMapper,
  makeContext,
  SAML_GROUPS,
  seedRealm,
} from '../support/keycloak-seed.js';

const errors = (p: StepPlan) => p.findings.filter((f) => f.severity === 'error');
const changes = (p: StepPlan) => p.actions.filter((a) => a.kind !== 'noop');

describe('keycloak step: --fix-keycloak', () => {
  it('creates the missing mapper with sync mode FORCE, then the next plan changes nothing', async () => {
    const s = await seedRealm({ idps: [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }] });
    const settings = adminSettings(s.realm);
    const { api, journal } = await connectApi(settings);
    const ctx = makeContext({ settings, api, journal, fixKeycloak: true });

    const plan = await planKeycloak(ctx);
    expect(errors(plan)).toEqual([]);
    const [create] = changes(plan);
    expect(create).toMatchObject({
      kind: 'create',
      target: 'keycloak',
      request: {
        method: 'POST',
        url: `/admin/realms/${s.realm}/identity-provider/instances/entra/mappers`,
        body: {
          name: 'entra-pim-tenant-admin',
          identityProviderAlias: 'entra',
          identityProviderMapper: 'oidc-advanced-group-idp-mapper',
          config: {
            syncMode: 'FORCE',
            claims: JSON.stringify([{ key: 'groups', value: GROUP_ID }]),
            'are.claim.values.regex': 'false',
            group: '/tenant-admin',
          },
        },
      },
    });
    expect(changes(plan)).toHaveLength(1);

    await applyKeycloak(plan, ctx);
    expect(create.result).toMatchObject({ ok: true, status: 201 });
    // The journal holds exactly the planned request, before and after.
    expect(journal.entries.map((e) => e.type)).toEqual(['before', 'after']);
    expect(journal.entries[0]).toMatchObject({ type: 'before', target: 'keycloak', request: create.request });
    expect(journal.entries[1]).toMatchObject({ type: 'after', ok: true, status: 201 });

    const stored = await s.kc.identityProviders.findMappers({ realm: s.realm, alias: 'entra' });
    expect(stored).toHaveLength(1);
    expect(stored[0].config).toMatchObject({ syncMode: 'FORCE', group: '/tenant-admin' });

    const again = await planKeycloak(ctx);
    expect(errors(again)).toEqual([]);
    expect(changes(again)).toEqual([]);
  });

  it('repairs a wrong mapper in place (display name, IMPORT), keeping its id and name; its conditions become exactly the expected one', async () => {
    const wrong = goodOidcMapper('entra', {
      syncMode: 'IMPORT',
      claims: JSON.stringify([
        { key: 'groups', value: GROUP_NAME },
        { key: 'tid', value: '72f988bf-86f1-41af-91ab-2d7cd011db47' },
      ]),
    });
    const s = await seedRealm({ idps: [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }], mappers: [wrong] });
    const [before] = await s.kc.identityProviders.findMappers({ realm: s.realm, alias: 'entra' });
    const settings = adminSettings(s.realm);
    const { api, journal } = await connectApi(settings);
    const ctx = makeContext({ settings, api, journal, fixKeycloak: true });

    const plan = await planKeycloak(ctx);
    expect(errors(plan)).toEqual([]);
    expect(plan.findings.map((f) => f.code)).toEqual(
      expect.arrayContaining(['KC_MAPPER_GROUP_NAME', 'KC_MAPPER_SYNC_IMPORT', 'KC_MAPPER_CONDITIONS_REPLACED']),
    );
    const [update] = changes(plan);
    expect(update.kind).toBe('update');
    expect(update.request).toMatchObject({
      method: 'PUT',
      url: `/admin/realms/${s.realm}/identity-provider/instances/entra/mappers/${before.id}`,
    });
    expect(update.request!.body).toMatchObject({ id: before.id, name: before.name, config: { syncMode: 'FORCE' } });
    expect(JSON.parse((update.request!.body as { config: { claims: string } }).config.claims)).toEqual([
      { key: 'groups', value: GROUP_ID },
    ]);
    // The mapper as it was (tid condition included) is journaled before the PUT replaces it.
    expect(update.backup).toMatchObject({ id: before.id, config: { syncMode: 'IMPORT', claims: before.config!.claims } });

    await applyKeycloak(plan, ctx);
    expect(update.result).toMatchObject({ ok: true, status: 204 });
    const [after] = await s.kc.identityProviders.findMappers({ realm: s.realm, alias: 'entra' });
    expect(after).toEqual(update.request!.body);

    const again = await planKeycloak(ctx);
    expect(errors(again)).toEqual([]);
    expect(changes(again)).toEqual([]);
  });

  it("replaces a mapper whose only condition was one person's email with exactly the group condition", async () => {
    const emailOnly = goodOidcMapper('entra', { claims: JSON.stringify([{ key: 'email', value: 'alice@contoso.example' }]) });
    const s = await seedRealm({ idps: [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }], mappers: [emailOnly] });
    const [before] = await s.kc.identityProviders.findMappers({ realm: s.realm, alias: 'entra' });
    const settings = adminSettings(s.realm);
    const { api, journal } = await connectApi(settings);
    const ctx = makeContext({ settings, api, journal, fixKeycloak: true });

    const plan = await planKeycloak(ctx);
    expect(errors(plan)).toEqual([]);
    expect(plan.findings.find((f) => f.code === 'KC_MAPPER_CONDITIONS_REPLACED')?.message).toContain('drops email=alice@contoso.example');
    const [update] = changes(plan);
    expect(update).toMatchObject({ kind: 'update', backup: before });
    expect(journal.entries).toEqual([]);
    await applyKeycloak(plan, ctx);
    expect(journal.entries[0]).toMatchObject({ type: 'before', backup: before });

    // What Keycloak stores now: exactly the expected claim, nothing of the email left.
    const [after] = await s.kc.identityProviders.findMappers({ realm: s.realm, alias: 'entra' });
    expect(after.id).toBe(before.id);
    expect(JSON.parse(after.config!.claims)).toEqual([{ key: 'groups', value: GROUP_ID }]);
    expect(after.config).toMatchObject({ 'are.claim.values.regex': 'false', group: '/tenant-admin', syncMode: 'FORCE' });
    const again = await planKeycloak(ctx);
    expect(errors(again)).toEqual([]);
    expect(changes(again)).toEqual([]);
  });

  it('repairs a SAML mapper on the wrong attribute', async () => {
    const s = await seedRealm({
      idps: [{ alias: 'entra-saml', providerId: 'saml', config: entraSaml() }],
      mappers: [
        {
          name: 'admins',
          identityProviderAlias: 'entra-saml',
          identityProviderMapper: 'saml-advanced-group-idp-mapper',
          config: {
            syncMode: 'FORCE',
            attributes: JSON.stringify([{ key: 'groups', value: GROUP_ID }]),
            'are.attribute.values.regex': 'false',
            group: '/tenant-admin',
          },
        },
      ],
    });
    const settings = adminSettings(s.realm);
    const { api } = await connectApi(settings);
    const ctx = makeContext({ settings, api, fixKeycloak: true });
    const plan = await planKeycloak(ctx);
    const [update] = changes(plan);
    expect(JSON.parse((update.request!.body as { config: { attributes: string } }).config.attributes)).toEqual([
      { key: SAML_GROUPS, value: GROUP_ID },
    ]);
    await applyKeycloak(plan, ctx);
    expect(changes(await planKeycloak(ctx))).toEqual([]);
  });

  it('does not plan a mapper to a group that does not exist', async () => {
    const s = await seedRealm({ groups: [], idps: [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }] });
    const settings = adminSettings(s.realm);
    const { api } = await connectApi(settings);
    const plan = await planKeycloak(makeContext({ settings, api, fixKeycloak: true }));
    expect(changes(plan)).toEqual([]);
    expect(errors(plan).map((f) => f.code)).toEqual(expect.arrayContaining(['KC_GROUP_MISSING', 'KC_MAPPER_MISSING']));
  });

  it('refuses to write through a read-only connection, and journals nothing', async () => {
    const s = await seedRealm({ idps: [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }] });
    const settings = adminSettings(s.realm);
    const { api, journal } = await connectApi(settings, { readOnly: true });
    const ctx = makeContext({ settings, api, journal, fixKeycloak: true });
    const plan = await planKeycloak(ctx);
    expect(changes(plan)).toHaveLength(1);
    await expect(applyKeycloak(plan, ctx)).rejects.toThrow(/read-only/);
    await expect(applyKeycloak(plan, ctx)).rejects.toBeInstanceOf(KeycloakError);
    expect(journal.entries).toEqual([]);
    expect(await s.kc.identityProviders.findMappers({ realm: s.realm, alias: 'entra' })).toEqual([]);
  });
});
