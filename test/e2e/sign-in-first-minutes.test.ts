import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CONTOSO, type SimulatedTenant } from '../../src/sim/index.js';
import { runCli, startCli } from '../support/cli.js';
import { PtySession } from '../support/pty.js';
import { args, closeSimsAfterEach, journalPath, simWithEligibleAlice, startSim, tokenEnv } from '../support/sim.js';

/**
 * The sign-in is decided before the first request and every
 * mistake gets one line naming the fix; a sign-in nobody completes ends; --tenant-id takes a
 * verified domain, resolved through the cloud's OpenID discovery document.
 */

closeSimsAfterEach();

/** A PATH with no `az` on it: an empty folder (the CLI is spawned by node's absolute path). */
async function pathWithoutAz(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'epim-noaz-'));
}

/** An https origin on loopback where nothing listens (a port just freed). */
async function closedOrigin(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `https://127.0.0.1:${port}`;
}

const lines = (stderr: string) => stderr.trim().split('\n');
const discovery = (sim: SimulatedTenant) => sim.requests.filter((r) => r.path.endsWith('/.well-known/openid-configuration'));
const graphCalls = (sim: SimulatedTenant) => sim.requests.filter((r) => /^\/(v1\.0|beta)\//.test(r.path));

describe('a script with no sign-in fails at once, naming what to set', () => {
  it('audit: no credentials and no Azure CLI → one line naming the variables and --auth, nothing sent', async () => {
    const sim = await startSim();
    const res = await runCli(['audit', ...args(sim)], { PATH: await pathWithoutAz() });
    expect(res.code).toBe(1);
    expect(lines(res.stderr)).toHaveLength(1);
    expect(res.stderr).toMatch(
      /^error: no sign-in: .*AZURE_CLIENT_ID with AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH, or ENTRA_PIM_ACCESS_TOKEN.*--auth/,
    );
    expect(sim.requests).toHaveLength(0);
  });

  it.each([
    [
      'verify-user',
      (sim: SimulatedTenant) => [
        'verify-user',
        CONTOSO.upns.alice,
        '--tenant-id',
        CONTOSO.tenantId,
        '--graph-endpoint',
        sim.url,
        '--app-id',
        CONTOSO.keycloakAppId,
        '--skip-keycloak',
      ],
    ],
    ['activate', (sim: SimulatedTenant) => ['activate', '--tenant-id', CONTOSO.tenantId, '--graph-endpoint', sim.url]],
  ])('%s: the same one line, nothing sent', async (_name, cli) => {
    const sim = await startSim();
    const res = await runCli(cli(sim), { PATH: await pathWithoutAz() });
    expect(res.code).toBe(1);
    expect(lines(res.stderr)).toHaveLength(1);
    expect(res.stderr).toMatch(/^error: no sign-in: .*ENTRA_PIM_ACCESS_TOKEN/);
    expect(sim.requests).toHaveLength(0);
  });

  it('AZURE_CLIENT_ID alone, no tenant: the secret (or certificate) and --tenant-id are named together', async () => {
    const sim = await startSim();
    const res = await runCli(['audit', ...args(sim, [], { '--tenant-id': '' })], {
      PATH: await pathWithoutAz(),
      AZURE_CLIENT_ID: CONTOSO.automation.clientId,
    });
    expect(res.code).toBe(1);
    expect(lines(res.stderr)).toEqual([
      "error: AZURE_CLIENT_ID is set, so the sign-in is the app's: it also needs AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH) and --tenant-id (or AZURE_TENANT_ID) (or choose another --auth). Nothing was sent",
    ]);
    expect(sim.requests).toHaveLength(0);
  });

  it('--auth client-secret with nothing set: every missing input in one line', async () => {
    const sim = await startSim();
    const res = await runCli(['audit', ...args(sim, ['--auth', 'client-secret'], { '--tenant-id': '' })], { PATH: await pathWithoutAz() });
    expect(res.code).toBe(1);
    expect(lines(res.stderr)).toEqual([
      'error: --auth client-secret needs AZURE_CLIENT_ID, AZURE_CLIENT_SECRET and --tenant-id (or AZURE_TENANT_ID)',
    ]);
    expect(sim.requests).toHaveLength(0);
  });

  it('AZURE_CLIENT_SECRET without AZURE_CLIENT_ID: the sign-in it implies and what it lacks', async () => {
    const sim = await startSim();
    const res = await runCli(['audit', ...args(sim)], { PATH: await pathWithoutAz(), AZURE_CLIENT_SECRET: 'not-for-output-9f' });
    expect(res.code).toBe(1);
    expect(lines(res.stderr)).toEqual([
      'error: --auth client-secret (chosen because AZURE_CLIENT_SECRET is set) needs the environment variable AZURE_CLIENT_ID',
    ]);
    expect(sim.requests).toHaveLength(0);
  });

  it('with the Azure CLI on PATH but not signed in: one sign-in error, az asked once, no Graph request retried', async () => {
    const sim = await startSim();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'epim-az-'));
    const calls = path.join(dir, 'calls');
    await writeFile(
      path.join(dir, 'az'),
      `#!/bin/sh\necho call >> "${calls}"\necho "ERROR: Please run 'az login' to setup account." >&2\nexit 1\n`,
    );
    await chmod(path.join(dir, 'az'), 0o755);
    const res = await runCli(['audit', ...args(sim)], { PATH: `${dir}:/usr/bin:/bin` });
    expect(res.code).toBe(1);
    expect(lines(res.stderr).at(-1)).toBe(
      'error: --auth azure-cli: the Azure CLI is not signed in; run az login (with --tenant), or choose another --auth',
    );
    expect(res.stderr).not.toMatch(/attempts/);
    expect((await readFile(calls, 'utf8')).trim().split('\n')).toHaveLength(1);
    expect(graphCalls(sim)).toHaveLength(0);
  });
});

