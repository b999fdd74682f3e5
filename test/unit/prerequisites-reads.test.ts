import { describe, expect, it } from 'vitest';
import { GraphRequestError } from '../../src/errors.js';
import { LookupError } from '../../src/entra/lookup.js';
import { prerequisitesStep, readPrerequisites } from '../../src/steps/prerequisites.js';
import { analysePrerequisites } from '../../src/steps/prerequisites-findings.js';
import type { PrerequisiteReads } from '../../src/steps/snapshot.js';
import { baseOptions, fakeContext, FakeGraph, snapshotOf } from '../support/fake-graph.js';

const G = '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d';
const GROUP = { id: G, displayName: 'tenant-admin', securityEnabled: true, mailEnabled: false, groupTypes: [] };
const SP = { id: 'sp-1', appId: '11111111-2222-3333-4444-555555555555', displayName: 'Keycloak', preferredSingleSignOnMode: 'oidc' };
const OWNER = { id: 'owner-1', displayName: 'Olga', userPrincipalName: 'olga@contoso.example' };
const forbidden = (url: string) => new GraphRequestError(`403 ${url}`, 403, 'Authorization_RequestDenied', 'GET', url);
// A token whose claims carry app-only roles: no /me read.
const appToken = `x.${Buffer.from(JSON.stringify({ roles: ['Group.Read.All'], appid: 'runner' })).toString('base64url')}.x`;

/**
 * A Graph whose first answers to the three concurrent lookups (app, group, licence) come in the
 * order the test gives: each is released one event-loop turn after the one before it answered,
 * so everything the earlier answer set off has run.
 */
class OrderedGraph extends FakeGraph {
  private readonly answered = new Map<string, { done: Promise<void>; resolve: () => void }>();
  constructor(
    table: Record<string, unknown>,
    private readonly order: string[],
    private readonly failures: Record<string, Error>,
    token: string,
  ) {
    super(table, token);
    for (const key of order) {
      let resolve = () => {};
      const done = new Promise<void>((r) => (resolve = r));
      this.answered.set(key, { done, resolve });
    }
  }
  private async turn(url: string): Promise<void> {
    const decoded = decodeURIComponent(url);
    const i = this.order.findIndex((k) => decoded.startsWith(k));
    if (i < 0) return;
    if (i > 0) await this.answered.get(this.order[i - 1])?.done;
    // One event-loop turn: whatever the earlier answer set off (microtasks) has run.
    await new Promise<void>((r) => setImmediate(r));
    this.answered.get(this.order[i])?.resolve();
    const failure = this.failures[this.order[i]];
    if (failure) throw failure;
  }
  override async find<T>(url: string): Promise<T | null> {
    await this.turn(url);
    return super.find<T>(url);
  }
  override async list<T>(url: string): Promise<T[]> {
    await this.turn(url);
    return super.list<T>(url);
  }
}

