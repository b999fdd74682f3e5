import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * A real Keycloak for the Keycloak tests: `org.keycloak:keycloak-quarkus-dist` fetched with
 * Maven into a cache outside git, started with `kc.sh start-dev` on free loopback ports, or an
 * existing server named by KEYCLOAK_URL. Failing to get one is an error, never a skip.
 */

/**
 * Keycloak version the tests run against unless KEYCLOAK_VERSION says otherwise: the newest 26.x
 * that Maven Central serves here (.ci/run also runs them on the oldest, 26.0.0).
 */
export const DEFAULT_KEYCLOAK_VERSION = '26.7.3';

/** Master-realm credentials with full admin rights, used only to seed test realms. */
export type KeycloakAdminCredentials =
  { kind: 'client'; clientId: string; clientSecret: string } | { kind: 'user'; username: string; password: string };

/** What the tests need to reach the server (serialisable: passed to workers with provide/inject). */
export interface KeycloakServerInfo {
  url: string;
  version: string;
  admin: KeycloakAdminCredentials;
  /** True when KEYCLOAK_URL named an existing server instead of one started here. */
  external: boolean;
}

export interface RunningKeycloak extends KeycloakServerInfo {
  /** Milliseconds from spawn to ready (0 for an external server). */
  startMs: number;
  stop(): Promise<void>;
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

const READY_TIMEOUT_MS = 300_000;

/** Starts (or connects to) the Keycloak the tests use. */
export async function startKeycloak(opts: StartOptions = {}): Promise<RunningKeycloak> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? ((line: string) => console.log(line));
  if (env.KEYCLOAK_URL) return useExternal(env, log);

