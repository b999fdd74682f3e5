import type { RunContext } from '../context.js';
import { KeycloakError } from '../errors.js';
import { keycloakOpOf } from '../keycloak/requests.js';
import {
  activePrincipals,
  checkIdentityProvider,
  defaultGroupFindings,
  defaultRoleFindings,
  expectedClaim,
  groupScope,
  groupValueMissing,
  indirectGrantFindings,
  judgeIndirectGrants,
  localCredentialFindings,
  normaliseGroupPath,
  judgeOtherProvider,
  LDAP_MAPPER_TYPE,
  ldapGrantFindings,
  protocolMapperFindings,
  USER_STORAGE_TYPE,
  unknownTypeGrants,
  untrustedEntraProvider,
  otherClaimValues,
  planMapper,
  protocolOf,
  residualFindings,
  rolesContaining,
  samlCertificateFindings,
  selectIdentityProvider,
  sessionFindings,
  type AdminScope,
  type EntraApp,
  type Holder,
  type MappingExpectation,
  type Protocol,
  type RoleRef,
} from '../keycloak/analyse.js';
import { KeycloakForbiddenError } from '../keycloak/errors.js';
import type { KeycloakApi } from '../keycloak/keycloak-api.js';
import type { KeycloakSettings } from '../keycloak/settings.js';
import type { IdentityProvider, IdpMapper, KcGroup, KcRole, KcUser, RealmInfo } from '../keycloak/types.js';
import { DurationError, parseDuration } from '../core/duration.js';
import type { Action, Step, StepPlan } from '../plan/types.js';
import type { Finding } from '../core/findings.js';
import { finding } from '../core/findings.js';

export { KEYCLOAK_ROLES } from '../keycloak/permissions.js';

/** PIM's default activation maximum, assumed when the policy step did not report one. */
const DEFAULT_ACTIVATION = 'PT8H';

/** Marks a read the account may not make (403); the finding naming the role is already recorded. */
const DENIED = Symbol('denied');

/**
 * Runs a read; a 403 becomes a finding (its message names the missing realm-management role)
 * instead of failing the step. Everything else propagates: the runner reports it as PLAN_FAILED.
 */
async function read<T>(findings: Finding[], severity: Finding['severity'], fn: () => Promise<T>): Promise<T | typeof DENIED> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof KeycloakForbiddenError) {
      const role = err.role;
      findings.push(finding(severity, 'KC_MISSING_ROLE', err.message, role ? `grant the ${role} role of realm-management to the account, or use one that has it` : undefined));
      return DENIED;
    }
    throw err;
  }
}

const isDenied = <T>(v: T | typeof DENIED): v is typeof DENIED => v === DENIED;

/** Members of a group and of its subgroups (members of a subgroup inherit the group's roles). */
async function groupHolders(api: KeycloakApi, realm: string, group: KcGroup): Promise<KcUser[]> {
  const byId = new Map<string, KcUser>();
  const seen = new Set<string>();
  const visit = async (g: KcGroup, via: string | undefined): Promise<void> => {
    if (seen.has(g.id)) return;
    seen.add(g.id);
    for (const u of await api.listGroupMembers(realm, g.id)) if (!byId.has(u.id)) byId.set(u.id, via ? { ...u, viaGroup: via } : u);
    const children = g.subGroupCount === 0 ? [] : await api.listSubGroups(realm, g.id);
    for (const child of children) await visit(child, child.path ?? `${g.path}/${child.name}`);
  };
  await visit(group, undefined);
  return [...byId.values()];
}

/** Runs `fn` over `items` with at most `limit` in flight: one request per member without flooding Keycloak. */
async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

interface TargetState {
  exists: boolean;
  /** Fetches who holds the target now; undefined when it cannot be listed. */
  holders?: () => Promise<KcUser[]>;
  /** Role mode: the target role as read, with its client's uuid for a client role. */
  role?: KcRole & { clientUuid?: string };
}

async function resolveGroup(api: KeycloakApi, realm: string, path: string, findings: Finding[]): Promise<TargetState> {
  const group = await read(findings, 'warning', () => api.getGroupByPath(realm, path));
  if (isDenied(group)) return { exists: true };
  if (!group) {
    findings.push(
      finding(
        'error',
        'KC_GROUP_MISSING',
        `realm ${realm} has no group ${path}: a mapper to it does nothing (Keycloak skips it and only logs "Unable to find group by path")`,
        `create the group ${path} in realm ${realm} (with the admin roles), or pass --keycloak-group with the right path`,
      ),
    );
    return { exists: false };
  }
  return { exists: true, holders: () => groupHolders(api, realm, group) };
}

