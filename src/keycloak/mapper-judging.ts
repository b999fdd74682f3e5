/** Judges one identity-provider mapper against the expectation: its target, its conditions, its sync mode. */
import { finding, type Finding, type Severity } from '../core/findings.js';
import { judgeRegexCondition, type RegexVerdict } from './java-regex.js';
import { conditionsOf, effectiveSyncMode, kindOf, LEGACY_REMOVE_ONLY, showConditions, targetOf, type MapperKind } from './mapper-kinds.js';
import type { MappingExpectation } from './mapping-expectation.js';
import type { IdpMapper } from './types.js';

/** What the expected value is, for messages: `object id of Entra group X`. */
export function meaning(c: NonNullable<MappingExpectation['claim']>): string {
  if (c.source === 'app-role') return 'the app role value';
  const group = `Entra group${c.displayName && c.valueKind !== 'display-name' ? ` ${c.displayName}` : ''}`;
  return c.valueKind === 'display-name'
    ? `the display name of the ${group}, which the app emits (cloud_displayname)`
    : `the object id of the ${group}`;
}

/** Why a mapper matching the group's display name is a risk, and what is safer. */
export function nameNotUnique(label: string, c: NonNullable<MappingExpectation['claim']>, target: string): Finding {
  return finding(
    'warning',
    'KC_MAPPER_GROUP_NAME_NOT_UNIQUE',
    `${label} matches ${c.key}=${c.value}, a group display name; this works because the app emits display names ` +
      `(cloud_displayname), but names are not unique: any other group assigned to the app that is named or renamed "${c.value}" ` +
      `also grants ${target}`,
    `prefer object ids: remove cloud_displayname from the app's groups claim (Token configuration), then run with ` +
      `--fix-keycloak to match ${c.groupId ?? 'the object id'}; or use --app-role`,
  );
}

/** One problem with a mapper. `fixable`: --fix-keycloak repairs it by rewriting the mapper. */
export interface MapperIssue {
  code: string;
  severity: Severity;
  message: string;
  fixable: boolean;
  /** Advice for an issue --fix-keycloak leaves alone. */
  fix?: string;
}

