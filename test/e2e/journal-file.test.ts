import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { chmodSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CONTOSO, type SimulatedTenant } from '../../src/sim/index.js';
import { readJournal } from '../../src/journal-reading.js';
import { BIN, ROOT, runCli, type CliResult } from '../support/cli.js';
import { args, closeSimsAfterEach, G, journalPath, json, startSim, tokenEnv } from '../support/sim.js';

closeSimsAfterEach();

const members = (sim: SimulatedTenant) => [...(sim.snapshot().groups.find((g) => g.id === G)?.members ?? [])].sort();

/**
 * Runs the built CLI under `ulimit -f` (RLIMIT_FSIZE, in KiB): past it, a write takes what fits,
 * then fails with EFBIG. Node ignores SIGXFSZ at start-up (node.cc, PlatformInit), so the limit
 * surfaces as that error, not as a killed process.
 */
function runCliWithFileLimit(kib: number, cliArgs: string[], env: Record<string, string>): Promise<CliResult> {
  const childEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    CI: '1',
    NO_COLOR: '1',
    ...env,
  };
  if (process.env.NODE_EXTRA_CA_CERTS) childEnv.NODE_EXTRA_CA_CERTS = process.env.NODE_EXTRA_CA_CERTS;
  const child = spawn('bash', ['-c', `ulimit -f ${kib} && exec "$0" "$@"`, process.execPath, BIN, ...cliArgs], {
    cwd: ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A valid journal line of exactly `bytes` bytes (newline included), standing for earlier runs. */
const padding = (bytes: number) => {
  const head = '{"type":"end","time":"2026-01-01T00:00:00.000Z","status":"';
  const tail = '"}\n';
  return head + 'x'.repeat(bytes - head.length - tail.length) + tail;
};

describe('a journal write cut short (file-size limit)', () => {
  it('the first write does not fit: nothing is sent, one line names --journal, no torn line is left', async () => {
    const sim = await startSim();
    const journal = await journalPath();
    // 8 KiB allowed, all but 20 bytes taken by an earlier run's records.
    const earlier = padding(8 * 1024 - 20);
    writeFileSync(journal, earlier, { mode: 0o600 });
    const res = await runCliWithFileLimit(8, args(sim, ['--yes', '--json', '--journal', journal]), await tokenEnv(sim));
    expect(res.code, res.stderr).toBe(1);
    expect(res.stderr).toMatch(new RegExp(`--journal ${journal.replace(/[/.]/g, '\\$&')}: the journal could not be written \\(EFBIG\\)`));
    expect(json(res.stdout).status).toBe('failed');
    // The summary must not claim the journal holds every request sent.
    expect(json(res.stdout).error).toContain('the journal could not be written, so nothing more was sent');
    expect(json(res.stdout).error).not.toContain('records every request sent');
    expect(sim.writes()).toHaveLength(0);
    expect(members(sim)).toEqual([CONTOSO.users.carol, CONTOSO.users.dave].sort());
    expect(readFileSync(journal, 'utf8')).toBe(earlier);
  });

  it('the limit falls inside the last removal record: the batch is not sent, and the journal ends with a complete record', async () => {
    // A first run on an identical tenant shows where the removals are in the journal. The cut
    // falls in the last record of the batch: with it torn, the batch used to be sent all the same.
    const measure = await startSim();
    const measured = await journalPath();
    expect((await runCli(args(measure, ['--yes', '--journal', measured]), await tokenEnv(measure))).code).toBe(0);
    const lines = readFileSync(measured, 'utf8').split('\n');
    const removals = lines.flatMap((l, i) => (l.includes('"method":"DELETE"') ? [i] : []));
    expect(removals).toHaveLength(2);
    const last = removals[1];
    const at = Buffer.byteLength(lines.slice(0, last).join('\n') + '\n');
    // Ids differ between tenants, their lengths do not: the middle of the record is safe.
    const cut = at + Math.floor(Buffer.byteLength(lines[last] + '\n') / 2);
    const kib = Math.ceil(cut / 1024) + 1;
    const earlier = padding(kib * 1024 - cut);

    const sim = await startSim();
    const journal = await journalPath();
    writeFileSync(journal, earlier, { mode: 0o600 });
    const res = await runCliWithFileLimit(kib, args(sim, ['--yes', '--json', '--journal', journal]), await tokenEnv(sim));
    // The writes before the removals went out; no removal reached Graph.
    expect(sim.writes().length).toBeGreaterThan(0);
    expect(sim.writes().filter((w) => w.method === 'DELETE')).toHaveLength(0);
    expect(members(sim)).toEqual([CONTOSO.users.carol, CONTOSO.users.dave].sort());
    expect(res.code, res.stderr).toBe(1);
    expect(res.stderr).toMatch(/--journal .*: the journal could not be written \(EFBIG\).*the request it was for was not sent/);
    // No torn line: every line parses, and only the first removal's record is there (unanswered,
    // so restore treats it as possibly done and skips the member, who is still in the group).
    const text = readFileSync(journal, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const entries = readJournal(text);
    expect(text.trim().split('\n')).toHaveLength(entries.length);
    expect(entries.filter((e) => e.type === 'before' && e.request.method === 'DELETE')).toHaveLength(1);
  });
});

describe('--journal is checked before the first request', () => {
  it('a symbolic link is refused with one line, nothing sent, its target untouched', async () => {
    const sim = await startSim();
    const target = await journalPath('elsewhere.txt');
    writeFileSync(target, 'not a journal\n');
    const link = path.join(path.dirname(target), 'journal.jsonl');
    symlinkSync(target, link);
    const res = await runCli(args(sim, ['--yes', '--journal', link]), await tokenEnv(sim));
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n')).toEqual([
      `error: --journal ${link}: is a symbolic link; give the path of a regular file (or of a new one)`,
    ]);
    expect(sim.requests).toHaveLength(0);
    expect(readFileSync(target, 'utf8')).toBe('not a journal\n');
  });

  it('restore names --restore-journal for its own journal', async () => {
    const sim = await startSim();
    const journal = await journalPath();
    expect((await runCli(args(sim, ['--yes', '--journal', journal]), await tokenEnv(sim))).code).toBe(0);
    const requests = sim.requests.length;
    const link = path.join(path.dirname(journal), 'restore.jsonl');
    symlinkSync(journal, link);
    const res = await runCli(
      ['restore', '--journal', journal, '--tenant-id', CONTOSO.tenantId, '--graph-endpoint', sim.url, '--yes', '--restore-journal', link],
      await tokenEnv(sim),
    );
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n')).toEqual([
      `error: --restore-journal ${link}: is a symbolic link; give the path of a regular file (or of a new one)`,
    ]);
    expect(sim.requests).toHaveLength(requests);
  });

  it('an existing world-readable journal is made 0600 when the run appends to it', async () => {
    const sim = await startSim();
    const journal = await journalPath();
    writeFileSync(journal, padding(200));
    chmodSync(journal, 0o644);
    const res = await runCli(args(sim, ['--yes', '--journal', journal]), await tokenEnv(sim));
    expect(res.code, res.stderr).toBe(0);
    expect(statSync(journal).mode & 0o777).toBe(0o600);
    expect(readJournal(readFileSync(journal, 'utf8')).filter((e) => e.type === 'before').length).toBeGreaterThan(0);
  });
});

