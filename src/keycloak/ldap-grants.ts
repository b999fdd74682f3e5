/** Grants from LDAP user storage mappers: hardcoded groups and roles, LDAP groups or roles landing on the admin rights. */
import { finding, type Finding } from '../core/findings.js';
import { groupReason, roleReason, type AdminScope } from './admin-scope.js';
import { isWithinGroup, normaliseGroupPath } from './group-path.js';
import { javaTrue } from './java-boolean.js';
import type { KcComponent } from './types.js';

/** Component provider type of an LDAP (or other) user storage provider. */
export const USER_STORAGE_TYPE = 'org.keycloak.storage.UserStorageProvider';
/** Component provider type of the mappers under an LDAP provider. */
export const LDAP_MAPPER_TYPE = 'org.keycloak.storage.ldap.mappers.LDAPStorageMapper';

const first = (c: KcComponent, key: string): string | undefined => c.config?.[key]?.[0];

/**
 * Whether a user storage provider is in force: CacheableStorageProviderModel.isEnabled reads a
 * missing `enabled` as true and anything else with Boolean.valueOf (case-insensitive "true").
 */
function storageEnabled(provider: KcComponent | undefined): boolean {
  const v = provider ? first(provider, 'enabled') : undefined;
  return v === undefined || javaTrue(v);
}

/** Whether `path` is `root` or one of its ancestors (`/` is everyone's ancestor). */
function isAncestorOrSelf(path: string, root: string): boolean {
  const p = normaliseGroupPath(path);
  return p === '/' || isWithinGroup(root, p);
}

/**
 * Judges the mappers of the realm's LDAP user storage providers. A hardcoded LDAP group or role
 * mapper gives its group or role to every user of that LDAP provider: HardcodedLDAPGroupStorageMapper
 * and HardcodedLDAPRoleStorageMapper add it in the user proxy (getGroupsStream, hasRole) on every
 * read, nothing is stored, so no group-member listing shows these users, an IdP mapper cannot take
 * it away (leaveGroup throws "hardcoded by LDAP mapper") and they sign in with their LDAP
 * password, never through Entra: a way to the admin rights without PIM (error). A group-ldap-mapper
 * whose `groups.path` (default `/`) is at or under a group carrying the rights, or above it (an
 * LDAP group of the right name lands on it), and a role-ldap-mapper mapping LDAP groups to the
 * realm roles (`use.realm.roles.mapping`, default true) or to the client of a role of the
 * closure, grant the rights to whoever LDAP says: a warning, since it depends on LDAP content.
 * A disabled provider only lowers an error to a warning: UserStorageManager.validateFederatedUser
 * hands out its users as disabled, read-only users (no sign-in, no mapper proxy), but anyone who
 * may manage the realm can enable it again.
 */
export function ldapGrantFindings(
  providers: KcComponent[],
  mappers: KcComponent[],
  scope: AdminScope,
  o: { targetIsClientRole?: boolean } = {},
): Finding[] {
  const out: Finding[] = [];
  const rights = `the admin rights of ${scope.target.value}`;
  for (const m of mappers) {
    const provider = providers.find((p) => p.id === m.parentId);
    const enabled = storageEnabled(provider);
    const where = `LDAP mapper "${m.name ?? m.id}" of user storage ${provider?.name ?? m.parentId ?? '(unknown)'}${enabled ? '' : ' (disabled)'}`;
    const disabledNote = enabled
      ? ''
      : '; the provider is disabled (its users cannot sign in now), but enabling it again grants this at once';
    const fix = `delete the mapper "${m.name ?? m.id}" (User federation → ${provider?.name ?? 'the LDAP provider'} → Mappers)`;
    const type = m.providerId;
    if (type === 'hardcoded-ldap-group-mapper' || type === 'hardcoded-ldap-role-mapper') {
      const group = type === 'hardcoded-ldap-group-mapper';
      const value = first(m, group ? 'group' : 'role');
      const why = group ? groupReason(value, scope) : roleReason(value, scope);
      if (!why) continue;
      out.push(
        finding(
          enabled ? 'error' : 'warning',
          group ? 'KC_LDAP_HARDCODED_GROUP' : 'KC_LDAP_HARDCODED_ROLE',
          `${where} gives every LDAP user the ${group ? 'group' : 'role'} ${value} (${why}): they hold ${rights} without PIM, ` +
            `sign in with their LDAP password, and no group-member listing or identity-provider mapper sees or removes it${disabledNote}`,
          fix,
        ),
      );
      continue;
    }
    if (type === 'group-ldap-mapper') {
      const path = normaliseGroupPath(first(m, 'groups.path') || '/');
      for (const [root] of scope.groups) {
        const under = isWithinGroup(path, root);
        if (!under && !isAncestorOrSelf(path, root)) continue;
        out.push(
          finding(
            'warning',
            'KC_LDAP_GROUP_MAPPER',
            under
              ? `${where} puts the LDAP groups it maps under ${path}, within ${root}: every member of such an LDAP group holds ` +
                  `${rights}, decided in LDAP, not by PIM${disabledNote}`
              : `${where} maps LDAP groups under ${path}, above ${root}: an LDAP group named like ` +
                  `${root.slice(path === '/' ? 1 : path.length + 1)} lands on ${root}, so its members would hold ${rights}, decided ` +
                  `in LDAP, not by PIM${disabledNote}`,
            `check the LDAP groups it maps, or set its "LDAP groups path" outside ${root}`,
          ),
        );
        break;
      }
      continue;
    }
    if (type === 'role-ldap-mapper' && scope.target.kind === 'role') {
      const realmMapping = first(m, 'use.realm.roles.mapping') === undefined || javaTrue(first(m, 'use.realm.roles.mapping'));
      const client = first(m, 'client.id');
      const closure = [
        { ref: scope.target.value, clientRole: Boolean(o.targetIsClientRole) },
        ...[...scope.roles.values()].map((r) => ({ ref: r.ref, clientRole: r.clientRole })),
      ];
      const hit = realmMapping
        ? closure.find((r) => !r.clientRole)
        : client
          ? closure.find((r) => r.clientRole && r.ref.startsWith(`${client}.`))
          : undefined;
      if (!hit) continue;
      out.push(
        finding(
          'warning',
          'KC_LDAP_ROLE_MAPPER',
          `${where} maps LDAP groups to ${realmMapping ? 'realm roles' : `roles of client ${client}`} by name: an LDAP group ` +
            `named like ${hit.clientRole ? hit.ref.slice(client!.length + 1) : hit.ref} would give its members ` +
            `${hit.ref}${hit.ref === scope.target.value ? '' : `, which contains ${scope.target.value}`}, decided in LDAP, not by ` +
            `PIM${disabledNote}`,
          `check the LDAP groups it maps, or point it at a client without admin roles`,
        ),
      );
    }
  }
  return out;
}
