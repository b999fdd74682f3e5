import { describe, expect, it } from 'vitest';
import { execute, type RunnerContext } from '../../src/plan/runner.js';
import type { Step, StepId, StepPlan } from '../../src/plan/types.js';

// The runner's write rule, as the README states it: an error of a step that blocks writes (every
// Entra step) stops every write; an error of the keycloak step does not hold back the Entra
// changes, and the run then ends failed.

const ctx = (mode: 'run' | 'audit' = 'run'): RunnerContext => ({ options: { mode, tenantId: 't' }, journal: { path: undefined } });

function step(id: StepId, plan: StepPlan, applied: string[], blocksWrites?: boolean): Step<RunnerContext, undefined> {
  return {
    id,
    title: id,
    ...(blocksWrites === undefined ? {} : { blocksWrites }),
    plan: () => Promise.resolve(plan),
    apply: () => {
      applied.push(id);
      return Promise.resolve();
    },
  };
}

const change: StepPlan = { findings: [], actions: [{ kind: 'delete', summary: 'remove a standing member' }] };
const error: StepPlan = { findings: [{ severity: 'error', code: 'KC_MAPPER_MISSING', message: 'no mapper' }], actions: [] };
const hooks = { confirm: () => Promise.resolve(true) };
// The steps here plan from fixed plans: the read phase has nothing to read.
const read = () => Promise.resolve(undefined);

describe('execute: which errors hold back the writes', () => {
  it('an error of the keycloak step (blocksWrites false): the Entra change is applied, and the run ends failed', async () => {
    const applied: string[] = [];
    const report = await execute([step('admin-group', change, applied), step('keycloak', error, applied, false)], ctx(), read, hooks);
    expect(applied).toEqual(['admin-group']);
    expect(report.status).toBe('failed');
    expect(report.error).toBe('changes applied, but keycloak reported errors: the setup is not proven end to end');
  });

  it('an error of an Entra step (blocks writes by default): nothing is applied', async () => {
    const applied: string[] = [];
    const report = await execute([step('prerequisites', error, applied), step('admin-group', change, applied)], ctx(), read, hooks);
    expect(applied).toEqual([]);
    expect(report.status).toBe('failed');
    expect(report.error).toBe('nothing was changed: prerequisites reported errors to fix first');
  });

  it('audit: nothing is applied, whatever the steps found', async () => {
    const applied: string[] = [];
    const report = await execute(
      [step('admin-group', change, applied), step('keycloak', error, applied, false)],
      ctx('audit'),
      read,
      hooks,
    );
    expect(applied).toEqual([]);
    expect(report.status).toBe('drift');
  });
});
