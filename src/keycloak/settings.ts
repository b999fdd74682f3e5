/** How to reach and authenticate to Keycloak (secrets come only from the environment). */
export interface KeycloakSettings {
  url: string;
  realm: string;
  idpAlias?: string;
  /** Group path that grants admin rights, default `/tenant-admin`. */
  group: string;
  /** A realm role or `clientId.roleName`, checked instead of a group when given. */
  role?: string;
  authRealm: string;
  clientId?: string;
  clientSecret?: string;
  username?: string;
  password?: string;
  caFile?: string;
}
