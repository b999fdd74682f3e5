import { ClientSecretCredential } from '@azure/identity';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTOSO, SimulatedTenant, contosoSeed } from '../../src/sim/index.js';
import { ensureTestTls } from '../support/tls.js';
import { callSim } from '../support/sim.js';

let sim: SimulatedTenant;
let token: string;

const call = (method: string, path: string, body?: unknown, bearer = token) => callSim(sim.url, bearer, method, path, body);

beforeAll(async () => {
  sim = await SimulatedTenant.start({ seed: contosoSeed(), tls: await ensureTestTls(), consistency: { notFoundAfterCreate: 2 } });
  // Listing delegated grants needs Directory.Read.All (the README's optional set).
  token = await sim.issueToken({ roles: [...CONTOSO.automation.roles, 'Directory.Read.All'], appid: CONTOSO.automation.clientId });
});

afterAll(async () => {
  await sim.close();
});

describe('service principals and applications', () => {
  it('finds the Keycloak service principal by appId, key syntax and displayName', async () => {
    const byKey = await call(
      'GET',
      `/v1.0/servicePrincipals(appId='${CONTOSO.keycloakAppId}')?$select=id,appRoleAssignmentRequired,preferredSingleSignOnMode`,
    );
    expect(byKey.body).toMatchObject({ id: CONTOSO.keycloakSpId, appRoleAssignmentRequired: false, preferredSingleSignOnMode: null });
    const byName = await call(
      'GET',
      `/v1.0/servicePrincipals?$filter=${encodeURIComponent("displayName eq 'Keycloak SAML'")}&$select=id,preferredSingleSignOnMode`,
    );
    expect(byName.body!.value).toEqual([{ id: CONTOSO.keycloakSamlSpId, preferredSingleSignOnMode: 'saml' }]);
  });

  it('has no application object for a service principal from another tenant', async () => {
    const res = await call('GET', `/v1.0/applications(appId='${CONTOSO.fabrikamAppId}')`);
    expect(res.status).toBe(404);
    expect(res.body!.error.code).toBe('Request_ResourceNotFound');
    const app = await call(
      'GET',
      `/v1.0/applications?$filter=${encodeURIComponent(`appId eq '${CONTOSO.keycloakAppId}'`)}&$select=web,groupMembershipClaims`,
    );
    expect(app.body!.value[0]).toMatchObject({
      web: { redirectUris: [CONTOSO.keycloakRedirectUri] },
      groupMembershipClaims: 'ApplicationGroup',
    });
  });

  it('sets assignment required with PATCH and rejects unknown properties', async () => {
    const ok = await call('PATCH', `/v1.0/servicePrincipals/${CONTOSO.keycloakSpId}`, { appRoleAssignmentRequired: true });
    expect(ok.status).toBe(204);
    expect(sim.state.servicePrincipals.get(CONTOSO.keycloakSpId)!.appRoleAssignmentRequired).toBe(true);
    const bad = await call('PATCH', `/v1.0/servicePrincipals/${CONTOSO.keycloakSpId}`, { assignmentRequired: true });
    expect(bad.status).toBe(400);
  });

  it('lists the admin-consent grant for the Keycloak app', async () => {
    const res = await call('GET', `/v1.0/oauth2PermissionGrants?$filter=${encodeURIComponent(`clientId eq '${CONTOSO.keycloakSpId}'`)}`);
    expect(res.body!.value).toEqual([expect.objectContaining({ consentType: 'AllPrincipals', scope: 'openid profile email User.Read' })]);
  });
});

