import { contextUrl, directoryObjectEntity, groupEntity } from './directory.js';
import { GraphError, notFound } from './errors.js';
import { applySelect } from './odata.js';
import { conjunctiveEqualities, evalFilter, parseFilterFor } from './odata-filter.js';
import type { PermissionKey } from './permissions.js';
import { createAssignmentRequest, createEligibilityRequest } from './pim.js';
import { currentInstances, currentSchedules, instanceEntity, scheduleEntity } from './pim-read-models.js';
import { readAction } from './pim-request-parse.js';
import type { RouteContext, Router } from './router.js';

type Obj = Record<string, unknown>;
const BASE = '/identityGovernance/privilegedAccess/group';

const PIM_FILTER = {
  resource: 'PrivilegedAccessGroup',
  properties: [
    'id',
    'groupId',
    'principalId',
    'accessId',
    'memberType',
    'assignmentType',
    'status',
    'action',
    'eligibilityScheduleId',
    'assignmentScheduleId',
    'targetScheduleId',
    'createdUsing',
  ],
};

/**
 * Learn "List eligibilitySchedules" (privilegedaccessgroup-list-eligibilityschedules), Query parameters,
 * and its siblings for instances, requests and the assignment side: the method requires a `$filter`
 * (`eq`) on `principalId` or `groupId`. Code and wording: ASSUMPTIONS.md (PIM for Groups: list endpoints).
 */
function requireScopedFilter(ctx: RouteContext) {
  const filter = parseFilterFor(ctx.query, PIM_FILTER, true);
  const eq = filter ? conjunctiveEqualities(filter) : new Map<string, unknown>();
  if (!filter || (!eq.has('groupid') && !eq.has('principalid'))) {
    throw new GraphError(400, 'BadRequest', "A $filter on 'groupId' or 'principalId' is required for this request.");
  }
  return filter;
}

/**
 * Learn "List eligibilitySchedules" and siblings: `$expand` is supported; the navigation properties are
 * `principal` and `group` (resource pages). An unknown name: ASSUMPTIONS.md (PIM for Groups: one page, unknown `$expand`).
 */
function expand(ctx: RouteContext, item: Obj): Obj {
  const text = ctx.query.get('$expand');
  if (!text) return item;
  const out = { ...item };
  for (const raw of text.split(',')) {
    const name = raw.trim().toLowerCase();
    if (name === 'principal') {
      const ref = ctx.state.findObject(String(item.principalId));
      out.principal = ref ? directoryObjectEntity(ctx.state, ref, undefined) : null;
    } else if (name === 'group') {
      const g = ctx.state.findGroup(String(item.groupId));
      out.group = g ? groupEntity(g) : null;
    } else {
      throw new GraphError(400, 'BadRequest', `Could not find a navigation property named '${raw.trim()}'.`);
    }
  }
  return out;
}

function project(ctx: RouteContext, item: Obj): Obj {
  const select = ctx.query
    .get('$select')
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return expand(ctx, applySelect(item, select?.length ? select : undefined));
}

/**
 * Learn "List eligibilitySchedules", examples 1 and 2: `@odata.context` names the entity set under
 * `identityGovernance/privilegedAccess/group/`, with the selected properties when `$select` is used.
 * PIM lists are not paged by the sim (ASSUMPTIONS.md, PIM for Groups: one page).
 */
function collection(ctx: RouteContext, entitySet: string, items: Obj[], opts: { scoped: boolean }): Obj {
  const filter = opts.scoped ? requireScopedFilter(ctx) : parseFilterFor(ctx.query, PIM_FILTER, true);
  const value = items.filter((i) => !filter || evalFilter(filter, i)).map((i) => project(ctx, i));
  return { '@odata.context': contextUrl(ctx, `identityGovernance/privilegedAccess/group/${entitySet}`), value };
}

type Kind = 'eligibility' | 'assignment';

