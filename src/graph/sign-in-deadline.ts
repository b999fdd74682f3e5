import type { AuthMethod } from './auth-methods.js';

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

/** `5 min`, `30 s` or `500 ms`, for the timeout message. */
export function durationText(ms: number): string {
  return ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000} min` : ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`;
}

/** Settles like `work`, or rejects with `onTimeout()` once `ms` have passed. */
export function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
