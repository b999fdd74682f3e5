import { GraphError } from './errors.js';
import { newGuid } from './ids.js';
import type { AuthInfo } from './permissions.js';
import { enabledRules, expirationLimit, findRule } from './policy.js';
import {
  assignmentExists,
  assignmentMissing,
  invalidRequest,
  normalisedScheduleInfo,
  parseCommon,
  parseWindow,
  policyFailed,
  readAction,
  type ParsedRequest,
  type Window,
} from './pim-request-parse.js';
import { notExpired } from './pim-read-models.js';
import type { SeedSchedule } from './seed.js';
import type { TenantState } from './state.js';

type Obj = Record<string, unknown>;

interface RuleIds {
  expiration: string;
  enablement: string;
}

/**
 * Learn "unifiedRoleManagementPolicyExpirationRule" (isExpirationRequired, maximumDuration) and
 * "unifiedRoleManagementPolicyEnablementRule" (enabledRules: MultiFactorAuthentication, Justification,
 * Ticketing) resource types; the failure code and wording: ASSUMPTIONS.md (PIM for Groups: policy rule failures).
 */
function checkPolicy(state: TenantState, req: ParsedRequest, w: Window, ids: RuleIds, auth: AuthInfo): void {
  const rules = state.policyFor(req.groupId, req.accessId).rules;
  const failed: string[] = [];
  const limit = expirationLimit(rules, ids.expiration);
  if ((limit.required && w.end === null) || (limit.maxMs !== undefined && w.end !== null && w.end - w.start > limit.maxMs)) {
    failed.push('ExpirationRule');
  }
  const enabled = enabledRules(rules, ids.enablement);
  if (enabled.includes('Justification') && !req.justification) failed.push('JustificationRule');
  if (enabled.includes('Ticketing') && !req.ticketInfo?.ticketNumber) failed.push('TicketingRule');
  // App-only callers cannot perform MFA, so the rule is only evaluated for signed-in users (ASSUMPTIONS.md).
  if (enabled.includes('MultiFactorAuthentication') && auth.kind === 'delegated' && !auth.amr.includes('mfa')) failed.push('MfaRule');
  if (failed.length) throw policyFailed(failed);
}

/** Test hook: requests a test marks as failing end in PIM's `Failed` status (a documented request status). */
function shouldFail(state: TenantState, req: ParsedRequest): boolean {
  const f = state.behaviour.failScheduleRequests;
  if (f === true) return true;
  if (!Array.isArray(f)) return false;
  return f.some((m) => (!m.groupId || m.groupId === req.groupId) && (!m.principalId || m.principalId === req.principalId));
}

/** Shape: ASSUMPTIONS.md (PIM for Groups: createdBy). */
function createdBy(auth: AuthInfo): Obj {
  return auth.kind === 'delegated'
    ? { application: null, device: null, user: { id: auth.oid, displayName: null } }
    : { application: { id: auth.appid, displayName: null }, device: null, user: null };
}

// Learn "Create eligibilityScheduleRequest" (privilegedaccessgroup-post-eligibilityschedulerequests):
// the 201 example answers `"status": "Provisioned"` and `"action": "adminAssign"` (lower camel,
// although the request was sent as `AdminAssign`).
function requestEntity(state: TenantState, req: ParsedRequest, auth: AuthInfo, extra: Obj): Obj {
  const now = state.clock.now().toISOString();
  return {
    id: newGuid(),
    status: 'Provisioned',
    completedDateTime: now,
    createdDateTime: now,
    approvalId: null,
    customData: null,
    action: req.action,
    isValidationOnly: req.isValidationOnly,
    justification: req.justification,
    principalId: req.principalId,
    accessId: req.accessId,
    groupId: req.groupId,
    targetScheduleId: null,
    scheduleInfo: null,
    ticketInfo: req.ticketInfo ?? { ticketNumber: null, ticketSystem: null },
    createdBy: createdBy(auth),
    ...extra,
  };
}

