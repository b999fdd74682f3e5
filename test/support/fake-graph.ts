import { GraphRequestError } from '../../src/errors.js';
import type { GraphApi, GraphResponse, BatchItemResult } from '../../src/graph/graph-api.js';
import type { HttpRequest } from '../../src/core/http.js';
import { graphRequest, type GraphWrite } from '../../src/graph/writes.js';
import type { RunContext, RunOptions } from '../../src/context.js';
import { MemoryJournal } from '../../src/journal.js';
import { silentLogger } from '../../src/ui/log.js';
import { nonInteractivePrompter } from '../../src/ui/prompt.js';
import type { PrerequisiteFacts, TenantSnapshot } from '../../src/steps/snapshot.js';

/** The clock of fakeContext and snapshotOf unless a test gives another. */
export const FAKE_NOW = new Date('2026-12-01T10:00:00Z');

/**
 * In-memory stand-in for GraphApi in plan() unit tests: reads are answered from a table of
 * decoded URLs (exact match, or a prefix ending in `*`); writes are recorded, never sent.
 */
export class FakeGraph {
  readonly writes: HttpRequest[] = [];
  readonly reads: string[] = [];
  constructor(
    private readonly table: Record<string, unknown>,
    private readonly tokenValue = 'x.eyJ9.x',
  ) {}

  private lookup(url: string): unknown {
    const decoded = decodeURIComponent(url);
    this.reads.push(decoded);
    if (decoded in this.table) return this.table[decoded];
    const prefix = Object.keys(this.table).find((k) => k.endsWith('*') && decoded.startsWith(k.slice(0, -1)));
    return prefix ? this.table[prefix] : undefined;
  }

  async get<T>(url: string): Promise<T> {
    const v = this.lookup(url);
    if (v === undefined) throw new GraphRequestError(`404 ${url}`, 404, 'Request_ResourceNotFound', 'GET', url);
    return v as T;
  }
  async find<T>(url: string): Promise<T | null> {
    return (this.lookup(url) as T | undefined) ?? null;
  }
  async list<T>(url: string): Promise<T[]> {
    const v = this.lookup(url);
    if (v === undefined) throw new GraphRequestError(`404 ${url}`, 404, 'Request_ResourceNotFound', 'GET', url);
    return v as T[];
  }
  async getMany<T>(urls: string[]): Promise<Array<T | null>> {
    return urls.map((u) => (this.lookup(u) as T | undefined) ?? null);
  }
  async getManySettled<T>(urls: string[]): Promise<Array<GraphResponse<T>>> {
    return urls.map((u) => {
      const v = this.lookup(u) as T | undefined;
      return v === undefined ? { status: 404, body: undefined as T } : { status: 200, body: v };
    });
  }
  async write(op: GraphWrite): Promise<GraphResponse> {
    this.writes.push(graphRequest(op));
    return { status: 204, body: undefined };
  }
  async writeBatch(items: Array<{ op: GraphWrite }>): Promise<BatchItemResult[]> {
    return items.map((i) => {
      const request = graphRequest(i.op);
      this.writes.push(request);
      return { request, status: 204, body: undefined };
    });
  }
  async token(): Promise<string> {
    return this.tokenValue;
  }
  error(req: HttpRequest, res: { status: number }): Error {
    return new GraphRequestError(`${req.method} ${req.url} ${res.status}`, res.status, undefined, req.method, req.url);
  }
}

export function baseOptions(over: Partial<RunOptions> = {}): RunOptions {
  return {
    mode: 'audit',
    tenantId: '8f2d6a3c-1b4e-4c5d-9e7f-0a1b2c3d4e5f',
    appId: '11111111-2222-3333-4444-555555555555',
    group: 'tenant-admin',
    eligible: [],
    justification: 'test',
    policy: { approvers: [] },
    allowEmpty: false,
    yes: false,
    interactive: false,
    skipKeycloak: true,
    fixKeycloak: false,
    ...over,
  };
}

export function fakeContext(graph: FakeGraph, over: Partial<RunOptions> = {}, now = FAKE_NOW): RunContext {
  return {
    options: baseOptions(over),
    graph: graph as unknown as GraphApi,
    journal: new MemoryJournal(),
    log: silentLogger,
    prompt: nonInteractivePrompter(false),
    now: () => now,
  };
}

/**
 * A snapshot given as data, as the read phase would leave it: what prerequisites found, and any
 * other read (`pim`, `members`, …) in `over`. Parts left out were not read.
 */
export function snapshotOf(facts: PrerequisiteFacts, over: Partial<TenantSnapshot> = {}, now = FAKE_NOW): TenantSnapshot {
  return { tenantId: baseOptions().tenantId, now, facts, prerequisites: {}, ...over };
}
