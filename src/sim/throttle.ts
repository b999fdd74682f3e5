/**
 * Graph's identity-and-access throttling, as Learn "Microsoft Graph service-specific throttling
 * limits" (throttling-limits), Identity and access service limits, documents it: a token-bucket
 * resource-unit (RU) quota per application+tenant pair per 10 seconds by tenant size (S under 50
 * users: 3,500; M 50–500: 5,000; L above 500: 8,000), a write quota of 3,000 per 2 minutes 30
 * seconds per application+tenant pair, per-request base costs with `$select` −1, `$expand` +1,
 * `$top` below 20 −1 (never below 1), `x-ms-resource-unit` on every answer,
 * `x-ms-throttle-limit-percentage` above 0.8 of a limit (0.8 to 1.8), and on 429
 * `x-ms-throttle-scope` and `x-ms-throttle-information`. Learn "JSON batching" (json-batching),
 * Batch size limitations: requests in a batch are evaluated individually against the limits.
 * What the pages leave open is in ASSUMPTIONS.md (Throttling). Off unless a test turns it on.
 */

export interface ThrottleSettings {
  /** Tenant size for the RU quota; default from the number of users (Learn's S/M/L bounds). */
  tier?: 'S' | 'M' | 'L';
  /**
   * Throttle time runs this many times faster than real time (default 1), so that a test or the
   * benchmark sees minutes of quota in seconds. Retry-After is scaled the same way.
   */
  timeScale?: number;
  /** Time source in real milliseconds (default `performance.now`), for unit tests. */
  now?: () => number;
}

/** Learn "Microsoft Graph service-specific throttling limits": RU quota per 10 s by tenant size. */
export const RU_QUOTA = { S: 3_500, M: 5_000, L: 8_000 } as const;
export const RU_WINDOW_MS = 10_000;
/** Learn "Microsoft Graph service-specific throttling limits": 3,000 writes per 2 min 30 s per app+tenant. */
export const WRITE_QUOTA = 3_000;
export const WRITE_WINDOW_MS = 150_000;
/** Learn "Microsoft Graph service-specific throttling limits", Additional headers: x-ms-throttle-limit-percentage ranges from 0.8 to 1.8. */
const MAX_USAGE = 1.8;

/** Tenant size tier: Learn "S - under 50 users, M - between 50 and 500 users, and L - above 500 users". */
export function tierFor(users: number): 'S' | 'M' | 'L' {
  return users < 50 ? 'S' : users <= 500 ? 'M' : 'L';
}

// First path segments of the resources the identity-and-access limits apply to (the include
// "throttling-identity-and-access" lists application, device, directory object and role, domain,
// group, licence details, OAuth2 permission grant, organization, contact, service principal,
// subscribed SKU, user, policies deriving from policyBase …). PIM for Groups and role management
// policies are not listed: ASSUMPTIONS.md (Throttling).
const IDENTITY_ROOTS = new Set([
  'applications',
  'contracts',
  'devices',
  'directoryobjects',
  'directoryroles',
  'directoryroletemplates',
  'domains',
  'getobjectsbyid',
  'groups',
  'groupsettings',
  'groupsettingtemplates',
  'ismemberof',
  'me',
  'oauth2permissiongrants',
  'organization',
  'contacts',
  'serviceprincipals',
  'subscribedskus',
  'users',
]);

// Learn "Microsoft Graph service-specific throttling limits", base request costs (path with `{id}`,
// `me/` standing also for `users/{id}/`). Anything not listed costs 1.
const GET_COSTS: Array<[RegExp, number]> = [
  [/^applications$/, 2],
  [/^applications\/[^/]+\/extensionproperties$/, 2],
  [/^contracts$/, 3],
  [/^domains\/[^/]+\/domainnamereferences$/, 4],
  [/^groups\/[^/]+\/members(\/[^/]*\.[^/]*)?$/, 3],
  [/^groups\/[^/]+\/transitivemembers(\/[^/]*\.[^/]*)?$/, 5],
  [/^me\/licensedetails$/, 2],
  [/^me\/memberof(\/[^/]*\.[^/]*)?$/, 2],
  [/^me\/ownedobjects$/, 2],
  [/^me\/transitivememberof(\/[^/]*\.[^/]*)?$/, 2],
  [/^oauth2permissiongrants(\/[^/]+)?$/, 2],
  [/^serviceprincipals\/[^/]+\/approleassignments$/, 2],
  [/^subscribedskus$/, 3],
  [/^users$/, 2],
];
const POST_READ_COSTS: Array<[RegExp, number]> = [
  [/^directoryobjects\/getbyids$/, 3],
  [/^getobjectsbyid$/, 3],
  [/^ismemberof$/, 4],
  [/^me\/checkmembergroups$/, 4],
  [/^me\/checkmemberobjects$/, 4],
  [/^me\/getmembergroups$/, 2],
  [/^me\/getmemberobjects$/, 2],
];

