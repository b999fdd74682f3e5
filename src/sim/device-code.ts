import { randomBytes } from 'node:crypto';
import { issueAccessToken } from './auth.js';
import { guidFromName } from './ids.js';
import { oauthError } from './oauth.js';
import type { SimResponse } from './router.js';
import type { SeedServicePrincipal, SeedUser } from './seed.js';
import type { TenantState } from './state.js';
import type { TokenService } from './tokens.js';

/**
 * Public-client sign-in of the simulated tenant: the device authorization grant and the
 * refresh-token grant that MSAL uses for silent (incremental) requests.
 *
 * Learn "Microsoft identity platform and the OAuth 2.0 device authorization grant flow"
 * (entra/identity-platform/v2-oauth2-device-code): `POST /{tenant}/oauth2/v2.0/devicecode` with
 * client_id and scope answers device_code, user_code, verification_uri, expires_in (default
 * 900), interval (default 5) and message; the client polls the token endpoint with the
 * device code and gets `authorization_pending` until the user has signed in, then tokens;
 * `authorization_declined`, `bad_verification_code` and `expired_token` end the polling.
 *
 * AADSTS numbers are those of Learn "reference-error-codes" (70016 AuthorizationPending, 70019
 * CodeExpired, 900144, 9002313, 50034, 50057, 65001/65002/65004, 90094); where the page names none
 * for a case: ASSUMPTIONS.md (Sign-in and tokens: device code grant).
 *
 * There is no sign-in page: a test reads the user code the client prints and calls
 * `sim.oidc.deviceCodes.approve(userCode, user, …)`, which stands for the user entering the
 * code, signing in and (optionally) consenting.
 */

const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
const GRAPH_RESOURCE = 'https://graph.microsoft.com';
const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);
const TOKEN_LIFETIME_SEC = 3599;
const DEVICE_CODE_LIFETIME_SEC = 900;
const VERIFICATION_URI = 'https://microsoft.com/devicelogin';

/** Microsoft's "Microsoft Graph Command Line Tools" public client (used by Graph PowerShell). */
export const GRAPH_CLI_CLIENT_ID = '14d82eec-204b-4c2f-b7e8-296a70dab67e';
/** The Azure CLI's first-party public client. */
export const AZURE_CLI_CLIENT_ID = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';

/**
 * The Graph scopes of an Azure CLI token (`.default`): preauthorized for the first-party app,
 * fixed, and without any PIM-for-Groups or RoleManagementPolicy scope (Azure/azure-cli
 * GitHub issue 30149). The exact list is an assumption (ASSUMPTIONS.md).
 */
export const AZURE_CLI_GRAPH_SCOPES = [
  'Application.ReadWrite.All',
  'AppRoleAssignment.ReadWrite.All',
  'AuditLog.Read.All',
  'DelegatedPermissionGrant.ReadWrite.All',
  'Directory.AccessAsUser.All',
  'Group.ReadWrite.All',
  'User.Read.All',
  'User.ReadWrite.All',
] as const;

/** Microsoft's multi-tenant public clients, usable in every tenant without an app registration there. */
const MICROSOFT_CLIENTS: Record<string, { displayName: string; fixedGraphScopes?: readonly string[] }> = {
  [GRAPH_CLI_CLIENT_ID]: { displayName: 'Microsoft Graph Command Line Tools' },
  [AZURE_CLI_CLIENT_ID]: { displayName: 'Microsoft Azure CLI', fixedGraphScopes: AZURE_CLI_GRAPH_SCOPES },
};

/** Scopes a user may consent to alone (assumption: the sim treats every other Graph scope as admin-consent-only). */
const USER_CONSENTABLE = new Set(['User.Read']);

/** Directory roles that may grant tenant-wide consent to delegated Graph permissions (Learn "Grant tenant-wide admin consent to an application"). */
const CONSENT_ROLES = new Set([
  '62e90394-69f5-4237-9190-012177145e10', // Global Administrator
  'e8611ab8-c189-46e8-94e1-60213ab1f814', // Privileged Role Administrator
  '158c047a-c907-4556-b7ef-446551a6b5f7', // Cloud Application Administrator
  '9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3', // Application Administrator
]);

interface Authentication {
  userId: string;
  amr: string[];
  acrs: string[];
}

