import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CONTOSO } from '../../src/sim/index.js';
import { runCli } from '../support/cli.js';
import { args, closeSimsAfterEach, journalPath, startSim, tokenEnv } from '../support/sim.js';
import { entraOidc, goodOidcMapper, seedRealm } from '../support/keycloak-seed.js';
import { keycloakFlags, withoutSkip } from '../support/keycloak-cli.js';

closeSimsAfterEach();

/** The section of a Markdown report from its `## title` to the next `## ` heading. */
function section(md: string, title: string): string {
  const start = md.indexOf(`\n## ${title}\n`);
  expect(start, `section ${title}`).toBeGreaterThan(-1);
  const next = md.indexOf('\n## ', start + 1);
  return md.slice(start, next === -1 ? undefined : next);
}

const entraIdp = () => ({
  alias: 'entra',
  providerId: 'oidc',
  config: { ...entraOidc(CONTOSO.tenantId), clientId: CONTOSO.keycloakAppId },
});

describe('the change record with a real Keycloak', () => {
  it('a run with --fix-keycloak: the summary names the mapper it created in the realm, rollback says restore leaves it, the checklist names the realm', async () => {
    const sim = await startSim();
    const { realm } = await seedRealm({ idps: [entraIdp()] });
    const k = keycloakFlags(realm);
    const journal = await journalPath();
    const file = path.join(path.dirname(journal), 'change.md');
    const run = await runCli(withoutSkip(args(sim, ['--yes', '--fix-keycloak', '--journal', journal, '--report', file, ...k.flags])), {
      ...(await tokenEnv(sim)),
      ...k.env,
    });
    expect(run.code, run.stderr + run.stdout.slice(-2000)).toBe(0);
    const md = await readFile(file, 'utf8');

    const summary = section(md, 'Summary');
    expect(summary).toMatch(
      new RegExp(
        `- \\*\\*Keycloak:\\*\\*\\n  - create mapper "[^"]+" on identity provider entra in realm ${realm}: type: oidc-advanced-group-idp-mapper; [^\\n]*group: /tenant-admin; [^\\n]*syncMode: FORCE\\n`,
      ),
    );
    // App-role mode: the mapper matches the roles claim.
    expect(summary).toContain('claims: \\[{"key":"roles","value":"tenant-admin"}\\]');

    const rollback = section(md, 'Rollback');
    expect(rollback).toContain('entra-pim-setup restore --journal');
    expect(rollback).toMatch(
      new RegExp(`- Keycloak mapper "[^"]+" on entra \\(realm ${realm}\\) was created: delete it in the admin console to undo\\.`),
    );

    const checklist = section(md, 'Test the PIM');
    expect(checklist).toContain(`Filled in for app Keycloak (Spark), group tenant-admin, Keycloak /tenant-admin, realm ${realm}.`);
    expect(checklist).toContain(`1. Sign in to Keycloak (realm ${realm}) through Keycloak (Spark).`);
    // The Keycloak secret never reaches the change record.
    expect(md).not.toContain(k.secret);
  });

  it('an audit of an IMPORT mapper with --fix-keycloak: the summary says the sync mode would go from IMPORT to FORCE', async () => {
    const sim = await startSim();
    const mapper = goodOidcMapper('entra', { syncMode: 'IMPORT', claims: JSON.stringify([{ key: 'roles', value: 'tenant-admin' }]) });
    const { realm } = await seedRealm({ idps: [entraIdp()], mappers: [mapper] });
    const k = keycloakFlags(realm);
    const file = path.join(path.dirname(await journalPath()), 'audit.md');
    const audit = await runCli(['audit', ...withoutSkip(args(sim, ['--fix-keycloak', '--report', file, ...k.flags]))], {
      ...(await tokenEnv(sim)),
      ...k.env,
    });
    expect(audit.code, audit.stderr).toBe(2);
    const md = await readFile(file, 'utf8');
    expect(section(md, 'Summary')).toContain(
      `- **Keycloak (would change):**\n  - update mapper "${mapper.name}" on identity provider entra in realm ${realm}: syncMode: IMPORT → FORCE\n`,
    );
    expect(md).not.toContain('## Rollback');
    expect(section(md, 'Test the PIM')).toContain(`realm ${realm}`);
  });
});
