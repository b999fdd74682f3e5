import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CONTOSO } from '../../src/sim/index.js';
import { runCli } from '../support/cli.js';
import { args, closeSimsAfterEach, G, journalPath, json, startSim, tokenEnv } from '../support/sim.js';
import { entraOidc, seedRealm } from '../support/keycloak-seed.js';
import { keycloakFlags, withoutSkip } from '../support/keycloak-cli.js';

closeSimsAfterEach();

const ELIGIBILITY = '/identityGovernance/privilegedAccess/group/eligibilityScheduleRequests';

describe('the whole run with a change ticket: simulated Entra whose policy requires ticket information, a real Keycloak', () => {
  it('refused before any write without the ticket; with it, every eligibility request carries ticketInfo and the change record names it', async () => {
    const sim = await startSim();
    const rule = sim.state.policyFor(G, 'member').rules.find((r) => r.id === 'Enablement_Admin_Eligibility')!;
    rule.enabledRules = ['Ticketing'];
    const { realm, kc } = await seedRealm({
      idps: [{ alias: 'entra', providerId: 'oidc', config: { ...entraOidc(CONTOSO.tenantId), clientId: CONTOSO.keycloakAppId } }],
    });
    const k = keycloakFlags(realm);
    const env = { ...(await tokenEnv(sim)), ...k.env };

    const refused = await runCli(
      withoutSkip(args(sim, ['--yes', '--json', '--fix-keycloak', '--journal', await journalPath(), ...k.flags])),
      env,
    );
    expect(refused.code).toBe(1);
    expect(json(refused.stdout).steps.flatMap((s) => s.findings.map((f) => f.code))).toContain('TICKET_REQUIRED');
    expect(sim.writes()).toHaveLength(0);
    expect(await kc.identityProviders.findMappers({ realm, alias: 'entra' })).toHaveLength(0);

    const journal = await journalPath();
    const report = path.join(path.dirname(journal), 'change.md');
    const run = await runCli(
      withoutSkip(
        args(sim, [
          '--yes',
          '--json',
          '--fix-keycloak',
          '--journal',
          journal,
          '--report',
          report,
          '--ticket-number',
          'CHG0012345',
          '--ticket-system',
          'ServiceNow',
          ...k.flags,
        ]),
      ),
      env,
    );
    expect(run.code, run.stderr + run.stdout.slice(-3000)).toBe(0);
    const sent = sim.writes().filter((w) => w.path.endsWith(ELIGIBILITY));
    expect(sent).toHaveLength(2);
    for (const w of sent)
      expect((w.body as Record<string, unknown>).ticketInfo).toEqual({ ticketNumber: 'CHG0012345', ticketSystem: 'ServiceNow' });
    expect(await kc.identityProviders.findMappers({ realm, alias: 'entra' })).toHaveLength(1);
    expect(await readFile(journal, 'utf8')).toMatch(/"type":"ticket"[^\n]*"ticketNumber":"CHG0012345"/);
    expect(await readFile(report, 'utf8')).toContain('| Ticket | `CHG0012345` (ServiceNow) |');

    const after = await runCli(['audit', ...withoutSkip(args(sim, ['--json', ...k.flags]))], env);
    expect(after.code, after.stdout).toBe(0);
  });
});
