import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import { CONTOSO, contosoSeed, type SimulatedTenant, type TenantSeed } from '../../src/sim/index.js';
import { ELIGIBLE, END, G, journalPath } from './sim.js';

/**
 * A second realm's admin group (a plain security group with one standing member, Erin), beside
 * the seed's tenant-admin: the shape of the seed's own groups (Learn "group resource type").
 */
export const STAGING_GROUP = '5d2b7a4e-8c1f-4e3a-9b6d-2f7e0c9a1b35';

/** The Contoso seed with the staging realm's admin group added. */
export function twoRealmSeed(): TenantSeed {
  const seed = contosoSeed();
  const base = seed.groups.find((g) => g.id === G)!;
  seed.groups.push({
    ...structuredClone(base),
    id: STAGING_GROUP,
    displayName: 'staging-admin',
    mailNickname: 'staging-admin',
    description: 'Staging realm administrators',
    members: [CONTOSO.users.erin],
    owners: [],
  });
  return seed;
}

export interface Target {
  name: string;
  [key: string]: unknown;
}

/** Production: the OIDC Keycloak app and tenant-admin. */
export const PROD: Target = {
  name: 'prod',
  'app-id': CONTOSO.keycloakAppId,
  group: 'tenant-admin',
  'app-role': 'tenant-admin',
  eligible: ELIGIBLE,
};

/** Staging: the SAML Keycloak app and staging-admin. */
export const STAGING: Target = {
  name: 'staging',
  'app-id': CONTOSO.keycloakSamlAppId,
  group: 'staging-admin',
  'app-role': 'tenant-admin',
  eligible: [CONTOSO.upns.alice],
};

/** A config file in a fresh folder: the sim's sign-in settings at the top, then the targets. */
export async function targetsConfig(
  sim: SimulatedTenant,
  targets: Target[],
  top: Record<string, unknown> = {},
  format: 'json' | 'yaml' = 'json',
): Promise<string> {
  const file = await journalPath(`multi.${format}`);
  const doc = { 'tenant-id': CONTOSO.tenantId, 'graph-endpoint': sim.url, 'skip-keycloak': true, end: END, ...top, targets };
  await writeFile(file, format === 'json' ? JSON.stringify(doc, null, 2) : stringify(doc));
  return file;
}

/** Client-secret sign-in against the simulated tenant: its token requests can be counted. */
export const clientSecretEnv = (sim: SimulatedTenant) => ({
  AZURE_CLIENT_ID: CONTOSO.automation.clientId,
  AZURE_CLIENT_SECRET: CONTOSO.automation.clientSecret,
  AZURE_AUTHORITY_HOST: sim.url,
});

/** Token requests the simulated tenant answered. */
export const tokenRequests = (sim: SimulatedTenant) => sim.requests.filter((r) => r.path.includes('/oauth2/v2.0/token')).length;
