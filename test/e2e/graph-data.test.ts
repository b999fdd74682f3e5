import { describe, expect, it } from 'vitest';
import { CONTOSO, contosoSeed } from '../../src/sim/index.js';
import { runCli, startCli } from '../support/cli.js';
import {
  args,
  callSim,
  closeSimsAfterEach,
  G,
  journalPath,
  json,
  simWithEligibleAlice,
  startSim,
  tokenEnv,
  selfActivateAlice,
} from '../support/sim.js';

/**
 * The tool reads Graph's data as Microsoft documents it (enum casing,
 * schedule lag, mail-enabled groups, service-principal members, `$` UPNs).
 */

closeSimsAfterEach();

const PIM = '/identityGovernance/privilegedAccess/group';
const members = (sim: { snapshot(): { groups: Array<{ id: string; members: string[] }> } }) =>
  [...(sim.snapshot().groups.find((g) => g.id === G)?.members ?? [])].sort();

describe('enum casing', () => {
  it('keeps a member whose PIM activation Graph reports as "Activated"', async () => {
    const sim = await simWithEligibleAlice();
    const act = await selfActivateAlice(sim);
    expect(act.status).toBe(201);
    // The simulation answers as the documented examples do: capitalised.
    const admin = await tokenEnv(sim);
    const listed = await callSim(
      sim.url,
      admin.ENTRA_PIM_ACCESS_TOKEN,
      'GET',
      `/v1.0${PIM}/assignmentScheduleInstances?$filter=groupId eq '${G}'`,
    );
    expect(listed.body?.value).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ principalId: CONTOSO.users.alice, assignmentType: 'Activated', memberType: 'Direct' }),
      ]),
    );

    const res = await runCli(args(sim, ['--yes', '--json']), admin);
    expect(res.code, res.stderr).toBe(0);
    const deletes = sim.writes().filter((w) => w.method === 'DELETE');
    expect(deletes.map((d) => d.path).sort()).toEqual(
      [`/v1.0/groups/${G}/members/${CONTOSO.users.carol}/$ref`, `/v1.0/groups/${G}/members/${CONTOSO.users.dave}/$ref`].sort(),
    );
    // Alice's membership comes from her activation, which is still in effect.
    expect(
      sim.snapshot().pim?.assignmentSchedules.filter((a) => a.principalId === CONTOSO.users.alice && a.assignmentType === 'activated'),
    ).toHaveLength(1);
    const step = json(res.stdout).steps.find((s) => s.id === 'admin-group');
    expect(step?.findings.map((f) => f.code)).toContain('MEMBERS_ACTIVATED');
  });
});

describe('mail-enabled groups', () => {
  for (const [kind, securityEnabled] of [
    ['mail-enabled security group', true],
    ['distribution list', false],
  ] as const) {
    it(`refuses a ${kind} while planning: error finding, no write`, async () => {
      const seed = contosoSeed();
      const g = seed.groups.find((x) => x.id === G)!;
      g.mailEnabled = true;
      g.securityEnabled = securityEnabled;
      g.mail = 'tenant-admin@contoso.example';
      const sim = await startSim(seed);
      const env = await tokenEnv(sim);

      const audit = await runCli(['audit', ...args(sim, ['--json'])], env);
      const auditFinding = json(audit.stdout).steps[0].findings.find((f) => f.code === 'GROUP_MAIL_ENABLED');
      expect(auditFinding?.severity).toBe('error');
      expect(auditFinding?.message).toContain(kind);

      const run = await runCli(args(sim, ['--yes', '--json']), env);
      expect(run.code).toBe(1);
      expect(json(run.stdout).steps[0].findings.map((f) => f.code)).toContain('GROUP_MAIL_ENABLED');
      expect(sim.writes()).toHaveLength(0);
      expect(sim.snapshot().pim?.onboardedGroups ?? []).not.toContain(G);
    });
  }

  it('the simulation refuses member changes on a mail-enabled security group (400)', async () => {
    const seed = contosoSeed();
    const g = seed.groups.find((x) => x.id === G)!;
    g.mailEnabled = true;
    const sim = await startSim(seed);
    const { ENTRA_PIM_ACCESS_TOKEN: token } = await tokenEnv(sim);
    const del = await callSim(sim.url, token, 'DELETE', `/v1.0/groups/${G}/members/${CONTOSO.users.carol}/$ref`);
    expect(del.status).toBe(400);
    expect(del.body?.error?.message).toBe('Cannot Update a mail-enabled security groups and or distribution list.');
    const add = await callSim(sim.url, token, 'POST', `/v1.0/groups/${G}/members/$ref`, {
      '@odata.id': `${sim.url}/v1.0/directoryObjects/${CONTOSO.users.alice}`,
    });
    expect(add.status).toBe(400);
  });
});

