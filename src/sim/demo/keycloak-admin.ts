import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  HttpError,
  type Group,
  type Mapper,
  OIDC_MAPPER_TYPES,
  type Provider,
  groupRepresentation,
  initialGroups,
  initialProviders,
  mapperBody,
  providerRepresentation,
  realmRepresentation,
} from './keycloak-realm.js';

/**
 * A small, in-memory stand-in for the Keycloak 26 admin REST API, for the `demo` command only
 * (the tests of the Keycloak step run against a real Keycloak server). It serves exactly what
 * the `keycloak` step reads and writes through KeycloakApi and @keycloak/keycloak-admin-client:
 * the client-credentials token endpoint of the master realm, server info, one realm with its
 * identity providers, their mappers and mapper types, group lookup by path, group members and
 * subgroups, default groups and federated identities; plus mapper create/update, the only
 * writes the tool ever makes. Answers have Keycloak's JSON shapes and status codes (201 with
 * Location, 204, 401/403/404/409 with Keycloak's error bodies). Anything else is a 404, as
 * Keycloak answers an unknown resource. It listens on loopback over plain HTTP: the demo's
 * Keycloak URL is `http://127.0.0.1:PORT`, which the tool accepts for local servers.
 */

/** Client roles of `<realm>-realm` in master that the demo service account holds: least privilege for `--fix-keycloak`. */
export const DEMO_KEYCLOAK_ROLES = ['view-realm', 'view-identity-providers', 'view-users', 'manage-identity-providers'] as const;

type Role = (typeof DEMO_KEYCLOAK_ROLES)[number];

/** What the demo realm is wired to. */
export interface DemoKeycloakOptions {
  /** The Entra tenant the realm's identity provider is pinned to. */
  tenantId: string;
  /** Application (client) id of the Keycloak app in Entra: the provider's client id. */
  appId: string;
  /** The tenant's realm (default `acme`). */
  realm?: string;
  /** Access-token lifetime in seconds (default 60, as in Keycloak's master realm). */
  tokenLifetimeSeconds?: number;
}

// A real release number, marked so that the step's "Keycloak <version> at <url>" line also says it is a simulation.
const VERSION = '26.4.7 (simulated)';
const NOT_FOUND_ROUTE = {
  error: 'Unable to find matching target resource method',
  error_description: 'For more on this error consult the server log.',
};

interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

interface Call {
  method: string;
  /** Path segments, each percent-decoded. */
  segments: string[];
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  rawBody: string;
}

function b64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new HttpError(400, { error: 'invalid_request', error_description: 'malformed path' });
  }
}

/** `first`/`max` paging as the admin API applies it. */
function page<T>(items: T[], query: URLSearchParams, defaultMax = 100): T[] {
  const first = Math.max(0, Number(query.get('first') ?? 0) || 0);
  const maxRaw = query.get('max');
  const max = maxRaw === null ? defaultMax : Number(maxRaw);
  return max < 0 ? items.slice(first) : items.slice(first, first + max);
}

/** The simulated Keycloak admin API of the demo (see the file comment). */
export class DemoKeycloak {
  /** Service account in the master realm that the demo signs in with. */
  readonly clientId = 'entra-pim-setup-demo';
  /** Its secret: random for each demo, never written anywhere. */
  readonly clientSecret = randomBytes(24).toString('base64url');
  readonly realm: string;

  private readonly signingKey = randomBytes(32);
  private readonly tokens = new Map<string, { expiresAt: number; roles: ReadonlySet<Role> }>();
  private readonly providers: Provider[];
  private readonly mappers: Mapper[] = [];
  private readonly groups: Group[];
  private readonly tokenLifetime: number;
  private server?: http.Server;
  private origin = '';

  private constructor(opts: DemoKeycloakOptions) {
    this.realm = opts.realm ?? 'acme';
    this.tokenLifetime = opts.tokenLifetimeSeconds ?? 60;
    this.providers = initialProviders(opts.tenantId, opts.appId);
    // No mapper yet: the demo shows --fix-keycloak creating it. The group has no holders, so
    // the only admin rights in the realm are the ones PIM will grant.
    this.groups = initialGroups();
  }

  /** Starts the server on a free loopback port. */
  static async start(opts: DemoKeycloakOptions): Promise<DemoKeycloak> {
    const kc = new DemoKeycloak(opts);
    await kc.listen();
    return kc;
  }

  /** Base URL, e.g. `http://127.0.0.1:PORT` (the value of --keycloak-url). */
  get url(): string {
    return this.origin;
  }