describe('NODE_TLS_REJECT_UNAUTHORIZED=0', () => {
  it('run refuses with one line and sends nothing', async () => {
    const sim = await startSim();
    const res = await runCli(args(sim, ['--yes']), { ...(await tokenEnv(sim)), NODE_TLS_REJECT_UNAUTHORIZED: '0' });
    expect(res.code).toBe(1);
    const lines = res.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: NODE_TLS_REJECT_UNAUTHORIZED=0 turns off TLS certificate checks.*Nothing was sent$/);
    expect(sim.requests).toHaveLength(0);
  });

  it('restore and activate, which write too, refuse alike', async () => {
    const sim = await startSim();
    const env = { ...(await tokenEnv(sim)), NODE_TLS_REJECT_UNAUTHORIZED: '0' };
    const journal = await journalPath();
    writeFileSync(
      journal,
      JSON.stringify({
        type: 'start',
        time: 't',
        tool: 'entra-pim-setup',
        version: '1',
        mode: 'run',
        tenantId: CONTOSO.tenantId,
        argv: [],
      }) + '\n',
    );
    const restore = await runCli(
      ['restore', '--journal', journal, '--tenant-id', CONTOSO.tenantId, '--graph-endpoint', sim.url, '--yes'],
      env,
    );
    const activate = await runCli(
      ['activate', '--tenant-id', CONTOSO.tenantId, '--graph-endpoint', sim.url, '--auth', 'access-token'],
      env,
    );
    for (const res of [restore, activate]) {
      expect(res.code, res.stderr).toBe(1);
      expect(res.stderr).toMatch(/^error: NODE_TLS_REJECT_UNAUTHORIZED=0 turns off TLS certificate checks/);
    }
    expect(sim.requests).toHaveLength(0);
  });

  it('audit and verify-user warn on stderr and still report', async () => {
    const sim = await startSim();
    const env = { ...(await tokenEnv(sim)), NODE_TLS_REJECT_UNAUTHORIZED: '0' };
    const res = await runCli(['audit', ...args(sim, ['--json'])], env);
    expect(res.code, res.stderr).toBe(2);
    expect(res.stderr).toMatch(/warning: NODE_TLS_REJECT_UNAUTHORIZED=0 turns off TLS certificate checks.*cannot be trusted/);
    expect(json(res.stdout).status).toBe('drift');
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
        '--auth',
        'access-token',
        '--skip-keycloak',
      ],
      env,
    );
    expect(verify.stderr).toMatch(/warning: NODE_TLS_REJECT_UNAUTHORIZED=0 turns off TLS certificate checks.*cannot be trusted/);
    expect(verify.stdout).not.toBe('');
    expect(sim.writes()).toHaveLength(0);
  });
});