function registerScheduleReads(router: Router, kind: Kind): void {
  const perm: PermissionKey = kind === 'eligibility' ? 'pim.eligibility.read' : 'pim.assignment.read';
  const schedules = `${kind}Schedules`;
  const instances = `${kind}ScheduleInstances`;
  const requests = `${kind}ScheduleRequests`;
  const requestLog = (ctx: RouteContext) =>
    kind === 'eligibility' ? ctx.state.eligibilityScheduleRequests : ctx.state.assignmentScheduleRequests;

  // Learn "privilegedAccessGroupEligibilityScheduleInstance: filterByCurrentUser" (and the
  // assignment one): each item of the function's answer carries its `@odata.type`.
  const odataType = (entitySet: string) => `#microsoft.graph.privilegedAccessGroup${entitySet[0].toUpperCase()}${entitySet.slice(1, -1)}`;
  const mine = (ctx: RouteContext, items: Obj[], entitySet: string) => {
    // The page lists application permissions but an app has no current user: ASSUMPTIONS.md
    // (PIM for Groups: filterByCurrentUser app-only).
    if (ctx.auth.kind !== 'delegated') {
      throw new GraphError(400, 'BadRequest', 'filterByCurrentUser is only valid with delegated authentication flow.');
    }
    return items.filter((i) => i.principalId === ctx.auth.oid).map((i) => ({ '@odata.type': odataType(entitySet), ...i }));
  };

  // Learn "…EligibilitySchedule: filterByCurrentUser", "…EligibilityScheduleInstance: filterByCurrentUser"
  // (and the assignment ones): the caller's own schedules or instances; permissions as the lists.
  router.get(`${BASE}/${schedules}/filterByCurrentUser(on='{on}')`, (ctx) => {
    ctx.authorize(perm);
    const items = mine(
      ctx,
      currentSchedules(ctx.state, kind).map((s) => scheduleEntity(s, kind)),
      schedules,
    );
    return { status: 200, body: collection(ctx, schedules, items, { scoped: false }) };
  });
  router.get(`${BASE}/${instances}/filterByCurrentUser(on='{on}')`, (ctx) => {
    ctx.authorize(perm);
    const items = mine(
      ctx,
      currentInstances(ctx.state, kind).map((s) => instanceEntity(s, kind)),
      instances,
    );
    return { status: 200, body: collection(ctx, instances, items, { scoped: false }) };
  });
  // Learn "List eligibilitySchedules" / "List assignmentSchedules": required groupId/principalId filter.
  router.get(`${BASE}/${schedules}`, (ctx) => {
    ctx.authorize(perm);
    const items = currentSchedules(ctx.state, kind).map((s) => scheduleEntity(s, kind));
    return { status: 200, body: collection(ctx, schedules, items, { scoped: true }) };
  });
  // Learn "Get privilegedAccessGroupEligibilitySchedule" / "Get privilegedAccessGroupAssignmentSchedule"
  // (privilegedaccessgroupeligibilityschedule-get, …): 200 with the schedule; an unknown id is a 404.
  router.get(`${BASE}/${schedules}/{id}`, (ctx) => {
    ctx.authorize(perm);
    const id = ctx.params.id;
    const pending = ctx.state.pendingNotFound.get(id) ?? 0;
    if (pending > 0) {
      // Freshly created schedules take a moment to replicate; direct reads 404 meanwhile
      // (ASSUMPTIONS.md, Eventual consistency).
      if (pending === 1) ctx.state.pendingNotFound.delete(id);
      else ctx.state.pendingNotFound.set(id, pending - 1);
      throw notFound(id);
    }
    const readyAt = ctx.state.scheduleReadyAt.get(id);
    if (readyAt !== undefined) {
      // PIM's schedule lag: the 201 names targetScheduleId, yet the schedule 404s for a while
      // (ASSUMPTIONS.md, PIM for Groups: scheduleLagMs).
      if (ctx.state.clock.nowMs() < readyAt) throw notFound(id);
      ctx.state.scheduleReadyAt.delete(id);
    }
    const s = currentSchedules(ctx.state, kind).find((x) => x.id === id);
    if (!s) throw notFound(id);
    return {
      status: 200,
      body: {
        '@odata.context': contextUrl(ctx, `identityGovernance/privilegedAccess/group/${schedules}/$entity`),
        ...project(ctx, scheduleEntity(s, kind)),
      },
    };
  });
  // Learn "List eligibilityScheduleInstances" / "List assignmentScheduleInstances": required groupId/principalId filter.
  router.get(`${BASE}/${instances}`, (ctx) => {
    ctx.authorize(perm);
    const items = currentInstances(ctx.state, kind).map((s) => instanceEntity(s, kind));
    return { status: 200, body: collection(ctx, instances, items, { scoped: true }) };
  });
  // Learn "Get privilegedAccessGroupEligibilityScheduleInstance" (and the assignment one): 200 with the
  // instance (the example's `value` wrapper: ASSUMPTIONS.md, PIM for Groups).
  router.get(`${BASE}/${instances}/{id}`, (ctx) => {
    ctx.authorize(perm);
    const item = currentInstances(ctx.state, kind)
      .map((s) => instanceEntity(s, kind))
      .find((i) => i.id === ctx.params.id);
    if (!item) throw notFound(ctx.params.id);
    return { status: 200, body: project(ctx, item) };
  });
  // Learn "List assignmentScheduleRequests" (privilegedaccessgroup-list-assignmentschedulerequests): the
  // same required `$filter` as the schedules. Learn "List eligibilityScheduleRequests"
  // (privilegedaccessgroup-list-eligibilityschedulerequests): app-only callers filter on principalId or
  // groupId; a delegated call without a filter lists the signed-in user's requests (as filterByCurrentUser).
  router.get(`${BASE}/${requests}`, (ctx) => {
    if (kind === 'eligibility') {
      ctx.authorize('pim.eligibilityRequests.list');
      if (ctx.auth.kind === 'delegated' && !ctx.query.has('$filter')) {
        const own = requestLog(ctx)
          .filter((r) => r.principalId === ctx.auth.oid)
          .map((r) => project(ctx, { ...r }));
        return {
          status: 200,
          body: { '@odata.context': contextUrl(ctx, `identityGovernance/privilegedAccess/group/${requests}`), value: own },
        };
      }
    } else {
      ctx.authorize(perm);
    }
    return {
      status: 200,
      body: collection(
        ctx,
        requests,
        requestLog(ctx).map((r) => ({ ...r })),
        { scoped: true },
      ),
    };
  });
  // Learn "Get privilegedAccessGroupEligibilityScheduleRequest" (and the assignment one): the request object.
  router.get(`${BASE}/${requests}/{id}`, (ctx) => {
    ctx.authorize(perm);
    const r = requestLog(ctx).find((x) => x.id === ctx.params.id);
    if (!r) throw notFound(ctx.params.id);
    return { status: 200, body: project(ctx, { ...r }) };
  });
  // Learn "privilegedAccessGroupEligibilityScheduleRequest: cancel" (and the assignment one): POST
  // without a body, 204 No Content; permission tables in permissions.ts (`pim.eligibility.cancel`).
  router.post(`${BASE}/${requests}/{id}/cancel`, (ctx) => {
    const r = requestLog(ctx).find((x) => x.id === ctx.params.id);
    const groupId = typeof r?.groupId === 'string' ? r.groupId : undefined;
    ctx.authorize(kind === 'eligibility' ? 'pim.eligibility.cancel' : 'pim.assignment.self', { groupId });
    if (!r) throw notFound(ctx.params.id);
    // Which states can be cancelled, and the 400: ASSUMPTIONS.md (PIM for Groups: cancel).
    if (!String(r.status).startsWith('Pending')) {
      throw new GraphError(400, 'InvalidRoleAssignmentRequest', 'Only pending requests can be canceled.');
    }
    r.status = 'Canceled';
    r.completedDateTime = ctx.state.clock.now().toISOString();
    return { status: 204 };
  });
}

