import { KeycloakError } from '../errors.js';
import type { HttpRequest } from '../core/http.js';
import { WriteGate } from '../core/write-gate.js';
import { KeycloakForbiddenError, KeycloakReadOnlyError } from './errors.js';
import { isRecord, KeycloakConnection, type CallInfo, type KeycloakApiOptions } from './connection.js';
import { keycloakRequest, type KeycloakWrite } from './requests.js';
import type { RoleRef } from './admin-scope.js';
import type {
  FederatedIdentity,
  IdentityProvider,
  IdpMapper,
  KcClient,
  KcComponent,
  KcCredential,
  KcGroup,
  KcMapperOwner,
  KcProtocolMapper,
  KcRole,
  KcUser,
  MapperTypes,
  RealmInfo,
} from './types.js';

export type { KeycloakApiOptions } from './connection.js';

/** Result of a write that Keycloak accepted. */
export interface WriteResult {
  status: number;
  /** Id of a created resource, from the Location header. */
  id?: string;
}

const seg = encodeURIComponent;

export { KeycloakForbiddenError, KeycloakReadOnlyError };

/**
 * The only door to the Keycloak admin REST API: every read this tool makes, and writes through
 * the shared write gate (journal `before`, send, journal `after`, refused outright when
 * read-only). Sign-in, paging and error mapping are the connection's (connection.ts).
 */
export class KeycloakApi extends KeycloakConnection {
  readonly readOnly: boolean;
  /** Server version from /admin/serverinfo, when the account may read it. */
  version?: string;
  private readonly gate: WriteGate;

  constructor(opts: KeycloakApiOptions) {
    super(opts);
    this.readOnly = opts.readOnly;
    this.gate = new WriteGate({
      target: 'keycloak',
      journal: opts.journal,
      readOnly: opts.readOnly,
      refused: (what) => new KeycloakReadOnlyError(`refused ${what}: this Keycloak connection is read-only`),
      stats: this.stats,
    });
  }

  /** Loads the admin client, signs in and reads the server version (when permitted). Fails with a one-line KeycloakError. */
  async connect(): Promise<void> {
    await this.client();
    await this.scoped(() => this.accessToken());
    this.version = await this.serverVersion();
    this.opts.log.verbose(
      `Keycloak ${this.version ?? '(version not visible to this account)'} at ${this.settings.url}, signed in as ${this.principal} in realm ${this.settings.authRealm}`,
    );
  }

  // ---- reads -------------------------------------------------------------------------------

  /** `systemInfo.version`, or undefined when the account may not see it. */
  async serverVersion(): Promise<string | undefined> {
    try {
      const info = await this.call({ method: 'GET', path: '/admin/serverinfo', what: 'read the server info' }, (kc, o) =>
        kc.serverInfo.find({}, o),
      );
      return info?.systemInfo?.version;
    } catch (err) {
      if (err instanceof KeycloakError && err.status !== undefined) return undefined;
      throw err;
    }
  }

  /** The realm, or null when it does not exist. Without `view-realm` the session fields are missing. */
  getRealm(realm: string): Promise<RealmInfo | null> {
    return this.find({ method: 'GET', path: realmPath(realm), what: `read realm ${realm}`, role: 'view-realm' }, (kc, o) =>
      kc.realms.findOne({ realm }, o),
    ) as Promise<RealmInfo | null>;
  }

  /** Every identity provider of the realm (paged). */
  listIdentityProviders(realm: string): Promise<IdentityProvider[]> {
    const info = {
      method: 'GET',
      path: `${realmPath(realm)}/identity-provider/instances`,
      what: `list the identity providers of realm ${realm}`,
      role: 'view-identity-providers',
    };
    return this.listAll(info, (kc, page, o) => kc.identityProviders.find({ realm, ...page }, o)) as Promise<IdentityProvider[]>;
  }

  /** One provider by alias, or null. */
  getIdentityProvider(realm: string, alias: string): Promise<IdentityProvider | null> {
    const info = { method: 'GET', path: idpPath(realm, alias), what: `read identity provider ${alias}`, role: 'view-identity-providers' };
    return this.find(info, (kc, o) => kc.identityProviders.findOne({ realm, alias }, o)) as Promise<IdentityProvider | null>;
  }

