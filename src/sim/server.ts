import { EventEmitter } from 'node:events';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { authenticate } from './auth.js';
import { GraphError, defaultCodeForStatus, graphErrorBody } from './errors.js';
import type { FaultInjector, FaultResponse } from './faults.js';
import { newGuid } from './ids.js';
import { handleOAuth } from './oauth.js';
import { authorize, type AuthInfo } from './permissions.js';
import { Router, type SimResponse } from './router.js';
import { registerAppRoutes } from './routes-apps.js';
import { registerDirectoryRoutes } from './routes-directory.js';
import { registerPimRoutes } from './routes-pim.js';
import { registerPolicyRoutes } from './routes-policy.js';
import type { TenantState } from './state.js';
import type { GraphThrottle } from './throttle.js';
import type { TokenService } from './tokens.js';

/** One HTTP request (or one `$batch` item) as the sim saw it. */
export interface RecordedRequest {
  method: string;
  /** Decoded path and query without origin, e.g. `/v1.0/groups/{id}/members/{mid}/$ref`. */
  path: string;
  body?: unknown;
  /** Response status; 0 while pending, or when the connection was dropped or left hanging. */
  status: number;
  batchItem?: boolean;
  /** Epoch milliseconds (real time) when the request arrived. */
  time: number;
}

export interface ServerOptions {
  state: TenantState;
  tokens: TokenService;
  faults: FaultInjector;
  tls: { key: string; cert: string };
  host: string;
  port: number;
  latencyMs: number;
  pageSize: number;
  /** Graph's documented identity-and-access limits, when a test turns them on. */
  throttle?: GraphThrottle;
}

// Learn "JSON batching" (json-batching), Batch size limitations: at most 20 requests per batch.
const MAX_BATCH = 20;
// Learn "JSON batching": the Content-Type Graph writes on JSON answers (the batch example's items carry it).
const GRAPH_JSON = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

interface GraphCall {
  method: string;
  /** Decoded path without version and query. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: unknown;
  version: 'v1.0' | 'beta';
}

type Outcome = { kind: 'respond'; response: SimResponse } | { kind: 'drop' } | { kind: 'hang' };

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function lowerHeaders(h: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h ?? {})) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
  return out;
}

/** Parses a request body for routing and recording (form bodies have secrets masked in the record). */
function parseBody(raw: string, contentType: string | undefined): { parsed: unknown; recorded: unknown; invalidJson: boolean } {
  if (raw === '') return { parsed: undefined, recorded: undefined, invalidJson: false };
  if (contentType?.includes('application/x-www-form-urlencoded')) {
    const form = Object.fromEntries(new URLSearchParams(raw));
    const recorded = { ...form };
    for (const k of ['client_secret', 'client_assertion', 'password', 'refresh_token', 'device_code'])
      if (k in recorded) recorded[k] = '***';
    return { parsed: form, recorded, invalidJson: false };
  }
  try {
    const parsed = JSON.parse(raw) as unknown;
    return { parsed, recorded: parsed, invalidJson: false };
  } catch {
    return { parsed: raw, recorded: raw, invalidJson: true };
  }
}

/** HTTPS front end of the simulated tenant. */
export class SimServer {
  readonly requests: RecordedRequest[] = [];
  /** Emits `request` with each RecordedRequest as soon as it is recorded (before it is answered). */
  readonly events = new EventEmitter();
  readonly router = new Router();
  private server?: https.Server;
  private readonly hanging = new Set<ServerResponse>();
  origin = '';
  /** HTTP requests received and not yet answered (a `$batch` envelope counts once). */
  inFlight = 0;
  /** The most requests ever in flight at once: the client's concurrency bound, seen from the server. */
  maxInFlight = 0;

  constructor(private readonly opts: ServerOptions) {
    registerDirectoryRoutes(this.router);
    registerAppRoutes(this.router);
    registerPimRoutes(this.router);
    registerPolicyRoutes(this.router);
  }

  /** Starts listening; resolves with the origin. */
  async listen(): Promise<string> {
    const server = https.createServer({ key: this.opts.tls.key, cert: this.opts.tls.cert }, (req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'Content-Type': 'text/plain' });
          res.end(`simulation error: ${e instanceof Error ? e.stack : String(e)}`);
        }
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const host = this.opts.host.includes(':') ? `[${this.opts.host}]` : this.opts.host;
    this.origin = `https://${host}:${port}`;
    return this.origin;
  }

