import { GraphError, badRequest } from './errors.js';
import { applySelect, paginate, parseSelect } from './odata.js';
import type { RouteContext } from './router.js';
import type { SeedApplication, SeedDirectoryRole, SeedGroup, SeedServicePrincipal, SeedUser } from './seed.js';
import type { DirectoryObjectRef, TenantState } from './state.js';

type Obj = Record<string, unknown>;

/** All properties the sim serves for a user (names and types of the user resource type on Learn). */
export function userEntity(u: SeedUser): Obj {
  return {
    id: u.id,
    businessPhones: [],
    displayName: u.displayName,
    givenName: u.givenName ?? null,
    jobTitle: u.jobTitle ?? null,
    mail: u.mail ?? null,
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: null,
    surname: u.surname ?? null,
    userPrincipalName: u.userPrincipalName,
    accountEnabled: u.accountEnabled,
    userType: u.userType,
    department: u.department ?? null,
    createdDateTime: u.createdDateTime ?? null,
    deletedDateTime: null,
  };
}

/**
 * Graph returns only this default set for users unless `$select` asks for more —
 * notably `accountEnabled` and `userType` are absent without `$select`. Learn "Get user" (user-get)
 * and "List users" (user-list): the default properties are businessPhones, displayName, givenName,
 * id, jobTitle, mail, mobilePhone, officeLocation, preferredLanguage, surname, userPrincipalName.
 */
export const USER_DEFAULT_PROPERTIES = [
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'id',
];

/**
 * A group with the default property set of Learn "List groups" (group-list) example 1 and
 * "Get group" (group-get): same names, JSON types and nulls for properties the sim does not model.
 */
export function groupEntity(g: SeedGroup): Obj {
  return {
    id: g.id,
    deletedDateTime: null,
    classification: null,
    createdDateTime: g.createdDateTime ?? null,
    description: g.description ?? null,
    displayName: g.displayName,
    expirationDateTime: null,
    groupTypes: [...g.groupTypes],
    isAssignableToRole: g.isAssignableToRole,
    mail: g.mail ?? null,
    mailEnabled: g.mailEnabled,
    mailNickname: g.mailNickname ?? g.displayName.replace(/[^A-Za-z0-9-]/g, ''),
    membershipRule: g.membershipRule ?? null,
    membershipRuleProcessingState: g.membershipRuleProcessingState ?? null,
    onPremisesLastSyncDateTime: null,
    onPremisesSecurityIdentifier: null,
    onPremisesSyncEnabled: g.onPremisesSyncEnabled ?? null,
    preferredDataLocation: null,
    preferredLanguage: null,
    proxyAddresses: [],
    // The example shows renewedDateTime equal to createdDateTime for a group never renewed.
    renewedDateTime: g.createdDateTime ?? null,
    resourceBehaviorOptions: [],
    resourceProvisioningOptions: [],
    securityEnabled: g.securityEnabled,
    theme: null,
    visibility: null,
    onPremisesProvisioningErrors: [],
  };
}

/**
 * A service principal with the properties of Learn "Get servicePrincipal" (serviceprincipal-get)
 * example 1; those the sim does not model are null or empty, as the example writes them.
 */
export function servicePrincipalEntity(sp: SeedServicePrincipal, o: { keys?: boolean } = {}): Obj {
  const { owners: _owners, ...rest } = structuredClone(sp);
  // Learn "keyCredential resource type": `key` is returned only on $select=keyCredentials of a
  // single object, otherwise always null.
  if (!o.keys) rest.keyCredentials = rest.keyCredentials.map((k) => ({ ...k, key: null }));
  return {
    deletedDateTime: null,
    addIns: [],
    alternativeNames: [],
    appDisplayName: sp.appDisplayName ?? sp.displayName,
    appOwnerOrganizationId: sp.appOwnerOrganizationId ?? null,
    disabledByMicrosoftStatus: null,
    endpoints: [],
    homepage: null,
    info: { termsOfServiceUrl: null, supportUrl: null, privacyStatementUrl: null, marketingUrl: null, logoUrl: null },
    logoutUrl: null,
    notes: null,
    passwordCredentials: [],
    publisherName: null,
    replyUrls: [],
    resourceSpecificApplicationPermissions: [],
    signInAudience: 'AzureADMyOrg',
    tokenEncryptionKeyId: null,
    verifiedPublisher: { displayName: null, verifiedPublisherId: null, addedDateTime: null },
    ...rest,
  };
}

