import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AWS_MANAGED_POLICY_EXCERPTS } from './aws-managed-policies';
import { flowRows, parseFlowTable } from './flow-table';
import { Interaction, interactionsOf, uncovered } from './interactions';
import { globMatches, PolicyWorld, stemOf } from './policy-world';
import { clusterDeployment, synthWorlds, warmStandbyWithDns } from './worlds';

/**
 * The flow table in docs/flows.md cannot go stale: every row has a proof, every proof a row, every resource a
 * row names exists, and every interaction the synthesised templates set up falls under a row.
 */
const FLOWS_DIR = __dirname;
const proofFiles = () => readdirSync(FLOWS_DIR).filter((f) => f.endsWith('.test.ts'));
const flowIdsIn = (file: string) => [...readFileSync(path.join(FLOWS_DIR, file), 'utf8').matchAll(/\bflow\(\s*'([^']+)'/g)].map((m) => m[1]!);

describe('the flow table (docs/flows.md)', () => {
  it('has rows', () => {
    expect(flowRows().length).toBeGreaterThan(0);
  });

  it('has a proof for every row, in the file the row names', () => {
    const missing = flowRows()
      .filter((row) => !proofFiles().includes(row.proof) || !flowIdsIn(row.proof).includes(row.id))
      .map((row) => `${row.id} (${row.proof})`);
    expect(missing, 'rows with no flow() proof').toEqual([]);
  });

  it('has a row for every proof', () => {
    const ids = new Set(flowRows().map((r) => r.id));
    const orphans = proofFiles().flatMap((f) => flowIdsIn(f).filter((id) => !ids.has(id)).map((id) => `${id} (${f})`));
    expect(orphans, 'flow() proofs with no row').toEqual([]);
  });

  describe('parsing', () => {
    const table = (row: string) =>
      ['| id | who | action | on | expected | why | proof |', '|---|---|---|---|---|---|---|', row].join('\n');

    it('reads the backticked words of a row', () => {
      const [row] = parseFlowTable(table('| `a-b` | `Chaos*Role`, each role | `ecs:StopTask` | tasks of `ServiceCluster` | allowed | why | `x.test.ts` |'));
      expect(row).toMatchObject({ id: 'a-b', who: ['Chaos*Role'], actions: ['ecs:StopTask'], on: ['ServiceCluster'], expected: 'allowed', proof: 'x.test.ts' });
    });

    it.each([
      ['an unknown expectation', '| `a` | `w` | `x:Y` | `R` | maybe | why | `x.test.ts` |', /expected must be one of/],
      ['no proof file', '| `a` | `w` | `x:Y` | `R` | allowed | why | none |', /proof column must name one test file/],
      ['no principal', '| `a` | somebody | `x:Y` | `R` | allowed | why | `x.test.ts` |', /who column has no backticked/],
      ['a missing cell', '| `a` | `w` | `x:Y` | allowed | why | `x.test.ts` |', /needs 7 cells/],
    ])('rejects a row with %s', (_what, row, message) => {
      expect(() => parseFlowTable(table(row))).toThrow(message);
    });

    it('rejects two rows with one id', () => {
      const row = '| `a` | `w` | `x:Y` | `R` | allowed | why | `x.test.ts` |';
      expect(() => parseFlowTable(`${table(row)}\n${row}`)).toThrow(/two flow rows have the id a/);
    });
  });
});

describe('the synthesised templates against the flow table', () => {
  let worlds: { name: string; world: PolicyWorld }[];
  let interactions: Interaction[];

  beforeAll(() => {
    const instance = synthWorlds();
    const cluster = synthWorlds(clusterDeployment());
    // A standby site, with the most resources one can have (warm standby, DNS failover, certificates): its own
    // stack, the primary it replicates (whose master secret is then Secrets Manager's, replicated and rotated) and
    // the DR stack (whose key then lets Secrets Manager encrypt the secret's replica).
    const standby = synthWorlds(warmStandbyWithDns());
    worlds = [
      { name: instance.names.primary, world: instance.primary },
      { name: instance.names.dr, world: instance.dr },
      { name: `${cluster.names.primary} (cluster)`, world: cluster.primary },
      { name: `${standby.names.primary} (warm standby)`, world: standby.primary },
      { name: `${standby.names.dr} (warm standby)`, world: standby.dr },
      { name: `${standby.names.drSite!} (warm standby)`, world: standby.drSite! },
    ];
    interactions = worlds.flatMap(({ name, world }) => interactionsOf(world, name));
  });

  it('finds the interactions (roles, grants, resource and key policies)', () => {
    const kinds = new Set(interactions.map((i) => i.kind));
    expect([...kinds].sort()).toEqual(['identity', 'key-policy', 'managed-policy', 'resource-policy', 'trust']);
  });

  it('has a row for every interaction', () => {
    const gaps = uncovered(flowRows(), interactions).map((i) => `${i.kind}: ${i.who} ${i.what} ${i.on} (${i.effect}, ${i.source})`);
    expect([...new Set(gaps)], 'interactions with no row in docs/flows.md').toEqual([]);
  });

  it('names only resources and managed policies the templates have', () => {
    const stems = new Set(worlds.map(({ world }) => world).flatMap((world) => Object.keys(world.template.Resources).map(stemOf)));
    const managed = new Set(worlds.flatMap(({ world }) => world.idsOf('AWS::IAM::Role').flatMap((id) => world.managedPoliciesOf(id))));
    const stale = flowRows().flatMap((row) =>
      [...row.who, ...row.on]
        .filter((token) => /^[A-Z][A-Za-z0-9*]*$/.test(token))
        .filter((token) => !managed.has(token) && ![...stems].some((s) => globMatches(token, s)))
        .map((token) => `${row.id}: ${token}`),
    );
    expect(stale, 'row tokens that name nothing in the templates').toEqual([]);
  });

  it('has an excerpt for every AWS managed policy a role uses', () => {
    const managed = new Set(worlds.flatMap(({ world }) => world.idsOf('AWS::IAM::Role').flatMap((id) => world.managedPoliciesOf(id))));
    expect([...managed].filter((m) => !AWS_MANAGED_POLICY_EXCERPTS[m])).toEqual([]);
  });

  it('fails when the template gains a role, a grant or a key-policy principal with no row', () => {
    // GIVEN the primary template with a new role, trusted by EC2, that may read objects, named in a key policy
    const { world } = worlds[0]!;
    const template = structuredClone(world.template) as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
    template.Resources.ReportRole0A1B2C3D = {
      Type: 'AWS::IAM::Role',
      Properties: { AssumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] } },
    };
    template.Resources.ReportRolePolicy0A1B2C3D = {
      Type: 'AWS::IAM::Policy',
      Properties: { Roles: [{ Ref: 'ReportRole0A1B2C3D' }], PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] } },
    };
    const keyId = world.idOf('NetworkKey');
    const key = template.Resources[keyId]!.Properties.KeyPolicy as { Statement: unknown[] };
    key.Statement.push({ Effect: 'Allow', Principal: { Service: 'firehose.amazonaws.com' }, Action: 'kms:Decrypt', Resource: '*' });
    // WHEN its interactions are checked against the table
    const gaps = uncovered(flowRows(), interactionsOf(new PolicyWorld(template, world.region), 'mutated'));
    // THEN each new interaction is reported, and nothing else
    expect(gaps.map((g) => `${g.kind} ${g.who} ${g.what} ${g.on}`.trim())).toEqual([
      'trust ec2.amazonaws.com sts:AssumeRole ReportRole',
      'identity ReportRole s3:GetObject',
      'key-policy firehose.amazonaws.com kms:Decrypt NetworkKey',
    ]);
  });
});
