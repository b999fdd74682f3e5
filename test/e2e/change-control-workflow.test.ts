import { describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CONTOSO } from '../../src/sim/index.js';
import { runCli } from '../support/cli.js';
import { closeSimsAfterEach, ELIGIBLE, END, journalPath, startSim, tokenEnv } from '../support/sim.js';

closeSimsAfterEach();

/**
 * The README's change-control workflow as written there: review with a ticket (audit --out
 * --report), apply the reviewed plan (run --plan --report), then the record names the ticket, the
 * plan's digest and the rollback command.
 */
describe('change control, end to end as the README shows it', () => {
  it('review, apply exactly, record: ticket and plan digest in journal and report, rollback command that previews the undo', async () => {
    const sim = await startSim();
    const env = await tokenEnv(sim);
    const dir = path.dirname(await journalPath());
    const config = path.join(dir, 'pim.yaml');
    await writeFile(
      config,
      [
        `tenant-id: ${CONTOSO.tenantId}`,
        `graph-endpoint: ${sim.url}`,
        `app-id: ${CONTOSO.keycloakAppId}`,
        'group: tenant-admin',
        'app-role: tenant-admin',
        `eligible: [${ELIGIBLE.split(',').join(', ')}]`,
        `end: ${END}`,
        'skip-keycloak: true',
        '',
      ].join('\n'),
    );
    const plan = path.join(dir, 'plan.json');
    const review = path.join(dir, 'review.md');
    const ticket = ['--ticket-number', 'CHG0012345', '--ticket-system', 'ServiceNow'];

    // 1. Review: nothing written; the plan and the record for the board.
    const audit = await runCli(['audit', '--config', config, '--out', plan, '--report', review, ...ticket], env);
    expect(audit.code, audit.stderr).toBe(2);
    expect(sim.writes()).toHaveLength(0);
    const reviewed = await readFile(review, 'utf8');
    expect(reviewed).toMatch(/## Summary\n\n- \*\*Ticket:\*\* CHG0012345 \(ServiceNow\)\n- \*\*Would lose standing access\*\*/);
    expect(reviewed).toContain('## Test the PIM');
    const saved = JSON.parse(await readFile(plan, 'utf8')) as { digest: string };
    // The digest the board approves is printed whole.
    expect(audit.stderr).toContain(`digest ${saved.digest}`);

    // 2. Apply: the same config, the plan; no --yes, no question.
    const journal = path.join(dir, 'journal.jsonl');
    const change = path.join(dir, 'change.md');
    const run = await runCli(
      ['run', '--config', config, '--plan', plan, '--plan-digest', saved.digest, '--journal', journal, '--report', change],
      env,
    );
    expect(run.code, run.stderr).toBe(0);
    const eligibility = sim.writes().filter((w) => w.path.endsWith('/eligibilityScheduleRequests'));
    expect(eligibility.length).toBe(ELIGIBLE.split(',').length);
    for (const w of eligibility)
      expect((w.body as { ticketInfo?: unknown }).ticketInfo).toEqual({ ticketNumber: 'CHG0012345', ticketSystem: 'ServiceNow' });

    // 3. The record: ticket, the applied plan's digest, and the rollback command.
    const types = (await readFile(journal, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; digest?: string });
    expect(types.find((e) => e.type === 'plan')?.digest).toBe(saved.digest);
    expect(types.some((e) => e.type === 'ticket')).toBe(true);
    const md = await readFile(change, 'utf8');
    expect(md).toContain(saved.digest);
    expect(md).toContain('CHG0012345');
    const rollback = md.slice(md.indexOf('\n## Rollback\n'));
    const preview = /```sh\n(entra-pim-setup restore [^\n]*--dry-run[^\n]*)\n```/.exec(rollback)?.[1];
    expect(preview, rollback).toBeDefined();
    const words = preview!
      .split(' ')
      .slice(1)
      .map((w) => w.replace(/^'(.*)'$/, '$1'));
    const undo = await runCli(words, env);
    expect(undo.code, undo.stderr).toBe(2);
    expect(undo.stdout).toContain(CONTOSO.upns.carol);
    expect(undo.stdout).toContain(CONTOSO.upns.dave);
  });
});
