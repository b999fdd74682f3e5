import type { ApproverRef } from './entra/lookup.js';
import { analyseApprovers } from './entra/approvers.js';
import type { PolicyRule } from './entra/pim.js';
import { humanDuration, parseDuration } from './core/duration.js';
import { graphOpOf, type EligibilityAction } from './graph/writes.js';
import { keycloakOpOf } from './keycloak/requests.js';
import type { IdpMapper } from './keycloak/types.js';
import type { ChecklistInput } from './plan/checklist.js';
import type { Action, RunMode, RunReport } from './plan/types.js';
import type { DirectoryMember, TenantSnapshot } from './steps/snapshot.js';

// The ten-second summary at the top of a change record: who loses standing access, who becomes
// eligible and until when, which activation settings change, what changes in Keycloak (for a
// restore: who is given standing access back). Derived
// from the actions' typed operations (never from their URLs) and the snapshot the plans read.

/**
 * What became of one change: `planned` (an audit: nothing is sent), `done` (answered as a
 * success), `failed` (answered as a failure, or no answer understood), `not-sent` (the run
 * stopped before it).
 */
export type ChangeOutcome = 'planned' | 'done' | 'failed' | 'not-sent';

/** A directory object named in the summary, as the snapshot or the journal's backup recorded it. */
export interface SummaryPrincipal {
  id: string;
  kind: 'user' | 'servicePrincipal' | 'group' | 'other';
  displayName?: string;
  userPrincipalName?: string;
  appId?: string;
}

/** The summary as data (the JSON report's `summary`, schema stable: fields are only ever added). */
export interface ChangeSummary {
  /** `audit`: what a run would do; `run`: what this run did. */
  mode: RunMode;
  /** Standing members removed from the admin group: they keep no permanent admin rights. */
  standingAccessRemoved: Array<{ principal: SummaryPrincipal; groupName?: string; outcome: ChangeOutcome }>;
  /** Eligible member assignments created, moved, extended or renewed. */
  eligible: Array<{ principal: SummaryPrincipal; action: EligibilityAction; start: string; end: string; outcome: ChangeOutcome }>;
  /** Activation-policy settings, before and after. */
  policy: Array<{ ruleId: string; setting: string; before: string; after: string; outcome: ChangeOutcome }>;
  /** Identity-provider mappers created or updated in Keycloak. */
  keycloak: Array<{
    change: 'create' | 'update';
    realm: string;
    identityProvider: string;
    mapper: string;
    /** `key: before → after` for each setting that changes (a new mapper: `key: value`). */
    settings: string[];
    outcome: ChangeOutcome;
  }>;
  /** The enterprise app's own changes (assignment required, the group assigned). */
  app: Array<{ change: 'requireAssignment' | 'assignGroup'; summary: string; outcome: ChangeOutcome }>;
  /** Members `restore` adds back (standing access given back). */
  restored: Array<{ memberId: string; summary: string; outcome: ChangeOutcome }>;
}

const ELIGIBILITY_ACTIONS: readonly string[] = ['adminAssign', 'adminUpdate', 'adminExtend'];

/**
 * The eligibility action actually sent, when apply sent another than planned: PIM refuses an
 * `adminAssign` for a schedule that appeared since the read (RoleAssignmentExists), and the step
 * extends it with `adminUpdate` instead, recording that request as `result.sent`.
 */
function sentAction(a: Action): EligibilityAction | undefined {
  const action = (a.result?.sent?.body as { action?: unknown } | undefined)?.action;
  return typeof action === 'string' && ELIGIBILITY_ACTIONS.includes(action) ? (action as EligibilityAction) : undefined;
}

/** Pure: what became of an action in a run of this mode. */
export function outcomeOf(action: Action, mode: RunMode): ChangeOutcome {
  if (mode === 'audit') return 'planned';
  if (!action.result) return 'not-sent';
  return action.result.ok ? 'done' : 'failed';
}

const KINDS: Record<string, SummaryPrincipal['kind']> = {
  '#microsoft.graph.user': 'user',
  '#microsoft.graph.servicePrincipal': 'servicePrincipal',
  '#microsoft.graph.group': 'group',
};

