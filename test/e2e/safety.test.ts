import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { CONTOSO, contosoSeed, withManyMembers, type SimulatedTenant } from '../../src/sim/index.js';
import { readJournal, removedMembers } from '../../src/journal-reading.js';
import { runCli, startCli } from '../support/cli.js';
import { args, closeSimsAfterEach, G, journalPath, json, startSim, tokenEnv } from '../support/sim.js';

closeSimsAfterEach();

const members = (sim: SimulatedTenant) => [...(sim.snapshot().groups.find((g) => g.id === G)?.members ?? [])].sort();
const restoreArgs = (sim: SimulatedTenant, journal: string, extra: string[] = []) => [
  'restore',
  '--journal',
  journal,
  '--tenant-id',
  CONTOSO.tenantId,
  '--graph-endpoint',
  sim.url,
  ...extra,
];

describe('journal and restore', () => {
  it('restore puts back every removed member; preview first, then idempotent', async () => {
    const sim = await startSim();
    const env = await tokenEnv(sim);
    const original = members(sim);
    const journal = await journalPath();
    expect((await runCli(args(sim, ['--yes', '--journal', journal]), env)).code).toBe(0);
    expect(members(sim)).toEqual([]);

    const writes = sim.writes().length;
    const preview = await runCli(restoreArgs(sim, journal, ['--dry-run']), env);
    expect(preview.code, preview.stderr).toBe(2);
    expect(preview.stdout).toContain(`POST /groups/${G}/members/$ref`);
    expect(preview.stdout).toContain(CONTOSO.upns.carol);
    expect(sim.writes()).toHaveLength(writes);

    const noYes = await runCli(restoreArgs(sim, journal), env);
    expect(noYes.code).toBe(1);
    expect(noYes.stderr).toMatch(/pass --yes/);
    expect(sim.writes()).toHaveLength(writes);

    const restored = await runCli(restoreArgs(sim, journal, ['--yes', '--json', '--restore-journal', await journalPath()]), env);
    expect(restored.code, restored.stderr).toBe(0);
    expect(members(sim)).toEqual(original);

    const again = await runCli(restoreArgs(sim, journal, ['--yes', '--json']), env);
    expect(again.code).toBe(0);
    expect(json(again.stdout).status).toBe('compliant');
    expect(sim.writes()).toHaveLength(writes + original.length);
  });

  it('restore refuses a journal from another tenant', async () => {
    const sim = await startSim();
    const journal = await journalPath();
    expect((await runCli(args(sim, ['--yes', '--journal', journal]), await tokenEnv(sim))).code).toBe(0);
    const res = await runCli(
      ['restore', '--journal', journal, '--tenant-id', '00000000-1111-2222-3333-444444444444', '--graph-endpoint', sim.url],
      await tokenEnv(sim),
    );
    expect(res.code).toBe(1);
    expect(res.stderr.trim()).toMatch(
      /^error: --tenant-id 00000000-1111-2222-3333-444444444444: the journal's run was on tenant 8f2d6a3c\S*; leave it out/,
    );
  });

  it('--convert-members makes each removed standing member eligible in the same window', async () => {
    const sim = await startSim();
    const res = await runCli(
      args(sim, ['--yes', '--json', '--convert-members'], { '--eligible': CONTOSO.upns.alice }),
      await tokenEnv(sim),
    );
    expect(res.code, res.stderr).toBe(0);
    expect(members(sim)).toEqual([]);
    const schedules = (sim.snapshot().pim?.eligibilitySchedules ?? []).filter((s) => s.groupId === G);
    expect(schedules.map((s) => s.principalId).sort()).toEqual([CONTOSO.users.alice, CONTOSO.users.carol, CONTOSO.users.dave].sort());
    const ends = new Set(schedules.map((s) => s.endDateTime));
    expect(ends.size).toBe(1);
  });

  it('a run killed between two writes resumes without duplicates, and its journal still restores', async () => {
    const seed = withManyMembers(contosoSeed(), G, 48);
    const sim = await startSim(seed, [{ method: 'DELETE', path: /\/members\/[^/]+\/\$ref$/, skip: 40, respond: { hang: true } }]);
    const env = await tokenEnv(sim);
    const original = members(sim);
    expect(original).toHaveLength(50);
    const killedJournal = await journalPath('killed.jsonl');

    let deletes = 0;
    const running = startCli(args(sim, ['--yes', '--journal', killedJournal]), env);
    await sim.waitForRequest((r) => r.method === 'DELETE' && ++deletes === 41, 60_000);
    running.child.kill('SIGKILL');
    expect((await running.done).code).toBe(null);

    // Two envelopes of 20 went through; the third hung when the process died.
    expect(members(sim)).toHaveLength(10);
    // The journal was flushed before each request: every removal is in it, answered or not.
    const removed = removedMembers(readJournal(await readFile(killedJournal, 'utf8')));
    expect(removed).toHaveLength(50);
    expect(removed.filter((r) => r.outcome === 'removed').length).toBeLessThanOrEqual(40);

    sim.setFaults([]);
    const deletesBefore = sim.writes().filter((w) => w.method === 'DELETE').length;
    const rerun = await runCli(args(sim, ['--yes', '--json']), env);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(members(sim)).toEqual([]);
    expect(sim.writes().filter((w) => w.method === 'DELETE').length - deletesBefore).toBe(10);
    // Writes that succeeded before the kill are not sent again.
    const creates = sim.writes().filter((w) => w.path.endsWith('/eligibilityScheduleRequests') && w.status === 201);
    expect(creates.map((w) => (w.body as { principalId: string }).principalId).sort()).toEqual(
      [CONTOSO.users.alice, CONTOSO.users.bob].sort(),
    );
    expect(sim.writes().filter((w) => w.method === 'PATCH')).toHaveLength(1);
    expect(sim.writes().filter((w) => w.path.endsWith('/appRoleAssignedTo'))).toHaveLength(1);
    const audit = await runCli(['audit', ...args(sim)], env);
    expect(audit.code, audit.stdout).toBe(0);

    const restored = await runCli(restoreArgs(sim, killedJournal, ['--yes']), env);
    expect(restored.code, restored.stderr).toBe(0);
    expect(members(sim)).toEqual(original);
  });
});

