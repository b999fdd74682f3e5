import { createHash, randomBytes, randomUUID } from 'node:crypto';

/** A fresh random GUID. */
export function newGuid(): string {
  return randomUUID();
}

/** A stable GUID derived from a name, so generated seeds are reproducible. */
export function guidFromName(name: string): string {
  const h = createHash('sha1').update(name).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Graph gives app role assignments and permission grants base64url-looking ids, not GUIDs
 * (Learn "List appRoleAssignedTo" and "List oauth2PermissionGrants" examples); reproducing that
 * catches clients that validate ids as GUIDs. The ids themselves: ASSUMPTIONS.md (Apps).
 */
export function newOpaqueId(): string {
  return randomBytes(32).toString('base64url').slice(0, 43);
}

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a syntactically valid GUID. */
export function isGuid(value: unknown): value is string {
  return typeof value === 'string' && GUID_RE.test(value);
}
