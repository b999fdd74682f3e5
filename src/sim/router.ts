import { GraphError } from './errors.js';
import type { AuthInfo, AuthorizeOptions, PermissionKey } from './permissions.js';
import type { TenantState } from './state.js';

/** What a route handler returns. */
export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** Everything a Graph route handler sees. */
export interface RouteContext {
  state: TenantState;
  method: string;
  /** Decoded path without version prefix or query, e.g. `/groups/{id}/members`. */
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  body: unknown;
  auth: AuthInfo;
  version: 'v1.0' | 'beta';
  /** `https://127.0.0.1:PORT` */
  origin: string;
  /** Server page size for directory collections. */
  pageSize: number;
  /** Throws 403 unless the caller may perform `key`. */
  authorize(key: PermissionKey, opts?: AuthorizeOptions): void;
}

export type Handler = (ctx: RouteContext) => SimResponse | Promise<SimResponse>;

interface Route {
  method: string;
  template: string;
  regex: RegExp;
  handler: Handler;
}

/**
 * Turns `/servicePrincipals(appId='{appId}')/x/{id}` into a regex with named groups.
 * Placeholders never span a `/`.
 */
function compile(template: string): RegExp {
  let source = '';
  let i = 0;
  while (i < template.length) {
    if (template[i] === '{') {
      const end = template.indexOf('}', i);
      const name = template.slice(i + 1, end);
      source += `(?<${name}>[^/]+?)`;
      i = end + 1;
    } else {
      source += template[i].replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      i++;
    }
  }
  return new RegExp(`^${source}$`, 'i');
}

/** A small method + path-template router. */
export class Router {
  private readonly routes: Route[] = [];

  add(method: string, template: string, handler: Handler): this {
    this.routes.push({ method: method.toUpperCase(), template, regex: compile(template), handler });
    return this;
  }

  get(template: string, handler: Handler): this {
    return this.add('GET', template, handler);
  }
  post(template: string, handler: Handler): this {
    return this.add('POST', template, handler);
  }
  patch(template: string, handler: Handler): this {
    return this.add('PATCH', template, handler);
  }
  delete(template: string, handler: Handler): this {
    return this.add('DELETE', template, handler);
  }

  /**
   * Finds the handler; throws Graph's 400/405 for unknown segments or methods. The 405 code and
   * message are item 4 of Learn "JSON batching" (json-batching); the 400 for an unknown segment:
   * ASSUMPTIONS.md (Transport: unknown path segment). Paths match case-insensitively, as Graph's do
   * (ASSUMPTIONS.md, Transport).
   */
  resolve(method: string, path: string): { handler: Handler; params: Record<string, string> } {
    let pathMatched = false;
    for (const r of this.routes) {
      const m = r.regex.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (r.method !== method.toUpperCase()) continue;
      return { handler: r.handler, params: { ...(m.groups ?? {}) } };
    }
    if (pathMatched) {
      throw new GraphError(405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request target.');
    }
    const segments = path.split('/').filter(Boolean);
    const last = segments[segments.length - 1] ?? '';
    throw new GraphError(400, 'BadRequest', `Resource not found for the segment '${last}'.`);
  }
}
