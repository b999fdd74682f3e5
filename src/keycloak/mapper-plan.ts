/** Picks the Entra provider's PIM mapper among its mappers, and plans the exact request that repairs or creates it. */
import { finding, type Finding } from '../core/findings.js';
import type { Action } from '../plan/types.js';
import { fullMatch } from './java-regex.js';
import { evaluateMapper, meaning, nameNotUnique, type MapperIssue } from './mapper-judging.js';
import {
  conditionsOf,
  desiredMapperType,
  HARDCODED,
  kindOf,
  MAPPER_KINDS,
  showConditions,
  targetOf,
  type Condition,
} from './mapper-kinds.js';
import type { MappingExpectation } from './mapping-expectation.js';
import { keycloakWrite } from './requests.js';
import type { IdpMapper, KeycloakConfig, MapperTypes } from './types.js';

function refersToClaim(m: IdpMapper, exp: MappingExpectation): boolean {
  const kind = kindOf(m);
  if (!kind || !exp.claim) return false;
  const parsed = conditionsOf(m, kind);
  if ('error' in parsed) return false;
  const want = exp.claim;
  const known = [want.value, want.displayName, want.groupId].filter((v): v is string => v !== undefined).map((v) => v.toLowerCase());
  return parsed.conditions.some(
    (c) =>
      (c.key === want.key || want.source === 'group') &&
      (known.includes(c.value.toLowerCase()) || (c.key === want.key && parsed.regex && fullMatch(c.value, want.value) === true)),
  );
}

/**
 * The full representation of the right mapper: a repair of `existing` (keeping its id and name;
 * its conditions become exactly the expected one) or a new one.
 */
export function desiredMapper(
  exp: MappingExpectation & { claim: NonNullable<MappingExpectation['claim']> },
  existing: IdpMapper | undefined,
  takenNames: string[],
): IdpMapper {
  const existingKind = existing ? kindOf(existing) : undefined;
  const kind =
    existingKind && existingKind.protocol === exp.protocol && existingKind.target === exp.target.kind
      ? existingKind
      : MAPPER_KINDS.find((k) => k.type === desiredMapperType(exp.protocol, exp.target.kind))!;
  const config: KeycloakConfig = existing && existingKind === kind ? { ...existing.config } : {};
  if (kind.style === 'list') {
    // Exactly the expected condition: a condition kept from the old mapper (someone's email, a
    // department) would let only the people who also meet it become admins, and Keycloak grants
    // only when every listed condition matches (AdvancedClaimToGroupMapper.applies). The old
    // conditions stay in the backup and are named in the plan (replacedConditions).
    config[kind.listKey!] = JSON.stringify([{ key: exp.claim.key, value: exp.claim.value }]);
    config[kind.regexKey!] = 'false';
  } else {
    config[kind.claimKey!] = exp.claim.key;
    config[kind.valueKey!] = exp.claim.value;
    delete config['attribute.friendly.name'];
  }
  config[exp.target.kind] = exp.target.value;
  config.syncMode = 'FORCE';
  const base = `entra-pim-${exp.target.value.split('/').filter(Boolean).pop() ?? 'admin'}`.replace(/[^A-Za-z0-9._-]+/g, '-');
  let name = existing?.name ?? base;
  for (let i = 2; !existing && takenNames.includes(name); i++) name = `${base}-${i}`;
  return {
    ...(existing?.id ? { id: existing.id } : {}),
    name,
    identityProviderAlias: exp.alias,
    identityProviderMapper: kind.type,
    config,
  };
}

/**
 * Conditions of `old` on something other than the group that the repaired `rep` no longer has,
 * for the plan. The old condition meant for the group (on the expected claim, or with one of the
 * group's values) is not listed: its own finding already says why it is rewritten.
 */
