import { readFileSync } from 'node:fs';
import { SignInError, UsageError } from '../errors.js';
import type { Logger } from '../ui/log.js';
import { registerSecret } from '../ui/redact.js';
import { isKnownAuthority } from './clouds.js';
import { GRAPH_CLI_CLIENT_ID, PUBLIC_CLIENT_METHODS } from './delegated-scopes.js';
import type { TokenSource } from './resilience.js';

export const AUTH_METHODS = [
  'browser',
  'device-code',
  'client-secret',
  'client-certificate',
  'azure-cli',
  'managed-identity',
  'workload-identity',
  'access-token',
] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

/**
 * The default sign-in: client credentials when a secret or certificate is in the environment,
 * a token handed over by a pipeline, else the browser on a terminal, else the Azure CLI login.
 */
export function defaultAuthMethod(env: NodeJS.ProcessEnv, interactive: boolean): AuthMethod {
  if (env.AZURE_CLIENT_SECRET) return 'client-secret';
  if (env.AZURE_CLIENT_CERTIFICATE_PATH) return 'client-certificate';
  if (env.ENTRA_PIM_ACCESS_TOKEN || env.ENTRA_PIM_ACCESS_TOKEN_FILE) return 'access-token';
  return interactive ? 'browser' : 'azure-cli';
}

export interface CredentialOptions {
  method: AuthMethod;
  tenantId: string;
  authorityHost: string;
  /** The resource's `/.default` scope: what confidential clients, managed identities and the Azure CLI ask for. */
  scope: string;
  /**
   * Explicit scope URIs for the public clients (browser, device-code), e.g.
   * `https://graph.microsoft.com/User.Read`: a public client never asks for `.default`.
   */
  scopes?: string[];
  /** `--client-id` (or AZURE_CLIENT_ID): the app to sign in to; public clients default to Graph Command Line Tools. */
  clientId?: string;
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** Writes a sign-in instruction (the device code) to stderr at once, whatever the log level. */
  prompt?: (line: string) => void;
}

/** A token source that knows how it signs in and, for public clients, can ask for more scopes. */
export interface SignInTokenSource extends TokenSource {
  method: AuthMethod;
  /** The client id signed in to, when the tool chose or was given one. */
  clientId?: string;
  /** Explicit scope URIs asked for so far (public clients only). */
  scopes?: readonly string[];
  /**
   * Public clients: adds scope URIs and fetches a token for the wider set (incremental consent:
   * silent when already consented, else the sign-in prompt again). Returns false for other methods.
   */
  requestScopes(extra: readonly string[]): Promise<boolean>;
}

function need(env: NodeJS.ProcessEnv, name: string, method: AuthMethod): string {
  const v = env[name];
  if (!v) throw new UsageError(`--auth ${method} needs the environment variable ${name}`);
  return v;
}

/** Checks, before any network call, that the chosen method has what it needs. */
export function validateAuthEnvironment(method: AuthMethod, env: NodeJS.ProcessEnv, clientId?: string): void {
  const needClientId = () => clientId ?? need(env, 'AZURE_CLIENT_ID', method);
  switch (method) {
    case 'client-secret':
      needClientId();
      registerSecret(need(env, 'AZURE_CLIENT_SECRET', method));
      break;
    case 'client-certificate': {
      needClientId();
      const p = need(env, 'AZURE_CLIENT_CERTIFICATE_PATH', method);
      try {
        readFileSync(p);
      } catch {
        throw new UsageError(`AZURE_CLIENT_CERTIFICATE_PATH: cannot read ${p}; give a readable PEM or PFX file`);
      }
      registerSecret(env.AZURE_CLIENT_CERTIFICATE_PASSWORD);
      break;
    }
    case 'workload-identity':
      needClientId();
      need(env, 'AZURE_FEDERATED_TOKEN_FILE', method);
      break;
    case 'access-token':
      if (!env.ENTRA_PIM_ACCESS_TOKEN && !env.ENTRA_PIM_ACCESS_TOKEN_FILE) {
        throw new UsageError('--auth access-token needs ENTRA_PIM_ACCESS_TOKEN or ENTRA_PIM_ACCESS_TOKEN_FILE');
      }
      registerSecret(env.ENTRA_PIM_ACCESS_TOKEN);
      break;
    default:
      break;
  }
}