describe('--config size', () => {
  it('a file over 1 MiB is refused before parsing, with one line naming --config', async () => {
    const sim = await startSim();
    const config = await journalPath('config.yaml');
    // Valid YAML (a comment), so only the size can refuse it.
    writeFileSync(config, `# ${'x'.repeat(1024 * 1024)}\n`);
    const res = await runCli(args(sim, ['--yes', '--config', config]), await tokenEnv(sim));
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n')).toEqual([`error: --config ${config}: larger than 1 MiB; a config file holds a few options`]);
    expect(sim.requests).toHaveLength(0);
  });
});

describe('a short secret', () => {
  it('is masked on every output path, the printed checklist included, when it is a word the output contains', async () => {
    // A weak password that is also part of the group's name: every standalone occurrence goes.
    const sim = await startSim();
    const env = { ...(await tokenEnv(sim)), KEYCLOAK_PASSWORD: 'admin' };
    const res = await runCli(args(sim, ['--yes', '--journal', await journalPath()]), env);
    expect(res.code, res.stderr.slice(-800)).toBe(0);
    expect(res.stdout).toContain('tenant-***');
    expect(res.stdout + res.stderr).not.toMatch(/(?<![A-Za-z0-9_])admin(?![A-Za-z0-9_])/);
  });

  it('is masked in stdout, stderr, the journal and the report', async () => {
    const sim = await startSim();
    const journal = await journalPath();
    const env = { ...(await tokenEnv(sim)), KEYCLOAK_PASSWORD: 'Kc9' };
    const report = await journalPath('report.md');
    const res = await runCli(
      args(sim, ['--yes', '--debug', '--journal', journal, '--report', report, '--justification', 'ticket Kc9 pasted']),
      env,
    );
    expect(res.code, res.stderr.slice(-800)).toBe(0);
    const everything = res.stdout + res.stderr + readFileSync(journal, 'utf8') + readFileSync(report, 'utf8');
    expect(everything).toContain('ticket *** pasted');
    expect(everything).not.toMatch(/Kc9/);
  });
});
