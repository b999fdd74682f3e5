import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PrivateCaTrust } from '../keycloak/private-ca.js';
import { isInteractive, type RawOptions } from '../options.js';
import { DEMO_CERT, DEMO_KEY } from '../sim/demo/demo-cert.js';
import { DemoKeycloak } from '../sim/demo/keycloak-admin.js';
import { CONTOSO, contosoSeed, SimulatedTenant } from '../sim/index.js';
import { colorEnabled, createColors, type Colors } from '../ui/color.js';
import { lastEndDate } from '../ui/dates.js';
import { DEFAULT_ELIGIBILITY_MS } from '../steps/eligibility-window.js';
import { runCommand } from './run.js';
import type { CommandIo } from './session.js';

/** Flags of `entra-pim-setup demo`. */
export interface DemoOptions extends RawOptions {
  /** Confirm every change and ask nothing: the demo runs start to end on its own. */
  yes?: boolean;
  /** Only the final audit's JSON document on stdout. */
  json?: boolean;
  /** Keep the temporary folder with the run's journal (default: removed at the end). */
  keep?: boolean;
}

const BANNER = 'SIMULATION — demo tenant Contoso (no real tenant is touched)';

/** One input the demo fills in for the wizard. */
interface DemoInput {
  key: keyof RawOptions;
  value: string | string[] | boolean;
  /**
   * What an admin decides (the app, the group, the role, who, until when): on a terminal the
   * wizard of `run` asks for it, so an interactive demo leaves it out; `--yes` and scripts get it
   * filled in. Everything else is the simulation's own plumbing and always given.
   */
  asked: boolean;
  /** How to answer the wizard's question in this tenant, for the banner. */
  hint?: string;
}

/** Everything `run` and `audit` are given in the demo: one list, so what is pre-filled is visible at a glance. */
function demoInputs(sim: SimulatedTenant, kc: DemoKeycloak, journal: string, now: Date): DemoInput[] {
  // The wizard's default: the last whole day of the default window.
  const end = lastEndDate(now, DEFAULT_ELIGIBILITY_MS).toISOString().slice(0, 10);
  const app = sim.snapshot().servicePrincipals.find((sp) => sp.id === CONTOSO.keycloakSpId)?.displayName ?? 'Keycloak';
  return [
    // The simulation itself: never asked.
    { key: 'tenantId', value: CONTOSO.tenantId, asked: false },
    { key: 'graphEndpoint', value: sim.url, asked: false },
    { key: 'auth', value: 'access-token', asked: false },
    { key: 'keycloakUrl', value: kc.url, asked: false },
    { key: 'keycloakRealm', value: kc.realm, asked: false },
    { key: 'keycloakClientId', value: kc.clientId, asked: false },
    { key: 'journal', value: journal, asked: false },
    // What the admin decides.
    { key: 'appId', value: CONTOSO.keycloakAppId, asked: true, hint: `app: search "${app.split(' ')[0]}", pick ${app} (OIDC)` },
    { key: 'group', value: 'tenant-admin', asked: true, hint: 'group: tenant-admin' },
    { key: 'appRole', value: 'tenant-admin', asked: true, hint: 'app role: tenant-admin' },
    { key: 'eligible', value: [`${CONTOSO.upns.alice},${CONTOSO.upns.bob}`], asked: true, hint: 'users: search "alice", then "bob"' },
    { key: 'end', value: end, asked: true, hint: 'dates and activation: the defaults' },
    // The demo shows the mapper being created.
    { key: 'fixKeycloak', value: true, asked: false },
  ];
}

/**
 * The environment the demo's run sees: the caller's, minus every variable that could point the
 * tool at a real tenant or Keycloak or hand it real credentials, plus the simulation's own
 * token and Keycloak secret. The caller's environment itself is not changed.
 */
function demoEnv(env: NodeJS.ProcessEnv, secrets: { accessToken: string; keycloakSecret: string }): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (!/^(AZURE_|ENTRA_PIM_|KEYCLOAK_|MSAL_|IDENTITY_|MSI_)/i.test(k)) out[k] = v;
  out.ENTRA_PIM_ACCESS_TOKEN = secrets.accessToken;
  out.KEYCLOAK_CLIENT_SECRET = secrets.keycloakSecret;
  return out;
}

function startBanner(c: Colors, sim: SimulatedTenant, kc: DemoKeycloak, hints: string[]): string {
  const rule = '═'.repeat(BANNER.length);
  const lines = [
    c.yellow(rule),
    c.yellow(c.bold(BANNER)),
    `  Microsoft Graph:    simulated at ${sim.url} (tenant ${CONTOSO.tenantId}, ${CONTOSO.domain})`,
    `  Keycloak admin API: simulated at ${kc.url} (realm ${kc.realm})`,
    '  No credentials are used and nothing leaves this computer: both servers run in this process on loopback.',
  ];
  if (hints.length) lines.push(`  The wizard asks what an admin decides. Suggested answers: ${hints.join('; ')}.`);
  lines.push(c.yellow(rule), '');
  return lines.join('\n');
}

