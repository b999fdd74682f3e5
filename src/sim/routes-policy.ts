import { contextUrl } from './directory.js';
import { GraphError, notFound } from './errors.js';
import { conjunctiveEqualities, evalFilter, parseFilterFor } from './odata-filter.js';
import { findRule, validateRuleUpdate } from './policy.js';
import type { RouteContext, Router } from './router.js';
import type { PolicyRule, SeedPolicy } from './seed.js';
import type { TenantState } from './state.js';

type Obj = Record<string, unknown>;

/**
 * Learn "List roleManagementPolicyAssignments" (policyroot-list-rolemanagementpolicyassignments), example 4,
 * and "Update unifiedRoleManagementPolicy" (unifiedrolemanagementpolicy-update), example 2: a group
 * policy has displayName and description `Group`, `isOrganizationDefault: false`, `scopeType: Group`
 * and `lastModifiedBy` `{displayName, id}`; `rules` only when expanded.
 */
function policyEntity(p: SeedPolicy, withRules: boolean): Obj {
  return {
    id: p.policyId,
    displayName: 'Group',
    description: 'Group',
    isOrganizationDefault: false,
    scopeId: p.groupId,
    scopeType: 'Group',
    lastModifiedDateTime: p.lastModifiedDateTime,
    lastModifiedBy: { displayName: null, id: null },
    ...(withRules ? { rules: structuredClone(p.rules) } : {}),
  };
}

/** Learn "List roleManagementPolicyAssignments", example 4: `roleDefinitionId` is `member` or `owner`. */
function assignmentEntity(p: SeedPolicy): Obj {
  return { id: p.assignmentId, policyId: p.policyId, scopeId: p.groupId, scopeType: 'Group', roleDefinitionId: p.accessId };
}

/** Understands `policy`, `policy($expand=rules)` and `rules` (others: ASSUMPTIONS.md, Policies: one $expand form). */
function parseExpand(ctx: RouteContext, allowed: 'assignment' | 'policy'): { policy: boolean; rules: boolean } {
  const text = ctx.query.get('$expand')?.replace(/\s+/g, '');
  if (!text) return { policy: false, rules: false };
  if (allowed === 'assignment') {
    if (/^policy$/i.test(text)) return { policy: true, rules: false };
    if (/^policy\(\$expand=rules\)$/i.test(text)) return { policy: true, rules: true };
  } else if (/^rules$/i.test(text)) {
    return { policy: false, rules: true };
  }
  throw new GraphError(400, 'BadRequest', `The $expand option '${text}' is not supported.`);
}

/**
 * `scopeId` and `scopeType` must both be pinned (Learn "List roleManagementPolicyAssignments"
 * requires them in `$filter`); the error code: ASSUMPTIONS.md (Policies). Only group policies are
 * modelled, so other scope types list nothing.
 */
function scopedPolicies(ctx: RouteContext): SeedPolicy[] {
  const filter = parseFilterFor(
    ctx.query,
    { resource: 'UnifiedRoleManagementPolicyAssignment', properties: ['scopeId', 'scopeType', 'roleDefinitionId', 'policyId', 'id'] },
    true,
  );
  const eq = filter ? conjunctiveEqualities(filter) : new Map<string, unknown>();
  if (!filter || !eq.has('scopeid') || !eq.has('scopetype')) {
    throw new GraphError(400, 'BadRequest', "The filter must specify both 'scopeId' and 'scopeType'.");
  }
  return [...ctx.state.policies.values()].filter((p) => evalFilter(filter, assignmentEntity(p)));
}

function requirePolicy(state: TenantState, policyId: string): SeedPolicy {
  const p = state.policies.get(policyId);
  if (!p) throw notFound(policyId);
  return p;
}

/** Dynamic and synced groups are not PIM-capable; code: ASSUMPTIONS.md (PIM for Groups: InvalidGroupType). */
function assertPimCapable(state: TenantState, p: SeedPolicy): void {
  const g = state.findGroup(p.groupId);
  if (g && (g.groupTypes.includes('DynamicMembership') || g.onPremisesSyncEnabled)) {
    throw new GraphError(
      400,
      'InvalidGroupType',
      'Groups with dynamic membership or synchronized from on-premises are not supported by Privileged Identity Management.',
    );
  }
}

/** Writes rules, then onboards the group — which moves the policy to a new id (ASSUMPTIONS.md, Policies). */
function commitRules(state: TenantState, p: SeedPolicy, rules: PolicyRule[]): void {
  for (const rule of rules) {
    const idx = p.rules.findIndex((r) => r.id === rule.id);
    p.rules[idx] = rule;
  }
  p.lastModifiedDateTime = state.clock.now().toISOString();
  state.onboard(p.groupId);
}

