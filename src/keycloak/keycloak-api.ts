import type KeycloakAdminClient from '@keycloak/keycloak-admin-client';
import { KeycloakError, UsageError } from '../errors.js';
import type { Journal } from '../journal.js';
import type { HttpRequest } from '../core/http.js';
import type { Logger } from '../ui/log.js';
import { registerSecret } from '../core/redact.js';
import { jwtClaims } from '../core/jwt.js';
import { KeycloakForbiddenError, KeycloakReadOnlyError } from './errors.js';
import { PrivateCaTrust, readCaFile, TLS_TRUST_CODES } from './private-ca.js';
import { createMapperRequest, updateMapperRequest } from './requests.js';
import type { KeycloakSettings } from './settings.js';
import type { RoleRef } from './analyse.js';
import type { FederatedIdentity, IdentityProvider, IdpMapper, KcClient, KcComponent, KcCredential, KcGroup, KcMapperOwner, KcProtocolMapper, KcRole, KcUser, MapperTypes, RealmInfo } from './types.js';

type AdminClientModule = typeof import('@keycloak/keycloak-admin-client');
type NetworkErrorClass = AdminClientModule['NetworkError'];
type NetworkError = InstanceType<NetworkErrorClass>;

export interface KeycloakApiOptions {
  settings: KeycloakSettings;
  /** Audit mode: the write gate refuses every write. */
  readOnly: boolean;
  journal: Journal;
  log: Logger;
  /** Clock for token expiry, in ms (tests move it forward). */
  now?: () => number;
  /** Per-request timeout, default 30 s. */
  timeoutMs?: number;
}

/** Result of a write that Keycloak accepted. */
export interface WriteResult {
  status: number;
  /** Id of a created resource, from the Location header. */
  id?: string;
}

const PAGE = 100;
const seg = encodeURIComponent;

