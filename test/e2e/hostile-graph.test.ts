import { afterEach, describe, expect, it } from 'vitest';
import https from 'node:https';
import { readFile } from 'node:fs/promises';
import { CONTOSO, contosoSeed, withManyMembers, type FaultRule, type SimulatedTenant } from '../../src/sim/index.js';
import { runCli } from '../support/cli.js';
import { args, closeSimsAfterEach, G, journalPath, startSim, tokenEnv } from '../support/sim.js';
import { ensureTestTls } from '../support/tls.js';

closeSimsAfterEach();

/**
 * Graph answers the tool must not trust, served by the simulated tenant's fault injection on
 * the admin group's member list: every one must end in exit 1 with one clear line, never
 * "compliant" and never a write.
 */
const members = (sim: SimulatedTenant) => [...(sim.snapshot().groups.find((g) => g.id === G)?.members ?? [])].sort();
const MEMBERS = new RegExp(`^/groups/${G}/members`);
const onMembers = (respond: FaultRule['respond']): FaultRule => ({ method: 'GET', path: MEMBERS, times: Infinity, respond });

/** A second HTTPS server (another origin) that records what reaches it and answers an empty list. */
const others: https.Server[] = [];
afterEach(() => {
  for (const s of others.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});
async function elsewhere(): Promise<{ port: number; seen: Array<{ url?: string; authorization?: string }> }> {
  const tls = await ensureTestTls();
  const seen: Array<{ url?: string; authorization?: string }> = [];
  const server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    seen.push({ url: req.url, authorization: req.headers.authorization });
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{"value":[]}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  others.push(server);
  return { port: (server.address() as { port: number }).port, seen };
}

async function expectRefused(sim: SimulatedTenant, reason: RegExp): Promise<void> {
  const env = await tokenEnv(sim);
  const before = members(sim);
  expect(before.length).toBeGreaterThan(0);
  const audit = await runCli(['audit', ...args(sim, ['--json'])], env, { timeoutMs: 30_000 });
  expect(audit.code, audit.stderr).toBe(1);
  expect(JSON.parse(audit.stdout).status).toBe('failed');
  expect(audit.stderr).toMatch(reason);
  const run = await runCli(args(sim, ['--yes', '--journal', await journalPath()]), env, { timeoutMs: 30_000 });
  expect(run.code, run.stderr).toBe(1);
  expect(run.stderr).toMatch(reason);
  expect(sim.writes()).toEqual([]);
  expect(members(sim)).toEqual(before);
}

describe('a member list Graph did not answer as documented is an error, never an empty group', () => {
  it.each([
    [
      'an HTML page',
      { status: 200, headers: { 'Content-Type': 'text/html; charset=utf-8' }, body: '<html><body>Please sign in</body></html>' },
      /answered 200 with a body that is not JSON \(text\/html/,
    ],
    ['truncated JSON', { status: 200, body: '{"value":[{"id":"' }, /answered 200 with a body that is not JSON/],
    [
      'non-JSON text',
      { status: 200, headers: { 'Content-Type': 'text/plain' }, body: 'OK' },
      /answered 200 with a body that is not JSON \(text\/plain/,
    ],
    ['{}', { status: 200, body: {} }, /answered 200 with a list page without a "value" array/],
    [
      'a 200 carrying an error',
      { status: 200, body: { error: { code: 'Request_ResourceNotFound', message: 'gone' } } },
      /answered 200 with an error object \(Request_ResourceNotFound\)/,
    ],
  ])('%s', async (_name, respond, reason) => {
    await expectRefused(await startSim(contosoSeed(), [onMembers(respond)]), reason);
  });

  it('a 307 to another host that serves {"value":[]} is not followed', async () => {
    const other = await elsewhere();
    const sim = await startSim(contosoSeed(), [
      onMembers({ status: 307, headers: { Location: `https://localhost:${other.port}/beta/groups/${G}/members` } }),
    ]);
    await expectRefused(sim, new RegExp(`answered 307 with a redirect to localhost:${other.port}; redirects are not followed`));
    expect(other.seen).toEqual([]);
  });
});

describe('@odata.nextLink', () => {
  const page = (link: string) => ({
    status: 200,
    body: { value: [{ '@odata.type': '#microsoft.graph.user', id: CONTOSO.users.carol }], '@odata.nextLink': link },
  });

  it('a link to itself: refused after one page, no loop', async () => {
    const sim = await startSim();
    const self = `${sim.url}/beta/groups/${G}/members?$skiptoken=loop`;
    sim.setFaults([onMembers(page(self))]);
    await expectRefused(sim, /an @odata\.nextLink that repeats a page already read/);
  });

  it('two links pointing to each other: refused', async () => {
    const sim = await startSim();
    const link = (t: string) => `${sim.url}/beta/groups/${G}/members?$skiptoken=${t}`;
    sim.setFaults([
      { method: 'GET', path: /\$skiptoken=a$/, times: Infinity, respond: page(link('b')) },
      { method: 'GET', path: /\$skiptoken=b$/, times: Infinity, respond: page(link('a')) },
      onMembers(page(link('a'))),
    ]);
    await expectRefused(sim, /an @odata\.nextLink that repeats a page already read/);
  });

  it('a link to another port on the Graph host gets no token and is refused', async () => {
    const other = await elsewhere();
    const sim = await startSim(contosoSeed(), [onMembers(page(`https://127.0.0.1:${other.port}/beta/groups/${G}/members?$skiptoken=x`))]);
    await expectRefused(sim, new RegExp(`an @odata\\.nextLink that points to another origin \\(https://127\\.0\\.0\\.1:${other.port}\\)`));
    expect(other.seen).toEqual([]);
  });

  it('a link to another collection on Graph is refused', async () => {
    const sim = await startSim();
    sim.setFaults([onMembers(page(`${sim.url}/beta/users?$skiptoken=x`))]);
    await expectRefused(sim, /an @odata\.nextLink that leaves the collection's path/);
  });
});

describe('throttling and failures retrying cannot fix', () => {
  it('a $batch item answered 429 with Retry-After 999999 stops the run at once with a clear message', async () => {
    const sim = await startSim(contosoSeed(), [
      {
        method: 'DELETE',
        path: /\/members\/[^/]+\/\$ref$/,
        times: Infinity,
        respond: { status: 429, headers: { 'Retry-After': '999999' }, body: { error: { code: 'TooManyRequests', message: 'slow down' } } },
      },
    ]);
    const before = members(sim);
    const journal = await journalPath();
    const res = await runCli(args(sim, ['--yes', '--json', '--journal', journal]), await tokenEnv(sim), { timeoutMs: 30_000 });
    expect(res.code, res.stderr).toBe(1);
    expect(res.stderr).toMatch(/Graph asked 2 item\(s\) to wait 999999 s \(Retry-After\), longer than the 120 s this tool waits/);
    expect(members(sim)).toEqual(before);
    // One envelope: nothing was sent again.
    expect(sim.requests.filter((r) => r.method === 'DELETE')).toHaveLength(before.length);
    // Each throttled removal's answer is in the journal: answered 429, not applied.
    const answers = (await readFile(journal, 'utf8')).split('\n').filter((l) => l.includes('"status":429'));
    expect(answers).toHaveLength(before.length);
  });

  it('with many envelopes, one item over the Retry-After cap stops every envelope not yet sent, and the journal matches what Graph did', async () => {
    // 402 members: 21 envelopes, at most 4 in flight. One item is throttled for days.
    const sim = await startSim(withManyMembers(contosoSeed(), G, 400), [
      {
        method: 'DELETE',
        path: /\/members\/[^/]+\/\$ref$/,
        times: 1,
        respond: { status: 429, headers: { 'Retry-After': '999999' }, body: { error: { code: 'TooManyRequests', message: 'slow down' } } },
      },
    ]);
    const before = members(sim);
    const journal = await journalPath();
    const res = await runCli(args(sim, ['--yes', '--json', '--journal', journal]), await tokenEnv(sim), { timeoutMs: 60_000 });
    expect(res.code, res.stderr).toBe(1);
    expect(res.stderr).toMatch(/longer than the 120 s this tool waits/);
    // Only the envelopes in flight when the throttled one came back were sent: none after it.
    const envelopes = sim.requests.filter((r) => r.method === 'POST' && r.path === '/v1.0/$batch' && !r.batchItem);
    const removalEnvelopes = envelopes.filter((r) =>
      (r.body as { requests: Array<{ method: string }> }).requests.some((i) => i.method === 'DELETE'),
    );
    expect(removalEnvelopes.length).toBeLessThanOrEqual(4);
    const removed = before.filter((m) => !members(sim).includes(m));
    expect(removed.length).toBeLessThanOrEqual(4 * 20 - 1);
    // Every member Graph removed is journaled as removed; nothing is journaled as removed that was not.
    const answers = (await readFile(journal, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; seq?: number; status?: number; request?: { url: string } });
    const urls = new Map(
      answers.filter((e) => e.type === 'before' && e.request!.url.endsWith('/$ref')).map((e) => [e.seq, e.request!.url]),
    );
    const done = answers
      .filter((e) => e.type === 'after' && e.status === 204 && urls.has(e.seq))
      .map((e) => urls.get(e.seq)!.split('/')[4]);
    expect(done.sort()).toEqual(removed.sort());
  });

  it('an untrusted certificate: one attempt, one line naming the host', async () => {
    const sim = await startSim();
    const host = new URL(sim.url).host;
    const res = await runCli(
      ['audit', ...args(sim, ['--verbose'])],
      { ...(await tokenEnv(sim)), NODE_EXTRA_CA_CERTS: undefined },
      { timeoutMs: 30_000 },
    );
    expect(res.code).toBe(1);
    const last = res.stderr.trim().split('\n').at(-1)!;
    expect(last).toBe(
      `error: the TLS certificate of ${host} is not trusted (DEPTH_ZERO_SELF_SIGNED_CERT): nothing was sent to it; if a proxy re-signs TLS, give its CA in NODE_EXTRA_CA_CERTS`,
    );
    // --verbose logs one line per attempt: no request was tried twice.
    const attempts = res.stderr.split('\n').filter((l) => /GET \/v1\.0\//.test(l));
    expect(new Set(attempts).size).toBe(attempts.length);
    expect(sim.requests).toEqual([]);
  });

  it('an endpoint that does not resolve: one line naming the host, no retries', async () => {
    const res = await runCli(
      [
        'audit',
        '--tenant-id',
        CONTOSO.tenantId,
        '--graph-endpoint',
        'https://graph.entra-pim-test.invalid',
        '--app-id',
        CONTOSO.keycloakAppId,
        '--group',
        'tenant-admin',
        '--skip-keycloak',
        '--verbose',
      ],
      {
        ENTRA_PIM_ACCESS_TOKEN: 'x.eyJ9.x',
      },
    );
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n').at(-1)).toBe(
      "error: cannot resolve graph.entra-pim-test.invalid (DNS: ENOTFOUND): check --graph-endpoint and the machine's DNS",
    );
    expect(res.stderr).not.toMatch(/attempts/);
  });

  it('a refused client secret: one token request, one line with the AADSTS code and the fix', async () => {
    const sim = await startSim();
    const res = await runCli(['audit', ...args(sim, ['--auth', 'client-secret'])], {
      AZURE_CLIENT_ID: CONTOSO.automation.clientId,
      AZURE_CLIENT_SECRET: 'wrong-secret-value',
      AZURE_AUTHORITY_HOST: sim.url,
    });
    expect(res.code).toBe(1);
    const last = res.stderr.trim().split('\n').at(-1)!;
    expect(last).toMatch(/^error: sign-in with --auth client-secret was refused: AADSTS7000215: [^;]+; check AZURE_CLIENT_SECRET/);
    expect(last).not.toMatch(/https?:\/\/|Trace ID/);
    expect(last.length).toBeLessThan(220);
    expect(sim.requests.filter((r) => r.path.includes('/oauth2/v2.0/token'))).toHaveLength(1);
    expect(sim.requests.filter((r) => /^\/(v1\.0|beta)\//.test(r.path))).toEqual([]);
  });

  it('no Azure CLI on PATH: one line naming the fix, at once', async () => {
    const sim = await startSim();
    const res = await runCli(['audit', ...args(sim, ['--auth', 'azure-cli'])], { PATH: '/nonexistent' });
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n').at(-1)).toBe(
      'error: --auth azure-cli: the Azure CLI (az) is not installed or not on PATH; install it and run az login, or choose another --auth',
    );
    expect(sim.requests).toEqual([]);
  });
});
