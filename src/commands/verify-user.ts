import { ExitCode, GraphRequestError, UsageError } from '../errors.js';
import { withQuery, type GraphApi } from '../graph/graph-api.js';
import { isActivated } from '../graph/enums.js';
import { pimInstances, type PimInstance } from '../entra/pim.js';
import { MemoryJournal } from '../journal.js';
import { readKeycloak, type KeycloakFacts } from '../keycloak/user-facts.js';
import type { GrantingMapper, UserGrant } from '../keycloak/user-grants.js';
import { resolveRunOptions, type RawOptions } from '../options.js';
import type { Colors } from '../ui/color.js';
import { jsonSafe, safeLine } from '../ui/safe-text.js';
import { connectGraph, openSession, prompterFor, resolveTenant, type CommandIo } from './session.js';
import { findApp, findGroup, findUser } from '../entra/lookup.js';
import type { Prompter } from '../ui/prompt.js';

/**
 * `verify-user USER`: the runbook's manual test as a command. It reads (never writes) the
 * user's PIM eligibility and activation for the admin group in Entra, and the Keycloak user's
 * groups and identity-provider link, and gives one verdict. With `--expect admin|user` it exits
 * 0 when the verdict matches and 2 when it does not, so a pipeline can assert it.
 */

export interface VerifyUserOptions extends RawOptions {
  /** `admin` (active and mapped) or `user` (no admin rights, in Entra or Keycloak). */
  expect?: string;
}

/** The verdicts, from "no way in" to "admin now". */
export type VerdictKind =
  | 'not-eligible'
  | 'eligible-not-active'
  /** Active in Entra; Keycloak was not checked. */
  | 'active'
  | 'active-mapped'
  | 'active-not-mapped'
  /** Holds the Keycloak admin group without an active assignment in Entra: PIM does not govern it. */
  | 'not-active-but-mapped'
  /** Not active in Entra, and Keycloak could not be read far enough to show that the user holds no admin rights. */
  | 'unverified';

export interface Verdict {
  kind: VerdictKind;
  summary: string;
  /** Why, and what to do, for the verdicts that need it. */
  reasons: string[];
}

export interface EntraFacts {
  user: { id: string; userPrincipalName: string; displayName?: string; mail?: string | null; accountEnabled?: boolean };
  group: { id: string; displayName: string };
  eligible: PimInstance[];
  active: PimInstance[];
  /** A direct member of the group now (a standing member, or through an active PIM assignment). */
  member: boolean;
  lastSignIn: { at?: string; unavailable?: string };
}

/** Last sign-in needs AuditLog.Read.All (and Entra ID P1); without it the verdict does not suffer. */
async function lastSignIn(graph: GraphApi, userId: string): Promise<EntraFacts['lastSignIn']> {
  try {
    const u = await graph.get<{ signInActivity?: { lastSignInDateTime?: string | null } }>(
      withQuery(`/users/${userId}`, { $select: 'id,signInActivity' }),
    );
    const at = u.signInActivity?.lastSignInDateTime;
    return at ? { at } : { unavailable: 'no sign-in recorded' };
  } catch (err) {
    if (err instanceof GraphRequestError)
      return { unavailable: `Graph answered ${[err.status, err.code].filter(Boolean).join(' ')}; it needs AuditLog.Read.All` };
    throw err;
  }
}

async function readEntra(graph: GraphApi, prompt: Prompter, who: string, group: string): Promise<EntraFacts> {
  const user = await findUser(graph, who);
  const found = await findGroup(graph, prompt, group, { select: 'id,displayName' });
  const g = { id: found.id, displayName: found.displayName };
  const [eligible, active, members, signIn] = await Promise.all([
    pimInstances(graph, 'eligibility', g.id, user.id),
    pimInstances(graph, 'assignment', g.id, user.id),
    // The admin group is small by design (no standing members), so listing it is cheap.
    graph.list<{ id: string }>(withQuery(`/groups/${g.id}/members`, { $select: 'id', $top: 999 })),
    lastSignIn(graph, user.id),
  ]);
  return {
    user,
    group: g,
    eligible,
    active,
    member: members.some((m) => m.id.toLowerCase() === user.id.toLowerCase()),
    lastSignIn: signIn,
  };
}

const until = (i: PimInstance | undefined) => (i?.endDateTime ? `until ${i.endDateTime}` : 'with no end');

