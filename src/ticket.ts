import { UsageError } from './errors.js';
import type { TicketInfo } from './graph/writes.js';

/**
 * Longest ticket number or system accepted. No Learn page gives a limit; change tickets are short
 * identifiers (CHG0012345, JIRA-1234), so a longer value is a paste of something else.
 */
export const TICKET_MAX_CHARS = 100;

// C0 and C1 controls, line and paragraph separators, and the invisible format characters
// (bidirectional overrides and marks, zero-width spaces and joiners, the byte-order mark): a
// ticket is one visible line in the journal, the report and the PIM audit log, and a number that
// looks like CHG1234 but holds a zero-width space would match no ticket when someone searches.
const UNPRINTABLE = /[\p{Cc}\p{Cf}\u2028\u2029]/u;

/** What is wrong with a ticket value as typed (one line, not empty, not too long), if anything. */
export function ticketValueProblem(value: string): string | undefined {
  const v = value.trim();
  if (!v) return 'empty';
  if (UNPRINTABLE.test(v)) return 'contains a control character (a line break, tab or similar)';
  if (v.length > TICKET_MAX_CHARS) return `longer than ${TICKET_MAX_CHARS} characters`;
  return undefined;
}

function checked(flag: string, value: string, what: string): string {
  const problem = ticketValueProblem(value);
  if (problem) throw new UsageError(`${flag}: ${problem}; give ${what} on one line`);
  return value.trim();
}

/**
 * Validates `--ticket-number` and `--ticket-system` (flags, their environment variables or config
 * keys): each non-empty, one line, at most TICKET_MAX_CHARS; a system needs a number. Undefined
 * when no ticket was given.
 */
export function resolveTicket(raw: { ticketNumber?: string; ticketSystem?: string }): TicketInfo | undefined {
  const system =
    raw.ticketSystem === undefined
      ? undefined
      : checked('--ticket-system', raw.ticketSystem, 'the name of the ticket system, e.g. ServiceNow');
  if (raw.ticketNumber === undefined) {
    if (system) throw new UsageError('--ticket-system needs --ticket-number: PIM records the ticket by its number');
    return undefined;
  }
  const ticketNumber = checked('--ticket-number', raw.ticketNumber, "the change ticket's number, e.g. CHG0012345");
  return system ? { ticketNumber, ticketSystem: system } : { ticketNumber };
}