/** An application with the properties of Learn "Get application" (application-get) the tool reads; the rest are not modelled. */
export function applicationEntity(app: SeedApplication): Obj {
  return { deletedDateTime: null, signInAudience: 'AzureADMyOrg', ...structuredClone(app) };
}

/**
 * Learn "List a user's memberships (direct and transitive)" (user-list-transitivememberof) and the
 * JSON batching example's item 1: a directoryRole carries @odata.type, id, deletedDateTime,
 * description, displayName and roleTemplateId.
 */
export function directoryRoleEntity(r: SeedDirectoryRole): Obj {
  return {
    '@odata.type': '#microsoft.graph.directoryRole',
    id: r.id,
    deletedDateTime: null,
    description: r.description ?? r.displayName,
    displayName: r.displayName,
    roleTemplateId: r.roleTemplateId,
  };
}

export const USER_PROPERTIES = Object.keys(
  userEntity({ id: '', displayName: '', userPrincipalName: '', accountEnabled: true, userType: 'Member' }),
);
export const GROUP_PROPERTIES = Object.keys(
  groupEntity({
    id: '',
    displayName: '',
    securityEnabled: true,
    mailEnabled: false,
    groupTypes: [],
    isAssignableToRole: false,
    members: [],
    owners: [],
  }),
);
export const SERVICE_PRINCIPAL_PROPERTIES = [
  'id',
  'deletedDateTime',
  'accountEnabled',
  'addIns',
  'alternativeNames',
  'appDisplayName',
  'appId',
  'appOwnerOrganizationId',
  'appRoleAssignmentRequired',
  'appRoles',
  'disabledByMicrosoftStatus',
  'displayName',
  'endpoints',
  'homepage',
  'info',
  'keyCredentials',
  'logoutUrl',
  'notes',
  'oauth2PermissionScopes',
  'passwordCredentials',
  'preferredSingleSignOnMode',
  'preferredTokenSigningKeyThumbprint',
  'publisherName',
  'replyUrls',
  'resourceSpecificApplicationPermissions',
  'samlSingleSignOnSettings',
  'servicePrincipalNames',
  'servicePrincipalType',
  'signInAudience',
  'tags',
  'tokenEncryptionKeyId',
  'verifiedPublisher',
];
export const APPLICATION_PROPERTIES = [
  'id',
  'deletedDateTime',
  'appId',
  'displayName',
  'signInAudience',
  'identifierUris',
  'web',
  'groupMembershipClaims',
  'optionalClaims',
  'appRoles',
  'requiredResourceAccess',
  'passwordCredentials',
  'keyCredentials',
  'createdDateTime',
];
export const DIRECTORY_ROLE_PROPERTIES = ['id', 'deletedDateTime', 'description', 'displayName', 'roleTemplateId'];

/**
 * A directory object as it appears in a polymorphic collection (members, owners, memberOf): Learn
 * "List group members" (group-list-members) examples: each item names its `@odata.type`.
 */
export function directoryObjectEntity(state: TenantState, ref: DirectoryObjectRef, select: string[] | undefined): Obj {
  if (ref.kind === 'user') {
    const e = userEntity(state.users.get(ref.id)!);
    return { '@odata.type': '#microsoft.graph.user', ...applySelect(e, select ?? USER_DEFAULT_PROPERTIES) };
  }
  if (ref.kind === 'group') {
    return { '@odata.type': '#microsoft.graph.group', ...applySelect(groupEntity(state.groups.get(ref.id)!), select) };
  }
  return {
    '@odata.type': '#microsoft.graph.servicePrincipal',
    ...applySelect(servicePrincipalEntity(state.servicePrincipals.get(ref.id)!), select),
  };
}

