import { createHash, randomBytes } from 'node:crypto';
import type { JWK } from 'jose';
import { issueAccessToken } from './auth.js';
import { newGuid } from './ids.js';
import { clientCredentials, oauthError, refuseClientSecret, type OAuthRequest } from './oauth.js';
import { PublicClientGrants } from './device-code.js';
import type { SimResponse } from './router.js';
import type { SeedServicePrincipal, SeedUser } from './seed.js';
import {
  assignmentsOf,
  buildClaims,
  grantedGraphScopes,
  GRAPH_RESOURCE,
  newSigningKey,
  OIDC_SCOPES,
  signIdToken,
  TOKEN_LIFETIME_SEC,
  type IdTokenClaims,
  type SigningKey,
} from './oidc-claims.js';
import {
  errorPage,
  formOf,
  redirectBack,
  refusalPage,
  scopesOf,
  unknownApp,
  unknownUser,
  userinfo,
  type SignInRefusal,
} from './oidc-pages.js';
import type { TenantState } from './state.js';
import type { TokenService } from './tokens.js';

/**
 * The simulated tenant's OpenID Connect provider for user sign-in: the authorization-code flow
 * of `login.microsoftonline.com/{tenant}/oauth2/v2.0` with Entra's ID-token claims, so a real
 * relying party (Keycloak) can broker a sign-in against the simulation.
 *
 * There is no sign-in UI: a test chooses who signs in, with `signInAs()` (the browser's Entra
 * session) or a `login_hint` on the authorize request. Memberships are read from the live
 * tenant state at the moment the token is issued, by the sim clock: an active PIM assignment
 * puts the group in the `groups` claim, an eligibility does not.
 *
 * Flow and parameters: Learn "Microsoft identity platform and OAuth 2.0 authorization code flow"
 * (v2-oauth2-auth-code-flow) and "OpenID Connect on the Microsoft identity platform" (v2-protocols-oidc);
 * claims: "ID token claims reference" (id-token-claims-reference). Every AADSTS number used here is on
 * Learn "reference-error-codes"; which one Entra picks for a case, and the error page: ASSUMPTIONS.md.
 */

/** Learn "OAuth 2.0 authorization code flow": authorization codes are short-lived, about ten minutes. */
const CODE_LIFETIME_MS = 10 * 60_000;

/** How the test's simulated user authenticated (what PIM's MFA and authentication-context rules read). */
export interface SignInOptions {
  /** Authentication methods, default `["pwd"]`; add `"mfa"` for a multi-factor sign-in. */
  amr?: string[];
  /** Authentication context class references the sign-in satisfied (`c1`…`c99`). */
  acrs?: string[];
}

interface Session {
  userId: string;
  amr: string[];
  acrs: string[];
  /** Epoch seconds (real time; relying parties compare it with their own clocks). */
  authTime: number;
  sid: string;
}

interface PendingCode {
  clientId: string;
  redirectUri: string;
  scopes: string[];
  nonce?: string;
  codeChallenge?: string;
  codeChallengeMethod?: string;
  session: Session;
  /** Sim-clock expiry in epoch ms. */
  expiresAt: number;
  redeemed: boolean;
}

const providers = new WeakMap<TenantState, SimOidcProvider>();

/**
 * The OIDC provider of a tenant. Keyed by the tenant state so that the HTTPS front end (which
 * hands the OAuth handler only state, tokens and origin) and the plain-http listener share one
 * signed-in session and one set of pending codes.
 */
export function oidcProviderFor(state: TenantState, tokens: TokenService): SimOidcProvider {
  let p = providers.get(state);
  if (!p) {
    p = new SimOidcProvider(state, tokens);
    providers.set(state, p);
  }
  return p;
}

/** See the module comment. Tests reach it as `sim.oidc`. */
export class SimOidcProvider {
  private session?: Session;
  private readonly codes = new Map<string, PendingCode>();
  private key?: Promise<SigningKey>;
  /** Public-client sign-in (device code, refresh tokens): a test approves device codes here. */
  readonly deviceCodes: PublicClientGrants;