/** True for the sign-ins where the user signs in to a public client that asks for explicit scopes. */
export function isPublicClientMethod(method: AuthMethod): boolean {
  return PUBLIC_CLIENT_METHODS.includes(method);
}

/** Builds a token source; @azure/identity is imported only by it, at the first token it is asked for. */
export async function createTokenSource(opts: CredentialOptions): Promise<SignInTokenSource> {
  const { method, env } = opts;
  validateAuthEnvironment(method, env, opts.clientId);
  const clientId = opts.clientId ?? env.AZURE_CLIENT_ID;
  if (method === 'access-token') return { ...accessTokenSource(env), method, requestScopes: async () => false };
  const publicClient = isPublicClientMethod(method) && (opts.scopes?.length ?? 0) > 0;
  let scopes = publicClient ? [...opts.scopes!] : [];
  // @azure/identity takes about as long to load as Node takes to start, so it is imported at the
  // first token, not here: on a terminal the wizard's first question comes before that, and the
  // wizard loads the package in the background while the user reads and types.
  let credential: Promise<import('@azure/identity').TokenCredential> | undefined;
  // Steps read Graph in parallel; their first token requests must share one sign-in (one device
  // code, one browser window), since @azure/identity starts an interactive flow per call.
  let inflight: Promise<string> | undefined;
  // A sign-in the user declined (or let expire) stays failed: the next Graph call must not open
  // another device code or browser window that nobody answers.
  let refused: unknown;
  const fetchToken = (): Promise<string> => {
    if (refused !== undefined) return Promise.reject(refused);
    inflight ??= (async () => {
      credential ??= createCredential({ ...opts, clientId: publicClient ? (clientId ?? GRAPH_CLI_CLIENT_ID) : clientId });
      const token = await (await credential).getToken(publicClient ? scopes : opts.scope);
      if (!token) throw new Error(`sign-in with --auth ${method} returned no token`);
      registerSecret(token.token);
      return token.token;
    })()
      .catch((raw: unknown) => {
        const err = signInError(method, raw);
        if (publicClient) refused = err;
        throw err;
      })
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  };
  return {
    method,
    clientId: publicClient ? (clientId ?? GRAPH_CLI_CLIENT_ID) : clientId,
    get scopes() {
      return publicClient ? scopes : undefined;
    },
    getToken: fetchToken,
    async requestScopes(extra) {
      if (!publicClient) return false;
      const wider = [...new Set([...scopes, ...extra])];
      if (wider.length === scopes.length) return true;
      await inflight?.catch(() => undefined);
      scopes = wider;
      await fetchToken();
      return true;
    },
  };
}

/** AADSTS codes with a known fix (Learn "Microsoft Entra authentication and authorization error codes"). */
const AADSTS_FIX: Record<string, string> = {
  '7000215': 'check AZURE_CLIENT_SECRET: it must be the secret\'s value, not its id',
  '7000222': 'the client secret has expired: create a new one',
  '700016': 'check AZURE_CLIENT_ID and --tenant-id: the app is not known in that tenant',
  '90002': 'check --tenant-id',
  '900023': 'check --tenant-id',
  '700027': 'check the certificate: it is not the one registered on the app',
  '53003': 'a Conditional Access policy blocked this sign-in',
};

/**
 * One line for a credential that gave no token, naming the fix: @azure/identity's messages
 * run to several lines with trace ids and troubleshooting links. Never retried: the same
 * secret, consent or missing Azure CLI gives the same answer on every attempt.
 */