describe('UPNs that begin with $', () => {
  const SVC = { id: 'c0ffee00-0000-4000-8000-000000000001', upn: '$svc@contoso.example' };
  const QUOTE = { id: 'c0ffee00-0000-4000-8000-000000000002', upn: "o'neil@contoso.example" };
  function seedWithOddUpns() {
    const seed = contosoSeed();
    for (const u of [SVC, QUOTE]) {
      seed.users.push({ id: u.id, displayName: u.upn, userPrincipalName: u.upn, mail: null, accountEnabled: true, userType: 'Member' });
    }
    return seed;
  }

  it('the simulation answers 400 for /users/$… (even encoded) and 200 for the key form', async () => {
    const sim = await startSim(seedWithOddUpns());
    const { ENTRA_PIM_ACCESS_TOKEN: token } = await tokenEnv(sim);
    expect((await callSim(sim.url, token, 'GET', `/v1.0/users/${SVC.upn}`)).status).toBe(400);
    expect((await callSim(sim.url, token, 'GET', `/v1.0/users/${encodeURIComponent(SVC.upn)}`)).status).toBe(400);
    const keyed = await callSim(sim.url, token, 'GET', `/v1.0/users('${SVC.upn}')?$select=id`);
    expect(keyed.status).toBe(200);
    expect(keyed.body?.id).toBe(SVC.id);
    const quoted = await callSim(sim.url, token, 'GET', `/v1.0/users('o''neil@contoso.example')?$select=id`);
    expect(quoted.body?.id).toBe(QUOTE.id);
  });

  it("makes $svc@…, o'neil@… and a #EXT# guest eligible; an unknown $ user is named as typed", async () => {
    const sim = await startSim(seedWithOddUpns());
    const env = await tokenEnv(sim);
    const eligible = [SVC.upn, QUOTE.upn, CONTOSO.upns.guest];
    const audit = await runCli(
      ['audit', ...args(sim, ['--json'], { '--eligible': [...eligible, '$nobody@contoso.example'].join(',') })],
      env,
    );
    const findings = json(audit.stdout).steps[0].findings;
    expect(findings.filter((f) => f.severity === 'error').map((f) => [f.code, f.message])).toEqual([
      ['USER_NOT_FOUND', '--eligible $nobody@contoso.example: no such user in this tenant'],
    ]);

    const run = await runCli(args(sim, ['--yes', '--json'], { '--eligible': eligible.join(',') }), env);
    expect(run.code, run.stderr).toBe(0);
    const schedules = (sim.snapshot().pim?.eligibilitySchedules ?? []).filter((s) => s.groupId === G).map((s) => s.principalId);
    expect(schedules.sort()).toEqual([SVC.id, QUOTE.id, CONTOSO.users.guest].sort());
  });

  it('--approver $svc@… is found by UPN and written into the policy', async () => {
    const sim = await startSim(seedWithOddUpns());
    const res = await runCli(args(sim, ['--yes', '--json', '--require-approval', '--approver', SVC.upn]), await tokenEnv(sim));
    expect(res.code, res.stderr).toBe(0);
    const patches = sim.writes().filter((w) => w.method === 'PATCH' && /roleManagementPolicies/.test(w.path));
    expect(JSON.stringify(patches.map((p) => p.body))).toContain(SVC.id);
  });

  it('verify-user names an unknown $ user as typed, not by an encoded URL', async () => {
    const sim = await startSim(seedWithOddUpns());
    const res = await runCli(
      [
        'verify-user',
        '$nobody@contoso.example',
        '--tenant-id',
        CONTOSO.tenantId,
        '--graph-endpoint',
        sim.url,
        '--app-id',
        CONTOSO.keycloakAppId,
        '--skip-keycloak',
      ],
      await tokenEnv(sim, CONTOSO.reader.roles),
    );
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/\$nobody@contoso\.example: no such user in the tenant/);
    expect(res.stderr).not.toMatch(/%24|users\(/);
  });

  it('verify-user finds $svc@… by UPN', async () => {
    const sim = await startSim(seedWithOddUpns());
    const res = await runCli(
      [
        'verify-user',
        SVC.upn,
        '--tenant-id',
        CONTOSO.tenantId,
        '--graph-endpoint',
        sim.url,
        '--app-id',
        CONTOSO.keycloakAppId,
        '--skip-keycloak',
        '--json',
      ],
      await tokenEnv(sim, CONTOSO.reader.roles),
    );
    expect(res.code, res.stderr).not.toBe(1);
    expect(JSON.parse(res.stdout).user.id).toBe(SVC.id);
  });
});

