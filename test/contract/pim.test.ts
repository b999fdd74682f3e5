/**
 * Contract tests, PIM for Groups (`/identityGovernance/privilegedAccess/group/…`, v1.0). Facts
 * restate the documented example responses (microsoft-graph-docs-contrib,
 * api-reference/v1.0/api/<page>.md), cited per block. Enum values are written as the examples
 * write them: `"memberType": "Direct"`, `"assignmentType": "Assigned"`, `"status": "Provisioned"`,
 * `"accessId": "member"`, `"action": "adminAssign"`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SimulatedTenant } from '../../src/sim/index.js';
import { standingMembers } from '../../src/steps/admin-group.js';
import { diffEligibility } from '../../src/steps/eligibility-window.js';
import { pimEligibilityStep } from '../../src/steps/pim-eligibility.js';
import type { StepPlan } from '../../src/plan/types.js';
import { graphRequest, graphWrite, type GraphWrite } from '../../src/graph/writes.js';
import { pimInstances } from '../../src/entra/pim.js';
import { fakeContext, FakeGraph, snapshotOf } from '../support/fake-graph.js';
import { appToken, call, checkCollection, checkFacts, closeSims, CONTOSO, oneOf, shape, sim, userToken, type Facts } from './facts.js';

afterEach(closeSims);

const G = CONTOSO.groups.tenantAdmin;
const PIM = '/identityGovernance/privilegedAccess/group';
const DAY = 86_400_000;

/** Makes Alice eligible as an app would (this also onboards the group); returns the 201 body. */
async function makeAliceEligible(
  s: SimulatedTenant,
  body: Record<string, unknown> = {},
): Promise<{ status: number; body: Record<string, any> | undefined }> {
  const token = await appToken(s, 'PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup');
  const start = new Date(s.clock.nowMs() - 60_000);
  return call(s, token, 'POST', `${PIM}/eligibilityScheduleRequests`, {
    accessId: 'member',
    principalId: CONTOSO.users.alice,
    groupId: G,
    action: 'adminAssign',
    scheduleInfo: {
      startDateTime: start.toISOString(),
      expiration: { type: 'afterDateTime', endDateTime: new Date(start.getTime() + 30 * DAY).toISOString() },
    },
    justification: 'Assign eligible request.',
    ...body,
  });
}

/**
 * Learn "Create eligibilityScheduleRequest" (privilegedaccessgroup-post-eligibilityschedulerequests),
 * example 1 (the request writes `"action": "AdminAssign"`, `"type": "AfterDateTime"`): 201 Created,
 * context `…/eligibilityScheduleRequests/$entity`, and the body below. The answer writes
 * `"action": "adminAssign"`, `"type": "afterDateTime"`, `"duration": null`, `"recurrence": null`,
 * and `targetScheduleId` = `{groupId}_member_{request id}`.
 */
const ELIGIBILITY_REQUEST_FACTS: Facts = {
  id: 'string',
  status: oneOf('Provisioned'),
  createdDateTime: 'string',
  completedDateTime: 'string',
  action: oneOf('adminAssign'),
  isValidationOnly: 'boolean',
  justification: 'string',
  principalId: 'string',
  accessId: oneOf('member'),
  groupId: 'string',
  targetScheduleId: 'string',
  createdBy: 'object',
  scheduleInfo: shape({
    startDateTime: 'string',
    recurrence: 'null',
    expiration: shape({ type: oneOf('afterDateTime'), endDateTime: 'string', duration: 'null' }),
  }),
};