/**
 * Learn "Create eligibilityScheduleRequest" and "Create assignmentScheduleRequest"
 * (privilegedaccessgroup-post-*schedulerequests): every example answers with
 * `targetScheduleId` = `{groupId}_{accessId}_{request id}`, adminExtend included (a new id).
 */
function newScheduleId(req: ParsedRequest, requestId: string): string {
  return `${req.groupId}_${req.accessId}_${requestId}`;
}

function findSchedule(
  state: TenantState,
  map: Map<string, SeedSchedule>,
  req: ParsedRequest,
  opts: { includeExpired?: boolean; assignmentType?: 'assigned' | 'activated' } = {},
): SeedSchedule | undefined {
  for (const s of map.values()) {
    if (s.groupId !== req.groupId || s.principalId !== req.principalId || s.accessId !== req.accessId) continue;
    if (opts.assignmentType && s.assignmentType !== opts.assignmentType) continue;
    if (!opts.includeExpired && !notExpired(state, s)) continue;
    return s;
  }
  return undefined;
}

/** The 201 body of a schedule request. */
export interface RequestOutcome {
  body: Obj;
}

/** Processes `POST .../group/eligibilityScheduleRequests`. */
export function createEligibilityRequest(state: TenantState, auth: AuthInfo, body: unknown): RequestOutcome {
  const action = readAction(body);
  const req = parseCommon(state, body, action);
  // Learn "Configure Microsoft Entra role settings in PIM" (rules): Enablement_Admin_Eligibility holds
  // the rules for admins' operations on eligibilities; its Ticketing asks for the request body's
  // optional ticketInfo (Learn "Create eligibilityScheduleRequest"; "ticketInfo resource type").
  const ids = { expiration: 'Expiration_Admin_Eligibility', enablement: 'Enablement_Admin_Eligibility' };
  const map = state.eligibilitySchedules;

  if (action === 'adminRemove') {
    const existing = findSchedule(state, map, req);
    if (!existing) throw assignmentMissing();
    const entity = requestEntity(state, req, auth, { status: 'Revoked', targetScheduleId: existing.id });
    if (req.isValidationOnly) return { body: { ...entity, targetScheduleId: null } };
    map.delete(existing.id);
    state.eligibilityScheduleRequests.push(entity);
    return { body: entity };
  }
  if (action !== 'adminAssign' && action !== 'adminUpdate' && action !== 'adminExtend' && action !== 'adminRenew') {
    // Learn "privilegedAccessGroupEligibilityScheduleRequest" resource type: only admin* actions apply.
    throw invalidRequest(`The action '${action}' is not supported for eligibility schedule requests.`);
  }

  const w = parseWindow(state, req.scheduleInfo);
  // A window already over: ASSUMPTIONS.md (PIM for Groups: malformed requests).
  if (w.end !== null && w.end <= state.clock.nowMs()) {
    throw invalidRequest('The expiration endDateTime must be in the future.');
  }
  const existing = findSchedule(state, map, req, { includeExpired: action === 'adminRenew' });
  if (action === 'adminAssign' && existing) throw assignmentExists();
  if (action !== 'adminAssign' && !existing) throw assignmentMissing();
  checkPolicy(state, req, w, ids, auth);
  return finishRequest(state, auth, req, w, existing, 'eligibility');
}

