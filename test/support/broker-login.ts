import type KcAdminClient from '@keycloak/keycloak-admin-client';
import { expect } from 'vitest';
import { CONTOSO, type SimulatedTenant } from '../../src/sim/index.js';
import type { IdpMapper } from '../../src/keycloak/types.js';
import { runCli } from './cli.js';
import { adminSettings, seedRealm, type Seeded } from './keycloak-seed.js';
import { args, journalPath, tokenEnv } from './sim.js';

/**
 * A brokered login through a real Keycloak, the way a browser does it but with fetch: manual
 * redirects and a cookie jar. Keycloak sends the "browser" to the simulated
 * tenant's authorize endpoint, the tenant answers with a code on Keycloak's broker endpoint,
 * Keycloak redeems it server-to-server, runs first-broker-login and the mappers, and finally
 * redirects to the client's redirect URI with its own code.
 */

/** Cookies per host, as a browser keeps them for one sign-in (paths and expiry are not needed here). */
export class CookieJar {
  private readonly byHost = new Map<string, Map<string, string>>();

  /** Stores the Set-Cookie headers of a response from `url`; an expired or emptied cookie is removed. */
  store(url: string, res: Response): void {
    const host = new URL(url).host;
    const jar = this.byHost.get(host) ?? new Map<string, string>();
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some(
        (a) => /^\s*max-age=0\s*$/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]) < Date.now()),
      );
      if (expired || value === '') jar.delete(name);
      else jar.set(name, value);
    }
    this.byHost.set(host, jar);
  }

  /** The Cookie header for a request to `url`. */
  header(url: string): string {
    const jar = this.byHost.get(new URL(url).host);
    return jar ? [...jar].map(([k, v]) => `${k}=${v}`).join('; ') : '';
  }
}

export interface BrokerLoginOptions {
  keycloakUrl: string;
  realm: string;
  /** A client of the realm that allows `redirectUri` (the app the user signs in to). */
  clientId: string;
  redirectUri: string;
  /** Alias of the identity provider; sent as `kc_idp_hint` so Keycloak skips its login page. */
  idpAlias: string;
  /** Passed on to the provider as `login_hint` (the provider needs `loginHint: "true"`). */
  loginHint?: string;
  /** A fresh jar is a fresh browser: no Keycloak session, so the provider's mappers run again. */
  jar?: CookieJar;
}

export interface BrokerLoginResult {
  /** Keycloak's authorization code for the client. */
  code: string;
  /** Every URL visited, for failure messages. */
  trail: string[];
}

const MAX_HOPS = 25;

/**
 * Runs one brokered login and resolves once Keycloak redirects to the client's redirect URI
 * with a code. Fails with the page's own message when a hop answers an error, a form that
 * needs a human (a first-broker-login profile form or account linking), or the provider's
 * error page (for example Entra's AADSTS50105).
 */
