import { describe, expect, it } from 'vitest';
import { CONTOSO } from '../../src/sim/index.js';
import { runCli } from '../support/cli.js';
import { args, closeSimsAfterEach, json, startSim, tokenEnv } from '../support/sim.js';
import { adminSettings, entraOidc, seedRealm } from '../support/keycloak-seed.js';
import { keycloakFlags, withoutSkip } from '../support/keycloak-cli.js';

closeSimsAfterEach();

describe('the whole run: simulated Entra plus a real Keycloak', () => {
  it('audit goes from exit 2 to exit 0 after a run with --fix-keycloak', async () => {
    const sim = await startSim();
    const { realm, kc } = await seedRealm({
      idps: [{ alias: 'entra', providerId: 'oidc', config: { ...entraOidc(CONTOSO.tenantId), clientId: CONTOSO.keycloakAppId } }],
    });
    const k = keycloakFlags(realm);
    const env = { ...(await tokenEnv(sim)), ...k.env };

    const before = await runCli(['audit', ...withoutSkip(args(sim, ['--json', ...k.flags]))], env);
    expect(before.code, before.stderr).toBe(2);
    const kcBefore = json(before.stdout).steps.find((s) => s.id === 'keycloak');
    expect(kcBefore?.findings.filter((f) => f.severity === 'error').map((f) => f.code)).toContain('KC_MAPPER_MISSING');

    const run = await runCli(withoutSkip(args(sim, ['--yes', '--json', '--fix-keycloak', ...k.flags])), env);
    expect(run.code, run.stderr + run.stdout.slice(-3000)).toBe(0);
    expect(json(run.stdout).steps.find((s) => s.id === 'keycloak')?.status).toBe('changed');

    const mappers = await kc.identityProviders.findMappers({ realm, alias: 'entra' });
    expect(mappers).toHaveLength(1);
    expect(mappers[0].config).toMatchObject({ syncMode: 'FORCE', group: '/tenant-admin' });
    // App-role mode (--app-role tenant-admin): the mapper matches the roles claim.
    expect(JSON.parse(mappers[0].config.claims)).toEqual([{ key: 'roles', value: 'tenant-admin' }]);

    const after = await runCli(['audit', ...withoutSkip(args(sim, ['--json', ...k.flags]))], env);
    expect(after.code, after.stdout).toBe(0);
    expect(json(after.stdout).status).toBe('compliant');
  });

  it('wrong Keycloak credentials: one clear line, exit 1, no write anywhere', async () => {
    const sim = await startSim();
    const { realm } = await seedRealm({ idps: [{ alias: 'entra', providerId: 'oidc', config: entraOidc(CONTOSO.tenantId) }] });
    const s = adminSettings(realm);
    const res = await runCli(
      withoutSkip(args(sim, ['--yes', '--keycloak-url', s.url, '--keycloak-realm', realm, '--keycloak-username', 'admin-who-is-not'])),
      { ...(await tokenEnv(sim)), KEYCLOAK_PASSWORD: 'wrong-password-123' },
    );
    expect(res.code).toBe(1);
    const lines = res.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: Keycloak rejected the credentials for user admin-who-is-not in realm master/);
    expect(res.stderr).not.toContain('wrong-password-123');
    expect(sim.writes()).toHaveLength(0);
  });
});