  /** The provider's mappers. */
  async listMappers(realm: string, alias: string): Promise<IdpMapper[]> {
    const info = {
      method: 'GET',
      path: `${idpPath(realm, alias)}/mappers`,
      what: `list the mappers of identity provider ${alias}`,
      role: 'view-identity-providers',
    };
    return ((await this.call({ ...info, shape: 'list' }, (kc, o) => kc.identityProviders.findMappers({ realm, alias }, o))) ??
      []) as IdpMapper[];
  }

  /** The mapper types this provider accepts, by id. */
  async listMapperTypes(realm: string, alias: string): Promise<MapperTypes> {
    const info = {
      method: 'GET',
      path: `${idpPath(realm, alias)}/mapper-types`,
      what: `list the mapper types of identity provider ${alias}`,
      role: 'view-identity-providers',
    };
    return ((await this.call({ ...info, shape: 'object' }, (kc, o) => kc.identityProviders.findMapperTypes({ realm, alias }, o))) ??
      {}) as MapperTypes;
  }

  /** The group at `path` (`/parent/child`), or null when no group has that path. */
  getGroupByPath(realm: string, path: string): Promise<KcGroup | null> {
    const normal = `/${path.split('/').filter(Boolean).join('/')}`;
    const info = { method: 'GET', path: `${realmPath(realm)}/group-by-path${normal}`, what: `read group ${path}`, role: 'view-users' };
    return this.find(info, (kc, o) => kc.realms.getGroupByPath({ realm, path: normal }, o)) as Promise<KcGroup | null>;
  }

  /** Direct subgroups of a group. */
  listSubGroups(realm: string, groupId: string): Promise<KcGroup[]> {
    const info = { method: 'GET', path: `${realmPath(realm)}/groups/${seg(groupId)}/children`, what: 'list subgroups', role: 'view-users' };
    return this.listAll(info, (kc, page, o) =>
      kc.groups.listSubGroups({ realm, parentId: groupId, briefRepresentation: true, ...page }, o),
    ) as Promise<KcGroup[]>;
  }

  /** Direct members with their attributes (not brief: the attributes may hold the Entra object id). */
  listGroupMembers(realm: string, groupId: string): Promise<KcUser[]> {
    const info = {
      method: 'GET',
      path: `${realmPath(realm)}/groups/${seg(groupId)}/members`,
      what: 'list group members',
      role: 'view-users',
    };
    return this.listAll(info, (kc, page, o) =>
      kc.groups.listMembers({ realm, id: groupId, briefRepresentation: false, ...page }, o),
    ) as Promise<KcUser[]>;
  }

  /** A user's identity-provider links; `userId` is the upstream subject. */
  async listFederatedIdentities(realm: string, userId: string): Promise<FederatedIdentity[]> {
    const info = {
      method: 'GET',
      path: `${realmPath(realm)}/users/${seg(userId)}/federated-identity`,
      what: 'read the identity-provider links of a user',
      role: 'view-users',
    };
    return ((await this.call({ ...info, shape: 'list' }, (kc, o) => kc.users.listFederatedIdentities({ realm, id: userId }, o))) ??
      []) as FederatedIdentity[];
  }

  /**
   * The credentials stored for a user in Keycloak (type and label; the server blanks the secret
   * data). `view-users` suffices: UserResource.credentials() requires only users().requireView.
   */
  async listCredentials(realm: string, userId: string): Promise<KcCredential[]> {
    const info = {
      method: 'GET',
      path: `${realmPath(realm)}/users/${seg(userId)}/credentials`,
      what: 'read the credentials of a user',
      role: 'view-users',
    };
    const found = (await this.call({ ...info, shape: 'list' }, (kc, o) => kc.users.getCredentials({ realm, id: userId }, o))) ?? [];
    return found.map((c) => ({ ...(c.id ? { id: c.id } : {}), type: c.type ?? '', ...(c.userLabel ? { userLabel: c.userLabel } : {}) }));
  }

