import { requiresTicket } from './entra/ticketing.js';
import { ticketValueProblem } from './ticket.js';
import type * as MG from '@microsoft/microsoft-graph-types';
import { UsageError } from './errors.js';
import { release } from 'node:os';
import { AUTH_METHODS, type AuthMethod } from './graph/auth-methods.js';
import { defaultAuthMethod } from './graph/sign-in-decision.js';
import { browserUnavailable } from './graph/sign-in-environment.js';
import { tenantInputProblem } from './graph/tenant.js';
import { odataString, withQuery, type GraphApi } from './graph/graph-api.js';
import { keycloakUrlProblem, parseDate, type RawOptions } from './options.js';
import { formatDuration, humanDuration, parseDuration } from './core/duration.js';
import type { Prompter } from './ui/prompt.js';
import { startUpPrompter } from './wizard-start-up.js';
import type { Logger } from './ui/log.js';
import { enumIs, enumListHas } from './graph/enums.js';

const SEARCH_TOP = 25;

interface SpHit {
  id: string;
  appId: string;
  displayName: string;
  preferredSingleSignOnMode?: string | null;
  appRoles?: MG.AppRole[];
}

const ssoLabel = (sp: SpHit) =>
  enumIs(sp.preferredSingleSignOnMode, 'saml') ? 'SAML' : enumIs(sp.preferredSingleSignOnMode, 'oidc') ? 'OIDC' : 'OIDC/other';

/** Asks for the tenant and the sign-in method when neither flag nor environment gave them. */
export async function askSignIn(raw: RawOptions, terminal: Prompter, env: NodeJS.ProcessEnv): Promise<void> {
  const prompt = startUpPrompter(terminal, raw, env);
  if (!raw.tenantId) {
    raw.tenantId = await prompt.input('Tenant (directory) id', {
      flag: '--tenant-id',
      validate: (v) =>
        tenantInputProblem(v.trim())
          ? 'a GUID, e.g. 8f2d6a3c-1b4e-4c5d-9e7f-0a1b2c3d4e5f, or a verified domain, e.g. contoso.onmicrosoft.com'
          : true,
    });
  }
  if (!raw.auth) {
    // The wizard runs on a terminal; without a desktop to open a browser on, the device code is suggested.
    const suggested = defaultAuthMethod(
      env,
      true,
      !browserUnavailable({ env, stdinTTY: true, stderrTTY: true, platform: process.platform, osRelease: release() }),
    );
    raw.auth = await prompt.select<AuthMethod>(
      'Sign in with',
      [suggested, ...AUTH_METHODS.filter((m) => m !== suggested)].map((m) => ({
        name: m === suggested ? `${m} (suggested)` : m,
        value: m,
      })),
      { flag: '--auth' },
    );
  }
}

/**
 * The interactive part of `run`: asks, with the tenant's live data, for every input that no
 * flag, config file or environment variable gave. It only reads from Graph.
 */
