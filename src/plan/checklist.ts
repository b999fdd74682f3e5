import type { RunOptions } from '../context.js';
import type { Colors } from '../ui/color.js';
import { safeLine } from '../ui/safe-text.js';

/** What the checklist is filled in with: the run's options and what the read phase found. */
export interface ChecklistInput {
  options: Pick<RunOptions, 'group'> & { keycloak?: { url?: string; realm?: string; group?: string; role?: string } };
  found: {
    servicePrincipal?: { displayName?: string | null };
    group?: { displayName: string };
    eligibleUsers?: Array<{ userPrincipalName: string }>;
  };
}

/** The runbook's "Test the PIM" checklist as data: one source for the screen and the change record. */
export interface Checklist {
  title: string;
  /** The users made eligible in this run (UPNs), in the order given. */
  eligible: string[];
  /** The app, group, Keycloak group or role, and realm the steps name. */
  app: string;
  group: string;
  keycloakTarget: string;
  realm?: string;
  sections: Array<{ title: string; steps: string[] }>;
}

/**
 * Pure: the runbook's "Test the PIM" checklist, filled in with this tenant's app, group, users
 * and realm: what an admin does after the run to see just-in-time access work end to end.
 */
export function checklistOf({ options, found }: ChecklistInput): Checklist {
  const app = found.servicePrincipal?.displayName ?? 'the Keycloak app';
  const group = found.group?.displayName ?? options.group;
  const eligible = (found.eligibleUsers ?? []).map((u) => u.userPrincipalName);
  const who = eligible[0] ?? 'an eligible user';
  const kc = options.keycloak;
  const keycloakTarget = kc?.role ? `the role ${kc.role}` : (kc?.group ?? '/tenant-admin');
  const realm = kc?.realm ? ` (realm ${kc.realm})` : '';
  return {
    title: 'Test the PIM',
    eligible,
    app,
    group,
    keycloakTarget,
    ...(kc?.realm ? { realm: kc.realm } : {}),
    sections: [
      {
        title: `Without PIM — as ${who}`,
        steps: [
          `Sign in to Keycloak${realm} through ${app}.`,
          `Check you are not in ${keycloakTarget}: your memberships are the ordinary ones only (e.g. user:pf).`,
          'Sign out.',
        ],
      },
      {
        title: `With PIM — as ${who}`,
        steps: [
          'In Privileged Identity Management, open Activate just-in-time (My roles) and select Groups.',
          `Under Eligible assignments, activate ${group} (member): choose a duration and give a reason if asked.`,
          `Sign in to Keycloak again through ${app}.`,
          `Check you are now in ${keycloakTarget} as well.`,
        ],
      },
      {
        title: 'When the activation ends',
        steps: [`Sign out of Keycloak and sign in again: ${keycloakTarget} must be gone (the mapper's sync mode FORCE removes it).`],
      },
    ],
  };
}

/** The checklist for the screen, below a run's steps. */
export function renderChecklist(options: ChecklistInput['options'], found: ChecklistInput['found'], c: Colors): string {
  const list = checklistOf({ options, found });
  const lines = ['', c.bold(list.title), `Eligible: ${list.eligible.length ? list.eligible.join(', ') : 'nobody given in this run'}`];
  for (const s of list.sections) lines.push('', `${s.title}:`, ...s.steps.map((step, i) => `  ${i + 1}. ${step}`));
  lines.push('');
  // Names come from Graph: each line stays one line whatever they hold.
  return lines.map((l) => safeLine(l, c.enabled)).join('\n');
}