  /**
   * Credential types the user's storage provider (LDAP, Kerberos) checks for a federated user;
   * empty for users stored in Keycloak. Also `view-users` (UserResource.getConfiguredUserStorageCredentialTypes).
   */
  async listUserStorageCredentialTypes(realm: string, userId: string): Promise<string[]> {
    const info = {
      method: 'GET',
      path: `${realmPath(realm)}/users/${seg(userId)}/configured-user-storage-credential-types`,
      what: 'read the user-storage credential types of a user',
      role: 'view-users',
    };
    return ((await this.call({ ...info, shape: 'list' }, (kc, o) => kc.users.getUserStorageCredentialTypes({ realm, id: userId }, o))) ??
      []) as string[];
  }

  /** The user whose username is exactly `username` (Keycloak keeps usernames lower-cased), or null. */
  async findUserByUsername(realm: string, username: string): Promise<KcUser | null> {
    const info = { method: 'GET', path: `${realmPath(realm)}/users`, what: `look up user ${username}`, role: 'view-users' };
    const found = (await this.call({ ...info, shape: 'list' }, (kc, o) =>
      kc.users.find({ realm, username, exact: true, briefRepresentation: true }, o),
    )) as KcUser[] | null;
    return found?.find((u) => u.username.toLowerCase() === username.toLowerCase()) ?? null;
  }

  /** The groups a user is a direct member of, with their paths. */
  listUserGroups(realm: string, userId: string): Promise<KcGroup[]> {
    const info = {
      method: 'GET',
      path: `${realmPath(realm)}/users/${seg(userId)}/groups`,
      what: 'list the groups of a user',
      role: 'view-users',
    };
    return this.listAll(info, (kc, page, o) =>
      kc.users.listGroups({ realm, id: userId, briefRepresentation: true, ...page }, o),
    ) as Promise<KcGroup[]>;
  }

  /**
   * The roles mapped to a user directly (realm roles, and client roles as `clientId.name`); roles
   * reached through groups and composites are not in it. `view-users` suffices
   * (RoleMapperResource.getRoleMappings checks the user's view permission).
   */
  async listUserRoleMappings(realm: string, userId: string): Promise<RoleRef[]> {
    const info = {
      method: 'GET',
      path: `${realmPath(realm)}/users/${seg(userId)}/role-mappings`,
      what: 'list the role mappings of a user',
      role: 'view-users',
    };
    const m = await this.call({ ...info, shape: 'object' }, (kc, o) => kc.users.listRoleMappings({ realm, id: userId }, o));
    const out: RoleRef[] = (m?.realmMappings ?? [])
      .filter((r) => r.id && r.name)
      .map((r) => ({ id: r.id!, ref: r.name!, clientRole: false }));
    for (const [clientId, c] of Object.entries(
      (m?.clientMappings ?? {}) as Record<string, { client?: string; mappings?: Array<{ id?: string; name?: string }> }>,
    )) {
      for (const r of c.mappings ?? [])
        if (r.id && r.name) out.push({ id: r.id, ref: `${c.client ?? clientId}.${r.name}`, clientRole: true });
    }
    return out;
  }

  /** Groups every new user joins. */
  async getDefaultGroups(realm: string): Promise<KcGroup[]> {
    const info = {
      method: 'GET',
      path: `${realmPath(realm)}/default-groups`,
      what: `read the default groups of realm ${realm}`,
      role: 'view-realm',
    };
    return ((await this.call({ ...info, shape: 'list' }, (kc, o) => kc.realms.getDefaultGroups({ realm }, o))) ?? []) as KcGroup[];
  }

  /** A realm role, or null. */
  getRealmRole(realm: string, name: string): Promise<KcRole | null> {
    const info = { method: 'GET', path: `${realmPath(realm)}/roles/${seg(name)}`, what: `read realm role ${name}`, role: 'view-realm' };
    return this.find(info, (kc, o) => kc.roles.findOneByName({ realm, name }, o)) as Promise<KcRole | null>;
  }

  /** Users holding a realm role directly. */
  listRealmRoleUsers(realm: string, name: string): Promise<KcUser[]> {
    const info = {
      method: 'GET',
      path: `${realmPath(realm)}/roles/${seg(name)}/users`,
      what: `list the users with realm role ${name}`,
      role: 'view-users',
    };
    return this.listAll(info, (kc, page, o) =>
      kc.roles.findUsersWithRole({ realm, name, briefRepresentation: false, ...page }, o),
    ) as Promise<KcUser[]>;
  }