export async function askRunInputs(
  raw: RawOptions,
  ctx: { mode: 'run' | 'audit'; graph: GraphApi; prompt: Prompter; log: Logger; now: Date; env: NodeJS.ProcessEnv },
): Promise<void> {
  const { graph, log } = ctx;
  const prompt = startUpPrompter(ctx.prompt, raw, ctx.env);

  // The app: search by name, pick from the list (with its SSO protocol).
  let sp: SpHit | undefined;
  if (!raw.appId && !raw.appName) {
    for (;;) {
      const q = (
        await prompt.input('Search the Keycloak enterprise app by name', {
          flag: '--app-id',
          validate: (v) => (v.trim() ? true : 'type part of the name'),
        })
      ).trim();
      const hits = await graph.list<SpHit>(
        withQuery('/servicePrincipals', {
          $filter: `startswith(displayName,${odataString(q)})`,
          $select: 'id,appId,displayName,preferredSingleSignOnMode,appRoles',
          $top: SEARCH_TOP,
        }),
      );
      if (hits.length === 0) {
        log.warn(`no enterprise app starts with "${q}"; try again`);
        continue;
      }
      sp = await prompt.select(
        'Which app is Keycloak?',
        hits.map((h) => ({ name: `${h.displayName} — ${ssoLabel(h)} (app id ${h.appId})`, value: h })),
        { flag: '--app-id' },
      );
      raw.appId = sp.appId;
      break;
    }
  }

  // The group: a name (or id); an ambiguous name is a choice here, so prerequisites need not ask.
  if (!raw.group) {
    raw.group = (await prompt.input('Admin group (display name or object id)', { flag: '--group', default: 'tenant-admin' })).trim();
  }
  const group = await resolveGroup(raw.group, graph, prompt);
  if (group) raw.group = group.id;

  // The app role: one of the app's enabled user roles, or default access when it has none.
  if (raw.appRole === undefined) {
    sp ??= await resolveApp(raw, graph, prompt);
    const roles = (sp?.appRoles ?? []).filter((r) => r.value && r.isEnabled !== false && enumListHas(r.allowedMemberTypes, 'User'));
    if (roles.length) {
      raw.appRole = await prompt.select(
        'Assign the group with which app role?',
        roles.map((r) => ({
          name: `${r.value}${r.displayName && r.displayName !== r.value ? ` — ${r.displayName}` : ''}`,
          value: r.value!,
        })),
        { flag: '--app-role' },
      );
    } else {
      log.info('The app declares no app roles: the group gets default access.');
    }
  }

  // The users to make eligible: search, multi-select, repeat.
  if (!raw.eligible?.length) {
    const picked = new Map<string, string>();
    for (;;) {
      const q = (
        await prompt.input(
          picked.size ? `Search more users (empty to finish; ${picked.size} chosen)` : 'Search users to make eligible (name or UPN)',
          { flag: '--eligible' },
        )
      ).trim();
      if (!q) {
        if (picked.size) break;
        log.warn('choose at least one user: nobody could become admin otherwise');
        continue;
      }
      const users = await graph.list<{ id: string; displayName?: string; userPrincipalName: string; accountEnabled?: boolean }>(
        withQuery('/users', {
          $filter: `startswith(displayName,${odataString(q)}) or startswith(userPrincipalName,${odataString(q)})`,
          $select: 'id,displayName,userPrincipalName,accountEnabled',
          $top: SEARCH_TOP,
        }),
      );
      const usable = users.filter((u) => u.accountEnabled !== false && !picked.has(u.userPrincipalName));
      if (usable.length === 0) {
        log.warn(`no enabled user matches "${q}"`);
        continue;
      }
      const chosen = await prompt.checkbox(
        'Make eligible (space to select, enter to confirm)',
        usable.map((u) => ({ name: `${u.displayName ?? u.userPrincipalName} <${u.userPrincipalName}>`, value: u.userPrincipalName })),
        { flag: '--eligible' },
      );
      for (const c of chosen) picked.set(c, c);
    }
    raw.eligible = [...picked.keys()];
  }

  // The window, validated as typed against the group's live policy.
  const [{ loadMemberPolicy }, { defaultEligibilityMs }, { humanDate, lastEndDate }] = await Promise.all([
    import('./entra/pim.js'),
    import('./steps/eligibility-window.js'),
    import('./ui/dates.js'),
  ]);
  const rules = group ? (await loadMemberPolicy(graph, group.id)).rules : [];
  if (!raw.end && !raw.duration) {
    const maxRule = rules.find((r) => r.id === 'Expiration_Admin_Eligibility');
    const maxMs = maxRule?.isExpirationRequired && maxRule.maximumDuration ? parseDuration(String(maxRule.maximumDuration)) : undefined;
    if (!raw.start) {
      const s = await prompt.input('Eligible from (YYYY-MM-DD, or "now")', {
        flag: '--start',
        default: 'now',
        validate: (v) => (v.trim() === 'now' ? true : checkDate('--start', v, false)),
      });
      if (s.trim() !== 'now') raw.start = s.trim();
    }
    const start = raw.start ? parseDate('--start', raw.start, false) : ctx.now;
    // The same default window as a script gets (see DEFAULT_ELIGIBILITY_MS), as the last whole
    // day inside it: a bare date ends at 23:59:59 UTC.
    const defaultEnd = lastEndDate(start, defaultEligibilityMs(maxRule).ms).toISOString().slice(0, 10);
    raw.end = (
      await prompt.input(`Eligible until (YYYY-MM-DD${maxMs ? `; the group policy allows at most ${humanDuration(maxMs)}` : ''})`, {
        flag: '--end',
        default: defaultEnd,
        validate: (v) => {
          const ok = checkDate('--end', v, true);
          if (ok !== true) return ok;
          const end = parseDate('--end', v, true);
          if (end.getTime() <= Math.max(start.getTime(), ctx.now.getTime())) return 'must be in the future and after the start';
          if (maxMs && end.getTime() - start.getTime() > maxMs)
            return `at most ${humanDuration(maxMs)} after the start: the last date accepted is ${humanDate(lastEndDate(start, maxMs))}`;
          return true;
        },
      })
    ).trim();
  }

  // A change ticket, asked for only when the group's policy requires one for eligible assignments
  // (an audit reports that the run will need it).
  if (ctx.mode === 'run' && raw.ticketNumber === undefined && requiresTicket(rules, 'Enablement_Admin_Eligibility')) {
    log.info("The group's PIM policy requires ticket information for eligible assignments.");
    const check = (v: string) => ticketValueProblem(v) ?? true;
    raw.ticketNumber = (await prompt.input('Change ticket number', { flag: '--ticket-number', validate: check })).trim();
    if (raw.ticketSystem === undefined) {
      const system = (
        await prompt.input('Ticket system (empty for none)', { flag: '--ticket-system', validate: (v) => !v.trim() || check(v) })
      ).trim();
      if (system) raw.ticketSystem = system;
    }
  }

  // The activation policy, current values as defaults (a run sets it; an audit only checks).
  const policyGiven =
    ctx.mode === 'audit' ||
    raw.activationMax !== undefined ||
    raw.requireJustification !== undefined ||
    raw.requireMfa !== undefined ||
    raw.requireApproval !== undefined;
  if (!policyGiven && rules.length) {
    const exp = rules.find((r) => r.id === 'Expiration_EndUser_Assignment');
    const enabled = (rules.find((r) => r.id === 'Enablement_EndUser_Assignment')?.enabledRules as string[] | undefined) ?? [];
    const current = exp?.maximumDuration ? String(exp.maximumDuration) : 'PT8H';
    const max = await prompt.input('Longest activation (ISO duration, PT30M to PT24H)', {
      flag: '--activation-max',
      default: formatDuration(parseDuration(current)),
      validate: (v) => {
        try {
          const ms = parseDuration(v);
          return ms >= 30 * 60_000 && ms <= 24 * 3_600_000 ? true : 'between PT30M and PT24H';
        } catch (err) {
          return (err as Error).message;
        }
      },
    });
    raw.activationMax = max.trim().toUpperCase();
    raw.requireJustification = await prompt.confirm('Require a justification to activate?', {
      flag: '--require-justification',
      default: enumListHas(enabled, 'Justification'),
    });
    raw.requireMfa = await prompt.confirm('Require multi-factor authentication to activate?', {
      flag: '--require-mfa',
      default: enumListHas(enabled, 'MultiFactorAuthentication'),
    });
  }

  // Keycloak: connect to prove the mapping, or skip with a warning.
  if (!raw.keycloakUrl && !raw.skipKeycloak) {
    const check = await prompt.confirm('Check the Keycloak side now (recommended: it proves the mapping)?', {
      flag: '--keycloak-url',
      default: true,
    });
    if (!check) {
      raw.skipKeycloak = true;
      log.warn('Keycloak not checked: nothing proves that the Entra group reaches /tenant-admin, or that it is taken away');
      return;
    }
    raw.keycloakUrl = (
      await prompt.input('Keycloak URL', { flag: '--keycloak-url', validate: (v) => keycloakUrlProblem(v) ?? true })
    ).trim();
    raw.keycloakRealm ??= (await prompt.input("Tenant's realm", { flag: '--keycloak-realm' })).trim();
    const kind = await prompt.select(
      'Sign in to Keycloak as',
      [
        { name: 'a service account (client id and secret)', value: 'client' as const },
        { name: 'an admin user (username and password)', value: 'user' as const },
      ],
      { flag: '--keycloak-client-id' },
    );
    if (kind === 'client') {
      raw.keycloakClientId = (await prompt.input('Client id', { flag: '--keycloak-client-id' })).trim();
      ctx.env.KEYCLOAK_CLIENT_SECRET ??= await prompt.password('Client secret', { flag: 'KEYCLOAK_CLIENT_SECRET' });
    } else {
      raw.keycloakUsername = (await prompt.input('Username', { flag: '--keycloak-username' })).trim();
      ctx.env.KEYCLOAK_PASSWORD ??= await prompt.password('Password', { flag: 'KEYCLOAK_PASSWORD' });
    }
  }
}

