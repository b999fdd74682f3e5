import {
  DIRECTORY_ROLE_PROPERTIES,
  GROUP_PROPERTIES,
  USER_DEFAULT_PROPERTIES,
  USER_PROPERTIES,
  contextUrl,
  directoryCollection,
  directoryObjectEntity,
  directoryRoleEntity,
  groupEntity,
  isAdvancedQuery,
  parseDirectoryObjectSelect,
  parseODataId,
  userEntity,
} from './directory.js';
import { GraphError, badRequest, notFound } from './errors.js';
import { applySelect, parseSelect } from './odata.js';
import { evalFilter, parseFilterFor } from './odata-filter.js';
import { permits, requireDelegated } from './permissions.js';
import type { RouteContext, Router } from './router.js';
import type { SeedGroup } from './seed.js';
import { indexOfId, type DirectoryObjectRef, type TenantState } from './state.js';

type Obj = Record<string, unknown>;
const byId = (o: Obj): string => String(o.id ?? '');

// Learn "Advanced query capabilities on directory objects" (aad-advanced-queries), include
// "filter-directory-objects": these user and group properties support `eq` (and so `in`) by default.
const USER_FILTER = {
  resource: 'User',
  properties: ['id', 'userPrincipalName', 'mail', 'displayName', 'givenName', 'surname', 'accountEnabled', 'userType'],
};
const GROUP_FILTER = {
  resource: 'Group',
  properties: [
    'id',
    'displayName',
    'mail',
    'mailNickname',
    'securityEnabled',
    'mailEnabled',
    'isAssignableToRole',
    'onPremisesSyncEnabled',
  ],
};

function requireGroup(state: TenantState, id: string): SeedGroup {
  const g = state.findGroup(id);
  if (!g) throw notFound(id);
  return g;
}

/**
 * Membership of some groups cannot be edited through Graph at all. Codes and wording:
 * ASSUMPTIONS.md (Directory: membership edits refused).
 */
function assertMembershipEditable(g: SeedGroup): void {
  if (g.groupTypes.includes('DynamicMembership')) {
    throw badRequest('The membership of a group with dynamic membership cannot be changed manually.');
  }
  if (g.onPremisesSyncEnabled) {
    throw badRequest(
      'Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.',
    );
  }
  if (g.mailEnabled && !g.groupTypes.includes('Unified')) {
    // Learn "Working with groups in Microsoft Graph" (groups-overview): mail-enabled security
    // groups and distribution lists are read-only through Graph (managed in Exchange). The 400
    // wording is community-reported (ASSUMPTIONS.md).
    throw badRequest('Cannot Update a mail-enabled security groups and or distribution list.');
  }
}

function memberRefs(ctx: RouteContext, g: SeedGroup, accessId: 'member' | 'owner'): DirectoryObjectRef[] {
  const refs: DirectoryObjectRef[] = [];
  for (const id of ctx.state.effectiveMembers(g.id, accessId)) {
    const ref = ctx.state.findObject(id);
    if (!ref) continue;
    // Learn "List group members" (group-list-members), Important note, and "Known issues in
    // Microsoft Graph" ("GET /groups/{id}/members doesn't return service principals in v1.0"):
    // v1.0 leaves service-principal members out; the documented workaround is the beta endpoint
    // (or `$expand=members`, not simulated).
    if (ctx.version === 'v1.0' && accessId === 'member' && ref.kind === 'servicePrincipal') continue;
    // Learn "List owners" (group-list-owners): "service principals are not listed as group owners"
    // on v1.0 (staged rollout); beta lists them.
    if (ctx.version === 'v1.0' && accessId === 'owner' && ref.kind === 'servicePrincipal') continue;
    refs.push(ref);
  }
  return refs;
}

function listDirectoryObjects(ctx: RouteContext, refs: DirectoryObjectRef[], fragment: string): Obj {
  const select = parseDirectoryObjectSelect(ctx);
  return directoryCollection(
    ctx,
    fragment,
    refs,
    (r) => r.id,
    (r) => directoryObjectEntity(ctx.state, r, select),
  );
}

function meUser(ctx: RouteContext) {
  requireDelegated(ctx.auth);
  const me = ctx.state.users.get(ctx.auth.oid);
  if (!me) throw notFound(ctx.auth.oid);
  return me;
}

