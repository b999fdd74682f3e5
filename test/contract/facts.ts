import { CONTOSO, contosoSeed, SimulatedTenant, type TenantSeed } from '../../src/sim/index.js';
import { GraphApi } from '../../src/graph/graph-api.js';
import { MemoryJournal } from '../../src/journal.js';
import { silentLogger } from '../../src/ui/log.js';
import { ensureTestTls } from '../support/tls.js';

/**
 * Facts about a documented example response, written here: for each property the JSON type
 * (or types) the example shows, or the enum values exactly as the example writes them.
 * `checkFacts` compares a real answer with them and lists every difference.
 */
export type Fact =
  | 'string'
  | 'number'
  | 'boolean'
  | 'null'
  | 'array'
  | 'object'
  | `${string}|${string}`
  | { oneOf: readonly unknown[] }
  | { shape: Facts }
  | { arrayOf: Fact };

export type Facts = Record<string, Fact>;

/** An enum as the documentation writes it (case-sensitive). */
export const oneOf = (...values: unknown[]): Fact => ({ oneOf: values });
export const shape = (facts: Facts): Fact => ({ shape: facts });
export const arrayOf = (fact: Fact): Fact => ({ arrayOf: fact });

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function check(value: unknown, fact: Fact, at: string, out: string[]): void {
  if (typeof fact === 'string') {
    const allowed = fact.split('|');
    if (!allowed.includes(jsonType(value))) out.push(`${at}: expected ${fact}, got ${jsonType(value)} ${JSON.stringify(value)}`);
    return;
  }
  if ('oneOf' in fact) {
    if (!fact.oneOf.includes(value)) out.push(`${at}: expected one of ${JSON.stringify(fact.oneOf)}, got ${JSON.stringify(value)}`);
    return;
  }
  if ('shape' in fact) {
    if (jsonType(value) !== 'object') {
      out.push(`${at}: expected object, got ${jsonType(value)}`);
      return;
    }
    for (const m of checkFacts(value as Record<string, unknown>, fact.shape)) out.push(`${at}.${m}`);
    return;
  }
  if (!Array.isArray(value)) {
    out.push(`${at}: expected array, got ${jsonType(value)}`);
    return;
  }
  value.forEach((item, i) => check(item, fact.arrayOf, `${at}[${i}]`, out));
}

/** Every way `obj` differs from the documented facts (missing property, type, enum casing). */
export function checkFacts(obj: Record<string, unknown> | undefined, facts: Facts): string[] {
  const out: string[] = [];
  if (!obj) return ['(no body)'];
  for (const [key, fact] of Object.entries(facts)) {
    if (!(key in obj)) {
      out.push(`${key}: missing`);
      continue;
    }
    check(obj[key], fact, key, out);
  }
  return out;
}

/** Facts of a collection page: `@odata.context` ending in `fragment`, and `value` items. */
export function checkCollection(body: Record<string, unknown> | undefined, contextFragment: string, item: Facts): string[] {
  const out = checkFacts(body, { '@odata.context': 'string', value: 'array' });
  if (out.length) return out;
  const ctx = String(body!['@odata.context']);
  if (!ctx.endsWith(`/$metadata#${contextFragment}`)) out.push(`@odata.context: expected …/$metadata#${contextFragment}, got ${ctx}`);
  const value = body!.value as Record<string, unknown>[];
  if (value.length === 0) out.push('value: empty (the contract test needs at least one item)');
  value.forEach((v, i) => out.push(...checkFacts(v, item).map((m) => `value[${i}].${m}`)));
  return out;
}

const started: SimulatedTenant[] = [];

/** A simulated Contoso tenant (closed by `closeSims`). */
export async function sim(seed: TenantSeed = contosoSeed()): Promise<SimulatedTenant> {
  const s = await SimulatedTenant.start({ seed, tls: await ensureTestTls(), oidcHttp: false });
  started.push(s);
  return s;
}

export async function closeSims(): Promise<void> {
  await Promise.all(started.splice(0).map((s) => s.close()));
}

/** An app-only token holding exactly `roles`. */
export function appToken(s: SimulatedTenant, ...roles: string[]): Promise<string> {
  return s.issueToken({ roles, appid: CONTOSO.automation.clientId });
}

/** A delegated token for `userId` holding exactly `scopes`. */
export function userToken(s: SimulatedTenant, userId: string, ...scopes: string[]): Promise<string> {
  return s.issueToken({ scp: scopes.join(' '), oid: userId, appid: CONTOSO.automation.clientId, amr: ['pwd', 'mfa'] });
}

/** One raw Graph call, as any HTTP client would send it. */
export async function call(
  s: SimulatedTenant,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, any> | undefined }> {
  const res = await fetch(`${s.url}/v1.0${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
}

/** The tool's own Graph module pointed at the simulation with a fixed token. */
export function toolGraph(s: SimulatedTenant, token: string, readOnly = false): GraphApi {
  return new GraphApi({
    baseUrl: s.url,
    tokens: { getToken: async () => token },
    log: silentLogger,
    journal: new MemoryJournal(),
    readOnly,
    resilience: { backoffBaseMs: 1, maxAttempts: 2 },
  });
}

/** The simulated tenant's fixed ids. */
export { CONTOSO };
