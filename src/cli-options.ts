/**
 * Every option of every command, declared once: each command lists the keys it takes (with a
 * command's own wording where the meaning narrows), and help groups, `--config` and completion
 * all read this one table. Plain data, so `--help` pays nothing for options it does not show.
 */

/** Help groups, in the order they are shown. */
export const HELP_GROUPS = {
  signIn: 'Sign-in options:',
  target: 'Target options:',
  eligibility: 'Eligibility options:',
  policy: 'Activation policy options:',
  keycloak: 'Keycloak options:',
  output: 'Output options:',
  safety: 'Safety options:',
  general: 'Options:',
} as const;

export type HelpGroup = keyof typeof HELP_GROUPS;

export interface OptionDef {
  flags: string;
  help: string;
  group: HelpGroup;
  /** The environment variable read when the flag is absent (shown in help by commander). */
  env?: string;
  /** Repeatable: each use (and a comma-separated value) adds to a list. */
  list?: boolean;
  /** Option keys this one cannot be combined with. */
  conflicts?: string[];
  /** What completion offers for the value: a file name, or one of fixed words. */
  value?: 'file' | 'auth' | 'cloud' | readonly string[];
  /** Accepted but not listed: a flag that means nothing to this command, kept so the same flags work for run and audit. */
  hidden?: boolean;
}