describe('standing service principals', () => {
  const SP = CONTOSO.fabrikamSpId;

  it('the simulation reproduces the documented v1.0 known issue: beta lists the service principal, v1.0 does not', async () => {
    const seed = contosoSeed();
    seed.groups.find((g) => g.id === G)!.members.push(SP);
    const sim = await startSim(seed);
    const { ENTRA_PIM_ACCESS_TOKEN: token } = await tokenEnv(sim);
    const v1 = await callSim(sim.url, token, 'GET', `/v1.0/groups/${G}/members?$select=id`);
    const beta = await callSim(sim.url, token, 'GET', `/beta/groups/${G}/members?$select=id`);
    expect(v1.body?.value.map((m: { id: string }) => m.id)).not.toContain(SP);
    expect(beta.body?.value).toEqual(expect.arrayContaining([{ '@odata.type': '#microsoft.graph.servicePrincipal', id: SP }]));
  });

  it('audit is not compliant while a service principal is a standing member; run removes it; restore puts it back', async () => {
    const sim = await startSim();
    const env = await tokenEnv(sim);
    const first = await runCli(args(sim, ['--yes', '--json']), env);
    expect(first.code, first.stderr).toBe(0);
    expect((await runCli(['audit', ...args(sim)], env)).code).toBe(0);

    // Someone adds an application to the admin group outside PIM.
    const add = await callSim(sim.url, env.ENTRA_PIM_ACCESS_TOKEN, 'POST', `/v1.0/groups/${G}/members/$ref`, {
      '@odata.id': `${sim.url}/v1.0/directoryObjects/${SP}`,
    });
    expect(add.status).toBe(204);

    const audit = await runCli(['audit', ...args(sim, ['--json'])], env);
    expect(audit.code, audit.stdout).toBe(2);
    const step = json(audit.stdout).steps.find((s) => s.id === 'admin-group');
    expect(step?.findings.find((f) => f.code === 'MEMBERS_SERVICE_PRINCIPAL')?.message).toContain('Fabrikam Portal');
    expect(step?.actions.map((a) => a.request?.url)).toEqual([`/groups/${G}/members/${SP}/$ref`]);

    const journal = await journalPath();
    const run = await runCli(args(sim, ['--yes', '--json', '--journal', journal]), env);
    expect(run.code, run.stderr).toBe(0);
    expect(members(sim)).toEqual([]);
    expect(
      sim
        .writes()
        .filter((w) => w.method === 'DELETE')
        .map((w) => w.path),
    ).toContain(`/v1.0/groups/${G}/members/${SP}/$ref`);
    expect((await runCli(['audit', ...args(sim)], env)).code).toBe(0);

    const restore = await runCli(
      ['restore', '--journal', journal, '--tenant-id', CONTOSO.tenantId, '--graph-endpoint', sim.url, '--yes', '--json'],
      env,
    );
    expect(restore.code, restore.stderr).toBe(0);
    expect(members(sim)).toEqual([SP]);
    // A second restore sees the service principal (beta lists it) and changes nothing.
    const writes = sim.writes().length;
    const again = await runCli(
      ['restore', '--journal', journal, '--tenant-id', CONTOSO.tenantId, '--graph-endpoint', sim.url, '--yes', '--json'],
      env,
    );
    expect(again.code, again.stderr).toBe(0);
    expect(sim.writes()).toHaveLength(writes);
  });
});

