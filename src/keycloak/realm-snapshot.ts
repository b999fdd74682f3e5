/**
 * The keycloak step's read phase: every realm read its plan judges, once, in the order the
 * step used to make them, each with the findings the read itself records (a 403 naming the
 * missing realm-management role, a target that does not exist). The plan replays those
 * findings in the same places, so the step reports exactly what it reported when it read for itself.
 */
import type { Finding } from '../core/findings.js';
import { groupScope, type AdminScope } from './admin-scope.js';
import { normaliseGroupPath } from './group-path.js';
import type { Holder } from './holders.js';
import type { KeycloakApi } from './keycloak-api.js';
import type { MappingExpectation } from './mapping-expectation.js';
import { protocolOf } from './protocol.js';
import { selectIdentityProvider, untrustedEntraProvider, type EntraApp } from './provider.js';
import {
  isDenied,
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
  type DENIED,
  type ProviderMappers,
  type TargetState,
} from './realm-reads.js';
import type { KeycloakSettings } from './settings.js';
import type { IdentityProvider, KcComponent, KcGroup, KcMapperOwner, KcUser, RealmInfo } from './types.js';

/** A realm read's answer with the findings the read recorded. */
export interface Recorded<T> {
  readonly value: T;
  readonly findings: readonly Finding[];
}

/** The reads made once the realm exists, in the order they were made. */
export interface RealmReads {
  readonly targetState: Recorded<TargetState>;
  /** The scope of the admin rights, with the holder listing (role mode reads the role closure). */
  readonly reach: Recorded<{ scope: AdminScope; holders?: () => Promise<KcUser[]> }>;
  readonly idps: Recorded<IdentityProvider[] | typeof DENIED>;
  /** Read when an identity provider was chosen. */
  readonly providerMappers?: ProviderMappers;
  /** Read when groups carry the admin rights. */
  readonly defaultGroups?: Recorded<KcGroup[] | typeof DENIED>;
  readonly ldap: Recorded<{ providers: KcComponent[]; mappers: KcComponent[] } | typeof DENIED>;
  readonly owners: KcMapperOwner[] | { forbidden: string };
  /** Read when a provider was chosen and the holders can be listed. */
  readonly holders?: Recorded<Holder[] | typeof DENIED>;
}

/** The realm as the read phase found it: the server, the realm and, when it exists, the reads the plan judges. */
export interface RealmSnapshot {
  readonly version?: string;
  /** The account the tool signed in as (named in a missing-role finding). */
  readonly principal: string;
  readonly realmInfo: Recorded<RealmInfo | null | typeof DENIED>;
  /** Absent when the realm was denied or does not exist. */
  readonly reads?: RealmReads;
}

/** The admin group or role the settings name (the group defaults to /tenant-admin). */
export function targetOf(settings: KeycloakSettings): MappingExpectation['target'] {
  return settings.role
    ? { kind: 'role', value: settings.role }
    : { kind: 'group', value: normaliseGroupPath(settings.group || '/tenant-admin') };
}

async function recorded<T>(fn: (findings: Finding[]) => Promise<T>): Promise<Recorded<T>> {
  const findings: Finding[] = [];
  const value = await fn(findings);
  return { value, findings };
}

/**
 * Reads the realm once, in the order the keycloak step judges it: the realm, the target group or
 * role (and, in role mode, its composite closure), the identity providers and the chosen one's
 * mappers (chosen for `app`), default groups, LDAP mappers, protocol-mapper owners and the holders.
 * A read that fails (other than a 403, recorded as a finding) propagates.
 */
export async function readRealmSnapshot(api: KeycloakApi, settings: KeycloakSettings, app: EntraApp): Promise<RealmSnapshot> {
  const realm = settings.realm;
  const realmInfo = await recorded((f) => readRealm(api, realm, f));
  const base = { ...(api.version ? { version: api.version } : {}), principal: api.principal, realmInfo };
  const info = realmInfo.value;
  if (isDenied(info) || !info) return base;

  const target = targetOf(settings);
  const targetState = await recorded((f) =>
    target.kind === 'group' ? resolveGroup(api, realm, target.value, f) : resolveRole(api, realm, target.value, f),
  );
  const reach = await recorded(async (f) =>
    target.kind === 'group'
      ? { scope: groupScope(target.value), holders: targetState.value.holders }
      : await roleScope(api, realm, info, target, targetState.value, f),
  );
  const idps = await recorded((f) => readIdentityProviders(api, realm, f));
  const selected = isDenied(idps.value) ? undefined : selectIdentityProvider(idps.value, settings.idpAlias, app, realm);
  const idp = selected && !('finding' in selected) ? selected.idp : undefined;
  const allIdps = isDenied(idps.value) ? [] : idps.value;
  const providerMappers = idp ? await readProviderMappers(api, realm, idp, allIdps, Boolean(protocolOf(idp.providerId))) : undefined;
  const scope = reach.value.scope;
  const defaultGroups = scope.groups.size === 0 ? undefined : await recorded((f) => readDefaultGroups(api, realm, f));
  const ldap = await recorded((f) => readLdapMappers(api, realm, f));
  const owners = await readProtocolMapperOwners(api, realm);
  const holdersOf = reach.value.holders;
  let holders: Recorded<Holder[] | typeof DENIED> | undefined;
  if (idp && holdersOf) {
    const trusted = new Set(allIdps.filter((o) => o.alias !== idp.alias && !untrustedEntraProvider(o, app)).map((o) => o.alias));
    holders = await recorded((f) => readHolders(api, realm, holdersOf, idp.alias, trusted, f));
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
