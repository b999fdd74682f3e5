import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PERMISSION_SETS, ROLE } from '../../src/graph/permissions.js';
import { CONTOSO, contosoSeed, type SimulatedTenant, type TenantSeed } from '../../src/sim/index.js';
import { ROOT, runCli } from '../support/cli.js';
import { args, closeSimsAfterEach, G, json, simWithEligibleAlice, startSim, tokenEnv, type JsonReport } from '../support/sim.js';

closeSimsAfterEach();

const S = PERMISSION_SETS;
/** The README's "audit and run" row plus "run, in addition": everything a run without policy flags needs. */
const RUN_SET = [...S.auditAndRun, ...S.runInAddition];

/** A delegated token for `oid` holding exactly `scopes`. */
async function delegatedEnv(sim: SimulatedTenant, oid: string, scopes: readonly string[]): Promise<Record<string, string>> {
  return { ENTRA_PIM_ACCESS_TOKEN: await sim.issueToken({ scp: scopes.join(' '), oid }) };
}

const findings = (r: JsonReport) => r.steps.flatMap((s) => s.findings);
const codes = (r: JsonReport) => findings(r).map((f) => f.code);

/** The tenant matches the runbook: assignment required, group assigned, members gone, Alice and Bob eligible. */
function expectTargetState(sim: SimulatedTenant): void {
  const state = sim.snapshot();
  expect(state.servicePrincipals.find((s) => s.id === CONTOSO.keycloakSpId)?.appRoleAssignmentRequired).toBe(true);
  expect(
    state.appRoleAssignments.some(
      (a) => a.principalId === G && a.resourceId === CONTOSO.keycloakSpId && a.appRoleId === CONTOSO.keycloakRoles.tenantAdmin,
    ),
  ).toBe(true);
  expect(state.groups.find((g) => g.id === G)?.members).toEqual([]);
  const eligible = (state.pim?.eligibilitySchedules ?? []).filter((e) => e.groupId === G).map((e) => e.principalId);
  expect(eligible.sort()).toEqual([CONTOSO.users.alice, CONTOSO.users.bob].sort());
}

/** Audit (exit 0 or 2, never 1), run to the target state, then a compliant audit (exit 0). */
async function auditRunAudit(sim: SimulatedTenant, env: Record<string, string>): Promise<{ audit: JsonReport; run: JsonReport }> {
  const before = await runCli(['audit', ...args(sim, ['--json'])], env);
  expect(before.code, before.stderr).toBe(2);
  const audit = json(before.stdout);
  expect(audit.status).toBe('drift');
  expect(codes(audit)).not.toContain('PLAN_FAILED');
  expect(codes(audit)).not.toContain('GRAPH_FORBIDDEN');

  const res = await runCli(args(sim, ['--yes', '--json']), env);
  expect(res.code, `${res.stderr}\n${res.stdout}`).toBe(0);
  const run = json(res.stdout);
  expect(run.status).toBe('changed');
  expectTargetState(sim);

  const after = await runCli(['audit', ...args(sim, ['--json'])], env);
  expect(after.code, after.stdout).toBe(0);
  expect(json(after.stdout).status).toBe('compliant');
  return { audit, run };
}

/** Contoso with `userId` added to the directory roles with the given template ids (activated in the tenant if absent). */
function withRoles(userId: string, templateIds: string[]): TenantSeed {
  const seed = contosoSeed();
  for (const t of templateIds) {
    let role = seed.directoryRoles.find((r) => r.roleTemplateId === t);
    if (!role) {
      role = { id: `00000000-0000-4000-8000-${t.slice(-12)}`, roleTemplateId: t, displayName: `role ${t}`, description: '', members: [] };
      seed.directoryRoles.push(role);
    }
    role.members.push(userId);
  }
  return seed;
}