/** One active assignment in words: a PIM activation, an admin's time-bound assignment, or a standing member. */
function activeText1(a: PimInstance): string {
  if (isActivated(a)) return `activated ${until(a)}`;
  if (!a.endDateTime) return 'standing member (permanent, not through PIM)';
  return `assigned by an admin ${until(a)}`;
}

const SYNC_NOTE: Record<string, string> = {
  FORCE: 'sync mode FORCE',
  LEGACY: 'sync mode LEGACY, which Keycloak 26 applies like FORCE to this mapper; set FORCE explicitly',
};

/**
 * Why one grant of the admin rights outlives the activation, or undefined when Keycloak takes it
 * away at the user's next sign-in through Entra. `ms` are the mappers of the providers the user
 * is linked to that assign exactly what carries the grant.
 */
function lingering(g: UserGrant, ms: GrantingMapper[], t: string, aliases: string): string | undefined {
  const thing = g.kind === 'group' ? g.value : `role ${g.value}`;
  const remove = g.kind === 'group' ? `remove the user from ${g.value}` : `take role ${g.value} away from the user`;
  if (g.kind === 'default-role')
    return `${g.why}: PIM never governs it and no sign-in takes it away; remove ${t} (or the composite containing it) from the realm's default roles`;
  const hardcoded = ms.filter((m) => m.hardcoded);
  if (hardcoded.length)
    return (
      `${g.why}: hardcoded mapper ${hardcoded.map((m) => `${m.name} on ${m.alias}`).join(', ')} gives ${thing} to everyone who ` +
      `signs in, PIM or not; delete it`
    );
  // A mapper without the PIM group's condition grants at every sign-in, PIM or not, FORCE or not:
  // the audit's KC_MAPPER_CLAIM_MISMATCH / KC_MAPPER_CLAIMS_EMPTY / KC_MAPPER_INDIRECT.
  const noPim = ms.filter((m) => m.withoutPim && m.mode !== 'IMPORT');
  if (noPim.length)
    return (
      `${g.why}: ${noPim.map((m) => m.withoutPim).join('; ')}; so it gives ${thing} at every sign-in through Entra whether or not ` +
      `PIM is active: make it require the PIM group (entra-pim-setup --fix-keycloak)`
    );
  // A mapper removes what it assigns when the claim is missing under FORCE, and under LEGACY too
  // (group and SAML mappers apply LEGACY like FORCE; an OIDC Claim-to-Role mapper's LEGACY only
  // removes: AbstractClaimToRoleMapper.updateBrokeredUserLegacy); IMPORT never runs again.
  if (ms.some((m) => m.mode === 'FORCE' || m.mode === 'LEGACY')) return undefined;
  const imports = ms.filter((m) => m.mode === 'IMPORT');
  if (imports.length)
    return (
      `mapper ${imports.map((m) => m.name).join(', ')} has sync mode IMPORT: Keycloak never takes ${g.value} away (${g.why}); set ` +
      `FORCE (entra-pim-setup --fix-keycloak), then sign the user out`
    );
  if (ms.length)
    return `${g.why}: mapper ${ms.map((m) => m.name).join(', ')} has a sync mode Keycloak does not know, so nothing takes ${thing} away; set FORCE`;
  return `${g.why}: no mapper of ${aliases} assigns ${thing}, so it was given in Keycloak and PIM never takes it away; ${remove}`;
}