/**
 * True for `ConsistencyLevel: eventual` plus `$count=true` or `$search`: Learn "Advanced query
 * capabilities on directory objects" (aad-advanced-queries) names these the advanced query parameters.
 */
export function isAdvancedQuery(ctx: RouteContext): boolean {
  return (
    ctx.headers['consistencylevel']?.toLowerCase() === 'eventual' &&
    (ctx.query.get('$count')?.toLowerCase() === 'true' || ctx.query.has('$search'))
  );
}

/**
 * `@odata.context` for a collection or entity. With `$select` the documented examples name the
 * selected properties in the context, e.g. `#groups(id,displayName)` (Learn "List groups",
 * example 2) and `#servicePrincipals(id,appId,…)/$entity` (Learn "Get servicePrincipal", example 2).
 */
export function contextUrl(ctx: RouteContext, fragment: string): string {
  const select = ctx.query
    .get('$select')
    ?.split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .join(',');
  let f = fragment;
  if (select && !fragment.includes('(')) {
    f = fragment.endsWith('/$entity') ? `${fragment.slice(0, -'/$entity'.length)}(${select})/$entity` : `${fragment}(${select})`;
  }
  return `${ctx.origin}/${ctx.version}/$metadata#${f}`;
}

/**
 * Builds a directory collection response: `$count` (advanced queries only), server-side
 * paging with an absolute `@odata.nextLink`. Items are paged by `key` and projected
 * afterwards, so `$select` cannot remove the cursor key.
 */
export function directoryCollection<X>(
  ctx: RouteContext,
  fragment: string,
  items: X[],
  key: (x: X) => string,
  project: (x: X) => Obj,
): Obj {
  // Learn "Advanced query capabilities on directory objects" (aad-advanced-queries), Error handling:
  // without `ConsistencyLevel: eventual` the `$count=true` query parameter is silently ignored (no
  // `@odata.count`); only the `$count` URL segment is an error. Learn "Paging Microsoft Graph data in
  // your app" (paging): `@odata.count` is present only in the first page.
  const countRequested =
    ctx.query.get('$count')?.toLowerCase() === 'true' &&
    ctx.headers['consistencylevel']?.toLowerCase() === 'eventual' &&
    !ctx.query.has('$skiptoken');
  // $orderby without advanced parameters: ASSUMPTIONS.md (Transport: $orderby).
  if (ctx.query.has('$orderby') && !isAdvancedQuery(ctx)) {
    throw new GraphError(400, 'Request_UnsupportedQuery', 'Sorting not supported for current query.');
  }
  const page = paginate(items, {
    query: ctx.query,
    baseUrl: `${ctx.origin}/${ctx.version}${ctx.path}`,
    defaultPageSize: ctx.pageSize,
    key,
  });
  const body: Obj = { '@odata.context': contextUrl(ctx, fragment) };
  if (countRequested) body['@odata.count'] = items.length;
  if (page.nextLink) body['@odata.nextLink'] = page.nextLink;
  body.value = page.value.map(project);
  return body;
}

/** `$select` for a polymorphic directory-object collection (union of the member types). */
export function parseDirectoryObjectSelect(ctx: RouteContext): string[] | undefined {
  const known = [...new Set([...USER_PROPERTIES, ...GROUP_PROPERTIES, ...SERVICE_PRINCIPAL_PROPERTIES])];
  return parseSelect(ctx.query, known, 'microsoft.graph.directoryObject');
}

/**
 * Resolves `{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/{id}"}` to an id.
 * Graph accepts the directoryObjects, users, groups and servicePrincipals forms.
 */
export function parseODataId(body: unknown): string {
  const ref = body && typeof body === 'object' ? (body as Obj)['@odata.id'] : undefined;
  if (typeof ref !== 'string') {
    throw badRequest("The request body must contain an '@odata.id' reference.");
  }
  const m = /\/(?:directoryObjects|users|groups|servicePrincipals)\/([^/?#]+)\/?$/i.exec(ref);
  if (!m) throw badRequest(`Invalid object identifier '${ref}'.`);
  return decodeURIComponent(m[1]);
}
