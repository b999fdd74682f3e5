import { describe, expect, it } from 'vitest';
import { enumIn, enumIs } from '../../src/graph/enums.js';
import { standingMembers } from '../../src/steps/admin-group.js';
import { analyseGroup } from '../../src/steps/prerequisites.js';
import { verdictOf } from '../../src/commands/verify-user.js';
import { userPath } from '../../src/graph/user-path.js';

const G = 'aaaaaaaa-0000-0000-0000-000000000001';

describe('Graph enums compare case-insensitively (issue 11 item 4)', () => {
  it('matches documented and lower-camel casing alike', () => {
    expect(enumIs('Activated', 'activated')).toBe(true);
    expect(enumIs('activated', 'Activated')).toBe(true);
    expect(enumIs('Assigned', 'activated')).toBe(false);
    expect(enumIs(undefined, 'member')).toBe(false);
    expect(enumIn('PROVISIONED', ['Failed', 'Provisioned'])).toBe(true);
  });

  it('an "Activated" instance (documented casing) is just-in-time, not standing', () => {
    const members = [{ id: 'u-dave', displayName: 'Dave' }, { id: 'u-carol', displayName: 'Carol' }];
    // Shape of Learn "List assignmentScheduleInstances": capitalised enum values.
    const active = [
      { id: 'i1', principalId: 'u-dave', groupId: G, accessId: 'member' as const, assignmentType: 'Activated', memberType: 'Direct' },
      { id: 'i2', principalId: 'u-carol', groupId: G, accessId: 'member' as const, assignmentType: 'Assigned', memberType: 'Direct' },
    ];
    const r = standingMembers(members, active);
    expect(r.jit.map((m) => m.id)).toEqual(['u-dave']);
    expect(r.standing.map((m) => m.id)).toEqual(['u-carol']);
  });

  it('verify-user calls an "Activated" assignment an activation', () => {
    const v = verdictOf(
      {
        user: { id: 'u', userPrincipalName: 'dave@contoso.example' },
        group: { id: G, displayName: 'tenant-admin' },
        eligible: [],
        active: [{ principalId: 'u', groupId: G, accessId: 'member', assignmentType: 'Activated', endDateTime: null }],
        member: true,
        lastSignIn: {},
      },
      undefined,
    );
    expect(JSON.stringify(v)).not.toMatch(/standing member/);
  });
});

describe('mail-enabled groups (issue 11 item 6)', () => {
  it('refuses a mail-enabled security group with the reason', () => {
    const f = analyseGroup({ id: 'g', displayName: 'g', securityEnabled: true, mailEnabled: true, groupTypes: [] });
    expect(f.map((x) => [x.severity, x.code])).toEqual([['error', 'GROUP_MAIL_ENABLED']]);
    expect(f[0].message).toMatch(/mail-enabled security group.*cannot add or remove its members/);
  });
  it('refuses a distribution list', () => {
    const f = analyseGroup({ id: 'g', displayName: 'g', securityEnabled: false, mailEnabled: true, groupTypes: [] });
    expect(f.map((x) => x.code)).toEqual(['GROUP_MAIL_ENABLED']);
    expect(f[0].message).toContain('distribution list');
  });
  it('accepts a Microsoft 365 group (mail-enabled, Unified)', () => {
    expect(analyseGroup({ id: 'g', displayName: 'g', securityEnabled: true, mailEnabled: true, groupTypes: ['Unified'] })).toEqual([]);
  });
});

describe('userPath (issue 11 item 8)', () => {
  it('uses the key form for UPNs, keeping $ and @, doubling quotes, encoding #', () => {
    expect(userPath('$svc@contoso.com')).toBe("/users('$svc@contoso.com')");
    expect(userPath("o'neil@contoso.com")).toBe("/users('o''neil@contoso.com')");
    expect(userPath('ann_fabrikam.com#EXT#@contoso.com')).toBe("/users('ann_fabrikam.com%23EXT%23@contoso.com')");
  });
  it('keeps object ids in the plain form', () => {
    expect(userPath('a34645d2-3096-40e9-b0bc-387ab2c3eeeb')).toBe('/users/a34645d2-3096-40e9-b0bc-387ab2c3eeeb');
  });
});
