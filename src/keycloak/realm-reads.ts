/**
 * The realm reads of the keycloak step (and of verify-user): each read through keycloak-api.ts,
 * a 403 kept as `Denied` (its error names the missing realm-management role). They make no
 * finding: `targetFindings`, `reachFindings` and `deniedFinding` judge what they returned, and
 * the judging of everything else lives in the other files of this folder.
 */
import { finding, type Finding } from '../core/findings.js';
import { groupScope, rolesContaining, type AdminScope, type RoleRef } from './admin-scope.js';
import { KeycloakForbiddenError } from './errors.js';
import { normaliseGroupPath } from './group-path.js';
import type { Holder } from './holders.js';
import { defaultRoleFindings } from './indirect-grants.js';
import type { KeycloakApi } from './keycloak-api.js';
import { LDAP_MAPPER_TYPE, USER_STORAGE_TYPE } from './ldap-grants.js';
import type { MappingExpectation } from './mapping-expectation.js';
import type { IdentityProvider, IdpMapper, KcComponent, KcGroup, KcMapperOwner, KcRole, KcUser, MapperTypes, RealmInfo } from './types.js';
import { mapBounded } from '../core/bounded.js';

/** A read the account may not make (403): its error names the missing realm-management role. */
export class Denied {
  constructor(readonly error: KeycloakForbiddenError) {}
}

/**
 * Runs a read; a 403 is kept as `Denied` instead of failing the step (the judge reports it).
 * Everything else propagates: the runner reports it as PLAN_FAILED.
 */
async function read<T>(fn: () => Promise<T>): Promise<T | Denied> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof KeycloakForbiddenError) return new Denied(err);
    throw err;
  }
}

/** Whether a read was denied (see read). */
export const isDenied = <T>(v: T | Denied): v is Denied => v instanceof Denied;

/** The finding of a denied read: its message names the missing realm-management role; `severity` is the judge's. */
export function deniedFinding(denied: Denied, severity: Finding['severity']): Finding {
  const role = denied.error.role;
  return finding(
    severity,
    'KC_MISSING_ROLE',
    denied.error.message,
    role ? `grant the ${role} role of realm-management to the account, or use one that has it` : undefined,
  );
}

/** Members of a group and of its subgroups (members of a subgroup inherit the group's roles). */
async function groupHolders(api: KeycloakApi, realm: string, group: KcGroup): Promise<KcUser[]> {
  const byId = new Map<string, KcUser>();
  const seen = new Set<string>();
  const visit = async (g: KcGroup, via: string | undefined): Promise<void> => {
    if (seen.has(g.id)) return;
    seen.add(g.id);
    for (const u of await api.listGroupMembers(realm, g.id)) if (!byId.has(u.id)) byId.set(u.id, via ? { ...u, viaGroup: via } : u);
    const children = g.subGroupCount === 0 ? [] : await api.listSubGroups(realm, g.id);
    for (const child of children) await visit(child, child.path ?? `${g.path}/${child.name}`);
  };
  await visit(group, undefined);
  return [...byId.values()];
}

/** What the realm holds of the target group or role. */
export interface TargetState {
  exists: boolean;
  /** Fetches who holds the target now; undefined when it cannot be listed. */
  holders?: () => Promise<KcUser[]>;
  /** Role mode: the target role as read, with its client's uuid for a client role. */
  role?: KcRole & { clientUuid?: string };
  /** The read the account was denied: the target then counts as existing, unchecked. */
  denied?: Denied;
}

/** The target group by path, with who holds it (`exists: false`: no such group). */
export async function resolveGroup(api: KeycloakApi, realm: string, path: string): Promise<TargetState> {
  const group = await read(() => api.getGroupByPath(realm, path));
  if (isDenied(group)) return { exists: true, denied: group };
  if (!group) return { exists: false };
  return { exists: true, holders: () => groupHolders(api, realm, group) };
}

/** Pure: the findings of the target's read: the denied read, or the target group or role that does not exist. */
export function targetFindings(state: TargetState, target: MappingExpectation['target'], realm: string): Finding[] {
  if (state.denied) return [deniedFinding(state.denied, 'warning')];
  if (state.exists) return [];
  if (target.kind === 'group') {
    const path = target.value;
    return [
      finding(
        'error',
        'KC_GROUP_MISSING',
        `realm ${realm} has no group ${path}: a mapper to it does nothing (Keycloak skips it and only logs "Unable to find group by path")`,
        `create the group ${path} in realm ${realm} (with the admin roles), or pass --keycloak-group with the right path`,
      ),
    ];
  }
  const role = target.value;
  return [
    finding(
      'error',
      'KC_ROLE_MISSING',
      `realm ${realm} has no realm role ${role} and no client role of that name`,
      'create the role, or pass --keycloak-role as realmRole or clientId.roleName',
    ),
  ];
}

