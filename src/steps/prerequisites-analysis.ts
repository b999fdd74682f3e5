import type * as MG from '@microsoft/microsoft-graph-types';
import type { Finding } from '../core/findings.js';
import { finding } from '../core/findings.js';
import { appRolesDisplaced, groupClaimFormat, tokenFor, type ClaimGroup, type ClaimToken } from '../graph/group-claim.js';
import { enumIs, enumListHas } from '../graph/enums.js';
import type { ResourceSp } from './snapshot.js';

/**
 * The prerequisites' pure checks: what Graph answered in, findings out (no reads, no prompts).
 * `analysePrerequisites` (prerequisites-findings.ts) calls them on what the read phase recorded.
 */

/** Service plans that carry PIM (Learn "Product names and service plan identifiers for licensing"): match plans, not SKUs (P2 ships inside E5 etc.). */
export const PIM_SERVICE_PLANS: Record<string, string> = {
  'eec0eb4f-6444-4f95-aba0-50c24d67f998': 'AAD_PREMIUM_P2',
  'e866a266-3cff-43a3-acca-0c90a7e00c8b': 'Entra_Identity_Governance',
};

/** Decides OIDC vs SAML from the SP's preferred mode and the registration. */
export function detectSsoMode(
  sp: MG.ServicePrincipal,
  app: MG.Application | null | undefined,
): { mode: 'oidc' | 'saml' | 'unknown'; detail: string } {
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
  const plan = (s: MG.SubscribedSku) => (s.servicePlans ?? []).map((p) => PIM_SERVICE_PLANS[p.servicePlanId ?? '']).find(Boolean);
  const enabled = carrying.find((s) => enumIs(s.capabilityStatus, 'Enabled'));
  if (enabled) return finding('info', 'LICENCE_OK', `licence: ${enabled.skuPartNumber} carries ${plan(enabled)}`);
  const grace = carrying.find((s) => enumIs(s.capabilityStatus, 'Warning'));
  if (grace) {
    return finding(
      'warning',
      'LICENCE_GRACE',
      `licence: ${grace.skuPartNumber} carries ${plan(grace)} but is in its grace period (Warning)`,
      'renew the subscription before it is suspended, or PIM stops working',
    );
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
export function analyseClaims(
  app: MG.Application | null | undefined,
  ssoMode: string,
  appRoleMode: boolean,
  group?: ClaimGroup,
): Finding[] {
  const token = tokenFor(ssoMode === 'saml' ? 'saml' : 'oidc');
  if (appRoleMode) {
    const where = ssoMode === 'saml' ? 'SAML role attribute' : 'roles claim of the ID token';
    if (app && appRolesDisplaced(app, token)) {
      // Learn "Configure optional claims": with emit_as_roles, assigned app roles are not in the role claim.
      return [
        finding(
          'error',
          'CLAIM_ROLES_DISPLACED',
          `claims: the groups claim is configured with emit_as_roles (optionalClaims.${token}), so Entra puts group values in ` +
            `the ${where} and leaves the app roles out: the app role never reaches Keycloak`,
          'remove emit_as_roles from the groups optional claim (Token configuration), or map the group instead of an app role (no --app-role)',
        ),
      ];
    }
    return [finding('info', 'CLAIM_ROLES', `claims: app roles reach Keycloak in the ${where}`)];
  }
  if (!app) {
    return [
      finding(
        'warning',
        'CLAIM_UNKNOWN',
        'claims: the app registration is not in this tenant, so the groups claim cannot be checked',
        'confirm the groups claim is emitted in the ID token (or SAML assertion)',
      ),
    ];
  }
  const gmc = app.groupMembershipClaims ?? 'None';
  const format = groupClaimFormat(app, token, group);
  if (!format.emitted) {
    return [
      finding(
        'error',
        'CLAIM_GROUPS_MISSING',
        `claims: the app emits no groups claim (groupMembershipClaims is ${gmc}), so Keycloak cannot see the admin group`,
        'in the app registration > Token configuration, add a groups claim limited to "Groups assigned to the application" ' +
          '(groupMembershipClaims: ApplicationGroup), or use --app-role',
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
        `claims: the groups claim carries on-premises names (${format.onPremisesFormat}), which only groups synced from Active ` +
          `Directory have; Entra leaves the cloud-only ${name} out of the claim, so Keycloak can never see it (${format.source})`,
        'remove the sAMAccountName option from the groups optional claim, or add cloud_displayname with groupMembershipClaims ' +
          'ApplicationGroup, or use --app-role',
      ),
    );
  } else if (format.valueKind === 'display-name') {
    out.push(
      finding(
        'info',
        'CLAIM_GROUPS',
        `claims: ${inClaim} carries display names of groups assigned to the app (${format.source}); Keycloak must match ` +
          `${format.value ? `"${format.value}"` : 'the display name'}`,
      ),
    );
    out.push(
      finding(
        'warning',
        'CLAIM_GROUP_DISPLAY_NAMES',
        `claims: group display names are not unique: any other group assigned to the app that is named (or renamed) ` +
          `${format.value ? `"${format.value}"` : 'like the admin group'} also reaches Keycloak as the admin group`,
        'prefer object ids: remove cloud_displayname from the groups optional claim (Token configuration), then run with ' +
          '--fix-keycloak to match the object id; or use --app-role',
      ),
    );
  } else {
    const what = format.valueKind === 'object-id' ? 'group object ids' : `on-premises names (${format.onPremisesFormat})`;
    out.push(
      finding(
        'info',
        'CLAIM_GROUPS',
        `claims: ${inClaim} carries ${what} (${format.source})${format.value ? `; Keycloak must match ${format.value}` : ''}`,
      ),
    );
  }
  if (format.displayNameIgnored) {
    out.push(
      finding(
        'warning',
        'CLAIM_DISPLAY_NAME_IGNORED',
        `claims: cloud_displayname is set, but Entra emits display names only when groupMembershipClaims is ApplicationGroup ` +
          `(it is ${gmc}), so the claim carries object ids`,
        'match the object id in Keycloak, or set groupMembershipClaims to ApplicationGroup if names are intended',
      ),
    );
  }
  if (!format.applicationGroupsOnly) {
    out.push(
      finding(
        'warning',
        'CLAIM_GROUP_OVERAGE',
        `claims: groupMembershipClaims ${gmc} emits every group a user belongs to; above 200 (150 in SAML) Entra drops the ` +
          `claim and Keycloak silently loses the mapping`,
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
    out.push(
      finding(
        'error',
        'GROUP_DYNAMIC',
        `${name} has dynamic membership (${group.membershipRule ?? 'rule'}): PIM cannot govern it and its members cannot be removed`,
        'use an assigned-membership security group',
      ),
    );
  }
  if (group.onPremisesSyncEnabled) {
    out.push(
      finding(
        'error',
        'GROUP_SYNCED',
        `${name} is synchronised from on-premises AD: PIM for Groups cannot govern it`,
        'use a cloud-only security group',
      ),
    );
  }
  if (group.isAssignableToRole) {
    out.push(
      finding(
        'info',
        'GROUP_ROLE_ASSIGNABLE',
        `${name} is role-assignable: changing it needs Privileged Role Administrator and RoleManagement.ReadWrite.Directory`,
      ),
    );
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
    out.push(
      finding('error', 'GROUP_NOT_SECURITY', `${name} is neither a security group nor a Microsoft 365 group`, 'use a security group'),
    );
  }
  return out;
}
