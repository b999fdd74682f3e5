import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CONTOSO, type RecordedRequest, type SimulatedTenant } from '../../src/sim/index.js';
import { planDigest, type SavedPlan } from '../../src/plan/saved-plan.js';
import { runCli } from '../support/cli.js';
import { args, callSim, closeSimsAfterEach, G, journalPath, json, startSim, tokenEnv } from '../support/sim.js';

closeSimsAfterEach();

interface PlanFile {
  schema: string;
  schemaVersion: number;
  createdAt: string;
  tenantId: string;
  digest: string;
  inputs: Record<string, unknown>;
  parts: Record<string, { name: string; digest: string; ids?: string[] }>;
  steps: Array<{ id: string; actions: Array<{ kind: string; request?: { method: string; url: string; body?: unknown } }> }>;
}

/** `audit --out` against the simulated tenant: the plan file and where it is. */
async function savePlan(
  sim: SimulatedTenant,
  env: Record<string, string>,
  extra: string[] = [],
): Promise<{ file: string; plan: PlanFile }> {
  const file = await journalPath('plan.json');
  const res = await runCli(['audit', ...args(sim, ['--out', file, ...extra])], env);
  expect(res.code, res.stderr).toBe(2);
  expect(res.stderr).toContain(`Plan saved to ${file}`);
  const plan = JSON.parse(await readFile(file, 'utf8')) as PlanFile;
  // The whole digest, to be approved and pinned with --plan-digest.
  expect(res.stderr).toContain(`digest ${plan.digest})`);
  return { file, plan };
}

/** A plan edited as someone with the file could: the change made, the digest made again to match. */
const redigested = (plan: PlanFile, change: Partial<PlanFile>) => {
  const edited = { ...plan, ...change };
  return JSON.stringify({ ...edited, digest: planDigest(edited as unknown as SavedPlan) });
};

/** The Graph writes a plan says it sends, as the simulated tenant records them. */
const planWrites = (plan: PlanFile) =>
  plan.steps.flatMap((s) => s.actions.filter((a) => a.kind !== 'noop').map((a) => `${a.request!.method} /v1.0${a.request!.url}`));
const writeLines = (writes: RecordedRequest[]) => writes.map((w) => `${w.method} ${w.path}`);
/** Each request as a line; the ids PIM gives new schedules differ from tenant to tenant. */
const requestLines = (requests: RecordedRequest[]) =>
  requests.map((r) => `${r.method} ${r.path.replace(/(\/eligibilitySchedules\/)[^/?]+/, '$1{id}')}${r.batchItem ? ' (batch item)' : ''}`);