describe('browser sign-in that cannot open a browser is refused at once', () => {
  it('no terminal: one line naming --auth device-code, nothing sent', async () => {
    const sim = await startSim();
    // On the old code this waited for a browser redirect that never came; the kill ends it.
    const res = await runCli(['audit', ...args(sim, ['--auth', 'browser'])], { AZURE_AUTHORITY_HOST: sim.url }, { timeoutMs: 30_000 });
    expect(res.code).toBe(1);
    expect(lines(res.stderr)).toHaveLength(1);
    expect(res.stderr).toMatch(
      /^error: --auth browser cannot sign in here: there is no terminal; use --auth device-code, or a non-interactive sign-in \(AZURE_CLIENT_ID with AZURE_CLIENT_SECRET/,
    );
    expect(sim.requests).toHaveLength(0);
  });

  it('a terminal without a display (ssh, container): refused, naming the display variables', async () => {
    const sim = await startSim();
    const t = new PtySession(['activate', '--tenant-id', CONTOSO.tenantId, '--graph-endpoint', sim.url, '--auth', 'browser'], {
      AZURE_AUTHORITY_HOST: sim.url,
      NO_COLOR: '1',
    });
    await t.waitFor(/--auth browser cannot sign in here/);
    expect(await t.exited).toBe(1);
    expect(t.screen).toMatch(/no display to open a browser on \(DISPLAY and WAYLAND_DISPLAY are unset\); use --auth device-code/);
    expect(sim.requests).toHaveLength(0);
  });

  it('a terminal without a display and no --auth: the device code is the default, printed at once', async () => {
    const sim = await simWithEligibleAlice();
    sim.oidc.deviceCodes.interval = 1;
    const t = new PtySession(['activate', '--tenant-id', CONTOSO.tenantId, '--graph-endpoint', sim.url], {
      AZURE_AUTHORITY_HOST: sim.url,
      NO_COLOR: '1',
      ENTRA_PIM_SIGN_IN_TIMEOUT_MS: '2000',
    });
    await t.waitFor(/enter the code \S+ to authenticate/);
    expect(await t.exited).toBe(1);
    expect(t.screen).toMatch(/sign-in with --auth device-code .*did not complete: no token within 2 s/);
  });
});

/** Resolves with the device-code line once the CLI has printed it on stderr. */
function deviceCodeLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stderr!.on('data', (d: Buffer) => {
      seen += d.toString();
      const line = seen.split('\n').find((l) => /enter the code \S+ to authenticate/.test(l));
      if (line) resolve(line);
    });
    child.once('close', () => reject(new Error(`no device code printed:\n${seen}`)));
  });
}

describe('a sign-in nobody completes ends with one line', () => {
  it('device code: the code and URL on stderr at once (even with --json), then the deadline, exit 1', async () => {
    const sim = await startSim();
    sim.oidc.deviceCodes.interval = 1;
    const run = startCli(
      ['audit', ...args(sim, ['--auth', 'device-code', '--json'])],
      { AZURE_AUTHORITY_HOST: sim.url, ENTRA_PIM_SIGN_IN_TIMEOUT_MS: '2000' },
      { timeoutMs: 60_000 },
    );
    const line = await deviceCodeLine(run.child);
    expect(line).toMatch(/https:\/\/microsoft\.com\/devicelogin/);
    const res = await run.done;
    expect(res.code).toBe(1);
    expect(res.stdout).not.toMatch(/enter the code/);
    expect(lines(res.stderr).at(-1)).toBe(
      'error: sign-in with --auth device-code to app 14d82eec-204b-4c2f-b7e8-296a70dab67e did not complete: no token within 2 s (nobody entered the code; the limit is ENTRA_PIM_SIGN_IN_TIMEOUT_MS)',
    );
    expect(graphCalls(sim)).toHaveLength(0);
  });
});

