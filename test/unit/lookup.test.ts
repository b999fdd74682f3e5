import { describe, expect, it } from 'vitest';
import { eligibleUsersOf, findApp, findGroup, LookupError, oneOf, pickEligibleGroup, readEligibleUsers } from '../../src/entra/lookup.js';
import { analyseApprovers, readApprovers } from '../../src/entra/approvers.js';
import type { Finding } from '../../src/core/findings.js';
import type { Choice, Prompter } from '../../src/ui/prompt.js';
import { nonInteractivePrompter } from '../../src/ui/prompt.js';
import { FakeGraph } from '../support/fake-graph.js';

const G1 = 'aaaaaaaa-0000-0000-0000-000000000001';
const G2 = 'aaaaaaaa-0000-0000-0000-000000000002';
const APP1 = '11111111-0000-0000-0000-000000000001';
const APP2 = '11111111-0000-0000-0000-000000000002';
const groupsNamed = (name: string) => `/groups?$filter=displayName eq '${name}'&$select=id,displayName,description`;
const appsNamed = (name: string) => `/servicePrincipals?$filter=displayName eq '${name}'&$select=id,appId,displayName`;
const twins = [
  { id: G1, displayName: 'admins', description: 'the first' },
  { id: G2, displayName: 'admins' },
];

/** A terminal that answers every choice with the given index and records what it was asked. */
function terminal(pick: number): Prompter & { asked: Array<{ message: string; names: string[]; flag: string }> } {
  const asked: Array<{ message: string; names: string[]; flag: string }> = [];
  const base = nonInteractivePrompter(false);
  return {
    ...base,
    interactive: true,
    asked,
    async select<T>(message: string, choices: Choice<T>[], opts: { flag: string }): Promise<T> {
      asked.push({ message, names: choices.map((c) => c.name), flag: opts.flag });
      return choices[pick].value;
    },
  };
}

const problemOf = async (p: Promise<unknown>): Promise<LookupError> => {
  try {
    await p;
  } catch (err) {
    if (err instanceof LookupError) return err;
    throw err;
  }
  throw new Error('expected a LookupError');
};

describe('the ambiguity rule (oneOf)', () => {
  const how = {
    flag: '--x',
    question: 'which?',
    label: (n: number) => `n${n}`,
    ambiguous: () => new LookupError('X_AMBIGUOUS', 'two', 'pass --x'),
  };
  it('takes the only match without asking', async () => {
    const t = terminal(0);
    expect(await oneOf(t, [7], how)).toBe(7);
    expect(t.asked).toEqual([]);
  });
  it('asks on a terminal, naming the flag', async () => {
    const t = terminal(1);
    expect(await oneOf(t, [7, 8], how)).toBe(8);
    expect(t.asked).toEqual([{ message: 'which?', names: ['n7', 'n8'], flag: '--x' }]);
  });
  it('fails in scripts (and without a prompter) with the ambiguity error', async () => {
    expect((await problemOf(oneOf(nonInteractivePrompter(true), [7, 8], how))).code).toBe('X_AMBIGUOUS');
    expect((await problemOf(oneOf(undefined, [7, 8], how))).message).toBe('two; pass --x');
  });
});

describe('findGroup', () => {
  it('finds a group by object id', async () => {
    const graph = new FakeGraph({ [`/groups/${G1}?$select=id,displayName`]: { id: G1, displayName: 'admins' } });
    expect(await findGroup(graph as never, undefined, G1, { select: 'id,displayName' })).toEqual({ id: G1, displayName: 'admins' });
  });
  it('names the flag when nothing matches', async () => {
    const graph = new FakeGraph({ [groupsNamed('nope')]: [] });
    const err = await problemOf(findGroup(graph as never, undefined, 'nope', { select: 'id,displayName,description' }));
    expect([err.code, err.problem, err.fix]).toEqual([
      'GROUP_NOT_FOUND',
      'no group named "nope"',
      'check --group (display name or object id)',
    ]);
    const byId = await problemOf(findGroup(new FakeGraph({}) as never, undefined, G1, { select: 'id' }));
    expect([byId.code, byId.problem]).toEqual(['GROUP_NOT_FOUND', `no group with object id ${G1}`]);
  });
  it('is a choice on a terminal when the name is ambiguous', async () => {
    const graph = new FakeGraph({ [groupsNamed('admins')]: twins });
    const t = terminal(1);
    expect((await findGroup(graph as never, t, 'admins', { select: 'id,displayName,description' })).id).toBe(G2);
    expect(t.asked).toEqual([
      { message: '2 groups are named "admins"; which one?', names: [`admins (${G1}) — the first`, `admins (${G2})`], flag: '--group' },
    ]);
  });
  it('is an error listing the matches in scripts, naming the flag', async () => {
    const graph = new FakeGraph({ [groupsNamed('admins')]: twins });
    const err = await problemOf(
      findGroup(graph as never, nonInteractivePrompter(true), 'admins', { select: 'id,displayName,description' }),
    );
    expect(err.code).toBe('GROUP_AMBIGUOUS');
    expect(err.message).toBe(`2 groups are named "admins": ${G1}, ${G2}; pass --group with the object id of the one to use`);
  });
});

