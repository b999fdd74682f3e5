import { describe, expect, it } from 'vitest';
import type { RunOptions } from '../../src/context.js';
import { KeycloakError } from '../../src/errors.js';
import type { RealmSnapshot } from '../../src/keycloak/realm-snapshot.js';
import { DENIED } from '../../src/keycloak/realm-reads.js';
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
    const realm: RealmSnapshot = { version: '26.0.0', principal: 'auditor', realmInfo: { value: null, findings: [] } };
    const plan = judgeKeycloak(input, { ok: true, value: realm });
    expect(plan.findings.map((f) => f.code)).toEqual(['KC_SERVER', 'KC_REALM_MISSING']);
    expect(plan.actions).toEqual([]);
  });

  it('replays the finding of a denied realm read and judges nothing more', () => {
    const realm: RealmSnapshot = { principal: 'auditor', realmInfo: { value: DENIED, findings: [denied] } };
    expect(judgeKeycloak(input, { ok: true, value: realm }).findings).toEqual([denied]);
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
