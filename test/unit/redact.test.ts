import { describe, expect, it } from 'vitest';
import { redact, redactText, registerSecret } from '../../src/core/redact.js';

// The registry is process-wide: each case uses secrets of its own, unlike the others'.
describe('registerSecret / redactText', () => {
  it('masks a short secret wherever it stands as itself', () => {
    registerSecret('Kc9');
    expect(redactText('password=Kc9&grant_type=password')).toBe('password=***&grant_type=password');
    expect(redactText('{"password":"Kc9"}')).toBe('{"password":"***"}');
    expect(redactText('justification: ticket Kc9')).toBe('justification: ticket ***');
    expect(redactText('Kc9')).toBe('***');
    expect(redactText('Kc9-x Kc9.')).toBe('***-x ***.');
  });

  it('masks a one-character secret without turning every word and id into asterisks', () => {
    registerSecret('7');
    expect(redactText('secret is 7')).toBe('secret is ***');
    expect(redactText('removed 17 members; 7 left')).toBe('removed 17 members; *** left');
    const id = '8f2d6a3c-1b4e-4c5d-9e7f-0a1b2c3d4e57';
    expect(redactText(`/groups/${id}/members/$ref`)).toBe(`/groups/${id}/members/$ref`);
  });

  it('a weak password like "admin" is masked as a token, also inside a hyphenated name', () => {
    registerSecret('qadm');
    expect(redactText('tenant-qadm group; qadmin stays')).toBe('tenant-*** group; qadmin stays');
  });

  it('a secret made of symbols at its edge is masked next to letters too', () => {
    registerSecret('!zq');
    expect(redactText('x!zq')).toBe('x***');
  });

  it('masks a short secret inside the journal entries redact() copies', () => {
    registerSecret('Jw4');
    expect(redact({ request: { body: { justification: 'ticket Jw4' } }, n: 4 })).toEqual({
      request: { body: { justification: 'ticket ***' } },
      n: 4,
    });
  });

  it('masks the URL- and JSON-encoded forms of a secret, as a form body or a JSON string carries it', () => {
    const secret = 'p@ss w0rd/"quoted"';
    registerSecret(secret);
    expect(redactText(`client_secret=${encodeURIComponent(secret)}&x=1`)).toBe('client_secret=***&x=1');
    expect(redactText(`client_secret=${new URLSearchParams({ v: secret }).toString().slice(2)}&x=1`)).toBe('client_secret=***&x=1');
    expect(redactText(JSON.stringify({ note: secret }))).toBe('{"note":"***"}');
  });

  it('a long secret is still masked everywhere, also inside a word, and before a shorter one it contains', () => {
    registerSecret('Hx2');
    registerSecret('longHx2secret');
    expect(redactText('xxlongHx2secretyy Hx2')).toBe('xx***yy ***');
  });
});