/** `name` is a realm role, `clientId.name` a client role (split at the last dot, as Keycloak does). */
export async function resolveRole(api: KeycloakApi, realm: string, role: string): Promise<TargetState> {
  const dot = role.lastIndexOf('.');
  if (dot > 0) {
    const client = await read(() => api.findClient(realm, role.slice(0, dot)));
    if (isDenied(client)) return { exists: true, denied: client };
    if (client) {
      const name = role.slice(dot + 1);
      const found = await read(() => api.getClientRole(realm, client.id, name));
      if (isDenied(found)) return { exists: true, denied: found };
      if (found)
        return {
          exists: true,
          holders: () => api.listClientRoleUsers(realm, client.id, name),
          role: { ...found, clientRole: true, clientUuid: client.id },
        };
    }
  }
  const realmRole = await read(() => api.getRealmRole(realm, role));
  if (isDenied(realmRole)) return { exists: true, denied: realmRole };
  if (realmRole) return { exists: true, holders: () => api.listRealmRoleUsers(realm, role), role: { ...realmRole, clientRole: false } };
  return { exists: false };
}

/** A role of the realm with what is needed to list its holders. */
type RoleNode = RoleRef & { name: string; composite?: boolean; clientUuid?: string };

/** What grants the target, as read: the scope, the holder listing, and what the reads left unknown. */
export interface TargetReach {
  scope: AdminScope;
  holders?: () => Promise<KcUser[]>;
  /** The realm's default role, when it is or contains the target role: every user holds it. */
  defaultRole?: string;
  /** Role mode: the target role's composite closure (role ids), once every composite was read. */
  closure?: Set<string>;
  /** Role mode: the realm's default role as read (judged against `closure`). */
  realmDefaultRole?: { id?: string; name?: string };
  /** Role mode: the reads of the closure the account was denied. */
  denied?: { realmRoles?: Denied; clients?: Denied; clientRoles?: Denied; composites?: Denied; groups?: Denied };
}

/**
 * Pure: the findings of the role closure's reads, in the order they were made: denied reads,
 * client roles left out of the closure, the realm's default role containing the target.
 */
export function reachFindings(reach: TargetReach, target: MappingExpectation['target'], realm: string): Finding[] {
  const denied = reach.denied ?? {};
  const out: Finding[] = [];
  const warn = (d: Denied | undefined) => {
    if (d) out.push(deniedFinding(d, 'warning'));
  };
  warn(denied.realmRoles);
  if (denied.realmRoles) return out;
  warn(denied.clients);
  warn(denied.clientRoles);
  if (denied.clients || denied.clientRoles) {
    out.push(
      finding(
        'warning',
        'KC_ROLE_CLOSURE_INCOMPLETE',
        `client roles of realm ${realm} could not be read, so a composite client role containing ${target.value} (and its holders) is not checked`,
        'grant the view-clients role of realm-management to the account',
      ),
    );
  }
  warn(denied.composites);
  if (denied.composites) return out;
  if (reach.closure) out.push(...defaultRoleFindings(reach.realmDefaultRole, reach.closure, target.value, realm));
  warn(denied.groups);
  return out;
}

/**
 * Role mode: every role containing the target through composites, and the groups holding any
 * of them. Keycloak grants a role through the realm's default role (held by every user), group
 * role mappings (inherited by subgroups) and composites, while `GET /roles/{name}/users` lists
 * only direct holders. Returns the scope for the mapper and default-group checks and the holder
 * listing over the whole closure; without the read permissions it says what was not checked.
 */