  constructor(
    private readonly state: TenantState,
    private readonly tokens: TokenService,
  ) {
    this.deviceCodes = new PublicClientGrants(state, tokens, async (user, clientId, issuer, scopes, auth) => {
      const claims: IdTokenClaims = {
        aud: clientId,
        iss: issuer,
        sub: createHash('sha256').update(`${this.state.tenantId}:${clientId}:${user.id}`).digest('base64url').slice(0, 43),
        oid: user.id,
        tid: this.state.tenantId,
        ver: '2.0',
      };
      if (scopes.includes('profile')) {
        claims.name = user.displayName;
        claims.preferred_username = user.userPrincipalName;
      }
      claims.amr = auth.amr;
      return signIdToken(await this.signingKey(), claims, Math.floor(Date.now() / 1000));
    });
  }

  /**
   * The browser's Entra session: later authorize requests without `login_hint` sign in as this
   * user (object id or UPN). Throws for an unknown user, so a typo fails in the test itself.
   */
  signInAs(user: string, opts: SignInOptions = {}): void {
    const u = this.state.findUser(user);
    if (!u) throw new Error(`signInAs: no user ${user} in the simulated tenant`);
    this.session = this.newSession(u.id, opts);
  }

  /** Ends the browser's Entra session (as the logout endpoint does). */
  signOut(): void {
    this.session = undefined;
  }

  /** Object id of the user the browser session belongs to, if any. */
  get signedInUser(): string | undefined {
    return this.session?.userId;
  }

  /**
   * Registers what an admin configures for a relying party in Entra: a redirect URI on the app
   * registration and, for a confidential client, a client secret (the same secret also works
   * for the client-credentials grant, as in Entra). Idempotent.
   */
  registerClient(o: { clientId: string; clientSecret?: string; redirectUris?: string[] }): void {
    const app = this.state.applicationByAppId(o.clientId);
    const sp = this.state.servicePrincipalByAppId(o.clientId);
    if (!app && !sp) throw new Error(`registerClient: no app with appId ${o.clientId} in the simulated tenant`);
    if (app) for (const uri of o.redirectUris ?? []) if (!app.web.redirectUris.includes(uri)) app.web.redirectUris.push(uri);
    if (o.clientSecret !== undefined) {
      const existing = this.state.clients.get(o.clientId);
      this.state.clients.set(o.clientId, {
        clientId: o.clientId,
        clientSecret: o.clientSecret,
        displayName: existing?.displayName ?? app?.displayName ?? sp?.displayName ?? o.clientId,
        roles: existing?.roles ?? [],
      });
    }
  }

  /** The public keys of ID tokens, for the JWKS document. */
  async publicJwks(): Promise<JWK[]> {
    const k = await this.signingKey();
    return [k.jwk];
  }

  /**
   * The claims Entra would put in an ID token for `user` signing in to `clientId` right now, or
   * the refusal (AADSTS code) when the user may not sign in to that app.
   */
  claimsFor(
    user: string,
    clientId: string,
    issuer: string,
    scopes: string[] = ['openid', 'profile', 'email'],
  ): IdTokenClaims | SignInRefusal {
    const u = this.state.findUser(user);
    if (!u) return unknownUser(user, this.state);
    const sp = this.state.servicePrincipalByAppId(clientId);
    if (!sp) return unknownApp(clientId, this.state);
    const refusal = this.refusal(u, sp);
    if (refusal) return refusal;
    return buildClaims(this.state, u, sp, issuer, scopes);
  }