interface PendingDeviceCode {
  userCode: string;
  clientId: string;
  scopes: string[];
  /** The Graph scope names asked for (resource prefix removed). */
  graphScopes: string[];
  /** Sim-clock expiry, epoch ms. */
  expiresAt: number;
  state: 'pending' | 'approved' | 'declined' | 'redeemed';
  auth?: Authentication;
}

/** How the test's user completes the device sign-in. */
export interface DeviceApproval {
  /** Authentication methods (default `["pwd"]`; add `"mfa"`). */
  amr?: string[];
  acrs?: string[];
  /**
   * The consent prompt: `none` (default) accepts nothing new, `user` consents for the user
   * alone, `admin` ticks "Consent on behalf of your organization" (needs an admin role).
   */
  consent?: 'none' | 'user' | 'admin';
}

/** The outcome of an approval: the refusal's AADSTS code when the user could not complete it. */
export type ApprovalResult = { ok: true } | { ok: false; aadsts: number; message: string };

/** One token the grants issued: what a test asserts on (client, user, scopes asked for and given). */
export interface IssuedDelegatedToken {
  grant: 'device_code' | 'refresh_token';
  clientId: string;
  userId: string;
  requested: string[];
  scp: string[];
}

function scopesOf(text: string | null): string[] {
  return [...new Set((text ?? '').split(/\s+/).filter(Boolean))];
}

/** Graph scope names of a request (`https://graph.microsoft.com/X` and bare `X`), `.default` kept as is. */
function graphScopeNames(scopes: string[], origin: string): string[] {
  return scopes
    .filter((s) => !OIDC_SCOPES.has(s))
    .map((s) => {
      for (const prefix of [`${GRAPH_RESOURCE}/`, `${origin}/`, `${GRAPH_APP_ID}/`])
        if (s.startsWith(prefix)) return s.slice(prefix.length);
      return s;
    });
}

/** Device codes and refresh tokens of one simulated tenant; reached by tests as `sim.oidc.deviceCodes`. */
export class PublicClientGrants {
  /** Seconds the client waits between polls; Entra's default is 5, a test may lower it. */
  interval = 5;
  private readonly pending = new Map<string, PendingDeviceCode>();
  private readonly refreshTokens = new Map<string, { clientId: string; auth: Authentication }>();
  /** Every delegated token issued by these grants, in order. */
  readonly issued: IssuedDelegatedToken[] = [];

  constructor(
    private readonly state: TenantState,
    private readonly tokens: TokenService,
    private readonly idToken: (user: SeedUser, clientId: string, issuer: string, scopes: string[], auth: Authentication) => Promise<string>,
  ) {}

  /** The user codes waiting for approval (newest last). */
  get pendingUserCodes(): string[] {
    return [...this.pending.values()].filter((p) => p.state === 'pending').map((p) => p.userCode);
  }

  /**
   * The user enters `userCode`, signs in as `user` and answers the consent prompt. Scopes not
   * yet consented need `consent`: `user` for user-consentable ones, `admin` (an admin role) for
   * the rest; otherwise the sign-in is declined and the client's next poll says so.
   */
  approve(userCode: string, user: string, opts: DeviceApproval = {}): ApprovalResult {
    const entry = [...this.pending.values()].find((p) => p.userCode === userCode.trim().toUpperCase() && p.state === 'pending');
    if (!entry) throw new Error(`approve: no pending device code ${userCode}`);
    const u = this.state.findUser(user);
    if (!u) throw new Error(`approve: no user ${user} in the simulated tenant`);
    if (!u.accountEnabled)
      return this.decline(entry, 50057, 'The user account is disabled. The account has been disabled by an administrator.');
    const missing = this.unconsented(entry.clientId, u, entry.graphScopes);
    if (missing.kind === 'preauthorization') return this.decline(entry, 65002, missing.message);
    if (missing.scopes.length) {
      const consent = opts.consent ?? 'none';
      const admin = this.state.directoryRolesOf(u.id).some((r) => CONSENT_ROLES.has(r.roleTemplateId));
      if (consent === 'admin' && admin) this.grantConsent(entry.clientId, missing.scopes, null);
      else if (consent !== 'none' && missing.scopes.every((s) => USER_CONSENTABLE.has(s)))
        this.grantConsent(entry.clientId, missing.scopes, u.id);
      else if (consent === 'none') return this.decline(entry, 65004, 'User declined to consent to access the app.');
      else {
        return this.decline(
          entry,
          90094,
          `Admin consent is required for the permissions ${missing.scopes.join(', ')} requested by the application ` +
            `${MICROSOFT_CLIENTS[entry.clientId]?.displayName ?? entry.clientId}.`,
        );
      }
    }
    entry.state = 'approved';
    entry.auth = { userId: u.id, amr: opts.amr ?? ['pwd'], acrs: opts.acrs ?? [] };
    return { ok: true };
  }

