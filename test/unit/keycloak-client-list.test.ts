import { describe, expect, it } from 'vitest';
import { clientListComplete, managementClientId } from '../../src/keycloak/keycloak-api-roles.js';

const builtIn = ['account', 'account-console', 'admin-cli', 'broker', 'realm-management', 'security-admin-console'].map((clientId) => ({
  clientId,
}));

describe('a client listing hidden from a caller without view-clients (Keycloak 26.0 answers 200 with none)', () => {
  it('is complete when it holds the realm management client', () => {
    expect(clientListComplete('tenant', builtIn)).toBe(true);
    expect(clientListComplete('tenant', [{ clientId: 'realm-management' }])).toBe(true);
  });

  it('is filtered when empty or without the management client', () => {
    expect(clientListComplete('tenant', [])).toBe(false);
    expect(clientListComplete('tenant', [{ clientId: 'app' }, { clientId: 'broker' }])).toBe(false);
  });

  it('uses master-realm in the master realm, which has no realm-management client', () => {
    expect(managementClientId('master')).toBe('master-realm');
    expect(managementClientId('tenant')).toBe('realm-management');
    expect(clientListComplete('master', [{ clientId: 'master-realm' }, { clientId: 'tenant-realm' }])).toBe(true);
    expect(clientListComplete('master', builtIn)).toBe(false);
  });
});
