import { accessSync, constants, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { PolicySettings, RunOptions } from './context.js';
import { UsageError } from './errors.js';
import { AUTH_METHODS, type AuthMethod } from './graph/auth-methods.js';
import { CLOUD_NAMES, CLOUDS, type CloudName } from './graph/clouds.js';
import { tenantInputProblem } from './graph/tenant.js';
import type { KeycloakSettings } from './keycloak/settings.js';
import { DurationError, parseDuration } from './core/duration.js';
import type { RunMode } from './plan/types.js';
import { registerSecret } from './core/redact.js';
import { DEFAULT_EXPIRY_WARNING_MS } from './steps/common.js';
import { isGuid } from './core/ids.js';
import { resolveTicket } from './ticket.js';
import { isLoopbackHost } from './core/loopback.js';

/** Raw option values as commander hands them over (flags already merged with their env vars). */
export interface RawOptions {
  tenantId?: string;
  cloud?: string;
  graphEndpoint?: string;
  auth?: string;
  /** `--client-id` / AZURE_CLIENT_ID: the app to sign in to (not a secret). */
  clientId?: string;
  appId?: string;
  appName?: string;
  group?: string;
  appRole?: string;
  eligible?: string[];
  start?: string;
  end?: string;
  duration?: string;
  justification?: string;
  ticketNumber?: string;
  ticketSystem?: string;
  activationMax?: string;
  requireJustification?: boolean;
  requireMfa?: boolean;
  requireApproval?: boolean;
  approver?: string[];
  allowEmpty?: boolean;
  convertMembers?: boolean;
  expiryWarning?: string;
  renew?: boolean;
  skipKeycloak?: boolean;
  fixKeycloak?: boolean;
  keycloakUrl?: string;
  keycloakRealm?: string;
  keycloakIdpAlias?: string;
  keycloakGroup?: string;
  keycloakRole?: string;
  keycloakClientId?: string;
  keycloakUsername?: string;
  keycloakAuthRealm?: string;
  keycloakCaFile?: string;
  yes?: boolean;
  nonInteractive?: boolean;
  dryRun?: boolean;
  json?: boolean;
  journal?: string;
  report?: string;
  /** `--quiet`: only the result; no progress or log lines (warnings and errors still). */
  quiet?: boolean;
  verbose?: boolean;
  debug?: boolean;
  color?: boolean;
}

/** Options that shape the session rather than the target state. */
export interface SessionOptions {
  cloud: CloudName;
  graphBase: string;
  authorityHost: string;
  auth?: AuthMethod;
  /** The app (client) id to sign in to; browser and device-code default to Graph Command Line Tools. */
  clientId?: string;
  json: boolean;
  journal?: string;
  /** `--report FILE`: a Markdown (.md) or JSON (.json) report for change records. */
  report?: string;
  level: 'quiet' | 'normal' | 'verbose' | 'debug';
  noColor: boolean;
}

export const DEFAULT_JUSTIFICATION = 'entra-pim-setup: just-in-time admin access to Keycloak';

const MAX_ACTIVATION_MS = 24 * 3600_000;
const MIN_ACTIVATION_MS = 30 * 60_000;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * Parses --start/--end: a date (`2027-03-31`) or an ISO 8601 date-time, with `Z`, an offset
 * (`+02:00`, `+0200`, `+02`) or no zone. A bare date means the start of that day for --start
 * and its end for --end (UTC); a time without zone is UTC.
 *
 * Each field is checked on its own, as typed: the calendar date in the text is not the UTC date
 * when an offset crosses midnight (`2027-03-31T01:00:00+02:00` is 30 March, 23:00 UTC).
 */
export function parseDate(flag: string, value: string, endOfDay: boolean): Date {
  const m = ISO_DATE.exec(value.trim());
  if (!m) throw new UsageError(`${flag} ${value}: not a date; use YYYY-MM-DD or an ISO 8601 date-time such as 2027-03-31T18:00:00Z`);
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const calendar = new Date(Date.UTC(year, month - 1, day));
  // Date.UTC rolls 30 February over into March: a date that does not survive the round trip does not exist.
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    calendar.getUTCFullYear() !== year ||
    calendar.getUTCMonth() !== month - 1 ||
    calendar.getUTCDate() !== day
  ) {
    throw new UsageError(`${flag} ${value}: no such date`);
  }
  if (h === undefined) return new Date(calendar.getTime() + (endOfDay ? 86_399_000 : 0));
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s ?? '0');
  if (hour > 23 || minute > 59 || second > 59)
    throw new UsageError(`${flag} ${value}: no such time of day; hours run 00-23, minutes and seconds 00-59`);
  let offsetMin = 0;
  if (zone && zone.toUpperCase() !== 'Z') {
    const [, sign, oh, om] = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
    if (Number(oh) > 23 || Number(om ?? '0') > 59)
      throw new UsageError(`${flag} ${value}: no such UTC offset; give Z or +hh:mm / -hh:mm with hh up to 23`);
    offsetMin = (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om ?? '0'));
  }
  const ms = frac ? Math.floor(Number(`0${frac}`) * 1000) : 0;
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMin * 60_000);
}

