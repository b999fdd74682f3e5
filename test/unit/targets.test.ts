import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseTargets, perTargetFlagProblem, type ConfigOption } from '../../src/config-targets.js';
import { UsageError } from '../../src/errors.js';
import { targetJournalPath } from '../../src/commands/targets.js';
import { mapBounded } from '../../src/core/bounded.js';
import {
  changeCount,
  exitCodeOfStatus,
  overallStatus,
  summaryText,
  targetsMarkdown,
  type TargetOutcome,
  type TargetStatus,
} from '../../src/commands/targets-summary.js';
import type { RunReport } from '../../src/plan/types.js';

const OPTIONS: ConfigOption[] = [
  { key: 'tenant-id', name: 'tenantId', kind: 'string' },
  { key: 'auth', name: 'auth', kind: 'string' },
  { key: 'app-id', name: 'appId', kind: 'string' },
  { key: 'group', name: 'group', kind: 'string' },
  { key: 'eligible', name: 'eligible', kind: 'list' },
  { key: 'end', name: 'end', kind: 'string' },
  { key: 'require-mfa', name: 'requireMfa', kind: 'boolean' },
  { key: 'keycloak-realm', name: 'keycloakRealm', kind: 'string' },
];
const parse = (value: unknown) => parseTargets('multi.yaml', value, OPTIONS);
const error = (value: unknown) => {
  try {
    parse(value);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('no error');
};

describe('parseTargets', () => {
  it('reads each target into option values, keyed as the options object keys them', () => {
    expect(
      parse([
        { name: 'prod', 'app-id': 'a', eligible: 'x@y.z', 'require-mfa': true, 'keycloak-realm': 'acme' },
        { name: 'staging.eu-1', group: 'g', end: new Date('2027-03-31T00:00:00Z'), eligible: ['a@b.c', 'd@e.f'] },
      ]),
    ).toEqual([
      { name: 'prod', values: { appId: 'a', eligible: ['x@y.z'], requireMfa: true, keycloakRealm: 'acme' } },
      { name: 'staging.eu-1', values: { group: 'g', end: '2027-03-31', eligible: ['a@b.c', 'd@e.f'] } },
    ]);
  });

  it.each<[unknown, string]>([
    [{}, '--config multi.yaml: "targets" must be a list of targets, each a mapping with a "name" and its options'],
    [[], '--config multi.yaml: "targets" is empty; list at least one target, or leave the key out'],
    [['prod'], '--config multi.yaml: targets[1]: expected a mapping with a "name" and the target\'s options'],
    [[{ group: 'g' }], '--config multi.yaml: targets[1]: "name" is missing; give each target a unique name (letters, digits, . _ -)'],
    [[{ name: 'a' }, { name: 'A' }], '--config multi.yaml: targets[2]: "name" A is used by another target; names must be unique'],
    [
      [{ name: 'a', grup: 'g' }],
      '--config multi.yaml: target a: unknown option "grup" (allowed in a target: name, app-id, group, eligible, end, require-mfa, keycloak-realm)',
    ],
    [
      [{ name: 'a', 'tenant-id': 't' }],
      '--config multi.yaml: target a: "tenant-id" is shared by every target; set it at the top level of the file, not in a target',
    ],
    [
      [{ name: 'a', auth: 'browser' }],
      '--config multi.yaml: target a: "auth" is shared by every target; set it at the top level of the file, not in a target',
    ],
    [[{ name: 'a', 'require-mfa': 'yes' }], '--config multi.yaml: target a: "require-mfa" must be true or false'],
    [[{ name: 'a', eligible: [1] }], '--config multi.yaml: target a: "eligible" must be a string or a list of strings'],
    [[{ name: 'a', group: { x: 1 } }], '--config multi.yaml: target a: "group" must be a string'],
    [
      [{ name: 'a', targets: [] }],
      '--config multi.yaml: target a: unknown option "targets" (allowed in a target: name, app-id, group, eligible, end, require-mfa, keycloak-realm)',
    ],
  ])('refuses %j with one line naming the key', (value, message) => {
    expect(error(value)).toBe(message);
  });

  it.each(['../prod', 'a/b', '.hidden', '', 'x'.repeat(64), 'a b', 7])('refuses the unsafe name %j', (name) => {
    expect(error([{ name }])).toMatch(/^--config multi\.yaml: targets\[1\]: "name" .* is not a safe name/);
  });
});

describe('perTargetFlagProblem', () => {
  it('refuses a per-target flag and lets shared ones through', () => {
    expect(perTargetFlagProblem('m.yaml', ['tenant-id', 'yes', 'json', 'report'])).toBeUndefined();
    expect(perTargetFlagProblem('m.yaml', ['yes', 'keycloak-realm'])).toBe(
      '--keycloak-realm: not taken on the command line with the targets of --config m.yaml; set "keycloak-realm" in each target (or at the top level of the file for all of them)',
    );
  });
});

describe('overallStatus: the worst target decides', () => {
  it.each<[TargetStatus[], RunReport['status'], number]>([
    [['compliant', 'compliant'], 'compliant', 0],
    [['compliant', 'changed'], 'changed', 0],
    [['compliant', 'drift'], 'drift', 2],
    [['drift', 'changed'], 'drift', 2],
    [['drift', 'failed'], 'failed', 1],
    [['failed', 'compliant'], 'failed', 1],
    [['changed', 'failed', 'not-run'], 'failed', 1],
    [['not-run'], 'failed', 1],
  ])('%j is %s, exit %i', (statuses, status, exit) => {
    expect(overallStatus(statuses)).toBe(status);
    expect(exitCodeOfStatus(overallStatus(statuses))).toBe(exit);
  });
});

const report = (
  mode: RunReport['mode'],
  status: RunReport['status'],
  kinds: Array<'noop' | 'create' | 'delete'>,
  ok = false,
): RunReport => ({
  schemaVersion: 1,
  mode,
  tenantId: 't',
  status,
  steps: [
    {
      id: 'admin-group',
      title: 'Admin group',
      status: 'would-change',
      findings: [
        { severity: 'warning', code: 'W', message: 'w' },
        { severity: 'info', code: 'I', message: 'i' },
      ],
      actions: kinds.map((kind) => ({ kind, summary: kind, target: 'graph' as const, ...(ok ? { result: { ok: true } } : {}) })),
    },
  ] as unknown as RunReport['steps'],
});

describe('the summary', () => {
  it('counts planned changes in an audit and applied ones in a run', () => {
    expect(changeCount(report('audit', 'drift', ['noop', 'create', 'delete']))).toBe(2);
    expect(changeCount(report('run', 'changed', ['noop', 'create'], true))).toBe(1);
    expect(changeCount(report('run', 'failed', ['create']))).toBe(0);
  });

  it('prints one row per target and the result last', () => {
    const outcomes: TargetOutcome[] = [
      { name: 'prod', status: 'compliant', report: report('audit', 'compliant', ['noop']) },
      { name: 'staging-eu', status: 'drift', report: report('audit', 'drift', ['create', 'delete']) },
      { name: 'bu2', status: 'failed', error: 'Keycloak refused the sign-in' },
    ];
    expect(summaryText('audit', 't', outcomes).split('\n')).toEqual([
      'entra-pim-setup audit (read-only) — tenant t, 3 targets',
      '',
      'target      status     findings  would change',
      'prod        compliant  1         0',
      'staging-eu  drift      1         2',
      'bu2         failed     0         0',
      '',
      'bu2: Keycloak refused the sign-in',
      '',
      'Result: failed — 1 target(s) failed.',
      '',
    ]);
  });

  it('makes each target a section of the Markdown report, one heading level down', () => {
    const meta = {
      tool: 'entra-pim-setup' as const,
      version: '1',
      command: 'audit',
      argv: [],
      startedAt: 'a',
      finishedAt: 'b',
      mode: 'audit' as const,
      tenantId: 't',
      exitCode: 2,
    };
    const md = targetsMarkdown('audit', 't', [
      { name: 'prod', status: 'drift', report: report('audit', 'drift', ['create']), meta },
      { name: 'bu2', status: 'not-run' },
    ]);
    expect(md).toMatch(/^# entra-pim-setup audit of 2 targets: failed\n/);
    expect(md).toContain('| prod | drift | 1 | 1 |');
    expect(md).toMatch(/^## prod: entra-pim-setup audit: drift$/m);
    expect(md).toMatch(/^### Steps$/m);
    expect(md).not.toMatch(/^## Steps$/m);
    expect(md).toMatch(/^## bu2: not-run\n\nNot run: an earlier target failed\.$/m);
  });
});

describe('targetJournalPath', () => {
  const now = new Date('2026-12-01T10:00:00.000Z');
  it('puts the target name in the default name, inside a folder, or in place of {target}', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'epim-'));
    expect(targetJournalPath(undefined, 'prod', now, '/work')).toBe('/work/entra-pim-setup-journal-2026-12-01T10-00-00-000Z-prod.jsonl');
    expect(targetJournalPath(dir, 'prod', now)).toBe(path.join(dir, 'entra-pim-setup-journal-2026-12-01T10-00-00-000Z-prod.jsonl'));
    expect(targetJournalPath('/j/{target}/run-{target}.jsonl', 'bu2', now)).toBe('/j/bu2/run-bu2.jsonl');
    expect(() => targetJournalPath(path.join(dir, 'one.jsonl'), 'prod', now)).toThrow(
      /--journal .*one\.jsonl: with several targets give a folder, or a file name containing \{target\}/,
    );
  });
});

describe('mapBounded (the audit of several targets, two at a time)', () => {
  it('runs at most `limit` at once and keeps the order of the items', async () => {
    const release: Array<() => void> = [];
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const done = mapBounded([1, 2, 3, 4], 2, async (n) => {
      started.push(n);
      running++;
      most = Math.max(most, running);
      await new Promise<void>((r) => release.push(r));
      running--;
      return n * 10;
    });
    // Let the workers start: two items, and no third until one ends.
    await Promise.resolve();
    expect(started).toEqual([1, 2]);
    while (release.length) {
      release.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    expect(await done).toEqual([10, 20, 30, 40]);
    expect(most).toBe(2);
    expect(started).toEqual([1, 2, 3, 4]);
  });
});
