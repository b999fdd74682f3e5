import { ExitCode, GraphRequestError, UsageError } from '../errors.js';
import { errorCode, withQuery, type GraphApi } from '../graph/graph-api.js';
import { enumIn, enumListHas, isActivated, isMemberAccess } from '../graph/enums.js';
import { MemoryJournal } from '../journal.js';
import { DurationError, formatDuration, humanDuration, parseDuration } from '../core/duration.js';
import type { RawOptions } from '../options.js';
import type { AuthMethod } from '../graph/auth-methods.js';
import { missingScopeFix } from '../graph/delegated-scopes.js';
import { missingPermissions, type PermissionNeed } from '../graph/permissions.js';
import { jsonSafe, safeText } from '../ui/safe-text.js';
import { connectGraph, openSession, prompterFor, resolveTenant, type CommandIo, type Session } from './session.js';
import { pickEligibleGroup } from '../entra/lookup.js';
import type { Prompter } from '../ui/prompt.js';
import { tenantInputProblem } from '../graph/tenant.js';
import { loadMemberPolicy, myAssignmentInstances, myEligibilityInstances, PIM_GROUP, type PimInstance } from '../entra/pim.js';
import { jwtClaims } from '../core/jwt.js';
import { requiresTicket } from '../entra/ticketing.js';
import type { TicketInfo } from '../graph/writes.js';
import { resolveTicket } from '../ticket.js';

/**
 * `activate`: PIM self-activation of the admin group for the signed-in user, the step an
 * eligible admin takes before signing in to Keycloak. It needs a delegated sign-in (the user's
 * own token): PIM only lets users activate for themselves. The activation policy is read when
 * the token may read it, so a duration over the maximum, a missing justification or a missing
 * MFA claim is refused before anything is sent; otherwise PIM's own refusal is explained.
 */

export interface ActivateOptions extends RawOptions {
  deactivate?: boolean;
}

type Outcome = 'active' | 'already-active' | 'pending-approval' | 'ended' | 'not-active';

interface Result {
  outcome: Outcome;
  message: string;
  requestId?: string;
  startDateTime?: string | null;
  endDateTime?: string | null;
}

interface Me {
  id: string;
  userPrincipalName: string;
  displayName?: string;
}

type Rule = Record<string, unknown> & { id: string };

/** What activate cannot do without (the policy read is optional: PIM enforces the policy anyway). */
const ACTIVATE_NEEDS: PermissionNeed[] = [
  {
    permission: 'PrivilegedEligibilitySchedule.Read.AzureADGroup',
    satisfiedBy: ['PrivilegedEligibilitySchedule.Read.AzureADGroup', 'PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup'],
    why: 'find the groups you are eligible for',
  },
  {
    permission: 'PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup',
    satisfiedBy: ['PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup'],
    why: 'activate',
  },
];
const KEYCLOAK_NOTE = 'Keycloak applies the change at your next sign-in through Entra: sign out of Keycloak, then sign in again.';

/** The eligible group to act on: the one `--group` names (id or display name), or the only one. */
async function pickGroup(
  graph: GraphApi,
  prompt: Prompter,
  me: Me,
  wanted: string | undefined,
): Promise<{ id: string; displayName: string; endDateTime?: string | null }> {
  const mine = (await myEligibilityInstances(graph)).filter(isMemberAccess);
  const named = mine.map((i) => ({ id: i.groupId, displayName: i.group?.displayName ?? i.groupId, endDateTime: i.endDateTime }));
  const listed = named.length ? named.map((g) => g.displayName).join(', ') : 'none';
  if (wanted) {
    // Several of that name: a choice on a terminal, an error listing them in scripts.
    const hit = await pickEligibleGroup(prompt, named, wanted);
    if (hit) return hit;
    throw new UsageError(
      `${me.userPrincipalName} is not eligible for ${wanted}: PIM has no eligible member assignment for you in that group ` +
        `(eligible for: ${listed}). Ask an admin to run entra-pim-setup with --eligible ${me.userPrincipalName}`,
    );
  }
  if (named.length === 1) return named[0];
  if (named.length === 0)
    throw new UsageError(`${me.userPrincipalName} is not eligible for any group in PIM: there is nothing to activate`);
  throw new UsageError(`${me.userPrincipalName} is eligible for ${named.length} groups (${listed}): pass --group`);
}

/** The member policy's rules, or undefined when this sign-in may not read them (PIM still enforces them). */
async function readPolicy(session: Session, graph: GraphApi, groupId: string): Promise<Rule[] | undefined> {
  try {
    return (await loadMemberPolicy(graph, groupId)).rules as Rule[];
  } catch (err) {
    if (err instanceof GraphRequestError && (err.status === 403 || err.status === 401)) {
      session.log.verbose(
        'the activation policy is not readable with this sign-in (RoleManagementPolicy.Read.AzureADGroup); PIM checks it when the request is sent',
      );
      return undefined;
    }
    throw err;
  }
}

