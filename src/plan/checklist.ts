import type { RunOptions } from '../context.js';
import type { Colors } from '../ui/color.js';
import { safeLine } from '../ui/safe-text.js';

/**
 * The runbook's "Test the PIM" checklist, filled in with this tenant's app, group and users:
 * what an admin does after the run to see just-in-time access work end to end.
 */
export function renderChecklist(
  options: Pick<RunOptions, 'group' | 'keycloak'>,
  found: {
    servicePrincipal?: { displayName?: string | null };
    group?: { displayName: string };
    eligibleUsers?: Array<{ userPrincipalName: string }>;
  },
  c: Colors,
): string {
  const app = found.servicePrincipal?.displayName ?? 'the Keycloak app';
  const group = found.group?.displayName ?? options.group;
  const users = found.eligibleUsers ?? [];
  const who = users[0]?.userPrincipalName ?? 'an eligible user';
  const kcGroup = options.keycloak?.group ?? '/tenant-admin';
  const realm = options.keycloak?.realm ? ` (realm ${options.keycloak.realm})` : '';
  const lines = [
    '',
    c.bold('Test the PIM'),
    `Eligible: ${users.length ? users.map((u) => u.userPrincipalName).join(', ') : 'nobody given in this run'}`,
    '',
    `Without PIM — as ${who}:`,
    `  1. Sign in to Keycloak${realm} through ${app}.`,
    `  2. Check you are not in ${kcGroup}: your memberships are the ordinary ones only (e.g. user:pf).`,
    '  3. Sign out.',
    '',
    `With PIM — as ${who}:`,
    '  1. In Privileged Identity Management, open Activate just-in-time (My roles) and select Groups.',
    `  2. Under Eligible assignments, activate ${group} (member): choose a duration and give a reason if asked.`,
    `  3. Sign in to Keycloak again through ${app}.`,
    `  4. Check you are now in ${kcGroup} as well.`,
    '',
    'When the activation ends:',
    `  1. Sign out of Keycloak and sign in again: ${kcGroup} must be gone (the mapper's sync mode FORCE removes it).`,
    '',
  ];
  // Names come from Graph: each line stays one line whatever they hold.
  return lines.map((l) => safeLine(l, c.enabled)).join('\n');
}