export const OPTIONS = {
  tenantId: {
    flags: '--tenant-id <id|domain>',
    help: 'directory (tenant) id, or a verified domain of the tenant (contoso.onmicrosoft.com)',
    group: 'signIn',
    env: 'AZURE_TENANT_ID',
  },
  cloud: {
    flags: '--cloud <name>',
    help: 'national cloud: global, usgov, usgov-dod, china (default: global)',
    group: 'signIn',
    env: 'ENTRA_PIM_CLOUD',
    value: 'cloud',
  },
  graphEndpoint: {
    flags: '--graph-endpoint <url>',
    help: 'override the Microsoft Graph base URL (https only)',
    group: 'signIn',
    env: 'ENTRA_PIM_GRAPH_ENDPOINT',
  },
  auth: {
    flags: '--auth <method>',
    help: 'sign-in: browser, device-code, client-secret, client-certificate, azure-cli, managed-identity, workload-identity, access-token',
    group: 'signIn',
    env: 'ENTRA_PIM_AUTH',
    value: 'auth',
  },
  clientId: {
    flags: '--client-id <guid>',
    help: 'app (client) id to sign in to (default for browser/device-code: Microsoft Graph Command Line Tools)',
    group: 'signIn',
    env: 'AZURE_CLIENT_ID',
  },

  appId: {
    flags: '--app-id <guid>',
    help: 'application (client) id of the Keycloak app in Entra',
    group: 'target',
    env: 'ENTRA_PIM_APP_ID',
  },
  appName: {
    flags: '--app-name <name>',
    help: 'display name of the Keycloak enterprise app (instead of --app-id)',
    group: 'target',
    env: 'ENTRA_PIM_APP_NAME',
  },
  group: {
    flags: '--group <name|id>',
    help: 'the admin group (display name or object id; default: tenant-admin)',
    group: 'target',
    env: 'ENTRA_PIM_GROUP',
  },
  appRole: {
    flags: '--app-role <value>',
    help: 'assign the group with this app role (default: default access)',
    group: 'target',
    env: 'ENTRA_PIM_APP_ROLE',
  },

  eligible: {
    flags: '--eligible <users>',
    help: 'users to make eligible: UPNs or object ids, comma-separated, repeatable',
    group: 'eligibility',
    env: 'ENTRA_PIM_ELIGIBLE',
    list: true,
  },
  start: {
    flags: '--start <date>',
    help: 'start of the eligibility (default: now); YYYY-MM-DD or ISO date-time, UTC',
    group: 'eligibility',
    env: 'ENTRA_PIM_START',
  },
  end: {
    flags: '--end <date>',
    help:
      'end of the eligibility; a bare date means the end of that day (UTC), a date-time may carry Z or an offset; default (no ' +
      "--end, no --duration): 90 days from the start, or the group policy's maximum when shorter",
    group: 'eligibility',
    env: 'ENTRA_PIM_END',
  },
  duration: {
    flags: '--duration <iso>',
    help: "length of the eligibility instead of --end, in days or hours (P90D, PT12H); default: P90D, or the group policy's maximum when shorter",
    group: 'eligibility',
    env: 'ENTRA_PIM_DURATION',
  },
  justification: {
    flags: '--justification <text>',
    help: 'justification recorded with each PIM request',
    group: 'eligibility',
    env: 'ENTRA_PIM_JUSTIFICATION',
  },
  ticketNumber: {
    flags: '--ticket-number <n>',
    help: "change ticket sent as PIM ticketInfo with each eligibility request (required when the group's policy requires ticket information)",
    group: 'eligibility',
    env: 'ENTRA_PIM_TICKET_NUMBER',
  },
  ticketSystem: {
    flags: '--ticket-system <name>',
    help: 'the ticket system of --ticket-number, e.g. ServiceNow',
    group: 'eligibility',
    env: 'ENTRA_PIM_TICKET_SYSTEM',
  },
  expiryWarning: {
    flags: '--expiry-warning <iso>',
    help: 'warn when every usable eligibility ends within this time, in days or hours (default: P30D)',
    group: 'eligibility',
    env: 'ENTRA_PIM_EXPIRY_WARNING',
  },
  renew: {
    flags: '--renew',
    help: 'extend the eligibilities that end within --expiry-warning, up to --end, --duration or the policy maximum',
    group: 'eligibility',
  },
  convertMembers: {
    flags: '--convert-members',
    help: 'make each removed standing member eligible (same window as --eligible)',
    group: 'eligibility',
  },

  activationMax: {
    flags: '--activation-max <iso>',
    help: 'longest activation, ISO duration up to PT24H (PT8H or less recommended)',
    group: 'policy',
  },
  requireJustification: { flags: '--require-justification', help: 'activation requires a justification', group: 'policy' },
  noRequireJustification: { flags: '--no-require-justification', help: 'activation does not require a justification', group: 'policy' },
  requireMfa: { flags: '--require-mfa', help: 'activation requires multi-factor authentication', group: 'policy' },
  noRequireMfa: { flags: '--no-require-mfa', help: 'activation does not require MFA', group: 'policy' },
  requireApproval: { flags: '--require-approval', help: 'activation requires approval (needs --approver)', group: 'policy' },
  noRequireApproval: { flags: '--no-require-approval', help: 'activation needs no approval', group: 'policy' },
  approver: {
    flags: '--approver <user|group>',
    help: 'approver: UPN, group name or object id (repeatable)',
    group: 'policy',
    env: 'ENTRA_PIM_APPROVER',
    list: true,
  },

  keycloakUrl: {
    flags: '--keycloak-url <url>',
    help: 'Keycloak base URL, e.g. https://sso.example.com',
    group: 'keycloak',
    env: 'KEYCLOAK_URL',
  },
  keycloakRealm: { flags: '--keycloak-realm <realm>', help: "the tenant's realm", group: 'keycloak', env: 'KEYCLOAK_REALM' },
  keycloakIdpAlias: {
    flags: '--keycloak-idp-alias <alias>',
    help: 'alias of the Entra identity provider (default: detected)',
    group: 'keycloak',
    env: 'KEYCLOAK_IDP_ALIAS',
  },
  keycloakGroup: {
    flags: '--keycloak-group <path>',
    help: 'group that grants admin rights (default: /tenant-admin)',
    group: 'keycloak',
    env: 'KEYCLOAK_GROUP',
  },
  keycloakRole: {
    flags: '--keycloak-role <role>',
    help: 'check a realm role or clientId.role instead of a group',
    group: 'keycloak',
    env: 'KEYCLOAK_ROLE',
  },
  keycloakClientId: {
    flags: '--keycloak-client-id <id>',
    help: 'service account client (secret in KEYCLOAK_CLIENT_SECRET)',
    group: 'keycloak',
    env: 'KEYCLOAK_CLIENT_ID',
  },
  keycloakUsername: {
    flags: '--keycloak-username <user>',
    help: 'admin user (password in KEYCLOAK_PASSWORD)',
    group: 'keycloak',
    env: 'KEYCLOAK_USERNAME',
  },
  keycloakAuthRealm: {
    flags: '--keycloak-auth-realm <realm>',
    help: 'realm to authenticate in (default: master)',
    group: 'keycloak',
    env: 'KEYCLOAK_AUTH_REALM',
  },
  keycloakCaFile: {
    flags: '--keycloak-ca-file <file>',
    help: 'PEM file of a private CA for Keycloak',
    group: 'keycloak',
    env: 'KEYCLOAK_CA_FILE',
    value: 'file',
  },
  fixKeycloak: { flags: '--fix-keycloak', help: 'create or repair the identity-provider mapper (syncMode FORCE)', group: 'keycloak' },
  skipKeycloak: { flags: '--skip-keycloak', help: 'do not check Keycloak (leaves a warning)', group: 'keycloak' },

  json: { flags: '--json', help: 'print one JSON document on stdout (on an error too: status "failed" with error.code)', group: 'output' },
  report: {
    flags: '--report <file>',
    help: 'also write a report for change records: FILE.md (Markdown) or FILE.json (the --json document plus summary, rollback and meta)',
    group: 'output',
    value: 'file',
  },
  quiet: {
    flags: '-q, --quiet',
    help: 'print only the result: no progress or log lines on stderr (warnings and errors still)',
    group: 'output',
    conflicts: ['verbose', 'debug'],
  },
  verbose: { flags: '--verbose', help: 'one stderr line per HTTP call', group: 'output' },
  debug: { flags: '--debug', help: 'also log request and response bodies (secrets redacted)', group: 'output' },
  noColor: { flags: '--no-color', help: 'no colour (also NO_COLOR)', group: 'output' },

  yes: { flags: '-y, --yes', help: 'confirm every change, including removing standing members', group: 'safety' },
  nonInteractive: { flags: '--non-interactive', help: 'never ask; fail naming the flag that is missing', group: 'safety' },
  dryRun: { flags: '--dry-run', help: 'plan only, send no write (same as audit)', group: 'safety' },
  allowEmpty: {
    flags: '--allow-empty',
    help: 'remove the standing members even when nobody can activate the group now (the lockout guard is off)',
    group: 'safety',
  },
  journal: {
    flags: '--journal <file>',
    help: 'journal of every write (default: entra-pim-setup-journal-<time>.jsonl here)',
    group: 'safety',
    env: 'ENTRA_PIM_JOURNAL',
    value: 'file',
  },
  out: {
    flags: '--out <file>',
    help: 'save the plan (inputs, digest of what was read, findings, exact requests) to this file, 0600 (audit, or run --dry-run)',
    group: 'safety',
    value: 'file',
  },
  plan: {
    flags: '--plan <file>',
    help: 'apply exactly the plan audit --out saved, if the tenant still reads the same',
    group: 'safety',
    value: 'file',
  },
  planMaxAge: {
    flags: '--plan-max-age <duration>',
    help: 'refuse a --plan older than this: 24h, 90m, 2d or PT12H (default: 24h)',
    group: 'safety',
  },
  planDigest: {
    flags: '--plan-digest <sha256>',
    help: 'the digest the change board approved: refuse a --plan whose digest is another',
    group: 'safety',
  },
  restoreJournal: {
    flags: '--restore-journal <file>',
    help: "journal of restore's own writes (default: a new timestamped file here)",
    group: 'safety',
    value: 'file',
  },

  config: {
    flags: '--config <file>',
    help: 'read options from a YAML or JSON file (same names as the flags; flags win)',
    group: 'general',
    value: 'file',
  },

  keep: { flags: '--keep', help: "keep the temporary folder with the simulated run's journal", group: 'output' },
  expect: {
    flags: '--expect <admin|user>',
    help: 'exit 2 unless the verdict is this: admin = active and mapped, user = no admin rights',
    group: 'output',
    value: ['admin', 'user'],
  },
  deactivate: { flags: '--deactivate', help: 'end your activation early', group: 'target' },
} satisfies Record<string, OptionDef>;