function splitList(values: string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

function checkHttpsUrl(flag: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${flag} ${value}: not a URL; give an https:// URL`);
  }
  if (url.protocol !== 'https:') throw new UsageError(`${flag} ${value}: only https:// is allowed (tokens must not travel in clear text)`);
  return url.origin;
}

function readableFile(flag: string, file: string): string {
  try {
    accessSync(file, constants.R_OK);
    if (!statSync(file).isFile()) throw new Error('not a file');
  } catch {
    throw new UsageError(`${flag} ${file}: cannot read that file`);
  }
  return file;
}

/** Resolves how to reach Graph and how to talk to the user. */
export function resolveSession(raw: RawOptions, env: NodeJS.ProcessEnv): SessionOptions {
  const cloud = (raw.cloud ?? 'global') as CloudName;
  if (!CLOUD_NAMES.includes(cloud)) throw new UsageError(`--cloud ${raw.cloud}: unknown cloud; allowed: ${CLOUD_NAMES.join(', ')}`);
  const graphBase = raw.graphEndpoint ? checkHttpsUrl('--graph-endpoint', raw.graphEndpoint) : CLOUDS[cloud].graph;
  const authorityHost = env.AZURE_AUTHORITY_HOST
    ? checkHttpsUrl('AZURE_AUTHORITY_HOST', env.AZURE_AUTHORITY_HOST)
    : CLOUDS[cloud].authority;
  if (raw.auth !== undefined && !(AUTH_METHODS as readonly string[]).includes(raw.auth)) {
    throw new UsageError(`--auth ${raw.auth}: unknown sign-in method; allowed: ${AUTH_METHODS.join(', ')}`);
  }
  const clientId = raw.clientId?.trim();
  if (raw.clientId !== undefined && !isGuid(clientId ?? '')) {
    throw new UsageError(
      `--client-id ${raw.clientId}: not a GUID; give the application (client) id of the app to sign in to (also read from AZURE_CLIENT_ID)`,
    );
  }
  if (raw.journal !== undefined) {
    const dir = path.dirname(path.resolve(raw.journal));
    if (!existsSync(dir)) throw new UsageError(`--journal ${raw.journal}: folder ${dir} does not exist`);
  }
  if (raw.report !== undefined) {
    // The format follows the extension; checked here so a typo fails before anything is sent.
    if (!/\.(md|json)$/i.test(raw.report))
      throw new UsageError(`--report ${raw.report}: the file name must end in .md (Markdown) or .json (JSON)`);
    const dir = path.dirname(path.resolve(raw.report));
    if (!existsSync(dir)) throw new UsageError(`--report ${raw.report}: folder ${dir} does not exist`);
    if (existsSync(raw.report) && statSync(raw.report).isDirectory())
      throw new UsageError(`--report ${raw.report}: is a folder; give a file name`);
  }
  return {
    cloud,
    graphBase,
    authorityHost,
    auth: raw.auth as AuthMethod | undefined,
    clientId,
    json: Boolean(raw.json),
    journal: raw.journal,
    report: raw.report,
    level: raw.debug ? 'debug' : raw.verbose ? 'verbose' : raw.quiet ? 'quiet' : 'normal',
    noColor: raw.color === false,
  };
}

/**
 * Pure: why a Keycloak URL may not be used, or undefined. The admin password or client secret
 * is sent to it, so plain http is allowed only to loopback, where nothing on the network can
 * read it (a local test server); any other host needs https.
 */
