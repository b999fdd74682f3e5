import type { GraphApi } from './graph/graph-api.js';
import type { Journal } from './journal.js';
import type { Logger } from './ui/log.js';
import type { Prompter } from './ui/prompt.js';
import type { RunMode } from './plan/types.js';
import type { KeycloakSettings } from './keycloak/settings.js';
import type { KeycloakApi } from './keycloak/keycloak-api.js';
import type { TicketInfo } from './graph/writes.js';

/** Policy settings the pim-policy step enforces; undefined means "leave as is". */
export interface PolicySettings {
  activationMax?: string;
  requireJustification?: boolean;
  requireMfa?: boolean;
  requireApproval?: boolean;
  /** Users or groups (UPN, object id or group name) who approve activations. */
  approvers: string[];
}

/** Every input of a run, resolved (flag, then environment, then prompt, then default) and validated. */
export interface RunOptions {
  mode: RunMode;
  tenantId: string;
  appId?: string;
  appName?: string;
  group: string;
  appRole?: string;
  eligible: string[];
  /** Start of the eligibility window; undefined means "now". */
  start?: Date;
  end?: Date;
  duration?: string;
  justification: string;
  /** `--ticket-number` / `--ticket-system`: sent as PIM `ticketInfo` with each eligibility request. */
  ticket?: TicketInfo;
  policy: PolicySettings;
  allowEmpty: boolean;
  /** Turn each removed standing member into a time-bound eligible assignment. */
  convertMembers?: boolean;
  /** `--expiry-warning`: warn when every usable eligibility ends within this many ms (default 30 days). */
  expiryWarningMs?: number;
  /** `--renew`: extend the usable eligibilities that end within the expiry threshold. */
  renew?: boolean;
  yes: boolean;
  interactive: boolean;
  skipKeycloak: boolean;
  keycloak?: KeycloakSettings;
  fixKeycloak: boolean;
}

/** What every step receives besides the snapshot: clients and inputs. */
export interface RunContext {
  options: RunOptions;
  graph: GraphApi;
  keycloak?: KeycloakApi;
  journal: Journal;
  log: Logger;
  prompt: Prompter;
  /** The clock: read once by the read phase into the snapshot (and again by apply's live checks). */
  now(): Date;
  /** Waits (tests inject a fake clock's sleep); default: a real timer. */
  sleep?: (ms: number) => Promise<void>;
  /** A saved plan is applied: exactly its requests are sent, never a fallback the review did not see. */
  exactWrites?: boolean;
}

/**
 * What the restore step receives: restore's own inputs (no run options: it takes its tenant from
 * the journal and changes nothing but that group's members).
 */
export interface RestoreContext {
  options: { mode: RunMode; tenantId: string; yes: boolean };
  graph: GraphApi;
  journal: Journal;
  log: Logger;
  prompt: Prompter;
}
