import { createHash, randomBytes } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import type { SeedGroup, SeedServicePrincipal, SeedUser } from './seed.js';
import type { TenantState } from './state.js';

/**
 * What the simulated OIDC provider (oidc.ts) puts in its tokens: the ID-token claims of a user
 * signing in to an app (roles and groups as the app registration asks for them) and the Graph
 * scopes of the access token, read from the live tenant state.
 */

export const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);
export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
export const TOKEN_LIFETIME_SEC = 3599;
/**
 * Learn "Access token claims reference" (access-token-claims-reference), groups overage: above 200
 * groups a JWT carries `_claim_names`/`_claim_sources` instead of the groups claim.
 */
const JWT_GROUP_LIMIT = 200;

/** The claims an ID token carries for a user signing in to an app (without the JWT timing claims). */
export interface IdTokenClaims extends Record<string, unknown> {
  aud: string;
  iss: string;
  sub: string;
  oid: string;
  tid: string;
  preferred_username?: string;
  email?: string;
  name?: string;
  given_name?: string;
  family_name?: string;
  nonce?: string;
  groups?: string[];
  roles?: string[];
}

/**
 * Graph scopes of the access token: the admin-consented ones (Entra puts every consented
 * scope of the resource in the token) plus any explicitly requested, or `User.Read` when the
 * request asked only for OpenID scopes (ASSUMPTIONS.md, Sign-in and tokens: OpenID-only requests).
 */
export function grantedGraphScopes(state: TenantState, sp: SeedServicePrincipal, user: SeedUser, requested: string[]): string[] {
  const graphSp = state.servicePrincipalByAppId('00000003-0000-0000-c000-000000000000');
  const consented = state.oauth2PermissionGrants
    .filter((g) => g.clientId === sp.id && g.resourceId === graphSp?.id && (g.consentType === 'AllPrincipals' || g.principalId === user.id))
    .flatMap((g) => g.scope.split(' '))
    .filter((s) => s && !OIDC_SCOPES.has(s));
  const asked = requested
    .filter((s) => !OIDC_SCOPES.has(s))
    .map((s) => (s.startsWith(`${GRAPH_RESOURCE}/`) ? s.slice(GRAPH_RESOURCE.length + 1) : s))
    .filter((s) => s !== '.default' && !s.includes('/'));
  const out = [...new Set([...consented, ...asked])];
  return out.length ? out : ['User.Read'];
}

/** App role assignments reaching the user: direct ones, and those of groups the user is a direct member of now. */
export function assignmentsOf(state: TenantState, user: SeedUser, sp: SeedServicePrincipal) {
  // Entra does not pass app role assignments down nested groups, so group assignments count
  // only for direct members — which includes members through an active PIM assignment.
  return [...state.appRoleAssignments.values()].filter((a) => {
    if (a.resourceId.toLowerCase() !== sp.id.toLowerCase()) return false;
    if (a.principalId.toLowerCase() === user.id.toLowerCase()) return true;
    return state.groups.has(a.principalId) && state.isMember(a.principalId, user.id);
  });
}

/** The ID-token claims of `user` signing in to the app of `sp` (issuer and scopes as requested). */
export function buildClaims(state: TenantState, user: SeedUser, sp: SeedServicePrincipal, issuer: string, scopes: string[]): IdTokenClaims {
  const claims: IdTokenClaims = {
    aud: sp.appId,
    iss: issuer,
    // Entra's `sub` is pairwise: the same user has a different subject in every app.
    sub: createHash('sha256').update(`${state.tenantId}:${sp.appId}:${user.id}`).digest('base64url').slice(0, 43),
    oid: user.id,
    tid: state.tenantId,
    ver: '2.0',
    aio: randomBytes(24).toString('base64url'),
    uti: randomBytes(16).toString('base64url'),
    rh: `0.${randomBytes(24).toString('base64url')}.`,
  };
  if (scopes.includes('profile')) {
    claims.name = user.displayName;
    claims.preferred_username = user.userPrincipalName;
  }
  // Entra sends email only with the email scope and only when the user has one.
  if (scopes.includes('email') && user.mail) claims.email = user.mail;
  // given_name and family_name are optional claims in Entra; a Keycloak setup for Entra adds
  // them so that first-broker-login finds the profile complete, and the sim always sends them.
  if (user.givenName) claims.given_name = user.givenName;
  if (user.surname) claims.family_name = user.surname;

  const roles = rolesOf(state, user, sp);
  if (roles.length) claims.roles = roles;
  const groups = groupsClaim(state, user, sp);
  // Learn "Configure optional claims" (optional-claims), groups optional claims: with
  // emit_as_roles the group values go to the role claim and assigned app roles are left out.
  if (groups.asRoles) delete claims.roles;
  Object.assign(claims, groups.claims);
  return claims;
}