describe('faults', () => {
  const problem = (status: number, code: string) => ({ status, body: { error: { code, message: code } } });

  it.each([
    ['429 without Retry-After', { method: 'PATCH', respond: problem(429, 'TooManyRequests') }],
    ['503', { method: 'PATCH', respond: problem(503, 'ServiceUnavailable') }],
    ['504', { method: 'POST', path: /appRoleAssignedTo$/, respond: problem(504, 'GatewayTimeout') }],
    ['a dropped connection', { method: 'POST', path: /eligibilityScheduleRequests$/, respond: { drop: true as const } }],
    ['a request that never answers', { method: 'POST', path: /appRoleAssignedTo$/, respond: { hang: true as const } }],
    [
      'a 429 item inside a $batch',
      {
        method: 'DELETE',
        path: /\$ref$/,
        respond: { status: 429, headers: { 'Retry-After': '1' }, body: { error: { code: 'TooManyRequests', message: 'slow down' } } },
      },
    ],
  ])('%s: retried, and the run ends in the right state', async (_name, fault) => {
    const sim = await startSim(contosoSeed(), [fault]);
    const env = { ...(await tokenEnv(sim)), ENTRA_PIM_HTTP_TIMEOUT_MS: '1500' };
    const res = await runCli(args(sim, ['--yes', '--json', '--verbose']), env);
    expect(res.code, res.stderr.slice(-1500)).toBe(0);
    expect(members(sim)).toEqual([]);
    const audit = await runCli(['audit', ...args(sim)], env);
    expect(audit.code, audit.stdout).toBe(0);
  });

  it('gives up after a bounded number of attempts with a clean error naming what was done', async () => {
    const sim = await startSim(contosoSeed(), [
      { method: 'POST', path: /appRoleAssignedTo$/, times: Infinity, respond: problem(503, 'ServiceUnavailable') },
    ]);
    const res = await runCli(args(sim, ['--yes', '--json']), await tokenEnv(sim));
    expect(res.code).toBe(1);
    const report = json(res.stdout);
    expect(report.error).toMatch(/app-assignment failed after completed assignment-required.*re-running resumes safely/);
    const attempts = sim.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/appRoleAssignedTo'));
    expect(attempts).toHaveLength(6);
    expect(members(sim)).toEqual([CONTOSO.users.carol, CONTOSO.users.dave].sort());
  });

  it('reports a $batch where some removals fail, naming them, and a re-run finishes the job', async () => {
    const sim = await startSim(contosoSeed(), [
      { method: 'DELETE', path: new RegExp(`members/${CONTOSO.users.dave}/\\$ref$`), respond: problem(403, 'Authorization_RequestDenied') },
    ]);
    const env = await tokenEnv(sim);
    const res = await runCli(args(sim, ['--yes', '--json']), env);
    expect(res.code).toBe(1);
    const step = json(res.stdout).steps.find((s) => s.id === 'admin-group');
    expect(step?.findings.find((f) => f.code === 'APPLY_FAILED')?.message).toMatch(/1 of 2 removal\(s\) failed: remove Dave/);
    expect(members(sim)).toEqual([CONTOSO.users.dave]);
    const rerun = await runCli(args(sim, ['--yes']), env);
    expect(rerun.code).toBe(0);
    expect(members(sim)).toEqual([]);
  });

  it('re-reads a rotated token after a 401 and carries on', async () => {
    const sim = await startSim(
      contosoSeed(),
      [{ method: 'PATCH', respond: problem(401, 'InvalidAuthenticationToken') }],
      // Latency lets the test rotate the file after the request arrives and before its answer.
      { latencyMs: 25 },
    );
    const file = await journalPath('token');
    await writeFile(file, await sim.issueToken({ roles: [...CONTOSO.automation.roles] }));
    const fresh = await sim.issueToken({ roles: [...CONTOSO.automation.roles], appid: 'rotated' });
    const running = startCli(args(sim, ['--yes', '--verbose']), { ENTRA_PIM_ACCESS_TOKEN_FILE: file });
    // Rotate synchronously the moment the PATCH arrives, before its (delayed) 401 goes out.
    await sim.waitForRequest((r) => r.method === 'PATCH' && (writeFileSync(file, fresh), true));
    const res = await running.done;
    expect(res.code, res.stderr.slice(-1000)).toBe(0);
    expect(res.stderr).toMatch(/PATCH \/v1.0\/servicePrincipals\/[^ ]+ 401[\s\S]*PATCH \/v1.0\/servicePrincipals\/[^ ]+ 204/);
    expect(res.stdout + res.stderr).not.toContain(fresh);
  });
});

