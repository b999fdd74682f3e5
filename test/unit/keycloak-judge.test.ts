import { describe, expect, it } from 'vitest';
import type { RunOptions } from '../../src/context.js';
import { KeycloakError } from '../../src/errors.js';
import type { RealmSnapshot } from '../../src/keycloak/realm-snapshot.js';
import { KeycloakForbiddenError } from '../../src/keycloak/errors.js';
import { groupScope } from '../../src/keycloak/admin-scope.js';
import { Denied, reachFindings } from '../../src/keycloak/realm-reads.js';
import { judgeKeycloak } from '../../src/steps/keycloak.js';

const settings = { url: 'https://kc.example', realm: 'corp', group: '/tenant-admin', authRealm: 'master' };
const options = {
  mode: 'audit',
  tenantId: '00000000-0000-4000-8000-000000000001',
  eligible: [],
  policy: { approvers: [] },
  skipKeycloak: false,
  keycloak: settings,
  fixKeycloak: false,
} as unknown as RunOptions;
const input = { options, facts: {}, now: new Date('2026-01-01T00:00:00Z') };
const denied = { severity: 'error' as const, code: 'KC_MISSING_ROLE', message: 'view-realm is missing' };

// The keycloak plan is data in, plan out: a realm snapshot made by hand, no Keycloak connection.
describe('judgeKeycloak', () => {
  it('reports a missing realm from the snapshot, after the server line', () => {
    const realm: RealmSnapshot = { version: '26.0.0', principal: 'auditor', realmInfo: null };
    const plan = judgeKeycloak(input, { ok: true, value: realm });
    expect(plan.findings.map((f) => f.code)).toEqual(['KC_SERVER', 'KC_REALM_MISSING']);
    expect(plan.actions).toEqual([]);
  });

  it('reports a denied realm read as the missing role and judges nothing more', () => {
    const realm: RealmSnapshot = { principal: 'auditor', realmInfo: new Denied(new KeycloakForbiddenError('view-realm is missing')) };
    expect(judgeKeycloak(input, { ok: true, value: realm }).findings).toEqual([denied]);
  });

  // The realm read records what Keycloak answered; the judge makes the findings from it.
  const readsOf = (over: Partial<NonNullable<RealmSnapshot['reads']>>): RealmSnapshot => ({
    principal: 'auditor',
    realmInfo: { realm: 'corp', ssoSessionMaxLifespan: 36000, ssoSessionIdleTimeout: 1800 },
    reads: {
      targetState: { exists: true },
      reach: { scope: groupScope('/tenant-admin') },
      idps: [],
      ldap: { providers: [], mappers: [] },
      owners: [],
      ...over,
    },
  });
  it('judges a target group the realm read did not find as KC_GROUP_MISSING, and a denied target read as the missing role', () => {
    const codes = (realm: RealmSnapshot) => judgeKeycloak(input, { ok: true, value: realm }).findings.map((f) => f.code);
    expect(codes(readsOf({ targetState: { exists: false } }))[0]).toBe('KC_GROUP_MISSING');
    expect(codes(readsOf({}))).not.toContain('KC_GROUP_MISSING');
    const deniedTarget = readsOf({
      targetState: { exists: true, denied: new Denied(new KeycloakForbiddenError('no view-users', 'view-users')) },
    });
    expect(judgeKeycloak(input, { ok: true, value: deniedTarget }).findings[0]).toMatchObject({
      severity: 'warning',
      code: 'KC_MISSING_ROLE',
      message: 'no view-users',
      fix: 'grant the view-users role of realm-management to the account, or use one that has it',
    });
    const role = { ...input, options: { ...options, keycloak: { ...settings, group: undefined, role: 'admin' } } as unknown as RunOptions };
    const missingRole = readsOf({
      targetState: { exists: false },
      reach: { scope: { target: { kind: 'role', value: 'admin' }, roles: new Map(), groups: new Map() } },
    });
    expect(judgeKeycloak(role, { ok: true, value: missingRole }).findings[0]).toMatchObject({
      code: 'KC_ROLE_MISSING',
      message: 'realm corp has no realm role admin and no client role of that name',
    });
  });

  it("judges the role closure's reads in the order they were made: denials, the incomplete closure, the default role", () => {
    const target = { kind: 'role' as const, value: 'admin' };
    const scope = { target, roles: new Map(), groups: new Map() };
    const no = (role: string) => new Denied(new KeycloakForbiddenError(`no ${role}`, role));
    const findings = reachFindings(
      {
        scope,
        closure: new Set(['admin', 'd']),
        realmDefaultRole: { id: 'd', name: 'default-roles-corp' },
        denied: { clients: no('view-clients'), groups: no('query-groups') },
      },
      target,
      'corp',
    );
    expect(findings.map((f) => [f.code, f.severity])).toEqual([
      ['KC_MISSING_ROLE', 'warning'],
      ['KC_ROLE_CLOSURE_INCOMPLETE', 'warning'],
      ['KC_ROLE_DEFAULT', 'error'],
      ['KC_MISSING_ROLE', 'warning'],
    ]);
    expect(reachFindings({ scope, closure: new Set(['admin']), realmDefaultRole: { id: 'd' }, denied: {} }, target, 'corp')).toEqual([]);
    // A denied realm-role listing ends the closure: nothing after it is judged.
    expect(reachFindings({ scope, denied: { realmRoles: no('view-realm') } }, target, 'corp').map((f) => f.code)).toEqual([
      'KC_MISSING_ROLE',
    ]);
  });

  it('throws the error of a failed realm read again, for the runner to report as the step failure', () => {
    const error = new KeycloakError('cannot reach Keycloak at https://kc.example');
    expect(() => judgeKeycloak(input, { ok: false, error })).toThrow(error);
  });

  it('reports Keycloak as not checked under --skip-keycloak, without a realm read', () => {
    const plan = judgeKeycloak({ ...input, options: { ...options, skipKeycloak: true } }, undefined);
    expect(plan.findings.map((f) => f.code)).toEqual(['KC_SKIPPED']);
  });
});