  /** Stops the server, cutting keep-alive connections. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  private async listen(): Promise<void> {
    const server = http.createServer((req, res) => {
      this.handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error: 'unknown_error' }));
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', this.origin);
    const method = (req.method ?? 'GET').toUpperCase();
    let answer: Answer;
    try {
      const segments = url.pathname.split('/').filter(Boolean).map(decodeSegment);
      answer = this.route({
        method,
        segments,
        query: url.searchParams,
        headers: req.headers,
        rawBody: Buffer.concat(chunks).toString('utf8'),
      });
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      answer = { status: err.status, body: err.body };
    }
    const headers: Record<string, string> = { ...answer.headers };
    if (answer.body !== undefined) headers['Content-Type'] = 'application/json';
    res.writeHead(answer.status, headers);
    res.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
  }

  private route(c: Call): Answer {
    const [a, b, realm, ...rest] = c.segments;
    // POST /realms/{realm}/protocol/openid-connect/token
    if (
      a === 'realms' &&
      c.segments.length === 5 &&
      c.segments[2] === 'protocol' &&
      c.segments[3] === 'openid-connect' &&
      c.segments[4] === 'token'
    ) {
      if (c.method !== 'POST') throw new HttpError(405, { error: 'HTTP 405 Method Not Allowed' });
      return this.token(b, c);
    }
    if (a !== 'admin') throw new HttpError(404, NOT_FOUND_ROUTE);
    // GET /admin/serverinfo
    if (b === 'serverinfo' && c.segments.length === 2) {
      this.authorize(c, undefined);
      return this.get(c, () => ({
        systemInfo: { version: VERSION, serverTime: new Date().toString(), uptime: '0 seconds', uptimeMillis: 0 },
      }));
    }
    if (b !== 'realms' || realm === undefined) throw new HttpError(404, NOT_FOUND_ROUTE);
    const roles = this.authorize(c, realm);
    if (realm !== this.realm) throw new HttpError(404, { error: 'Realm not found.' });
    const need = (role: Role) => {
      if (!roles.has(role)) throw new HttpError(403, { error: 'HTTP 403 Forbidden' });
    };
    const [r0, r1, r2, r3, r4, ...more] = rest;

    if (r0 === undefined) {
      need('view-realm');
      return this.get(c, () => realmRepresentation(this.realm));
    }
    if (r0 === 'default-groups' && r1 === undefined) {
      need('view-realm');
      return this.get(c, () => []);
    }
    if (r0 === 'components' && r1 === undefined) {
      // No user storage (LDAP) in the demo realm.
      need('view-realm');
      return this.get(c, () => []);
    }
    if (r0 === 'clients' && r1 === undefined) {
      // Keycloak 26.5 answers 403 to a caller without view-clients, which the demo account lacks.
      throw new HttpError(403, { error: 'HTTP 403 Forbidden' });
    }
    if (r0 === 'group-by-path' && r1 !== undefined) {
      need('view-users');
      // The admin client sends the whole path as one segment (`%2Ftenant-admin`); nested ones may also arrive split.
      const path = `/${rest.slice(1).join('/').split('/').filter(Boolean).join('/')}`;
      const group = this.groups.find((g) => g.path === path);
      if (!group) throw new HttpError(404, { error: 'Group path does not exist' });
      return this.get(c, () => groupRepresentation(group));
    }
    if (r0 === 'groups' && r1 !== undefined && r3 === undefined) {
      need('view-users');
      const group = this.groups.find((g) => g.id === r1);
      if (!group) throw new HttpError(404, { error: 'Could not find group by id' });
      // No user in this realm holds the group, and it has no subgroups.
      if (r2 === 'members') return this.get(c, () => page([], c.query));
      if (r2 === 'children') return this.get(c, () => page([], c.query));
    }
    if (r0 === 'users' && r1 !== undefined && r2 === 'federated-identity' && r3 === undefined) {
      need('view-users');
      throw new HttpError(404, { error: 'User not found' });
    }
    if (r0 === 'identity-provider' && r1 === 'instances') {
      if (r2 === undefined) {
        need('view-identity-providers');
        return this.get(c, () =>
          page(
            this.providers.map((p) => providerRepresentation(p)),
            c.query,
          ),
        );
      }
      const provider = this.providers.find((p) => p.alias === r2);
      if (!provider) {
        need('view-identity-providers');
        throw new HttpError(404, { error: 'Could not find identity provider' });
      }
      if (r3 === undefined) {
        need('view-identity-providers');
        return this.get(c, () => providerRepresentation(provider));
      }
      if (r3 === 'mapper-types' && r4 === undefined) {
        need('view-identity-providers');
        return this.get(c, () =>
          Object.fromEntries(OIDC_MAPPER_TYPES.map(([id, name, category]) => [id, { id, name, category, helpText: '', properties: [] }])),
        );
      }
      if (r3 === 'mappers' && more.length === 0) {
        if (r4 === undefined && c.method === 'GET') {
          need('view-identity-providers');
          return { status: 200, body: this.mappers.filter((m) => m.identityProviderAlias === provider.alias) };
        }
        if (r4 === undefined && c.method === 'POST') {
          need('manage-identity-providers');
          return this.createMapper(provider, c);
        }
        if (r4 !== undefined) {
          const mapper = this.mappers.find((m) => m.id === r4 && m.identityProviderAlias === provider.alias);
          if (c.method === 'GET') {
            need('view-identity-providers');
            if (!mapper) throw new HttpError(404, { error: 'Model not found' });
            return { status: 200, body: mapper };
          }
          if (c.method === 'PUT') {
            need('manage-identity-providers');
            if (!mapper) throw new HttpError(404, { error: 'Model not found' });
            return this.updateMapper(provider, mapper, c);
          }
        }
        throw new HttpError(405, { error: 'HTTP 405 Method Not Allowed' });
      }
    }
    throw new HttpError(404, NOT_FOUND_ROUTE);
  }

  /** Reads answer GET only, as Keycloak's JAX-RS resources do. */
  private get(c: Call, body: () => unknown): Answer {
    if (c.method !== 'GET') throw new HttpError(405, { error: 'HTTP 405 Method Not Allowed' });
    return { status: 200, body: body() };
  }

