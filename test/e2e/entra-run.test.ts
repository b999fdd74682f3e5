import { describe, expect, it } from 'vitest';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { CONTOSO, contosoSeed, withManyMembers } from '../../src/sim/index.js';
import { runCli } from '../support/cli.js';
import { args, closeSimsAfterEach, END, G, journalPath, json, startSim, tokenEnv } from '../support/sim.js';

closeSimsAfterEach();

describe('run and audit against the simulated tenant', () => {
  it('configures a fresh tenant in one run; a second run and the audit after it send zero writes', async () => {
    const sim = await startSim();
    const env = await tokenEnv(sim);
    const journal = await journalPath();

    const before = await runCli(['audit', ...args(sim, ['--json'])], env);
    expect(before.code, before.stderr).toBe(2);
    expect(json(before.stdout).status).toBe('drift');
    expect(sim.writes()).toHaveLength(0);

    const run = await runCli(args(sim, ['--yes', '--json', '--journal', journal]), env);
    expect(run.code, run.stderr).toBe(0);
    const report = json(run.stdout);
    expect(report.status).toBe('changed');
    expect(report.steps.map((s) => [s.id, s.status])).toEqual([
      ['prerequisites', 'warning'],
      ['assignment-required', 'changed'],
      ['app-assignment', 'changed'],
      ['pim-eligibility', 'changed'],
      ['pim-policy', 'ok'],
      ['admin-group', 'changed'],
      ['keycloak', 'warning'],
    ]);

    // The tenant now matches the runbook.
    const state = sim.snapshot();
    expect(state.servicePrincipals.find((s) => s.id === CONTOSO.keycloakSpId)?.appRoleAssignmentRequired).toBe(true);
    expect(state.groups.find((g) => g.id === G)?.members).toEqual([]);
    expect(
      state.appRoleAssignments.some(
        (a) => a.principalId === G && a.resourceId === CONTOSO.keycloakSpId && a.appRoleId === CONTOSO.keycloakRoles.tenantAdmin,
      ),
    ).toBe(true);
    const deletes = sim.writes().filter((w) => w.method === 'DELETE');
    expect(deletes.map((w) => w.path).sort()).toEqual(
      [CONTOSO.users.carol, CONTOSO.users.dave].map((id) => `/v1.0/groups/${G}/members/${id}/$ref`).sort(),
    );
    expect(deletes.every((w) => w.batchItem)).toBe(true);
    const eligibility = sim.writes().filter((w) => w.path.endsWith('/eligibilityScheduleRequests'));
    expect(eligibility.map((w) => (w.body as { principalId: string }).principalId).sort()).toEqual(
      [CONTOSO.users.alice, CONTOSO.users.bob].sort(),
    );

    // The journal holds each removed member's full record, written before the request, mode 0600.
    const lines = (await readFile(journal, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const removed = lines.filter((l) => l.type === 'before' && l.request.method === 'DELETE');
    expect(removed.map((l) => l.backup.member.userPrincipalName).sort()).toEqual([CONTOSO.upns.carol, CONTOSO.upns.dave].sort());
    expect((await stat(journal)).mode & 0o777).toBe(0o600);

    const writesAfterRun = sim.writes().length;
    const again = await runCli(args(sim, ['--yes', '--json']), env);
    expect(again.code, again.stderr).toBe(0);
    expect(json(again.stdout).status).toBe('compliant');
    expect(sim.writes()).toHaveLength(writesAfterRun);

    const after = await runCli(['audit', ...args(sim)], env);
    expect(after.code, after.stdout).toBe(0);
    expect(after.stdout).toMatch(/Result: compliant/);
    expect(sim.writes()).toHaveLength(writesAfterRun);
  });

  it('audit of a fresh tenant prints every planned request with method, URL and body', async () => {
    const sim = await startSim();
    const res = await runCli(['audit', ...args(sim)], await tokenEnv(sim));
    expect(res.code).toBe(2);
    expect(res.stdout).toContain(`PATCH /servicePrincipals/${CONTOSO.keycloakSpId} {"appRoleAssignmentRequired":true}`);
    expect(res.stdout).toContain(`POST /servicePrincipals/${CONTOSO.keycloakSpId}/appRoleAssignedTo {"principalId":"${G}"`);
    expect(res.stdout).toContain(`DELETE /groups/${G}/members/${CONTOSO.users.carol}/$ref`);
    expect(res.stdout).toMatch(
      /POST \/identityGovernance\/privilegedAccess\/group\/eligibilityScheduleRequests \{"accessId":"member","principalId":"[^"]+","groupId":"[^"]+","action":"adminAssign"/,
    );
    expect(res.stdout).toMatch(/Nothing was sent: this was an audit/);
    expect(sim.writes()).toHaveLength(0);
  });

  it('empties a group of more than 2,000 members through paging and $batch', async () => {
    const sim = await startSim(withManyMembers(contosoSeed(), G, 2100));
    const res = await runCli(args(sim, ['--yes', '--json']), await tokenEnv(sim));
    expect(res.code, res.stderr).toBe(0);
    expect(sim.snapshot().groups.find((g) => g.id === G)?.members).toEqual([]);
    const pages = sim.requests.filter((r) => r.method === 'GET' && r.path.startsWith(`/beta/groups/${G}/members`) && !r.batchItem);
    // 2,102 members at 999 a page: three pages for the plan.
    expect(pages).toHaveLength(3);
    const envelopes = sim.requests.filter((r) => r.method === 'POST' && r.path === '/v1.0/$batch');
    const deleteItems = sim.writes().filter((w) => w.method === 'DELETE');
    expect(deleteItems).toHaveLength(2102);
    expect(envelopes.length).toBeGreaterThanOrEqual(Math.ceil(2102 / 20));
    // Besides the removals: the eligible users' lookup, the lockout guard's live read of the
    // eligible accounts right before the first removal, and one spare.
    expect(envelopes.length).toBeLessThanOrEqual(Math.ceil(2102 / 20) + 3);
  });

  it('rides out a 429 with Retry-After and a 503 in the middle of the run', async () => {
    const sim = await startSim(contosoSeed(), [
      {
        method: 'POST',
        path: '/servicePrincipals/' + CONTOSO.keycloakSpId + '/appRoleAssignedTo',
        respond: { status: 429, headers: { 'Retry-After': '1' }, body: { error: { code: 'TooManyRequests', message: 'throttled' } } },
      },
      {
        method: 'POST',
        path: /eligibilityScheduleRequests/,
        respond: { status: 503, body: { error: { code: 'ServiceUnavailable', message: 'try later' } } },
      },
    ]);
    const res = await runCli(args(sim, ['--yes', '--json', '--verbose']), await tokenEnv(sim));
    expect(res.code, res.stdout + res.stderr.slice(-2000)).toBe(0);
    expect(res.stderr).toMatch(/POST \/v1.0\/servicePrincipals\/[^ ]+\/appRoleAssignedTo 429/);
    expect(res.stderr).toMatch(/eligibilityScheduleRequests 503/);
    const assignments = sim.snapshot().appRoleAssignments.filter((a) => a.principalId === G && a.resourceId === CONTOSO.keycloakSpId);
    expect(assignments).toHaveLength(1);
    const audit = await runCli(['audit', ...args(sim)], await tokenEnv(sim));
    expect(audit.code, audit.stdout).toBe(0);
  });

  it('waits out eventual-consistency 404s on a schedule it has just created', async () => {
    const seed = contosoSeed();
    seed.behaviour = { consistency: { notFoundAfterCreate: 2 } };
    const sim = await startSim(seed);
    const res = await runCli(args(sim, ['--yes', '--json']), await tokenEnv(sim));
    expect(res.code, res.stderr).toBe(0);
    const reads = sim.requests.filter((r) => r.method === 'GET' && /\/eligibilitySchedules\/[^?]+$/.test(r.path));
    expect(reads.filter((r) => r.status === 404).length).toBeGreaterThanOrEqual(2);
    expect(reads.filter((r) => r.status === 200)).toHaveLength(2);
  });

  it('treats a 201 whose status is Failed as an error, and then removes nobody', async () => {
    const seed = contosoSeed();
    seed.behaviour = { failScheduleRequests: true };
    const sim = await startSim(seed);
    const res = await runCli(args(sim, ['--yes', '--json']), await tokenEnv(sim));
    expect(res.code).toBe(1);
    const report = json(res.stdout);
    expect(report.steps.find((s) => s.id === 'pim-eligibility')?.findings.find((f) => f.code === 'APPLY_FAILED')?.message).toMatch(
      /request status is Failed/,
    );
    // Standing members are removed only after eligibility exists: the admins keep their access.
    expect(
      sim
        .snapshot()
        .groups.find((g) => g.id === G)
        ?.members.sort(),
    ).toEqual([CONTOSO.users.carol, CONTOSO.users.dave].sort());
    expect(sim.writes().some((w) => w.method === 'DELETE')).toBe(false);
  });

  it('refuses an ambiguous group name, listing the matches, with no write', async () => {
    const sim = await startSim();
    const res = await runCli(args(sim, ['--yes', '--json'], { '--group': 'duplicate-admins' }), await tokenEnv(sim));
    expect(res.code).toBe(1);
    const f = json(res.stdout).steps[0].findings.find((x) => x.code === 'GROUP_AMBIGUOUS');
    expect(f?.message).toContain(CONTOSO.groups.duplicateAdmins1);
    expect(f?.message).toContain(CONTOSO.groups.duplicateAdmins2);
    expect(sim.writes()).toHaveLength(0);
  });

  it('refuses a dynamic group', async () => {
    const sim = await startSim();
    const res = await runCli(args(sim, ['--yes', '--json'], { '--group': CONTOSO.groups.dynAdmins }), await tokenEnv(sim));
    expect(res.code).toBe(1);
    expect(json(res.stdout).steps[0].findings.map((f) => f.code)).toContain('GROUP_DYNAMIC');
    expect(sim.writes()).toHaveLength(0);
  });

  it('reports missing consent and a missing licence together, before any write', async () => {
    const seed = contosoSeed();
    seed.oauth2PermissionGrants = seed.oauth2PermissionGrants.filter((g) => g.clientId !== CONTOSO.keycloakSpId);
    seed.subscribedSkus = seed.subscribedSkus.map((s) => ({
      ...s,
      servicePlans: s.servicePlans.filter((p) => p.servicePlanId !== CONTOSO.servicePlans.aadPremiumP2),
    }));
    const sim = await startSim(seed);
    // Reading delegated grants needs the optional Directory.Read.All (README, Permissions).
    const res = await runCli(args(sim, ['--yes', '--json']), await tokenEnv(sim, [...CONTOSO.automation.roles, 'Directory.Read.All']));
    expect(res.code).toBe(1);
    const codes = json(res.stdout)
      .steps[0].findings.filter((f) => f.severity === 'error')
      .map((f) => f.code);
    expect(codes).toEqual(expect.arrayContaining(['CONSENT_MISSING', 'LICENCE_MISSING']));
    expect(sim.writes()).toHaveLength(0);
  });

  it('rejects an eligibility window longer than the group policy allows, before sending', async () => {
    const sim = await startSim();
    const tooLate = new Date(Date.now() + 400 * 86_400_000).toISOString().slice(0, 10);
    const res = await runCli(args(sim, ['--yes', '--json'], { '--end': tooLate }), await tokenEnv(sim));
    expect(res.code).toBe(1);
    const f = json(res.stdout).steps.find((s) => s.id === 'pim-eligibility')?.findings[0];
    expect(f).toMatchObject({ severity: 'error', code: 'ELIGIBILITY_TOO_LONG' });
    expect(sim.writes()).toHaveLength(0);
  });

  it('refuses default access when the app declares app roles', async () => {
    const sim = await startSim();
    const res = await runCli(args(sim, ['--yes', '--json'], { '--app-role': '' }), await tokenEnv(sim));
    expect(res.code).toBe(1);
    const f = json(res.stdout).steps.find((s) => s.id === 'app-assignment')?.findings[0];
    expect(f?.code).toBe('DEFAULT_ACCESS_NOT_ALLOWED');
    expect(f?.message).toContain('tenant-admin');
    expect(sim.writes()).toHaveLength(0);
  });

  it('names the missing write permissions of a read-only identity before any write', async () => {
    const sim = await startSim();
    const res = await runCli(args(sim, ['--yes', '--json']), await tokenEnv(sim, CONTOSO.reader.roles));
    expect(res.code).toBe(1);
    const f = json(res.stdout).steps[0].findings.find((x) => x.code === 'CALLER_PERMISSION_MISSING');
    expect(f?.message).toMatch(
      /Application\.ReadWrite\.OwnedBy.*AppRoleAssignment\.ReadWrite\.All.*GroupMember\.ReadWrite\.All.*PrivilegedEligibilitySchedule\.ReadWrite\.AzureADGroup/,
    );
    expect(sim.writes()).toHaveLength(0);
    // The same identity may audit.
    const audit = await runCli(['audit', ...args(sim, ['--json'])], await tokenEnv(sim, CONTOSO.reader.roles));
    expect(json(audit.stdout).steps[0].findings.some((x) => x.code === 'CALLER_PERMISSION_MISSING')).toBe(false);
  });

  it('needs --yes for a non-interactive run that removes members', async () => {
    const sim = await startSim();
    const res = await runCli(args(sim), await tokenEnv(sim));
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/would remove 2 standing member\(s\).*pass --yes/);
    expect(sim.writes()).toHaveLength(0);
  });

  it('signs in with a client secret that never appears in output or the journal', async () => {
    const sim = await startSim();
    const journal = await journalPath();
    const env = {
      AZURE_CLIENT_ID: CONTOSO.automation.clientId,
      AZURE_CLIENT_SECRET: CONTOSO.automation.clientSecret,
      AZURE_AUTHORITY_HOST: sim.url,
    };
    const res = await runCli(args(sim, ['--yes', '--json', '--debug', '--journal', journal]), env);
    expect(res.code, res.stderr).toBe(0);
    const tokens = sim.requests.filter((r) => r.path.includes('/oauth2/v2.0/token'));
    expect(tokens.length).toBeGreaterThan(0);
    const everything = res.stdout + res.stderr + (await readFile(journal, 'utf8'));
    expect(everything).not.toContain(CONTOSO.automation.clientSecret);
    expect(everything).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
  });

  it('keeps an access token out of output and journal, even with --debug', async () => {
    const sim = await startSim();
    const journal = await journalPath();
    const env = await tokenEnv(sim);
    const res = await runCli(args(sim, ['--yes', '--debug', '--verbose', '--journal', journal]), env);
    expect(res.code, res.stderr).toBe(0);
    const everything = res.stdout + res.stderr + (await readFile(journal, 'utf8'));
    expect(everything).not.toContain(env.ENTRA_PIM_ACCESS_TOKEN);
    expect(everything).not.toContain(env.ENTRA_PIM_ACCESS_TOKEN.split('.')[1]);
  });
});

describe('bad input', () => {
  it('gives one line naming the flag, exit 1, and no request at all', async () => {
    const sim = await startSim();
    const res = await runCli(args(sim, [], { '--tenant-id': 'not-a-guid' }), await tokenEnv(sim));
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n')).toEqual([
      'error: --tenant-id not-a-guid: not a tenant id or domain; give the directory (tenant) id, a GUID such as 8f2d6a3c-1b4e-4c5d-9e7f-0a1b2c3d4e5f, or a verified domain of the tenant such as contoso.onmicrosoft.com',
    ]);
    expect(sim.requests).toHaveLength(0);
  });
});

