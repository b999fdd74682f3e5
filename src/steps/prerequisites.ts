import type * as MG from '@microsoft/microsoft-graph-types';
import type { RunContext } from '../context.js';
import { odataString, withQuery } from '../graph/graph-api.js';
import type { AuthMethod } from '../graph/credential.js';
import { jwtClaims } from '../core/jwt.js';
import { delegatedScopes, missingScopeFix } from '../graph/delegated-scopes.js';
import { missingPermissions, requiredPermissions, requiredRoles } from '../graph/permissions.js';
import type { Step, StepPlan } from '../plan/types.js';
import type { Finding } from '../core/findings.js';
import { finding } from '../core/findings.js';
import { GraphRequestError } from '../errors.js';
import type { Facts } from './facts.js';
import { findApp, findEligibleUsers, findGroup, LookupError, lookupFinding, who } from '../entra/lookup.js';
import { appRolesDisplaced, groupClaimFormat, tokenFor, type ClaimGroup, type ClaimToken } from './group-claim.js';
import { enumIs, enumListHas } from '../graph/enums.js';

// keyCredentials and preferredTokenSigningKeyThumbprint: the app's SAML signing keys, which the
// keycloak step compares with a SAML provider's pasted certificate. In the same request (no extra
// read for OIDC apps); Application.Read.All reads them (Learn "Get servicePrincipal").
const SP_SELECT = 'id,appId,displayName,appRoleAssignmentRequired,accountEnabled,preferredSingleSignOnMode,samlSingleSignOnSettings,appRoles,servicePrincipalType,tags,appOwnerOrganizationId,keyCredentials,preferredTokenSigningKeyThumbprint';
const APP_SELECT = 'id,appId,displayName,identifierUris,web,groupMembershipClaims,optionalClaims,appRoles,requiredResourceAccess';
const GROUP_SELECT = 'id,displayName,description,securityEnabled,mailEnabled,groupTypes,isAssignableToRole,onPremisesSyncEnabled,membershipRule';

/** Service plans that carry PIM (graph-api.md §5): match plans, not SKUs (P2 ships inside E5 etc.). */
export const PIM_SERVICE_PLANS: Record<string, string> = {
  'eec0eb4f-6444-4f95-aba0-50c24d67f998': 'AAD_PREMIUM_P2',
  'e866a266-3cff-43a3-acca-0c90a7e00c8b': 'Entra_Identity_Governance',
};

type Sp = MG.ServicePrincipal & { id: string; appId: string };

/** Decides OIDC vs SAML from the SP's preferred mode and the registration. */
export function detectSsoMode(sp: MG.ServicePrincipal, app: MG.Application | null | undefined): { mode: 'oidc' | 'saml' | 'unknown'; detail: string } {
  const redirects = app?.web?.redirectUris ?? [];
  if (enumIs(sp.preferredSingleSignOnMode, 'saml')) {
    const entity = app?.identifierUris?.[0];
    return { mode: 'saml', detail: `SAML (entity id ${entity ?? 'unknown'}; reply URL ${redirects[0] ?? 'unknown'})` };
  }
  if (enumIs(sp.preferredSingleSignOnMode, 'oidc') || redirects.length > 0) {
    const broker = redirects.find((u) => /\/broker\/[^/]+\/endpoint/.test(u));
    return { mode: 'oidc', detail: `OpenID Connect (redirect URI ${broker ?? redirects[0] ?? 'none'})` };
  }
  return { mode: 'unknown', detail: 'unknown: no SAML mode and no redirect URIs' };
}

interface ResourceSp {
  id: string;
  appId: string;
  displayName?: string | null;
  appRoles?: Array<{ id?: string | null; value?: string | null }> | null;
  oauth2PermissionScopes?: Array<{ id?: string | null; value?: string | null }> | null;
}

/**
 * Admin consent is complete when every delegated scope the app requests is in an AllPrincipals
 * grant for its resource, and every application permission has an app role assignment.
 */
