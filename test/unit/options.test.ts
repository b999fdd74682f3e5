import { describe, expect, it, vi } from 'vitest';
import { isInteractive, keycloakUrlProblem, parseDate, resolveRunOptions, resolveSession, type RawOptions } from '../../src/options.js';
import { ExitCode, InterruptedError, StopError, UsageError, exitCodeFor } from '../../src/errors.js';
import { backoffMs, retryAfterMs } from '../../src/graph/resilience.js';
import { redact, redactText, registerSecret } from '../../src/core/redact.js';
import { colorEnabled } from '../../src/ui/color.js';
import { auditStatus, planStatus } from '../../src/plan/runner.js';

const now = new Date('2026-12-01T10:00:00Z');
const base: RawOptions = { tenantId: '8f2d6a3c-1b4e-4c5d-9e7f-0a1b2c3d4e5f', appId: '11111111-2222-3333-4444-555555555555' };
const resolve = (over: RawOptions, env: NodeJS.ProcessEnv = {}) =>
  resolveRunOptions({ ...base, ...over }, { mode: 'run', interactive: false, env, now });

describe('resolveRunOptions', () => {
  it('applies defaults', () => {
    const o = resolve({});
    expect(o.group).toBe('tenant-admin');
    expect(o.eligible).toEqual([]);
    expect(o.keycloak).toBeUndefined();
  });
  it('splits comma-separated and repeated --eligible', () => {
    expect(resolve({ eligible: ['a@x.com,b@x.com', ' c@x.com '] }).eligible).toEqual(['a@x.com', 'b@x.com', 'c@x.com']);
  });
  it('reads a bare --end as the end of that day (UTC)', () => {
    expect(resolve({ end: '2027-03-31' }).end?.toISOString()).toBe('2027-03-31T23:59:59.000Z');
  });

  // Each bad input: one UsageError naming the flag and what is allowed.
  it.each<[RawOptions, RegExp]>([
    [{ tenantId: undefined }, /--tenant-id is required/],
    [{ tenantId: 'not-a-guid' }, /--tenant-id not-a-guid: not a tenant id or domain/],
    [{ tenantId: '8f2d6a3c-1b4e-4c5d-9e7f-0a1b2c3d4e5' }, /--tenant-id .*not a tenant id or domain/],
    [{ appId: undefined }, /--app-id \(or --app-name\) is required/],
    [{ appId: 'x' }, /--app-id x: not a GUID/],
    [{ appName: 'Keycloak' }, /--app-id and --app-name: give one/],
    [{ group: '  ' }, /--group: empty/],
    [{ eligible: ['alice'] }, /--eligible alice: not a user principal name/],
    [{ end: '2027-02-30' }, /--end 2027-02-30: no such date/],
    [{ end: 'tomorrow' }, /--end tomorrow: not a date/],
    [{ end: '2026-01-01' }, /--end 2026-01-01: must be after now/],
    [{ start: '2027-05-01', end: '2027-04-01' }, /--end 2027-04-01: must be after --start 2027-05-01/],
    [{ end: '2027-03-31', duration: 'P90D' }, /--end and --duration/],
    [{ duration: 'P1Y' }, /--duration P1Y: year and month units/],
    [{ duration: 'P6M' }, /--duration P6M: year and month units/],
    [{ duration: 'soon' }, /--duration soon: not an ISO 8601 duration/],
    [{ activationMax: 'PT25H' }, /--activation-max PT25H: at most PT24H/],
    [{ activationMax: 'PT5M' }, /--activation-max PT5M: at least PT30M/],
    [{ approver: ['x@y.com'] }, /--approver needs --require-approval/],
    [{ requireApproval: true }, /--require-approval needs at least one --approver/],
    [{ keycloakUrl: 'sso.example.com', keycloakRealm: 'acme', keycloakUsername: 'admin' }, /--keycloak-url sso.example.com: not a URL/],
    [{ keycloakUrl: 'ftp://sso.example.com', keycloakRealm: 'acme', keycloakUsername: 'admin' }, /the scheme must be https/],
    [{ keycloakUrl: 'https://sso.example.com', keycloakUsername: 'admin' }, /--keycloak-realm is required/],
    [{ keycloakUrl: 'https://sso.example.com', keycloakRealm: 'acme' }, /--keycloak-client-id .* or --keycloak-username/],
    [{ keycloakUrl: 'https://sso.example.com', keycloakRealm: 'acme', keycloakClientId: 'svc' }, /KEYCLOAK_CLIENT_SECRET/],
    [{ keycloakRealm: 'acme' }, /--keycloak-url is required/],
  ])('%o', (over, message) => {
    const call = () => resolve(over);
    expect(call).toThrow(UsageError);
    expect(call).toThrow(message);
  });
});