const rule = (rules: Rule[] | undefined, id: string) => rules?.find((r) => r.id === id);

/** Explains PIM's refusal of a self-activation in the user's terms. */
function explainRefusal(
  code: string | undefined,
  message: string,
  o: { duration?: string; max?: string; group: string; acr?: string },
): string {
  if (code === 'RoleAssignmentRequestPolicyValidationFailed') {
    const failed = [...message.matchAll(/"(\w+Rule)"/g)].map((m) => m[1]);
    const why = failed.map((r) => {
      switch (r) {
        case 'MfaRule':
          return (
            'the activation policy requires multi-factor authentication, and this sign-in did not use it: sign in again with MFA ' +
            '(for example --auth browser and complete the MFA prompt), then activate'
          );
        case 'ExpirationRule':
          return `--duration ${o.duration ?? '(policy default)'} is longer than the policy allows${o.max ? ` (${o.max})` : ''}: give a shorter --duration`;
        case 'JustificationRule':
          return 'the activation policy requires a justification: pass --justification "why you need admin rights"';
        case 'TicketingRule':
          return 'the activation policy requires ticket information: pass --ticket-number <number> (and --ticket-system <name>)';
        default:
          return `the policy rule ${r} failed`;
      }
    });
    return `PIM refused to activate ${o.group}: ${why.join('; ') || message}`;
  }
  if (code === 'RoleAssignmentRequestAcrsValidationFailed') {
    return (
      `PIM refused to activate ${o.group}: the activation policy requires Conditional Access authentication ` +
      `context${o.acr ? ` ${o.acr}` : ''}, which this sign-in did not satisfy: sign in again in the browser so Conditional Access ` +
      `can step you up (for example --auth browser), then activate`
    );
  }
  if (code === 'RoleAssignmentDoesNotExist')
    return `PIM refused to activate ${o.group}: you have no eligible assignment for it (or it has expired)`;
  return `PIM refused to activate ${o.group}: ${message}`;
}