  /** The client with exactly this clientId, or null. */
  async findClient(realm: string, clientId: string): Promise<KcClient | null> {
    const info = { method: 'GET', path: `${realmPath(realm)}/clients`, what: `look up client ${clientId}`, role: 'view-clients' };
    const found = (await this.call({ ...info, shape: 'list' }, (kc, o) => kc.clients.find({ realm, clientId, search: false }, o))) as
      KcClient[] | null;
    const client = found?.find((c) => c.clientId === clientId);
    if (client) return client;
    // Not found, or hidden from a caller without view-clients (see listClients): only a complete
    // list tells the two apart.
    await this.listClients(realm);
    return null;
  }

  /** A client role, or null. */
  getClientRole(realm: string, clientUuid: string, name: string): Promise<KcRole | null> {
    const info = {
      method: 'GET',
      path: `${realmPath(realm)}/clients/${seg(clientUuid)}/roles/${seg(name)}`,
      what: `read client role ${name}`,
      role: 'view-clients',
    };
    return this.find(info, (kc, o) => kc.clients.findRole({ realm, id: clientUuid, roleName: name }, o)) as Promise<KcRole | null>;
  }

  /** Users holding a client role directly. */
  listClientRoleUsers(realm: string, clientUuid: string, name: string): Promise<KcUser[]> {
    const info = {
      method: 'GET',
      path: `${realmPath(realm)}/clients/${seg(clientUuid)}/roles/${seg(name)}/users`,
      what: `list the users with client role ${name}`,
      role: 'view-users',
    };
    return this.listAll(info, (kc, page, o) =>
      kc.clients.findUsersWithRole({ realm, id: clientUuid, roleName: name, briefRepresentation: false, ...page }, o),
    ) as Promise<KcUser[]>;
  }

  /** Every realm role with its `composite` flag (paged). Listing needs view-realm (RolePermissions.canList). */
  listRealmRoles(realm: string): Promise<KcRole[]> {
    const info = { method: 'GET', path: `${realmPath(realm)}/roles`, what: `list the realm roles of realm ${realm}`, role: 'view-realm' };
    return this.listAll(info, (kc, page, o) => kc.roles.find({ realm, briefRepresentation: false, ...page }, o)) as Promise<KcRole[]>;
  }

  /**
   * Every client of the realm (paged); only id and clientId are read. A caller without
   * view-clients gets 403 from Keycloak 26.5, but 200 with only the clients it may view (none)
   * from 26.0 (GET /clients, ClientsResource.getClients, seen on both servers): a list that lacks
   * the realm's own management client was filtered, and is refused like the 403.
   */
  async listClients(realm: string): Promise<KcClient[]> {
    const info = { method: 'GET', path: `${realmPath(realm)}/clients`, what: `list the clients of realm ${realm}`, role: 'view-clients' };
    const clients = (await this.listAll(info, (kc, page, o) => kc.clients.find({ realm, ...page }, o))) as KcClient[];
    if (!clientListComplete(realm, clients)) {
      throw new KeycloakForbiddenError(
        `Keycloak listed the clients of realm ${realm} without its ${managementClientId(realm)} client, so it hid the clients ${this.principal} may not view: it needs the realm-management role view-clients in realm ${this.settings.realm}`,
        'view-clients',
      );
    }
    return clients;
  }

  /** The roles of one client with their `composite` flag (paged). */
  listClientRoles(realm: string, clientUuid: string): Promise<KcRole[]> {
    const info = {
      method: 'GET',
      path: `${realmPath(realm)}/clients/${seg(clientUuid)}/roles`,
      what: 'list the roles of a client',
      role: 'view-clients',
    };
    return this.listAll(info, (kc, page, o) =>
      kc.clients.listRoles({ realm, id: clientUuid, briefRepresentation: false, ...page } as { realm: string; id: string }, o),
    ) as Promise<KcRole[]>;
  }