export async function brokerLogin(o: BrokerLoginOptions): Promise<BrokerLoginResult> {
  const jar = o.jar ?? new CookieJar();
  const start = new URL(`${o.keycloakUrl}/realms/${encodeURIComponent(o.realm)}/protocol/openid-connect/auth`);
  start.search = new URLSearchParams({
    client_id: o.clientId,
    redirect_uri: o.redirectUri,
    response_type: 'code',
    scope: 'openid',
    state: `drill-${Date.now()}`,
    kc_idp_hint: o.idpAlias,
    ...(o.loginHint ? { login_hint: o.loginHint } : {}),
  }).toString();

  const trail: string[] = [];
  let request: { url: string; method: 'GET' | 'POST'; body?: URLSearchParams } = { url: start.toString(), method: 'GET' };
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    trail.push(`${request.method} ${request.url}`);
    if (request.url.startsWith(o.redirectUri)) {
      const back = new URL(request.url);
      const code = back.searchParams.get('code');
      if (code) return { code, trail };
      throw new Error(
        `Keycloak redirected to the client with ${back.searchParams.get('error')}: ${back.searchParams.get('error_description') ?? ''}\n${trail.join('\n')}`,
      );
    }
    const headers: Record<string, string> = { Accept: 'text/html' };
    const cookie = jar.header(request.url);
    if (cookie) headers.Cookie = cookie;
    if (request.body) headers['Content-Type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(request.url, { method: request.method, headers, body: request.body, redirect: 'manual' });
    jar.store(request.url, res);
    if (res.status >= 300 && res.status < 400) {
      const location = res.headers.get('location');
      if (!location) throw new Error(`redirect without Location from ${request.url}`);
      request = { url: new URL(location, request.url).toString(), method: 'GET' };
      continue;
    }
    const text = await res.text();
    const form = res.status === 200 ? autoSubmitForm(text, request.url) : undefined;
    if (form) {
      request = form;
      continue;
    }
    throw new Error(`brokered login stopped at ${request.url} (HTTP ${res.status}): ${pageMessage(text)}\n${trail.join('\n')}`);
  }
  throw new Error(`brokered login did not finish within ${MAX_HOPS} hops:\n${trail.join('\n')}`);
}

/** A page that posts itself on load (an OIDC form_post response): its action and hidden fields. */
function autoSubmitForm(html: string, base: string): { url: string; method: 'POST'; body: URLSearchParams } | undefined {
  if (!/onload="[^"]*submit\(\)/i.test(html)) return undefined;
  const action = /<form[^>]*action="([^"]+)"/i.exec(html)?.[1];
  if (!action) return undefined;
  const body = new URLSearchParams();
  for (const m of html.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/gi))
    body.set(unescapeHtml(m[1]), unescapeHtml(m[2]));
  return { url: new URL(unescapeHtml(action), base).toString(), method: 'POST', body };
}

function unescapeHtml(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#x2F;/g, '/')
    .replace(/&amp;/g, '&');
}

/** The title and the first error/feedback text of an HTML page, or the start of a plain body. */
function pageMessage(text: string): string {
  if (!/<html/i.test(text)) return text.trim().slice(0, 500);
  const title = /<title>([^<]*)<\/title>/i.exec(text)?.[1]?.trim();
  const feedback = /class="[^"]*(?:kc-feedback-text|alert|instruction)[^"]*"[^>]*>([\s\S]*?)</i.exec(text)?.[1]?.trim();
  const heading = /<h1[^>]*>([\s\S]*?)<\/h1>/i
    .exec(text)?.[1]
    ?.replace(/<[^>]+>/g, '')
    .trim();
  return [title, heading, feedback].filter(Boolean).join(' — ') || text.slice(0, 300);
}

// ---- a realm federated with the simulated tenant ---------------------------------------------

/** The Keycloak app's client secret in the simulated tenant (what the admin copies into Keycloak). */
export const BROKER_SECRET = 'sim~keycloak-broker~secret';
/** The realm's own client the drill signs in to; Keycloak never calls this URI. */
export const PORTAL = { clientId: 'drill-portal', redirectUri: 'http://127.0.0.1:9/drill-callback' } as const;
export const IDP_ALIAS = 'entra';

export interface BrokeredRealm extends Seeded {
  keycloakUrl: string;
  /** Signs `user` in through Keycloak and the simulated tenant; resolves with the Keycloak user's group paths. */
  signIn(user: string): Promise<string[]>;
  /** The Keycloak user for an Entra UPN (Keycloak lower-cases the preferred_username), or undefined. */
  findUser(upn: string): Promise<{ id: string; username: string } | undefined>;
}

/**
 * A fresh realm whose OIDC identity provider is the simulated tenant over its plain-http
 * listener, with `/tenant-admin` and the default group `/user:pf`, the given mapper, and a
 * public client to sign in to. Registers Keycloak's broker endpoint and client secret on the
 * Keycloak app in the tenant, as an Entra admin would.
 */
