import { GraphRequestError, UsageError } from '../errors.js';
import { errorText, odataString, withQuery, type GraphApi } from '../graph/graph-api.js';
import type { GraphResponse } from '../graph/answers.js';
import { enumIs } from '../graph/enums.js';
import { userPath } from '../graph/user-path.js';
import { finding, type Finding } from '../core/findings.js';
import { isGuid } from '../core/ids.js';
import type { Prompter } from '../ui/prompt.js';

/**
 * Entra lookups: the enterprise app, a group, users and approvers, by name or id, for the wizard,
 * the steps and every command. One ambiguity rule for all of them (`oneOf`): a name that several
 * objects carry is a choice on a terminal and, in scripts, an error listing the matches and
 * naming the flag that picks one.
 */

/** The Graph calls the lookups make. */
export type LookupGraph = Pick<GraphApi, 'find' | 'list' | 'getMany' | 'getManySettled'>;

/**
 * A lookup that found nothing, or several matches where no one could choose. A command shows it
 * as a one-line error (`message`: problem and fix); a step reports it as a finding (`code`,
 * `problem`, `fix`), so a run still lists every other check.
 */
export class LookupError extends UsageError {
  constructor(
    readonly code: string,
    readonly problem: string,
    readonly fix: string,
  ) {
    super(`${problem}; ${fix}`);
  }
}

/** The error finding a step records for a failed lookup. */
export function lookupFinding(err: LookupError): Finding {
  return finding('error', err.code, err.problem, err.fix);
}

/** Display name and UPN of a directory object, for messages. */
export function who(o: { displayName?: string | null; userPrincipalName?: string | null; id: string }): string {
  if (o.displayName && o.userPrincipalName) return `${o.displayName} <${o.userPrincipalName}>`;
  return o.displayName ?? o.userPrincipalName ?? o.id;
}

/**
 * The ambiguity rule: one match is the answer; several are a choice on a terminal (`question`,
 * each labelled by `label`) and otherwise the `ambiguous` error, which lists them and names `flag`.
 */
export async function oneOf<T>(
  prompt: Pick<Prompter, 'interactive' | 'select'> | undefined,
  matches: T[],
  how: { flag: string; question: string; label: (m: T) => string; ambiguous: () => LookupError },
): Promise<T> {
  if (matches.length === 1) return matches[0];
  if (prompt?.interactive)
    return prompt.select(
      how.question,
      matches.map((m) => ({ name: how.label(m), value: m })),
      { flag: how.flag },
    );
  throw how.ambiguous();
}

/** An enterprise app (service principal) as the lookups return it. */
export interface AppHit {
  id: string;
  appId: string;
  displayName?: string | null;
}

/**
 * The enterprise app by `--app-id` (its application id) or `--app-name` (its display name, exact),
 * with the properties `select` names. Throws LookupError APP_NOT_FOUND or APP_AMBIGUOUS.
 */
export async function findApp<T extends AppHit>(
  graph: LookupGraph,
  prompt: Prompter | undefined,
  by: { appId?: string; appName?: string; tenantId?: string },
  select: string,
): Promise<T> {
  if (by.appId) {
    const sp = await graph.find<T>(withQuery(`/servicePrincipals(appId=${odataString(by.appId)})`, { $select: select }));
    if (sp) return sp;
    throw new LookupError(
      'APP_NOT_FOUND',
      `no enterprise app (service principal) with app id ${by.appId}${by.tenantId ? ` in tenant ${by.tenantId}` : ''}`,
      "check --app-id (the Keycloak app registration's Application (client) ID), or use --app-name",
    );
  }
  const name = by.appName ?? '';
  const matches = await graph.list<T>(withQuery('/servicePrincipals', { $filter: `displayName eq ${odataString(name)}`, $select: select }));
  if (matches.length === 0)
    throw new LookupError('APP_NOT_FOUND', `no enterprise app named "${name}"`, 'check --app-name, or pass --app-id');
  return oneOf(prompt, matches, {
    flag: '--app-id',
    question: `${matches.length} enterprise apps are named "${name}"; which one?`,
    label: (m) => `${m.displayName} (app id ${m.appId})`,
    ambiguous: () =>
      new LookupError(
        'APP_AMBIGUOUS',
        `${matches.length} enterprise apps are named "${name}": ${matches.map((m) => `app id ${m.appId}`).join(', ')}`,
        'pass --app-id with one of them',
      ),
  });
}