export function keycloakUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return 'not a URL; give https://host[:port] (include the scheme)';
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol !== 'http:') return 'the scheme must be https:// (http:// only for a server on this machine: localhost, 127.0.0.1, ::1)';
  if (!isLoopbackHost(url.hostname)) {
    return (
      `plain http:// is allowed only to this machine (localhost, 127.0.0.0/8, ::1): the Keycloak password or client secret would ` +
      `cross the network unencrypted; use https://${url.host}`
    );
  }
  return undefined;
}

function resolveKeycloak(raw: RawOptions, env: NodeJS.ProcessEnv): KeycloakSettings | undefined {
  // Keycloak flags are validated even with --skip-keycloak: a typo should not wait for the next run.
  if (!raw.keycloakUrl) {
    const given = Object.entries(raw).filter(
      ([k, v]) => k.startsWith('keycloak') && v !== undefined && k !== 'keycloakGroup' && k !== 'keycloakAuthRealm',
    );
    if (!raw.skipKeycloak && given.length) throw new UsageError(`--keycloak-url is required when other --keycloak-* options are given`);
    return undefined;
  }
  const problem = keycloakUrlProblem(raw.keycloakUrl);
  if (problem) throw new UsageError(`--keycloak-url ${raw.keycloakUrl}: ${problem}`);
  const url = new URL(raw.keycloakUrl);
  if (!raw.keycloakRealm) throw new UsageError("--keycloak-realm is required with --keycloak-url (the tenant's realm)");
  const group = raw.keycloakGroup ?? '/tenant-admin';
  if (!group.startsWith('/')) throw new UsageError(`--keycloak-group ${group}: give a group path starting with /, e.g. /tenant-admin`);
  const clientSecret = env.KEYCLOAK_CLIENT_SECRET;
  const password = env.KEYCLOAK_PASSWORD;
  registerSecret(clientSecret);
  registerSecret(password);
  if (!raw.keycloakClientId && !raw.keycloakUsername) {
    throw new UsageError(
      'Keycloak sign-in: pass --keycloak-client-id (secret in KEYCLOAK_CLIENT_SECRET) or --keycloak-username (password in KEYCLOAK_PASSWORD)',
    );
  }
  if (raw.keycloakClientId && !clientSecret)
    throw new UsageError('--keycloak-client-id needs the secret in the environment variable KEYCLOAK_CLIENT_SECRET');
  const caFile = raw.keycloakCaFile ? readableFile('--keycloak-ca-file', raw.keycloakCaFile) : undefined;
  if (raw.skipKeycloak) return undefined;
  return {
    url: url.toString().replace(/\/$/, ''),
    realm: raw.keycloakRealm,
    idpAlias: raw.keycloakIdpAlias,
    group,
    role: raw.keycloakRole,
    authRealm: raw.keycloakAuthRealm ?? 'master',
    clientId: raw.keycloakClientId,
    clientSecret,
    username: raw.keycloakClientId ? undefined : raw.keycloakUsername,
    password: raw.keycloakClientId ? undefined : password,
    caFile,
  };
}

/**
 * Validates every target-state input before anything is sent. Each problem is one UsageError
 * naming the flag and what is allowed.
 */