describe('POST eligibilityScheduleRequests (privilegedaccessgroup-post-eligibilityschedulerequests)', () => {
  it('answers 201 with the documented body, with PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup (least privileged)', async () => {
    const s = await sim();
    const res = await makeAliceEligible(s, {
      action: 'AdminAssign',
      scheduleInfo: {
        startDateTime: new Date(s.clock.nowMs()).toISOString(),
        expiration: { type: 'AfterDateTime', endDateTime: new Date(s.clock.nowMs() + 30 * DAY).toISOString() },
      },
    });
    expect(res.status).toBe(201);
    expect(String(res.body!['@odata.context'])).toMatch(
      /\/\$metadata#identityGovernance\/privilegedAccess\/group\/eligibilityScheduleRequests\/\$entity$/,
    );
    expect(checkFacts(res.body, ELIGIBILITY_REQUEST_FACTS)).toEqual([]);
    expect(res.body!.targetScheduleId).toBe(`${G}_member_${res.body!.id}`);
  });

  // Example 2 of the page: adminExtend answers with a targetScheduleId named after the extend request.
  it('adminExtend answers with a new targetScheduleId that the schedule is readable under', async () => {
    const s = await sim();
    const first = await makeAliceEligible(s);
    expect(first.status).toBe(201);
    const start = new Date(s.clock.nowMs());
    const extend = await makeAliceEligible(s, {
      action: 'adminExtend',
      scheduleInfo: {
        startDateTime: start.toISOString(),
        expiration: { type: 'afterDateTime', endDateTime: new Date(start.getTime() + 60 * DAY).toISOString() },
      },
    });
    expect(extend.status).toBe(201);
    expect(extend.body!.action).toBe('adminExtend');
    expect(extend.body!.targetScheduleId).toBe(`${G}_member_${extend.body!.id}`);
    const token = await appToken(s, 'PrivilegedEligibilitySchedule.Read.AzureADGroup');
    const read = await call(s, token, 'GET', `${PIM}/eligibilitySchedules/${extend.body!.targetScheduleId}`);
    expect(read.status).toBe(200);
  });
});

/** A fake Graph whose writes answer with the given status and body. */
class AnsweringGraph extends FakeGraph {
  constructor(
    table: Record<string, unknown>,
    private readonly answer: { status: number; body: unknown },
  ) {
    super(table);
  }
  override async write(op: GraphWrite) {
    this.writes.push(graphRequest(op));
    return this.answer;
  }
}

describe('the tool reads the documented 201 of an eligibility request', () => {
  const groupId = '2b5ed229-0000-478d-9504-a047ebd4b07d';
  const requestId = 'f8bd9e2d-bc15-49b1-8a9b-c571b3cf9555';
  const documented = {
    id: requestId,
    status: 'Provisioned',
    createdDateTime: '2026-12-01T06:57:54.1633903Z',
    completedDateTime: '2026-12-01T06:57:55.6183972Z',
    action: 'adminAssign',
    isValidationOnly: false,
    justification: 'Assign eligible request.',
    principalId: '3cce9d87-0000-4f19-8335-7ed075408ca2',
    accessId: 'member',
    groupId,
    targetScheduleId: `${groupId}_member_${requestId}`,
    createdBy: { user: { id: '3cce9d87-0000-4f19-8335-7ed075408ca2' } },
    scheduleInfo: {
      startDateTime: '2026-12-01T06:57:55.6183972Z',
      recurrence: null,
      expiration: { type: 'afterDateTime', endDateTime: '2027-02-07T19:56:00Z', duration: null },
    },
  };
  const plan = (): StepPlan => ({
    findings: [],
    actions: [
      {
        kind: 'create',
        target: 'graph',
        summary: 'make ada eligible',
        ...graphWrite({
          op: 'pim.requestEligibility',
          groupId,
          principalId: documented.principalId,
          action: 'adminAssign',
          startDateTime: documented.scheduleInfo.startDateTime,
          endDateTime: documented.scheduleInfo.expiration.endDateTime,
          justification: documented.justification,
        }),
      },
    ],
  });

  it('"Provisioned" is success, and the schedule is read back under targetScheduleId', async () => {
    const graph = new AnsweringGraph(
      { [`${PIM}/eligibilitySchedules/${documented.targetScheduleId}`]: { id: documented.targetScheduleId } },
      { status: 201, body: documented },
    );
    const p = plan();
    await pimEligibilityStep.apply!(p, fakeContext(graph), snapshotOf({}));
    expect(p.actions[0].result).toMatchObject({ ok: true, status: 201 });
    expect(graph.reads.some((r) => r.includes(documented.targetScheduleId))).toBe(true);
  });

  it('a 201 whose status is "Failed" is not counted as an eligibility', async () => {
    const graph = new AnsweringGraph({}, { status: 201, body: { ...documented, status: 'Failed' } });
    const p = plan();
    await expect(pimEligibilityStep.apply!(p, fakeContext(graph), snapshotOf({}))).rejects.toThrow(/Failed/);
    expect(p.actions[0].result).toMatchObject({ ok: false });
  });
});

