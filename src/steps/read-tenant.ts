import type { RunContext } from '../context.js';
import { GraphRequestError, KeycloakError } from '../errors.js';
import { readApprovers } from '../entra/approvers.js';
import { loadMemberPolicy, PIM_GROUP, type PimInstance } from '../entra/pim.js';
import { enumIs } from '../graph/enums.js';
import { odataString, withQuery } from '../graph/graph-api.js';
import { listGroupMembers, MEMBER_SELECT } from './admin-group.js';
import { chooseAppRole } from './app-assignment.js';
import { entraFacts } from './entra-facts.js';
import { readKeycloak } from './keycloak.js';
import { readPrerequisites } from './prerequisites.js';
import { analysePrerequisites } from './prerequisites-findings.js';
import type { DirectoryMember, PimState, PrerequisiteFacts, PrerequisiteReads, Read, TenantSnapshot } from './snapshot.js';
import { usableOf, type PimSchedule } from './usable-eligibility.js';

/**
 * A failure the runner reports as the step's PLAN_FAILED: the read keeps it for that step's plan
 * and reading goes on. Anything else (a cancelled prompt, an answer no rule covers) ends the run,
 * as it did when the step read for itself, so it is thrown on at once.
 */
async function read<T>(fn: () => Promise<T>): Promise<Read<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    return settled(err);
  }
}

function settled<T>(err: unknown): Read<T> {
  if (err instanceof GraphRequestError || err instanceof KeycloakError) return { ok: false, error: err };
  throw err;
}

/** Reads the group's PIM state: schedules and the member instances active at `now`. */
async function readPimState(ctx: RunContext, groupId: string, now: Date): Promise<PimState> {
  const filter = { $filter: `groupId eq ${odataString(groupId)}` };
  const [schedules, active] = await Promise.all([
    ctx.graph.list<PimSchedule>(withQuery(`${PIM_GROUP}/eligibilitySchedules`, filter)),
    ctx.graph.list<PimInstance>(withQuery(`${PIM_GROUP}/assignmentScheduleInstances`, filter)),
  ]);
  // Only this group's member instances active now make a member just-in-time (admin-group keeps
  // them): one of another group, or one that has ended, must not shield a standing member.
  const nowMs = now.getTime();
  const activeAssignments = active.filter(
    (a) =>
      enumIs(a.accessId, 'member') &&
      typeof a.groupId === 'string' &&
      a.groupId.toLowerCase() === groupId.toLowerCase() &&
      (!a.startDateTime || Date.parse(a.startDateTime) <= nowMs) &&
      (!a.endDateTime || Date.parse(a.endDateTime) > nowMs),
  );
  // PIM lists nothing for a group that was never onboarded; after onboarding even standing
  // members show up as "assigned" instances.
  return { schedules, activeAssignments, onboarded: schedules.length > 0 || active.length > 0 };
}

/**
 * The read phase of `run` and `audit`: every Graph read the steps' plans need, then the Keycloak realm, once, in the
 * order the steps use them (a read that needs an earlier one's answer comes after it), with
 * every prompt (an ambiguous app, group or approver) asked here. A read that fails is kept as
 * its error for the plan that needs it; a failure that is not Graph's or Keycloak's (or a
 * cancelled prompt) stops reading, as it stops the run.
 */
export async function readTenant(ctx: RunContext): Promise<TenantSnapshot> {
  const prerequisites = await readPrerequisites(ctx);
  // The analysis' facts choose what to read next; its findings are the prerequisites plan's.
  const { facts } = analysePrerequisites(prerequisites, ctx.options);
  const snap = await readAfterPrerequisites(ctx, facts, prerequisites);
  // The realm last, as when the keycloak step (planned last) read it: the tenant's facts choose its provider.
  const realm = await readKeycloak(ctx, entraFacts(snap, ctx.options));
  return realm ? { ...snap, realm } : snap;
}

/**
 * The reads that need what prerequisites found (the app and the group): the app's assignments,
 * the group's PIM state and policy, who can activate now, the approvers and the group's members.
 */
export async function readAfterPrerequisites(
  ctx: RunContext,
  facts: PrerequisiteFacts,
  prerequisites: PrerequisiteReads = {},
): Promise<TenantSnapshot> {
  const { options } = ctx;
  const now = ctx.now();
  const snap: { -readonly [K in keyof TenantSnapshot]: TenantSnapshot[K] } = { tenantId: options.tenantId, now, facts, prerequisites };
  const { servicePrincipal: sp, group } = facts;

  if (sp && group && !chooseAppRole(sp.appRoles ?? [], options.appRole).finding) {
    // Read from the app's side: GET /servicePrincipals/{id}/appRoleAssignedTo needs Application.Read.All
    // (Learn serviceprincipal-list-approleassignedto), while the group's own appRoleAssignments needs
    // Directory.Read.All (group-list-approleassignments).
    snap.appAssignedTo = await read(() => ctx.graph.list(`/servicePrincipals/${sp.id}/appRoleAssignedTo`));
  }
  if (!group) return snap;

  const [pim, policy] = await Promise.allSettled([readPimState(ctx, group.id, now), loadMemberPolicy(ctx.graph, group.id)]);
  const settle = <T>(r: PromiseSettledResult<T>): Read<T> => (r.status === 'fulfilled' ? { ok: true, value: r.value } : settled(r.reason));
  // As when the eligibility step read them together: the first failure is the one it reports.
  snap.pim = settle(pim);
  snap.memberPolicy = settle(policy);
  const members = () => listGroupMembers<DirectoryMember>(ctx.graph, group.id, MEMBER_SELECT);
  if (snap.pim.ok && snap.memberPolicy.ok && facts.eligibleUsers) {
    if (options.convertMembers) snap.members = await read(members);
    if (!snap.members || snap.members.ok) {
      // Who can activate now: a usable schedule held by an account read as enabled (admin-group
      // reads it again, live, right before the first removal).
      const schedules = [...snap.pim.value.schedules];
      snap.usable = await read(() => usableOf(ctx, schedules, group.id, now));
    }
  }
  if (snap.memberPolicy.ok && options.policy.requireApproval) {
    // What each lookup answered; pim-policy's plan makes the approvers and findings of it.
    snap.approvers = await read(() => readApprovers(ctx.graph, ctx.prompt, options.policy.approvers));
  }
  snap.members ??= await read(members);
  return snap;
}
