import { describe, expect, inject, it } from 'vitest';
import { CONTOSO } from '../../src/sim/index.js';
import {
  activateWithCli,
  brokerLogin,
  CookieJar,
  DRILL_MAPPER_NAME,
  drillMapper,
  IDP_ALIAS,
  PORTAL,
  setUpBrokeredRealm,
  setUpDrillEntra,
} from '../support/broker-login.js';
import { closeSimsAfterEach, startSim } from '../support/sim.js';

/**
 * Proven at runtime: a user whom a mapper puts into a subgroup of the admin
 * group holds the admin group's roles. The access token Keycloak issues after a brokered sign-in
 * carries the role of `/tenant-admin` although the user is a direct member of `/tenant-admin/ops`
 * only, which is why the step treats any path under the target as the target.
 */

closeSimsAfterEach();

const ALICE = CONTOSO.upns.alice;
const ROLE = 'tenant-admin-role';

/** The access token's realm roles, from the client's code (public client: no secret). */
async function realmRoles(keycloakUrl: string, realm: string, code: string): Promise<string[]> {
  const res = await fetch(`${keycloakUrl}/realms/${realm}/protocol/openid-connect/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, client_id: PORTAL.clientId, redirect_uri: PORTAL.redirectUri }),
  });
  const body = (await res.json()) as { access_token?: string };
  expect(res.status, JSON.stringify(body)).toBe(200);
  const claims = JSON.parse(Buffer.from(body.access_token!.split('.')[1], 'base64url').toString('utf8')) as {
    realm_access?: { roles?: string[] };
  };
  return claims.realm_access?.roles ?? [];
}

describe('subgroup inheritance in a real brokered sign-in', () => {
  it('a user the mapper puts into /tenant-admin/ops holds the role mapped to /tenant-admin', async () => {
    const sim = await startSim();
    await setUpDrillEntra(sim, 'groups', [ALICE]);
    const keycloakUrl = inject('keycloak').url;
    const r = await setUpBrokeredRealm(sim, keycloakUrl, drillMapper('groups', 'FORCE'));
    const { kc, realm } = r;
    // The admin rights live on /tenant-admin as a role mapping, as an admin sets them up.
    await kc.roles.create({ realm, name: ROLE });
    const role = await kc.roles.findOneByName({ realm, name: ROLE });
    await kc.groups.addRealmRoleMappings({ realm, id: r.groupIds.get('/tenant-admin')!, roles: [{ id: role!.id!, name: ROLE }] });
    const ops = await kc.groups.createChildGroup({ realm, id: r.groupIds.get('/tenant-admin')! }, { name: 'ops' });
    expect(ops.id).toBeTruthy();
    // The PIM mapper now targets the subgroup.
    const [mapper] = (await kc.identityProviders.findMappers({ realm, alias: IDP_ALIAS })).filter((m) => m.name === DRILL_MAPPER_NAME);
    await kc.identityProviders.updateMapper(
      { realm, alias: IDP_ALIAS, id: mapper.id! },
      { ...mapper, config: { ...mapper.config, group: '/tenant-admin/ops' } },
    );

    await activateWithCli(sim, ALICE, 'PT1H');
    const { code } = await brokerLogin({
      keycloakUrl,
      realm,
      clientId: PORTAL.clientId,
      redirectUri: PORTAL.redirectUri,
      idpAlias: IDP_ALIAS,
      loginHint: ALICE,
      jar: new CookieJar(),
    });
    const user = await r.findUser(ALICE);
    const groups = (await kc.users.listGroups({ realm, id: user!.id })).map((g) => g.path).sort();
    expect(groups).toEqual(['/tenant-admin/ops', '/user:pf']);
    expect(await realmRoles(keycloakUrl, realm, code)).toContain(ROLE);
  });
});
