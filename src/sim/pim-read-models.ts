import { guidFromName } from './ids.js';
import type { SeedSchedule } from './seed.js';
import type { TenantState } from './state.js';

type Obj = Record<string, unknown>;

// ---------------------------------------------------------------------------
// Read models
// ---------------------------------------------------------------------------

/** Whether a schedule has not ended by the sim clock (no end date: permanent). */
export function notExpired(state: TenantState, s: SeedSchedule): boolean {
  return s.endDateTime === null || Date.parse(s.endDateTime) > state.clock.nowMs();
}

/**
 * Members (and owners) that were in an onboarded group without PIM appear as permanent
 * "assigned" active assignments with null dates; their ids are derived, not stored
 * (ASSUMPTIONS.md, PIM for Groups: standing members).
 */
export function standingAssignments(state: TenantState): SeedSchedule[] {
  const out: SeedSchedule[] = [];
  for (const groupId of state.onboarded) {
    const g = state.findGroup(groupId);
    if (!g) continue;
    for (const [accessId, list] of [
      ['member', g.members],
      ['owner', g.owners],
    ] as const) {
      for (const principalId of list) {
        out.push({
          id: guidFromName(`standing:${g.id}:${accessId}:${principalId}`),
          groupId: g.id,
          principalId,
          accessId,
          startDateTime: null,
          endDateTime: null,
          createdDateTime: g.createdDateTime ?? state.clock.now().toISOString(),
          createdUsing: null,
          assignmentType: 'assigned',
        });
      }
    }
  }
  return out;
}

/** Learn "List eligibilitySchedules", example 1: `scheduleInfo` {startDateTime, recurrence, expiration {type, endDateTime, duration}}. */
function scheduleInfoOf(s: SeedSchedule): Obj {
  return {
    startDateTime: s.startDateTime,
    recurrence: null,
    expiration: { type: s.endDateTime === null ? 'noExpiration' : 'afterDateTime', endDateTime: s.endDateTime, duration: null },
  };
}

/**
 * Enum values as the documented example responses write them, capitalised, although the resource
 * pages list them in lower camel: Learn "List assignmentScheduleInstances"
 * (privilegedaccessgroup-list-assignmentscheduleinstances) and "List assignmentSchedules" show
 * `"assignmentType": "Assigned"`, `"memberType": "Direct"`; "List eligibilitySchedules" and "List
 * eligibilityScheduleInstances" show `"memberType": "Direct"`. `Activated` follows the same casing
 * (no group example shows it; see ASSUMPTIONS.md).
 */
const MEMBER_TYPE_DIRECT = 'Direct';
function assignmentTypeOf(s: SeedSchedule): string {
  return (s.assignmentType ?? 'assigned') === 'activated' ? 'Activated' : 'Assigned';
}

/**
 * `privilegedAccessGroupEligibilitySchedule` / `...AssignmentSchedule`: the properties of Learn
 * "List eligibilitySchedules" / "List assignmentSchedules" example 1, `status: Provisioned` as there.
 */
export function scheduleEntity(s: SeedSchedule, kind: 'eligibility' | 'assignment'): Obj {
  return {
    id: s.id,
    createdDateTime: s.createdDateTime,
    createdUsing: s.createdUsing,
    modifiedDateTime: s.modifiedDateTime ?? null,
    status: 'Provisioned',
    scheduleInfo: scheduleInfoOf(s),
    accessId: s.accessId,
    principalId: s.principalId,
    groupId: s.groupId,
    memberType: MEMBER_TYPE_DIRECT,
    ...(kind === 'assignment' ? { assignmentType: assignmentTypeOf(s) } : {}),
  };
}

/**
 * `privilegedAccessGroupEligibilityScheduleInstance` / `...AssignmentScheduleInstance`: the properties
 * of Learn "List eligibilityScheduleInstances" / "List assignmentScheduleInstances" example 1 (ids: ASSUMPTIONS.md).
 */
export function instanceEntity(s: SeedSchedule, kind: 'eligibility' | 'assignment'): Obj {
  const base: Obj = {
    id: guidFromName(`instance:${s.id}`),
    startDateTime: s.startDateTime,
    endDateTime: s.endDateTime,
    accessId: s.accessId,
    principalId: s.principalId,
    groupId: s.groupId,
    memberType: MEMBER_TYPE_DIRECT,
  };
  if (kind === 'eligibility') return { ...base, eligibilityScheduleId: s.id };
  return { ...base, assignmentScheduleId: s.id, assignmentType: assignmentTypeOf(s) };
}

/** Schedules that are current or future (expired ones are gone from the lists). */
export function currentSchedules(state: TenantState, kind: 'eligibility' | 'assignment'): SeedSchedule[] {
  const stored = [...(kind === 'eligibility' ? state.eligibilitySchedules : state.assignmentSchedules).values()].filter((s) =>
    notExpired(state, s),
  );
  return kind === 'assignment' ? [...standingAssignments(state), ...stored] : stored;
}

/** Schedules whose window contains now. */
export function currentInstances(state: TenantState, kind: 'eligibility' | 'assignment'): SeedSchedule[] {
  return currentSchedules(state, kind).filter((s) => state.isActiveNow(s));
}
