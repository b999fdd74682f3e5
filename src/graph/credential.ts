import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { SignInError, UsageError } from '../errors.js';
import type { Logger } from '../ui/log.js';
import { registerSecret } from '../core/redact.js';
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
 * Why a browser sign-in cannot work here, or undefined when it can. @azure/identity opens the
 * browser with the `open` package, which on Linux starts `xdg-open` detached with its output
 * ignored: when no browser appears, nothing reports it and the sign-in waits for a redirect
 * that never comes. So the question is decided up front, from what `open` needs: a terminal to
 * sign in from, and a desktop (macOS, Windows, WSL, or an X11/Wayland display on Linux). Pure.
 */
export function browserUnavailable(facts: {
  env: NodeJS.ProcessEnv;
  stdinTTY: boolean;
  stderrTTY: boolean;
  platform: NodeJS.Platform;
  osRelease: string;
}): string | undefined {
  if (!facts.stdinTTY || !facts.stderrTTY) return 'there is no terminal';
  if (facts.platform === 'darwin' || facts.platform === 'win32') return undefined;
  // WSL: `open` hands the URL to Windows (PowerShell), which has a desktop.
  if (/microsoft/i.test(facts.osRelease) || facts.env.WSL_DISTRO_NAME) return undefined;
  if (facts.env.DISPLAY || facts.env.WAYLAND_DISPLAY) return undefined;
  return 'there is no display to open a browser on (DISPLAY and WAYLAND_DISPLAY are unset)';
}

/** True when an executable `name` is in one of PATH's folders (the Azure CLI is `az`, `az.cmd` on Windows). */
export function onPath(name: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): boolean {
  const names = platform === 'win32' ? [`${name}.cmd`, `${name}.exe`, `${name}.bat`] : [name];
  for (const dir of (env.PATH ?? env.Path ?? '').split(path.delimiter)) {
    if (!dir) continue;
    for (const n of names) {
      try {
        const file = path.join(dir, n);
        accessSync(file, constants.X_OK);
        if (statSync(file).isFile()) return true;
      } catch {
        // not here
      }
    }
  }
  return false;
}

/**
 * The default sign-in: client credentials when a secret or certificate is in the environment,
 * a token handed over by a pipeline, a federated token (workload identity); else on a terminal
 * the browser (the device code when no browser can open), else the Azure CLI login.
 */
export function defaultAuthMethod(env: NodeJS.ProcessEnv, interactive: boolean, browser = true): AuthMethod {
  if (env.AZURE_CLIENT_SECRET) return 'client-secret';
  if (env.AZURE_CLIENT_CERTIFICATE_PATH) return 'client-certificate';
  if (env.ENTRA_PIM_ACCESS_TOKEN || env.ENTRA_PIM_ACCESS_TOKEN_FILE) return 'access-token';
  if (env.AZURE_FEDERATED_TOKEN_FILE) return 'workload-identity';
  if (interactive) return browser ? 'browser' : 'device-code';
  return 'azure-cli';
}

/** What the session knows before the first request, to decide the sign-in. */
export interface SignInFacts {
  /** `--auth` (or ENTRA_PIM_AUTH), when given. */
  explicit?: AuthMethod;
  env: NodeJS.ProcessEnv;
  interactive: boolean;
  /** Why no browser can open here (browserUnavailable), undefined when one can. */
  noBrowser?: string;
  /** Whether the Azure CLI (`az`) is on PATH. */
  azureCli: boolean;
  /** `--client-id` (or AZURE_CLIENT_ID). */
  clientId?: string;
  /** False when no --tenant-id (nor AZURE_TENANT_ID, nor a journal) names the tenant. */
  tenantGiven: boolean;
}

const TENANT_INPUT = '--tenant-id (or AZURE_TENANT_ID)';
const NON_INTERACTIVE_FIX = 'AZURE_CLIENT_ID with AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH, or ENTRA_PIM_ACCESS_TOKEN';

