import { describe, expect, it } from 'vitest';
import { PERMISSION_SETS } from '../../src/graph/permissions.js';
import { CONTOSO } from '../../src/sim/index.js';

// The tokens most tests use come from these seeded apps, so they must hold exactly what the
// README asks for: a test that passes only because its token holds more proves nothing.
describe('test tokens hold exactly the README permission sets', () => {
  it('the automation app holds every app-only run row and nothing else', () => {
    const S = PERMISSION_SETS;
    const expected = [...S.auditAndRun, ...S.runInAddition, ...S.policyFlags, ...S.roleAssignableGroup];
    expect([...CONTOSO.automation.roles].sort()).toEqual([...new Set(expected)].sort());
  });

  it('the reader app holds exactly the "audit and run" row', () => {
    expect([...CONTOSO.reader.roles].sort()).toEqual([...PERMISSION_SETS.auditAndRun].sort());
  });

  it('neither holds an optional permission', () => {
    for (const p of PERMISSION_SETS.optional) {
      expect(CONTOSO.automation.roles).not.toContain(p);
      expect(CONTOSO.reader.roles).not.toContain(p);
    }
  });
});
