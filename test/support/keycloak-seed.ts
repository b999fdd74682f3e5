import { randomBytes } from 'node:crypto';
import KcAdminClient from '@keycloak/keycloak-admin-client';
import { inject } from 'vitest';
import type { RunOptions } from '../../src/context.js';
import { MemoryJournal } from '../../src/journal.js';
import { KeycloakApi } from '../../src/keycloak/keycloak-api.js';
import type { KeycloakSettings } from '../../src/keycloak/settings.js';
import type { IdpMapper } from '../../src/keycloak/types.js';
import type { EntraFacts } from '../../src/steps/entra-facts.js';
import type { KeycloakContext } from '../../src/steps/keycloak.js';
import { groupClaimFormat } from '../../src/graph/group-claim.js';
import { silentLogger } from '../../src/ui/log.js';
import type { Prompter } from '../../src/ui/prompt.js';
import { adminToken } from './keycloak-server.js';

/**
 * Seeding for the Keycloak tests. Realms are built through the admin API with the upstream
 * admin client (not the code under test), one fresh realm per test.
 */

export const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
export const OTHER_TENANT = 'f8cdef31-a31e-4b4a-93e4-5f571e91255a';
export const APP_ID = '3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
/** Object id of the Entra group that PIM governs. */
export const GROUP_ID = '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d';
export const GROUP_NAME = 'Keycloak Tenant Admins';
export const SAML_ENTITY_ID = 'https://sso.example.test/realms/tenant';
export const SAML_GROUPS = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups';

/** Master-realm admin client for seeding; signs in again before the 60 s master token runs out. */
export function adminClient(): KcAdminClient {
  const server = inject('keycloak');
  const kc = new KcAdminClient({ baseUrl: server.url, realmName: 'master' });
  let token: string | undefined;
  let at = 0;
  kc.registerTokenProvider({
    getAccessToken: async () => {
      if (!token || Date.now() - at > 30_000) {
        token = await adminToken(server.url, server.admin);
        at = Date.now();
      }
      return token;
    },
  });
  return kc;
}

/** Settings that sign in as the test server's master admin. */
export function adminSettings(realm: string, extra: Partial<KeycloakSettings> = {}): KeycloakSettings {
  const server = inject('keycloak');
  const auth =
    server.admin.kind === 'client'
      ? { clientId: server.admin.clientId, clientSecret: server.admin.clientSecret }
      : { username: server.admin.username, password: server.admin.password };
  return { url: server.url, realm, group: '/tenant-admin', authRealm: 'master', ...auth, ...extra };
}

export function uniqueRealm(prefix = 't'): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export const entraOidc = (tenant = TENANT) => ({
  clientId: APP_ID,
  clientSecret: 'not-a-real-secret',
  issuer: `https://login.microsoftonline.com/${tenant}/v2.0`,
  authorizationUrl: `https://login.microsoftonline.com/${tenant}/oauth2/v2.0/authorize`,
  tokenUrl: `https://login.microsoftonline.com/${tenant}/oauth2/v2.0/token`,
  jwksUrl: `https://login.microsoftonline.com/${tenant}/discovery/v2.0/keys`,
  useJwksUrl: 'true',
  validateSignature: 'true',
  clientAuthMethod: 'client_secret_post',
  defaultScope: 'openid profile email',
  // What the admin console pre-fills; the mapper's own FORCE must win.
  syncMode: 'IMPORT',
});

/**
 * A self-signed RSA certificate (base64 DER, as the admin console's "Validating X509 certificates"
 * field holds it) standing in for the Entra app's SAML signing certificate; valid until 2126.
 */
