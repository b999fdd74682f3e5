import type * as MG from '@microsoft/microsoft-graph-types';
import type { RunContext } from '../context.js';
import { odataString, withQuery } from '../graph/graph-api.js';
import type { AuthMethod } from '../graph/auth-methods.js';
import { jwtClaims } from '../core/jwt.js';
import { delegatedScopes, missingScopeFix } from '../graph/delegated-scopes.js';
import { missingPermissions, requiredPermissions, requiredRoles } from '../graph/permissions.js';
import type { Step, StepPlan } from '../plan/types.js';
import { valueOf, type AdminGroup, type PrerequisiteFacts, type ServicePrincipal, type TenantSnapshot } from './snapshot.js';
import type { Finding } from '../core/findings.js';
import { finding } from '../core/findings.js';
import { GraphRequestError } from '../errors.js';
import { findApp, findEligibleUsers, findGroup, LookupError, lookupFinding, who } from '../entra/lookup.js';
import { groupClaimFormat } from '../graph/group-claim.js';
import { enumIs } from '../graph/enums.js';
import { analyseClaims, analyseConsent, analyseGroup, analyseLicence, detectSsoMode, type ResourceSp } from './prerequisites-analysis.js';

// keyCredentials and preferredTokenSigningKeyThumbprint: the app's SAML signing keys, which the
// keycloak step compares with a SAML provider's pasted certificate. In the same request (no extra
// read for OIDC apps); Application.Read.All reads them (Learn "Get servicePrincipal").
const SP_SELECT =
  'id,appId,displayName,appRoleAssignmentRequired,accountEnabled,preferredSingleSignOnMode,samlSingleSignOnSettings,appRoles,servicePrincipalType,tags,appOwnerOrganizationId,keyCredentials,preferredTokenSigningKeyThumbprint';
const APP_SELECT = 'id,appId,displayName,identifierUris,web,groupMembershipClaims,optionalClaims,appRoles,requiredResourceAccess';
const GROUP_SELECT =
  'id,displayName,description,securityEnabled,mailEnabled,groupTypes,isAssignableToRole,onPremisesSyncEnabled,membershipRule';

type Sp = ServicePrincipal;

async function resolveApp(ctx: RunContext, findings: Finding[]): Promise<Sp | undefined> {
  const { options } = ctx;
  try {
    return await findApp<Sp>(
      ctx.graph,
      ctx.prompt,
      { appId: options.appId, appName: options.appName, tenantId: options.tenantId },
      SP_SELECT,
    );
  } catch (err) {
    if (!(err instanceof LookupError)) throw err;
    findings.push(lookupFinding(err));
    return undefined;
  }
}

async function checkConsent(ctx: RunContext, sp: Sp, app: MG.Application | null, findings: Finding[]): Promise<void> {
  if (!app) {
    findings.push(
      finding(
        'info',
        'CONSENT_UNCHECKED',
        'admin consent: the app registration lives in another tenant, so its requested permissions cannot be read here',
      ),
    );
    return;
  }
  const required = app.requiredResourceAccess ?? [];
  if (required.length === 0) {
    findings.push(finding('info', 'CONSENT_NONE_REQUESTED', 'admin consent: the app requests no API permissions'));
    return;
  }
  const { graph } = ctx;
  const resourceIds = [...new Set(required.map((r) => r.resourceAppId ?? ''))];
  const wantsDelegated = required.some((r) => (r.resourceAccess ?? []).some((a) => enumIs(a.type, 'Scope')));
  const [resourceSps, grants, assignments] = await Promise.all([
    graph.getMany<ResourceSp>(
      resourceIds.map((id) =>
        withQuery(`/servicePrincipals(appId=${odataString(id)})`, { $select: 'id,appId,displayName,appRoles,oauth2PermissionScopes' }),
      ),
    ),
    wantsDelegated ? readGrants(ctx, sp) : Promise.resolve([]),
    graph.list<MG.AppRoleAssignment>(`/servicePrincipals/${sp.id}/appRoleAssignments`),
  ]);
  const resources = new Map(resourceIds.map((id, i) => [id, resourceSps[i]]));
  const { missing, unresolved, unverified } = analyseConsent(required, resources, grants, assignments);
  if (missing.length) {
    findings.push(
      finding(
        'error',
        'CONSENT_MISSING',
        `admin consent missing for: ${missing.join(', ')}`,
        `grant tenant-wide admin consent: Entra admin center > Enterprise applications > ${sp.displayName} > Permissions > Grant admin consent`,
      ),
    );
  }
  if (unverified.length) {
    findings.push(
      finding(
        'warning',
        'CONSENT_UNVERIFIED',
        `admin consent not verified for: ${unverified.join(', ')}; reading delegated permission grants needs Directory.Read.All (Graph answered 403)`,
        `check Enterprise applications > ${sp.displayName} > Permissions in the Entra admin center, or grant Directory.Read.All (optional) to let this tool check it`,
      ),
    );
  }
  if (!missing.length && !unverified.length) {
    findings.push(finding('info', 'CONSENT_OK', 'admin consent: every requested permission is granted tenant-wide'));
  }
  if (unresolved.length) {
    findings.push(
      finding('warning', 'CONSENT_RESOURCE_UNKNOWN', `admin consent: resource app(s) ${unresolved.join(', ')} not found in this tenant`),
    );
  }
}