  /**
   * An admin's tenant-wide consent (or, with `principalId`, one user's) for a client to Graph
   * scopes: an oauth2PermissionGrant, as the consent prompt or the portal's "Grant admin
   * consent" creates. Creates the client's service principal in the tenant when it is missing,
   * as the first consent to a multi-tenant app does.
   */
  grantConsent(clientId: string, scopes: readonly string[], principalId: string | null = null): void {
    const sp = this.servicePrincipal(clientId, true)!;
    const graphSp = this.state.servicePrincipalByAppId(GRAPH_APP_ID);
    if (!graphSp) throw new Error('grantConsent: the tenant has no Microsoft Graph service principal');
    const consentType = principalId ? 'Principal' : 'AllPrincipals';
    let grant = this.state.oauth2PermissionGrants.find(
      (g) => g.clientId === sp.id && g.resourceId === graphSp.id && g.consentType === consentType && g.principalId === principalId,
    );
    if (!grant) {
      grant = { id: randomBytes(24).toString('base64url'), clientId: sp.id, consentType, principalId, resourceId: graphSp.id, scope: '' };
      this.state.oauth2PermissionGrants.push(grant);
    }
    grant.scope = [...new Set([...grant.scope.split(' ').filter(Boolean), ...scopes])].join(' ');
  }

  /** `POST /{tenant}/oauth2/v2.0/devicecode`. */
  deviceAuthorization(form: URLSearchParams, origin: string): SimResponse {
    const clientId = form.get('client_id');
    if (!clientId) return oauthError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_id'.");
    if (!this.servicePrincipal(clientId, false) && !MICROSOFT_CLIENTS[clientId.toLowerCase()]) return unknownApp(clientId, this.state);
    const scopes = scopesOf(form.get('scope'));
    if (scopes.length === 0)
      return oauthError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'scope'.");
    const deviceCode = randomBytes(48).toString('base64url');
    // Entra's user codes are short upper-case codes the user types (the sim: 9 letters and digits).
    const userCode = randomBytes(9)
      .toString('base64url')
      .replace(/[^A-Za-z0-9]/g, 'X')
      .slice(0, 9)
      .toUpperCase();
    this.pending.set(deviceCode, {
      userCode,
      clientId: clientId.toLowerCase(),
      scopes,
      graphScopes: graphScopeNames(scopes, origin),
      expiresAt: this.state.clock.nowMs() + DEVICE_CODE_LIFETIME_SEC * 1000,
      state: 'pending',
    });
    return {
      status: 200,
      headers: { 'Cache-Control': 'no-store, no-cache', Pragma: 'no-cache' },
      body: {
        user_code: userCode,
        device_code: deviceCode,
        verification_uri: VERIFICATION_URI,
        expires_in: DEVICE_CODE_LIFETIME_SEC,
        interval: this.interval,
        message: `To sign in, use a web browser to open the page ${VERIFICATION_URI} and enter the code ${userCode} to authenticate.`,
      },
    };
  }

  /** The token endpoint for the device-code and refresh-token grants; undefined for other grants. */
  async token(form: URLSearchParams, origin: string, issuer: string): Promise<SimResponse | undefined> {
    const grantType = form.get('grant_type');
    // Learn documents the URN; MSAL sends the short form `device_code`, which Entra accepts.
    if (grantType === 'urn:ietf:params:oauth:grant-type:device_code' || grantType === 'device_code')
      return this.redeemDeviceCode(form, origin, issuer);
    if (grantType === 'refresh_token') return this.redeemRefreshToken(form, origin, issuer);
    return undefined;
  }

