/** Exit codes shared by every command (only bin/ calls process.exit). */
export const ExitCode = {
  ok: 0,
  error: 1,
  drift: 2,
  interrupted: 130,
} as const;

/** Bad input: a flag, variable or file value that is not allowed. Printed as one line, exit 1. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The user declined or interrupted; nothing more is sent. */
export class InterruptedError extends Error {
  override name = 'InterruptedError';
}

/** A Graph call failed after retries. */
export class GraphRequestError extends Error {
  override name = 'GraphRequestError';
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly code: string | undefined,
    readonly method: string,
    readonly url: string,
    readonly requestId?: string,
  ) {
    super(message);
  }
}

/**
 * A Graph request that retrying cannot help: the host does not resolve, its certificate is not
 * trusted, nothing listens there. One line naming the host and the fix.
 */
export class TransportError extends Error {
  override name = 'TransportError';
}

/** The credential refused to give a token (wrong secret, no consent, no Azure CLI login): one line with the fix. */
export class SignInError extends Error {
  override name = 'SignInError';
}

/** A Keycloak admin API call failed. */
export class KeycloakError extends Error {
  override name = 'KeycloakError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** A run was stopped with a message for the user (e.g. prerequisites failed); the report is still printed. */
export class StopError extends Error {
  override name = 'StopError';
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.error,
    /** The stable `error.code` of the --json failure document. */
    readonly code: string = 'STOPPED',
  ) {
    super(message);
  }
}

/**
 * Maps any thrown value to an exit code. By name, not instanceof: bin's CommonJS start-up bundle
 * holds its own copy of this module, apart from the one the commands' ES modules throw from.
 */
export function exitCodeFor(err: unknown): number {
  const e = err && typeof err === 'object' ? (err as { name?: unknown; exitCode?: unknown }) : {};
  if (e.name === 'InterruptedError' || e.name === 'ExitPromptError') return ExitCode.interrupted;
  if (e.name === 'StopError' && typeof e.exitCode === 'number') return e.exitCode;
  return ExitCode.error;
}

/**
 * The stable `error.code` of the `--json` failure document. By name, like exitCodeFor: USAGE
 * (a flag, value, variable, file or command), SIGN_IN, NETWORK (no answer), GRAPH (an answer
 * refused or not understood), KEYCLOAK, JOURNAL, INTERRUPTED, or a StopError's own code.
 */
export function errorCodeFor(err: unknown): string {
  const e = err && typeof err === 'object' ? (err as { name?: unknown; code?: unknown; status?: unknown }) : {};
  if (typeof e.code === 'string' && e.code.startsWith('commander.')) return 'USAGE';
  switch (e.name) {
    case 'UsageError':
      return 'USAGE';
    case 'SignInError':
      return 'SIGN_IN';
    case 'TransportError':
      return 'NETWORK';
    case 'GraphRequestError':
      return e.status === undefined ? 'NETWORK' : 'GRAPH';
    case 'KeycloakError':
      return 'KEYCLOAK';
    case 'JournalError':
      return 'JOURNAL';
    case 'InterruptedError':
    case 'ExitPromptError':
      return 'INTERRUPTED';
    case 'StopError':
      return typeof e.code === 'string' ? e.code : 'STOPPED';
    default:
      return 'INTERNAL';
  }
}