/** A group as the lookups return it. */
export interface GroupHit {
  id: string;
  displayName: string;
  description?: string | null;
}

/**
 * A group by object id or display name (exact), with the properties `select` names. `flag` is the
 * option the value came from (`--group`, `--approver`), `code` the finding code's prefix. Throws
 * LookupError `<code>_NOT_FOUND` or `<code>_AMBIGUOUS`.
 */
export async function findGroup<T extends GroupHit>(
  graph: LookupGraph,
  prompt: Prompter | undefined,
  nameOrId: string,
  how: { select: string; flag?: string; code?: string },
): Promise<T> {
  const flag = how.flag ?? '--group';
  const code = how.code ?? 'GROUP';
  if (isGuid(nameOrId)) {
    const group = await graph.find<T>(withQuery(`/groups/${nameOrId}`, { $select: how.select }));
    if (group) return group;
    throw new LookupError(`${code}_NOT_FOUND`, `no group with object id ${nameOrId}`, `check ${flag}`);
  }
  const matches = await graph.list<T>(withQuery('/groups', { $filter: `displayName eq ${odataString(nameOrId)}`, $select: how.select }));
  if (matches.length === 0)
    throw new LookupError(`${code}_NOT_FOUND`, `no group named "${nameOrId}"`, `check ${flag} (display name or object id)`);
  return oneOf(prompt, matches, {
    flag,
    question: `${matches.length} groups are named "${nameOrId}"; which one?`,
    label: (m) => `${m.displayName} (${m.id})${m.description ? ` — ${m.description}` : ''}`,
    ambiguous: () =>
      new LookupError(
        `${code}_AMBIGUOUS`,
        `${matches.length} groups are named "${nameOrId}": ${matches.map((m) => m.id).join(', ')}`,
        `pass ${flag} with the object id of the one to use`,
      ),
  });
}

/**
 * One of the groups the signed-in user is eligible for, by object id or display name (any case):
 * the same rule, among those groups only. Undefined when none matches.
 */
export async function pickEligibleGroup<T extends { id: string; displayName: string }>(
  prompt: Prompter | undefined,
  groups: T[],
  wanted: string,
): Promise<T | undefined> {
  const w = wanted.trim().toLowerCase();
  const hits = groups.filter((g) => g.id.toLowerCase() === w || g.displayName.toLowerCase() === w);
  if (hits.length === 0) return undefined;
  return oneOf(prompt, hits, {
    flag: '--group',
    question: `you are eligible for ${hits.length} groups named "${wanted}"; which one?`,
    label: (g) => `${g.displayName} (${g.id})`,
    ambiguous: () =>
      new LookupError(
        'GROUP_AMBIGUOUS',
        `you are eligible for ${hits.length} groups named "${wanted}": ${hits.map((g) => g.id).join(', ')}`,
        'pass --group with the object id of the one to use',
      ),
  });
}

/** A user as verify-user reads it. */
export interface UserHit {
  id: string;
  userPrincipalName: string;
  displayName?: string;
  mail?: string | null;
  accountEnabled?: boolean;
}

/** One user by UPN or object id; a missing or unreadable user is a UsageError naming the value as typed. */
export async function findUser(graph: LookupGraph, input: string): Promise<UserHit> {
  let user: UserHit | null;
  try {
    user = await graph.find<UserHit>(withQuery(userPath(input), { $select: 'id,displayName,userPrincipalName,mail,accountEnabled' }));
  } catch (err) {
    // Named as typed, not by the encoded lookup URL; a 403 stays a permission error.
    if (err instanceof GraphRequestError && err.status !== 403 && err.status !== 401) {
      throw new UsageError(
        `${input}: Graph could not read this user (${[err.status, err.code].filter(Boolean).join(' ')}); give a user principal name or object id`,
      );
    }
    throw err;
  }
  if (!user) throw new UsageError(`${input}: no such user in the tenant (give a user principal name or object id)`);
  return {
    id: user.id,
    userPrincipalName: user.userPrincipalName,
    displayName: user.displayName,
    mail: user.mail,
    accountEnabled: user.accountEnabled,
  };
}