describe('schedule lag', () => {
  const isScheduleRead = (r: { method: string; path: string }) => r.method === 'GET' && /\/eligibilitySchedules\/[^?]+$/.test(r.path);
  const isRequest = (r: { method: string; path: string }) => r.method === 'POST' && r.path.endsWith('/eligibilityScheduleRequests');

  it('sends every eligibility request, then waits for the new schedules together with a progress line, then goes on', async () => {
    const seed = contosoSeed();
    seed.behaviour = { consistency: { scheduleLagMs: 1500 } };
    const sim = await startSim(seed);
    const res = await runCli(args(sim, ['--yes', '--json']), await tokenEnv(sim));
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(
      /waiting for PIM to make 2 new eligibility schedule\(s\) readable \(alice@contoso\.example, bob@contoso\.example\)/,
    );
    const firstRead = sim.requests.findIndex(isScheduleRead);
    const requests = sim.requests.map((r, i) => (isRequest(r) ? i : -1)).filter((i) => i >= 0);
    expect(requests).toHaveLength(2);
    expect(requests.every((i) => i < firstRead)).toBe(true);
    const reads = sim.requests.filter(isScheduleRead);
    expect(reads.filter((r) => r.status === 404).length).toBeGreaterThanOrEqual(2);
    expect(reads.filter((r) => r.status === 200)).toHaveLength(2);
    // Member removal comes only after both schedules were readable.
    const lastOk = sim.requests.map((r, i) => (isScheduleRead(r) && r.status === 200 ? i : -1)).reduce((a, b) => Math.max(a, b));
    const firstDelete = sim.requests.findIndex(
      (r) => r.method === 'DELETE' || (r.method === 'POST' && r.path.endsWith('/$batch') && JSON.stringify(r.body).includes('"DELETE"')),
    );
    expect(firstDelete).toBeGreaterThan(lastOk);
    expect(members(sim)).toEqual([]);
  });

  it('a run cut short while waiting resumes cleanly: no failure, no duplicate eligibility', async () => {
    const seed = contosoSeed();
    seed.behaviour = { consistency: { scheduleLagMs: 10 * 60_000 } };
    const sim = await startSim(seed);
    const env = await tokenEnv(sim);
    const { child, done } = startCli(args(sim, ['--yes', '--json']), env);
    child.stderr!.on('data', (d: Buffer) => {
      if (/waiting for PIM/.test(String(d))) child.kill('SIGTERM');
    });
    const cut = await done;
    expect(cut.code).not.toBe(0);
    expect(sim.writes().some((w) => w.method === 'DELETE')).toBe(false);
    expect(members(sim)).toEqual([CONTOSO.users.carol, CONTOSO.users.dave].sort());

    const again = await runCli(args(sim, ['--yes', '--json']), env);
    expect(again.code, again.stderr).toBe(0);
    const schedules = (sim.snapshot().pim?.eligibilitySchedules ?? []).filter((s) => s.groupId === G);
    expect(schedules.map((s) => s.principalId).sort()).toEqual([CONTOSO.users.alice, CONTOSO.users.bob].sort());
    expect(sim.requests.filter(isRequest)).toHaveLength(2);
    expect(members(sim)).toEqual([]);
  });
});