export function analyseConsent(
  required: MG.RequiredResourceAccess[],
  resources: Map<string, ResourceSp | null>,
  grants: MG.OAuth2PermissionGrant[] | undefined,
  appRoleAssignments: MG.AppRoleAssignment[],
): { missing: string[]; unresolved: string[]; unverified: string[] } {
  const missing: string[] = [];
  const unresolved: string[] = [];
  // Delegated scopes whose grants could not be read (undefined grants): neither granted nor missing.
  const unverified: string[] = [];
  for (const rra of required) {
    const res = resources.get(rra.resourceAppId ?? '');
    if (!res) {
      unresolved.push(rra.resourceAppId ?? '?');
      continue;
    }
    const granted = new Set(
      (grants ?? [])
        .filter((g) => enumIs(g.consentType, 'AllPrincipals') && g.resourceId === res.id)
        .flatMap((g) => (g.scope ?? '').split(' ').filter(Boolean)),
    );
    for (const ra of rra.resourceAccess ?? []) {
      if (enumIs(ra.type, 'Scope')) {
        const value = res.oauth2PermissionScopes?.find((s) => s.id === ra.id)?.value ?? ra.id ?? '?';
        const label = `${value} (delegated, ${res.displayName ?? res.appId})`;
        if (grants === undefined) unverified.push(label);
        else if (!granted.has(value)) missing.push(label);
      } else {
        const value = res.appRoles?.find((r) => r.id === ra.id)?.value ?? ra.id ?? '?';
        const ok = appRoleAssignments.some((a) => a.resourceId === res.id && a.appRoleId === ra.id);
        if (!ok) missing.push(`${value} (application, ${res.displayName ?? res.appId})`);
      }
    }
  }
  return { missing, unresolved, unverified };
}

/** Finds an enabled subscription that carries P2 or ID Governance. */
export function analyseLicence(skus: MG.SubscribedSku[]): Finding {
  const carrying = skus.filter((s) =>
    (s.servicePlans ?? []).some((p) => PIM_SERVICE_PLANS[p.servicePlanId ?? ''] && enumIs(p.provisioningStatus, 'Success')),
  );
  const plan = (s: MG.SubscribedSku) =>
    (s.servicePlans ?? []).map((p) => PIM_SERVICE_PLANS[p.servicePlanId ?? '']).find(Boolean);
  const enabled = carrying.find((s) => enumIs(s.capabilityStatus, 'Enabled'));
  if (enabled) return finding('info', 'LICENCE_OK', `licence: ${enabled.skuPartNumber} carries ${plan(enabled)}`);
  const grace = carrying.find((s) => enumIs(s.capabilityStatus, 'Warning'));
  if (grace) {
    return finding('warning', 'LICENCE_GRACE', `licence: ${grace.skuPartNumber} carries ${plan(grace)} but is in its grace period (Warning)`, 'renew the subscription before it is suspended, or PIM stops working');
  }
  return finding(
    'error',
    'LICENCE_MISSING',
    'licence: no enabled subscription carries Entra ID P2 (AAD_PREMIUM_P2) or Entra ID Governance, which PIM for Groups needs',
    'buy or assign Microsoft Entra ID P2, Entra ID Governance or a suite that includes them (e.g. Microsoft 365 E5)',
  );
}

const TOKEN_LABEL: Record<ClaimToken, string> = { idToken: 'ID token', saml2Token: 'SAML assertion' };

/**
 * Checks that the token Keycloak reads will carry what its mapper matches, in the format the app
 * really emits (see group-claim.ts): object ids, display names (cloud_displayname) or nothing.
 */
