import { createHash } from 'node:crypto';
import type { OAuthRequest } from './oauth.js';
import type { SimResponse } from './router.js';
import type { TenantState } from './state.js';
import type { TokenService } from './tokens.js';

/**
 * The simulated OIDC provider's (oidc.ts) plain answers: Entra's sign-in error page and refusals,
 * the redirect back to the client, form and scope parsing, and the UserInfo endpoint.
 */

/** Why a sign-in is refused before a code is issued (Entra shows these on its own error page). */
export interface SignInRefusal {
  aadsts: number;
  message: string;
}

/**
 * `GET /oidc/userinfo` with the access token: Learn "Microsoft identity platform UserInfo endpoint"
 * (userinfo): claims sub, name, family_name, given_name, email. The 401 body: ASSUMPTIONS.md.
 */
export async function userinfo(state: TenantState, tokens: TokenService, req: OAuthRequest): Promise<SimResponse> {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers['authorization'] ?? '');
  const bad = (message: string): SimResponse => ({
    status: 401,
    headers: { 'WWW-Authenticate': `Bearer error="invalid_token", error_description="${message}"` },
    body: { error: { code: 'InvalidAuthenticationToken', message } },
  });
  if (!m) return bad('Access token is empty.');
  const v = await tokens.verify(m[1], state.clock.now());
  if (!v.ok) return bad(v.message);
  const user = typeof v.payload.oid === 'string' ? state.users.get(v.payload.oid) : undefined;
  if (!user || typeof v.payload.scp !== 'string' || !v.payload.scp.split(' ').includes('openid'))
    return bad('The token was not issued for a signed-in user with the openid scope.');
  const appId = String(v.payload.appid ?? '');
  const sub = createHash('sha256').update(`${state.tenantId}:${appId}:${user.id}`).digest('base64url').slice(0, 43);
  const body: Record<string, unknown> = {
    sub,
    name: user.displayName,
    family_name: user.surname ?? undefined,
    given_name: user.givenName ?? undefined,
  };
  if (user.mail) body.email = user.mail;
  return { status: 200, body };
}

/** The form body of a request (empty unless it is form-encoded). */
export function formOf(req: OAuthRequest): URLSearchParams {
  return req.headers['content-type']?.includes('application/x-www-form-urlencoded')
    ? new URLSearchParams(req.rawBody)
    : new URLSearchParams();
}

/** The distinct scopes of a space-separated scope parameter. */
export function scopesOf(text: string | null): string[] {
  return [...new Set((text ?? '').split(/\s+/).filter(Boolean))];
}

/** The refusal for a user the tenant does not have. */
export function unknownUser(user: string, state: TenantState): SignInRefusal {
  return {
    aadsts: 50034,
    message:
      `The user account ${user} does not exist in the ${state.defaultDomain} directory. ` +
      `To sign into this application, the account must be added to the directory.`,
  };
}

/** The refusal for an app the tenant does not have. */
export function unknownApp(clientId: string, state: TenantState): SignInRefusal {
  return {
    aadsts: 700016,
    message:
      `Application with identifier '${clientId}' was not found in the directory '${state.displayName}'. ` +
      `This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. ` +
      `You may have sent your authentication request to the wrong tenant.`,
  };
}

/** Entra's sign-in error page (it does not redirect back for these): the AADSTS text in a plain body (ASSUMPTIONS.md). */
export function errorPage(status: number, aadsts: number, message: string): SimResponse {
  return {
    status,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'x-ms-ests-error': String(aadsts) },
    body: `Sorry, but we're having trouble signing you in.\nAADSTS${aadsts}: ${message}\n`,
  };
}

/** The error page of a refused sign-in. */
export function refusalPage(r: SignInRefusal): SimResponse {
  return errorPage(400, r.aadsts, r.message);
}

/** Sends the authorization response back to the client: query (default), fragment, or an auto-posting form. */
export function redirectBack(redirectUri: string, mode: string, params: Record<string, string | undefined>): SimResponse {
  const entries = Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined);
  if (mode === 'form_post') {
    const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
    const inputs = entries.map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}" />`).join('');
    return {
      status: 200,
      headers: { 'Content-Type': 'text/html; charset=utf-8' },
      body: `<html><body onload="document.forms[0].submit()"><form method="POST" action="${esc(redirectUri)}">${inputs}</form></body></html>`,
    };
  }
  const url = new URL(redirectUri);
  const search = new URLSearchParams(entries);
  if (mode === 'fragment') url.hash = search.toString();
  else for (const [k, v] of entries) url.searchParams.set(k, v);
  return { status: 302, headers: { Location: url.toString() } };
}
