import type { TestProject } from 'vitest/node';
import { startKeycloak, type KeycloakServerInfo } from './keycloak-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    keycloak: KeycloakServerInfo;
  }
}

/** Global setup of the `keycloak` project: one server for the whole run, stopped at teardown. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startKeycloak();
  const { url, version, admin, external } = server;
  project.provide('keycloak', { url, version, admin, external });
  return () => server.stop();
}
