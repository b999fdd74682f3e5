/** An object id as Entra writes it (8-4-4-4-12 hex digits), in any case. */
export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `value` is a GUID (an Entra object id, tenant id or app id). */
export function isGuid(value: string): boolean {
  return GUID.test(value);
}
