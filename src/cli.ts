import { Command, Help, Option } from 'commander';
import type { RawOptions } from './options.js';
import type { TargetConfig } from './config-targets.js';
import type { CommandIo } from './commands/session.js';
import { COMMAND_OPTIONS, environmentOf, HELP_GROUPS, optionDef, type OptionUse } from './cli-options.js';
import { isTerminal } from './ui/terminal.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

const SCRIPTED_RUN = `  # Scripted run: everything from flags, no questions
  $ entra-pim-setup --tenant-id $TENANT --app-id $KEYCLOAK_APP_ID --group tenant-admin \\
      --app-role tenant-admin --eligible alice@contoso.com,bob@contoso.com --end 2027-03-31 --yes`;
const PIPELINE_AUDIT = `  # Audit in a pipeline: read-only, exit 2 when the tenant has drifted
  $ entra-pim-setup audit --tenant-id $TENANT --app-id $KEYCLOAK_APP_ID --group tenant-admin \\
      --app-role tenant-admin --eligible alice@contoso.com --end 2027-03-31 --json`;
const SECRETS = `Secrets are read only from the environment (AZURE_CLIENT_SECRET, ENTRA_PIM_ACCESS_TOKEN,
KEYCLOAK_CLIENT_SECRET, KEYCLOAK_PASSWORD) or files, never from flags.`;

const ROOT_HELP = `
Examples:
  # Try it first: the wizard against a built-in simulated tenant
  $ entra-pim-setup demo

${SCRIPTED_RUN}

${PIPELINE_AUDIT}

  # Shell completion (bash; also zsh, fish)
  $ source <(entra-pim-setup completion bash)

Each command's own options and examples: entra-pim-setup help <command>.
Exit codes: 0 done or compliant, 1 error, 2 audit found drift, 130 interrupted.
${SECRETS}`;

/** Each command's examples and exit codes, shown after its options. */
const COMMAND_HELP: Record<string, string> = {
  run: `Examples:
${SCRIPTED_RUN}

  # On a terminal: the wizard asks for whatever flags did not give
  $ entra-pim-setup --tenant-id $TENANT

  # The same flags from a file (flags win over it)
  $ entra-pim-setup --config pim.yaml --yes

${PIPELINE_AUDIT}

Exit codes: 0 done or compliant, 1 error, 130 interrupted (2 with --dry-run: drift found).`,
  audit: `Examples:
${PIPELINE_AUDIT}

  # Only the result on stdout, for a log (errors and warnings still on stderr)
  $ entra-pim-setup audit --config pim.yaml --quiet

${SCRIPTED_RUN}

Exit codes: 0 compliant, 1 error, 2 drift (something would change, or an error to fix), 130 interrupted.`,
  restore: `Examples:
  # Preview on a terminal: who would be added back (tenant, cloud and Graph endpoint from the journal)
  $ entra-pim-setup restore --journal entra-pim-setup-journal-2026-11-26T10-00-00-000Z.jsonl --dry-run

  # Scripted restore: sign-in from the environment, no questions, a report for the change record
  $ entra-pim-setup restore --journal run.jsonl --yes --report restore.md

  # Preview in a pipeline: read-only, exit 2 when someone would be added back, 0 when all are back
  $ entra-pim-setup restore --journal run.jsonl --dry-run --json

Exit codes: 0 done or nothing to restore, 1 error, 2 preview found members to add back, 130 interrupted.`,
  demo: `Examples:
  # Interactive: the wizard asks, the simulation answers
  $ entra-pim-setup demo

  # No questions; only the final audit's JSON document on stdout
  $ entra-pim-setup demo --json

Exit code: the final audit's, 0 when the simulated tenant ends compliant.`,
  'verify-user': `Examples:
  # After signing in without activating: only user rights expected
  $ entra-pim-setup verify-user alice@contoso.com --tenant-id $TENANT --app-id $KEYCLOAK_APP_ID \\
      --keycloak-url https://sso.example.com --keycloak-realm acme --keycloak-client-id pim-audit --expect user

Verdicts: not eligible, eligible (not active), active and mapped, active but not mapped (with the
reason), not active but still mapped (with the reason).
Exit codes: 0 as expected (or no --expect), 1 error, 2 not as expected.`,
  activate: `Examples:
  $ entra-pim-setup activate --tenant-id $TENANT --auth browser --duration PT2H --justification "INC-1234"
  $ entra-pim-setup activate --tenant-id $TENANT --auth browser --deactivate

Exit codes: 0 active (or ended, or already active), 1 error or refused, 2 waiting for approval.`,
};

/** Builds one commander option from the table. */
function makeOption(use: OptionUse): Option {
  const def = optionDef(use);
  const o = new Option(def.flags, def.help).helpGroup(HELP_GROUPS[def.group]);
  if (def.env) o.env(def.env);
  if (def.list) o.argParser(collect);
  if (def.conflicts) o.conflicts(def.conflicts);
  if (def.hidden) o.hideHelp();
  return o;
}