/** `name` is a realm role, `clientId.name` a client role (split at the last dot, as Keycloak does). */
async function resolveRole(api: KeycloakApi, realm: string, role: string, findings: Finding[]): Promise<TargetState> {
  const dot = role.lastIndexOf('.');
  if (dot > 0) {
    const client = await read(findings, 'warning', () => api.findClient(realm, role.slice(0, dot)));
    if (isDenied(client)) return { exists: true };
    if (client) {
      const name = role.slice(dot + 1);
      const found = await read(findings, 'warning', () => api.getClientRole(realm, client.id, name));
      if (isDenied(found)) return { exists: true };
      if (found) return { exists: true, holders: () => api.listClientRoleUsers(realm, client.id, name), role: { ...found, clientRole: true, clientUuid: client.id } };
    }
  }
  const realmRole = await read(findings, 'warning', () => api.getRealmRole(realm, role));
  if (isDenied(realmRole)) return { exists: true };
  if (realmRole) return { exists: true, holders: () => api.listRealmRoleUsers(realm, role), role: { ...realmRole, clientRole: false } };
  findings.push(finding('error', 'KC_ROLE_MISSING', `realm ${realm} has no realm role ${role} and no client role of that name`, 'create the role, or pass --keycloak-role as realmRole or clientId.roleName'));
  return { exists: false };
}

/** A role of the realm with what is needed to list its holders. */
type RoleNode = RoleRef & { name: string; composite?: boolean; clientUuid?: string };

/**
 * Role mode: every role containing the target through composites, and the groups holding any
 * of them. Keycloak grants a role through the realm's default role (held by every user), group
 * role mappings (inherited by subgroups) and composites, while `GET /roles/{name}/users` lists
 * only direct holders. Returns the scope for the mapper and default-group checks and the holder
 * listing over the whole closure; without the read permissions it says what was not checked.
 */
async function roleScope(
  api: KeycloakApi,
  realm: string,
  realmInfo: RealmInfo,
  target: MappingExpectation['target'],
  state: TargetState,
  findings: Finding[],
): Promise<{ scope: AdminScope; holders?: () => Promise<KcUser[]>; defaultRole?: string }> {
  const scope: AdminScope = { target, roles: new Map(), groups: new Map() };
  const role = state.role;
  if (!role) return { scope, holders: state.holders };
  const realmRoles = await read(findings, 'warning', () => api.listRealmRoles(realm));
  if (isDenied(realmRoles)) return { scope, holders: state.holders };
  const nodes = new Map<string, RoleNode>();
  for (const r of realmRoles) nodes.set(r.id, { id: r.id, ref: r.name, name: r.name, clientRole: false, composite: r.composite });
  const clients = await read(findings, 'warning', () => api.listClients(realm));
  const clientRoles = isDenied(clients)
    ? clients
    : await read(findings, 'warning', async () => (await mapLimited(clients, 4, async (c) => (await api.listClientRoles(realm, c.id)).map((r) => ({ r, c })))).flat());
  if (isDenied(clientRoles)) {
    findings.push(
      finding(
        'warning',
        'KC_ROLE_CLOSURE_INCOMPLETE',
        `client roles of realm ${realm} could not be read, so a composite client role containing ${target.value} (and its holders) is not checked`,
        'grant the view-clients role of realm-management to the account',
      ),
    );
  } else {
    for (const { r, c } of clientRoles) nodes.set(r.id, { id: r.id, ref: `${c.clientId}.${r.name}`, name: r.name, clientRole: true, composite: r.composite, clientUuid: c.id });
  }
  const composites = [...nodes.values()].filter((n) => n.composite);
  const children = new Map<string, string[]>();
  const listed = await read(findings, 'warning', () =>
    mapLimited(composites, 4, async (n) => children.set(n.id, (await api.listRoleComposites(realm, { id: n.id, name: n.ref, clientRole: n.clientRole })).map((k) => k.id))),
  );
  if (isDenied(listed)) return { scope, holders: state.holders };
  const closure = rolesContaining(role.id, children);
  const defaultRole = realmInfo.defaultRole ?? realmRoles.find((r) => r.name === `default-roles-${realm.toLowerCase()}`);
  findings.push(...defaultRoleFindings(defaultRole, closure, target.value, realm));
  const granting = [...closure].map((id) => nodes.get(id) ?? { id, ref: target.value, name: role.name, clientRole: Boolean(role.clientRole), clientUuid: role.clientUuid }).filter((n) => n.id !== defaultRole?.id);
  for (const n of granting) if (n.id !== role.id) scope.roles.set(n.ref, n);

  const groups = await read(findings, 'warning', async () => {
    const out: Array<{ group: KcGroup; role: RoleNode }> = [];
    for (const n of granting) {
      const held = n.clientRole && n.clientUuid ? await api.listClientRoleGroups(realm, n.clientUuid, n.name) : await api.listRealmRoleGroups(realm, n.name);
      out.push(...held.map((group) => ({ group, role: n })));
    }
    return out;
  });
  const roleGroups = isDenied(groups) ? [] : groups;
  for (const { group, role: n } of roleGroups) {
    scope.groups.set(normaliseGroupPath(group.path), n.id === role.id ? `holds ${target.value}` : `holds role ${n.ref}, which contains ${target.value}`);
  }
  const holders = async (): Promise<KcUser[]> => {
    const byId = new Map<string, KcUser>();
    for (const n of granting) {
      const users = n.clientRole && n.clientUuid ? await api.listClientRoleUsers(realm, n.clientUuid, n.name) : await api.listRealmRoleUsers(realm, n.name);
      for (const u of users) if (!byId.has(u.id)) byId.set(u.id, n.id === role.id ? u : { ...u, viaGroup: `role ${n.ref}` });
    }
    for (const { group } of roleGroups) {
      for (const u of await groupHolders(api, realm, group)) if (!byId.has(u.id)) byId.set(u.id, { ...u, viaGroup: u.viaGroup ?? `group ${group.path}` });
    }
    return [...byId.values()];
  };
  return { scope, holders, ...(defaultRole?.id && closure.has(defaultRole.id) ? { defaultRole: defaultRole.name ?? `default-roles-${realm}` } : {}) };
}