export type OptionKey = keyof typeof OPTIONS;

/** An option as one command takes it: the shared definition, or that with the command's own words. */
export type OptionUse = OptionKey | [OptionKey, Partial<Omit<OptionDef, 'env'>> & { env?: string | null }];

/** Resolves a command's use of an option to its full definition. */
export function optionDef(use: OptionUse): OptionDef & { key: OptionKey } {
  const [key, over] = typeof use === 'string' ? [use, {}] : use;
  const base: OptionDef = OPTIONS[key];
  const def: OptionDef & { key: OptionKey } = { ...base, ...over, env: over.env === null ? undefined : (over.env ?? base.env), key };
  return def;
}

const SIGN_IN: OptionUse[] = ['tenantId', 'cloud', 'graphEndpoint', 'auth', 'clientId'];
const KEYCLOAK_CHECK: OptionUse[] = [
  'keycloakUrl',
  'keycloakRealm',
  'keycloakIdpAlias',
  'keycloakGroup',
  'keycloakRole',
  'keycloakClientId',
  'keycloakUsername',
  'keycloakAuthRealm',
  'keycloakCaFile',
];
const LOGGING: OptionUse[] = ['quiet', 'verbose', 'debug', 'noColor'];

const RUN: OptionUse[] = [
  ...SIGN_IN,
  'appId',
  'appName',
  'group',
  'appRole',
  'eligible',
  'start',
  'end',
  'duration',
  'justification',
  'ticketNumber',
  'ticketSystem',
  'expiryWarning',
  'renew',
  'convertMembers',
  'activationMax',
  'requireJustification',
  'noRequireJustification',
  'requireMfa',
  'noRequireMfa',
  'requireApproval',
  'noRequireApproval',
  'approver',
  ...KEYCLOAK_CHECK,
  'fixKeycloak',
  'skipKeycloak',
  'json',
  'report',
  ...LOGGING,
  'yes',
  'nonInteractive',
  'dryRun',
  'allowEmpty',
  'journal',
  'out',
  'plan',
  'planMaxAge',
  'planDigest',
  'config',
];