function finishRequest(
  state: TenantState,
  auth: AuthInfo,
  req: ParsedRequest,
  w: Window,
  existing: SeedSchedule | undefined,
  kind: 'eligibility' | 'assignment',
  assignmentType?: 'assigned' | 'activated',
): RequestOutcome {
  const scheduleInfo = normalisedScheduleInfo(req.scheduleInfo, w, kind);
  if (req.isValidationOnly) {
    // Validation-only requests change nothing, so they do not onboard the group either (ASSUMPTIONS.md).
    return { body: requestEntity(state, req, auth, { scheduleInfo }) };
  }
  const log = kind === 'eligibility' ? state.eligibilityScheduleRequests : state.assignmentScheduleRequests;
  state.onboard(req.groupId);
  if (shouldFail(state, req)) {
    const failed = requestEntity(state, req, auth, { status: 'Failed', scheduleInfo, completedDateTime: null });
    log.push(failed);
    return { body: failed };
  }
  const entity = requestEntity(state, req, auth, { scheduleInfo });
  const now = state.clock.now().toISOString();
  const map = kind === 'eligibility' ? state.eligibilitySchedules : state.assignmentSchedules;
  let scheduleId: string;
  if (existing) {
    // Update/extend/renew replace the window; the documented adminExtend example answers with
    // a targetScheduleId named after the new request, so the schedule moves to that id (ASSUMPTIONS.md).
    existing.startDateTime = new Date(w.start).toISOString();
    existing.endDateTime = w.end === null ? null : new Date(w.end).toISOString();
    existing.modifiedDateTime = now;
    map.delete(existing.id);
    existing.id = newScheduleId(req, entity.id as string);
    map.set(existing.id, existing);
    scheduleId = existing.id;
  } else {
    scheduleId = newScheduleId(req, entity.id as string);
    map.set(scheduleId, {
      id: scheduleId,
      groupId: req.groupId,
      principalId: req.principalId,
      accessId: req.accessId,
      startDateTime: new Date(w.start).toISOString(),
      endDateTime: w.end === null ? null : new Date(w.end).toISOString(),
      createdDateTime: now,
      modifiedDateTime: null,
      createdUsing: entity.id as string,
      ...(kind === 'assignment' ? { assignmentType: assignmentType ?? 'assigned' } : {}),
    });
    const lag = state.behaviour.consistency?.notFoundAfterCreate ?? 0;
    if (kind === 'eligibility' && lag > 0) state.pendingNotFound.set(scheduleId, lag);
    const lagMs = state.behaviour.consistency?.scheduleLagMs ?? 0;
    if (kind === 'eligibility' && lagMs > 0) state.scheduleReadyAt.set(scheduleId, state.clock.nowMs() + lagMs);
  }
  entity.targetScheduleId = scheduleId;
  log.push(entity);
  return { body: entity };
}

/** Processes `POST .../group/assignmentScheduleRequests` (admin and self actions). */
export function createAssignmentRequest(state: TenantState, auth: AuthInfo, body: unknown): RequestOutcome {
  const action = readAction(body);
  const req = parseCommon(state, body, action);
  const map = state.assignmentSchedules;
  const standing = (): boolean => {
    const list = req.accessId === 'member' ? req.group.members : req.group.owners;
    return list.includes(req.principalId);
  };

  switch (action) {
    case 'adminAssign':
    case 'adminUpdate':
    case 'adminExtend':
    case 'adminRenew': {
      const w = parseWindow(state, req.scheduleInfo);
      const existing = findSchedule(state, map, req, { includeExpired: action === 'adminRenew' });
      if (action === 'adminAssign' && (existing || standing())) throw assignmentExists();
      if (action !== 'adminAssign' && !existing) throw assignmentMissing();
      checkPolicy(state, req, w, { expiration: 'Expiration_Admin_Assignment', enablement: 'Enablement_Admin_Assignment' }, auth);
      return finishRequest(state, auth, req, w, existing, 'assignment', 'assigned');
    }
    case 'adminRemove': {
      const existing = findSchedule(state, map, req);
      if (!existing && !standing()) throw assignmentMissing();
      const entity = requestEntity(state, req, auth, { status: 'Revoked', targetScheduleId: existing?.id ?? null });
      if (req.isValidationOnly) return { body: entity };
      // A standing member is a permanent active assignment to PIM, so adminRemove also ends it.
      if (existing) map.delete(existing.id);
      else if (req.accessId === 'member') req.group.members = req.group.members.filter((m) => m !== req.principalId);
      else req.group.owners = req.group.owners.filter((m) => m !== req.principalId);
      state.assignmentScheduleRequests.push(entity);
      return { body: entity };
    }
    case 'selfActivate':
      return selfActivate(state, auth, req);
    case 'selfDeactivate': {
      if (auth.kind !== 'delegated' || auth.oid !== req.principalId) {
        throw invalidRequest('Self-service actions require a signed-in user whose id matches principalId.');
      }
      const active = [...map.values()].find(
        (s) =>
          s.groupId === req.groupId &&
          s.principalId === req.principalId &&
          s.accessId === req.accessId &&
          s.assignmentType === 'activated' &&
          notExpired(state, s),
      );
      if (!active) throw assignmentMissing();
      const entity = requestEntity(state, req, auth, { status: 'Revoked', targetScheduleId: active.id });
      if (req.isValidationOnly) return { body: entity };
      map.delete(active.id);
      state.assignmentScheduleRequests.push(entity);
      return { body: entity };
    }
    default:
      throw invalidRequest(`The action '${action}' is not supported by the simulation.`);
  }
}