describe('prerequisites: read, then judge', () => {
  const table = {
    '/groups?$filter=*': [GROUP],
    [`/groups/${G}/owners*`]: [OWNER],
  };
  const lookups = ['/servicePrincipals(appId=', '/groups?', '/subscribedSkus'];
  const run = async (order: string[]) => {
    const graph = new OrderedGraph(table, order, { '/subscribedSkus': forbidden('/subscribedSkus') }, appToken);
    const ctx = fakeContext(graph);
    const reads = await readPrerequisites(ctx);
    return prerequisitesStep.plan(snapshotOf({}, { prerequisites: reads }), ctx.options);
  };

  it('lists the findings in the same order whichever concurrent read answers first', async () => {
    const first = await run(lookups);
    const reversed = await run([...lookups].reverse());
    const middle = await run([lookups[1], lookups[2], lookups[0]]);
    const codes = first.findings.map((f) => f.code);
    expect(codes).toEqual(['APP_NOT_FOUND', 'GROUP_FOUND', 'GROUP_HAS_OWNERS', 'GRAPH_FORBIDDEN', 'CALLER_PERMISSION_MISSING']);
    expect(first.findings[3].message).toMatch(/^licence: 403/);
    expect(reversed.findings).toEqual(first.findings);
    expect(middle.findings).toEqual(first.findings);
  });

  it('judges raw reads as data: the same reads give the same facts and findings, and the read phase made no finding', () => {
    const reads: PrerequisiteReads = {
      app: { ok: true, value: SP },
      group: { ok: true, value: GROUP },
      owners: { ok: true, value: [] },
      skus: { ok: false, error: forbidden('/subscribedSkus') },
      application: { ok: true, value: null },
      eligible: { ok: true, value: [{ status: 404, body: undefined as never }] },
      caller: { ok: true, value: { claims: { roles: [], appid: 'runner' } } },
    };
    const options = baseOptions({ eligible: ['nobody@contoso.example'] });
    const a = analysePrerequisites(reads, options);
    // The same reads, their properties recorded in another order.
    const b = analysePrerequisites(Object.fromEntries(Object.entries(reads).reverse()) as PrerequisiteReads, options);
    expect(b).toEqual(a);
    expect(a.findings.map((f) => f.code)).toEqual([
      'GROUP_FOUND',
      'GRAPH_FORBIDDEN',
      'APP_FOUND',
      'APP_REGISTRATION_ELSEWHERE',
      'SSO_MODE',
      'CONSENT_UNCHECKED',
      'CLAIM_UNKNOWN',
      'USER_NOT_FOUND',
      'CALLER_PERMISSION_MISSING',
    ]);
    expect(a.facts).toMatchObject({ group: GROUP, servicePrincipal: SP, application: null, ssoMode: 'oidc', eligibleUsers: [] });
    expect(a.facts.caller).toEqual({ kind: 'app', id: 'runner', name: 'runner' });
  });

  it('a failed lookup is the lookup finding; a 403 on the owners leaves the group unknown', () => {
    const { facts, findings } = analysePrerequisites(
      {
        app: { ok: false, error: new LookupError('APP_NOT_FOUND', 'no enterprise app', 'check --app-id') },
        group: { ok: true, value: GROUP },
        owners: { ok: false, error: forbidden(`/groups/${G}/owners`) },
        skus: { ok: true, value: [] },
      },
      baseOptions(),
    );
    expect(findings.map((f) => [f.code, f.message.split(':')[0]])).toEqual([
      ['APP_NOT_FOUND', 'no enterprise app'],
      ['GROUP_FOUND', 'group'],
      ['GRAPH_FORBIDDEN', 'group'],
      ['LICENCE_MISSING', 'licence'],
    ]);
    expect(facts.group).toBeUndefined();
    expect(facts.groupOwnerIds).toBeUndefined();
  });

  it('when reading stopped, the plan reports the error and the facts are those found before it', () => {
    const stop = new GraphRequestError('500 consent', 500, 'InternalServerError', 'GET', '/servicePrincipals(appId=x)');
    const reads: PrerequisiteReads = {
      app: { ok: true, value: SP },
      group: { ok: true, value: GROUP },
      owners: { ok: true, value: [] },
      skus: { ok: true, value: [] },
      application: {
        ok: true,
        value: { requiredResourceAccess: [{ resourceAppId: 'graph', resourceAccess: [{ id: 's', type: 'Scope' }] }] },
      },
      stopped: stop,
    };
    const { facts } = analysePrerequisites(reads, baseOptions());
    expect(facts).toMatchObject({ group: GROUP, servicePrincipal: SP, ssoMode: 'oidc' });
    expect(facts.groupClaim).toBeUndefined();
    expect(facts.eligibleUsers).toBeUndefined();
    expect(() => prerequisitesStep.plan(snapshotOf({}, { prerequisites: reads }), baseOptions())).toThrow(stop);
  });
});
