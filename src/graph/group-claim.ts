/**
 * What the app registration makes Entra put in the token for a group, read from
 * `groupMembershipClaims` and the `groups` entry of `optionalClaims`. Pure: prerequisites reads
 * the registration, the keycloak step judges the mapper against the result.
 *
 * Facts (Learn "Configure optional claims" (optional-claims), section "Configure groups optional
 * claims", and "Configure group claims for applications by using Microsoft Entra ID"
 * (how-to-connect-fed-group-claims)):
 * - object ids by default, for every group;
 * - `cloud_displayname` puts display names of cloud-only groups in the claim and "works only when
 *   groupMembershipClaims is set to ApplicationGroup" (names are not unique, so Entra limits them
 *   to groups assigned to the app);
 * - `sam_account_name`, `dns_domain_and_sam_account_name`, `netbios_domain_and_sam_account_name`
 *   exist only on groups synced from AD; a group without them "won't be included in the claims";
 *   only the first of them listed counts;
 * - `emit_as_roles` moves the group values to the role claim, and app roles then no longer appear.
 */
import type * as MG from '@microsoft/microsoft-graph-types';
import { enumIs } from './enums.js';

/**
 * The token Keycloak reads: the ID token for an OIDC broker (Keycloak's AbstractClaimMapper.getClaimValue
 * reads a validated access token, then the ID token, then userinfo; Entra's access token for an app
 * is not one the broker validates), the assertion for SAML.
 */
export type ClaimToken = 'idToken' | 'saml2Token';

/** The token Keycloak reads for a protocol. */
export function tokenFor(protocol: 'oidc' | 'saml' | 'unknown' | undefined): ClaimToken {
  return protocol === 'saml' ? 'saml2Token' : 'idToken';
}

/**
 * How the group appears in the claim: its object id, its display name, an on-premises name
 * (sAMAccountName variants, synced groups only) or not at all.
 */
export type GroupValueKind = 'object-id' | 'display-name' | 'on-premises-name' | 'absent';

export const ON_PREMISES_NAME_PROPERTIES = [
  'sam_account_name',
  'dns_domain_and_sam_account_name',
  'netbios_domain_and_sam_account_name',
] as const;

/** The groups claim as this app emits it for one group, in one token. */
export interface GroupClaimFormat {
  token: ClaimToken;
  /** Whether the token carries group values at all (groupMembershipClaims All, SecurityGroup or ApplicationGroup). */
  emitted: boolean;
  /** Only groups assigned to the application (ApplicationGroup) are emitted. */
  applicationGroupsOnly: boolean;
  /** The claim the group values are in: `groups`, or `roles` with emit_as_roles. */
  claim: 'groups' | 'roles';
  valueKind: GroupValueKind;
  /** The value a Keycloak mapper must match for the group; undefined when it cannot be known or is not sent. */
  value?: string;
  /** The on-premises name format in force (the first listed), if any. */
  onPremisesFormat?: (typeof ON_PREMISES_NAME_PROPERTIES)[number];
  /** `cloud_displayname` is listed but has no effect because groupMembershipClaims is not ApplicationGroup. */
  displayNameIgnored: boolean;
  /** Where the format comes from, for messages: `groupMembershipClaims ApplicationGroup, optionalClaims.idToken groups [cloud_displayname]`. */
  source: string;
}

/** The group as the claim depends on it. */
export interface ClaimGroup {
  id: string;
  displayName?: string | null;
  onPremisesSyncEnabled?: boolean | null;
}

/** `groupMembershipClaims` as a set of lower-cased values (Graph stores a comma-separated string; `None` is case-insensitive). */
function membershipKinds(app: MG.Application): Set<string> {
  return new Set(
    (app.groupMembershipClaims ?? 'None')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
}

/**
 * The claim name, value kind and value Keycloak must match for `group` in `token`. Without a
 * group the value is left out; the kind is still known.
 */
export function groupClaimFormat(app: MG.Application, token: ClaimToken, group?: ClaimGroup): GroupClaimFormat {
  const kinds = membershipKinds(app);
  const everyGroup = kinds.has('all') || kinds.has('securitygroup');
  const applicationGroupsOnly = !everyGroup && kinds.has('applicationgroup');
  const emitted = everyGroup || applicationGroupsOnly;
  const entry = (app.optionalClaims?.[token] ?? []).find((c) => enumIs(c.name, 'groups'));
  const props = (entry?.additionalProperties ?? []).filter((p): p is string => typeof p === 'string');
  // Compared without regard to case, like every other value read from Graph (src/graph/enums.ts).
  const has = (name: string) => props.some((p) => enumIs(p, name));
  const onPremisesFormat = ON_PREMISES_NAME_PROPERTIES.filter(has).sort(
    (a, b) => props.findIndex((p) => enumIs(p, a)) - props.findIndex((p) => enumIs(p, b)),
  )[0];
  const wantsNames = has('cloud_displayname');
  // "works only when groupMembershipClaims is set to ApplicationGroup": with All or SecurityGroup
  // in the set, the option is taken as having no effect (src/sim/ASSUMPTIONS.md).
  const displayNames = wantsNames && applicationGroupsOnly;
  const claim = has('emit_as_roles') ? 'roles' : 'groups';
  const source = `groupMembershipClaims ${app.groupMembershipClaims ?? 'None'}${props.length ? `, optionalClaims.${token} groups [${props.join(', ')}]` : ''}`;

  let valueKind: GroupValueKind;
  let value: string | undefined;
  const synced = group?.onPremisesSyncEnabled === true;
  if (!emitted) valueKind = 'absent';
  else if (onPremisesFormat && synced) {
    // The on-premises name is not read here: PIM for Groups cannot govern a synced group anyway.
    valueKind = 'on-premises-name';
  } else if (displayNames && !synced) {
    valueKind = 'display-name';
    value = group?.displayName ?? undefined;
  } else if (onPremisesFormat) {
    // A cloud-only group has no sAMAccountName, so Entra leaves it out of the claim.
    valueKind = 'absent';
  } else {
    valueKind = 'object-id';
    value = group?.id;
  }
  return {
    token,
    emitted,
    applicationGroupsOnly,
    claim,
    valueKind,
    value,
    onPremisesFormat,
    displayNameIgnored: wantsNames && !applicationGroupsOnly,
    source,
  };
}

/** Whether emit_as_roles in `token` pushes app roles out of the roles claim. */
export function appRolesDisplaced(app: MG.Application, token: ClaimToken): boolean {
  const f = groupClaimFormat(app, token);
  return f.emitted && f.claim === 'roles';
}