describe('app role assignments', () => {
  const path = `/v1.0/servicePrincipals/${CONTOSO.keycloakSpId}/appRoleAssignedTo`;
  const body = { principalId: CONTOSO.groups.tenantAdmin, resourceId: CONTOSO.keycloakSpId, appRoleId: CONTOSO.keycloakRoles.tenantAdmin };

  it('needs Application.Read.All besides AppRoleAssignment.ReadWrite.All', async () => {
    const weak = await sim.issueToken({ roles: ['AppRoleAssignment.ReadWrite.All'] });
    expect((await call('POST', path, body, weak)).status).toBe(403);
  });

  it('rejects the default-access role on an app that declares roles', async () => {
    const res = await call('POST', path, { ...body, appRoleId: '00000000-0000-0000-0000-000000000000' });
    expect(res.status).toBe(400);
    expect(res.body!.error).toMatchObject({
      code: 'Request_BadRequest',
      message: 'Permission being assigned was not found on application.',
    });
  });

  it('creates an assignment, lags in lists, and refuses a duplicate', async () => {
    const created = await call('POST', path, body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      principalType: 'Group',
      principalDisplayName: 'tenant-admin',
      resourceDisplayName: 'Keycloak (Spark)',
    });
    expect(created.body!.id).not.toMatch(/^[0-9a-f]{8}-/);
    const listed = async () => ((await call('GET', path)).body!.value as { id: string }[]).map((a) => a.id);
    expect(await listed()).not.toContain(created.body!.id);
    expect(await listed()).not.toContain(created.body!.id);
    expect(await listed()).toContain(created.body!.id);
    const dup = await call('POST', path, body);
    expect(dup.status).toBe(400);
    expect(dup.body!.error).toMatchObject({
      code: 'Request_BadRequest',
      message: 'Permission being assigned already exists on the object.',
    });
    const del = await call('DELETE', `${path}/${created.body!.id}`);
    expect(del.status).toBe(204);
    expect(await listed()).not.toContain(created.body!.id);
  });
});

