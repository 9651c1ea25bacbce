import { anonymousPrincipal } from '@cloud-copilot/iam-simulate';
import { beforeAll, describe, expect } from 'vitest';
import { asRole, check, flow, FlowRow, Verdict } from './flow-table';
import { OTHER_ACCOUNT, PolicyWorld, stemOf } from './policy-world';
import { clusterDeployment, synthWorlds, warmStandbyWithDns } from './worlds';

/**
 * Flow proof: the service's task can start and run. The execution role pulls the image, writes the container
 * log and reads the database secret ECS injects (with the secret's key); the task role re-reads that secret
 * after a rotation; the load balancer writes its access logs. Every resource is read from the synthesised task
 * definition and load balancer, so the proof follows what ECS and ELB will really use.
 */
interface Container {
  readonly Image: unknown;
  readonly LogConfiguration: { readonly Options: Record<string, unknown> };
  readonly Secrets: { readonly Name: string; readonly ValueFrom: unknown }[];
  readonly Environment: { readonly Name: string; readonly Value: unknown }[];
  readonly Name: string;
}

describe('flow: the service task starts, logs, reads its secret; the load balancer logs', () => {
  let instance: PolicyWorld;
  let cluster: PolicyWorld;
  let dr: PolicyWorld;
  /** The standby site (warm standby with dns): its load balancer, deployment role and buckets follow the same rows. */
  let site: PolicyWorld;

  beforeAll(() => {
    ({ primary: instance, dr } = synthWorlds());
    cluster = synthWorlds(clusterDeployment()).primary;
    site = synthWorlds(warmStandbyWithDns()).drSite!;
  });

  const taskDefinition = (world: PolicyWorld) => {
    const [id] = world.idsOf('AWS::ECS::TaskDefinition');
    const props = world.resource(id!).Properties! as { ContainerDefinitions: Container[]; ExecutionRoleArn: unknown; TaskRoleArn: unknown };
    expect(props.ContainerDefinitions).toHaveLength(1);
    const roleId = (arn: unknown) => (arn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    return { container: props.ContainerDefinitions[0]!, executionRole: roleId(props.ExecutionRoleArn), taskRole: roleId(props.TaskRoleArn) };
  };

  /** The role a row names must be the one the task definition uses. */
  const roleOf = (row: FlowRow, roleId: string) => {
    expect(row.who, `row ${row.id} names the task definition's role`).toContain(stemOf(roleId));
    return roleId;
  };

  /** The database master secret the container reads (ECS `Secrets` for the execution role, `DB_SECRET_ARN` for the task). */
  const secretOf = (world: PolicyWorld, container: Container, by: 'execution' | 'task') =>
    String(world.resolve(by === 'execution' ? container.Secrets.find((s) => s.Name === 'DB_SECRET')!.ValueFrom : container.Environment.find((e) => e.Name === 'DB_SECRET_ARN')!.Value));

  /** The key of the RDS-managed master secret (MasterUserSecret.KmsKeyId of the instance or cluster). */
  const secretKeyOf = (world: PolicyWorld) => {
    const [db] = [...world.idsOf('AWS::RDS::DBInstance'), ...world.idsOf('AWS::RDS::DBCluster')];
    const keyRef = (world.resource(db!).Properties!.MasterUserSecret as { KmsKeyId: { 'Fn::GetAtt': [string, string] } }).KmsKeyId;
    return keyRef['Fn::GetAtt'][0];
  };

  const readSecret = (row: FlowRow, by: 'execution' | 'task') =>
    Promise.all(
      [instance, cluster].flatMap((world) => {
        const td = taskDefinition(world);
        const role = roleOf(row, by === 'execution' ? td.executionRole : td.taskRole);
        return row.actions.map((action) => asRole(world, role, action, secretOf(world, td.container, by)));
      }),
    );

  const decryptSecret = (row: FlowRow, by: 'execution' | 'task') =>
    Promise.all(
      [instance, cluster].map((world) => {
        const td = taskDefinition(world);
        const role = roleOf(row, by === 'execution' ? td.executionRole : td.taskRole);
        const key = secretKeyOf(world);
        expect(row.on, `row ${row.id} names the secret's key`).toContain(stemOf(key));
        // Secrets Manager decrypts the secret value with the caller's permission on the key (Secrets Manager
        // user guide, "Secret encryption and decryption"), hence kms:ViaService secretsmanager.
        return asRole(world, role, 'kms:Decrypt', world.getAtt(key, 'Arn'), { 'kms:ViaService': `secretsmanager.${world.region}.amazonaws.com` }, world.keyPolicyOf(key));
      }),
    );

  /** The role, target groups and rule ECS is given for traffic-shifting deployments, read from the service. */
  const deployment = (world: PolicyWorld) => {
    const [id] = world.idsOf('AWS::ECS::Service');
    const [lb] = world.resource(id!).Properties!.LoadBalancers as Array<{ TargetGroupArn: unknown; AdvancedConfiguration: Record<string, unknown> }>;
    const advanced = lb!.AdvancedConfiguration;
    const role = (advanced.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const rule = (advanced.ProductionListenerRule as { Ref: string }).Ref;
    const listener = (world.resource(rule).Properties!.ListenerArn as { Ref: string }).Ref;
    return {
      role,
      targetGroups: [lb!.TargetGroupArn, advanced.AlternateTargetGroupArn].map((arn) => String(world.resolve(arn as never))),
      rule: String(world.resolve({ Ref: rule })),
      listener: String(world.resolve({ Ref: listener })),
    };
  };

  /** The primary's service and the standby site's (HTTPS listener there: dns with a certificate per region). */
  const services = () => [instance, site];

  flow('deploy-describe', (row) =>
    Promise.all(
      services().flatMap((world) => {
        const { role } = deployment(world);
        expect(row.who).toContain(stemOf(role));
        return row.actions.map((action) => asRole(world, role, action, '*'));
      }),
    ),
  );

  flow('deploy-register-tasks', (row) =>
    Promise.all(
      services().flatMap((world) => {
        const { role, targetGroups } = deployment(world);
        expect(targetGroups).toHaveLength(2);
        return targetGroups.flatMap((tg) => row.actions.map((action) => asRole(world, role, action, tg)));
      }),
    ),
  );

  flow('deploy-shift-traffic', () =>
    Promise.all(
      services().flatMap((world) => {
        const { role, rule, listener } = deployment(world);
        return [asRole(world, role, 'elasticloadbalancing:ModifyRule', rule), asRole(world, role, 'elasticloadbalancing:ModifyListener', listener)];
      }),
    ),
  );

  flow('deploy-other-load-balancing', () =>
    Promise.all(
      services().flatMap((world) => {
        const { role } = deployment(world);
        const elb = (resource: string) => `arn:aws:elasticloadbalancing:${world.region}:${world.account}:${resource}`;
        return [
          asRole(world, role, 'elasticloadbalancing:RegisterTargets', elb('targetgroup/other/0123456789abcdef')),
          asRole(world, role, 'elasticloadbalancing:ModifyRule', elb('listener-rule/app/other/0123456789abcdef/0123456789abcdef/0123456789abcdef')),
          asRole(world, role, 'elasticloadbalancing:ModifyListener', elb('listener/app/other/0123456789abcdef/0123456789abcdef')),
        ];
      }),
    ),
  );

  flow('exec-pull-image', async (row) => {
    const { container, executionRole } = taskDefinition(instance);
    const role = roleOf(row, executionRole);
    // <account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>
    const image = String(instance.resolve(container.Image));
    const [, account, region, repository] = image.match(/^(\d+)\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com\/([^:@]+)/)!;
    const repositoryArn = `arn:aws:ecr:${region}:${account}:repository/${repository}`;
    return [
      // GetAuthorizationToken has no resource-level permission (ECR user guide, "Private repository policies").
      await asRole(instance, role, 'ecr:GetAuthorizationToken', '*'),
      ...(await Promise.all(['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'].map((a) => asRole(instance, role, a, repositoryArn)))),
    ];
  });

  flow('exec-write-logs', async (row) => {
    const { container, executionRole } = taskDefinition(instance);
    const role = roleOf(row, executionRole);
    const options = container.LogConfiguration.Options;
    const group = String(instance.resolve(options['awslogs-group']));
    expect(instance.ref(instance.idOf('ServiceLogs'))).toBe(group);
    // The awslogs driver names streams <prefix>/<container>/<task ID> (ECS developer guide, "awslogs").
    const stream = `arn:aws:logs:${options['awslogs-region']}:${instance.account}:log-group:${group}:log-stream:${options['awslogs-stream-prefix']}/${container.Name}/0123456789abcdef`;
    return Promise.all(['logs:CreateLogStream', 'logs:PutLogEvents'].map((a) => asRole(instance, role, a, stream)));
  });

  flow('exec-read-secret', (row) => readSecret(row, 'execution'));
  flow('exec-secret-key', (row) => decryptSecret(row, 'execution'));
  flow('task-read-secret', (row) => readSecret(row, 'task'));
  flow('task-secret-key', (row) => decryptSecret(row, 'task'));

  /** The access-log bucket, prefix and an object key the load balancer writes (ELB user guide, "Access log files"). */
  const accessLogs = (world = instance) => {
    const [lb] = world.idsOf('AWS::ElasticLoadBalancingV2::LoadBalancer');
    const attributes = world.resource(lb!).Properties!.LoadBalancerAttributes as { Key: string; Value: unknown }[];
    const attribute = (key: string) => attributes.find((a) => a.Key === key)?.Value;
    expect(attribute('access_logs.s3.enabled')).toBe('true');
    const bucketId = (attribute('access_logs.s3.bucket') as { Ref: string }).Ref;
    const prefix = String(attribute('access_logs.s3.prefix'));
    const { account, region } = world;
    const object = (forAccount: string) =>
      `${world.getAtt(bucketId, 'Arn')}/${prefix}/AWSLogs/${forAccount}/elasticloadbalancing/${region}/2026/01/02/${forAccount}_elasticloadbalancing_${region}_app.lb.0123_20260102T0000Z_192.0.2.1_abc.log.gz`;
    return { bucketId, bucketArn: world.getAtt(bucketId, 'Arn'), object, policy: world.resourcePolicyOf(bucketId), account };
  };
  /** The other side of a cross-account request: the writer's own account lets it write (its policies are not ours). */
  const writerOwnPolicy = [{ name: 'writer-account', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }];

  flow('access-logs-elb', async (row) => {
    // Regions available before August 2022 grant the regional Elastic Load Balancing account (ELB user guide,
    // "Enable access logs": 127311923021 for us-east-1).
    expect(instance.region).toBe('us-east-1');
    const [elb] = row.who;
    const { object, policy, account } = accessLogs();
    return [await check('ELB writes a log file', { principal: elb!, action: 's3:PutObject', resource: object(account), context: { 'aws:SecureTransport': 'true' }, identityPolicies: writerOwnPolicy, resourcePolicy: policy })];
  });

  flow('access-logs-delivery', async (row) => {
    const [delivery] = row.who;
    const context = { 'aws:SecureTransport': 'true', 's3:x-amz-acl': 'bucket-owner-full-control' };
    const verdicts: Verdict[] = [];
    for (const world of services()) {
      const { object, bucketArn, policy, account } = accessLogs(world);
      verdicts.push(
        await check(`log delivery writes a log file (${world.region})`, { principal: delivery!, action: 's3:PutObject', resource: object(account), context, resourcePolicy: policy }),
        await check(`log delivery reads the bucket ACL (${world.region})`, { principal: delivery!, action: 's3:GetBucketAcl', resource: bucketArn, context: { 'aws:SecureTransport': 'true' }, resourcePolicy: policy }),
      );
    }
    return verdicts;
  });

  /** The database resource and its ARN in a deployment. */
  const databaseOf = (world: PolicyWorld) => {
    const [instanceId] = world.idsOf('AWS::RDS::DBInstance');
    const [clusterId] = world.idsOf('AWS::RDS::DBCluster');
    return instanceId
      ? { id: instanceId, arn: `arn:aws:rds:${world.region}:${world.account}:db:${world.ref(instanceId)}`, actions: ['rds:DeleteDBInstance', 'rds:ModifyDBInstance'] }
      : { id: clusterId!, arn: world.getAtt(clusterId!, 'DBClusterArn'), actions: ['rds:DeleteDBCluster', 'rds:ModifyDBCluster'] };
  };

  flow('task-no-database-admin', async (row) => {
    const verdicts: Verdict[] = [];
    for (const world of [instance, cluster]) {
      const role = roleOf(row, taskDefinition(world).taskRole);
      const db = databaseOf(world);
      expect(row.on).toContain(stemOf(db.id));
      for (const action of db.actions) {
        expect(row.actions).toContain(action);
        verdicts.push(await asRole(world, role, action, db.arn));
      }
    }
    return verdicts;
  });

  flow('task-no-other-secrets', async (row) => {
    const { executionRole, taskRole } = taskDefinition(instance);
    const other = `arn:aws:secretsmanager:${instance.region}:${instance.account}:secret:other-AbCdEf`;
    return Promise.all([executionRole, taskRole].map((role) => asRole(instance, roleOf(row, role), 'secretsmanager:GetSecretValue', other)));
  });

  flow('task-no-other-keys', async (row) => {
    const { executionRole, taskRole } = taskDefinition(instance);
    const secretKey = secretKeyOf(instance);
    const viaSecrets = { 'kms:ViaService': `secretsmanager.${instance.region}.amazonaws.com` };
    const keys = [...instance.idsOf('AWS::KMS::Key').map((k) => [instance, k] as const), ...dr.idsOf('AWS::KMS::Key').map((k) => [dr, k] as const)];
    expect(keys.map(([, k]) => stemOf(k)).sort()).toEqual(row.on.filter((t) => t.endsWith('Key')).sort());
    const verdicts: Verdict[] = [];
    for (const role of [executionRole, taskRole].map((r) => roleOf(row, r))) {
      for (const [world, key] of keys) {
        for (const action of row.actions) {
          for (const context of [{}, viaSecrets, { 'kms:ViaService': `rds.${world.region}.amazonaws.com` }]) {
            // The one grant the task needs: Decrypt of its secret's key through Secrets Manager (proven above).
            if (key === secretKey && action === 'kms:Decrypt' && context === viaSecrets) continue;
            const resource = world.getAtt(key, 'Arn');
            verdicts.push(
              await check(`${role} ${action} ${stemOf(key)} ${JSON.stringify(context)}`, {
                principal: instance.getAtt(role, 'Arn'),
                action,
                resource,
                context,
                identityPolicies: instance.identityPoliciesOf(role),
                resourcePolicy: world.keyPolicyOf(key),
              }),
            );
          }
        }
      }
    }
    return verdicts;
  });

  flow('access-logs-elsewhere', async (row) => {
    const { object, bucketArn, policy, account } = accessLogs();
    const context = { 'aws:SecureTransport': 'true', 's3:x-amz-acl': 'bucket-owner-full-control' };
    const verdicts: Verdict[] = [];
    for (const writer of row.who) {
      const side = writer.startsWith('arn:') ? { identityPolicies: writerOwnPolicy } : {};
      const requests: [string, string][] = [
        ['s3:PutObject', object(OTHER_ACCOUNT)],
        ['s3:PutObject', `${bucketArn}/elsewhere/AWSLogs/${account}/x.log.gz`],
        ['s3:GetObject', object(account)],
      ];
      for (const [action, resource] of requests) {
        const asked = action === 's3:PutObject' ? context : { 'aws:SecureTransport': 'true' };
        verdicts.push(await check(`${writer} ${action} ${resource}`, { principal: writer, action, resource, context: asked, resourcePolicy: policy, ...side }));
      }
    }
    return verdicts;
  });

  /** Every bucket of the primary, DR and standby-site stacks, with its policy. */
  const buckets = () => {
    const all = [instance, dr, site].flatMap((world) => world.idsOf('AWS::S3::Bucket').map((id) => ({ world, id })));
    expect(all.length).toBeGreaterThan(0);
    return all.map(({ world, id }) => ({ id, arn: world.getAtt(id, 'Arn'), policy: world.resourcePolicyOf(id) }));
  };

  flow('buckets-no-tls', async () => {
    const { account } = accessLogs();
    const verdicts: Verdict[] = [];
    for (const bucket of buckets()) {
      const plain = { 'aws:SecureTransport': 'false', 's3:x-amz-acl': 'bucket-owner-full-control' };
      // Even the principals that may write the logs are refused over plain HTTP.
      verdicts.push(
        await check(`ELB writes ${bucket.id} without TLS`, { principal: 'arn:aws:iam::127311923021:root', action: 's3:PutObject', resource: `${bucket.arn}/alb/AWSLogs/${account}/x.log.gz`, context: plain, identityPolicies: writerOwnPolicy, resourcePolicy: bucket.policy }),
        await check(`log delivery writes ${bucket.id} without TLS`, { principal: 'delivery.logs.amazonaws.com', action: 's3:PutObject', resource: `${bucket.arn}/alb/AWSLogs/${account}/x.log.gz`, context: plain, resourcePolicy: bucket.policy }),
        await check(`anonymous reads ${bucket.id} without TLS`, { principal: anonymousPrincipal, action: 's3:GetObject', resource: `${bucket.arn}/alb/AWSLogs/${account}/x.log.gz`, context: { 'aws:SecureTransport': 'false' }, resourcePolicy: bucket.policy }),
      );
    }
    return verdicts;
  });

  flow('buckets-anonymous', async () => {
    const { account } = accessLogs();
    const tls = { 'aws:SecureTransport': 'true' };
    const verdicts: Verdict[] = [];
    for (const bucket of buckets()) {
      const object = `${bucket.arn}/alb/AWSLogs/${account}/x.log.gz`;
      for (const [action, resource] of [['s3:GetObject', object], ['s3:ListBucket', bucket.arn]] as const) {
        verdicts.push(
          await check(`anonymous ${action} ${bucket.id}`, { principal: anonymousPrincipal, action, resource, context: tls, resourcePolicy: bucket.policy }),
          await check(`another account ${action} ${bucket.id}`, { principal: `arn:aws:iam::${OTHER_ACCOUNT}:root`, action, resource, context: tls, identityPolicies: writerOwnPolicy, resourcePolicy: bucket.policy }),
        );
      }
    }
    return verdicts;
  });
});