async function activate(
  session: Session,
  graph: GraphApi,
  me: Me,
  group: { id: string; displayName: string; endDateTime?: string | null },
  raw: ActivateOptions,
  claims: Record<string, unknown>,
  ticket: TicketInfo | undefined,
): Promise<Result> {
  const current = await activeInstance(graph, group.id);
  if (current) {
    return {
      outcome: 'already-active',
      message: `${group.displayName} is already active for ${me.userPrincipalName} until ${current.endDateTime ?? 'no end'}; nothing sent`,
      startDateTime: current.startDateTime,
      endDateTime: current.endDateTime,
    };
  }

  const rules = await readPolicy(session, graph, group.id);
  const maxText = rule(rules, 'Expiration_EndUser_Assignment')?.maximumDuration as string | undefined;
  const maxMs = maxText ? parseDuration(maxText) : undefined;
  const duration = raw.duration?.toUpperCase() ?? maxText;
  if (raw.duration && maxMs !== undefined && parseDuration(raw.duration) > maxMs) {
    throw new UsageError(
      `--duration ${raw.duration}: the activation policy of ${group.displayName} allows at most ${maxText} (${humanDuration(maxMs)}); nothing was sent`,
    );
  }
  const enabled = (rule(rules, 'Enablement_EndUser_Assignment')?.enabledRules as string[] | undefined) ?? [];
  const justification = raw.justification?.trim();
  if (enumListHas(enabled, 'Justification') && !justification) {
    throw new UsageError(
      `the activation policy of ${group.displayName} requires a justification: pass --justification "why you need admin rights"; nothing was sent`,
    );
  }
  if (!ticket && requiresTicket(rules, 'Enablement_EndUser_Assignment')) {
    throw new UsageError(
      `the activation policy of ${group.displayName} requires ticket information: pass --ticket-number <number> (and --ticket-system <name>); nothing was sent`,
    );
  }
  const amr = Array.isArray(claims.amr) ? (claims.amr as string[]) : [];
  if (enumListHas(enabled, 'MultiFactorAuthentication') && claims.scp !== undefined && !amr.includes('mfa')) {
    throw new UsageError(
      `the activation policy of ${group.displayName} requires multi-factor authentication, and this sign-in did not use it: ` +
        `sign in again with MFA (for example --auth browser and complete the MFA prompt); nothing was sent`,
    );
  }
  const acr = rule(rules, 'AuthenticationContext_EndUser_Assignment');
  const acrValue = acr?.isEnabled === true ? String(acr.claimValue ?? '') : undefined;
  const acrs = Array.isArray(claims.acrs) ? (claims.acrs as string[]) : [];
  if (acrValue && !acrs.includes(acrValue)) {
    throw new UsageError(
      `the activation policy of ${group.displayName} requires Conditional Access authentication context ${acrValue}, which this ` +
        `sign-in did not satisfy: sign in again in the browser so Conditional Access can step you up (for example --auth browser); ` +
        `nothing was sent`,
    );
  }

  if (!duration) {
    // PIM needs scheduleInfo.expiration (Learn "Create assignmentScheduleRequest": scheduleInfo is
    // required); with the policy unreadable its maximum is unknown, so the user names the length.
    throw new UsageError(
      `the activation policy of ${group.displayName} is not readable with this sign-in ` +
        `(RoleManagementPolicy.Read.AzureADGroup), so its maximum is unknown: pass --duration, e.g. --duration PT1H; nothing was sent`,
    );
  }
  const startDateTime = new Date().toISOString();
  const res = await graph.write({
    op: 'pim.selfActivate',
    groupId: group.id,
    principalId: me.id,
    startDateTime,
    duration,
    justification,
    ...(ticket ? { ticket } : {}),
  });
  const answer = (res.body ?? {}) as Record<string, unknown>;
  if (res.status < 200 || res.status >= 300) {
    const code = errorCode(res.body);
    if (code === 'RoleAssignmentExists') {
      const now = await activeInstance(graph, group.id);
      return {
        outcome: 'already-active',
        message: `${group.displayName} is already active for ${me.userPrincipalName}${now?.endDateTime ? ` until ${now.endDateTime}` : ''}`,
        endDateTime: now?.endDateTime,
      };
    }
    if (res.status === 403) {
      throw new UsageError(
        `Graph refused the activation (403): the sign-in needs the delegated permission ` +
          `PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup, consented for the app you signed in with`,
      );
    }
    const message = (answer.error as { message?: string } | undefined)?.message ?? `HTTP ${res.status}`;
    throw new UsageError(explainRefusal(code, message, { duration, max: maxText, group: group.displayName, acr: acrValue }));
  }
  const status = String(answer.status ?? '');
  const info = answer.scheduleInfo as ScheduleInfo | undefined;
  const end = activationEnd(info, { startDateTime, duration });
  const requestId = typeof answer.id === 'string' ? answer.id : undefined;
  if (enumIn(status, ['PendingApproval', 'PendingAdminDecision'])) {
    return {
      outcome: 'pending-approval',
      message:
        `approval pending: the request to activate ${group.displayName} (request ${requestId}) waits for an approver. You get ` +
        `access when it is approved; until then Keycloak gives you no admin rights`,
      requestId,
      startDateTime: info?.startDateTime,
      endDateTime: end,
    };
  }
  if (enumIn(status, ['Failed', 'Denied', 'Canceled', 'Revoked'])) {
    throw new UsageError(`PIM did not activate ${group.displayName}: the request ${requestId ?? ''} ended with status ${status}`);
  }
  const length = ` (${humanDuration(parseDuration(duration))})`;
  return {
    outcome: 'active',
    message: `${group.displayName} is active for ${me.userPrincipalName} until ${end ?? 'the policy maximum'}${length}. ${KEYCLOAK_NOTE}`,
    requestId,
    startDateTime: info?.startDateTime,
    endDateTime: end,
  };
}

interface ScheduleInfo {
  startDateTime?: string | null;
  expiration?: { type?: string; endDateTime?: string | null; duration?: string | null };
}

/**
 * When the activation ends. The 201 for `afterDuration` echoes `{type, duration}` and no
 * `endDateTime` (Learn "Create assignmentScheduleRequest", example 2), so the end is the start
 * plus the duration: the answer's own values first, else what was sent.
 */
export function activationEnd(info: ScheduleInfo | undefined, sent: { startDateTime: string; duration: string }): string | null {
  if (info?.expiration?.endDateTime) return info.expiration.endDateTime;
  const start = Date.parse(info?.startDateTime ?? sent.startDateTime);
  let ms: number;
  try {
    ms = parseDuration(info?.expiration?.duration ?? sent.duration);
  } catch {
    return null;
  }
  return Number.isNaN(start) ? null : new Date(start + ms).toISOString();
}

/** The user's own activation of the group that is in effect now (not a standing membership). */
async function activeInstance(graph: GraphApi, groupId: string): Promise<PimInstance | undefined> {
  const list = await myAssignmentInstances(graph);
  return list.find((i) => i.groupId.toLowerCase() === groupId.toLowerCase() && isMemberAccess(i) && isActivated(i));
}

