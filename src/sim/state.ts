import { SimClock } from './clock.js';
import { guidFromName, newGuid } from './ids.js';
import { defaultGroupPolicyRules } from './policy.js';
import type {
  SeedAppRoleAssignment,
  SeedApplication,
  SeedBehaviour,
  SeedClient,
  SeedDirectoryRole,
  SeedGroup,
  SeedOAuth2PermissionGrant,
  SeedPolicy,
  SeedSchedule,
  SeedServicePrincipal,
  SeedSubscribedSku,
  SeedUser,
  TenantSeed,
} from './seed.js';

export type DirectoryObjectKind = 'user' | 'group' | 'servicePrincipal';

export interface DirectoryObjectRef {
  kind: DirectoryObjectKind;
  id: string;
  displayName: string;
}

export interface DeletedObject {
  id: string;
  kind: DirectoryObjectKind;
  displayName: string;
  deletedDateTime: string;
}

export type AccessId = 'member' | 'owner';

/** Live, mutable tenant state. Tests may read it directly; routes mutate it. */
export class TenantState {
  readonly tenantId: string;
  readonly displayName: string;
  readonly defaultDomain: string;
  /** Verified domains besides the default one. */
  readonly verifiedDomains: string[];
  readonly clock: SimClock;

  readonly users = new Map<string, SeedUser>();
  readonly groups = new Map<string, SeedGroup>();
  readonly applications = new Map<string, SeedApplication>();
  readonly servicePrincipals = new Map<string, SeedServicePrincipal>();
  readonly oauth2PermissionGrants: SeedOAuth2PermissionGrant[];
  readonly appRoleAssignments = new Map<string, SeedAppRoleAssignment>();
  readonly directoryRoles: SeedDirectoryRole[];
  readonly subscribedSkus: SeedSubscribedSku[];
  readonly clients = new Map<string, SeedClient>();

  readonly onboarded = new Set<string>();
  readonly eligibilitySchedules = new Map<string, SeedSchedule>();
  readonly assignmentSchedules = new Map<string, SeedSchedule>();
  readonly eligibilityScheduleRequests: Record<string, unknown>[];
  readonly assignmentScheduleRequests: Record<string, unknown>[];
  /** Keyed by policy id. */
  readonly policies = new Map<string, SeedPolicy>();

  behaviour: SeedBehaviour;
  /** Objects removed through `DELETE /groups/{id}/members/{memberId}` (no `/$ref`) and similar. */
  readonly deletedObjects: DeletedObject[] = [];
  /** Eligibility schedule id → direct GETs still answering 404. */
  readonly pendingNotFound = new Map<string, number>();
  /** Eligibility schedule id → simulated time (ms) from which its direct GET answers 200. */
  readonly scheduleReadyAt = new Map<string, number>();
  /** App role assignment id → list reads that still omit it. */
  readonly pendingListMisses = new Map<string, number>();

  constructor(seed: TenantSeed, clock = new SimClock()) {
    const s = structuredClone(seed);
    this.tenantId = s.tenantId;
    this.displayName = s.displayName;
    this.defaultDomain = s.defaultDomain;
    this.verifiedDomains = s.verifiedDomains ?? [];
    this.clock = clock;
    for (const u of s.users) this.users.set(u.id, u);
    for (const g of s.groups) this.groups.set(g.id, g);
    for (const a of s.applications) this.applications.set(a.id, a);
    for (const sp of s.servicePrincipals) this.servicePrincipals.set(sp.id, sp);
    this.oauth2PermissionGrants = s.oauth2PermissionGrants;
    for (const a of s.appRoleAssignments) this.appRoleAssignments.set(a.id, a);
    this.directoryRoles = s.directoryRoles;
    this.subscribedSkus = s.subscribedSkus;
    for (const c of s.clients) this.clients.set(c.clientId, c);
    for (const g of s.pim?.onboardedGroups ?? []) this.onboarded.add(g);
    for (const e of s.pim?.eligibilitySchedules ?? []) this.eligibilitySchedules.set(e.id, e);
    for (const a of s.pim?.assignmentSchedules ?? []) this.assignmentSchedules.set(a.id, a);
    this.eligibilityScheduleRequests = s.pim?.eligibilityScheduleRequests ?? [];
    this.assignmentScheduleRequests = s.pim?.assignmentScheduleRequests ?? [];
    for (const p of s.policies ?? []) this.policies.set(p.policyId, p);
    this.behaviour = s.behaviour ?? {};
    for (const g of this.groups.keys()) {
      this.policyFor(g, 'member');
      this.policyFor(g, 'owner');
    }
  }

  /**
   * Whether a sign-in URL's `{tenant}` segment names this tenant: its id or one of its verified
   * domains (Learn "OpenID Connect on the Microsoft identity platform": the segment takes a
   * tenant id or a domain name), compared without regard to case.
   */
  isTenantName(name: string): boolean {
    const n = name.toLowerCase();
    return (
      n === this.tenantId.toLowerCase() || n === this.defaultDomain.toLowerCase() || this.verifiedDomains.some((d) => d.toLowerCase() === n)
    );
  }

