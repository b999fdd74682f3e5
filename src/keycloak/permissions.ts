/**
 * Least privilege for the Keycloak step, as client roles of `realm-management` in the tenant's
 * realm (for an account in master: of the `<realm>-realm` client there). The audit needs only
 * the view roles; --fix-keycloak adds manage-identity-providers; --keycloak-role with a client
 * role (`clientId.role`) adds view-clients to look the client up.
 */
export const KEYCLOAK_ROLES = {
  audit: ['view-identity-providers', 'view-realm', 'view-users'],
  fix: ['manage-identity-providers'],
  clientRoleTarget: ['view-clients'],
} as const;
