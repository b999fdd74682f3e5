import type { RunContext } from '../context.js';
import type { TenantSnapshot } from './snapshot.js';
import { graphOpOf, graphRequest, graphWrite } from '../graph/writes.js';
import type { Step, StepPlan } from '../plan/types.js';
import { finding } from '../core/findings.js';
import { needFact } from '../plan/skip.js';

/**
 * "Assignment required" on the enterprise app: only principals with an app role assignment
 * (direct, or through direct group membership) can sign in; everyone else gets AADSTS50105.
 */
export const assignmentRequiredStep: Step<RunContext, TenantSnapshot> = {
  id: 'assignment-required',
  title: 'Assignment required on the enterprise app',
  plan(snapshot): StepPlan {
    const sp = needFact(snapshot.facts.servicePrincipal, 'the enterprise app');
    if (sp.appRoleAssignmentRequired) {
      return { findings: [], actions: [{ kind: 'noop', summary: `${sp.displayName}: assignment is already required` }] };
    }
    return {
      findings: [finding('info', 'ASSIGNMENT_NOT_REQUIRED', `${sp.displayName}: any user of the tenant can sign in to Keycloak today`)],
      actions: [
        {
          kind: 'update',
          target: 'graph',
          summary: `${sp.displayName}: set appRoleAssignmentRequired = true (only assigned users and groups can sign in)`,
          ...graphWrite({ op: 'servicePrincipal.requireAssignment', servicePrincipalId: sp.id }),
        },
      ],
    };
  },
  async apply(plan, ctx) {
    for (const action of plan.actions) {
      const op = graphOpOf(action);
      if (!op) continue;
      const res = await ctx.graph.write(op);
      action.result = { ok: res.status < 300, status: res.status };
      if (!action.result.ok) throw ctx.graph.error(graphRequest(op), res);
    }
  },
};
