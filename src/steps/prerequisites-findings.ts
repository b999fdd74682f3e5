import type * as MG from '@microsoft/microsoft-graph-types';
import type { RunOptions } from '../context.js';
import type { Finding } from '../core/findings.js';
import { finding } from '../core/findings.js';
import { eligibleUsersOf, LookupError, lookupFinding, who } from '../entra/lookup.js';
import type { AuthMethod } from '../graph/auth-methods.js';
import { missingScopeFix } from '../graph/delegated-scopes.js';
import { enumIs } from '../graph/enums.js';
import { groupClaimFormat } from '../graph/group-claim.js';
import { missingPermissions, requiredPermissions, requiredRoles } from '../graph/permissions.js';
import { analyseClaims, analyseConsent, analyseGroup, analyseLicence, detectSsoMode } from './prerequisites-analysis.js';
import type {
  AdminGroup,
  CallerReads,
  ConsentReads,
  PrerequisiteFacts,
  PrerequisiteRead,
  PrerequisiteReads,
  ResourceSp,
  ServicePrincipal,
} from './snapshot.js';

/**
 * The prerequisites' judgement: what their reads returned (`PrerequisiteReads`) and the options
 * in, the facts and the findings out, in a fixed order (the app, the group, the licence, the
 * registration, consent, claims, eligible users, the caller) whatever order concurrent reads
 * answered in. Pure: no reads, no prompts. The read phase calls the helpers below to decide what
 * to read next, so reading and judging agree on what was found.
 */

/** The enterprise app, when its lookup found one. */
export function foundApp(reads: PrerequisiteReads): ServicePrincipal | undefined {
  return reads.app?.ok ? reads.app.value : undefined;
}

/** The admin group, when its lookup found one and its owners could be read (a 403 there leaves the group unknown). */
export function foundGroup(reads: Pick<PrerequisiteReads, 'group' | 'owners'>): AdminGroup | undefined {
  return reads.group?.ok && reads.owners?.ok ? reads.group.value : undefined;
}

/** True when any pim-policy flag was given. */
export function hasPolicyChanges(options: Pick<RunOptions, 'policy'>): boolean {
  const p = options.policy;
  return (
    p.activationMax !== undefined || p.requireJustification !== undefined || p.requireMfa !== undefined || p.requireApproval !== undefined
  );
}

/** What the consent check must read for this registration: nothing (undefined) when it is elsewhere or requests no permission. */
export function consentNeeds(app: MG.Application | null): { resourceIds: string[]; wantsDelegated: boolean } | undefined {
  const required = app?.requiredResourceAccess ?? [];
  if (!app || required.length === 0) return undefined;
  return {
    resourceIds: [...new Set(required.map((r) => r.resourceAppId ?? ''))],
    wantsDelegated: required.some((r) => (r.resourceAccess ?? []).some((a) => enumIs(a.type, 'Scope'))),
  };
}

/** How the caller's token reads: app-only or delegated, and the permissions it carries. */
export function tokenKind(claims: Record<string, unknown>): { appOnly: boolean; granted: string[] } {
  const appOnly = claims.scp === undefined && Array.isArray(claims.roles);
  const granted = appOnly
    ? ((claims.roles as string[]) ?? [])
    : String(claims.scp ?? '')
        .split(' ')
        .filter(Boolean);
  return { appOnly, granted };
}

function permissionInput(options: RunOptions, group: AdminGroup | undefined, appOnly: boolean) {
  return { mode: options.mode, appOnly, roleAssignableGroup: Boolean(group?.isAssignableToRole), policyChanges: hasPolicyChanges(options) };
}

function ownsGroup(reads: PrerequisiteReads, meId: string | undefined): boolean {
  const owners = reads.owners?.ok ? reads.owners.value.map((o) => o.id) : undefined;
  return Boolean(meId && owners?.some((id) => id.toLowerCase() === meId.toLowerCase()));
}

/** The directory roles the signed-in user (`/me` id) needs for this run, given what it owns: none means no role read. */
export function callerRoleNeeds(reads: PrerequisiteReads, options: RunOptions, meId: string | undefined): ReturnType<typeof requiredRoles> {
  return requiredRoles({ ...permissionInput(options, foundGroup(reads), false), callerOwnsGroup: ownsGroup(reads, meId) });
}

