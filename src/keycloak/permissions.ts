/**
 * Least privilege for the Keycloak step, as client roles of `realm-management` in the tenant's
 * realm (for an account in master: of the `<realm>-realm` client there). The audit needs only
 * the view roles; --fix-keycloak adds manage-identity-providers; --keycloak-role adds
 * view-clients: to look up the client of a `clientId.role`, and because client roles can be
 * composites containing the admin role, and reading a client role's composites, users and groups
 * needs view on its client (RolePermissions.canView(RoleModel) → clients().canView).
 */
export const KEYCLOAK_ROLES = {
  audit: ['view-identity-providers', 'view-realm', 'view-users'],
  fix: ['manage-identity-providers'],
  roleTarget: ['view-clients'],
} as const;
