/**
 * The parts of Keycloak admin representations this tool reads and writes. Config maps hold
 * strings only ("true"/"false" included), as the admin API returns them.
 */

export type KeycloakConfig = Record<string, string | undefined>;

/** `GET /admin/realms/{realm}`; session fields are absent without the `view-realm` role. */
export interface RealmInfo {
  realm?: string;
  enabled?: boolean;
  rememberMe?: boolean;
  ssoSessionIdleTimeout?: number;
  ssoSessionMaxLifespan?: number;
  ssoSessionIdleTimeoutRememberMe?: number;
  ssoSessionMaxLifespanRememberMe?: number;
  clientSessionIdleTimeout?: number;
  clientSessionMaxLifespan?: number;
  offlineSessionIdleTimeout?: number;
  offlineSessionMaxLifespanEnabled?: boolean;
  offlineSessionMaxLifespan?: number;
  accessTokenLifespan?: number;
  /** The role every user of the realm holds (`default-roles-<realm>`, a composite). */
  defaultRole?: { id?: string; name?: string };
}

export interface IdentityProvider {
  alias: string;
  providerId: string;
  enabled?: boolean;
  displayName?: string;
  internalId?: string;
  config?: KeycloakConfig;
}

export interface IdpMapper {
  id?: string;
  name: string;
  identityProviderAlias: string;
  identityProviderMapper: string;
  config: KeycloakConfig;
}

/** `GET …/mapper-types`: the mapper types this provider accepts, by id. */
export type MapperTypes = Record<string, { id: string; name?: string }>;

export interface KcGroup {
  id: string;
  name: string;
  path: string;
  subGroupCount?: number;
}

export interface KcUser {
  id: string;
  username: string;
  email?: string;
  enabled?: boolean;
  attributes?: Record<string, string[]>;
  /** Id of the user storage (LDAP, Kerberos) the user comes from; absent for users stored in Keycloak. */
  federationLink?: string;
  /** Set by this tool when the membership comes from a subgroup. */
  viaGroup?: string;
}

export interface FederatedIdentity {
  identityProvider: string;
  userId: string;
  userName?: string;
}

export interface KcRole {
  id: string;
  name: string;
  clientRole?: boolean;
  containerId?: string;
  composite?: boolean;
}

export interface KcClient {
  id: string;
  clientId: string;
}

/** `GET …/users/{id}/credentials` (secrets are never returned): a credential stored in Keycloak. */
export interface KcCredential {
  id?: string;
  type: string;
  userLabel?: string;
}

/**
 * `GET …/components`: a component (user storage provider, LDAP mapper, …). Unlike the other
 * config maps, a component's config holds lists of strings (a MultivaluedHashMap on the server).
 */
export interface KcComponent {
  id?: string;
  name?: string;
  providerId?: string;
  providerType?: string;
  parentId?: string;
  subType?: string;
  config?: Record<string, string[] | undefined>;
}

/** A protocol mapper of a client or client scope (`protocolMappers` in their representations). */
export interface KcProtocolMapper {
  id?: string;
  name?: string;
  protocol?: string;
  protocolMapper: string;
  config?: KeycloakConfig;
}

/** A client or client scope with its protocol mappers, as `GET …/clients` and `GET …/client-scopes` return them. */
export interface KcMapperOwner {
  id: string;
  /** clientId of a client, name of a client scope. */
  name: string;
  kind: 'client' | 'client scope';
  protocolMappers?: KcProtocolMapper[];
}
