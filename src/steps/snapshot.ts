import type * as MG from '@microsoft/microsoft-graph-types';
import type { ApproverAnswer } from '../entra/approvers.js';
import type { EligibleUser, EligibleUserAnswer, LookupError } from '../entra/lookup.js';
import type { GraphRequestError } from '../errors.js';
import type { GraphResponse } from '../graph/answers.js';
import type { PimInstance, PolicyRule } from '../entra/pim.js';
import type { GroupClaimFormat } from '../graph/group-claim.js';
import type { RealmSnapshot } from '../keycloak/realm-snapshot.js';
import type { PimSchedule, PrincipalAccount, UsableEligibility } from './usable-eligibility.js';

/** A directory object as listed in group members/owners. */
export interface DirectoryMember {
  id: string;
  '@odata.type'?: string;
  displayName?: string | null;
  userPrincipalName?: string | null;
  mail?: string | null;
  accountEnabled?: boolean | null;
  userType?: string | null;
}

/**
 * One read of the read phase: its value, or why it failed. The plan of the step that needs it
 * throws that error again, so the runner reports it exactly as when the step read for itself
 * (a Graph or Keycloak error becomes PLAN_FAILED; anything else stops the run).
 */
export type Read<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/** The value of a read, or its error thrown again. */
export function valueOf<T>(read: Read<T>): T {
  if (read.ok) return read.value;
  throw read.error;
}

/** The group's PIM state: its eligibility schedules and the active member assignments. */
export interface PimState {
  schedules: readonly PimSchedule[];
  /** This group's member instances active at the snapshot's `now` (others do not shield a standing member). */
  activeAssignments: readonly PimInstance[];
  /** PIM lists nothing for a group that was never onboarded. */
  onboarded: boolean;
}

/** The member policy of the group's PIM (its ids change at onboarding: apply re-reads them). */
export interface MemberPolicy {
  policyId: string;
  rules: PolicyRule[];
}

/** The enterprise app's service principal as prerequisites reads it. */
export type ServicePrincipal = MG.ServicePrincipal & { id: string; appId: string };
/** The admin group as prerequisites reads it. */
export type AdminGroup = MG.Group & { id: string; displayName: string };

/**
 * How one prerequisites read ended: its value, or the answer the analysis reports as a finding
 * (Graph's 403, or a lookup that found nothing or could not choose).
 */
export type PrerequisiteRead<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: GraphRequestError | LookupError };

/** A directory object as listed among the group's owners. */
export interface GroupOwner {
  id: string;
  displayName?: string;
  userPrincipalName?: string;
}

/** A resource app's service principal, with the permissions it defines. */
export interface ResourceSp {
  id: string;
  appId: string;
  displayName?: string | null;
  appRoles?: Array<{ id?: string | null; value?: string | null }> | null;
  oauth2PermissionScopes?: Array<{ id?: string | null; value?: string | null }> | null;
}

/** The reads behind the admin-consent check, made when the registration requests permissions. */
export interface ConsentReads {
  /** Each requested resource app's service principal, in the order of the registration's resource ids (null: not in this tenant). */
  resources: Array<ResourceSp | null>;
  /** The app's delegated grants: read only when it requests a delegated scope (else none); a 403 when the token may not read them. */
  grants: PrerequisiteRead<MG.OAuth2PermissionGrant[]>;
  appRoleAssignments: MG.AppRoleAssignment[];
}

/** A directory role the signed-in user holds, as listed through transitiveMemberOf. */
export interface DirectoryRoleHeld {
  id?: string;
  roleTemplateId?: string | null;
  displayName?: string | null;
}

/** What the caller's token and directory said. */
export interface CallerReads {
  /** The claims of the access token (never the token itself). */
  claims: Record<string, unknown>;
  /** How the tool signed in, for the fix a missing scope needs. */
  signIn?: { method?: string; clientId?: string };
  /** `/me`, for a user token (null: Graph found no user). */
  me?: PrerequisiteRead<{ id: string; userPrincipalName?: string; displayName?: string } | null>;
  /** The user's active directory roles, read when the run needs a role the user does not get from owning the group. */
  roles?: PrerequisiteRead<DirectoryRoleHeld[]>;
}

