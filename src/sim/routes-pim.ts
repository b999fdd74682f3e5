import { contextUrl, directoryObjectEntity, groupEntity } from './directory.js';
import { GraphError, notFound } from './errors.js';
import { applySelect, conjunctiveEqualities, evalFilter, parseFilterFor } from './odata.js';
import type { PermissionKey } from './permissions.js';
import {
  createAssignmentRequest,
  createEligibilityRequest,
  currentInstances,
  currentSchedules,
  instanceEntity,
  readAction,
  scheduleEntity,
} from './pim.js';
import type { RouteContext, Router } from './router.js';

type Obj = Record<string, unknown>;
const BASE = '/identityGovernance/privilegedAccess/group';

const PIM_FILTER = {
  resource: 'PrivilegedAccessGroup',
  properties: [
    'id', 'groupId', 'principalId', 'accessId', 'memberType', 'assignmentType', 'status', 'action',
    'eligibilityScheduleId', 'assignmentScheduleId', 'targetScheduleId', 'createdUsing',
  ],
};

/**
 * PIM for Groups list endpoints refuse to enumerate the whole tenant: the filter must pin
 * `groupId` or `principalId`. The exact error code is unconfirmed.
 */
function requireScopedFilter(ctx: RouteContext) {
  const filter = parseFilterFor(ctx.query, PIM_FILTER, true);
  const eq = filter ? conjunctiveEqualities(filter) : new Map<string, unknown>();
  if (!filter || (!eq.has('groupid') && !eq.has('principalid'))) {
    throw new GraphError(400, 'BadRequest', "A $filter on 'groupId' or 'principalId' is required for this request.");
  }
  return filter;
}

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
  const select = ctx.query.get('$select')?.split(',').map((s) => s.trim()).filter(Boolean);
  return expand(ctx, applySelect(item, select?.length ? select : undefined));
}

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
  const requestLog = (ctx: RouteContext) => (kind === 'eligibility' ? ctx.state.eligibilityScheduleRequests : ctx.state.assignmentScheduleRequests);

  // Learn "privilegedAccessGroupEligibilityScheduleInstance: filterByCurrentUser" (and the
  // assignment one): each item of the function's answer carries its `@odata.type`.
  const odataType = (entitySet: string) => `#microsoft.graph.privilegedAccessGroup${entitySet[0].toUpperCase()}${entitySet.slice(1, -1)}`;
  const mine = (ctx: RouteContext, items: Obj[], entitySet: string) => {
    if (ctx.auth.kind !== 'delegated') {
      throw new GraphError(400, 'BadRequest', 'filterByCurrentUser is only valid with delegated authentication flow.');
    }
    return items.filter((i) => i.principalId === ctx.auth.oid).map((i) => ({ '@odata.type': odataType(entitySet), ...i }));
  };

  router.get(`${BASE}/${schedules}/filterByCurrentUser(on='{on}')`, (ctx) => {
    ctx.authorize(perm);
    const items = mine(ctx, currentSchedules(ctx.state, kind).map((s) => scheduleEntity(s, kind)), schedules);
    return { status: 200, body: collection(ctx, schedules, items, { scoped: false }) };
  });
  router.get(`${BASE}/${instances}/filterByCurrentUser(on='{on}')`, (ctx) => {
    ctx.authorize(perm);
    const items = mine(ctx, currentInstances(ctx.state, kind).map((s) => instanceEntity(s, kind)), instances);
    return { status: 200, body: collection(ctx, instances, items, { scoped: false }) };
  });
  router.get(`${BASE}/${schedules}`, (ctx) => {
    ctx.authorize(perm);
    const items = currentSchedules(ctx.state, kind).map((s) => scheduleEntity(s, kind));
    return { status: 200, body: collection(ctx, schedules, items, { scoped: true }) };
  });
  router.get(`${BASE}/${schedules}/{id}`, (ctx) => {
    ctx.authorize(perm);
    const id = ctx.params.id;
    const pending = ctx.state.pendingNotFound.get(id) ?? 0;
    if (pending > 0) {
      // Freshly created schedules take a moment to replicate; direct reads 404 meanwhile.
      if (pending === 1) ctx.state.pendingNotFound.delete(id);
      else ctx.state.pendingNotFound.set(id, pending - 1);
      throw notFound(id);
    }
    const readyAt = ctx.state.scheduleReadyAt.get(id);
    if (readyAt !== undefined) {
      // PIM's schedule lag: the 201 names targetScheduleId, yet the schedule 404s for a while.
      if (ctx.state.clock.nowMs() < readyAt) throw notFound(id);
      ctx.state.scheduleReadyAt.delete(id);
    }
    const s = currentSchedules(ctx.state, kind).find((x) => x.id === id);
    if (!s) throw notFound(id);
    return { status: 200, body: { '@odata.context': contextUrl(ctx, `identityGovernance/privilegedAccess/group/${schedules}/$entity`), ...project(ctx, scheduleEntity(s, kind)) } };
  });
  router.get(`${BASE}/${instances}`, (ctx) => {
    ctx.authorize(perm);
    const items = currentInstances(ctx.state, kind).map((s) => instanceEntity(s, kind));
    return { status: 200, body: collection(ctx, instances, items, { scoped: true }) };
  });
  router.get(`${BASE}/${instances}/{id}`, (ctx) => {
    ctx.authorize(perm);
    const item = currentInstances(ctx.state, kind).map((s) => instanceEntity(s, kind)).find((i) => i.id === ctx.params.id);
    if (!item) throw notFound(ctx.params.id);
    return { status: 200, body: project(ctx, item) };
  });
  router.get(`${BASE}/${requests}`, (ctx) => {
    ctx.authorize(perm);
    return { status: 200, body: collection(ctx, requests, requestLog(ctx).map((r) => ({ ...r })), { scoped: true }) };
  });
  router.get(`${BASE}/${requests}/{id}`, (ctx) => {
    ctx.authorize(perm);
    const r = requestLog(ctx).find((x) => x.id === ctx.params.id);
    if (!r) throw notFound(ctx.params.id);
    return { status: 200, body: project(ctx, { ...r }) };
  });
  router.post(`${BASE}/${requests}/{id}/cancel`, (ctx) => {
    ctx.authorize(kind === 'eligibility' ? 'pim.eligibility.write' : 'pim.assignment.self');
    const r = requestLog(ctx).find((x) => x.id === ctx.params.id);
    if (!r) throw notFound(ctx.params.id);
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
  router.get(`${BASE}/resources`, (ctx) => {
    ctx.authorize('pim.resources.read');
    const items = [...ctx.state.onboarded]
      .map((id) => ctx.state.findGroup(id))
      .filter((g) => g !== undefined)
      .map((g) => ({ id: g.id, displayName: g.displayName, deletedDateTime: null }));
    return { status: 200, body: collection(ctx, 'resources', items, { scoped: false }) };
  });
  router.get(`${BASE}/resources/{id}`, (ctx) => {
    ctx.authorize('pim.resources.read');
    const g = ctx.state.onboarded.has(ctx.params.id) ? ctx.state.findGroup(ctx.params.id) : undefined;
    if (!g) throw notFound(ctx.params.id);
    return { status: 200, body: { id: g.id, displayName: g.displayName, deletedDateTime: null } };
  });

  registerScheduleReads(router, 'eligibility');
  registerScheduleReads(router, 'assignment');

  router.post(`${BASE}/eligibilityScheduleRequests`, (ctx) => {
    const groupId = (ctx.body as Obj | undefined)?.groupId;
    ctx.authorize('pim.eligibility.write', { groupId: typeof groupId === 'string' ? groupId : undefined });
    const { body } = createEligibilityRequest(ctx.state, ctx.auth, ctx.body);
    return { status: 201, body: { '@odata.context': contextUrl(ctx, 'identityGovernance/privilegedAccess/group/eligibilityScheduleRequests/$entity'), ...body } };
  });
  router.post(`${BASE}/assignmentScheduleRequests`, (ctx) => {
    const action = readAction(ctx.body);
    const groupId = (ctx.body as Obj | undefined)?.groupId;
    const self = action.startsWith('self');
    ctx.authorize(self ? 'pim.assignment.self' : 'pim.assignment.write', { groupId: typeof groupId === 'string' ? groupId : undefined });
    const { body } = createAssignmentRequest(ctx.state, ctx.auth, ctx.body);
    return { status: 201, body: { '@odata.context': contextUrl(ctx, 'identityGovernance/privilegedAccess/group/assignmentScheduleRequests/$entity'), ...body } };
  });
}