export function replacedConditions(old: IdpMapper, rep: IdpMapper, claim: NonNullable<MappingExpectation['claim']>): Condition[] {
  const kind = kindOf(old);
  if (!kind || kind.style !== 'list' || rep.identityProviderMapper !== old.identityProviderMapper) return [];
  const before = conditionsOf(old, kind);
  const after = conditionsOf(rep, kind);
  if ('error' in before || 'error' in after) return [];
  const known = [claim.value, claim.displayName, claim.groupId].filter((v): v is string => v !== undefined).map((v) => v.toLowerCase());
  const aimed = (c: Condition) => c.key === claim.key || known.includes(c.value.toLowerCase());
  return before.conditions.filter((c) => !aimed(c) && !after.conditions.some((a) => a.key === c.key && a.value === c.value));
}

/** What planMapper judges: the provider's mappers against the expectation. */
export interface MapperPlanInput {
  realm: string;
  exp: MappingExpectation;
  mappers: IdpMapper[];
  /** Mapper types the provider accepts; undefined when not read. */
  mapperTypes?: MapperTypes;
  /** Whether the target group or role exists: a mapper to nothing is not worth creating. */
  targetExists: boolean;
  fix: boolean;
  /**
   * Mappers that already grant the target's rights through PIM another way (to a subgroup, or in
   * role mode to a group holding the role), as judgeIndirectGrants found them: with no mapper on
   * the target itself, they satisfy the expectation, and nothing is created beside them.
   */
  viaPim?: IdpMapper[];
}

/**
 * Judges the provider's mappers for the target and plans the repair. The primary mapper is the
 * correct one if any, else the one closest to it (on the target, or matching the expected
 * claim); only it is rewritten. Other mappers that grant the target are reported, never changed.
 */