/**
 * Learn "List eligibilitySchedules" (privilegedaccessgroup-list-eligibilityschedules), examples 1
 * and 2, and "Get privilegedAccessGroupEligibilitySchedule" (privilegedaccessgroupeligibilityschedule-get):
 * 200, context `…/eligibilitySchedules` (with $select: `…/eligibilitySchedules(accessId,principalId,groupId)`;
 * single: `…/eligibilitySchedules/$entity`), items as below.
 */
const ELIGIBILITY_SCHEDULE_FACTS: Facts = {
  id: 'string',
  scheduleInfo: shape({
    startDateTime: 'string',
    recurrence: 'null',
    expiration: shape({ type: oneOf('afterDateTime', 'noExpiration'), endDateTime: 'string|null', duration: 'null' }),
  }),
  createdUsing: 'string',
  createdDateTime: 'string',
  modifiedDateTime: 'string|null',
  status: oneOf('Provisioned'),
  memberType: oneOf('Direct'),
  accessId: oneOf('member'),
  principalId: 'string',
  groupId: 'string',
};

describe('GET eligibilitySchedules (privilegedaccessgroup-list-eligibilityschedules, privilegedaccessgroupeligibilityschedule-get)', () => {
  it('lists with the documented shape, with PrivilegedEligibilitySchedule.Read.AzureADGroup (least privileged)', async () => {
    const s = await sim();
    const created = await makeAliceEligible(s);
    const token = await appToken(s, 'PrivilegedEligibilitySchedule.Read.AzureADGroup');
    const filter = encodeURIComponent(`groupId eq '${G}' and principalId eq '${CONTOSO.users.alice}'`);
    const res = await call(s, token, 'GET', `${PIM}/eligibilitySchedules?$filter=${filter}`);
    expect(res.status).toBe(200);
    expect(checkCollection(res.body, 'identityGovernance/privilegedAccess/group/eligibilitySchedules', ELIGIBILITY_SCHEDULE_FACTS)).toEqual(
      [],
    );
    expect(res.body!.value[0].createdUsing).toBe(created.body!.id);

    const selected = await call(s, token, 'GET', `${PIM}/eligibilitySchedules?$filter=${filter}&$select=accessId,principalId,groupId`);
    expect(
      checkCollection(selected.body, 'identityGovernance/privilegedAccess/group/eligibilitySchedules(accessId,principalId,groupId)', {
        accessId: oneOf('member'),
        principalId: 'string',
        groupId: 'string',
      }),
    ).toEqual([]);

    const one = await call(s, token, 'GET', `${PIM}/eligibilitySchedules/${created.body!.targetScheduleId}`);
    expect(one.status).toBe(200);
    expect(String(one.body!['@odata.context'])).toMatch(/\/eligibilitySchedules\/\$entity$/);
    expect(checkFacts(one.body, ELIGIBILITY_SCHEDULE_FACTS)).toEqual([]);
  });

  it('the tool reads a documented schedule as covering the window', () => {
    const documented = {
      id: '2b5ed229-0000-478d-9504-a047ebd4b07d_member_4cc1a00f-3e44-48ae-9bb5-fba55c9a7a5c',
      scheduleInfo: {
        startDateTime: '2026-11-01T14:44:50.287Z',
        recurrence: null,
        expiration: { type: 'afterDateTime', endDateTime: '2027-03-01T00:00:00Z', duration: null },
      },
      createdUsing: '77f71919-62f3-4d0c-9f88-0a0391b665cd',
      createdDateTime: '2026-11-01T14:44:50.287Z',
      modifiedDateTime: '0001-01-01T08:00:00Z',
      status: 'Provisioned',
      memberType: 'Direct',
      accessId: 'member',
      principalId: '3cce9d87-0000-4f19-8335-7ed075408ca2',
      groupId: '2b5ed229-0000-478d-9504-a047ebd4b07d',
    };
    const user = { input: 'ada@contoso.example', id: documented.principalId, userPrincipalName: 'ada@contoso.example', displayName: 'Ada' };
    const window = {
      start: new Date('2026-12-01T00:00:00Z'),
      end: new Date('2027-02-01T00:00:00Z'),
      toleranceMs: 1000,
      source: 'end' as const,
    };
    expect(diffEligibility([user], [documented], window).map((d) => d.kind)).toEqual(['noop']);
    expect(diffEligibility([user], [documented], { ...window, end: new Date('2027-06-01T00:00:00Z') }).map((d) => d.kind)).toEqual([
      'update',
    ]);
  });
});