  /** Current state in seed form (deep copy). */
  snapshot(): TenantSeed {
    return structuredClone({
      tenantId: this.tenantId,
      displayName: this.displayName,
      defaultDomain: this.defaultDomain,
      verifiedDomains: this.verifiedDomains,
      users: [...this.users.values()],
      groups: [...this.groups.values()],
      applications: [...this.applications.values()],
      servicePrincipals: [...this.servicePrincipals.values()],
      oauth2PermissionGrants: this.oauth2PermissionGrants,
      appRoleAssignments: [...this.appRoleAssignments.values()],
      directoryRoles: this.directoryRoles,
      subscribedSkus: this.subscribedSkus,
      clients: [...this.clients.values()],
      pim: {
        onboardedGroups: [...this.onboarded],
        eligibilitySchedules: [...this.eligibilitySchedules.values()],
        assignmentSchedules: [...this.assignmentSchedules.values()],
        eligibilityScheduleRequests: this.eligibilityScheduleRequests,
        assignmentScheduleRequests: this.assignmentScheduleRequests,
      },
      policies: [...this.policies.values()],
      behaviour: this.behaviour,
    });
  }

  // -------------------------------------------------------------------------
  // Lookups
  // -------------------------------------------------------------------------

  /** Any directory object by id. */
  findObject(id: string): DirectoryObjectRef | undefined {
    const key = id.toLowerCase();
    const u = this.users.get(key) ?? this.findCaseInsensitive(this.users, key);
    if (u) return { kind: 'user', id: u.id, displayName: u.displayName };
    const g = this.groups.get(key) ?? this.findCaseInsensitive(this.groups, key);
    if (g) return { kind: 'group', id: g.id, displayName: g.displayName };
    const sp = this.servicePrincipals.get(key) ?? this.findCaseInsensitive(this.servicePrincipals, key);
    if (sp) return { kind: 'servicePrincipal', id: sp.id, displayName: sp.displayName };
    return undefined;
  }

  private findCaseInsensitive<V extends { id: string }>(map: Map<string, V>, key: string): V | undefined {
    for (const v of map.values()) if (v.id.toLowerCase() === key) return v;
    return undefined;
  }

  /** A user by object id or userPrincipalName (case-insensitive). */
  findUser(idOrUpn: string): SeedUser | undefined {
    const key = idOrUpn.toLowerCase();
    for (const u of this.users.values()) {
      if (u.id.toLowerCase() === key || u.userPrincipalName.toLowerCase() === key) return u;
    }
    return undefined;
  }

  findGroup(id: string): SeedGroup | undefined {
    return this.groups.get(id) ?? this.findCaseInsensitive(this.groups, id.toLowerCase());
  }

  findServicePrincipal(id: string): SeedServicePrincipal | undefined {
    return this.servicePrincipals.get(id) ?? this.findCaseInsensitive(this.servicePrincipals, id.toLowerCase());
  }

  servicePrincipalByAppId(appId: string): SeedServicePrincipal | undefined {
    const key = appId.toLowerCase();
    for (const sp of this.servicePrincipals.values()) if (sp.appId.toLowerCase() === key) return sp;
    return undefined;
  }

  applicationByAppId(appId: string): SeedApplication | undefined {
    const key = appId.toLowerCase();
    for (const a of this.applications.values()) if (a.appId.toLowerCase() === key) return a;
    return undefined;
  }

  // -------------------------------------------------------------------------
  // Membership (standing members plus PIM assignments that are active now)
  // -------------------------------------------------------------------------

  /** True when a schedule window contains the sim's current time. */
  isActiveNow(s: { startDateTime: string | null; endDateTime: string | null }): boolean {
    const now = this.clock.nowMs();
    const start = s.startDateTime ? Date.parse(s.startDateTime) : -Infinity;
    const end = s.endDateTime ? Date.parse(s.endDateTime) : Infinity;
    return start <= now && now < end;
  }

  /** PIM-created active assignments for a group that are in effect now. */
  activePimAssignments(groupId: string, accessId: AccessId): SeedSchedule[] {
    return [...this.assignmentSchedules.values()].filter((a) => a.groupId === groupId && a.accessId === accessId && this.isActiveNow(a));
  }

  /**
   * Direct members as Graph reports them: standing members plus principals whose PIM
   * assignment (admin-assigned or self-activated) is active right now — PIM for Groups
   * grants access by making the user a real direct member for the window.
   */
  effectiveMembers(groupId: string, accessId: AccessId = 'member'): string[] {
    const g = this.findGroup(groupId);
    if (!g) return [];
    const standing = accessId === 'member' ? g.members : g.owners;
    const out = [...standing];
    for (const a of this.activePimAssignments(g.id, accessId)) if (!out.includes(a.principalId)) out.push(a.principalId);
    return out;
  }