/** Which options each command takes. */
export const COMMAND_OPTIONS: Record<string, OptionUse[]> = {
  run: RUN,
  // Audit never writes: the write flags are accepted (scripts pass run's flags unchanged) but not listed.
  audit: RUN.map((use) =>
    use === 'yes' || use === 'dryRun' || use === 'journal' || use === 'plan' || use === 'planMaxAge' || use === 'planDigest'
      ? [use, { hidden: true }]
      : use,
  ),
  restore: [
    ['journal', { help: 'the journal of the run to undo (required)', group: 'target', env: null }],
    ['tenantId', { help: "directory (tenant) id (default: the journal's)" }],
    ['cloud', { help: "national cloud: global, usgov, usgov-dod, china (default: the journal's)" }],
    ['graphEndpoint', { help: "override the Microsoft Graph base URL, https only (default: the journal's)" }],
    'auth',
    'clientId',
    [
      'group',
      {
        flags: '--group <id>',
        help:
          "object id of the group to restore into: must be the journal's run's; required for a role-assignable group or a journal " +
          'that does not record its group',
        env: null,
      },
    ],
    'json',
    'report',
    ...LOGGING,
    ['yes', { help: 'confirm adding the members back' }],
    'nonInteractive',
    ['dryRun', { help: 'preview: show who would be added back, send nothing' }],
    'restoreJournal',
    'config',
  ],
  demo: [
    ['json', { help: "print only the final audit's JSON document on stdout" }],
    'keep',
    ...LOGGING,
    ['yes', { help: 'ask nothing and confirm every change (the simulation is the only thing changed; also without a terminal)' }],
    'nonInteractive',
    'config',
  ],
  'verify-user': [
    ...SIGN_IN,
    'appId',
    'appName',
    ['group', { help: 'the admin group (default: tenant-admin)' }],
    ['appRole', { help: 'app-role mode (as for run)' }],
    ...KEYCLOAK_CHECK,
    ['skipKeycloak', { help: 'check Entra only' }],
    'expect',
    'json',
    ...LOGGING,
    'nonInteractive',
    'config',
  ],
  activate: [
    ...SIGN_IN,
    ['group', { help: 'the group to activate (default: the only one you are eligible for)', env: null }],
    ['duration', { help: "how long, e.g. PT2H (default and limit: the policy's maximum)", group: 'target', env: null }],
    ['justification', { help: 'why you need admin rights (required by most policies)', group: 'target', env: null }],
    ['ticketNumber', { help: 'change ticket, when the activation policy requires ticket information', group: 'target', env: null }],
    ['ticketSystem', { group: 'target', env: null }],
    'deactivate',
    'json',
    ...LOGGING,
    'nonInteractive',
    'config',
  ],
};

