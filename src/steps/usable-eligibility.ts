import type { RunContext } from '../context.js';
import { odataString, withQuery } from '../graph/graph-api.js';
import { enumIn, enumIs } from '../graph/enums.js';
import { humanDuration, parseDuration } from '../core/duration.js';
import type { Finding } from '../core/findings.js';
import { PIM_GROUP } from '../entra/pim.js';
import { finding } from '../core/findings.js';
import { isGuid } from '../core/ids.js';

/** A PIM for Groups schedule as listed by eligibilitySchedules. */
export interface PimSchedule {
  id: string;
  principalId: string;
  groupId: string;
  accessId: string;
  status?: string;
  scheduleInfo?: { startDateTime?: string | null; expiration?: { type?: string; endDateTime?: string | null; duration?: string | null } };
}

/**
 * The request and schedule statuses that mean an eligibility is in effect.
 *
 * Learn documents eleven values for `status` (privilegedAccessSchedule and
 * privilegedAccessGroupEligibilityScheduleRequest resource pages: Canceled, Denied, Failed, Granted,
 * PendingAdminDecision, PendingApproval, PendingProvisioning, PendingScheduleCreation, Provisioned,
 * Revoked, ScheduleCreated) but not which of them leave a schedule a user can activate. Every
 * documented answer of an admin eligibility request that took effect (Learn "Create
 * eligibilityScheduleRequest", privilegedaccessgroup-post-eligibilityschedulerequests: adminAssign
 * and adminExtend) and every listed schedule ("List eligibilitySchedules") says `Provisioned`. The
 * Pending* values are by name not in effect yet; `Granted` is an approval decision and
 * `ScheduleCreated` a schedule not said to be provisioned, and no page says either can be activated.
 * Unsure means not usable: only `Provisioned` counts, and a re-run re-reads the live state.
 */
export const USABLE_STATUSES: readonly string[] = ['Provisioned'];

/**
 * When a schedule ends: a date, `null` for a documented `noExpiration`, or `undefined` when the
 * answer cannot be understood (no expiration, an unknown type, a missing or unreadable date).
 */