export async function roleScope(
  api: KeycloakApi,
  realm: string,
  realmInfo: RealmInfo,
  target: MappingExpectation['target'],
  state: TargetState,
): Promise<TargetReach> {
  const scope: AdminScope = { target, roles: new Map(), groups: new Map() };
  const role = state.role;
  if (!role) return { scope, holders: state.holders };
  const realmRoles = await read(() => api.listRealmRoles(realm));
  if (isDenied(realmRoles)) return { scope, holders: state.holders, denied: { realmRoles } };
  const denied: NonNullable<TargetReach['denied']> = {};
  const nodes = new Map<string, RoleNode>();
  for (const r of realmRoles) nodes.set(r.id, { id: r.id, ref: r.name, name: r.name, clientRole: false, composite: r.composite });
  const clients = await read(() => api.listClients(realm));
  const clientRoles = isDenied(clients)
    ? clients
    : await read(async () =>
        (await mapBounded(clients, 4, async (c) => (await api.listClientRoles(realm, c.id)).map((r) => ({ r, c })))).flat(),
      );
  if (isDenied(clients)) denied.clients = clients;
  else if (isDenied(clientRoles)) denied.clientRoles = clientRoles;
  if (!isDenied(clientRoles)) {
    for (const { r, c } of clientRoles)
      nodes.set(r.id, {
        id: r.id,
        ref: `${c.clientId}.${r.name}`,
        name: r.name,
        clientRole: true,
        composite: r.composite,
        clientUuid: c.id,
      });
  }
  const composites = [...nodes.values()].filter((n) => n.composite);
  const children = new Map<string, string[]>();
  const listed = await read(() =>
    mapBounded(composites, 4, async (n) =>
      children.set(
        n.id,
        (await api.listRoleComposites(realm, { id: n.id, name: n.ref, clientRole: n.clientRole })).map((k) => k.id),
      ),
    ),
  );
  if (isDenied(listed)) return { scope, holders: state.holders, denied: { ...denied, composites: listed } };
  const closure = rolesContaining(role.id, children);
  const defaultRole = realmInfo.defaultRole ?? realmRoles.find((r) => r.name === `default-roles-${realm.toLowerCase()}`);
  const granting = [...closure]
    .map(
      (id) =>
        nodes.get(id) ?? { id, ref: target.value, name: role.name, clientRole: Boolean(role.clientRole), clientUuid: role.clientUuid },
    )
    .filter((n) => n.id !== defaultRole?.id);
  for (const n of granting) if (n.id !== role.id) scope.roles.set(n.ref, n);

  const groups = await read(async () => {
    const out: Array<{ group: KcGroup; role: RoleNode }> = [];
    for (const n of granting) {
      const held =
        n.clientRole && n.clientUuid
          ? await api.listClientRoleGroups(realm, n.clientUuid, n.name)
          : await api.listRealmRoleGroups(realm, n.name);
      out.push(...held.map((group) => ({ group, role: n })));
    }
    return out;
  });
  if (isDenied(groups)) denied.groups = groups;
  const roleGroups = isDenied(groups) ? [] : groups;
  for (const { group, role: n } of roleGroups) {
    scope.groups.set(
      normaliseGroupPath(group.path),
      n.id === role.id ? `holds ${target.value}` : `holds role ${n.ref}, which contains ${target.value}`,
    );
  }
  const holders = async (): Promise<KcUser[]> => {
    const byId = new Map<string, KcUser>();
    for (const n of granting) {
      const users =
        n.clientRole && n.clientUuid
          ? await api.listClientRoleUsers(realm, n.clientUuid, n.name)
          : await api.listRealmRoleUsers(realm, n.name);
      for (const u of users) if (!byId.has(u.id)) byId.set(u.id, n.id === role.id ? u : { ...u, viaGroup: `role ${n.ref}` });
    }
    for (const { group } of roleGroups) {
      for (const u of await groupHolders(api, realm, group))
        if (!byId.has(u.id)) byId.set(u.id, { ...u, viaGroup: u.viaGroup ?? `group ${group.path}` });
    }
    return [...byId.values()];
  };
  return {
    scope,
    holders,
    ...(defaultRole?.id && closure.has(defaultRole.id) ? { defaultRole: defaultRole.name ?? `default-roles-${realm}` } : {}),
    closure,
    ...(defaultRole ? { realmDefaultRole: defaultRole } : {}),
    denied,
  };
}

/** What carries the admin rights in a realm, as the audit judges it, for one user's verdict (verify-user). */
export interface AdminReach {
  /** Whether the target group or role exists (or could not be read). */
  exists: boolean;
  scope: AdminScope;
  /** Role mode: the target role's id, to recognise a user's direct mapping of it. */
  targetRoleId?: string;
  /** The realm's default role, when it is or contains the target role: every user holds it. */
  defaultRole?: string;
  /** The target as read (judged by `adminReachFindings`). */
  state: TargetState;
  /** Role mode: the role closure as read (judged by `adminReachFindings`). */
  reach?: TargetReach;
}

/**
 * The audit's view of what grants the target: the group and its subgroups, or the role's
 * composite closure with the groups holding it and the realm's default role. Reads only: the
 * findings the audit's judge makes of these reads come from `adminReachFindings`.
 */
export async function adminReach(
  api: KeycloakApi,
  realm: string,
  realmInfo: RealmInfo,
  target: MappingExpectation['target'],
): Promise<AdminReach> {
  if (target.kind === 'group') {
    const state = await resolveGroup(api, realm, target.value);
    return { exists: state.exists, scope: groupScope(target.value), state };
  }
  const state = await resolveRole(api, realm, target.value);
  const reach = await roleScope(api, realm, realmInfo, target, state);
  return {
    exists: state.exists,
    scope: reach.scope,
    ...(state.role ? { targetRoleId: state.role.id } : {}),
    ...(reach.defaultRole ? { defaultRole: reach.defaultRole } : {}),
    state,
    reach,
  };
}