function listed(items: string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/**
 * Decides the sign-in before the first request, from the flags, the environment and the
 * terminal: the method, or one UsageError naming everything missing at once (a browser that
 * cannot open, a script with nothing to sign in with, a method's missing variables). Returns
 * undefined on a terminal with no --auth and no credentials in the environment: the wizard (or
 * the browser/device-code default) chooses later. Reads the certificate file; otherwise pure.
 */
export function decideSignIn(f: SignInFacts): AuthMethod | undefined {
  const { env } = f;
  if (f.explicit === 'browser' && f.noBrowser) {
    throw new UsageError(
      `--auth browser cannot sign in here: ${f.noBrowser}; use --auth device-code, or a non-interactive sign-in (${NON_INTERACTIVE_FIX}). Nothing was sent`,
    );
  }
  // On a terminal the wizard asks for a method that no flag gave (suggesting the default).
  if (!f.explicit && f.interactive) return undefined;
  let method = f.explicit;
  if (!method) {
    const chosen = defaultAuthMethod(env, f.interactive, !f.noBrowser);
    if (chosen === 'browser' || chosen === 'device-code') return undefined;
    if (chosen === 'azure-cli' && env.AZURE_CLIENT_ID) {
      // An app id without its secret or certificate is a client-credential sign-in half set up,
      // not a wish for the Azure CLI.
      const missing = ['AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH)', ...(f.tenantGiven ? [] : [TENANT_INPUT])];
      throw new UsageError(
        `AZURE_CLIENT_ID is set, so the sign-in is the app's: it also needs ${listed(missing)} (or choose another --auth). Nothing was sent`,
      );
    }
    if (chosen === 'azure-cli' && !f.azureCli) {
      throw new UsageError(
        `no sign-in: there is no terminal to sign in on and the Azure CLI (az) is not on PATH; set ${NON_INTERACTIVE_FIX}${f.tenantGiven ? '' : `, with ${TENANT_INPUT}`}, or choose --auth (e.g. managed-identity). Nothing was sent`,
      );
    }
    method = chosen;
  }
  const missing = missingSignInInputs(method, env, f.clientId);
  if (missing.length && !f.tenantGiven) missing.push(TENANT_INPUT);
  if (missing.length) throw missingInputsError(method, missing, !f.explicit);
  checkSignInFiles(method, env);
  return method;
}

/** The inputs a method needs that are not set (the client id may also come from --client-id). */
export function missingSignInInputs(method: AuthMethod, env: NodeJS.ProcessEnv, clientId?: string): string[] {
  const missing: string[] = [];
  const need = (name: string) => {
    if (!env[name]) missing.push(name);
  };
  const needClientId = () => {
    if (!clientId && !env.AZURE_CLIENT_ID) missing.push('AZURE_CLIENT_ID');
  };
  switch (method) {
    case 'client-secret':
      needClientId();
      need('AZURE_CLIENT_SECRET');
      break;
    case 'client-certificate':
      needClientId();
      need('AZURE_CLIENT_CERTIFICATE_PATH');
      break;
    case 'workload-identity':
      needClientId();
      need('AZURE_FEDERATED_TOKEN_FILE');
      break;
    case 'access-token':
      if (!env.ENTRA_PIM_ACCESS_TOKEN && !env.ENTRA_PIM_ACCESS_TOKEN_FILE)
        missing.push('ENTRA_PIM_ACCESS_TOKEN or ENTRA_PIM_ACCESS_TOKEN_FILE');
      break;
    default:
      break;
  }
  return missing;
}

/** The variable that made the default sign-in this method. */
const IMPLIED_BY: Partial<Record<AuthMethod, string>> = {
  'client-secret': 'AZURE_CLIENT_SECRET',
  'client-certificate': 'AZURE_CLIENT_CERTIFICATE_PATH',
  'access-token': 'ENTRA_PIM_ACCESS_TOKEN',
  'workload-identity': 'AZURE_FEDERATED_TOKEN_FILE',
};

function missingInputsError(method: AuthMethod, missing: string[], implied: boolean): UsageError {
  const why = implied && IMPLIED_BY[method] ? ` (chosen because ${IMPLIED_BY[method]} is set)` : '';
  const what = missing.length === 1 && /^[A-Z_]+$/.test(missing[0]) ? `the environment variable ${missing[0]}` : listed(missing);
  return new UsageError(`--auth ${method}${why} needs ${what}`);
}

function checkSignInFiles(method: AuthMethod, env: NodeJS.ProcessEnv): void {
  if (method === 'client-secret') registerSecret(env.AZURE_CLIENT_SECRET);
  if (method === 'access-token') registerSecret(env.ENTRA_PIM_ACCESS_TOKEN);
  if (method === 'client-certificate') {
    const p = env.AZURE_CLIENT_CERTIFICATE_PATH!;
    try {
      readFileSync(p);
    } catch {
      throw new UsageError(`AZURE_CLIENT_CERTIFICATE_PATH: cannot read ${p}; give a readable PEM or PFX file`);
    }
    registerSecret(env.AZURE_CLIENT_CERTIFICATE_PASSWORD);
  }
}

/**
 * How long getting a token may take before it fails with one line: the browser 5 minutes, the
 * device code its own lifetime (Entra's device codes last 15 minutes), other methods 2 minutes.
 * ENTRA_PIM_SIGN_IN_TIMEOUT_MS overrides it.
 */
export function signInDeadlineMs(method: AuthMethod, env: NodeJS.ProcessEnv): number {
  const given = Number(env.ENTRA_PIM_SIGN_IN_TIMEOUT_MS);
  if (env.ENTRA_PIM_SIGN_IN_TIMEOUT_MS && Number.isFinite(given) && given > 0) return given;
  if (method === 'browser') return 5 * 60_000;
  if (method === 'device-code') return 15 * 60_000;
  return 2 * 60_000;
}

function durationText(ms: number): string {
  return ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000} min` : ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`;
}

