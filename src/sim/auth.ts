import { GraphError } from './errors.js';
import { guidFromName } from './ids.js';
import type { AuthInfo } from './permissions.js';
import type { TenantState } from './state.js';
import type { TokenClaims, TokenService } from './tokens.js';

/**
 * Audiences the sim accepts for Graph calls: its own origin, Graph's URL and Graph's appId
 * (ASSUMPTIONS.md, Sign-in and tokens: accepted audiences and issuer).
 */
export function acceptedAudiences(origin: string): string[] {
  const graph = 'https://graph.microsoft.com';
  return [origin, `${origin}/`, graph, `${graph}/`, '00000003-0000-0000-c000-000000000000'];
}

/** The `iss` of Graph access tokens (v1 tokens, as Graph receives them; ASSUMPTIONS.md, Sign-in and tokens). */
export function graphIssuer(tenantId: string): string {
  return `https://sts.windows.net/${tenantId}/`;
}

/** Turns test-friendly claims into a signed access token. */
export async function issueAccessToken(tokens: TokenService, state: TenantState, origin: string, claims: TokenClaims): Promise<string> {
  const delegated = claims.scp !== undefined;
  if (delegated && !claims.oid) throw new Error('A delegated token (scp) needs the signed-in user id in oid.');
  const appid = claims.appid ?? guidFromName(`sim-test-client:${state.tenantId}`);
  const clientSp = state.servicePrincipalByAppId(appid);
  const user = delegated ? state.users.get(claims.oid!) : undefined;
  const payload: Record<string, unknown> = {
    aud: claims.aud ?? origin,
    iss: graphIssuer(state.tenantId),
    tid: claims.tid ?? state.tenantId,
    oid: claims.oid ?? clientSp?.id ?? guidFromName(`sim-client-sp:${appid}`),
    sub: claims.oid ?? clientSp?.id ?? appid,
    appid,
    app_displayname: clientSp?.displayName ?? 'sim test client',
    appidacr: '1',
    idtyp: delegated ? 'user' : 'app',
  };
  if (delegated) {
    payload.scp = claims.scp;
    payload.amr = claims.amr ?? ['pwd'];
    if (user) {
      payload.upn = user.userPrincipalName;
      payload.name = user.displayName;
    }
  } else {
    payload.roles = claims.roles ?? [];
  }
  if (claims.acrs) payload.acrs = claims.acrs;
  if (claims.wids) payload.wids = claims.wids;
  return tokens.sign(payload, state.clock.nowMs(), claims.expiresInSec ?? 3600);
}

/**
 * Learn "Resolve Microsoft Graph authorization errors" (resolve-auth-errors): a missing, invalid or
 * expired token is 401 Unauthorized. Code `InvalidAuthenticationToken`, the WWW-Authenticate header
 * and the messages: ASSUMPTIONS.md (Sign-in and tokens: 401 answers).
 */
function invalidToken(message: string): GraphError {
  return new GraphError(401, 'InvalidAuthenticationToken', message, { 'WWW-Authenticate': 'Bearer realm="", error="invalid_token"' });
}

/** Verifies the bearer token of a Graph request and describes the caller. */
export async function authenticate(
  tokens: TokenService,
  state: TenantState,
  origin: string,
  header: string | undefined,
): Promise<AuthInfo> {
  if (!header) throw invalidToken('Access token is empty.');
  const m = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!m) throw invalidToken('Access token is empty.');
  const result = await tokens.verify(m[1], state.clock.now());
  if (!result.ok) throw invalidToken(result.message);
  const p = result.payload;
  if (p.tid !== state.tenantId) throw invalidToken('Access token validation failure. Invalid tenant.');
  const aud = typeof p.aud === 'string' ? p.aud : '';
  if (!acceptedAudiences(origin).includes(aud)) throw invalidToken('Access token validation failure. Invalid audience.');
  // Learn "Access token claims reference" (access-token-claims-reference): delegated tokens carry
  // the granted scopes in `scp` (space-separated), app-only tokens the app roles in `roles`.
  const delegated = typeof p.scp === 'string';
  return {
    kind: delegated ? 'delegated' : 'app',
    roles: Array.isArray(p.roles) ? (p.roles as string[]) : [],
    scopes: delegated ? (p.scp as string).split(' ').filter(Boolean) : [],
    oid: String(p.oid ?? ''),
    appid: String(p.appid ?? ''),
    amr: Array.isArray(p.amr) ? (p.amr as string[]) : [],
    acrs: Array.isArray(p.acrs) ? (p.acrs as string[]) : [],
    claims: p,
  };
}
