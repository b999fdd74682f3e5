import { describe, expect, it } from 'vitest';
import { graphWrite } from '../../src/graph/writes.js';
import { keycloakWrite } from '../../src/keycloak/requests.js';
import type { IdpMapper } from '../../src/keycloak/types.js';
import { checklistOf, renderChecklist } from '../../src/plan/checklist.js';
import type { Action, RunMode, RunReport, StepReport } from '../../src/plan/types.js';
import { registerSecret } from '../../src/core/redact.js';
import { reportMarkdown, summaryLines } from '../../src/report-markdown.js';
import type { ReportMeta } from '../../src/report-meta.js';
import { reportJsonDocument } from '../../src/report.js';
import { rollbackOf } from '../../src/report-rollback.js';
import { changeSummary, mapperChanges, policySetting } from '../../src/report-summary.js';
import type { TenantSnapshot } from '../../src/steps/snapshot.js';
import { noColors } from '../../src/ui/color.js';

// The change record's summary, rollback and checklist are pure functions of the run report's
// actions (their typed operations) and the snapshot the plans read: tested here without I/O.

const GROUP = '11111111-1111-4111-8111-111111111111';
const CAROL = '22222222-2222-4222-8222-222222222222';
const ALICE = '33333333-3333-4333-8333-333333333333';
const APPROVER = '44444444-4444-4444-8444-444444444444';
const TENANT = '55555555-5555-4555-8555-555555555555';
const START = '2026-11-30T10:00:00.000Z';
const END = '2027-03-31T23:59:59.000Z';

const removal = (over: Partial<Action> = {}): Action => ({
  kind: 'delete',
  target: 'graph',
  summary: 'remove Carol Chen <carol@contoso.example> from tenant-admin',
  ...graphWrite({ op: 'group.removeMember', groupId: GROUP, memberId: CAROL }),
  backup: {
    groupId: GROUP,
    groupName: 'tenant-admin',
    member: { id: CAROL, displayName: 'Carol Chen', userPrincipalName: 'carol@contoso.example', '@odata.type': '#microsoft.graph.user' },
  },
  ...over,
});

const eligibility = (over: Partial<Action> = {}): Action => ({
  kind: 'create',
  target: 'graph',
  summary: 'make alice eligible',
  ...graphWrite({
    op: 'pim.requestEligibility',
    groupId: GROUP,
    principalId: ALICE,
    action: 'adminAssign',
    startDateTime: START,
    endDateTime: END,
    justification: 'CHG-1',
  }),
  ...over,
});

const policyPatch = (over: Partial<Action> = {}): Action => ({
  kind: 'update',
  target: 'graph',
  summary: 'activation lasts at most 4 h',
  ...graphWrite({
    op: 'policy.patchRule',
    policyId: 'p1',
    ruleId: 'Expiration_EndUser_Assignment',
    rule: {
      id: 'Expiration_EndUser_Assignment',
      '@odata.type': '#microsoft.graph.unifiedRoleManagementPolicyExpirationRule',
      isExpirationRequired: true,
      maximumDuration: 'PT4H',
    },
  }),
  ...over,
});

const oldMapper: IdpMapper = {
  id: 'm1',
  name: 'tenant-admin',
  identityProviderAlias: 'entra',
  identityProviderMapper: 'oidc-advanced-group-idp-mapper',
  config: { syncMode: 'IMPORT', group: '/tenant-admin', claims: '[{"key":"groups","value":"x"}]' },
};
const newMapper: IdpMapper = { ...oldMapper, config: { ...oldMapper.config, syncMode: 'FORCE' } };

const mapperUpdate = (over: Partial<Action> = {}): Action => ({
  kind: 'update',
  target: 'keycloak',
  summary: 'update mapper',
  ...keycloakWrite({ op: 'keycloak.updateMapper', realm: 'acme', alias: 'entra', mapperId: 'm1', mapper: newMapper }),
  backup: oldMapper,
  ...over,
});

const ok = { ok: true, status: 204 };

