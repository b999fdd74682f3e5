/** The protocols an Entra provider can speak in Keycloak, and the SAML attribute names Entra uses. */

/** The SAML attribute Entra puts group object ids in. */
export const SAML_GROUPS_ATTRIBUTE = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups';
/** The SAML attribute Entra puts app role values in. */
export const SAML_ROLE_ATTRIBUTE = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role';
/** The SAML attribute holding the user's Entra object id. */
export const SAML_OBJECT_ID_ATTRIBUTE = 'http://schemas.microsoft.com/identity/claims/objectidentifier';

export type Protocol = 'oidc' | 'saml';

/** `oidc` and `keycloak-oidc` accept the OIDC claim mappers; `saml` the SAML ones; nothing else can map Entra claims. */
export function protocolOf(providerId: string | undefined): Protocol | undefined {
  if (providerId === 'oidc' || providerId === 'keycloak-oidc') return 'oidc';
  if (providerId === 'saml') return 'saml';
  return undefined;
}
