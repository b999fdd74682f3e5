import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CONTOSO, type SimulatedTenant } from '../../src/sim/index.js';
import { AZURE_CLI_CLIENT_ID, AZURE_CLI_GRAPH_SCOPES, GRAPH_CLI_CLIENT_ID } from '../../src/sim/device-code.js';
import { delegatedScopes } from '../../src/graph/delegated-scopes.js';
import { runCli, startCli } from '../support/cli.js';
import { args, closeSimsAfterEach, journalPath, json, simWithEligibleAlice, startSim, tokenEnv } from '../support/sim.js';

/**
 * Delegated sign-in against the simulated tenant: the device-code flow of a public client that
 * asks for explicit Graph scopes (never `.default`), and the Azure CLI's fixed scope set, which
 * cannot reach PIM for Groups and must be refused before any write.
 */

closeSimsAfterEach();

const GRAPH = 'https://graph.microsoft.com';
const PIM_PATH = '/identityGovernance/privilegedAccess/group';

/** Resolves with the user code once the CLI has printed the device-code instruction on stderr. */
function userCodeOf(child: ChildProcess): Promise<{ code: string; line: string }> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (d: Buffer) => {
      seen += d.toString();
      const m = /enter the code (\S+) to authenticate/.exec(seen);
      if (m) {
        child.stderr!.off('data', onData);
        resolve({ code: m[1], line: seen.split('\n').find((l) => l.includes(m[1]))! });
      }
    };
    child.stderr!.on('data', onData);
    child.once('close', () => reject(new Error(`the CLI ended before printing a device code:\n${seen}`)));
  });
}

const errorsOf = (stdout: string) =>
  json(stdout)
    .steps.flatMap((s) => s.findings)
    .filter((f) => f.severity === 'error');

const deviceCodeRequests = (sim: SimulatedTenant) => sim.requests.filter((r) => r.path.endsWith('/oauth2/v2.0/devicecode'));
const scopesOf = (r: { body?: unknown }) => String((r.body as Record<string, string>).scope).split(' ');

/** Starts a CLI command with device-code sign-in and approves the code it prints for `user`. */
async function withDeviceCode(sim: SimulatedTenant, cli: string[], user: string, env: Record<string, string> = {}) {
  sim.oidc.deviceCodes.interval = 1;
  const run = startCli(cli, { AZURE_AUTHORITY_HOST: sim.url, ...env });
  const { code, line } = await userCodeOf(run.child);
  const approval = sim.oidc.deviceCodes.approve(code, user, { consent: 'admin' });
  const res = await run.done;
  return { res, code, line, approval };
}

/** Approves, as `user` with admin consent, every device code the CLI prints (incremental consent asks again). */
function approveEveryCode(sim: SimulatedTenant, child: ChildProcess, user: string): unknown[] {
  const approvals: unknown[] = [];
  let seen = '';
  child.stderr!.on('data', (d: Buffer) => {
    const before = seen;
    seen += d.toString();
    for (const m of seen.matchAll(/enter the code (\S+) to authenticate/g)) {
      if (!before.includes(m[0])) approvals.push(sim.oidc.deviceCodes.approve(m[1], user, { consent: 'admin' }));
    }
  });
  return approvals;
}

