import type * as MG from '@microsoft/microsoft-graph-types';
import type { RunContext } from '../context.js';
import { odataString, withQuery } from '../graph/graph-api.js';
import { jwtClaims } from '../core/jwt.js';
import { delegatedScopes } from '../graph/delegated-scopes.js';
import type { Step, StepPlan } from '../plan/types.js';
import type {
  AdminGroup,
  CallerReads,
  ConsentReads,
  DirectoryRoleHeld,
  GroupOwner,
  PrerequisiteRead,
  PrerequisiteReads,
  ResourceSp,
  ServicePrincipal,
  TenantSnapshot,
} from './snapshot.js';
import { GraphRequestError } from '../errors.js';
import { findApp, findGroup, LookupError, readEligibleUsers } from '../entra/lookup.js';
import {
  analysePrerequisites,
  callerRoleNeeds,
  consentNeeds,
  foundApp,
  foundGroup,
  hasPolicyChanges,
  tokenKind,
} from './prerequisites-findings.js';

// keyCredentials and preferredTokenSigningKeyThumbprint: the app's SAML signing keys, which the
// keycloak step compares with a SAML provider's pasted certificate. In the same request (no extra
// read for OIDC apps); Application.Read.All reads them (Learn "Get servicePrincipal").
const SP_SELECT =
  'id,appId,displayName,appRoleAssignmentRequired,accountEnabled,preferredSingleSignOnMode,samlSingleSignOnSettings,appRoles,' +
  'servicePrincipalType,tags,appOwnerOrganizationId,keyCredentials,preferredTokenSigningKeyThumbprint';
const APP_SELECT = 'id,appId,displayName,identifierUris,web,groupMembershipClaims,optionalClaims,appRoles,requiredResourceAccess';
const GROUP_SELECT =
  'id,displayName,description,securityEnabled,mailEnabled,groupTypes,isAssignableToRole,onPremisesSyncEnabled,membershipRule';

const ME = withQuery('/me', { $select: 'id,displayName,userPrincipalName' });

type Sp = ServicePrincipal;

/** A read's typed outcome, or the Graph error (not a 403) that ends the prerequisites' reading. */
type Attempt<T> = PrerequisiteRead<T> | { stop: GraphRequestError };

function isStop<T>(a: Attempt<T> | undefined): a is { stop: GraphRequestError } {
  return a !== undefined && 'stop' in a;
}

/**
 * Runs one read and records how it ended: a 403 (and, for the app and group `lookups`, a lookup
 * that found nothing or could not choose) is kept for the analysis to report, so a missing
 * permission does not hide the other checks; any other Graph error stops the reading; anything
 * else (a cancelled prompt) ends the run.
 */
async function attempt<T>(fn: () => Promise<T>, lookups = false): Promise<Attempt<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    if (lookups && err instanceof LookupError) return { ok: false, error: err };
    if (err instanceof GraphRequestError) return err.status === 403 ? { ok: false, error: err } : { stop: err };
    throw err;
  }
}

/** The group (a choice on a terminal when its name is ambiguous), then its owners. */
async function readGroup(ctx: RunContext): Promise<{ group: Attempt<AdminGroup>; owners?: Attempt<GroupOwner[]> }> {
  const { graph, options } = ctx;
  const group = await attempt(() => findGroup<AdminGroup>(graph, ctx.prompt, options.group, { select: GROUP_SELECT }), true);
  if (isStop(group) || !group.ok) return { group };
  const owners = await attempt(() =>
    graph.list<GroupOwner>(withQuery(`/groups/${group.value.id}/owners`, { $select: 'id,displayName,userPrincipalName', $top: 999 })),
  );
  return { group, owners };
}

/** The reads of the consent check: the resource apps, the delegated grants (when a scope is requested) and the app role assignments. */
async function readConsent(ctx: RunContext, sp: Sp, needs: NonNullable<ReturnType<typeof consentNeeds>>): Promise<Attempt<ConsentReads>> {
  const { graph } = ctx;
  const none: PrerequisiteRead<MG.OAuth2PermissionGrant[]> = { ok: true, value: [] };
  const [resources, grants, appRoleAssignments] = await Promise.all([
    attempt(() =>
      graph.getMany<ResourceSp>(
        needs.resourceIds.map((id) =>
          withQuery(`/servicePrincipals(appId=${odataString(id)})`, { $select: 'id,appId,displayName,appRoles,oauth2PermissionScopes' }),
        ),
      ),
    ),
    needs.wantsDelegated ? readGrants(ctx, sp) : Promise.resolve(none),
    attempt(() => graph.list<MG.AppRoleAssignment>(`/servicePrincipals/${sp.id}/appRoleAssignments`)),
  ]);
  // The first failure in this order, not in the order the answers came: a grants 403 is the
  // grants' own answer (consent unverified), not a failure of the check.
  if (isStop(resources)) return resources;
  if (isStop(grants)) return grants;
  if (isStop(appRoleAssignments)) return appRoleAssignments;
  if (!resources.ok) return resources;
  if (!appRoleAssignments.ok) return appRoleAssignments;
  return { ok: true, value: { resources: resources.value, grants, appRoleAssignments: appRoleAssignments.value } };
}

/**
 * Delegated grants of the app; a 403 when the token may not read them: every documented way
 * (List oauth2PermissionGrants, and the service principal's oauth2PermissionGrants) needs
 * Directory.Read.All, which least-privilege callers do not hold; the check then degrades to a warning.
 */
