import type { RunContext } from '../context.js';
import { entraFacts, type EntraFacts } from './entra-facts.js';
import type { TenantSnapshot } from './snapshot.js';
import { KeycloakError } from '../errors.js';
import { groupScope, type AdminScope } from '../keycloak/admin-scope.js';
import { normaliseGroupPath } from '../keycloak/group-path.js';
import { activePrincipals, localCredentialFindings, residualFindings } from '../keycloak/holders.js';
import { defaultGroupFindings, indirectGrantFindings, judgeIndirectGrants } from '../keycloak/indirect-grants.js';
import { ldapGrantFindings } from '../keycloak/ldap-grants.js';
import { planMapper } from '../keycloak/mapper-plan.js';
import { expectedClaim, groupValueMissing, otherClaimValues, type MappingExpectation } from '../keycloak/mapping-expectation.js';
import { judgeOtherProvider, unknownTypeGrants } from '../keycloak/other-providers.js';
import { protocolOf, type Protocol } from '../keycloak/protocol.js';
import { checkIdentityProvider, selectIdentityProvider, untrustedEntraProvider, type EntraApp } from '../keycloak/provider.js';
import { keycloakOpOf } from '../keycloak/requests.js';
import {
  isDenied,
  readDefaultGroups,
  readHolders,
  readIdentityProviders,
  readLdapMappers,
  readProtocolMapperOwners,
  readProviderMappers,
  readRealm,
  resolveGroup,
  resolveRole,
  roleScope,
  type TargetState,
} from '../keycloak/realm-reads.js';
import { samlCertificateFindings } from '../keycloak/saml-certificate.js';
import { sessionFindings } from '../keycloak/sessions.js';
import { protocolMapperFindings } from '../keycloak/token-grants.js';
import type { KeycloakApi } from '../keycloak/keycloak-api.js';
import type { KeycloakSettings } from '../keycloak/settings.js';
import type { IdentityProvider, IdpMapper, RealmInfo } from '../keycloak/types.js';
import { DurationError, parseDuration } from '../core/duration.js';
import type { Action, Step, StepPlan } from '../plan/types.js';
import type { Finding } from '../core/findings.js';
import { finding } from '../core/findings.js';

/** What the keycloak step plans with: the run's context and the Entra facts of the snapshot. */
export type KeycloakContext = RunContext & { facts: EntraFacts };

/** PIM's default activation maximum, assumed when the policy step did not report one. */
const DEFAULT_ACTIVATION = 'PT8H';

function entraApp(ctx: KeycloakContext): EntraApp {
  const sp = ctx.facts.servicePrincipal;
  const identifiers = [...(sp?.servicePrincipalNames ?? []), ...(ctx.facts.application?.identifierUris ?? [])].filter(
    (s): s is string => typeof s === 'string',
  );
  return {
    tenantId: ctx.facts.tenantId ?? ctx.options.tenantId,
    appId: sp?.appId ?? ctx.options.appId,
    identifiers: [...new Set(identifiers)],
  };
}

function activationSeconds(ctx: KeycloakContext, findings: Finding[]): { seconds: number; text: string } {
  const text = ctx.facts.activationMax ?? DEFAULT_ACTIVATION;
  try {
    return { seconds: parseDuration(text) / 1000, text };
  } catch (err) {
    if (!(err instanceof DurationError)) throw err;
    findings.push(
      finding(
        'warning',
        'KC_ACTIVATION_UNKNOWN',
        `the activation maximum ${text} is not a duration this tool reads; sessions are compared with ${DEFAULT_ACTIVATION}`,
      ),
    );
    return { seconds: parseDuration(DEFAULT_ACTIVATION) / 1000, text: DEFAULT_ACTIVATION };
  }
}

/** The claim a mapper on a provider of `protocol` must require, with what else that claim can carry. */
function claimFor(ctx: KeycloakContext, protocol: Protocol): MappingExpectation['claim'] {
  const facts = ctx.facts;
  const groupClaim = facts.groupClaim?.[protocol];
  const claim = expectedClaim(protocol, {
    appRoleMode: Boolean(ctx.options.appRole),
    groupId: facts.group?.id,
    groupName: facts.group?.displayName,
    appRoleValue: facts.appRole?.value ?? ctx.options.appRole,
    groupClaim,
  });
  if (!claim) return undefined;
  return {
    ...claim,
    others: otherClaimValues(claim, { groupClaim, appGroups: facts.appGroups, appRoles: facts.servicePrincipal?.appRoles ?? undefined }),
  };
}

