import { describe, expect, it } from 'vitest';
import { graphRequest } from '../../src/graph/writes.js';
import { requiresTicket } from '../../src/entra/ticketing.js';
import { ticketFinding } from '../../src/steps/ticket-rule.js';
import { resolveTicket, TICKET_MAX_CHARS } from '../../src/ticket.js';
import { eligibilityOutcome, planEligibility } from '../../src/steps/pim-eligibility.js';
import { readAfterPrerequisites } from '../../src/steps/read-tenant.js';
import type { PolicyRule } from '../../src/entra/pim.js';
import { FakeGraph, fakeContext } from '../support/fake-graph.js';

const eligibility = {
  op: 'pim.requestEligibility' as const,
  groupId: 'g',
  principalId: 'u',
  action: 'adminAssign' as const,
  startDateTime: '2027-01-01T00:00:00.000Z',
  endDateTime: '2027-03-31T23:59:59.000Z',
  justification: 'j',
};

describe('ticketInfo in PIM requests', () => {
  it('an eligibility request carries ticketInfo with the number and, when given, the system', () => {
    expect(graphRequest({ ...eligibility, ticket: { ticketNumber: 'CHG1', ticketSystem: 'ServiceNow' } }).body).toMatchObject({
      ticketInfo: { ticketNumber: 'CHG1', ticketSystem: 'ServiceNow' },
    });
    expect((graphRequest({ ...eligibility, ticket: { ticketNumber: 'CHG1' } }).body as Record<string, unknown>).ticketInfo).toEqual({
      ticketNumber: 'CHG1',
    });
    expect(graphRequest(eligibility).body).not.toHaveProperty('ticketInfo');
  });

  it('a self-activation carries it too', () => {
    const body = graphRequest({
      op: 'pim.selfActivate',
      groupId: 'g',
      principalId: 'u',
      startDateTime: 'now',
      duration: 'PT1H',
      ticket: { ticketNumber: 'INC9' },
    }).body;
    expect(body).toMatchObject({ action: 'selfActivate', ticketInfo: { ticketNumber: 'INC9' } });
  });
});

describe('the Ticketing rule', () => {
  const rules = (id: string, enabledRules: unknown) => [{ id: 'Expiration_Admin_Eligibility' }, { id, enabledRules }];

  it('is read from the named enablement rule, in any casing', () => {
    expect(requiresTicket(rules('Enablement_Admin_Eligibility', ['Justification', 'Ticketing']), 'Enablement_Admin_Eligibility')).toBe(
      true,
    );
    expect(requiresTicket(rules('Enablement_Admin_Eligibility', ['ticketing']), 'Enablement_Admin_Eligibility')).toBe(true);
    expect(requiresTicket(rules('Enablement_Admin_Eligibility', ['Justification']), 'Enablement_Admin_Eligibility')).toBe(false);
    // Another rule's Ticketing (activation) does not bind an admin's eligibility requests.
    expect(requiresTicket(rules('Enablement_EndUser_Assignment', ['Ticketing']), 'Enablement_Admin_Eligibility')).toBe(false);
    expect(requiresTicket(rules('Enablement_EndUser_Assignment', ['Ticketing']), 'Enablement_EndUser_Assignment')).toBe(true);
    expect(requiresTicket(undefined, 'Enablement_Admin_Eligibility')).toBe(false);
  });

  it('holds back a plan with eligibility requests and no ticket, naming --ticket-number', () => {
    const required = rules('Enablement_Admin_Eligibility', ['Ticketing']);
    const f = ticketFinding('tenant-admin', required, {}, true);
    expect(f).toMatchObject({ severity: 'error', code: 'TICKET_REQUIRED' });
    expect(f?.fix).toMatch(/--ticket-number/);
    expect(ticketFinding('tenant-admin', required, { ticket: { ticketNumber: 'CHG1' } }, true)).toBeUndefined();
    // Nothing to send, nothing to hold back.
    expect(ticketFinding('tenant-admin', required, {}, false)).toBeUndefined();
    expect(ticketFinding('tenant-admin', rules('Enablement_Admin_Eligibility', []), {}, true)).toBeUndefined();
  });
});