/** The verdict from what Entra and Keycloak say (pure, for unit tests). */
export function verdictOf(entra: EntraFacts, kc: KeycloakFacts | undefined): Verdict {
  const activation = entra.active.find(isActivated) ?? entra.active[0];
  const active = entra.active.length > 0 || entra.member;
  const standing = entra.member && !entra.active.some((a) => isActivated(a) || a.endDateTime);
  const who = entra.user.userPrincipalName;
  const group = entra.group.displayName;
  const entraLine = active
    ? standing
      ? `${who} is a standing member of ${group} (not through a PIM activation)`
      : `${who} has an active PIM assignment to ${group} ${until(activation)}`
    : entra.eligible.length
      ? `${who} is eligible for ${group} but has not activated it`
      : `${who} is not eligible for ${group}`;

  if (!kc) {
    return {
      kind: active ? 'active' : entra.eligible.length ? 'eligible-not-active' : 'not-eligible',
      summary: `${entraLine}; Keycloak was not checked`,
      reasons: [],
    };
  }
  const t = kc.target.value;
  const alias = kc.alias ?? '(the Entra provider)';
  const providers = kc.alias ? [kc.alias, ...(kc.trustedAliases ?? [])] : [];
  const linkedTo = providers.filter((a) => kc.links.some((l) => l.identityProvider === a));
  const link = linkedTo.length > 0;
  const aliases = linkedTo.length ? linkedTo.join(', ') : alias;
  const grants = kc.grants ?? (kc.holdsTarget ? [{ kind: 'group' as const, value: t, why: `member of ${t}` }] : []);
  const mappers = kc.mappers.map((m) => ({
    alias: kc.alias ?? '',
    kind: kc.target.kind,
    value: t,
    hardcoded: false,
    legacyRemoveOnly: false,
    ...m,
  }));
  const assigning = (g: UserGrant) => mappers.filter((m) => linkedTo.includes(m.alias) && m.kind === g.kind && m.value === g.value);
  // Mappers that grant on a sign-in with the PIM claim; under LEGACY an OIDC Claim-to-Role mapper grants only at a user's first login.
  const claimMappers = mappers.filter((m) => !m.hardcoded);
  const removeOnly = claimMappers.filter((m) => m.legacyRemoveOnly);
  const legacyNote = removeOnly.length
    ? `mapper ${removeOnly.map((m) => m.name).join(', ')} is a Claim to Role mapper with sync mode LEGACY: Keycloak grants its ` +
      `role at a user's first login only, and at later logins only takes it away, so a later activation brings no admin rights; ` +
      `set FORCE (entra-pim-setup --fix-keycloak)`
    : undefined;
  const reasons: string[] = [];
  const add = (r: string | undefined) => {
    if (r && !reasons.includes(r)) reasons.push(r);
  };
  const credentialReasons = () => {
    for (const f of kc.credentials ?? []) add(`${f.message}${f.fix ? `; ${f.fix}` : ''}`);
  };

  if (active) {
    if (kc.holdsTarget) {
      if (standing) add('a standing member bypasses PIM: make them eligible and remove them (entra-pim-setup run)');
      if (kc.user && !link)
        add(
          `Keycloak user ${kc.user.username} is not linked to ${alias}: ${t} was given in Keycloak directly, and PIM never takes it away`,
        );
      else for (const g of grants) add(lingering(g, assigning(g), t, aliases));
      if (link) credentialReasons();
      return { kind: 'active-mapped', summary: `${entraLine}, and holds ${t} in Keycloak`, reasons };
    }
    if (kc.idpProblem) add(kc.idpProblem);
    for (const i of kc.incomplete ?? []) add(`${i}; a way the user holds ${t} may not have been seen`);
    if (!kc.user) add(`Keycloak has no user ${who.toLowerCase()}: ${who} has not signed in to Keycloak through Entra yet`);
    else if (!link && kc.alias)
      add(
        `Keycloak user ${kc.user.username} is not linked to identity provider ${alias} (a local account, or one from another ` +
          `provider), so Entra's claims never reach it`,
      );
    else if (kc.alias && claimMappers.length === 0)
      add(`no mapper of ${alias} puts users into ${t}: run entra-pim-setup with --fix-keycloak`);
    else {
      const imports = claimMappers.filter((m) => m.mode === 'IMPORT');
      if (imports.length)
        add(
          `mapper ${imports.map((m) => m.name).join(', ')} has sync mode IMPORT: Keycloak applies it only when it creates the ` +
            `user, never again; set FORCE (entra-pim-setup --fix-keycloak)`,
        );
      add(legacyNote);
      add(
        `Keycloak applies ${alias}'s mappers only when the user signs in through it: sign out of Keycloak and sign in again ` +
          `through Entra (the activation started ${activation?.startDateTime ?? 'earlier'})`,
      );
    }
    return { kind: 'active-not-mapped', summary: `${entraLine}, but does not hold ${t} in Keycloak`, reasons };
  }
  if (kc.holdsTarget) {
    if (kc.user && !link) {
      const others = kc.links.map((l) => l.identityProvider);
      add(
        others.length
          ? `Keycloak user ${kc.user.username} signs in through ${others.join(', ')}, not ${alias}: ${t} reaches it without PIM, ` +
              `and PIM never takes it away; remove it`
          : `Keycloak user ${kc.user.username} is not linked to ${alias}: ${t} was given in Keycloak directly, and PIM never takes it away; remove it`,
      );
      for (const g of grants) add(`${g.why}`);
    } else {
      credentialReasons();
      const stays = grants.map((g) => lingering(g, assigning(g), t, aliases)).filter((r): r is string => r !== undefined);
      for (const r of stays) add(r);
      const removed = grants.filter((g) => lingering(g, assigning(g), t, aliases) === undefined);
      for (const g of removed) {
        const modes = [
          ...new Set(
            assigning(g)
              .filter((m) => m.mode === 'FORCE' || m.mode === 'LEGACY')
              .map((m) => (m.legacyRemoveOnly ? 'LEGACY, which for this Claim to Role mapper removes it' : SYNC_NOTE[m.mode])),
          ),
        ];
        add(
          `the user's last sign-in through ${aliases} was during an activation; Keycloak removes ${g.value} at the next sign-in ` +
            `through Entra (${modes.join('; ')}), and sessions keep it until then: sign the user out (Users → Sessions)`,
        );
      }
      if (removeOnly.some((m) => grants.some((g) => assigning(g).includes(m)))) add(legacyNote);
    }
    return { kind: 'not-active-but-mapped', summary: `${entraLine}, yet holds ${t} in Keycloak`, reasons };
  }
  if (kc.incomplete?.length) {
    return {
      kind: 'unverified',
      summary: `${entraLine}; Keycloak could not be read far enough to show that ${kc.user ? kc.user.username : 'the user'} holds no ${t}`,
      reasons: kc.incomplete.map((i) => `${i}; grant the account the roles the audit names (see the README's Keycloak section)`),
    };
  }
  return {
    kind: entra.eligible.length ? 'eligible-not-active' : 'not-eligible',
    summary: `${entraLine}; Keycloak gives ${kc.user ? kc.user.username : 'no user'} no ${t}`,
    reasons,
  };
}

