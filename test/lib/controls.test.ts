import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CfnResource } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../lib/app';
import { newApp } from '../support/synth';

/**
 * The published controls docs/controls.md discusses, evaluated on both synthesised stacks. A resource that
 * fails one must have a row in the doc's table saying why it does not apply; a row must still match a failing
 * resource. So the table is the complete, current list of controls left failing, and a fix removes its row.
 */
type Resource = { Type: string; Properties?: Record<string, any> };

const CONTROLS: Record<string, (r: Resource) => boolean> = {
  // Control Tower: "Require an Amazon CloudWatch alarm to have an action configured for the alarm state".
  'CT.CLOUDWATCH.PR.1': (r) => r.Type === 'AWS::CloudWatch::Alarm' && !(r.Properties?.AlarmActions?.length > 0),
  // Control Tower: "Require an Amazon CloudWatch log group to be retained for at least one year" (unset = never expires).
  'CT.CLOUDWATCH.PR.2': (r) => r.Type === 'AWS::Logs::LogGroup' && r.Properties?.RetentionInDays !== undefined && r.Properties.RetentionInDays < 365,
  // Control Tower: "Require any Amazon SQS queue to have a dead-letter queue configured" (dead-letter queues declare RedriveAllowPolicy).
  'CT.SQS.PR.1': (r) => r.Type === 'AWS::SQS::Queue' && !r.Properties?.RedrivePolicy && !r.Properties?.RedriveAllowPolicy,
  // AWS Config: every container definition has a memory hard limit.
  'ecs-task-definition-memory-hard-limit': (r) =>
    r.Type === 'AWS::ECS::TaskDefinition' && (r.Properties?.ContainerDefinitions ?? []).some((c: { Memory?: number }) => c.Memory === undefined),
  // AWS Config: Lambda functions run in a VPC.
  'lambda-inside-vpc': (r) => r.Type === 'AWS::Lambda::Function' && !r.Properties?.VpcConfig,
  // AWS Config: an HTTP listener redirects to HTTPS.
  'alb-http-to-https-redirection-check': (r) =>
    r.Type === 'AWS::ElasticLoadBalancingV2::Listener' &&
    r.Properties?.Protocol === 'HTTP' &&
    !(r.Properties?.DefaultActions ?? []).some((a: any) => a.Type === 'redirect' && a.RedirectConfig?.Protocol === 'HTTPS'),
  // AWS Config: buckets encrypted with KMS by default.
  's3-default-encryption-kms': (r) =>
    r.Type === 'AWS::S3::Bucket' &&
    !(r.Properties?.BucketEncryption?.ServerSideEncryptionConfiguration ?? []).some((c: any) => String(c.ServerSideEncryptionByDefault?.SSEAlgorithm).startsWith('aws:kms')),
  // KMS: a key policy that allows kms:CreateGrant (also through kms:* or NotAction) only with kms:GrantIsForAWSResource.
  'kms-create-grant-for-aws-resources-only': (r) =>
    r.Type === 'AWS::KMS::Key' &&
    (r.Properties?.KeyPolicy?.Statement ?? []).some((s: any) => {
      if (s.Effect !== 'Allow') return false;
      const actions = [s.Action ?? []].flat();
      const notActions = [s.NotAction ?? []].flat();
      const allowsGrant = actions.includes('kms:*') || actions.includes('kms:CreateGrant') || (s.NotAction !== undefined && !notActions.includes('kms:CreateGrant'));
      return allowsGrant && s.Condition?.Bool?.['kms:GrantIsForAWSResource'] !== 'true';
    }),
};

interface Row {
  readonly control: string;
  readonly resource: string;
}

function tableRows(markdown: string): Row[] {
  return markdown
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => {
      const cells = line.split(' | ');
      return { control: /`([^`]+)`/.exec(cells[0]!)![1]!, resource: /`([^`]+)`/.exec(cells[1]!)![1]! };
    });
}

const matches = (pattern: string, resourcePath: string) =>
  new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]+')}$`).test(resourcePath);

describe('published controls left failing (docs/controls.md)', () => {
  let failing: Row[];
  let rows: Row[];

  beforeAll(() => {
    const app = newApp();
    const built = buildApp(app);
    const assembly = app.synth();
    failing = [];
    for (const stack of [built.primary, built.dr]) {
      const template = assembly.getStackArtifact(stack.artifactId).template as { Resources: Record<string, Resource> };
      // Logical ID → construct path, from the construct tree (the tests' apps leave path metadata out).
      const paths = new Map<string, string>();
      for (const c of stack.node.findAll()) if (c instanceof CfnResource) paths.set(stack.resolve(c.logicalId), c.node.path);
      for (const [id, resource] of Object.entries(template.Resources)) {
        const resourcePath = (paths.get(id) ?? `${stack.stackName}/${id}`).replace(/\/Resource$/, '');
        for (const [control, fails] of Object.entries(CONTROLS)) if (fails(resource)) failing.push({ control, resource: resourcePath });
      }
    }
    rows = tableRows(readFileSync(path.join(__dirname, '../../docs/controls.md'), 'utf8'));
  });

  it('reads a table of controls and resources from the doc', () => {
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(Object.keys(CONTROLS), `unknown control in docs/controls.md: ${row.control}`).toContain(row.control);
  });

  it('explains every failing resource in the table', () => {
    const unexplained = failing.filter((f) => !rows.some((row) => row.control === f.control && matches(row.resource, f.resource)));
    expect(unexplained).toEqual([]);
  });

  it('has no row that no longer matches a failing resource', () => {
    const stale = rows.filter((row) => !failing.some((f) => f.control === row.control && matches(row.resource, f.resource)));
    expect(stale).toEqual([]);
  });

  it('leaves none of the fixed controls failing: grants, memory limit, database log retention, dead-letter queue', () => {
    const fixed = ['kms-create-grant-for-aws-resources-only', 'ecs-task-definition-memory-hard-limit', 'CT.SQS.PR.1'];
    expect(failing.filter((f) => fixed.includes(f.control))).toEqual([]);
    expect(failing.filter((f) => f.control === 'CT.CLOUDWATCH.PR.2').map((f) => f.resource)).toEqual(['HaPrimary/Service/Logs']);
  });
});