  /**
   * The direct composites of a role. RoleByIdResource.getRoleComposites checks view on the role's
   * container: view-realm for a realm role, view-clients for a client role.
   */
  async listRoleComposites(realm: string, role: KcRole): Promise<KcRole[]> {
    const info = {
      method: 'GET',
      path: `${realmPath(realm)}/roles-by-id/${seg(role.id)}/composites`,
      what: `list the composites of role ${role.name}`,
      role: role.clientRole ? 'view-clients' : 'view-realm',
    };
    return ((await this.call({ ...info, shape: 'list' }, (kc, o) => kc.roles.getCompositeRoles({ realm, id: role.id }, o))) ??
      []) as KcRole[];
  }

  /** Groups holding a realm role directly (RoleContainerResource.getGroupsInRole; the admin client has no method for it). */
  listRealmRoleGroups(realm: string, name: string): Promise<KcGroup[]> {
    const info = {
      method: 'GET',
      path: `${realmPath(realm)}/roles/${seg(name)}/groups`,
      what: `list the groups with realm role ${name}`,
      role: 'view-realm',
    };
    return this.listAll(info, (kc, page, o) => {
      const req = kc.roles.makeRequest<
        { realm: string; name: string; first: number; max: number; briefRepresentation: boolean },
        KcGroup[]
      >({ method: 'GET', path: '/roles/{name}/groups', urlParamKeys: ['name'] });
      return req({ realm, name, briefRepresentation: true, ...page }, o);
    }) as Promise<KcGroup[]>;
  }

  /** Groups holding a client role directly. */
  listClientRoleGroups(realm: string, clientUuid: string, name: string): Promise<KcGroup[]> {
    const info = {
      method: 'GET',
      path: `${realmPath(realm)}/clients/${seg(clientUuid)}/roles/${seg(name)}/groups`,
      what: `list the groups with client role ${name}`,
      role: 'view-clients',
    };
    return this.listAll(info, (kc, page, o) => {
      const req = kc.clients.makeRequest<
        { realm: string; id: string; roleName: string; first: number; max: number; briefRepresentation: boolean },
        KcGroup[]
      >({
        method: 'GET',
        path: '/{id}/roles/{roleName}/groups',
        urlParamKeys: ['id', 'roleName'],
      });
      return req({ realm, id: clientUuid, roleName: name, briefRepresentation: true, ...page }, o);
    }) as Promise<KcGroup[]>;
  }

  /**
   * The realm's components of one provider type under `parent` (the realm when omitted: the
   * server then lists only components whose parent is the realm itself, so an LDAP provider's
   * mappers need the provider's id as parent). ComponentResource.getComponents requires
   * view-realm; the list is not paged.
   */
  async listComponents(realm: string, type: string, parent?: string): Promise<KcComponent[]> {
    const info = {
      method: 'GET',
      path: `${realmPath(realm)}/components?type=${type}${parent ? `&parent=${parent}` : ''}`,
      what: `list the ${type.split('.').pop()} components of realm ${realm}`,
      role: 'view-realm',
    };
    return ((await this.call({ ...info, shape: 'list' }, (kc, o) =>
      kc.components.find({ realm, type, ...(parent ? { parent } : {}) }, o),
    )) ?? []) as KcComponent[];
  }

  /**
   * Every client and client scope with its protocol mappers (both representations carry
   * `protocolMappers`, so no request per client is needed). Clients first: listClients refuses a
   * list filtered for lack of view-clients, and only with view-clients does
   * ClientScopesResource.getClientScopes list the scopes (without it, it answers an empty list).
   */
  async listProtocolMapperOwners(realm: string): Promise<KcMapperOwner[]> {
    const clients = (await this.listClients(realm)) as Array<KcClient & { protocolMappers?: KcProtocolMapper[] }>;
    const info = {
      method: 'GET',
      path: `${realmPath(realm)}/client-scopes`,
      what: `list the client scopes of realm ${realm}`,
      role: 'view-clients',
    };
    const scopes = ((await this.call({ ...info, shape: 'list' }, (kc, o) => kc.clientScopes.find({ realm }, o))) ?? []) as Array<{
      id?: string;
      name?: string;
      protocolMappers?: KcProtocolMapper[];
    }>;
    return [
      ...clients.map((c): KcMapperOwner => ({ id: c.id, name: c.clientId, kind: 'client', protocolMappers: c.protocolMappers ?? [] })),
      ...scopes.map((s): KcMapperOwner => ({
        id: s.id ?? '',
        name: s.name ?? s.id ?? '',
        kind: 'client scope',
        protocolMappers: s.protocolMappers ?? [],
      })),
    ];
  }

