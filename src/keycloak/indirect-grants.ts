/** Ways to the admin rights other than the target itself: mappers to a subgroup or composite role, default groups and the default role. */
import { finding, type Finding } from '../core/findings.js';
import { indirectReason, type AdminScope } from './admin-scope.js';
import { normaliseGroupPath } from './group-path.js';
import { evaluateMapper } from './mapper-judging.js';
import { HARDCODED, kindOf } from './mapper-kinds.js';
import type { MappingExpectation } from './mapping-expectation.js';
import type { IdpMapper } from './types.js';

/**
 * Judges the mappers of one provider that grant the admin rights other than by assigning the
 * target itself: to a subgroup of the target group, to a composite role containing the target
 * role, or to a group holding such a role. A hardcoded mapper gives them to everyone who signs in
 * through the provider; a claim mapper is acceptable only when it passes the same check as the
 * PIM mapper (the PIM group's claim value, FORCE), against `exp`, the expectation in this
 * provider's protocol. Mappers assigning exactly the target are left to planMapper and
 * otherProviderGrants.
 */
export function judgeIndirectGrants(
  alias: string,
  mappers: IdpMapper[],
  scope: AdminScope,
  exp: MappingExpectation | undefined,
): Array<{ mapper: IdpMapper; finding: Finding }> {
  const out: Array<{ mapper: IdpMapper; finding: Finding }> = [];
  const rights = `the admin rights of ${scope.target.value}`;
  for (const m of mappers) {
    const kind = kindOf(m);
    const targetKind =
      kind?.target ?? HARDCODED[m.identityProviderMapper] ?? (m.config?.group ? 'group' : m.config?.role ? 'role' : undefined);
    if (!targetKind) continue;
    const value = m.config?.[targetKind];
    const why = indirectReason(targetKind, value, scope);
    if (!why) continue;
    const label = `mapper "${m.name}" on ${alias}`;
    if (HARDCODED[m.identityProviderMapper]) {
      out.push({
        mapper: m,
        finding: finding(
          'error',
          'KC_MAPPER_INDIRECT_HARDCODED',
          `${label} is a hardcoded ${targetKind} mapper to ${value}: ${why}, so everyone who signs in through ${alias} gets ${rights}, PIM or not`,
          `delete mapper "${m.name}"`,
        ),
      });
      continue;
    }
    if (!kind) {
      out.push({
        mapper: m,
        finding: finding(
          'error',
          'KC_MAPPER_INDIRECT',
          `${label} (type ${m.identityProviderMapper}) assigns ${value}: ${why}; this tool does not know the mapper type, so it ` +
            `cannot tell whether it requires the PIM group`,
          `delete mapper "${m.name}" or point it elsewhere`,
        ),
      });
      continue;
    }
    if (!exp || exp.protocol !== kind.protocol || !exp.claim) {
      out.push({
        mapper: m,
        finding: finding(
          'error',
          'KC_MAPPER_INDIRECT',
          `${label} assigns ${value}: ${why}; ` +
            (exp?.claim
              ? `it is a ${kind.protocol.toUpperCase()} mapper on a ${exp.protocol.toUpperCase()} provider`
              : 'the PIM group claim is not known, so it cannot be shown to require the PIM group'),
          `delete mapper "${m.name}" or point it elsewhere`,
        ),
      });
      continue;
    }
    const issues = evaluateMapper(m, {
      ...exp,
      target: { kind: targetKind, value: targetKind === 'group' ? normaliseGroupPath(value) : value! },
    });
    const errs = issues.filter((i) => i.severity === 'error');
    if (errs.length === 0) {
      out.push({
        mapper: m,
        finding: finding(
          'info',
          'KC_MAPPER_INDIRECT_PIM',
          `${label} assigns ${value} (${why}) only to users whose ${exp.claim.key} holds ${exp.claim.value}: it grants ${rights} through PIM too`,
        ),
      });
      continue;
    }
    out.push({
      mapper: m,
      finding: finding(
        'error',
        'KC_MAPPER_INDIRECT',
        `${label} assigns ${value}: ${why}, so it grants ${rights} outside PIM: ${errs.map((i) => i.message).join('; ')}`,
        `delete mapper "${m.name}", or make it require ${exp.claim.key}=${exp.claim.value} with sync mode FORCE like the PIM mapper`,
      ),
    });
  }
  return out;
}

/** The findings of judgeIndirectGrants. */
export function indirectGrantFindings(
  alias: string,
  mappers: IdpMapper[],
  scope: AdminScope,
  exp: MappingExpectation | undefined,
): Finding[] {
  return judgeIndirectGrants(alias, mappers, scope, exp).map((j) => j.finding);
}

/** Default groups that give every new user the admin rights: the target group, a subgroup, or (role mode) a group holding the role. */
export function defaultGroupFindings(defaults: Array<{ path?: string; name?: string }>, scope: AdminScope, realm: string): Finding[] {
  const out: Finding[] = [];
  for (const g of defaults) {
    const path = normaliseGroupPath(g.path ?? g.name);
    const exact = scope.target.kind === 'group' && path === scope.target.value;
    const why = exact ? undefined : indirectReason('group', path, scope);
    if (!exact && !why) continue;
    out.push(
      finding(
        'error',
        'KC_GROUP_DEFAULT',
        exact
          ? `${path} is a default group of realm ${realm}: every new user, local or brokered, joins it without PIM`
          : `${path} is a default group of realm ${realm} and ${why}: every new user, local or brokered, gets the admin rights of ` +
              `${scope.target.value} without PIM`,
        `remove ${path} from Realm settings → User registration → Default groups`,
      ),
    );
  }
  return out;
}

/** The realm's default role (`default-roles-<realm>`, held by every user) containing the target role: everyone is admin. */
export function defaultRoleFindings(
  defaultRole: { id?: string; name?: string } | undefined,
  closure: Set<string>,
  target: string,
  realm: string,
): Finding[] {
  if (!defaultRole?.id || !closure.has(defaultRole.id)) return [];
  const name = defaultRole.name ?? `default-roles-${realm}`;
  return [
    finding(
      'error',
      'KC_ROLE_DEFAULT',
      `the default role ${name} of realm ${realm} is or contains ${target} (directly or through composite roles): every user of ` +
        `the realm holds it, so everyone has the admin rights without PIM`,
      `remove ${target} (or the composite role containing it) from Realm settings → User registration → Default roles`,
    ),
  ];
}
