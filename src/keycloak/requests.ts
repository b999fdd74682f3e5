import type { HttpRequest } from '../core/http.js';
import type { IdpMapper } from './types.js';

const seg = encodeURIComponent;

/**
 * Every change this tool makes in Keycloak, as data: the identity-provider mapper it creates or
 * repairs (Keycloak Admin REST API, "Identity Providers"). `keycloakRequest` turns one into the
 * request that is journaled and shown in the report.
 */
export type KeycloakWrite =
  /** `POST …/identity-provider/instances/{alias}/mappers` with the exact representation. */
  | { op: 'keycloak.createMapper'; realm: string; alias: string; mapper: IdpMapper }
  /** `PUT …/mappers/{id}`; Keycloak replaces the mapper, so `mapper` is the full representation. */
  | { op: 'keycloak.updateMapper'; realm: string; alias: string; mapperId: string; mapper: IdpMapper };

/** Pure: the admin REST request (path relative to the Keycloak base URL) one Keycloak write is. */
export function keycloakRequest(w: KeycloakWrite): HttpRequest {
  const mappers = `/admin/realms/${seg(w.realm)}/identity-provider/instances/${seg(w.alias)}/mappers`;
  switch (w.op) {
    case 'keycloak.createMapper':
      return { method: 'POST', url: mappers, body: w.mapper };
    case 'keycloak.updateMapper':
      return { method: 'PUT', url: `${mappers}/${seg(w.mapperId)}`, body: w.mapper };
  }
}

/** A planned Keycloak write: the operation, and the request it is sent as (for the report and `--json`). */
export function keycloakWrite(w: KeycloakWrite): { op: KeycloakWrite; request: HttpRequest } {
  return { op: w, request: keycloakRequest(w) };
}

/** The Keycloak write an action carries, if any. */
export function keycloakOpOf(action: { op?: { op: string } }): KeycloakWrite | undefined {
  const op = action.op?.op;
  return op === 'keycloak.createMapper' || op === 'keycloak.updateMapper' ? (action.op as KeycloakWrite) : undefined;
}
