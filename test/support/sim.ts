import { afterEach } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CONTOSO, contosoSeed, SimulatedTenant, type FaultRule, type TenantSeed } from '../../src/sim/index.js';
import { ensureTestTls } from './tls.js';

export const G = CONTOSO.groups.tenantAdmin;
export const END = new Date(Date.now() + 100 * 86_400_000).toISOString().slice(0, 10);
export const ELIGIBLE = `${CONTOSO.upns.alice},${CONTOSO.upns.bob}`;

const started: SimulatedTenant[] = [];

/** Closes every simulated tenant a test started (register once per test file). */
export function closeSimsAfterEach(): void {
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.close()));
  });
}

/** Starts a simulated Contoso tenant (or the given seed) over HTTPS on loopback. */
export async function startSim(
  seed: TenantSeed = contosoSeed(),
  faults: FaultRule[] = [],
  extra: { latencyMs?: number } = {},
): Promise<SimulatedTenant> {
  const tls = await ensureTestTls();
  const sim = await SimulatedTenant.start({ seed, tls, faults, ...extra });
  started.push(sim);
  return sim;
}

/** A journal path in a fresh temporary folder. */
export async function journalPath(name = 'journal.jsonl'): Promise<string> {
  return path.join(await mkdtemp(path.join(os.tmpdir(), 'epim-')), name);
}

/** The issue's reference command line against the simulated tenant; `''` drops a flag. */
export function args(sim: SimulatedTenant, extra: string[] = [], over: Record<string, string> = {}): string[] {
  const flags: Record<string, string> = {
    '--tenant-id': CONTOSO.tenantId,
    '--graph-endpoint': sim.url,
    '--app-id': CONTOSO.keycloakAppId,
    '--group': 'tenant-admin',
    '--app-role': 'tenant-admin',
    '--eligible': ELIGIBLE,
    '--end': END,
    ...over,
  };
  return [...Object.entries(flags).flatMap(([k, v]) => (v === '' ? [] : [k, v])), '--skip-keycloak', ...extra];
}

/** An access token for the automation app (all permissions) or the given roles. */
export async function tokenEnv(sim: SimulatedTenant, roles: readonly string[] = CONTOSO.automation.roles): Promise<Record<string, string>> {
  return { ENTRA_PIM_ACCESS_TOKEN: await sim.issueToken({ roles: [...roles], appid: CONTOSO.automation.clientId }) };
}

export interface JsonReport {
  status: string;
  error?: string;
  journal?: string;
  steps: Array<{
    id: string;
    status: string;
    findings: Array<{ severity: string; code: string; message: string }>;
    actions: Array<{ kind: string; summary: string; request?: { method: string; url: string; body?: unknown }; result?: { ok: boolean } }>;
  }>;
}

export const json = (stdout: string) => JSON.parse(stdout) as JsonReport;

/** One raw HTTP call to a simulated tenant, as a test client would send it. */
export async function callSim(
  base: string,
  bearer: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, any> | undefined }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
}

/**
 * A simulated tenant where Alice is eligible for tenant-admin for 30 days, made eligible through
 * Graph as a run does (which also onboards the group to PIM).
 */
export async function simWithEligibleAlice(): Promise<SimulatedTenant> {
  const sim = await startSim();
  const admin = await sim.issueToken({ roles: [...CONTOSO.automation.roles], appid: CONTOSO.automation.clientId });
  const res = await callSim(sim.url, admin, 'POST', '/v1.0/identityGovernance/privilegedAccess/group/eligibilityScheduleRequests', {
    accessId: 'member',
    principalId: CONTOSO.users.alice,
    groupId: G,
    action: 'adminAssign',
    justification: 'test',
    scheduleInfo: { startDateTime: new Date(Date.now() - 60_000).toISOString(), expiration: { type: 'afterDuration', duration: 'P30D' } },
  });
  if (res.status !== 201) throw new Error(`could not make Alice eligible: ${res.status}`);
  return sim;
}

/** Alice activates her eligibility for one hour, as she would with her own delegated token; returns the 201. */
export async function selfActivateAlice(sim: SimulatedTenant): Promise<{ status: number; body: Record<string, any> | undefined }> {
  const token = await sim.issueToken({ scp: 'PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup', oid: CONTOSO.users.alice });
  return callSim(sim.url, token, 'POST', '/v1.0/identityGovernance/privilegedAccess/group/assignmentScheduleRequests', {
    accessId: 'member',
    principalId: CONTOSO.users.alice,
    groupId: G,
    action: 'selfActivate',
    justification: 'x',
    scheduleInfo: { startDateTime: new Date().toISOString(), expiration: { type: 'afterDuration', duration: 'PT1H' } },
  });
}
