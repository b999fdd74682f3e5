import { describe, expect, it } from 'vitest';
import { groupScope } from '../../src/keycloak/admin-scope.js';
import { KeycloakForbiddenError } from '../../src/keycloak/errors.js';
import { adminReachFindings, Denied, type AdminReach } from '../../src/keycloak/realm-reads.js';

// verify-user's view of what grants the target: adminReach only reads; its findings are made
// afterwards, from what it read, by the audit's own judges.
describe('adminReachFindings', () => {
  const no = (role: string) => new Denied(new KeycloakForbiddenError(`no ${role}`, role));

  it('a missing group: the judge names it; a group that exists: nothing', () => {
    const target = { kind: 'group' as const, value: '/tenant-admin' };
    const missing: AdminReach = { exists: false, scope: groupScope(target.value), state: { exists: false } };
    expect(adminReachFindings(missing, target, 'corp').map((f) => [f.code, f.message])).toEqual([
      [
        'KC_GROUP_MISSING',
        'realm corp has no group /tenant-admin: a mapper to it does nothing (Keycloak skips it and only logs "Unable to find group by path")',
      ],
    ]);
    expect(adminReachFindings({ ...missing, exists: true, state: { exists: true } }, target, 'corp')).toEqual([]);
  });

  it("role mode: the target's findings, then the closure's, in that order", () => {
    const target = { kind: 'role' as const, value: 'admin' };
    const scope = { target, roles: new Map(), groups: new Map() };
    const read: AdminReach = {
      exists: true,
      scope,
      state: { exists: true, denied: no('view-realm') },
      reach: { scope, denied: { clients: no('view-clients') }, closure: new Set(['admin']) },
    };
    expect(adminReachFindings(read, target, 'corp').map((f) => [f.code, f.severity])).toEqual([
      ['KC_MISSING_ROLE', 'warning'],
      ['KC_MISSING_ROLE', 'warning'],
      ['KC_ROLE_CLOSURE_INCOMPLETE', 'warning'],
    ]);
  });
});
