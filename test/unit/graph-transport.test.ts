import { afterEach, describe, expect, it } from 'vitest';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from '@microsoft/microsoft-graph-client';
import { SignInError } from '../../src/errors.js';
import { signInError } from '../../src/graph/sign-in-error.js';
import { GraphApi, nextLinkProblem } from '../../src/graph/graph-api.js';
import { BearerMiddleware, classifyFailure, sameOrigin, transportError } from '../../src/graph/resilience.js';
import { MemoryJournal } from '../../src/journal.js';
import { silentLogger } from '../../src/ui/log.js';
import { ensureTestTls } from '../support/tls.js';

const fetchFailed = (code: string) => new TypeError('fetch failed', { cause: Object.assign(new Error(code), { code }) });

describe('classifyFailure: only what can succeed on retry is retried', () => {
  it.each(['ECONNRESET', 'UND_ERR_SOCKET', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_HEADERS_TIMEOUT'])('%s is retried', (code) => {
    expect(classifyFailure(fetchFailed(code)).retry).toBe(true);
  });
  it('a per-attempt timeout is retried', () => {
    expect(classifyFailure(new DOMException('The operation was aborted due to timeout', 'TimeoutError')).retry).toBe(true);
  });
  it.each([
    'ENOTFOUND',
    'ECONNREFUSED',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'CERT_HAS_EXPIRED',
    'ERR_TLS_CERT_ALTNAME_INVALID',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  ])('%s fails at once', (code) => {
    expect(classifyFailure(fetchFailed(code)).retry).toBe(false);
  });
  it('a refused sign-in and an unknown error fail at once; the sign-in error is kept as it is', () => {
    const signIn = new SignInError('sign-in with --auth client-secret was refused: AADSTS7000215: x');
    expect(classifyFailure(signIn)).toEqual({ retry: false, error: signIn });
    expect(classifyFailure(new Error('something else')).retry).toBe(false);
  });
  it('names the host and the fix in one short line', () => {
    const dns = transportError(fetchFailed('ENOTFOUND'), 'https://graph.example.invalid/v1.0/groups?$select=id,displayName&$filter=x');
    expect(dns.message).toBe("cannot resolve graph.example.invalid (DNS: ENOTFOUND): check --graph-endpoint and the machine's DNS");
    const cert = transportError(fetchFailed('DEPTH_ZERO_SELF_SIGNED_CERT'), 'https://127.0.0.1:8443/v1.0/x');
    expect(cert.message).toMatch(/^the TLS certificate of 127\.0\.0\.1:8443 is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
    for (const e of [dns, cert]) expect(e.message).not.toMatch(/\n|\/v1\.0/);
  });
});

describe('bearer token only for the Graph origin', () => {
  it('sameOrigin compares scheme, host and port', () => {
    expect(sameOrigin('https://graph.microsoft.com/v1.0/x', 'https://graph.microsoft.com')).toBe(true);
    expect(sameOrigin('https://graph.microsoft.com:443/v1.0/x', 'https://graph.microsoft.com')).toBe(true);
    expect(sameOrigin('https://graph.microsoft.com:8443/v1.0/x', 'https://graph.microsoft.com')).toBe(false);
    expect(sameOrigin('http://graph.microsoft.com/v1.0/x', 'https://graph.microsoft.com')).toBe(false);
    expect(sameOrigin('https://graph.microsoft.com.evil.example/v1.0/x', 'https://graph.microsoft.com')).toBe(false);
    expect(sameOrigin('not a url', 'https://graph.microsoft.com')).toBe(false);
  });

  const sent = async (url: string, headers: Record<string, string> = {}) => {
    let seen: Headers | undefined;
    const mw = new BearerMiddleware('https://127.0.0.1:8443', { getToken: async () => 'tok' });
    mw.setNext({ execute: async (ctx: Context) => void (seen = new Headers(ctx.options?.headers as Record<string, string>)) });
    await mw.execute({ request: url, options: { method: 'GET', headers } } as Context);
    return seen!;
  };
  it('attaches the token on the same origin, and never on another port of the same host', async () => {
    expect((await sent('https://127.0.0.1:8443/v1.0/groups')).get('authorization')).toBe('Bearer tok');
    expect((await sent('https://127.0.0.1:9443/v1.0/groups')).get('authorization')).toBeNull();
    // A header already there (a retry, a caller) is removed too.
    expect((await sent('https://127.0.0.1:9443/v1.0/groups', { Authorization: 'Bearer old' })).get('authorization')).toBeNull();
    expect((await sent('https://localhost:8443/v1.0/groups')).get('authorization')).toBeNull();
  });
});

describe('nextLinkProblem', () => {
  const first = new URL('https://graph.microsoft.com/beta/groups/g1/members?$select=id&$top=999');
  const seen = new Set([first.href]);
  it('accepts a link that only changes the query', () => {
    expect(
      nextLinkProblem('https://graph.microsoft.com/beta/groups/g1/members?$select=id&$top=999&$skiptoken=abc', first, seen),
    ).toBeUndefined();
  });
  it("accepts the signed-in user's id in place of /me (the same collection), and nothing else in its place", () => {
    const me = new URL('https://graph.microsoft.com/v1.0/me/transitiveMemberOf/microsoft.graph.directoryRole?$count=true');
    const seenMe = new Set([me.href]);
    expect(
      nextLinkProblem(
        'https://graph.microsoft.com/v1.0/users/5f1e2d3c-0000-4000-8000-000000000001/transitiveMemberOf/microsoft.graph.directoryRole?$skiptoken=x',
        me,
        seenMe,
      ),
    ).toBeUndefined();
    expect(
      nextLinkProblem('https://graph.microsoft.com/v1.0/users/5f1e2d3c-0000-4000-8000-000000000001/memberOf?$skiptoken=x', me, seenMe),
    ).toMatch(/leaves the collection's path/);
    expect(
      nextLinkProblem(
        'https://graph.microsoft.com/v1.0/groups/5f1e2d3c-0000-4000-8000-000000000001/transitiveMemberOf/microsoft.graph.directoryRole?$skiptoken=x',
        me,
        seenMe,
      ),
    ).toMatch(/leaves the collection's path/);
    // Another user's collection is not the first user's.
    const a = new URL('https://graph.microsoft.com/v1.0/users/5f1e2d3c-0000-4000-8000-00000000000a/memberOf');
    expect(
      nextLinkProblem(
        'https://graph.microsoft.com/v1.0/users/5f1e2d3c-0000-4000-8000-00000000000b/memberOf?$skiptoken=x',
        a,
        new Set([a.href]),
      ),
    ).toMatch(/leaves the collection's path/);
  });
  it.each([
    ['a link seen before', first.href, /repeats a page/],
    ['another host', 'https://evil.example/beta/groups/g1/members?$skiptoken=a', /another origin \(https:\/\/evil\.example\)/],
    ['another port', 'https://graph.microsoft.com:444/beta/groups/g1/members?$skiptoken=a', /another origin/],
    ['plain http', 'http://graph.microsoft.com/beta/groups/g1/members?$skiptoken=a', /another origin/],
    ['another path', 'https://graph.microsoft.com/beta/groups/g2/members?$skiptoken=a', /leaves the collection's path/],
    ['another version', 'https://graph.microsoft.com/v1.0/groups/g1/members?$skiptoken=a', /leaves the collection's path/],
    ['a relative link', '/beta/groups/g1/members?$skiptoken=a', /not an absolute URL/],
    ['user credentials', 'https://user:pw@graph.microsoft.com/beta/groups/g1/members?$skiptoken=a', /carries user credentials/],
    ['not a string', 42, /not a string/],
  ])('refuses %s', (_name, link, reason) => {
    expect(nextLinkProblem(link, first, seen)).toMatch(reason);
  });
});

describe('signInError: one line with the fix', () => {
  it('an AADSTS refusal keeps the code and the first sentence, without trace ids or links', () => {
    const raw = new Error(
      "ClientSecretCredential authentication failed: invalid_client: AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '11111111-2222-3333-4444-555555555555'. Trace ID: 0b0c Correlation ID: 1a2b Timestamp: 2026-11-30 10:00:00Z\nTo troubleshoot, visit https://aka.ms/azsdk/js/identity/serviceprincipalauthentication/troubleshoot",
    );
    const e = signInError('client-secret', raw);
    expect(e.name).toBe('SignInError');
    expect(e.message).toBe(
      "sign-in with --auth client-secret was refused: AADSTS7000215: Invalid client secret provided; check AZURE_CLIENT_SECRET: it must be the secret's value, not its id",
    );
  });
  it('a missing Azure CLI and a missing az login name the fix', () => {
    const missing = signInError(
      'azure-cli',
      Object.assign(
        new Error(
          "Azure CLI could not be found. Please visit https://aka.ms/azure-cli for installation instructions and then, once installed, authenticate to your Azure account using 'az login'.",
        ),
        { name: 'CredentialUnavailableError' },
      ),
    );
    expect(missing.message).toBe(
      '--auth azure-cli: the Azure CLI (az) is not installed or not on PATH; install it and run az login, or choose another --auth',
    );
    const login = signInError(
      'azure-cli',
      Object.assign(new Error("Please run 'az login' from a command prompt to authenticate before using this credential."), {
        name: 'CredentialUnavailableError',
      }),
    );
    expect(login.message).toMatch(/not signed in; run az login/);
  });
  it('anything else: the first line without links', () => {
    const e = signInError(
      'managed-identity',
      new Error('ManagedIdentityCredential: no endpoint answered. See https://aka.ms/x for details\nmore text'),
    );
    expect(e.message).toBe('sign-in with --auth managed-identity failed: ManagedIdentityCredential: no endpoint answered. See for details');
  });
});

/** A hostile HTTPS "Graph" on loopback: answers each request with what `handler` says. */
async function hostile(handler: (req: IncomingMessage, res: ServerResponse, self: { url: string; requests: string[] }) => void) {
  const tls = await ensureTestTls();
  const self = { url: '', requests: [] as string[], authorization: [] as Array<string | undefined> };
  const server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    self.requests.push(req.url ?? '');
    self.authorization.push(req.headers.authorization);
    handler(req, res, self);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  self.url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  servers.push(server);
  return self;
}
const servers: https.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

function api(baseUrl: string, over: Partial<ConstructorParameters<typeof GraphApi>[0]> = {}) {
  return new GraphApi({
    baseUrl,
    tokens: { getToken: async () => 'test-token' },
    log: silentLogger,
    journal: new MemoryJournal(),
    readOnly: false,
    resilience: { backoffBaseMs: 1, timeoutMs: 5_000 },
    ...over,
  });
}

describe('GraphApi.list against a hostile server', () => {
  it('refuses a nextLink that points to itself after one page', async () => {
    const g = await hostile((req, res, self) => json(res, 200, { value: [{ id: 'a' }], '@odata.nextLink': `${self.url}${req.url}` }));
    await expect(api(g.url).list('/groups?$skiptoken=x')).rejects.toThrow(/repeats a page already read/);
    expect(g.requests).toHaveLength(1);
  });

  it('refuses two links that point to each other', async () => {
    const g = await hostile((req, res, self) => {
      const other = req.url!.endsWith('=a') ? 'b' : 'a';
      json(res, 200, { value: [], '@odata.nextLink': `${self.url}/v1.0/groups?$skiptoken=${other}` });
    });
    await expect(api(g.url).list('/groups')).rejects.toThrow(/repeats a page already read/);
    expect(g.requests).toHaveLength(3);
  });

  it('stops at the page cap when every link is new', async () => {
    let n = 0;
    const g = await hostile((_req, res, self) =>
      json(res, 200, { value: [{ id: String(n) }], '@odata.nextLink': `${self.url}/v1.0/groups?$skiptoken=${++n}` }),
    );
    await expect(api(g.url, { maxPages: 5 }).list('/groups')).rejects.toThrow(/more than 5 pages/);
    expect(g.requests).toHaveLength(5);
  });

  it('sends no token to another port on the Graph host, and refuses that link', async () => {
    const other = await hostile((_req, res) => json(res, 200, { value: [] }));
    const g = await hostile((_req, res) =>
      json(res, 200, { value: [{ id: 'a' }], '@odata.nextLink': `${other.url}/v1.0/groups?$skiptoken=1` }),
    );
    await expect(api(g.url).list('/groups')).rejects.toThrow(/another origin/);
    expect(g.authorization).toEqual(['Bearer test-token']);
    expect(other.requests).toEqual([]);
  });

  it.each([
    [
      'an HTML page',
      (res: ServerResponse) => (res.writeHead(200, { 'Content-Type': 'text/html' }), res.end('<html><body>Sign in</body></html>')),
      /not JSON \(text\/html/,
    ],
    [
      'truncated JSON',
      (res: ServerResponse) => (res.writeHead(200, { 'Content-Type': 'application/json' }), res.end('{"value":[{"id":"a"')),
      /not JSON/,
    ],
    [
      'JSON sent as text/plain',
      (res: ServerResponse) => (res.writeHead(200, { 'Content-Type': 'text/plain' }), res.end('{"value":[]}')),
      /text\/plain body where JSON was expected/,
    ],
    ['{}', (res: ServerResponse) => json(res, 200, {}), /without a "value" array/],
    [
      'a 200 carrying an error',
      (res: ServerResponse) => json(res, 200, { error: { code: 'Request_ResourceNotFound', message: 'x' } }),
      /an error object \(Request_ResourceNotFound\)/,
    ],
    ['an empty 200', (res: ServerResponse) => (res.writeHead(200), res.end()), /an empty body/],
    ['a JSON array', (res: ServerResponse) => json(res, 200, []), /not an object/],
  ])('refuses %s as a list page', async (_name, answer, reason) => {
    const g = await hostile((_req, res) => answer(res));
    await expect(api(g.url).list('/groups')).rejects.toThrow(reason);
  });

  it('does not follow a redirect, and says where it pointed', async () => {
    const elsewhere = await hostile((_req, res) => json(res, 200, { value: [] }));
    const g = await hostile(
      (req, res) => (res.writeHead(307, { Location: `${elsewhere.url.replace('127.0.0.1', 'localhost')}${req.url}` }), res.end()),
    );
    const err = (await api(g.url)
      .list('/groups')
      .catch((e: unknown) => e)) as Error & { status?: number };
    expect(err.message).toMatch(/answered 307 with a redirect to localhost:\d+; redirects are not followed/);
    expect(err.status).toBe(307);
    expect(elsewhere.requests).toEqual([]);
  });
});

describe('GraphApi.find', () => {
  it('a 404 is "not found" only with Graph\'s error object; a bare 404 page is an error', async () => {
    const g = await hostile((req, res) =>
      req.url!.includes('graph404')
        ? json(res, 404, { error: { code: 'Request_ResourceNotFound', message: 'x' } })
        : (res.writeHead(404, { 'Content-Type': 'text/html' }), res.end('<h1>Not Found</h1>')),
    );
    await expect(api(g.url).find('/servicePrincipals/graph404')).resolves.toBeNull();
    await expect(api(g.url).find('/servicePrincipals/proxy404')).rejects.toThrow(/failed: 404/);
  });
});

describe('GraphApi $batch', () => {
  it('fails at once when a throttled item asks to wait longer than the cap, recording its answer', async () => {
    const g = await hostile((_req, res) =>
      json(res, 200, {
        responses: [
          {
            id: '0',
            status: 429,
            headers: { 'Retry-After': '999999' },
            body: { error: { code: 'TooManyRequests', message: 'slow down' } },
          },
        ],
      }),
    );
    const journal = new MemoryJournal();
    const graph = api(g.url, { journal });
    await expect(graph.writeBatch([{ op: { op: 'group.removeMember', groupId: 'g', memberId: 'm' } }])).rejects.toThrow(
      /\$batch: Graph asked 1 item\(s\) to wait 999999 s \(Retry-After\), longer than the 120 s this tool waits/,
    );
    expect(g.requests).toHaveLength(1);
    expect(JSON.stringify(journal.entries)).toMatch(/"status":429/);
  });

  it('an envelope without responses, or an item id never sent, is an error', async () => {
    const g = await hostile((_req, res) => json(res, 200, { responses: [{ id: '7', status: 204 }] }));
    await expect(api(g.url).writeBatch([{ op: { op: 'group.removeMember', groupId: 'g', memberId: 'm' } }])).rejects.toThrow(
      /matches no request sent/,
    );
    const h = await hostile((_req, res) => json(res, 200, {}));
    await expect(api(h.url).getMany(['/users/u'])).rejects.toThrow(/without a "responses" array/);
  });

  it('a 200 item carrying an error is not a success', async () => {
    const g = await hostile((_req, res) => json(res, 200, { responses: [{ id: '0', status: 200, body: { error: { code: 'x' } } }] }));
    await expect(api(g.url).getMany(['/users/u'])).rejects.toThrow(/UnexpectedResponse/);
  });
});

describe('GraphApi: failures retrying cannot fix are not retried', () => {
  it('an untrusted certificate fails on the first attempt, naming the host', async () => {
    // A certificate nobody trusts (not the test CA that NODE_EXTRA_CA_CERTS names).
    const { generate } = await import('selfsigned');
    const pems = await generate([{ name: 'commonName', value: 'untrusted' }], {
      keySize: 2048,
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    });
    const server = https.createServer({ key: pems.private, cert: pems.cert }, (_req, res) => json(res, 200, { value: [] }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    const host = `127.0.0.1:${(server.address() as { port: number }).port}`;
    const graph = api(`https://${host}`);
    const err = (await graph.list('/groups').catch((e: unknown) => e)) as Error;
    expect(err.name).toBe('TransportError');
    expect(err.message).toBe(
      `the TLS certificate of ${host} is not trusted (DEPTH_ZERO_SELF_SIGNED_CERT): nothing was sent to it; if a proxy re-signs TLS, give its CA in NODE_EXTRA_CA_CERTS`,
    );
    expect(graph.attempts).toBe(1);
  });

  it('a host name that does not resolve fails on the first attempt, naming the host', async () => {
    // .invalid never resolves (RFC 6761).
    const graph = api('https://graph.entra-pim-test.invalid');
    const err = (await graph.list('/groups').catch((e: unknown) => e)) as Error;
    expect(err.name).toBe('TransportError');
    expect(err.message).toBe("cannot resolve graph.entra-pim-test.invalid (DNS: ENOTFOUND): check --graph-endpoint and the machine's DNS");
    expect(graph.attempts).toBe(1);
  });

  it('a refused connection fails on the first attempt, naming the host', async () => {
    const closed = https.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const host = `127.0.0.1:${(closed.address() as { port: number }).port}`;
    await new Promise<void>((r) => closed.close(() => r()));
    const graph = api(`https://${host}`);
    const err = (await graph.list('/groups').catch((e: unknown) => e)) as Error;
    expect(err.message).toBe(`${host} refused the connection (ECONNREFUSED): check --graph-endpoint and any proxy`);
    expect(graph.attempts).toBe(1);
  });

  it('a whole request answered 429 with Retry-After past the cap fails at once', async () => {
    const g = await hostile((_req, res) =>
      json(res, 429, { error: { code: 'TooManyRequests', message: 'x' } }, { 'Retry-After': '999999' }),
    );
    const graph = api(g.url);
    const err = (await graph.list('/groups').catch((e: unknown) => e)) as Error;
    expect(err.message).toBe(
      'GET /v1.0/groups: Graph asked to wait 999999 s (Retry-After), longer than the 120 s this tool waits: try again later',
    );
    expect(g.requests).toHaveLength(1);
  });

  it('a token source that refuses fails once, with its own one-line message', async () => {
    const g = await hostile((_req, res) => json(res, 200, { value: [] }));
    let calls = 0;
    const graph = api(g.url, {
      tokens: {
        getToken: async () => {
          calls++;
          throw new SignInError('sign-in with --auth client-secret was refused: AADSTS7000215: Invalid client secret provided');
        },
      },
    });
    const err = (await graph.list('/groups').catch((e: unknown) => e)) as Error;
    expect(err.name).toBe('SignInError');
    expect(err.message).toBe('sign-in with --auth client-secret was refused: AADSTS7000215: Invalid client secret provided');
    expect(calls).toBe(1);
    expect(g.requests).toEqual([]);
  });
});
