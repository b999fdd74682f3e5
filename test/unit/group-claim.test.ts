import { describe, expect, it } from 'vitest';
import { appRolesDisplaced, groupClaimFormat, tokenFor } from '../../src/graph/group-claim.js';

const GID = '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d';
const cloud = { id: GID, displayName: 'tenant-admin', onPremisesSyncEnabled: null };
const synced = { id: GID, displayName: 'tenant-admin', onPremisesSyncEnabled: true };

/** An app registration with groupMembershipClaims and the groups optional claim in the given tokens. */
const app = (gmc: string | null, props?: string[], tokens: Array<'idToken' | 'accessToken' | 'saml2Token'> = ['idToken']) => ({
  groupMembershipClaims: gmc,
  optionalClaims: props
    ? Object.fromEntries(tokens.map((t) => [t, [{ name: 'groups', source: null, essential: false, additionalProperties: props }]]))
    : null,
});

describe('groupClaimFormat', () => {
  it('emits object ids by default, in the groups claim', () => {
    for (const gmc of ['ApplicationGroup', 'SecurityGroup', 'All', 'SecurityGroup, DirectoryRole']) {
      expect(groupClaimFormat(app(gmc), 'idToken', cloud)).toMatchObject({
        emitted: true,
        claim: 'groups',
        valueKind: 'object-id',
        value: GID,
      });
    }
    expect(groupClaimFormat(app('ApplicationGroup'), 'idToken', cloud).applicationGroupsOnly).toBe(true);
    expect(groupClaimFormat(app('SecurityGroup'), 'idToken', cloud).applicationGroupsOnly).toBe(false);
  });

  it('emits no group values for None, DirectoryRole or nothing set', () => {
    for (const gmc of [null, 'None', 'none', 'DirectoryRole']) {
      expect(groupClaimFormat(app(gmc), 'idToken', cloud)).toMatchObject({ emitted: false, valueKind: 'absent', value: undefined });
    }
  });

  it('emits the display name of a cloud-only group with cloud_displayname and ApplicationGroup', () => {
    const f = groupClaimFormat(app('ApplicationGroup', ['cloud_displayname']), 'idToken', cloud);
    expect(f).toMatchObject({ claim: 'groups', valueKind: 'display-name', value: 'tenant-admin', displayNameIgnored: false });
    expect(f.source).toBe('groupMembershipClaims ApplicationGroup, optionalClaims.idToken groups [cloud_displayname]');
    // Only the token the optional claim is configured for changes.
    expect(groupClaimFormat(app('ApplicationGroup', ['cloud_displayname']), 'saml2Token', cloud)).toMatchObject({
      valueKind: 'object-id',
      value: GID,
    });
    expect(groupClaimFormat(app('ApplicationGroup', ['cloud_displayname'], ['accessToken']), 'idToken', cloud)).toMatchObject({
      valueKind: 'object-id',
    });
    expect(groupClaimFormat(app('ApplicationGroup', ['cloud_displayname'], ['saml2Token']), 'saml2Token', cloud)).toMatchObject({
      valueKind: 'display-name',
      value: 'tenant-admin',
    });
  });

  it('ignores cloud_displayname unless groupMembershipClaims is ApplicationGroup alone', () => {
    for (const gmc of ['SecurityGroup', 'All', 'SecurityGroup, ApplicationGroup']) {
      expect(groupClaimFormat(app(gmc, ['cloud_displayname']), 'idToken', cloud)).toMatchObject({
        valueKind: 'object-id',
        value: GID,
        displayNameIgnored: true,
      });
    }
  });

  it('leaves a cloud-only group out with an on-premises name format, unless cloud_displayname names it', () => {
    for (const p of ['sam_account_name', 'dns_domain_and_sam_account_name', 'netbios_domain_and_sam_account_name']) {
      expect(groupClaimFormat(app('ApplicationGroup', [p]), 'idToken', cloud)).toMatchObject({
        emitted: true,
        valueKind: 'absent',
        value: undefined,
        onPremisesFormat: p,
      });
      expect(groupClaimFormat(app('ApplicationGroup', [p]), 'idToken', synced)).toMatchObject({
        valueKind: 'on-premises-name',
        value: undefined,
      });
    }
    // The documented hybrid example: names of synced groups, display names of cloud groups.
    const hybrid = app('ApplicationGroup', ['sam_account_name', 'cloud_displayname']);
    expect(groupClaimFormat(hybrid, 'idToken', cloud)).toMatchObject({ valueKind: 'display-name', value: 'tenant-admin' });
    expect(groupClaimFormat(hybrid, 'idToken', synced)).toMatchObject({ valueKind: 'on-premises-name' });
    // Only the first on-premises format counts.
    expect(
      groupClaimFormat(app('All', ['netbios_domain_and_sam_account_name', 'sam_account_name']), 'idToken', cloud).onPremisesFormat,
    ).toBe('netbios_domain_and_sam_account_name');
  });

  it('moves the values to the roles claim with emit_as_roles', () => {
    expect(groupClaimFormat(app('ApplicationGroup', ['emit_as_roles']), 'idToken', cloud)).toMatchObject({
      claim: 'roles',
      valueKind: 'object-id',
      value: GID,
    });
    expect(groupClaimFormat(app('ApplicationGroup', ['cloud_displayname', 'emit_as_roles']), 'idToken', cloud)).toMatchObject({
      claim: 'roles',
      valueKind: 'display-name',
      value: 'tenant-admin',
    });
  });

  it('knows the kind without a group', () => {
    expect(groupClaimFormat(app('ApplicationGroup', ['cloud_displayname']), 'idToken')).toMatchObject({
      valueKind: 'display-name',
      value: undefined,
    });
  });
});

describe('appRolesDisplaced', () => {
  it('is true only when a groups claim is emitted with emit_as_roles in that token', () => {
    expect(appRolesDisplaced(app('ApplicationGroup', ['emit_as_roles']), 'idToken')).toBe(true);
    expect(appRolesDisplaced(app('ApplicationGroup', ['emit_as_roles']), 'saml2Token')).toBe(false);
    expect(appRolesDisplaced(app('None', ['emit_as_roles']), 'idToken')).toBe(false);
    expect(appRolesDisplaced(app('ApplicationGroup'), 'idToken')).toBe(false);
  });
});

describe('tokenFor', () => {
  it('reads the ID token for OIDC (and when unknown), the assertion for SAML', () => {
    expect([tokenFor('oidc'), tokenFor('unknown'), tokenFor(undefined), tokenFor('saml')]).toEqual([
      'idToken',
      'idToken',
      'idToken',
      'saml2Token',
    ]);
  });
});
