import type { HttpRequest } from '../core/http.js';
import type { IdpMapper } from './types.js';

const seg = encodeURIComponent;

/** `POST …/identity-provider/instances/{alias}/mappers` with the exact representation. */
export function createMapperRequest(realm: string, alias: string, mapper: IdpMapper): HttpRequest {
  return { method: 'POST', url: `/admin/realms/${seg(realm)}/identity-provider/instances/${seg(alias)}/mappers`, body: mapper };
}

/** `PUT …/mappers/{id}`; Keycloak replaces the mapper, so the body is the full representation. */
export function updateMapperRequest(realm: string, alias: string, id: string, mapper: IdpMapper): HttpRequest {
  return { method: 'PUT', url: `/admin/realms/${seg(realm)}/identity-provider/instances/${seg(alias)}/mappers/${seg(id)}`, body: mapper };
}