function report(mode: RunMode, actions: Action[], status: RunReport['status'] = mode === 'audit' ? 'drift' : 'changed'): RunReport {
  const step: StepReport = { id: 'admin-group', title: 'x', status: mode === 'audit' ? 'would-change' : 'changed', findings: [], actions };
  return { schemaVersion: 1, mode, tenantId: TENANT, status, steps: [step] };
}

const snapshot = {
  tenantId: TENANT,
  now: new Date(START),
  facts: { eligibleUsers: [{ input: 'alice', id: ALICE, userPrincipalName: 'alice@contoso.example', displayName: 'Alice Anders' }] },
  prerequisites: { ok: true, value: [] },
  memberPolicy: {
    ok: true,
    value: {
      policyId: 'p1',
      rules: [
        { '@odata.type': 'x', id: 'Expiration_EndUser_Assignment', isExpirationRequired: true, maximumDuration: 'PT8H' },
        { '@odata.type': 'x', id: 'Enablement_EndUser_Assignment', enabledRules: ['Justification'] },
        { '@odata.type': 'x', id: 'Approval_EndUser_Assignment', setting: { isApprovalRequired: false } },
      ],
    },
  },
  approvers: {
    ok: true,
    value: [{ at: 0, input: APPROVER, answer: 'found', ref: { kind: 'user', id: APPROVER, label: 'approver@contoso.example' } }],
  },
} as unknown as TenantSnapshot;

const meta = (over: Partial<ReportMeta> = {}): ReportMeta => ({
  tool: 'entra-pim-setup',
  version: '0.1.0',
  command: 'run',
  argv: [],
  startedAt: START,
  finishedAt: START,
  mode: 'run',
  tenantId: TENANT,
  exitCode: 0,
  journal: '/var/log/pim/run 1.jsonl',
  graphEndpoint: 'https://graph.microsoft.com',
  ...over,
});

