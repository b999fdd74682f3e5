import { unexpected } from './answers.js';

/**
 * Most pages one `list()` follows. The largest collections read here are a group's members
 * (999 a page: a 5,000-member group is 6 pages) and an app's assignments (100 a page by
 * default): 10,000 pages is a million objects of the latter, past any real admin group or app,
 * and it bounds the time and memory a server that keeps handing out fresh links can take.
 */
export const MAX_PAGES = 10_000;

/**
 * Reads a collection from `url` (whose absolute form is `first`), following every absolute
 * `@odata.nextLink` (never building skip tokens). Every page must carry a `value` array; every
 * link must stay on the Graph origin and the first request's path, must not repeat one already
 * read, and at most `maxPages` are read.
 */
export async function followPages<T>(url: string, first: URL, maxPages: number, get: (url: string) => Promise<unknown>): Promise<T[]> {
  const items: T[] = [];
  // Bounded by maxPages: a server cannot make this grow without the cap stopping it.
  const seen = new Set<string>([first.href]);
  let next = url;
  for (let pages = 1; ; pages++) {
    const page = await get(next);
    const value = (page as { value?: unknown } | undefined)?.value;
    if (!Array.isArray(value)) throw unexpected({ method: 'GET', url: next }, 200, 'a list page without a "value" array');
    for (const item of value) items.push(item as T);
    const link = (page as Record<string, unknown>)['@odata.nextLink'];
    if (link === undefined) return items;
    const problem = nextLinkProblem(link, first, seen);
    if (problem) throw unexpected({ method: 'GET', url: next }, 200, `an @odata.nextLink that ${problem}`, 'BadNextLink');
    if (pages >= maxPages) {
      throw unexpected({ method: 'GET', url }, 200, `more than ${maxPages} pages; stopped rather than read without end`, 'TooManyPages');
    }
    seen.add(new URL(link as string).href);
    next = link as string;
  }
}

/**
 * Why a `@odata.nextLink` cannot be followed, or undefined when it can: it must be an absolute
 * URL on the Graph origin (scheme, host, port) with the first request's path (a skip token only
 * changes the query), and must not repeat a page already read. Pure.
 */
export function nextLinkProblem(link: unknown, first: URL, seen: ReadonlySet<string>): string | undefined {
  if (typeof link !== 'string') return 'is not a string';
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    return 'is not an absolute URL';
  }
  if (url.origin !== first.origin) return `points to another origin (${url.protocol}//${url.host})`;
  if (url.username || url.password) return 'carries user credentials';
  if (collectionPath(url.pathname, first.pathname) !== collectionPath(first.pathname, first.pathname))
    return `leaves the collection's path (${safeDecode(url.pathname).slice(0, 100)})`;
  if (seen.has(url.href)) return 'repeats a page already read (the server is looping)';
  return undefined;
}

/**
 * A path as compared between pages: decoded and lower-cased. For a `/me/…` collection,
 * `/users/{object id}/` reads as `/me/`: directory services may write its next link with the
 * signed-in user's id instead of `me` (src/sim/ASSUMPTIONS.md), the same collection. Any other
 * collection must keep its path exactly.
 */
function collectionPath(pathname: string, firstPathname: string): string {
  const path = safeDecode(pathname).toLowerCase();
  if (!/^\/(v1\.0|beta)\/me\//i.test(safeDecode(firstPathname))) return path;
  return path.replace(/^\/(v1\.0|beta)\/users\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\//, '/$1/me/');
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