/** Role management policies and their assignments for PIM for Groups. */
export function registerPolicyRoutes(router: Router): void {
  // Learn "List roleManagementPolicyAssignments" (policyroot-list-rolemanagementpolicyassignments): group scope.
  router.get('/policies/roleManagementPolicyAssignments', (ctx) => {
    ctx.authorize('policies.read');
    const exp = parseExpand(ctx, 'assignment');
    const value = scopedPolicies(ctx).map((p) => ({
      ...assignmentEntity(p),
      ...(exp.policy ? { policy: policyEntity(p, exp.rules) } : {}),
    }));
    // Learn "List roleManagementPolicyAssignments", examples 2 and 4: the nested expand is named in the context.
    const fragment = exp.rules ? 'policies/roleManagementPolicyAssignments(policy(rules()))' : 'policies/roleManagementPolicyAssignments';
    return { status: 200, body: { '@odata.context': contextUrl(ctx, fragment), value } };
  });
  router.get('/policies/roleManagementPolicyAssignments/{id}', (ctx) => {
    ctx.authorize('policies.read');
    const exp = parseExpand(ctx, 'assignment');
    const p = [...ctx.state.policies.values()].find((x) => x.assignmentId === ctx.params.id);
    if (!p) throw notFound(ctx.params.id);
    // Learn "Get unifiedRoleManagementPolicyAssignment" (unifiedrolemanagementpolicyassignment-get): the
    // group example answers under a `roleManagementPolicyAssignments/$entity` context.
    return {
      status: 200,
      body: {
        '@odata.context': contextUrl(ctx, 'policies/roleManagementPolicyAssignments/$entity'),
        ...assignmentEntity(p),
        ...(exp.policy ? { policy: policyEntity(p, exp.rules) } : {}),
      },
    };
  });
  // Learn "List roleManagementPolicies" (policyroot-list-rolemanagementpolicies): group scope, scopeId/scopeType filter.
  router.get('/policies/roleManagementPolicies', (ctx) => {
    ctx.authorize('policies.read');
    const exp = parseExpand(ctx, 'policy');
    const value = scopedPolicies(ctx).map((p) => policyEntity(p, exp.rules));
    return { status: 200, body: { '@odata.context': contextUrl(ctx, 'policies/roleManagementPolicies'), value } };
  });
  // Learn "Get unifiedRoleManagementPolicy" (unifiedrolemanagementpolicy-get): `$entity` context; rules with `$expand=rules`.
  router.get('/policies/roleManagementPolicies/{policyId}', (ctx) => {
    ctx.authorize('policies.read');
    const exp = parseExpand(ctx, 'policy');
    const p = requirePolicy(ctx.state, ctx.params.policyId);
    return {
      status: 200,
      body: { '@odata.context': contextUrl(ctx, 'policies/roleManagementPolicies/$entity'), ...policyEntity(p, exp.rules) },
    };
  });
  // Learn "Update unifiedRoleManagementPolicy" (unifiedrolemanagementpolicy-update): body `{rules: [...]}`.
  router.patch('/policies/roleManagementPolicies/{policyId}', (ctx) => {
    ctx.authorize('policies.write', { groupId: ctx.state.policies.get(ctx.params.policyId)?.groupId });
    const p = requirePolicy(ctx.state, ctx.params.policyId);
    assertPimCapable(ctx.state, p);
    const rules = (ctx.body as Obj | undefined)?.rules;
    if (!Array.isArray(rules)) throw new GraphError(400, 'InvalidPolicy', "The request body must contain a 'rules' array.");
    const next = rules.map((r: unknown) => {
      const id = r && typeof r === 'object' ? (r as Obj).id : undefined;
      const existing = typeof id === 'string' ? findRule(p.rules, id) : undefined;
      if (!existing) throw new GraphError(400, 'InvalidPolicyRule', `The rule '${String(id)}' is not part of the policy.`);
      return validateRuleUpdate(existing, r);
    });
    commitRules(ctx.state, p, next);
    // Learn "Update unifiedRoleManagementPolicy" (unifiedrolemanagementpolicy-update), example 2: 200 OK
    // with the policy under a `roleManagementPolicies/$entity` context and without its rules.
    return {
      status: 200,
      body: { '@odata.context': contextUrl(ctx, 'policies/roleManagementPolicies/$entity'), ...policyEntity(p, false) },
    };
  });
  // Learn "List rules (for a unifiedRoleManagementPolicy)" (unifiedrolemanagementpolicy-list-rules) and
  // "Get unifiedRoleManagementPolicyRule" (unifiedrolemanagementpolicyrule-get): the rule objects as stored.
  router.get('/policies/roleManagementPolicies/{policyId}/rules', (ctx) => {
    ctx.authorize('policies.read');
    const p = requirePolicy(ctx.state, ctx.params.policyId);
    return {
      status: 200,
      body: {
        '@odata.context': contextUrl(ctx, `policies/roleManagementPolicies('${p.policyId}')/rules`),
        value: structuredClone(p.rules),
      },
    };
  });
  // Learn "Get unifiedRoleManagementPolicyRule" (unifiedrolemanagementpolicyrule-get).
  router.get('/policies/roleManagementPolicies/{policyId}/rules/{ruleId}', (ctx) => {
    ctx.authorize('policies.read');
    const p = requirePolicy(ctx.state, ctx.params.policyId);
    const rule = findRule(p.rules, ctx.params.ruleId);
    if (!rule) throw notFound(ctx.params.ruleId);
    return { status: 200, body: structuredClone(rule) };
  });
  // Learn "Update unifiedRoleManagementPolicyRule" (unifiedrolemanagementpolicyrule-update): the whole rule, 204.
  router.patch('/policies/roleManagementPolicies/{policyId}/rules/{ruleId}', (ctx) => {
    ctx.authorize('policies.write', { groupId: ctx.state.policies.get(ctx.params.policyId)?.groupId });
    const p = requirePolicy(ctx.state, ctx.params.policyId);
    const existing = findRule(p.rules, ctx.params.ruleId);
    if (!existing) throw notFound(ctx.params.ruleId);
    assertPimCapable(ctx.state, p);
    commitRules(ctx.state, p, [validateRuleUpdate(existing, ctx.body)]);
    // Learn "Update unifiedRoleManagementPolicyRule" (unifiedrolemanagementpolicyrule-update): 204 No Content.
    return { status: 204 };
  });
}
