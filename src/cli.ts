import { isatty } from 'node:tty';
import { Command, Help, Option } from 'commander';
import type { RawOptions } from './options.js';
import type { CommandIo } from './commands/session.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

const EXAMPLES = `
Examples:
  # Scripted run: everything from flags, no questions
  $ entra-pim-setup --tenant-id $TENANT --app-id $KEYCLOAK_APP_ID --group tenant-admin \\
      --app-role tenant-admin --eligible alice@contoso.com,bob@contoso.com --end 2027-03-31 --yes

  # Audit in a pipeline: read-only, exit 2 when the tenant has drifted
  $ entra-pim-setup audit --tenant-id $TENANT --app-id $KEYCLOAK_APP_ID --group tenant-admin \\
      --app-role tenant-admin --eligible alice@contoso.com --end 2027-03-31 --json

Exit codes: 0 done or compliant, 1 error, 2 audit found drift, 130 interrupted.
Secrets are read only from the environment (AZURE_CLIENT_SECRET, ENTRA_PIM_ACCESS_TOKEN,
KEYCLOAK_CLIENT_SECRET, KEYCLOAK_PASSWORD) or files, never from flags.`;

/** Adds the options shared by `run` and `audit`. Each takes its environment variable when the flag is absent. */
function addRunOptions(cmd: Command): Command {
  const opt = (flags: string, description: string, env?: string) => {
    const o = new Option(flags, description);
    return env ? o.env(env) : o;
  };
  return cmd
    .addOption(opt('--tenant-id <guid>', 'directory (tenant) id', 'AZURE_TENANT_ID'))
    .addOption(opt('--cloud <name>', 'national cloud: global, usgov, usgov-dod, china (default: global)', 'ENTRA_PIM_CLOUD'))
    .addOption(opt('--graph-endpoint <url>', 'override the Microsoft Graph base URL (https only)', 'ENTRA_PIM_GRAPH_ENDPOINT'))
    .addOption(
      opt('--auth <method>', 'sign-in: browser, device-code, client-secret, client-certificate, azure-cli, managed-identity, workload-identity, access-token', 'ENTRA_PIM_AUTH'),
    )
    .addOption(opt('--client-id <guid>', 'app (client) id to sign in to (default for browser/device-code: Microsoft Graph Command Line Tools)', 'AZURE_CLIENT_ID'))
    .addOption(opt('--app-id <guid>', 'application (client) id of the Keycloak app in Entra', 'ENTRA_PIM_APP_ID'))
    .addOption(opt('--app-name <name>', 'display name of the Keycloak enterprise app (instead of --app-id)', 'ENTRA_PIM_APP_NAME'))
    .addOption(opt('--group <name|id>', 'the admin group (display name or object id; default: tenant-admin)', 'ENTRA_PIM_GROUP'))
    .addOption(opt('--app-role <value>', 'assign the group with this app role (default: default access)', 'ENTRA_PIM_APP_ROLE'))
    .addOption(new Option('--eligible <users>', 'users to make eligible: UPNs or object ids, comma-separated, repeatable').argParser(collect))
    .addOption(opt('--start <date>', 'start of the eligibility (default: now); YYYY-MM-DD or ISO date-time, UTC', 'ENTRA_PIM_START'))
    .addOption(opt('--end <date>', 'end of the eligibility; a bare date means the end of that day (UTC), a date-time may carry Z or an offset; default (no --end, no --duration): 90 days from the start, or the group policy\'s maximum when shorter', 'ENTRA_PIM_END'))
    .addOption(opt('--duration <iso>', 'length of the eligibility instead of --end, in days or hours (P90D, PT12H); default: P90D, or the group policy\'s maximum when shorter', 'ENTRA_PIM_DURATION'))
    .addOption(opt('--justification <text>', 'justification recorded with each PIM request', 'ENTRA_PIM_JUSTIFICATION'))
    .addOption(opt('--activation-max <iso>', 'longest activation, ISO duration up to PT24H (PT8H or less recommended)'))
    .addOption(new Option('--require-justification', 'activation requires a justification'))
    .addOption(new Option('--no-require-justification', 'activation does not require a justification'))
    .addOption(new Option('--require-mfa', 'activation requires multi-factor authentication'))
    .addOption(new Option('--no-require-mfa', 'activation does not require MFA'))
    .addOption(new Option('--require-approval', 'activation requires approval (needs --approver)'))
    .addOption(new Option('--no-require-approval', 'activation needs no approval'))
    .addOption(new Option('--approver <user|group>', 'approver: UPN, group name or object id (repeatable)').argParser(collect))
    .addOption(new Option('--allow-empty', 'remove the standing members even when nobody can activate the group now (the lockout guard is off)'))
    .addOption(new Option('--convert-members', 'make each removed standing member eligible (same window as --eligible)'))
    .addOption(opt('--expiry-warning <iso>', 'warn when every usable eligibility ends within this time, in days or hours (default: P30D)', 'ENTRA_PIM_EXPIRY_WARNING'))
    .addOption(new Option('--renew', 'extend the eligibilities that end within --expiry-warning, up to --end, --duration or the policy maximum'))
    .addOption(opt('--keycloak-url <url>', 'Keycloak base URL, e.g. https://sso.example.com', 'KEYCLOAK_URL'))
    .addOption(opt('--keycloak-realm <realm>', "the tenant's realm", 'KEYCLOAK_REALM'))
    .addOption(opt('--keycloak-idp-alias <alias>', 'alias of the Entra identity provider (default: detected)', 'KEYCLOAK_IDP_ALIAS'))
    .addOption(opt('--keycloak-group <path>', 'group that grants admin rights (default: /tenant-admin)', 'KEYCLOAK_GROUP'))
    .addOption(opt('--keycloak-role <role>', 'check a realm role or clientId.role instead of a group', 'KEYCLOAK_ROLE'))
    .addOption(opt('--keycloak-client-id <id>', 'service account client (secret in KEYCLOAK_CLIENT_SECRET)', 'KEYCLOAK_CLIENT_ID'))
    .addOption(opt('--keycloak-username <user>', 'admin user (password in KEYCLOAK_PASSWORD)', 'KEYCLOAK_USERNAME'))
    .addOption(opt('--keycloak-auth-realm <realm>', 'realm to authenticate in (default: master)', 'KEYCLOAK_AUTH_REALM'))
    .addOption(opt('--keycloak-ca-file <file>', 'PEM file of a private CA for Keycloak', 'KEYCLOAK_CA_FILE'))
    .addOption(new Option('--fix-keycloak', 'create or repair the identity-provider mapper (syncMode FORCE)'))
    .addOption(new Option('--skip-keycloak', 'do not check Keycloak (leaves a warning)'))
    .addOption(new Option('-y, --yes', 'confirm every change, including removing standing members'))
    .addOption(new Option('--non-interactive', 'never ask; fail naming the flag that is missing'))
    .addOption(new Option('--dry-run', 'plan only, send no write (same as audit)'))
    .addOption(new Option('--json', 'print one JSON document on stdout'))
    .addOption(opt('--journal <file>', 'journal of every write (default: entra-pim-setup-journal-<time>.jsonl here)', 'ENTRA_PIM_JOURNAL'))
    .addOption(new Option('--report <file>', 'also write a report for change records: FILE.md (Markdown) or FILE.json (the --json document plus meta)'))
    .addOption(new Option('--verbose', 'one stderr line per HTTP call'))
    .addOption(new Option('--debug', 'also log request and response bodies (secrets redacted)'))
    .addOption(new Option('--no-color', 'no colour'))
    .addOption(new Option('--config <file>', 'read options from a YAML or JSON file (same names as the flags; flags win)'))
    .addHelpText('after', EXAMPLES);
}