/**
 * Reads the realm's identity providers, picks the Entra one and checks it, then reads the mappers
 * (the chosen provider's, then every other's) and judges them: the PIM mapper and its repair, grants
 * through other providers, subgroups and composite roles.
 */
async function checkProvider(
  api: KeycloakApi,
  ctx: KeycloakContext,
  settings: KeycloakSettings,
  target: MappingExpectation['target'],
  targetState: TargetState,
  scope: AdminScope,
  findings: Finding[],
  actions: Action[],
): Promise<{ idp: IdentityProvider; mappers: IdpMapper[]; trustedAliases: Set<string> } | undefined> {
  const realm = settings.realm;
  const idps = await readIdentityProviders(api, realm, findings);
  if (isDenied(idps)) return undefined;
  const app = entraApp(ctx);
  const selected = selectIdentityProvider(idps, settings.idpAlias, app, realm);
  if ('finding' in selected) {
    findings.push(selected.finding);
    return undefined;
  }
  const idp = selected.idp;
  findings.push(finding('info', 'KC_IDP', `identity provider ${idp.alias} (${idp.providerId}): ${selected.how}`));
  findings.push(...checkIdentityProvider(idp, app));
  findings.push(...samlCertificateFindings(idp, ctx.facts.servicePrincipal));

  const protocol = protocolOf(idp.providerId);
  const facts = ctx.facts;
  const appRoleMode = Boolean(ctx.options.appRole);
  const providerMappers = await readProviderMappers(api, realm, idp, idps, Boolean(protocol));
  let mappers: IdpMapper[] = [];
  if (protocol) {
    mappers = providerMappers.mappers;
    const mapperTypes = providerMappers.mapperTypes;
    const groupClaim = facts.groupClaim?.[protocol];
    const claim = claimFor(ctx, protocol);
    const noValue = !claim && !appRoleMode && facts.group && groupClaim ? groupValueMissing(protocol, facts.group, groupClaim) : undefined;
    if (noValue) {
      findings.push(noValue);
    } else if (!claim) {
      findings.push(
        finding(
          'warning',
          'KC_FACTS_MISSING',
          `the ${appRoleMode ? 'app role value' : 'object id of the Entra group'} is not known (an earlier step failed), so the mapper's condition cannot be checked`,
        ),
      );
    }
    const exp: MappingExpectation = {
      protocol,
      alias: idp.alias,
      target,
      claim,
      idpSyncMode: idp.config?.syncMode,
      tenantId: app.tenantId,
    };
    const indirect = judgeIndirectGrants(idp.alias, mappers, scope, exp);
    const viaPim = indirect.filter((j) => j.finding.code === 'KC_MAPPER_INDIRECT_PIM').map((j) => j.mapper);
    const planned = planMapper({
      realm,
      exp,
      mappers,
      mapperTypes,
      targetExists: targetState.exists,
      fix: ctx.options.fixKeycloak,
      viaPim,
    });
    findings.push(...planned.findings);
    actions.push(...planned.actions);
    findings.push(...unknownTypeGrants(idp.alias, mappers, target));
    findings.push(...indirect.map((j) => j.finding));
  } else {
    findings.push(...indirectGrantFindings(idp.alias, providerMappers.mappers, scope, undefined));
  }
  const claims = { oidc: claimFor(ctx, 'oidc'), saml: claimFor(ctx, 'saml') };
  for (const { idp: other, mappers: otherMappers } of providerMappers.others) {
    findings.push(...judgeOtherProvider({ idp: other, mappers: otherMappers, target, app, claims }));
    // Only a provider that can vouch for the PIM group (Entra, this tenant, signatures checked)
    // may carry a PIM-correct mapper to a subgroup or composite; on any other, such a grant is a way in.
    const p = untrustedEntraProvider(other, app) ? undefined : protocolOf(other.providerId);
    const otherExp: MappingExpectation | undefined = p
      ? { protocol: p, alias: other.alias, target, claim: claims[p], idpSyncMode: other.config?.syncMode, tenantId: app.tenantId }
      : undefined;
    findings.push(...indirectGrantFindings(other.alias, otherMappers, scope, otherExp));
  }
  const trustedAliases = new Set(idps.filter((o) => o.alias !== idp.alias && !untrustedEntraProvider(o, app)).map((o) => o.alias));
  return { idp, mappers, trustedAliases };
}