async function readGrants(ctx: RunContext, sp: Sp): Promise<Attempt<MG.OAuth2PermissionGrant[]>> {
  // Filtering on clientId keeps the replication delay of grants to a minimum (Learn "List oauth2PermissionGrants").
  return attempt(() =>
    ctx.graph.list<MG.OAuth2PermissionGrant>(withQuery('/oauth2PermissionGrants', { $filter: `clientId eq ${odataString(sp.id)}` })),
  );
}

/**
 * The caller: the token's claims (after asking a public-client sign-in for the scopes the run
 * needs), then for a user `/me`, then the user's active directory roles when the run needs one.
 */
async function readCaller(
  ctx: RunContext,
  reads: PrerequisiteReads,
): Promise<{ caller?: PrerequisiteRead<CallerReads>; stopped?: GraphRequestError }> {
  const { graph, options } = ctx;
  const start = await attempt(async (): Promise<CallerReads> => {
    // A public-client sign-in asks now for what only the group (role-assignable) or the wizard (policy) told.
    await graph.requestScopes?.(
      delegatedScopes({
        command: options.mode,
        policyChanges: hasPolicyChanges(options),
        roleAssignableGroup: Boolean(foundGroup(reads)?.isAssignableToRole),
      }),
    );
    const claims = jwtClaims(await graph.token());
    const signIn = graph.signIn;
    return { claims, signIn: signIn && { method: signIn.method, clientId: signIn.clientId } };
  });
  if (isStop(start)) return { stopped: start.stop };
  if (!start.ok || tokenKind(start.value.claims).appOnly) return { caller: start };
  const caller = start.value;
  const me = await attempt(async () => graph.find<{ id: string; userPrincipalName?: string; displayName?: string }>(ME));
  if (isStop(me)) return { caller: start, stopped: me.stop };
  caller.me = me;
  if (!me.ok || callerRoleNeeds(reads, options, me.value?.id).length === 0) return { caller: start };
  // Casts on transitiveMemberOf are advanced queries: they need ConsistencyLevel and $count.
  const roles = await attempt(() =>
    graph.list<DirectoryRoleHeld>(
      withQuery('/me/transitiveMemberOf/microsoft.graph.directoryRole', { $select: 'id,displayName,roleTemplateId', $count: 'true' }),
      { headers: { ConsistencyLevel: 'eventual' } },
    ),
  );
  if (isStop(roles)) return { caller: start, stopped: roles.stop };
  caller.roles = roles;
  return { caller: start };
}

/**
 * The read phase of the prerequisites: looks up the app, the group (prompting on a terminal when
 * a name is ambiguous), the licence, the registration, consent, the eligible users and the
 * caller, and records what each read returned; what to read next follows from what was found,
 * decided by the analysis' own helpers. It makes no finding: `analysePrerequisites` judges the
 * reads. Every check runs, so all failures are reported together; a Graph error other than a
 * 403 stops the reading (`stopped`), and the reads after it are left out.
 */
export async function readPrerequisites(ctx: RunContext): Promise<PrerequisiteReads> {
  const { graph, options } = ctx;
  const [app, { group, owners }, skus] = await Promise.all([
    attempt(
      () => findApp<Sp>(graph, ctx.prompt, { appId: options.appId, appName: options.appName, tenantId: options.tenantId }, SP_SELECT),
      true,
    ),
    readGroup(ctx),
    attempt(() => graph.list<MG.SubscribedSku>('/subscribedSkus')),
  ]);
  // The first stop in this order, not in the order the answers came.
  for (const a of [app, group, owners, skus] as Array<Attempt<unknown> | undefined>) if (isStop(a)) return { stopped: a.stop };
  const reads: { -readonly [K in keyof PrerequisiteReads]: PrerequisiteReads[K] } = {
    app: app as PrerequisiteRead<Sp>,
    group: group as PrerequisiteRead<AdminGroup>,
    owners: owners as PrerequisiteRead<GroupOwner[]> | undefined,
    skus: skus as PrerequisiteRead<MG.SubscribedSku[]>,
  };

  const sp = foundApp(reads);
  if (sp) {
    const application = await attempt(
      async () =>
        (await graph.find<MG.Application>(withQuery(`/applications(appId=${odataString(sp.appId)})`, { $select: APP_SELECT }))) ?? null,
    );
    if (isStop(application)) return { ...reads, stopped: application.stop };
    reads.application = application;
    const needs = consentNeeds(application.ok ? application.value : null);
    if (needs) {
      const consent = await readConsent(ctx, sp, needs);
      if (isStop(consent)) return { ...reads, stopped: consent.stop };
      reads.consent = consent;
    }
  }

  const eligible = await attempt(() => readEligibleUsers(graph, options.eligible));
  if (isStop(eligible)) return { ...reads, stopped: eligible.stop };
  reads.eligible = eligible;
  const { caller, stopped } = await readCaller(ctx, reads);
  reads.caller = caller;
  return stopped ? { ...reads, stopped } : reads;
}

/** Reports what the prerequisites' reads found (`analysePrerequisites`); it never plans a write. */
export const prerequisitesStep: Step<RunContext, TenantSnapshot> = {
  id: 'prerequisites',
  title: 'Prerequisites',
  plan(snapshot, options): StepPlan {
    // As when the step read for itself: the error that stopped its reads is the step's PLAN_FAILED.
    if (snapshot.prerequisites.stopped) throw snapshot.prerequisites.stopped;
    return { findings: analysePrerequisites(snapshot.prerequisites, options).findings, actions: [] };
  },
  async apply() {
    // Read-only by design.
  },
};