/** A user to make eligible, as found. */
export interface EligibleUser {
  /** As given on the command line. */
  input: string;
  id: string;
  userPrincipalName: string;
  displayName: string;
  /** A standing member turned into an eligible assignment by --convert-members. */
  converted?: boolean;
}

const USER_SELECT = 'id,displayName,userPrincipalName,mail,accountEnabled,userType';

/** Graph's answer for one `--eligible` user. */
export type EligibleUserAnswer = {
  id: string;
  displayName?: string;
  userPrincipalName?: string;
  accountEnabled?: boolean;
  userType?: string;
};

/**
 * The `--eligible` users (UPN or object id) read, each once (in $batch round trips of 20): Graph's
 * answer for each input, in input order (none for no input). `eligibleUsersOf` judges them.
 */
export async function readEligibleUsers(graph: LookupGraph, inputs: string[]): Promise<Array<GraphResponse<EligibleUserAnswer>>> {
  if (inputs.length === 0) return [];
  // One $batch round trip per 20 users instead of one request each.
  return graph.getManySettled<EligibleUserAnswer>(inputs.map((i) => withQuery(userPath(i), { $select: USER_SELECT })));
}

/**
 * Pure: Graph's answers for the `--eligible` users (in input order) in, users and findings out.
 * Unknown, unreadable and disabled users become error findings and are left out; guests are
 * warned about; duplicates (two inputs for one user) count once.
 */
export function eligibleUsersOf(inputs: string[], answers: Array<GraphResponse<EligibleUserAnswer>>, findings: Finding[]): EligibleUser[] {
  const out: EligibleUser[] = [];
  answers.forEach((answer, i) => {
    const input = inputs[i];
    if (answer.status === 404) {
      findings.push(
        finding(
          'error',
          'USER_NOT_FOUND',
          `--eligible ${input}: no such user in this tenant`,
          'give a user principal name or object id of a member user',
        ),
      );
      return;
    }
    if (answer.status < 200 || answer.status >= 300) {
      // Named as typed, not by the encoded URL the lookup used.
      findings.push(
        finding(
          'error',
          'USER_UNREADABLE',
          `--eligible ${input}: Graph could not read this user (${errorText(answer)})`,
          answer.status === 403
            ? 'grant the permission named under "caller", then run again'
            : 'check the value: a user principal name or object id of a member user',
        ),
      );
      return;
    }
    const u = answer.body;
    // A user answer without its object id is not understood: nothing is requested for it.
    if (!u || typeof u.id !== 'string' || !isGuid(u.id)) {
      findings.push(
        finding(
          'error',
          'USER_UNREADABLE',
          `--eligible ${input}: Graph answered without the user's object id; refused`,
          'check the value, then run again',
        ),
      );
      return;
    }
    if (u.accountEnabled === false) {
      findings.push(
        finding(
          'error',
          'USER_DISABLED',
          `--eligible ${input}: ${who(u)} is disabled and could never activate; refused`,
          'enable the account or leave it out',
        ),
      );
      return;
    }
    if (enumIs(u.userType, 'Guest')) {
      findings.push(
        finding(
          'warning',
          'USER_GUEST',
          `--eligible ${input}: ${who(u)} is a guest; a guest with admin rights in a tier-0 system is unusual`,
          'make sure this is intended',
        ),
      );
    }
    out.push({
      input,
      id: u.id,
      userPrincipalName: u.userPrincipalName ?? u.id,
      displayName: u.displayName ?? u.userPrincipalName ?? u.id,
    });
  });
  const seen = new Set<string>();
  return out.filter((u) => (seen.has(u.id) ? false : (seen.add(u.id), true)));
}

/** Principal reference for an approver in an approval stage. */
export interface ApproverRef {
  kind: 'user' | 'group';
  id: string;
  label: string;
}