  isMember(groupId: string, principalId: string, accessId: AccessId = 'member'): boolean {
    const g = this.findGroup(groupId);
    if (!g) return false;
    if (indexOfId(accessId === 'member' ? g.members : g.owners, principalId) >= 0) return true;
    const id = principalId.toLowerCase();
    return this.activePimAssignments(g.id, accessId).some((a) => a.principalId.toLowerCase() === id);
  }

  /** Groups a principal belongs to, transitively. */
  transitiveGroupsOf(principalId: string): SeedGroup[] {
    const result = new Map<string, SeedGroup>();
    const queue = [principalId];
    while (queue.length) {
      const id = queue.shift()!;
      for (const g of this.groups.values()) {
        if (!result.has(g.id) && this.isMember(g.id, id)) {
          result.set(g.id, g);
          queue.push(g.id);
        }
      }
    }
    return [...result.values()];
  }

  /** Directory roles active for a user, directly or through role-assignable groups. */
  directoryRolesOf(userId: string): SeedDirectoryRole[] {
    const groupIds = new Set(this.transitiveGroupsOf(userId).map((g) => g.id));
    return this.directoryRoles.filter((r) => r.members.some((m) => m === userId || groupIds.has(m)));
  }

  // -------------------------------------------------------------------------
  // PIM policies and onboarding
  // -------------------------------------------------------------------------

  /**
   * The member/owner policy of a group (created with default rules on first use: ASSUMPTIONS.md,
   * Policies). Id forms `Group_{groupId}_{guid}` and `{policyId}_{member|owner}` as in Learn "List
   * roleManagementPolicyAssignments" (policyroot-list-rolemanagementpolicyassignments), example 4.
   */
  policyFor(groupId: string, accessId: AccessId): SeedPolicy {
    for (const p of this.policies.values()) if (p.groupId === groupId && p.accessId === accessId) return p;
    const policyId = `Group_${groupId}_${guidFromName(`policy:${groupId}:${accessId}`)}`;
    const policy: SeedPolicy = {
      groupId,
      accessId,
      policyId,
      assignmentId: `${policyId}_${accessId}`,
      lastModifiedDateTime: null,
      rules: defaultGroupPolicyRules(),
    };
    this.policies.set(policyId, policy);
    return policy;
  }

  /**
   * Onboards a group to PIM for Groups. Graph has no explicit call for this; the first
   * schedule request or policy write does it, and it re-issues the group's policy and
   * policy-assignment ids (the old ones stop resolving). Returns false when already onboarded.
   * ASSUMPTIONS.md (Policies: onboarding moves both policies to new ids).
   */
  onboard(groupId: string): boolean {
    if (this.onboarded.has(groupId)) return false;
    this.onboarded.add(groupId);
    for (const accessId of ['member', 'owner'] as const) {
      const old = this.policyFor(groupId, accessId);
      this.policies.delete(old.policyId);
      const policyId = `Group_${groupId}_${newGuid()}`;
      this.policies.set(policyId, { ...old, policyId, assignmentId: `${policyId}_${accessId}` });
    }
    return true;
  }

  // -------------------------------------------------------------------------
  // Deletion
  // -------------------------------------------------------------------------

  /** Deletes a directory object and every reference to it (memberships, assignments, schedules). */
  deleteObject(ref: DirectoryObjectRef): void {
    if (ref.kind === 'user') this.users.delete(ref.id);
    else if (ref.kind === 'group') this.groups.delete(ref.id);
    else this.servicePrincipals.delete(ref.id);
    for (const g of this.groups.values()) {
      g.members = g.members.filter((m) => m !== ref.id);
      g.owners = g.owners.filter((m) => m !== ref.id);
    }
    for (const [id, a] of this.appRoleAssignments) if (a.principalId === ref.id) this.appRoleAssignments.delete(id);
    for (const [id, s] of this.eligibilitySchedules) if (s.principalId === ref.id) this.eligibilitySchedules.delete(id);
    for (const [id, s] of this.assignmentSchedules) if (s.principalId === ref.id) this.assignmentSchedules.delete(id);
    for (const r of this.directoryRoles) r.members = r.members.filter((m) => m !== ref.id);
    this.deletedObjects.push({ ...ref, deletedDateTime: this.clock.now().toISOString() });
  }
}

/**
 * Where `id` is in a list of object ids, compared as Graph does (case-insensitively: ASSUMPTIONS.md,
 * Transport), or -1.
 * Without copying the list or lower-casing every entry: emptying a group of 5,000 members in
 * the benchmark runs this once per removal, in the process that measures the CLI.
 */
export function indexOfId(ids: readonly string[], id: string): number {
  const exact = ids.indexOf(id);
  if (exact >= 0) return exact;
  const lower = id.toLowerCase();
  return ids.findIndex((m) => m.length === lower.length && m.toLowerCase() === lower);
}