/** Adds a command's options (from the table) and its help text: examples, then the variables it reads. */
function addOptions(cmd: Command): Command {
  const name = cmd.name();
  for (const use of COMMAND_OPTIONS[name] ?? []) cmd.addOption(makeOption(use));
  const env = environmentOf(name);
  const width = Math.max(...env.map((e) => e.name.length));
  const envText = env.length
    ? `\n\nEnvironment (besides the variables named with each option):\n${env.map((e) => `  ${e.name.padEnd(width)}  ${e.help}`).join('\n')}`
    : '';
  return cmd.addHelpText('after', `\n${COMMAND_HELP[name] ?? ''}${envText}${name === 'run' || name === 'audit' ? `\n${SECRETS}` : ''}`);
}

/** Damerau-Levenshtein distance (adjacent swaps count one), for "did you mean". */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The command a mistyped word most likely meant: a close spelling, or a command it begins. */
export function suggestCommand(word: string, names: string[]): string | undefined {
  const w = word.toLowerCase();
  if (w === 'version') return '--version';
  let best: { name: string; d: number } | undefined;
  for (const name of names) {
    const d = w.length >= 3 && name.startsWith(w) ? 0.5 : distance(w, name);
    if (d <= Math.max(1, Math.floor(name.length * 0.4)) && (!best || d < best.d)) best = { name, d };
  }
  return best?.name;
}

/**
 * The first word of `args` that is not an option or an option's value, read with `cmd`'s
 * options: commander hands a default command every word it did not recognise.
 */
function firstOperand(args: string[], cmd: Command): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') return args[i + 1];
    if (!arg.startsWith('-') || arg === '-') return arg;
    if (arg.includes('=')) continue;
    const option = cmd.options.find((o) => o.long === arg || o.short === arg);
    if (option && (option.required || option.optional)) i++;
  }
  return undefined;
}

/**
 * Builds the commander program; each action imports its command module on demand. `writeHelp`
 * takes commander's own output (help, version); `onJson` is told when a command's options (a
 * config file included) ask for --json, so an error can still print its one document.
 */
