import { createHash } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CONTOSO, SimulatedTenant, contosoSeed } from '../../src/sim/index.js';
import { callSim } from '../support/sim.js';
import { ensureTestTls } from '../support/tls.js';

const APP = CONTOSO.keycloakAppId;
const SECRET = 'kc-broker-secret';
const REDIRECT = 'http://127.0.0.1:18080/realms/acme/broker/entra/endpoint';
const G = CONTOSO.groups.tenantAdmin;
const U = CONTOSO.users;

let sim: SimulatedTenant;
let http: string;

beforeEach(async () => {
  sim = await SimulatedTenant.start({ seed: contosoSeed(), tls: await ensureTestTls() });
  http = sim.oidcHttpUrl!;
  sim.oidc.registerClient({ clientId: APP, clientSecret: SECRET, redirectUris: [REDIRECT] });
});

afterEach(async () => {
  await sim.close();
});

/** An authorize request as a browser sends it; returns the response without following redirects. */
async function authorize(params: Record<string, string>, origin = http): Promise<Response> {
  const q = new URLSearchParams({
    client_id: APP,
    redirect_uri: REDIRECT,
    response_type: 'code',
    scope: 'openid profile email',
    state: 'st-1',
    nonce: 'n-1',
    ...params,
  });
  return fetch(`${origin}/${CONTOSO.tenantId}/oauth2/v2.0/authorize?${q}`, { redirect: 'manual' });
}

