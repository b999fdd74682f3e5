import { timingSafeEqual } from 'node:crypto';
import { issueAccessToken } from './auth.js';
import { newGuid } from './ids.js';
import { oidcProviderFor } from './oidc.js';
import type { SimResponse } from './router.js';
import type { TenantState } from './state.js';
import type { TokenService } from './tokens.js';

const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
// Learn "OAuth 2.0 client credentials flow" (v2-oauth2-client-creds-grant-flow), Successful response: expires_in 3599.
const TOKEN_LIFETIME_SEC = 3599;

export interface OAuthRequest {
  method: string;
  /** Decoded path without query. */
  path: string;
  rawBody: string;
  headers: Record<string, string>;
  state: TenantState;
  tokens: TokenService;
  origin: string;
  /** Query string of the request (the OIDC authorize and logout endpoints read it). */
  query?: URLSearchParams;
}

/**
 * Entra's OAuth error envelope (AADSTS code first in `error_description`, which MSAL surfaces).
 * Learn "Microsoft Entra authentication and authorization error codes" (reference-error-codes),
 * sample error response: `error`, `error_description` ("AADSTS…: … Trace ID … Correlation ID …
 * Timestamp …"), `error_codes`, `timestamp` ("YYYY-MM-DD HH:MM:SSZ"), `trace_id`, `correlation_id`,
 * `error_uri`. The HTTP status per error is not documented: ASSUMPTIONS.md (Sign-in and tokens).
 */
export function oauthError(status: number, error: string, aadsts: number, message: string): SimResponse {
  const traceId = newGuid();
  const correlationId = newGuid();
  const timestamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  return {
    status,
    headers: { 'Cache-Control': 'no-store, no-cache', Pragma: 'no-cache' },
    body: {
      error,
      error_description: `AADSTS${aadsts}: ${message} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [aadsts],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${aadsts}`,
    },
  };
}

/**
 * The OpenID Connect discovery document MSAL reads (issuer must share the authority's origin).
 * Fields as Learn "OpenID Connect on the Microsoft identity platform" (v2-protocols-oidc), Find your
 * app's OpenID configuration document URI; the endpoints point at the sim instead of login.microsoftonline.com.
 */
