import { beforeEach, describe, expect, it, vi } from 'vitest';
import { planMapper } from '../../src/keycloak/mapper-plan.js';
import type { MappingExpectation } from '../../src/keycloak/mapping-expectation.js';
import { otherProviderGrants } from '../../src/keycloak/other-providers.js';
import { selectIdentityProvider } from '../../src/keycloak/provider.js';
import type { IdentityProvider, IdpMapper } from '../../src/keycloak/types.js';
import { renderReport, reportJson } from '../../src/plan/render.js';
import type { RunReport } from '../../src/plan/types.js';
import type { Finding } from '../../src/core/findings.js';
import { reportMarkdown } from '../../src/report-markdown.js';
import type { ReportMeta } from '../../src/report-meta.js';
import { createColors, noColors } from '../../src/ui/color.js';
import { createLogger } from '../../src/ui/log.js';
import { terminalPrompter } from '../../src/ui/prompt.js';
import { jsonSafe, safeLine, safeOutput, safeText } from '../../src/ui/safe-text.js';

// @inquirer/prompts writes to the terminal itself: capture what it is asked to show.
const shown = vi.hoisted(() => [] as unknown[]);
vi.mock('@inquirer/prompts', () => ({
  select: async (config: { choices: Array<{ value: unknown }> }) => (shown.push(config), config.choices[0].value),
  checkbox: async (config: unknown) => (shown.push(config), []),
  confirm: async (config: unknown) => (shown.push(config), true),
  input: async (config: unknown) => (shown.push(config), ''),
  password: async (config: unknown) => (shown.push(config), ''),
}));