  /** Handles the OIDC endpoints; undefined for paths (or grants) it does not own. */
  async handle(req: OAuthRequest): Promise<SimResponse | undefined> {
    if (req.path.toLowerCase() === '/oidc/userinfo') return userinfo(this.state, this.tokens, req);
    const m =
      /^\/([^/]+)\/(oauth2\/v2\.0\/authorize|oauth2\/v2\.0\/devicecode|oauth2\/v2\.0\/token|oauth2\/v2\.0\/logout|discovery\/v2\.0\/keys|discovery\/keys)$/i.exec(
        req.path,
      );
    if (!m) return undefined;
    const [, tenant, endpoint] = m;
    const ep = endpoint.toLowerCase();
    const form = formOf(req);
    const publicGrant =
      ep.endsWith('token') &&
      req.method === 'POST' &&
      ['device_code', 'urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'].includes(form.get('grant_type') ?? '');
    if (ep.endsWith('token') && !publicGrant && (req.method !== 'POST' || form.get('grant_type') !== 'authorization_code'))
      return undefined;
    if (!this.state.isTenantName(tenant)) {
      const message = `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`;
      // Browser-facing endpoints show Entra's error page; the token and keys endpoints answer JSON.
      // Learn "reference-error-codes": AADSTS90002 InvalidTenantName.
      return ep.endsWith('authorize') || ep.endsWith('logout')
        ? errorPage(400, 90002, message)
        : oauthError(400, 'invalid_tenant', 90002, message);
    }
    const issuer = `${req.origin}/${this.state.tenantId}/v2.0`;
    if (ep.includes('keys')) {
      // Learn "reference-error-codes": AADSTS900561, the endpoint only accepts {valid_verbs} (405: ASSUMPTIONS.md).
      if (req.method !== 'GET')
        return oauthError(405, 'invalid_request', 900561, `The endpoint only accepts GET requests. Received a ${req.method} request.`);
      return {
        status: 200,
        body: { keys: [...this.tokens.jwks(issuer).keys, ...(await this.publicJwks()).map((k) => ({ ...k, issuer }))] },
      };
    }
    if (ep.endsWith('devicecode')) {
      if (req.method !== 'POST')
        return oauthError(405, 'invalid_request', 900561, `The endpoint only accepts POST requests. Received a ${req.method} request.`);
      return this.deviceCodes.deviceAuthorization(form, req.origin);
    }
    if (publicGrant) return (await this.deviceCodes.token(form, req.origin, issuer))!;
    if (ep.endsWith('authorize')) return this.authorize(req.method === 'POST' ? form : (req.query ?? new URLSearchParams()), req);
    if (ep.endsWith('logout')) return this.logout(req.query ?? form);
    return this.redeem(form, req, issuer);
  }

  // ---- authorize ---------------------------------------------------------------------------