async function deactivate(graph: GraphApi, me: Me, group: { id: string; displayName: string }): Promise<Result> {
  const res = await graph.write({ op: 'pim.selfDeactivate', groupId: group.id, principalId: me.id });
  if (res.status >= 200 && res.status < 300) {
    const id = (res.body as { id?: string } | undefined)?.id;
    return {
      outcome: 'ended',
      message:
        `the activation of ${group.displayName} has ended for ${me.userPrincipalName}. Keycloak takes the admin group away at ` +
        `your next sign-in through Entra; sign out of Keycloak now so no session keeps it`,
      requestId: id,
    };
  }
  if (errorCode(res.body) === 'RoleAssignmentDoesNotExist') {
    return { outcome: 'not-active', message: `${group.displayName} is not active for ${me.userPrincipalName}: nothing to end` };
  }
  if (res.status === 403)
    throw new UsageError('Graph refused the deactivation (403): the sign-in needs PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup');
  throw graph.error({ method: 'POST', url: `${PIM_GROUP}/assignmentScheduleRequests` }, res);
}

/** The command: sign in as the user, find the eligible group, activate (or end) it, report. */
export async function activateCommand(raw: ActivateOptions, io: CommandIo): Promise<number> {
  const tenantId = raw.tenantId?.trim();
  if (!tenantId)
    throw new UsageError(
      '--tenant-id is required (or AZURE_TENANT_ID): the directory (tenant) id (a GUID) or a verified domain of the tenant',
    );
  const tenantProblem = tenantInputProblem(tenantId);
  if (tenantProblem) throw new UsageError(tenantProblem);
  if (raw.duration !== undefined) {
    if (raw.deactivate) throw new UsageError('--duration and --deactivate: give one, not both');
    try {
      if (parseDuration(raw.duration) <= 0) throw new DurationError(`${raw.duration}: must be longer than zero`);
      // Keeps the canonical form PIM accepts (P1DT2H → P1DT2H, pt30m → PT30M).
      raw.duration = formatDuration(parseDuration(raw.duration));
    } catch (err) {
      if (err instanceof DurationError) throw new UsageError(`--duration ${err.message}`);
      throw err;
    }
  }
  const ticket = resolveTicket(raw);
  if (ticket && raw.deactivate) throw new UsageError('--ticket-number and --deactivate: give one, not both');
  const session = await openSession(raw, io);
  const tenantGuid = await resolveTenant(session, tenantId, false);
  // A self-activation is the user's own request, not a change this tool manages: no journal file.
  const graph = await connectGraph(session, tenantGuid, false, new MemoryJournal(), { command: 'activate' });
  const claims = jwtClaims(await graph.token());
  if (claims.scp === undefined && claims.roles !== undefined) {
    throw new UsageError(
      'activate needs a signed-in user (PIM activates only for the signed-in user): use --auth browser or device-code, or a ' +
        'delegated access token — not an app-only sign-in',
    );
  }
  if (typeof claims.scp === 'string') {
    const missing = missingPermissions(ACTIVATE_NEEDS, claims.scp.split(' ').filter(Boolean)).map((n) => n.permission);
    if (missing.length) {
      throw new UsageError(
        `the sign-in's token lacks the delegated scope(s) ${missing.join(', ')} that activate needs; nothing was sent. Fix: ` +
          `${missingScopeFix(graph.signIn.method as AuthMethod | undefined, missing, graph.signIn.clientId)}`,
      );
    }
  }
  const who = await graph.get<Me>(withQuery('/me', { $select: 'id,userPrincipalName,displayName' }));
  const me: Me = { id: who.id, userPrincipalName: who.userPrincipalName, displayName: who.displayName };
  const group = await pickGroup(graph, prompterFor(session, false), me, raw.group);
  const result = raw.deactivate ? await deactivate(graph, me, group) : await activate(session, graph, me, group, raw, claims, ticket);

  if (session.options.json) {
    io.stdout(
      `${jsonSafe(
        JSON.stringify(
          {
            schemaVersion: 1,
            command: 'activate',
            action: raw.deactivate ? 'deactivate' : 'activate',
            tenantId: tenantGuid,
            user: me,
            group: { id: group.id, displayName: group.displayName },
            status: result.outcome,
            message: result.message,
            requestId: result.requestId ?? null,
            startDateTime: result.startDateTime ?? null,
            endDateTime: result.endDateTime ?? null,
          },
          null,
          2,
        ),
      )}\n`,
    );
  } else {
    const c = session.colors;
    const paint = result.outcome === 'pending-approval' ? c.yellow : c.green;
    io.stdout(`${paint(safeText(result.message))}\n`);
  }
  return result.outcome === 'pending-approval' ? ExitCode.drift : ExitCode.ok;
}
