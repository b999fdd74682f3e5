import { describe, expect, it } from 'vitest';
import { suggestCommand } from '../../src/cli.js';
import { COMMAND_OPTIONS, optionDef, OPTIONS } from '../../src/cli-options.js';
import { journalTarget } from '../../src/commands/restore.js';
import {
  errorCodeFor,
  GraphRequestError,
  InterruptedError,
  KeycloakError,
  SignInError,
  StopError,
  TransportError,
  UsageError,
} from '../../src/errors.js';

const NAMES = ['run', 'audit', 'restore', 'demo', 'verify-user', 'activate', 'completion', 'help'];

describe('suggestCommand', () => {
  it.each([
    ['aduit', 'audit'],
    ['audti', 'audit'],
    ['restor', 'restore'],
    ['verify', 'verify-user'],
    ['activte', 'activate'],
    ['version', '--version'],
    ['completions', 'completion'],
  ])('%s → %s', (word, meant) => expect(suggestCommand(word, NAMES)).toBe(meant));

  it.each(['nope', 'x', 'setup'])('%s: no guess', (word) => expect(suggestCommand(word, NAMES)).toBeUndefined());
});

describe('errorCodeFor: the stable code of the --json failure document', () => {
  it.each([
    [new UsageError('x'), 'USAGE'],
    [Object.assign(new Error("error: unknown option '--x'"), { code: 'commander.unknownOption' }), 'USAGE'],
    [new SignInError('x'), 'SIGN_IN'],
    [new TransportError('x'), 'NETWORK'],
    [new GraphRequestError('x', undefined, undefined, 'GET', '/x'), 'NETWORK'],
    [new GraphRequestError('x', 403, 'Authorization_RequestDenied', 'GET', '/x'), 'GRAPH'],
    [new KeycloakError('x', 500), 'KEYCLOAK'],
    [new StopError('x', 1, 'SIGN_IN'), 'SIGN_IN'],
    [new StopError('x'), 'STOPPED'],
    [Object.assign(new Error('x'), { name: 'JournalError' }), 'JOURNAL'],
    [new InterruptedError('x'), 'INTERRUPTED'],
    [Object.assign(new Error('x'), { name: 'ExitPromptError' }), 'INTERRUPTED'],
    [new StopError('declined', 1, 'DECLINED'), 'DECLINED'],
    [new Error('x'), 'INTERNAL'],
  ])('%s → %s', (err, code) => expect(errorCodeFor(err)).toBe(code));
});

describe('the option table', () => {
  it('every command names options that exist, each once', () => {
    for (const [command, uses] of Object.entries(COMMAND_OPTIONS)) {
      const keys = uses.map((u) => optionDef(u).key);
      expect(new Set(keys).size, command).toBe(keys.length);
      for (const k of keys) expect(OPTIONS[k], `${command} ${k}`).toBeDefined();
    }
  });
  it('every option is taken by some command', () => {
    const used = new Set(Object.values(COMMAND_OPTIONS).flatMap((uses) => uses.map((u) => optionDef(u).key)));
    expect(Object.keys(OPTIONS).filter((k) => !used.has(k as keyof typeof OPTIONS))).toEqual([]);
  });
});

describe('journalTarget', () => {
  const T = '8f2d6a3c-1b4e-4c5d-9e7f-0a1b2c3d4e5f';
  const start = { tenantId: T, cloud: 'usgov', graphEndpoint: 'https://graph.microsoft.us' };
  it("takes the journal's values when nothing else names them", () => {
    expect(journalTarget({ from: 'j' }, [start])).toEqual({ tenantId: T, cloud: 'usgov', graphEndpoint: 'https://graph.microsoft.us' });
  });
  it('keeps what flags give for an older journal that does not record them', () => {
    expect(journalTarget({ from: 'j', cloud: 'china', sources: { cloud: 'cli' } }, [{ tenantId: T }])).toEqual({
      tenantId: T,
      cloud: 'china',
      graphEndpoint: undefined,
    });
  });
  it('names the source of a contradiction', () => {
    expect(() => journalTarget({ from: 'j', cloud: 'global', sources: { cloud: 'config' } }, [start])).toThrow(
      /^"cloud" in --config global: the journal's run was on cloud usgov/,
    );
  });
  it('refuses a journal whose runs disagree', () => {
    expect(() => journalTarget({ from: 'j' }, [start, { ...start, cloud: 'global' }])).toThrow(
      /--journal j: its runs name more than one cloud \(usgov, global\)/,
    );
  });
});