/** Settles like `work`, or rejects with `onTimeout()` once `ms` have passed. */
function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
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

/** Checks, before any network call, that the chosen method has what it needs: every missing input in one line. */
export function validateAuthEnvironment(method: AuthMethod, env: NodeJS.ProcessEnv, clientId?: string): void {
  const missing = missingSignInInputs(method, env, clientId);
  if (missing.length) throw missingInputsError(method, missing, false);
  checkSignInFiles(method, env);
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
      // A sign-in nobody completes (a browser that never opened, a device code nobody enters,
      // an endpoint that never answers) ends with one line instead of waiting for ever.
      const ms = signInDeadlineMs(method, env);
      const abort = new AbortController();
      const token = await withDeadline(
        (async () => (await credential).getToken(publicClient ? scopes : opts.scope, { abortSignal: abort.signal }))(),
        ms,
        () => {
          abort.abort();
          return new SignInError(
            `sign-in with --auth ${method} failed: no token within ${durationText(ms)} (${method === 'device-code' ? 'nobody entered the code' : method === 'browser' ? 'the browser sign-in was not completed' : 'no answer from the sign-in'}; the limit is ENTRA_PIM_SIGN_IN_TIMEOUT_MS)`,
          );
        },
      );
      if (!token) throw new Error(`sign-in with --auth ${method} returned no token`);
      registerSecret(token.token);
      return token.token;
    })()
      .catch((raw: unknown) => {
        const err = signInError(method, raw, opts.authorityHost);
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
  '7000215': "check AZURE_CLIENT_SECRET: it must be the secret's value, not its id",
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
export function signInError(method: AuthMethod, err: unknown, authorityHost?: string): Error {
  const name = (err as { name?: unknown } | undefined)?.name;
  if (name === 'SignInError' || name === 'UsageError' || name === 'InterruptedError' || name === 'ExitPromptError') return err as Error;
  const text = err instanceof Error ? err.message : String(err);
  if (method === 'azure-cli') {
    if (/could not be found|not found|not recognized|ENOENT/i.test(text)) {
      return new SignInError(
        '--auth azure-cli: the Azure CLI (az) is not installed or not on PATH; install it and run az login, or choose another --auth',
        { cause: err },
      );
    }
    if (/az login/i.test(text))
      return new SignInError('--auth azure-cli: the Azure CLI is not signed in; run az login (with --tenant), or choose another --auth', {
        cause: err,
      });
  }
  // MSAL names no host when the sign-in endpoints cannot be reached (no network, a wrong
  // AZURE_AUTHORITY_HOST): the line names the host it was given.
  const unreachable = /^(endpoints_resolution_error|network_error)\b/.exec(text);
  if (unreachable && authorityHost && method !== 'azure-cli' && method !== 'managed-identity') {
    return new SignInError(
      `sign-in with --auth ${method} failed: cannot reach the sign-in host ${new URL(authorityHost).host} (${unreachable[1]}); check the network${authorityHost === 'https://login.microsoftonline.com' ? '' : ' and AZURE_AUTHORITY_HOST / --cloud'}`,
      { cause: err },
    );
  }
  const aadsts = /AADSTS(\d+):\s*([^.\r\n]*)/.exec(text);
  if (aadsts) {
    const fix = AADSTS_FIX[aadsts[1]];
    return new SignInError(
      `sign-in with --auth ${method} was refused: AADSTS${aadsts[1]}: ${aadsts[2].slice(0, 120)}${fix ? `; ${fix}` : ''}`,
      { cause: err },
    );
  }
  // The first line, without links: enough to act on, short enough for a log line.
  const first = text
    .split(/\r?\n/)[0]
    .replace(/\s*https?:\/\/\S+/g, '')
    .trim();
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