export const SAML_SIGNING_CERT =
  'MIIDSzCCAjOgAwIBAgIUFPJf2Pp8a3hCItt+XJqywkKzHSkwDQYJKoZIhvcNAQELBQAwNDEyMDAGA1UEAwwpTWljcm9zb2Z0IEF6dXJlIEZlZGVyYXRlZCBTU08gQ2VydGlmaWNhdGUwIBcNMjYxMTMwMTE1NTQ1WhgPMjEyNjExMDYxMTU1NDVaMDQxMjAwBgNVBAMMKU1pY3Jvc29mdCBBenVyZSBGZWRlcmF0ZWQgU1NPIENlcnRpZmljYXRlMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEApWor0LBVsCVy87eMRCYSLjN2vYmT4O6kOYjNhxG+FdJjODAXzKflFy1+0DIg39nJyDql1lFvd4AjaYFdkIui2E9wLDPouQkBXOIilE9PHOp4ZqBzBCejywTj5GJWO3BnhFMz21IStIQ5abqsJDHccQ0S6m7OPoNcsslc0JWjEvkuF4wxK35NwJraxLyveCDWUqInOmzh7CgpeEFfYTxfDU9Jrnz2+V+ddsEf0wyMFd6KSDcAhOnxJVOj0oPOQ0A4fpbcB7OVOkaREGdtxZnyWSggZZNtVhg3Bi+LRA8WLqgEk1q7ddTivQ9F6uUTeF4xuyND7JomEx9N0bWIz1AhyQIDAQABo1MwUTAdBgNVHQ4EFgQUpajkzkO8nfyL4YjYlBi4/h3O0vMwHwYDVR0jBBgwFoAUpajkzkO8nfyL4YjYlBi4/h3O0vMwDwYDVR0TAQH/BAUwAwEB/zANBgkqhkiG9w0BAQsFAAOCAQEAV/HUWdIOHQB6w3dmENlXmM83hBTjSMLZ2m9d07zVXWKMcCkT3YFqVl3aZoFA9d0u8RsKBjS348s84lxfkw2bzBjDo1g67ejTniRXSoO/C/AebQ1ruN9d2l94xFaB/l4isP1m+IcoxmUyI1gPkww6CZoISdFS9EVqibJ/Bei5EssTyZEWtLq1Kl/P9jAtEBjao2OZxMCkVyEdxxUxgZpvhrHygCEc1b0kkCUiFugQ31QpTmgEnr6B7/ghxxZFN3TCPb3WQcNEqz4skVhvD4d/Vp7ij8D09fdOnONbCAh6p+VCPSSvAgFA1UqCd4WGFhnWEmOGod6Gbj4Wfyvm5Vqa1Q==';

/** A SAML provider for Entra as a careful admin stores it: signatures validated against the signing certificate. */
export const entraSaml = (tenant = TENANT) => ({
  singleSignOnServiceUrl: `https://login.microsoftonline.com/${tenant}/saml2`,
  idpEntityId: `https://sts.windows.net/${tenant}/`,
  entityId: SAML_ENTITY_ID,
  nameIDPolicyFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  principalType: 'SUBJECT',
  postBindingResponse: 'true',
  validateSignature: 'true',
  signingCertificate: SAML_SIGNING_CERT,
  syncMode: 'IMPORT',
});

/** The mapper this tool expects for OIDC. */
export function goodOidcMapper(alias = 'entra', config: Record<string, string> = {}): IdpMapper {
  return {
    name: 'tenant-admin-from-entra',
    identityProviderAlias: alias,
    identityProviderMapper: 'oidc-advanced-group-idp-mapper',
    config: {
      syncMode: 'FORCE',
      claims: JSON.stringify([{ key: 'groups', value: GROUP_ID }]),
      'are.claim.values.regex': 'false',
      group: '/tenant-admin',
      ...config,
    },
  };
}

export function goodSamlMapper(alias = 'entra-saml', config: Record<string, string> = {}): IdpMapper {
  return {
    name: 'tenant-admin-from-entra',
    identityProviderAlias: alias,
    identityProviderMapper: 'saml-advanced-group-idp-mapper',
    config: {
      syncMode: 'FORCE',
      attributes: JSON.stringify([{ key: SAML_GROUPS, value: GROUP_ID }]),
      'are.attribute.values.regex': 'false',
      group: '/tenant-admin',
      ...config,
    },
  };
}

export interface SeedOptions {
  /** Identity providers to create (alias, providerId, config). */
  idps?: Array<{ alias: string; providerId: string; config: Record<string, string>; enabled?: boolean }>;
  mappers?: IdpMapper[];
  /** Group paths to create (parents first); default `/tenant-admin`. */
  groups?: string[];
  /** Realm fields; by default sessions end within 8 h so only the case under test produces findings. */
  realm?: Record<string, unknown>;
  /** User-profile attributes to declare (Keycloak 24+ drops attributes the profile does not declare). */
  profileAttributes?: string[];
}

export interface Seeded {
  realm: string;
  kc: KcAdminClient;
  groupIds: Map<string, string>;
}

