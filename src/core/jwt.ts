/**
 * The claims of a JWT, read without verifying its signature (diagnostics and timing only: scp,
 * roles, tid, amr, exp, iat); an empty object when the text is not a JWT with a JSON payload.
 * The service that receives the token verifies it.
 *
 * Decoded here rather than with a JWT library: the run reads claims before its first question,
 * and loading a library's modules there costs more than the decoding (RFC 7519 §7.2: the
 * payload is the second of three base64url parts, a JSON object).
 */
export function jwtClaims(token: string): Record<string, unknown> {
  try {
    const parts = token.split('.');
    if (parts.length !== 3 || !/^[A-Za-z0-9_-]+={0,2}$/.test(parts[1])) return {};
    const claims: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(parts[1], 'base64url')));
    return claims !== null && typeof claims === 'object' && !Array.isArray(claims) ? (claims as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
