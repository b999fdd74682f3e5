import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { registerSecret } from '../core/redact.js';
import type { AuthMethod } from './auth-methods.js';

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
        `no sign-in: there is no terminal to sign in on and the Azure CLI (az) is not on PATH; set ` +
          `${NON_INTERACTIVE_FIX}${f.tenantGiven ? '' : `, with ${TENANT_INPUT}`}, or choose --auth (e.g. managed-identity). ` +
          `Nothing was sent`,
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

/** Checks, before any network call, that the chosen method has what it needs: every missing input in one line. */
export function validateAuthEnvironment(method: AuthMethod, env: NodeJS.ProcessEnv, clientId?: string): void {
  const missing = missingSignInInputs(method, env, clientId);
  if (missing.length) throw missingInputsError(method, missing, false);
  checkSignInFiles(method, env);
}