describe('a sign-in host that cannot be reached is named', () => {
  it('client secret: one line naming the host, no retry loop', async () => {
    const sim = await startSim();
    const origin = await closedOrigin();
    const res = await runCli(['audit', ...args(sim, ['--auth', 'client-secret'])], {
      AZURE_CLIENT_ID: CONTOSO.automation.clientId,
      AZURE_CLIENT_SECRET: CONTOSO.automation.clientSecret,
      AZURE_AUTHORITY_HOST: origin,
    });
    expect(res.code).toBe(1);
    expect(lines(res.stderr).at(-1)).toBe(
      `error: sign-in with --auth client-secret failed: cannot reach the sign-in host ${new URL(origin).host} (endpoints_resolution_error); check the network and AZURE_AUTHORITY_HOST / --cloud`,
    );
    expect(res.stderr).not.toMatch(/attempts/);
    expect(graphCalls(sim)).toHaveLength(0);
  });

  it('a domain for --tenant-id: the lookup names the host and the way out (the GUID)', async () => {
    const sim = await startSim();
    const origin = await closedOrigin();
    const res = await runCli(['audit', ...args(sim, [], { '--tenant-id': 'contoso.onmicrosoft.com' })], {
      ...(await tokenEnv(sim)),
      AZURE_AUTHORITY_HOST: origin,
    });
    expect(res.code).toBe(1);
    expect(lines(res.stderr)).toEqual([
      `error: --tenant-id contoso.onmicrosoft.com: cannot reach ${new URL(origin).host} to look up the domain's tenant id (ECONNREFUSED); give the tenant id (a GUID) instead, or check the network`,
    ]);
    expect(sim.requests).toHaveLength(0);
  });
});

