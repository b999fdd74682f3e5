import { badRequest } from './errors.js';

/** OData `$select`, `$top` and server-driven paging as the simulated Graph applies them (`$filter`: odata-filter.ts). */

// ---------------------------------------------------------------------------
// $select
// ---------------------------------------------------------------------------

/**
 * Parses `$select` against the properties the type knows. Unknown names are a 400, which is what
 * makes a typo in a client's `$select` visible in tests (code and wording: ASSUMPTIONS.md,
 * Transport: unknown $select property).
 */
export function parseSelect(query: URLSearchParams, known: readonly string[], typeName: string): string[] | undefined {
  const text = query.get('$select');
  if (text === null || text.trim() === '') return undefined;
  const byLower = new Map(known.map((k) => [k.toLowerCase(), k]));
  return text.split(',').map((raw) => {
    const name = raw.trim();
    const canonical = byLower.get(name.toLowerCase());
    if (!canonical) {
      throw badRequest(`Could not find a property named '${name}' on type '${typeName}'.`);
    }
    return canonical;
  });
}

/**
 * Keeps only the selected properties (and OData annotations). Learn "List eligibilitySchedules"
 * (privilegedaccessgroup-list-eligibilityschedules), example 2, and "List groups" (group-list),
 * example 2: with `$select` an item carries only the selected properties.
 */
export function applySelect<T extends Record<string, unknown>>(obj: T, select: string[] | undefined): Record<string, unknown> {
  if (!select) return obj;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (k.startsWith('@odata.')) out[k] = v;
  for (const k of select) if (k in obj) out[k] = obj[k];
  return out;
}

// ---------------------------------------------------------------------------
// $top and paging
// ---------------------------------------------------------------------------

/**
 * `$top` (1..max) or undefined. Learn "List groups" (group-list), "List group members"
 * (group-list-members), "List servicePrincipals" (serviceprincipal-list): default and maximum page
 * sizes are 100 and 999. The 400 wording for more: ASSUMPTIONS.md (Transport: $top above 999).
 */
export function parseTop(query: URLSearchParams, max = 999): number | undefined {
  const text = query.get('$top');
  if (text === null) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw badRequest(`Invalid page size specified: '${text}'. Must be between 1 and ${max} inclusive.`);
  }
  return n;
}

interface SkipToken {
  after: string;
}

function encodeSkipToken(t: SkipToken): string {
  // Opaque on purpose: Learn "Paging Microsoft Graph data in your app" (paging) tells clients not to
  // extract the `$skiptoken` or use it in another request; they follow @odata.nextLink as is.
  return 'RFNwdAI' + Buffer.from(JSON.stringify(t), 'utf8').toString('base64url');
}

function decodeSkipToken(text: string): SkipToken {
  try {
    if (!text.startsWith('RFNwdAI')) throw new Error('prefix');
    const t = JSON.parse(Buffer.from(text.slice(7), 'base64url').toString('utf8')) as SkipToken;
    if (typeof t.after !== 'string') throw new Error('shape');
    return t;
  } catch {
    throw badRequest('The specified page token value has expired or is invalid.', 'Directory_ExpiredPageToken');
  }
}

export interface PageOptions<X> {
  query: URLSearchParams;
  /** Absolute URL of this collection without query, e.g. `https://127.0.0.1:1234/v1.0/groups/x/members`. */
  baseUrl: string;
  /** Server page size when `$top` is absent. */
  defaultPageSize: number;
  /** Sort/cursor key of an item. */
  key: (item: X) => string;
}

/**
 * Pages a directory-object collection. Graph's `$skiptoken` is a cursor over an internal
 * key, not an offset: deleting already-returned objects between pages does not make the
 * next page skip anything. Items are ordered by `key` and the token records the last key
 * (order and token format: ASSUMPTIONS.md, Transport). Learn "Paging Microsoft Graph data in your
 * app" (paging): while more results remain the answer carries `@odata.nextLink`, an absolute URL with
 * a `$skiptoken` and all the other query parameters of the original request; the last page has none.
 */
export function paginate<X>(items: X[], opts: PageOptions<X>): { value: X[]; nextLink?: string } {
  const top = parseTop(opts.query) ?? opts.defaultPageSize;
  const keyed = items.map((item) => ({ item, k: opts.key(item) }));
  keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  const tokenText = opts.query.get('$skiptoken');
  let start = 0;
  if (tokenText !== null) {
    const { after } = decodeSkipToken(tokenText);
    start = keyed.findIndex((i) => i.k > after);
    if (start < 0) start = keyed.length;
  }
  const pageItems = keyed.slice(start, start + top);
  const value = pageItems.map((i) => i.item);
  if (start + top >= keyed.length || value.length === 0) return { value };
  const params: string[] = [];
  for (const [k, v] of opts.query) {
    if (k === '$skiptoken') continue;
    params.push(`${k}=${encodeURIComponent(v)}`);
  }
  params.push(`$skiptoken=${encodeSkipToken({ after: pageItems[pageItems.length - 1].k })}`);
  return { value, nextLink: `${opts.baseUrl}?${params.join('&')}` };
}
