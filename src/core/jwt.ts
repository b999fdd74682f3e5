import { decodeJwt } from 'jose/jwt/decode';

/**
 * The claims of a JWT, read without verifying its signature (diagnostics and timing only: scp,
 * roles, tid, amr, exp, iat); an empty object when the text is not a JWT with a JSON payload.
 * The service that receives the token verifies it.
 */
export function jwtClaims(token: string): Record<string, unknown> {
  try {
    return decodeJwt(token) as Record<string, unknown>;
  } catch {
    return {};
  }
}