/** Whether a verdict is what `--expect` asked for. */
export function matchesExpectation(kind: VerdictKind, expect: 'admin' | 'user'): boolean {
  if (expect === 'admin') return kind === 'active-mapped' || kind === 'active';
  return kind === 'not-eligible' || kind === 'eligible-not-active';
}

function render(
  c: Colors,
  entra: EntraFacts,
  kc: KeycloakFacts | undefined,
  kcSkipped: boolean,
  verdict: Verdict,
  expect?: 'admin' | 'user',
): string {
  const lines: string[] = [];
  const u = entra.user;
  lines.push(c.bold(`${u.userPrincipalName}${u.displayName ? ` (${u.displayName})` : ''}, object id ${u.id}`));
  lines.push(`Entra, group ${entra.group.displayName} (${entra.group.id}):`);
  lines.push(`  eligible:     ${entra.eligible.length ? entra.eligible.map((e) => `yes, ${until(e)}`).join('; ') : 'no'}`);
  const activeText = entra.active.length
    ? entra.active.map(activeText1).join('; ')
    : entra.member
      ? 'standing member (not through PIM)'
      : 'no';
  lines.push(`  active:       ${activeText}`);
  lines.push(`  last sign-in: ${entra.lastSignIn.at ?? `not available: ${entra.lastSignIn.unavailable}`}`);
  if (kc) {
    lines.push(`Keycloak, realm ${kc.realm} at ${kc.url}:`);
    if (kc.idpProblem) lines.push(`  provider:     ${kc.idpProblem}`);
    if (!kc.user) lines.push(`  user:         none (${u.userPrincipalName.toLowerCase()} has not signed in through Entra)`);
    else {
      lines.push(`  user:         ${kc.user.username} (${kc.user.id})`);
      const links = kc.links.map((l) => `${l.identityProvider} as ${l.userName ?? l.userId}`);
      lines.push(`  linked to:    ${links.length ? links.join(', ') : 'no identity provider (a local account)'}`);
      lines.push(`  groups:       ${kc.groups.length ? kc.groups.join(', ') : 'none'}`);
      lines.push(
        `  holds ${kc.target.value}: ${kc.grants?.length ? kc.grants.map((g) => g.why).join('; ') : kc.holdsTarget ? 'yes' : 'no'}`,
      );
    }
    for (const i of kc.incomplete ?? []) lines.push(`  not read:     ${i}`);
    const mapperText = (m: KeycloakFacts['mappers'][number]) =>
      `${m.name}${m.alias && m.alias !== kc.alias ? ` on ${m.alias}` : ''}${m.value && m.value !== kc.target.value ? ` → ${m.value}` : ''} ` +
      `(${m.hardcoded ? 'hardcoded, ' : ''}${m.mode})`;
    if (kc.alias) lines.push(`  mappers to ${kc.target.value}: ${kc.mappers.length ? kc.mappers.map(mapperText).join(', ') : 'none'}`);
  } else {
    lines.push(
      `Keycloak: not checked${kcSkipped ? ' (--skip-keycloak)' : ' (pass --keycloak-url, --keycloak-realm and credentials to check it)'}`,
    );
  }
  const paint =
    verdict.kind === 'active-mapped' || verdict.kind === 'active'
      ? c.green
      : verdict.kind === 'not-active-but-mapped' || verdict.kind === 'active-not-mapped' || verdict.kind === 'unverified'
        ? c.red
        : c.cyan;
  lines.push('');
  lines.push(`${c.bold('Verdict:')} ${paint(verdictLabel(verdict.kind))} — ${verdict.summary}`);
  for (const r of verdict.reasons) lines.push(`  - ${r}`);
  if (expect)
    lines.push(
      matchesExpectation(verdict.kind, expect)
        ? c.green(`as expected (--expect ${expect})`)
        : c.red(`not as expected (--expect ${expect})`),
    );
  // Names, usernames and mapper names come from Graph and Keycloak: each line stays one line.
  return `${lines.map((l) => safeLine(l, c.enabled)).join('\n')}\n`;
}

