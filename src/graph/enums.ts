/**
 * Graph enum values, compared the way Graph itself treats them: case-insensitively.
 *
 * Why: the PIM for Groups resource pages list lower-camel members (`activated`, `direct`),
 * while every documented example response writes them capitalised (`"assignmentType":
 * "Assigned"`, `"memberType": "Direct"`, `"status": "Provisioned"`; Learn "List
 * assignmentScheduleInstances", "List eligibilitySchedules", "Create eligibilityScheduleRequest"),
 * and requests accept `AdminAssign` as well as `adminAssign`. A case-sensitive comparison took an
 * activated admin for a standing member. Every enum the tool reads from Graph (assignmentType,
 * memberType, status, accessId, action) is compared here and nowhere else.
 */

/** True when a Graph enum value equals `expected`, ignoring case; absent values never match. */
export function enumIs(value: unknown, expected: string): boolean {
  return typeof value === 'string' && value.toLowerCase() === expected.toLowerCase();
}

/** True when a Graph enum value is one of `expected`, ignoring case. */
export function enumIn(value: unknown, expected: readonly string[]): boolean {
  return expected.some((e) => enumIs(value, e));
}

/**
 * Member access (not owner). Every documented PIM instance carries accessId and the tool never
 * `$select`s it away, so an instance without one is not understood and does not count (fail closed:
 * it must not explain anyone's admin rights).
 */
export function isMemberAccess(o: { accessId?: string | null }): boolean {
  return enumIs(o.accessId, 'member');
}

/** An active PIM assignment that comes from a self-activation (not an admin's assignment). */
export function isActivated(o: { assignmentType?: string | null }): boolean {
  return enumIs(o.assignmentType, 'activated');
}

/** True when a list of Graph enum values (groupTypes, allowedMemberTypes, enabledRules) holds `expected`, ignoring case. */
export function enumListHas(values: readonly unknown[] | null | undefined, expected: string): boolean {
  return (values ?? []).some((v) => enumIs(v, expected));
}

/**
 * A Graph enum value in the casing this tool writes (one of `known`), or the value as Graph sent it
 * when it is none of them; so a set built from Graph's answer and our own values holds no
 * near-duplicates such as `justification` and `Justification`.
 */
export function canonicalEnum(value: string, known: readonly string[]): string {
  return known.find((k) => enumIs(value, k)) ?? value;
}