  /** Client credentials (secret as HTTP Basic, as the admin client sends it, or in the form) in master. */
  private token(realm: string, c: Call): Answer {
    if (realm !== 'master' && realm !== this.realm) throw new HttpError(404, { error: 'Realm does not exist' });
    const form = new URLSearchParams(c.rawBody);
    let id = form.get('client_id') ?? undefined;
    let secret = form.get('client_secret') ?? undefined;
    const basic = /^Basic\s+(.+)$/i.exec(c.headers.authorization ?? '');
    if (basic) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const unform = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
      id = unform(decoded.slice(0, colon));
      secret = unform(decoded.slice(colon + 1));
    }
    const invalid = new HttpError(401, { error: 'invalid_client', error_description: 'Invalid client or Invalid client credentials' });
    if (realm !== 'master' || id !== this.clientId || secret === undefined || !this.sameSecret(secret)) throw invalid;
    if (form.get('grant_type') !== 'client_credentials') {
      throw new HttpError(400, { error: 'unsupported_grant_type', error_description: 'Unsupported grant_type' });
    }
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const payload = b64url(
      JSON.stringify({
        exp: now + this.tokenLifetime,
        iat: now,
        jti: randomUUID(),
        iss: `${this.origin}/realms/master`,
        typ: 'Bearer',
        azp: this.clientId,
        resource_access: { [`${this.realm}-realm`]: { roles: [...DEMO_KEYCLOAK_ROLES] } },
      }),
    );
    const signature = createHmac('sha256', this.signingKey).update(`${header}.${payload}`).digest('base64url');
    const token = `${header}.${payload}.${signature}`;
    this.tokens.set(token, { expiresAt: (now + this.tokenLifetime) * 1000, roles: new Set(DEMO_KEYCLOAK_ROLES) });
    return {
      status: 200,
      headers: { 'Cache-Control': 'no-store', Pragma: 'no-cache' },
      body: {
        access_token: token,
        expires_in: this.tokenLifetime,
        refresh_expires_in: 0,
        token_type: 'Bearer',
        'not-before-policy': 0,
        scope: 'profile email',
      },
    };
  }

  private sameSecret(given: string): boolean {
    const a = Buffer.from(given);
    const b = Buffer.from(this.clientSecret);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** The bearer token's roles in `realm` (server info needs only a valid token); 401 without a valid one. */
  private authorize(c: Call, realm: string | undefined): ReadonlySet<Role> {
    const m = /^Bearer\s+(\S+)$/i.exec(c.headers.authorization ?? '');
    const session = m ? this.tokens.get(m[1]) : undefined;
    if (!session || session.expiresAt <= Date.now()) throw new HttpError(401, { error: 'HTTP 401 Unauthorized' });
    return realm === undefined || realm === this.realm ? session.roles : new Set();
  }

  private createMapper(provider: Provider, c: Call): Answer {
    const rep = mapperBody(provider, c.rawBody);
    if (this.mappers.some((m) => m.identityProviderAlias === provider.alias && m.name === rep.name)) {
      throw new HttpError(409, { errorMessage: 'identity provider mapper name must be unique per identity provider' });
    }
    const mapper: Mapper = { id: randomUUID(), ...rep };
    this.mappers.push(mapper);
    const location =
      `${this.origin}/admin/realms/${encodeURIComponent(this.realm)}` +
      `/identity-provider/instances/${encodeURIComponent(provider.alias)}/mappers/${mapper.id}`;
    return { status: 201, headers: { Location: location } };
  }

  private updateMapper(provider: Provider, mapper: Mapper, c: Call): Answer {
    const rep = mapperBody(provider, c.rawBody);
    if (this.mappers.some((m) => m !== mapper && m.identityProviderAlias === provider.alias && m.name === rep.name)) {
      throw new HttpError(409, { errorMessage: 'identity provider mapper name must be unique per identity provider' });
    }
    Object.assign(mapper, rep);
    return { status: 204 };
  }
}