  private async redeemDeviceCode(form: URLSearchParams, origin: string, issuer: string): Promise<SimResponse> {
    const code = form.get('device_code');
    if (!code) return oauthError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'device_code'.");
    const entry = this.pending.get(code);
    if (!entry || entry.state === 'redeemed' || entry.clientId !== (form.get('client_id') ?? '').toLowerCase()) {
      return oauthError(400, 'bad_verification_code', 70000, 'The provided device code was not recognized.');
    }
    if (this.state.clock.nowMs() >= entry.expiresAt) return oauthError(400, 'expired_token', 70019, 'Verification code expired.');
    if (entry.state === 'declined') return oauthError(400, 'authorization_declined', 70000, 'The user declined the authorization request.');
    if (entry.state === 'pending')
      return oauthError(400, 'authorization_pending', 70016, 'OAuth 2.0 device flow error. Authorization is pending. Continue polling.');
    entry.state = 'redeemed';
    return this.issue('device_code', entry.clientId, entry.auth!, entry.scopes, origin, issuer);
  }

  private async redeemRefreshToken(form: URLSearchParams, origin: string, issuer: string): Promise<SimResponse> {
    const rt = form.get('refresh_token');
    const held = rt ? this.refreshTokens.get(rt) : undefined;
    const clientId = (form.get('client_id') ?? '').toLowerCase();
    if (!held || held.clientId !== clientId)
      return oauthError(400, 'invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.');
    const user = this.state.users.get(held.auth.userId);
    if (!user) return oauthError(400, 'invalid_grant', 50034, 'The user account does not exist in the directory.');
    const scopes = scopesOf(form.get('scope'));
    const missing = this.unconsented(clientId, user, graphScopeNames(scopes, origin));
    if (missing.kind === 'preauthorization') return oauthError(400, 'invalid_grant', 65002, missing.message);
    if (missing.scopes.length) {
      // Learn "reference-error-codes": 65001 DelegationDoesNotExist; MSAL reads suberror
      // consent_required as "interaction required" and starts the interactive flow again.
      const r = oauthError(
        400,
        'invalid_grant',
        65001,
        `The user or administrator has not consented to use the application with ID '${clientId}' named ` +
          `'${MICROSOFT_CLIENTS[clientId]?.displayName ?? clientId}'. ` +
          `Send an interactive authorization request for this user and resource.`,
      );
      (r.body as Record<string, unknown>).suberror = 'consent_required';
      return r;
    }
    this.refreshTokens.delete(rt!);
    return this.issue('refresh_token', clientId, held.auth, scopes, origin, issuer);
  }

  private async issue(
    grant: IssuedDelegatedToken['grant'],
    clientId: string,
    auth: Authentication,
    scopes: string[],
    origin: string,
    issuer: string,
  ): Promise<SimResponse> {
    const user = this.state.users.get(auth.userId)!;
    const names = graphScopeNames(scopes, origin);
    const scp = this.tokenScopes(clientId, user, names);
    const accessToken = await issueAccessToken(this.tokens, this.state, origin, {
      scp: scp.join(' '),
      oid: user.id,
      appid: clientId,
      aud: GRAPH_RESOURCE,
      amr: auth.amr,
      acrs: auth.acrs.length ? auth.acrs : undefined,
      expiresInSec: TOKEN_LIFETIME_SEC,
    });
    this.issued.push({ grant, clientId, userId: user.id, requested: names, scp });
    const body: Record<string, unknown> = {
      token_type: 'Bearer',
      scope: [...scp.map((s) => `${GRAPH_RESOURCE}/${s}`), ...scopes.filter((s) => OIDC_SCOPES.has(s))].join(' '),
      expires_in: TOKEN_LIFETIME_SEC,
      ext_expires_in: TOKEN_LIFETIME_SEC,
      access_token: accessToken,
      // MSAL asks for client_info (uid.utid names the account in its cache).
      client_info: Buffer.from(JSON.stringify({ uid: user.id, utid: this.state.tenantId })).toString('base64url'),
    };
    if (scopes.includes('offline_access')) {
      const refresh = randomBytes(48).toString('base64url');
      this.refreshTokens.set(refresh, { clientId, auth });
      body.refresh_token = refresh;
    }
    if (scopes.includes('openid')) body.id_token = await this.idToken(user, clientId, issuer, scopes, auth);
    return { status: 200, headers: { 'Cache-Control': 'no-store, no-cache', Pragma: 'no-cache' }, body };
  }

