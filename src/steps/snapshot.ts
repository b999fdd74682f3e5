import type * as MG from '@microsoft/microsoft-graph-types';
import type { Finding } from '../core/findings.js';
import type { ApproverRef, EligibleUser } from '../entra/lookup.js';
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
  /** What prerequisites found (partial when its reads stopped part way). */
  readonly facts: Readonly<PrerequisiteFacts>;
  /** The findings prerequisites made while reading (lookups, 403s, consent, licence, caller), or why it stopped. */
  readonly prerequisites: Read<readonly Finding[]>;
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
  /** `--approver`s resolved (with the findings of their lookup): read under --require-approval once the policy is known. */
  readonly approvers?: Read<{ refs: ApproverRef[]; findings: Finding[] }>;
  /** The Keycloak realm, read last (the tenant's facts choose the Entra provider): absent when Keycloak is not checked. */
  readonly realm?: Read<RealmSnapshot>;
}