describe('--config', () => {
  it('takes the same option names as the flags; flags win over the file', async () => {
    const sim = await startSim();
    const dir = await journalPath('config.yaml');
    await writeFile(
      dir,
      [
        `tenant-id: ${CONTOSO.tenantId}`,
        `graph-endpoint: ${sim.url}`,
        `app-id: ${CONTOSO.keycloakAppId}`,
        'group: no-such-group',
        'app-role: tenant-admin',
        'eligible:',
        `  - ${CONTOSO.upns.alice}`,
        `  - ${CONTOSO.upns.bob}`,
        `end: ${END}`,
        'skip-keycloak: true',
        'json: true',
      ].join('\n'),
    );
    const res = await runCli(['audit', '--config', dir, '--group', 'tenant-admin'], await tokenEnv(sim));
    expect(res.code, res.stderr).toBe(2);
    const report = json(res.stdout);
    expect(report.steps[0].findings.find((f) => f.code === 'GROUP_FOUND')?.message).toContain(G);
    const creates = report.steps.find((s) => s.id === 'pim-eligibility')?.actions.filter((a) => a.kind === 'create');
    expect(creates).toHaveLength(2);
    expect(sim.writes()).toHaveLength(0);
  });
});

describe('journal in the report', () => {
  it('names the journal on stdout and in --json after a run that wrote', async () => {
    const sim = await startSim();
    const journal = await journalPath();
    const res = await runCli(args(sim, ['--yes', '--json', '--journal', journal]), await tokenEnv(sim));
    expect(res.code, res.stderr).toBe(0);
    expect(json(res.stdout).journal).toBe(journal);
    const again = await runCli(args(sim, ['--yes', '--journal', await journalPath()]), await tokenEnv(sim));
    expect(again.stdout).not.toMatch(/^Journal:/m);
  });
});