  private async authorize(q: URLSearchParams, req: OAuthRequest): Promise<SimResponse> {
    if (req.method !== 'GET' && req.method !== 'POST')
      return errorPage(405, 900561, `The endpoint only accepts GET, POST requests. Received a ${req.method} request.`);
    // Until the client and redirect URI are known to be genuine, Entra shows errors on its own
    // page instead of redirecting (a redirect to an unchecked URI would be an open redirector).
    const clientId = q.get('client_id');
    if (!clientId) return errorPage(400, 900144, "The request body must contain the following parameter: 'client_id'.");
    const sp = this.state.servicePrincipalByAppId(clientId);
    if (!sp) return refusalPage(unknownApp(clientId, this.state));
    if (!sp.accountEnabled) return errorPage(400, 7000112, `Application '${clientId}'(${sp.displayName}) is disabled.`);
    const redirectUri = q.get('redirect_uri');
    if (!redirectUri) return errorPage(400, 900144, "The request body must contain the following parameter: 'redirect_uri'.");
    const app = this.state.applicationByAppId(clientId);
    if (!app?.web.redirectUris.includes(redirectUri)) {
      return errorPage(
        400,
        50011,
        `The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${clientId}'. ` +
          `Make sure the redirect URI sent in the request matches one added to your application in the Azure portal.`,
      );
    }

    const mode = q.get('response_mode') ?? 'query';
    const back = (params: Record<string, string | undefined>): SimResponse =>
      redirectBack(redirectUri, mode, { ...params, state: q.get('state') ?? undefined });
    const responseType = q.get('response_type') ?? '';
    if (responseType !== 'code') {
      // Only the authorization-code flow is simulated; the implicit and hybrid flows need settings nobody here uses.
      return back({
        error: 'unsupported_response_type',
        error_description: `AADSTS700054: response_type '${responseType}' is not enabled for the application.`,
      });
    }
    const challengeMethod = q.get('code_challenge_method') ?? undefined;
    if (q.get('code_challenge') && challengeMethod !== undefined && challengeMethod !== 'S256' && challengeMethod !== 'plain') {
      return back({ error: 'invalid_request', error_description: `AADSTS501491: Invalid code_challenge_method '${challengeMethod}'.` });
    }

    const hint = q.get('login_hint');
    let session = this.session;
    if (hint) {
      const u = this.state.findUser(hint);
      if (!u) return refusalPage(unknownUser(hint, this.state));
      session = session?.userId === u.id ? session : this.newSession(u.id, {});
    }
    if (!session) {
      if (q.get('prompt') === 'none') {
        return back({
          error: 'login_required',
          error_description: 'AADSTS50058: A silent sign-in request was sent but no user is signed in.',
        });
      }
      return errorPage(
        400,
        50058,
        'No user is signed in to the simulated tenant, and its sign-in page is not simulated: call sim.oidc.signInAs(user) or send login_hint.',
      );
    }
    const user = this.state.users.get(session.userId);
    if (!user) return refusalPage(unknownUser(session.userId, this.state));
    const refusal = this.refusal(user, sp);
    if (refusal) return refusalPage(refusal);

    const code = randomBytes(48).toString('base64url');
    this.codes.set(code, {
      clientId: sp.appId,
      redirectUri,
      scopes: scopesOf(q.get('scope')),
      nonce: q.get('nonce') ?? undefined,
      codeChallenge: q.get('code_challenge') ?? undefined,
      codeChallengeMethod: q.get('code_challenge') ? (challengeMethod ?? 'plain') : undefined,
      session,
      expiresAt: this.state.clock.nowMs() + CODE_LIFETIME_MS,
      redeemed: false,
    });
    this.session = session;
    return back({ code, session_state: session.sid });
  }

  /** Entra refuses disabled users and, when the app requires assignment, users without one. */
  private refusal(user: SeedUser, sp: SeedServicePrincipal): SignInRefusal | undefined {
    if (!user.accountEnabled) {
      return { aadsts: 50057, message: 'The user account is disabled. The account has been disabled by an administrator.' };
    }
    if (sp.appRoleAssignmentRequired && assignmentsOf(this.state, user, sp).length === 0) {
      return {
        aadsts: 50105,
        message:
          `Your administrator has configured the application ${sp.displayName} ('${sp.appId}') to block users unless they are ` +
          `specifically granted ('assigned') access to the application. ` +
          `The signed in user '${user.userPrincipalName}' is blocked because they are not a direct member of a group with access, ` +
          `nor had access directly assigned by an administrator. ` +
          `Please contact your administrator to assign access to this application.`,
      };
    }
    return undefined;
  }

  private newSession(userId: string, opts: SignInOptions): Session {
    return { userId, amr: opts.amr ?? ['pwd'], acrs: opts.acrs ?? [], authTime: Math.floor(Date.now() / 1000), sid: newGuid() };
  }

  // ---- token -------------------------------------------------------------------------------

