import { describe, expect, inject, it } from 'vitest';

describe('keycloak test server', () => {
  it('is provided with a version', () => {
    const kc = inject('keycloak');
    expect(kc.version).toMatch(/^\d+\.\d+\.\d+/);
  });
});
