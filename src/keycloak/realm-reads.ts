/**
 * The realm reads of the keycloak step (and of verify-user): each read through keycloak-api.ts,
 * a 403 recorded as a finding naming the missing realm-management role. The judging lives in the
 * other files of this folder; the step calls a read, then judges what it returned.
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

/** Marks a read the account may not make (403); the finding naming the role is already recorded. */
export const DENIED = Symbol('denied');

/**
 * Runs a read; a 403 becomes a finding (its message names the missing realm-management role)
 * instead of failing the step. Everything else propagates: the runner reports it as PLAN_FAILED.
 */
async function read<T>(findings: Finding[], severity: Finding['severity'], fn: () => Promise<T>): Promise<T | typeof DENIED> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof KeycloakForbiddenError) {
      const role = err.role;
      findings.push(
        finding(
          severity,
          'KC_MISSING_ROLE',
          err.message,
          role ? `grant the ${role} role of realm-management to the account, or use one that has it` : undefined,
        ),
      );
      return DENIED;
    }
    throw err;
  }
}

/** Whether a read was denied (see read). */
export const isDenied = <T>(v: T | typeof DENIED): v is typeof DENIED => v === DENIED;

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

/** Runs `fn` over `items` with at most `limit` in flight: one request per member without flooding Keycloak. */
async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** What the realm holds of the target group or role. */
export interface TargetState {
  exists: boolean;
  /** Fetches who holds the target now; undefined when it cannot be listed. */
  holders?: () => Promise<KcUser[]>;
  /** Role mode: the target role as read, with its client's uuid for a client role. */
  role?: KcRole & { clientUuid?: string };
}

/** The target group by path, with who holds it; a missing group is an error finding. */
export async function resolveGroup(api: KeycloakApi, realm: string, path: string, findings: Finding[]): Promise<TargetState> {
  const group = await read(findings, 'warning', () => api.getGroupByPath(realm, path));
  if (isDenied(group)) return { exists: true };
  if (!group) {
    findings.push(
      finding(
        'error',
        'KC_GROUP_MISSING',
        `realm ${realm} has no group ${path}: a mapper to it does nothing (Keycloak skips it and only logs "Unable to find group by path")`,
        `create the group ${path} in realm ${realm} (with the admin roles), or pass --keycloak-group with the right path`,
      ),
    );
    return { exists: false };
  }
  return { exists: true, holders: () => groupHolders(api, realm, group) };
}

/** `name` is a realm role, `clientId.name` a client role (split at the last dot, as Keycloak does). */
export async function resolveRole(api: KeycloakApi, realm: string, role: string, findings: Finding[]): Promise<TargetState> {
  const dot = role.lastIndexOf('.');
  if (dot > 0) {
    const client = await read(findings, 'warning', () => api.findClient(realm, role.slice(0, dot)));
    if (isDenied(client)) return { exists: true };
    if (client) {
      const name = role.slice(dot + 1);
      const found = await read(findings, 'warning', () => api.getClientRole(realm, client.id, name));
      if (isDenied(found)) return { exists: true };
      if (found)
        return {
          exists: true,
          holders: () => api.listClientRoleUsers(realm, client.id, name),
          role: { ...found, clientRole: true, clientUuid: client.id },
        };
    }
  }
  const realmRole = await read(findings, 'warning', () => api.getRealmRole(realm, role));
  if (isDenied(realmRole)) return { exists: true };
  if (realmRole) return { exists: true, holders: () => api.listRealmRoleUsers(realm, role), role: { ...realmRole, clientRole: false } };
  findings.push(
    finding(
      'error',
      'KC_ROLE_MISSING',
      `realm ${realm} has no realm role ${role} and no client role of that name`,
      'create the role, or pass --keycloak-role as realmRole or clientId.roleName',
    ),
  );
  return { exists: false };
}