function endBanner(c: Colors, code: number | undefined, kept: string | undefined): string {
  const verdict =
    code === undefined
      ? 'stopped'
      : code === 0
        ? 'the audit after the run is compliant'
        : `the audit after the run is not compliant (exit ${code})`;
  const lines = [
    '',
    c.yellow(c.bold(`${BANNER}: ${verdict}.`)),
    '  The simulated tenant and Keycloak are gone; nothing real was read or changed.',
  ];
  if (kept) lines.push(`  Journal of the simulated run kept in ${kept}`);
  lines.push('  For a real tenant: entra-pim-setup audit --tenant-id <tenant-id or domain> --app-id <keycloak-app-id> … (see --help).', '');
  return lines.join('\n');
}

/**
 * `entra-pim-setup demo`: the normal wizard (`run`, then `audit`) against the built-in simulated
 * Contoso tenant and a simulated Keycloak admin API, both started in this process on loopback,
 * with no credentials. Returns the audit's exit code: 0 when the result is compliant.
 */
export async function demoCommand(raw: DemoOptions, io: CommandIo): Promise<number> {
  const json = Boolean(raw.json);
  const colors = await createColors(colorEnabled({ noColor: raw.color === false, json, isTTY: io.stderrTTY, env: io.env }));
  // `--yes` means "no questions": the demo then runs start to end without a terminal's help.
  const nonInteractive = Boolean(raw.yes || raw.nonInteractive);
  const interactive = !nonInteractive && isInteractive(raw, io.env, io.stdinTTY, io.stderrTTY);

  const sim = await SimulatedTenant.start({ seed: contosoSeed(), tls: { key: DEMO_KEY, cert: DEMO_CERT } });
  let kc: DemoKeycloak | undefined;
  let trust: PrivateCaTrust | undefined;
  let dir: string | undefined;
  let code: number | undefined;
  try {
    kc = await DemoKeycloak.start({ tenantId: CONTOSO.tenantId, appId: CONTOSO.keycloakAppId });
    // The process has started, so NODE_EXTRA_CA_CERTS is too late: requests to the simulated
    // tenant's origin, made inside trust.run(), trust the demo certificate; every other URL
    // keeps Node's default trust (and the Keycloak stand-in is plain HTTP on loopback).
    trust = await PrivateCaTrust.create(sim.url, [DEMO_CERT]);
    dir = await mkdtemp(path.join(os.tmpdir(), 'entra-pim-setup-demo-'));
    const accessToken = await sim.issueToken({ roles: [...CONTOSO.automation.roles], appid: CONTOSO.automation.clientId });
    const env = demoEnv(io.env, { accessToken, keycloakSecret: kc.clientSecret });

    const inputs = demoInputs(sim, kc, path.join(dir, 'journal.jsonl'), new Date());
    const given: RawOptions = { nonInteractive, quiet: raw.quiet, verbose: raw.verbose, debug: raw.debug, color: raw.color };
    const left = interactive ? inputs.filter((i) => i.asked) : [];
    for (const input of inputs) if (!left.includes(input)) Object.assign(given, { [input.key]: input.value });

    if (!raw.quiet)
      io.stderr(
        startBanner(
          colors,
          sim,
          kc,
          left.flatMap((i) => (i.hint ? [i.hint] : [])),
        ),
      );
    // Under --json what is not the audit's document goes to stderr, and --quiet drops it there.
    const aside = json ? (raw.quiet ? () => {} : io.stderr) : io.stdout;
    const say = (line: string) => aside(`${colors.yellow(colors.bold(line))}\n`);

    // The run: under --json its report goes to stderr as text, so stdout holds one document.
    say('SIMULATION — run: configuring the simulated tenant Contoso and the simulated Keycloak');
    const runIo: CommandIo = { ...io, env, stdout: aside };
    // The wizard writes its answers into these options, so the audit checks what the run set up.
    // The demo changes only the simulation: when it cannot ask (no terminal, CI, --json in a
    // pipe), it goes ahead as with --yes instead of stopping at the first confirmation.
    const runRaw: RawOptions = { ...given, yes: raw.yes || !interactive, json: false };
    await trust.run(() => runCommand('run', runRaw, runIo));

    say('\nSIMULATION — audit after the run: read-only, exit 0 when compliant');
    const auditIo: CommandIo = { ...io, env };
    code = await trust.run(() => runCommand('audit', { ...runRaw, yes: undefined, json }, auditIo));
    return code;
  } finally {
    trust?.close();
    await Promise.all([sim.close(), kc?.close()]);
    const kept = raw.keep ? dir : undefined;
    if (dir && !raw.keep) await rm(dir, { recursive: true, force: true });
    if (!raw.quiet || kept) io.stderr(endBanner(colors, code, kept));
  }
}