function selfActivate(state: TenantState, auth: AuthInfo, req: ParsedRequest): RequestOutcome {
  if (auth.kind !== 'delegated' || auth.oid !== req.principalId) {
    // Learn "Create assignmentScheduleRequests": self* actions act for the signed-in user, whose id is
    // the principalId. Code and wording: ASSUMPTIONS.md (PIM for Groups: self-service by another caller).
    throw invalidRequest('Self-service actions require a signed-in user whose id matches principalId.');
  }
  const eligibility = [...state.eligibilitySchedules.values()].find(
    (s) => s.groupId === req.groupId && s.principalId === req.principalId && s.accessId === req.accessId && state.isActiveNow(s),
  );
  // No eligibility to activate: ASSUMPTIONS.md (PIM for Groups: RoleAssignmentDoesNotExist).
  if (!eligibility) throw assignmentMissing();
  const standing = (req.accessId === 'member' ? req.group.members : req.group.owners).includes(req.principalId);
  if (standing || state.activePimAssignments(req.groupId, req.accessId).some((a) => a.principalId === req.principalId)) {
    throw assignmentExists();
  }
  const rules = state.policyFor(req.groupId, req.accessId).rules;
  const limit = expirationLimit(rules, 'Expiration_EndUser_Assignment');
  const w = parseWindow(state, req.scheduleInfo, limit.maxMs);
  checkPolicy(state, req, w, { expiration: 'Expiration_EndUser_Assignment', enablement: 'Enablement_EndUser_Assignment' }, auth);
  const authContext = findRule(rules, 'AuthenticationContext_EndUser_Assignment');
  // Learn "unifiedRoleManagementPolicyAuthenticationContextRule": with `isEnabled`, activation needs the
  // `claimValue` authentication context (token `acrs`). Code and wording: ASSUMPTIONS.md (PIM for Groups).
  if (authContext?.isEnabled === true && !auth.acrs.includes(String(authContext.claimValue))) {
    throw new GraphError(
      400,
      'RoleAssignmentRequestAcrsValidationFailed',
      'The authentication context requirement of the policy was not satisfied.',
    );
  }
  // An activation cannot outlive the eligibility it comes from; PIM truncates it (ASSUMPTIONS.md).
  if (eligibility.endDateTime !== null) {
    const eligibleUntil = Date.parse(eligibility.endDateTime);
    if (w.end === null || w.end > eligibleUntil) w.end = eligibleUntil;
  }
  const approval = findRule(rules, 'Approval_EndUser_Assignment');
  const setting = approval?.setting as Obj | undefined;
  // Learn "unifiedRoleManagementPolicyApprovalRule" (setting.isApprovalRequired) and the request resource
  // types: such a request waits with `status: PendingApproval` and an `approvalId`.
  if (setting?.isApprovalRequired === true && !req.isValidationOnly) {
    state.onboard(req.groupId);
    const entity = requestEntity(state, req, auth, {
      status: 'PendingApproval',
      approvalId: newGuid(),
      completedDateTime: null,
      scheduleInfo: normalisedScheduleInfo(req.scheduleInfo, w, 'assignment'),
    });
    state.assignmentScheduleRequests.push(entity);
    return { body: entity };
  }
  return finishRequest(state, auth, req, w, undefined, 'assignment', 'activated');
}