/** Creates a fresh realm with the given providers, mappers and groups. */
export async function seedRealm(opts: SeedOptions = {}): Promise<Seeded> {
  const kc = adminClient();
  const realm = uniqueRealm();
  await kc.realms.create({
    realm,
    enabled: true,
    ssoSessionMaxLifespan: 8 * 3600,
    ssoSessionIdleTimeout: 1800,
    offlineSessionMaxLifespanEnabled: true,
    offlineSessionMaxLifespan: 8 * 3600,
    ...opts.realm,
  });
  if (opts.profileAttributes?.length) {
    const profile = await kc.users.getProfile({ realm });
    for (const name of opts.profileAttributes) {
      profile.attributes = [
        ...(profile.attributes ?? []),
        { name, displayName: name, permissions: { view: ['admin'], edit: ['admin'] }, multivalued: false },
      ];
    }
    await kc.users.updateProfile({ realm, ...profile });
  }
  const groupIds = new Map<string, string>();
  for (const path of opts.groups ?? ['/tenant-admin']) {
    const parts = path.split('/').filter(Boolean);
    const name = parts.pop()!;
    const parentPath = parts.length ? `/${parts.join('/')}` : undefined;
    const created = parentPath
      ? await kc.groups.createChildGroup({ realm, id: groupIds.get(parentPath)! }, { name })
      : await kc.groups.create({ realm, name });
    groupIds.set(path, created.id);
  }
  for (const idp of opts.idps ?? []) {
    await kc.identityProviders.create({
      realm,
      alias: idp.alias,
      providerId: idp.providerId,
      enabled: idp.enabled ?? true,
      config: idp.config,
    });
  }
  for (const m of opts.mappers ?? []) {
    await kc.identityProviders.createMapper({ realm, alias: m.identityProviderAlias, identityProviderMapper: m });
  }
  return { realm, kc, groupIds };
}

/** Creates a user, optionally linked to a provider and placed in groups. Returns the user id. */
export async function seedUser(
  s: Seeded,
  u: {
    username: string;
    groups?: string[];
    link?: { alias: string; userId: string; userName?: string };
    attributes?: Record<string, string[]>;
    enabled?: boolean;
    password?: string;
  },
): Promise<string> {
  const { id } = await s.kc.users.create({
    realm: s.realm,
    username: u.username,
    enabled: u.enabled ?? true,
    email: `${u.username}@example.test`,
    emailVerified: true,
    firstName: 'Test',
    lastName: u.username,
    attributes: u.attributes,
    ...(u.password ? { credentials: [{ type: 'password', value: u.password, temporary: false }] } : {}),
  });
  for (const path of u.groups ?? []) await s.kc.users.addToGroup({ realm: s.realm, id, groupId: s.groupIds.get(path)! });
  if (u.link) {
    await s.kc.users.addToFederatedIdentity({
      realm: s.realm,
      id,
      federatedIdentityId: u.link.alias,
      federatedIdentity: { identityProvider: u.link.alias, userId: u.link.userId, userName: u.link.userName ?? u.username },
    });
  }
  return id;
}

/** Grants realm-management client roles of the seeded realm to a user of that realm. */
export async function grantRealmManagement(s: Seeded, userId: string, roles: string[]): Promise<void> {
  const [rm] = await s.kc.clients.find({ realm: s.realm, clientId: 'realm-management' });
  const all = await s.kc.clients.listRoles({ realm: s.realm, id: rm.id! });
  const picked = all.filter((r) => roles.includes(r.name!)).map((r) => ({ id: r.id!, name: r.name! }));
  if (picked.length !== roles.length) throw new Error(`realm-management lacks some of ${roles.join(', ')}`);
  await s.kc.users.addClientRoleMappings({ realm: s.realm, id: userId, clientUniqueId: rm.id!, roles: picked });
}

/** A confidential client with a service account in the seeded realm, holding the given realm-management roles. */
export async function seedServiceAccount(s: Seeded, clientId: string, secret: string, roles: string[]): Promise<void> {
  await s.kc.clients.create({
    realm: s.realm,
    clientId,
    secret,
    publicClient: false,
    serviceAccountsEnabled: true,
    standardFlowEnabled: false,
    directAccessGrantsEnabled: false,
  });
  const [client] = await s.kc.clients.find({ realm: s.realm, clientId });
  const sa = await s.kc.clients.getServiceAccountUser({ realm: s.realm, id: client.id! });
  if (roles.length) await grantRealmManagement(s, sa.id!, roles);
}

