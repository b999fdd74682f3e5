import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTOSO } from '../../src/sim/index.js';
import { PERMISSION_SETS } from '../../src/graph/permissions.js';
import { runCli } from '../support/cli.js';
import { PtySession } from '../support/pty.js';
import { args, closeSimsAfterEach, END, G, journalPath, json, startSim, tokenEnv } from '../support/sim.js';

closeSimsAfterEach();

const COMMANDS = ['run', 'audit', 'restore', 'demo', 'verify-user', 'activate', 'completion', 'help'];
/** The one stderr line of a usage error. */
const lines = (stderr: string) => stderr.trim().split('\n');

async function tempFile(name: string, text: string): Promise<string> {
  const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'epim-cli-')), name);
  await writeFile(file, text);
  return file;
}

describe('a mistyped command is never run', () => {
  it.each([
    [['aduit'], "unknown command 'aduit'; did you mean 'audit'?"],
    [['verify', CONTOSO.upns.alice], "unknown command 'verify'; did you mean 'verify-user'?"],
    [['restor', '--journal', 'run.jsonl'], "unknown command 'restor'; did you mean 'restore'?"],
    [['version'], "unknown command 'version'; did you mean '--version'?"],
    [['help', 'nope'], `unknown command 'nope'; commands: ${COMMANDS.join(', ')}`],
    [['help', 'aduit'], "unknown command 'aduit'; did you mean 'audit'?"],
  ])('%j: one line with the suggestion, exit 1', async (argv, message) => {
    const res = await runCli(argv);
    expect(res.code).toBe(1);
    expect(lines(res.stderr)).toEqual([`error: ${message}`]);
    expect(res.stdout).toBe('');
  });

  it('a typo among flags that would reach Graph sends nothing: run is not its fallback', async () => {
    const sim = await startSim();
    for (const argv of [
      ['aduit', ...args(sim)],
      [...args(sim), 'aduit'],
      [...args(sim, ['--yes']), 'restor'],
    ]) {
      const res = await runCli(argv, await tokenEnv(sim));
      expect(res.code).toBe(1);
      expect(lines(res.stderr)).toEqual([
        expect.stringMatching(/^error: unknown command '(aduit|restor)'; did you mean '(audit|restore)'\?$/),
      ]);
    }
    expect(sim.requests).toHaveLength(0);
  });

  it('a command after the options says to give it first', async () => {
    const res = await runCli(['--tenant-id', CONTOSO.tenantId, 'audit']);
    expect(res.code).toBe(1);
    expect(lines(res.stderr)).toEqual(["error: 'audit' is a command: give it first, before the options (entra-pim-setup audit [options])"]);
  });

  it("`help` alone is the root help, and `help <command>` that command's", async () => {
    const [root, flag, audit] = await Promise.all([runCli(['help']), runCli(['--help']), runCli(['help', 'audit'])]);
    expect(root.code).toBe(0);
    expect(root.stdout).toBe(flag.stdout);
    expect(audit.stdout).toMatch(/^Usage: entra-pim-setup audit \[options\]/);
  });
});