function checkDate(flag: string, v: string, endOfDay: boolean): true | string {
  try {
    parseDate(flag, v, endOfDay);
    return true;
  } catch (err) {
    return err instanceof UsageError ? err.message.replace(`${flag} ${v.trim()}: `, '') : 'not a date';
  }
}

/**
 * The app flags gave (by --app-id or --app-name, a choice when the name is ambiguous), kept as
 * its app id so that prerequisites do not ask again; undefined when there is none, which
 * prerequisites report.
 */
async function resolveApp(raw: RawOptions, graph: GraphApi, prompt: Prompter): Promise<SpHit | undefined> {
  const { findApp, LookupError } = await import('./entra/lookup.js');
  try {
    const sp = await findApp<SpHit>(graph, prompt, { appId: raw.appId, appName: raw.appName }, 'id,appId,displayName,appRoles');
    if (raw.appName && !raw.appId) {
      raw.appId = sp.appId;
      delete raw.appName;
    }
    return sp;
  } catch (err) {
    if (err instanceof LookupError && err.code === 'APP_NOT_FOUND') return undefined;
    throw err;
  }
}

/** The group by name or id (a choice when the name is ambiguous); undefined when there is none, which prerequisites report. */
async function resolveGroup(nameOrId: string, graph: GraphApi, prompt: Prompter): Promise<{ id: string; displayName: string } | undefined> {
  const { findGroup, LookupError } = await import('./entra/lookup.js');
  try {
    return await findGroup(graph, prompt, nameOrId, { select: 'id,displayName,description' });
  } catch (err) {
    if (err instanceof LookupError && err.code === 'GROUP_NOT_FOUND') return undefined;
    throw err;
  }
}