export function signInError(method: AuthMethod, err: unknown): Error {
  const name = (err as { name?: unknown } | undefined)?.name;
  if (name === 'SignInError' || name === 'UsageError' || name === 'InterruptedError' || name === 'ExitPromptError') return err as Error;
  const text = err instanceof Error ? err.message : String(err);
  if (method === 'azure-cli') {
    if (/could not be found|not found|not recognized|ENOENT/i.test(text)) {
      return new SignInError('--auth azure-cli: the Azure CLI (az) is not installed or not on PATH; install it and run az login, or choose another --auth', { cause: err });
    }
    if (/az login/i.test(text)) return new SignInError('--auth azure-cli: the Azure CLI is not signed in; run az login (with --tenant), or choose another --auth', { cause: err });
  }
  const aadsts = /AADSTS(\d+):\s*([^.\r\n]*)/.exec(text);
  if (aadsts) {
    const fix = AADSTS_FIX[aadsts[1]];
    return new SignInError(`sign-in with --auth ${method} was refused: AADSTS${aadsts[1]}: ${aadsts[2].slice(0, 120)}${fix ? `; ${fix}` : ''}`, { cause: err });
  }
  // The first line, without links: enough to act on, short enough for a log line.
  const first = text.split(/\r?\n/)[0].replace(/\s*https?:\/\/\S+/g, '').trim();
  return new SignInError(`sign-in with --auth ${method} failed: ${first.slice(0, 200) || String(name ?? 'unknown error')}`, { cause: err });
}

async function createCredential(opts: CredentialOptions): Promise<import('@azure/identity').TokenCredential> {
  const { method, env } = opts;
  const identity = await import('@azure/identity');
  const common = {
    authorityHost: opts.authorityHost,
    // MSAL asks Microsoft's discovery endpoint about unknown authorities; a custom authority
    // (a proxy, the simulated tenant) has to opt out of that lookup.
    disableInstanceDiscovery: !isKnownAuthority(opts.authorityHost),
  };
  const clientId = opts.clientId ?? env.AZURE_CLIENT_ID;
  switch (method) {
    case 'client-secret':
      return new identity.ClientSecretCredential(opts.tenantId, clientId!, env.AZURE_CLIENT_SECRET!, common);
    case 'client-certificate':
      return new identity.ClientCertificateCredential(
        opts.tenantId,
        clientId!,
        { certificatePath: env.AZURE_CLIENT_CERTIFICATE_PATH!, certificatePassword: env.AZURE_CLIENT_CERTIFICATE_PASSWORD },
        common,
      );
    case 'browser':
      return new identity.InteractiveBrowserCredential({ ...common, tenantId: opts.tenantId, clientId });
    case 'device-code':
      return new identity.DeviceCodeCredential({
        ...common,
        tenantId: opts.tenantId,
        clientId,
        // The user must see the code now, whatever the log level: the sign-in waits for it.
        userPromptCallback: (info) => (opts.prompt ?? opts.log.info)(info.message),
      });
    case 'azure-cli':
      return new identity.AzureCliCredential({ tenantId: opts.tenantId });
    case 'managed-identity':
      return clientId ? new identity.ManagedIdentityCredential({ clientId }) : new identity.ManagedIdentityCredential();
    case 'workload-identity':
      return new identity.WorkloadIdentityCredential({
        ...common,
        tenantId: opts.tenantId,
        clientId,
        tokenFilePath: env.AZURE_FEDERATED_TOKEN_FILE,
      });
    case 'access-token':
      throw new Error('an access token needs no credential');
  }
}

function accessTokenSource(env: NodeJS.ProcessEnv): TokenSource {
  const file = env.ENTRA_PIM_ACCESS_TOKEN_FILE;
  const read = (): string => {
    if (!file) return env.ENTRA_PIM_ACCESS_TOKEN!;
    try {
      return readFileSync(file, 'utf8').trim();
    } catch {
      throw new UsageError(`ENTRA_PIM_ACCESS_TOKEN_FILE: cannot read ${file}`);
    }
  };
  let current = read();
  registerSecret(current);
  return {
    // A pipeline may rotate the file's token; re-read it when Graph rejects the current one.
    async getToken(force) {
      if (force && file) {
        current = read();
        registerSecret(current);
      }
      return current;
    },
  };
}

/** Decodes a JWT's payload without verifying it (diagnostics only: scp, roles, oid, tid). */
export function decodeJwtClaims(token: string): Record<string, unknown> {
  const part = token.split('.')[1];
  if (!part) return {};
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}