describe('--json: one document on stdout, failures included', () => {
  const failure = (stdout: string) =>
    JSON.parse(stdout) as { schemaVersion: number; status: string; error: { code: string; message: string } };

  it.each([
    ['unknown flag', ['audit', '--json', '--frobnicate'], 'USAGE', "unknown option '--frobnicate'"],
    ['flag without its value', ['run', '--json', '--tenant-id'], 'USAGE', "option '--tenant-id <id|domain>' argument missing"],
    ['bad value', ['audit', '--json', '--cloud', 'mars'], 'USAGE', '--cloud mars: unknown cloud; allowed: global, usgov, usgov-dod, china'],
    ['unknown command', ['aduit', '--json'], 'USAGE', "unknown command 'aduit'; did you mean 'audit'?"],
    ['restore without a journal', ['restore', '--json'], 'USAGE', '--journal FILE is required: the journal of the run to undo'],
    [
      'verify-user, bad --expect',
      ['verify-user', 'alice@contoso.example', '--json', '--expect', 'root'],
      'USAGE',
      '--expect root: give admin or user',
    ],
    ['activate, bad tenant', ['activate', '--json', '--tenant-id', ''], 'USAGE', '--tenant-id is required'],
    ['demo, unknown flag', ['demo', '--json', '--tenant-id', 'x'], 'USAGE', "unknown option '--tenant-id'"],
  ])('%s: status failed, error.code and the message, exit 1', async (_name, argv, code, message) => {
    const res = await runCli(argv);
    expect(res.code).toBe(1);
    const doc = failure(res.stdout);
    expect(doc).toMatchObject({ schemaVersion: 1, status: 'failed', error: { code } });
    expect(doc.error.message).toContain(message);
    expect(doc.error.message).not.toMatch(/^error:/);
    // The one stderr line stays as it was.
    expect(res.stderr.trim()).toContain(message);
  });

  it('a network error (nothing listens at the Graph endpoint): code NETWORK, for every command that signs in', async () => {
    const sim = await startSim();
    const env = await tokenEnv(sim);
    const endpoint = ['--tenant-id', CONTOSO.tenantId, '--graph-endpoint', 'https://127.0.0.1:9', '--auth', 'access-token'];
    // A journal with one removal: restore reads the group and the member before anything else.
    const entry = (e: object) => JSON.stringify({ time: new Date().toISOString(), ...e });
    const journal = await tempFile(
      'run.jsonl',
      [
        entry({ type: 'start', tool: 'entra-pim-setup', version: '0', mode: 'run', tenantId: CONTOSO.tenantId, argv: [] }),
        entry({ type: 'group', groupId: G, displayName: 'tenant-admin' }),
        entry({
          type: 'before',
          seq: 1,
          target: 'graph',
          request: { method: 'DELETE', url: `/groups/${G}/members/${CONTOSO.users.carol}/$ref` },
          backup: {
            groupId: G,
            groupName: 'tenant-admin',
            member: {
              id: CONTOSO.users.carol,
              displayName: 'Carol Chen',
              userPrincipalName: CONTOSO.upns.carol,
              '@odata.type': '#microsoft.graph.user',
            },
          },
        }),
        '',
      ].join('\n'),
    );
    for (const argv of [
      ['audit', ...endpoint, '--app-id', CONTOSO.keycloakAppId, '--eligible', CONTOSO.upns.alice, '--end', END, '--skip-keycloak'],
      ['restore', '--journal', journal, '--dry-run', ...endpoint],
      ['verify-user', CONTOSO.upns.alice, ...endpoint, '--app-id', CONTOSO.keycloakAppId, '--skip-keycloak'],
      ['activate', ...endpoint],
    ]) {
      // activate needs a signed-in user's token: it reads the token before its first request.
      const user = {
        ENTRA_PIM_ACCESS_TOKEN: await sim.issueToken({
          scp: 'User.Read PrivilegedEligibilitySchedule.Read.AzureADGroup PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup RoleManagementPolicy.Read.AzureADGroup',
          oid: CONTOSO.users.alice,
        }),
      };
      const res = await runCli([...argv, '--json'], argv[0] === 'activate' ? user : env);
      expect(res.code, `${argv[0]}: ${res.stderr}`).toBe(1);
      expect(failure(res.stdout), argv[0]).toMatchObject({
        schemaVersion: 1,
        status: 'failed',
        error: { code: 'NETWORK', message: expect.stringContaining('127.0.0.1') },
      });
    }
  });

  it('a removal in a script without --yes: code NEEDS_YES, nothing written', async () => {
    const sim = await startSim();
    const res = await runCli(args(sim, ['--json']), await tokenEnv(sim));
    expect(res.code).toBe(1);
    expect(failure(res.stdout).error).toMatchObject({ code: 'NEEDS_YES', message: expect.stringContaining('pass --yes to confirm') });
    expect(sim.writes()).toHaveLength(0);
  });

  it('a refused sign-in (wrong client secret): code SIGN_IN', async () => {
    const sim = await startSim();
    const env = { AZURE_CLIENT_ID: CONTOSO.automation.clientId, AZURE_CLIENT_SECRET: 'not-the-secret', AZURE_AUTHORITY_HOST: sim.url };
    const res = await runCli(['audit', ...args(sim, ['--json', '--auth', 'client-secret'])], env);
    expect(res.code).toBe(1);
    expect(failure(res.stdout).error.code).toBe('SIGN_IN');
    expect(res.stdout).not.toContain('not-the-secret');
  });

  it('a --config file that asks for json gets the document too', async () => {
    const config = await tempFile('audit.yaml', 'json: true\ncloud: mars\n');
    const res = await runCli(['audit', '--config', config]);
    expect(res.code).toBe(1);
    expect(failure(res.stdout).error).toEqual({
      code: 'USAGE',
      message: '--cloud mars: unknown cloud; allowed: global, usgov, usgov-dod, china',
    });
  });

  it('a failure after the result was printed adds no second document', async () => {
    const sim = await startSim();
    const res = await runCli(['audit', ...args(sim), '--json', '--report', '/proc/forbidden.md'], await tokenEnv(sim));
    expect(res.code).toBe(1);
    expect(() => json(res.stdout)).not.toThrow();
  });
});

