/** How Keycloak reads a boolean config flag. */

/**
 * Java's `Boolean.valueOf(String)` / `Boolean.parseBoolean`, as Keycloak reads its config flags:
 * true only for "true" in any case, and nothing trimmed (" true" is false to Keycloak).
 */
export const javaTrue = (v: string | undefined) => (v ?? '').toLowerCase() === 'true';