export function analyseClaims(app: MG.Application | null | undefined, ssoMode: string, appRoleMode: boolean, group?: ClaimGroup): Finding[] {
  const token = tokenFor(ssoMode === 'saml' ? 'saml' : 'oidc');
  if (appRoleMode) {
    const where = ssoMode === 'saml' ? 'SAML role attribute' : 'roles claim of the ID token';
    if (app && appRolesDisplaced(app, token)) {
      // Learn "Configure optional claims": with emit_as_roles, assigned app roles are not in the role claim.
      return [
        finding(
          'error',
          'CLAIM_ROLES_DISPLACED',
          `claims: the groups claim is configured with emit_as_roles (optionalClaims.${token}), so Entra puts group values in the ${where} and leaves the app roles out: the app role never reaches Keycloak`,
          'remove emit_as_roles from the groups optional claim (Token configuration), or map the group instead of an app role (no --app-role)',
        ),
      ];
    }
    return [finding('info', 'CLAIM_ROLES', `claims: app roles reach Keycloak in the ${where}`)];
  }
  if (!app) {
    return [finding('warning', 'CLAIM_UNKNOWN', 'claims: the app registration is not in this tenant, so the groups claim cannot be checked', 'confirm the groups claim is emitted in the ID token (or SAML assertion)')];
  }
  const gmc = app.groupMembershipClaims ?? 'None';
  const format = groupClaimFormat(app, token, group);
  if (!format.emitted) {
    return [
      finding(
        'error',
        'CLAIM_GROUPS_MISSING',
        `claims: the app emits no groups claim (groupMembershipClaims is ${gmc}), so Keycloak cannot see the admin group`,
        'in the app registration > Token configuration, add a groups claim limited to "Groups assigned to the application" (groupMembershipClaims: ApplicationGroup), or use --app-role',
      ),
    ];
  }
  const name = group ? `group ${group.displayName ?? group.id}` : 'group';
  const inClaim = `the ${format.claim} claim of the ${TOKEN_LABEL[token]}${format.claim === 'roles' ? ' (emit_as_roles)' : ''}`;
  const out: Finding[] = [];
  if (format.valueKind === 'absent') {
    out.push(
      finding(
        'error',
        'CLAIM_GROUP_NOT_EMITTED',
        `claims: the groups claim carries on-premises names (${format.onPremisesFormat}), which only groups synced from Active Directory have; Entra leaves the cloud-only ${name} out of the claim, so Keycloak can never see it (${format.source})`,
        'remove the sAMAccountName option from the groups optional claim, or add cloud_displayname with groupMembershipClaims ApplicationGroup, or use --app-role',
      ),
    );
  } else if (format.valueKind === 'display-name') {
    out.push(finding('info', 'CLAIM_GROUPS', `claims: ${inClaim} carries display names of groups assigned to the app (${format.source}); Keycloak must match ${format.value ? `"${format.value}"` : 'the display name'}`));
    out.push(
      finding(
        'warning',
        'CLAIM_GROUP_DISPLAY_NAMES',
        `claims: group display names are not unique: any other group assigned to the app that is named (or renamed) ${format.value ? `"${format.value}"` : 'like the admin group'} also reaches Keycloak as the admin group`,
        'prefer object ids: remove cloud_displayname from the groups optional claim (Token configuration), then run with --fix-keycloak to match the object id; or use --app-role',
      ),
    );
  } else {
    const what = format.valueKind === 'object-id' ? 'group object ids' : `on-premises names (${format.onPremisesFormat})`;
    out.push(finding('info', 'CLAIM_GROUPS', `claims: ${inClaim} carries ${what} (${format.source})${format.value ? `; Keycloak must match ${format.value}` : ''}`));
  }
  if (format.displayNameIgnored) {
    out.push(
      finding(
        'warning',
        'CLAIM_DISPLAY_NAME_IGNORED',
        `claims: cloud_displayname is set, but Entra emits display names only when groupMembershipClaims is ApplicationGroup (it is ${gmc}), so the claim carries object ids`,
        'match the object id in Keycloak, or set groupMembershipClaims to ApplicationGroup if names are intended',
      ),
    );
  }
  if (!format.applicationGroupsOnly) {
    out.push(
      finding(
        'warning',
        'CLAIM_GROUP_OVERAGE',
        `claims: groupMembershipClaims ${gmc} emits every group a user belongs to; above 200 (150 in SAML) Entra drops the claim and Keycloak silently loses the mapping`,
        'limit the claim to groups assigned to the application (ApplicationGroup), or use --app-role',
      ),
    );
  }
  return out;
}

/** Gates for a group PIM can govern. */
export function analyseGroup(group: MG.Group): Finding[] {
  const out: Finding[] = [];
  const name = `group ${group.displayName} (${group.id})`;
  if (enumListHas(group.groupTypes, 'DynamicMembership')) {
    out.push(finding('error', 'GROUP_DYNAMIC', `${name} has dynamic membership (${group.membershipRule ?? 'rule'}): PIM cannot govern it and its members cannot be removed`, 'use an assigned-membership security group'));
  }
  if (group.onPremisesSyncEnabled) {
    out.push(finding('error', 'GROUP_SYNCED', `${name} is synchronised from on-premises AD: PIM for Groups cannot govern it`, 'use a cloud-only security group'));
  }
  if (group.isAssignableToRole) {
    out.push(finding('info', 'GROUP_ROLE_ASSIGNABLE', `${name} is role-assignable: changing it needs Privileged Role Administrator and RoleManagement.ReadWrite.Directory`));
  }
  const unified = enumListHas(group.groupTypes, 'Unified');
  if (group.mailEnabled && !unified) {
    // Graph cannot change their membership (400 "Cannot Update a mail-enabled security groups and
    // or distribution list."), so a run would onboard the group to PIM (irreversible) and then
    // fail at removing the standing members: refuse before anything is written.
    const kind = group.securityEnabled ? 'a mail-enabled security group' : 'a distribution list';
    out.push(
      finding(
        'error',
        'GROUP_MAIL_ENABLED',
        `${name} is ${kind}: its membership is managed in Exchange and Microsoft Graph cannot add or remove its members, so PIM for Groups cannot govern it`,
        'use a security group that is not mail-enabled (or a Microsoft 365 group)',
      ),
    );
  } else if (group.securityEnabled === false && !unified) {
    out.push(finding('error', 'GROUP_NOT_SECURITY', `${name} is neither a security group nor a Microsoft 365 group`, 'use a security group'));
  }
  return out;
}

