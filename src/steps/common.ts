/** `--expiry-warning` default: warn when every usable eligibility ends within 30 days. */
export const DEFAULT_EXPIRY_WARNING_MS = 30 * 86_400_000;

/** The all-zero app role id: "default access", valid only for apps that declare no app roles. */
export const DEFAULT_ACCESS_ROLE_ID = '00000000-0000-0000-0000-000000000000';
