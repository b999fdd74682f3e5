import type { RunContext } from '../context.js';
import { KeycloakError } from '../errors.js';
import {
  activePrincipals,
  checkIdentityProvider,
  expectedClaim,
  groupValueMissing,
  localCredentialFindings,
  normaliseGroupPath,
  otherProviderGrants,
  planMapper,
  protocolOf,
  residualFindings,
  selectIdentityProvider,
  sessionFindings,
  type EntraApp,
  type Holder,
  type MappingExpectation,
} from '../keycloak/analyse.js';
import { KeycloakForbiddenError } from '../keycloak/errors.js';
import type { KeycloakApi } from '../keycloak/keycloak-api.js';
import type { KeycloakSettings } from '../keycloak/settings.js';
import type { IdentityProvider, IdpMapper, KcGroup, KcUser, RealmInfo } from '../keycloak/types.js';
import { DurationError, parseDuration } from '../plan/duration.js';
import type { Action, Finding, Step, StepPlan } from '../plan/types.js';
import { finding } from './common.js';

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
      if (found) return { exists: true, holders: () => api.listClientRoleUsers(realm, client.id, name) };
    }
  }
  const realmRole = await read(findings, 'warning', () => api.getRealmRole(realm, role));
  if (isDenied(realmRole)) return { exists: true };
  if (realmRole) return { exists: true, holders: () => api.listRealmRoleUsers(realm, role) };
  findings.push(finding('error', 'KC_ROLE_MISSING', `realm ${realm} has no realm role ${role} and no client role of that name`, 'create the role, or pass --keycloak-role as realmRole or clientId.roleName'));
  return { exists: false };
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

async function checkProvider(
  api: KeycloakApi,
  ctx: RunContext,
  settings: KeycloakSettings,
  target: MappingExpectation['target'],
  targetState: TargetState,
  findings: Finding[],
  actions: Action[],
): Promise<{ idp: IdentityProvider; mappers: IdpMapper[] } | undefined> {
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

  const protocol = protocolOf(idp.providerId);
  let mappers: IdpMapper[] = [];
  if (protocol) {
    mappers = await api.listMappers(realm, idp.alias);
    const mapperTypes = await api.listMapperTypes(realm, idp.alias);
    const facts = ctx.facts;
    const appRoleMode = Boolean(ctx.options.appRole);
    const groupClaim = facts.groupClaim?.[protocol];
    const claim = expectedClaim(protocol, {
      appRoleMode,
      groupId: facts.group?.id,
      groupName: facts.group?.displayName,
      appRoleValue: facts.appRole?.value ?? ctx.options.appRole,
      groupClaim,
    });
    const noValue = !claim && !appRoleMode && facts.group && groupClaim ? groupValueMissing(protocol, facts.group, groupClaim) : undefined;
    if (noValue) {
      findings.push(noValue);
    } else if (!claim) {
      findings.push(
        finding('warning', 'KC_FACTS_MISSING', `the ${appRoleMode ? 'app role value' : 'object id of the Entra group'} is not known (an earlier step failed), so the mapper's condition cannot be checked`),
      );
    }
    const exp: MappingExpectation = { protocol, alias: idp.alias, target, claim, idpSyncMode: idp.config?.syncMode, tenantId: app.tenantId };
    const planned = planMapper({ realm, exp, mappers, mapperTypes, targetExists: targetState.exists, fix: ctx.options.fixKeycloak });
    findings.push(...planned.findings);
    actions.push(...planned.actions);
  }
  for (const other of idps) {
    if (other.alias === idp.alias) continue;
    findings.push(...otherProviderGrants(other.alias, await api.listMappers(realm, other.alias), target));
  }
  return { idp, mappers };
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
  if (target.kind === 'group') {
    const defaults = await read(findings, 'warning', () => api.getDefaultGroups(realm));
    if (!isDenied(defaults) && defaults.some((g) => normaliseGroupPath(g.path) === target.value)) {
      findings.push(
        finding(
          'error',
          'KC_GROUP_DEFAULT',
          `${target.value} is a default group of realm ${realm}: every new user, local or brokered, joins it without PIM`,
          'remove it from Realm settings → User registration → Default groups',
        ),
      );
    }
  }
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

    const provider = await checkProvider(api, ctx, settings, target, targetState, findings, actions);
    await checkSessions(api, ctx, settings, realmInfo, target, findings);

    if (provider && targetState.holders) {
      const holders = targetState.holders;
      const listed = await read(findings, 'warning', async () => {
        const users = await holders();
        const alias = provider.idp.alias;
        return mapLimited(users, 8, async (user): Promise<Holder> => {
          const links = await api.listFederatedIdentities(realm, user.id);
          // Only an enabled holder linked to the provider needs its credentials read: a password
          // lets it sign in without the provider, past the mapper (localCredentialFindings).
          if (user.enabled === false || !links.some((l) => l.identityProvider === alias)) return { user, links };
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
          }),
          ...localCredentialFindings(listed, { alias: provider.idp.alias, target: target.value }),
        );
      }
    }
    return { findings, actions };
  },

  async apply(plan, ctx) {
    const writes = plan.actions.filter((a) => a.target === 'keycloak' && a.request && a.kind !== 'noop');
    if (writes.length === 0) return;
    const api = ctx.keycloak;
    if (!api) throw new KeycloakError('the Keycloak connection was not set up before the keycloak step');
    for (const action of writes) {
      try {
        const res = await api.write(action.request!, action.backup);
        action.result = { ok: true, status: res.status };
      } catch (err) {
        action.result = { ok: false, status: err instanceof KeycloakError ? err.status : undefined, message: err instanceof Error ? err.message : String(err) };
        throw err;
      }
    }
  },
};