describe('help fits each command', () => {
  const help = async (command: string) => (await runCli([command, '--help'])).stdout;

  it('groups the options under headings, and lists only what the command takes', async () => {
    const audit = await help('audit');
    const headings = [...audit.matchAll(/^([A-Z][\w -]+ options|Options):$/gm)].map((m) => m[1]);
    expect(headings).toEqual([
      'Sign-in options',
      'Target options',
      'Eligibility options',
      'Activation policy options',
      'Keycloak options',
      'Output options',
      'Safety options',
      'Options',
    ]);
    // Audit never writes: --yes, --dry-run and --journal are accepted but not listed.
    expect(audit).not.toMatch(/^\s+(-y, --yes|--dry-run|--journal <file>)/m);
    expect(await help('run')).toMatch(/^\s+-y, --yes/m);

    const activate = await help('activate');
    expect(activate).toMatch(/^\s+--deactivate/m);
    for (const absent of ['--keycloak-url', '--eligible', '--app-id', '--report', 'Eligibility options:', 'Keycloak options:'])
      expect(activate).not.toContain(absent);
    const restore = await help('restore');
    for (const absent of ['--eligible', '--keycloak-url', '--app-id']) expect(restore).not.toContain(absent);
    const demo = await help('demo');
    expect(demo).not.toContain('--tenant-id');
  });

  it.each([
    [
      'run',
      [
        'ENTRA_PIM_ELIGIBLE',
        'ENTRA_PIM_APPROVER',
        'AZURE_CLIENT_SECRET',
        'ENTRA_PIM_ACCESS_TOKEN',
        'AZURE_CLIENT_CERTIFICATE_PATH',
        'KEYCLOAK_PASSWORD',
        'KEYCLOAK_CLIENT_SECRET',
        'AZURE_TENANT_ID',
        'NO_COLOR',
        'CI',
      ],
    ],
    ['restore', ['AZURE_CLIENT_SECRET', 'ENTRA_PIM_ACCESS_TOKEN', 'AZURE_TENANT_ID', 'ENTRA_PIM_CLOUD']],
    ['verify-user', ['KEYCLOAK_PASSWORD', 'KEYCLOAK_CLIENT_SECRET', 'ENTRA_PIM_ACCESS_TOKEN', 'ENTRA_PIM_APP_ID']],
    ['activate', ['AZURE_CLIENT_SECRET', 'ENTRA_PIM_ACCESS_TOKEN']],
    ['demo', ['NO_COLOR', 'CI']],
  ])('%s --help names every variable it reads, with its examples', async (command, vars) => {
    const text = await help(command);
    for (const v of vars) expect(text, v).toContain(v);
    expect(text).toContain('Examples:');
    if (command === 'activate' || command === 'demo') expect(text).not.toContain('KEYCLOAK_PASSWORD');
  });

  it("audit accepts run's unlisted write flags, so the same command line works for both, and writes nothing", async () => {
    const sim = await startSim();
    const res = await runCli(['audit', ...args(sim, ['--yes', '--dry-run', '--journal', await journalPath()])], await tokenEnv(sim));
    expect(res.code, res.stderr).toBe(2);
    expect(sim.writes()).toHaveLength(0);
  });

  it('ENTRA_PIM_ELIGIBLE, shown in help, is read', async () => {
    const sim = await startSim();
    const res = await runCli(args(sim, [], { '--eligible': '' }), {
      ...(await tokenEnv(sim)),
      ENTRA_PIM_ELIGIBLE: 'nobody@contoso.example',
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('--eligible nobody@contoso.example: no such user in this tenant');
  });
});

describe('--config works for every command that takes options', () => {
  it('restore reads its journal and --dry-run from the file', async () => {
    const sim = await startSim();
    const journal = await journalPath();
    expect((await runCli(args(sim, ['--yes', '--journal', journal]), await tokenEnv(sim))).code).toBe(0);
    const config = await tempFile('restore.yaml', `journal: ${journal}\ndry-run: true\n`);
    const writes = sim.writes().length;
    const res = await runCli(['restore', '--config', config], await tokenEnv(sim, PERMISSION_SETS.restore));
    expect(res.code, res.stderr).toBe(2);
    expect(sim.writes()).toHaveLength(writes);
  });

  it.each([
    ['verify-user', [CONTOSO.upns.alice], 'eligible'],
    ['activate', [], 'keycloak-url'],
    ['demo', [], 'tenant-id'],
  ])('%s: a key the command does not take is refused, listing the ones it does', async (command, extra, key) => {
    const config = await tempFile('c.yaml', `${key}: x\n`);
    const res = await runCli([command, ...extra, '--config', config]);
    expect(res.code).toBe(1);
    expect(lines(res.stderr)).toEqual([expect.stringMatching(new RegExp(`^error: --config .*: unknown option "${key}" \\(allowed: `))]);
  });

  it('activate takes its options from the file', async () => {
    const config = await tempFile('a.yaml', 'tenant-id: not-a-tenant\n');
    const res = await runCli(['activate', '--config', config]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/--tenant-id not-a-tenant/);
  });
});

describe('--quiet', () => {
  const flags = (sim: { url: string }) => [
    'audit',
    '--tenant-id',
    CONTOSO.tenantId,
    '--graph-endpoint',
    sim.url,
    '--auth',
    'access-token',
    '--app-id',
    CONTOSO.keycloakAppId,
    '--group',
    'tenant-admin',
    '--app-role',
    'tenant-admin',
    '--eligible',
    CONTOSO.upns.alice,
    '--end',
    END,
    '--skip-keycloak',
  ];

  it('on a terminal: the result, no progress', async () => {
    const sim = await startSim();
    const loud = new PtySession(flags(sim), await tokenEnv(sim));
    expect(await loud.exited).toBe(2);
    expect(loud.screen).toMatch(/Checking: /);
    const quiet = new PtySession([...flags(sim), '--quiet'], await tokenEnv(sim));
    expect(await quiet.exited).toBe(2);
    expect(quiet.screen).not.toMatch(/Checking: /);
    expect(quiet.screen).toMatch(/Result: drift/);
  });

  it('demo --json --quiet: the document on stdout and nothing on stderr; errors still there', async () => {
    const quiet = await runCli(['demo', '--json', '--quiet'], { NODE_EXTRA_CA_CERTS: undefined });
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(json(quiet.stdout).status).toBe('compliant');
    expect(quiet.stderr).toBe('');
    const loud = await runCli(['demo', '--json'], { NODE_EXTRA_CA_CERTS: undefined });
    expect(loud.stderr).toMatch(/SIMULATION — run[\s\S]*Result: changed/);

    // Warnings stay: a read-only run with TLS checks off says its result cannot be trusted.
    const sim = await startSim();
    const warned = await runCli(['audit', ...args(sim, ['--quiet'])], { ...(await tokenEnv(sim)), NODE_TLS_REJECT_UNAUTHORIZED: '0' });
    expect(warned.code).toBe(2);
    expect(warned.stderr).toMatch(/^warning: NODE_TLS_REJECT_UNAUTHORIZED=0 turns off TLS certificate checks/m);

    const failed = await runCli(['audit', '--quiet', '--cloud', 'mars']);
    expect(failed.code).toBe(1);
    expect(lines(failed.stderr)).toEqual(['error: --cloud mars: unknown cloud; allowed: global, usgov, usgov-dod, china']);
  });

  it('cannot be combined with --verbose', async () => {
    const res = await runCli(['audit', '--quiet', '--verbose']);
    expect(res.code).toBe(1);
    expect(lines(res.stderr)).toEqual(["error: option '-q, --quiet' cannot be used with option '--verbose'"]);
  });
});

describe('completion', () => {
  it.each(['bash', 'zsh', 'fish'])('%s: generated from the commands and options', async (shell) => {
    const res = await runCli(['completion', shell]);
    expect(res.code).toBe(0);
    for (const command of COMMANDS) expect(res.stdout, command).toMatch(new RegExp(`\\b${command}\\b`));
    // Every long option of every command's help is offered.
    for (const command of ['audit', 'restore', 'verify-user', 'activate', 'demo']) {
      const help = (await runCli([command, '--help'])).stdout;
      for (const [, flag] of help.matchAll(/^\s+(?:-\w, )?(--[\w-]+)/gm))
        expect(res.stdout, `${command} ${flag}`).toContain(shell === 'fish' ? `-l ${flag.slice(2)}` : flag);
    }
    expect(res.stdout).toContain(shell === 'fish' ? '-l tenant-id' : '--tenant-id');
    expect(res.stdout).toContain('device-code');
  });

  it('the bash script parses (bash -n)', async () => {
    const res = await runCli(['completion', 'bash']);
    const file = await tempFile('entra-pim-setup.bash', res.stdout);
    expect(() => execFileSync('bash', ['-n', file])).not.toThrow();
    // Sourced, it completes a command and a flag.
    const out = execFileSync(
      'bash',
      [
        '-c',
        `source ${file}; COMP_WORDS=(entra-pim-setup aud); COMP_CWORD=1; _entra_pim_setup; echo "\${COMPREPLY[*]}"; COMP_WORDS=(entra-pim-setup audit --tenant); COMP_CWORD=2; _entra_pim_setup; echo "\${COMPREPLY[*]}"`,
      ],
      { encoding: 'utf8' },
    );
    expect(out.split('\n').slice(0, 2)).toEqual(['audit', '--tenant-id']);
  });

  it('an unknown shell is one line', async () => {
    const res = await runCli(['completion', 'tcsh']);
    expect(res.code).toBe(1);
    expect(lines(res.stderr)).toEqual(['error: completion tcsh: unknown shell; give bash, zsh or fish']);
  });
});

describe('restore takes the tenant, cloud and Graph endpoint from the journal', () => {
  async function ranJournal() {
    const sim = await startSim();
    const journal = await journalPath();
    const run = await runCli(args(sim, ['--yes', '--journal', journal]), await tokenEnv(sim));
    expect(run.code, run.stderr).toBe(0);
    return { sim, journal, env: await tokenEnv(sim, PERMISSION_SETS.restore) };
  }

  it('the run journals them; restore --journal alone previews, and says it is a restore preview', async () => {
    const { sim, journal, env } = await ranJournal();
    const start = JSON.parse((await readFile(journal, 'utf8')).split('\n')[0]);
    expect(start).toMatchObject({ type: 'start', tenantId: CONTOSO.tenantId, cloud: 'global', graphEndpoint: sim.url });

    const preview = await runCli(['restore', '--journal', journal, '--dry-run'], env);
    expect(preview.code, preview.stderr).toBe(2);
    expect(preview.stdout).toMatch(new RegExp(`^entra-pim-setup restore preview \\(read-only\\) — tenant ${CONTOSO.tenantId}`));
    expect(preview.stdout).not.toMatch(/audit|drift/);
    expect(preview.stdout).toContain('Result: to restore — 2 member(s) would be added back. Nothing was sent: this was a preview.');

    const done = await runCli(['restore', '--journal', journal, '--yes'], env);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain('Result: restored — 2 member(s) added back.');
    const again = await runCli(['restore', '--journal', journal, '--dry-run'], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Result: nothing to restore — no member the journal names is missing.');
    expect(sim.snapshot().groups.find((g) => g.id === G)?.members.length).toBe(2);
  });

  it('a flag or variable that contradicts the journal is one line naming it; nothing is sent', async () => {
    const { sim, journal, env } = await ranJournal();
    const before = sim.requests.length;
    const other = '11111111-2222-4333-8444-555555555555';
    const cases: Array<[string[], Record<string, string>, string]> = [
      [
        ['--tenant-id', other],
        {},
        `error: --tenant-id ${other}: the journal's run was on tenant ${CONTOSO.tenantId}; leave it out (restore takes it from the journal) or give the journal of that run`,
      ],
      [
        ['--cloud', 'usgov'],
        {},
        "error: --cloud usgov: the journal's run was on cloud global; leave it out (restore takes it from the journal) or give the journal of that run",
      ],
      [
        [],
        { ENTRA_PIM_CLOUD: 'china' },
        "error: ENTRA_PIM_CLOUD china: the journal's run was on cloud global; leave it unset (restore takes it from the journal) or give the journal of that run",
      ],
      [
        ['--graph-endpoint', 'https://graph.microsoft.com'],
        {},
        `error: --graph-endpoint https://graph.microsoft.com: the journal's run was on Graph endpoint ${sim.url}; leave it out (restore takes it from the journal) or give the journal of that run`,
      ],
    ];
    for (const [extra, vars, line] of cases) {
      const res = await runCli(['restore', '--journal', journal, '--dry-run', ...extra], { ...env, ...vars });
      expect(res.code).toBe(1);
      expect(lines(res.stderr)).toEqual([line]);
    }
    // Agreeing flags are fine.
    const same = await runCli(
      ['restore', '--journal', journal, '--dry-run', '--tenant-id', CONTOSO.tenantId.toUpperCase(), '--graph-endpoint', `${sim.url}/`],
      env,
    );
    expect(same.code, same.stderr).toBe(2);
    expect(sim.requests.length).toBeGreaterThan(before);
  });

  it('a journal naming another Graph host gets no token unless --graph-endpoint names it', async () => {
    const { sim, journal, env } = await ranJournal();
    const [first, ...rest] = (await readFile(journal, 'utf8')).split('\n');
    const forged = await tempFile(
      'forged.jsonl',
      [JSON.stringify({ ...JSON.parse(first), graphEndpoint: 'https://graph.contoso-proxy.example' }), ...rest].join('\n'),
    );
    const before = sim.requests.length;
    const res = await runCli(['restore', '--journal', forged, '--dry-run'], env);
    expect(res.code).toBe(1);
    expect(lines(res.stderr)).toEqual([
      "error: the journal's run used the Graph endpoint https://graph.contoso-proxy.example: restore sends your token there only when --graph-endpoint names it (pass --graph-endpoint https://graph.contoso-proxy.example if this is the run to undo)",
    ]);
    expect(sim.requests.length).toBe(before);
  });
});

describe('demo without a terminal', () => {
  it('--json runs start to end (no --yes needed) and prints the audit as one document', async () => {
    const res = await runCli(['demo', '--json'], { NODE_EXTRA_CA_CERTS: undefined });
    expect(res.code, res.stderr).toBe(0);
    expect(json(res.stdout)).toMatchObject({ mode: 'audit', tenantId: CONTOSO.tenantId, status: 'compliant' });
    expect(res.stderr).toMatch(/SIMULATION — demo tenant Contoso/);
  });
});
