import { describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CONTOSO } from '../../src/sim/index.js';
import { runCli } from '../support/cli.js';
import { args, closeSimsAfterEach, G, journalPath, json, startSim, tokenEnv } from '../support/sim.js';

closeSimsAfterEach();

const STEP_IDS = ['prerequisites', 'assignment-required', 'app-assignment', 'pim-eligibility', 'pim-policy', 'admin-group', 'keycloak'];

describe('--report FILE.md / FILE.json', () => {
  it('a run writes a Markdown change record: who, tenant, app, group, every step, the removed members, the journal', async () => {
    const sim = await startSim();
    const journal = await journalPath();
    const file = path.join(path.dirname(journal), 'change.md');
    const res = await runCli(args(sim, ['--yes', '--journal', journal, '--report', file]), await tokenEnv(sim));
    expect(res.code, res.stderr).toBe(0);

    const md = await readFile(file, 'utf8');
    expect(md).toMatch(/^# entra-pim-setup run: changed\n/);
    expect(md).toContain('**Changes were made:**');
    // Who ran it: the automation app the token was issued to.
    expect(md).toMatch(
      new RegExp(`\\| Who \\| ${CONTOSO.automation.displayName} \\(application, id \`${CONTOSO.automation.clientId}\`\\) \\|`),
    );
    expect(md).toContain(`| Tenant | \`${CONTOSO.tenantId}\` |`);
    expect(md).toMatch(
      new RegExp(`\\| App \\| Keycloak \\(Spark\\): app id \`${CONTOSO.keycloakAppId}\`, service principal \`${CONTOSO.keycloakSpId}\``),
    );
    expect(md).toContain(`| Group | tenant-admin (id \`${G}\`) |`);
    expect(md).toContain(`| Journal | \`${journal}\` |`);
    expect(md).toContain('| Exit code | 0: done, or compliant |');
    for (const id of STEP_IDS) expect(md).toContain(`(\`${id}\`)`);
    // The removed members by name, each with the exact request that removed it.
    for (const [name, upn, id] of [
      ['Carol Chen', CONTOSO.upns.carol, CONTOSO.users.carol],
      ['Dave Diaz', CONTOSO.upns.dave, CONTOSO.users.dave],
    ]) {
      expect(md).toContain(`**delete**: remove ${name} \\<${upn}\\> from tenant-admin. Result: done`);
      expect(md).toContain(`DELETE /groups/${G}/members/${id}/$ref`);
    }
    // Findings are a table: severity, code, message, fix.
    expect(md).toContain('| severity | code | message | fix |');
    expect(md).toMatch(/\| info \| `GROUP_FOUND` \|/);
    // Same mode as the journal: the report names the admins of a tier-0 system.
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    // No temporary file is left next to the report.
    expect(await readdir(path.dirname(file))).toEqual(expect.arrayContaining(['change.md', path.basename(journal)]));
    expect((await readdir(path.dirname(file))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('an audit writes the --json document plus meta, says nothing was changed, and sends no write', async () => {
    const sim = await startSim();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'epim-report-'));
    const file = path.join(dir, 'audit.json');
    const res = await runCli(['audit', ...args(sim, ['--json', '--report', file])], await tokenEnv(sim));
    expect(res.code, res.stderr).toBe(2);
    expect(sim.writes()).toHaveLength(0);

    const doc = JSON.parse(await readFile(file, 'utf8')) as Record<string, any>;
    expect(doc.status).toBe('drift');
    const { meta, summary, ...rest } = doc;
    // Without meta and the change summary it is exactly what --json printed.
    expect(rest).toEqual(json(res.stdout));
    expect(summary.mode).toBe('audit');
    expect(meta).toMatchObject({
      tool: 'entra-pim-setup',
      command: 'audit',
      mode: 'audit',
      tenantId: CONTOSO.tenantId,
      exitCode: 2,
      caller: { kind: 'app', id: CONTOSO.automation.clientId, name: CONTOSO.automation.displayName },
      app: { appId: CONTOSO.keycloakAppId, servicePrincipalId: CONTOSO.keycloakSpId, displayName: 'Keycloak (Spark)' },
      group: { id: G, displayName: 'tenant-admin' },
    });
    expect(meta.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(meta.argv[0]).toBe('audit');
    expect(meta.journal).toBeUndefined();
    expect(Date.parse(meta.finishedAt)).toBeGreaterThanOrEqual(Date.parse(meta.startedAt));

    // The Markdown form of an audit says so plainly.
    const md = path.join(dir, 'audit.md');
    const again = await runCli(['audit', ...args(sim, ['--report', md])], await tokenEnv(sim));
    expect(again.code).toBe(2);
    const text = await readFile(md, 'utf8');
    expect(text).toContain('**Nothing was changed.** This was an audit');
    expect(text).toContain('| Journal | none (nothing was written) |');
    expect(text).toContain('Result: planned, not sent (audit)');
    expect(sim.writes()).toHaveLength(0);
  });

  it('keeps the access token and a client secret out of the report, even when one was typed into a flag', async () => {
    const sim = await startSim();
    const env: Record<string, string> = {
      ...(await tokenEnv(sim)),
      AZURE_CLIENT_ID: CONTOSO.automation.clientId,
      // Present but unused (--auth access-token): it must be masked all the same.
      AZURE_CLIENT_SECRET: CONTOSO.automation.clientSecret,
    };
    const journal = await journalPath();
    const dir = path.dirname(journal);
    const extra = ['--auth', 'access-token', '--justification', `CHG-42 ${CONTOSO.automation.clientSecret}`, '--debug'];
    const run = await runCli(args(sim, ['--yes', '--journal', journal, '--report', path.join(dir, 'run.md'), ...extra]), env);
    expect(run.code, run.stderr).toBe(0);
    const audit = await runCli(['audit', ...args(sim, ['--report', path.join(dir, 'audit.json'), ...extra])], env);
    expect(audit.code, audit.stderr).toBe(0);

    for (const name of ['run.md', 'audit.json']) {
      const text = await readFile(path.join(dir, name), 'utf8');
      expect(text).not.toContain(CONTOSO.automation.clientSecret);
      expect(text).not.toContain(env.ENTRA_PIM_ACCESS_TOKEN);
      expect(text).not.toContain(env.ENTRA_PIM_ACCESS_TOKEN.split('.')[1]);
      expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
      // The command line is still there, with the pasted secret masked.
      expect(text).toContain('CHG-42 ***');
    }
  });

  it('restore --dry-run writes a preview report that says nothing was changed', async () => {
    const sim = await startSim();
    const journal = await journalPath();
    const run = await runCli(args(sim, ['--yes', '--json', '--journal', journal]), await tokenEnv(sim));
    expect(run.code, run.stderr).toBe(0);
    const writes = sim.writes().length;

    const file = path.join(path.dirname(journal), 'restore.md');
    const res = await runCli(
      ['restore', '--journal', journal, '--graph-endpoint', sim.url, '--dry-run', '--report', file],
      await tokenEnv(sim),
    );
    expect(res.code, res.stderr).toBe(2);
    expect(sim.writes()).toHaveLength(writes);
    const md = await readFile(file, 'utf8');
    expect(md).toMatch(/^# entra-pim-setup restore: drift\n/);
    expect(md).toContain('a restore preview (--dry-run)');
    expect(md).toContain('| Mode | restore preview (--dry-run, read-only) |');
    expect(md).toContain(`POST /groups/${G}/members/$ref`);
    expect(md).toContain('Carol Chen');
  });

  it('refuses a report name that is not .md or .json: one line, exit 1, no request, no file', async () => {
    const sim = await startSim();
    const cwd = await mkdtemp(path.join(os.tmpdir(), 'epim-report-'));
    const res = await runCli(args(sim, ['--yes', '--report', 'x.txt']), await tokenEnv(sim), { cwd });
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n')).toEqual(['error: --report x.txt: the file name must end in .md (Markdown) or .json (JSON)']);
    expect(res.stdout).toBe('');
    expect(sim.requests).toHaveLength(0);
    expect(await readdir(cwd)).toEqual([]);

    const missing = path.join(cwd, 'no-such-folder', 'r.md');
    const res2 = await runCli(['audit', ...args(sim, ['--report', missing])], await tokenEnv(sim), { cwd });
    expect(res2.code).toBe(1);
    expect(res2.stderr.trim().split('\n')).toEqual([`error: --report ${missing}: folder ${path.dirname(missing)} does not exist`]);
    expect(sim.requests).toHaveLength(0);
    expect(await readdir(cwd)).toEqual([]);
  });
});
