import {
  APPLICATION_PROPERTIES,
  SERVICE_PRINCIPAL_PROPERTIES,
  applicationEntity,
  contextUrl,
  directoryCollection,
  isAdvancedQuery,
  servicePrincipalEntity,
} from './directory.js';
import { GraphError, badRequest, notFound } from './errors.js';
import { isGuid, newOpaqueId } from './ids.js';
import { applySelect, parseSelect } from './odata.js';
import { evalFilter, parseFilterFor } from './odata-filter.js';
import type { RouteContext, Router } from './router.js';
import type { SeedAppRoleAssignment, SeedServicePrincipal } from './seed.js';
import type { TenantState } from './state.js';

type Obj = Record<string, unknown>;
const byId = (o: { id: string }): string => o.id;
const DEFAULT_ACCESS_ROLE = '00000000-0000-0000-0000-000000000000';

function resolveServicePrincipal(ctx: RouteContext): SeedServicePrincipal {
  const sp =
    ctx.params.appId !== undefined ? ctx.state.servicePrincipalByAppId(ctx.params.appId) : ctx.state.findServicePrincipal(ctx.params.id);
  if (!sp) throw notFound(ctx.params.appId ?? ctx.params.id);
  return sp;
}

/**
 * Graph shape of an app role assignment (display names are resolved live, as Graph does): the
 * properties of Learn "List appRoleAssignedTo" (serviceprincipal-list-approleassignedto) example;
 * `principalType` is `User`, `Group` or `ServicePrincipal` (appRoleAssignment resource type).
 */
export function appRoleAssignmentEntity(state: TenantState, a: SeedAppRoleAssignment): Obj {
  const principal = state.findObject(a.principalId);
  const resource = state.findServicePrincipal(a.resourceId);
  const principalType = principal?.kind === 'group' ? 'Group' : principal?.kind === 'servicePrincipal' ? 'ServicePrincipal' : 'User';
  return {
    id: a.id,
    deletedDateTime: null,
    appRoleId: a.appRoleId,
    createdDateTime: a.createdDateTime,
    principalDisplayName: principal?.displayName ?? null,
    principalId: a.principalId,
    principalType,
    resourceDisplayName: resource?.displayName ?? null,
    resourceId: a.resourceId,
  };
}

/**
 * Newly created assignments stay invisible to list reads for a while (replication lag);
 * each list read that would have shown one uses up one miss (ASSUMPTIONS.md, Eventual consistency).
 */
function visibleAssignments(state: TenantState, list: SeedAppRoleAssignment[]): SeedAppRoleAssignment[] {
  return list.filter((a) => {
    const pending = state.pendingListMisses.get(a.id) ?? 0;
    if (pending <= 0) return true;
    if (pending === 1) state.pendingListMisses.delete(a.id);
    else state.pendingListMisses.set(a.id, pending - 1);
    return false;
  });
}

/**
 * `fragment` names the navigation the list was read through, as the documented contexts do:
 * `servicePrincipals('{id}')/appRoleAssignedTo` (Learn "List appRoleAssignedTo"),
 * `groups('{id}')/appRoleAssignments` (Learn "List appRoleAssignments granted to a group").
 */
function assignmentCollection(ctx: RouteContext, list: SeedAppRoleAssignment[], fragment: string): Obj {
  if (ctx.query.has('$filter')) {
    // The reference says to filter these lists client-side; the sim refuses server-side filters
    // (ASSUMPTIONS.md, Transport: `$filter` on appRoleAssignedTo/appRoleAssignments).
    throw new GraphError(400, 'Request_UnsupportedQuery', 'Unsupported Query.');
  }
  const props = Object.keys(
    appRoleAssignmentEntity(ctx.state, { id: '', appRoleId: '', principalId: '', resourceId: '', createdDateTime: '' }),
  );
  const select = parseSelect(ctx.query, props, 'microsoft.graph.appRoleAssignment');
  return directoryCollection(ctx, fragment, visibleAssignments(ctx.state, list), byId, (a) =>
    applySelect(appRoleAssignmentEntity(ctx.state, a), select),
  );
}

