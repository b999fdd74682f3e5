/** Grants written into tokens by the protocol mappers of clients and client scopes: a hardcoded admin role or group. */
import { finding, type Finding } from '../core/findings.js';
import { roleReason, type AdminScope } from './admin-scope.js';
import { isWithinGroup } from './group-path.js';
import type { KcMapperOwner } from './types.js';

const GROUP_MEMBERSHIP_CLAIM: Record<string, string> = {
  'oidc-group-membership-mapper': 'claim.name',
  'saml-group-membership-mapper': 'attribute.name',
};
const HARDCODED_CLAIM: Record<string, [string, string]> = {
  'oidc-hardcoded-claim-mapper': ['claim.name', 'claim.value'],
  'saml-hardcode-attribute-mapper': ['attribute.name', 'attribute.value'],
};
const HARDCODED_TOKEN_ROLE = new Set(['oidc-hardcoded-role-mapper', 'saml-hardcode-role-mapper']);
// RoleNameMapper (OIDC) and the SAML RoleNameMapper: config `role` (the held role) and
// `new.role.name` (the name, `client.role` or a realm role's, it is written under in the token).
const ROLE_RENAME = new Set(['oidc-role-name-mapper', 'saml-role-name-mapper']);

/** The values a hardcoded claim carries: a JSON list's strings, or the text itself. */
function claimValues(v: string): string[] {
  try {
    const parsed: unknown = JSON.parse(v);
    if (Array.isArray(parsed)) return parsed.filter((x): x is string => typeof x === 'string');
    if (typeof parsed === 'string') return [parsed];
  } catch {
    // not JSON: the plain text is the value
  }
  return [v];
}

/**
 * Judges the protocol mappers of clients and client scopes: they write tokens, not memberships.
 * A hardcoded role mapper (`oidc-hardcoded-role-mapper`, `saml-hardcode-role-mapper`: config
 * `role`) puts a role into every token of the clients it applies to, held or not
 * (HardcodedRole.transformAccessToken): in role mode a role of the closure there is admin in
 * every token, without PIM (error). A hardcoded claim or attribute whose name is the group claim
 * (`groups`, or the name a group membership mapper of the realm writes) carrying a group that
 * holds the rights (its path or name) makes every token look like the admin group's: a warning,
 * since it matters only to applications reading that claim. A role name mapper that writes a
 * role outside the closure under the name of a role of the closure makes its holders admin in
 * every token, without PIM (error, role mode).
 */
export function protocolMapperFindings(owners: KcMapperOwner[], scope: AdminScope): Finding[] {
  const out: Finding[] = [];
  const rights = `the admin rights of ${scope.target.value}`;
  const claimNames = new Set(['groups']);
  for (const ow of owners)
    for (const pm of ow.protocolMappers ?? []) {
      const key = GROUP_MEMBERSHIP_CLAIM[pm.protocolMapper];
      const name = key ? pm.config?.[key]?.trim() : undefined;
      if (name) claimNames.add(name);
    }
  for (const ow of owners) {
    for (const pm of ow.protocolMappers ?? []) {
      const where = `protocol mapper "${pm.name ?? pm.id}" of ${ow.kind} ${ow.name}`;
      const fix =
        `delete the protocol mapper "${pm.name ?? pm.id}" (${ow.kind === 'client' ? 'Clients' : 'Client scopes'} → ${ow.name} → ` +
        `${ow.kind === 'client' ? 'Client scopes → dedicated scope' : 'Mappers'})`;
      if (HARDCODED_TOKEN_ROLE.has(pm.protocolMapper)) {
        const why = roleReason(pm.config?.role, scope);
        if (!why) continue;
        out.push(
          finding(
            'error',
            'KC_TOKEN_HARDCODED_ROLE',
            `${where} writes role ${pm.config?.role} (${why}) into every token ` +
              `${ow.kind === 'client' ? 'of that client' : 'of the clients using that scope'}, whoever signs in: an application ` +
              `reading the token's roles grants ${rights} without PIM`,
            fix,
          ),
        );
        continue;
      }
      if (ROLE_RENAME.has(pm.protocolMapper)) {
        const from = pm.config?.role?.trim();
        const to = pm.config?.['new.role.name']?.trim();
        const why = roleReason(to, scope);
        // Renaming a role that already carries the rights changes nobody's access.
        if (!from || !why || roleReason(from, scope)) continue;
        out.push(
          finding(
            'error',
            'KC_TOKEN_ROLE_RENAMED',
            `${where} writes role ${from} into tokens as ${to} (${why}) ` +
              `${ow.kind === 'client' ? 'for that client' : 'for the clients using that scope'}: an application reading the ` +
              `token's roles grants ${rights} to every holder of ${from}, without PIM`,
            fix,
          ),
        );
        continue;
      }
      const keys = HARDCODED_CLAIM[pm.protocolMapper];
      if (!keys) continue;
      const name = pm.config?.[keys[0]]?.trim();
      const raw = pm.config?.[keys[1]];
      if (!name || !claimNames.has(name) || !raw) continue;
      const hit = claimValues(raw)
        .map((v) => v.trim())
        .find((v) => [...scope.groups.keys()].some((root) => isWithinGroup(v, root) || v === root.split('/').pop()));
      if (!hit) continue;
      out.push(
        finding(
          'warning',
          'KC_TOKEN_HARDCODED_GROUP',
          `${where} writes ${hit} into the group claim ${name} of every token ` +
            `${ow.kind === 'client' ? 'of that client' : 'of the clients using that scope'}, whoever signs in: an application ` +
            `reading ${name} sees a member of a group carrying ${rights}, without PIM`,
          fix,
        ),
      );
    }
  }
  return out;
}
