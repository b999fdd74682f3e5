import type { RunContext, RunOptions } from '../context.js';
import { entraFacts, type EntraFacts } from './entra-facts.js';
import { valueOf, type Read, type TenantSnapshot } from './snapshot.js';
import { GraphRequestError, KeycloakError } from '../errors.js';
import type { AdminScope } from '../keycloak/admin-scope.js';
import { activePrincipals, localCredentialFindings, residualFindings } from '../keycloak/holders.js';
import { defaultGroupFindings, indirectGrantFindings, judgeIndirectGrants } from '../keycloak/indirect-grants.js';
import { ldapGrantFindings } from '../keycloak/ldap-grants.js';
import { planMapper } from '../keycloak/mapper-plan.js';
import { expectedClaim, groupValueMissing, otherClaimValues, type MappingExpectation } from '../keycloak/mapping-expectation.js';
import { judgeOtherProvider, unknownTypeGrants } from '../keycloak/other-providers.js';
import { protocolOf, type Protocol } from '../keycloak/protocol.js';
import { checkIdentityProvider, selectIdentityProvider, untrustedEntraProvider, type EntraApp } from '../keycloak/provider.js';
import { keycloakOpOf } from '../keycloak/requests.js';
import { deniedFinding, isDenied, reachFindings, targetFindings, type TargetState } from '../keycloak/realm-reads.js';
import { readRealmSnapshot, targetOf, type RealmReads, type RealmSnapshot } from '../keycloak/realm-snapshot.js';
import { samlCertificateFindings } from '../keycloak/saml-certificate.js';
import { sessionFindings } from '../keycloak/sessions.js';
import { protocolMapperFindings } from '../keycloak/token-grants.js';
import type { KeycloakSettings } from '../keycloak/settings.js';
import type { IdentityProvider, IdpMapper, RealmInfo } from '../keycloak/types.js';
import { DurationError, parseDuration } from '../core/duration.js';
import type { Action, Step, StepPlan } from '../plan/types.js';
import type { Finding } from '../core/findings.js';
import { finding } from '../core/findings.js';

/** What the keycloak step plans with: the run's context and the Entra facts of the snapshot. */
export type KeycloakContext = RunContext & { facts: EntraFacts };

/** What the keycloak step judges the realm against: the run's options, the Entra facts and the snapshot's clock. */
export interface KeycloakInput {
  options: RunOptions;
  facts: EntraFacts;
  now: Date;
}

/** PIM's default activation maximum, assumed when the policy step did not report one. */
const DEFAULT_ACTIVATION = 'PT8H';

