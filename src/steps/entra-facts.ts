import type * as MG from '@microsoft/microsoft-graph-types';
import type { RunOptions } from '../context.js';
import type { EligibleUser } from '../entra/lookup.js';
import type { PimInstance } from '../entra/pim.js';
import { activeAssignmentsOf } from './admin-group.js';
import { appGroupsOf, chooseAppRole } from './app-assignment.js';
import { activationMaxOf } from './pim-policy.js';
import type { AdminGroup, PrerequisiteFacts, ServicePrincipal, TenantSnapshot } from './snapshot.js';

/** What the Entra side established that the keycloak step judges the realm with. Absent values were not established. */
export interface EntraFacts {
  tenantId?: string;
  servicePrincipal?: ServicePrincipal;
  application?: MG.Application | null;
  groupClaim?: PrerequisiteFacts['groupClaim'];
  group?: AdminGroup;
  /** The app role the group is assigned to (undefined = default access). */
  appRole?: MG.AppRole & { id: string };
  /**
   * Groups assigned to the enterprise app (appRoleAssignedTo, principalType Group), this group
   * included once assigned. Undefined when not read or not understood.
   */
  appGroups?: Array<{ id: string; displayName?: string | null }>;
  /** The activation maximum the policy will have after this run (ISO duration), for Keycloak session checks. */
  activationMax?: string;
  /** Current active assignment instances for the group (member access). */
  activeAssignments?: PimInstance[];
  eligibleUsers?: EligibleUser[];
}

/** Pure: the Entra facts of a snapshot, as the Entra steps' plans see them. */
export function entraFacts(snapshot: TenantSnapshot, options: RunOptions): EntraFacts {
  const { servicePrincipal: sp, group } = snapshot.facts;
  return {
    tenantId: snapshot.tenantId,
    servicePrincipal: sp,
    application: snapshot.facts.application,
    groupClaim: snapshot.facts.groupClaim,
    group,
    appRole: sp && group ? chooseAppRole(sp.appRoles ?? [], options.appRole).role : undefined,
    appGroups: snapshot.appAssignedTo?.ok ? appGroupsOf(snapshot.appAssignedTo.value) : undefined,
    activationMax: group && snapshot.memberPolicy?.ok ? activationMaxOf(snapshot.memberPolicy.value.rules, options.policy) : undefined,
    activeAssignments: activeAssignmentsOf(snapshot),
    eligibleUsers: snapshot.facts.eligibleUsers,
  };
}
