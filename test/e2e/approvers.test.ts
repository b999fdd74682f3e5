import { describe, expect, it } from 'vitest';
import { CONTOSO } from '../../src/sim/index.js';
import { runCli } from '../support/cli.js';
import { args, closeSimsAfterEach, json, startSim, tokenEnv } from '../support/sim.js';

/** `--approver` values are looked up while reading; pim-policy's plan reports what they answered. */

closeSimsAfterEach();

describe('--approver lookups', () => {
  it('reports each value nobody carries, in the order given, and changes nothing', async () => {
    const sim = await startSim();
    const approvers = ['nobody@contoso.example', 'ghosts', CONTOSO.upns.erin];
    const res = await runCli(
      args(sim, ['--yes', '--json', '--require-approval', ...approvers.flatMap((a) => ['--approver', a])]),
      await tokenEnv(sim),
    );
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^error: --approver nobody@contoso\.example: no such user \(and 1 more error\(s\): see the report\)$/m);
    const report = json(res.stdout);
    const policy = report.steps.find((s) => s.id === 'pim-policy');
    expect(policy?.findings.filter((f) => f.code.startsWith('APPROVER')).map((f) => [f.code, f.message])).toEqual([
      ['APPROVER_NOT_FOUND', '--approver nobody@contoso.example: no such user'],
      ['APPROVER_NOT_FOUND', '--approver ghosts: no user or group by that name'],
    ]);
    expect(sim.writes()).toEqual([]);
  });
});