function entraApp(ctx: Pick<KeycloakInput, 'options' | 'facts'>): EntraApp {
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

function activationSeconds(ctx: KeycloakInput, findings: Finding[]): { seconds: number; text: string } {
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
function claimFor(ctx: KeycloakInput, protocol: Protocol): MappingExpectation['claim'] {
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
 * Picks the Entra provider among the realm's identity providers and checks it, then judges the
 * mappers (the chosen provider's, then every other's): the PIM mapper and its repair, grants
 * through other providers, subgroups and composite roles.
 */
function checkProvider(
  input: KeycloakInput,
  settings: KeycloakSettings,
  reads: RealmReads,
  target: MappingExpectation['target'],
  scope: AdminScope,
  findings: Finding[],
  actions: Action[],
): { idp: IdentityProvider; mappers: IdpMapper[]; trustedAliases: Set<string> } | undefined {
  const realm = settings.realm;
  const idps = reads.idps;
  if (isDenied(idps)) {
    findings.push(deniedFinding(idps, 'error'));
    return undefined;
  }
  const app = entraApp(input);
  const selected = selectIdentityProvider(idps, settings.idpAlias, app, realm);
  if ('finding' in selected) {
    findings.push(selected.finding);
    return undefined;
  }
  const idp = selected.idp;
  findings.push(finding('info', 'KC_IDP', `identity provider ${idp.alias} (${idp.providerId}): ${selected.how}`));
  findings.push(...checkIdentityProvider(idp, app));
  findings.push(...samlCertificateFindings(idp, input.facts.servicePrincipal));

  const protocol = protocolOf(idp.providerId);
  const facts = input.facts;
  const appRoleMode = Boolean(input.options.appRole);
  const providerMappers = reads.providerMappers;
  if (!providerMappers) throw new KeycloakError(`the mappers of identity provider ${idp.alias} were not read`);
  let mappers: IdpMapper[] = [];
  if (protocol) {
    mappers = providerMappers.mappers;
    const mapperTypes = providerMappers.mapperTypes;
    const groupClaim = facts.groupClaim?.[protocol];
    const claim = claimFor(input, protocol);
    const noValue = !claim && !appRoleMode && facts.group && groupClaim ? groupValueMissing(protocol, facts.group, groupClaim) : undefined;
    if (noValue) {
      findings.push(noValue);
    } else if (!claim) {
      findings.push(
        finding(
          'warning',
          'KC_FACTS_MISSING',
          `the ${appRoleMode ? 'app role value' : 'object id of the Entra group'} is not known (an earlier step failed), so the ` +
            `mapper's condition cannot be checked`,
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
      targetExists: reads.targetState.exists,
      fix: input.options.fixKeycloak,
      viaPim,
    });
    findings.push(...planned.findings);
    actions.push(...planned.actions);
    findings.push(...unknownTypeGrants(idp.alias, mappers, target));
    findings.push(...indirect.map((j) => j.finding));
  } else {
    findings.push(...indirectGrantFindings(idp.alias, providerMappers.mappers, scope, undefined));
  }
  const claims = { oidc: claimFor(input, 'oidc'), saml: claimFor(input, 'saml') };
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

function checkSessions(
  input: KeycloakInput,
  principal: string,
  settings: KeycloakSettings,
  realmInfo: RealmInfo,
  target: MappingExpectation['target'],
  findings: Finding[],
): void {
  const realm = settings.realm;
  if (realmInfo.ssoSessionMaxLifespan === undefined) {
    findings.push(
      finding(
        'warning',
        'KC_MISSING_ROLE',
        `cannot check session lifetimes in realm ${realm}: ${principal} lacks the realm-management role view-realm, so the ` +
          `realm is returned without its timeouts`,
        'grant the view-realm role of realm-management to the account',
      ),
    );
    return;
  }
  const activation = activationSeconds(input, findings);
  findings.push(...sessionFindings(realmInfo, activation.seconds, { realm, target: target.value, activation: activation.text }));
}

/** Default groups carrying the admin rights: the target group, a subgroup of it, or a group holding the target role. */
function checkDefaultGroups(reads: RealmReads, realm: string, scope: AdminScope, findings: Finding[]): void {
  if (scope.groups.size === 0 || !reads.defaultGroups) return;
  const defaults = reads.defaultGroups;
  if (isDenied(defaults)) findings.push(deniedFinding(defaults, 'warning'));
  else findings.push(...defaultGroupFindings(defaults, scope, realm));
}

/**
 * Ways to the admin rights that no identity-provider mapper governs: mappers of LDAP user
 * storage (hardcoded groups and roles, LDAP groups or roles landing on the target) and protocol
 * mappers of clients and client scopes that write the admin role or group into every token.
 * Components need view-realm (part of the audit's roles); clients and client scopes need
 * view-clients, which a group-mode audit does not require: without it the token check is
 * reported as not done (info; in role mode, where view-clients is required, a warning).
 */
function checkOtherGrants(reads: RealmReads, realm: string, scope: AdminScope, state: TargetState, findings: Finding[]): void {
  const ldap = reads.ldap;
  if (isDenied(ldap)) findings.push(deniedFinding(ldap, 'warning'));
  else findings.push(...ldapGrantFindings(ldap.providers, ldap.mappers, scope, { targetIsClientRole: Boolean(state.role?.clientRole) }));
  const owners = reads.owners;
  if ('forbidden' in owners) {
    findings.push(
      finding(
        scope.target.kind === 'role' ? 'warning' : 'info',
        'KC_TOKEN_MAPPERS_UNCHECKED',
        `the protocol mappers of realm ${realm}'s clients and client scopes were not read (${owners.forbidden}), so a hardcoded ` +
          `admin role or group written into every token is not checked`,
        'grant the view-clients role of realm-management to the account to check them',
      ),
    );
    return;
  }
  findings.push(...protocolMapperFindings(owners, scope));
}

/** The finding of a run that does not check Keycloak. */
function skipped(): StepPlan {
  return {
    findings: [
      finding(
        'warning',
        'KC_SKIPPED',
        'Keycloak was not checked: nothing proves that the Entra group reaches the Keycloak admin group, or that Keycloak takes ' +
          'it away when the activation ends',
        'pass --keycloak-url, --keycloak-realm and Keycloak credentials to check it',
      ),
    ],
    actions: [],
  };
}

/** Whether this run checks Keycloak (settings given, --skip-keycloak not). */
export function keycloakChecked(options: RunOptions): boolean {
  return !options.skipKeycloak && Boolean(options.keycloak);
}

/**
 * The keycloak step's read phase: the realm, read once (after the tenant, whose facts choose the
 * Entra provider), or undefined when Keycloak is not checked. A Keycloak or Graph error is kept
 * for the plan, which reports it as the step's failure; anything else is thrown on.
 */
export async function readKeycloak(ctx: RunContext, facts: EntraFacts): Promise<Read<RealmSnapshot> | undefined> {
  const settings = ctx.options.keycloak;
  if (!keycloakChecked(ctx.options) || !settings) return undefined;
  try {
    const api = ctx.keycloak;
    if (!api) throw new KeycloakError('the Keycloak connection was not set up before the keycloak step');
    return { ok: true, value: await readRealmSnapshot(api, settings, entraApp({ options: ctx.options, facts })) };
  } catch (err) {
    if (err instanceof KeycloakError || err instanceof GraphRequestError) return { ok: false, error: err };
    throw err;
  }
}

/**
 * Pure: judges the realm snapshot against the Entra facts: the identity provider, its mappers (and
 * their repair under --fix-keycloak), sessions, default groups, other grants and the holders.
 */
export function judgeKeycloak(input: KeycloakInput, realmRead: Read<RealmSnapshot> | undefined): StepPlan {
  const settings = input.options.keycloak;
  if (!keycloakChecked(input.options) || !settings) return skipped();
  if (!realmRead) throw new KeycloakError('the Keycloak connection was not set up before the keycloak step');
  const snap = valueOf(realmRead);
  const realm = settings.realm;
  const findings: Finding[] = [];
  const actions: Action[] = [];
  if (snap.version) findings.push(finding('info', 'KC_SERVER', `Keycloak ${snap.version} at ${settings.url}`));

  const realmInfo = snap.realmInfo;
  if (isDenied(realmInfo)) return { findings: [...findings, deniedFinding(realmInfo, 'error')], actions };
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
  const reads = snap.reads;
  if (!reads) throw new KeycloakError(`realm ${realm} was not read`);

  const target = targetOf(settings);
  const targetState = reads.targetState;
  findings.push(...targetFindings(targetState, target, realm));
  const reach = reads.reach;
  findings.push(...reachFindings(reach, target, realm));
  const provider = checkProvider(input, settings, reads, target, reach.scope, findings, actions);
  checkSessions(input, snap.principal, settings, realmInfo, target, findings);
  checkDefaultGroups(reads, realm, reach.scope, findings);
  checkOtherGrants(reads, realm, reach.scope, targetState, findings);

  if (provider && reach.holders && reads.holders) {
    const listed = reads.holders;
    if (isDenied(listed)) findings.push(deniedFinding(listed, 'warning'));
    else {
      const f = input.facts;
      findings.push(
        ...residualFindings(listed, {
          alias: provider.idp.alias,
          protocol: protocolOf(provider.idp.providerId),
          idpConfig: provider.idp.config ?? {},
          mappers: provider.mappers,
          active: f.activeAssignments ? activePrincipals(f.activeAssignments, f.group?.id, input.now) : undefined,
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

/** Reads the realm, then judges it: the keycloak step's read and plan in one call (tests plan a hand-made context). */
export async function planKeycloak(ctx: KeycloakContext): Promise<StepPlan> {
  return judgeKeycloak({ options: ctx.options, facts: ctx.facts, now: ctx.now() }, await readKeycloak(ctx, ctx.facts));
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
  plan: (snapshot, options) => judgeKeycloak({ options, facts: entraFacts(snapshot, options), now: snapshot.now }, snapshot.realm),
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