/**
 * Delegated grants of the app, or undefined when the token may not read them: every documented
 * way (List oauth2PermissionGrants, and the service principal's oauth2PermissionGrants) needs
 * Directory.Read.All, which least-privilege callers do not hold; the check then degrades to a warning.
 */
async function readGrants(ctx: RunContext, sp: Sp): Promise<MG.OAuth2PermissionGrant[] | undefined> {
  try {
    // Filtering on clientId keeps the replication delay of grants to a minimum (Learn "List oauth2PermissionGrants").
    return await ctx.graph.list<MG.OAuth2PermissionGrant>(
      withQuery('/oauth2PermissionGrants', { $filter: `clientId eq ${odataString(sp.id)}` }),
    );
  } catch (err) {
    if (err instanceof GraphRequestError && err.status === 403) return undefined;
    throw err;
  }
}

async function checkCaller(ctx: RunContext, facts: PrerequisiteFacts, findings: Finding[]): Promise<void> {
  // A public-client sign-in asks now for what only the group (role-assignable) or the wizard (policy) told.
  await ctx.graph.requestScopes?.(
    delegatedScopes({
      command: ctx.options.mode,
      policyChanges: hasPolicyChanges(ctx),
      roleAssignableGroup: Boolean(facts.group?.isAssignableToRole),
    }),
  );
  const token = await ctx.graph.token();
  const claims = jwtClaims(token);
  const appOnly = claims.scp === undefined && Array.isArray(claims.roles);
  const granted = appOnly
    ? ((claims.roles as string[]) ?? [])
    : String(claims.scp ?? '')
        .split(' ')
        .filter(Boolean);
  const group = facts.group;
  const input = {
    mode: ctx.options.mode,
    appOnly,
    roleAssignableGroup: Boolean(group?.isAssignableToRole),
    policyChanges: hasPolicyChanges(ctx),
  };
  if (typeof claims.tid === 'string' && claims.tid !== ctx.options.tenantId) {
    findings.push(
      finding(
        'error',
        'CALLER_WRONG_TENANT',
        `the token is for tenant ${claims.tid}, not ${ctx.options.tenantId}`,
        'sign in to the tenant given by --tenant-id',
      ),
    );
  }
  if (claims.scp !== undefined || Array.isArray(claims.roles)) {
    const missing = missingPermissions(requiredPermissions(input), granted);
    if (missing.length) {
      findings.push(
        finding(
          'error',
          'CALLER_PERMISSION_MISSING',
          `the ${appOnly ? 'application' : 'delegated'} token lacks ${missing.map((m) => `${m.permission} (to ${m.why})`).join(', ')} for ${ctx.options.mode}`,
          appOnly
            ? `grant ${missing.map((m) => m.permission).join(', ')} as application permissions with admin consent to the identity running this tool`
            : missingScopeFix(
                ctx.graph.signIn?.method as AuthMethod | undefined,
                missing.map((m) => m.permission),
                ctx.graph.signIn?.clientId,
              ),
        ),
      );
    } else {
      findings.push(
        finding(
          'info',
          'CALLER_PERMISSIONS_OK',
          `caller: the ${appOnly ? 'application' : 'delegated'} token carries every permission ${ctx.options.mode} needs`,
        ),
      );
    }
  } else {
    findings.push(
      finding(
        'warning',
        'CALLER_PERMISSIONS_UNKNOWN',
        'caller: the token carries no scp or roles claim to check; permission errors will surface as Graph 403s',
      ),
    );
  }
  if (appOnly) {
    facts.caller = {
      kind: 'app',
      id: String(claims.appid ?? claims.azp ?? ''),
      name: String(claims.app_displayname ?? claims.appid ?? 'application'),
    };
    return;
  }
  const me = await ctx.graph.find<{ id: string; userPrincipalName?: string; displayName?: string }>(
    withQuery('/me', { $select: 'id,displayName,userPrincipalName' }),
  );
  facts.caller = { kind: 'user', id: me?.id, name: me?.userPrincipalName ?? me?.displayName ?? String(claims.upn ?? '') };
  const ownsGroup = Boolean(me?.id && facts.groupOwnerIds?.some((id) => id.toLowerCase() === me.id.toLowerCase()));
  if (ownsGroup && group && !group.isAssignableToRole) {
    findings.push(
      finding(
        'info',
        'CALLER_OWNS_GROUP',
        `${facts.caller.name} owns ${group.displayName}, so may manage its members and PIM assignments without a directory role`,
      ),
    );
  }
  const roleNeeds = requiredRoles({ ...input, callerOwnsGroup: ownsGroup });
  if (roleNeeds.length === 0) return;
  const roles = await readActiveRoles(ctx);
  const held = new Set((roles ?? []).map((r) => r.roleTemplateId).filter(Boolean));
  const lacking = roleNeeds.filter((n) => !n.anyOf.some((id) => held.has(id)));
  if (lacking.length === 0) return;
  // Without RoleManagement.Read.Directory (or Directory.Read.All) Graph returns the roles with
  // limited information: id and @odata.type only, roleTemplateId null. Nulls prove nothing, so
  // the check says so and leaves the verdict to Graph's own 403 on the write.
  if (!roles || roles.some((r) => !r.roleTemplateId)) {
    findings.push(
      finding(
        'warning',
        'CALLER_ROLES_UNVERIFIED',
        `could not verify ${facts.caller.name}'s directory roles: the token cannot read role details (that needs RoleManagement.Read.Directory or Directory.Read.All); a write the roles do not allow will fail with Graph's 403`,
        `make sure ${lacking.map((l) => l.names).join('; and ')} is active (eligible roles must be activated in PIM first), or grant RoleManagement.Read.Directory (optional) to let this tool check it`,
      ),
    );
    return;
  }
  findings.push(
    finding(
      'error',
      'CALLER_ROLE_MISSING',
      `${facts.caller.name} holds no active ${lacking.map((l) => `${l.names} (to ${l.why})`).join('; nor ')}`,
      'activate or assign the named Entra role(s) (eligible roles must be activated in PIM first), then run again',
    ),
  );
}

