import { randomUUID } from 'node:crypto';

/**
 * What the demo's simulated Keycloak holds (one Entra identity provider, its mappers, one group)
 * and the JSON shapes Keycloak's admin REST API gives them: the representations the server in
 * keycloak-admin.ts answers with and the mapper body it accepts.
 */

export type Config = Record<string, string>;

export interface Mapper {
  id: string;
  name: string;
  identityProviderAlias: string;
  identityProviderMapper: string;
  config: Config;
}

export interface Provider {
  alias: string;
  displayName: string;
  internalId: string;
  providerId: string;
  enabled: boolean;
  config: Config;
}

export interface Group {
  id: string;
  name: string;
  path: string;
  memberIds: string[];
}

/** Mapper types Keycloak 26 offers on an `oidc` provider (ids and UI names). */
export const OIDC_MAPPER_TYPES: Array<[string, string, string]> = [
  ['hardcoded-attribute-idp-mapper', 'Hardcoded Attribute', 'Attribute Importer'],
  ['hardcoded-user-session-attribute-idp-mapper', 'Hardcoded User Session Attribute', 'Attribute Importer'],
  ['oidc-advanced-group-idp-mapper', 'Advanced Claim to Group', 'Group Importer'],
  ['oidc-advanced-role-idp-mapper', 'Advanced Claim to Role', 'Role Importer'],
  ['oidc-hardcoded-group-idp-mapper', 'Hardcoded Group', 'Group Importer'],
  ['oidc-hardcoded-role-idp-mapper', 'Hardcoded Role', 'Role Importer'],
  ['oidc-role-idp-mapper', 'Claim to Role', 'Role Importer'],
  ['oidc-user-attribute-idp-mapper', 'Attribute Importer', 'Attribute Importer'],
  ['oidc-username-idp-mapper', 'Username Template Importer', 'Preprocessor'],
];

/** A Keycloak error answer: the status and Keycloak's JSON error body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, string>,
  ) {
    super(`${status}`);
  }
}

function isStringRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The demo realm's identity providers: one OpenID Connect provider for the Entra tenant. */
export function initialProviders(tenantId: string, appId: string): Provider[] {
  const login = `https://login.microsoftonline.com/${tenantId}`;
  // Pinned to the tenant and the app, as an admin configures "OpenID Connect v1.0" for Entra.
  // The provider's own sync mode is the console's default IMPORT: the mapper's FORCE must win.
  return [
    {
      alias: 'entra',
      displayName: 'Contoso (Entra ID)',
      internalId: randomUUID(),
      providerId: 'oidc',
      enabled: true,
      config: {
        clientId: appId,
        clientSecret: '**********',
        issuer: `${login}/v2.0`,
        authorizationUrl: `${login}/oauth2/v2.0/authorize`,
        tokenUrl: `${login}/oauth2/v2.0/token`,
        logoutUrl: `${login}/oauth2/v2.0/logout`,
        jwksUrl: `${login}/discovery/v2.0/keys`,
        useJwksUrl: 'true',
        validateSignature: 'true',
        clientAuthMethod: 'client_secret_post',
        defaultScope: 'openid profile email',
        pkceEnabled: 'false',
        syncMode: 'IMPORT',
      },
    },
  ];
}

/** The demo realm's groups: the admin group PIM guards. */
export function initialGroups(): Group[] {
  return [{ id: randomUUID(), name: 'tenant-admin', path: '/tenant-admin', memberIds: [] }];
}

/** Validates an IdentityProviderMapperRepresentation; config values are kept as strings, as Keycloak stores them. */
export function mapperBody(provider: Provider, rawBody: string): Omit<Mapper, 'id'> {
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    throw new HttpError(400, { error: 'unknown_error', error_description: 'For more on this error consult the server log.' });
  }
  if (!isStringRecord(body) || typeof body.name !== 'string' || body.name.trim() === '') {
    throw new HttpError(400, { errorMessage: 'Mapper name is required' });
  }
  const type = body.identityProviderMapper;
  if (typeof type !== 'string' || !OIDC_MAPPER_TYPES.some(([id]) => id === type)) {
    throw new HttpError(400, {
      errorMessage: `Identity provider mapper type ${String(type)} is not available for provider ${provider.providerId}`,
    });
  }
  const config: Config = {};
  if (isStringRecord(body.config))
    for (const [k, v] of Object.entries(body.config)) if (v !== undefined && v !== null) config[k] = String(v);
  return { name: body.name, identityProviderAlias: provider.alias, identityProviderMapper: type, config };
}

/** RealmRepresentation: sessions end within PIM's default 8-hour activation, so the demo realm is otherwise sound. */
export function realmRepresentation(realm: string): Record<string, unknown> {
  return {
    id: realm,
    realm: realm,
    displayName: 'ACME (demo)',
    enabled: true,
    sslRequired: 'external',
    rememberMe: false,
    accessTokenLifespan: 300,
    ssoSessionIdleTimeout: 1800,
    ssoSessionMaxLifespan: 8 * 3600,
    ssoSessionIdleTimeoutRememberMe: 0,
    ssoSessionMaxLifespanRememberMe: 0,
    clientSessionIdleTimeout: 0,
    clientSessionMaxLifespan: 0,
    offlineSessionIdleTimeout: 2_592_000,
    offlineSessionMaxLifespanEnabled: true,
    offlineSessionMaxLifespan: 8 * 3600,
  };
}

/** GroupRepresentation of a demo group (no subgroups, attributes or roles). */
export function groupRepresentation(g: Group): Record<string, unknown> {
  return { id: g.id, name: g.name, path: g.path, subGroupCount: 0, subGroups: [], attributes: {}, realmRoles: [], clientRoles: {} };
}

/** IdentityProviderRepresentation of a demo provider, with Keycloak's defaults for what the demo does not set. */
export function providerRepresentation(p: Provider): Record<string, unknown> {
  return {
    alias: p.alias,
    displayName: p.displayName,
    internalId: p.internalId,
    providerId: p.providerId,
    enabled: p.enabled,
    updateProfileFirstLoginMode: 'on',
    trustEmail: false,
    storeToken: false,
    addReadTokenRoleOnCreate: false,
    authenticateByDefault: false,
    linkOnly: false,
    hideOnLogin: false,
    firstBrokerLoginFlowAlias: 'first broker login',
    config: { ...p.config },
  };
}