  const distVersion = env.KEYCLOAK_VERSION ?? DEFAULT_KEYCLOAK_VERSION;
  const cacheDir = env.KEYCLOAK_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'entra-pim-setup', 'keycloak');
  await mkdir(cacheDir, { recursive: true });
  const archive = await ensureArchive(cacheDir, distVersion, log);
  const pristine = await ensureUnpacked(cacheDir, distVersion, archive);
  // start-dev spends ~20 s re-augmenting a fresh distribution; a copy that already ran once skips it.
  const prepared = path.join(cacheDir, `keycloak-${distVersion}-dev`);
  const template = existsSync(path.join(prepared, 'bin', 'kc.sh')) ? prepared : pristine;

  await removeStaleRuns(path.join(cacheDir, 'runs'));
  // Each run gets its own copy: start-dev rewrites lib/quarkus and writes data/, so concurrent
  // test runs (other engineers, CI matrix) must not share a home directory.
  const runDir = path.join(cacheDir, 'runs', `${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(path.dirname(runDir), { recursive: true });
  run('cp', ['-a', template, runDir], 'copy the Keycloak distribution');

  const admin = { kind: 'client' as const, clientId: 'entra-pim-test-admin', clientSecret: randomBytes(18).toString('base64url') };
  const logFile = path.join(runDir, 'keycloak.log');
  const javaHome = pickJavaHome(env);
  const started = Date.now();
  // The ports are free when chosen, but another process may bind one before Keycloak does (the
  // other tests start servers at the same time): a start that fails on "Address already in use"
  // is tried again on other ports.
  let attempt = 0;
  let ready:
    | {
        url: string;
        version: string;
        exited: Promise<number | null>;
        killGroup: (signal: NodeJS.Signals) => void;
        onExit: () => void;
      }
    | undefined;
  while (!ready) {
    attempt++;
    const [httpPort, mgmtPort] = await freePorts(2);
    const out = openSync(logFile, 'a');
    const child = spawn(
      path.join(runDir, 'bin', 'kc.sh'),
      [
        'start-dev',
        '--http-host=127.0.0.1',
        `--http-port=${httpPort}`,
        `--http-management-port=${mgmtPort}`,
        '--health-enabled=true',
        '--db=dev-mem',
      ],
      {
        cwd: runDir,
        // Its own process group: kc.sh runs a build JVM, then execs the server JVM; teardown kills them all.
        detached: true,
        stdio: ['ignore', out, out],
        env: {
          ...serverEnv(env),
          ...(javaHome ? { JAVA_HOME: javaHome } : {}),
          KC_BOOTSTRAP_ADMIN_USERNAME: 'admin',
          KC_BOOTSTRAP_ADMIN_PASSWORD: randomBytes(18).toString('base64url'),
          KC_BOOTSTRAP_ADMIN_CLIENT_ID: admin.clientId,
          KC_BOOTSTRAP_ADMIN_CLIENT_SECRET: admin.clientSecret,
        },
      },
    );
    closeSync(out);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.once('error', () => undefined);
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    // A crashed or interrupted test run must not leave JVMs behind.
    const onExit = () => killGroup('SIGKILL');
    process.once('exit', onExit);

    const url = `http://127.0.0.1:${httpPort}`;
    let version: string;
    try {
      await waitReady(`http://127.0.0.1:${mgmtPort}/health/ready`, exited, logFile, javaHome);
      version = await serverVersion(url, admin);
    } catch (err) {
      killGroup('SIGKILL');
      await exited;
      process.off('exit', onExit);
      if (attempt < 3 && /Address already in use/.test(String((err as Error).message))) {
        log(`keycloak: port ${httpPort} or ${mgmtPort} was taken before it started; trying other ports`);
        continue;
      }
      await rm(runDir, { recursive: true, force: true });
      throw err;
    }
    ready = { url, version, exited, killGroup, onExit };
    break;
  }
  const { url, version, exited, killGroup, onExit } = ready;
  const startMs = Date.now() - started;
  if (template === pristine) await savePrepared(runDir, prepared);
  log(`keycloak ${version} ready at ${url} (started in ${(startMs / 1000).toFixed(1)} s, java ${javaHome ?? 'from PATH'})`);

  return {
    url,
    version,
    admin,
    external: false,
    startMs,
    async stop() {
      killGroup('SIGTERM');
      // An unref'd timer: a pending 20 s timeout must not keep vitest alive after a quick stop.
      const stopped = await Promise.race([exited.then(() => true), delay(20_000, { unref: true }).then(() => false)]);
      if (!stopped) {
        killGroup('SIGKILL');
        await exited;
      }
      process.off('exit', onExit);
      await rm(runDir, { recursive: true, force: true });
    },
  };
}

