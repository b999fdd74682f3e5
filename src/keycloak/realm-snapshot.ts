/**
 * The keycloak step's read phase: every realm read its plan judges, once, in the order the
 * step used to make them, each kept as what it returned (a 403 as `Denied`, a target that does
 * not exist as `exists: false`). The plan (`judgeKeycloak`) makes every finding from them.
 */
import { groupScope } from './admin-scope.js';
import { normaliseGroupPath } from './group-path.js';
import type { Holder } from './holders.js';
import type { KeycloakApi } from './keycloak-api.js';
import type { MappingExpectation } from './mapping-expectation.js';
import { protocolOf } from './protocol.js';
import { selectIdentityProvider, untrustedEntraProvider, type EntraApp } from './provider.js';
import {
  isDenied,
  type Denied,
  readDefaultGroups,
  readHolders,
  readIdentityProviders,
  readLdapMappers,
  readProtocolMapperOwners,
  readProviderMappers,
  readRealm,
  resolveGroup,
  resolveRole,
  roleScope,
  type ProviderMappers,
  type TargetReach,
  type TargetState,
} from './realm-reads.js';
import type { KeycloakSettings } from './settings.js';
import type { IdentityProvider, KcComponent, KcGroup, KcMapperOwner, RealmInfo } from './types.js';

/** The reads made once the realm exists, in the order they were made; a read the account was denied is `Denied`. */
export interface RealmReads {
  readonly targetState: TargetState;
  /** The scope of the admin rights, with the holder listing (role mode reads the role closure). */
  readonly reach: TargetReach;
  readonly idps: IdentityProvider[] | Denied;
  /** Read when an identity provider was chosen. */
  readonly providerMappers?: ProviderMappers;
  /** Read when groups carry the admin rights. */
  readonly defaultGroups?: KcGroup[] | Denied;
  readonly ldap: { providers: KcComponent[]; mappers: KcComponent[] } | Denied;
  readonly owners: KcMapperOwner[] | { forbidden: string };
  /** Read when a provider was chosen and the holders can be listed. */
  readonly holders?: Holder[] | Denied;
}

/** The realm as the read phase found it: the server, the realm and, when it exists, the reads the plan judges. */
export interface RealmSnapshot {
  readonly version?: string;
  /** The account the tool signed in as (named in a missing-role finding). */
  readonly principal: string;
  readonly realmInfo: RealmInfo | null | Denied;
  /** Absent when the realm was denied or does not exist. */
  readonly reads?: RealmReads;
}

/** The admin group or role the settings name (the group defaults to /tenant-admin). */
export function targetOf(settings: KeycloakSettings): MappingExpectation['target'] {
  return settings.role
    ? { kind: 'role', value: settings.role }
    : { kind: 'group', value: normaliseGroupPath(settings.group || '/tenant-admin') };
}

/**
 * Reads the realm once, in the order the keycloak step judges it: the realm, the target group or
 * role (and, in role mode, its composite closure), the identity providers and the chosen one's
 * mappers (chosen for `app`), default groups, LDAP mappers, protocol-mapper owners and the holders.
 * A read that fails (other than a 403, kept as `Denied`) propagates.
 */
export async function readRealmSnapshot(api: KeycloakApi, settings: KeycloakSettings, app: EntraApp): Promise<RealmSnapshot> {
  const realm = settings.realm;
  const realmInfo = await readRealm(api, realm);
  const base = { ...(api.version ? { version: api.version } : {}), principal: api.principal, realmInfo };
  const info = realmInfo;
  if (isDenied(info) || !info) return base;

  const target = targetOf(settings);
  const targetState = target.kind === 'group' ? await resolveGroup(api, realm, target.value) : await resolveRole(api, realm, target.value);
  const reach: TargetReach =
    target.kind === 'group'
      ? { scope: groupScope(target.value), holders: targetState.holders }
      : await roleScope(api, realm, info, target, targetState);
  const idps = await readIdentityProviders(api, realm);
  const selected = isDenied(idps) ? undefined : selectIdentityProvider(idps, settings.idpAlias, app, realm);
  const idp = selected && !('finding' in selected) ? selected.idp : undefined;
  const allIdps = isDenied(idps) ? [] : idps;
  const providerMappers = idp ? await readProviderMappers(api, realm, idp, allIdps, Boolean(protocolOf(idp.providerId))) : undefined;
  const scope = reach.scope;
  const defaultGroups = scope.groups.size === 0 ? undefined : await readDefaultGroups(api, realm);
  const ldap = await readLdapMappers(api, realm);
  const owners = await readProtocolMapperOwners(api, realm);
  const holdersOf = reach.holders;
  let holders: Holder[] | Denied | undefined;
  if (idp && holdersOf) {
    const trusted = new Set(allIdps.filter((o) => o.alias !== idp.alias && !untrustedEntraProvider(o, app)).map((o) => o.alias));
    holders = await readHolders(api, realm, holdersOf, idp.alias, trusted);
  }
  return {
    ...base,
    reads: {
      targetState,
      reach,
      idps,
      ...(providerMappers ? { providerMappers } : {}),
      ...(defaultGroups ? { defaultGroups } : {}),
      ldap,
      owners,
      ...(holders ? { holders } : {}),
    },
  };
}