// Learn "Update servicePrincipal" (serviceprincipal-update): the writable properties the tool may send;
// `preferredSingleSignOnMode` is one of password, saml, notSupported, oidc (servicePrincipal resource type).
// Refusals of other properties: ASSUMPTIONS.md (Apps: PATCH of a service principal).
const SP_WRITABLE: Record<string, (v: unknown) => boolean> = {
  appRoleAssignmentRequired: (v) => typeof v === 'boolean',
  accountEnabled: (v) => typeof v === 'boolean',
  displayName: (v) => typeof v === 'string',
  notes: (v) => v === null || typeof v === 'string',
  tags: (v) => Array.isArray(v) && v.every((t) => typeof t === 'string'),
  preferredSingleSignOnMode: (v) => v === null || ['password', 'saml', 'notSupported', 'oidc'].includes(String(v)),
  samlSingleSignOnSettings: (v) => v === null || (typeof v === 'object' && !Array.isArray(v)),
  preferredTokenSigningKeyThumbprint: (v) => v === null || typeof v === 'string',
};
const SP_READ_ONLY = new Set(['id', 'appId', 'appOwnerOrganizationId', 'servicePrincipalType', 'deletedDateTime', 'appDisplayName']);

function patchServicePrincipal(ctx: RouteContext): { status: number } {
  const target =
    ctx.params.appId !== undefined ? ctx.state.servicePrincipalByAppId(ctx.params.appId) : ctx.state.findServicePrincipal(ctx.params.id);
  ctx.authorize('servicePrincipals.update', { callerOwnsTarget: !!target?.owners?.includes(ctx.auth.oid) });
  const sp = resolveServicePrincipal(ctx);
  if (!ctx.body || typeof ctx.body !== 'object' || Array.isArray(ctx.body)) throw badRequest('Empty Payload. JSON content expected.');
  const changes = ctx.body as Obj;
  for (const [k, v] of Object.entries(changes)) {
    if (k.startsWith('@odata.')) continue;
    if (SP_READ_ONLY.has(k)) throw badRequest(`Property '${k}' is read-only and cannot be set.`);
    const check = SP_WRITABLE[k];
    if (!check) {
      throw badRequest(
        `Property '${k}' does not exist on type 'microsoft.graph.servicePrincipal'. ` +
          `Make sure to only use property names that are defined by the type or mark the type as open type.`,
      );
    }
    if (!check(v)) throw badRequest(`Invalid value specified for property '${k}' of resource 'ServicePrincipal'.`);
  }
  for (const [k, v] of Object.entries(changes)) if (!k.startsWith('@odata.')) (sp as unknown as Obj)[k] = structuredClone(v);
  // Learn "Update servicePrincipal": 204 No Content.
  return { status: 204 };
}

/**
 * Learn "Grant an appRoleAssignment for a service principal" (serviceprincipal-post-approleassignedto):
 * the body names `principalId`, `resourceId` and `appRoleId`; 201 Created with the assignment and a
 * `…/appRoleAssignedTo/$entity` context. A role must be enabled and allow the principal's member type
 * (`User` covers users and groups, `Application` service principals: appRole resource type).
 * Refusal wordings: ASSUMPTIONS.md (Apps).
 */
function createAppRoleAssignment(ctx: RouteContext): { status: number; body: Obj } {
  ctx.authorize('appRoleAssignedTo.create');
  const sp = resolveServicePrincipal(ctx);
  const b = (ctx.body ?? {}) as Obj;
  for (const prop of ['principalId', 'resourceId', 'appRoleId']) {
    if (!isGuid(b[prop])) throw badRequest(`Invalid value specified for property '${prop}' of resource 'AppRoleAssignment'.`);
  }
  const principalId = String(b.principalId);
  const appRoleId = String(b.appRoleId).toLowerCase();
  if (String(b.resourceId).toLowerCase() !== sp.id.toLowerCase()) {
    throw badRequest("The 'resourceId' must match the service principal in the request URL.");
  }
  const principal = ctx.state.findObject(principalId);
  if (!principal) throw notFound(principalId);

  const memberType = principal.kind === 'servicePrincipal' ? 'Application' : 'User';
  const enabledRoles = sp.appRoles.filter((r) => r.isEnabled);
  // The all-zero "Default Access" id only exists for apps that declare no app roles.
  const roleOk =
    appRoleId === DEFAULT_ACCESS_ROLE
      ? enabledRoles.length === 0
      : enabledRoles.some((r) => r.id.toLowerCase() === appRoleId && r.allowedMemberTypes.includes(memberType));
  if (!roleOk) throw badRequest('Permission being assigned was not found on application.');

  const duplicate = [...ctx.state.appRoleAssignments.values()].some(
    (a) => a.resourceId === sp.id && a.principalId.toLowerCase() === principalId.toLowerCase() && a.appRoleId.toLowerCase() === appRoleId,
  );
  if (duplicate) throw badRequest('Permission being assigned already exists on the object.');

  const assignment: SeedAppRoleAssignment = {
    id: newOpaqueId(),
    appRoleId,
    principalId: principal.id,
    resourceId: sp.id,
    createdDateTime: ctx.state.clock.now().toISOString(),
  };
  ctx.state.appRoleAssignments.set(assignment.id, assignment);
  const lag = ctx.state.behaviour.consistency?.notFoundAfterCreate ?? 0;
  if (lag > 0) ctx.state.pendingListMisses.set(assignment.id, lag);
  return {
    status: 201,
    body: {
      '@odata.context': contextUrl(ctx, `servicePrincipals('${sp.id}')/appRoleAssignedTo/$entity`),
      ...appRoleAssignmentEntity(ctx.state, assignment),
    },
  };
}