describe('secrets', () => {
  it('never appear in stdout, stderr, the journal or the report, whatever the command', async () => {
    const sim = await startSim();
    const token = (await tokenEnv(sim)).ENTRA_PIM_ACCESS_TOKEN;
    const secrets = {
      AZURE_CLIENT_SECRET: 'client-secret-Zq8~not-for-output',
      ENTRA_PIM_ACCESS_TOKEN: token,
      KEYCLOAK_CLIENT_SECRET: 'kc-secret-Xy7~not-for-output',
      KEYCLOAK_PASSWORD: 'kc-password-Wv6~not-for-output',
    };
    const env = { ...secrets, AZURE_CLIENT_ID: CONTOSO.automation.clientId };
    const journal = await journalPath();
    const kc = ['--keycloak-url', 'http://127.0.0.1:9', '--keycloak-realm', 'acme', '--keycloak-client-id', 'svc'];
    const runs = [
      // A secret pasted where it does not belong (here a justification) is masked too.
      await runCli(
        args(sim, [
          '--yes',
          '--debug',
          '--auth',
          'access-token',
          '--journal',
          journal,
          '--justification',
          `ticket ${secrets.AZURE_CLIENT_SECRET}`,
        ]),
        env,
      ),
      await runCli(['audit', ...args(sim, ['--debug', '--json', '--auth', 'access-token'])], env),
      await runCli(restoreArgs(sim, journal, ['--yes', '--debug', '--auth', 'access-token']), env),
      await runCli(['audit', ...args(sim, ['--debug', '--auth', 'client-secret'])], { ...env, AZURE_AUTHORITY_HOST: sim.url }),
      await runCli(['audit', ...args(sim, ['--debug', '--auth', 'access-token'])].filter((a) => a !== '--skip-keycloak').concat(kc), env),
      await runCli(
        [
          'verify-user',
          CONTOSO.upns.alice,
          '--tenant-id',
          CONTOSO.tenantId,
          '--graph-endpoint',
          sim.url,
          '--app-id',
          CONTOSO.keycloakAppId,
          '--auth',
          'access-token',
          '--skip-keycloak',
          '--debug',
        ],
        env,
      ),
      // An application token cannot self-activate: refused, and still nothing leaks.
      await runCli(['activate', '--tenant-id', CONTOSO.tenantId, '--graph-endpoint', sim.url, '--auth', 'access-token', '--debug'], env),
      await runCli(['demo', '--yes', '--debug'], env),
    ];
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 1, 1, 0, 1, 0]);
    const everything = runs.map((r) => r.stdout + r.stderr).join('\n') + (await readFile(journal, 'utf8'));
    for (const [name, value] of Object.entries(secrets)) {
      expect(everything.includes(value), name).toBe(false);
    }
    expect(everything.includes(token.split('.')[1])).toBe(false);
  });
});