/** Role values (not ids) of the app roles assigned to the user directly or through a group. */
export function rolesOf(state: TenantState, user: SeedUser, sp: SeedServicePrincipal): string[] {
  const ids = new Set(assignmentsOf(state, user, sp).map((a) => a.appRoleId.toLowerCase()));
  const values = sp.appRoles.filter((r) => ids.has(r.id.toLowerCase()) && r.isEnabled && r.value).map((r) => r.value as string);
  return [...new Set(values)];
}

/**
 * The `groups` claim as `groupMembershipClaims` asks for it: nothing for None/DirectoryRole,
 * every group for All, security groups for SecurityGroup, and for ApplicationGroup only the
 * groups assigned to the app. Memberships are transitive and include active PIM assignments.
 * With the `cloud_displayname` optional claim, ApplicationGroup emits the display names of
 * cloud-only groups instead of their ids, as Entra does — which a mapper on the object id
 * then never matches. With a sAMAccountName format (sam_account_name, dns_domain_… or
 * netbios_domain_…) cloud-only groups, which have no such attribute, are left out, and
 * emit_as_roles puts the values in `roles` instead of `groups` (Learn "Configure group claims
 * for applications by using Microsoft Entra ID" (how-to-connect-fed-group-claims)).
 */
export function groupsClaim(
  state: TenantState,
  user: SeedUser,
  sp: SeedServicePrincipal,
): { claims: Record<string, unknown>; asRoles: boolean } {
  const app = state.applicationByAppId(sp.appId);
  const props = app?.optionalClaims?.idToken.find((c) => c.name === 'groups')?.additionalProperties ?? [];
  const claims = groupValues(state, user, sp, props);
  // Without a groups claim (None, DirectoryRole) emit_as_roles has nothing to move (unconfirmed).
  if (!claims) return { claims: {}, asRoles: false };
  if (!props.includes('emit_as_roles')) return { claims, asRoles: false };
  return { claims: Array.isArray(claims.groups) ? { roles: claims.groups } : claims, asRoles: true };
}

/** The groups claim, or undefined when groupMembershipClaims asks for none. */
export function groupValues(
  state: TenantState,
  user: SeedUser,
  sp: SeedServicePrincipal,
  props: string[],
): Record<string, unknown> | undefined {
  const app = state.applicationByAppId(sp.appId);
  const kinds = (app?.groupMembershipClaims ?? 'None').split(',').map((s) => s.trim().toLowerCase());
  const all = state.transitiveGroupsOf(user.id);
  let groups: SeedGroup[];
  let applicationGroups = false;
  if (kinds.includes('all')) groups = all;
  else if (kinds.includes('securitygroup')) groups = all.filter((g) => g.securityEnabled);
  else if (kinds.includes('applicationgroup')) {
    // Whether nested memberships count for "groups assigned to the application": ASSUMPTIONS.md (Groups claim).
    const assigned = new Set(
      [...state.appRoleAssignments.values()]
        .filter((a) => a.resourceId.toLowerCase() === sp.id.toLowerCase())
        .map((a) => a.principalId.toLowerCase()),
    );
    groups = all.filter((g) => assigned.has(g.id.toLowerCase()));
    applicationGroups = true;
  } else return undefined;
  if (groups.length > JWT_GROUP_LIMIT) {
    return {
      _claim_names: { groups: 'src1' },
      _claim_sources: { src1: { endpoint: `${GRAPH_RESOURCE}/v1.0/users/${user.id}/getMemberObjects` } },
    };
  }
  const names = applicationGroups && props.includes('cloud_displayname');
  const onPremisesNames = props.some((p) =>
    ['sam_account_name', 'dns_domain_and_sam_account_name', 'netbios_domain_and_sam_account_name'].includes(p),
  );
  // The seed holds no on-premises names, so with such a format every group is left out but
  // the display names cloud_displayname adds for cloud-only groups.
  const values = groups.flatMap((g) => {
    const cloudOnly = g.onPremisesSyncEnabled !== true;
    if (names && cloudOnly) return [g.displayName];
    return onPremisesNames ? [] : [g.id];
  });
  // No groups: the claim is left out rather than sent empty (ASSUMPTIONS.md, Groups claim).
  if (values.length === 0) return {};
  return { groups: values };
}

/** ID tokens are signed with their own key (Entra's JWKS lists several); created on first use. */
export interface SigningKey {
  privateKey: CryptoKey;
  jwk: JWK;
  kid: string;
}

/** A new ID-token signing key (RS256) with its public JWK. */
export async function newSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomBytes(20).toString('base64url');
  const jwk = { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'RS256', kty: 'RSA' };
  return { privateKey, jwk, kid };
}

/** Signs the claims of an ID token with `key`. */
export async function signIdToken(key: SigningKey, claims: IdTokenClaims, authTime: number): Promise<string> {
  // Timing claims use the real clock, not the sim clock: the relying party (Keycloak) checks
  // them against its own clock, which a test cannot move. The sim clock decides memberships only.
  const iat = Math.floor(Date.now() / 1000);
  return new SignJWT({ ...claims, auth_time: authTime })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid })
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(iat + TOKEN_LIFETIME_SEC)
    .sign(key.privateKey);
}
