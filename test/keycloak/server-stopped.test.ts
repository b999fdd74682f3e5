import { describe, expect, it } from 'vitest';
import net from 'node:net';
import { keycloakStep, planKeycloak } from '../../src/steps/keycloak.js';
import { planAll } from '../../src/plan/runner.js';
import { adminSettings, connectApi, entraOidc, goodOidcMapper, makeContext, seedRealm } from '../support/keycloak-seed.js';

/**
 * A loopback TCP relay in front of the real server: closing it stops Keycloak as far as the
 * client can tell (new connections refused, open ones cut), without stopping the server the
 * other tests share.
 */
async function relay(target: string): Promise<{ url: string; stop(): Promise<void> }> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), hostname);
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port: local } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${local}`,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('Keycloak stopped in the middle of the check', () => {
  it('ends the check with one clear failure, not a crash or a hang', async () => {
    const s = await seedRealm({ idps: [{ alias: 'entra', providerId: 'oidc', config: entraOidc() }], mappers: [goodOidcMapper()] });
    const front = await relay(adminSettings(s.realm).url);
    const settings = adminSettings(s.realm, { url: front.url });
    const { api } = await connectApi(settings, { readOnly: true });
    // Signed in; now the server goes away before the step reads anything.
    await front.stop();

    const ctx = makeContext({ settings, api });
    await expect(planKeycloak(ctx)).rejects.toThrow(/^cannot reach Keycloak at http:\/\/127\.0\.0\.1:\d+/);

    // The runner's step with the Entra facts given by hand instead of a snapshot's.
    const runCtx = makeContext({ settings, api });
    const step = { ...keycloakStep, plan: () => planKeycloak(runCtx) };
    const { reports } = await planAll([step], undefined, runCtx);
    expect(reports[0].status).toBe('failed');
    expect(reports[0].findings).toHaveLength(1);
    expect(reports[0].findings[0]).toMatchObject({ severity: 'error', code: 'PLAN_FAILED' });
    expect(reports[0].findings[0].message.split('\n')).toHaveLength(1);
  });
});
