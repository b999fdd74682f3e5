import { parseDuration } from './duration.js';
import { GraphError } from './errors.js';
import { isGuid } from './ids.js';
import type { SeedGroup } from './seed.js';
import type { AccessId, TenantState } from './state.js';

// PIM for Groups schedule requests as the simulation reads them (action, principal, group,
// scheduleInfo) and the errors Graph answers for a malformed one; pim.ts decides on them.

type Obj = Record<string, unknown>;

export type ScheduleAction =
  | 'adminAssign'
  | 'adminUpdate'
  | 'adminRemove'
  | 'adminExtend'
  | 'adminRenew'
  | 'selfActivate'
  | 'selfDeactivate'
  | 'selfExtend'
  | 'selfRenew';

// Learn "privilegedAccessGroupEligibilityScheduleRequest" / "…AssignmentScheduleRequest" resource types:
// the possible `action` values (eligibility requests use the admin* ones).
const ACTIONS: ScheduleAction[] = [
  'adminAssign',
  'adminUpdate',
  'adminRemove',
  'adminExtend',
  'adminRenew',
  'selfActivate',
  'selfDeactivate',
  'selfExtend',
  'selfRenew',
];

/** A malformed request field: ASSUMPTIONS.md (PIM for Groups: malformed requests). */
export function invalidRequest(message: string): GraphError {
  return new GraphError(400, 'InvalidRoleAssignmentRequest', message);
}

/** The error for a request that breaks the group's PIM policy rules. */
export function policyFailed(rules: string[]): GraphError {
  return new GraphError(
    400,
    'RoleAssignmentRequestPolicyValidationFailed',
    `The following policy rules failed: [${rules.map((r) => `"${r}"`).join(',')}]`,
  );
}

/** The error for creating an assignment or eligibility that already exists. */
export function assignmentExists(): GraphError {
  return new GraphError(400, 'RoleAssignmentExists', 'The Role assignment already exists.');
}

/** The error for changing an assignment or eligibility that does not exist. */
export function assignmentMissing(): GraphError {
  return new GraphError(400, 'RoleAssignmentDoesNotExist', 'The Role assignment does not exist.');
}

/** Reads `action` from a schedule request body (Graph accepts `AdminAssign` and `adminAssign`). */
export function readAction(body: unknown): ScheduleAction {
  const raw = body && typeof body === 'object' ? (body as Obj).action : undefined;
  const action = ACTIONS.find((a) => typeof raw === 'string' && a.toLowerCase() === raw.toLowerCase());
  if (!action) throw invalidRequest(`The action '${String(raw)}' is not valid.`);
  return action;
}

export interface Window {
  start: number;
  end: number | null;
}

export interface ParsedRequest {
  action: ScheduleAction;
  accessId: AccessId;
  principalId: string;
  groupId: string;
  group: SeedGroup;
  justification: string | null;
  ticketInfo: Obj | null;
  isValidationOnly: boolean;
  /** The scheduleInfo as sent, for echoing back. */
  scheduleInfo: Obj | null;
}

/** Reads and checks the fields every schedule request has: principal, group, access and scheduleInfo. */
export function parseCommon(state: TenantState, body: unknown, action: ScheduleAction): ParsedRequest {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalidRequest('The request body is not valid.');
  const b = body as Obj;
  const accessId = typeof b.accessId === 'string' ? b.accessId.toLowerCase() : '';
  if (accessId !== 'member' && accessId !== 'owner') throw invalidRequest(`The accessId '${String(b.accessId)}' is not valid.`);
  if (!isGuid(b.principalId)) throw invalidRequest('The principalId is not a valid GUID.');
  if (!isGuid(b.groupId)) throw invalidRequest('The groupId is not a valid GUID.');
  const group = state.findGroup(b.groupId);
  // Codes for an unknown group or principal are not documented (ASSUMPTIONS.md, PIM for Groups:
  // GroupNotFound/SubjectNotFound); PIM's own vocabulary ("subject" for a principal) is used.
  // Learn request resource types: `accessId` is `member` or `owner`.
  if (!group) throw new GraphError(400, 'GroupNotFound', `The group '${b.groupId}' was not found.`);
  const principal = state.findObject(b.principalId);
  if (!principal || principal.kind === 'servicePrincipal') {
    throw new GraphError(400, 'SubjectNotFound', `The subject '${b.principalId}' was not found.`);
  }
  // PIM for Groups refuses dynamic and on-premises-synced groups (ASSUMPTIONS.md: InvalidGroupType).
  if (group.groupTypes.includes('DynamicMembership') || group.onPremisesSyncEnabled) {
    throw new GraphError(
      400,
      'InvalidGroupType',
      'Groups with dynamic membership or synchronized from on-premises are not supported by Privileged Identity Management.',
    );
  }
  return {
    action,
    accessId,
    principalId: principal.id,
    groupId: group.id,
    group,
    justification: typeof b.justification === 'string' && b.justification.trim() !== '' ? b.justification : null,
    ticketInfo: b.ticketInfo && typeof b.ticketInfo === 'object' ? (b.ticketInfo as Obj) : null,
    isValidationOnly: b.isValidationOnly === true,
    scheduleInfo: b.scheduleInfo && typeof b.scheduleInfo === 'object' ? (b.scheduleInfo as Obj) : null,
  };
}