export function planMapper(input: MapperPlanInput): { findings: Finding[]; actions: Action[] } {
  const { exp, mappers, realm } = input;
  const findings: Finding[] = [];
  const actions: Action[] = [];
  const accepted = mappers.filter((m) => {
    const k = kindOf(m);
    return k && k.protocol === exp.protocol && k.target === exp.target.kind;
  });
  const evaluated = accepted.map((mapper) => ({ mapper, issues: evaluateMapper(mapper, exp) }));
  const errors = (e: { issues: MapperIssue[] }) => e.issues.filter((i) => i.severity === 'error');
  const onTarget = evaluated.filter((e) => targetOf(e.mapper, exp.target.kind) === exp.target.value);
  const primary =
    onTarget.find((e) => errors(e).length === 0) ??
    onTarget.find((e) => refersToClaim(e.mapper, exp)) ??
    onTarget[0] ??
    evaluated.find((e) => refersToClaim(e.mapper, exp));

  for (const m of mappers) {
    if (HARDCODED[m.identityProviderMapper] === exp.target.kind && targetOf(m, exp.target.kind) === exp.target.value) {
      findings.push(
        finding(
          'error',
          'KC_MAPPER_HARDCODED',
          `mapper "${m.name}" on ${exp.alias} is a hardcoded ${exp.target.kind} mapper: it puts every user who signs in through ` +
            `${exp.alias} into ${exp.target.value}, PIM or not`,
          `delete mapper "${m.name}"`,
        ),
      );
    }
  }
  for (const e of onTarget) {
    if (e === primary) continue;
    for (const i of errors(e)) {
      findings.push(
        finding(
          'error',
          i.code,
          i.message,
          `delete mapper "${e.mapper.name}" or correct it: only the PIM mapper should grant ${exp.target.value}`,
        ),
      );
    }
  }

  if (onTarget.length === 0 && input.viaPim?.length) {
    const names = input.viaPim.map((m) => `"${m.name}"`).join(', ');
    findings.push(
      finding(
        'info',
        'KC_MAPPER_VIA_PIM',
        `no mapper on ${exp.alias} assigns ${exp.target.value} itself; mapper(s) ${names} grant its rights only through the PIM ` +
          `group (see KC_MAPPER_INDIRECT_PIM)`,
      ),
    );
    actions.push({ kind: 'noop', summary: `mapper(s) ${names} on ${exp.alias} grant ${exp.target.value}'s rights through PIM` });
    return { findings, actions };
  }

  const wantType = desiredMapperType(exp.protocol, exp.target.kind);
  if (input.mapperTypes && !input.mapperTypes[wantType] && !primary) {
    findings.push(
      finding(
        'error',
        'KC_MAPPER_TYPE_UNAVAILABLE',
        `identity provider ${exp.alias} does not offer the ${wantType} mapper on this Keycloak`,
        'upgrade Keycloak (the SAML group mapper exists since version 21) or map the group by hand',
      ),
    );
    return { findings, actions };
  }

  const claim = exp.claim;
  const describe = claim ? `${claim.key}=${claim.value} → ${exp.target.value}, sync mode FORCE` : '';
  if (!primary) {
    const message = claim
      ? `no mapper on identity provider ${exp.alias} puts users with ${claim.key}=${claim.value} (${meaning(claim)}) into ${exp.target.value}`
      : `no mapper on identity provider ${exp.alias} assigns ${exp.target.value}`;
    if (claim && input.fix && input.targetExists) {
      const rep = desiredMapper(
        { ...exp, claim },
        undefined,
        mappers.map((m) => m.name),
      );
      findings.push(finding('info', 'KC_MAPPER_MISSING', `${message}; --fix-keycloak creates it`));
      actions.push({
        kind: 'create',
        target: 'keycloak',
        summary: `create mapper "${rep.name}" on identity provider ${exp.alias}: ${describe}`,
        ...keycloakWrite({ op: 'keycloak.createMapper', realm, alias: exp.alias, mapper: rep }),
      });
      if (claim.valueKind === 'display-name') findings.push(nameNotUnique(`the new mapper "${rep.name}"`, claim, exp.target.value));
    } else {
      findings.push(
        finding(
          'error',
          'KC_MAPPER_MISSING',
          message,
          claim
            ? `run again with --fix-keycloak to create it (${wantType}: ${describe})`
            : 'the Entra group or app role is unknown (see the earlier steps), so the mapper cannot be checked',
        ),
      );
    }
    return { findings, actions };
  }

  const fixable = primary.issues.filter((i) => i.fixable);
  const rest = primary.issues.filter((i) => !i.fixable);
  for (const i of rest)
    findings.push(finding(i.severity, i.code, i.message, i.fix ?? 'adjust the mapper in the admin console if this is not intended'));
  if (fixable.length === 0) {
    actions.push({ kind: 'noop', summary: `mapper "${primary.mapper.name}" on ${exp.alias} maps ${describe || exp.target.value}` });
    return { findings, actions };
  }
  if (claim && input.fix && input.targetExists && primary.mapper.id) {
    const rep = desiredMapper(
      { ...exp, claim },
      primary.mapper,
      mappers.map((m) => m.name),
    );
    for (const i of fixable) findings.push(finding('info', i.code, `${i.message}; --fix-keycloak updates the mapper`));
    const dropped = replacedConditions(primary.mapper, rep, claim);
    if (dropped.length) {
      findings.push(
        finding(
          'info',
          'KC_MAPPER_CONDITIONS_REPLACED',
          `--fix-keycloak sets mapper "${rep.name}" to require only ${claim.key}=${claim.value} and drops ` +
            `${showConditions(dropped)} (kept in the backup): with them only users who also meet them could get ${exp.target.value}`,
        ),
      );
    }
    actions.push({
      kind: 'update',
      target: 'keycloak',
      summary: `update mapper "${rep.name}" on identity provider ${exp.alias}: ${describe}`,
      ...keycloakWrite({ op: 'keycloak.updateMapper', realm, alias: exp.alias, mapperId: primary.mapper.id, mapper: rep }),
      backup: primary.mapper,
    });
    if (claim.valueKind === 'display-name' && !rest.some((i) => i.code === 'KC_MAPPER_GROUP_NAME_NOT_UNIQUE')) {
      findings.push(nameNotUnique(`mapper "${rep.name}" (once updated)`, claim, exp.target.value));
    }
  } else {
    const how = claim
      ? `run again with --fix-keycloak to update mapper "${primary.mapper.name}" (${describe}), or correct it in the admin console`
      : `correct mapper "${primary.mapper.name}" in the admin console`;
    for (const i of fixable) findings.push(finding('error', i.code, i.message, how));
  }
  return { findings, actions };
}
