import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTOSO, contosoSeed, SimulatedTenant } from '../../src/sim/index.js';
import { runCli } from '../support/cli.js';
import { ensureTestTls } from '../support/tls.js';
import { args, json, tokenEnv } from '../support/sim.js';

const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

interface Case {
  name: string;
  /** Flags to override (`''` drops the flag). */
  over?: Record<string, string>;
  extra?: string[];
  env?: Record<string, string>;
  /** What the one error line must name. */
  says: RegExp;
}

// Each case: one line on stderr naming the input and what is allowed, exit 1, zero writes.
const CASES: Case[] = [
  {
    name: 'tenant id neither a GUID nor a domain',
    over: { '--tenant-id': 'contoso' },
    says: /--tenant-id contoso: not a tenant id or domain; give the directory \(tenant\) id, a GUID .*, or a verified domain/,
  },
  {
    name: 'tenant id one digit short',
    over: { '--tenant-id': '8f2d6a3c-1b4e-4c5d-9e7f-0a1b2c3d4e5' },
    says: /--tenant-id 8f2d6a3c-1b4e-4c5d-9e7f-0a1b2c3d4e5: not a tenant id or domain/,
  },
  { name: 'app id not a GUID', over: { '--app-id': 'keycloak' }, says: /--app-id keycloak: not a GUID/ },
  { name: 'app id and app name', extra: ['--app-name', 'Keycloak'], says: /--app-id and --app-name: give one/ },
  { name: 'unknown cloud', extra: ['--cloud', 'mars'], says: /--cloud mars: unknown cloud; allowed: global, usgov, usgov-dod, china/ },
  {
    name: 'http Graph endpoint',
    over: { '--graph-endpoint': 'http://127.0.0.1:1' },
    says: /--graph-endpoint http:\/\/127.0.0.1:1: only https:\/\/ is allowed/,
  },
  { name: 'Graph endpoint not a URL', over: { '--graph-endpoint': 'graph.local' }, says: /--graph-endpoint graph.local: not a URL/ },
  { name: 'unknown sign-in method', extra: ['--auth', 'password'], says: /--auth password: unknown sign-in method; allowed: browser/ },
  { name: 'eligible user without domain', over: { '--eligible': 'alice' }, says: /--eligible alice: not a user principal name/ },
  {
    name: 'eligible user with a space',
    over: { '--eligible': 'al ice@contoso.example' },
    says: /--eligible al ice@contoso.example: not a user principal name/,
  },
  { name: 'end not a date', over: { '--end': 'next-year' }, says: /--end next-year: not a date; use YYYY-MM-DD/ },
  { name: 'end on a day that does not exist', over: { '--end': '2027-02-30' }, says: /--end 2027-02-30: no such date/ },
  { name: 'end in the past', over: { '--end': '2020-01-01' }, says: /--end 2020-01-01: must be after now/ },
  { name: 'end before start', over: { '--end': inDays(30) }, extra: ['--start', inDays(60)], says: /--end .*: must be after --start/ },
  { name: 'end and duration', extra: ['--duration', 'P30D'], says: /--end and --duration: give one, not both/ },
  {
    name: 'duration in years',
    over: { '--end': '' },
    extra: ['--duration', 'P1Y'],
    says: /--duration P1Y: year and month units are not accepted/,
  },
  { name: 'duration in months', over: { '--end': '' }, extra: ['--duration', 'P6M'], says: /--duration P6M: year and month units/ },
  { name: 'duration without P', over: { '--end': '' }, extra: ['--duration', '90D'], says: /--duration 90D: not an ISO 8601 duration/ },
  { name: 'expiry warning not a duration', extra: ['--expiry-warning', '30'], says: /--expiry-warning 30: not an ISO 8601 duration/ },
  { name: 'expiry warning in months', extra: ['--expiry-warning', 'P1M'], says: /--expiry-warning P1M: year and month units/ },
  { name: 'expiry warning of zero', extra: ['--expiry-warning', 'PT0S'], says: /--expiry-warning PT0S: must be longer than zero/ },
  { name: 'activation beyond 24 hours', extra: ['--activation-max', 'PT25H'], says: /--activation-max PT25H: at most PT24H/ },
  { name: 'activation under 30 minutes', extra: ['--activation-max', 'PT10M'], says: /--activation-max PT10M: at least PT30M/ },
  { name: 'activation not ISO', extra: ['--activation-max', '8h'], says: /--activation-max 8h: not an ISO 8601 duration/ },
  { name: 'approver without approval', extra: ['--approver', CONTOSO.upns.erin], says: /--approver needs --require-approval/ },
  { name: 'approval without approver', extra: ['--require-approval'], says: /--require-approval needs at least one --approver/ },
  { name: 'empty group name', over: { '--group': ' ' }, says: /--group: empty/ },
  { name: 'empty app role', over: { '--app-role': ' ' }, says: /--app-role: empty/ },
  {
    name: 'Keycloak URL without scheme',
    extra: ['--keycloak-url', 'sso.contoso.example', '--keycloak-realm', 'acme', '--keycloak-username', 'admin'],
    says: /--keycloak-url sso.contoso.example: not a URL.*include the scheme/,
  },
  {
    name: 'Keycloak URL without realm',
    extra: ['--keycloak-url', 'https://sso.contoso.example', '--keycloak-username', 'admin'],
    says: /--keycloak-realm is required/,
  },
  {
    name: 'Keycloak client without secret',
    extra: ['--keycloak-url', 'https://sso.contoso.example', '--keycloak-realm', 'acme', '--keycloak-client-id', 'svc'],
    says: /KEYCLOAK_CLIENT_SECRET/,
  },
  {
    name: 'unreadable Keycloak CA file',
    extra: [
      '--keycloak-url',
      'https://sso.contoso.example',
      '--keycloak-realm',
      'acme',
      '--keycloak-username',
      'admin',
      '--keycloak-ca-file',
      '/no/such/ca.pem',
    ],
    says: /--keycloak-ca-file \/no\/such\/ca.pem: cannot read that file/,
  },
  {
    name: 'journal in a missing folder',
    extra: ['--journal', '/no/such/dir/journal.jsonl'],
    says: /--journal \/no\/such\/dir\/journal.jsonl: folder \/no\/such\/dir does not exist/,
  },
  {
    name: 'unreadable certificate path',
    extra: ['--auth', 'client-certificate'],
    env: { AZURE_CLIENT_ID: CONTOSO.automation.clientId, AZURE_CLIENT_CERTIFICATE_PATH: '/no/such/cert.pem' },
    says: /AZURE_CLIENT_CERTIFICATE_PATH: cannot read \/no\/such\/cert.pem/,
  },
  {
    name: 'client secret sign-in without a secret',
    extra: ['--auth', 'client-secret'],
    env: { AZURE_CLIENT_ID: CONTOSO.automation.clientId },
    says: /--auth client-secret needs the environment variable AZURE_CLIENT_SECRET/,
  },
  { name: 'unknown option', extra: ['--frobnicate'], says: /unknown option '--frobnicate'/ },
  {
    name: 'malformed config file',
    extra: ['--config', 'test/fixtures/malformed.yaml'],
    says: /--config test\/fixtures\/malformed.yaml: not valid YAML/,
  },
  {
    name: 'unknown key in the config file',
    extra: ['--config', 'test/fixtures/unknown-key.yaml'],
    says: /--config test\/fixtures\/unknown-key.yaml: unknown option "tenant" \(allowed: tenant-id, /,
  },
  {
    name: 'config file that cannot be read',
    extra: ['--config', 'test/fixtures/absent.yaml'],
    says: /--config test\/fixtures\/absent.yaml: cannot read that file/,
  },
  // Found by reading the tenant: still nothing is written.
  {
    name: 'unknown user',
    over: { '--eligible': 'nobody@contoso.example' },
    says: /--eligible nobody@contoso.example: no such user in this tenant/,
  },
  {
    name: 'disabled user',
    over: { '--eligible': CONTOSO.upns.disabled },
    says: /--eligible grace@contoso.example: .* is disabled and could never activate; refused/,
  },
  {
    name: 'window beyond the policy maximum',
    over: { '--end': inDays(400) },
    says: /eligibility window .* is longer than the group policy allows \(365 d, P365D\)/,
  },
  { name: 'unknown group', over: { '--group': 'no-such-group' }, says: /no group named "no-such-group"/ },
  {
    name: 'unknown app role',
    over: { '--app-role': 'superuser' },
    says: /--app-role superuser: the app declares no such role \(roles for users: tenant-admin, user\)/,
  },
  {
    name: 'unknown app',
    over: { '--app-id': '00000000-0000-0000-0000-00000000abcd' },
    says: /no enterprise app .* with app id 00000000-0000-0000-0000-00000000abcd/,
  },
  { name: 'destructive non-interactive run without --yes', extra: [], says: /would remove 2 standing member\(s\).*pass --yes/ },
];

describe('bad input', () => {
  let sim: SimulatedTenant;
  let env: Record<string, string>;
  // One tenant for every case: none of them may change it.
  beforeAll(async () => {
    sim = await SimulatedTenant.start({ seed: contosoSeed(), tls: await ensureTestTls() });
    env = await tokenEnv(sim);
  });
  afterAll(() => sim.close());

  it('has at least 30 cases', () => expect(CASES.length).toBeGreaterThanOrEqual(30));

  it.each(CASES)('$name', async (c) => {
    const yes = c.name.startsWith('destructive') ? [] : ['--yes'];
    const res = await runCli(args(sim, [...yes, ...(c.extra ?? [])], c.over ?? {}), { ...env, ...c.env });
    expect(res.code, res.stderr).toBe(1);
    const lines = res.stderr.trim().split('\n');
    expect(lines, res.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: /);
    expect(lines[0]).toMatch(c.says);
    expect(sim.writes()).toHaveLength(0);
  });

  it('warns, without refusing, when a guest is made eligible', async () => {
    const res = await runCli(['audit', ...args(sim, ['--json'], { '--eligible': CONTOSO.upns.guest })], env);
    const f = json(res.stdout).steps[0].findings.find((x) => x.code === 'USER_GUEST');
    expect(f?.severity).toBe('warning');
    expect(f?.message).toContain(CONTOSO.upns.guest);
    expect(sim.writes()).toHaveLength(0);
  });
});