function forbidden(what: string, err: { message: string }): Finding {
  return finding('error', 'GRAPH_FORBIDDEN', `${what}: ${err.message}`, 'grant the permission named under "caller", then run again');
}

/** The finding of a read that did not answer: a failed lookup, or Graph's 403 on `what`. */
function refused(what: string, read: PrerequisiteRead<unknown> & { ok: false }): Finding {
  return read.error instanceof LookupError ? lookupFinding(read.error) : forbidden(what, read.error);
}

/**
 * Pure: the facts and findings of the prerequisites' reads. A read left out (reading stopped
 * before it) ends the analysis there, so the facts are those established before the stop.
 */
export function analysePrerequisites(reads: PrerequisiteReads, options: RunOptions): { facts: PrerequisiteFacts; findings: Finding[] } {
  const facts: PrerequisiteFacts = {};
  const findings: Finding[] = [];
  const done = { facts, findings };
  if (!reads.app || !reads.group || !reads.skus) return done;

  if (!reads.app.ok) findings.push(refused('enterprise app', reads.app));
  if (!reads.group.ok) findings.push(refused('group', reads.group));
  else {
    const group = reads.group.value;
    findings.push(finding('info', 'GROUP_FOUND', `group: ${group.displayName} (${group.id})`));
    findings.push(...analyseGroup(group));
    if (reads.owners?.ok) {
      const owners = reads.owners.value;
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
    } else if (reads.owners) findings.push(refused('group', reads.owners));
  }
  if (!reads.skus.ok) findings.push(refused('licence', reads.skus));
  const group = foundGroup(reads);
  facts.group = group;
  if (reads.skus.ok) findings.push(analyseLicence(reads.skus.value));

  const sp = foundApp(reads);
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
    if (!reads.application) return done;
    if (!reads.application.ok) findings.push(refused('app registration', reads.application));
    const app = (reads.application.ok ? reads.application.value : null) ?? null;
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
    const needs = consentNeeds(app);
    if (needs && !reads.consent) return done;
    findings.push(...consentFindings(sp, app, needs, reads.consent));
    findings.push(...analyseClaims(app, sso.mode, Boolean(options.appRole), group));
    // Both protocols: the keycloak step judges the mapper by the provider it finds, whatever the SP says.
    if (app) facts.groupClaim = { oidc: groupClaimFormat(app, 'idToken', group), saml: groupClaimFormat(app, 'saml2Token', group) };
  }

  if (!reads.eligible) return done;
  if (reads.eligible.ok) facts.eligibleUsers = eligibleUsersOf(options.eligible, reads.eligible.value, findings);
  else findings.push(refused('eligible users', reads.eligible));
  if (!reads.caller) return done;
  if (reads.caller.ok) findings.push(...callerFindings(reads, reads.caller.value, options, facts));
  else findings.push(refused('caller', reads.caller));
  return done;
}

function consentFindings(
  sp: ServicePrincipal,
  app: MG.Application | null,
  needs: ReturnType<typeof consentNeeds>,
  read: PrerequisiteRead<ConsentReads> | undefined,
): Finding[] {
  if (!app) {
    return [
      finding(
        'info',
        'CONSENT_UNCHECKED',
        'admin consent: the app registration lives in another tenant, so its requested permissions cannot be read here',
      ),
    ];
  }
  if (!needs || !read) return [finding('info', 'CONSENT_NONE_REQUESTED', 'admin consent: the app requests no API permissions')];
  if (!read.ok) return [refused('admin consent', read)];
  const { resources: resourceSps, grants, appRoleAssignments } = read.value;
  const resources = new Map<string, ResourceSp | null>(needs.resourceIds.map((id, i) => [id, resourceSps[i]]));
  const { missing, unresolved, unverified } = analyseConsent(
    app.requiredResourceAccess ?? [],
    resources,
    grants.ok ? grants.value : undefined,
    appRoleAssignments,
  );
  const out: Finding[] = [];
  if (missing.length) {
    out.push(
      finding(
        'error',
        'CONSENT_MISSING',
        `admin consent missing for: ${missing.join(', ')}`,
        `grant tenant-wide admin consent: Entra admin center > Enterprise applications > ${sp.displayName} > Permissions > Grant admin consent`,
      ),
    );
  }
  if (unverified.length) {
    out.push(
      finding(
        'warning',
        'CONSENT_UNVERIFIED',
        `admin consent not verified for: ${unverified.join(', ')}; reading delegated permission grants needs Directory.Read.All (Graph answered 403)`,
        `check Enterprise applications > ${sp.displayName} > Permissions in the Entra admin center, or grant Directory.Read.All ` +
          `(optional) to let this tool check it`,
      ),
    );
  }
  if (!missing.length && !unverified.length) {
    out.push(finding('info', 'CONSENT_OK', 'admin consent: every requested permission is granted tenant-wide'));
  }
  if (unresolved.length) {
    out.push(
      finding('warning', 'CONSENT_RESOURCE_UNKNOWN', `admin consent: resource app(s) ${unresolved.join(', ')} not found in this tenant`),
    );
  }
  return out;
}