describe('--tenant-id takes a verified domain', () => {
  it('audit: the domain is resolved through the OpenID discovery document, then Graph is read for that tenant', async () => {
    const sim = await startSim();
    const res = await runCli(['audit', ...args(sim, ['--json'], { '--tenant-id': 'contoso.onmicrosoft.com' })], {
      ...(await tokenEnv(sim)),
      AZURE_AUTHORITY_HOST: sim.url,
    });
    expect(res.code, res.stderr).toBe(2); // a fresh tenant: nobody eligible yet, which audit reports as drift
    expect(discovery(sim).map((r) => [r.method, r.path, r.status])).toEqual([
      ['GET', '/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration', 200],
    ]);
    expect(graphCalls(sim).length).toBeGreaterThan(0);
  });

  it('run: the journal records the tenant GUID, not the domain typed (any case)', async () => {
    const sim = await startSim();
    const journal = await journalPath();
    const res = await runCli(args(sim, ['--yes', '--journal', journal], { '--tenant-id': 'Contoso.Example' }), {
      ...(await tokenEnv(sim)),
      AZURE_AUTHORITY_HOST: sim.url,
    });
    expect(res.code, res.stderr).toBe(0);
    const start = JSON.parse((await readFile(journal, 'utf8')).split('\n')[0]);
    expect(start).toMatchObject({ type: 'start', tenantId: CONTOSO.tenantId });
  });

  it('restore, verify-user and activate take the domain too', async () => {
    const sim = await simWithEligibleAlice();
    const env = { ...(await tokenEnv(sim)), AZURE_AUTHORITY_HOST: sim.url };
    const journal = await journalPath();
    expect((await runCli(args(sim, ['--yes', '--journal', journal]), env)).code).toBe(0);
    const restore = await runCli(
      ['restore', '--journal', journal, '--tenant-id', 'contoso.onmicrosoft.com', '--graph-endpoint', sim.url, '--dry-run'],
      env,
    );
    expect(restore.code, restore.stderr).toBe(2);
    const verify = await runCli(
      [
        'verify-user',
        CONTOSO.upns.alice,
        '--tenant-id',
        'contoso.onmicrosoft.com',
        '--graph-endpoint',
        sim.url,
        '--app-id',
        CONTOSO.keycloakAppId,
        '--skip-keycloak',
      ],
      env,
    );
    expect(verify.code, verify.stderr).toBe(0);
    const scp =
      'User.Read PrivilegedEligibilitySchedule.Read.AzureADGroup PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup RoleManagementPolicy.Read.AzureADGroup';
    const alice = await sim.issueToken({ scp, oid: CONTOSO.users.alice });
    const activate = await runCli(
      [
        'activate',
        '--tenant-id',
        'contoso.onmicrosoft.com',
        '--graph-endpoint',
        sim.url,
        '--duration',
        'PT1H',
        '--justification',
        'INC-1',
        '--json',
      ],
      {
        ENTRA_PIM_ACCESS_TOKEN: alice,
        AZURE_AUTHORITY_HOST: sim.url,
      },
    );
    expect(activate.code, activate.stderr).toBe(0);
    expect(JSON.parse(activate.stdout)).toMatchObject({ tenantId: CONTOSO.tenantId, status: 'active' });
    expect(discovery(sim).map((r) => r.status)).toEqual([200, 200, 200]);
  });

  it('run with TLS checks switched off: refused before the lookup, nothing sent', async () => {
    const sim = await startSim();
    const res = await runCli(args(sim, ['--yes'], { '--tenant-id': 'contoso.onmicrosoft.com' }), {
      ...(await tokenEnv(sim)),
      AZURE_AUTHORITY_HOST: sim.url,
      NODE_TLS_REJECT_UNAUTHORIZED: '0',
    });
    expect(res.code).toBe(1);
    expect(lines(res.stderr).at(-1)).toMatch(/^error: NODE_TLS_REJECT_UNAUTHORIZED=0 turns off TLS certificate checks.*Nothing was sent$/);
    expect(sim.requests).toHaveLength(0);
  });

  it('a domain no tenant has: one line naming --tenant-id (AADSTS90002), no Graph request', async () => {
    const sim = await startSim();
    const res = await runCli(['audit', ...args(sim, [], { '--tenant-id': 'fabrikam.example' })], {
      ...(await tokenEnv(sim)),
      AZURE_AUTHORITY_HOST: sim.url,
    });
    expect(res.code).toBe(1);
    expect(lines(res.stderr)).toEqual([
      'error: --tenant-id fabrikam.example: no tenant has that domain in the global cloud (AADSTS90002); give the directory (tenant) id, a GUID such as 8f2d6a3c-1b4e-4c5d-9e7f-0a1b2c3d4e5f, or a verified domain of the tenant such as contoso.onmicrosoft.com',
    ]);
    expect(discovery(sim).map((r) => r.status)).toEqual([400]);
    expect(graphCalls(sim)).toHaveLength(0);
  });

  it.each([
    ['audit', (sim: SimulatedTenant, t: string) => ['audit', ...args(sim, [], { '--tenant-id': t })]],
    [
      'verify-user',
      (sim: SimulatedTenant, t: string) => [
        'verify-user',
        CONTOSO.upns.alice,
        '--tenant-id',
        t,
        '--graph-endpoint',
        sim.url,
        '--app-id',
        CONTOSO.keycloakAppId,
        '--skip-keycloak',
      ],
    ],
    ['activate', (sim: SimulatedTenant, t: string) => ['activate', '--tenant-id', t, '--graph-endpoint', sim.url]],
  ])('%s: a value that is neither a GUID nor a domain is one line naming --tenant-id, nothing sent', async (_name, cli) => {
    const sim = await startSim();
    for (const bad of ['contoso', 'common']) {
      const res = await runCli(cli(sim, bad), { ...(await tokenEnv(sim)), AZURE_AUTHORITY_HOST: sim.url });
      expect(res.code).toBe(1);
      expect(lines(res.stderr)).toHaveLength(1);
      expect(res.stderr).toMatch(
        new RegExp(
          `^error: --tenant-id ${bad}: .*a GUID such as .*, or a verified domain of the tenant such as contoso\\.onmicrosoft\\.com`,
        ),
      );
    }
    expect(sim.requests).toHaveLength(0);
  });

  it("restore: a domain of another tenant than the journal's is refused", async () => {
    const sim = await startSim();
    const env = { ...(await tokenEnv(sim)), AZURE_AUTHORITY_HOST: sim.url };
    const journal = await journalPath();
    expect((await runCli(args(sim, ['--yes', '--journal', journal]), env)).code).toBe(0);
    const res = await runCli(
      ['restore', '--journal', journal, '--tenant-id', 'fabrikam.example', '--graph-endpoint', sim.url, '--dry-run'],
      env,
    );
    expect(res.code).toBe(1);
    expect(lines(res.stderr)).toHaveLength(1);
    expect(res.stderr).toMatch(/^error: --tenant-id fabrikam\.example: no tenant has that domain/);
  });
});
