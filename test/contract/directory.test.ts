/**
 * Contract tests, directory: groups, members, owners, users, /me.
 * Each `*_FACTS` holds what the endpoint's documented example response shows (property names,
 * JSON types, enum values as written there), restated here; the pages are cited per block
 * (microsoft-graph-docs-contrib, api-reference/v1.0/api/<page>.md).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { analyseGroup } from '../../src/steps/prerequisites-analysis.js';
import { convertibleMembers, standingMembers } from '../../src/steps/admin-group.js';
import type { DirectoryMember } from '../../src/steps/snapshot.js';
import { contosoSeed } from '../../src/sim/index.js';
import { appToken, call, checkCollection, checkFacts, closeSims, CONTOSO, oneOf, sim, userToken, type Facts } from './facts.js';

afterEach(closeSims);

const G = CONTOSO.groups.tenantAdmin;

/**
 * Learn "List groups" (group-list), example 1, and "Get group" (group-get): 200, context
 * `$metadata#groups`, each group with these properties (default set, no $select).
 */
const GROUP_FACTS: Facts = {
  id: 'string',
  deletedDateTime: 'null',
  classification: 'string|null',
  createdDateTime: 'string',
  description: 'string|null',
  displayName: 'string',
  expirationDateTime: 'string|null',
  groupTypes: 'array',
  isAssignableToRole: 'boolean|null',
  mail: 'string|null',
  mailEnabled: 'boolean',
  mailNickname: 'string',
  membershipRule: 'string|null',
  membershipRuleProcessingState: 'string|null',
  onPremisesLastSyncDateTime: 'string|null',
  onPremisesSecurityIdentifier: 'string|null',
  onPremisesSyncEnabled: 'boolean|null',
  preferredDataLocation: 'string|null',
  preferredLanguage: 'string|null',
  proxyAddresses: 'array',
  renewedDateTime: 'string',
  resourceBehaviorOptions: 'array',
  resourceProvisioningOptions: 'array',
  securityEnabled: 'boolean',
  theme: 'string|null',
  visibility: 'string|null',
  onPremisesProvisioningErrors: 'array',
};

/** The $select the tool sends when resolving --group (src/steps/prerequisites.ts). */
const GROUP_SELECT =
  'id,displayName,description,securityEnabled,mailEnabled,groupTypes,isAssignableToRole,onPremisesSyncEnabled,membershipRule';