async function checkSessions(
  api: KeycloakApi,
  ctx: KeycloakContext,
  settings: KeycloakSettings,
  realmInfo: RealmInfo,
  target: MappingExpectation['target'],
  findings: Finding[],
): Promise<void> {
  const realm = settings.realm;
  if (realmInfo.ssoSessionMaxLifespan === undefined) {
    findings.push(
      finding(
        'warning',
        'KC_MISSING_ROLE',
        `cannot check session lifetimes in realm ${realm}: ${api.principal} lacks the realm-management role view-realm, so the realm is returned without its timeouts`,
        'grant the view-realm role of realm-management to the account',
      ),
    );
    return;
  }
  const activation = activationSeconds(ctx, findings);
  findings.push(...sessionFindings(realmInfo, activation.seconds, { realm, target: target.value, activation: activation.text }));
}

/** Default groups carrying the admin rights: the target group, a subgroup of it, or a group holding the target role. */
async function checkDefaultGroups(api: KeycloakApi, realm: string, scope: AdminScope, findings: Finding[]): Promise<void> {
  if (scope.groups.size === 0) return;
  const defaults = await readDefaultGroups(api, realm, findings);
  if (!isDenied(defaults)) findings.push(...defaultGroupFindings(defaults, scope, realm));
}

/**
 * Ways to the admin rights that no identity-provider mapper governs: mappers of LDAP user
 * storage (hardcoded groups and roles, LDAP groups or roles landing on the target) and protocol
 * mappers of clients and client scopes that write the admin role or group into every token.
 * Components need view-realm (part of the audit's roles); clients and client scopes need
 * view-clients, which a group-mode audit does not require: without it the token check is
 * reported as not done (info; in role mode, where view-clients is required, a warning).
 */
async function checkOtherGrants(
  api: KeycloakApi,
  realm: string,
  scope: AdminScope,
  state: TargetState,
  findings: Finding[],
): Promise<void> {
  const ldap = await readLdapMappers(api, realm, findings);
  if (!isDenied(ldap))
    findings.push(...ldapGrantFindings(ldap.providers, ldap.mappers, scope, { targetIsClientRole: Boolean(state.role?.clientRole) }));
  const owners = await readProtocolMapperOwners(api, realm);
  if ('forbidden' in owners) {
    findings.push(
      finding(
        scope.target.kind === 'role' ? 'warning' : 'info',
        'KC_TOKEN_MAPPERS_UNCHECKED',
        `the protocol mappers of realm ${realm}'s clients and client scopes were not read (${owners.forbidden}), so a hardcoded admin role or group written into every token is not checked`,
        'grant the view-clients role of realm-management to the account to check them',
      ),
    );
    return;
  }
  findings.push(...protocolMapperFindings(owners, scope));
}

/**
 * Reads the realm and judges it against the Entra facts: the identity provider, its mappers (and
 * their repair under --fix-keycloak), sessions, default groups, other grants and the holders.
 */