export function scheduleEnd(s: PimSchedule): Date | null | undefined {
  const exp = s.scheduleInfo?.expiration;
  if (!exp) return undefined;
  if (enumIs(exp.type, 'noExpiration')) return null;
  if (enumIs(exp.type, 'afterDateTime')) return validDate(exp.endDateTime);
  if (enumIs(exp.type, 'afterDuration')) {
    // Some answers carry both; the explicit end wins.
    const end = validDate(exp.endDateTime);
    if (end) return end;
    const start = validDate(s.scheduleInfo?.startDateTime);
    if (!start || !exp.duration) return undefined;
    try {
      return new Date(start.getTime() + parseDuration(exp.duration));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function validDate(text: string | null | undefined): Date | undefined {
  if (typeof text !== 'string' || !text) return undefined;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** One eligibility a user could activate right now. */
export interface UsableEligibility {
  scheduleId: string;
  principalId: string;
  /** UPN or display name of the principal, for messages. */
  name: string;
  start: Date;
  /** null: permanent. */
  end: Date | null;
}

/** The account behind an eligibility, as read live. */
export interface PrincipalAccount {
  id: string;
  accountEnabled?: boolean | null;
  userPrincipalName?: string | null;
  displayName?: string | null;
}

/**
 * Pure: the window of a schedule when it is usable at `now`, apart from its principal's account:
 * member access, a usable status, started, not ended, and fully understood.
 */
export function usableWindow(s: PimSchedule, now: Date): { start: Date; end: Date | null } | undefined {
  if (!enumIs(s.accessId, 'member')) return undefined;
  if (!enumIn(s.status, USABLE_STATUSES)) return undefined;
  const start = validDate(s.scheduleInfo?.startDateTime);
  if (!start || start.getTime() > now.getTime()) return undefined;
  const end = scheduleEnd(s);
  if (end === undefined) return undefined;
  if (end !== null && end.getTime() <= now.getTime()) return undefined;
  return { start, end };
}

/**
 * Pure: the eligibilities someone can activate now: a usable window held by a user account read
 * as enabled. A principal that is not a readable user (a group, a deleted or disabled account, an
 * answer without `accountEnabled`) does not count.
 */
export function usableEligibilities(
  schedules: PimSchedule[],
  accounts: Map<string, PrincipalAccount>,
  now: Date,
  groupId: string,
): UsableEligibility[] {
  const out: UsableEligibility[] = [];
  for (const s of schedules) {
    // The list was asked for this group ($filter); a schedule of another group in the answer
    // (a paging link whose filter changed, a server that ignores the filter) is no way into this one.
    if (typeof s.groupId !== 'string' || s.groupId.toLowerCase() !== groupId.toLowerCase()) continue;
    const w = usableWindow(s, now);
    if (!w) continue;
    const account = accounts.get(s.principalId);
    if (account?.accountEnabled !== true) continue;
    out.push({ scheduleId: s.id, principalId: s.principalId, name: account.userPrincipalName ?? account.displayName ?? account.id, ...w });
  }
  return out;
}

/**
 * Pure: a warning when every usable eligibility ends within `thresholdMs` of `now` (time is a
 * lockout too: when the last one ends, nobody can become admin). Nothing when none is usable (the
 * caller reports that as an error) or when one lasts longer.
 */
export function expiryWarning(ends: Array<{ name: string; end: Date | null }>, now: Date, thresholdMs: number): Finding | undefined {
  if (ends.length === 0) return undefined;
  const limit = now.getTime() + thresholdMs;
  if (ends.some((e) => e.end === null || e.end.getTime() > limit)) return undefined;
  const last = ends.reduce((a, b) => (b.end!.getTime() > a.end!.getTime() ? b : a));
  return finding(
    'warning',
    'ELIGIBLE_EXPIRING',
    `every usable eligibility ends within ${humanDuration(thresholdMs)} (--expiry-warning): the last, ${last.name}'s, ends ` +
      `${last.end!.toISOString()}; after that nobody can become admin`,
    'run with --renew to extend them within the group policy, or give --eligible with a later --end',
  );
}

/** The group's eligibility schedules, read live. */
export function readEligibilitySchedules(ctx: RunContext, groupId: string): Promise<PimSchedule[]> {
  return ctx.graph.list<PimSchedule>(withQuery(`${PIM_GROUP}/eligibilitySchedules`, { $filter: `groupId eq ${odataString(groupId)}` }));
}

/**
 * Reads each principal's user account live (`accountEnabled` needs `$select`). A 404 (not a
 * user, e.g. a group, or deleted) leaves the principal out; any other failure throws.
 */
export async function readAccounts(ctx: RunContext, principalIds: string[]): Promise<Map<string, PrincipalAccount>> {
  // Ids come from Graph's answer; only GUIDs go into a URL.
  const ids = [...new Set(principalIds)].filter(isGuid);
  const out = new Map<string, PrincipalAccount>();
  if (ids.length === 0) return out;
  const answers = await ctx.graph.getMany<PrincipalAccount>(
    ids.map((id) => withQuery(`/users/${id}`, { $select: 'id,accountEnabled,userPrincipalName,displayName' })),
  );
  answers.forEach((a, i) => {
    if (a && a.id === ids[i]) out.set(ids[i], a);
  });
  return out;
}

/** The usable eligibilities among `schedules` (the group's, as just read), with their holders' accounts read live. */
export async function usableOf(
  ctx: RunContext,
  schedules: PimSchedule[],
  groupId: string,
  now: Date = ctx.now(),
): Promise<{ usable: UsableEligibility[]; accounts: Map<string, PrincipalAccount> }> {
  const candidates = schedules.filter((s) => usableWindow(s, now));
  const accounts = await readAccounts(
    ctx,
    candidates.map((s) => s.principalId),
  );
  return { usable: usableEligibilities(candidates, accounts, now, groupId), accounts };
}

/** Live: the eligibilities of the group someone can activate now (schedules and accounts read now). */
export async function readUsableEligibilities(ctx: RunContext, groupId: string): Promise<UsableEligibility[]> {
  return (await usableOf(ctx, await readEligibilitySchedules(ctx, groupId), groupId)).usable;
}

/** For messages: who holds the usable eligibilities. */
export function holders(usable: UsableEligibility[]): string {
  return [...new Set(usable.map((u) => u.name))].join(', ') || 'nobody';
}