describe('the README lists exactly the permission sets the tool checks and the tests use', () => {
  it('Permissions table rows match PERMISSION_SETS', async () => {
    const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Permissions'), readme.indexOf('## Exit codes'));
    const rows = new Map<string, string[]>();
    for (const line of section.split('\n')) {
      const m = /^\| ([^|]+?) \| (.+) \|$/.exec(line);
      if (!m || !m[2].includes('`')) continue;
      // Parenthesised alternatives ("app-only: …") and explanations are not part of the set.
      rows.set(
        m[1],
        [...m[2].replace(/\([^)]*\)/g, '').matchAll(/`([^`]+)`/g)].map((x) => x[1]),
      );
    }
    expect(Object.fromEntries(rows)).toEqual({
      'audit and run': [...S.auditAndRun],
      'run, in addition': [...S.runInAddition],
      'run with policy flags': [...S.policyFlags],
      'run on a role-assignable group': [...S.roleAssignableGroup],
      'activate (signed-in user)': [...S.activate],
      'verify-user': [...S.verifyUser],
      restore: [...S.restore],
      optional: [...S.optional],
    });
  });

  it('no set but "optional" asks for Directory.Read.All', () => {
    const required = [
      ...S.auditAndRun,
      ...S.runInAddition,
      ...S.policyFlags,
      ...S.roleAssignableGroup,
      ...S.activate,
      ...S.verifyUser,
      ...S.restore,
    ];
    expect(required).not.toContain('Directory.Read.All');
  });
});

describe('tokens holding exactly the README sets', () => {
  it('app-only: audit reports findings without a 403, run reaches the target state, then audit is compliant', async () => {
    const sim = await startSim();
    // Audit alone with only the "audit and run" set: never exit 1 (used to 403 on the group's
    // appRoleAssignments and on oauth2PermissionGrants).
    const readOnly = await runCli(['audit', ...args(sim, ['--json'])], await tokenEnv(sim, S.auditAndRun));
    expect(readOnly.code, readOnly.stderr).toBe(2);
    const audit = json(readOnly.stdout);
    expect(codes(audit)).not.toContain('PLAN_FAILED');
    expect(codes(audit)).not.toContain('GRAPH_FORBIDDEN');
    // Consent for delegated scopes cannot be read without Directory.Read.All: a warning, never "OK".
    expect(findings(audit).find((f) => f.code === 'CONSENT_UNVERIFIED')).toMatchObject({
      severity: 'warning',
      message: expect.stringContaining('Directory.Read.All'),
    });
    expect(codes(audit)).not.toContain('CONSENT_OK');
    expect(sim.requests.some((r) => r.path === `/v1.0/groups/${G}/appRoleAssignments`)).toBe(false);

    const { run } = await auditRunAudit(sim, await tokenEnv(sim, RUN_SET));
    expect(run.steps.find((s) => s.id === 'prerequisites')?.status).not.toBe('failed');
  });

  it('app-only with Directory.Read.All (the optional set) still verifies consent', async () => {
    const sim = await startSim();
    const res = await runCli(['audit', ...args(sim, ['--json'])], await tokenEnv(sim, [...S.auditAndRun, 'Directory.Read.All']));
    expect(res.code, res.stderr).toBe(2);
    expect(codes(json(res.stdout))).toContain('CONSENT_OK');
    expect(codes(json(res.stdout))).not.toContain('CONSENT_UNVERIFIED');
  });

  it('delegated Global Administrator: roles come back without details, so "could not verify" (a warning), never "role missing"', async () => {
    const sim = await startSim();
    const { run } = await auditRunAudit(sim, await delegatedEnv(sim, CONTOSO.users.admin, RUN_SET));
    const unverified = findings(run).find((f) => f.code === 'CALLER_ROLES_UNVERIFIED');
    expect(unverified).toMatchObject({ severity: 'warning', message: expect.stringContaining('could not verify') });
    expect(codes(run)).not.toContain('CALLER_ROLE_MISSING');
  });

  it('delegated Groups Administrator + Cloud Application Administrator: run without policy flags reaches the target state', async () => {
    const sim = await startSim(withRoles(CONTOSO.users.groupsAdmin, [ROLE.cloudAppAdmin]));
    const { run } = await auditRunAudit(sim, await delegatedEnv(sim, CONTOSO.users.groupsAdmin, RUN_SET));
    expect(codes(run)).not.toContain('CALLER_ROLE_MISSING');
  });

  it('delegated Identity Governance Administrator + Cloud Application Administrator: run reaches the target state (member removal included)', async () => {
    // Learn "Add members"/"Remove member" list Identity Governance Administrator among the roles that
    // may change a group's members; the tool accepts it, so the simulation must too.
    const sim = await startSim(withRoles(CONTOSO.users.dave, [ROLE.identityGovernanceAdmin, ROLE.cloudAppAdmin]));
    const env = await delegatedEnv(sim, CONTOSO.users.dave, [...RUN_SET, 'RoleManagement.Read.Directory']);
    const res = await runCli(args(sim, ['--yes', '--json']), env);
    expect(res.code, `${res.stderr}\n${res.stdout}`).toBe(0);
    expect(codes(json(res.stdout))).not.toContain('CALLER_ROLE_MISSING');
    expectTargetState(sim);
  });

  it('delegated, only the "audit and run" scopes: audit exits 2 with findings, never a 403, and writes nothing', async () => {
    const sim = await startSim();
    const res = await runCli(['audit', ...args(sim, ['--json'])], await delegatedEnv(sim, CONTOSO.users.admin, S.auditAndRun));
    expect(res.code, res.stderr).toBe(2);
    const audit = json(res.stdout);
    expect(codes(audit)).not.toContain('PLAN_FAILED');
    expect(codes(audit)).not.toContain('GRAPH_FORBIDDEN');
    expect(codes(audit)).not.toContain('CALLER_PERMISSION_MISSING');
    expect(sim.writes()).toHaveLength(0);
  });

  it('delegated group owner with readable roles: not flagged for the members/eligibility role, and the run succeeds', async () => {
    // Erin owns tenant-admin and holds only Cloud Application Administrator.
    const sim = await startSim(withRoles(CONTOSO.users.erin, [ROLE.cloudAppAdmin]));
    const env = await delegatedEnv(sim, CONTOSO.users.erin, [...RUN_SET, 'RoleManagement.Read.Directory']);
    const res = await runCli(args(sim, ['--yes', '--json']), env);
    expect(res.code, `${res.stderr}\n${res.stdout}`).toBe(0);
    const run = json(res.stdout);
    expect(codes(run)).not.toContain('CALLER_ROLE_MISSING');
    expect(codes(run)).not.toContain('CALLER_ROLES_UNVERIFIED');
    expect(codes(run)).toContain('CALLER_OWNS_GROUP');
    expectTargetState(sim);
  });

  it('delegated user with readable roles who lacks the members/eligibility role and owns nothing: still an error, nothing written', async () => {
    const sim = await startSim();
    const env = await delegatedEnv(sim, CONTOSO.users.cloudAppAdmin, [...RUN_SET, 'RoleManagement.Read.Directory']);
    const res = await runCli(args(sim, ['--yes', '--json']), env);
    expect(res.code).toBe(1);
    const missing = findings(json(res.stdout)).find((f) => f.code === 'CALLER_ROLE_MISSING');
    expect(missing?.message).toContain('Groups Administrator');
    expect(sim.writes()).toHaveLength(0);
  });
});

describe('activate and verify-user with exactly their README sets', () => {
  it('activate (delegated, the "activate" set) makes the eligible user a member; verify-user (the "verify-user" set) sees it', async () => {
    const sim = await simWithEligibleAlice();
    const act = await runCli(
      [
        'activate',
        '--tenant-id',
        CONTOSO.tenantId,
        '--graph-endpoint',
        sim.url,
        '--duration',
        'PT1H',
        '--justification',
        'least-privilege test',
      ],
      await delegatedEnv(sim, CONTOSO.users.alice, S.activate),
    );
    expect(act.code, act.stderr).toBe(0);
    expect(sim.state.isMember(G, CONTOSO.users.alice)).toBe(true);

    const verify = await runCli(
      [
        'verify-user',
        CONTOSO.upns.alice,
        '--tenant-id',
        CONTOSO.tenantId,
        '--graph-endpoint',
        sim.url,
        '--app-id',
        CONTOSO.keycloakAppId,
        '--skip-keycloak',
        '--expect',
        'admin',
        '--json',
      ],
      await tokenEnv(sim, S.verifyUser),
    );
    expect(verify.code, verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ verdict: { kind: 'active' }, matches: true });
  });
});
