import type { RunOptions } from '../context.js';
import { finding, type Finding } from '../core/findings.js';
import { requiresTicket } from '../entra/ticketing.js';

/**
 * Pure: the error that holds back a plan whose eligibility requests PIM would refuse for want of
 * ticket information (the member policy's `Enablement_Admin_Eligibility` holds `Ticketing`), or
 * undefined when no request is planned, the policy asks for none, or a ticket was given. In an
 * audit too, so a pipeline learns before the run that the run needs the ticket.
 */
export function ticketFinding(
  groupName: string,
  rules: ReadonlyArray<{ id: string; enabledRules?: unknown }>,
  options: Pick<RunOptions, 'ticket'>,
  requestsPlanned: boolean,
): Finding | undefined {
  if (!requestsPlanned || options.ticket || !requiresTicket(rules, 'Enablement_Admin_Eligibility')) return undefined;
  return finding(
    'error',
    'TICKET_REQUIRED',
    `the PIM policy of ${groupName} requires ticket information for eligible assignments (Enablement_Admin_Eligibility: ` +
      `Ticketing); no eligibility request is sent without it`,
    'pass --ticket-number <number> (and --ticket-system <name>), or set ENTRA_PIM_TICKET_NUMBER',
  );
}
