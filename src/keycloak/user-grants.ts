/** One user's admin rights (verify-user): how the user holds them, and which mappers assign what carries them. */
import { indirectReason, type AdminScope, type RoleRef } from './admin-scope.js';
import { isWithinGroup, normaliseGroupPath } from './group-path.js';
import { evaluateMapper } from './mapper-judging.js';
import { effectiveSyncMode, HARDCODED, kindOf, LEGACY_REMOVE_ONLY, targetOf, type EffectiveSyncMode } from './mapper-kinds.js';
import type { MappingExpectation } from './mapping-expectation.js';
import type { IdpMapper } from './types.js';

/** One way a user holds the admin rights: a group membership, a role mapping, or the realm's default role. */
export interface UserGrant {
  kind: 'group' | 'role' | 'default-role';
  /** The user's own group (path) or role (`name`, `clientId.name`) that carries the rights. */
  value: string;
  /** Why it carries them, in words. */
  why: string;
}

/**
 * The ways one user holds the admin rights, judged with the audit's scope: each direct group of
 * the user that is within a scope group (the target group, or a group holding a role of the
 * closure, each with its subgroups: isWithinGroup), each direct role mapping that is the target
 * role or a composite containing it, and the default role when it contains the target. These are
 * exactly the users residualFindings and defaultRoleFindings count.
 */
export function userGrants(
  user: { groups: string[]; roles: RoleRef[] },
  scope: AdminScope,
  o: { targetRoleId?: string; defaultRole?: string } = {},
): UserGrant[] {
  const t = scope.target;
  const out: UserGrant[] = [];
  for (const g of user.groups) {
    const path = normaliseGroupPath(g);
    for (const [root, why] of scope.groups) {
      if (!isWithinGroup(path, root)) continue;
      const text =
        t.kind === 'group'
          ? path === t.value
            ? `member of ${t.value}`
            : `member of ${path}, a subgroup of ${t.value} (members of a subgroup hold its roles)`
          : path === root
            ? `member of group ${root}, which ${why}`
            : `member of ${path}, a subgroup of ${root}, which ${why}`;
      out.push({ kind: 'group', value: path, why: text });
      break;
    }
  }
  if (t.kind === 'role') {
    const composites = new Set([...scope.roles.values()].map((r) => r.id));
    for (const r of user.roles) {
      if (o.targetRoleId !== undefined && r.id === o.targetRoleId)
        out.push({ kind: 'role', value: r.ref, why: `holds ${t.value} directly` });
      else if (composites.has(r.id))
        out.push({ kind: 'role', value: r.ref, why: `holds role ${r.ref}, which contains ${t.value} (composite role)` });
    }
    if (o.defaultRole)
      out.push({
        kind: 'default-role',
        value: o.defaultRole,
        why: `every user holds the default role ${o.defaultRole}, which is or contains ${t.value}`,
      });
  }
  return out;
}

/** A mapper that assigns a group or role carrying the admin rights, with how Keycloak applies it. */
export interface GrantingMapper {
  alias: string;
  name: string;
  /** What it assigns: a group path (normalised) or a role. */
  kind: 'group' | 'role';
  value: string;
  /** Assigns it to everyone who signs in through the provider. */
  hardcoded: boolean;
  mode: EffectiveSyncMode;
  /** LEGACY on an OIDC Claim-to-Role mapper: removes at later logins, never grants again. */
  legacyRemoveOnly: boolean;
  /**
   * Set when the mapper does not require the PIM group (no condition, or conditions on something
   * else): it grants at every sign-in whether or not PIM is active. Judged only when an
   * expectation is passed to grantingMappers.
   */
  withoutPim?: string;
}

/** Condition problems that leave a mapper granting without the PIM group (as opposed to never matching). */
const NO_PIM_CONDITION = new Set(['KC_MAPPER_CLAIMS_EMPTY', 'KC_MAPPER_CLAIM_MISMATCH']);

/**
 * The mappers of one provider that assign the target or anything carrying its rights (a subgroup,
 * a group holding a role of the closure, a composite containing the role), as the audit's
 * planMapper and indirectGrantFindings see them, with their effective sync mode.
 */
export function grantingMappers(
  alias: string,
  mappers: IdpMapper[],
  idpSyncMode: string | undefined,
  scope: AdminScope,
  exp?: MappingExpectation,
): GrantingMapper[] {
  const out: GrantingMapper[] = [];
  for (const m of mappers) {
    const hardcoded = HARDCODED[m.identityProviderMapper];
    const kind = kindOf(m)?.target ?? hardcoded;
    if (!kind) continue;
    const value = targetOf(m, kind);
    if (!value) continue;
    const exact = scope.target.kind === kind && value === scope.target.value;
    if (!exact && !indirectReason(kind, value, scope)) continue;
    const mode = effectiveSyncMode(m.config?.syncMode, idpSyncMode).mode;
    // The audit's evaluateMapper on this mapper and its own target (KC_MAPPER_CLAIM_MISMATCH /
    // KC_MAPPER_CLAIMS_EMPTY there, KC_MAPPER_INDIRECT for a subgroup or composite).
    const missing =
      !hardcoded && exp?.claim && kindOf(m)?.protocol === exp.protocol
        ? evaluateMapper(m, { ...exp, target: { kind, value } }).find((i) => NO_PIM_CONDITION.has(i.code))
        : undefined;
    out.push({
      alias,
      name: m.name,
      kind,
      value,
      hardcoded: Boolean(hardcoded),
      mode,
      legacyRemoveOnly: mode === 'LEGACY' && LEGACY_REMOVE_ONLY.has(m.identityProviderMapper),
      ...(missing ? { withoutPim: missing.message } : {}),
    });
  }
  return out;
}