  /** Stops the server, cutting hanging and keep-alive connections. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  private record(r: RecordedRequest): void {
    this.requests.push(r);
    this.events.emit('request', r);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Counted from arrival until the answer is handed to the socket (or the exchange is cut),
    // so latency injected below counts as time in flight, as it would on a slow network.
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      this.inFlight--;
    };
    res.once('close', settle);
    try {
      await this.answer(req, res);
    } finally {
      // A hanging exchange stays in flight until its connection closes.
      if (!this.hanging.has(res)) settle();
    }
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'https://sim.invalid');
    const path = safeDecode(url.pathname);
    const search = safeDecode(url.search);
    const headers = lowerHeaders(req.headers as Record<string, unknown>);
    const body = parseBody(raw, headers['content-type']);
    const record: RecordedRequest = { method, path: path + search, status: 0, time: Date.now() };
    if (body.recorded !== undefined) record.body = body.recorded;
    this.record(record);

    const versionMatch = /^\/(v1\.0|beta)(\/.*)?$/i.exec(path);
    const faultPath = (versionMatch ? (versionMatch[2] ?? '/') : path) + search;
    const fault = this.opts.faults.match(method, faultPath);
    const clientRequestId = headers['client-request-id'] ?? newGuid();

    let outcome: Outcome;
    if (fault) {
      outcome = this.faultOutcome(fault, clientRequestId);
    } else if (versionMatch) {
      const version = versionMatch[1].toLowerCase() === 'beta' ? 'beta' : 'v1.0';
      const call: GraphCall = { method, path: versionMatch[2] ?? '/', query: url.searchParams, headers, body: body.parsed, version };
      if (body.invalidJson) {
        // Status only from Learn "Microsoft Graph error responses" (errors): 400 for a malformed
        // request; code and wording are ASSUMPTIONS.md (Transport: unreadable JSON body).
        outcome = {
          kind: 'respond',
          response: this.errorResponse(
            new GraphError(
              400,
              'BadRequest',
              'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
            ),
            clientRequestId,
          ),
        };
      } else {
        outcome = await this.graphRequest(call, clientRequestId);
      }
    } else {
      // Neither Graph nor a sign-in endpoint: ASSUMPTIONS.md (Transport: neither Graph nor sign-in).
      const oauth = await handleOAuth({
        method,
        path,
        rawBody: raw,
        headers,
        state: this.opts.state,
        tokens: this.opts.tokens,
        origin: this.origin,
        query: url.searchParams,
      });
      outcome = {
        kind: 'respond',
        response: oauth ?? this.errorResponse(new GraphError(404, 'NotFound', `No endpoint at '${path}'.`), clientRequestId),
      };
    }

    if (outcome.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    if (outcome.kind === 'hang') {
      this.hanging.add(res);
      res.on('close', () => this.hanging.delete(res));
      return;
    }
    if (this.opts.latencyMs > 0) await new Promise((r) => setTimeout(r, this.opts.latencyMs));
    const { status, headers: extra, body: resBody } = outcome.response;
    record.status = status;
    const out: Record<string, string> = {
      'request-id': newGuid(),
      'client-request-id': clientRequestId,
      ...(extra ?? {}),
    };
    if (resBody !== undefined && !Object.keys(out).some((k) => k.toLowerCase() === 'content-type')) {
      out['Content-Type'] = versionMatch ? GRAPH_JSON : 'application/json; charset=utf-8';
    }
    // Learn "JSON batching": the example's Graph answers carry `OData-Version: 4.0`.
    if (versionMatch) out['OData-Version'] = '4.0';
    res.writeHead(status, out);
    res.end(resBody === undefined ? undefined : typeof resBody === 'string' ? resBody : JSON.stringify(resBody));
  }

  /** A test-injected answer; codes for a bare status are ASSUMPTIONS.md (Transport: fault rules without a body). */
  private faultOutcome(fault: FaultResponse, clientRequestId: string): Outcome {
    if ('drop' in fault) return { kind: 'drop' };
    if ('hang' in fault) return { kind: 'hang' };
    let body = fault.body;
    if (body === undefined && fault.status >= 400) {
      const d = defaultCodeForStatus(fault.status);
      body = graphErrorBody(d.code, d.message, newGuid(), clientRequestId, this.opts.state.clock.now());
    }
    return { kind: 'respond', response: { status: fault.status, headers: { ...(fault.headers ?? {}) }, body } };
  }