/** Everything wrong with one mapper, judged against the expectation. Empty: the mapper is right. */
export function evaluateMapper(m: IdpMapper, exp: MappingExpectation): MapperIssue[] {
  const kind = kindOf(m);
  if (!kind) return [];
  const issues: MapperIssue[] = [];
  const label = `mapper "${m.name}" on ${exp.alias}`;
  const target = targetOf(m, exp.target.kind);
  if (target !== exp.target.value) {
    issues.push({
      code: 'KC_MAPPER_TARGET',
      severity: 'error',
      fixable: true,
      message: `${label} assigns ${target ?? 'nothing'}, not ${exp.target.value}`,
    });
  }
  const parsed = conditionsOf(m, kind);
  if ('error' in parsed) {
    issues.push({
      code: 'KC_MAPPER_CLAIMS_INVALID',
      severity: 'error',
      fixable: true,
      message: `${label}: its ${kind.listKey} setting ${parsed.error}, so Keycloak cannot evaluate it`,
    });
  } else if (parsed.conditions.length === 0) {
    issues.push({
      code: 'KC_MAPPER_CLAIMS_EMPTY',
      severity: 'error',
      fixable: true,
      message: `${label} has no claim condition, so it puts every user who signs in through ${exp.alias} into ${exp.target.value}`,
    });
  } else if (exp.claim) {
    const { conditions, regex } = parsed;
    const want = exp.claim;
    const onKey = conditions.filter((c) => c.key === want.key);
    const judged = onKey.map((c) => ({
      c,
      v: regex
        ? judgeRegexCondition(c.value, want.value, want.others)
        : ({ verdict: c.value === want.value ? 'exact' : 'no-match' } as RegexVerdict),
    }));
    const unreadable = judged.filter((j) => j.v.verdict === 'cannot-evaluate');
    const matching = judged.filter((j) => j.v.verdict !== 'no-match' && j.v.verdict !== 'cannot-evaluate').map((j) => j.c);
    const what = meaning(want);
    const names = want.valueKind === 'display-name';
    const sends = want.format
      ? `the app emits ${names ? 'group display names' : 'group object ids'} in the ${want.key} claim (${want.format})`
      : `Entra sends group object ids in the ${want.key} claim`;
    const same = (a: string, b: string | undefined) => b !== undefined && a.toLowerCase() === b.toLowerCase();
    if (unreadable.length) {
      // Fail closed: a Java pattern this tool cannot read the way Keycloak does is never called safe.
      issues.push({
        code: 'KC_MAPPER_REGEX_UNSUPPORTED',
        severity: 'error',
        fixable: true,
        message:
          `${label} treats its values as Java regular expressions and ` +
          `${unreadable.map((j) => `${j.c.value} cannot be evaluated: ${(j.v as { why: string }).why}`).join('; ')}; it must ` +
          `require exactly ${want.key}=${want.value}`,
      });
    } else if (matching.length === 0) {
      const byName = want.source === 'group' && !names && want.displayName && onKey.some((c) => same(c.value, want.displayName));
      const byId = want.source === 'group' && names && onKey.some((c) => same(c.value, want.groupId));
      const otherKey =
        want.source === 'group' &&
        onKey.length === 0 &&
        conditions.find((c) => same(c.value, want.groupId) || same(c.value, want.displayName));
      if (byName && !want.format) {
        // The app registration was not read (a gallery or multi-tenant app), so whether Entra sends
        // names (cloud_displayname) or object ids is unknown: the mapper may well be working, and
        // rewriting it to the object id could lock every admin out. Say so; never rewrite it.
        issues.push({
          code: 'KC_MAPPER_GROUP_NAME_UNVERIFIED',
          severity: 'warning',
          fixable: false,
          message:
            `${label} matches ${want.key}=${want.displayName}, the group's display name; the app registration could not be read, ` +
            `so it is unknown whether Entra sends display names (cloud_displayname) or object ids: the mapper works only with ` +
            `display names, and names are not unique`,
          fix: `check the groups claim of the app in its home tenant; with object ids the value must be ${want.groupId}`,
        });
      } else if (byName) {
        issues.push({
          code: 'KC_MAPPER_GROUP_NAME',
          severity: 'error',
          fixable: true,
          message: `${label} matches ${want.key}=${want.displayName}, the group's display name; ${sends}, so it never matches: the value must be ${want.value}`,
        });
      } else if (byId) {
        issues.push({
          code: 'KC_MAPPER_GROUP_ID',
          severity: 'error',
          fixable: true,
          message: `${label} matches ${want.key}=${want.groupId}, the group's object id; ${sends}, so it never matches: the value must be ${want.value}`,
        });
      } else if (otherKey) {
        issues.push({
          code: 'KC_MAPPER_CLAIM_NAME',
          severity: 'error',
          fixable: true,
          message: `${label} requires ${otherKey.key}=${otherKey.value}, but ${sends}, so it never matches: it must require ${want.key}=${want.value}`,
        });
      } else {
        issues.push({
          code: 'KC_MAPPER_CLAIM_MISMATCH',
          severity: 'error',
          fixable: true,
          message:
            `${label} requires ${showConditions(conditions)}${regex ? ' (as regular expressions)' : ''}; it must require ` +
            `${want.key}=${want.value} (${what})`,
        });
      }
    } else if (!judged.some((j) => j.v.verdict === 'exact')) {
      // Every condition must hold (AdvancedClaimToGroupMapper.applies), so one exact condition
      // suffices; without one, each matching pattern admits another value Java's String.matches accepts.
      const why = judged
        .filter((j) => j.v.verdict === 'too-broad' || j.v.verdict === 'unprovable')
        .map((j) =>
          j.v.verdict === 'too-broad'
            ? `${j.c.value} also matches ${j.v.also} (${j.v.what}), whose members get ${exp.target.value} without PIM`
            : `${j.c.value} cannot be shown to match nothing but ${want.value}: ${(j.v as { why: string }).why}`,
        );
      issues.push({
        code: 'KC_MAPPER_REGEX',
        severity: 'error',
        fixable: true,
        message: `${label} treats its values as Java regular expressions (whole-value String.matches) and ${why.join('; ')}`,
      });
    } else if (regex && !judged.some((j) => j.v.verdict === 'exact' && j.v.proof !== 'assigned')) {
      // Safe against the groups assigned to the app today; a group assigned later that the
      // pattern matches would grant the target without PIM.
      issues.push({
        code: 'KC_MAPPER_REGEX_FRAGILE',
        severity: 'warning',
        fixable: false,
        message:
          `${label} treats its values as Java regular expressions; ${matching.map((c) => c.value).join(', ')} matches ` +
          `${want.value} and none of the other values the claim can carry today, but it matches more than that value: a group or ` +
          `role added to the app later that it matches would grant ${exp.target.value} too`,
        fix: `turn off "Regex Claim Values" and require exactly ${want.key}=${want.value}`,
      });
      if (names) {
        const w = nameNotUnique(label, want, exp.target.value);
        issues.push({ code: w.code, severity: 'warning', fixable: false, message: w.message, fix: w.fix });
      }
    } else if (names) {
      const w = nameNotUnique(label, want, exp.target.value);
      issues.push({ code: w.code, severity: 'warning', fixable: false, message: w.message, fix: w.fix });
    }
    const extra = conditions.filter(
      (c) => !matching.includes(c) && !(c.key === 'tid' && exp.tenantId && c.value.toLowerCase() === exp.tenantId.toLowerCase()),
    );
    if (matching.length && extra.length) {
      issues.push({
        code: 'KC_MAPPER_EXTRA_CLAIMS',
        severity: 'warning',
        fixable: false,
        message:
          `${label} also requires ${showConditions(extra)}: users without ${extra.length > 1 ? 'them' : 'it'} do not get ` +
          `${exp.target.value} even with an active PIM assignment`,
      });
    }
  }
  const sync = effectiveSyncMode(m.config?.syncMode, exp.idpSyncMode);
  if (sync.mode === 'IMPORT') {
    issues.push({
      code: 'KC_MAPPER_SYNC_IMPORT',
      severity: 'error',
      fixable: true,
      message:
        `${label} has sync mode IMPORT (${sync.why}): Keycloak applies it only at a user's first login, so ${exp.target.value} ` +
        `stays after the PIM activation ends`,
    });
  } else if (sync.mode === 'LEGACY') {
    issues.push(legacySyncIssue(kind, label, sync.why, exp.target.value, m.name));
  } else if (sync.mode === 'INVALID') {
    issues.push({ code: 'KC_MAPPER_SYNC_INVALID', severity: 'error', fixable: true, message: `${label}: ${sync.why}` });
  }
  return issues;
}

function legacySyncIssue(kind: MapperKind, label: string, why: string, target: string, name: string): MapperIssue {
  if (LEGACY_REMOVE_ONLY.has(kind.type)) {
    return {
      code: 'KC_MAPPER_SYNC_LEGACY',
      severity: 'error',
      fixable: true,
      message:
        `${label} has sync mode LEGACY (${why}): a ${kind.label} mapper under LEGACY only removes ${target} at later logins and ` +
        `never grants it again, so a user's second activation brings no admin rights; only FORCE grants and removes it at every Entra login`,
    };
  }
  return {
    code: 'KC_MAPPER_SYNC_LEGACY',
    severity: 'warning',
    fixable: false,
    message:
      `${label} has sync mode LEGACY (${why}); Keycloak 26 applies LEGACY like FORCE to a ${kind.label} mapper (grants and ` +
      `removes ${target} at every Entra login), but that rests on a legacy default: set FORCE explicitly`,
    fix: `set "Sync mode override" of mapper "${name}" to Force`,
  };
}