/** What carries the admin rights in a realm, as the audit judges it, for one user's verdict (verify-user). */
export interface AdminReach {
  /** Whether the target group or role exists (or could not be read). */
  exists: boolean;
  scope: AdminScope;
  /** Role mode: the target role's id, to recognise a user's direct mapping of it. */
  targetRoleId?: string;
  /** The realm's default role, when it is or contains the target role: every user holds it. */
  defaultRole?: string;
}

/**
 * The audit's view of what grants the target: the group and its subgroups, or the role's
 * composite closure with the groups holding it and the realm's default role. What could not be
 * read is recorded in `findings`, as the audit records it.
 */
export async function adminReach(api: KeycloakApi, realm: string, realmInfo: RealmInfo, target: MappingExpectation['target'], findings: Finding[]): Promise<AdminReach> {
  if (target.kind === 'group') {
    const state = await resolveGroup(api, realm, target.value, findings);
    return { exists: state.exists, scope: groupScope(target.value) };
  }
  const state = await resolveRole(api, realm, target.value, findings);
  const reach = await roleScope(api, realm, realmInfo, target, state, findings);
  return { exists: state.exists, scope: reach.scope, ...(state.role ? { targetRoleId: state.role.id } : {}), ...(reach.defaultRole ? { defaultRole: reach.defaultRole } : {}) };
}

function entraApp(ctx: RunContext): EntraApp {
  const sp = ctx.facts.servicePrincipal;
  const identifiers = [...(sp?.servicePrincipalNames ?? []), ...(ctx.facts.application?.identifierUris ?? [])].filter((s): s is string => typeof s === 'string');
  return { tenantId: ctx.facts.tenantId ?? ctx.options.tenantId, appId: sp?.appId ?? ctx.options.appId, identifiers: [...new Set(identifiers)] };
}

function activationSeconds(ctx: RunContext, findings: Finding[]): { seconds: number; text: string } {
  const text = ctx.facts.activationMax ?? DEFAULT_ACTIVATION;
  try {
    return { seconds: parseDuration(text) / 1000, text };
  } catch (err) {
    if (!(err instanceof DurationError)) throw err;
    findings.push(finding('warning', 'KC_ACTIVATION_UNKNOWN', `the activation maximum ${text} is not a duration this tool reads; sessions are compared with ${DEFAULT_ACTIVATION}`));
    return { seconds: parseDuration(DEFAULT_ACTIVATION) / 1000, text: DEFAULT_ACTIVATION };
  }
}