describe('resolveTicket', () => {
  it('trims, keeps the system only with a number, and gives nothing without a ticket', () => {
    expect(resolveTicket({ ticketNumber: ' CHG1 ', ticketSystem: ' ServiceNow ' })).toEqual({
      ticketNumber: 'CHG1',
      ticketSystem: 'ServiceNow',
    });
    expect(resolveTicket({ ticketNumber: 'CHG1' })).toEqual({ ticketNumber: 'CHG1' });
    expect(resolveTicket({})).toBeUndefined();
  });

  it.each([
    [{ ticketNumber: '' }, /^--ticket-number: empty/],
    [{ ticketNumber: 'a\u0007b' }, /^--ticket-number: contains a control character/],
    [{ ticketNumber: 'a\u202eb' }, /^--ticket-number: contains a control character/],
    [{ ticketNumber: 'CHG12\u200b34' }, /^--ticket-number: contains a control character/],
    [{ ticketNumber: 'CHG\u200f1234' }, /^--ticket-number: contains a control character/],
    [{ ticketNumber: 'CHG\ufeff1234' }, /^--ticket-number: contains a control character/],
    [{ ticketNumber: 'x'.repeat(TICKET_MAX_CHARS + 1) }, /^--ticket-number: longer than 100 characters/],
    [{ ticketNumber: 'CHG1', ticketSystem: 'a\u2028b' }, /^--ticket-system: contains a control character/],
    [{ ticketSystem: 'ServiceNow' }, /^--ticket-system needs --ticket-number/],
  ])('refuses %j', (raw, says) => {
    expect(() => resolveTicket(raw)).toThrow(says);
  });

  it('accepts exactly the longest value', () => {
    expect(resolveTicket({ ticketNumber: 'x'.repeat(TICKET_MAX_CHARS) })?.ticketNumber).toHaveLength(TICKET_MAX_CHARS);
  });
});

describe('the eligibility plan under a policy that requires ticket information', () => {
  const G = 'aaaaaaaa-0000-0000-0000-000000000001';
  const ALICE = '11111111-0000-0000-0000-00000000000a';
  const PIM = '/identityGovernance/privilegedAccess/group';
  const end = new Date(Date.now() + 100 * 86_400_000);
  const rules: PolicyRule[] = [
    {
      '@odata.type': '#microsoft.graph.unifiedRoleManagementPolicyExpirationRule',
      id: 'Expiration_Admin_Eligibility',
      isExpirationRequired: true,
      maximumDuration: 'P365D',
    },
    {
      '@odata.type': '#microsoft.graph.unifiedRoleManagementPolicyEnablementRule',
      id: 'Enablement_Admin_Eligibility',
      enabledRules: ['Ticketing'],
    },
  ];
  const graph = () =>
    new FakeGraph({
      [`${PIM}/eligibilitySchedules?$filter=groupId eq '${G}'`]: [],
      [`${PIM}/assignmentScheduleInstances?$filter=groupId eq '${G}'`]: [],
      '/policies/roleManagementPolicyAssignments*': [{ id: 'a', policyId: 'Group_p1', policy: { id: 'Group_p1', rules } }],
    });
  const facts = {
    group: { id: G, displayName: 'tenant-admin' },
    eligibleUsers: [{ input: 'alice@x', id: ALICE, userPrincipalName: 'alice@x', displayName: 'Alice' }],
  };

  it('without a ticket: TICKET_REQUIRED, no request planned, and the lockout guard counts nobody', async () => {
    const ctx = fakeContext(graph(), { mode: 'run', end });
    const snap = await readAfterPrerequisites(ctx, facts);
    const { plan } = planEligibility(snap, ctx.options);
    expect(plan.findings.find((f) => f.code === 'TICKET_REQUIRED')?.severity).toBe('error');
    expect(plan.actions).toEqual([]);
    expect(eligibilityOutcome(snap, ctx.options).usableAfterRun).toBeUndefined();
  });

  it('with a ticket: each planned request carries it', async () => {
    const ctx = fakeContext(graph(), { mode: 'run', end, ticket: { ticketNumber: 'CHG1', ticketSystem: 'ServiceNow' } });
    const snap = await readAfterPrerequisites(ctx, facts);
    const { plan } = planEligibility(snap, ctx.options);
    expect(plan.findings.some((f) => f.code === 'TICKET_REQUIRED')).toBe(false);
    expect(plan.actions.map((a) => (a.request?.body as Record<string, unknown>).ticketInfo)).toEqual([
      { ticketNumber: 'CHG1', ticketSystem: 'ServiceNow' },
    ]);
    expect(eligibilityOutcome(snap, ctx.options).usableAfterRun).toBe(1);
  });
});