/**
 * Resolves `scheduleInfo` into a concrete window; `defaultDurationMs` fills a missing expiration
 * (ASSUMPTIONS.md, PIM for Groups: missing expiration). Learn "expirationPattern resource type":
 * `type` is noExpiration, afterDateTime or afterDuration (ISO 8601 `duration`).
 */
export function parseWindow(state: TenantState, info: Obj | null, defaultDurationMs?: number): Window {
  const now = state.clock.nowMs();
  const startText = info?.startDateTime;
  let start = now;
  if (startText !== undefined && startText !== null) {
    start = typeof startText === 'string' ? Date.parse(startText) : NaN;
    if (Number.isNaN(start)) throw invalidRequest('The startDateTime is not a valid date.');
  }
  const exp = info?.expiration as Obj | undefined;
  if (!exp || exp.type === undefined) {
    return { start, end: defaultDurationMs === undefined ? null : start + defaultDurationMs };
  }
  const type = String(exp.type).toLowerCase();
  if (type === 'noexpiration') return { start, end: null };
  if (type === 'afterdatetime') {
    const end = typeof exp.endDateTime === 'string' ? Date.parse(exp.endDateTime) : NaN;
    if (Number.isNaN(end)) throw invalidRequest('The expiration endDateTime is not a valid date.');
    if (end <= start) throw invalidRequest('The expiration endDateTime must be after the startDateTime.');
    return { start, end };
  }
  if (type === 'afterduration') {
    const d = parseDuration(exp.duration);
    if (!d.ok) {
      // Year and month durations are refused outright (community-reported: hashicorp/terraform-provider-azuread GitHub issue 1464).
      throw invalidRequest(
        d.calendar
          ? `The duration '${String(exp.duration)}' is not supported. Use days, hours or minutes.`
          : `The duration '${String(exp.duration)}' is not a valid ISO 8601 duration.`,
      );
    }
    if (d.ms <= 0) throw invalidRequest('The duration must be positive.');
    return { start, end: start + d.ms };
  }
  throw invalidRequest(`The expiration type '${String(exp.type)}' is not valid.`);
}

/** The scheduleInfo a request entity shows, with the window as the simulation read it. */
export function normalisedScheduleInfo(info: Obj | null, w: Window, kind: 'eligibility' | 'assignment' = 'eligibility'): Obj {
  const exp = (info?.expiration as Obj | undefined) ?? {};
  if (kind === 'assignment' && exp.type === 'afterDuration' && w.end !== null) {
    // Learn "Create assignmentScheduleRequest" (privilegedaccessgroup-post-assignmentschedulerequests),
    // examples 1 and 2: the 201 for afterDuration echoes {type, duration} and carries no endDateTime.
    return { startDateTime: new Date(w.start).toISOString(), expiration: { type: 'afterDuration', duration: exp.duration as string } };
  }
  return {
    startDateTime: new Date(w.start).toISOString(),
    recurrence: null,
    expiration: {
      type: w.end === null ? 'noExpiration' : exp.type === 'afterDuration' ? 'afterDuration' : 'afterDateTime',
      endDateTime: w.end === null ? null : new Date(w.end).toISOString(),
      duration: exp.type === 'afterDuration' ? (exp.duration as string) : null,
    },
  };
}
