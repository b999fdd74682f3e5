import { defineConfig } from 'vitest/config';

const timeouts = {
  testTimeout: 60_000,
  hookTimeout: 300_000,
};
// Creates the test TLS certificate; every project lists it so each can also run alone.
const tlsSetup = 'test/support/global-setup.ts';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    ...timeouts,
    // End-to-end tests spawn the CLI and real servers; two cores, so keep the pool small.
    maxWorkers: 2,
    reporters: ['default'],
    globalSetup: [tlsSetup],
    // Two projects so the real Keycloak starts only when its tests run: `vitest run` runs both,
    // `vitest run --project keycloak` only the Keycloak tests. Not `extends: true`: it would
    // concatenate the include lists and put every test into the keycloak project.
    projects: [
      {
        test: {
          name: 'unit+e2e',
          include: ['test/**/*.test.ts'],
          exclude: ['test/keycloak/**', '**/node_modules/**'],
          ...timeouts,
          globalSetup: [tlsSetup],
        },
      },
      {
        test: {
          name: 'keycloak',
          include: ['test/keycloak/**/*.test.ts'],
          ...timeouts,
          globalSetup: [tlsSetup, 'test/support/keycloak-global-setup.ts'],
        },
      },
    ],
  },
});
