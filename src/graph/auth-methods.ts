/** The sign-in methods (`--auth`). */
export const AUTH_METHODS = [
  'browser',
  'device-code',
  'client-secret',
  'client-certificate',
  'azure-cli',
  'managed-identity',
  'workload-identity',
  'access-token',
] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];