  private async redeem(form: URLSearchParams, req: OAuthRequest, issuer: string): Promise<SimResponse> {
    const { clientId, secret } = clientCredentials(form, req);
    if (!clientId) return oauthError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_id'.");
    const codeText = form.get('code');
    if (!codeText) return oauthError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'code'.");

    // A confidential client (one with a registered secret) must authenticate; a public client
    // proves possession of the code with PKCE instead.
    const client = this.state.clients.get(clientId);
    if (client) {
      const refused = refuseClientSecret(clientId, secret, client.clientSecret);
      if (refused) return refused;
    }

    const pending = this.codes.get(codeText);
    if (!pending) return oauthError(400, 'invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.');
    if (pending.redeemed) {
      return oauthError(
        400,
        'invalid_grant',
        54005,
        'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
      );
    }
    if (this.state.clock.nowMs() >= pending.expiresAt) {
      this.codes.delete(codeText);
      return oauthError(
        400,
        'invalid_grant',
        70008,
        'The provided authorization code or refresh token has expired due to inactivity. ' +
          'Send a new interactive authorization request for this user and resource.',
      );
    }
    if (pending.clientId.toLowerCase() !== clientId.toLowerCase()) {
      // Code and wording for a code redeemed by another client are not on the reference page (ASSUMPTIONS.md).
      return oauthError(400, 'invalid_grant', 70000, 'The provided authorization code was issued to another client.');
    }
    const redirectUri = form.get('redirect_uri') ?? '';
    if (redirectUri !== pending.redirectUri) {
      return oauthError(
        400,
        'invalid_grant',
        500112,
        `The reply address '${redirectUri}' does not match the reply address '${pending.redirectUri}' provided when requesting Authorization code.`,
      );
    }
    if (pending.codeChallenge !== undefined) {
      const verifier = form.get('code_verifier') ?? '';
      const expected = pending.codeChallengeMethod === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
      if (!verifier || expected !== pending.codeChallenge) {
        return oauthError(
          400,
          'invalid_grant',
          501481,
          'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
        );
      }
    } else if (!client) {
      return oauthError(
        401,
        'invalid_client',
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      );
    }
    pending.redeemed = true;

    // Claims are computed now, at redemption, from the live state: this is "the moment of sign-in".
    const user = this.state.users.get(pending.session.userId);
    const sp = this.state.servicePrincipalByAppId(pending.clientId);
    if (!user || !sp) return oauthError(400, 'invalid_grant', 50034, 'The user or application no longer exists in the directory.');
    const refusal = this.refusal(user, sp);
    if (refusal) return oauthError(400, 'invalid_grant', refusal.aadsts, refusal.message);

    const graphScopes = grantedGraphScopes(this.state, sp, user, pending.scopes);
    const accessToken = await issueAccessToken(this.tokens, this.state, req.origin, {
      scp: [...pending.scopes.filter((s) => OIDC_SCOPES.has(s) && s !== 'offline_access'), ...graphScopes].join(' '),
      oid: user.id,
      appid: sp.appId,
      aud: GRAPH_RESOURCE,
      amr: pending.session.amr,
      acrs: pending.session.acrs.length ? pending.session.acrs : undefined,
      expiresInSec: TOKEN_LIFETIME_SEC,
    });
    const body: Record<string, unknown> = {
      token_type: 'Bearer',
      scope: [...pending.scopes.filter((s) => OIDC_SCOPES.has(s)), ...graphScopes.map((s) => `${GRAPH_RESOURCE}/${s}`)].join(' '),
      expires_in: TOKEN_LIFETIME_SEC,
      ext_expires_in: TOKEN_LIFETIME_SEC,
      access_token: accessToken,
    };
    if (pending.scopes.includes('openid')) {
      const claims = buildClaims(this.state, user, sp, issuer, pending.scopes);
      if (pending.nonce !== undefined) claims.nonce = pending.nonce;
      claims.sid = pending.session.sid;
      body.id_token = await signIdToken(await this.signingKey(), claims, pending.session.authTime);
    }
    return { status: 200, headers: { 'Cache-Control': 'no-store, no-cache', Pragma: 'no-cache' }, body };
  }

  private signingKey(): Promise<SigningKey> {
    this.key ??= newSigningKey();
    return this.key;
  }

  // ---- logout ------------------------------------------------------------------------------

  private logout(q: URLSearchParams): SimResponse {
    this.session = undefined;
    const target = q.get('post_logout_redirect_uri');
    if (target) return { status: 302, headers: { Location: target } };
    return { status: 200, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: 'You have signed out of your account.' };
  }
}
