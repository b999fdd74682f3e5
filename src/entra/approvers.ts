import { GraphRequestError } from '../errors.js';
import { withQuery } from '../graph/graph-api.js';
import { userPath } from '../graph/user-path.js';
import { finding, type Finding } from '../core/findings.js';
import { isGuid } from '../core/ids.js';
import type { Prompter } from '../ui/prompt.js';
import { findGroup, LookupError, lookupFinding, type ApproverRef, type LookupGraph } from './lookup.js';

/**
 * The `--approver` lookups in two halves, as the prerequisites are: `readApprovers` reads (and
 * asks, on a terminal, which group an ambiguous name means) and records what each lookup
 * answered; `analyseApprovers` turns those answers into approvers and findings, with no I/O.
 */

/** What the lookup of one `--approver` value answered. `at` is its position among the values given. */
export type ApproverAnswer = { readonly at: number; readonly input: string } & (
  | { readonly answer: 'found'; readonly ref: ApproverRef }
  /** Nothing carries it: looked up `by` object id (user and group), UPN (user) or display name (group). */
  | { readonly answer: 'not-found'; readonly by: 'id' | 'upn' | 'name' }
  /** Graph refused the user lookup by UPN with a status other than 401 or 403. */
  | { readonly answer: 'unreadable'; readonly status?: number; readonly code?: string }
  /** The group name lookup failed otherwise (several groups carry the name, and no one could choose). */
  | { readonly answer: 'lookup-failed'; readonly error: LookupError }
);

/**
 * The read half: each `--approver` value (an object id: a user, else a group; a UPN; or a group's
 * display name, under the ambiguity rule with flag `--approver`) looked up one after the other,
 * since a lookup may ask a question. A 401 or 403, or any failure that is not Graph's, is thrown.
 */
export async function readApprovers(graph: LookupGraph, prompt: Prompter | undefined, inputs: string[]): Promise<ApproverAnswer[]> {
  const out: ApproverAnswer[] = [];
  for (const [at, input] of inputs.entries()) out.push({ at, input, ...(await readApprover(graph, prompt, input)) });
  return out;
}

type Answer<A = ApproverAnswer> = A extends unknown ? Omit<A, 'at' | 'input'> : never;

async function readApprover(graph: LookupGraph, prompt: Prompter | undefined, input: string): Promise<Answer> {
  if (isGuid(input)) {
    const [user, group] = await graph.getMany<{ id: string; displayName?: string; userPrincipalName?: string }>([
      withQuery(`/users/${input}`, { $select: 'id,displayName,userPrincipalName' }),
      withQuery(`/groups/${input}`, { $select: 'id,displayName' }),
    ]);
    if (user) return { answer: 'found', ref: { kind: 'user', id: user.id, label: user.userPrincipalName ?? input } };
    if (group) return { answer: 'found', ref: { kind: 'group', id: group.id, label: `group ${group.displayName ?? input}` } };
    return { answer: 'not-found', by: 'id' };
  }
  if (input.includes('@')) {
    let user: { id: string; userPrincipalName?: string } | null;
    try {
      user = await graph.find<{ id: string; userPrincipalName?: string }>(withQuery(userPath(input), { $select: 'id,userPrincipalName' }));
    } catch (err) {
      // Named as typed, not by the encoded lookup URL; a 403 stays a permission error.
      if (!(err instanceof GraphRequestError) || err.status === 403 || err.status === 401) throw err;
      return { answer: 'unreadable', status: err.status, code: err.code };
    }
    if (user) return { answer: 'found', ref: { kind: 'user', id: user.id, label: user.userPrincipalName ?? input } };
    return { answer: 'not-found', by: 'upn' };
  }
  try {
    const group = await findGroup(graph, prompt, input, { select: 'id,displayName', flag: '--approver', code: 'APPROVER' });
    return { answer: 'found', ref: { kind: 'group', id: group.id, label: `group ${input}` } };
  } catch (err) {
    if (!(err instanceof LookupError)) throw err;
    if (err.code === 'APPROVER_NOT_FOUND') return { answer: 'not-found', by: 'name' };
    return { answer: 'lookup-failed', error: err };
  }
}

/** The error finding of one answer that found no approver. */
function approverFinding(a: Exclude<ApproverAnswer, { answer: 'found' }>): Finding {
  const flag = `--approver ${a.input}`;
  switch (a.answer) {
    case 'not-found':
      if (a.by === 'id') return finding('error', 'APPROVER_NOT_FOUND', `${flag}: no user or group with that object id`);
      if (a.by === 'upn') return finding('error', 'APPROVER_NOT_FOUND', `${flag}: no such user`);
      return finding('error', 'APPROVER_NOT_FOUND', `${flag}: no user or group by that name`, 'give a UPN, a group name or an object id');
    case 'unreadable':
      return finding(
        'error',
        'APPROVER_UNREADABLE',
        `${flag}: Graph could not read this user (${[a.status, a.code].filter(Boolean).join(' ')})`,
      );
    case 'lookup-failed':
      return lookupFinding(a.error);
  }
}

/**
 * Pure: the approvers and the findings of the recorded answers, in the order the `--approver`
 * values were given (by `at`), whatever order the answers were recorded in.
 */
export function analyseApprovers(answers: readonly ApproverAnswer[]): { refs: ApproverRef[]; findings: Finding[] } {
  const refs: ApproverRef[] = [];
  const findings: Finding[] = [];
  for (const a of [...answers].sort((x, y) => x.at - y.at)) {
    if (a.answer === 'found') refs.push(a.ref);
    else findings.push(approverFinding(a));
  }
  return { refs, findings };
}
