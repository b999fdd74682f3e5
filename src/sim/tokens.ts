import { SignJWT, errors as joseErrors, exportJWK, generateKeyPair, jwtVerify, type JWK, type JWTPayload, type CryptoKey } from 'jose';
import { newGuid } from './ids.js';

/** Claims a test (or the token endpoint) can ask for. */
export interface TokenClaims {
  /** Application permissions: makes an app-only token. */
  roles?: string[];
  /** Space-separated delegated scopes: makes a delegated token (needs `oid`). */
  scp?: string;
  /** Object id of the signed-in user (delegated) or of the client's service principal (app-only). */
  oid?: string;
  /** Client id. */
  appid?: string;
  /** Lifetime in seconds (default 3600; negative = already expired). */
  expiresInSec?: number;
  /** Authentication methods, e.g. `["pwd","mfa"]` (PIM's MFA rule reads it). */
  amr?: string[];
  /** Authentication context class references satisfied (PIM's authentication-context rule). */
  acrs?: string[];
  /** Overrides the tenant claim (to test cross-tenant rejection). */
  tid?: string;
  /** Overrides the audience (default: the sim's origin). */
  aud?: string;
  /** Active role template ids (diagnostics only, as in Entra). */
  wids?: string[];
}

export type VerifyResult = { ok: true; payload: JWTPayload & Record<string, unknown> } | { ok: false; expired: boolean; message: string };

/** Signs and verifies the sim's RS256 access tokens. */
export class TokenService {
  private constructor(
    private readonly privateKey: CryptoKey,
    private readonly publicKey: CryptoKey,
    private readonly publicJwk: JWK,
    readonly kid: string,
  ) {}

  /** Generates a fresh signing key. */
  static async create(): Promise<TokenService> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk = await exportJWK(publicKey);
    const kid = newGuid().replace(/-/g, '').slice(0, 27);
    return new TokenService(privateKey, publicKey, { ...jwk, kid, use: 'sig', alg: 'RS256', kty: 'RSA' }, kid);
  }

  /** The JWKS document served at `/{tenant}/discovery/v2.0/keys`. */
  jwks(issuer: string): { keys: Record<string, unknown>[] } {
    return { keys: [{ ...this.publicJwk, x5t: this.kid, issuer }] };
  }

  /** Signs a token with the given payload; `iat`/`nbf`/`exp` come from `nowMs` and the lifetime. */
  async sign(payload: Record<string, unknown>, nowMs: number, expiresInSec: number): Promise<string> {
    const iat = Math.floor(nowMs / 1000);
    const exp = iat + Math.trunc(expiresInSec);
    // Entra backdates nbf by five minutes to tolerate clock skew (ASSUMPTIONS.md, Sign-in and tokens).
    // Claims iat/nbf/exp/uti/ver and the RS256 header with kid and x5t: Learn "Access token claims reference".
    const nbf = Math.min(iat, exp) - 300;
    return new SignJWT({ ...payload, uti: newGuid().replace(/-/g, '').slice(0, 22), ver: '1.0' })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.kid, x5t: this.kid })
      .setIssuedAt(iat)
      .setNotBefore(nbf)
      .setExpirationTime(exp)
      .sign(this.privateKey);
  }

  /** Verifies signature and lifetime against the sim clock; the messages are community wording (ASSUMPTIONS.md). */
  async verify(token: string, now: Date): Promise<VerifyResult> {
    try {
      const { payload } = await jwtVerify(token, this.publicKey, { algorithms: ['RS256'], currentDate: now, clockTolerance: 0 });
      return { ok: true, payload: payload as JWTPayload & Record<string, unknown> };
    } catch (e) {
      if (e instanceof joseErrors.JWTExpired)
        return { ok: false, expired: true, message: 'Lifetime validation failed, the token is expired.' };
      if (e instanceof joseErrors.JWSSignatureVerificationFailed) {
        return { ok: false, expired: false, message: 'Access token validation failure. Invalid signature.' };
      }
      if (e instanceof joseErrors.JWTClaimValidationFailed) {
        return { ok: false, expired: false, message: `Access token validation failure. ${e.message}` };
      }
      return { ok: false, expired: false, message: 'IDX14100: JWT is not well formed.' };
    }
  }
}