function verdictLabel(kind: VerdictKind): string {
  switch (kind) {
    case 'not-eligible':
      return 'not eligible';
    case 'eligible-not-active':
      return 'eligible, not active';
    case 'active':
      return 'active (Keycloak not checked)';
    case 'active-mapped':
      return 'active and mapped';
    case 'active-not-mapped':
      return 'active but not mapped';
    case 'not-active-but-mapped':
      return 'not active, but still mapped';
    case 'unverified':
      return 'cannot tell (Keycloak not fully readable)';
  }
}

/** The command: resolve inputs, read Entra (and Keycloak), print the facts and the verdict. */
export async function verifyUserCommand(who: string, raw: VerifyUserOptions, io: CommandIo): Promise<number> {
  const expect = raw.expect === undefined ? undefined : raw.expect.trim().toLowerCase();
  if (expect !== undefined && expect !== 'admin' && expect !== 'user') throw new UsageError(`--expect ${raw.expect}: give admin or user`);
  if (!who.trim()) throw new UsageError('USER is required: a user principal name or object id');
  const session = await openSession(raw, io);
  // The same inputs as audit, validated the same way before anything is sent.
  const options = resolveRunOptions(raw, { mode: 'audit', interactive: false, env: io.env, now: session.now });
  options.tenantId = await resolveTenant(session, options.tenantId, true);
  const graph = await connectGraph(session, options.tenantId, true, new MemoryJournal(), {
    command: 'verify-user',
    byAppName: Boolean(options.appName && !options.appId),
  });

  // A name that several apps or groups carry is a choice on a terminal, an error in scripts.
  const prompt = prompterFor(session, false);
  let appId = options.appId;
  if (!appId && options.appName) appId = (await findApp(graph, prompt, { appName: options.appName }, 'id,appId,displayName')).appId;
  const entra = await readEntra(graph, prompt, who.trim(), options.group);

  let kc: KeycloakFacts | undefined;
  if (options.keycloak) {
    const { KeycloakApi } = await import('../keycloak/keycloak-api.js');
    const api = new KeycloakApi({ settings: options.keycloak, readOnly: true, journal: new MemoryJournal(), log: session.log });
    try {
      await api.connect();
      kc = await readKeycloak(api, options.keycloak, entra, { tenantId: options.tenantId, appId });
    } finally {
      api.close();
    }
  }
  const verdict = verdictOf(entra, kc);
  const matches = expect ? matchesExpectation(verdict.kind, expect) : undefined;
  if (session.options.json) {
    io.stdout(
      `${jsonSafe(
        JSON.stringify(
          {
            schemaVersion: 1,
            command: 'verify-user',
            tenantId: options.tenantId,
            user: entra.user,
            group: entra.group,
            entra: { eligible: entra.eligible, active: entra.active, member: entra.member, lastSignIn: entra.lastSignIn },
            keycloak: kc ?? null,
            verdict,
            expect: expect ?? null,
            matches: matches ?? null,
          },
          null,
          2,
        ),
      )}\n`,
    );
  } else {
    io.stdout(render(session.colors, entra, kc, options.skipKeycloak, verdict, expect));
  }
  return matches === false ? ExitCode.drift : ExitCode.ok;
}