async function resolveApp(ctx: RunContext, findings: Finding[]): Promise<Sp | undefined> {
  const { options } = ctx;
  try {
    return await findApp<Sp>(ctx.graph, ctx.prompt, { appId: options.appId, appName: options.appName, tenantId: options.tenantId }, SP_SELECT);
  } catch (err) {
    if (!(err instanceof LookupError)) throw err;
    findings.push(lookupFinding(err));
    return undefined;
  }
}

async function checkConsent(ctx: RunContext, sp: Sp, app: MG.Application | null, findings: Finding[]): Promise<void> {
  if (!app) {
    findings.push(finding('info', 'CONSENT_UNCHECKED', 'admin consent: the app registration lives in another tenant, so its requested permissions cannot be read here'));
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
    graph.getMany<ResourceSp>(resourceIds.map((id) => withQuery(`/servicePrincipals(appId=${odataString(id)})`, { $select: 'id,appId,displayName,appRoles,oauth2PermissionScopes' }))),
    wantsDelegated ? readGrants(ctx, sp) : Promise.resolve([]),
    graph.list<MG.AppRoleAssignment>(`/servicePrincipals/${sp.id}/appRoleAssignments`),
  ]);
  const resources = new Map(resourceIds.map((id, i) => [id, resourceSps[i]]));
  const { missing, unresolved, unverified } = analyseConsent(required, resources, grants, assignments);
  if (missing.length) {
    findings.push(
      finding('error', 'CONSENT_MISSING', `admin consent missing for: ${missing.join(', ')}`, `grant tenant-wide admin consent: Entra admin center > Enterprise applications > ${sp.displayName} > Permissions > Grant admin consent`),
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
    findings.push(finding('warning', 'CONSENT_RESOURCE_UNKNOWN', `admin consent: resource app(s) ${unresolved.join(', ')} not found in this tenant`));
  }
}

/**
 * Delegated grants of the app, or undefined when the token may not read them: every documented
 * way (List oauth2PermissionGrants, and the service principal's oauth2PermissionGrants) needs
 * Directory.Read.All, which least-privilege callers do not hold; the check then degrades to a warning.
 */
async function readGrants(ctx: RunContext, sp: Sp): Promise<MG.OAuth2PermissionGrant[] | undefined> {
  try {
    // Filtering on clientId keeps the replication delay of grants to a minimum (graph-api.md §3).
    return await ctx.graph.list<MG.OAuth2PermissionGrant>(withQuery('/oauth2PermissionGrants', { $filter: `clientId eq ${odataString(sp.id)}` }));
  } catch (err) {
    if (err instanceof GraphRequestError && err.status === 403) return undefined;
    throw err;
  }
}