/**
 * Learn "List eligibilityScheduleInstances" (privilegedaccessgroup-list-eligibilityscheduleinstances)
 * and "privilegedAccessGroupEligibilityScheduleInstance: filterByCurrentUser"
 * (privilegedaccessgroupeligibilityscheduleinstance-filterbycurrentuser): items as below; the
 * filterByCurrentUser answer gives each item `@odata.type`
 * `#microsoft.graph.privilegedAccessGroupEligibilityScheduleInstance` and `eligibilityScheduleId`.
 */
const ELIGIBILITY_INSTANCE_FACTS: Facts = {
  id: 'string',
  startDateTime: 'string',
  endDateTime: 'string|null',
  accessId: oneOf('member', 'owner'),
  principalId: 'string',
  groupId: 'string',
  memberType: oneOf('Direct'),
};

describe('GET eligibilityScheduleInstances (privilegedaccessgroup-list-eligibilityscheduleinstances, …-filterbycurrentuser)', () => {
  it('lists with the documented shape, with PrivilegedEligibilitySchedule.Read.AzureADGroup (least privileged)', async () => {
    const s = await sim();
    await makeAliceEligible(s);
    const token = await appToken(s, 'PrivilegedEligibilitySchedule.Read.AzureADGroup');
    const res = await call(s, token, 'GET', `${PIM}/eligibilityScheduleInstances?$filter=${encodeURIComponent(`groupId eq '${G}'`)}`);
    expect(res.status).toBe(200);
    expect(
      checkCollection(res.body, 'identityGovernance/privilegedAccess/group/eligibilityScheduleInstances', ELIGIBILITY_INSTANCE_FACTS),
    ).toEqual([]);
  });

  it('filterByCurrentUser answers the signed-in user with @odata.type on each item, with delegated PrivilegedEligibilitySchedule.Read.AzureADGroup', async () => {
    const s = await sim();
    await makeAliceEligible(s);
    const token = await userToken(s, CONTOSO.users.alice, 'PrivilegedEligibilitySchedule.Read.AzureADGroup');
    const res = await call(s, token, 'GET', `${PIM}/eligibilityScheduleInstances/filterByCurrentUser(on='principal')`);
    expect(res.status).toBe(200);
    expect(res.body!.value).toHaveLength(1);
    expect(res.body!.value[0]['@odata.type']).toBe('#microsoft.graph.privilegedAccessGroupEligibilityScheduleInstance');
    expect(
      checkFacts(res.body!.value[0], {
        ...ELIGIBILITY_INSTANCE_FACTS,
        '@odata.type': oneOf('#microsoft.graph.privilegedAccessGroupEligibilityScheduleInstance'),
        eligibilityScheduleId: 'string',
      }),
    ).toEqual([]);
    // The tool asks for $expand=group to name the groups (src/commands/activate.ts).
    const expanded = await call(s, token, 'GET', `${PIM}/eligibilityScheduleInstances/filterByCurrentUser(on='principal')?$expand=group`);
    expect(expanded.body!.value[0].group).toMatchObject({ id: G, displayName: 'tenant-admin' });
  });

  it('the tool reads documented instances (verify-user)', async () => {
    const documented = [
      {
        id: '2b5ed229-0000-478d-9504-a047ebd4b07d_member_326a4063-93c5-4998-9537-969b8cd50297',
        startDateTime: '2026-08-18T00:33:48.8Z',
        endDateTime: null,
        accessId: 'member',
        principalId: '3cce9d87-0000-4f19-8335-7ed075408ca2',
        groupId: '2b5ed229-0000-478d-9504-a047ebd4b07d',
        memberType: 'Direct',
      },
      {
        id: '2b5ed229-0000-478d-9504-a047ebd4b07d_owner_d663bb72-3781-4af0-b69b-01f2f0283a96',
        startDateTime: '2026-09-06T18:18:03.917Z',
        endDateTime: null,
        accessId: 'owner',
        principalId: '3cce9d87-0000-4f19-8335-7ed075408ca2',
        groupId: '2b5ed229-0000-478d-9504-a047ebd4b07d',
        memberType: 'Direct',
      },
    ];
    const graph = new FakeGraph({ [`${PIM}/eligibilityScheduleInstances*`]: documented });
    const got = await pimInstances(graph as never, 'eligibility', documented[0].groupId, documented[0].principalId);
    expect(got.map((i) => i.accessId)).toEqual(['member']);
  });
});

