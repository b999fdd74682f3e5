import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { CONTOSO } from '../../src/sim/index.js';
import { runCli } from '../support/cli.js';
import { args, closeSimsAfterEach, journalPath, json, startSim, tokenEnv } from '../support/sim.js';
import { entraOidc, goodOidcMapper, seedRealm } from '../support/keycloak-seed.js';
import { keycloakFlags, withoutSkip } from '../support/keycloak-cli.js';

closeSimsAfterEach();

/** A realm whose Entra provider already has the mapper this tool expects (app-role mode: the roles claim). */
async function realmWithMapper() {
  return seedRealm({
    idps: [{ alias: 'entra', providerId: 'oidc', config: { ...entraOidc(CONTOSO.tenantId), clientId: CONTOSO.keycloakAppId } }],
    mappers: [goodOidcMapper('entra', { claims: JSON.stringify([{ key: 'roles', value: 'tenant-admin' }]) })],
  });
}

describe('saved plans with a real Keycloak', () => {
  it('applies an unchanged plan: the realm reads the same, the Entra writes are the plan’s', async () => {
    const sim = await startSim();
    const { realm } = await realmWithMapper();
    const k = keycloakFlags(realm);
    const env = { ...(await tokenEnv(sim)), ...k.env };
    const file = await journalPath('plan.json');

    const audit = await runCli(['audit', ...withoutSkip(args(sim, ['--out', file, ...k.flags]))], env);
    expect(audit.code, audit.stderr).toBe(2);
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain(k.secret);
    const plan = JSON.parse(text) as {
      parts: Record<string, unknown>;
      steps: Array<{ actions: Array<{ kind: string; request?: { method: string; url: string } }> }>;
    };
    expect(Object.keys(plan.parts)).toContain('realmIdpMappers');

    const res = await runCli(['run', '--plan', file, '--journal', await journalPath(), '--json'], env);
    expect(res.code, res.stderr + res.stdout.slice(-2000)).toBe(0);
    const report = json(res.stdout);
    expect(report.status).toBe('changed');
    expect(report.steps.find((s) => s.id === 'keycloak')?.findings.filter((f) => f.severity === 'error')).toEqual([]);
    const planned = plan.steps.flatMap((s) =>
      s.actions.filter((a) => a.kind !== 'noop').map((a) => `${a.request!.method} /v1.0${a.request!.url}`),
    );
    expect(sim.writes().map((w) => `${w.method} ${w.path}`)).toEqual(planned);
  });

  it('refuses a plan when the identity provider mapper was edited after it was saved, and writes nothing', async () => {
    const sim = await startSim();
    const { realm, kc } = await realmWithMapper();
    const k = keycloakFlags(realm);
    const env = { ...(await tokenEnv(sim)), ...k.env };
    const file = await journalPath('plan.json');

    const audit = await runCli(['audit', ...withoutSkip(args(sim, ['--out', file, ...k.flags]))], env);
    expect(audit.code, audit.stderr).toBe(2);

    // Someone turns the mapper's sync mode to IMPORT: Keycloak would no longer take the group away.
    const [mapper] = await kc.identityProviders.findMappers({ realm, alias: 'entra' });
    await kc.identityProviders.updateMapper(
      { realm, alias: 'entra', id: mapper.id! },
      { ...mapper, config: { ...mapper.config, syncMode: 'IMPORT' } },
    );

    const journal = await journalPath();
    const res = await runCli(['run', '--plan', file, '--journal', journal], env);
    expect(res.code, res.stdout).toBe(1);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toContain(`--plan ${file}: refused: the tenant changed since the plan was saved`);
    expect(res.stderr).toContain("the Keycloak identity provider's mappers changed: same ids, other details");
    expect(sim.writes()).toHaveLength(0);
    const [after] = await kc.identityProviders.findMappers({ realm, alias: 'entra' });
    expect(after.config.syncMode).toBe('IMPORT');
  });
});