/** Characters that act on a terminal or a Markdown reader: C0 but LF, DEL, C1, line separators, bidi. */
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const NOT_OURS = /\u001b(?!\[(?:1|2|22|31|32|33|36|39)m)/;
const OURS = /\u001b\[(?:1|2|22|31|32|33|36|39)m/g;

const HOSTILE =
  'a\u001b]0;pwned\u0007b\u001b[2J\nResult: compliant\r# Heading\u202eevil\u2066x\u2069\u200e\u200f\u061c\u0085\u009b\u007f\t\u2028\u2029z';

describe('safe text', () => {
  it('shows every control, separator and bidi character as an escape, on one line', () => {
    const out = safeText(HOSTILE);
    expect(out).toBe(
      'a\\u001b]0;pwned\\u0007b\\u001b[2J\\nResult: compliant\\r# Heading\\u202eevil\\u2066x\\u2069\\u200e\\u200f\\u061c\\u0085\\u009b\\u007f\\t\\u2028\\u2029z',
    );
    expect(out).not.toMatch(RAW);
    // Applying it twice changes nothing: layers (renderer, stream) can both apply it.
    expect(safeText(out)).toBe(out);
    // Ordinary text, accents, scripts and symbols pass unchanged.
    const plain = 'Zoë Ørsted — 山田 太郎 (עברית) ✔ ~ = <x> | `y`';
    expect(safeText(plain)).toBe(plain);
  });

  it('lets only our own colour codes through, and only when colour is on', () => {
    const ours = '\u001b[31mred\u001b[39m \u001b[1m\u001b[2mx\u001b[22m';
    expect(safeLine(ours, true)).toBe(ours);
    expect(safeLine(ours, false)).not.toContain('\u001b');
    // Conceal, a cursor move, a 256-colour code, a title: never, colour or not.
    for (const seq of ['\u001b[8m', '\u001b[2J', '\u001b[38;5;1m', '\u001b]0;t\u0007', '\u001b[1;31m']) {
      expect(safeLine(`x${seq}y`, true)).not.toContain('\u001b');
    }
  });

  it('at the stream keeps line breaks, neutralises the rest', () => {
    expect(safeOutput('one\ntwo\r\u001b[2J\n', false)).toBe('one\ntwo\\r\\u001b[2J\n');
  });

  it('JSON: the document stays exact when parsed, and prints inert', () => {
    const text = jsonSafe(JSON.stringify({ name: HOSTILE }, null, 2));
    expect(text).not.toMatch(RAW);
    expect((JSON.parse(text) as { name: string }).name).toBe(HOSTILE);
  });
});

// ---- Keycloak names in the analysis and every report form ------------------------------------

const TID = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const APP = '3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
const GID = '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d';
const REALM = 'acme\u001b]0;pwned\u0007\nResult: compliant — nothing to change.';
const ALIAS = 'entra\r# Heading';
const TARGET = '/tenant-admin\u202e nimda';
const MAPPER = 'grant\u001b[2J\u001b[H\n  ✔ Keycloak: ok';

function keycloakFindings(): { findings: Finding[]; summaries: string[] } {
  const hardcoded: IdpMapper = {
    id: 'm1',
    name: MAPPER,
    identityProviderAlias: ALIAS,
    identityProviderMapper: 'oidc-hardcoded-group-idp-mapper',
    config: { group: TARGET },
  };
  const exp: MappingExpectation = {
    protocol: 'oidc',
    alias: ALIAS,
    target: { kind: 'group', value: TARGET },
    claim: { key: 'groups', value: GID, displayName: 'Tenant\u2066 Admins', source: 'group' },
    idpSyncMode: 'IMPORT',
    tenantId: TID,
  };
  const planned = planMapper({ realm: REALM, exp, mappers: [hardcoded], targetExists: true, fix: true });
  const google: IdentityProvider = { alias: `google${MAPPER}`, providerId: 'google', enabled: true, config: {} };
  const selection = selectIdentityProvider([google], ALIAS, { tenantId: TID, appId: APP }, REALM);
  const findings = [
    ...planned.findings,
    ...otherProviderGrants(`github${ALIAS}`, [hardcoded], exp.target),
    ...('finding' in selection ? [selection.finding] : []),
  ];
  return { findings, summaries: planned.actions.map((a) => a.summary) };
}

function keycloakReport(): RunReport {
  const { findings } = keycloakFindings();
  const planned = planMapper({
    realm: REALM,
    exp: {
      protocol: 'oidc',
      alias: ALIAS,
      target: { kind: 'group', value: TARGET },
      claim: { key: 'groups', value: GID, source: 'group' },
      idpSyncMode: 'IMPORT',
      tenantId: TID,
    },
    mappers: [],
    targetExists: true,
    fix: true,
  });
  return {
    schemaVersion: 1,
    mode: 'audit',
    tenantId: TID,
    status: 'drift',
    steps: [
      {
        id: 'keycloak',
        title: 'Keycloak maps the PIM group to the admin group (sync mode FORCE)',
        status: 'would-change',
        findings,
        actions: planned.actions,
      },
    ],
  };
}

const meta: ReportMeta = {
  tool: 'entra-pim-setup',
  version: '0.0.0',
  command: 'audit',
  argv: ['audit', '--keycloak-realm', REALM],
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:00:01.000Z',
  mode: 'audit',
  tenantId: TID,
  exitCode: 2,
  caller: { kind: 'user', id: 'u', name: `Mallory${ALIAS}` },
  group: { id: GID, displayName: `tenant-admin${MAPPER}` },
};

/** No raw control or bidi character; with colour on, our own colour codes are the only escapes. */
function expectInert(text: string, where: string, colors = false): void {
  if (colors) expect(NOT_OURS.exec(text)?.[0], `${where}: an escape that is not our colour`).toBeUndefined();
  expect(RAW.exec(colors ? text.replace(OURS, '') : text)?.[0], `${where}: a raw control or bidi character`).toBeUndefined();
  expect(text, where).not.toMatch(/^Result: compliant/m);
  expect(text, where).not.toMatch(/^\s*✔ Keycloak: ok/m);
  expect(text, where).not.toMatch(/^# Heading/m);
}

describe('Keycloak realm, provider, group and mapper names', () => {
  it('reach the findings as they are (the analysis judges the real names)', () => {
    const { findings, summaries } = keycloakFindings();
    const text = findings.map((f) => `${f.message} ${f.fix ?? ''}`).join(' ') + summaries.join(' ');
    for (const name of [REALM, ALIAS, TARGET, MAPPER]) expect(text).toContain(name);
  });

  it('are inert in the text report, with and without colour', async () => {
    const report = keycloakReport();
    expectInert(renderReport(noColors, report, { showRequests: true }), 'plain text');
    const colors = await createColors(true);
    const painted = renderReport(colors, report, { showRequests: true });
    expect(painted).toContain('\u001b[');
    expectInert(painted, 'coloured text', true);
    // One line per finding: the finding lines are exactly as many as the findings.
    expect(
      renderReport(noColors, report)
        .split('\n')
        .filter((l) => /^ {4}✖ error /.test(l)),
    ).toHaveLength(report.steps[0].findings.filter((f) => f.severity === 'error').length);
  });

  it('are inert in the Markdown change record: no forged heading, row or line', () => {
    const md = reportMarkdown(keycloakReport(), meta);
    expectInert(md, 'markdown');
    expect(md.split('\n').filter((l) => l.startsWith('#'))).toEqual([
      '# entra-pim-setup audit: drift',
      // The change record's own summary section (it opens every record).
      '## Summary',
      '## Steps',
      '### 1. Keycloak maps the PIM group to the admin group (sync mode FORCE) (`keycloak`)',
    ]);
    // Table rows: each findings row starts with a severity, each summary row with a known key.
    const rows = md.split('\n').filter((l) => l.startsWith('|'));
    for (const row of rows) expect(row, row).toMatch(/^\|(?: \| \||---\||(?: severity| error| warning| info| [A-Z][a-z]+(?: [a-z]+)?) \|)/);
    expect(md).toContain('| Who | Mallory');
  });

  it('are exact in --json once parsed, and inert as printed', () => {
    const report = keycloakReport();
    const text = reportJson(report);
    expectInert(text, 'json');
    const doc = JSON.parse(text) as { steps: Array<{ findings: Finding[] }> };
    expect(doc.steps[0].findings).toEqual(report.steps[0].findings);
  });
});

describe('logs and questions', () => {
  beforeEach(() => {
    shown.length = 0;
  });

  it('a log message is one inert line, whatever it quotes', async () => {
    for (const colors of [noColors, await createColors(true)]) {
      const out: string[] = [];
      const log = createLogger('debug', colors, (s) => out.push(s));
      log.warn(`no enabled user matches "${HOSTILE}"`);
      log.verbose(`mapper ${MAPPER}`);
      log.debug('response', { displayName: HOSTILE });
      expect(out).toHaveLength(3);
      for (const line of out) {
        expect(line.endsWith('\n') && line.indexOf('\n') === line.length - 1, JSON.stringify(line)).toBe(true);
        expectInert(line, 'log line', colors.enabled);
      }
    }
  });

  it('the terminal prompter shows questions and choices inert', async () => {
    const prompt = terminalPrompter(false);
    await prompt.select(`2 groups are named "${HOSTILE}"; which one?`, [{ name: `x (${HOSTILE})`, value: 1, description: HOSTILE }], {
      flag: '--group',
    });
    await prompt.checkbox('Make eligible', [{ name: `${HOSTILE} <a@b>`, value: 'a@b' }], { flag: '--eligible' });
    await prompt.confirm(`Remove ${HOSTILE}?`, { flag: '--yes' });
    await prompt.input(`Group ${HOSTILE}`, { flag: '--group', default: HOSTILE });
    expect(shown).toHaveLength(4);
    expect(JSON.stringify(shown)).toContain('\\\\u001b]0;pwned');
    const strings = (v: unknown): string[] =>
      typeof v === 'string' ? [v] : v && typeof v === 'object' ? Object.values(v).flatMap(strings) : [];
    for (const s of shown.flatMap(strings)) expectInert(s, 'prompt');
  });
});