/**
 * Learn "List assignmentScheduleInstances" (privilegedaccessgroup-list-assignmentscheduleinstances)
 * and "…assignmentScheduleInstance: filterByCurrentUser": items as below. The examples write
 * `"assignmentType": "Assigned"` and `"memberType": "Direct"` (the resource page lists
 * `assigned`/`activated`; the answers capitalise). A standing member of an onboarded group
 * appears with null dates.
 */
const ASSIGNMENT_INSTANCE_FACTS: Facts = {
  id: 'string',
  principalId: 'string',
  startDateTime: 'string|null',
  endDateTime: 'string|null',
  assignmentType: oneOf('Assigned', 'Activated'),
  accessId: oneOf('member', 'owner'),
  groupId: 'string',
  memberType: oneOf('Direct', 'Group'),
  assignmentScheduleId: 'string',
};

describe('GET assignmentScheduleInstances (privilegedaccessgroup-list-assignmentscheduleinstances, …-filterbycurrentuser)', () => {
  it('lists standing members of an onboarded group as documented, with PrivilegedAssignmentSchedule.Read.AzureADGroup (least privileged)', async () => {
    const s = await sim();
    await makeAliceEligible(s);
    const token = await appToken(s, 'PrivilegedAssignmentSchedule.Read.AzureADGroup');
    const res = await call(s, token, 'GET', `${PIM}/assignmentScheduleInstances?$filter=${encodeURIComponent(`groupId eq '${G}'`)}`);
    expect(res.status).toBe(200);
    expect(
      checkCollection(res.body, 'identityGovernance/privilegedAccess/group/assignmentScheduleInstances', ASSIGNMENT_INSTANCE_FACTS),
    ).toEqual([]);
    const carol = res.body!.value.find((i: { principalId: string }) => i.principalId === CONTOSO.users.carol);
    expect(carol).toMatchObject({ assignmentType: 'Assigned', startDateTime: null, endDateTime: null });
  });

  it('filterByCurrentUser gives each item its @odata.type, and an activation is written "Activated"', async () => {
    const s = await sim();
    await makeAliceEligible(s);
    const alice = await userToken(s, CONTOSO.users.alice, 'PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup');
    const act = await call(s, alice, 'POST', `${PIM}/assignmentScheduleRequests`, {
      accessId: 'member',
      principalId: CONTOSO.users.alice,
      groupId: G,
      action: 'selfActivate',
      justification: 'Activate assignment.',
      scheduleInfo: { startDateTime: new Date(s.clock.nowMs()).toISOString(), expiration: { type: 'afterDuration', duration: 'PT2H' } },
    });
    expect(act.status).toBe(201);
    const res = await call(s, alice, 'GET', `${PIM}/assignmentScheduleInstances/filterByCurrentUser(on='principal')`);
    expect(res.status).toBe(200);
    expect(res.body!.value).toHaveLength(1);
    expect(res.body!.value[0]['@odata.type']).toBe('#microsoft.graph.privilegedAccessGroupAssignmentScheduleInstance');
    expect(
      checkFacts(res.body!.value[0], {
        ...ASSIGNMENT_INSTANCE_FACTS,
        '@odata.type': oneOf('#microsoft.graph.privilegedAccessGroupAssignmentScheduleInstance'),
      }),
    ).toEqual([]);
    expect(res.body!.value[0].assignmentType).toBe('Activated');
  });

  it('the tool keeps a member whose documented instance says "Activated"', () => {
    const member = {
      '@odata.type': '#microsoft.graph.user',
      id: '6be4b305-0000-4efc-bfcc-31bd3b53a5f8',
      userPrincipalName: 'ada@contoso.example',
    };
    const documented = [
      {
        id: 'x_member_365163ce',
        principalId: member.id,
        startDateTime: '2026-12-01T09:00:00Z',
        endDateTime: '2026-12-01T11:00:00Z',
        assignmentType: 'Activated',
        accessId: 'member' as const,
        groupId: '2b5ed229-0000-478d-9504-a047ebd4b07d',
        memberType: 'Direct',
        assignmentScheduleId: 'x_member_f13739ce',
      },
    ];
    const { standing, jit } = standingMembers([member], documented);
    expect(standing).toEqual([]);
    expect(jit.map((m) => m.id)).toEqual([member.id]);
  });
});

