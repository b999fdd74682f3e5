import type { Finding } from '../plan/types.js';

/** Thrown by a step's plan() when an earlier step could not establish what it needs. */
export class SkipStep extends Error {
  override name = 'SkipStep';
}

/** Returns the value or skips the step, naming what is missing. */
export function needFact<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null) throw new SkipStep(`skipped: ${what} is not known (see prerequisites)`);
  return value;
}

export const PIM_GROUP = '/identityGovernance/privilegedAccess/group';

/** `--expiry-warning` default: warn when every usable eligibility ends within 30 days. */
export const DEFAULT_EXPIRY_WARNING_MS = 30 * 86_400_000;

/** The all-zero app role id: "default access", valid only for apps that declare no app roles. */
export const DEFAULT_ACCESS_ROLE_ID = '00000000-0000-0000-0000-000000000000';

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuid(value: string): boolean {
  return GUID.test(value);
}

export const finding = (severity: Finding['severity'], code: string, message: string, fix?: string): Finding =>
  fix ? { severity, code, message, fix } : { severity, code, message };

/** Display name and UPN of a directory object, for messages. */
export function who(o: { displayName?: string | null; userPrincipalName?: string | null; id: string }): string {
  if (o.displayName && o.userPrincipalName) return `${o.displayName} <${o.userPrincipalName}>`;
  return o.displayName ?? o.userPrincipalName ?? o.id;
}
