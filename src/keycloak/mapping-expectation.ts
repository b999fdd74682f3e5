/** What the mapper must do: the target, and the claim (or SAML attribute) value it must require. */
import { finding, type Finding } from '../core/findings.js';
import type { GroupClaimFormat } from '../graph/group-claim.js';
import type { OtherClaimValues } from './java-regex.js';
import { SAML_GROUPS_ATTRIBUTE, SAML_ROLE_ATTRIBUTE, type Protocol } from './protocol.js';

/** What the mapper must do. */
export interface MappingExpectation {
  protocol: Protocol;
  alias: string;
  /** Group path (normalised) or role (`name` or `clientId.name`). */
  target: { kind: 'group' | 'role'; value: string };
  /** The claim or SAML attribute that must match; undefined when the Entra facts are missing. */
  claim?: {
    key: string;
    value: string;
    /** The Entra group's display name, to recognise a mapper keyed on it. */
    displayName?: string;
    /** `group`: a value of the Entra group (see valueKind); `app-role`: an app role value. */
    source: 'group' | 'app-role';
    /** The Entra group's object id, to recognise a mapper keyed on it when the app emits names. */
    groupId?: string;
    /** What the app emits for the group: its object id (also when unknown) or its display name (cloud_displayname). */
    valueKind?: 'object-id' | 'display-name';
    /** The app registration settings the format comes from, for messages; undefined when not read. */
    format?: string;
    /** What else the claim can carry, against which a regex condition must not match; undefined: unknown. */
    others?: OtherClaimValues;
  };
  /** The provider's own syncMode (for INHERIT). */
  idpSyncMode?: string;
  /** A `tid` condition equal to this tenant only narrows the mapper to the tenant: welcome, not a problem. */
  tenantId?: string;
}

/**
 * The claim (OIDC) or attribute (SAML) carrying the group or app role value. In group mode the
 * app's claim format decides: the object id by default, the display name with cloud_displayname,
 * the roles claim with emit_as_roles. Without a format (app registration not read) object ids are
 * assumed. Undefined when there is nothing a mapper could match.
 */
export function expectedClaim(
  protocol: Protocol,
  o: { appRoleMode: boolean; groupId?: string; groupName?: string; appRoleValue?: string; groupClaim?: GroupClaimFormat },
): MappingExpectation['claim'] {
  if (o.appRoleMode) {
    if (!o.appRoleValue) return undefined;
    return { key: protocol === 'oidc' ? 'roles' : SAML_ROLE_ATTRIBUTE, value: o.appRoleValue, source: 'app-role' };
  }
  if (!o.groupId) return undefined;
  const f = o.groupClaim;
  const inRoles = f?.claim === 'roles';
  const key = protocol === 'oidc' ? (inRoles ? 'roles' : 'groups') : inRoles ? SAML_ROLE_ATTRIBUTE : SAML_GROUPS_ATTRIBUTE;
  const base = { key, displayName: o.groupName, source: 'group' as const, groupId: o.groupId, ...(f ? { format: f.source } : {}) };
  if (!f || f.valueKind === 'object-id') return { ...base, value: o.groupId, valueKind: 'object-id' };
  if (f.valueKind === 'display-name' && o.groupName) return { ...base, value: o.groupName, valueKind: 'display-name' };
  return undefined;
}

/**
 * Fails closed when the app's format leaves nothing that identifies the group (a cloud-only group
 * under a sAMAccountName format, no groups claim, or on-premises names this tool does not read):
 * no mapper can then be right.
 */
export function groupValueMissing(
  protocol: Protocol,
  group: { displayName?: string | null; id: string },
  f: GroupClaimFormat,
): Finding | undefined {
  if (f.valueKind !== 'absent' && f.valueKind !== 'on-premises-name') return undefined;
  const why = !f.emitted
    ? 'the app emits no groups claim'
    : f.valueKind === 'absent'
      ? 'the group is left out of the claim'
      : `on-premises names (${f.onPremisesFormat}) are not read by this tool`;
  return finding(
    'error',
    'KC_CLAIM_NO_GROUP_VALUE',
    `the ${protocol === 'saml' ? 'SAML assertion' : 'ID token'} carries no value for group ${group.displayName ?? group.id} ` +
      `that a mapper could match (${why}; ${f.source}), so no mapper can grant it`,
    'fix the groups claim of the app registration (see the prerequisites step), or use --app-role',
  );
}

/**
 * The values the expected claim can carry besides the expected one. Group values: with
 * groupMembershipClaims ApplicationGroup only the groups assigned to the app (Learn
 * "Configure group claims for applications"), so their ids (and, with cloud_displayname, names);
 * every group of the user otherwise, which this tool cannot list. App roles: the app's role values.
 */
export function otherClaimValues(
  claim: NonNullable<MappingExpectation['claim']>,
  o: {
    groupClaim?: GroupClaimFormat;
    appGroups?: Array<{ id: string; displayName?: string | null }>;
    appRoles?: Array<{ value?: string | null }>;
  },
): OtherClaimValues {
  const f = o.groupClaim;
  if (claim.source === 'app-role') {
    if (f?.emitted && f.claim === 'roles') return { unknown: `the app puts group values in the roles claim (emit_as_roles, ${f.source})` };
    if (!o.appRoles) return { unknown: 'the app roles of the app were not read' };
    return {
      values: o.appRoles.map((r) => r.value).filter((v): v is string => !!v && v !== claim.value),
      what: 'another app role value of the app',
    };
  }
  if (!f) return { unknown: 'the app registration was not read, so it is unknown which groups the token carries' };
  if (!f.applicationGroupsOnly)
    return { unknown: `the app emits every group of the user (${f.source}), not only the groups assigned to it` };
  if (!o.appGroups) return { unknown: 'the groups assigned to the app were not read' };
  const others = o.appGroups.filter((g) => g.id.toLowerCase() !== (claim.groupId ?? claim.value).toLowerCase());
  if (claim.valueKind !== 'display-name')
    return { values: others.map((g) => g.id), what: 'the object id of another group assigned to the app' };
  if (others.some((g) => !g.displayName)) return { unknown: 'a group assigned to the app has no display name in what was read' };
  return { values: others.flatMap((g) => [g.displayName!, g.id]), what: 'the name or id of another group assigned to the app' };
}