/** A variable read outside the flags (secrets, which are never flags; tuning; output). */
export interface EnvDef {
  name: string;
  help: string;
  /** Which commands read it. */
  for: 'sign-in' | 'keycloak' | 'all';
}

export const ENVIRONMENT: EnvDef[] = [
  { name: 'AZURE_CLIENT_SECRET', help: 'client secret of AZURE_CLIENT_ID (--auth client-secret; chosen when set)', for: 'sign-in' },
  { name: 'AZURE_CLIENT_CERTIFICATE_PATH', help: 'PEM certificate with its key (--auth client-certificate)', for: 'sign-in' },
  { name: 'AZURE_CLIENT_CERTIFICATE_PASSWORD', help: "the certificate's password, if it has one", for: 'sign-in' },
  { name: 'AZURE_FEDERATED_TOKEN_FILE', help: 'federated token file (--auth workload-identity)', for: 'sign-in' },
  { name: 'ENTRA_PIM_ACCESS_TOKEN', help: 'a Graph access token (--auth access-token)', for: 'sign-in' },
  { name: 'ENTRA_PIM_ACCESS_TOKEN_FILE', help: 'a file holding a Graph access token, read at each request', for: 'sign-in' },
  { name: 'AZURE_AUTHORITY_HOST', help: "sign-in authority (https; default: the cloud's)", for: 'sign-in' },
  { name: 'ENTRA_PIM_HTTP_TIMEOUT_MS', help: 'timeout of one Graph request, in milliseconds', for: 'sign-in' },
  {
    name: 'ENTRA_PIM_SIGN_IN_TIMEOUT_MS',
    help: 'deadline for getting a token, in milliseconds (default: 5 min browser, 15 min device code, 2 min others)',
    for: 'sign-in',
  },
  { name: 'KEYCLOAK_CLIENT_SECRET', help: 'secret of --keycloak-client-id', for: 'keycloak' },
  { name: 'KEYCLOAK_PASSWORD', help: 'password of --keycloak-username', for: 'keycloak' },
  { name: 'NODE_EXTRA_CA_CERTS', help: 'PEM file of extra CAs to trust (e.g. a proxy in front of Graph)', for: 'sign-in' },
  { name: 'NO_COLOR', help: 'no colour (FORCE_COLOR=0 too)', for: 'all' },
  { name: 'CI', help: 'set (not "false" or "0"): never ask, as --non-interactive', for: 'all' },
];

/** The variables a command reads outside its flags. */
export function environmentOf(command: string): EnvDef[] {
  const uses = (COMMAND_OPTIONS[command] ?? []).map((u) => optionDef(u).key);
  return ENVIRONMENT.filter(
    (e) => e.for === 'all' || (e.for === 'sign-in' && uses.includes('auth')) || (e.for === 'keycloak' && uses.includes('keycloakUrl')),
  );
}
