import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import type { Logger } from '../ui/log.js';
import { registerSecret } from '../ui/redact.js';
import { isKnownAuthority } from './clouds.js';
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
  scope: string;
  env: NodeJS.ProcessEnv;
  log: Logger;
}

function need(env: NodeJS.ProcessEnv, name: string, method: AuthMethod): string {
  const v = env[name];
  if (!v) throw new UsageError(`--auth ${method} needs the environment variable ${name}`);
  return v;
}

/** Checks, before any network call, that the chosen method has what it needs. */
export function validateAuthEnvironment(method: AuthMethod, env: NodeJS.ProcessEnv): void {
  switch (method) {
    case 'client-secret':
      need(env, 'AZURE_CLIENT_ID', method);
      registerSecret(need(env, 'AZURE_CLIENT_SECRET', method));
      break;
    case 'client-certificate': {
      need(env, 'AZURE_CLIENT_ID', method);
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
      need(env, 'AZURE_CLIENT_ID', method);
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

/** Builds a token source; @azure/identity is imported only by it, at the first token it is asked for. */
export async function createTokenSource(opts: CredentialOptions): Promise<TokenSource> {
  const { method, env } = opts;
  validateAuthEnvironment(method, env);
  if (method === 'access-token') return accessTokenSource(env);
  // @azure/identity takes about as long to load as Node takes to start, so it is imported at the
  // first token, not here: on a terminal the wizard's first question comes before that, and the
  // wizard loads the package in the background while the user reads and types.
  let credential: Promise<import('@azure/identity').TokenCredential> | undefined;
  return {
    async getToken() {
      credential ??= createCredential(opts);
      const token = await (await credential).getToken(opts.scope);
      if (!token) throw new Error(`sign-in with --auth ${method} returned no token`);
      registerSecret(token.token);
      return token.token;
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
  const clientId = env.AZURE_CLIENT_ID;
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
        userPromptCallback: (info) => opts.log.info(info.message),
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
