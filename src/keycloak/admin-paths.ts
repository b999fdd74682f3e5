/** Admin REST paths (relative to the Keycloak base URL) that the read files of KeycloakApi share. */
export const seg = encodeURIComponent;

/** The admin REST path of a realm (`/admin/realms/{realm}`). */
export function realmPath(realm: string): string {
  return `/admin/realms/${seg(realm)}`;
}

/** The admin REST path of one identity provider of a realm. */
export function idpPath(realm: string, alias: string): string {
  return `${realmPath(realm)}/identity-provider/instances/${seg(alias)}`;
}