async function redeem(
  code: string,
  extra: Record<string, string> = {},
  origin = http,
): Promise<{ status: number; body: Record<string, any> }> {
  const res = await fetch(`${origin}/${CONTOSO.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: APP,
      client_secret: SECRET,
      code,
      redirect_uri: REDIRECT,
      ...extra,
    }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

/** Signs `user` in through the code flow and returns the verified ID token claims. */
async function signIn(user: string): Promise<Record<string, any>> {
  const res = await authorize({ login_hint: user });
  expect(res.status, await res.clone().text()).toBe(302);
  const code = new URL(res.headers.get('location')!).searchParams.get('code')!;
  const token = await redeem(code);
  expect(token.status, JSON.stringify(token.body)).toBe(200);
  const jwks = createRemoteJWKSet(new URL(`${http}/${CONTOSO.tenantId}/discovery/v2.0/keys`));
  const { payload } = await jwtVerify(token.body.id_token as string, jwks, { issuer: `${http}/${CONTOSO.tenantId}/v2.0`, audience: APP });
  return payload;
}

async function automation(): Promise<string> {
  return sim.issueToken({ roles: [...CONTOSO.automation.roles], appid: CONTOSO.automation.clientId });
}

/** Makes a user eligible for the admin group through Graph, as the tool's run does. */
async function makeEligible(userId: string): Promise<void> {
  const res = await callSim(
    sim.url,
    await automation(),
    'POST',
    '/v1.0/identityGovernance/privilegedAccess/group/eligibilityScheduleRequests',
    {
      accessId: 'member',
      principalId: userId,
      groupId: G,
      action: 'adminAssign',
      justification: 'test',
      scheduleInfo: {
        startDateTime: new Date(sim.clock.nowMs() - 60_000).toISOString(),
        expiration: { type: 'afterDuration', duration: 'P30D' },
      },
    },
  );
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

/** Self-activation with a delegated token of the user. */
async function activate(userId: string, duration = 'PT2H'): Promise<void> {
  const token = await sim.issueToken({ scp: 'PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup', oid: userId });
  const res = await callSim(sim.url, token, 'POST', '/v1.0/identityGovernance/privilegedAccess/group/assignmentScheduleRequests', {
    accessId: 'member',
    principalId: userId,
    groupId: G,
    action: 'selfActivate',
    justification: 'incident 42',
    scheduleInfo: { startDateTime: sim.clock.now().toISOString(), expiration: { type: 'afterDuration', duration } },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

/** Assigns the admin group to the Keycloak app (with an app role, or default access). */
function assignGroupToApp(appRoleId = '00000000-0000-0000-0000-000000000000'): void {
  sim.state.appRoleAssignments.set('test-assignment', {
    id: 'test-assignment',
    appRoleId,
    principalId: G,
    resourceId: CONTOSO.keycloakSpId,
    createdDateTime: new Date().toISOString(),
  });
}

/** The drill's Entra app: groups claim with object ids (no display names). */
function emitGroupIds(): void {
  sim.state.applications.get(CONTOSO.keycloakAppObjectId)!.optionalClaims!.idToken = [];
}

describe('discovery and keys over plain http', () => {
  it('serves a discovery document whose issuer and endpoints use the http origin', async () => {
    const doc = (await (await fetch(`${http}/${CONTOSO.tenantId}/v2.0/.well-known/openid-configuration`)).json()) as Record<string, string>;
    expect(doc).toMatchObject({
      issuer: `${http}/${CONTOSO.tenantId}/v2.0`,
      authorization_endpoint: `${http}/${CONTOSO.tenantId}/oauth2/v2.0/authorize`,
      token_endpoint: `${http}/${CONTOSO.tenantId}/oauth2/v2.0/token`,
      jwks_uri: `${http}/${CONTOSO.tenantId}/discovery/v2.0/keys`,
    });
    const keys = (await (await fetch(doc.jwks_uri)).json()) as { keys: Array<{ kid: string; kty: string }> };
    // The access-token key and the ID-token key, as Entra lists several.
    expect(keys.keys.length).toBe(2);
    expect(keys.keys.every((k) => k.kty === 'RSA')).toBe(true);
  });

  it('does not serve Graph over http', async () => {
    const res = await fetch(`${http}/v1.0/me`);
    expect(res.status).toBe(404);
  });
});

describe('authorization-code flow', () => {
  it('issues an RS256 ID token with Entra claims, echoing nonce and state', async () => {
    const res = await authorize({ login_hint: CONTOSO.upns.alice });
    expect(res.status).toBe(302);
    const back = new URL(res.headers.get('location')!);
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
    expect(back.searchParams.get('state')).toBe('st-1');
    const token = await redeem(back.searchParams.get('code')!);
    expect(token.status).toBe(200);
    expect(token.body).toMatchObject({ token_type: 'Bearer', expires_in: 3599 });
    const claims = decodeJwt(token.body.id_token as string);
    expect(claims).toMatchObject({
      aud: APP,
      iss: `${http}/${CONTOSO.tenantId}/v2.0`,
      oid: U.alice,
      tid: CONTOSO.tenantId,
      nonce: 'n-1',
      preferred_username: CONTOSO.upns.alice,
      email: CONTOSO.upns.alice,
      name: 'Alice Anders',
      given_name: 'Alice',
      family_name: 'Anders',
      ver: '2.0',
      roles: ['user'],
    });
    // Pairwise subject: stable for this user and app, not the object id.
    expect(claims.sub).not.toBe(U.alice);
    expect((await signIn(CONTOSO.upns.alice)).sub).toBe(claims.sub);
    // The access token is a delegated Graph token for the user.
    const me = await callSim(sim.url, token.body.access_token as string, 'GET', '/v1.0/me');
    expect(me.status).toBe(200);
    expect(me.body!.id).toBe(U.alice);
  });

  it('uses the signed-in session when there is no login_hint, and refuses silently without one', async () => {
    const none = await authorize({ prompt: 'none' });
    expect(none.status).toBe(302);
    expect(new URL(none.headers.get('location')!).searchParams.get('error')).toBe('login_required');
    const page = await authorize({});
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('AADSTS50058');

    sim.oidc.signInAs(CONTOSO.upns.bob);
    const res = await authorize({});
    const token = await redeem(new URL(res.headers.get('location')!).searchParams.get('code')!);
    expect(decodeJwt(token.body.id_token as string).oid).toBe(U.bob);
    expect(() => sim.oidc.signInAs('nobody@contoso.example')).toThrow(/no user/);
  });

  it('shows errors on its own page for an unknown client or an unregistered redirect URI', async () => {
    const badRedirect = await authorize({ login_hint: CONTOSO.upns.alice, redirect_uri: 'http://127.0.0.1:1/evil' });
    expect(badRedirect.status).toBe(400);
    expect(badRedirect.headers.get('location')).toBeNull();
    expect(await badRedirect.text()).toContain('AADSTS50011');
    const badClient = await authorize({ login_hint: CONTOSO.upns.alice, client_id: '11111111-2222-4333-8444-555555555555' });
    expect(await badClient.text()).toContain('AADSTS700016');
    const disabled = await authorize({ login_hint: CONTOSO.upns.disabled });
    expect(await disabled.text()).toContain('AADSTS50057');
    const unknown = await authorize({ login_hint: 'nobody@contoso.example' });
    expect(await unknown.text()).toContain('AADSTS50034');
  });

  it('redeems a code once, for the same redirect URI, with the client secret', async () => {
    const code = () =>
      authorize({ login_hint: CONTOSO.upns.alice }).then((r) => new URL(r.headers.get('location')!).searchParams.get('code')!);
    const c1 = await code();
    const wrongSecret = await redeem(c1, { client_secret: 'nope' });
    expect(wrongSecret.status).toBe(401);
    expect(wrongSecret.body.error_codes).toEqual([7000215]);
    const wrongRedirect = await redeem(c1, { redirect_uri: 'http://127.0.0.1:1/other' });
    expect(wrongRedirect.body.error_codes).toEqual([500112]);
    expect((await redeem(c1)).status).toBe(200);
    const again = await redeem(c1);
    expect(again.status).toBe(400);
    expect(again.body.error_codes).toEqual([54005]);

    const c2 = await code();
    sim.advanceClock(11 * 60_000);
    expect((await redeem(c2)).body.error_codes).toEqual([70008]);
  });

  it('lets a public client prove the code with PKCE (S256)', async () => {
    sim.state.clients.delete(APP);
    const verifier = 'v'.repeat(50);
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const res = await authorize({ login_hint: CONTOSO.upns.alice, code_challenge: challenge, code_challenge_method: 'S256' });
    const code = new URL(res.headers.get('location')!).searchParams.get('code')!;
    const bad = await redeem(code, { client_secret: '', code_verifier: 'w'.repeat(50) });
    expect(bad.body.error_codes).toEqual([501481]);
    const res2 = await authorize({ login_hint: CONTOSO.upns.alice, code_challenge: challenge, code_challenge_method: 'S256' });
    const ok = await redeem(new URL(res2.headers.get('location')!).searchParams.get('code')!, {
      client_secret: '',
      code_verifier: verifier,
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
  });

  it('also works over HTTPS (authorize by GET and by POST), and records requests with secrets masked', async () => {
    const viaGet = await authorize({ login_hint: CONTOSO.upns.alice }, sim.url);
    expect(viaGet.status, await viaGet.clone().text()).toBe(302);
    const back = new URL(viaGet.headers.get('location')!);
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
    expect(back.searchParams.get('state')).toBe('st-1');
    expect(back.searchParams.get('code')).toBeTruthy();

    const res = await fetch(`${sim.url}/${CONTOSO.tenantId}/oauth2/v2.0/authorize`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: APP,
        redirect_uri: REDIRECT,
        response_type: 'code',
        scope: 'openid profile',
        login_hint: CONTOSO.upns.alice,
      }),
    });
    expect(res.status).toBe(302);
    const token = await redeem(new URL(res.headers.get('location')!).searchParams.get('code')!, {}, sim.url);
    expect(decodeJwt(token.body.id_token as string).iss).toBe(`${sim.url}/${CONTOSO.tenantId}/v2.0`);

    await signIn(CONTOSO.upns.alice);
    const recorded = sim.requests.filter((r) => r.path.endsWith('/oauth2/v2.0/token'));
    expect(recorded.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(recorded)).not.toContain(SECRET);
    expect(sim.writes()).toHaveLength(0);
  });
});

describe('groups and roles reflect PIM at the moment of sign-in', () => {
  it('groups: eligibility gives nothing, an activation gives the group until it ends', async () => {
    emitGroupIds();
    assignGroupToApp();
    await makeEligible(U.alice);
    expect((await signIn(CONTOSO.upns.alice)).groups).toEqual([CONTOSO.groups.userPf]);

    await activate(U.alice, 'PT2H');
    expect((await signIn(CONTOSO.upns.alice)).groups).toEqual(expect.arrayContaining([G, CONTOSO.groups.userPf]));

    sim.advanceClock(2 * 3600_000 + 60_000);
    expect((await signIn(CONTOSO.upns.alice)).groups).toEqual([CONTOSO.groups.userPf]);
  });

  it('groups: only with groupMembershipClaims; display names with cloud_displayname; ids of every group with SecurityGroup', async () => {
    assignGroupToApp();
    // The seed's app asks for cloud_displayname: Entra then sends names of cloud-only groups.
    expect((await signIn(CONTOSO.upns.carol)).groups).toEqual(expect.arrayContaining(['tenant-admin', 'user:pf']));
    const app = sim.state.applications.get(CONTOSO.keycloakAppObjectId)!;
    app.groupMembershipClaims = 'SecurityGroup';
    const all = (await signIn(CONTOSO.upns.carol)).groups as string[];
    expect(all).toEqual(expect.arrayContaining([G, CONTOSO.groups.userPf, CONTOSO.groups.dynAdmins]));
    app.groupMembershipClaims = null;
    expect((await signIn(CONTOSO.upns.carol)).groups).toBeUndefined();
  });

  it('groups: emit_as_roles moves the values to roles and leaves app roles out; sAMAccountName formats leave cloud-only groups out', async () => {
    assignGroupToApp(CONTOSO.keycloakRoles.tenantAdmin);
    const app = sim.state.applications.get(CONTOSO.keycloakAppObjectId)!;
    const groupsOptional = (additionalProperties: string[]) => {
      app.optionalClaims!.idToken = [{ name: 'groups', source: null, essential: false, additionalProperties }];
    };
    groupsOptional(['emit_as_roles']);
    const asRoles = await signIn(CONTOSO.upns.carol);
    expect(asRoles.groups).toBeUndefined();
    expect(asRoles.roles).toEqual(expect.arrayContaining([G, CONTOSO.groups.userPf]));
    expect(asRoles.roles).not.toContain('tenant-admin');
    groupsOptional(['cloud_displayname', 'emit_as_roles']);
    expect((await signIn(CONTOSO.upns.carol)).roles).toEqual(expect.arrayContaining(['tenant-admin', 'user:pf']));
    groupsOptional(['sam_account_name']);
    const onPremises = await signIn(CONTOSO.upns.carol);
    expect(onPremises.groups).toBeUndefined();
    expect(onPremises.roles).toEqual(expect.arrayContaining(['tenant-admin', 'user']));
    groupsOptional(['sam_account_name', 'cloud_displayname']);
    expect((await signIn(CONTOSO.upns.carol)).groups).toEqual(expect.arrayContaining(['tenant-admin', 'user:pf']));
  });

  it('roles: app role values through the group, only while the activation lasts', async () => {
    assignGroupToApp(CONTOSO.keycloakRoles.tenantAdmin);
    await makeEligible(U.alice);
    expect((await signIn(CONTOSO.upns.alice)).roles).toEqual(['user']);
    await activate(U.alice, 'PT1H');
    expect((await signIn(CONTOSO.upns.alice)).roles).toEqual(expect.arrayContaining(['user', 'tenant-admin']));
    sim.advanceClock(3600_000 + 1000);
    expect((await signIn(CONTOSO.upns.alice)).roles).toEqual(['user']);
  });

  it('assignment required: a user with no assignment is refused (AADSTS50105)', async () => {
    sim.state.servicePrincipals.get(CONTOSO.keycloakSpId)!.appRoleAssignmentRequired = true;
    // The Global Administrator is in neither user:pf nor tenant-admin.
    const refused = await authorize({ login_hint: CONTOSO.upns.admin });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('AADSTS50105');
    // Alice reaches the app through user:pf.
    expect((await signIn(CONTOSO.upns.alice)).oid).toBe(U.alice);
    const claims = sim.oidc.claimsFor(CONTOSO.upns.admin, APP, 'https://issuer');
    expect(claims).toMatchObject({ aadsts: 50105 });
  });
});
