import type * as MG from '@microsoft/microsoft-graph-types';
import type { GroupClaimFormat } from '../graph/group-claim.js';
import type { UsableEligibility } from './usable-eligibility.js';
import type { PimInstance, PolicyRule } from '../entra/pim.js';
import type { EligibleUser } from '../entra/lookup.js';

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
 * What earlier steps learned and later steps rely on. Filled by `plan()` (reads only), so
 * audit and run see the same facts. Absent values mean the step that finds them failed.
 */
export interface Facts {
  tenantId?: string;
  servicePrincipal?: MG.ServicePrincipal & { id: string; appId: string };
  application?: MG.Application | null;
  /** `oidc`, `saml` or `unknown`, from the SP's preferredSingleSignOnMode and the registration. */
  ssoMode?: 'oidc' | 'saml' | 'unknown';
  /**
   * How the app emits the group, per protocol Keycloak may broker with (OIDC reads the ID token,
   * SAML the assertion). Undefined when the app registration is not in this tenant.
   */
  groupClaim?: Record<'oidc' | 'saml', GroupClaimFormat>;
  group?: MG.Group & { id: string; displayName: string };
  /**
   * Groups assigned to the enterprise app (appRoleAssignedTo, principalType Group), this group
   * included once assigned: with groupMembershipClaims ApplicationGroup, the only groups the token
   * can carry. Undefined when not read.
   */
  appGroups?: Array<{ id: string; displayName?: string | null }>;
  /** The app role the group is assigned to (undefined = default access). */
  appRole?: MG.AppRole & { id: string };
  eligibleUsers?: EligibleUser[];
  /** Whether the group is already onboarded to PIM for Groups. */
  onboarded?: boolean;
  /** Current active assignment instances for the group (member access). */
  activeAssignments?: PimInstance[];
  /** Member policy rules as read now (ids change after onboarding: re-read before writing). */
  memberPolicyId?: string;
  memberPolicyRules?: PolicyRule[];
  /** The activation maximum the policy will have after this run (ISO duration), for Keycloak session checks. */
  activationMax?: string;
  /** Eligible member assignments someone can activate now (plan-time read; removal re-reads live). */
  usableEligibilities?: UsableEligibility[];
  /**
   * How many enabled users can activate right after this run as planned: the usable eligibilities
   * plus those this run creates or extends with a window that has started. A plan-time count only:
   * admin-group re-reads the live state before the first removal.
   */
  usableAfterRun?: number;
  /** The start of the eligibilities this run plans, when it lies in the future (--start). */
  plannedFutureStart?: Date;
  /** Direct members of the group, listed once. */
  members?: DirectoryMember[];
  /** Object ids of the admin group's owners (an owner may manage its members and PIM without a role). */
  groupOwnerIds?: string[];
  /** Caller identity for reports. */
  caller?: { kind: 'user' | 'app'; id?: string; name?: string };
}