export function buildProgram(
  io: CommandIo,
  setExit: (code: number) => void,
  writeHelp: (s: string) => void = io.stdout,
  onJson: () => void = () => {},
): Command {
  const program = new Command('entra-pim-setup')
    .description('Put a Keycloak admin group behind Microsoft Entra PIM for Groups: just-in-time, time-bound, auditable admin access.')
    .version(io.version, '-V, --version')
    .configureOutput({
      writeOut: writeHelp,
      writeErr: io.stderr,
      // Commander's defaults read process.stdout and process.stderr, and creating those streams
      // is a measurable share of `--help`: a terminal's width is asked only when there is one.
      getOutHelpWidth: () => (isTerminal(1) ? process.stdout.columns : undefined) as number,
      getErrHelpWidth: () => (isTerminal(2) ? process.stderr.columns : undefined) as number,
      // The help text has no colour of its own.
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .addHelpText('after', ROOT_HELP)
    // Our own "unknown command" line (one line, with the suggestion) replaces commander's.
    .showSuggestionAfterError(false)
    .exitOverride();

  const unknownCommand = (word: string): never => {
    const names = program.commands.map((c) => c.name());
    const suggestion = suggestCommand(word, names);
    const hint = suggestion ? `did you mean '${suggestion}'?` : `commands: ${names.join(', ')}`;
    return program.error(`error: unknown command '${word}'; ${hint}`, { code: 'commander.unknownCommand', exitCode: 1 });
  };

  // Each command's options are added only when commander dispatches to that command: `--help`
  // then builds none of the ~180 options, which is a measurable share of its start-up time.
  const deferred = new Set<Command>();
  const complete = (cmd: Command) => {
    if (deferred.delete(cmd)) addOptions(cmd);
  };
  const later = (cmd: Command): Command => {
    deferred.add(cmd);
    // `help <command>` prints the command's help without dispatching to it.
    cmd.on('beforeHelp', () => complete(cmd));
    return cmd;
  };
  program.hook('preSubcommand', (prog, sub) => {
    complete(sub);
    // `run` is the default command: commander gives it every word it did not know (`aduit`,
    // `restor`), which would make a typo the command that writes. A word only `run` was handed
    // is refused here, before anything is parsed further.
    if (sub.name() === 'run' && prog.args[0] !== 'run') {
      const word = firstOperand(prog.args, sub);
      if (word === undefined) return;
      if (program.commands.some((c) => c.name() === word)) {
        program.error(`error: '${word}' is a command: give it first, before the options (entra-pim-setup ${word} [options])`, {
          code: 'commander.unknownCommand',
          exitCode: 1,
        });
      }
      unknownCommand(word);
    }
  });
  program.configureHelp({
    // Commander marks "[options]" from the options already added; a deferred command has them too.
    subcommandTerm(cmd: Command): string {
      const term = Help.prototype.subcommandTerm.call(this, cmd);
      return deferred.has(cmd) ? `${cmd.name()} [options]${term.slice(cmd.name().length)}` : term;
    },
  });

  /**
   * The common start of every action: the options of a --config file (flags win over it), and
   * whether the result is to be JSON.
   */
  const optionsOf = async <T extends object>(cmd: Command): Promise<T & { targets?: TargetConfig[] }> => {
    const given = cmd.opts() as { config?: string; json?: boolean };
    if (given.json) onJson();
    let targets: TargetConfig[] | undefined;
    if (given.config) {
      const { applyConfigFile } = await import('./config.js');
      targets = await applyConfigFile(given.config, cmd);
    }
    const raw = { ...cmd.opts() } as T & { config?: string; json?: boolean; targets?: TargetConfig[] };
    delete raw.config;
    if (targets) raw.targets = targets;
    if (raw.json) onJson();
    return raw;
  };

  const runAction = (mode: 'run' | 'audit') => async (_opts: unknown, cmd: Command) => {
    const { targets, ...raw } = await optionsOf<RawOptions>(cmd);
    if (targets) {
      // A config file's `targets:` list: several apps, groups and realms under one sign-in.
      const { targetsCommand } = await import('./commands/targets.js');
      return setExit(await targetsCommand(mode, raw, targets, io));
    }
    // Evaluated on demand, but bundled into dist/main.cjs (tsup.config.ts): on a terminal the
    // wizard's first question then needs no ES module.
    const { runCommand } = await import('./commands/run.js');
    setExit(await runCommand(mode, raw, io));
  };

  later(
    program
      .command('run', { isDefault: true })
      .description('configure Entra (and check Keycloak): the default command')
      .action(runAction('run')),
  );
  later(
    program
      .command('audit')
      .description('read-only: report what is compliant and what would change; exit 2 on drift')
      .action(runAction('audit')),
  );
  later(
    program
      .command('restore')
      .description('put back every member a journal says was removed (idempotent); tenant, cloud and Graph endpoint from the journal')
      .action(async (_opts: unknown, cmd: Command) => {
        const raw = await optionsOf<RawOptions & { restoreJournal?: string }>(cmd);
        const { restoreCommand } = await import('./commands/restore.js');
        const { journal, ...rest } = raw;
        // Where each sign-in value came from: the journal's own values win over defaults and are
        // checked against flags, config and environment.
        const sources = Object.fromEntries(['tenantId', 'cloud', 'graphEndpoint'].map((k) => [k, cmd.getOptionValueSource(k)]));
        setExit(await restoreCommand({ ...rest, from: journal, sources }, io));
      }),
  );
  later(
    program
      .command('demo')
      .description('try it with no tenant and no credentials: the wizard against a built-in simulated tenant and Keycloak, then an audit')
      .action(async (_opts: unknown, cmd: Command) => {
        const raw = await optionsOf<RawOptions & { keep?: boolean }>(cmd);
        const { demoCommand } = await import('./commands/demo.js');
        setExit(await demoCommand(raw, io));
      }),
  );
  // The runbook's test as commands: verify-user reads one user's state in Entra and Keycloak,
  // activate is the user's own PIM self-activation.
  later(
    program
      .command('verify-user')
      .argument('<user>', 'user principal name or object id')
      .description("the runbook's test: the user's PIM eligibility and activation, the Keycloak user's groups and link, and a verdict")
      .action(async (user: string, _opts: unknown, cmd: Command) => {
        const raw = await optionsOf<RawOptions & { expect?: string }>(cmd);
        const { verifyUserCommand } = await import('./commands/verify-user.js');
        setExit(await verifyUserCommand(user, raw, io));
      }),
  );
  later(
    program
      .command('activate')
      .description('PIM self-activation of the admin group for the signed-in eligible user (delegated sign-in)')
      .action(async (_opts: unknown, cmd: Command) => {
        const raw = await optionsOf<RawOptions & { deactivate?: boolean }>(cmd);
        const { activateCommand } = await import('./commands/activate.js');
        setExit(await activateCommand(raw, io));
      }),
  );
  program
    .command('completion')
    .argument('<shell>', 'bash, zsh or fish')
    .description('print a shell completion script: bash, zsh or fish (e.g. source <(entra-pim-setup completion bash))')
    .addHelpText(
      'after',
      `
Examples:
  $ source <(entra-pim-setup completion bash)                 # bash, this shell
  $ entra-pim-setup completion zsh > "\${fpath[1]}/_entra-pim-setup"
  $ entra-pim-setup completion fish > ~/.config/fish/completions/entra-pim-setup.fish`,
    )
    .action(async (shell: string) => {
      for (const cmd of [...deferred]) complete(cmd);
      const { completionScript } = await import('./commands/completion.js');
      io.stdout(completionScript(shell, program));
      setExit(0);
    });
  // commander's own help command would send `help nope` to the root help; this one says the
  // command is unknown, as a mistyped command does.
  program
    .command('help')
    .argument('[command]', 'the command to describe')
    .description('display help for command')
    .action((name?: string) => {
      if (name === undefined) return program.help();
      const sub = program.commands.find((c) => c.name() === name);
      return sub ? sub.help() : unknownCommand(name);
    });
  return program;
}