describe('OAuth endpoints', () => {
  it('issues a client-credentials token through @azure/identity that Graph accepts', async () => {
    const credential = new ClientSecretCredential(CONTOSO.tenantId, CONTOSO.automation.clientId, CONTOSO.automation.clientSecret, {
      authorityHost: sim.url,
      disableInstanceDiscovery: true,
    });
    const at = await credential.getToken(`${sim.url}/.default`);
    const claims = decodeJwt(at.token);
    expect(claims).toMatchObject({ tid: CONTOSO.tenantId, appid: CONTOSO.automation.clientId, aud: sim.url, idtyp: 'app' });
    expect(claims.roles).toEqual(
      expect.arrayContaining(['GroupMember.ReadWrite.All', 'PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup']),
    );
    expect(at.expiresOnTimestamp).toBeGreaterThan(Date.now());
    const res = await call('GET', `/v1.0/groups/${CONTOSO.groups.tenantAdmin}?$select=id`, undefined, at.token);
    expect(res.status).toBe(200);
    const tokenCall = sim.requests.find((r) => r.path.startsWith(`/${CONTOSO.tenantId}/oauth2/v2.0/token`));
    expect(tokenCall?.status).toBe(200);
    expect((tokenCall?.body as Record<string, string>).client_secret).toBe('***');
    expect(sim.writes().some((w) => w.path.includes('oauth2'))).toBe(false);
  });

  it('reports a wrong secret the way Entra does', async () => {
    const credential = new ClientSecretCredential(CONTOSO.tenantId, CONTOSO.automation.clientId, 'wrong-secret', {
      authorityHost: sim.url,
      disableInstanceDiscovery: true,
    });
    await expect(credential.getToken(`${sim.url}/.default`)).rejects.toThrow(/AADSTS7000215: Invalid client secret provided\./);
    const raw = await fetch(`${sim.url}/${CONTOSO.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: CONTOSO.automation.clientId,
        client_secret: 'nope',
        scope: `${sim.url}/.default`,
      }),
    });
    expect(raw.status).toBe(401);
    const body = (await raw.json()) as { error: string; error_description: string };
    expect(body.error).toBe('invalid_client');
    expect(body.error_description.startsWith('AADSTS7000215: Invalid client secret provided.')).toBe(true);
  });

  it('answers a GET on the token endpoint with AADSTS900561 (Learn "reference-error-codes")', async () => {
    const res = await fetch(`${sim.url}/${CONTOSO.tenantId}/oauth2/v2.0/token`);
    expect(res.status).toBe(405);
    const body = (await res.json()) as { error: string; error_codes: number[]; error_description: string };
    expect(body.error_codes).toEqual([900561]);
    expect(body.error_description.startsWith('AADSTS900561: The endpoint only accepts POST requests. Received a GET request.')).toBe(true);
  });

  it('serves a discovery document whose endpoints point at the sim', async () => {
    const res = await fetch(`${sim.url}/${CONTOSO.tenantId}/v2.0/.well-known/openid-configuration`);
    const doc = (await res.json()) as Record<string, string>;
    for (const key of ['issuer', 'authorization_endpoint', 'token_endpoint', 'jwks_uri']) expect(doc[key].startsWith(sim.url)).toBe(true);
    const keys = (await (await fetch(doc.jwks_uri)).json()) as { keys: { kty: string }[] };
    expect(keys.keys[0].kty).toBe('RSA');
  });
});

describe('permission checks follow the Learn permission tables', () => {
  const app = (roles: string[]) => sim.issueToken({ roles, appid: CONTOSO.automation.clientId });
  const status = async (path: string, roles: string[]) => (await call('GET', path, undefined, await app(roles))).status;

  it("the group's appRoleAssignments need Directory.Read.All (or AppRoleAssignment.ReadWrite.All), not Group.Read.All", async () => {
    const path = `/v1.0/groups/${CONTOSO.groups.userPf}/appRoleAssignments`;
    expect(await status(path, ['Group.Read.All', 'GroupMember.Read.All', 'Application.Read.All'])).toBe(403);
    expect(await status(path, ['Directory.Read.All'])).toBe(200);
    expect(await status(path, ['AppRoleAssignment.ReadWrite.All'])).toBe(200);
  });

  it("the service principal's appRoleAssignedTo needs only Application.Read.All", async () => {
    expect(await status(`/v1.0/servicePrincipals/${CONTOSO.keycloakSpId}/appRoleAssignedTo`, ['Application.Read.All'])).toBe(200);
    expect(await status(`/v1.0/servicePrincipals/${CONTOSO.keycloakSpId}/appRoleAssignedTo`, ['GroupMember.Read.All'])).toBe(403);
  });

  it('delegated grants need Directory.Read.All by either path; Application.Read.All is not enough', async () => {
    const filtered = `/v1.0/oauth2PermissionGrants?$filter=${encodeURIComponent(`clientId eq '${CONTOSO.keycloakSpId}'`)}`;
    expect(await status(filtered, ['Application.Read.All'])).toBe(403);
    expect(await status(`/v1.0/servicePrincipals/${CONTOSO.keycloakSpId}/oauth2PermissionGrants`, ['Application.Read.All'])).toBe(403);
    expect(await status(filtered, ['Directory.Read.All'])).toBe(200);
  });

  it('PIM for Groups schedules need the PrivilegedEligibilitySchedule/PrivilegedAssignmentSchedule permissions, not PrivilegedAccess.*', async () => {
    const filter = `?$filter=${encodeURIComponent(`groupId eq '${CONTOSO.groups.tenantAdmin}'`)}`;
    const base = '/v1.0/identityGovernance/privilegedAccess/group';
    expect(await status(`${base}/eligibilitySchedules${filter}`, ['PrivilegedAccess.ReadWrite.AzureADGroup'])).toBe(403);
    expect(await status(`${base}/eligibilitySchedules${filter}`, ['PrivilegedEligibilitySchedule.Read.AzureADGroup'])).toBe(200);
    expect(await status(`${base}/assignmentScheduleInstances${filter}`, ['PrivilegedAccess.ReadWrite.AzureADGroup'])).toBe(403);
    expect(await status(`${base}/assignmentScheduleInstances${filter}`, ['PrivilegedAssignmentSchedule.Read.AzureADGroup'])).toBe(200);
  });
});