function principalOf(o: Partial<DirectoryMember> & { id: string; appId?: string | null }): SummaryPrincipal {
  const type = o['@odata.type'];
  return {
    id: o.id,
    kind: type === undefined ? 'user' : (KINDS[type] ?? 'other'),
    ...(o.displayName ? { displayName: o.displayName } : {}),
    ...(o.userPrincipalName ? { userPrincipalName: o.userPrincipalName } : {}),
    ...(o.appId ? { appId: o.appId } : {}),
  };
}

/** The people the snapshot names, by object id (lower case): the eligible users and the group's members. */
function peopleOf(snapshot: TenantSnapshot | undefined): Map<string, SummaryPrincipal> {
  const out = new Map<string, SummaryPrincipal>();
  // Those renewed (--renew) may be neither given nor members: the usable eligibilities name them.
  if (snapshot?.usable?.ok)
    for (const u of snapshot.usable.value.usable)
      out.set(u.principalId.toLowerCase(), { id: u.principalId, kind: 'user', userPrincipalName: u.name });
  if (snapshot?.members?.ok) for (const m of snapshot.members.value) out.set(m.id.toLowerCase(), principalOf(m));
  for (const u of snapshot?.facts.eligibleUsers ?? [])
    out.set(u.id.toLowerCase(), { id: u.id, kind: 'user', displayName: u.displayName, userPrincipalName: u.userPrincipalName });
  return out;
}

function durationText(iso: unknown): string {
  if (typeof iso !== 'string') return 'not set';
  try {
    return `${humanDuration(parseDuration(iso))} (${iso})`;
  } catch {
    return iso;
  }
}

const ENABLEMENT_WORDS: Record<string, string> = {
  justification: 'a justification',
  multifactorauthentication: 'multifactor authentication',
  ticketing: 'ticket information',
};

function enablementText(rules: unknown): string {
  const list = Array.isArray(rules) ? rules.filter((r): r is string => typeof r === 'string') : [];
  return list.length ? list.map((r) => ENABLEMENT_WORDS[r.toLowerCase()] ?? r).join(' and ') : 'nothing extra';
}

function approvalText(setting: unknown, approvers: readonly ApproverRef[]): string {
  const s = (setting ?? {}) as { isApprovalRequired?: unknown; approvalStages?: Array<{ primaryApprovers?: unknown }> };
  if (s.isApprovalRequired !== true) return 'not required';
  const list = Array.isArray(s.approvalStages?.[0]?.primaryApprovers)
    ? (s.approvalStages[0].primaryApprovers as Array<{ userId?: string; groupId?: string }>)
    : [];
  const names = list.map((a) => {
    const id = a.userId ?? a.groupId ?? '?';
    return approvers.find((r) => r.id.toLowerCase() === id.toLowerCase())?.label ?? id;
  });
  return names.length ? `required, by ${names.join(', ')}` : 'required (no approver named)';
}

/** Pure: one activation rule's setting in words, as the policy holds it (undefined rule: as PIM has it unset). */
export function policySetting(
  ruleId: string,
  rule: PolicyRule | undefined,
  approvers: readonly ApproverRef[] = [],
): { setting: string; value: string } {
  switch (ruleId) {
    case 'Expiration_EndUser_Assignment':
      return {
        setting: 'longest activation',
        value: !rule ? 'not set' : rule.isExpirationRequired === false ? 'no limit' : durationText(rule.maximumDuration),
      };
    case 'Enablement_EndUser_Assignment':
      return { setting: 'activation requires', value: rule ? enablementText(rule.enabledRules) : 'not set' };
    case 'Approval_EndUser_Assignment':
      return { setting: 'approval to activate', value: rule ? approvalText(rule.setting, approvers) : 'not set' };
    default:
      return { setting: ruleId, value: rule ? JSON.stringify(rule) : 'not set' };
  }
}

const show = (v: string | undefined) => (v === undefined ? '(unset)' : v);

/** Pure: the settings of a mapper that differ between two representations (`before` absent: a new mapper). */
export function mapperChanges(before: IdpMapper | undefined, after: IdpMapper): string[] {
  const out: string[] = [];
  if (before?.identityProviderMapper !== after.identityProviderMapper)
    out.push(before ? `type: ${before.identityProviderMapper} → ${after.identityProviderMapper}` : `type: ${after.identityProviderMapper}`);
  if (before && before.name !== after.name) out.push(`name: ${before.name} → ${after.name}`);
  const keys = [...new Set([...Object.keys(before?.config ?? {}), ...Object.keys(after.config ?? {})])].sort();
  for (const k of keys) {
    const a = after.config?.[k];
    const b = before?.config?.[k];
    if (a === b) continue;
    out.push(before ? `${k}: ${show(b)} → ${show(a)}` : `${k}: ${show(a)}`);
  }
  return out;
}