/** The signed-in user's active directory roles, or undefined when Graph refuses to list them. */
async function readActiveRoles(
  ctx: RunContext,
): Promise<Array<{ id?: string; roleTemplateId?: string | null; displayName?: string | null }> | undefined> {
  try {
    // Casts on transitiveMemberOf are advanced queries: they need ConsistencyLevel and $count.
    return await ctx.graph.list<{ id?: string; roleTemplateId?: string | null; displayName?: string | null }>(
      withQuery('/me/transitiveMemberOf/microsoft.graph.directoryRole', { $select: 'id,displayName,roleTemplateId', $count: 'true' }),
      { headers: { ConsistencyLevel: 'eventual' } },
    );
  } catch (err) {
    if (err instanceof GraphRequestError && err.status === 403) return undefined;
    throw err;
  }
}

/** True when any pim-policy flag was given. */
export function hasPolicyChanges(ctx: RunContext): boolean {
  const p = ctx.options.policy;
  return (
    p.activationMax !== undefined || p.requireJustification !== undefined || p.requireMfa !== undefined || p.requireApproval !== undefined
  );
}

async function resolveGroup(ctx: RunContext, facts: PrerequisiteFacts, findings: Finding[]): Promise<AdminGroup | undefined> {
  const { graph, options } = ctx;
  type G = AdminGroup;
  let group: G;
  try {
    group = await findGroup<G>(graph, ctx.prompt, options.group, { select: GROUP_SELECT });
  } catch (err) {
    if (!(err instanceof LookupError)) throw err;
    findings.push(lookupFinding(err));
    return undefined;
  }
  findings.push(finding('info', 'GROUP_FOUND', `group: ${group.displayName} (${group.id})`));
  findings.push(...analyseGroup(group));
  const owners = await graph.list<{ id: string; displayName?: string; userPrincipalName?: string }>(
    withQuery(`/groups/${group.id}/owners`, { $select: 'id,displayName,userPrincipalName', $top: 999 }),
  );
  facts.groupOwnerIds = owners.map((o) => o.id);
  if (owners.length) {
    findings.push(
      finding(
        'warning',
        'GROUP_HAS_OWNERS',
        `group owners can add members at any time and so bypass PIM: ${owners.map(who).join(', ')}`,
        'remove standing owners, or govern ownership through PIM too (eligible owner assignments)',
      ),
    );
  }
  return group;
}