export async function setUpBrokeredRealm(
  sim: SimulatedTenant,
  keycloakUrl: string,
  mapper: (alias: string) => IdpMapper,
): Promise<BrokeredRealm> {
  const http = sim.oidcHttpUrl;
  if (!http) throw new Error('the simulated tenant was started without its http sign-in listener');
  const tid = sim.tenantId;
  const seeded = await seedRealm({
    groups: ['/tenant-admin', '/user:pf'],
    idps: [
      {
        alias: IDP_ALIAS,
        providerId: 'oidc',
        config: {
          clientId: CONTOSO.keycloakAppId,
          clientSecret: BROKER_SECRET,
          issuer: `${http}/${tid}/v2.0`,
          authorizationUrl: `${http}/${tid}/oauth2/v2.0/authorize`,
          tokenUrl: `${http}/${tid}/oauth2/v2.0/token`,
          jwksUrl: `${http}/${tid}/discovery/v2.0/keys`,
          useJwksUrl: 'true',
          validateSignature: 'true',
          clientAuthMethod: 'client_secret_post',
          defaultScope: 'openid profile email',
          // Everything Keycloak needs is in the ID token; Graph's userinfo has no groups anyway.
          disableUserInfo: 'true',
          loginHint: 'true',
          // What the admin console pre-fills; the mapper's own sync mode must decide.
          syncMode: 'IMPORT',
        },
      },
    ],
    mappers: [mapper(IDP_ALIAS)],
  });
  const { kc, realm, groupIds } = seeded;
  await kc.realms.addDefaultGroup({ realm, id: groupIds.get('/user:pf')! });
  await kc.clients.create({
    realm,
    clientId: PORTAL.clientId,
    publicClient: true,
    standardFlowEnabled: true,
    directAccessGrantsEnabled: false,
    redirectUris: [PORTAL.redirectUri],
  });
  sim.oidc.registerClient({
    clientId: CONTOSO.keycloakAppId,
    clientSecret: BROKER_SECRET,
    redirectUris: [`${keycloakUrl}/realms/${realm}/broker/${IDP_ALIAS}/endpoint`],
  });

  const findUser = async (upn: string) => {
    const [u] = await kc.users.find({ realm, username: upn.toLowerCase(), exact: true });
    return u?.id ? { id: u.id, username: u.username! } : undefined;
  };
  return {
    ...seeded,
    keycloakUrl,
    findUser,
    async signIn(user: string): Promise<string[]> {
      await brokerLogin({
        keycloakUrl,
        realm,
        clientId: PORTAL.clientId,
        redirectUri: PORTAL.redirectUri,
        idpAlias: IDP_ALIAS,
        loginHint: user,
      });
      const found = await findUser(user);
      if (!found) throw new Error(`the brokered login finished but Keycloak has no user ${user.toLowerCase()}`);
      return groupPaths(kc, realm, found.id);
    },
  };
}

/** The paths of the groups a Keycloak user is a direct member of, sorted. */
export async function groupPaths(kc: KcAdminClient, realm: string, userId: string): Promise<string[]> {
  const groups = await kc.users.listGroups({ realm, id: userId });
  return groups.map((g) => g.path!).sort();
}

// ---- the drill's Entra side, through the CLI -------------------------------------------------

/** `groups`: the mapper matches the group's object id; `roles`: the app role value. */
export type DrillMode = 'groups' | 'roles';
/** `LEGACY`: no syncMode key on the mapper, as the REST API and Terraform store it. */
export type DrillSync = 'FORCE' | 'IMPORT' | 'LEGACY';
export const DRILL_MAPPER_NAME = 'tenant-admin-from-entra';

