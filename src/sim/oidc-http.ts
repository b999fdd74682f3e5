import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleOAuth } from './oauth.js';
import type { RecordedRequest } from './server.js';
import type { TenantState } from './state.js';
import type { TokenService } from './tokens.js';

/** Form fields never kept in the request record. */
const MASKED = ['client_secret', 'client_assertion', 'password', 'refresh_token', 'code', 'code_verifier', 'device_code'];

export interface OidcHttpOptions {
  state: TenantState;
  tokens: TokenService;
  /** Default 127.0.0.1. */
  host?: string;
  /** Called with each request as it arrives, so the tenant can record it with the HTTPS ones. */
  onRequest?: (r: RecordedRequest) => void;
}

/**
 * The tenant's sign-in endpoints (discovery, authorize, token, JWKS, userinfo, logout) over
 * plain HTTP on loopback. This is only the test transport for relying parties that cannot be
 * told to trust the test CA: Keycloak runs on Java, which ignores NODE_EXTRA_CA_CERTS, and
 * Keycloak accepts `http://` provider URLs for loopback hosts under the default
 * `sslRequired=external`. Graph itself is never served here: it stays HTTPS-only.
 */
export class OidcHttpListener {
  private server?: http.Server;
  origin = '';

  constructor(private readonly opts: OidcHttpOptions) {}

  /** Starts listening on a free port; resolves with the origin, e.g. `http://127.0.0.1:PORT`. */
  async listen(): Promise<string> {
    const host = this.opts.host ?? '127.0.0.1';
    const server = http.createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(`simulation error: ${e instanceof Error ? e.stack : String(e)}`);
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    this.origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    return this.origin;
  }

  /** Stops the listener, cutting keep-alive connections (Keycloak's HTTP client keeps them open). */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://sim.invalid');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;

    const record: RecordedRequest = { method, path: safeDecode(url.pathname) + safeDecode(url.search), status: 0, time: Date.now() };
    if (rawBody && headers['content-type']?.includes('application/x-www-form-urlencoded')) {
      const form = Object.fromEntries(new URLSearchParams(rawBody));
      for (const k of MASKED) if (k in form) form[k] = '***';
      record.body = form;
    }
    this.opts.onRequest?.(record);

    const answer = /^\/(v1\.0|beta)(\/|$)/i.test(url.pathname)
      ? {
          status: 404,
          body: { error: 'not_found', error_description: 'Microsoft Graph is served over HTTPS only; this listener serves sign-in.' },
        }
      : ((await handleOAuth({
          method,
          path: safeDecode(url.pathname),
          rawBody,
          headers,
          state: this.opts.state,
          tokens: this.opts.tokens,
          origin: this.origin,
          query: url.searchParams,
        })) ?? { status: 404, body: { error: 'not_found', error_description: `No endpoint at '${url.pathname}'.` } });

    record.status = answer.status;
    const out: Record<string, string> = { ...(answer.headers ?? {}) };
    if (answer.body !== undefined && !Object.keys(out).some((k) => k.toLowerCase() === 'content-type'))
      out['Content-Type'] = 'application/json; charset=utf-8';
    res.writeHead(answer.status, out);
    res.end(answer.body === undefined ? undefined : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
