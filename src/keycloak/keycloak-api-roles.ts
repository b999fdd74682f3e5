import { KeycloakError } from '../errors.js';
import { KeycloakForbiddenError } from './errors.js';
import { realmPath, seg } from './admin-paths.js';
import { KeycloakUserReads } from './keycloak-api-users.js';
import type { KcClient, KcGroup, KcMapperOwner, KcProtocolMapper, KcRole, KcUser } from './types.js';

/**
 * KeycloakApi's reads of roles and clients: realm and client roles, who holds them (users and
 * groups), their composites, the clients, and the protocol mappers of clients and client scopes.
 */
export class KeycloakRoleReads extends KeycloakUserReads {
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
        `Keycloak listed the clients of realm ${realm} without its ${managementClientId(realm)} client, so it hid the clients ` +
          `${this.principal} may not view: it needs the realm-management role view-clients in realm ${this.settings.realm}`,
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
    // `protocolMappers` is left out when there are none; when present it is a list of
    // ProtocolMapperRepresentation, each with its protocolMapper and a config of strings. Anything
    // else would read as "no token mappers".
    for (const owner of [...clients, ...scopes] as unknown[]) {
      if (!owner || typeof owner !== 'object' || !protocolMappersUnderstood((owner as { protocolMappers?: unknown }).protocolMappers)) {
        throw new KeycloakError(
          `Keycloak answered ${info.what} or the clients with protocolMappers that are not a list of mappers with a ` +
            `protocolMapper and a config of strings (HTTP 200): not understood, nothing concluded from it`,
          200,
        );
      }
    }
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
}

function protocolMappersUnderstood(mappers: unknown): boolean {
  if (mappers === undefined) return true;
  if (!Array.isArray(mappers)) return false;
  return mappers.every((m: unknown) => {
    const x = m as { protocolMapper?: unknown; config?: unknown } | null;
    if (!x || typeof x !== 'object' || typeof x.protocolMapper !== 'string') return false;
    const config = x.config;
    if (!config || typeof config !== 'object' || Array.isArray(config)) return false;
    return Object.values(config).every((v) => typeof v === 'string');
  });
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
