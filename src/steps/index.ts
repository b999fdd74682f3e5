import type { RunContext } from '../context.js';
import type { Step } from '../plan/types.js';
import { adminGroupStep } from './admin-group.js';
import { appAssignmentStep } from './app-assignment.js';
import { assignmentRequiredStep } from './assignment-required.js';
import { keycloakStep } from './keycloak.js';
import { pimEligibilityStep } from './pim-eligibility.js';
import { pimPolicyStep } from './pim-policy.js';
import { prerequisitesStep } from './prerequisites.js';
import type { TenantSnapshot } from './snapshot.js';

/**
 * The steps in the order they are applied; each plans from the read phase's snapshot
 * (readTenant), so the order of planning carries no meaning. Standing members are removed last: eligibility and
 * policy exist first, so a run cut short never leaves the group with nobody able to get in.
 */
export const STEPS: Step<RunContext, TenantSnapshot>[] = [
  prerequisitesStep,
  assignmentRequiredStep,
  appAssignmentStep,
  pimEligibilityStep,
  pimPolicyStep,
  adminGroupStep,
  // Keycloak is verified, not configured (unless --fix-keycloak): its errors fail the run but do
  // not hold back the Entra changes, which stand on their own.
  { ...keycloakStep, blocksWrites: false },
];
