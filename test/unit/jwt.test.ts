import { describe, expect, it } from 'vitest';
import { jwtClaims } from '../../src/core/jwt.js';

const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('jwtClaims', () => {
  it('reads the payload of a compact JWS without verifying it', () => {
    const token = `${enc({ alg: 'RS256', typ: 'JWT' })}.${enc({ scp: 'User.Read', tid: 't', exp: 20, iat: 10 })}.sig`;
    expect(jwtClaims(token)).toEqual({ scp: 'User.Read', tid: 't', exp: 20, iat: 10 });
  });

  it('gives no claims for text that is not a JWT', () => {
    expect(jwtClaims('opaque-token')).toEqual({});
    expect(jwtClaims(`h.${Buffer.from('not json').toString('base64url')}.s`)).toEqual({});
    expect(jwtClaims('')).toEqual({});
    // A payload that is JSON but not an object, a JWE (five parts), a payload not in base64url.
    expect(jwtClaims(`h.${enc([1, 2])}.s`)).toEqual({});
    expect(jwtClaims(`h.${enc({ a: 1 })}.k.iv.tag`)).toEqual({});
    expect(jwtClaims(`h.${enc({ a: 1 }).slice(0, -1)}*.s`)).toEqual({});
    expect(jwtClaims(`h..s`)).toEqual({});
  });
});