describe('changeSummary: from the typed operations and the snapshot', () => {
  it('names the removed member from the backup, the eligible user from the snapshot, and the policy before → after', () => {
    const s = changeSummary(
      report('run', [removal({ result: ok }), eligibility({ result: { ok: true, status: 201 } }), policyPatch({ result: ok })]),
      snapshot,
    );
    expect(s.standingAccessRemoved).toEqual([
      {
        principal: { id: CAROL, kind: 'user', displayName: 'Carol Chen', userPrincipalName: 'carol@contoso.example' },
        groupName: 'tenant-admin',
        outcome: 'done',
      },
    ]);
    expect(s.eligible).toEqual([
      {
        principal: { id: ALICE, kind: 'user', displayName: 'Alice Anders', userPrincipalName: 'alice@contoso.example' },
        action: 'adminAssign',
        start: START,
        end: END,
        outcome: 'done',
      },
    ]);
    expect(s.policy).toEqual([
      {
        ruleId: 'Expiration_EndUser_Assignment',
        setting: 'longest activation',
        before: '8 h (PT8H)',
        after: '4 h (PT4H)',
        outcome: 'done',
      },
    ]);
  });

  it('reads the operation, not the URL: an action whose request was rewritten still counts by its op', () => {
    const a = removal({ request: { method: 'GET', url: '/nothing' } });
    expect(changeSummary(report('audit', [a])).standingAccessRemoved).toHaveLength(1);
    // And a request that looks like a removal but carries no op is not one.
    const { op: _op, ...noOp } = removal();
    expect(changeSummary(report('audit', [noOp])).standingAccessRemoved).toHaveLength(0);
  });

  it('a backup that names another member than the operation is not used for the name', () => {
    const forged = removal({
      backup: { groupName: 'tenant-admin', member: { id: ALICE, displayName: 'Someone Else' } },
    });
    expect(changeSummary(report('audit', [forged])).standingAccessRemoved[0].principal).toEqual({ id: CAROL, kind: 'other' });
  });

  it('outcomes: planned in an audit; done, failed, or not sent in a run', () => {
    expect(changeSummary(report('audit', [removal()])).standingAccessRemoved[0].outcome).toBe('planned');
    const run = changeSummary(
      report('run', [removal({ result: ok }), removal({ result: { ok: false, status: 500 } }), removal()], 'failed'),
    );
    expect(run.standingAccessRemoved.map((r) => r.outcome)).toEqual(['done', 'failed', 'not-sent']);
  });

  it('an eligibility sent as adminUpdate instead of the planned adminAssign (it appeared since the read) is reported as sent', () => {
    const planned = eligibility();
    const sent = { ...planned.request!, body: { ...(planned.request!.body as object), action: 'adminUpdate' } };
    const s = changeSummary(report('run', [eligibility({ result: { ok: true, status: 201, sent } })]), snapshot);
    expect(s.eligible[0].action).toBe('adminUpdate');
  });

  it('a renewed eligibility of a user neither given nor a member is named from the usable eligibilities', () => {
    const BOB = '66666666-6666-4666-8666-666666666666';
    const withUsable = {
      ...snapshot,
      usable: {
        ok: true,
        value: {
          usable: [{ scheduleId: 's', principalId: BOB, name: 'bob@contoso.example', start: new Date(START), end: null }],
          accounts: new Map(),
        },
      },
    } as unknown as TenantSnapshot;
    const renew = graphWrite({
      op: 'pim.requestEligibility',
      groupId: GROUP,
      principalId: BOB,
      action: 'adminExtend',
      startDateTime: START,
      endDateTime: END,
      justification: 'x',
    });
    const s = changeSummary(report('audit', [{ kind: 'update', summary: 'renew', ...renew }]), withUsable);
    expect(s.eligible[0]).toMatchObject({ principal: { id: BOB, userPrincipalName: 'bob@contoso.example' }, action: 'adminExtend' });
  });

  it('a Keycloak mapper update lists each setting before → after, from the backup', () => {
    const s = changeSummary(report('audit', [mapperUpdate()]));
    expect(s.keycloak).toEqual([
      {
        change: 'update',
        realm: 'acme',
        identityProvider: 'entra',
        mapper: 'tenant-admin',
        settings: ['syncMode: IMPORT → FORCE'],
        outcome: 'planned',
      },
    ]);
  });

  it('policySetting: enablement and approval in words, approvers by their label', () => {
    expect(
      policySetting('Enablement_EndUser_Assignment', {
        '@odata.type': 'x',
        id: 'x',
        enabledRules: ['multiFactorAuthentication', 'Ticketing'],
      }),
    ).toEqual({
      setting: 'activation requires',
      value: 'multifactor authentication and ticket information',
    });
    const rule = {
      '@odata.type': 'x',
      id: 'Approval_EndUser_Assignment',
      setting: { isApprovalRequired: true, approvalStages: [{ primaryApprovers: [{ userId: APPROVER }, { groupId: GROUP }] }] },
    };
    expect(
      policySetting('Approval_EndUser_Assignment', rule, [{ kind: 'user', id: APPROVER, label: 'approver@contoso.example' }]).value,
    ).toBe(`required, by approver@contoso.example, ${GROUP}`);
    expect(policySetting('Expiration_EndUser_Assignment', undefined).value).toBe('not set');
    expect(policySetting('Expiration_EndUser_Assignment', { '@odata.type': 'x', id: 'x', isExpirationRequired: false }).value).toBe(
      'no limit',
    );
  });

  it('mapperChanges: a new mapper lists its settings; an update only those that differ', () => {
    expect(mapperChanges(undefined, newMapper)).toEqual([
      'type: oidc-advanced-group-idp-mapper',
      'claims: [{"key":"groups","value":"x"}]',
      'group: /tenant-admin',
      'syncMode: FORCE',
    ]);
    expect(mapperChanges(oldMapper, { ...newMapper, config: { syncMode: 'FORCE', group: '/tenant-admin' } })).toEqual([
      'claims: [{"key":"groups","value":"x"}] → (unset)',
      'syncMode: IMPORT → FORCE',
    ]);
  });
});