describe('resolveSession', () => {
  it.each<[RawOptions, RegExp]>([
    [{ cloud: 'mars' }, /--cloud mars: unknown cloud; allowed: global, usgov, usgov-dod, china/],
    [{ graphEndpoint: 'http://graph.example.com' }, /--graph-endpoint .*only https/],
    [{ graphEndpoint: 'graph' }, /--graph-endpoint graph: not a URL/],
    [{ auth: 'password' }, /--auth password: unknown sign-in method/],
    [{ journal: '/no/such/dir/j.jsonl' }, /--journal .*does not exist/],
  ])('%o', (raw, message) => expect(() => resolveSession(raw, {})).toThrow(message));
  it('picks the national cloud endpoints', () => {
    expect(resolveSession({ cloud: 'usgov-dod' }, {})).toMatchObject({
      graphBase: 'https://dod-graph.microsoft.us',
      authorityHost: 'https://login.microsoftonline.us',
    });
  });
});

describe('parseDate', () => {
  it('keeps an explicit zone', () =>
    expect(parseDate('--end', '2027-01-01T10:00:00+02:00', true).toISOString()).toBe('2027-01-01T08:00:00.000Z'));
  it.each([
    ['2027-03-31T01:00:00+02:00', '2027-03-30T23:00:00.000Z'],
    ['2027-03-31T23:30:00-05:00', '2027-04-01T04:30:00.000Z'],
    ['2027-01-01T00:30:00+0100', '2026-12-31T23:30:00.000Z'],
    ['2027-03-01T01:00:00+02', '2027-02-28T23:00:00.000Z'],
    ['2028-02-29T12:00:00Z', '2028-02-29T12:00:00.000Z'],
    ['2027-03-31T18:00:00.250z', '2027-03-31T18:00:00.250Z'],
    ['2027-03-31T18:00', '2027-03-31T18:00:00.000Z'],
    ['2027-03-31', '2027-03-31T23:59:59.000Z'],
  ])('accepts %s (offsets may cross UTC midnight)', (value, iso) => expect(parseDate('--end', value, true).toISOString()).toBe(iso));
  it('a bare --start is the start of the day', () =>
    expect(parseDate('--start', '2027-03-31', false).toISOString()).toBe('2027-03-31T00:00:00.000Z'));
  it.each([
    ['2027-02-29T10:00:00Z', /--end 2027-02-29T10:00:00Z: no such date/],
    ['2027-13-01', /no such date/],
    ['2027-04-31T01:00:00+02:00', /no such date/],
    ['2027-03-31T24:00:00Z', /no such time of day/],
    ['2027-03-31T10:60:00Z', /no such time of day/],
    ['2027-03-31T10:00:00+24:00', /no such UTC offset/],
    ['2027-03-31T10:00:00+02:60', /no such UTC offset/],
    ['31/03/2027', /--end 31\/03\/2027: not a date/],
  ])('refuses %s naming the flag', (value, says) => expect(() => parseDate('--end', value, true)).toThrow(says));
});