/** A role of the realm with what is needed to list its holders. */
type RoleNode = RoleRef & { name: string; composite?: boolean; clientUuid?: string };

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
  findings: Finding[],
): Promise<{ scope: AdminScope; holders?: () => Promise<KcUser[]>; defaultRole?: string }> {
  const scope: AdminScope = { target, roles: new Map(), groups: new Map() };
  const role = state.role;
  if (!role) return { scope, holders: state.holders };
  const realmRoles = await read(findings, 'warning', () => api.listRealmRoles(realm));
  if (isDenied(realmRoles)) return { scope, holders: state.holders };
  const nodes = new Map<string, RoleNode>();
  for (const r of realmRoles) nodes.set(r.id, { id: r.id, ref: r.name, name: r.name, clientRole: false, composite: r.composite });
  const clients = await read(findings, 'warning', () => api.listClients(realm));
  const clientRoles = isDenied(clients)
    ? clients
    : await read(findings, 'warning', async () =>
        (await mapLimited(clients, 4, async (c) => (await api.listClientRoles(realm, c.id)).map((r) => ({ r, c })))).flat(),
      );
  if (isDenied(clientRoles)) {
    findings.push(
      finding(
        'warning',
        'KC_ROLE_CLOSURE_INCOMPLETE',
        `client roles of realm ${realm} could not be read, so a composite client role containing ${target.value} (and its holders) is not checked`,
        'grant the view-clients role of realm-management to the account',
      ),
    );
  } else {
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
  const listed = await read(findings, 'warning', () =>
    mapLimited(composites, 4, async (n) =>
      children.set(
        n.id,
        (await api.listRoleComposites(realm, { id: n.id, name: n.ref, clientRole: n.clientRole })).map((k) => k.id),
      ),
    ),
  );
  if (isDenied(listed)) return { scope, holders: state.holders };
  const closure = rolesContaining(role.id, children);
  const defaultRole = realmInfo.defaultRole ?? realmRoles.find((r) => r.name === `default-roles-${realm.toLowerCase()}`);
  findings.push(...defaultRoleFindings(defaultRole, closure, target.value, realm));
  const granting = [...closure]
    .map(
      (id) =>
        nodes.get(id) ?? { id, ref: target.value, name: role.name, clientRole: Boolean(role.clientRole), clientUuid: role.clientUuid },
    )
    .filter((n) => n.id !== defaultRole?.id);
  for (const n of granting) if (n.id !== role.id) scope.roles.set(n.ref, n);

  const groups = await read(findings, 'warning', async () => {
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
}

/**
 * The audit's view of what grants the target: the group and its subgroups, or the role's
 * composite closure with the groups holding it and the realm's default role. What could not be
 * read is recorded in `findings`, as the audit records it.
 */
export async function adminReach(
  api: KeycloakApi,
  realm: string,
  realmInfo: RealmInfo,
  target: MappingExpectation['target'],
  findings: Finding[],
): Promise<AdminReach> {
  if (target.kind === 'group') {
    const state = await resolveGroup(api, realm, target.value, findings);
    return { exists: state.exists, scope: groupScope(target.value) };
  }
  const state = await resolveRole(api, realm, target.value, findings);
  const reach = await roleScope(api, realm, realmInfo, target, state, findings);
  return {
    exists: state.exists,
    scope: reach.scope,
    ...(state.role ? { targetRoleId: state.role.id } : {}),
    ...(reach.defaultRole ? { defaultRole: reach.defaultRole } : {}),
  };
}

/** The realm with its settings (session timeouts need view-realm); null when there is no such realm. */
export async function readRealm(api: KeycloakApi, realm: string, findings: Finding[]): Promise<RealmInfo | null | typeof DENIED> {
  return read(findings, 'error', () => api.getRealm(realm));
}

/** The realm's identity providers. */
export async function readIdentityProviders(
  api: KeycloakApi,
  realm: string,
  findings: Finding[],
): Promise<IdentityProvider[] | typeof DENIED> {
  return read(findings, 'error', () => api.listIdentityProviders(realm));
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
export async function readDefaultGroups(api: KeycloakApi, realm: string, findings: Finding[]): Promise<KcGroup[] | typeof DENIED> {
  return read(findings, 'warning', () => api.getDefaultGroups(realm));
}

/** The realm's user storage providers, and the mappers of its LDAP ones. */
export async function readLdapMappers(
  api: KeycloakApi,
  realm: string,
  findings: Finding[],
): Promise<{ providers: KcComponent[]; mappers: KcComponent[] } | typeof DENIED> {
  return read(findings, 'warning', async () => {
    const providers = await api.listComponents(realm, USER_STORAGE_TYPE);
    const mappers = (
      await mapLimited(
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
  findings: Finding[],
): Promise<Holder[] | typeof DENIED> {
  return read(findings, 'warning', async () => {
    const users = await holders();
    return mapLimited(users, 8, async (user): Promise<Holder> => {
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