describe('GET /groups and /groups/{id} (group-list, group-get)', () => {
  it('answers with the documented group properties and context, with GroupMember.Read.All (least privileged)', async () => {
    const s = await sim();
    const token = await appToken(s, 'GroupMember.Read.All');
    const list = await call(s, token, 'GET', '/groups');
    expect(list.status).toBe(200);
    expect(checkCollection(list.body, 'groups', GROUP_FACTS)).toEqual([]);
    const one = await call(s, token, 'GET', `/groups/${G}`);
    expect(one.status).toBe(200);
    expect(String(one.body!['@odata.context'])).toMatch(/\/\$metadata#groups\/\$entity$/);
    expect(checkFacts(one.body, GROUP_FACTS)).toEqual([]);
  });

  it("finds a group by displayName with the tool's $select, and the tool judges the documented shape", async () => {
    const s = await sim();
    const token = await appToken(s, 'GroupMember.Read.All');
    const filter = encodeURIComponent("displayName eq 'tenant-admin'");
    const res = await call(s, token, 'GET', `/groups?$filter=${filter}&$select=${GROUP_SELECT}`);
    expect(res.status).toBe(200);
    expect(res.body!.value).toHaveLength(1);
    // Example 2 of the page: the selected properties are named in the context.
    expect(String(res.body!['@odata.context'])).toMatch(new RegExp(`/\\$metadata#groups\\(${GROUP_SELECT}\\)$`));
    const selected = Object.fromEntries(GROUP_SELECT.split(',').map((k) => [k, GROUP_FACTS[k]]));
    expect(checkFacts(res.body!.value[0], selected)).toEqual([]);
    expect(Object.keys(res.body!.value[0]).sort()).toEqual(GROUP_SELECT.split(',').sort());

    // The documented example writes isAssignableToRole: null and onPremisesSyncEnabled: null for
    // ordinary cloud groups; the tool must read that as "not role-assignable, not synced".
    const documented = {
      id: '0c6a7b8e-1f2d-4e3c-9a4b-5d6e7f8a9b0c',
      displayName: 'tenant-admin',
      description: null,
      groupTypes: [],
      securityEnabled: true,
      mailEnabled: false,
      isAssignableToRole: null,
      onPremisesSyncEnabled: null,
      membershipRule: null,
    };
    expect(analyseGroup(documented as never).filter((f) => f.severity !== 'info')).toEqual([]);
    // A Microsoft 365 group as example 1 shows it (Unified, mail-enabled, securityEnabled false) is accepted.
    expect(
      analyseGroup({ ...documented, groupTypes: ['Unified'], mailEnabled: true, securityEnabled: false } as never).filter(
        (f) => f.severity === 'error',
      ),
    ).toEqual([]);
  });
});

/**
 * Learn "List group members" (group-list-members): 200, context `$metadata#directoryObjects`,
 * each member a directoryObject carrying `@odata.type` (`#microsoft.graph.user` for users) and
 * `id`; with $select the selected user properties. v1.0 does not list service principals.
 */
const MEMBER_FACTS: Facts = {
  '@odata.type': oneOf('#microsoft.graph.user', '#microsoft.graph.group', '#microsoft.graph.device', '#microsoft.graph.orgContact'),
  id: 'string',
  displayName: 'string|null',
  userPrincipalName: 'string',
  mail: 'string|null',
  accountEnabled: 'boolean',
  userType: oneOf('Member', 'Guest'),
};

describe('GET /groups/{id}/members (group-list-members)', () => {
  it('answers with documented directoryObjects, with GroupMember.Read.All (least privileged)', async () => {
    const s = await sim();
    const token = await appToken(s, 'GroupMember.Read.All');
    const res = await call(
      s,
      token,
      'GET',
      `/groups/${G}/members?$select=id,displayName,userPrincipalName,mail,accountEnabled,userType&$top=999`,
    );
    expect(res.status).toBe(200);
    expect(
      checkCollection(res.body, 'directoryObjects(id,displayName,userPrincipalName,mail,accountEnabled,userType)', MEMBER_FACTS),
    ).toEqual([]);
  });

  it('does not list a service-principal member on v1.0 (documented known issue)', async () => {
    const seed = contosoSeed();
    seed.groups.find((g) => g.id === G)!.members.push(CONTOSO.automation.spId);
    const s = await sim(seed);
    const token = await appToken(s, 'GroupMember.Read.All');
    const res = await call(s, token, 'GET', `/groups/${G}/members?$select=id`);
    expect(res.status).toBe(200);
    expect(res.body!.value.map((m: { id: string }) => m.id)).not.toContain(CONTOSO.automation.spId);
  });

  it('lists the service-principal member on beta, with its @odata.type (the documented way to find it), with GroupMember.Read.All', async () => {
    const seed = contosoSeed();
    seed.groups.find((g) => g.id === G)!.members.push(CONTOSO.automation.spId);
    const s = await sim(seed);
    const token = await appToken(s, 'GroupMember.Read.All');
    const res = await fetch(
      `${s.url}/beta/groups/${G}/members?$select=id,displayName,userPrincipalName,mail,accountEnabled,userType&$top=999`,
      { headers: { Authorization: `Bearer ${token}` } },
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { value: Array<{ '@odata.type': string; id: string }> };
    expect(body.value.find((m) => m.id === CONTOSO.automation.spId)).toMatchObject({ '@odata.type': '#microsoft.graph.servicePrincipal' });
    expect(body.value.filter((m) => m['@odata.type'] === '#microsoft.graph.user').length).toBeGreaterThan(0);
  });

  it('the tool reads the documented member list: users are standing members and convertible', () => {
    const documented: DirectoryMember[] = [
      {
        '@odata.type': '#microsoft.graph.user',
        id: '3f1a2b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b',
        displayName: 'Ada Admin',
        userPrincipalName: 'ada@contoso.example',
        mail: null,
        accountEnabled: true,
        userType: 'Member',
      },
      { '@odata.type': '#microsoft.graph.group', id: '9e8d7c6b-5a49-4382-a716-f5e4d3c2b1a0', displayName: 'nested' },
    ];
    const { standing, jit } = standingMembers(documented, []);
    expect(standing.map((m) => m.id)).toEqual(documented.map((m) => m.id));
    expect(jit).toEqual([]);
    expect(convertibleMembers(standing).map((m) => m.id)).toEqual([documented[0].id]);
  });
});

/**
 * Learn "List owners" (group-list-owners): 200, context `$metadata#directoryObjects`, owners with
 * `@odata.type` `#microsoft.graph.user`, `id`, `displayName`, `userPrincipalName`. The page notes
 * that service principals are not listed as owners on v1.0.
 */
const OWNER_FACTS: Facts = {
  '@odata.type': oneOf('#microsoft.graph.user'),
  id: 'string',
  displayName: 'string',
  userPrincipalName: 'string',
};

describe('GET /groups/{id}/owners (group-list-owners)', () => {
  it('answers with documented owners, with GroupMember.Read.All (least privileged)', async () => {
    const s = await sim();
    const token = await appToken(s, 'GroupMember.Read.All');
    const res = await call(s, token, 'GET', `/groups/${G}/owners?$select=id,displayName,userPrincipalName&$top=999`);
    expect(res.status).toBe(200);
    expect(checkCollection(res.body, 'directoryObjects(id,displayName,userPrincipalName)', OWNER_FACTS)).toEqual([]);
  });

  it('does not list a service-principal owner on v1.0 (documented note on the page)', async () => {
    const seed = contosoSeed();
    seed.groups.find((g) => g.id === G)!.owners.push(CONTOSO.automation.spId);
    const s = await sim(seed);
    const token = await appToken(s, 'GroupMember.Read.All');
    const res = await call(s, token, 'GET', `/groups/${G}/owners?$select=id`);
    expect(res.status).toBe(200);
    const ids = res.body!.value.map((m: { id: string }) => m.id);
    expect(ids).not.toContain(CONTOSO.automation.spId);
    expect(ids).toContain(CONTOSO.users.erin);
  });
});

describe('member references (group-delete-members, group-post-members)', () => {
  // Learn "Remove member" (group-delete-members): DELETE …/members/{id}/$ref → 204 No Content, no body.
  // Learn "Add members" (group-post-members): POST …/members/$ref with @odata.id → 204 No Content.
  it('removes and re-adds a member with 204 and no body, with GroupMember.ReadWrite.All (least privileged)', async () => {
    const s = await sim();
    const token = await appToken(s, 'GroupMember.ReadWrite.All');
    const del = await call(s, token, 'DELETE', `/groups/${G}/members/${CONTOSO.users.carol}/$ref`);
    expect(del).toEqual({ status: 204, body: undefined });
    const add = await call(s, token, 'POST', `/groups/${G}/members/$ref`, {
      '@odata.id': `https://graph.microsoft.com/v1.0/directoryObjects/${CONTOSO.users.carol}`,
    });
    expect(add).toEqual({ status: 204, body: undefined });
  });
});

/**
 * Learn "Get user" (user-get): 200, context `$metadata#users/$entity`; default properties
 * businessPhones (array), displayName, givenName, jobTitle, mail, mobilePhone, officeLocation,
 * preferredLanguage, surname, userPrincipalName, id; $select returns the selected ones. The page
 * documents the key form `/users('{userPrincipalName}')` for UPNs that begin with `$`.
 */
const USER_DEFAULT_FACTS: Facts = {
  businessPhones: 'array',
  displayName: 'string',
  givenName: 'string|null',
  jobTitle: 'string|null',
  mail: 'string|null',
  mobilePhone: 'string|null',
  officeLocation: 'string|null',
  preferredLanguage: 'string|null',
  surname: 'string|null',
  userPrincipalName: 'string',
  id: 'string',
};

describe('GET /users/{id | userPrincipalName} (user-get)', () => {
  it('answers with the documented default user properties, with User.Read.All (least privileged, application)', async () => {
    const s = await sim();
    const token = await appToken(s, 'User.Read.All');
    const res = await call(s, token, 'GET', `/users/${encodeURIComponent(CONTOSO.upns.alice)}`);
    expect(res.status).toBe(200);
    expect(String(res.body!['@odata.context'])).toMatch(/\/\$metadata#users\/\$entity$/);
    expect(checkFacts(res.body, USER_DEFAULT_FACTS)).toEqual([]);
    const selected = await call(
      s,
      token,
      'GET',
      `/users/${CONTOSO.users.alice}?$select=id,displayName,userPrincipalName,accountEnabled,userType`,
    );
    expect(
      checkFacts(selected.body, {
        id: 'string',
        displayName: 'string',
        userPrincipalName: 'string',
        accountEnabled: 'boolean',
        userType: oneOf('Member', 'Guest'),
      }),
    ).toEqual([]);
  });

  it("accepts the documented key form /users('{upn}')", async () => {
    const s = await sim();
    const token = await appToken(s, 'User.Read.All');
    const res = await call(s, token, 'GET', `/users('${encodeURIComponent(CONTOSO.upns.alice)}')?$select=id,userPrincipalName`);
    expect(res.status).toBe(200);
    expect(res.body!.id).toBe(CONTOSO.users.alice);
  });
});

describe('GET /me and /me/transitiveMemberOf/microsoft.graph.directoryRole (user-get, user-list-transitivememberof)', () => {
  // Learn "Get user": /me with delegated User.Read (least privileged) → 200, the same user shape.
  it('answers /me with User.Read', async () => {
    const s = await sim();
    const token = await userToken(s, CONTOSO.users.admin, 'User.Read');
    const res = await call(s, token, 'GET', '/me?$select=id,displayName,userPrincipalName');
    expect(res.status).toBe(200);
    expect(checkFacts(res.body, { id: 'string', displayName: 'string', userPrincipalName: 'string' })).toEqual([]);
  });

  // Learn "List a user's memberships" (user-list-transitivememberof), limited-information note:
  // with only User.Read, directory roles come back with `@odata.type` and `id`, other properties null.
  it('answers roles with limited information (roleTemplateId null) to a token holding only User.Read', async () => {
    const s = await sim();
    const token = await userToken(s, CONTOSO.users.admin, 'User.Read');
    const res = await call(
      s,
      token,
      'GET',
      '/me/transitiveMemberOf/microsoft.graph.directoryRole?$select=id,displayName,roleTemplateId&$count=true',
      undefined,
      { ConsistencyLevel: 'eventual' },
    );
    expect(res.status).toBe(200);
    expect(res.body!.value.length).toBeGreaterThan(0);
    for (const r of res.body!.value)
      expect(checkFacts(r, { '@odata.type': oneOf('#microsoft.graph.directoryRole'), id: 'string', roleTemplateId: 'null' })).toEqual([]);
  });
});

/**
 * Learn "List users" (user-list): 200, context `$metadata#users(<selected>)` with $select;
 * `startswith` on displayName and userPrincipalName is a plain filter (no advanced query).
 * Least privileged: User.ReadBasic.All delegated, User.Read.All application. The wizard sends this.
 */
describe('GET /users with startswith (user-list)', () => {
  it('finds users by name or UPN prefix with the documented shape, with User.Read.All (least privileged, application)', async () => {
    const s = await sim();
    const token = await appToken(s, 'User.Read.All');
    const filter = encodeURIComponent("startswith(displayName,'Ali') or startswith(userPrincipalName,'ali')");
    const res = await call(s, token, 'GET', `/users?$filter=${filter}&$select=id,displayName,userPrincipalName,accountEnabled&$top=25`);
    expect(res.status).toBe(200);
    expect(
      checkCollection(res.body, 'users(id,displayName,userPrincipalName,accountEnabled)', {
        id: 'string',
        displayName: 'string',
        userPrincipalName: 'string',
        accountEnabled: 'boolean',
      }),
    ).toEqual([]);
    expect(res.body!.value.map((u: { id: string }) => u.id)).toEqual([CONTOSO.users.alice]);
  });
});