describe('keycloakUrlProblem', () => {
  it.each([
    'https://sso.example.com',
    'http://127.0.0.1:8080',
    'http://127.8.9.10',
    'http://localhost:8080',
    'http://LOCALHOST',
    'http://[::1]:8080',
  ])('accepts %s', (url) => expect(keycloakUrlProblem(url)).toBeUndefined());
  it.each([
    ['http://sso.example.com', /plain http:\/\/ is allowed only to this machine/],
    ['http://10.0.0.5:8080', /only to this machine/],
    ['http://128.0.0.1', /only to this machine/],
    ['http://localhost.example.com', /only to this machine/],
    ['http://[::2]', /only to this machine/],
    ['ftp://sso.example.com', /the scheme must be https:\/\//],
    ['sso.example.com', /not a URL/],
  ])('refuses %s', (url, says) => expect(keycloakUrlProblem(url)).toMatch(says));
});

describe('interactivity and colour', () => {
  it('is interactive only on a terminal, outside CI, without --non-interactive', () => {
    expect(isInteractive({}, {}, true, true)).toBe(true);
    expect(isInteractive({}, { CI: 'true' }, true, true)).toBe(false);
    expect(isInteractive({ nonInteractive: true }, {}, true, true)).toBe(false);
    expect(isInteractive({}, {}, false, true)).toBe(false);
  });
  it('turns colour off for NO_COLOR, --no-color, --json and non-TTY', () => {
    expect(colorEnabled({ isTTY: true, env: {} })).toBe(true);
    expect(colorEnabled({ isTTY: true, env: { NO_COLOR: '1' } })).toBe(false);
    expect(colorEnabled({ isTTY: true, noColor: true, env: {} })).toBe(false);
    expect(colorEnabled({ isTTY: true, json: true, env: {} })).toBe(false);
    expect(colorEnabled({ isTTY: false, env: {} })).toBe(false);
  });
});

describe('redaction', () => {
  it('masks registered secrets, bearer tokens and sensitive keys', () => {
    registerSecret('s3cr3t-value-123');
    expect(redactText('secret is s3cr3t-value-123!')).toBe('secret is ***!');
    expect(redactText('Authorization: Bearer abc.def.ghi')).toBe('Authorization: Bearer ***');
    expect(redact({ clientSecret: 'x', nested: { password: 'p', name: 'n' } })).toEqual({
      clientSecret: '***',
      nested: { password: '***', name: 'n' },
    });
  });

  it('shares registered secrets between copies of the module (bin bundles its own copy)', async () => {
    vi.resetModules();
    const copy = (await import('../../src/core/redact.js')) as typeof import('../../src/core/redact.js');
    expect(copy.redactText).not.toBe(redactText);
    copy.registerSecret('kc-admin-pw-Zq81');
    expect(redactText('login failed for kc-admin-pw-Zq81')).toBe('login failed for ***');
    registerSecret('client-secret-Pw93');
    expect(copy.redactText('client-secret-Pw93 rejected')).toBe('*** rejected');
  });
});

describe('retry timing', () => {
  it('reads Retry-After as seconds or a date', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(retryAfterMs(undefined)).toBeUndefined();
  });
  it('backs off exponentially with jitter inside bounds', () => {
    expect(backoffMs(0, 500, () => 0)).toBe(500);
    expect(backoffMs(3, 500, () => 1)).toBe(4000);
    expect(backoffMs(20, 500, () => 1)).toBe(30_000);
  });
});

describe('statuses', () => {
  it('derives step and run status', () => {
    expect(planStatus({ findings: [], actions: [{ kind: 'noop', summary: '' }] })).toBe('ok');
    expect(planStatus({ findings: [], actions: [{ kind: 'create', summary: '' }] })).toBe('would-change');
    expect(planStatus({ findings: [{ severity: 'error', code: 'X', message: '' }], actions: [] })).toBe('failed');
    expect(auditStatus([{ id: 'pim-policy', title: '', status: 'ok', findings: [], actions: [] }])).toBe('compliant');
    expect(auditStatus([{ id: 'pim-policy', title: '', status: 'would-change', findings: [], actions: [] }])).toBe('drift');
  });
});

describe('exit codes', () => {
  it('maps errors by name, so a copy of the error classes in another bundle maps alike', () => {
    expect(exitCodeFor(new StopError('drift', ExitCode.drift))).toBe(2);
    expect(exitCodeFor(new InterruptedError('x'))).toBe(130);
    expect(exitCodeFor(new UsageError('--end: not a date'))).toBe(1);
    expect(exitCodeFor(new Error('boom'))).toBe(1);
    expect(exitCodeFor(undefined)).toBe(1);
    // What bin's CommonJS copy of errors.ts sees when an ES module command throws.
    class StopError2 extends Error {
      override name = 'StopError';
      readonly exitCode = 2;
    }
    class Interrupted2 extends Error {
      override name = 'InterruptedError';
    }
    expect(exitCodeFor(new StopError2('drift'))).toBe(2);
    expect(exitCodeFor(new Interrupted2('x'))).toBe(130);
    expect(exitCodeFor(Object.assign(new Error('ctrl-c'), { name: 'ExitPromptError' }))).toBe(130);
  });
});