/**
 * What each prerequisites read returned, before any judgement. A read is absent when it was not
 * made: what it depends on was not found, or reading stopped earlier (`stopped`). The analysis
 * (`analysePrerequisites`) turns this into the facts and the findings.
 */
export interface PrerequisiteReads {
  /** The enterprise app (the service principal). */
  readonly app?: PrerequisiteRead<ServicePrincipal>;
  readonly group?: PrerequisiteRead<AdminGroup>;
  /** The group's owners, read once the group is found. */
  readonly owners?: PrerequisiteRead<GroupOwner[]>;
  readonly skus?: PrerequisiteRead<MG.SubscribedSku[]>;
  /** The app registration, read once the app is found (null: not in this tenant). */
  readonly application?: PrerequisiteRead<MG.Application | null>;
  /** Read when the registration is here and requests API permissions. */
  readonly consent?: PrerequisiteRead<ConsentReads>;
  /** Graph's answer for each `--eligible` input, in input order. */
  readonly eligible?: PrerequisiteRead<Array<GraphResponse<EligibleUserAnswer>>>;
  readonly caller?: PrerequisiteRead<CallerReads>;
  /** A Graph error other than a 403 that ended reading: the prerequisites plan reports it. */
  readonly stopped?: GraphRequestError;
}

/** What prerequisites found out, each absent when its lookup failed. */
export interface PrerequisiteFacts {
  servicePrincipal?: ServicePrincipal;
  application?: MG.Application | null;
  /** `oidc`, `saml` or `unknown`, from the SP's preferredSingleSignOnMode and the registration. */
  ssoMode?: 'oidc' | 'saml' | 'unknown';
  /**
   * How the app emits the group, per protocol Keycloak may broker with (OIDC reads the ID token,
   * SAML the assertion). Undefined when the app registration is not in this tenant.
   */
  groupClaim?: Record<'oidc' | 'saml', GroupClaimFormat>;
  group?: AdminGroup;
  /** Object ids of the admin group's owners (an owner may manage its members and PIM without a role). */
  groupOwnerIds?: string[];
  eligibleUsers?: EligibleUser[];
  /** Caller identity for reports. */
  caller?: { kind: 'user' | 'app'; id?: string; name?: string };
}

/**
 * The tenant as the read phase found it, once, before any step plans: every Graph read the
 * plans need, with every ambiguity already resolved (prompts happen while reading, never while
 * planning). Plans are functions of this snapshot and the run's options; audit and run share it.
 * A part is absent when what it depends on is unknown (no group: no PIM reads) or when the read
 * phase stopped at a failure that ends the run.
 */
export interface TenantSnapshot {
  readonly tenantId: string;
  /** The clock of this run, read once: windows and schedules are judged against it. */
  readonly now: Date;
  /** What prerequisites found (`analysePrerequisites` of `prerequisites`; partial when its reads stopped part way). */
  readonly facts: Readonly<PrerequisiteFacts>;
  /** What the prerequisites' reads returned (the app, the group, licence, consent, eligible users, the caller), or where they stopped. */
  readonly prerequisites: PrerequisiteReads;
  /** `appRoleAssignedTo` of the enterprise app: read when the app, the group and a valid app role are known. */
  readonly appAssignedTo?: Read<MG.AppRoleAssignment[]>;
  /** Read when the group is known. */
  readonly pim?: Read<PimState>;
  /** Read when the group is known, together with `pim`. */
  readonly memberPolicy?: Read<MemberPolicy>;
  /** The direct members of the group (service principals included), listed once. */
  readonly members?: Read<readonly DirectoryMember[]>;
  /** Who can activate now, with the holders' accounts read live: read once PIM, the policy and the eligible users are known. */
  readonly usable?: Read<{ usable: UsableEligibility[]; accounts: Map<string, PrincipalAccount> }>;
  /** What each `--approver` lookup answered (`analyseApprovers` judges it): read under --require-approval once the policy is known. */
  readonly approvers?: Read<readonly ApproverAnswer[]>;
  /** The Keycloak realm, read last (the tenant's facts choose the Entra provider): absent when Keycloak is not checked. */
  readonly realm?: Read<RealmSnapshot>;
}
