import { readFileSync } from 'node:fs';
import { SignInError, UsageError } from '../errors.js';
import type { Logger } from '../ui/log.js';
import { registerSecret } from '../core/redact.js';
import type { AuthMethod } from './auth-methods.js';
import { isKnownAuthority } from './clouds.js';
import { GRAPH_CLI_CLIENT_ID, PUBLIC_CLIENT_METHODS } from './delegated-scopes.js';
import type { TokenSource } from './resilience.js';
import { validateAuthEnvironment } from './sign-in-decision.js';
import { durationText, signInDeadlineMs, withDeadline } from './sign-in-deadline.js';
import { signInError } from './sign-in-error.js';

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
          const why =
            method === 'device-code'
              ? 'nobody entered the code'
              : method === 'browser'
                ? 'the browser sign-in was not completed'
                : 'no answer from the sign-in';
          return new SignInError(
            `sign-in with --auth ${method} failed: no token within ${durationText(ms)} ` +
              `(${why}; ` +
              `the limit is ENTRA_PIM_SIGN_IN_TIMEOUT_MS)`,
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