describe('device-code sign-in (public client, explicit scopes)', () => {
  it('audit: Graph Command Line Tools, explicit read scopes on the Graph host, the code on stderr at once, PIM reads succeed', async () => {
    const sim = await startSim();
    const { res, code, line, approval } = await withDeviceCode(
      sim,
      ['audit', ...args(sim, ['--auth', 'device-code', '--json'])],
      CONTOSO.users.admin,
    );
    expect(approval).toEqual({ ok: true });
    // A fresh tenant: nobody is eligible yet, which an audit reports; nothing else is wrong.
    expect(errorsOf(res.stdout).map((f) => f.code)).toEqual(['ELIGIBLE_NONE_USABLE']);
    expect(res.code, res.stderr).toBe(2);
    expect(line).toContain('https://microsoft.com/devicelogin');
    expect(res.stdout).not.toContain(code);

    const [dc, ...more] = deviceCodeRequests(sim);
    expect(more).toHaveLength(0);
    const body = dc.body as Record<string, string>;
    expect(body.client_id).toBe(GRAPH_CLI_CLIENT_ID);
    const scopes = scopesOf(dc);
    expect(scopes.some((s) => s.endsWith('/.default'))).toBe(false);
    const expected = delegatedScopes({ command: 'audit', policyChanges: false }).map((s) => `${GRAPH}/${s}`);
    expect(scopes.filter((s) => s.startsWith(`${GRAPH}/`)).sort()).toEqual([...expected].sort());
    expect(expected).toContain(`${GRAPH}/PrivilegedEligibilitySchedule.Read.AzureADGroup`);
    expect(scopes.some((s) => /ReadWrite/.test(s))).toBe(false);

    const [issued] = sim.oidc.deviceCodes.issued;
    expect(issued).toMatchObject({ grant: 'device_code', clientId: GRAPH_CLI_CLIENT_ID, userId: CONTOSO.users.admin });
    expect([...issued.scp].sort()).toEqual(delegatedScopes({ command: 'audit', policyChanges: false }).sort());
    const pim = sim.requests.filter((r) => r.path.includes(PIM_PATH) || r.path.includes('/policies/roleManagementPolicyAssignments'));
    expect(pim.length).toBeGreaterThan(0);
    expect(pim.filter((r) => r.status !== 200)).toEqual([]);
    expect(sim.writes()).toHaveLength(0);
  });

  it('run: asks for the write scopes (policy write only with policy flags) and reaches the target state', async () => {
    const sim = await startSim();
    const journal = await journalPath();
    const cli = ['run', ...args(sim, ['--auth', 'device-code', '--yes', '--json', '--journal', journal, '--activation-max', 'PT4H'])];
    const { res, approval } = await withDeviceCode(sim, cli, CONTOSO.users.admin);
    expect(approval).toEqual({ ok: true });
    const scopes = scopesOf(deviceCodeRequests(sim)[0]);
    expect(scopes).toEqual(
      expect.arrayContaining([
        `${GRAPH}/PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup`,
        `${GRAPH}/RoleManagementPolicy.ReadWrite.AzureADGroup`,
        `${GRAPH}/GroupMember.ReadWrite.All`,
      ]),
    );
    expect(scopes.some((s) => s.endsWith('/.default') || s.endsWith('/RoleManagement.ReadWrite.Directory'))).toBe(false);
    expect(deviceCodeRequests(sim)).toHaveLength(1);
    expect(errorsOf(res.stdout)).toEqual([]);
    expect(res.code, res.stderr).toBe(0);
    expect(
      sim.state.policyFor(CONTOSO.groups.tenantAdmin, 'member').rules.find((r) => r.id === 'Expiration_EndUser_Assignment'),
    ).toMatchObject({ maximumDuration: 'PT4H' });
    const audit = await withDeviceCode(
      sim,
      ['audit', ...args(sim, ['--auth', 'device-code', '--json', '--activation-max', 'PT4H'])],
      CONTOSO.users.admin,
    );
    expect(audit.res.code, audit.res.stderr).toBe(0);
  });

  it('audit without policy flags asks for no write scope; with them, still only read scopes', async () => {
    const sim = await startSim();
    await withDeviceCode(
      sim,
      ['audit', ...args(sim, ['--auth', 'device-code', '--json', '--activation-max', 'PT4H'])],
      CONTOSO.users.admin,
    );
    expect(scopesOf(deviceCodeRequests(sim)[0]).filter((s) => /ReadWrite/.test(s))).toEqual([]);
  });

  it('a role-assignable group: RoleManagement.ReadWrite.Directory is asked for only once the group is known (incremental consent)', async () => {
    const sim = await startSim();
    sim.oidc.deviceCodes.interval = 1;
    const runScopes = delegatedScopes({ command: 'run', policyChanges: false });
    sim.oidc.deviceCodes.grantConsent(GRAPH_CLI_CLIENT_ID, runScopes);
    const run = startCli(
      ['run', ...args(sim, ['--auth', 'device-code', '--json', '--yes'], { '--group': CONTOSO.groups.roleAssignableAdmins })],
      { AZURE_AUTHORITY_HOST: sim.url },
    );
    const approvals = approveEveryCode(sim, run.child, CONTOSO.users.admin);
    const res = await run.done;
    expect(approvals).toEqual([{ ok: true }, { ok: true }]);
    const [first, second] = deviceCodeRequests(sim);
    expect(scopesOf(first)).not.toContain(`${GRAPH}/RoleManagement.ReadWrite.Directory`);
    expect(scopesOf(second)).toContain(`${GRAPH}/RoleManagement.ReadWrite.Directory`);
    // The silent try first: a refresh-token request that Entra answers with consent_required (AADSTS65001).
    const refresh = sim.requests.filter(
      (r) => r.path.includes('/oauth2/v2.0/token') && (r.body as Record<string, string>).grant_type === 'refresh_token',
    );
    expect(refresh.map((r) => r.status)).toEqual([400]);
    expect(errorsOf(res.stdout).filter((f) => f.code === 'CALLER_PERMISSION_MISSING')).toEqual([]);
    expect(sim.oidc.deviceCodes.issued.at(-1)?.scp).toContain('RoleManagement.ReadWrite.Directory');
  });

  it('restore into a role-assignable group asks for RoleManagement.ReadWrite.Directory once the group is known, and puts the member back', async () => {
    const sim = await startSim();
    const journal = await journalPath();
    const RA = CONTOSO.groups.roleAssignableAdmins;
    const emptied = await runCli([...args(sim, ['--yes', '--journal', journal], { '--group': RA })], await tokenEnv(sim));
    expect(emptied.code, emptied.stderr).toBe(0);
    expect(sim.state.isMember(RA, CONTOSO.users.dave)).toBe(false);

    sim.oidc.deviceCodes.interval = 1;
    sim.oidc.deviceCodes.grantConsent(GRAPH_CLI_CLIENT_ID, delegatedScopes({ command: 'restore', dryRun: false }));
    const restore = startCli(
      [
        'restore',
        '--journal',
        journal,
        '--tenant-id',
        CONTOSO.tenantId,
        '--graph-endpoint',
        sim.url,
        '--auth',
        'device-code',
        '--yes',
        '--group',
        RA,
      ],
      { AZURE_AUTHORITY_HOST: sim.url },
    );
    const approvals = approveEveryCode(sim, restore.child, CONTOSO.users.admin);
    const res = await restore.done;
    expect(res.code, res.stderr).toBe(0);
    expect(approvals).toEqual([{ ok: true }, { ok: true }]);
    const [first, second] = deviceCodeRequests(sim);
    expect(scopesOf(first)).not.toContain(`${GRAPH}/RoleManagement.ReadWrite.Directory`);
    expect(scopesOf(second)).toContain(`${GRAPH}/RoleManagement.ReadWrite.Directory`);
    expect(sim.state.isMember(RA, CONTOSO.users.dave)).toBe(true);
  });

  it('a scope consented before is in the first token: no second prompt', async () => {
    const sim = await startSim();
    sim.oidc.deviceCodes.grantConsent(GRAPH_CLI_CLIENT_ID, [
      ...delegatedScopes({ command: 'run', policyChanges: false }),
      'RoleManagement.ReadWrite.Directory',
    ]);
    const { res } = await withDeviceCode(
      sim,
      ['run', ...args(sim, ['--auth', 'device-code', '--json', '--yes'], { '--group': CONTOSO.groups.roleAssignableAdmins })],
      CONTOSO.users.admin,
    );
    expect(deviceCodeRequests(sim)).toHaveLength(1);
    expect(errorsOf(res.stdout).filter((f) => f.code === 'CALLER_PERMISSION_MISSING')).toEqual([]);
  });

  it("activate: the user signs in with activate's own scopes and the group becomes active", async () => {
    const sim = await simWithEligibleAlice();
    // An admin consented once for the tenant to what activate asks for.
    sim.oidc.deviceCodes.grantConsent(GRAPH_CLI_CLIENT_ID, delegatedScopes({ command: 'activate' }));
    sim.oidc.deviceCodes.interval = 1;
    const run = startCli(
      [
        'activate',
        '--tenant-id',
        CONTOSO.tenantId,
        '--graph-endpoint',
        sim.url,
        '--auth',
        'device-code',
        '--duration',
        'PT1H',
        '--justification',
        'INC-1',
      ],
      {
        AZURE_AUTHORITY_HOST: sim.url,
      },
    );
    const { code } = await userCodeOf(run.child);
    expect(sim.oidc.deviceCodes.approve(code, CONTOSO.upns.alice)).toEqual({ ok: true });
    const res = await run.done;
    expect(res.code, res.stderr).toBe(0);
    expect(
      scopesOf(deviceCodeRequests(sim)[0])
        .filter((s) => s.startsWith(GRAPH))
        .sort(),
    ).toEqual(
      delegatedScopes({ command: 'activate' })
        .map((s) => `${GRAPH}/${s}`)
        .sort(),
    );
    expect(sim.state.isMember(CONTOSO.groups.tenantAdmin, CONTOSO.users.alice)).toBe(true);
  });

  it('verify-user asks for the "verify-user" reads only (Application.Read.All only with --app-name)', async () => {
    const sim = await simWithEligibleAlice();
    sim.oidc.deviceCodes.grantConsent(GRAPH_CLI_CLIENT_ID, delegatedScopes({ command: 'verify-user', byAppName: true }));
    const base = [
      'verify-user',
      CONTOSO.upns.alice,
      '--tenant-id',
      CONTOSO.tenantId,
      '--graph-endpoint',
      sim.url,
      '--skip-keycloak',
      '--auth',
      'device-code',
      '--json',
    ];
    const byId = await withDeviceCode(sim, [...base, '--app-id', CONTOSO.keycloakAppId], CONTOSO.users.admin);
    expect(byId.res.code, byId.res.stderr).toBe(0);
    const byName = await withDeviceCode(sim, [...base, '--app-name', 'Keycloak (Spark)'], CONTOSO.users.admin);
    const [first, second] = deviceCodeRequests(sim).map((r) =>
      scopesOf(r)
        .filter((x) => x.startsWith(GRAPH))
        .sort(),
    );
    expect(first).toEqual(
      delegatedScopes({ command: 'verify-user' })
        .map((x) => `${GRAPH}/${x}`)
        .sort(),
    );
    expect(second).toEqual([...first, `${GRAPH}/Application.Read.All`].sort());
    expect(byName.res.code, byName.res.stderr).toBe(0);
  });

  it('a user who cannot consent to admin-only scopes is declined, and the CLI stops without writing', async () => {
    const sim = await startSim();
    sim.oidc.deviceCodes.interval = 1;
    const run = startCli(['audit', ...args(sim, ['--auth', 'device-code'])], { AZURE_AUTHORITY_HOST: sim.url });
    const { code } = await userCodeOf(run.child);
    const approval = sim.oidc.deviceCodes.approve(code, CONTOSO.users.alice, { consent: 'user' });
    expect(approval).toMatchObject({ ok: false, aadsts: 90094 });
    const res = await run.done;
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n').pop()).toMatch(
      /^error: sign-in with --auth device-code to app 14d82eec-204b-4c2f-b7e8-296a70dab67e did not complete: the sign-in was declined or lacks consent/,
    );
    expect(sim.requests.filter((r) => r.path.startsWith('/v1.0/'))).toHaveLength(0);
    expect(sim.writes()).toHaveLength(0);
  });
});