/** A connected KeycloakApi plus the journal it writes to. */
export async function connectApi(
  settings: KeycloakSettings,
  o: { readOnly?: boolean; now?: () => number } = {},
): Promise<{ api: KeycloakApi; journal: MemoryJournal }> {
  const journal = new MemoryJournal();
  const api = new KeycloakApi({ settings, readOnly: o.readOnly ?? false, journal, log: silentLogger, now: o.now });
  await api.connect();
  return { api, journal };
}

const refusingPrompter: Prompter = {
  interactive: false,
  confirm: async () => {
    throw new Error('the keycloak step must not ask');
  },
  select: async () => {
    throw new Error('the keycloak step must not ask');
  },
  input: async () => {
    throw new Error('the keycloak step must not ask');
  },
  checkbox: async () => {
    throw new Error('the keycloak step must not ask');
  },
  password: async () => {
    throw new Error('the keycloak step must not ask');
  },
};

/** A realm role or client role as the admin client returns it, reduced to what role mappings need. */
export interface RoleRep {
  id: string;
  name: string;
}

/**
 * A realm for role mode: the admin realm role `role`, a realm composite `super` containing it, a
 * client `app` whose role `owner` contains `super` (a composite across containers, two levels), a
 * `harmless` role, and the groups /admins, /admins/night and /users.
 */
export async function seedRoleClosureRealm(o: {
  role: string;
  mappers: IdpMapper[];
  idps: NonNullable<SeedOptions['idps']>;
}): Promise<Seeded & { role: (name: string) => Promise<RoleRep>; owner: RoleRep; app: string }> {
  const s = await seedRealm({ idps: o.idps, groups: ['/admins', '/admins/night', '/users'], mappers: o.mappers });
  const { realm, kc } = s;
  for (const name of [o.role, 'super', 'harmless']) await kc.roles.create({ realm, name });
  const role = async (name: string): Promise<RoleRep> => {
    const r = await kc.roles.findOneByName({ realm, name });
    return { id: r!.id!, name: r!.name! };
  };
  await kc.roles.createComposite({ realm, roleId: (await role('super')).id }, [await role(o.role)]);
  const { id: app } = await kc.clients.create({ realm, clientId: 'app', publicClient: true });
  await kc.clients.createRole({ realm, id: app, name: 'owner' });
  const ownerRep = await kc.clients.findRole({ realm, id: app, roleName: 'owner' });
  const owner = { id: ownerRep!.id!, name: ownerRep!.name! };
  await kc.roles.createComposite({ realm, roleId: owner.id }, [await role('super')]);
  return { ...s, role, owner, app };
}

/** The keycloak step's context, by hand: Entra facts as the read phase and the Entra plans would give them. */
export function makeContext(o: {
  settings?: KeycloakSettings;
  api?: KeycloakApi;
  journal?: MemoryJournal;
  fixKeycloak?: boolean;
  skipKeycloak?: boolean;
  appRole?: string;
  facts?: Partial<EntraFacts>;
}): KeycloakContext {
  const options: RunOptions = {
    mode: 'audit',
    tenantId: TENANT,
    appId: APP_ID,
    group: GROUP_NAME,
    appRole: o.appRole,
    eligible: [],
    justification: 'test',
    policy: { approvers: [] },
    allowEmpty: false,
    yes: false,
    interactive: false,
    skipKeycloak: o.skipKeycloak ?? false,
    keycloak: o.settings,
    fixKeycloak: o.fixKeycloak ?? false,
  };
  const facts: EntraFacts = {
    tenantId: TENANT,
    servicePrincipal: { id: 'b1c2d3e4-0000-4000-8000-000000000001', appId: APP_ID, servicePrincipalNames: [APP_ID, SAML_ENTITY_ID] },
    group: { id: GROUP_ID, displayName: GROUP_NAME },
    // As prerequisites leaves it for a readable registration that emits object ids (groups assigned to the app).
    groupClaim: {
      oidc: groupClaimFormat({ groupMembershipClaims: 'ApplicationGroup' }, 'idToken', { id: GROUP_ID, displayName: GROUP_NAME }),
      saml: groupClaimFormat({ groupMembershipClaims: 'ApplicationGroup' }, 'saml2Token', { id: GROUP_ID, displayName: GROUP_NAME }),
    },
    activationMax: 'PT8H',
    activeAssignments: [],
    ...o.facts,
  };
  return {
    options,
    facts,
    keycloak: o.api,
    journal: o.journal ?? new MemoryJournal(),
    log: silentLogger,
    prompt: refusingPrompter,
    graph: undefined as never,
    now: () => new Date(),
  };
}