/**
 * A directory role as a directoryObject collection shows it to a caller that may not read roles:
 * Learn include "limited-info" (on "List a user's memberships"): only @odata.type and id, the
 * other properties null.
 */
function limitedDirectoryRole(id: string): Obj {
  return {
    '@odata.type': '#microsoft.graph.directoryRole',
    id,
    ...Object.fromEntries(DIRECTORY_ROLE_PROPERTIES.filter((p) => p !== 'id').map((p) => [p, null])),
  };
}

function transitiveMemberOf(ctx: RouteContext, cast: 'all' | 'directoryRole' | 'group'): Obj {
  ctx.authorize('me.transitiveMemberOf');
  const me = meUser(ctx);
  // Learn "List a user's memberships (direct and transitive)" (user-list-transitivememberof), Request
  // headers: ConsistencyLevel and $count are required with $search, $filter, $orderby or an OData cast.
  // Code and wording of the 400: ASSUMPTIONS.md (Directory: transitiveMemberOf).
  const needsAdvanced = cast !== 'all' || ctx.query.has('$filter') || ctx.query.has('$search') || ctx.query.has('$orderby');
  if (needsAdvanced && !isAdvancedQuery(ctx)) {
    throw new GraphError(400, 'Request_UnsupportedQuery', 'Unsupported Query.');
  }
  const select =
    cast === 'directoryRole'
      ? parseSelect(ctx.query, DIRECTORY_ROLE_PROPERTIES, 'microsoft.graph.directoryRole')
      : parseDirectoryObjectSelect(ctx);
  const items: Obj[] = [];
  if (cast !== 'directoryRole') {
    for (const g of ctx.state.transitiveGroupsOf(me.id))
      items.push(directoryObjectEntity(ctx.state, { kind: 'group', id: g.id, displayName: g.displayName }, undefined));
  }
  if (cast !== 'group') {
    const readRoles = permits(ctx.state, ctx.auth, 'directoryRoles.read');
    for (const r of ctx.state.directoryRolesOf(me.id)) items.push(readRoles ? directoryRoleEntity(r) : limitedDirectoryRole(r.id));
  }
  const filter = parseFilterFor(ctx.query, { resource: 'DirectoryObject', properties: ['displayName', 'roleTemplateId', 'id'] }, true);
  const filtered = filter ? items.filter((i) => evalFilter(filter, i)) : items;
  const fragment = cast === 'all' ? 'directoryObjects' : `directoryObjects/microsoft.graph.${cast}`;
  return directoryCollection(ctx, fragment, filtered, byId, (o) => applySelect(o, select));
}

