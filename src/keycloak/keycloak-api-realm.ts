import { KeycloakError } from '../errors.js';
import { idpPath, realmPath } from './admin-paths.js';
import { KeycloakConnection } from './connection.js';
import type { IdentityProvider, IdpMapper, KcComponent, KcGroup, MapperTypes, RealmInfo } from './types.js';

/**
 * KeycloakApi's reads of the realm itself: the server version, the realm, its identity providers
 * with their mappers and mapper types, its default groups and its components. The first link of
 * the chain under KeycloakApi (realm, then users, then roles and clients), which keeps one object
 * for the callers; each link only reads.
 */
export class KeycloakRealmReads extends KeycloakConnection {
  /** `systemInfo.version`, or undefined when the account may not see it. */
  async serverVersion(): Promise<string | undefined> {
    try {
      const info = await this.call({ method: 'GET', path: '/admin/serverinfo', what: 'read the server info' }, (kc, o) =>
        kc.serverInfo.find({}, o),
      );
      return info?.systemInfo?.version;
    } catch (err) {
      if (err instanceof KeycloakError && err.status !== undefined) return undefined;
      throw err;
    }
  }

  /** The realm, or null when it does not exist. Without `view-realm` the session fields are missing. */
  getRealm(realm: string): Promise<RealmInfo | null> {
    return this.find({ method: 'GET', path: realmPath(realm), what: `read realm ${realm}`, role: 'view-realm' }, (kc, o) =>
      kc.realms.findOne({ realm }, o),
    ) as Promise<RealmInfo | null>;
  }

  /** Every identity provider of the realm (paged). */
  listIdentityProviders(realm: string): Promise<IdentityProvider[]> {
    const info = {
      method: 'GET',
      path: `${realmPath(realm)}/identity-provider/instances`,
      what: `list the identity providers of realm ${realm}`,
      role: 'view-identity-providers',
    };
    return this.listAll(info, (kc, page, o) => kc.identityProviders.find({ realm, ...page }, o)) as Promise<IdentityProvider[]>;
  }

  /** One provider by alias, or null. */
  getIdentityProvider(realm: string, alias: string): Promise<IdentityProvider | null> {
    const info = { method: 'GET', path: idpPath(realm, alias), what: `read identity provider ${alias}`, role: 'view-identity-providers' };
    return this.find(info, (kc, o) => kc.identityProviders.findOne({ realm, alias }, o)) as Promise<IdentityProvider | null>;
  }

  /** The provider's mappers. */
  async listMappers(realm: string, alias: string): Promise<IdpMapper[]> {
    const info = {
      method: 'GET',
      path: `${idpPath(realm, alias)}/mappers`,
      what: `list the mappers of identity provider ${alias}`,
      role: 'view-identity-providers',
    };
    return ((await this.call({ ...info, shape: 'list' }, (kc, o) => kc.identityProviders.findMappers({ realm, alias }, o))) ??
      []) as IdpMapper[];
  }

  /** The mapper types this provider accepts, by id. */
  async listMapperTypes(realm: string, alias: string): Promise<MapperTypes> {
    const info = {
      method: 'GET',
      path: `${idpPath(realm, alias)}/mapper-types`,
      what: `list the mapper types of identity provider ${alias}`,
      role: 'view-identity-providers',
    };
    return ((await this.call({ ...info, shape: 'object' }, (kc, o) => kc.identityProviders.findMapperTypes({ realm, alias }, o))) ??
      {}) as MapperTypes;
  }

  /** Groups every new user joins. */
  async getDefaultGroups(realm: string): Promise<KcGroup[]> {
    const info = {
      method: 'GET',
      path: `${realmPath(realm)}/default-groups`,
      what: `read the default groups of realm ${realm}`,
      role: 'view-realm',
    };
    return ((await this.call({ ...info, shape: 'list' }, (kc, o) => kc.realms.getDefaultGroups({ realm }, o))) ?? []) as KcGroup[];
  }

  /**
   * The realm's components of one provider type under `parent` (the realm when omitted: the
   * server then lists only components whose parent is the realm itself, so an LDAP provider's
   * mappers need the provider's id as parent). ComponentResource.getComponents requires
   * view-realm; the list is not paged.
   */
  async listComponents(realm: string, type: string, parent?: string): Promise<KcComponent[]> {
    const info = {
      method: 'GET',
      path: `${realmPath(realm)}/components?type=${type}${parent ? `&parent=${parent}` : ''}`,
      what: `list the ${type.split('.').pop()} components of realm ${realm}`,
      role: 'view-realm',
    };
    const components = ((await this.call({ ...info, shape: 'list' }, (kc, o) =>
      kc.components.find({ realm, type, ...(parent ? { parent } : {}) }, o),
    )) ?? []) as unknown[];
    // ComponentRepresentation: id, providerId and a config of string lists, always (an empty
    // config is {}). A component without them would read as "no LDAP mapper there".
    const bad = components.find((c) => {
      const x = c as KcComponent | null;
      if (!x || typeof x !== 'object' || typeof x.id !== 'string' || typeof x.providerId !== 'string') return true;
      const config: unknown = x.config;
      if (!config || typeof config !== 'object' || Array.isArray(config)) return true;
      return Object.values(config).some((v) => !Array.isArray(v) || v.some((s) => typeof s !== 'string'));
    });
    if (bad !== undefined) {
      throw new KeycloakError(
        `Keycloak answered ${info.what} with a component without an id, a providerId or a config of string lists (HTTP 200): ` +
          `not understood, nothing concluded from it`,
        200,
      );
    }
    return components as KcComponent[];
  }
}