describe('rollbackOf', () => {
  it('a run that removed members: the exact preview and restore commands for its journal and tenant', () => {
    const r = report('run', [removal({ result: ok }), eligibility({ result: { ok: true, status: 201 } }), policyPatch({ result: ok })]);
    const rb = rollbackOf(r, changeSummary(r, snapshot), meta());
    expect(rb?.preview).toEqual([
      'entra-pim-setup',
      'restore',
      '--journal',
      '/var/log/pim/run 1.jsonl',
      '--tenant-id',
      TENANT,
      '--dry-run',
    ]);
    expect(rb?.restore).toEqual(['entra-pim-setup', 'restore', '--journal', '/var/log/pim/run 1.jsonl', '--tenant-id', TENANT, '--yes']);
    expect(rb?.removalsSent).toBe(1);
    expect(rb?.notUndone).toEqual([
      "The eligibilities (alice@contoso.example): remove them in Privileged Identity Management (Groups, the group's Assignments, Eligible assignments) or let them end (the last on 31 March 2027, 23:59 UTC). The group stays under PIM for Groups: that cannot be undone.",
      "The activation policy's longest activation, now 4 h (PT4H): set it back to 8 h (PT8H) in the group's PIM settings (Member role).",
    ]);
  });

  it("names --graph-endpoint only for an endpoint that is not a national cloud's own (restore refuses it otherwise)", () => {
    const r = report('run', [removal({ result: ok })]);
    const rb = rollbackOf(r, changeSummary(r), meta({ graphEndpoint: 'https://graph.proxy.example' }));
    expect(rb?.restore?.slice(-3)).toEqual(['--graph-endpoint', 'https://graph.proxy.example', '--yes']);
    const us = rollbackOf(r, changeSummary(r), meta({ graphEndpoint: 'https://graph.microsoft.us' }));
    expect(us?.restore).not.toContain('--graph-endpoint');
  });

  it('none for an audit, a restore, a run without journal or without any change sent', () => {
    const planned = report('audit', [removal()]);
    expect(rollbackOf(planned, changeSummary(planned), meta({ mode: 'audit' }))).toBeUndefined();
    const run = report('run', [removal({ result: ok })]);
    expect(rollbackOf(run, changeSummary(run), meta({ command: 'restore' }))).toBeUndefined();
    expect(rollbackOf(run, changeSummary(run), meta({ journal: undefined }))).toBeUndefined();
    const stopped = report('run', [removal()], 'failed');
    expect(rollbackOf(stopped, changeSummary(stopped), meta())).toBeUndefined();
  });

  it('a run that changed the policy but removed nobody: no restore command, and what to undo by hand', () => {
    const r = report('run', [policyPatch({ result: ok })]);
    const rb = rollbackOf(r, changeSummary(r, snapshot), meta());
    expect(rb?.preview).toBeUndefined();
    expect(rb?.notUndone).toHaveLength(1);
    const md = reportMarkdown(r, meta(), { snapshot });
    expect(md).toContain('This run removed no member, so `restore` has nothing to put back');
    expect(md).not.toContain('```sh');
  });
});

