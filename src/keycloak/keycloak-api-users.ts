import { realmPath, seg } from './admin-paths.js';
import type { RoleRef } from './admin-scope.js';
import { KeycloakRealmReads } from './keycloak-api-realm.js';
import type { FederatedIdentity, KcCredential, KcGroup, KcUser } from './types.js';

/**
 * KeycloakApi's reads of groups and users: a group by path, its subgroups and members, and a
 * user's identity-provider links, credentials, groups and direct role mappings.
 */
export class KeycloakUserReads extends KeycloakRealmReads {
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
}