/** Users, groups, memberships, /me and subscribedSkus. */
export function registerDirectoryRoutes(router: Router): void {
  // Learn "Get user" (user-get): /me needs a signed-in user; without $select the default property set.
  router.get('/me', (ctx) => {
    ctx.authorize('me.read');
    const me = meUser(ctx);
    const select = parseSelect(ctx.query, USER_PROPERTIES, 'microsoft.graph.user');
    return {
      status: 200,
      body: { '@odata.context': contextUrl(ctx, 'users/$entity'), ...applySelect(userEntity(me), select ?? USER_DEFAULT_PROPERTIES) },
    };
  });
  // Learn "List a user's memberships (direct and transitive)" (user-list-transitivememberof): the whole
  // list, or cast to directoryRole or group.
  router.get('/me/transitiveMemberOf', (ctx) => ({ status: 200, body: transitiveMemberOf(ctx, 'all') }));
  router.get('/me/transitiveMemberOf/microsoft.graph.directoryRole', (ctx) => ({
    status: 200,
    body: transitiveMemberOf(ctx, 'directoryRole'),
  }));
  router.get('/me/transitiveMemberOf/microsoft.graph.group', (ctx) => ({ status: 200, body: transitiveMemberOf(ctx, 'group') }));

  // Learn "List users" (user-list): default property set without $select; $filter per USER_FILTER.
  router.get('/users', (ctx) => {
    ctx.authorize('users.read');
    const filter = parseFilterFor(ctx.query, USER_FILTER, isAdvancedQuery(ctx));
    const select = parseSelect(ctx.query, USER_PROPERTIES, 'microsoft.graph.user');
    const items = [...ctx.state.users.values()].map(userEntity).filter((u) => !filter || evalFilter(filter, u));
    return { status: 200, body: directoryCollection(ctx, 'users', items, byId, (u) => applySelect(u, select ?? USER_DEFAULT_PROPERTIES)) };
  });
  const getUser = (ctx: RouteContext, key: string) => {
    ctx.authorize('users.read');
    const u = ctx.state.findUser(key);
    if (!u) throw notFound(key);
    const select = parseSelect(ctx.query, USER_PROPERTIES, 'microsoft.graph.user');
    return {
      status: 200,
      body: { '@odata.context': contextUrl(ctx, 'users/$entity'), ...applySelect(userEntity(u), select ?? USER_DEFAULT_PROPERTIES) },
    };
  };
  // Learn "Get user" (user-get): by id or userPrincipalName.
  router.get('/users/{id}', (ctx) => {
    // Learn "Get user" (user-get): `/users/$x@y.com` fails with 400 Bad Request, because OData
    // reserves a leading `$` for system query options; the path arrives decoded, so `%24` fails
    // alike. Error code and message are not documented (ASSUMPTIONS.md).
    if (ctx.params.id.startsWith('$')) {
      throw new GraphError(400, 'BadRequest', `Resource not found for the segment '${ctx.params.id}'.`);
    }
    return getUser(ctx, ctx.params.id);
  });
  // Learn "Get user": the key form `/users('$x@y.com')` works for such UPNs; the key is an OData
  // string literal, so a doubled `''` stands for one quote.
  router.get("/users('{key}')", (ctx) => getUser(ctx, ctx.params.key.replace(/''/g, "'")));

  // Learn "List groups" (group-list) and "Get group" (group-get): example 1 shapes (directory.ts groupEntity).
  router.get('/groups', (ctx) => {
    ctx.authorize('groups.read');
    const filter = parseFilterFor(ctx.query, GROUP_FILTER, isAdvancedQuery(ctx));
    const select = parseSelect(ctx.query, GROUP_PROPERTIES, 'microsoft.graph.group');
    const items = [...ctx.state.groups.values()].map(groupEntity).filter((g) => !filter || evalFilter(filter, g));
    return { status: 200, body: directoryCollection(ctx, 'groups', items, byId, (g) => applySelect(g, select)) };
  });
  // Learn "Get group" (group-get).
  router.get('/groups/{id}', (ctx) => {
    ctx.authorize('groups.read');
    const g = requireGroup(ctx.state, ctx.params.id);
    const select = parseSelect(ctx.query, GROUP_PROPERTIES, 'microsoft.graph.group');
    return { status: 200, body: { '@odata.context': contextUrl(ctx, 'groups/$entity'), ...applySelect(groupEntity(g), select) } };
  });
  // Learn "List group members" (group-list-members) and "List group owners" (group-list-owners):
  // directoryObject collections with each item's @odata.type; v1.0 omits service principals (memberRefs).
  router.get('/groups/{id}/members', (ctx) => {
    ctx.authorize('groups.read');
    const g = requireGroup(ctx.state, ctx.params.id);
    return { status: 200, body: listDirectoryObjects(ctx, memberRefs(ctx, g, 'member'), 'directoryObjects') };
  });
  // Learn "List group owners" (group-list-owners).
  router.get('/groups/{id}/owners', (ctx) => {
    ctx.authorize('groups.read');
    const g = requireGroup(ctx.state, ctx.params.id);
    return { status: 200, body: listDirectoryObjects(ctx, memberRefs(ctx, g, 'owner'), 'directoryObjects') };
  });

  // Learn "Add members" (group-post-members): `{"@odata.id": "…/directoryObjects/{id}"}`, 204 No Content.
  router.post('/groups/{id}/members/$ref', (ctx) => {
    const g = ctx.state.findGroup(ctx.params.id);
    ctx.authorize('groups.members.write', { groupId: g?.id });
    if (!g) throw notFound(ctx.params.id);
    const memberId = parseODataId(ctx.body);
    const ref = ctx.state.findObject(memberId);
    if (!ref) throw notFound(memberId);
    assertMembershipEditable(g);
    if (g.isAssignableToRole && ref.kind === 'group') {
      // Learn "Use Microsoft Entra groups to manage role assignments" (groups-concept): a group cannot
      // be added as a member of a role-assignable group. The 400 wording: ASSUMPTIONS.md (Directory).
      throw badRequest('A role-assignable group cannot have groups as members.');
    }
    // Duplicate member: ASSUMPTIONS.md (Directory: adding a member that is already one).
    if (ctx.state.isMember(g.id, ref.id)) {
      throw badRequest("One or more added object references already exist for the following modified properties: 'members'.");
    }
    g.members.push(ref.id);
    // Learn "Add members" (group-post-members): 204 No Content.
    return { status: 204 };
  });

  router.delete('/groups/{id}/members/{memberId}/$ref', (ctx) => {
    const g = ctx.state.findGroup(ctx.params.id);
    ctx.authorize('groups.members.write', { groupId: g?.id });
    if (!g) throw notFound(ctx.params.id);
    assertMembershipEditable(g);
    const memberId = ctx.params.memberId;
    // Learn "Remove member" (group-delete-members) documents only the 204; the 404: ASSUMPTIONS.md (Directory).
    if (!ctx.state.isMember(g.id, memberId)) throw notFound(memberId);
    const at = indexOfId(g.members, memberId);
    if (at >= 0) g.members.splice(at, 1);
    // A member that PIM put in the group loses its active assignment too: membership and
    // assignmentScheduleInstances never disagree (ASSUMPTIONS.md, Directory).
    for (const [id, a] of ctx.state.assignmentSchedules) {
      if (a.groupId === g.id && a.accessId === 'member' && a.principalId.toLowerCase() === memberId.toLowerCase()) {
        ctx.state.assignmentSchedules.delete(id);
      }
    }
    return { status: 204 };
  });

  // Without /$ref the URL addresses the member object itself, so DELETE removes it from the
  // directory (the caution on Learn "Remove member" (group-delete-members); ASSUMPTIONS.md, Directory). Reproduced so tests can prove the tool
  // never sends it. Learn "Delete a user" (user-delete): 204 No Content.
  router.delete('/groups/{id}/members/{memberId}', (ctx) => {
    ctx.authorize('directoryObjects.delete');
    const g = requireGroup(ctx.state, ctx.params.id);
    const memberId = ctx.params.memberId;
    if (!ctx.state.isMember(g.id, memberId)) throw notFound(memberId);
    const ref = ctx.state.findObject(memberId);
    if (!ref) throw notFound(memberId);
    ctx.state.deleteObject(ref);
    return { status: 204 };
  });

  // Learn "List subscribedSkus" (subscribedsku-list): only `$select` is supported; the item shape is the
  // page's example. `accountId`/`accountName`/`subscriptionIds` and the $filter wording: ASSUMPTIONS.md (Licences).
  router.get('/subscribedSkus', (ctx) => {
    ctx.authorize('subscribedSkus.read');
    if (ctx.query.has('$filter')) {
      throw new GraphError(400, 'Request_UnsupportedQuery', "The query parameter '$filter' is not supported on subscribedSkus.");
    }
    const props = [
      'id',
      'accountId',
      'accountName',
      'appliesTo',
      'capabilityStatus',
      'consumedUnits',
      'prepaidUnits',
      'servicePlans',
      'skuId',
      'skuPartNumber',
      'subscriptionIds',
    ];
    const select = parseSelect(ctx.query, props, 'microsoft.graph.subscribedSku');
    const value = ctx.state.subscribedSkus.map((s) =>
      applySelect(
        {
          accountName: ctx.state.displayName,
          accountId: ctx.state.tenantId,
          appliesTo: s.appliesTo,
          capabilityStatus: s.capabilityStatus,
          consumedUnits: s.consumedUnits,
          id: `${ctx.state.tenantId}_${s.skuId}`,
          skuId: s.skuId,
          skuPartNumber: s.skuPartNumber,
          subscriptionIds: [],
          prepaidUnits: structuredClone(s.prepaidUnits),
          servicePlans: structuredClone(s.servicePlans),
        },
        select,
      ),
    );
    return { status: 200, body: { '@odata.context': contextUrl(ctx, 'subscribedSkus'), value } };
  });
}
