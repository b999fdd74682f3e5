import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BIN, ROOT } from '../support/cli.js';

// What a user gets from `npm pack`: the tarball must run through npx on a machine that has
// nothing but Node and the registry, and must ship the build only.

const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };

/** npm settings worth keeping from the caller (registry, proxy, CA, cache); everything else npm_* goes. */
const KEEP_NPM = new Set([
  'npm_config_registry',
  'npm_config_cache',
  'npm_config_userconfig',
  'npm_config_globalconfig',
  'npm_config_proxy',
  'npm_config_https_proxy',
  'npm_config_noproxy',
  'npm_config_cafile',
  'npm_config_ca',
  'npm_config_strict_ssl',
]);

/**
 * The environment for npm and npx. Under `npm test`, npm exports the project's settings
 * (npm_config_local_prefix, npm_package_*, INIT_CWD): npx would then treat the repository as
 * the current project and could pick up its node_modules, which a clean machine does not have.
 * The default npm cache is kept on purpose: installing the dependencies is the slow part.
 */
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) && !KEEP_NPM.has(k.toLowerCase())) continue;
    if (k === 'INIT_CWD') continue;
    env[k] = v;
  }
  // The same Node that runs the tests runs npm, npx and the installed bin.
  env.PATH = `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`;
  return { ...env, CI: '1', NO_COLOR: '1', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
}

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function exec(cmd: string, args: string[], cwd: string, timeoutMs = 300_000): Promise<Result> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: npmEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

interface PackEntry {
  filename: string;
  name: string;
  version: string;
  files: Array<{ path: string }>;
}

function packJson(r: Result): PackEntry {
  expect(r.code, r.stderr).toBe(0);
  // npm prints lifecycle notices on stderr; stdout holds the JSON array.
  return (JSON.parse(r.stdout) as PackEntry[])[0];
}

const timings: string[] = [];
const temps: string[] = [];

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

const HELP_CALLS = [['--help'], ['--version'], ['run', '--help'], ['audit', '--help'], ['restore', '--help']];
const localHelp = new Map<string, string>();

describe('the npm package', () => {
  let tarball = '';
  let packed: PackEntry;

  beforeAll(async () => {
    // Not built here: tsup cleans dist/, which other test files are running at the same time.
    if (!existsSync(path.join(ROOT, 'dist/main.cjs'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
    // The help of the build being packed, to compare with what npx runs. npx keys its install
    // folder on the spec text (./<name>-<version>.tgz is the same on every run) and updates it in
    // place; the comparison proves the tarball of this build ran, not an earlier install.
    for (const args of HELP_CALLS) {
      const r = await exec(process.execPath, [BIN, ...args], ROOT);
      expect(r.code, r.stderr).toBe(0);
      localHelp.set(args.join(' '), r.stdout);
    }
    const dest = await tempDir('epim-pack-');
    // --ignore-scripts: `prepare` would rebuild dist/ (see above) under the tests that run it.
    const r = await exec('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dest], ROOT);
    packed = packJson(r);
    tarball = path.join(dest, packed.filename);
    timings.push(`npm pack ${r.ms} ms`);
    expect(existsSync(tarball)).toBe(true);
  }, 120_000);

  afterAll(async () => {
    // One line for CI logs: the install through npx is what can get slow.
    if (timings.length) console.info(`package test timings: ${timings.join(', ')}`);
    await Promise.all(temps.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  it('ships bin/ and dist/ only (plus package.json and README)', async () => {
    const dry = packJson(await exec('npm', ['pack', '--dry-run', '--ignore-scripts', '--json'], ROOT));
    expect(dry.filename).toBe(`${pkg.name}-${pkg.version}.tgz`);
    const files = dry.files.map((f) => f.path).sort();
    expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'bin/entra-pim-setup.cjs', 'dist/main.cjs']));
    const stray = files.filter((f) => !/^(bin|dist)\//.test(f) && !/^(package\.json|README(\.md)?|LICEN[CS]E(\.\w+)?)$/i.test(f));
    expect(stray).toEqual([]);
    expect(files.filter((f) => /^(src|test)\//.test(f) || f.endsWith('.ts') || f.endsWith('.jsonl'))).toEqual([]);
    // The tarball the next test installs holds exactly these files.
    expect(packed.files.map((f) => f.path).sort()).toEqual(files);
  }, 120_000);

  it('runs from the tarball through npx in a folder outside the repository', async () => {
    // As a user would: a fresh folder holding nothing but the tarball, and `npx ./<tarball>`.
    // The ./ matters: npm 11 takes an absolute path to an existing file as a command to execute
    // (it fails with "Permission denied"), while ./file.tgz is read as a package spec.
    const clean = await tempDir('epim-npx-');
    expect(path.relative(ROOT, clean).startsWith('..')).toBe(true);
    await copyFile(tarball, path.join(clean, packed.filename));
    const spec = `./${packed.filename}`;
    expect(await readdir(clean)).toEqual([packed.filename]);

    // The first call installs the tarball's dependencies from the registry.
    const help = await exec('npx', ['--yes', spec, '--help'], clean, 540_000);
    timings.push(`first npx --help (install) ${help.ms} ms`);
    expect(help.code, help.stderr.slice(-3000)).toBe(0);
    expect(help.stdout).toMatch(/^Usage: entra-pim-setup /m);
    for (const command of ['run', 'audit', 'restore']) expect(help.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));

    const version = await exec('npx', ['--yes', spec, '--version'], clean);
    timings.push(`npx --version ${version.ms} ms`);
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout.trim()).toBe(pkg.version);
    expect(help.stdout).toBe(localHelp.get('--help'));

    // Every command's help, with the examples a script author copies.
    const examples: Record<string, RegExp[]> = {
      run: [/# Scripted run/, /--yes/, /# Audit in a pipeline/, /--json/],
      audit: [/# Scripted run/, /# Audit in a pipeline/, /exit 2/],
      restore: [/# Scripted restore/, /restore --journal \S+ --yes/, /# Preview in a pipeline/, /--dry-run --json/],
    };
    for (const [command, patterns] of Object.entries(examples)) {
      const r = await exec('npx', ['--yes', spec, command, '--help'], clean);
      timings.push(`npx ${command} --help ${r.ms} ms`);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: entra-pim-setup ${command} `, 'm'));
      expect(r.stdout).toContain('Examples:');
      expect(r.stdout).toContain('--report <file>');
      for (const p of patterns) expect(r.stdout, `${command} --help`).toMatch(p);
      expect(r.stdout).toBe(localHelp.get(`${command} --help`));
    }
    // npx installed into its own cache, not into the folder.
    expect(await readdir(clean)).toEqual([packed.filename]);
  }, 600_000);
});