/** The claim a mapper on a provider of `protocol` must require, with what else that claim can carry. */
function claimFor(ctx: RunContext, protocol: Protocol): MappingExpectation['claim'] {
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
  return { ...claim, others: otherClaimValues(claim, { groupClaim, appGroups: facts.appGroups, appRoles: facts.servicePrincipal?.appRoles ?? undefined }) };
}

async function checkProvider(
  api: KeycloakApi,
  ctx: RunContext,
  settings: KeycloakSettings,
  target: MappingExpectation['target'],
  targetState: TargetState,
  scope: AdminScope,
  findings: Finding[],
  actions: Action[],
): Promise<{ idp: IdentityProvider; mappers: IdpMapper[]; trustedAliases: Set<string> } | undefined> {
  const realm = settings.realm;
  const idps = await read(findings, 'error', () => api.listIdentityProviders(realm));
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
  let mappers: IdpMapper[] = [];
  if (protocol) {
    mappers = await api.listMappers(realm, idp.alias);
    const mapperTypes = await api.listMapperTypes(realm, idp.alias);
    const groupClaim = facts.groupClaim?.[protocol];
    const claim = claimFor(ctx, protocol);
    const noValue = !claim && !appRoleMode && facts.group && groupClaim ? groupValueMissing(protocol, facts.group, groupClaim) : undefined;
    if (noValue) {
      findings.push(noValue);
    } else if (!claim) {
      findings.push(
        finding('warning', 'KC_FACTS_MISSING', `the ${appRoleMode ? 'app role value' : 'object id of the Entra group'} is not known (an earlier step failed), so the mapper's condition cannot be checked`),
      );
    }
    const exp: MappingExpectation = { protocol, alias: idp.alias, target, claim, idpSyncMode: idp.config?.syncMode, tenantId: app.tenantId };
    const indirect = judgeIndirectGrants(idp.alias, mappers, scope, exp);
    const viaPim = indirect.filter((j) => j.finding.code === 'KC_MAPPER_INDIRECT_PIM').map((j) => j.mapper);
    const planned = planMapper({ realm, exp, mappers, mapperTypes, targetExists: targetState.exists, fix: ctx.options.fixKeycloak, viaPim });
    findings.push(...planned.findings);
    actions.push(...planned.actions);
    findings.push(...unknownTypeGrants(idp.alias, mappers, target));
    findings.push(...indirect.map((j) => j.finding));
  } else {
    findings.push(...indirectGrantFindings(idp.alias, await api.listMappers(realm, idp.alias), scope, undefined));
  }
  const claims = { oidc: claimFor(ctx, 'oidc'), saml: claimFor(ctx, 'saml') };
  for (const other of idps) {
    if (other.alias === idp.alias) continue;
    const otherMappers = await api.listMappers(realm, other.alias);
    findings.push(...judgeOtherProvider({ idp: other, mappers: otherMappers, target, app, claims }));
    // Only a provider that can vouch for the PIM group (Entra, this tenant, signatures checked)
    // may carry a PIM-correct mapper to a subgroup or composite; on any other, such a grant is a way in.
    const p = untrustedEntraProvider(other, app) ? undefined : protocolOf(other.providerId);
    const otherExp: MappingExpectation | undefined = p ? { protocol: p, alias: other.alias, target, claim: claims[p], idpSyncMode: other.config?.syncMode, tenantId: app.tenantId } : undefined;
    findings.push(...indirectGrantFindings(other.alias, otherMappers, scope, otherExp));
  }
  const trustedAliases = new Set(idps.filter((o) => o.alias !== idp.alias && !untrustedEntraProvider(o, app)).map((o) => o.alias));
  return { idp, mappers, trustedAliases };
}

