import { describe, expect, it } from 'vitest';
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { CONTOSO } from '../../src/sim/index.js';
import { runCli } from '../support/cli.js';
import { closeSimsAfterEach, startSim, tokenEnv } from '../support/sim.js';
import { adminSettings, entraOidc, seedRealm } from '../support/keycloak-seed.js';
import { PROD, targetsConfig, twoRealmSeed } from '../support/targets.js';

closeSimsAfterEach();

interface TargetsDoc {
  status: string;
  targets: Array<{
    name: string;
    status: string;
    report: { steps: Array<{ id: string; status: string; findings: Array<{ severity: string; code: string }> }> };
  }>;
}

describe('several targets: simulated Entra plus two realms of a real Keycloak', () => {
  it('audits both realms (drift), fixes both in one run with a journal each, then audits compliant', async () => {
    const sim = await startSim(twoRealmSeed());
    const idp = { alias: 'entra', providerId: 'oidc', config: { ...entraOidc(CONTOSO.tenantId), clientId: CONTOSO.keycloakAppId } };
    const prod = await seedRealm({ idps: [idp] });
    const staging = await seedRealm({ idps: [idp] });
    const s = adminSettings(prod.realm);
    // The Keycloak server and its sign-in are the same for both realms: set once, at the top.
    const top: Record<string, unknown> = { 'skip-keycloak': false, 'keycloak-url': s.url, 'keycloak-idp-alias': 'entra' };
    const env: Record<string, string> = { ...(await tokenEnv(sim)) };
    if (s.clientId) {
      top['keycloak-client-id'] = s.clientId;
      env.KEYCLOAK_CLIENT_SECRET = s.clientSecret!;
    } else {
      top['keycloak-username'] = s.username;
      env.KEYCLOAK_PASSWORD = s.password!;
    }
    const targets = [
      { ...PROD, 'keycloak-realm': prod.realm },
      { ...PROD, name: 'staging', group: 'staging-admin', eligible: CONTOSO.upns.alice, 'keycloak-realm': staging.realm },
    ];

    const auditFile = await targetsConfig(sim, targets, top);
    const before = await runCli(['audit', '--config', auditFile, '--json'], env);
    expect(before.code, before.stderr).toBe(2);
    const doc = JSON.parse(before.stdout) as TargetsDoc;
    expect(doc.targets.map((t) => [t.name, t.status])).toEqual([
      ['prod', 'drift'],
      ['staging', 'drift'],
    ]);
    for (const t of doc.targets) {
      const kc = t.report.steps.find((x) => x.id === 'keycloak');
      expect(kc?.findings.map((f) => f.code)).toContain('KC_MAPPER_MISSING');
    }

    // fix-keycloak is a per-target option: at the top of the file it applies to both.
    const runFile = await targetsConfig(sim, targets, { ...top, 'fix-keycloak': true });
    const journals = path.join(path.dirname(runFile), 'journals');
    await mkdir(journals);
    const run = await runCli(['run', '--config', runFile, '--yes', '--journal', journals], env);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.stdout).toMatch(/^prod\s+changed\s/m);
    expect(run.stdout).toMatch(/^staging\s+changed\s/m);
    expect((await readdir(journals)).map((f) => f.replace(/^entra-pim-setup-journal-.*-(\w+)\.jsonl$/, '$1')).sort()).toEqual([
      'prod',
      'staging',
    ]);
    for (const { kc, realm } of [prod, staging]) {
      const mappers = await kc.identityProviders.findMappers({ realm, alias: 'entra' });
      expect(mappers).toHaveLength(1);
      expect(mappers[0].config).toMatchObject({ syncMode: 'FORCE', group: '/tenant-admin' });
    }

    const after = await runCli(['audit', '--config', auditFile], env);
    expect(after.code, after.stdout + after.stderr).toBe(0);
    expect(after.stdout).toMatch(/^prod\s+compliant\s+\d+\s+0$/m);
    expect(after.stdout).toMatch(/^staging\s+compliant\s+\d+\s+0$/m);
  });
});