describe('findApp', () => {
  it('finds the app by app id, or says so naming the tenant', async () => {
    const sp = { id: 'sp1', appId: APP1, displayName: 'Keycloak' };
    const graph = new FakeGraph({ [`/servicePrincipals(appId='${APP1}')?$select=id,appId,displayName`]: sp });
    expect(await findApp(graph as never, undefined, { appId: APP1 }, 'id,appId,displayName')).toEqual(sp);
    const err = await problemOf(findApp(graph as never, undefined, { appId: APP2, tenantId: 't1' }, 'id,appId,displayName'));
    expect([err.code, err.problem]).toEqual(['APP_NOT_FOUND', `no enterprise app (service principal) with app id ${APP2} in tenant t1`]);
  });
  it('applies the same rule to an ambiguous app name (flag --app-id)', async () => {
    const hits = [
      { id: 'sp1', appId: APP1, displayName: 'Keycloak' },
      { id: 'sp2', appId: APP2, displayName: 'Keycloak' },
    ];
    const graph = new FakeGraph({ [appsNamed('Keycloak')]: hits });
    const t = terminal(0);
    expect((await findApp(graph as never, t, { appName: 'Keycloak' }, 'id,appId,displayName')).appId).toBe(APP1);
    expect(t.asked[0]).toEqual({
      message: '2 enterprise apps are named "Keycloak"; which one?',
      names: [`Keycloak (app id ${APP1})`, `Keycloak (app id ${APP2})`],
      flag: '--app-id',
    });
    const err = await problemOf(findApp(graph as never, nonInteractivePrompter(false), { appName: 'Keycloak' }, 'id,appId,displayName'));
    expect(err.message).toBe(`2 enterprise apps are named "Keycloak": app id ${APP1}, app id ${APP2}; pass --app-id with one of them`);
  });
});

describe('pickEligibleGroup', () => {
  const mine = [
    { id: G1, displayName: 'Admins' },
    { id: G2, displayName: 'admins' },
  ];
  it('matches an id or a name in any case, and nothing else', async () => {
    expect(await pickEligibleGroup(undefined, mine, G1.toUpperCase())).toEqual(mine[0]);
    expect(await pickEligibleGroup(undefined, mine, 'other')).toBeUndefined();
  });
  it('is a choice on a terminal and an error listing the matches in scripts', async () => {
    expect(await pickEligibleGroup(terminal(1), mine, 'ADMINS')).toEqual(mine[1]);
    const err = await problemOf(pickEligibleGroup(nonInteractivePrompter(false), mine, 'admins'));
    expect(err.message).toBe(
      `you are eligible for 2 groups named "admins": ${G1}, ${G2}; pass --group with the object id of the one to use`,
    );
  });
});

describe('findApprovers', () => {
  // Read, then judge: what the lookups answered, then the approvers and findings of it.
  const findApprovers = async (graph: never, prompt: Parameters<typeof readApprovers>[1], inputs: string[], findings: Finding[]) => {
    const { refs, findings: judged } = analyseApprovers(await readApprovers(graph, prompt, inputs));
    findings.push(...judged);
    return refs;
  };
  it('applies the rule to an ambiguous group name, with the flag --approver', async () => {
    const graph = new FakeGraph({ "/groups?$filter=displayName eq 'approvers'&$select=id,displayName": twins });
    const findings: Finding[] = [];
    expect(await findApprovers(graph as never, nonInteractivePrompter(true), ['approvers'], findings)).toEqual([]);
    expect(findings).toEqual([
      expect.objectContaining({
        severity: 'error',
        code: 'APPROVER_AMBIGUOUS',
        message: `2 groups are named "approvers": ${G1}, ${G2}`,
        fix: 'pass --approver with the object id of the one to use',
      }),
    ]);
    const t = terminal(0);
    expect(await findApprovers(graph as never, t, ['approvers'], [])).toEqual([{ kind: 'group', id: G1, label: 'group approvers' }]);
    expect(t.asked[0].flag).toBe('--approver');
  });
  it('keeps its own words for a name nobody carries', async () => {
    const graph = new FakeGraph({ "/groups?$filter=displayName eq 'ghosts'&$select=id,displayName": [] });
    const findings: Finding[] = [];
    await findApprovers(graph as never, undefined, ['ghosts'], findings);
    expect(findings.map((f) => [f.code, f.message])).toEqual([['APPROVER_NOT_FOUND', '--approver ghosts: no user or group by that name']]);
  });
});