function isMapper(v: unknown): v is IdpMapper {
  return typeof v === 'object' && v !== null && typeof (v as IdpMapper).identityProviderMapper === 'string';
}

/**
 * Pure: the change summary of a run or audit, from its actions' typed operations and the
 * snapshot its plans read (names of the people made eligible, the policy as it was). The
 * actions must still carry their backups (the report before `safeReport`).
 */
export function changeSummary(report: RunReport, snapshot?: TenantSnapshot): ChangeSummary {
  const people = peopleOf(snapshot);
  const rules = snapshot?.memberPolicy?.ok ? snapshot.memberPolicy.value.rules : [];
  const approvers = snapshot?.approvers?.ok ? analyseApprovers(snapshot.approvers.value).refs : [];
  const out: ChangeSummary = {
    mode: report.mode,
    standingAccessRemoved: [],
    eligible: [],
    policy: [],
    keycloak: [],
    app: [],
    restored: [],
  };
  for (const step of report.steps) {
    for (const a of step.actions) {
      const outcome = outcomeOf(a, report.mode);
      const g = graphOpOf(a);
      const k = keycloakOpOf(a);
      if (g?.op === 'group.removeMember') {
        const backup = (a.backup ?? {}) as { groupName?: unknown; member?: Partial<DirectoryMember> & { appId?: string | null } };
        const member =
          backup.member && String(backup.member.id ?? '').toLowerCase() === g.memberId.toLowerCase()
            ? principalOf({ ...backup.member, id: g.memberId })
            : (people.get(g.memberId.toLowerCase()) ?? { id: g.memberId, kind: 'other' as const });
        out.standingAccessRemoved.push({
          principal: member,
          ...(typeof backup.groupName === 'string' ? { groupName: backup.groupName } : {}),
          outcome,
        });
      } else if (g?.op === 'pim.requestEligibility') {
        out.eligible.push({
          principal: people.get(g.principalId.toLowerCase()) ?? { id: g.principalId, kind: 'user' },
          action: sentAction(a) ?? g.action,
          start: g.startDateTime,
          end: g.endDateTime,
          outcome,
        });
      } else if (g?.op === 'policy.patchRule') {
        const before = policySetting(
          g.ruleId,
          rules.find((r) => r.id === g.ruleId),
          approvers,
        );
        const after = policySetting(g.ruleId, g.rule as PolicyRule, approvers);
        out.policy.push({ ruleId: g.ruleId, setting: before.setting, before: before.value, after: after.value, outcome });
      } else if (g?.op === 'servicePrincipal.requireAssignment' || g?.op === 'servicePrincipal.assignGroup') {
        out.app.push({
          change: g.op === 'servicePrincipal.requireAssignment' ? 'requireAssignment' : 'assignGroup',
          summary: a.summary,
          outcome,
        });
      } else if (g?.op === 'group.addMember') {
        out.restored.push({ memberId: g.memberId, summary: a.summary, outcome });
      } else if (k) {
        const before = k.op === 'keycloak.updateMapper' && isMapper(a.backup) ? a.backup : undefined;
        out.keycloak.push({
          change: k.op === 'keycloak.createMapper' ? 'create' : 'update',
          realm: k.realm,
          identityProvider: k.alias,
          mapper: k.mapper.name,
          settings: mapperChanges(before, k.mapper),
          outcome,
        });
      }
    }
  }
  return out;
}

/** Pure: whether the summary holds any change at all. */
export function summaryIsEmpty(s: ChangeSummary): boolean {
  return [s.standingAccessRemoved, s.eligible, s.policy, s.keycloak, s.app, s.restored].every((list) => list.length === 0);
}

/** What the report needs besides the run report and its meta: the read snapshot, and the checklist's inputs. */
export interface ReportDetails {
  snapshot?: TenantSnapshot;
  checklist?: ChecklistInput;
}
