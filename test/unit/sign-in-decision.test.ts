import { describe, expect, it } from 'vitest';
import { decideSignIn, defaultAuthMethod, type SignInFacts } from '../../src/graph/sign-in-decision.js';
import { signInDeadlineMs } from '../../src/graph/sign-in-deadline.js';
import { browserUnavailable } from '../../src/graph/sign-in-environment.js';
import { tenantInputProblem } from '../../src/graph/tenant.js';

const tty = { stdinTTY: true, stderrTTY: true };

describe('browserUnavailable (what the `open` package needs)', () => {
  it.each([
    [{ ...tty, platform: 'darwin', env: {}, osRelease: '23.1.0' }, undefined],
    [{ ...tty, platform: 'win32', env: {}, osRelease: '10.0.22631' }, undefined],
    [{ ...tty, platform: 'linux', env: {}, osRelease: '5.15.153.1-microsoft-standard-WSL2' }, undefined],
    [{ ...tty, platform: 'linux', env: { DISPLAY: ':0' }, osRelease: '6.8.0' }, undefined],
    [{ ...tty, platform: 'linux', env: { WAYLAND_DISPLAY: 'wayland-0' }, osRelease: '6.8.0' }, undefined],
    [{ ...tty, platform: 'linux', env: {}, osRelease: '6.8.0' }, /no display/],
    [{ ...tty, platform: 'freebsd', env: {}, osRelease: '14.0' }, /no display/],
    [{ stdinTTY: false, stderrTTY: true, platform: 'darwin', env: {}, osRelease: '23.1.0' }, /no terminal/],
    [{ stdinTTY: true, stderrTTY: false, platform: 'linux', env: { DISPLAY: ':0' }, osRelease: '6.8.0' }, /no terminal/],
  ] as const)('%j → %s', (facts, expected) => {
    const why = browserUnavailable(facts as Parameters<typeof browserUnavailable>[0]);
    if (expected === undefined) expect(why).toBeUndefined();
    else expect(why).toMatch(expected);
  });
});

describe('decideSignIn', () => {
  const base: SignInFacts = { env: {}, interactive: false, azureCli: false, tenantGiven: true };

  it('a terminal with no --auth: left to the wizard; the default is the device code without a display', () => {
    expect(decideSignIn({ ...base, interactive: true, noBrowser: 'x' })).toBeUndefined();
    expect(defaultAuthMethod({}, true, false)).toBe('device-code');
    expect(defaultAuthMethod({}, true, true)).toBe('browser');
  });

  it('a script: the Azure CLI when az is on PATH, else one error naming every way to sign in', () => {
    expect(decideSignIn({ ...base, azureCli: true })).toBe('azure-cli');
    expect(() => decideSignIn(base)).toThrow(
      /AZURE_CLIENT_ID with AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH, or ENTRA_PIM_ACCESS_TOKEN.*--auth/,
    );
  });

  it('an explicit method names all its missing inputs at once, the tenant included', () => {
    expect(() => decideSignIn({ ...base, explicit: 'workload-identity', tenantGiven: false })).toThrow(
      '--auth workload-identity needs AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE and --tenant-id (or AZURE_TENANT_ID)',
    );
    expect(
      decideSignIn({
        ...base,
        explicit: 'client-secret',
        env: { AZURE_CLIENT_SECRET: 's' },
        clientId: '0b5a9f8e-7f3c-4c1e-9a6d-2f7b3e4d5c6a',
      }),
    ).toBe('client-secret');
  });

  it('--auth browser is refused where no browser can open, naming the device code', () => {
    expect(() => decideSignIn({ ...base, explicit: 'browser', noBrowser: 'there is no terminal' })).toThrow(
      /^--auth browser cannot sign in here: there is no terminal; use --auth device-code/,
    );
  });

  it('a federated token file makes workload identity the default', () => {
    expect(defaultAuthMethod({ AZURE_FEDERATED_TOKEN_FILE: '/var/run/token' }, false)).toBe('workload-identity');
  });
});

describe('signInDeadlineMs', () => {
  it('browser 5 min, device code 15 min (its lifetime), others 2 min; the variable overrides', () => {
    expect(signInDeadlineMs('browser', {})).toBe(300_000);
    expect(signInDeadlineMs('device-code', {})).toBe(900_000);
    expect(signInDeadlineMs('client-secret', {})).toBe(120_000);
    expect(signInDeadlineMs('browser', { ENTRA_PIM_SIGN_IN_TIMEOUT_MS: '1500' })).toBe(1500);
    expect(signInDeadlineMs('browser', { ENTRA_PIM_SIGN_IN_TIMEOUT_MS: 'soon' })).toBe(300_000);
  });
});

describe('tenantInputProblem', () => {
  it.each(['8f2d6a3c-1b4e-4c5d-9e7f-0a1b2c3d4e5f', 'contoso.onmicrosoft.com', 'Contoso.Example', 'login.contoso.co.uk'])(
    '%s is allowed',
    (v) => {
      expect(tenantInputProblem(v)).toBeUndefined();
    },
  );
  it.each([
    'contoso',
    'common',
    'organizations',
    'consumers',
    'contoso.onmicrosoft.com/../x',
    'a b.com',
    '-bad.example',
    '8f2d6a3c-1b4e-4c5d-9e7f-0a1b2c3d4e5',
  ])('%s is refused naming --tenant-id', (v) => {
    expect(tenantInputProblem(v)).toMatch(
      new RegExp(`^--tenant-id ${v.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: .*a GUID .*or a verified domain`),
    );
  });
});