  // ---- writes ----------------------------------------------------------------------------

  /**
   * A write through the write gate (journaled before it is sent, refused outright when
   * read-only), sent through the admin client. It knows only the mapper create and update of
   * requests.ts and refuses anything else before journaling.
   */
  async write(op: KeycloakWrite, backup?: unknown): Promise<WriteResult> {
    const known = knownWrite(op);
    this.gate.assertWritable(known ? requestLine(keycloakRequest(known)) : `${String((op as { op?: unknown } | undefined)?.op)}`);
    if (!known) {
      throw new KeycloakError(
        `refused ${String((op as { op?: unknown } | undefined)?.op)}: the Keycloak write gate only creates (POST …/mappers) and updates (PUT …/mappers/{id}) identity-provider mappers`,
      );
    }
    const request = keycloakRequest(known);
    const info: CallInfo = { method: request.method, path: request.url, what: requestLine(request), role: 'manage-identity-providers' };
    const { realm, alias } = known;
    return this.gate.write(
      request,
      backup,
      async (): Promise<WriteResult> => {
        if (known.op === 'keycloak.createMapper') {
          const created = await this.call({ ...info, okStatus: 201 }, (kc) =>
            kc.identityProviders.createMapper({ realm, alias, identityProviderMapper: known.mapper }),
          );
          return { status: 201, id: created?.id ? safeDecode(created.id) : undefined };
        }
        const id = known.mapperId;
        await this.call({ ...info, okStatus: 204 }, (kc) => kc.identityProviders.updateMapper({ realm, alias, id }, known.mapper));
        return { status: 204 };
      },
      {
        answer: (result) => ({ ok: true, status: result.status, response: result.id ? { id: result.id } : undefined }),
        failure: (err) => ({
          ok: false,
          status: err instanceof KeycloakError ? err.status : undefined,
          message: err instanceof Error ? err.message : String(err),
        }),
      },
    );
  }

  /** Creates a provider mapper through the write gate. */
  createMapper(realm: string, alias: string, mapper: IdpMapper): Promise<WriteResult> {
    return this.write({ op: 'keycloak.createMapper', realm, alias, mapper });
  }

  /** Replaces a provider mapper through the write gate. */
  updateMapper(realm: string, alias: string, id: string, mapper: IdpMapper): Promise<WriteResult> {
    return this.write({ op: 'keycloak.updateMapper', realm, alias, mapperId: id, mapper });
  }
}

/**
 * The client holding a realm's admin roles: `realm-management`, or `master-realm` in the master
 * realm (where each realm's admin roles sit on `<realm>-realm`). Every realm has it.
 */
export function managementClientId(realm: string): string {
  return realm === 'master' ? 'master-realm' : 'realm-management';
}

/** False when a client listing lacks the realm's management client: the server filtered it. */
export function clientListComplete(realm: string, clients: ReadonlyArray<{ clientId: string }>): boolean {
  const id = managementClientId(realm);
  return clients.some((c) => c.clientId === id);
}

function realmPath(realm: string): string {
  return `/admin/realms/${seg(realm)}`;
}

function idpPath(realm: string, alias: string): string {
  return `${realmPath(realm)}/identity-provider/instances/${seg(alias)}`;
}

/**
 * The write when it is one the gate knows (a mapper create or update with a realm, an alias, a
 * mapper id for an update, and a mapper representation), else undefined.
 */
function knownWrite(op: KeycloakWrite | undefined): KeycloakWrite | undefined {
  if (!isRecord(op) || typeof op.realm !== 'string' || !op.realm || typeof op.alias !== 'string' || !op.alias || !isRecord(op.mapper))
    return undefined;
  if (op.op === 'keycloak.createMapper') return op;
  if (op.op === 'keycloak.updateMapper' && typeof op.mapperId === 'string' && op.mapperId) return op;
  return undefined;
}

/** `METHOD path` of a request, for messages. */
function requestLine(request: HttpRequest): string {
  return `${request.method} ${request.url}`;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return '';
  }
}
