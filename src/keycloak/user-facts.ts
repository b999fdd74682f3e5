/**
 * One user's Keycloak side, for verify-user: the user, their links, groups and roles, and how they
 * hold the admin rights, judged with the audit's own notion of what grants them.
 */
import type { Finding } from '../core/findings.js';
import { normaliseGroupPath } from './group-path.js';
import { localCredentialFindings } from './holders.js';
import type { KeycloakApi } from './keycloak-api.js';
import { expectedClaim, type MappingExpectation } from './mapping-expectation.js';
import { protocolOf } from './protocol.js';
import { selectIdentityProvider, untrustedEntraProvider } from './provider.js';
import { adminReach, adminReachFindings } from './realm-reads.js';
import type { KeycloakSettings } from './settings.js';
import type { FederatedIdentity, IdentityProvider, KcUser } from './types.js';
import { grantingMappers, userGrants, type GrantingMapper, type UserGrant } from './user-grants.js';

/** What readKeycloak needs from Entra: the user's names, and the admin group when it is known. */
export interface EntraUser {
  user: { userPrincipalName: string; mail?: string | null };
  group?: { id: string; displayName: string };
}

/** The Keycloak facts of one user that the verdict is drawn from. */
export interface KeycloakFacts {
  url: string;
  realm: string;
  target: { kind: 'group' | 'role'; value: string };
  alias?: string;
  /** Other Entra providers of this tenant that the audit trusts (their mappers are judged like the chosen one's). */
  trustedAliases?: string[];
  /** Why the identity provider could not be chosen. */
  idpProblem?: string;
  user?: { id: string; username: string };
  links: FederatedIdentity[];
  groups: string[];
  holdsTarget: boolean;
  /** How the user holds the admin rights, as the audit counts holders (empty: not at all). */
  grants?: UserGrant[];
  /** Mappers of the chosen and trusted providers that assign the target or what carries its rights. */
  mappers: Array<Pick<GrantingMapper, 'name' | 'mode'> & Partial<GrantingMapper>>;
  /** What could not be read, so that holding nothing is not shown. */
  incomplete?: string[];
  /**
   * The audit's findings on the user's own credentials (localCredentialFindings): a password or
   * passkey signs a linked holder in without Entra, so the mapper never takes the rights away.
   */
  credentials?: Array<Pick<Finding, 'severity' | 'code' | 'message' | 'fix'>>;
}

/** Reads that leave the audit's scope incomplete: without them a user may hold the rights unseen. */
const INCOMPLETE = new Set(['KC_MISSING_ROLE', 'KC_ROLE_CLOSURE_INCOMPLETE']);

/**
 * Reads the Keycloak side of one user with the audit's own notion of what grants the admin
 * rights (adminReach: subgroups of the target, the role's composite closure, groups holding it,
 * the default role) and of which providers may grant it (the chosen one, and other Entra
 * providers of this tenant the audit trusts).
 */
export async function readKeycloak(
  api: KeycloakApi,
  s: KeycloakSettings,
  entra: EntraUser,
  app: { tenantId: string; appId?: string },
): Promise<KeycloakFacts> {
  const realm = s.realm;
  const target: KeycloakFacts['target'] = s.role
    ? { kind: 'role', value: s.role }
    : { kind: 'group', value: normaliseGroupPath(s.group || '/tenant-admin') };
  const facts: KeycloakFacts = {
    url: s.url,
    realm,
    target,
    links: [],
    groups: [],
    holdsTarget: false,
    grants: [],
    mappers: [],
    incomplete: [],
  };

  const realmInfo = await api.getRealm(realm);
  if (!realmInfo) {
    facts.incomplete!.push(`Keycloak at ${s.url} has no realm ${realm}`);
    return facts;
  }
  const reach = await adminReach(api, realm, realmInfo, target);
  facts.incomplete = adminReachFindings(reach, target, realm)
    .filter((f) => INCOMPLETE.has(f.code))
    .map((f) => f.message);

  const idps = await api.listIdentityProviders(realm);
  const selected = selectIdentityProvider(idps, s.idpAlias, app, realm);
  let idp: IdentityProvider | undefined;
  if ('finding' in selected) facts.idpProblem = selected.finding.message;
  else idp = selected.idp;
  if (idp) {
    facts.alias = idp.alias;
    // As the audit's checkProvider: a second Entra provider that can vouch for the PIM group may grant it too.
    const trusted = idps.filter((o) => o.alias !== idp.alias && !untrustedEntraProvider(o, app));
    facts.trustedAliases = trusted.map((o) => o.alias);
    for (const p of [idp, ...trusted]) {
      // The expectation the audit judges this provider's mappers against (object ids: verify-user
      // does not read the app's claim format, and a mapper on the display name is then not called
      // wrong), so that a mapper granting without the PIM group is named as the audit names it.
      const protocol = protocolOf(p.providerId);
      const claim =
        protocol && entra.group
          ? expectedClaim(protocol, { appRoleMode: false, groupId: entra.group.id, groupName: entra.group.displayName })
          : undefined;
      const exp: MappingExpectation | undefined = protocol
        ? { protocol, alias: p.alias, target, claim, idpSyncMode: p.config?.syncMode, tenantId: app.tenantId }
        : undefined;
      facts.mappers.push(...grantingMappers(p.alias, await api.listMappers(realm, p.alias), p.config?.syncMode, reach.scope, exp));
    }
  }

  // Brokered users are named after Entra's preferred_username (the UPN); some realms use the email.
  const names = [
    ...new Set([entra.user.userPrincipalName, entra.user.mail].filter((n): n is string => Boolean(n)).map((n) => n.toLowerCase())),
  ];
  let found: KcUser | undefined;
  for (const name of names) {
    const u = await api.findUserByUsername(realm, name);
    if (u) {
      found = u;
      facts.user = { id: u.id, username: u.username };
      break;
    }
  }
  if (!found || !facts.user) return facts;
  facts.links = await api.listFederatedIdentities(realm, facts.user.id);
  facts.groups = (await api.listUserGroups(realm, facts.user.id)).map((g) => normaliseGroupPath(g.path)).sort();
  const roles = target.kind === 'role' ? await api.listUserRoleMappings(realm, facts.user.id) : [];
  facts.grants = userGrants({ groups: facts.groups, roles }, reach.scope, {
    targetRoleId: reach.targetRoleId,
    defaultRole: reach.defaultRole,
  });
  facts.holdsTarget = facts.grants.length > 0;
  const trusted = new Set(facts.trustedAliases ?? []);
  if (
    facts.alias &&
    facts.holdsTarget &&
    found.enabled !== false &&
    facts.links.some((l) => l.identityProvider === facts.alias || trusted.has(l.identityProvider))
  ) {
    // Read and judged as the audit reads and judges a linked holder's credentials.
    const credentials = await api.listCredentials(realm, found.id);
    const storageCredentialTypes = found.federationLink ? await api.listUserStorageCredentialTypes(realm, found.id) : undefined;
    const holder = { user: found, links: facts.links, credentials, ...(storageCredentialTypes ? { storageCredentialTypes } : {}) };
    facts.credentials = localCredentialFindings([holder], { alias: facts.alias, target: target.value, trustedAliases: trusted }).map(
      (f) => ({
        severity: f.severity,
        code: f.code,
        message: f.message,
        ...(f.fix ? { fix: f.fix } : {}),
      }),
    );
  }
  return facts;
}
