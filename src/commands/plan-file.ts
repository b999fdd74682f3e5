/**
 * Saved plans on disk: `audit --out FILE` (and `run --dry-run --out FILE`) writes the plan, `run
 * --plan FILE` applies exactly its actions once the tenant and the realm read the same as when it
 * was saved. The pure parts (digest, comparison, validation) are in src/plan/saved-plan.ts.
 */
import { closeSync, constants, fsyncSync, lstatSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ExitCode, StopError, UsageError } from '../errors.js';
import { redact, redactText } from '../core/redact.js';
import { journalFileProblem } from '../journal-file.js';
import type { RunOptions } from '../context.js';
import type { RawOptions } from '../options.js';
import type { Step, StepPlan, StepReport } from '../plan/types.js';
import {
  changedParts,
  DEFAULT_PLAN_MAX_AGE,
  digestParts,
  parsePlanMaxAge,
  parseSavedPlan,
  partsDigest,
  planAgeProblem,
  planDigest,
  PLAN_SCHEMA,
  PLAN_SCHEMA_VERSION,
  sameActions,
  savedAction,
  savedStep,
  writesWithoutTimes,
  type SavedPlan,
} from '../plan/saved-plan.js';
import { snapshotParts } from '../steps/snapshot-parts.js';
import { trustedGraph, trustedKeycloak } from '../graph/trusted-endpoint.js';
import type { TenantSnapshot } from '../steps/snapshot.js';

/** The options a plan is made with: saved in the plan, and taken from it when it is applied. */
export const PLAN_INPUTS = [
  'tenantId',
  'cloud',
  'graphEndpoint',
  'appId',
  'appName',
  'group',
  'appRole',
  'eligible',
  'start',
  'end',
  'duration',
  'justification',
  // The ticket travels in the eligibility requests' bodies, so it is fixed when the plan is reviewed.
  'ticketNumber',
  'ticketSystem',
  'expiryWarning',
  'renew',
  'convertMembers',
  'activationMax',
  'requireJustification',
  'requireMfa',
  'requireApproval',
  'approver',
  'allowEmpty',
  'skipKeycloak',
  'fixKeycloak',
  'keycloakUrl',
  'keycloakRealm',
  'keycloakIdpAlias',
  'keycloakGroup',
  'keycloakRole',
  'keycloakClientId',
  'keycloakUsername',
  'keycloakAuthRealm',
  'keycloakCaFile',
] as const satisfies readonly (keyof RawOptions)[];

/** The flags of saved plans, as RawOptions carries them. */
export interface PlanFlags {
  out?: string;
  plan?: string;
  planMaxAge?: string;
  planDigest?: string;
}

const flagOf = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** A list option as one list (flags may repeat or use commas), any other value trimmed. */
function normalised(v: unknown): unknown {
  if (Array.isArray(v))
    return v
      .flatMap((x) => String(x).split(','))
      .map((x) => x.trim())
      .filter(Boolean);
  return typeof v === 'string' ? v.trim() : v;
}

/**
 * The flag combinations of saved plans, checked before anything is read or sent: `--out` saves
 * (audit, or run with --dry-run), `--plan` applies (run only), `--plan-max-age` goes with --plan.
 */
export function checkPlanFlags(mode: 'run' | 'audit', raw: RawOptions & PlanFlags): void {
  const previewing = mode === 'audit' || Boolean(raw.dryRun);
  if (raw.out !== undefined && !previewing)
    throw new UsageError('--out: saves a plan from audit (or run --dry-run); to apply a saved plan use run --plan FILE');
  if (raw.out !== undefined && !raw.out.trim()) throw new UsageError('--out: empty; give the file to save the plan in');
  if (raw.plan !== undefined && previewing)
    throw new UsageError(
      `--plan: only run applies a saved plan (not ${mode === 'audit' ? 'audit' : '--dry-run'}); audit --out FILE saves one`,
    );
  if (raw.plan !== undefined && !raw.plan.trim()) throw new UsageError('--plan: empty; give the file audit --out saved');
  if (raw.planMaxAge !== undefined && raw.plan === undefined) throw new UsageError('--plan-max-age: only with --plan FILE');
  if (raw.planDigest !== undefined && raw.plan === undefined) throw new UsageError('--plan-digest: only with --plan FILE');
  if (raw.planDigest !== undefined && !/^[0-9a-f]{64}$/i.test(raw.planDigest.trim()))
    throw new UsageError('--plan-digest: not a sha256 digest (64 hexadecimal characters, as audit --out prints it)');
  if (raw.out !== undefined) checkOutFile(raw.out);
}