async function checkCaller(ctx: RunContext, facts: Facts, findings: Finding[]): Promise<void> {
  // A public-client sign-in asks now for what only the group (role-assignable) or the wizard (policy) told.
  await ctx.graph.requestScopes?.(delegatedScopes({ command: ctx.options.mode, policyChanges: hasPolicyChanges(ctx), roleAssignableGroup: Boolean(facts.group?.isAssignableToRole) }));
  const token = await ctx.graph.token();
  const claims = jwtClaims(token);
  const appOnly = claims.scp === undefined && Array.isArray(claims.roles);
  const granted = appOnly ? ((claims.roles as string[]) ?? []) : String(claims.scp ?? '').split(' ').filter(Boolean);
  const group = facts.group;
  const input = {
    mode: ctx.options.mode,
    appOnly,
    roleAssignableGroup: Boolean(group?.isAssignableToRole),
    policyChanges: hasPolicyChanges(ctx),
  };
  if (typeof claims.tid === 'string' && claims.tid !== ctx.options.tenantId) {
    findings.push(finding('error', 'CALLER_WRONG_TENANT', `the token is for tenant ${claims.tid}, not ${ctx.options.tenantId}`, 'sign in to the tenant given by --tenant-id'));
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
            : missingScopeFix(ctx.graph.signIn?.method as AuthMethod | undefined, missing.map((m) => m.permission), ctx.graph.signIn?.clientId),
        ),
      );
    } else {
      findings.push(finding('info', 'CALLER_PERMISSIONS_OK', `caller: the ${appOnly ? 'application' : 'delegated'} token carries every permission ${ctx.options.mode} needs`));
    }
  } else {
    findings.push(finding('warning', 'CALLER_PERMISSIONS_UNKNOWN', 'caller: the token carries no scp or roles claim to check; permission errors will surface as Graph 403s'));
  }
  if (appOnly) {
    facts.caller = { kind: 'app', id: String(claims.appid ?? claims.azp ?? ''), name: String(claims.app_displayname ?? claims.appid ?? 'application') };
    return;
  }
  const me = await ctx.graph.find<{ id: string; userPrincipalName?: string; displayName?: string }>(withQuery('/me', { $select: 'id,displayName,userPrincipalName' }));
  facts.caller = { kind: 'user', id: me?.id, name: me?.userPrincipalName ?? me?.displayName ?? String(claims.upn ?? '') };
  const ownsGroup = Boolean(me?.id && facts.groupOwnerIds?.some((id) => id.toLowerCase() === me.id.toLowerCase()));
  if (ownsGroup && group && !group.isAssignableToRole) {
    findings.push(finding('info', 'CALLER_OWNS_GROUP', `${facts.caller.name} owns ${group.displayName}, so may manage its members and PIM assignments without a directory role`));
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
async function readActiveRoles(ctx: RunContext): Promise<Array<{ id?: string; roleTemplateId?: string | null; displayName?: string | null }> | undefined> {
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
  return p.activationMax !== undefined || p.requireJustification !== undefined || p.requireMfa !== undefined || p.requireApproval !== undefined;
}

async function resolveGroup(ctx: RunContext, findings: Finding[]): Promise<Facts['group']> {
  const { graph, options } = ctx;
  type G = NonNullable<Facts['group']>;
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
  ctx.facts.groupOwnerIds = owners.map((o) => o.id);
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
 * Checks everything the later steps rely on and records it in ctx.facts. Every check runs,
 * so all failures are reported together; it never plans a write.
 */
export const prerequisitesStep: Step<RunContext> = {
  id: 'prerequisites',
  title: 'Prerequisites',
  async plan(ctx): Promise<StepPlan> {
    const findings: Finding[] = [];
    const facts = ctx.facts;
    facts.tenantId = ctx.options.tenantId;

    // A 403 on one read becomes a finding, so a missing permission does not hide the other checks.
    const guard = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await fn();
      } catch (err) {
        if (err instanceof GraphRequestError && err.status === 403) {
          findings.push(finding('error', 'GRAPH_FORBIDDEN', `${what}: ${err.message}`, 'grant the permission named under "caller", then run again'));
          return undefined;
        }
        throw err;
      }
    };
    const [sp, group, skus] = await Promise.all([
      guard('enterprise app', () => resolveApp(ctx, findings)),
      guard('group', () => resolveGroup(ctx, findings)),
      guard('licence', () => ctx.graph.list<MG.SubscribedSku>('/subscribedSkus')),
    ]);
    facts.group = group;
    if (skus) findings.push(analyseLicence(skus));

    if (sp) {
      facts.servicePrincipal = sp;
      findings.push(finding('info', 'APP_FOUND', `enterprise app: ${sp.displayName} (app id ${sp.appId}, object id ${sp.id})`));
      if (sp.accountEnabled === false) {
        findings.push(finding('warning', 'APP_DISABLED', `the enterprise app ${sp.displayName} is disabled for sign-in`, 'enable it (Properties > Enabled for users to sign in) or nobody reaches Keycloak'));
      }
      const app = (await guard('app registration', () => ctx.graph.find<MG.Application>(withQuery(`/applications(appId=${odataString(sp.appId)})`, { $select: APP_SELECT })))) ?? null;
      facts.application = app;
      if (!app) findings.push(finding('info', 'APP_REGISTRATION_ELSEWHERE', 'the app registration is not in this tenant (multi-tenant or gallery app); registration checks are skipped'));
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
    return { findings, actions: [] };
  },
  async apply() {
    // Read-only by design.
  },
};