describe('the Markdown summary', () => {
  it('names the ticket and the applied plan when the meta carries them', () => {
    const lines = summaryLines(changeSummary(report('run', [removal({ result: ok })])), {
      command: 'run',
      ticket: { ticketNumber: 'CHG-1234', ticketSystem: 'ServiceNow' },
      appliedPlan: { file: 'plan.json', digest: 'sha256:abc', createdAt: START },
    }).join('\n');
    expect(lines).toContain('- **Ticket:** CHG-1234 (ServiceNow)');
    expect(lines).toContain(
      '- **Applied plan:** `plan.json`, digest `sha256:abc`, made 30 November 2026, 10:00 UTC (`2026-11-30T10:00:00.000Z`)',
    );
  });

  it('escapes names for Markdown: a hostile display name cannot add a link, a heading or a table cell', () => {
    const hostile = removal({
      backup: {
        groupName: 'tenant|admin',
        member: { id: CAROL, displayName: 'Eve <a href=x>[click](http://x)\n# Heading', userPrincipalName: 'eve@x' },
      },
    });
    const md = summaryLines(changeSummary(report('audit', [hostile])), { command: 'audit' }).join('\n');
    expect(md).toContain('(a run removes them from tenant\\|admin)');
    // The line break is shown as the two characters \n (its backslash escaped), so no heading starts.
    expect(md).toContain('  - Eve \\<a href=x\\>\\[click\\](http://x)\\\\n# Heading (eve@x)\n');
    expect(md).not.toMatch(/^# Heading/m);
  });

  it('a name that opens a summary line cannot make it a heading, a nested list or a numbered item', () => {
    const named = (displayName: string) =>
      summaryLines(changeSummary(report('audit', [removal({ backup: { groupName: 'g', member: { id: CAROL, displayName } } })])), {
        command: 'audit',
      }).join('\n');
    expect(named('# All standing access kept')).toContain('\n  - \\# All standing access kept');
    expect(named('- nobody')).toContain('\n  - \\- nobody');
    expect(named('+ nobody')).toContain('\n  - \\+ nobody');
    expect(named('1. nobody')).toContain('\n  - 1\\. nobody');
    expect(named('~~~')).toContain('\n  - \\~~~');
  });

  it('a compliant audit and a run that sent nothing say so', () => {
    expect(summaryLines(changeSummary(report('audit', [], 'compliant')), { command: 'audit' })).toContain(
      '**Nothing would change:** everything checked is already as required.',
    );
    const stopped = summaryLines(changeSummary(report('run', [removal()], 'failed')), { command: 'run' }).join('\n');
    expect(stopped).toContain('**Nothing changed.**');
    expect(stopped).toContain('1 planned change(s) were not sent');
    expect(stopped).not.toContain('Carol');
  });

  it('a secret never appears, in the Markdown or in the JSON summary', () => {
    const secret = 'S3cr3t-value-for-test-42';
    registerSecret(secret);
    const r = report('run', [
      removal({ result: ok, backup: { groupName: 'g', member: { id: CAROL, displayName: `Carol ${secret}`, userPrincipalName: 'c@x' } } }),
    ]);
    expect(reportMarkdown(r, meta())).not.toContain(secret);
    const doc = JSON.parse(reportJsonDocument(r, meta())) as {
      summary: { standingAccessRemoved: Array<{ principal: { displayName: string } }> };
    };
    expect(doc.summary.standingAccessRemoved[0].principal.displayName).toBe('Carol ***');
  });
});

describe('the "Test the PIM" checklist: one source for the screen and the report', () => {
  const input = {
    options: { group: 'tenant-admin', keycloak: { url: 'https://sso.example', realm: 'acme', group: '/tenant-admin' } },
    found: {
      servicePrincipal: { displayName: 'Keycloak (Spark)' },
      group: { displayName: 'tenant-admin' },
      eligibleUsers: [{ userPrincipalName: 'alice@x' }],
    },
  };

  it('fills in the app, group, realm and first eligible user', () => {
    const list = checklistOf(input);
    expect(list).toMatchObject({
      app: 'Keycloak (Spark)',
      group: 'tenant-admin',
      realm: 'acme',
      keycloakTarget: '/tenant-admin',
      eligible: ['alice@x'],
    });
    expect(list.sections[0]).toEqual({
      title: 'Without PIM — as alice@x',
      steps: [
        'Sign in to Keycloak (realm acme) through Keycloak (Spark).',
        'Check you are not in /tenant-admin: your memberships are the ordinary ones only (e.g. user:pf).',
        'Sign out.',
      ],
    });
  });

  it('the screen and the report show the same steps', () => {
    const screen = renderChecklist(input.options, input.found, noColors);
    const md = reportMarkdown(report('run', []), meta(), { checklist: input });
    for (const s of checklistOf(input).sections)
      s.steps.forEach((step, i) => {
        expect(screen).toContain(`  ${i + 1}. ${step}`);
        expect(md).toContain(`\n${i + 1}. ${step}\n`);
      });
    expect(md).toContain('Filled in for app Keycloak (Spark), group tenant-admin, Keycloak /tenant-admin, realm acme. Eligible: alice@x.');
  });

  it('a role instead of a group is named as the role', () => {
    expect(checklistOf({ ...input, options: { group: 'g', keycloak: { realm: 'acme', role: 'realm-admin' } } }).keycloakTarget).toBe(
      'the role realm-admin',
    );
  });
});