function openIdConfiguration(origin: string, tenantId: string): Record<string, unknown> {
  const base = `${origin}/${tenantId}`;
  const host = new URL(origin).host;
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${base}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${origin}/oidc/userinfo`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: [
      'sub',
      'iss',
      'cloud_instance_name',
      'cloud_instance_host_name',
      'cloud_graph_host_name',
      'msgraph_host',
      'aud',
      'exp',
      'iat',
      'auth_time',
      'acr',
      'nonce',
      'preferred_username',
      'name',
      'tid',
      'ver',
      'at_hash',
      'c_hash',
      'email',
    ],
    kerberos_endpoint: `${base}/kerberos`,
    tenant_region_scope: 'EU',
    cloud_instance_name: host,
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: host,
    rbac_url: 'https://pas.windows.net',
  };
}

function secretsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Maps a `/.default` scope to the token audience, or undefined for an unknown resource. */
function audienceFor(scope: string, origin: string): string | undefined {
  const resource = scope.slice(0, -'/.default'.length);
  if (resource === GRAPH_APP_ID) return GRAPH_APP_ID;
  try {
    const url = new URL(resource);
    if (url.origin === origin || url.origin === 'https://graph.microsoft.com') return url.origin;
  } catch {
    return undefined;
  }
  return undefined;
}

/**
 * Client id and secret from the form, or from HTTP Basic: Learn "OAuth 2.0 client credentials flow"
 * (v2-oauth2-client-creds-grant-flow), `client_secret` row: the Basic auth pattern of RFC 6749 is also supported.
 */
export function clientCredentials(
  form: URLSearchParams,
  req: Pick<OAuthRequest, 'headers'>,
): { clientId: string | null; secret: string | null } {
  let clientId = form.get('client_id');
  let secret = form.get('client_secret');
  const basic = /^Basic\s+(.+)$/i.exec(req.headers['authorization'] ?? '');
  if (basic) {
    const [id, pw] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
    clientId ??= decodeURIComponent(id);
    secret ??= decodeURIComponent(pw ?? '');
  }
  return { clientId, secret };
}

/** Entra's answer to a missing or wrong client secret, or undefined when it matches. */
export function refuseClientSecret(clientId: string, secret: string | null, expected: string): SimResponse | undefined {
  // Learn "reference-error-codes": AADSTS7000218 (no client_assertion or client_secret) and
  // AADSTS7000215 (invalid client secret); `invalid_client` is "Client authentication failed".
  if (!secret) {
    return oauthError(
      401,
      'invalid_client',
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    );
  }
  if (!secretsEqual(secret, expected)) {
    return oauthError(
      401,
      'invalid_client',
      7000215,
      `Invalid client secret provided. ` +
        `Ensure the secret being sent in the request is the client secret value, not the client secret ID, ` +
        `for a secret added to app '${clientId}'.`,
    );
  }
  return undefined;
}

async function tokenEndpoint(req: OAuthRequest): Promise<SimResponse> {
  const form = new URLSearchParams(req.rawBody);
  const grantType = form.get('grant_type');
  // Learn "reference-error-codes": unsupported_grant_type, AADSTS70003 UnsupportedGrantType.
  // (Device code and refresh grants are device-code.ts's; this endpoint serves client credentials.)
  if (grantType !== 'client_credentials') {
    return oauthError(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grantType ?? ''}'.`);
  }
  const { clientId, secret } = clientCredentials(form, req);
  // Learn "reference-error-codes": AADSTS900144 "The request body must contain the following parameter: '{name}'".
  if (!clientId) return oauthError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_id'.");
  const client = req.state.clients.get(clientId);
  // Learn "reference-error-codes": AADSTS700016 UnauthorizedClient_DoesNotMatchRequest (app not found in the tenant).
  if (!client) {
    return oauthError(
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${req.state.displayName}'. ` +
        `This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. ` +
        `You may have sent your authentication request to the wrong tenant.`,
    );
  }
  const refused = refuseClientSecret(clientId, secret, client.clientSecret);
  if (refused) return refused;
  const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
  const defaultScope = scopes.find((s) => s.endsWith('/.default'));
  // Learn "OAuth 2.0 client credentials flow": the scope must be the resource's identifier with
  // `/.default`. The AADSTS code for its absence (1002012) is not on the error-code page: ASSUMPTIONS.md.
  if (!defaultScope) {
    return oauthError(
      400,
      'invalid_scope',
      1002012,
      `The provided value for scope ${scopes.join(' ')} is not valid. ` +
        `Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    );
  }
  const aud = audienceFor(defaultScope, req.origin);
  // Learn "reference-error-codes": AADSTS500011 InvalidResourceServicePrincipalNotFound; `invalid_resource`
  // is the documented error for a resource that does not exist in the tenant.
  if (!aud) {
    const resource = defaultScope.slice(0, -'/.default'.length);
    return oauthError(
      400,
      'invalid_resource',
      500011,
      `The resource principal named ${resource} was not found in the tenant named ${req.state.displayName}. ` +
        `This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. ` +
        `You might have sent your authentication request to the wrong tenant.`,
    );
  }
  const accessToken = await issueAccessToken(req.tokens, req.state, req.origin, {
    roles: [...client.roles],
    appid: client.clientId,
    aud,
    expiresInSec: TOKEN_LIFETIME_SEC,
  });
  // Learn "OAuth 2.0 client credentials flow", Successful response: token_type, expires_in, access_token
  // (ext_expires_in as Entra adds it; ASSUMPTIONS.md, Sign-in and tokens).
  return {
    status: 200,
    headers: { 'Cache-Control': 'no-store, no-cache', Pragma: 'no-cache' },
    body: { token_type: 'Bearer', expires_in: TOKEN_LIFETIME_SEC, ext_expires_in: TOKEN_LIFETIME_SEC, access_token: accessToken },
  };
}

/**
 * The login.microsoftonline.com endpoints MSAL needs for client credentials with
 * `disableInstanceDiscovery` (discovery document, keys, token). Returns undefined for
 * paths that are not OAuth endpoints.
 */
export async function handleOAuth(req: OAuthRequest): Promise<SimResponse | undefined> {
  // User sign-in (authorize, the authorization-code grant, userinfo, logout, ID-token keys) is
  // the OIDC provider's; everything else stays here.
  const oidc = await oidcProviderFor(req.state, req.tokens).handle(req);
  if (oidc) return oidc;
  const m =
    /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|\.well-known\/openid-configuration|discovery\/v2\.0\/keys|discovery\/keys|oauth2\/v2\.0\/token)$/i.exec(
      req.path,
    );
  if (!m) return undefined;
  const [, tenant, endpoint] = m;
  // Learn "OAuth 2.0 client credentials flow" and "OpenID Connect on the Microsoft identity platform"
  // (Find your app's OpenID configuration document URI): `tenant` is the tenant id or a domain name
  // of the tenant; the document then names the tenant by its id. Learn "reference-error-codes":
  // AADSTS90002 InvalidTenantName for a tenant that is not found.
  if (!req.state.isTenantName(tenant)) {
    // The discovery answer for a tenant not found: 400 `invalid_tenant` with Entra's error envelope
    // and AADSTS90002's full text (as Entra answers it, ASSUMPTIONS.md "Sign-in and tokens").
    return oauthError(
      400,
      'invalid_tenant',
      90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. ` +
        `Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
    );
  }
  const tenantId = req.state.tenantId;
  const ep = endpoint.toLowerCase();
  if (ep.endsWith('openid-configuration')) {
    if (req.method !== 'GET')
      return oauthError(405, 'invalid_request', 900561, `The endpoint only accepts GET requests. Received a ${req.method} request.`);
    return { status: 200, body: openIdConfiguration(req.origin, tenantId) };
  }
  if (ep.includes('keys')) {
    if (req.method !== 'GET')
      return oauthError(405, 'invalid_request', 900561, `The endpoint only accepts GET requests. Received a ${req.method} request.`);
    return { status: 200, body: req.tokens.jwks(`${req.origin}/${tenantId}/v2.0`) };
  }
  // Learn "reference-error-codes": AADSTS900561 BadResourceRequestInvalidRequest, "The endpoint only
  // accepts {valid_verbs} requests. Received a {invalid_verb} request." (405 status: ASSUMPTIONS.md).
  if (req.method !== 'POST')
    return oauthError(405, 'invalid_request', 900561, `The endpoint only accepts POST requests. Received a ${req.method} request.`);
  return tokenEndpoint(req);
}