export function resolveRunOptions(
  raw: RawOptions,
  ctx: { mode: RunMode; interactive: boolean; env: NodeJS.ProcessEnv; now: Date },
): RunOptions {
  const tenantId = raw.tenantId?.trim();
  if (!tenantId)
    throw new UsageError(
      '--tenant-id is required (or AZURE_TENANT_ID): the directory (tenant) id (a GUID) or a verified domain of the tenant',
    );
  // A domain is resolved to the tenant's GUID by the command, before its first Graph request.
  const tenantProblem = tenantInputProblem(tenantId);
  if (tenantProblem) throw new UsageError(tenantProblem);
  if (raw.appId && raw.appName) throw new UsageError('--app-id and --app-name: give one, not both');
  if (!raw.appId && !raw.appName) throw new UsageError('--app-id (or --app-name) is required: the Keycloak app in Entra');
  if (raw.appId !== undefined && !isGuid(raw.appId.trim()))
    throw new UsageError(`--app-id ${raw.appId}: not a GUID; give the Application (client) ID`);
  if (raw.appName !== undefined && !raw.appName.trim()) throw new UsageError("--app-name: empty; give the enterprise app's display name");
  const group = (raw.group ?? 'tenant-admin').trim();
  if (!group) throw new UsageError("--group: empty; give the admin group's display name or object id");
  if (raw.appRole !== undefined && !raw.appRole.trim())
    throw new UsageError('--app-role: empty; give the app role value, or leave the flag out for default access');

  const eligible = splitList(raw.eligible);
  for (const e of eligible) {
    if (!isGuid(e) && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(e)) {
      throw new UsageError(`--eligible ${e}: not a user principal name (user@domain) or object id (GUID)`);
    }
  }

  const start = raw.start ? parseDate('--start', raw.start, false) : undefined;
  const end = raw.end ? parseDate('--end', raw.end, true) : undefined;
  if (end && raw.duration) throw new UsageError('--end and --duration: give one, not both');
  if (raw.duration) {
    try {
      if (parseDuration(raw.duration) <= 0) throw new DurationError(`${raw.duration}: must be longer than zero`);
    } catch (err) {
      throw new UsageError(`--duration ${(err as Error).message}`);
    }
  }
  const from = start ?? ctx.now;
  if (end && end.getTime() <= from.getTime()) {
    throw new UsageError(`--end ${raw.end}: must be after ${start ? `--start ${raw.start}` : 'now'}`);
  }
  if (end && end.getTime() <= ctx.now.getTime()) throw new UsageError(`--end ${raw.end}: is in the past`);

  const ticket = resolveTicket(raw);

  let expiryWarningMs = DEFAULT_EXPIRY_WARNING_MS;
  if (raw.expiryWarning !== undefined) {
    try {
      expiryWarningMs = parseDuration(raw.expiryWarning);
      if (expiryWarningMs <= 0) throw new DurationError(`${raw.expiryWarning}: must be longer than zero`);
    } catch (err) {
      throw new UsageError(`--expiry-warning ${(err as Error).message}`);
    }
  }

  const policy: PolicySettings = { approvers: splitList(raw.approver) };
  if (raw.activationMax !== undefined) {
    let ms: number;
    try {
      ms = parseDuration(raw.activationMax);
    } catch (err) {
      throw new UsageError(`--activation-max ${(err as Error).message}`);
    }
    if (ms > MAX_ACTIVATION_MS) throw new UsageError(`--activation-max ${raw.activationMax}: at most PT24H (PIM's limit)`);
    if (ms < MIN_ACTIVATION_MS) throw new UsageError(`--activation-max ${raw.activationMax}: at least PT30M`);
    policy.activationMax = raw.activationMax.toUpperCase();
  }
  if (raw.requireJustification !== undefined) policy.requireJustification = raw.requireJustification;
  if (raw.requireMfa !== undefined) policy.requireMfa = raw.requireMfa;
  if (raw.requireApproval !== undefined) policy.requireApproval = raw.requireApproval;
  if (policy.approvers.length && policy.requireApproval !== true) throw new UsageError('--approver needs --require-approval');
  if (policy.requireApproval === true && policy.approvers.length === 0) {
    throw new UsageError('--require-approval needs at least one --approver (user principal name, group name or object id)');
  }

  return {
    mode: ctx.mode,
    tenantId,
    appId: raw.appId?.trim(),
    appName: raw.appName?.trim(),
    group,
    appRole: raw.appRole?.trim(),
    eligible,
    start,
    end,
    duration: raw.duration?.toUpperCase(),
    justification: raw.justification?.trim() || DEFAULT_JUSTIFICATION,
    ...(ticket ? { ticket } : {}),
    policy,
    allowEmpty: Boolean(raw.allowEmpty),
    convertMembers: Boolean(raw.convertMembers),
    expiryWarningMs,
    renew: Boolean(raw.renew),
    yes: Boolean(raw.yes),
    interactive: ctx.interactive,
    skipKeycloak: Boolean(raw.skipKeycloak),
    keycloak: resolveKeycloak(raw, ctx.env),
    fixKeycloak: Boolean(raw.fixKeycloak),
  };
}

/** Whether to ask questions: a terminal on both ends, no CI, no --non-interactive. */
export function isInteractive(raw: RawOptions, env: NodeJS.ProcessEnv, stdinTTY: boolean, stderrTTY: boolean): boolean {
  if (raw.nonInteractive) return false;
  if (env.CI && env.CI !== 'false' && env.CI !== '0') return false;
  return stdinTTY && stderrTTY;
}
