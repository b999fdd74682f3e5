/**
 * The identity-provider mapper types this tool knows, and how Keycloak reads their config: the
 * target, the claim conditions and the sync mode in force.
 */
import { normaliseGroupPath } from './group-path.js';
import { javaTrue } from './java-boolean.js';
import type { Protocol } from './protocol.js';
import type { IdpMapper } from './types.js';

/** A claim or attribute mapper type this tool judges, and where its config keeps the condition. */
export interface MapperKind {
  type: string;
  protocol: Protocol;
  target: 'group' | 'role';
  /** `list`: a JSON list of {key,value} conditions; `single`: one claim name and value. */
  style: 'list' | 'single';
  listKey?: string;
  regexKey?: string;
  claimKey?: string;
  valueKey?: string;
  label: string;
}

/** The claim and attribute mapper types judged here. */
export const MAPPER_KINDS: MapperKind[] = [
  {
    type: 'oidc-advanced-group-idp-mapper',
    protocol: 'oidc',
    target: 'group',
    style: 'list',
    listKey: 'claims',
    regexKey: 'are.claim.values.regex',
    label: 'Advanced Claim to Group',
  },
  {
    type: 'saml-advanced-group-idp-mapper',
    protocol: 'saml',
    target: 'group',
    style: 'list',
    listKey: 'attributes',
    regexKey: 'are.attribute.values.regex',
    label: 'Advanced Attribute to Group',
  },
  {
    type: 'oidc-advanced-role-idp-mapper',
    protocol: 'oidc',
    target: 'role',
    style: 'list',
    listKey: 'claims',
    regexKey: 'are.claim.values.regex',
    label: 'Advanced Claim to Role',
  },
  {
    type: 'saml-advanced-role-idp-mapper',
    protocol: 'saml',
    target: 'role',
    style: 'list',
    listKey: 'attributes',
    regexKey: 'are.attribute.values.regex',
    label: 'Advanced Attribute to Role',
  },
  {
    type: 'oidc-role-idp-mapper',
    protocol: 'oidc',
    target: 'role',
    style: 'single',
    claimKey: 'claim',
    valueKey: 'claim.value',
    label: 'Claim to Role',
  },
  {
    type: 'saml-role-idp-mapper',
    protocol: 'saml',
    target: 'role',
    style: 'single',
    claimKey: 'attribute.name',
    valueKey: 'attribute.value',
    label: 'SAML Attribute to Role',
  },
];

/** Mappers that assign their group or role to everyone who signs in through the provider. */
export const HARDCODED: Record<string, 'group' | 'role'> = {
  'oidc-hardcoded-group-idp-mapper': 'group',
  'oidc-hardcoded-role-idp-mapper': 'role',
};

/** The mapper type this tool creates for a protocol and target kind. */
export function desiredMapperType(protocol: Protocol, target: 'group' | 'role'): string {
  return MAPPER_KINDS.find((k) => k.protocol === protocol && k.target === target && k.style === 'list')!.type;
}

/** The sync mode in force; INVALID when Keycloak would not recognise the configured value. */
export type EffectiveSyncMode = 'FORCE' | 'IMPORT' | 'LEGACY' | 'INVALID';

/**
 * The sync mode Keycloak applies to a mapper: its own `syncMode`, or the provider's when it is
 * INHERIT. A missing key is LEGACY, not INHERIT (IdentityProviderMapperSyncModeDelegate); so is
 * a provider without syncMode. Values are case-sensitive enum names on the server.
 */
export function effectiveSyncMode(
  mapperSyncMode: string | undefined,
  idpSyncMode: string | undefined,
): { mode: EffectiveSyncMode; why: string } {
  const known = (v: string): v is 'FORCE' | 'IMPORT' | 'LEGACY' => v === 'FORCE' || v === 'IMPORT' || v === 'LEGACY';
  if (!mapperSyncMode) return { mode: 'LEGACY', why: 'no syncMode set, which Keycloak treats as LEGACY' };
  if (mapperSyncMode === 'INHERIT') {
    if (!idpSyncMode) return { mode: 'LEGACY', why: 'INHERIT from the provider, which has no syncMode' };
    if (known(idpSyncMode)) return { mode: idpSyncMode, why: `INHERIT from the provider, which is on ${idpSyncMode}` };
    return { mode: 'INVALID', why: `the mapper inherits the provider's sync mode "${idpSyncMode}", which Keycloak does not know` };
  }
  if (known(mapperSyncMode)) return { mode: mapperSyncMode, why: `set on the mapper` };
  return { mode: 'INVALID', why: `the mapper's sync mode "${mapperSyncMode}" is not one Keycloak knows` };
}

/** One `{key, value}` entry of an advanced mapper's claims or attributes. */
export interface Condition {
  key: string;
  value: string;
}

/** Parses a `claims`/`attributes` config value: a JSON string holding a list of {key, value}. */
export function parseConditions(json: string | undefined): { conditions: Condition[] } | { error: string } {
  if (json === undefined || json.trim() === '') return { conditions: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return { error: 'is not valid JSON' };
  }
  if (!Array.isArray(parsed)) return { error: 'is not a JSON list' };
  const conditions: Condition[] = [];
  for (const item of parsed) {
    if (!item || typeof item !== 'object' || typeof (item as { key?: unknown }).key !== 'string')
      return { error: 'has an entry without a key' };
    const v = (item as { value?: unknown }).value;
    conditions.push({
      key: (item as { key: string }).key,
      value: typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v),
    });
  }
  return { conditions };
}

/** The known claim or attribute mapper kind of a mapper; undefined for any other type. */
export function kindOf(m: IdpMapper): MapperKind | undefined {
  return MAPPER_KINDS.find((k) => k.type === m.identityProviderMapper);
}

/** The group (normalised path) or role a mapper assigns; undefined when it names none. */
export function targetOf(m: IdpMapper, kind: 'group' | 'role'): string | undefined {
  const v = m.config?.[kind];
  if (!v) return undefined;
  return kind === 'group' ? normaliseGroupPath(v) : v;
}

/** A mapper's claim conditions as Keycloak reads them, and whether they are regular expressions. */
export function conditionsOf(m: IdpMapper, kind: MapperKind): { conditions: Condition[]; regex: boolean } | { error: string } {
  const c = m.config ?? {};
  if (kind.style === 'single') {
    const key = c[kind.claimKey!] || (kind.protocol === 'saml' ? c['attribute.friendly.name'] : undefined) || '';
    return { conditions: key ? [{ key, value: c[kind.valueKey!] ?? '' }] : [], regex: false };
  }
  const parsed = parseConditions(c[kind.listKey!]);
  if ('error' in parsed) return parsed;
  // Keycloak reads the flag with Boolean.parseBoolean: "True" turns regular expressions on too.
  return { conditions: parsed.conditions, regex: javaTrue(c[kind.regexKey!]) };
}

export const showConditions = (cs: Condition[]) => cs.map((c) => `${c.key}=${c.value}`).join(' and ');

/**
 * Mapper types whose LEGACY mode only removes: AbstractClaimToRoleMapper.updateBrokeredUserLegacy
 * deletes the role when the claim is missing and never grants it on a later login. Every other
 * mapper judged here keeps AbstractIdentityProviderMapper.updateBrokeredUserLegacy, which calls
 * updateBrokeredUser: LEGACY acts as FORCE (proven by the JIT drill in test/keycloak/drill.test.ts).
 */
export const LEGACY_REMOVE_ONLY = new Set(['oidc-role-idp-mapper', 'oidc-advanced-role-idp-mapper']);