/**
 * Learn "Create assignmentScheduleRequest" (privilegedaccessgroup-post-assignmentschedulerequests),
 * example 2 (selfActivate with afterDuration PT2H): 201 Created; `"status": "Provisioned"`,
 * `"action": "selfActivate"`, `scheduleInfo.expiration` = `{type: "afterDuration", duration: "PT2H"}`
 * with no endDateTime; `targetScheduleId` = `{groupId}_member_{request id}`.
 */
describe('POST assignmentScheduleRequests selfActivate (privilegedaccessgroup-post-assignmentschedulerequests)', () => {
  it('answers 201 as documented, with delegated PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup (least privileged)', async () => {
    const s = await sim();
    await makeAliceEligible(s);
    const alice = await userToken(s, CONTOSO.users.alice, 'PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup');
    const res = await call(s, alice, 'POST', `${PIM}/assignmentScheduleRequests`, {
      accessId: 'member',
      principalId: CONTOSO.users.alice,
      groupId: G,
      action: 'selfActivate',
      justification: 'Activate assignment.',
      scheduleInfo: { startDateTime: new Date(s.clock.nowMs()).toISOString(), expiration: { type: 'afterDuration', duration: 'PT2H' } },
    });
    expect(res.status).toBe(201);
    expect(
      checkFacts(res.body, {
        id: 'string',
        status: oneOf('Provisioned'),
        action: oneOf('selfActivate'),
        isValidationOnly: 'boolean',
        accessId: oneOf('member'),
        principalId: 'string',
        groupId: 'string',
        targetScheduleId: 'string',
        approvalId: 'null',
        createdBy: 'object',
        ticketInfo: 'object',
        scheduleInfo: shape({ startDateTime: 'string', expiration: shape({ type: oneOf('afterDuration'), duration: oneOf('PT2H') }) }),
      }),
    ).toEqual([]);
    expect(res.body!.scheduleInfo.expiration).not.toHaveProperty('endDateTime');
    expect(res.body!.targetScheduleId).toBe(`${G}_member_${res.body!.id}`);
  });
});

/**
 * Learn "List groupResources" (privilegedaccessgroup-list-resources): 200 with
 * PrivilegedAccess.Read.AzureADGroup (least privileged); groups onboarded to PIM, id = group id.
 */
describe('GET group resources (privilegedaccessgroup-list-resources)', () => {
  it('lists an onboarded group, with PrivilegedAccess.Read.AzureADGroup (least privileged)', async () => {
    const s = await sim();
    await makeAliceEligible(s);
    const token = await appToken(s, 'PrivilegedAccess.Read.AzureADGroup');
    const res = await call(s, token, 'GET', `${PIM}/resources`);
    expect(res.status).toBe(200);
    expect(checkCollection(res.body, 'identityGovernance/privilegedAccess/group/resources', { id: 'string' })).toEqual([]);
    expect(res.body!.value.map((r: { id: string }) => r.id)).toContain(G);
  });
});