describe('Azure CLI sign-in (fixed scope set without PIM for Groups)', () => {
  /** A stand-in `az` on PATH that hands over a token the sim issued to the Azure CLI client for `.default`. */
  async function fakeAz(sim: SimulatedTenant): Promise<string> {
    sim.oidc.deviceCodes.interval = 1;
    const origin = sim.url;
    const post = async (p: string, form: Record<string, string>) => {
      const r = await fetch(`${origin}/${CONTOSO.tenantId}${p}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form),
      });
      return { status: r.status, body: (await r.json()) as Record<string, string> };
    };
    const dc = await post('/oauth2/v2.0/devicecode', {
      client_id: AZURE_CLI_CLIENT_ID,
      scope: `${GRAPH}/.default offline_access openid profile`,
    });
    expect(dc.status).toBe(200);
    const pending = await post('/oauth2/v2.0/token', {
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      client_id: AZURE_CLI_CLIENT_ID,
      device_code: dc.body.device_code,
    });
    expect(pending).toMatchObject({ status: 400, body: { error: 'authorization_pending' } });
    expect(sim.oidc.deviceCodes.approve(dc.body.user_code, CONTOSO.users.admin)).toEqual({ ok: true });
    const tok = await post('/oauth2/v2.0/token', {
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      client_id: AZURE_CLI_CLIENT_ID,
      device_code: dc.body.device_code,
    });
    expect(tok.status).toBe(200);
    const scp = JSON.parse(Buffer.from(tok.body.access_token.split('.')[1], 'base64url').toString()).scp as string;
    expect(scp.split(' ').sort()).toEqual([...AZURE_CLI_GRAPH_SCOPES].sort());
    // Asking the Azure CLI client for a PIM scope is refused: first-party preauthorization.
    const pim = await post('/oauth2/v2.0/token', {
      grant_type: 'refresh_token',
      client_id: AZURE_CLI_CLIENT_ID,
      refresh_token: tok.body.refresh_token,
      scope: `${GRAPH}/PrivilegedEligibilitySchedule.Read.AzureADGroup offline_access`,
    });
    expect(pim.body.error_codes).toEqual([65002]);

    const dir = await mkdtemp(path.join(os.tmpdir(), 'epim-az-'));
    const expires = Math.floor(Date.now() / 1000) + 3000;
    await writeFile(
      path.join(dir, 'token.json'),
      JSON.stringify({
        accessToken: tok.body.access_token,
        expiresOn: new Date(expires * 1000).toISOString(),
        expires_on: expires,
        tenant: CONTOSO.tenantId,
        tokenType: 'Bearer',
      }),
    );
    await writeFile(path.join(dir, 'az'), `#!/bin/sh\ncat "${path.join(dir, 'token.json')}"\n`);
    await chmod(path.join(dir, 'az'), 0o755);
    return dir;
  }

  it('run with --auth azure-cli names the missing PIM scopes and how to get them, before any write', async () => {
    const sim = await startSim();
    const dir = await fakeAz(sim);
    const res = await runCli(['run', ...args(sim, ['--auth', 'azure-cli', '--yes', '--json'])], { PATH: `${dir}:${process.env.PATH}` });
    expect(res.code).toBe(1);
    const caller = json(res.stdout)
      .steps.flatMap((s) => s.findings)
      .find((f) => f.code === 'CALLER_PERMISSION_MISSING');
    expect(caller?.message).toMatch(/PrivilegedEligibilitySchedule\.ReadWrite\.AzureADGroup/);
    expect(caller?.message).toMatch(/PrivilegedAssignmentSchedule\.Read\.AzureADGroup/);
    expect(caller?.message).toMatch(/RoleManagementPolicy\.Read\.AzureADGroup/);
    expect(JSON.stringify(json(res.stdout))).toMatch(
      /Azure CLI's Graph token has a fixed set of scopes.*--auth browser or --auth device-code/,
    );
    expect(sim.writes()).toHaveLength(0);
  });

  it('activate with --auth azure-cli says which scope is missing and sends nothing', async () => {
    const sim = await simWithEligibleAlice();
    const dir = await fakeAz(sim);
    const before = sim.writes().length;
    const res = await runCli(
      ['activate', '--tenant-id', CONTOSO.tenantId, '--graph-endpoint', sim.url, '--auth', 'azure-cli', '--duration', 'PT1H'],
      { PATH: `${dir}:${process.env.PATH}` },
    );
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(
      /^error: the sign-in's token lacks the delegated scope\(s\) PrivilegedEligibilitySchedule\.Read\.AzureADGroup, PrivilegedAssignmentSchedule\.ReadWrite\.AzureADGroup .*--auth device-code/m,
    );
    expect(sim.writes()).toHaveLength(before);
  });
});

describe('--client-id', () => {
  it.each([[['audit', '--client-id', 'not-a-guid']], [['activate', '--client-id', '1234']]])(
    '%j: a one-line error naming the flag, exit 1, nothing sent',
    async (cli) => {
      const sim = await startSim();
      const full =
        cli[0] === 'audit' ? ['audit', ...args(sim, cli.slice(1))] : [...cli, '--tenant-id', CONTOSO.tenantId, '--graph-endpoint', sim.url];
      const res = await runCli(full, { ENTRA_PIM_ACCESS_TOKEN: 'x.y.z' });
      expect(res.code).toBe(1);
      expect(res.stderr.trim().split('\n')).toHaveLength(1);
      expect(res.stderr).toMatch(/--client-id \S+: not a GUID/);
      expect(sim.requests).toHaveLength(0);
    },
  );

  it('AZURE_CLIENT_ID is validated the same way', async () => {
    const sim = await startSim();
    const res = await runCli(['audit', ...args(sim, ['--auth', 'device-code'])], { AZURE_CLIENT_ID: 'contoso-app' });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/--client-id contoso-app: not a GUID/);
    expect(sim.requests).toHaveLength(0);
  });

  it("signs in to the tenant's own app when given", async () => {
    const sim = await startSim();
    const own = CONTOSO.automation.clientId;
    sim.oidc.deviceCodes.grantConsent(own, delegatedScopes({ command: 'audit', policyChanges: false }));
    const { res, approval } = await withDeviceCode(
      sim,
      ['audit', ...args(sim, ['--auth', 'device-code', '--client-id', own, '--json'])],
      CONTOSO.users.admin,
    );
    expect(approval).toEqual({ ok: true });
    // A fresh tenant: nobody is eligible yet, which an audit reports; nothing else is wrong.
    expect(errorsOf(res.stdout).map((f) => f.code)).toEqual(['ELIGIBLE_NONE_USABLE']);
    expect(res.code, res.stderr).toBe(2);
    expect(sim.oidc.deviceCodes.issued[0]).toMatchObject({ clientId: own, userId: CONTOSO.users.admin });
    expect((deviceCodeRequests(sim)[0].body as Record<string, string>).client_id).toBe(own);
  });
});