/**
 * Builds the commander program; each action imports its command module on demand. `writeHelp`
 * takes commander's own output (help, version).
 */
export function buildProgram(io: CommandIo, setExit: (code: number) => void, writeHelp: (s: string) => void = io.stdout): Command {
  const program = new Command('entra-pim-setup')
    .description('Put a Keycloak admin group behind Microsoft Entra PIM for Groups: just-in-time, time-bound, auditable admin access.')
    .version(io.version, '-V, --version')
    .configureOutput({
      writeOut: writeHelp,
      writeErr: io.stderr,
      // Commander's defaults read process.stdout and process.stderr, and creating those streams
      // is a measurable share of `--help`: a terminal's width is asked only when there is one.
      getOutHelpWidth: () => (isatty(1) ? process.stdout.columns : undefined) as number,
      getErrHelpWidth: () => (isatty(2) ? process.stderr.columns : undefined) as number,
      // The help text has no colour of its own.
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .addHelpText('after', EXAMPLES)
    .exitOverride();

  // Each command's options are added only when commander dispatches to that command: `--help`
  // then builds none of the ~150 options, which is a measurable share of its start-up time.
  const deferred = new Map<Command, (cmd: Command) => void>();
  const complete = (cmd: Command) => {
    const addOptions = deferred.get(cmd);
    deferred.delete(cmd);
    addOptions?.(cmd);
  };
  const later = (cmd: Command, addOptions: (cmd: Command) => void): Command => {
    deferred.set(cmd, addOptions);
    // `help <command>` prints the command's help without dispatching to it.
    cmd.on('beforeHelp', () => complete(cmd));
    return cmd;
  };
  program.hook('preSubcommand', (_program, sub) => complete(sub));
  program.configureHelp({
    // Commander marks "[options]" from the options already added; a deferred command has them too.
    subcommandTerm(cmd: Command): string {
      const term = Help.prototype.subcommandTerm.call(this, cmd);
      return deferred.has(cmd) ? `${cmd.name()} [options]${term.slice(cmd.name().length)}` : term;
    },
  });

  const runAction = (mode: 'run' | 'audit') => async (opts: RawOptions & { config?: string }, cmd: Command) => {
    if (opts.config) {
      const { applyConfigFile } = await import('./config.js');
      await applyConfigFile(opts.config, cmd);
    }
    const raw = { ...cmd.opts() } as RawOptions & { eligible?: string[]; config?: string };
    delete raw.config;
    if (!raw.eligible && io.env.ENTRA_PIM_ELIGIBLE) raw.eligible = [io.env.ENTRA_PIM_ELIGIBLE];
    if (!raw.approver && io.env.ENTRA_PIM_APPROVER) raw.approver = [io.env.ENTRA_PIM_APPROVER];
    const { runCommand } = await import('./commands/run.js');
    setExit(await runCommand(mode, raw, io));
  };

  later(
    program
      .command('run', { isDefault: true })
      .description('configure Entra (and check Keycloak): the default command')
      .action(runAction('run')),
    addRunOptions,
  );
  later(
    program
      .command('audit')
      .description('read-only: report what is compliant and what would change; exit 2 on drift')
      .action(runAction('audit')),
    addRunOptions,
  );
  const restore = program
    .command('restore')
    .description('put back every member a journal says was removed (idempotent)')
    .action(async (opts: RawOptions & { journal: string; restoreJournal?: string }) => {
      const { restoreCommand } = await import('./commands/restore.js');
      const { journal, ...rest } = opts;
      setExit(await restoreCommand({ ...rest, from: journal }, io));
    });
  later(restore, (cmd) =>
    cmd
      .requiredOption('--journal <file>', 'the journal of the run to undo')
      .addOption(new Option('--tenant-id <guid>', 'directory (tenant) id (default: the journal\'s)').env('AZURE_TENANT_ID'))
      .addOption(new Option('--cloud <name>', 'national cloud: global, usgov, usgov-dod, china').env('ENTRA_PIM_CLOUD'))
      .addOption(new Option('--graph-endpoint <url>', 'override the Microsoft Graph base URL (https only)').env('ENTRA_PIM_GRAPH_ENDPOINT'))
      .addOption(new Option('--auth <method>', 'sign-in method (as for run)').env('ENTRA_PIM_AUTH'))
      .addOption(new Option('--client-id <guid>', 'app (client) id to sign in to (as for run)').env('AZURE_CLIENT_ID'))
      .addOption(new Option('--group <id>', "object id of the group to restore into: must be the journal's run's; required for a role-assignable group or a journal that does not record its group"))
      .addOption(new Option('--restore-journal <file>', "journal of restore's own writes (default: a new timestamped file here)"))
      .addOption(new Option('--report <file>', 'also write a report for change records: FILE.md (Markdown) or FILE.json'))
      .addOption(new Option('--dry-run', 'preview: show who would be added back, send nothing'))
      .addOption(new Option('-y, --yes', 'confirm adding the members back'))
      .addOption(new Option('--non-interactive', 'never ask'))
      .addOption(new Option('--json', 'print one JSON document on stdout'))
      .addOption(new Option('--verbose', 'one stderr line per HTTP call'))
      .addOption(new Option('--debug', 'also log bodies (secrets redacted)'))
      .addOption(new Option('--no-color', 'no colour'))
      .addHelpText(
        'after',
        `
Examples:
  # Preview on a terminal: who would be added back
  $ entra-pim-setup restore --journal entra-pim-setup-journal-2026-11-26T10-00-00-000Z.jsonl --dry-run

  # Scripted restore: sign-in from the environment, no questions, a report for the change record
  $ entra-pim-setup restore --journal run.jsonl --yes --report restore.md

  # Preview in a pipeline: read-only, exit 2 when someone would be added back, 0 when all are back
  $ entra-pim-setup restore --journal run.jsonl --dry-run --json

Exit codes: 0 done or nothing to restore, 1 error, 2 preview found members to add back, 130 interrupted.`,
      ),
  );
  const demo = program
    .command('demo')
    .description('try it with no tenant and no credentials: the wizard against a built-in simulated tenant and Keycloak, then an audit')
    .action(async (opts: RawOptions & { keep?: boolean }) => {
      const { demoCommand } = await import('./commands/demo.js');
      setExit(await demoCommand(opts, io));
    });
  later(demo, (cmd) =>
    cmd
      .addOption(new Option('-y, --yes', 'ask nothing and confirm every change (the simulation is the only thing changed)'))
      .addOption(new Option('--json', "print only the final audit's JSON document on stdout"))
      .addOption(new Option('--keep', "keep the temporary folder with the simulated run's journal"))
      .addOption(new Option('--non-interactive', 'never ask'))
      .addOption(new Option('--verbose', 'one stderr line per HTTP call'))
      .addOption(new Option('--debug', 'also log request and response bodies (secrets redacted)'))
      .addOption(new Option('--no-color', 'no colour'))
      .addHelpText('after', '\nExample:\n  $ npx entra-pim-setup demo --yes\n\nExit code: the final audit\'s, 0 when the simulated tenant ends compliant.'),
  );
  // The runbook's test as commands: verify-user reads one user's state in Entra and Keycloak,
  // activate is the user's own PIM self-activation. Options are listed here, not shared with
  // run, since most run flags mean nothing to them.
  const commonGraph = (cmd: Command) =>
    cmd
      .addOption(new Option('--tenant-id <guid>', 'directory (tenant) id').env('AZURE_TENANT_ID'))
      .addOption(new Option('--cloud <name>', 'national cloud: global, usgov, usgov-dod, china').env('ENTRA_PIM_CLOUD'))
      .addOption(new Option('--graph-endpoint <url>', 'override the Microsoft Graph base URL (https only)').env('ENTRA_PIM_GRAPH_ENDPOINT'))
      .addOption(new Option('--auth <method>', 'sign-in method (as for run)').env('ENTRA_PIM_AUTH'))
      .addOption(new Option('--client-id <guid>', 'app (client) id to sign in to (as for run)').env('AZURE_CLIENT_ID'));
  const commonOutput = (cmd: Command) =>
    cmd
      .addOption(new Option('--json', 'print one JSON document on stdout'))
      .addOption(new Option('--non-interactive', 'never ask'))
      .addOption(new Option('--verbose', 'one stderr line per HTTP call'))
      .addOption(new Option('--debug', 'also log bodies (secrets redacted)'))
      .addOption(new Option('--no-color', 'no colour'));
  const verifyUser = program
    .command('verify-user')
    .argument('<user>', 'user principal name or object id')
    .description("the runbook's test: the user's PIM eligibility and activation, the Keycloak user's groups and link, and a verdict")
    .action(async (user: string, opts: RawOptions & { expect?: string }) => {
      const { verifyUserCommand } = await import('./commands/verify-user.js');
      setExit(await verifyUserCommand(user, opts, io));
    });
  later(verifyUser, (cmd) =>
    commonOutput(
      commonGraph(cmd)
        .addOption(new Option('--app-id <guid>', 'application (client) id of the Keycloak app in Entra').env('ENTRA_PIM_APP_ID'))
        .addOption(new Option('--app-name <name>', 'display name of the Keycloak enterprise app (instead of --app-id)').env('ENTRA_PIM_APP_NAME'))
        .addOption(new Option('--group <name|id>', 'the admin group (default: tenant-admin)').env('ENTRA_PIM_GROUP'))
        .addOption(new Option('--app-role <value>', 'app-role mode (as for run)').env('ENTRA_PIM_APP_ROLE'))
        .addOption(new Option('--keycloak-url <url>', 'Keycloak base URL').env('KEYCLOAK_URL'))
        .addOption(new Option('--keycloak-realm <realm>', "the tenant's realm").env('KEYCLOAK_REALM'))
        .addOption(new Option('--keycloak-idp-alias <alias>', 'alias of the Entra identity provider (default: detected)').env('KEYCLOAK_IDP_ALIAS'))
        .addOption(new Option('--keycloak-group <path>', 'group that grants admin rights (default: /tenant-admin)').env('KEYCLOAK_GROUP'))
        .addOption(new Option('--keycloak-role <role>', 'check a realm role or clientId.role instead of a group').env('KEYCLOAK_ROLE'))
        .addOption(new Option('--keycloak-client-id <id>', 'service account client (secret in KEYCLOAK_CLIENT_SECRET)').env('KEYCLOAK_CLIENT_ID'))
        .addOption(new Option('--keycloak-username <user>', 'admin user (password in KEYCLOAK_PASSWORD)').env('KEYCLOAK_USERNAME'))
        .addOption(new Option('--keycloak-auth-realm <realm>', 'realm to authenticate in (default: master)').env('KEYCLOAK_AUTH_REALM'))
        .addOption(new Option('--keycloak-ca-file <file>', 'PEM file of a private CA for Keycloak').env('KEYCLOAK_CA_FILE'))
        .addOption(new Option('--skip-keycloak', 'check Entra only'))
        .addOption(new Option('--expect <admin|user>', 'exit 2 unless the verdict is this: admin = active and mapped, user = no admin rights')),
    )
      .addHelpText(
        'after',
        `
Examples:
  # After signing in without activating: only user rights expected
  $ entra-pim-setup verify-user alice@contoso.com --tenant-id $TENANT --app-id $KEYCLOAK_APP_ID \\
      --keycloak-url https://sso.example.com --keycloak-realm acme --keycloak-client-id pim-audit --expect user

Verdicts: not eligible, eligible (not active), active and mapped, active but not mapped (with the
reason), not active but still mapped (with the reason).
Exit codes: 0 as expected (or no --expect), 1 error, 2 not as expected.`,
      ),
  );
  const activate = program
    .command('activate')
    .description('PIM self-activation of the admin group for the signed-in eligible user (delegated sign-in)')
    .action(async (opts: RawOptions & { deactivate?: boolean }) => {
      const { activateCommand } = await import('./commands/activate.js');
      setExit(await activateCommand(opts, io));
    });
  later(activate, (cmd) =>
    commonOutput(
      commonGraph(cmd)
        .addOption(new Option('--group <name|id>', 'the group to activate (default: the only one you are eligible for)'))
        .addOption(new Option('--duration <iso>', "how long, e.g. PT2H (default and limit: the policy's maximum)"))
        .addOption(new Option('--justification <text>', 'why you need admin rights (required by most policies)'))
        .addOption(new Option('--deactivate', 'end your activation early')),
    )
      .addHelpText(
        'after',
        `
Examples:
  $ entra-pim-setup activate --tenant-id $TENANT --auth browser --duration PT2H --justification "INC-1234"
  $ entra-pim-setup activate --tenant-id $TENANT --auth browser --deactivate

Exit codes: 0 active (or ended, or already active), 1 error or refused, 2 waiting for approval.`,
      ),
  );
  return program;
}
