import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { EvaluationResult } from '@cloud-copilot/iam-simulate';
import { expect, it } from 'vitest';
import { EXCERPT_PREFIX } from './aws-managed-policies';
import { evaluate, type PolicyWorld } from './policy-world';

/**
 * The flow table of docs/flows.md, read by the tests: every row is proven by a `flow('<id>', ...)` in the test
 * file its proof column names, and every interaction in the synthesised templates must fall under a row
 * (flow-table.test.ts). Cells hold prose; the backticked words in them are what the tests read.
 */
export const FLOWS_DOC = path.join(__dirname, '..', '..', 'docs', 'flows.md');

export type Expected = 'allowed' | 'denied' | 'denied explicitly';
const EXPECTED: readonly Expected[] = ['allowed', 'denied', 'denied explicitly'];
const HEADER = ['id', 'who', 'action', 'on', 'expected', 'why', 'proof'];

export interface FlowRow {
  readonly id: string;
  /** Principals: role ID stems (`*` allowed), service principals (`logs.<region>.amazonaws.com`), ARNs, `anyone`; and the managed policies the role relies on. */
  readonly who: string[];
  readonly actions: string[];
  /** Resources: logical-ID stems (`*` allowed) of either stack, or `*`. */
  readonly on: string[];
  readonly expected: Expected;
  /** The test file (in test/flows/) that proves the row. */
  readonly proof: string;
  /** The row as people read it. */
  readonly text: string;
}

const tokens = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

/** The rows of the flow table in a markdown document; throws on a malformed row, naming it. */
export function parseFlowTable(markdown: string): FlowRow[] {
  const lines = markdown.split('\n');
  const cellsOf = (line: string) => line.trim().replace(/^\||\|$/g, '').split('|').map((c) => c.trim());
  const start = lines.findIndex((l) => l.trim().startsWith('|') && cellsOf(l).join(',') === HEADER.join(','));
  if (start < 0) throw new Error(`no table with the columns ${HEADER.join(' | ')}`);
  const rows: FlowRow[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.trim().startsWith('|')) break;
    const cells = cellsOf(line);
    if (cells.length !== HEADER.length) throw new Error(`a flow row needs ${HEADER.length} cells, got ${cells.length}: ${line}`);
    const [idCell, who, action, on, expected, why, proof] = cells as [string, string, string, string, string, string, string];
    const [id] = tokens(idCell);
    if (!id || !/^[a-z0-9-]+$/.test(id)) throw new Error(`a flow row's id must be one backticked kebab-case word: ${line}`);
    if (!EXPECTED.includes(expected as Expected)) throw new Error(`row ${id}: expected must be one of ${EXPECTED.join(', ')}, got "${expected}"`);
    const proofs = tokens(proof);
    if (proofs.length !== 1 || !proofs[0]!.endsWith('.test.ts')) throw new Error(`row ${id}: the proof column must name one test file, got "${proof}"`);
    for (const [column, cell] of [['who', who], ['action', action], ['on', on]] as const) {
      if (tokens(cell).length === 0) throw new Error(`row ${id}: the ${column} column has no backticked principal, action or resource`);
    }
    rows.push({
      id,
      who: tokens(who),
      actions: tokens(action),
      on: tokens(on),
      expected: expected as Expected,
      proof: proofs[0]!,
      text: `${who.replace(/`/g, '')} ${action.replace(/`/g, '')} on ${on.replace(/`/g, '')}: ${expected} (${why})`,
    });
  }
  const ids = rows.map((r) => r.id);
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
  if (duplicate) throw new Error(`two flow rows have the id ${duplicate}`);
  return rows;
}

let cached: FlowRow[] | undefined;
/** The rows of docs/flows.md. */
export function flowRows(): FlowRow[] {
  cached ??= parseFlowTable(readFileSync(FLOWS_DOC, 'utf8'));
  return cached;
}

/** One evaluated request of a proof, labelled for the failure message. */
export interface Verdict {
  readonly label: string;
  readonly result: EvaluationResult;
  /** The identity policies included an excerpt of an AWS managed policy. */
  readonly excerpt: boolean;
}

/** Evaluates one request with the real evaluator and labels it. */
export async function check(label: string, request: Parameters<typeof evaluate>[0]): Promise<Verdict> {
  const excerpt = (request.identityPolicies ?? []).some((p) => p.name.startsWith(EXCERPT_PREFIX));
  return { label, result: await evaluate(request), excerpt };
}

/** One of the template's roles making a request over TLS, with the identity policies the template gives it. */
export function asRole(
  world: PolicyWorld,
  roleId: string,
  action: string,
  resource: string,
  context: Record<string, string> = {},
  resourcePolicy?: unknown,
): Promise<Verdict> {
  return check(`${roleId} ${action} ${resource}`, {
    principal: world.getAtt(roleId, 'Arn'),
    action,
    resource,
    context: { 'aws:SecureTransport': 'true', ...context },
    identityPolicies: world.identityPoliciesOf(roleId),
    resourcePolicy,
  });
}

/**
 * Registers the proof of one row of docs/flows.md as a test. The row must exist and name this file; the proof
 * returns the requests it evaluated, and each must come out as the row expects: `allowed` is Allowed, `denied`
 * anything else, `denied explicitly` ExplicitlyDenied.
 */
export function flow(id: string, prove: (row: FlowRow) => Promise<Verdict[]>): void {
  const row = flowRows().find((r) => r.id === id);
  if (!row) throw new Error(`flow ${id} has no row in docs/flows.md: add one, or remove the proof`);
  it(`[${id}] ${row.text}`, async () => {
    expect(path.basename(expect.getState().testPath ?? ''), `row ${id} names its proof file`).toBe(row.proof);
    const verdicts = await prove(row);
    expect(verdicts.length, 'a proof evaluates at least one request').toBeGreaterThan(0);
    for (const v of verdicts) {
      if (row.expected === 'allowed') {
        expect(v.result, v.label).toBe('Allowed');
        continue;
      }
      expect(v.excerpt, `${v.label}: a denial cannot rest on an excerpt of a managed policy`).toBe(false);
      if (row.expected === 'denied explicitly') expect(v.result, v.label).toBe('ExplicitlyDenied');
      else expect(v.result, v.label).not.toBe('Allowed');
    }
  });
}
