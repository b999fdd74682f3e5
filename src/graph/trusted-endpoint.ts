import { CLOUDS } from './clouds.js';

const isLoopback = (host: string) => host === 'localhost' || host === '127.0.0.1' || host === '[::1]';

/**
 * Pure: whether a Graph endpoint read from a file (a journal, a saved plan) may receive the
 * token without the person naming it: a national cloud's own Graph host, or this machine. A
 * file is only a file: whoever can edit it could otherwise send the token to their own server.
 */
export function trustedGraph(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return Object.values(CLOUDS).some((c) => c.graph === parsed.origin) || isLoopback(parsed.hostname);
}

/** Pure: whether a Keycloak URL read from a saved plan may receive the Keycloak secret unnamed: only on this machine. */
export function trustedKeycloak(url: string): boolean {
  try {
    return isLoopback(new URL(url).hostname);
  } catch {
    return false;
  }
}