/** An existing file at --out must be one the plan may replace: not a link, not someone else's (as for the journal). */
function checkOutFile(file: string): void {
  let st;
  try {
    st = lstatSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw new UsageError(`--out ${file}: cannot check that file (${code ?? String(err)})`);
    const dir = path.dirname(path.resolve(file));
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      // Reported below.
    }
    if (!isDir) throw new UsageError(`--out ${file}: folder ${dir} does not exist; give a file in a folder you can write to`);
    return;
  }
  const problem = journalFileProblem(st, process.getuid?.());
  if (problem) throw new UsageError(`--out ${file}: ${problem}`);
}

/**
 * Reads and checks `--plan FILE` before anything is sent: a plan this version reads, not older
 * than --plan-max-age. Its inputs replace the flags': a flag given too (on the command line, in
 * --config or the environment) must say the same as the plan.
 */
export function loadPlan(raw: RawOptions & PlanFlags, now: Date): SavedPlan {
  const file = raw.plan!;
  const maxAgeText = raw.planMaxAge ?? DEFAULT_PLAN_MAX_AGE;
  let maxAgeMs: number;
  try {
    maxAgeMs = parsePlanMaxAge(maxAgeText);
  } catch (err) {
    throw new UsageError(`--plan-max-age ${(err as Error).message}`);
  }
  let text: string;
  try {
    const st = lstatSync(file);
    if (st.isSymbolicLink()) throw new UsageError(`--plan ${file}: is a symbolic link; give the plan file itself`);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`--plan ${file}: cannot read that file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const parsed = parseSavedPlan(text);
  if ('problem' in parsed) throw new UsageError(`--plan ${file}: ${parsed.problem}; give a file saved by audit --out`);
  const plan = parsed.plan;
  const age = planAgeProblem(plan.createdAt, now, maxAgeMs, maxAgeText);
  if (age) throw new StopError(`--plan ${file}: refused: ${age}. Nothing was changed`, ExitCode.error, 'PLAN_STALE');
  // The digest covers the whole plan, but whoever can edit the file can compute it again: the
  // digest the board approved, given here, ties the run to the plan that was reviewed.
  const approved = raw.planDigest?.trim().toLowerCase();
  if (approved !== undefined && approved !== plan.digest)
    throw new StopError(
      `--plan-digest: refused: the plan in ${file} has digest ${plan.digest}, not the approved ${approved}. Nothing was changed`,
      ExitCode.error,
      'PLAN_NOT_APPROVED',
    );
  for (const key of PLAN_INPUTS) {
    const given = raw[key];
    if (given === undefined || key === 'tenantId') continue;
    if (JSON.stringify(normalised(given)) !== JSON.stringify(normalised(plan.inputs[key]))) {
      throw new UsageError(
        `${flagOf(key)}: differs from the plan in ${file}, which was reviewed with its own inputs; leave ${flagOf(key)} out`,
      );
    }
  }
  credentialEndpointsNamed(raw, plan, file);
  for (const key of PLAN_INPUTS) {
    // A tenant given as a domain is resolved first, then checked against the plan's (checkPlanTenant).
    if (key === 'tenantId' && raw.tenantId !== undefined) continue;
    const saved = plan.inputs[key];
    (raw as Record<string, unknown>)[key] = saved === undefined ? undefined : saved;
  }
  return plan;
}

/**
 * A plan file is only a file: the endpoints it names that would receive a credential (the Graph
 * token, the Keycloak secret) must be named by whoever applies it too (flag, --config or the
 * environment), unless they are a national cloud's own Graph host or this machine. Otherwise
 * whoever can edit the plan could have the token sent to their own server before any check.
 */
function credentialEndpointsNamed(raw: RawOptions, plan: SavedPlan, file: string): void {
  const graph = plan.inputs.graphEndpoint;
  if (typeof graph === 'string' && raw.graphEndpoint === undefined && !trustedGraph(graph))
    throw new UsageError(
      `--graph-endpoint: the plan in ${file} names the Graph endpoint ${graph}; run --plan sends your token there only when ` +
        `--graph-endpoint names it too (pass --graph-endpoint ${graph} if you trust it)`,
    );
  const keycloak = plan.inputs.keycloakUrl;
  if (typeof keycloak === 'string' && raw.keycloakUrl === undefined && plan.inputs.skipKeycloak !== true && !trustedKeycloak(keycloak))
    throw new UsageError(
      `--keycloak-url: the plan in ${file} names the Keycloak ${keycloak}; run --plan sends the Keycloak secret there only when ` +
        `--keycloak-url names it too (pass --keycloak-url ${keycloak} if you trust it)`,
    );
}

/** The tenant a --tenant-id (or AZURE_TENANT_ID) names must be the plan's. */
export function checkPlanTenant(plan: SavedPlan, file: string, tenantId: string): void {
  if (tenantId.toLowerCase() !== plan.tenantId.toLowerCase())
    throw new UsageError(`--tenant-id ${tenantId}: the plan in ${file} is for tenant ${plan.tenantId}; leave --tenant-id out`);
}

/** The inputs to save: the plan options as resolved (the tenant as its GUID). */
export function planInputs(raw: RawOptions, tenantId: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of PLAN_INPUTS) if (raw[key] !== undefined) out[key] = raw[key];
  out.tenantId = tenantId;
  return out;
}

/**
 * Why this audit's plan is not saved, or undefined: a step that holds back writes reported an
 * error (a run would change nothing, so there is nothing to approve). Keycloak's errors do not
 * hold back the Entra changes in a run, so they do not stop the plan being saved either.
 */
export function unsavable<C, S>(reports: readonly StepReport[], steps: readonly Step<C, S>[]): string | undefined {
  const blocking = new Set(steps.filter((s) => s.blocksWrites !== false).map((s) => s.id));
  const failed = reports.filter((r) => r.status === 'failed' && blocking.has(r.id)).map((r) => r.id);
  return failed.length ? `${failed.join(', ')} reported errors to fix first, so a run would change nothing` : undefined;
}

/** The plan file's content. */
export function buildPlan(args: {
  version: string;
  snapshot: TenantSnapshot;
  inputs: Record<string, unknown>;
  reports: readonly StepReport[];
  options: RunOptions;
}): SavedPlan {
  const { parts } = digestParts(snapshotParts(args.snapshot, args.options));
  const plan: Omit<SavedPlan, 'digest'> = {
    schema: PLAN_SCHEMA,
    schemaVersion: PLAN_SCHEMA_VERSION,
    tool: 'entra-pim-setup',
    version: args.version,
    createdAt: args.snapshot.now.toISOString(),
    tenantId: args.snapshot.tenantId,
    inputs: args.inputs,
    parts,
    // The journal's rule: request bodies and backups go through redact, so no secret is saved.
    steps: args.reports.map((r) => {
      const s = savedStep(r);
      return { ...s, actions: s.actions.map((a) => redact(a)) };
    }),
  };
  // As the file holds it (JSON leaves out what is undefined), so the digest reads back the same.
  const content = JSON.parse(JSON.stringify(plan)) as Omit<SavedPlan, 'digest'>;
  return { ...content, digest: planDigest(content) };
}

/**
 * Writes the plan: mode 0600, to a new file beside the target renamed over it, so a reader
 * never sees half a plan and a link planted at the path is replaced, not followed.
 */
export function writePlanFile(file: string, plan: SavedPlan): void {
  checkOutFile(file);
  const clear = `${JSON.stringify(plan, null, 2)}\n`;
  const text = redactText(clear);
  // A plan must be applied as reviewed: one whose requests or inputs hold text masked as a secret
  // (a Keycloak password that is also a word in a name) would send the mask. Nothing is saved.
  if (text !== clear)
    throw new UsageError(
      `--out ${file}: no plan saved: it holds text equal to a secret in the environment (masked as ***), so it could not be ` +
        `applied as reviewed; use a Keycloak secret that appears in no name`,
    );
  const tmp = path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    const buf = Buffer.from(text);
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, file);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // Not created, or already renamed.
    }
    throw new UsageError(`--out ${file}: cannot write the plan (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

/**
 * The read of `run --plan`: the tenant and the realm read again must digest as the plan's did;
 * otherwise the run stops before any write, naming what changed.
 */
export function checkUnchanged(plan: SavedPlan, file: string, snapshot: TenantSnapshot, options: RunOptions): void {
  const now = digestParts(snapshotParts(snapshot, options));
  if (now.digest === partsDigest(plan.parts)) return;
  const changes = changedParts(plan.parts, now.parts);
  throw new StopError(
    `--plan ${file}: refused: the tenant changed since the plan was saved: ${changes.join('; ') || 'the digest differs'}. ` +
      `Nothing was changed; run audit --out again and review the new plan`,
    ExitCode.error,
    'PLAN_CHANGED',
  );
}

/**
 * The steps of `run --plan`: each plans again from the snapshot read now, twice. Planned at the
 * plan's own time, the actions must equal the saved ones exactly (an eligibility window that
 * starts "now" starts when the plan was made, as reviewed); planned at this moment, the writes
 * must be the same but for their times (time alone can change a plan: an eligibility that ended
 * no longer counts for the lockout guard). The step then applies the saved actions, with the
 * findings of the plan made now.
 */
export function planSteps<C>(steps: readonly Step<C, TenantSnapshot>[], plan: SavedPlan, file: string): Step<C, TenantSnapshot>[] {
  const planTime = new Date(plan.createdAt);
  const mismatch = (id: string, why: string) =>
    new StopError(
      `--plan ${file}: refused: ${id} would now ${why}. Nothing was changed; run audit --out again and review the new plan`,
      ExitCode.error,
      'PLAN_CHANGED',
    );
  const savedIds = new Set(plan.steps.map((s) => s.id));
  for (const s of steps) {
    if (!savedIds.has(s.id) && s.id !== 'keycloak') throw mismatch(s.id, 'be planned, but the plan has no such step');
  }
  return steps.map((step) => ({
    ...step,
    async plan(snapshot, options): Promise<StepPlan> {
      const saved = plan.steps.find((s) => s.id === step.id);
      if (!saved) {
        // A plan saved with --skip-keycloak has no keycloak step; its inputs skip it again.
        const fresh = await step.plan(snapshot, options);
        if (fresh.actions.some((a) => a.kind !== 'noop')) throw mismatch(step.id, 'change something the plan does not');
        return fresh;
      }
      const then = await step.plan({ ...snapshot, now: planTime }, options);
      const fresh = await step.plan(snapshot, options);
      const savedActions = saved.actions.map(savedAction);
      if (
        !sameActions(
          then.actions.map((a) => redact(savedAction(a))),
          savedActions,
        )
      )
        throw mismatch(step.id, 'send other requests than the plan says');
      if (writesWithoutTimes(fresh.actions) !== writesWithoutTimes(savedActions))
        throw mismatch(step.id, `make other changes than the plan says (planned at ${snapshot.now.toISOString()})`);
      return { findings: fresh.findings, actions: savedActions.map((a) => ({ ...a })) };
    },
  }));
}
