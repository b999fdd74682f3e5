/** Keys whose values are never printed, logged or journaled. */
const SENSITIVE_KEY = /secret|password|passwd|token|assertion|authorization|credential|private.?key|^code$/i;

// One set for the whole process: bin's CommonJS start-up bundle and the commands' ES modules
// each hold a copy of this module, and a secret registered through one copy (by a command) must
// be masked by the other (main's last-resort error line).
const REGISTRY = Symbol.for('entra-pim-setup.secrets');
const secrets: Set<string> = ((globalThis as { [REGISTRY]?: Set<string> })[REGISTRY] ??= new Set<string>());

/**
 * Below this length a secret is masked only where it stands as a whole token (not inside a
 * longer run of letters, digits or `_`). A weak password such as "admin" or "1" is still masked
 * wherever it appears as itself (`password=admin`, `"admin"`, `tenant-admin`), but the words and
 * GUIDs that merely contain those letters stay readable: masking every "1" would turn every id
 * and count into asterisks, and a reader could not tell the secret from the noise anyway.
 */
export const SHORT_SECRET = 6;

/**
 * Registers a secret value, whatever its length, so that any later output containing it is
 * masked; its URL- and JSON-encoded forms too, as a form body or a JSON document carries it.
 */
export function registerSecret(value: string | undefined): void {
  if (!value) return;
  for (const form of [
    value,
    encodeURIComponent(value),
    new URLSearchParams({ v: value }).toString().slice(2),
    JSON.stringify(value).slice(1, -1),
  ]) {
    if (form) secrets.add(form);
  }
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const WORD = /[\p{L}\p{N}_]/u;
const GUID = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/i;
const maskers = new Map<string, (text: string) => string>();

/** Masks one secret: everywhere when long, as a whole token when short (see SHORT_SECRET). */
function masker(secret: string): (text: string) => string {
  if ([...secret].length >= SHORT_SECRET) return (text) => text.split(secret).join('***');
  // The boundary applies only on a side where the secret itself starts or ends with a word
  // character, as \b would: "!a" is masked in "x!a".
  const before = WORD.test(secret[0]) ? '(?<![\\p{L}\\p{N}_])' : '';
  const after = WORD.test(secret[secret.length - 1]) ? '(?![\\p{L}\\p{N}_])' : '';
  const re = new RegExp(`${before}${escapeRegExp(secret)}${after}`, 'gu');
  // A GUID is left whole: a short secret equal to one of its hex groups ("1234") would otherwise
  // break the object ids the journal records for restore, and shows nothing of the secret.
  return (text) =>
    text
      .split(GUID)
      .map((part, i) => (i % 2 === 1 ? part : part.replace(re, '***')))
      .join('');
}

let sorted: { size: number; list: string[] } = { size: -1, list: [] };

/** Longest first: a short secret inside a longer one must not break the longer one's mask. */
function bySize(): string[] {
  // Secrets are only ever added, so the count tells whether the order is stale.
  if (sorted.size !== secrets.size) sorted = { size: secrets.size, list: [...secrets].sort((a, b) => b.length - a.length) };
  return sorted.list;
}

function maskSecret(text: string, secret: string): string {
  let mask = maskers.get(secret);
  if (!mask) maskers.set(secret, (mask = masker(secret)));
  return mask(text);
}

/** Masks registered secret values and bearer/JWT-looking strings in free text. */
export function redactText(text: string): string {
  let out = text;
  for (const s of bySize()) out = maskSecret(out, s);
  return out
    .replace(/(Bearer\s+)[A-Za-z0-9\-._~+/]+=*/gi, '$1***')
    .replace(/eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, '***');
}

/** Deep-copies a value with sensitive keys masked and secret strings removed. */
export function redact<T>(value: T): T {
  if (typeof value === 'string') return redactText(value) as T;
  if (Array.isArray(value)) return value.map((v) => redact(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SENSITIVE_KEY.test(k) && v !== null && v !== undefined && v !== '' ? '***' : redact(v);
    }
    return out as T;
  }
  return value;
}

/**
 * Environment variables that may hold secrets: registered with the redactor at start and again
 * for a report, even when this run does not use them (say `--auth access-token` with
 * AZURE_CLIENT_SECRET also set), since only the variables a run reads are registered on the way.
 */
export const SECRET_ENV = [
  'AZURE_CLIENT_SECRET',
  'AZURE_CLIENT_CERTIFICATE_PASSWORD',
  'ENTRA_PIM_ACCESS_TOKEN',
  'KEYCLOAK_CLIENT_SECRET',
  'KEYCLOAK_PASSWORD',
] as const;