describe('findEligibleUsers', () => {
  // Read, then judge: Graph's answers, then the users and findings of them.
  const findEligibleUsers = async (graph: never, inputs: string[], findings: Finding[]) =>
    eligibleUsersOf(inputs, await readEligibleUsers(graph, inputs), findings);
  it('refuses unknown and disabled users, warns about guests and counts a user once', async () => {
    const U1 = 'bbbbbbbb-0000-0000-0000-000000000001';
    const U2 = 'bbbbbbbb-0000-0000-0000-000000000002';
    const sel = '?$select=id,displayName,userPrincipalName,mail,accountEnabled,userType';
    const graph = new FakeGraph({
      [`/users('alice@contoso.com')${sel}`]: { id: U1, userPrincipalName: 'alice@contoso.com', displayName: 'Alice' },
      [`/users/${U1}${sel}`]: { id: U1, userPrincipalName: 'alice@contoso.com', displayName: 'Alice' },
      [`/users('off@contoso.com')${sel}`]: { id: U2, userPrincipalName: 'off@contoso.com', accountEnabled: false },
      [`/users('guest@contoso.com')${sel}`]: {
        id: 'bbbbbbbb-0000-0000-0000-000000000003',
        userPrincipalName: 'guest@contoso.com',
        userType: 'guest',
      },
    });
    const findings: Finding[] = [];
    const users = await findEligibleUsers(
      graph as never,
      ['alice@contoso.com', U1, 'off@contoso.com', 'nobody@contoso.com', 'guest@contoso.com'],
      findings,
    );
    expect(users.map((u) => u.userPrincipalName)).toEqual(['alice@contoso.com', 'guest@contoso.com']);
    expect(findings.map((f) => f.code)).toEqual(['USER_DISABLED', 'USER_NOT_FOUND', 'USER_GUEST']);
  });
});

describe('the wizard uses the same rule', () => {
  it('asks which app when --app-name is ambiguous, keeps the choice as its app id, then asks for its app role', async () => {
    const { askRunInputs } = await import('../../src/wizard.js');
    const { silentLogger } = await import('../../src/ui/log.js');
    const apps = [
      { id: 'sp1', appId: APP1, displayName: 'Keycloak', appRoles: [] },
      {
        id: 'sp2',
        appId: APP2,
        displayName: 'Keycloak',
        appRoles: [{ id: 'r1', value: 'tenant-admin', isEnabled: true, allowedMemberTypes: ['User'] }],
      },
    ];
    const graph = new FakeGraph({
      [`/groups/${G1}?$select=id,displayName,description`]: { id: G1, displayName: 'admins' },
      "/servicePrincipals?$filter=displayName eq 'Keycloak'&$select=id,appId,displayName,appRoles": apps,
      '/policies/roleManagementPolicyAssignments*': [{ id: 'a', policyId: 'p', policy: { id: 'p', rules: [] } }],
    });
    const picks = [1, 0];
    const asked: string[] = [];
    const prompt: Prompter = {
      ...nonInteractivePrompter(false),
      interactive: true,
      async select<T>(message: string, choices: Choice<T>[]): Promise<T> {
        asked.push(message);
        return choices[picks.shift()!].value;
      },
    };
    const raw = {
      appName: 'Keycloak',
      group: G1,
      eligible: ['alice@contoso.com'],
      end: '2099-01-01',
      activationMax: 'PT8H',
      skipKeycloak: true,
    } as Record<string, unknown>;
    await askRunInputs(raw as never, {
      mode: 'run',
      graph: graph as never,
      prompt,
      log: silentLogger,
      now: new Date('2026-01-01T00:00:00Z'),
      env: {},
    });
    expect(asked).toEqual(['2 enterprise apps are named "Keycloak"; which one?', 'Assign the group with which app role?']);
    expect(raw).toMatchObject({ appId: APP2, appRole: 'tenant-admin', group: G1 });
    expect(raw.appName).toBeUndefined();
  });
});
