import type { Finding } from '../core/findings.js';
import type { HttpRequest } from '../core/http.js';
import type { GraphWrite } from '../graph/writes.js';
import type { KeycloakWrite } from '../keycloak/requests.js';

/** A change as data: what `apply()` hands to a gateway's write gate. */
export type WriteOp = GraphWrite | KeycloakWrite;

export type ActionKind = 'create' | 'update' | 'delete' | 'noop';

/** What happened when an action was applied. */
export interface ActionResult {
  ok: boolean;
  status?: number;
  message?: string;
  /** The request actually sent when it differs from the planned one (e.g. policy ids re-read after onboarding). */
  sent?: HttpRequest;
}

/**
 * One change a step will make. `noop` actions carry no operation: they record what was already
 * right. `request` is the operation as its gateway sends it (`graphRequest`, `keycloakRequest`),
 * kept for the report, `--json` and the confirmation; `apply()` sends `op`.
 */
export interface Action {
  kind: ActionKind;
  summary: string;
  op?: WriteOp;
  request?: HttpRequest;
  /** The system the request goes to. */
  target?: 'graph' | 'keycloak';
  /** Records to write to the journal before the request is sent (e.g. the full member being removed). */
  backup?: unknown;
  result?: ActionResult;
}

export interface StepPlan {
  findings: Finding[];
  actions: Action[];
}

export type StepId =
  'prerequisites' | 'assignment-required' | 'app-assignment' | 'pim-eligibility' | 'pim-policy' | 'admin-group' | 'keycloak' | 'restore';

export type StepStatus = 'ok' | 'changed' | 'would-change' | 'warning' | 'failed' | 'skipped';

/**
 * A step owns one part of the target state. The command's read phase reads once what every plan
 * needs into a snapshot `S`; `plan()` decides from that snapshot and the context's options alone
 * (no I/O, no prompt) what to change; `apply()` sends the plan's actions through the context's write gate. Audit and
 * run share the read phase and `plan()`.
 */
/** The options of a step's context `C`: all a plan decides with besides the snapshot. */
export type OptionsOf<C> = C extends { options: infer O } ? O : never;

export interface Step<C = unknown, S = unknown> {
  id: StepId;
  title: string;
  /**
   * Whether this step's error findings stop every write of the run (default true). A step that
   * only verifies another system (Keycloak) reports its errors without holding back the rest.
   */
  blocksWrites?: boolean;
  plan(snapshot: S, options: OptionsOf<C>): StepPlan | Promise<StepPlan>;
  apply(plan: StepPlan, ctx: C, snapshot: S): Promise<void>;
}

export interface StepReport {
  id: StepId;
  title: string;
  status: StepStatus;
  findings: Finding[];
  actions: Action[];
}

export type RunMode = 'run' | 'audit';
export type RunStatus = 'compliant' | 'changed' | 'drift' | 'failed';

/** The one JSON document printed under `--json` (schemaVersion 1). */
export interface RunReport {
  schemaVersion: 1;
  mode: RunMode;
  tenantId: string;
  status: RunStatus;
  steps: StepReport[];
  journal?: string;
  error?: string;
}