  /**
   * The token's `scp`: for the Azure CLI its fixed set; for other clients every Graph scope
   * consented for this user (tenant-wide or for the user), as Entra issues them.
   */
  private tokenScopes(clientId: string, user: SeedUser, requested: string[]): string[] {
    const fixed = MICROSOFT_CLIENTS[clientId]?.fixedGraphScopes;
    if (fixed) return [...fixed];
    const consented = this.consented(clientId, user);
    return consented.length ? consented : requested.filter((s) => s !== '.default');
  }

  private consented(clientId: string, user: SeedUser): string[] {
    const sp = this.servicePrincipal(clientId, false);
    const graphSp = this.state.servicePrincipalByAppId(GRAPH_APP_ID);
    if (!sp || !graphSp) return [];
    const scopes = this.state.oauth2PermissionGrants
      .filter(
        (g) => g.clientId === sp.id && g.resourceId === graphSp.id && (g.consentType === 'AllPrincipals' || g.principalId === user.id),
      )
      .flatMap((g) => g.scope.split(' '))
      .filter((s) => s && !OIDC_SCOPES.has(s));
    return [...new Set(scopes)];
  }

  /** Requested Graph scopes not consented for this client and user (`.default` asks for nothing new). */
  private unconsented(
    clientId: string,
    user: SeedUser,
    requested: string[],
  ): { kind: 'consent'; scopes: string[] } | { kind: 'preauthorization'; message: string } {
    const explicit = requested.filter((s) => s !== '.default');
    const fixed = MICROSOFT_CLIENTS[clientId]?.fixedGraphScopes;
    if (fixed) {
      const extra = explicit.filter((s) => !fixed.includes(s));
      if (extra.length === 0) return { kind: 'consent', scopes: [] };
      // The wording Azure/azure-cli GitHub issue 30149 reports for an Azure CLI token with a PIM scope.
      return {
        kind: 'preauthorization',
        message:
          `Consent between first party application '${clientId}' and first party resource '${GRAPH_APP_ID}' must be configured via preauthorization - ` +
          `applications owned and operated by Microsoft must get approval from the API owner before requesting tokens for that API.`,
      };
    }
    const have = new Set(this.consented(clientId, user).map((s) => s.toLowerCase()));
    return { kind: 'consent', scopes: explicit.filter((s) => !have.has(s.toLowerCase())) };
  }

  private servicePrincipal(clientId: string, create: boolean): SeedServicePrincipal | undefined {
    const sp = this.state.servicePrincipalByAppId(clientId);
    if (sp || !create) return sp;
    const known = MICROSOFT_CLIENTS[clientId.toLowerCase()];
    if (!known) throw new Error(`grantConsent: no service principal for ${clientId} in the simulated tenant`);
    const created: SeedServicePrincipal = {
      id: guidFromName(`sim-microsoft-sp:${this.state.tenantId}:${clientId}`),
      appId: clientId.toLowerCase(),
      displayName: known.displayName,
      appDisplayName: known.displayName,
      appOwnerOrganizationId: 'f8cdef31-a31e-4b4a-93e4-5f571e91255a',
      accountEnabled: true,
      appRoleAssignmentRequired: false,
      preferredSingleSignOnMode: null,
      samlSingleSignOnSettings: null,
      appRoles: [],
      oauth2PermissionScopes: [],
      servicePrincipalType: 'Application',
      servicePrincipalNames: [clientId.toLowerCase()],
      tags: [],
      keyCredentials: [],
      preferredTokenSigningKeyThumbprint: null,
    };
    this.state.servicePrincipals.set(created.id, created);
    return created;
  }

  private decline(entry: PendingDeviceCode, aadsts: number, message: string): ApprovalResult {
    entry.state = 'declined';
    return { ok: false, aadsts, message };
  }
}

function unknownApp(clientId: string, state: TenantState): SimResponse {
  return oauthError(
    400,
    'unauthorized_client',
    700016,
    `Application with identifier '${clientId}' was not found in the directory '${state.displayName}'. ` +
      `This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. ` +
      `You may have sent your authentication request to the wrong tenant.`,
  );
}