/** PIM for Groups: onboarded resources, schedules, instances and schedule requests. */
export function registerPimRoutes(router: Router): void {
  // Learn "List groupResources" (privilegedaccessgroup-list-resources): onboarded groups; item shape: ASSUMPTIONS.md (PIM for Groups: resources).
  router.get(`${BASE}/resources`, (ctx) => {
    ctx.authorize('pim.resources.read');
    const items = [...ctx.state.onboarded]
      .map((id) => ctx.state.findGroup(id))
      .filter((g) => g !== undefined)
      .map((g) => ({ id: g.id, displayName: g.displayName, deletedDateTime: null }));
    return { status: 200, body: collection(ctx, 'resources', items, { scoped: false }) };
  });
  // Same page family: one onboarded group, 404 for a group that was never onboarded (ASSUMPTIONS.md).
  router.get(`${BASE}/resources/{id}`, (ctx) => {
    ctx.authorize('pim.resources.read');
    const g = ctx.state.onboarded.has(ctx.params.id) ? ctx.state.findGroup(ctx.params.id) : undefined;
    if (!g) throw notFound(ctx.params.id);
    return { status: 200, body: { id: g.id, displayName: g.displayName, deletedDateTime: null } };
  });

  registerScheduleReads(router, 'eligibility');
  registerScheduleReads(router, 'assignment');

  // Learn "Create eligibilityScheduleRequests" (privilegedaccessgroup-post-eligibilityschedulerequests):
  // 201 Created with the request object; its example names `…/eligibilityScheduleRequests/$entity` in the context.
  router.post(`${BASE}/eligibilityScheduleRequests`, (ctx) => {
    const groupId = (ctx.body as Obj | undefined)?.groupId;
    ctx.authorize('pim.eligibility.write', { groupId: typeof groupId === 'string' ? groupId : undefined });
    const { body } = createEligibilityRequest(ctx.state, ctx.auth, ctx.body);
    return {
      status: 201,
      body: { '@odata.context': contextUrl(ctx, 'identityGovernance/privilegedAccess/group/eligibilityScheduleRequests/$entity'), ...body },
    };
  });
  // Learn "Create assignmentScheduleRequests" (privilegedaccessgroup-post-assignmentschedulerequests):
  // 201 Created with the request object; selfActivate/selfDeactivate need only the scope (permissions.ts).
  router.post(`${BASE}/assignmentScheduleRequests`, (ctx) => {
    const action = readAction(ctx.body);
    const groupId = (ctx.body as Obj | undefined)?.groupId;
    const self = action.startsWith('self');
    ctx.authorize(self ? 'pim.assignment.self' : 'pim.assignment.write', { groupId: typeof groupId === 'string' ? groupId : undefined });
    const { body } = createAssignmentRequest(ctx.state, ctx.auth, ctx.body);
    return {
      status: 201,
      body: { '@odata.context': contextUrl(ctx, 'identityGovernance/privilegedAccess/group/assignmentScheduleRequests/$entity'), ...body },
    };
  });
}
