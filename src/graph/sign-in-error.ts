import { SignInError } from '../errors.js';
import type { AuthMethod } from './auth-methods.js';

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
      `sign-in with --auth ${method} failed: cannot reach the sign-in host ${new URL(authorityHost).host} (${unreachable[1]}); ` +
        `check the network${authorityHost === 'https://login.microsoftonline.com' ? '' : ' and AZURE_AUTHORITY_HOST / --cloud'}`,
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
