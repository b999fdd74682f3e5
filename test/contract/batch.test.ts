/**
 * Contract tests, JSON batching and error bodies. Facts restate Learn "Combine multiple HTTP
 * requests using JSON batching" (microsoft-graph-docs-contrib concepts/json-batching.md):
 * the envelope answers 200 when parseable (400 when malformed) with `{responses: [{id, status,
 * headers, body}]}`; each item has its own status; responses may come in any order (match by
 * id); a request whose dependency failed answers 424; at most 20 requests. Error bodies, in the
 * example and at top level: `{error: {code, message, innerError: {date, request-id,
 * client-request-id}}}`; a directory permission refusal is 403 `Authorization_RequestDenied`,
 * "Insufficient privileges to complete the operation.".
 */
import { afterEach, describe, expect, it } from 'vitest';
import { GraphRequestError } from '../../src/errors.js';
import { appToken, call, checkFacts, closeSims, CONTOSO, oneOf, shape, sim, toolGraph, type Facts } from './facts.js';

afterEach(closeSims);

const G = CONTOSO.groups.tenantAdmin;

const ITEM_FACTS: Facts = { id: 'string', status: 'number', headers: 'object' };
const ERROR_FACTS: Facts = {
  error: shape({
    code: 'string',
    message: 'string',
    innerError: shape({ date: 'string', 'request-id': 'string', 'client-request-id': 'string' }),
  }),
};

describe('POST /$batch (json-batching)', () => {
  it('answers 200 with one documented response per request, each with its own status and body', async () => {
    const s = await sim();
    const token = await appToken(s, 'GroupMember.ReadWrite.All', 'User.Read.All');
    const res = await call(s, token, 'POST', '/$batch', {
      requests: [
        { id: '1', method: 'GET', url: `/groups/${G}?$select=id,displayName` },
        { id: '2', method: 'GET', url: '/users/nobody@contoso.example' },
        { id: '3', method: 'DELETE', url: `/groups/${G}/members/${CONTOSO.users.carol}/$ref` },
        {
          id: '4',
          method: 'PATCH',
          url: `/servicePrincipals/${CONTOSO.keycloakSpId}`,
          body: { appRoleAssignmentRequired: true },
          headers: { 'Content-Type': 'application/json' },
        },
      ],
    });
    expect(res.status).toBe(200);
    expect(checkFacts(res.body, { responses: 'array' })).toEqual([]);
    const byId: Record<string, Record<string, any>> = Object.fromEntries(
      (res.body!.responses as Array<Record<string, any>>).map((r) => [r.id, r]),
    );
    expect(Object.keys(byId).sort()).toEqual(['1', '2', '3', '4']);
    for (const r of Object.values(byId)) expect(checkFacts(r, ITEM_FACTS)).toEqual([]);
    expect(byId['1'].status).toBe(200);
    expect(checkFacts(byId['1'].body, { '@odata.context': 'string', id: 'string', displayName: 'string' })).toEqual([]);
    expect(byId['2'].status).toBe(404);
    expect(checkFacts(byId['2'].body, ERROR_FACTS)).toEqual([]);
    expect(byId['3'].status).toBe(204);
    expect(byId['4'].status).toBe(403);
    expect(checkFacts(byId['4'].body, ERROR_FACTS)).toEqual([]);
    expect(byId['4'].body.error).toMatchObject({
      code: 'Authorization_RequestDenied',
      message: 'Insufficient privileges to complete the operation.',
    });
    // innerError.date is written without fractional seconds or zone, as in the example.
    expect(byId['4'].body.error.innerError.date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
  });

  it('answers 424 to a request whose dependency failed', async () => {
    const s = await sim();
    const token = await appToken(s, 'GroupMember.ReadWrite.All', 'User.Read.All');
    const res = await call(s, token, 'POST', '/$batch', {
      requests: [
        { id: '1', method: 'GET', url: '/users/nobody@contoso.example' },
        { id: '2', dependsOn: ['1'], method: 'GET', url: `/groups/${G}` },
      ],
    });
    expect(res.status).toBe(200);
    const two = res.body!.responses.find((r: { id: string }) => r.id === '2');
    expect(two.status).toBe(424);
  });

  it('answers 400 to a malformed envelope and to more than 20 requests', async () => {
    const s = await sim();
    const token = await appToken(s, 'GroupMember.Read.All');
    const malformed = await call(s, token, 'POST', '/$batch', { request: [] });
    expect(malformed.status).toBe(400);
    expect(checkFacts(malformed.body, ERROR_FACTS)).toEqual([]);
    const tooMany = await call(s, token, 'POST', '/$batch', {
      requests: Array.from({ length: 21 }, (_, i) => ({ id: String(i + 1), method: 'GET', url: `/groups/${G}` })),
    });
    expect(tooMany.status).toBe(400);
  });

  it("the tool's Graph module reads item statuses by id: 200 bodies, 404 as null, 204 as success", async () => {
    const s = await sim();
    const token = await appToken(s, 'GroupMember.ReadWrite.All', 'User.Read.All');
    const graph = toolGraph(s, token);
    const got = await graph.getMany<{ id: string }>([
      `/users/${CONTOSO.users.alice}?$select=id`,
      '/users/nobody@contoso.example?$select=id',
    ]);
    expect(got.map((g) => g?.id ?? null)).toEqual([CONTOSO.users.alice, null]);
    const written = await graph.writeBatch([{ op: { op: 'group.removeMember', groupId: G, memberId: CONTOSO.users.carol } }]);
    expect(written.map((w) => w.status)).toEqual([204]);
  });
});

describe('error bodies (top level)', () => {
  it('a refused request answers 403 with the documented error body, and the tool keeps its code', async () => {
    const s = await sim();
    const token = await appToken(s, 'GroupMember.Read.All');
    const res = await call(s, token, 'PATCH', `/servicePrincipals/${CONTOSO.keycloakSpId}`, { appRoleAssignmentRequired: true });
    expect(res.status).toBe(403);
    expect(checkFacts(res.body, ERROR_FACTS)).toEqual([]);
    expect(res.body!.error).toMatchObject({
      code: 'Authorization_RequestDenied',
      message: 'Insufficient privileges to complete the operation.',
    });
    const graph = toolGraph(s, token, true);
    const err = await graph.get(`/servicePrincipals/${CONTOSO.keycloakSpId}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphRequestError);
    expect((err as GraphRequestError).status).toBe(403);
    expect((err as GraphRequestError).code).toBe('Authorization_RequestDenied');
  });

  it('an unknown directory object answers 404 Request_ResourceNotFound', async () => {
    const s = await sim();
    const token = await appToken(s, 'GroupMember.Read.All');
    const res = await call(s, token, 'GET', '/groups/00000000-1111-2222-3333-444444444444');
    expect(res.status).toBe(404);
    expect(
      checkFacts(res.body, { error: shape({ code: oneOf('Request_ResourceNotFound'), message: 'string', innerError: 'object' }) }),
    ).toEqual([]);
  });
});