  private errorResponse(e: GraphError, clientRequestId: string): SimResponse {
    return {
      status: e.status,
      headers: { ...e.headers },
      body: graphErrorBody(e.code, e.message, newGuid(), clientRequestId, this.opts.state.clock.now()),
    };
  }

  private async graphRequest(call: GraphCall, clientRequestId: string): Promise<Outcome> {
    let auth: AuthInfo;
    // Learn "Resolve Microsoft Graph authorization errors" (resolve-auth-errors): a missing,
    // invalid or expired access token is a 401, checked before anything else (including $batch).
    try {
      auth = await authenticate(this.opts.tokens, this.opts.state, this.origin, call.headers['authorization']);
    } catch (e) {
      if (e instanceof GraphError) return { kind: 'respond', response: this.errorResponse(e, clientRequestId) };
      throw e;
    }
    if (call.path === '/$batch') {
      // Learn "JSON batching": the batch is sent with POST. The 405 code and wording for other
      // methods are those of the page's example item 4 (ASSUMPTIONS.md, Transport: 405).
      if (call.method !== 'POST') {
        return {
          kind: 'respond',
          response: this.errorResponse(
            new GraphError(405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request target.'),
            clientRequestId,
          ),
        };
      }
      return this.batch(call, auth, clientRequestId);
    }
    return { kind: 'respond', response: await this.throttledRoute(call, auth, clientRequestId) };
  }

  /** Routes a call through the throttle (when on): a 429 with its headers, or the answer with `x-ms-resource-unit` & co. */
  private async throttledRoute(call: GraphCall, auth: AuthInfo, clientRequestId: string): Promise<SimResponse> {
    const decision = this.opts.throttle?.check(auth.appid, call.method, call.path, call.query);
    if (decision?.throttled) {
      // Learn "Microsoft Graph throttling guidance": 429 Too Many Requests with Retry-After.
      const d = defaultCodeForStatus(429);
      return this.errorResponse(new GraphError(429, d.code, d.message, decision.headers), clientRequestId);
    }
    const response = await this.route(call, auth, clientRequestId);
    return decision ? { ...response, headers: { ...(response.headers ?? {}), ...decision.headers } } : response;
  }

  /** Routes one Graph call (top-level or batch item) and turns thrown errors into responses. */
  private async route(call: GraphCall, auth: AuthInfo, clientRequestId: string): Promise<SimResponse> {
    try {
      const { handler, params } = this.router.resolve(call.method, call.path);
      const state = this.opts.state;
      return await handler({
        state,
        method: call.method,
        path: call.path,
        params,
        query: call.query,
        headers: call.headers,
        body: call.body,
        auth,
        version: call.version,
        origin: this.origin,
        pageSize: this.opts.pageSize,
        authorize: (key, opts) => authorize(state, auth, key, opts),
      });
    } catch (e) {
      if (e instanceof GraphError) return this.errorResponse(e, clientRequestId);
      throw e;
    }
  }

  /**
   * JSON batching: each item routed, authorised, fault-injected and recorded on its own. A
   * drop/hang fault on an item applies to the whole HTTP exchange, since an item cannot hang alone.
   * Learn "JSON batching" (json-batching), Processing the JSON batch response: a malformed batch is
   * a 400 for the whole envelope; a parseable one is 200 whatever its items did, each item
   * carrying its own `status`. Order of execution and wording: ASSUMPTIONS.md (Batch).
   */
  private async batch(call: GraphCall, auth: AuthInfo, clientRequestId: string): Promise<Outcome> {
    const fail = (message: string): Outcome => ({
      kind: 'respond',
      response: this.errorResponse(new GraphError(400, 'BadRequest', message), clientRequestId),
    });
    const b = call.body as { requests?: unknown } | undefined;
    if (!b || typeof b !== 'object' || !Array.isArray(b.requests)) return fail('Invalid batch payload format.');
    const items = b.requests as Record<string, unknown>[];
    if (items.length === 0) return fail('Invalid batch payload format: the batch contains no requests.');
    if (items.length > MAX_BATCH) return fail(`The batch request exceeds the limit of ${MAX_BATCH} requests.`);
    // Learn "JSON batching", request properties: `id`, `method` and `url` are required; `id` is
    // not case-sensitive and must be unique in the batch, otherwise the batch fails with 400.
    const ids = new Set<string>();
    for (const item of items) {
      if (
        !item ||
        typeof item !== 'object' ||
        typeof item.id !== 'string' ||
        item.id === '' ||
        typeof item.url !== 'string' ||
        typeof item.method !== 'string'
      ) {
        return fail("Invalid batch payload format: every request needs 'id', 'method' and 'url'.");
      }
      const key = item.id.toLowerCase();
      if (ids.has(key)) return fail(`Duplicate request id '${item.id}' in batch.`);
      const deps = item.dependsOn;
      if (deps !== undefined && (!Array.isArray(deps) || deps.some((d) => typeof d !== 'string' || !ids.has(d.toLowerCase())))) {
        return fail(`Request '${item.id}' depends on an unknown or later request.`);
      }
      ids.add(key);
    }

    const statuses = new Map<string, number>();
    const responses: Record<string, unknown>[] = [];
    for (const item of items) {
      const id = item.id as string;
      const method = (item.method as string).toUpperCase();
      const rawUrl = item.url as string;
      const itemHeaders = lowerHeaders(item.headers as Record<string, unknown> | undefined);
      const url = new URL(rawUrl.startsWith('/') ? rawUrl : `/${rawUrl}`, 'https://sim.invalid');
      const path = safeDecode(url.pathname);
      const search = safeDecode(url.search);
      const record: RecordedRequest = { method, path: `/${call.version}${path}${search}`, status: 0, batchItem: true, time: Date.now() };
      if (item.body !== undefined) record.body = item.body;
      this.record(record);

      let response: SimResponse;
      const deps = (item.dependsOn as string[] | undefined) ?? [];
      const failedDep = deps.find((d) => (statuses.get(d.toLowerCase()) ?? 0) >= 400 || (statuses.get(d.toLowerCase()) ?? 0) === 0);
      // Learn "JSON batching", Sequencing requests with the dependsOn property: a request whose
      // dependency failed fails with 424 Failed Dependency (code, wording: ASSUMPTIONS.md, Batch).
      if (failedDep !== undefined) {
        response = this.errorResponse(
          new GraphError(424, 'FailedDependency', `Request '${id}' depends on request '${failedDep}', which failed.`),
          clientRequestId,
        );
      } else if (/^https?:/i.test(rawUrl)) {
        // Learn "JSON batching": `url` is the relative resource URL (`/users`, not the absolute one).
        response = this.errorResponse(new GraphError(400, 'BadRequest', 'Batch request URLs must be relative.'), clientRequestId);
      } else {
        const fault = this.opts.faults.match(method, path + search);
        if (fault && ('drop' in fault || 'hang' in fault)) return this.faultOutcome(fault, clientRequestId);
        if (fault) {
          const f = this.faultOutcome(fault, clientRequestId) as { kind: 'respond'; response: SimResponse };
          response = f.response;
        } else if (item.body !== undefined && !itemHeaders['content-type']) {
          // Learn "JSON batching": when a body is supplied, `headers` must hold a Content-Type.
          response = this.errorResponse(
            new GraphError(400, 'BadRequest', 'A Content-Type header is required for batch requests that have a body.'),
            clientRequestId,
          );
        } else if (path === '/$batch') {
          response = this.errorResponse(new GraphError(400, 'BadRequest', 'Nested batch requests are not supported.'), clientRequestId);
        } else {
          response = await this.throttledRoute(
            { method, path, query: url.searchParams, headers: itemHeaders, body: item.body, version: call.version },
            auth,
            clientRequestId,
          );
        }
      }
      record.status = response.status;
      statuses.set(id.toLowerCase(), response.status);
      // Learn "JSON batching": each item answers `id`, `status` and the server's `headers` (with
      // Content-Type where there is a body) in place of `method` and `url`.
      const headers: Record<string, string> = { ...(response.headers ?? {}) };
      if (response.body !== undefined) headers['Content-Type'] ??= GRAPH_JSON;
      const out: Record<string, unknown> = { id, status: response.status, headers };
      if (response.body !== undefined) out.body = response.body;
      responses.push(out);
    }
    return { kind: 'respond', response: { status: 200, body: { responses } } };
  }
}
