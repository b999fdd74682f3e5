import { adminSettings } from './keycloak-seed.js';

/**
 * CLI flags and environment that sign in to the test Keycloak as its admin for `realm` through
 * the provider alias `entra`: the secret travels only in the environment, as the README asks.
 */
export function keycloakFlags(realm: string): { flags: string[]; env: Record<string, string>; secret: string } {
  const s = adminSettings(realm);
  const flags = ['--keycloak-url', s.url, '--keycloak-realm', realm, '--keycloak-idp-alias', 'entra'];
  if (s.clientId)
    return {
      flags: [...flags, '--keycloak-client-id', s.clientId],
      env: { KEYCLOAK_CLIENT_SECRET: s.clientSecret! },
      secret: s.clientSecret!,
    };
  return { flags: [...flags, '--keycloak-username', s.username!], env: { KEYCLOAK_PASSWORD: s.password! }, secret: s.password! };
}

/** The simulated tenant's run arguments (support/sim.ts `args`) with Keycloak checked. */
export const withoutSkip = (a: string[]): string[] => a.filter((x) => x !== '--skip-keycloak');