/** The mapper the keycloak step verifies: Advanced Claim to Group on the group's object id, or on the app role value. */
export function drillMapper(mode: DrillMode, syncMode: DrillSync): (alias: string) => IdpMapper {
  const claim = mode === 'groups' ? { key: 'groups', value: CONTOSO.groups.tenantAdmin } : { key: 'roles', value: 'tenant-admin' };
  return (alias) => ({
    name: DRILL_MAPPER_NAME,
    identityProviderAlias: alias,
    identityProviderMapper: 'oidc-advanced-group-idp-mapper',
    config: {
      ...(syncMode === 'LEGACY' ? {} : { syncMode }),
      claims: JSON.stringify([claim]),
      'are.claim.values.regex': 'false',
      group: '/tenant-admin',
    },
  });
}

/** The run's flags for the drill: `eligible` made eligible; the group assigned with the app role in roles mode, with default access otherwise. */
export function drillArgs(sim: SimulatedTenant, mode: DrillMode, eligible: string[], extra: string[]): string[] {
  return args(sim, extra, { '--eligible': eligible.join(','), '--app-role': mode === 'roles' ? 'tenant-admin' : '' });
}

/** Runs the tool against the simulated tenant: the group comes under PIM and the users become eligible. */
export async function setUpDrillEntra(sim: SimulatedTenant, mode: DrillMode, eligible: string[]): Promise<void> {
  if (mode === 'groups') {
    const app = sim.state.applications.get(CONTOSO.keycloakAppObjectId)!;
    // The seed's app would send display names of cloud-only groups (cloud_displayname), which a
    // mapper on the object id never matches; the drill's app sends object ids.
    app.optionalClaims!.idToken = [];
    // Group mode is for an app without app roles: groups are assigned with default access.
    app.appRoles = [];
    sim.state.servicePrincipals.get(CONTOSO.keycloakSpId)!.appRoles = [];
    sim.state.appRoleAssignments.get(CONTOSO.userPfAssignmentId)!.appRoleId = '00000000-0000-0000-0000-000000000000';
  }
  const run = await runCli(drillArgs(sim, mode, eligible, ['--yes', '--json', '--journal', await journalPath()]), await tokenEnv(sim));
  expect(run.code, run.stderr + run.stdout.slice(-2000)).toBe(0);
  expect(sim.state.servicePrincipals.get(CONTOSO.keycloakSpId)!.appRoleAssignmentRequired).toBe(true);
}

/**
 * The user activates with `entra-pim-setup activate`, signed in as themselves (a delegated
 * token, as --auth browser would get). It sends the local time as the start, so tests activate
 * before they move the sim clock.
 */
export async function activateWithCli(sim: SimulatedTenant, upn: string, duration: string): Promise<void> {
  const oid = sim.state.findUser(upn)!.id;
  const scp = 'User.Read PrivilegedEligibilitySchedule.Read.AzureADGroup PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup';
  const token = await sim.issueToken({ scp, oid });
  const res = await runCli(
    [
      'activate',
      '--tenant-id',
      CONTOSO.tenantId,
      '--graph-endpoint',
      sim.url,
      '--duration',
      duration,
      '--justification',
      'drill',
      '--json',
    ],
    { ENTRA_PIM_ACCESS_TOKEN: token },
  );
  expect(res.code, res.stderr).toBe(0);
  expect(JSON.parse(res.stdout).status).toBe('active');
}

/** CLI flags and environment for the Keycloak side, signed in as the test server's admin. */
export function keycloakCliFlags(realm: string): { flags: string[]; env: Record<string, string> } {
  const s = adminSettings(realm);
  const flags = ['--keycloak-url', s.url, '--keycloak-realm', realm, '--keycloak-idp-alias', IDP_ALIAS];
  if (s.clientId) return { flags: [...flags, '--keycloak-client-id', s.clientId], env: { KEYCLOAK_CLIENT_SECRET: s.clientSecret! } };
  return { flags: [...flags, '--keycloak-username', s.username!], env: { KEYCLOAK_PASSWORD: s.password! } };
}
