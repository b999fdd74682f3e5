import { isLoopbackHost } from '../core/loopback.js';
import { CLOUDS } from './clouds.js';

/**
 * Pure: whether a Graph endpoint read from a file (a journal, a saved plan) may receive the
 * token without the person naming it: a national cloud's own Graph host, or this machine. A
 * file is only a file: whoever can edit it could otherwise send the token to their own server.
 */
export function trustedGraph(url: string): boolean {
  return nationalCloudGraph(url) || isLoopbackUrl(url);
}

/** Pure: whether a URL is a national cloud's own Microsoft Graph host (clouds.ts). */
export function nationalCloudGraph(url: string): boolean {
  try {
    const origin = new URL(url).origin;
    return Object.values(CLOUDS).some((c) => c.graph === origin);
  } catch {
    return false;
  }
}

function isLoopbackUrl(url: string): boolean {
  try {
    return isLoopbackHost(new URL(url).hostname);
  } catch {
    return false;
  }
}

/** Pure: whether a Keycloak URL read from a saved plan may receive the Keycloak secret unnamed: only on this machine. */
export function trustedKeycloak(url: string): boolean {
  return isLoopbackUrl(url);
}