async function checkSessions(api: KeycloakApi, ctx: RunContext, settings: KeycloakSettings, realmInfo: RealmInfo, target: MappingExpectation['target'], findings: Finding[]): Promise<void> {
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
  const defaults = await read(findings, 'warning', () => api.getDefaultGroups(realm));
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
async function checkOtherGrants(api: KeycloakApi, realm: string, scope: AdminScope, state: TargetState, findings: Finding[]): Promise<void> {
  const ldap = await read(findings, 'warning', async () => {
    const providers = await api.listComponents(realm, USER_STORAGE_TYPE);
    const mappers = (await mapLimited(providers.filter((p) => p.providerId === 'ldap' && p.id), 4, (p) => api.listComponents(realm, LDAP_MAPPER_TYPE, p.id))).flat();
    return { providers, mappers };
  });
  if (!isDenied(ldap)) findings.push(...ldapGrantFindings(ldap.providers, ldap.mappers, scope, { targetIsClientRole: Boolean(state.role?.clientRole) }));
  let owners;
  try {
    owners = await api.listProtocolMapperOwners(realm);
  } catch (err) {
    if (!(err instanceof KeycloakForbiddenError)) throw err;
    findings.push(
      finding(
        scope.target.kind === 'role' ? 'warning' : 'info',
        'KC_TOKEN_MAPPERS_UNCHECKED',
        `the protocol mappers of realm ${realm}'s clients and client scopes were not read (${err.message}), so a hardcoded admin role or group written into every token is not checked`,
        'grant the view-clients role of realm-management to the account to check them',
      ),
    );
    return;
  }
  findings.push(...protocolMapperFindings(owners, scope));
}

/**
 * The `keycloak` step proves the last hop: the Entra PIM group (or app role) reaches the Keycloak
 * group that grants admin rights, through a mapper with sync mode FORCE, so Keycloak also takes
 * it away at the first Entra login after the activation ends. It also reports what outlives an
 * activation (sessions) and who holds the group without PIM. With --fix-keycloak it creates or
 * repairs the mapper; nothing else is ever changed.
 */
export const keycloakStep: Step<RunContext> = {
  id: 'keycloak',
  title: 'Keycloak maps the PIM group to the admin group (sync mode FORCE)',
  async plan(ctx): Promise<StepPlan> {
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

    const realmInfo = await read(findings, 'error', () => api.getRealm(realm));
    if (isDenied(realmInfo)) return { findings, actions };
    if (!realmInfo) {
      findings.push(finding('error', 'KC_REALM_MISSING', `Keycloak at ${settings.url} has no realm ${realm}`, 'check --keycloak-realm (realm names are case-sensitive)'));
      return { findings, actions };
    }

    const target: MappingExpectation['target'] = settings.role ? { kind: 'role', value: settings.role } : { kind: 'group', value: normaliseGroupPath(settings.group || '/tenant-admin') };
    const targetState = target.kind === 'group' ? await resolveGroup(api, realm, target.value, findings) : await resolveRole(api, realm, target.value, findings);

    const reach = target.kind === 'group' ? { scope: groupScope(target.value), holders: targetState.holders } : await roleScope(api, realm, realmInfo, target, targetState, findings);
    const provider = await checkProvider(api, ctx, settings, target, targetState, reach.scope, findings, actions);
    await checkSessions(api, ctx, settings, realmInfo, target, findings);
    await checkDefaultGroups(api, realm, reach.scope, findings);
    await checkOtherGrants(api, realm, reach.scope, targetState, findings);

    if (provider && reach.holders) {
      const holders = reach.holders;
      const listed = await read(findings, 'warning', async () => {
        const users = await holders();
        const alias = provider.idp.alias;
        return mapLimited(users, 8, async (user): Promise<Holder> => {
          const links = await api.listFederatedIdentities(realm, user.id);
          // Only an enabled holder linked to the provider needs its credentials read: a password
          // lets it sign in without the provider, past the mapper (localCredentialFindings).
          if (user.enabled === false || !links.some((l) => l.identityProvider === alias || provider.trustedAliases.has(l.identityProvider))) return { user, links };
          const credentials = await api.listCredentials(realm, user.id);
          const storageCredentialTypes = user.federationLink ? await api.listUserStorageCredentialTypes(realm, user.id) : undefined;
          return { user, links, credentials, ...(storageCredentialTypes ? { storageCredentialTypes } : {}) };
        });
      });
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
  },

  async apply(plan, ctx) {
    const writes = plan.actions.filter((a) => a.target === 'keycloak' && keycloakOpOf(a) && a.kind !== 'noop');
    if (writes.length === 0) return;
    const api = ctx.keycloak;
    if (!api) throw new KeycloakError('the Keycloak connection was not set up before the keycloak step');
    for (const action of writes) {
      try {
        const res = await api.write(keycloakOpOf(action)!, action.backup);
        action.result = { ok: true, status: res.status };
      } catch (err) {
        action.result = { ok: false, status: err instanceof KeycloakError ? err.status : undefined, message: err instanceof Error ? err.message : String(err) };
        throw err;
      }
    }
  },
};