export async function planKeycloak(ctx: KeycloakContext): Promise<StepPlan> {
  const settings = ctx.options.keycloak;
  if (ctx.options.skipKeycloak || !settings) {
    return {
      findings: [
        finding(
          'warning',
          'KC_SKIPPED',
          'Keycloak was not checked: nothing proves that the Entra group reaches the Keycloak admin group, or that Keycloak takes it away when the activation ends',
          'pass --keycloak-url, --keycloak-realm and Keycloak credentials to check it',
        ),
      ],
      actions: [],
    };
  }
  const api = ctx.keycloak;
  if (!api) throw new KeycloakError('the Keycloak connection was not set up before the keycloak step');
  const realm = settings.realm;
  const findings: Finding[] = [];
  const actions: Action[] = [];
  if (api.version) findings.push(finding('info', 'KC_SERVER', `Keycloak ${api.version} at ${settings.url}`));

  const realmInfo = await readRealm(api, realm, findings);
  if (isDenied(realmInfo)) return { findings, actions };
  if (!realmInfo) {
    findings.push(
      finding(
        'error',
        'KC_REALM_MISSING',
        `Keycloak at ${settings.url} has no realm ${realm}`,
        'check --keycloak-realm (realm names are case-sensitive)',
      ),
    );
    return { findings, actions };
  }

  const target: MappingExpectation['target'] = settings.role
    ? { kind: 'role', value: settings.role }
    : { kind: 'group', value: normaliseGroupPath(settings.group || '/tenant-admin') };
  const targetState =
    target.kind === 'group'
      ? await resolveGroup(api, realm, target.value, findings)
      : await resolveRole(api, realm, target.value, findings);

  const reach =
    target.kind === 'group'
      ? { scope: groupScope(target.value), holders: targetState.holders }
      : await roleScope(api, realm, realmInfo, target, targetState, findings);
  const provider = await checkProvider(api, ctx, settings, target, targetState, reach.scope, findings, actions);
  await checkSessions(api, ctx, settings, realmInfo, target, findings);
  await checkDefaultGroups(api, realm, reach.scope, findings);
  await checkOtherGrants(api, realm, reach.scope, targetState, findings);

  if (provider && reach.holders) {
    const listed = await readHolders(api, realm, reach.holders, provider.idp.alias, provider.trustedAliases, findings);
    if (!isDenied(listed)) {
      const f = ctx.facts;
      findings.push(
        ...residualFindings(listed, {
          alias: provider.idp.alias,
          protocol: protocolOf(provider.idp.providerId),
          idpConfig: provider.idp.config ?? {},
          mappers: provider.mappers,
          active: f.activeAssignments ? activePrincipals(f.activeAssignments, f.group?.id, ctx.now()) : undefined,
          eligibleByUpn: new Map((f.eligibleUsers ?? []).map((u) => [u.userPrincipalName.toLowerCase(), u.id])),
          target: target.value,
          trustedAliases: provider.trustedAliases,
        }),
        ...localCredentialFindings(listed, { alias: provider.idp.alias, target: target.value, trustedAliases: provider.trustedAliases }),
      );
    }
  }
  return { findings, actions };
}

/**
 * The `keycloak` step proves the last hop: the Entra PIM group (or app role) reaches the Keycloak
 * group that grants admin rights, through a mapper with sync mode FORCE, so Keycloak also takes
 * it away at the first Entra login after the activation ends. It also reports what outlives an
 * activation (sessions) and who holds the group without PIM. With --fix-keycloak it creates or
 * repairs the mapper; nothing else is ever changed.
 */
export const keycloakStep: Step<RunContext, TenantSnapshot> = {
  id: 'keycloak',
  title: 'Keycloak maps the PIM group to the admin group (sync mode FORCE)',
  plan: (snapshot, ctx) => planKeycloak({ ...ctx, facts: entraFacts(snapshot, ctx.options) }),
  apply: (plan, ctx) => applyKeycloak(plan, ctx),
};

/** Sends the mapper repairs of a plan (--fix-keycloak); nothing else in Keycloak is ever changed. */
export async function applyKeycloak(plan: StepPlan, ctx: RunContext): Promise<void> {
  const writes = plan.actions.filter((a) => a.target === 'keycloak' && keycloakOpOf(a) && a.kind !== 'noop');
  if (writes.length === 0) return;
  const api = ctx.keycloak;
  if (!api) throw new KeycloakError('the Keycloak connection was not set up before the keycloak step');
  for (const action of writes) {
    try {
      const res = await api.write(keycloakOpOf(action)!, action.backup);
      action.result = { ok: true, status: res.status };
    } catch (err) {
      action.result = {
        ok: false,
        status: err instanceof KeycloakError ? err.status : undefined,
        message: err instanceof Error ? err.message : String(err),
      };
      throw err;
    }
  }
}
