import { AsyncLocalStorage } from 'node:async_hooks';
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import type { Agent as UndiciAgent, fetch as undiciFetch } from 'undici';
import { UsageError } from '../errors.js';

/** TLS failures that a private CA (--keycloak-ca-file) fixes. */
export const TLS_TRUST_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
]);

/** Splits a PEM bundle into its certificates; empty when the text holds none. */
export function pemCertificates(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** Reads --keycloak-ca-file; a missing file or one without a certificate is a UsageError. */
export function readCaFile(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--keycloak-ca-file ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const certs = pemCertificates(text);
  if (certs.length === 0) throw new UsageError(`--keycloak-ca-file ${file}: no PEM certificate (-----BEGIN CERTIFICATE-----) in it`);
  return certs;
}

interface Route {
  origin: string;
  agent: UndiciAgent;
  fetch: typeof undiciFetch;
}

/**
 * The admin client calls the global `fetch` and offers no way to pass it a TLS option. Node's
 * built-in fetch only takes a dispatcher from its own bundled undici, whose version differs
 * between Node 20 and 24, so an npm-undici Agent must not be handed to it. Instead the global
 * fetch is wrapped (once per process) and requests to a Keycloak origin that trusts a private CA
 * go through npm undici's own fetch with that Agent. Which CA applies is taken from the async
 * context of the KeycloakApi call, not from a process-wide table, so one connection's trust
 * never leaks into another's (or into Graph calls) even when they share an origin.
 */
const routes = new AsyncLocalStorage<Route>();
let routerInstalled = false;

function installFetchRouter(): void {
  if (routerInstalled) return;
  routerInstalled = true;
  const original = globalThis.fetch;
  const routed = (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    const route = routes.getStore();
    // The admin client passes URL objects; a Request (never used by it) keeps the original fetch.
    if (route && (typeof input === 'string' || input instanceof URL) && originOf(input) === route.origin) {
      return route.fetch(input, { ...(init as object), dispatcher: route.agent }) as unknown as Promise<Response>;
    }
    return original(input, init);
  };
  globalThis.fetch = routed as typeof fetch;
}

function originOf(input: string | URL): string | undefined {
  try {
    return new URL(input).origin;
  } catch {
    return undefined;
  }
}

/** Trust in a private CA (on top of Node's built-in roots) for the requests to one origin. */
export class PrivateCaTrust {
  private constructor(private readonly route: Route) {}

  /** Loads undici (only when a CA file is given) and installs the fetch wrapper if needed. */
  static async create(origin: string, certs: string[]): Promise<PrivateCaTrust> {
    const { Agent, fetch } = await import('undici');
    installFetchRouter();
    return new PrivateCaTrust({ origin, agent: new Agent({ connect: { ca: [...tls.rootCertificates, ...certs] } }), fetch });
  }

  /** Runs `fn`; the fetches it makes to the origin trust the CA. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return routes.run(this.route, fn);
  }

  /** Releases keep-alive connections. */
  close(): void {
    this.route.agent.close().catch(() => undefined);
  }
}