describe('saved plans: audit --out, run --plan', () => {
  it('saves the plan 0600 with no secret, then applies exactly its writes with no question, no --yes and no request a plain run does not send', async () => {
    const sim = await startSim();
    const env = await tokenEnv(sim);
    const { file, plan } = await savePlan(sim, env);

    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain(env.ENTRA_PIM_ACCESS_TOKEN);
    expect(text).not.toMatch(/eyJ[\w-]+\./);
    expect(plan).toMatchObject({ schema: 'entra-pim-setup/plan', schemaVersion: 1, tenantId: CONTOSO.tenantId });
    expect(plan.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(plan.inputs).toMatchObject({ appId: CONTOSO.keycloakAppId, group: 'tenant-admin', graphEndpoint: sim.url });
    expect(plan.parts.members.ids?.sort()).toEqual([CONTOSO.users.carol, CONTOSO.users.dave].sort());
    // The audit wrote nothing; the plan removes both standing members.
    expect(sim.writes()).toHaveLength(0);
    expect(planWrites(plan)).toContain(`DELETE /v1.0/groups/${G}/members/${CONTOSO.users.carol}/$ref`);

    // The same run without a plan, on a twin tenant: what a plain run sends.
    const twin = await startSim();
    const plain = await runCli(args(twin, ['--yes', '--journal', await journalPath()]), await tokenEnv(twin));
    expect(plain.code, plain.stderr).toBe(0);

    const from = sim.requests.length;
    const journal = await journalPath();
    const report = path.join(path.dirname(journal), 'report.json');
    // Only the plan, the sign-in (from the environment) and where to journal: no inputs, no --yes.
    const res = await runCli(['run', '--plan', file, '--journal', journal, '--report', report, '--json'], env);
    expect(res.code, res.stderr).toBe(0);
    expect(json(res.stdout).status).toBe('changed');

    // The writes are the plan's, each once, in its order; nothing else was written.
    expect(writeLines(sim.writes())).toEqual(planWrites(plan));
    // Every request (reads included) is one a plain run sends too: the read phase and apply's live checks, nothing more.
    expect(requestLines(sim.requests.slice(from)).sort()).toEqual(requestLines(twin.requests).sort());

    const entries = (await readFile(journal, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; digest?: string; file?: string });
    const noted = entries.findIndex((e) => e.type === 'plan');
    expect(entries[noted]).toMatchObject({ type: 'plan', digest: plan.digest, createdAt: plan.createdAt, file: path.resolve(file) });
    expect(noted).toBeLessThan(entries.findIndex((e) => e.type === 'before'));
    const meta = (JSON.parse(await readFile(report, 'utf8')) as { meta: { appliedPlan?: unknown } }).meta;
    expect(meta.appliedPlan).toEqual({ file: path.resolve(file), digest: plan.digest, createdAt: plan.createdAt });
    // restore reads the journal with its plan entry: both removed members would be put back.
    const undo = await runCli(['restore', '--journal', journal, '--dry-run'], env);
    expect(undo.code, undo.stderr).toBe(2);
    expect(undo.stdout).toContain(CONTOSO.upns.carol);
    expect(undo.stdout).toContain(CONTOSO.upns.dave);
  });

  it('applies a policy change after the plan’s own eligibility requests onboard the group: the PATCH goes to the policy id PIM gives it then', async () => {
    const sim = await startSim();
    const env = await tokenEnv(sim);
    const { file, plan } = await savePlan(sim, env, ['--activation-max', 'PT4H']);
    const planned = planWrites(plan);
    expect(planned.filter((w) => w.startsWith('PATCH /v1.0/policies/roleManagementPolicies/'))).toHaveLength(1);

    const res = await runCli(['run', '--plan', file, '--journal', await journalPath(), '--json'], env);
    expect(res.code, res.stderr).toBe(0);
    const sent = writeLines(sim.writes());
    const policyPath = /^PATCH \/v1\.0\/policies\/roleManagementPolicies\/[^/]+\/rules\//;
    // Every write is the plan's, in its order; only the policy id of the PATCH is the one read just before it.
    expect(sent.map((w) => w.replace(policyPath, 'PATCH {policy}/'))).toEqual(planned.map((w) => w.replace(policyPath, 'PATCH {policy}/')));
    const patch = sim.writes().find((w) => w.method === 'PATCH' && w.path.includes('/roleManagementPolicies/'));
    const savedPatch = plan.steps
      .flatMap((s) => s.actions)
      .find((a) => a.request?.method === 'PATCH' && a.request.url.includes('/roleManagementPolicies/'));
    expect(patch?.body).toEqual(savedPatch?.request?.body);
    const step = json(res.stdout).steps.find((s) => s.id === 'pim-policy');
    expect(step?.status).toBe('changed');
  });

  it('sends only the plan’s requests: an eligibility PIM says exists already is not updated in place (adminUpdate), and nothing after it is sent', async () => {
    const sim = await startSim();
    const env = await tokenEnv(sim);
    const { file } = await savePlan(sim, env);
    // The eligibility appears between the re-read and the plan's request (PIM answers as for a duplicate adminAssign).
    sim.setFaults([
      {
        method: 'POST',
        path: '/identityGovernance/privilegedAccess/group/eligibilityScheduleRequests',
        respond: { status: 400, body: { error: { code: 'RoleAssignmentExists', message: 'The Role assignment already exists.' } } },
      },
    ]);
    const from = sim.writes().length;
    const res = await runCli(['run', '--plan', file, '--journal', await journalPath()], env);
    const writes = sim.writes().slice(from);
    expect(writes.map((w) => (w.body as { action?: string } | undefined)?.action)).not.toContain('adminUpdate');
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('a saved plan sends only its own requests');
    expect(writes.some((w) => w.method === 'DELETE')).toBe(false);
  });

  it('keeps the ticket it was reviewed with: every eligibility request carries it, the journal notes it, another ticket is refused', async () => {
    const sim = await startSim();
    const env = await tokenEnv(sim);
    const { file, plan } = await savePlan(sim, env, ['--ticket-number', 'CHG0012345', '--ticket-system', 'ServiceNow']);
    expect(plan.inputs).toMatchObject({ ticketNumber: 'CHG0012345', ticketSystem: 'ServiceNow' });

    const other = await runCli(['run', '--plan', file, '--ticket-number', 'CHG999', '--journal', await journalPath()], env);
    expect(other.code).toBe(1);
    expect(other.stderr.trim()).toBe(
      `error: --ticket-number: differs from the plan in ${file}, which was reviewed with its own inputs; leave --ticket-number out`,
    );
    expect(sim.writes()).toHaveLength(0);

    const journal = await journalPath();
    const res = await runCli(['run', '--plan', file, '--journal', journal], env);
    expect(res.code, res.stderr).toBe(0);
    const requests = sim.writes().filter((w) => w.path.endsWith('/eligibilityScheduleRequests'));
    expect(requests.length).toBeGreaterThan(0);
    for (const r of requests)
      expect((r.body as { ticketInfo?: unknown }).ticketInfo).toEqual({ ticketNumber: 'CHG0012345', ticketSystem: 'ServiceNow' });
    const entries = (await readFile(journal, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string });
    expect(entries.find((e) => e.type === 'ticket')).toMatchObject({ ticketNumber: 'CHG0012345', ticketSystem: 'ServiceNow' });
  });

  it('refuses a plan whose tenant changed since it was saved, naming the change, and writes nothing', async () => {
    const sim = await startSim();
    const env = await tokenEnv(sim);
    const { file } = await savePlan(sim, env);

    // Someone adds Erin to the admin group between the review and the apply.
    const add = await callSim(sim.url, env.ENTRA_PIM_ACCESS_TOKEN, 'POST', `/v1.0/groups/${G}/members/$ref`, {
      '@odata.id': `${sim.url}/v1.0/directoryObjects/${CONTOSO.users.erin}`,
    });
    expect(add.status).toBe(204);
    const writes = sim.writes().length;

    const journal = await journalPath();
    const res = await runCli(['run', '--plan', file, '--journal', journal], env);
    expect(res.code, res.stdout).toBe(1);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toContain(`--plan ${file}: refused: the tenant changed since the plan was saved`);
    expect(res.stderr).toContain(`the admin group's members changed: added ${CONTOSO.users.erin}`);
    expect(sim.writes()).toHaveLength(writes);
    expect(existsSync(journal)).toBe(false);
  });

  it('refuses a plan older than --plan-max-age (default 24h) before any request', async () => {
    const sim = await startSim();
    const env = await tokenEnv(sim);
    const { file, plan } = await savePlan(sim, env);
    const old = new Date(Date.parse(plan.createdAt) - 25 * 3_600_000).toISOString();
    await writeFile(file, redigested(plan, { createdAt: old }), { mode: 0o600 });
    const from = sim.requests.length;

    const stale = await runCli(['run', '--plan', file, '--journal', await journalPath()], env);
    expect(stale.code).toBe(1);
    expect(stale.stderr.trim()).toBe(
      `error: --plan ${file}: refused: it was made at ${old}, more than 24h ago (--plan-max-age); run audit --out again and review the new plan. Nothing was changed`,
    );
    const shorter = await runCli(['run', '--plan', file, '--plan-max-age', 'PT1H'], env);
    expect(shorter.code).toBe(1);
    expect(shorter.stderr).toContain('more than PT1H ago (--plan-max-age)');
    const bad = await runCli(['run', '--plan', file, '--plan-max-age', 'soon'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe('error: --plan-max-age soon: not a duration such as 24h, 90m, 2d or PT12H');
    expect(sim.requests.length).toBe(from);
  });

  it('--plan-digest ties the run to the approved plan: another digest (a plan edited and digested again) is refused before any request', async () => {
    const sim = await startSim();
    const env = await tokenEnv(sim);
    const { file, plan } = await savePlan(sim, env);
    // Someone who can edit the file can also compute its digest again; the approved digest cannot follow.
    const approved = plan.digest;
    await writeFile(file, redigested(plan, { inputs: { ...plan.inputs, allowEmpty: true } }), { mode: 0o600 });
    const edited = (JSON.parse(await readFile(file, 'utf8')) as PlanFile).digest;
    expect(edited).not.toBe(approved);
    const from = sim.requests.length;

    const refused = await runCli(['run', '--plan', file, '--plan-digest', approved, '--journal', await journalPath()], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe(
      `error: --plan-digest: refused: the plan in ${file} has digest ${edited}, not the approved ${approved}. Nothing was changed`,
    );
    for (const [argv, error] of [
      [
        ['run', '--plan', file, '--plan-digest', 'abc'],
        'error: --plan-digest: not a sha256 digest (64 hexadecimal characters, as audit --out prints it)',
      ],
      [['run', '--plan-digest', approved], 'error: --plan-digest: only with --plan FILE'],
    ] as const) {
      const res = await runCli([...argv], env);
      expect(res.code).toBe(1);
      expect(res.stderr.trim()).toBe(error);
    }
    expect(sim.requests.length).toBe(from);
    expect(sim.writes()).toHaveLength(0);

    // The approved plan itself, pinned by the digest audit --out printed, applies.
    await writeFile(file, JSON.stringify(plan), { mode: 0o600 });
    const journal = await journalPath();
    const ok = await runCli(['run', '--plan', file, '--plan-digest', approved.toUpperCase(), '--journal', journal], env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(sim.writes().length).toBeGreaterThan(0);
  });

  it('refuses flags that would change the plan, misplaced plan flags, and files that are not plans, before any request', async () => {
    const sim = await startSim();
    const env = await tokenEnv(sim);
    const { file } = await savePlan(sim, env);
    const from = sim.requests.length;
    const cases: Array<[string[], string]> = [
      [['run', '--plan', file, '--group', 'other-admins'], `error: --group: differs from the plan in ${file}`],
      [['audit', '--plan', file], 'error: --plan: only run applies a saved plan (not audit)'],
      [['run', '--out', file, ...args(sim)], 'error: --out: saves a plan from audit (or run --dry-run)'],
      [['run', '--plan-max-age', '2h', ...args(sim)], 'error: --plan-max-age: only with --plan FILE'],
      [['run', '--plan', file, '--tenant-id', '00000000-0000-0000-0000-000000000001'], 'error: --tenant-id'],
    ];
    for (const [argv, line] of cases) {
      const res = await runCli(argv, env);
      expect(res.code, argv.join(' ')).toBe(1);
      expect(res.stderr.trim().split('\n'), argv.join(' ')).toHaveLength(1);
      expect(res.stderr.trim().startsWith(line), res.stderr).toBe(true);
    }
    const notPlan = await journalPath('other.json');
    await writeFile(notPlan, '{"hello":1}');
    const res = await runCli(['run', '--plan', notPlan], env);
    expect(res.code).toBe(1);
    expect(res.stderr.trim()).toBe(
      `error: --plan ${notPlan}: is not a saved plan (no "schema": "entra-pim-setup/plan"); give a file saved by audit --out`,
    );
    expect(sim.requests.length).toBe(from);
  });

  it('digests the whole plan: an input edited after the review is refused before any request; two plans from one read differ', async () => {
    const sim = await startSim();
    const env = await tokenEnv(sim);
    const { file, plan } = await savePlan(sim, env);
    // Same read, another input that changes no request: the digest names the plan, not only the read.
    const { plan: other } = await savePlan(sim, env, ['--allow-empty']);
    expect(other.digest).not.toBe(plan.digest);
    // The lockout guard turned off in the file, the digest left as reviewed.
    await writeFile(file, JSON.stringify({ ...plan, inputs: { ...plan.inputs, allowEmpty: true } }), { mode: 0o600 });
    const from = sim.requests.length;
    const res = await runCli(['run', '--plan', file, '--journal', await journalPath()], env);
    expect(res.code).toBe(1);
    expect(res.stderr.trim()).toBe(
      `error: --plan ${file}: has a digest that does not match its content (it was changed since it was saved); give a file saved by audit --out`,
    );
    expect(sim.requests.length).toBe(from);
    expect(sim.writes()).toHaveLength(0);
  });

  it('saves no plan that would hold text equal to a secret in the environment (it would be applied masked)', async () => {
    const sim = await startSim();
    const env = await tokenEnv(sim);
    const file = await journalPath('plan.json');
    const keycloak = ['--keycloak-url', 'http://127.0.0.1:9', '--keycloak-realm', 'acme', '--keycloak-username', 'pim'];
    const res = await runCli(['audit', ...args(sim, ['--out', file, ...keycloak])], { ...env, KEYCLOAK_PASSWORD: 'tenant-admin' });
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n').at(-1)).toBe(
      `error: --out ${file}: no plan saved: it holds text equal to a secret in the environment (masked as ***), so it could not be applied as reviewed; use a Keycloak secret that appears in no name`,
    );
    expect(existsSync(file)).toBe(false);
  });

  it('sends no credential to an endpoint only the plan file names: an edited Graph endpoint or Keycloak URL is refused, naming the flag', async () => {
    const sim = await startSim();
    const env = await tokenEnv(sim);
    const { plan } = await savePlan(sim, env);
    const from = sim.requests.length;
    const edited = async (inputs: Record<string, unknown>) => {
      const out = await journalPath('edited.json');
      await writeFile(out, redigested(plan, { inputs: { ...plan.inputs, ...inputs } }), { mode: 0o600 });
      return out;
    };
    const graph = await edited({ graphEndpoint: 'https://graph.attacker.invalid' });
    const g = await runCli(['run', '--plan', graph], env);
    expect(g.code).toBe(1);
    expect(g.stderr.trim()).toBe(
      `error: --graph-endpoint: the plan in ${graph} names the Graph endpoint https://graph.attacker.invalid; run --plan sends your token there only when --graph-endpoint names it too (pass --graph-endpoint https://graph.attacker.invalid if you trust it)`,
    );
    const kc = await edited({
      skipKeycloak: false,
      keycloakUrl: 'https://sso.attacker.invalid',
      keycloakRealm: 'acme',
      keycloakClientId: 'pim-audit',
    });
    const k = await runCli(['run', '--plan', kc], { ...env, KEYCLOAK_CLIENT_SECRET: 'kc-secret-value' });
    expect(k.code).toBe(1);
    expect(k.stderr.trim()).toBe(
      `error: --keycloak-url: the plan in ${kc} names the Keycloak https://sso.attacker.invalid; run --plan sends the Keycloak secret there only when --keycloak-url names it too (pass --keycloak-url https://sso.attacker.invalid if you trust it)`,
    );
    expect(sim.requests.length).toBe(from);
  });

  it('saves a plan that changes nothing, and applying it writes nothing; an input given again must be the plan’s, from a flag or the environment', async () => {
    const sim = await startSim();
    const env = await tokenEnv(sim);
    const first = await runCli(args(sim, ['--yes', '--journal', await journalPath()]), env);
    expect(first.code, first.stderr).toBe(0);
    const file = await journalPath('plan.json');
    // run --dry-run --out saves as audit --out does.
    const preview = await runCli([...args(sim, ['--dry-run', '--out', file])], env);
    expect(preview.code, preview.stderr).toBe(0);
    expect(preview.stderr).toContain(`Plan saved to ${file} (0 change(s)`);
    const writes = sim.writes().length;

    const fromEnv = await runCli(['run', '--plan', file], { ...env, ENTRA_PIM_GROUP: 'other-admins' });
    expect(fromEnv.code).toBe(1);
    expect(fromEnv.stderr.trim()).toBe(
      `error: --group: differs from the plan in ${file}, which was reviewed with its own inputs; leave --group out`,
    );

    const journal = await journalPath();
    const res = await runCli(['run', '--plan', file, '--group', 'tenant-admin', '--journal', journal, '--json'], env);
    expect(res.code, res.stderr).toBe(0);
    expect(json(res.stdout).status).toBe('compliant');
    expect(sim.writes()).toHaveLength(writes);
    expect(existsSync(journal)).toBe(false);

    // The README's workflow: the same --config at review and at apply (its inputs are the plan's).
    const config = path.join(path.dirname(file), 'pim.yaml');
    await writeFile(config, `tenant-id: ${CONTOSO.tenantId}\ngraph-endpoint: ${sim.url}\ngroup: tenant-admin\napp-role: tenant-admin\n`);
    const same = await runCli(['run', '--config', config, '--plan', file, '--journal', await journalPath(), '--json'], env);
    expect(same.code, same.stderr).toBe(0);
    expect(json(same.stdout).status).toBe('compliant');
  });

  it('refuses to save over a symbolic link, and saves no plan when a step reports errors', async () => {
    const sim = await startSim();
    const env = await tokenEnv(sim);
    const target = await journalPath('target.json');
    await writeFile(target, 'keep');
    const link = path.join(path.dirname(target), 'plan.json');
    await symlink(target, link);
    const linked = await runCli(['audit', ...args(sim, ['--out', link])], env);
    expect(linked.code).toBe(1);
    expect(linked.stderr.trim()).toBe(`error: --out ${link}: is a symbolic link; give the path of a regular file (or of a new one)`);
    expect(await readFile(target, 'utf8')).toBe('keep');
    expect(sim.requests).toHaveLength(0);

    const file = await journalPath('plan.json');
    const failing = await runCli(['audit', ...args(sim, ['--out', file], { '--group': 'no-such-group' })], env);
    expect(failing.code).toBe(1);
    expect(failing.stderr).toContain(`--out ${file}: no plan saved: prerequisites reported errors to fix first`);
    expect(existsSync(file)).toBe(false);
  });
});
