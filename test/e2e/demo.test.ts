import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CONTOSO } from '../../src/sim/index.js';
import { runCli } from '../support/cli.js';
import { KEY, PtySession } from '../support/pty.js';
import { json } from '../support/sim.js';

/**
 * Preloaded into the demo (NODE_OPTIONS=--import): every TCP connection goes through
 * net.Socket.prototype.connect, so one that is not to loopback is reported on stderr and refused.
 */
const LOOPBACK_GUARD = `
import net from 'node:net';
const loopback = new Set(['127.0.0.1', '::1', 'localhost']);
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  const o = typeof first === 'object' && first !== null ? first : { port: first, host: typeof args[1] === 'string' ? args[1] : undefined };
  if (!o.path && !loopback.has(o.host ?? 'localhost')) {
    process.stderr.write('loopback guard: refused a connection to ' + o.host + ':' + o.port + '\\n');
    this.destroy(new Error('not loopback'));
    return this;
  }
  return connect.apply(this, args);
};
process.stderr.write('loopback guard: on\\n');
`;

/** No test CA (the demo must trust its own certificate) and nothing but loopback. */
let demoEnv: Record<string, string | undefined>;

beforeAll(async () => {
  const guard = path.join(await mkdtemp(path.join(os.tmpdir(), 'epim-demo-')), 'loopback-guard.mjs');
  await writeFile(guard, LOOPBACK_GUARD);
  demoEnv = { NODE_EXTRA_CA_CERTS: undefined, NODE_OPTIONS: `--import=${guard}` };
});

/** The text between `from` and `to` (or the end). */
function section(text: string, from: string, to?: string): string {
  const start = text.indexOf(from);
  expect(start, `"${from}" in the output`).toBeGreaterThanOrEqual(0);
  const end = to === undefined ? -1 : text.indexOf(to, start);
  return text.slice(start, end < 0 ? undefined : end);
}

function expectLoopbackOnly(stderr: string): void {
  expect(stderr).toContain('loopback guard: on');
  expect(stderr).not.toContain('loopback guard: refused');
}

describe('entra-pim-setup demo', () => {
  it('--yes runs the wizard against the simulation and ends with a compliant audit', async () => {
    const res = await runCli(['demo', '--yes'], demoEnv);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    expectLoopbackOnly(res.stderr);

    // Every screen says it is a simulation: stderr at start and end, stdout before each report.
    expect(res.stderr).toMatch(/^[\s\S]*?SIMULATION — demo tenant Contoso \(no real tenant is touched\)/);
    expect(res.stderr.trimEnd().split('\n').slice(-3).join('\n')).toMatch(
      /SIMULATION — demo tenant Contoso[^\n]*: the audit after the run is compliant/,
    );
    expect(res.stdout.trimStart()).toMatch(/^SIMULATION — run/);

    const run = section(res.stdout, 'SIMULATION — run', 'SIMULATION — audit after the run');
    const audit = section(res.stdout, 'SIMULATION — audit after the run');
    // The run removed the standing members and created the Keycloak mapper (--fix-keycloak).
    expect(run).toMatch(/\(admin-group: changed\)/);
    expect(run).toMatch(/- remove Carol Chen <carol@contoso\.example> from tenant-admin \(done\)/);
    expect(run).toMatch(/- remove Dave Diaz <dave@contoso\.example> from tenant-admin \(done\)/);
    expect(run).toMatch(/\(keycloak: changed\)/);
    expect(run).toMatch(
      /\+ create mapper "[^"]+" on identity provider entra: roles=tenant-admin → \/tenant-admin, sync mode FORCE \(done\)/,
    );
    expect(run).toMatch(/Keycloak 26\.\d+\.\d+ \(simulated\) at http:\/\/127\.0\.0\.1:\d+/);
    expect(run).toMatch(/Result: changed/);
    // The audit then finds the mapper in place and nothing to change.
    expect(audit).toMatch(/\(keycloak: ok\)/);
    expect(audit).toMatch(/= tenant-admin has no standing members/);
    expect(res.stdout.trimEnd()).toMatch(/Result: compliant[^\n]*$/);
  });

  it('--yes --json prints exactly one JSON document: the compliant audit', async () => {
    const res = await runCli(['demo', '--yes', '--json'], demoEnv);
    expect(res.code, res.stderr).toBe(0);
    expectLoopbackOnly(res.stderr);
    const report = json(res.stdout); // throws unless stdout is one JSON document
    expect(report).toMatchObject({ mode: 'audit', tenantId: CONTOSO.tenantId, status: 'compliant' });
    const keycloak = report.steps.find((s) => s.id === 'keycloak');
    expect(keycloak?.status).toBe('ok');
    expect(keycloak?.actions.map((a) => a.kind)).toEqual(['noop']);
    expect(report.steps.find((s) => s.id === 'admin-group')?.status).toBe('ok');
    // The run's report went to stderr, between the banners.
    expect(res.stderr).toMatch(
      /SIMULATION — run[\s\S]*\(keycloak: changed\)[\s\S]*SIMULATION — audit after the run[\s\S]*SIMULATION — demo tenant Contoso[^\n]*compliant/,
    );
  });

  it('without --yes in a script it goes ahead (it changes only the simulation) and ends compliant', async () => {
    const res = await runCli(['demo'], demoEnv);
    expect(res.code, res.stderr).toBe(0);
    expectLoopbackOnly(res.stderr);
    expect(res.stderr).not.toMatch(/pass --yes/);
    expect(res.stderr).toMatch(/SIMULATION — demo tenant Contoso \(no real tenant is touched\): the audit after the run is compliant/);
  });

  it('on a terminal the wizard asks what an admin decides, and the audit checks the answers', async () => {
    const t = new PtySession(['demo'], {});
    await t.waitFor(/SIMULATION — demo tenant Contoso[\s\S]*Suggested answers:/);
    await t.waitFor(/Search the Keycloak enterprise app by name/);
    t.line('Keycloak (Spark)');
    await t.waitFor(/Which app is Keycloak\?[\s\S]*Keycloak \(Spark\) — OIDC/);
    t.send(KEY.enter);
    await t.waitFor(/Admin group/);
    t.send(KEY.enter);
    await t.waitFor(/Assign the group with which app role\?[\s\S]*tenant-admin/);
    t.send(KEY.enter);
    for (const user of ['alice', 'bob']) {
      await t.waitFor(/Search (more )?users/);
      t.line(user);
      await t.waitFor(new RegExp(`Make eligible[\\s\\S]*${user}@contoso\\.example`));
      t.send(KEY.space + KEY.enter);
    }
    await t.waitFor(/Search more users \(empty to finish; 2 chosen\)/);
    t.send(KEY.enter);
    for (const question of [/Eligible from/, /Eligible until/, /Longest activation/, /Require a justification/, /Require multi-factor/]) {
      await t.waitFor(question);
      t.send(KEY.enter);
    }
    await t.waitFor(/Planned changes:[\s\S]*create mapper[\s\S]*Apply these changes, removing 2 member\(s\)\?/);
    t.line('y');
    expect(await t.exited, t.screen.slice(-3000)).toBe(0);
    const audit = section(t.screen, 'SIMULATION — audit after the run');
    expect(audit).not.toMatch(/Search the Keycloak enterprise app/);
    expect(audit).toMatch(/Result: compliant/);
    expect(audit).toMatch(/: the audit after the run is compliant/);
  });
});
