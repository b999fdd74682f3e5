/**
 * The read phase's snapshot cut into the parts a saved plan digests, each named in words and,
 * for lists, with the ids a change is told by. The snapshot's clock is left out (it moves by
 * itself); the caller is left out (a reviewer's read-only identity may save the plan that an
 * automation identity applies). A read that failed is a part as its error.
 */
import type { Finding } from '../core/findings.js';
import type { RunOptions } from '../context.js';
import { analyseApprovers } from '../entra/approvers.js';
import type { RealmSnapshot } from '../keycloak/realm-snapshot.js';
import type { PartInput } from '../plan/saved-plan.js';
import { analysePrerequisites } from './prerequisites-findings.js';
import type { Read, TenantSnapshot } from './snapshot.js';

/**
 * Findings as compared: their kind, not their words (a message may name a time). What the
 * caller's token may do (CALLER_*) is about who runs, not the tenant: audit checks it for audit.
 */
const codes = (findings: readonly Finding[]) => findings.filter((f) => !f.code.startsWith('CALLER_')).map((f) => `${f.severity}:${f.code}`);

/** A list in id order (Graph's listing order is not part of the state). */
function byId<T extends { id?: unknown }>(list: readonly T[] | undefined): T[] | undefined {
  return list ? [...list].sort((a, b) => String(a.id).localeCompare(String(b.id))) : undefined;
}

const idsOf = (list: readonly { id?: unknown }[] | undefined) => (list ? list.map((x) => String(x.id)) : undefined);

function readPart<T>(name: string, r: Read<T> | undefined, value: (v: T) => unknown, ids?: (v: T) => string[] | undefined): PartInput {
  if (!r) return { name, value: { $absent: true } };
  if (!r.ok) return { name, value: { $failed: r.error }, failed: true };
  const list = ids?.(r.value);
  return { name, value: value(r.value), ...(list ? { ids: list } : {}) };
}

/**
 * A Keycloak read as the realm snapshot keeps it: its value, or `Denied` (which digests as its
 * 403 and the role it names). Listings held as functions (who holds the target) are not digested
 * here: the holders are read and digested on their own.
 */
function realmRead<T>(
  name: string,
  r: T | undefined,
  value: (v: T) => unknown = (v) => v,
  ids?: (v: T) => string[] | undefined,
): PartInput {
  if (r === undefined) return { name, value: { $absent: true } };
  const list = ids?.(r);
  return { name, value: value(r), ...(list ? { ids: list } : {}) };
}

/**
 * Pure: the parts of a tenant snapshot (and its realm) that a saved plan depends on. The
 * prerequisites' raw reads count by what they establish (their findings, judged as a run judges
 * them), not by every figure they hold: a licence's consumed units move with every user anywhere
 * in the tenant.
 */
export function snapshotParts(s: TenantSnapshot, options: RunOptions): Record<string, PartInput> {
  const f = s.facts;
  const parts: Record<string, PartInput> = {
    tenant: { name: 'the tenant id', value: s.tenantId },
    servicePrincipal: { name: 'the enterprise app (service principal)', value: f.servicePrincipal ?? null },
    application: { name: 'the app registration', value: f.application ?? null },
    signIn: { name: "the app's sign-in mode and group claim", value: { ssoMode: f.ssoMode, groupClaim: f.groupClaim } },
    group: { name: 'the admin group', value: f.group ?? null },
    groupOwners: {
      name: "the admin group's owners",
      value: [...(f.groupOwnerIds ?? [])].sort(),
      ...(f.groupOwnerIds ? { ids: [...f.groupOwnerIds] } : {}),
    },
    eligibleUsers: {
      name: 'the users to make eligible',
      value: byId(f.eligibleUsers) ?? null,
      ...(f.eligibleUsers ? { ids: idsOf(f.eligibleUsers) } : {}),
    },
    prerequisites: {
      name: "the prerequisites' findings (app, group, permissions, consent, licence)",
      value: codes(analysePrerequisites(s.prerequisites, { ...options, mode: 'run' }).findings),
    },
    appAssignedTo: readPart("the app's role assignments", s.appAssignedTo, (v) => byId(v), idsOf),
    pimSchedules: readPart(
      "the group's PIM eligibility schedules",
      s.pim,
      (v) => ({ schedules: byId(v.schedules), onboarded: v.onboarded }),
      (v) => idsOf(v.schedules),
    ),
    pimActive: readPart(
      "the group's active PIM assignments",
      s.pim,
      (v) => byId(v.activeAssignments),
      (v) => idsOf(v.activeAssignments),
    ),
    memberPolicy: readPart("the group's PIM member policy", s.memberPolicy, (v) => v),
    members: readPart("the admin group's members", s.members, (v) => byId(v), idsOf),
    usable: readPart(
      'who can activate the group now',
      s.usable,
      (v) => ({ usable: [...v.usable].sort((a, b) => a.scheduleId.localeCompare(b.scheduleId)), accounts: v.accounts }),
      (v) => v.usable.map((u) => u.principalId),
    ),
    approvers: readPart('the approvers', s.approvers, (v) => {
      const { refs, findings } = analyseApprovers(v);
      return { refs: byId(refs), findings: codes(findings) };
    }),
  };
  return s.realm ? { ...parts, ...realmParts(s.realm) } : parts;
}

/** Pure: the parts of a Keycloak realm snapshot. */
function realmParts(realm: Read<RealmSnapshot>): Record<string, PartInput> {
  if (!realm.ok) return { realm: { name: 'the Keycloak realm', value: { $failed: realm.error }, failed: true } };
  const r = realm.value;
  const reads = r.reads;
  const parts: Record<string, PartInput> = {
    realm: { name: 'the Keycloak realm', value: { version: r.version, principal: r.principal } },
    realmInfo: realmRead('the Keycloak realm settings', r.realmInfo),
  };
  if (!reads) return parts;
  return {
    ...parts,
    realmTarget: realmRead('the Keycloak admin group or role', reads.targetState),
    realmScope: realmRead('the reach of the Keycloak admin rights', reads.reach, (v) => v.scope),
    realmIdps: realmRead('the Keycloak identity providers', reads.idps),
    realmIdpMappers: {
      name: "the Keycloak identity provider's mappers",
      value: reads.providerMappers ?? null,
      ...(reads.providerMappers ? { ids: idsOf(reads.providerMappers.mappers as { id?: unknown }[]) } : {}),
    },
    realmDefaultGroups: realmRead('the Keycloak default groups', reads.defaultGroups),
    realmLdap: realmRead('the Keycloak LDAP providers and mappers', reads.ldap),
    realmProtocolMappers: { name: "the Keycloak clients' protocol mappers", value: reads.owners },
    realmHolders: realmRead(
      'who holds the Keycloak admin rights',
      reads.holders,
      (v) => v,
      (v) => (Array.isArray(v) ? v.map((h) => String(h.user.id)) : undefined),
    ),
  };
}