/**
 * The read phase of the prerequisites: looks up the app, the group (prompting on a terminal when
 * a name is ambiguous), the licence, the registration, consent, the eligible users and the
 * caller, recording what it finds in `facts` and what it learns on the way as findings. Every
 * check runs, so all failures are reported together.
 */
export async function readPrerequisites(ctx: RunContext, facts: PrerequisiteFacts): Promise<Finding[]> {
  const findings: Finding[] = [];

  // A 403 on one read becomes a finding, so a missing permission does not hide the other checks.
  const guard = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof GraphRequestError && err.status === 403) {
        findings.push(
          finding('error', 'GRAPH_FORBIDDEN', `${what}: ${err.message}`, 'grant the permission named under "caller", then run again'),
        );
        return undefined;
      }
      throw err;
    }
  };
  const [sp, group, skus] = await Promise.all([
    guard('enterprise app', () => resolveApp(ctx, findings)),
    guard('group', () => resolveGroup(ctx, facts, findings)),
    guard('licence', () => ctx.graph.list<MG.SubscribedSku>('/subscribedSkus')),
  ]);
  facts.group = group;
  if (skus) findings.push(analyseLicence(skus));

  if (sp) {
    facts.servicePrincipal = sp;
    findings.push(finding('info', 'APP_FOUND', `enterprise app: ${sp.displayName} (app id ${sp.appId}, object id ${sp.id})`));
    if (sp.accountEnabled === false) {
      findings.push(
        finding(
          'warning',
          'APP_DISABLED',
          `the enterprise app ${sp.displayName} is disabled for sign-in`,
          'enable it (Properties > Enabled for users to sign in) or nobody reaches Keycloak',
        ),
      );
    }
    const app =
      (await guard('app registration', () =>
        ctx.graph.find<MG.Application>(withQuery(`/applications(appId=${odataString(sp.appId)})`, { $select: APP_SELECT })),
      )) ?? null;
    facts.application = app;
    if (!app)
      findings.push(
        finding(
          'info',
          'APP_REGISTRATION_ELSEWHERE',
          'the app registration is not in this tenant (multi-tenant or gallery app); registration checks are skipped',
        ),
      );
    const sso = detectSsoMode(sp, app);
    facts.ssoMode = sso.mode;
    findings.push(finding(sso.mode === 'unknown' ? 'warning' : 'info', 'SSO_MODE', `single sign-on: ${sso.detail}`));
    await guard('admin consent', () => checkConsent(ctx, sp, app, findings));
    findings.push(...analyseClaims(app, sso.mode, Boolean(ctx.options.appRole), group));
    // Both protocols: the keycloak step judges the mapper by the provider it finds, whatever the SP says.
    if (app) facts.groupClaim = { oidc: groupClaimFormat(app, 'idToken', group), saml: groupClaimFormat(app, 'saml2Token', group) };
  }

  facts.eligibleUsers = (await guard('eligible users', () => findEligibleUsers(ctx.graph, ctx.options.eligible, findings))) ?? undefined;
  await guard('caller', () => checkCaller(ctx, facts, findings));
  return findings;
}

/** Reports what the read phase found out about the prerequisites; it never plans a write. */
export const prerequisitesStep: Step<RunContext, TenantSnapshot> = {
  id: 'prerequisites',
  title: 'Prerequisites',
  plan(snapshot): StepPlan {
    return { findings: [...valueOf(snapshot.prerequisites)], actions: [] };
  },
  async apply() {
    // Read-only by design.
  },
};
