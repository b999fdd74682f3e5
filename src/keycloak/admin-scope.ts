/**
 * Everything in a realm that carries the target's admin rights: the target group with its
 * subgroups, or the target role with the composite roles containing it and the groups holding them.
 */
import { isWithinGroup, normaliseGroupPath } from './group-path.js';
import type { MappingExpectation } from './mapping-expectation.js';

/**
 * Ids of the roles that contain `targetId` directly or through nested composites, the target
 * included. `children` maps a composite role's id to the ids of its direct composites (as
 * `GET /roles-by-id/{id}/composites` lists them); Keycloak expands them transitively when it
 * checks a role (RoleUtils.hasRole asks each mapped role's hasRole, which searches its composites
 * recursively), so a holder of any of these
 * roles holds the target. Cycles are allowed.
 */
export function rolesContaining(targetId: string, children: Map<string, string[]>): Set<string> {
  const parents = new Map<string, string[]>();
  for (const [parent, kids] of children) for (const k of kids) parents.set(k, [...(parents.get(k) ?? []), parent]);
  const out = new Set<string>([targetId]);
  const queue = [targetId];
  while (queue.length) {
    for (const p of parents.get(queue.shift()!) ?? []) {
      if (out.has(p)) continue;
      out.add(p);
      queue.push(p);
    }
  }
  return out;
}

/** A role as a mapper or the admin console names it: realm role `name`, client role `clientId.name`. */
export interface RoleRef {
  id: string;
  /** `name` for a realm role, `clientId.name` for a client role. */
  ref: string;
  clientRole: boolean;
}

/** Everything in the realm that carries the admin rights of the target. */
export interface AdminScope {
  target: MappingExpectation['target'];
  /** Role mode: the roles (other than the target) that contain it, by mapper reference. */
  roles: Map<string, RoleRef>;
  /**
   * Groups whose members hold the admin rights, each with its subgroups: the target group (group
   * mode), or the groups holding the target role or a role containing it (role mode), by path,
   * with why.
   */
  groups: Map<string, string>;
}

/** The scope of a group target: the group and its subgroups, nothing else. */
export function groupScope(path: string): AdminScope {
  const p = normaliseGroupPath(path);
  return { target: { kind: 'group', value: p }, roles: new Map(), groups: new Map([[p, `it is ${p}`]]) };
}

/** Why a mapper target is a way to the admin rights other than the target itself, or undefined. */
export function indirectReason(kind: 'group' | 'role', value: string | undefined, scope: AdminScope): string | undefined {
  if (!value) return undefined;
  const t = scope.target;
  if (kind === 'group') {
    if (t.kind === 'group' && normaliseGroupPath(value) === t.value) return undefined;
    for (const [root, why] of scope.groups) {
      if (!isWithinGroup(value, root)) continue;
      if (t.kind === 'group') return `${normaliseGroupPath(value)} is a subgroup of ${t.value}, and members of a subgroup hold its roles`;
      return normaliseGroupPath(value) === root
        ? `group ${root} ${why}`
        : `${normaliseGroupPath(value)} is a subgroup of ${root}, which ${why}`;
    }
    return undefined;
  }
  if (t.kind === 'role' && value === t.value) return undefined;
  const r = scope.roles.get(value);
  return r ? `role ${value} contains ${t.value} (composite role)` : undefined;
}

/** What a role reference grants within the scope (role mode): the target or a composite containing it. */
export function roleReason(role: string | undefined, scope: AdminScope): string | undefined {
  if (!role || scope.target.kind !== 'role') return undefined;
  if (role === scope.target.value) return `it is ${role}`;
  return scope.roles.has(role) ? `role ${role} contains ${scope.target.value} (composite role)` : undefined;
}

/** Why a group path carries the admin rights (the target, a subgroup, a group holding a role of the closure), or undefined. */
export function groupReason(path: string | undefined, scope: AdminScope): string | undefined {
  if (!path || !path.trim()) return undefined;
  if (scope.target.kind === 'group' && normaliseGroupPath(path) === scope.target.value) return `it is ${scope.target.value}`;
  return indirectReason('group', path, scope);
}