/** The writes the gate knows: the two requests of requests.ts, nothing else. */
const MAPPER_URL = /^\/admin\/realms\/([^/?#]+)\/identity-provider\/instances\/([^/?#]+)\/mappers(?:\/([^/?#]+))?$/;

export { createMapperRequest, updateMapperRequest, KeycloakForbiddenError, KeycloakReadOnlyError };

/** What one admin call is, for the log line and for the error message if it fails. */
interface CallInfo {
  method: string;
  /** Admin REST path, for the log only (the client builds the real URL). */
  path: string;
  /** Completes "Keycloak could not …" / "Keycloak refused to …". */
  what: string;
  /** realm-management role that a 403 means is missing. */
  role?: string;
  /** 404 means "no such thing": return null instead of failing. */
  notFound?: boolean;
  /** Status Keycloak answers on success (the client does not expose it), default 200. */
  okStatus?: number;
  /** The documented answer is a JSON array (a list) or object: anything else is not understood. */
  shape?: 'list' | 'object';
}

/**
 * The only door to the Keycloak admin REST API, on top of `@keycloak/keycloak-admin-client`.
 * It owns sign-in (client credentials or the password grant with `admin-cli`, in the auth
 * realm), signs in again when the access token nears expiry or is rejected (client credentials
 * get no refresh token), maps failures to one-line KeycloakErrors that never carry secrets, and
 * has the single write gate: journal `before`, send, journal `after`, refused outright when
 * read-only.
 */
export class KeycloakApi {
  readonly settings: KeycloakSettings;
  readonly readOnly: boolean;
  /** Server version from /admin/serverinfo, when the account may read it. */
  version?: string;
  /** Counters for tests and verbose output; `signIns` counts successful token requests. */
  readonly stats = { reads: 0, writes: 0, signIns: 0 };

  /** `client <id>` or `user <name>`, for messages. */
  readonly principal: string;

  private readonly base: URL;
  private readonly caCerts?: string[];
  private readonly now: () => number;
  private readonly timeoutMs: number;
  private loading?: Promise<KeycloakAdminClient>;
  private networkError?: NetworkErrorClass;
  private trust?: PrivateCaTrust;
  private token?: { value: string; expiresAt: number; lifetimeMs: number };
  private signingIn?: Promise<string>;

  constructor(private readonly opts: KeycloakApiOptions) {
    const s = opts.settings;
    this.settings = s;
    this.readOnly = opts.readOnly;
    this.now = opts.now ?? Date.now;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    try {
      this.base = new URL(s.url);
    } catch {
      throw new UsageError(`--keycloak-url ${s.url}: not a URL`);
    }
    if (s.clientId) {
      if (!s.clientSecret) throw new UsageError('--keycloak-client-id needs the secret in the environment variable KEYCLOAK_CLIENT_SECRET');
      this.principal = `client ${s.clientId}`;
    } else if (s.username) {
      if (!s.password) throw new UsageError('--keycloak-username needs the password in the environment variable KEYCLOAK_PASSWORD');
      this.principal = `user ${s.username}`;
    } else {
      throw new UsageError('Keycloak sign-in: pass --keycloak-client-id (secret in KEYCLOAK_CLIENT_SECRET) or --keycloak-username (password in KEYCLOAK_PASSWORD)');
    }
    registerSecret(s.clientSecret);
    registerSecret(s.password);
    // Read now so a bad file is a usage error before anything is sent.
    this.caCerts = s.caFile ? readCaFile(s.caFile) : undefined;
  }

  /** Loads the admin client, signs in and reads the server version (when permitted). Fails with a one-line KeycloakError. */
  async connect(): Promise<void> {
    await this.client();
    await this.scoped(() => this.accessToken());
    this.version = await this.serverVersion();
    this.opts.log.verbose(`Keycloak ${this.version ?? '(version not visible to this account)'} at ${this.settings.url}, signed in as ${this.principal} in realm ${this.settings.authRealm}`);
  }

  /** Releases keep-alive connections of the private-CA agent, if any. */
  close(): void {
    this.trust?.close();
  }

  // ---- reads -------------------------------------------------------------------------------

  /** `systemInfo.version`, or undefined when the account may not see it. */
  async serverVersion(): Promise<string | undefined> {
    try {
      const info = await this.call({ method: 'GET', path: '/admin/serverinfo', what: 'read the server info' }, (kc, o) => kc.serverInfo.find({}, o));
      return info?.systemInfo?.version;
    } catch (err) {
      if (err instanceof KeycloakError && err.status !== undefined) return undefined;
      throw err;
    }
  }

  /** The realm, or null when it does not exist. Without `view-realm` the session fields are missing. */
  getRealm(realm: string): Promise<RealmInfo | null> {
    return this.find({ method: 'GET', path: realmPath(realm), what: `read realm ${realm}`, role: 'view-realm' }, (kc, o) => kc.realms.findOne({ realm }, o)) as Promise<RealmInfo | null>;
  }

  /** Every identity provider of the realm (paged). */
  listIdentityProviders(realm: string): Promise<IdentityProvider[]> {
    const info = { method: 'GET', path: `${realmPath(realm)}/identity-provider/instances`, what: `list the identity providers of realm ${realm}`, role: 'view-identity-providers' };
    return this.listAll(info, (kc, page, o) => kc.identityProviders.find({ realm, ...page }, o)) as Promise<IdentityProvider[]>;
  }

  /** One provider by alias, or null. */
  getIdentityProvider(realm: string, alias: string): Promise<IdentityProvider | null> {
    const info = { method: 'GET', path: idpPath(realm, alias), what: `read identity provider ${alias}`, role: 'view-identity-providers' };
    return this.find(info, (kc, o) => kc.identityProviders.findOne({ realm, alias }, o)) as Promise<IdentityProvider | null>;
  }

  /** The provider's mappers. */
  async listMappers(realm: string, alias: string): Promise<IdpMapper[]> {
    const info = { method: 'GET', path: `${idpPath(realm, alias)}/mappers`, what: `list the mappers of identity provider ${alias}`, role: 'view-identity-providers' };
    return ((await this.call({ ...info, shape: 'list' }, (kc, o) => kc.identityProviders.findMappers({ realm, alias }, o))) ?? []) as IdpMapper[];
  }

  /** The mapper types this provider accepts, by id. */
  async listMapperTypes(realm: string, alias: string): Promise<MapperTypes> {
    const info = { method: 'GET', path: `${idpPath(realm, alias)}/mapper-types`, what: `list the mapper types of identity provider ${alias}`, role: 'view-identity-providers' };
    return ((await this.call({ ...info, shape: 'object' }, (kc, o) => kc.identityProviders.findMapperTypes({ realm, alias }, o))) ?? {}) as MapperTypes;
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
    return this.listAll(info, (kc, page, o) => kc.groups.listSubGroups({ realm, parentId: groupId, briefRepresentation: true, ...page }, o)) as Promise<KcGroup[]>;
  }

  /** Direct members with their attributes (not brief: the attributes may hold the Entra object id). */
  listGroupMembers(realm: string, groupId: string): Promise<KcUser[]> {
    const info = { method: 'GET', path: `${realmPath(realm)}/groups/${seg(groupId)}/members`, what: 'list group members', role: 'view-users' };
    return this.listAll(info, (kc, page, o) => kc.groups.listMembers({ realm, id: groupId, briefRepresentation: false, ...page }, o)) as Promise<KcUser[]>;
  }

  /** A user's identity-provider links; `userId` is the upstream subject. */
  async listFederatedIdentities(realm: string, userId: string): Promise<FederatedIdentity[]> {
    const info = { method: 'GET', path: `${realmPath(realm)}/users/${seg(userId)}/federated-identity`, what: 'read the identity-provider links of a user', role: 'view-users' };
    return ((await this.call({ ...info, shape: 'list' }, (kc, o) => kc.users.listFederatedIdentities({ realm, id: userId }, o))) ?? []) as FederatedIdentity[];
  }

  /**
   * The credentials stored for a user in Keycloak (type and label; the server blanks the secret
   * data). `view-users` suffices: UserResource.credentials() requires only users().requireView.
   */
  async listCredentials(realm: string, userId: string): Promise<KcCredential[]> {
    const info = { method: 'GET', path: `${realmPath(realm)}/users/${seg(userId)}/credentials`, what: 'read the credentials of a user', role: 'view-users' };
    const found = (await this.call({ ...info, shape: 'list' }, (kc, o) => kc.users.getCredentials({ realm, id: userId }, o))) ?? [];
    return found.map((c) => ({ ...(c.id ? { id: c.id } : {}), type: c.type ?? '', ...(c.userLabel ? { userLabel: c.userLabel } : {}) }));
  }

  /**
   * Credential types the user's storage provider (LDAP, Kerberos) checks for a federated user;
   * empty for users stored in Keycloak. Also `view-users` (UserResource.getConfiguredUserStorageCredentialTypes).
   */
  async listUserStorageCredentialTypes(realm: string, userId: string): Promise<string[]> {
    const info = { method: 'GET', path: `${realmPath(realm)}/users/${seg(userId)}/configured-user-storage-credential-types`, what: 'read the user-storage credential types of a user', role: 'view-users' };
    return ((await this.call({ ...info, shape: 'list' }, (kc, o) => kc.users.getUserStorageCredentialTypes({ realm, id: userId }, o))) ?? []) as string[];
  }

  /** The user whose username is exactly `username` (Keycloak keeps usernames lower-cased), or null. */
  async findUserByUsername(realm: string, username: string): Promise<KcUser | null> {
    const info = { method: 'GET', path: `${realmPath(realm)}/users`, what: `look up user ${username}`, role: 'view-users' };
    const found = (await this.call({ ...info, shape: 'list' }, (kc, o) => kc.users.find({ realm, username, exact: true, briefRepresentation: true }, o))) as KcUser[] | null;
    return found?.find((u) => u.username.toLowerCase() === username.toLowerCase()) ?? null;
  }

  /** The groups a user is a direct member of, with their paths. */
  listUserGroups(realm: string, userId: string): Promise<KcGroup[]> {
    const info = { method: 'GET', path: `${realmPath(realm)}/users/${seg(userId)}/groups`, what: 'list the groups of a user', role: 'view-users' };
    return this.listAll(info, (kc, page, o) => kc.users.listGroups({ realm, id: userId, briefRepresentation: true, ...page }, o)) as Promise<KcGroup[]>;
  }

  /**
   * The roles mapped to a user directly (realm roles, and client roles as `clientId.name`); roles
   * reached through groups and composites are not in it. `view-users` suffices
   * (RoleMapperResource.getRoleMappings checks the user's view permission).
   */
  async listUserRoleMappings(realm: string, userId: string): Promise<RoleRef[]> {
    const info = { method: 'GET', path: `${realmPath(realm)}/users/${seg(userId)}/role-mappings`, what: 'list the role mappings of a user', role: 'view-users' };
    const m = await this.call({ ...info, shape: 'object' }, (kc, o) => kc.users.listRoleMappings({ realm, id: userId }, o));
    const out: RoleRef[] = (m?.realmMappings ?? []).filter((r) => r.id && r.name).map((r) => ({ id: r.id!, ref: r.name!, clientRole: false }));
    for (const [clientId, c] of Object.entries((m?.clientMappings ?? {}) as Record<string, { client?: string; mappings?: Array<{ id?: string; name?: string }> }>)) {
      for (const r of c.mappings ?? []) if (r.id && r.name) out.push({ id: r.id, ref: `${c.client ?? clientId}.${r.name}`, clientRole: true });
    }
    return out;
  }

  /** Groups every new user joins. */
  async getDefaultGroups(realm: string): Promise<KcGroup[]> {
    const info = { method: 'GET', path: `${realmPath(realm)}/default-groups`, what: `read the default groups of realm ${realm}`, role: 'view-realm' };
    return ((await this.call({ ...info, shape: 'list' }, (kc, o) => kc.realms.getDefaultGroups({ realm }, o))) ?? []) as KcGroup[];
  }

  /** A realm role, or null. */
  getRealmRole(realm: string, name: string): Promise<KcRole | null> {
    const info = { method: 'GET', path: `${realmPath(realm)}/roles/${seg(name)}`, what: `read realm role ${name}`, role: 'view-realm' };
    return this.find(info, (kc, o) => kc.roles.findOneByName({ realm, name }, o)) as Promise<KcRole | null>;
  }

  /** Users holding a realm role directly. */
  listRealmRoleUsers(realm: string, name: string): Promise<KcUser[]> {
    const info = { method: 'GET', path: `${realmPath(realm)}/roles/${seg(name)}/users`, what: `list the users with realm role ${name}`, role: 'view-users' };
    return this.listAll(info, (kc, page, o) => kc.roles.findUsersWithRole({ realm, name, briefRepresentation: false, ...page }, o)) as Promise<KcUser[]>;
  }

  /** The client with exactly this clientId, or null. */
  async findClient(realm: string, clientId: string): Promise<KcClient | null> {
    const info = { method: 'GET', path: `${realmPath(realm)}/clients`, what: `look up client ${clientId}`, role: 'view-clients' };
    const found = (await this.call({ ...info, shape: 'list' }, (kc, o) => kc.clients.find({ realm, clientId, search: false }, o))) as KcClient[] | null;
    const client = found?.find((c) => c.clientId === clientId);
    if (client) return client;
    // Not found, or hidden from a caller without view-clients (see listClients): only a complete
    // list tells the two apart.
    await this.listClients(realm);
    return null;
  }

  /** A client role, or null. */
  getClientRole(realm: string, clientUuid: string, name: string): Promise<KcRole | null> {
    const info = { method: 'GET', path: `${realmPath(realm)}/clients/${seg(clientUuid)}/roles/${seg(name)}`, what: `read client role ${name}`, role: 'view-clients' };
    return this.find(info, (kc, o) => kc.clients.findRole({ realm, id: clientUuid, roleName: name }, o)) as Promise<KcRole | null>;
  }

  /** Users holding a client role directly. */
  listClientRoleUsers(realm: string, clientUuid: string, name: string): Promise<KcUser[]> {
    const info = { method: 'GET', path: `${realmPath(realm)}/clients/${seg(clientUuid)}/roles/${seg(name)}/users`, what: `list the users with client role ${name}`, role: 'view-users' };
    return this.listAll(info, (kc, page, o) => kc.clients.findUsersWithRole({ realm, id: clientUuid, roleName: name, briefRepresentation: false, ...page }, o)) as Promise<KcUser[]>;
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
    const info = { method: 'GET', path: `${realmPath(realm)}/clients/${seg(clientUuid)}/roles`, what: 'list the roles of a client', role: 'view-clients' };
    return this.listAll(info, (kc, page, o) => kc.clients.listRoles({ realm, id: clientUuid, briefRepresentation: false, ...page } as { realm: string; id: string }, o)) as Promise<KcRole[]>;
  }

  /**
   * The direct composites of a role. RoleByIdResource.getRoleComposites checks view on the role's
   * container: view-realm for a realm role, view-clients for a client role.
   */
  async listRoleComposites(realm: string, role: KcRole): Promise<KcRole[]> {
    const info = { method: 'GET', path: `${realmPath(realm)}/roles-by-id/${seg(role.id)}/composites`, what: `list the composites of role ${role.name}`, role: role.clientRole ? 'view-clients' : 'view-realm' };
    return ((await this.call({ ...info, shape: 'list' }, (kc, o) => kc.roles.getCompositeRoles({ realm, id: role.id }, o))) ?? []) as KcRole[];
  }

  /** Groups holding a realm role directly (RoleContainerResource.getGroupsInRole; the admin client has no method for it). */
  listRealmRoleGroups(realm: string, name: string): Promise<KcGroup[]> {
    const info = { method: 'GET', path: `${realmPath(realm)}/roles/${seg(name)}/groups`, what: `list the groups with realm role ${name}`, role: 'view-realm' };
    return this.listAll(info, (kc, page, o) => {
      const req = kc.roles.makeRequest<{ realm: string; name: string; first: number; max: number; briefRepresentation: boolean }, KcGroup[]>({ method: 'GET', path: '/roles/{name}/groups', urlParamKeys: ['name'] });
      return req({ realm, name, briefRepresentation: true, ...page }, o);
    }) as Promise<KcGroup[]>;
  }

  /** Groups holding a client role directly. */
  listClientRoleGroups(realm: string, clientUuid: string, name: string): Promise<KcGroup[]> {
    const info = { method: 'GET', path: `${realmPath(realm)}/clients/${seg(clientUuid)}/roles/${seg(name)}/groups`, what: `list the groups with client role ${name}`, role: 'view-clients' };
    return this.listAll(info, (kc, page, o) => {
      const req = kc.clients.makeRequest<{ realm: string; id: string; roleName: string; first: number; max: number; briefRepresentation: boolean }, KcGroup[]>({
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
    const info = { method: 'GET', path: `${realmPath(realm)}/components?type=${type}${parent ? `&parent=${parent}` : ''}`, what: `list the ${type.split('.').pop()} components of realm ${realm}`, role: 'view-realm' };
    return ((await this.call({ ...info, shape: 'list' }, (kc, o) => kc.components.find({ realm, type, ...(parent ? { parent } : {}) }, o))) ?? []) as KcComponent[];
  }

  /**
   * Every client and client scope with its protocol mappers (both representations carry
   * `protocolMappers`, so no request per client is needed). Clients first: listClients refuses a
   * list filtered for lack of view-clients, and only with view-clients does
   * ClientScopesResource.getClientScopes list the scopes (without it, it answers an empty list).
   */
  async listProtocolMapperOwners(realm: string): Promise<KcMapperOwner[]> {
    const clients = (await this.listClients(realm)) as Array<KcClient & { protocolMappers?: KcProtocolMapper[] }>;
    const info = { method: 'GET', path: `${realmPath(realm)}/client-scopes`, what: `list the client scopes of realm ${realm}`, role: 'view-clients' };
    const scopes = ((await this.call({ ...info, shape: 'list' }, (kc, o) => kc.clientScopes.find({ realm }, o))) ?? []) as Array<{ id?: string; name?: string; protocolMappers?: KcProtocolMapper[] }>;
    return [
      ...clients.map((c): KcMapperOwner => ({ id: c.id, name: c.clientId, kind: 'client', protocolMappers: c.protocolMappers ?? [] })),
      ...scopes.map((s): KcMapperOwner => ({ id: s.id ?? '', name: s.name ?? s.id ?? '', kind: 'client scope', protocolMappers: s.protocolMappers ?? [] })),
    ];
  }

  // ---- writes ------------------------------------------------------------------------------

  /**
   * The write gate: journals the planned request (and backup), sends it through the admin
   * client, journals the result. It knows only the mapper create and update of requests.ts and
   * refuses any other URL before journaling, since it could not send it as planned.
   */
  async write(request: HttpRequest, backup?: unknown): Promise<WriteResult> {
    if (this.readOnly) throw new KeycloakReadOnlyError(`refused ${request.method} ${request.url}: this Keycloak connection is read-only`);
    const target = parseMapperWrite(request);
    const seq = this.opts.journal.before('keycloak', request, backup);
    this.stats.writes++;
    const { realm, alias } = target;
    const info: CallInfo = { method: request.method, path: request.url, what: `${request.method} ${request.url}`, role: 'manage-identity-providers' };
    try {
      let result: WriteResult;
      if (target.id === undefined) {
        const created = await this.call({ ...info, okStatus: 201 }, (kc) => kc.identityProviders.createMapper({ realm, alias, identityProviderMapper: target.body }));
        result = { status: 201, id: created?.id ? safeDecode(created.id) : undefined };
      } else {
        const id = target.id;
        await this.call({ ...info, okStatus: 204 }, (kc) => kc.identityProviders.updateMapper({ realm, alias, id }, target.body));
        result = { status: 204 };
      }
      this.opts.journal.after(seq, { ok: true, status: result.status, response: result.id ? { id: result.id } : undefined });
      return result;
    } catch (err) {
      this.opts.journal.after(seq, { ok: false, status: err instanceof KeycloakError ? err.status : undefined, message: err instanceof Error ? err.message : String(err) });
      throw err;
    }
  }

  /** Creates a provider mapper through the write gate. */
  createMapper(realm: string, alias: string, mapper: IdpMapper): Promise<WriteResult> {
    return this.write(createMapperRequest(realm, alias, mapper));
  }

  /** Replaces a provider mapper through the write gate. */
  updateMapper(realm: string, alias: string, id: string, mapper: IdpMapper): Promise<WriteResult> {
    return this.write(updateMapperRequest(realm, alias, id, mapper));
  }

  // ---- plumbing ----------------------------------------------------------------------------

  /**
   * The admin client, imported on first use so the CLI's start-up does not load it. Its
   * `realmName` stays the auth realm (every call names its realm), and it takes tokens from
   * this class rather than refreshing on its own: client credentials get no refresh token,
   * and the expiry must follow `opts.now`.
   */
  private client(): Promise<KeycloakAdminClient> {
    this.loading ??= (async () => {
      const mod = await import('@keycloak/keycloak-admin-client');
      if (this.caCerts) this.trust = await PrivateCaTrust.create(this.base.origin, this.caCerts);
      this.networkError = mod.NetworkError;
      // No redirect is followed: a 3xx is an answer this tool does not understand (an error), never
      // the way to another server's "[]".
      const kc = new mod.default({ baseUrl: this.settings.url, realmName: this.settings.authRealm, timeout: this.timeoutMs, requestOptions: { redirect: 'manual' } });
      kc.registerTokenProvider({ getAccessToken: () => this.accessToken() });
      return kc;
    })();
    return this.loading;
  }

  /** Runs admin-client work so that its fetches trust --keycloak-ca-file. */
  private scoped<T>(fn: () => Promise<T>): Promise<T> {
    return this.trust ? this.trust.run(fn) : fn();
  }

  /** A read whose 404 means "not there". */
  private find(info: CallInfo, fn: (kc: KeycloakAdminClient, o: { catchNotFound: false }) => Promise<unknown>): Promise<unknown> {
    return this.call({ ...info, notFound: true }, fn);
  }

  private async listAll(
    info: CallInfo,
    fn: (kc: KeycloakAdminClient, page: { first: number; max: number }, o: { catchNotFound: false }) => Promise<unknown[]>,
  ): Promise<unknown[]> {
    const out: unknown[] = [];
    for (let first = 0; ; first += PAGE) {
      const page = (await this.call({ ...info, shape: 'list' }, (kc, o) => fn(kc, { first, max: PAGE }, o))) ?? [];
      out.push(...page);
      if (page.length < PAGE) return out;
    }
  }

  /**
   * One admin call. A 401 means the token expired or was revoked: sign in once more and call
   * again. 404 is handled here rather than by the client's `catchNotFound`, so it is logged
   * and only the calls that expect it turn it into null.
   */
  private async call<T>(info: CallInfo, fn: (kc: KeycloakAdminClient, o: { catchNotFound: false }) => Promise<T>): Promise<T | null> {
    const kc = await this.client();
    for (let attempt = 0; ; attempt++) {
      // Taking the token first (instead of inside the request) tells a 401 on this token apart
      // from one on a token that another call has already replaced.
      const token = await this.scoped(() => this.accessToken());
      const started = Date.now();
      let out: T;
      try {
        out = await this.scoped(() => fn(kc, { catchNotFound: false }));
      } catch (err) {
        if (!this.isNetworkError(err)) {
          const unreachable = this.unreachable(err);
          if (unreachable) {
            this.logHttp(info.method, info.path, unreachable.code, started);
            throw unreachable.error;
          }
          throw err;
        }
        const status = err.response.status;
        this.logHttp(info.method, info.path, status, started);
        if (info.okStatus === undefined) this.stats.reads++;
        if (status === 401 && attempt === 0) {
          this.opts.log.verbose(`Keycloak rejected the access token of ${this.principal} (expired or revoked); signing in again`);
          if (this.token?.value === token) this.token = undefined;
          continue;
        }
        if (status === 404 && info.notFound) return null;
        throw this.httpError(status, err.responseData, info.what, info.role);
      }
      this.logHttp(info.method, info.path, info.okStatus ?? 200, started);
      if (info.okStatus === undefined) {
        this.stats.reads++;
        // The client hands back the body text when it is not JSON (some other server answered),
        // and nothing for an empty body: neither may read as "nothing there".
        if (typeof out === 'string' || out === null || out === undefined) {
          throw new KeycloakError(`Keycloak answered ${info.what} with ${typeof out === 'string' && out.length > 0 ? 'something that is not JSON' : 'an empty body'} (HTTP 200); is ${this.settings.url} the Keycloak base URL?`, 200);
        }
        const list = Array.isArray(out);
        if ((info.shape === 'list' && !list) || (info.shape === 'object' && (list || typeof out !== 'object'))) {
          throw new KeycloakError(`Keycloak answered ${info.what} with JSON that is not ${info.shape === 'list' ? 'a list' : 'an object'} (HTTP 200): not understood, nothing concluded from it`, 200);
        }
      }
      return out;
    }
  }

  private async accessToken(): Promise<string> {
    const t = this.token;
    // Renew a little early so a token does not expire between here and the server.
    if (t && t.expiresAt - Math.min(10_000, t.lifetimeMs / 4) > this.now()) return t.value;
    this.signingIn ??= this.signIn().finally(() => (this.signingIn = undefined));
    return this.signingIn;
  }

  /** A token request through `kc.auth()` in the auth realm. */
  private async signIn(): Promise<string> {
    const kc = await this.client();
    const s = this.settings;
    const tokenPath = `/realms/${seg(s.authRealm)}/protocol/openid-connect/token`;
    const started = Date.now();
    try {
      await this.scoped(() =>
        kc.auth(
          s.clientId
            ? { grantType: 'client_credentials', clientId: s.clientId, clientSecret: s.clientSecret ?? '' }
            : { grantType: 'password', clientId: 'admin-cli', username: s.username ?? '', password: s.password ?? '' },
        ),
      );
    } catch (err) {
      const failure = this.signInError(err);
      this.logHttp('POST', tokenPath, failure.logStatus, started);
      throw failure.error;
    }
    this.logHttp('POST', tokenPath, 200, started);
    const value = kc.accessToken;
    if (!value) throw new KeycloakError(`Keycloak sign-in for ${this.principal} in realm ${s.authRealm} failed: the answer held no access token`);
    // kc.auth() keeps expires_in to itself; the token's own exp - iat is the same lifetime.
    const lifetimeMs = tokenLifetimeMs(value) ?? 60_000;
    this.token = { value, expiresAt: this.now() + lifetimeMs, lifetimeMs };
    this.stats.signIns++;
    return value;
  }

  private signInError(err: unknown): { error: Error; logStatus: number | string } {
    const s = this.settings;
    if (this.isNetworkError(err)) {
      const status = err.response.status;
      if (status === 404) {
        return { error: new KeycloakError(`Keycloak has no realm ${s.authRealm} to sign in to (the token endpoint answered 404); check --keycloak-auth-realm`, 404), logStatus: status };
      }
      const body = isRecord(err.responseData) ? err.responseData : {};
      const error = typeof body.error === 'string' ? oneLine(body.error) : undefined;
      if (error) {
        const desc = typeof body.error_description === 'string' ? oneLine(body.error_description) : '';
        // The generic descriptions add nothing to the error code; specific ones ("Account disabled") do.
        const extra = desc && !/^Invalid (user credentials|client or Invalid client credentials)$/.test(desc) ? `: ${desc}` : '';
        return { error: new KeycloakError(`Keycloak rejected the credentials for ${this.principal} in realm ${s.authRealm} (${error}${extra})`, status), logStatus: status };
      }
      return { error: new KeycloakError(`Keycloak sign-in for ${this.principal} in realm ${s.authRealm} failed: HTTP ${status}`, status), logStatus: status };
    }
    const unreachable = this.unreachable(err);
    if (unreachable) return { error: unreachable.error, logStatus: unreachable.code };
    // A 200 whose body is not JSON: response.json() threw inside the client.
    if (err instanceof SyntaxError) {
      return {
        error: new KeycloakError(`Keycloak sign-in for ${this.principal} in realm ${s.authRealm} failed: the token endpoint did not answer with JSON; is ${s.url} the Keycloak base URL?`),
        logStatus: 'error',
      };
    }
    return { error: err instanceof Error ? err : new Error(String(err)), logStatus: 'error' };
  }

  private isNetworkError(err: unknown): err is NetworkError {
    return this.networkError !== undefined && err instanceof this.networkError;
  }

  /** Failures before any HTTP status (fetch's `TypeError: fetch failed` with a cause code, or the client's timeout). */
  private unreachable(err: unknown): { error: KeycloakError; code: string } | undefined {
    let code: string | undefined;
    if (err instanceof Error && err.name === 'TimeoutError') code = 'ETIMEDOUT';
    else if (err instanceof TypeError && err.message === 'fetch failed') code = causeCode(err.cause);
    if (!code) return undefined;
    const hint = TLS_TRUST_CODES.has(code)
      ? ' (the server certificate is not trusted: pass --keycloak-ca-file with the CA that issued it)'
      : code === 'ERR_TLS_CERT_ALTNAME_INVALID'
        ? ' (the server certificate does not name this host)'
        : '';
    return { error: new KeycloakError(`cannot reach Keycloak at ${this.settings.url}: ${code}${hint}`), code };
  }

  private httpError(status: number, data: unknown, what: string, role: string | undefined): KeycloakError {
    if (status === 403) {
      const needs = role ? `${this.principal} needs the realm-management role ${role}` : `${this.principal} lacks the permission`;
      return new KeycloakForbiddenError(`Keycloak refused to ${what} (403 Forbidden): ${needs} in realm ${this.settings.realm}`, role);
    }
    if (status === 401) {
      return new KeycloakError(`Keycloak rejected the access token of ${this.principal} even after signing in again (401) while trying to ${what}`, 401);
    }
    const detail = errorDetail(data);
    return new KeycloakError(`Keycloak could not ${what}: HTTP ${status}${detail ? ` ${detail}` : ''}`, status);
  }

  private logHttp(method: string, path: string, status: number | string, started: number): void {
    const base = this.base.toString().replace(/\/+$/, '');
    this.opts.log.http(method, `${base}${path}`, status, Date.now() - started);
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

/** Realm, alias and (for PUT) mapper id of a planned mapper write; anything else is refused. */
function parseMapperWrite(request: HttpRequest): { realm: string; alias: string; id?: string; body: IdpMapper } {
  const m = MAPPER_URL.exec(request.url);
  if (m && isRecord(request.body)) {
    // A segment that does not decode becomes '' and is refused below.
    const realm = safeDecode(m[1]);
    const alias = safeDecode(m[2]);
    const id = m[3] === undefined ? undefined : safeDecode(m[3]);
    const body = request.body as unknown as IdpMapper;
    if (realm && alias && request.method === 'POST' && id === undefined) return { realm, alias, body };
    if (realm && alias && request.method === 'PUT' && id) return { realm, alias, id, body };
  }
  throw new KeycloakError(`refused ${request.method} ${request.url}: the Keycloak write gate only creates (POST …/mappers) and updates (PUT …/mappers/{id}) identity-provider mappers`);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return '';
  }
}

/** Lifetime of a JWT access token from its `exp` and `iat` claims (no signature check: only timing is read). */
function tokenLifetimeMs(jwt: string): number | undefined {
  // Not a JWT (no claims): the caller's default applies.
  const claims = jwtClaims(jwt);
  if (typeof claims.exp === 'number' && typeof claims.iat === 'number' && claims.exp > claims.iat) return (claims.exp - claims.iat) * 1000;
  return undefined;
}

/** The cause code of `TypeError: fetch failed` (ECONNREFUSED, ENOTFOUND, a TLS code, …). */
function causeCode(cause: unknown): string {
  if (isRecord(cause)) {
    if (typeof cause.code === 'string') return cause.code;
    // Several addresses tried (happy eyeballs): the first one's code.
    if (Array.isArray(cause.errors) && isRecord(cause.errors[0]) && typeof cause.errors[0].code === 'string') return cause.errors[0].code;
    if (typeof cause.message === 'string' && cause.message) return oneLine(cause.message);
  }
  return 'ERROR';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 199)}…` : flat;
}

/** Keycloak's error text from a parsed response body (`error`, `errorMessage`, `error_description`). */
function errorDetail(data: unknown): string {
  if (!isRecord(data)) return '';
  const parts = [data.error, data.errorMessage, data.error_description].filter((v): v is string => typeof v === 'string' && v.length > 0);
  return oneLine([...new Set(parts)].join(': '));
}