/** Pure: the audit judge's findings of `adminReach`'s reads: the target's (`targetFindings`), then the role closure's (`reachFindings`). */
export function adminReachFindings(read: AdminReach, target: MappingExpectation['target'], realm: string): Finding[] {
  return [...targetFindings(read.state, target, realm), ...(read.reach ? reachFindings(read.reach, target, realm) : [])];
}

/** The realm with its settings (session timeouts need view-realm); null when there is no such realm. */
export async function readRealm(api: KeycloakApi, realm: string): Promise<RealmInfo | null | Denied> {
  return read(() => api.getRealm(realm));
}

/** The realm's identity providers. */
export async function readIdentityProviders(api: KeycloakApi, realm: string): Promise<IdentityProvider[] | Denied> {
  return read(() => api.listIdentityProviders(realm));
}

/** The chosen provider's mappers (with the mapper types it offers, when read), then every other provider's. */
export interface ProviderMappers {
  mappers: IdpMapper[];
  /** Read only for a provider whose protocol takes claim mappers. */
  mapperTypes?: MapperTypes;
  others: Array<{ idp: IdentityProvider; mappers: IdpMapper[] }>;
}

/**
 * The mappers of the chosen provider `idp` (and its mapper types when `withTypes`), then those of
 * every other provider of the realm, in the realm's order.
 */
export async function readProviderMappers(
  api: KeycloakApi,
  realm: string,
  idp: IdentityProvider,
  idps: IdentityProvider[],
  withTypes: boolean,
): Promise<ProviderMappers> {
  const mappers = await api.listMappers(realm, idp.alias);
  const mapperTypes = withTypes ? await api.listMapperTypes(realm, idp.alias) : undefined;
  const others: ProviderMappers['others'] = [];
  for (const other of idps) {
    if (other.alias === idp.alias) continue;
    others.push({ idp: other, mappers: await api.listMappers(realm, other.alias) });
  }
  return { mappers, mapperTypes, others };
}

/** The realm's default groups (every new user joins them). */
export async function readDefaultGroups(api: KeycloakApi, realm: string): Promise<KcGroup[] | Denied> {
  return read(() => api.getDefaultGroups(realm));
}

/** The realm's user storage providers, and the mappers of its LDAP ones. */
export async function readLdapMappers(
  api: KeycloakApi,
  realm: string,
): Promise<{ providers: KcComponent[]; mappers: KcComponent[] } | Denied> {
  return read(async () => {
    const providers = await api.listComponents(realm, USER_STORAGE_TYPE);
    const mappers = (
      await mapBounded(
        providers.filter((p) => p.providerId === 'ldap' && p.id),
        4,
        (p) => api.listComponents(realm, LDAP_MAPPER_TYPE, p.id),
      )
    ).flat();
    return { providers, mappers };
  });
}

/** The clients and client scopes with their protocol mappers; `forbidden` (the error's message) when the account may not read them. */
export async function readProtocolMapperOwners(api: KeycloakApi, realm: string): Promise<KcMapperOwner[] | { forbidden: string }> {
  try {
    return await api.listProtocolMapperOwners(realm);
  } catch (err) {
    if (!(err instanceof KeycloakForbiddenError)) throw err;
    return { forbidden: err.message };
  }
}

/**
 * Who holds the target now, each with their identity-provider links; the credentials of an
 * enabled holder linked to `alias` or a trusted provider are read too.
 */
export async function readHolders(
  api: KeycloakApi,
  realm: string,
  holders: () => Promise<KcUser[]>,
  alias: string,
  trustedAliases: ReadonlySet<string>,
): Promise<Holder[] | Denied> {
  return read(async () => {
    const users = await holders();
    return mapBounded(users, 8, async (user): Promise<Holder> => {
      const links = await api.listFederatedIdentities(realm, user.id);
      // Only an enabled holder linked to the provider needs its credentials read: a password
      // lets it sign in without the provider, past the mapper (localCredentialFindings).
      if (user.enabled === false || !links.some((l) => l.identityProvider === alias || trustedAliases.has(l.identityProvider)))
        return { user, links };
      const credentials = await api.listCredentials(realm, user.id);
      const storageCredentialTypes = user.federationLink ? await api.listUserStorageCredentialTypes(realm, user.id) : undefined;
      return { user, links, credentials, ...(storageCredentialTypes ? { storageCredentialTypes } : {}) };
    });
  });
}