/** The RU and write cost of one request, or undefined when the identity limits do not apply. */
export function requestCost(method: string, path: string, query: URLSearchParams): { ru: number; write: number } | undefined {
  const p = path.replace(/^\/+|\/+$/g, '').toLowerCase();
  const root = p.split('/')[0];
  if (!IDENTITY_ROOTS.has(root)) return undefined;
  // Learn "Microsoft Graph service-specific throttling limits": a cost for a path starting with `me/` also applies to
  // `users/{id | userPrincipalName}/`.
  const keyed = p.replace(/^users\/[^/]+\//, 'me/');
  const m = method.toUpperCase();
  let ru = 1;
  let write = m === 'GET' ? 0 : 1;
  const table = m === 'GET' ? GET_COSTS : m === 'POST' ? POST_READ_COSTS : [];
  for (const [re, cost] of table) {
    if (re.test(keyed)) {
      ru = cost;
      write = 0;
      break;
    }
  }
  // Learn "Microsoft Graph service-specific throttling limits", Identity and access: `$select` −1, `$expand` +1, `$top` below 20 −1, never below 1.
  if (query.has('$select')) ru -= 1;
  if (query.has('$expand')) ru += 1;
  const top = Number(query.get('$top'));
  if (query.has('$top') && Number.isFinite(top) && top < 20) ru -= 1;
  return { ru: Math.max(1, ru), write };
}

/** A leaky counter: `used` drains at `limit` per `windowMs` (a token bucket seen from the other side). */
class Bucket {
  private used = 0;
  private at = 0;
  constructor(
    readonly limit: number,
    private readonly windowMs: number,
  ) {}
  level(now: number): number {
    this.used = Math.max(0, this.used - ((now - this.at) * this.limit) / this.windowMs);
    this.at = now;
    return this.used;
  }
  fits(now: number, cost: number): boolean {
    return cost === 0 || this.level(now) + cost <= this.limit;
  }
  charge(now: number, cost: number): void {
    this.used = Math.min(this.limit * MAX_USAGE, this.level(now) + cost);
  }
  /** Throttle-time ms until `cost` more fits. */
  waitFor(now: number, cost: number): number {
    return Math.max(0, ((this.level(now) + cost - this.limit) * this.windowMs) / this.limit);
  }
}

/** What the throttle decided for one request (or one `$batch` item). */
export type ThrottleDecision =
  | { throttled: false; headers: Record<string, string> }
  | { throttled: true; headers: Record<string, string>; limit: 'ResourceUnit' | 'Write' };

/** Per application+tenant RU and write buckets. */
export class GraphThrottle {
  private readonly pairs = new Map<string, { ru: Bucket; write: Bucket }>();
  private readonly scale: number;
  private readonly clock: () => number;
  /** Requests answered 429 by this throttle. */
  throttled = 0;

  constructor(
    private readonly settings: ThrottleSettings,
    private readonly tenantId: string,
    private readonly userCount: () => number,
  ) {
    this.scale = settings.timeScale ?? 1;
    this.clock = settings.now ?? (() => performance.now());
  }

  private pair(appId: string) {
    let p = this.pairs.get(appId);
    if (!p) {
      const tier = this.settings.tier ?? tierFor(this.userCount());
      p = { ru: new Bucket(RU_QUOTA[tier], RU_WINDOW_MS), write: new Bucket(WRITE_QUOTA, WRITE_WINDOW_MS) };
      this.pairs.set(appId, p);
    }
    return p;
  }

  /** Charges one request and says whether it may run, with the headers its answer carries. */
  check(appId: string, method: string, path: string, query: URLSearchParams): ThrottleDecision | undefined {
    const cost = requestCost(method, path, query);
    if (!cost) return undefined;
    const now = this.clock() * this.scale;
    const { ru, write } = this.pair(appId);
    const ruFits = ru.fits(now, cost.ru);
    const writeFits = write.fits(now, cost.write);
    // Learn "Microsoft Graph throttling guidance": throttled requests still accrue against the
    // limits (ASSUMPTIONS.md, Throttling: both buckets, capped at 1.8 of the limit).
    ru.charge(now, cost.ru);
    write.charge(now, cost.write);
    const headers: Record<string, string> = { 'x-ms-resource-unit': String(cost.ru) };
    const usage = Math.max(ru.level(now) / ru.limit, write.level(now) / write.limit);
    if (usage > 0.8) headers['x-ms-throttle-limit-percentage'] = usage.toFixed(2);
    if (ruFits && writeFits) return { throttled: false, headers };
    this.throttled++;
    const limit = writeFits ? 'ResourceUnit' : 'Write';
    const waitMs = Math.max(writeFits ? 0 : write.waitFor(now, cost.write), ruFits ? 0 : ru.waitFor(now, cost.ru)) / this.scale;
    // Retry-After in whole seconds at scale 1 (as Graph sends it: Learn "Microsoft Graph throttling
    // guidance"); a scaled run needs fractions (ASSUMPTIONS.md, Throttling). x-ms-throttle-scope and
    // x-ms-throttle-information: Learn "Microsoft Graph service-specific throttling limits", Additional headers.
    headers['Retry-After'] = this.scale === 1 ? String(Math.max(1, Math.ceil(waitMs / 1000))) : (Math.max(waitMs, 1) / 1000).toFixed(3);
    headers['x-ms-throttle-scope'] = `Tenant_Application/${limit === 'Write' ? 'Write' : 'ReadWrite'}/${appId}/${this.tenantId}`;
    headers['x-ms-throttle-information'] = limit === 'Write' ? 'WriteLimitExceeded' : 'ResourceUnitLimitExceeded';
    return { throttled: true, headers, limit };
  }
}