// Learn "Advanced query capabilities on directory objects" (aad-advanced-queries), include
// "filter-directory-objects": these properties support `eq` by default.
const SP_FILTER = {
  resource: 'ServicePrincipal',
  properties: [
    'id',
    'appId',
    'displayName',
    'servicePrincipalType',
    'accountEnabled',
    'preferredSingleSignOnMode',
    'appOwnerOrganizationId',
  ],
};
const APP_FILTER = { resource: 'Application', properties: ['id', 'appId', 'displayName', 'signInAudience'] };
const GRANT_FILTER = { resource: 'OAuth2PermissionGrant', properties: ['id', 'clientId', 'resourceId', 'consentType', 'principalId'] };

/** Service principals, applications, permission grants and app role assignments. */
export function registerAppRoutes(router: Router): void {
  // Learn "List servicePrincipals" (serviceprincipal-list): a servicePrincipals collection, paged as directory objects.
  router.get('/servicePrincipals', (ctx) => {
    ctx.authorize('servicePrincipals.read');
    const filter = parseFilterFor(ctx.query, SP_FILTER, isAdvancedQuery(ctx));
    const select = parseSelect(ctx.query, SERVICE_PRINCIPAL_PROPERTIES, 'microsoft.graph.servicePrincipal');
    const items = [...ctx.state.servicePrincipals.values()]
      .map((sp) => servicePrincipalEntity(sp))
      .filter((sp) => !filter || evalFilter(filter, sp));
    return {
      status: 200,
      body: directoryCollection(
        ctx,
        'servicePrincipals',
        items,
        (o) => String(o.id),
        (o) => applySelect(o, select),
      ),
    };
  });
  const getSp = (ctx: RouteContext) => {
    ctx.authorize('servicePrincipals.read');
    const sp = resolveServicePrincipal(ctx);
    const select = parseSelect(ctx.query, SERVICE_PRINCIPAL_PROPERTIES, 'microsoft.graph.servicePrincipal');
    // Learn "keyCredential resource type": `key` only on $select=keyCredentials of a single object, else null.
    const keys = Boolean(select?.includes('keyCredentials'));
    return {
      status: 200,
      body: {
        '@odata.context': contextUrl(ctx, 'servicePrincipals/$entity'),
        ...applySelect(servicePrincipalEntity(sp, { keys }), select),
      },
    };
  };
  // Learn "Get servicePrincipal" / "Update servicePrincipal": both by id and by the alternate key `(appId='…')`.
  router.get("/servicePrincipals(appId='{appId}')", getSp);
  router.get('/servicePrincipals/{id}', getSp);
  router.patch("/servicePrincipals(appId='{appId}')", patchServicePrincipal);
  router.patch('/servicePrincipals/{id}', patchServicePrincipal);

  // Learn "List applications" (application-list): an applications collection, paged as directory objects.
  router.get('/applications', (ctx) => {
    ctx.authorize('applications.read');
    const filter = parseFilterFor(ctx.query, APP_FILTER, isAdvancedQuery(ctx));
    const select = parseSelect(ctx.query, APPLICATION_PROPERTIES, 'microsoft.graph.application');
    const items = [...ctx.state.applications.values()].map(applicationEntity).filter((a) => !filter || evalFilter(filter, a));
    return {
      status: 200,
      body: directoryCollection(
        ctx,
        'applications',
        items,
        (o) => String(o.id),
        (o) => applySelect(o, select),
      ),
    };
  });
  const getApp = (ctx: RouteContext) => {
    ctx.authorize('applications.read');
    // Only registrations homed in this tenant exist here; a gallery or multi-tenant app
    // may have a service principal without one, and then this is a 404 (Learn "Application and
    // service principal objects in Microsoft Entra ID", app-objects-and-service-principals).
    const app = ctx.params.appId !== undefined ? ctx.state.applicationByAppId(ctx.params.appId) : ctx.state.applications.get(ctx.params.id);
    if (!app) throw notFound(ctx.params.appId ?? ctx.params.id);
    const select = parseSelect(ctx.query, APPLICATION_PROPERTIES, 'microsoft.graph.application');
    return {
      status: 200,
      body: { '@odata.context': contextUrl(ctx, 'applications/$entity'), ...applySelect(applicationEntity(app), select) },
    };
  };
  // Learn "Get application" (application-get): by object id or by the alternate key `(appId='…')`.
  router.get("/applications(appId='{appId}')", getApp);
  router.get('/applications/{id}', getApp);

  // Learn "List oauth2PermissionGrants" (oauth2permissiongrant-list) and "List oauth2PermissionGrants
  // granted to a service principal" (serviceprincipal-list-oauth2permissiongrants): the grant objects as is.
  const grants = (ctx: RouteContext, clientId?: string) => {
    ctx.authorize('oauth2PermissionGrants.read');
    const filter = parseFilterFor(ctx.query, GRANT_FILTER, isAdvancedQuery(ctx));
    const items = ctx.state.oauth2PermissionGrants
      .filter((g) => clientId === undefined || g.clientId === clientId)
      .map((g) => ({ ...g }))
      .filter((g) => !filter || evalFilter(filter, g));
    return { status: 200, body: directoryCollection(ctx, 'oauth2PermissionGrants', items, byId, (g) => ({ ...g })) };
  };
  router.get('/oauth2PermissionGrants', (ctx) => grants(ctx));
  router.get('/servicePrincipals/{id}/oauth2PermissionGrants', (ctx) => {
    ctx.authorize('oauth2PermissionGrants.read');
    const sp = resolveServicePrincipal(ctx);
    return grants(ctx, sp.id);
  });

  // Learn "List appRoleAssignments granted to a service principal" (serviceprincipal-list-approleassignments).
  router.get('/servicePrincipals/{id}/appRoleAssignments', (ctx) => {
    ctx.authorize('appRoleAssignments.read');
    const sp = resolveServicePrincipal(ctx);
    const list = [...ctx.state.appRoleAssignments.values()].filter((a) => a.principalId === sp.id);
    // Learn "List appRoleAssignments granted to a service principal" (serviceprincipal-list-approleassignments):
    // unlike the other two lists, its example context is the plain entity set.
    return { status: 200, body: assignmentCollection(ctx, list, 'appRoleAssignments') };
  });
  const assignedTo = (ctx: RouteContext) => {
    ctx.authorize('appRoleAssignedTo.read');
    const sp = resolveServicePrincipal(ctx);
    const list = [...ctx.state.appRoleAssignments.values()].filter((a) => a.resourceId === sp.id);
    return { status: 200, body: assignmentCollection(ctx, list, `servicePrincipals('${sp.id}')/appRoleAssignedTo`) };
  };
  // Learn "List appRoleAssignedTo" (serviceprincipal-list-approleassignedto), "Grant an appRoleAssignment for a
  // service principal" (serviceprincipal-post-approleassignedto) and "Delete appRoleAssignedTo".
  router.get("/servicePrincipals(appId='{appId}')/appRoleAssignedTo", assignedTo);
  router.get('/servicePrincipals/{id}/appRoleAssignedTo', assignedTo);
  router.post("/servicePrincipals(appId='{appId}')/appRoleAssignedTo", createAppRoleAssignment);
  router.post('/servicePrincipals/{id}/appRoleAssignedTo', createAppRoleAssignment);
  router.delete('/servicePrincipals/{id}/appRoleAssignedTo/{assignmentId}', (ctx) => {
    ctx.authorize('appRoleAssignedTo.delete');
    const sp = resolveServicePrincipal(ctx);
    const a = ctx.state.appRoleAssignments.get(ctx.params.assignmentId);
    if (!a || a.resourceId !== sp.id) throw notFound(ctx.params.assignmentId);
    ctx.state.appRoleAssignments.delete(a.id);
    ctx.state.pendingListMisses.delete(a.id);
    // Learn "Delete appRoleAssignedTo" (serviceprincipal-delete-approleassignedto): 204 No Content.
    return { status: 204 };
  });

  router.get('/groups/{id}/appRoleAssignments', (ctx) => {
    ctx.authorize('groupAppRoleAssignments.read');
    const g = ctx.state.findGroup(ctx.params.id);
    if (!g) throw notFound(ctx.params.id);
    const list = [...ctx.state.appRoleAssignments.values()].filter((a) => a.principalId === g.id);
    return { status: 200, body: assignmentCollection(ctx, list, `groups('${g.id}')/appRoleAssignments`) };
  });
}
