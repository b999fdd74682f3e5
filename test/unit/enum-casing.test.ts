import { describe, expect, it } from 'vitest';
import type * as MG from '@microsoft/microsoft-graph-types';
import { analyseConsent, analyseGroup, analyseLicence, detectSsoMode } from '../../src/steps/prerequisites-analysis.js';
import { chooseAppRole } from '../../src/steps/app-assignment.js';
import { diffPolicyRules } from '../../src/steps/pim-policy.js';
import { diffEligibility } from '../../src/steps/eligibility-window.js';
import type { PimSchedule } from '../../src/steps/usable-eligibility.js';
import { canonicalEnum, enumListHas } from '../../src/graph/enums.js';
import { groupClaimFormat } from '../../src/graph/group-claim.js';

// Graph's resource pages and its example responses disagree on the casing of
// enum values, so every enum the tool reads is compared case-insensitively (src/graph/enums.ts).
// Each case below reads a value in a casing other than the one the tool writes; each failed
// with a case-sensitive comparison.

describe('every Graph enum the tool reads is compared case-insensitively', () => {
  it('SSO mode: "SAML" is SAML', () => {
    expect(detectSsoMode({ preferredSingleSignOnMode: 'SAML' }, null).mode).toBe('saml');
    expect(detectSsoMode({ preferredSingleSignOnMode: 'OIDC' }, null).mode).toBe('oidc');
  });

  it('licence: "enabled" capability and "success" provisioning count', () => {
    const sku: MG.SubscribedSku = {
      skuPartNumber: 'AAD_PREMIUM_P2',
      capabilityStatus: 'enabled',
      servicePlans: [{ servicePlanId: 'eec0eb4f-6444-4f95-aba0-50c24d67f998', provisioningStatus: 'success' }],
    };
    expect(analyseLicence([sku])).toMatchObject({ severity: 'info', code: 'LICENCE_OK' });
  });

  it('consent: an "allPrincipals" grant of a "scope" permission is admin consent', () => {
    const graph = { id: 'graph-sp', appId: 'g', oauth2PermissionScopes: [{ id: 's1', value: 'openid' }] };
    const r = analyseConsent(
      [{ resourceAppId: 'g', resourceAccess: [{ id: 's1', type: 'scope' }] }],
      new Map([['g', graph]]),
      [{ consentType: 'allPrincipals', resourceId: 'graph-sp', scope: 'openid' }],
      [],
    );
    expect(r).toEqual({ missing: [], unresolved: [], unverified: [] });
  });

  it('group: "dynamicMembership" is dynamic, "unified" is a Microsoft 365 group', () => {
    expect(
      analyseGroup({ id: 'g', displayName: 'g', groupTypes: ['dynamicMembership'], securityEnabled: true }).map((f) => f.code),
    ).toContain('GROUP_DYNAMIC');
    expect(
      analyseGroup({ id: 'g', displayName: 'g', groupTypes: ['unified'], mailEnabled: true, securityEnabled: false }).filter(
        (f) => f.severity === 'error',
      ),
    ).toEqual([]);
  });

  it('app role: "user" in allowedMemberTypes allows groups and users', () => {
    const role = { id: 'r1', value: 'tenant-admin', allowedMemberTypes: ['user'], isEnabled: true };
    expect(chooseAppRole([role], 'tenant-admin')).toMatchObject({ roleId: 'r1' });
  });

  it('eligibility: a "Member" schedule covers the user; a "NoExpiration" one is permanent', () => {
    const user = { input: 'a', id: 'u1', userPrincipalName: 'a@x', displayName: 'A' };
    const w = { start: new Date('2027-01-01T00:00:00Z'), end: new Date('2027-02-01T00:00:00Z'), toleranceMs: 1000, source: 'end' as const };
    const schedule: PimSchedule = {
      id: 's',
      principalId: 'u1',
      groupId: 'g',
      accessId: 'Member',
      scheduleInfo: { startDateTime: '2026-12-01T00:00:00Z', expiration: { type: 'NoExpiration' } },
    };
    expect(diffEligibility([user], [schedule], w)).toEqual([{ user, kind: 'noop', currentEnd: null }]);
  });

  it('policy: an enabled rule read as "justification" is the same rule, not a second one', () => {
    const enablement = {
      '@odata.type': '#microsoft.graph.unifiedRoleManagementPolicyEnablementRule',
      id: 'Enablement_EndUser_Assignment',
      enabledRules: ['justification'],
      target: {},
    };
    expect(diffPolicyRules([enablement], { requireJustification: true, approvers: [] }, [])).toEqual([]);
    const [p] = diffPolicyRules([enablement], { requireMfa: true, approvers: [] }, []);
    expect(p.enabledRules).toEqual(['Justification', 'MultiFactorAuthentication']);
  });

  it('groups claim: optional-claim names and properties in another casing mean the same', () => {
    const app = {
      groupMembershipClaims: 'applicationGroup',
      optionalClaims: { idToken: [{ name: 'Groups', additionalProperties: ['Cloud_DisplayName'] }] },
    };
    expect(groupClaimFormat(app, 'idToken', { id: 'g1', displayName: 'tenant-admin' })).toMatchObject({
      valueKind: 'display-name',
      value: 'tenant-admin',
    });
    const roles = {
      groupMembershipClaims: 'ApplicationGroup',
      optionalClaims: { idToken: [{ name: 'groups', additionalProperties: ['EMIT_AS_ROLES'] }] },
    };
    expect(groupClaimFormat(roles, 'idToken', { id: 'g1' })).toMatchObject({ claim: 'roles', value: 'g1' });
  });

  it('helpers: list membership and canonical casing', () => {
    expect(enumListHas(['Unified'], 'unified')).toBe(true);
    expect(enumListHas(null, 'unified')).toBe(false);
    expect(canonicalEnum('ticketing', ['Ticketing'])).toBe('Ticketing');
    expect(canonicalEnum('SomethingNew', ['Ticketing'])).toBe('SomethingNew');
  });
});

describe('PIM instances the tool does not understand do not count', () => {
  it("an instance without accessId is not member access (it must not explain anyone's admin rights)", async () => {
    const { isMemberAccess } = await import('../../src/graph/enums.js');
    expect(isMemberAccess({ accessId: 'Member' })).toBe(true);
    expect(isMemberAccess({ accessId: 'owner' })).toBe(false);
    expect(isMemberAccess({})).toBe(false);
    expect(isMemberAccess({ accessId: null })).toBe(false);
  });
});
