import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, runCli } from '../support/cli.js';
import { KEY, PtySession } from '../support/pty.js';
import { CONTOSO } from '../../src/sim/index.js';
import { closeSimsAfterEach, startSim, tokenEnv } from '../support/sim.js';

// What keeps `--help` and `--version` near Node's own start-up time (the times are in
// `npm run bench`, not here): they load bin and one CommonJS bundle, with commander inside it,
// and no ES module and no package from node_modules, since in Node 20 the first ES module
// file alone costs about a tenth of Node's start-up. These tests check that structure.

const TRACER = pathToFileURL(path.join(ROOT, 'test/support/trace-loads.mjs')).href;
let dir = '';
closeSimsAfterEach();

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'epim-startup-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Loads {
  code: number | null;
  stdout: string;
  /** Files loaded as ES modules (file: URLs made paths relative to the project). */
  esm: string[];
  /** Files in the require cache at exit, relative to the project. */
  commonjs: string[];
}

let n = 0;
async function traceLoads(args: string[], env: Record<string, string> = {}): Promise<Loads> {
  const file = path.join(dir, `loads-${++n}.jsonl`);
  const r = await runCli(args, { ...env, NODE_OPTIONS: `--import=${TRACER}`, TRACE_LOADS_FILE: file });
  const events = (await readFile(file, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { url?: string; format?: string; commonjs?: string[] });
  const rel = (p: string) => path.relative(ROOT, p.startsWith('file:') ? new URL(p).pathname : p);
  return {
    code: r.code,
    stdout: r.stdout,
    // The tracer itself and bin (the entry point, loaded as CommonJS) are not the CLI's doing.
    esm: events.filter((e) => e.url && e.format === 'module' && !e.url.includes('/test/support/')).map((e) => rel(e.url!)),
    commonjs: events
      .flatMap((e) => e.commonjs ?? [])
      .filter((p) => !p.includes('/test/support/'))
      .map(rel),
  };
}

describe('start-up path', () => {
  it.each([[['--help']], [['--version']], [['help']], [['audit', '--help']], [['help', 'restore']], [['verify-user', '--help']]])(
    '%j loads bin and dist/main.cjs only: no ES module, no package',
    async (args) => {
      const loads = await traceLoads(args);
      expect(loads.code).toBe(0);
      expect(loads.stdout).toMatch(args.includes('--version') ? /^\d+\.\d+\.\d+/ : /^Usage: entra-pim-setup/);
      expect(loads.esm).toEqual([]);
      expect(loads.commonjs.sort()).toEqual([path.relative(ROOT, BIN), 'dist/main.cjs']);
    },
  );

  it.each([[['--help']], [['--version']]])(
    '%j into a pipe loads none of node:tty, net, the stream modules or node:child_process',
    async (args) => {
      const file = path.join(dir, `builtins-${++n}.txt`);
      const tracer = path.join(ROOT, 'test/support/trace-builtins.cjs');
      const r = await runCli(args, { NODE_OPTIONS: `--require=${tracer}`, TRACE_BUILTINS_FILE: file });
      expect(r.code).toBe(0);
      const loaded = (await readFile(file, 'utf8')).split('\n');
      for (const builtin of ['tty', 'net', 'stream', 'child_process', 'dgram']) expect(loaded).not.toContain(`NativeModule ${builtin}`);
      // The probe sees built-ins at all: fs is loaded by every start.
      expect(loaded).toContain('NativeModule fs');
    },
  );

  it('a command loads its ES modules when it runs (so the probe above can see them)', async () => {
    const loads = await traceLoads(['verify-user', 'alice@contoso.com', '--tenant-id', 'not-a-guid']);
    expect(loads.code).toBe(1);
    expect(loads.esm).toContain('dist/commands/verify-user.js');
    expect(loads.esm.filter((f) => /^dist\/chunk-/.test(f)).length).toBeGreaterThan(0);
  });

  it('dist/main.cjs, which `--help` and `--version` read whole, holds none of the code of run and audit (it is in dist/run.cjs)', async () => {
    const main = await readFile(path.join(ROOT, 'dist/main.cjs'), 'utf8');
    const run = await readFile(path.join(ROOT, 'dist/run.cjs'), 'utf8');
    for (const name of ['runCommand', 'targetsCommand', 'readTenant', 'planEligibility']) {
      expect(main, name).not.toContain(`function ${name}(`);
      expect(run, name).toContain(`function ${name}(`);
    }
  });

  it("`run` and `audit` run from dist/run.cjs, required by dist/main.cjs: no ES module, no package (a JWT's claims are decoded without jose)", async () => {
    const loads = await traceLoads(['audit', '--tenant-id', 'not-a-guid']);
    expect(loads.code).toBe(1);
    expect(loads.esm).toEqual([]);
    expect(loads.commonjs.sort()).toEqual([path.relative(ROOT, BIN), 'dist/main.cjs', 'dist/run.cjs']);
  });

  it("the wizard's first question is on screen before any ES module loads; the packages load after it", async () => {
    const sim = await startSim();
    const file = path.join(dir, `loads-${++n}.jsonl`);
    const tracers = `--import=${TRACER} --require=${path.join(ROOT, 'test/support/trace-question.cjs')}`;
    const t = new PtySession(
      ['--tenant-id', CONTOSO.tenantId, '--graph-endpoint', sim.url, '--auth', 'access-token', '--journal', path.join(dir, 'wizard.jsonl')],
      { ...(await tokenEnv(sim)), NODE_OPTIONS: tracers, TRACE_LOADS_FILE: file },
    );
    await t.waitFor(/Search the Keycloak enterprise app by name/);
    t.line('Keycloak (Spark)');
    // The second question is @inquirer/prompts' own, an ES module package loaded after the first.
    await t.waitFor(/Which app is Keycloak\?/);
    t.send(KEY.ctrlC);
    expect(await t.exited).toBe(130);
    const events = (await readFile(file, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { url?: string; format?: string; question?: boolean; commonjs?: string[] });
    const at = events.findIndex((e) => e.question);
    expect(at).toBeGreaterThanOrEqual(0);
    const ours = (e: { url?: string; format?: string }) => e.url && e.format === 'module' && !e.url.includes('/test/support/');
    const rel = (p: string) => path.relative(ROOT, p.startsWith('file:') ? new URL(p).pathname : p);
    expect(events.slice(0, at).filter(ours)).toEqual([]);
    expect(
      events[at]
        .commonjs!.filter((p) => !p.includes('/test/support/'))
        .map(rel)
        .sort(),
    ).toEqual([path.relative(ROOT, BIN), 'dist/main.cjs', 'dist/run.cjs']);
    const after = events
      .slice(at + 1)
      .filter(ours)
      .map((e) => rel(e.url!));
    expect(after.some((f) => f.includes('node_modules/@inquirer/prompts/'))).toBe(true);
  });

  it('root help marks every command that takes options, though their options are added only on dispatch', async () => {
    const r = await runCli(['--help']);
    for (const term of [
      'run [options]',
      'audit [options]',
      'restore [options]',
      'demo [options]',
      'verify-user [options] <user>',
      'activate [options]',
    ]) {
      expect(r.stdout).toContain(`  ${term}`);
    }
  });

  it.each(['run', 'audit', 'restore', 'demo', 'verify-user', 'activate'])(
    '`help <command>` prints the same as `<command> --help`, options included: %s',
    async (command) => {
      const [viaHelp, viaFlag] = await Promise.all([runCli(['help', command]), runCli([command, '--help'])]);
      expect(viaHelp.code).toBe(0);
      expect(viaHelp.stdout).toBe(viaFlag.stdout);
      expect(viaHelp.stdout).toMatch(/--non-interactive/);
    },
  );

  it("wraps help to the terminal's width on a terminal (160 columns), and to 80 columns when piped", async () => {
    const oneLine = 'Put a Keycloak admin group behind Microsoft Entra PIM for Groups: just-in-time, time-bound, auditable admin access.';
    const t = new PtySession(['--help'], {});
    expect(await t.exited).toBe(0);
    expect(t.screen).toContain(oneLine);
    const piped = await runCli(['--help']);
    expect(piped.stdout).not.toContain(oneLine);
    expect(piped.stdout).toContain('Put a Keycloak admin group behind Microsoft Entra PIM for Groups: just-in-time,\ntime-bound');
  });
});