async function useExternal(env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<RunningKeycloak> {
  const url = env.KEYCLOAK_URL!.replace(/\/$/, '');
  let admin: KeycloakAdminCredentials;
  if (env.KEYCLOAK_ADMIN_CLIENT_ID && env.KEYCLOAK_ADMIN_CLIENT_SECRET) {
    admin = { kind: 'client', clientId: env.KEYCLOAK_ADMIN_CLIENT_ID, clientSecret: env.KEYCLOAK_ADMIN_CLIENT_SECRET };
  } else if (env.KEYCLOAK_ADMIN_USERNAME && env.KEYCLOAK_ADMIN_PASSWORD) {
    admin = { kind: 'user', username: env.KEYCLOAK_ADMIN_USERNAME, password: env.KEYCLOAK_ADMIN_PASSWORD };
  } else {
    throw new Error(
      'KEYCLOAK_URL is set but no master-realm admin credentials are: set KEYCLOAK_ADMIN_CLIENT_ID/KEYCLOAK_ADMIN_CLIENT_SECRET or KEYCLOAK_ADMIN_USERNAME/KEYCLOAK_ADMIN_PASSWORD',
    );
  }
  const version = await serverVersion(url, admin);
  log(`keycloak ${version} at ${url} (external server from KEYCLOAK_URL)`);
  return { url, version, admin, external: true, startMs: 0, stop: async () => undefined };
}

/** The distribution archive, fetched with Maven when the cache lacks it. */
async function ensureArchive(cacheDir: string, version: string, log: (line: string) => void): Promise<string> {
  const file = path.join(cacheDir, `keycloak-quarkus-dist-${version}.tar.gz`);
  if (existsSync(file)) return file;
  const artifact = `org.keycloak:keycloak-quarkus-dist:${version}:tar.gz`;
  const mvn = spawnSync('mvn', ['-v'], { encoding: 'utf8' });
  if (mvn.error || mvn.status !== 0) {
    throw new Error(
      `Keycloak ${version} is not in ${cacheDir} and Maven (mvn) is not available to fetch ${artifact}: install Maven, or put ${path.basename(file)} there`,
    );
  }
  log(`fetching ${artifact} with Maven into ${cacheDir} …`);
  // Download next to the cache and rename: a run interrupted mid-download leaves no half file behind.
  const tmp = path.join(cacheDir, `download-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(tmp, { recursive: true });
  try {
    const res = spawnSync(
      'mvn',
      ['-B', '-q', 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy', `-Dartifact=${artifact}`, `-DoutputDirectory=${tmp}`],
      {
        encoding: 'utf8',
        timeout: 900_000,
      },
    );
    const fetched = path.join(tmp, path.basename(file));
    if (res.status !== 0 || !existsSync(fetched)) {
      const why = (res.stdout + res.stderr)
        .replace(/\x1b\[[0-9;]*m/g, '')
        .trim()
        .split('\n')
        .slice(-15)
        .join('\n');
      throw new Error(`could not fetch ${artifact} with Maven (exit ${res.status ?? res.signal}):\n${why}`);
    }
    await rename(fetched, file);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return file;
}

async function ensureUnpacked(cacheDir: string, version: string, archive: string): Promise<string> {
  const home = path.join(cacheDir, `keycloak-${version}`);
  if (existsSync(path.join(home, 'bin', 'kc.sh'))) return home;
  const tmp = path.join(cacheDir, `unpack-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(tmp, { recursive: true });
  try {
    run('tar', ['xzf', archive, '-C', tmp], `unpack ${archive}`);
    const unpacked = path.join(tmp, `keycloak-${version}`);
    if (!existsSync(path.join(unpacked, 'bin', 'kc.sh'))) throw new Error(`${archive} does not contain keycloak-${version}/bin/kc.sh`);
    await renameUnlessPresent(unpacked, home);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return home;
}

/** Keeps the augmented distribution of a first run (without its data) for the next runs. */
async function savePrepared(runDir: string, prepared: string): Promise<void> {
  const tmp = `${prepared}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    run('cp', ['-a', runDir, tmp], 'save the prepared Keycloak distribution');
    await rm(path.join(tmp, 'data'), { recursive: true, force: true });
    await rm(path.join(tmp, 'keycloak.log'), { force: true });
    await renameUnlessPresent(tmp, prepared);
  } catch {
    // Only an optimisation: the next run starts from the pristine copy again.
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Concurrent runs may race to create the same cache entry: the first one wins, the rest discard theirs. */
async function renameUnlessPresent(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
  }
}

/** Removes per-run copies left by runs that were killed before their teardown. */
async function removeStaleRuns(runsDir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(runsDir);
  } catch {
    return;
  }
  for (const name of entries) {
    const pid = Number(name.split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && !isAlive(pid)) await rm(path.join(runsDir, name), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** JAVA_HOME when set, else the Debian OpenJDK 17 path when present, else whatever `java` is on PATH. */
function pickJavaHome(env: NodeJS.ProcessEnv): string | undefined {
  if (env.JAVA_HOME) return env.JAVA_HOME;
  const jdk17 = '/usr/lib/jvm/java-17-openjdk-amd64';
  return existsSync(path.join(jdk17, 'bin', 'java')) ? jdk17 : undefined;
}

/** The parent environment without Keycloak's own KC_* settings, so a developer's shell cannot change the test server. */
function serverEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('KC_') && !k.startsWith('KEYCLOAK_') && k !== 'JAVA_OPTS'));
}

async function waitReady(healthUrl: string, exited: Promise<number | null>, logFile: string, javaHome: string | undefined): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let exitCode: number | null | undefined;
  void exited.then((c) => (exitCode = c ?? -1));
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new Error(
        `Keycloak exited with code ${exitCode} before it was ready (java: ${javaHome ?? 'from PATH'}); last log lines:\n${await tail(logFile)}`,
      );
    }
    try {
      const res = await fetch(healthUrl, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await delay(250);
  }
  throw new Error(`Keycloak was not ready within ${READY_TIMEOUT_MS / 1000} s (${healthUrl}); last log lines:\n${await tail(logFile)}`);
}

async function tail(file: string, lines = 30): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Master-realm admin token for seeding (not the code under test). */
export async function adminToken(url: string, admin: KeycloakAdminCredentials): Promise<string> {
  const form: Record<string, string> =
    admin.kind === 'client'
      ? { grant_type: 'client_credentials', client_id: admin.clientId, client_secret: admin.clientSecret }
      : { grant_type: 'password', client_id: 'admin-cli', username: admin.username, password: admin.password };
  const res = await fetch(`${url}/realms/master/protocol/openid-connect/token`, { method: 'POST', body: new URLSearchParams(form) });
  const body = (await res.json().catch(() => ({}))) as { access_token?: string; error?: string };
  if (!res.ok || !body.access_token) throw new Error(`cannot get a master admin token from ${url}: HTTP ${res.status} ${body.error ?? ''}`);
  return body.access_token;
}

async function serverVersion(url: string, admin: KeycloakAdminCredentials): Promise<string> {
  const token = await adminToken(url, admin);
  const res = await fetch(`${url}/admin/serverinfo`, { headers: { authorization: `Bearer ${token}` } });
  const info = (await res.json()) as { systemInfo?: { version?: string } };
  if (!info.systemInfo?.version) throw new Error(`${url}/admin/serverinfo did not report a version (HTTP ${res.status})`);
  return info.systemInfo.version;
}

/**
 * Free loopback ports for Keycloak, below the kernel's ephemeral range where one exists: the
 * servers the other tests start on port 0 get ports from that range, so they cannot take these
 * between the check and Keycloak's bind.
 */
async function freePorts(n: number): Promise<number[]> {
  const low = ephemeralLow();
  const candidate = () => (low && low > 12_000 ? 10_000 + Math.floor(Math.random() * (low - 10_000)) : 0);
  // Hold all listeners until every port is known, so the same port is not handed out twice.
  const servers: net.Server[] = [];
  try {
    while (servers.length < n) {
      const port = candidate();
      const server = await new Promise<net.Server | undefined>((resolve, reject) => {
        const s = net.createServer();
        s.once('error', (err: NodeJS.ErrnoException) => (port && err.code === 'EADDRINUSE' ? resolve(undefined) : reject(err)));
        s.listen(port, '127.0.0.1', () => resolve(s));
      });
      if (server) servers.push(server);
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}

/** The first port of Linux's ephemeral range (`ip_local_port_range`), or undefined elsewhere. */
function ephemeralLow(): number | undefined {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) ? low : undefined;
  } catch {
    return undefined;
  }
}

function run(cmd: string, args: string[], what: string): void {
  const res = spawnSync(cmd, args, { encoding: 'utf8' });
  if (res.error || res.status !== 0)
    throw new Error(`could not ${what}: ${cmd} ${args.join(' ')} failed: ${res.error?.message ?? res.stderr.trim()}`);
}

function delay(ms: number, o: { unref?: boolean } = {}): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    if (o.unref) t.unref();
  });
}
