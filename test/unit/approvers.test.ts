import { describe, expect, it } from 'vitest';
import { analyseApprovers, readApprovers, type ApproverAnswer } from '../../src/entra/approvers.js';
import { LookupError } from '../../src/entra/lookup.js';
import { GraphRequestError } from '../../src/errors.js';
import { nonInteractivePrompter } from '../../src/ui/prompt.js';
import { planPolicy } from '../../src/steps/pim-policy.js';
import { baseOptions, FakeGraph, snapshotOf } from '../support/fake-graph.js';

const U1 = 'cccccccc-0000-0000-0000-000000000001';
const G1 = 'cccccccc-0000-0000-0000-000000000002';
const NONE = 'cccccccc-0000-0000-0000-000000000003';
const G2 = 'cccccccc-0000-0000-0000-000000000004';
const userById = (id: string) => `/users/${id}?$select=id,displayName,userPrincipalName`;
const groupById = (id: string) => `/groups/${id}?$select=id,displayName`;
const userByUpn = (upn: string) => `/users('${upn}')?$select=id,userPrincipalName`;
const groupsNamed = (name: string) => `/groups?$filter=displayName eq '${name}'&$select=id,displayName`;

/** A Graph that refuses the user lookups the test names with the given status. */
class RefusingGraph extends FakeGraph {
  constructor(
    table: Record<string, unknown>,
    private readonly refusals: Record<string, number>,
  ) {
    super(table);
  }
  override async find<T>(url: string): Promise<T | null> {
    const status = this.refusals[decodeURIComponent(url)];
    if (status) throw new GraphRequestError(`${status} ${url}`, status, 'BadRequest', 'GET', url);
    return super.find<T>(url);
  }
}

const table = {
  [userById(U1)]: { id: U1, userPrincipalName: 'una@contoso.example' },
  [groupById(G1)]: { id: G1, displayName: 'approvers' },
  [userByUpn('bo@contoso.example')]: { id: U1, userPrincipalName: 'bo@contoso.example' },
  [groupsNamed('leads')]: [{ id: G2, displayName: 'leads' }],
  [groupsNamed('twins')]: [
    { id: G1, displayName: 'twins' },
    { id: G2, displayName: 'twins' },
  ],
  [groupsNamed('ghosts')]: [],
};
const inputs = [U1, G1, NONE, 'bo@contoso.example', 'nobody@contoso.example', 'odd@contoso.example', 'leads', 'twins', 'ghosts'];

describe('--approver: read, then judge', () => {
  it('the read phase records what each lookup answered, typed, and makes no finding', async () => {
    const graph = new RefusingGraph(table, { [userByUpn('odd@contoso.example')]: 400 });
    const answers = await readApprovers(graph as never, nonInteractivePrompter(true), inputs);
    expect(answers.map(({ at, input, answer }) => [at, input, answer])).toEqual([
      [0, U1, 'found'],
      [1, G1, 'found'],
      [2, NONE, 'not-found'],
      [3, 'bo@contoso.example', 'found'],
      [4, 'nobody@contoso.example', 'not-found'],
      [5, 'odd@contoso.example', 'unreadable'],
      [6, 'leads', 'found'],
      [7, 'twins', 'lookup-failed'],
      [8, 'ghosts', 'not-found'],
    ]);
    expect(answers[5]).toMatchObject({ status: 400, code: 'BadRequest' });
    expect(answers[7]).toMatchObject({ error: expect.any(LookupError) });
  });

  it('a 403 on a user lookup is not an answer: it stops reading, as before', async () => {
    const graph = new RefusingGraph(table, { [userByUpn('bo@contoso.example')]: 403 });
    await expect(readApprovers(graph as never, undefined, ['bo@contoso.example'])).rejects.toThrow(GraphRequestError);
  });

  it('judges the answers as data: refs and findings in the order the values were given, whatever order they were recorded in', async () => {
    const graph = new RefusingGraph(table, { [userByUpn('odd@contoso.example')]: 400 });
    const answers = await readApprovers(graph as never, nonInteractivePrompter(true), inputs);
    const judged = analyseApprovers(answers);
    expect(judged.refs).toEqual([
      { kind: 'user', id: U1, label: 'una@contoso.example' },
      { kind: 'group', id: G1, label: 'group approvers' },
      { kind: 'user', id: U1, label: 'bo@contoso.example' },
      { kind: 'group', id: G2, label: 'group leads' },
    ]);
    expect(judged.findings.map((f) => [f.code, f.message, f.fix])).toEqual([
      ['APPROVER_NOT_FOUND', `--approver ${NONE}: no user or group with that object id`, undefined],
      ['APPROVER_NOT_FOUND', '--approver nobody@contoso.example: no such user', undefined],
      ['APPROVER_UNREADABLE', '--approver odd@contoso.example: Graph could not read this user (400 BadRequest)', undefined],
      ['APPROVER_AMBIGUOUS', `2 groups are named "twins": ${G1}, ${G2}`, 'pass --approver with the object id of the one to use'],
      ['APPROVER_NOT_FOUND', '--approver ghosts: no user or group by that name', 'give a UPN, a group name or an object id'],
    ]);
    expect(analyseApprovers([...answers].reverse())).toEqual(judged);
    const shuffled = [answers[4], answers[8], answers[0], answers[7], answers[2], answers[6], answers[1], answers[5], answers[3]];
    expect(analyseApprovers(shuffled)).toEqual(judged);
  });

  it("pim-policy's plan makes the approvers' findings from the snapshot, in the values' order", () => {
    const answers: ApproverAnswer[] = [
      { at: 1, input: 'ghosts', answer: 'not-found', by: 'name' },
      { at: 0, input: 'nobody@contoso.example', answer: 'not-found', by: 'upn' },
      { at: 2, input: 'bo@contoso.example', answer: 'found', ref: { kind: 'user', id: U1, label: 'bo@contoso.example' } },
    ];
    const snapshot = snapshotOf(
      { group: { id: G1, displayName: 'tenant-admin' } },
      {
        memberPolicy: { ok: true, value: { policyId: 'p1', rules: [] } },
        approvers: { ok: true, value: answers },
      },
    );
    const options = baseOptions({
      policy: { requireApproval: true, approvers: ['nobody@contoso.example', 'ghosts', 'bo@contoso.example'] },
    });
    const plan = planPolicy(snapshot, options);
    expect(plan.findings.filter((f) => f.code.startsWith('APPROVER')).map((f) => f.message)).toEqual([
      '--approver nobody@contoso.example: no such user',
      '--approver ghosts: no user or group by that name',
    ]);
    expect(JSON.stringify(plan.actions)).toContain(U1);
  });
});
