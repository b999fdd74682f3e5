/** Keys whose values are never printed, logged or journaled. */
const SENSITIVE_KEY = /secret|password|passwd|token|assertion|authorization|credential|private.?key|^code$/i;

// One set for the whole process: bin's CommonJS start-up bundle and the commands' ES modules
// each hold a copy of this module, and a secret registered through one copy (by a command) must
// be masked by the other (main's last-resort error line).
const REGISTRY = Symbol.for('entra-pim-setup.secrets');
const secrets: Set<string> = ((globalThis as { [REGISTRY]?: Set<string> })[REGISTRY] ??= new Set<string>());

/** Registers a secret value so that any later output containing it is masked. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 6) secrets.add(value);
}

/** Masks registered secret values and bearer/JWT-looking strings in free text. */
export function redactText(text: string): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('***');
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