/** The caller's findings; sets `facts.caller` once the identity is known. */
function callerFindings(reads: PrerequisiteReads, caller: CallerReads, options: RunOptions, facts: PrerequisiteFacts): Finding[] {
  const findings: Finding[] = [];
  const { claims } = caller;
  const { appOnly, granted } = tokenKind(claims);
  const group = facts.group;
  const input = permissionInput(options, group, appOnly);
  if (typeof claims.tid === 'string' && claims.tid !== options.tenantId) {
    findings.push(
      finding(
        'error',
        'CALLER_WRONG_TENANT',
        `the token is for tenant ${claims.tid}, not ${options.tenantId}`,
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
          `the ${appOnly ? 'application' : 'delegated'} token lacks ${missing.map((m) => `${m.permission} (to ${m.why})`).join(', ')} for ${options.mode}`,
          appOnly
            ? `grant ${missing.map((m) => m.permission).join(', ')} as application permissions with admin consent to the identity running this tool`
            : missingScopeFix(
                caller.signIn?.method as AuthMethod | undefined,
                missing.map((m) => m.permission),
                caller.signIn?.clientId,
              ),
        ),
      );
    } else {
      findings.push(
        finding(
          'info',
          'CALLER_PERMISSIONS_OK',
          `caller: the ${appOnly ? 'application' : 'delegated'} token carries every permission ${options.mode} needs`,
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
    return findings;
  }
  if (!caller.me) return findings;
  if (!caller.me.ok) return [...findings, refused('caller', caller.me)];
  const me = caller.me.value;
  facts.caller = { kind: 'user', id: me?.id, name: me?.userPrincipalName ?? me?.displayName ?? String(claims.upn ?? '') };
  if (ownsGroup(reads, me?.id) && group && !group.isAssignableToRole) {
    findings.push(
      finding(
        'info',
        'CALLER_OWNS_GROUP',
        `${facts.caller.name} owns ${group.displayName}, so may manage its members and PIM assignments without a directory role`,
      ),
    );
  }
  const roleNeeds = callerRoleNeeds(reads, options, me?.id);
  if (roleNeeds.length === 0 || !caller.roles) return findings;
  const roles = caller.roles.ok ? caller.roles.value : undefined;
  const held = new Set((roles ?? []).map((r) => r.roleTemplateId).filter(Boolean));
  const lacking = roleNeeds.filter((n) => !n.anyOf.some((id) => held.has(id)));
  if (lacking.length === 0) return findings;
  // Without RoleManagement.Read.Directory (or Directory.Read.All) Graph returns the roles with
  // limited information: id and @odata.type only, roleTemplateId null. Nulls prove nothing, so
  // the check says so and leaves the verdict to Graph's own 403 on the write.
  if (!roles || roles.some((r) => !r.roleTemplateId)) {
    findings.push(
      finding(
        'warning',
        'CALLER_ROLES_UNVERIFIED',
        `could not verify ${facts.caller.name}'s directory roles: the token cannot read role details (that needs ` +
          `RoleManagement.Read.Directory or Directory.Read.All); a write the roles do not allow will fail with Graph's 403`,
        `make sure ${lacking.map((l) => l.names).join('; and ')} is active (eligible roles must be activated in PIM first), or ` +
          `grant RoleManagement.Read.Directory (optional) to let this tool check it`,
      ),
    );
    return findings;
  }
  findings.push(
    finding(
      'error',
      'CALLER_ROLE_MISSING',
      `${facts.caller.name} holds no active ${lacking.map((l) => `${l.names} (to ${l.why})`).join('; nor ')}`,
      'activate or assign the named Entra role(s) (eligible roles must be activated in PIM first), then run again',
    ),
  );
  return findings;
}
