import { anonymousPrincipal } from '@cloud-copilot/iam-simulate';
import { beforeAll, describe, expect } from 'vitest';
import { asRole, check, flow, type FlowRow, type Verdict } from './flow-table';
import { ACCOUNT, globMatches, OTHER_ACCOUNT, PolicyWorld, stemOf } from './policy-world';
import { synthWorlds, warmStandbyWithDns } from './worlds';

/**
 * Flow proof: the standby site (HaDrSite, warm standby with DNS failover and a certificate per region) can serve from
 * the DR region. Its task pulls its image from the DR region's asset repository, writes its log group and reads the
 * replica, in this region, of the primary's master secret (the ARN HaPrimary outputs, with this region: what
 * Fn::GetStackOutput gives the template); the replica secret is encrypted with the DR key (HaDr's BackupKey, named in
 * the primary secret's ReplicaRegions), which Secrets Manager of this account may encrypt with. Its load balancer
 * writes access logs as the Elastic Load Balancing account of the DR region; its log groups' keys serve CloudWatch
 * Logs of this account only. Every resource is read from the synthesised task definition, secret, load balancer and
 * log groups.
 */
interface Container {
  readonly Image: unknown;
  readonly Name: string;
  readonly LogConfiguration: { readonly Options: Record<string, unknown> };
  readonly Secrets: { readonly Name: string; readonly ValueFrom: unknown }[];
  readonly Environment: { readonly Name: string; readonly Value: unknown }[];
}

describe('flow: the standby site serves from the DR region', () => {
  let site: PolicyWorld;
  let primary: PolicyWorld;
  let dr: PolicyWorld;

  beforeAll(() => {
    ({ drSite: site, primary, dr } = synthWorlds(warmStandbyWithDns()) as Required<ReturnType<typeof synthWorlds>>);
  });

  const getAttId = (v: unknown) => (v as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const taskDefinition = () => {
    const [id] = site.idsOf('AWS::ECS::TaskDefinition');
    const props = site.resource(id!).Properties! as { ContainerDefinitions: Container[]; ExecutionRoleArn: unknown; TaskRoleArn: unknown };
    expect(props.ContainerDefinitions).toHaveLength(1);
    return { container: props.ContainerDefinitions[0]!, executionRole: getAttId(props.ExecutionRoleArn), taskRole: getAttId(props.TaskRoleArn) };
  };
  /** The role a row names must be the one the task definition uses. */
  const roleOf = (row: FlowRow, roleId: string) => {
    expect(row.who, `row ${row.id} names the task definition's role`).toContain(stemOf(roleId));
    return roleId;
  };
  const namedIn = (row: FlowRow, column: 'who' | 'on', id: string) =>
    expect(row[column].some((t) => globMatches(t, stemOf(id))), `row ${row.id} (${column}) names ${id}`).toBe(true);

  /** The primary's master secret, and the DR key its replica in the site's region is encrypted with (its ReplicaRegions). */
  const primarySecret = () => {
    const [id] = primary.idsOf('AWS::SecretsManager::Secret');
    const replicas = primary.resource(id!).Properties!.ReplicaRegions as { Region: string; KmsKeyId: unknown }[];
    const replica = replicas.find((r) => r.Region === site.region)!;
    expect(replica, `the primary secret has a replica in ${site.region}`).toBeDefined();
    const keyArn = String(primary.resolve(replica.KmsKeyId));
    const [key] = dr.idsOf('AWS::KMS::Key').filter((k) => dr.getAtt(k, 'Arn') === keyArn);
    expect(key, `the replica key ${keyArn} is a key of HaDr`).toBeDefined();
    const arn = primary.ref(id!);
    // Secrets Manager keeps a replica's ARN but for the region (Secrets Manager user guide, "Replicate secrets").
    return { id: id!, arn, replicaArn: arn.replace(`:${primary.region}:`, `:${site.region}:`), key: key! };
  };

  /** The secret the container reads: ECS `Secrets` (execution role) or `DB_SECRET_ARN` (task role). */
  const secretOf = (container: Container, by: 'execution' | 'task') =>
    String(site.resolve(by === 'execution' ? container.Secrets.find((s) => s.Name === 'DB_SECRET')!.ValueFrom : container.Environment.find((e) => e.Name === 'DB_SECRET_ARN')!.Value));

  const readSecret = (row: FlowRow, by: 'execution' | 'task') => {
    const td = taskDefinition();
    const role = roleOf(row, by === 'execution' ? td.executionRole : td.taskRole);
    const secret = primarySecret();
    namedIn(row, 'on', secret.id);
    expect(secretOf(td.container, by), 'the container reads the replica of the primary secret').toBe(secret.replicaArn);
    return Promise.all(row.actions.map((action) => asRole(site, role, action, secretOf(td.container, by))));
  };

  flow('dr-exec-read-secret', (row) => readSecret(row, 'execution'));
  flow('dr-task-read-secret', (row) => readSecret(row, 'task'));

  const viaSecrets = () => ({ 'kms:ViaService': `secretsmanager.${site.region}.amazonaws.com` });
  /** Secrets Manager decrypts with the encryption context SecretARN = the secret's ARN (its user guide, as above). */
  const viaSecretsFor = (secretArn: string) => ({ ...viaSecrets(), 'kms:EncryptionContext:SecretARN': secretArn });
  const decryptSecretKey = async (row: FlowRow, by: 'execution' | 'task') => {
    const td = taskDefinition();
    const role = roleOf(row, by === 'execution' ? td.executionRole : td.taskRole);
    const { key, replicaArn } = primarySecret();
    namedIn(row, 'on', key);
    return [
      await check(`${role} kms:Decrypt ${stemOf(key)} through Secrets Manager for the replica secret`, {
        principal: site.getAtt(role, 'Arn'),
        action: 'kms:Decrypt',
        resource: dr.getAtt(key, 'Arn'),
        context: viaSecretsFor(replicaArn),
        identityPolicies: site.identityPoliciesOf(role),
        resourcePolicy: dr.keyPolicyOf(key),
      }),
    ];
  };
  // Found by this file (it was a defect: Secret.fromSecretAttributes' grantRead cannot grant an imported key, so ECS
  // could not inject DB_SECRET and the tasks would not start); lib/service-tier.ts grants it for any secret under an imported key.
  flow('dr-exec-secret-key', (row) => decryptSecretKey(row, 'execution'));
  flow('dr-task-secret-key', (row) => decryptSecretKey(row, 'task'));

  flow('dr-secret-key-only-for-the-secret', async (row) => {
    const { executionRole, taskRole } = taskDefinition();
    const { key, replicaArn } = primarySecret();
    const verdicts: Verdict[] = [];
    for (const role of [executionRole, taskRole].map((r) => roleOf(row, r))) {
      const base = { principal: site.getAtt(role, 'Arn'), action: 'kms:Decrypt', resource: dr.getAtt(key, 'Arn'), identityPolicies: site.identityPoliciesOf(role), resourcePolicy: dr.keyPolicyOf(key) };
      // Directly (not through Secrets Manager), through Secrets Manager of another region, or for another secret.
      verdicts.push(await check(`${role} kms:Decrypt ${stemOf(key)} directly`, { ...base, context: { 'kms:EncryptionContext:SecretARN': replicaArn } }));
      verdicts.push(await check(`${role} kms:Decrypt ${stemOf(key)} via Secrets Manager of ${primary.region}`, { ...base, context: { 'kms:ViaService': `secretsmanager.${primary.region}.amazonaws.com`, 'kms:EncryptionContext:SecretARN': replicaArn } }));
      verdicts.push(await check(`${role} kms:Decrypt ${stemOf(key)} for another secret`, { ...base, context: viaSecretsFor(`arn:aws:secretsmanager:${site.region}:${ACCOUNT}:secret:other-AbCdEf`) }));
    }
    return verdicts;
  });

  flow('dr-task-no-other-secrets', async (row) => {
    const { executionRole, taskRole } = taskDefinition();
    const secret = primarySecret();
    const other = `arn:aws:secretsmanager:${site.region}:${ACCOUNT}:secret:other-AbCdEf`;
    return Promise.all(
      [executionRole, taskRole].flatMap((role) => [
        asRole(site, roleOf(row, role), 'secretsmanager:GetSecretValue', other),
        // The primary region's secret itself: the site reads its own region's replica, which survives the primary.
        asRole(site, roleOf(row, role), 'secretsmanager:GetSecretValue', secret.arn),
        asRole(site, roleOf(row, role), 'secretsmanager:PutSecretValue', secret.replicaArn),
      ]),
    );
  });

  flow('dr-task-no-other-keys', async (row) => {
    const { executionRole, taskRole } = taskDefinition();
    const keys = [...site.idsOf('AWS::KMS::Key').map((k) => [site, k] as const), ...dr.idsOf('AWS::KMS::Key').map((k) => [dr, k] as const)];
    expect(keys.map(([, k]) => stemOf(k)).sort()).toEqual(row.on.filter((t) => t.endsWith('Key')).sort());
    const verdicts: Verdict[] = [];
    for (const role of [executionRole, taskRole].map((r) => roleOf(row, r))) {
      for (const [world, key] of keys) {
        for (const action of row.actions) {
          for (const context of [{}, viaSecrets(), { 'kms:ViaService': `rds.${world.region}.amazonaws.com` }]) {
            verdicts.push(
              await check(`${role} ${action} ${stemOf(key)} ${JSON.stringify(context)}`, {
                principal: site.getAtt(role, 'Arn'),
                action,
                resource: world.getAtt(key, 'Arn'),
                context,
                identityPolicies: site.identityPoliciesOf(role),
                resourcePolicy: world.keyPolicyOf(key),
              }),
            );
          }
        }
      }
    }
    return verdicts;
  });

  flow('dr-task-no-database-admin', async (row) => {
    const { taskRole } = taskDefinition();
    const [replica] = site.idsOf('AWS::RDS::DBInstance');
    namedIn(row, 'on', replica!);
    const arn = `arn:aws:rds:${site.region}:${ACCOUNT}:db:${site.nameOf(replica!)}`;
    return Promise.all(row.actions.map((action) => asRole(site, roleOf(row, taskRole), action, arn)));
  });

  flow('dr-exec-pull-image', async (row) => {
    const { container, executionRole } = taskDefinition();
    const role = roleOf(row, executionRole);
    // <account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>: the DR region's own asset repository.
    const image = String(site.resolve(container.Image));
    const [, account, region, repository] = image.match(/^(\d+)\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com\/([^:@]+)/)!;
    expect(region).toBe(site.region);
    const repositoryArn = `arn:aws:ecr:${region}:${account}:repository/${repository}`;
    return [
      await asRole(site, role, 'ecr:GetAuthorizationToken', '*'),
      ...(await Promise.all(['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'].map((a) => asRole(site, role, a, repositoryArn)))),
    ];
  });

  flow('dr-exec-write-logs', async (row) => {
    const { container, executionRole } = taskDefinition();
    const role = roleOf(row, executionRole);
    const options = container.LogConfiguration.Options;
    const group = String(site.resolve(options['awslogs-group']));
    const groupId = site.idOf('ServiceLogs');
    namedIn(row, 'on', groupId);
    expect(site.ref(groupId)).toBe(group);
    expect(site.resolve(options['awslogs-region'])).toBe(site.region);
    const stream = `arn:aws:logs:${site.region}:${ACCOUNT}:log-group:${group}:log-stream:${options['awslogs-stream-prefix']}/${container.Name}/0123456789abcdef`;
    return Promise.all(['logs:CreateLogStream', 'logs:PutLogEvents'].map((a) => asRole(site, role, a, stream)));
  });

  describe('the DR key and the replica secret', () => {
    const replicaKey = () => primarySecret().key;
    /** A principal of an account with no identity policy: the key policy alone decides. */
    const anyRole = (account: string) => ({ principal: `arn:aws:iam::${account}:role/any-role`, identityPolicies: [] });

    flow('dr-secret-replica-key', async (row) => {
      const key = replicaKey();
      namedIn(row, 'on', key);
      return Promise.all(
        row.actions.map((action) =>
          check(`a principal of this account ${action} ${stemOf(key)} through Secrets Manager`, {
            ...anyRole(ACCOUNT),
            action,
            resource: dr.getAtt(key, 'Arn'),
            context: { ...viaSecrets(), 'kms:CallerAccount': ACCOUNT },
            resourcePolicy: dr.keyPolicyOf(key),
          }),
        ),
      );
    });

    flow('dr-secret-replica-key-elsewhere', async () => {
      const key = replicaKey();
      const ask = (label: string, account: string, action: string, context: Record<string, string>) =>
        check(label, { ...anyRole(account), action, resource: dr.getAtt(key, 'Arn'), context: { 'kms:CallerAccount': account, ...context }, resourcePolicy: dr.keyPolicyOf(key) });
      return [
        await ask('another account encrypts through Secrets Manager', OTHER_ACCOUNT, 'kms:GenerateDataKey', viaSecrets()),
        await ask('this account encrypts directly', ACCOUNT, 'kms:GenerateDataKey', {}),
        await ask('this account encrypts through Secrets Manager of the primary region', ACCOUNT, 'kms:Encrypt', { 'kms:ViaService': `secretsmanager.${primary.region}.amazonaws.com` }),
        await ask('this account decrypts through Secrets Manager (use beyond encrypting is IAM\'s to grant)', ACCOUNT, 'kms:Decrypt', viaSecrets()),
        await ask('this account re-encrypts through Secrets Manager', ACCOUNT, 'kms:ReEncryptFrom', viaSecrets()),
      ];
    });
  });

  /** The access-log bucket, prefix and an object key the load balancer writes (ELB user guide, "Access log files"). */
  const accessLogs = () => {
    const [lb] = site.idsOf('AWS::ElasticLoadBalancingV2::LoadBalancer');
    const attributes = site.resource(lb!).Properties!.LoadBalancerAttributes as { Key: string; Value: unknown }[];
    const attribute = (key: string) => attributes.find((a) => a.Key === key)?.Value;
    expect(attribute('access_logs.s3.enabled')).toBe('true');
    const bucketId = (attribute('access_logs.s3.bucket') as { Ref: string }).Ref;
    const prefix = String(attribute('access_logs.s3.prefix'));
    const object = (forAccount: string) =>
      `${site.getAtt(bucketId, 'Arn')}/${prefix}/AWSLogs/${forAccount}/elasticloadbalancing/${site.region}/2026/01/02/${forAccount}_elasticloadbalancing_${site.region}_app.lb.0123_20260102T0000Z_192.0.2.1_abc.log.gz`;
    return { bucketId, object, policy: site.resourcePolicyOf(bucketId) };
  };
  /** The other side of a cross-account request: the writer's own account lets it write (its policies are not ours). */
  const writerOwnPolicy = [{ name: 'writer-account', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }];

  flow('dr-access-logs-elb', async (row) => {
    // Regions available before August 2022 grant the regional Elastic Load Balancing account (ELB user guide,
    // "Enable access logs": 797873946194 for us-west-2).
    // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html
    expect(site.region).toBe('us-west-2');
    const [elb] = row.who;
    const { bucketId, object, policy } = accessLogs();
    namedIn(row, 'on', bucketId);
    return [await check('ELB (us-west-2) writes a log file', { principal: elb!, action: 's3:PutObject', resource: object(ACCOUNT), context: { 'aws:SecureTransport': 'true' }, identityPolicies: writerOwnPolicy, resourcePolicy: policy })];
  });

  flow('dr-access-logs-elsewhere', async (row) => {
    const [elb] = row.who;
    const { object, policy } = accessLogs();
    const writer = { principal: elb!, identityPolicies: writerOwnPolicy, resourcePolicy: policy };
    return [
      await check('ELB (us-west-2) writes for another account', { ...writer, action: 's3:PutObject', resource: object(OTHER_ACCOUNT), context: { 'aws:SecureTransport': 'true' } }),
      await check('ELB (us-west-2) reads a log file', { ...writer, action: 's3:GetObject', resource: object(ACCOUNT), context: { 'aws:SecureTransport': 'true' } }),
      await check('ELB (us-west-2) writes without TLS', { ...writer, action: 's3:PutObject', resource: object(ACCOUNT), context: { 'aws:SecureTransport': 'false' } }),
      await check('the primary region\'s ELB account writes here', { ...writer, principal: 'arn:aws:iam::127311923021:root', action: 's3:PutObject', resource: object(ACCOUNT), context: { 'aws:SecureTransport': 'true' } }),
      await check('anonymous reads a log file', { principal: anonymousPrincipal, action: 's3:GetObject', resource: object(ACCOUNT), context: { 'aws:SecureTransport': 'true' }, resourcePolicy: policy }),
    ];
  });

  /** Every log group of the site with a customer key, and that key. */
  const encryptedLogGroups = () =>
    site
      .idsOf('AWS::Logs::LogGroup')
      .filter((id) => site.resource(id).Properties!.KmsKeyId !== undefined)
      .map((id) => ({ id, key: getAttId(site.resource(id).Properties!.KmsKeyId) }));
  const logGroupArn = (id: string, account = ACCOUNT) => `arn:aws:logs:${site.region}:${account}:log-group:${site.nameOf(id)}`;
  const logsService = (row: FlowRow) => row.who.find((w) => w.endsWith('.amazonaws.com'))!.replace('<region>', site.region);

  flow('dr-logs-keys', async (row) => {
    const groups = encryptedLogGroups();
    expect(groups.length).toBeGreaterThan(0);
    for (const { id, key } of groups) {
      namedIn(row, 'on', id);
      namedIn(row, 'on', key);
    }
    return Promise.all(
      groups.flatMap(({ id, key }) =>
        row.actions.map((action) =>
          check(`${action} ${stemOf(key)} for ${stemOf(id)}`, {
            principal: logsService(row),
            action,
            resource: site.getAtt(key, 'Arn'),
            context: { 'kms:EncryptionContext:aws:logs:arn': logGroupArn(id) },
            resourcePolicy: site.keyPolicyOf(key),
          }),
        ),
      ),
    );
  });

  flow('dr-logs-keys-other-account', async (row) => {
    const keys = [...new Set(encryptedLogGroups().map(({ key }) => key))];
    for (const key of keys) namedIn(row, 'on', key);
    const foreign = `arn:aws:logs:${site.region}:${OTHER_ACCOUNT}:log-group:theirs`;
    return Promise.all(
      keys.flatMap((key) =>
        row.actions.flatMap((action) => [
          check(`${action} ${stemOf(key)} for another account's group`, {
            principal: logsService(row),
            action,
            resource: site.getAtt(key, 'Arn'),
            context: { 'kms:EncryptionContext:aws:logs:arn': foreign },
            resourcePolicy: site.keyPolicyOf(key),
          }),
          check(`${action} ${stemOf(key)} with no log group`, { principal: logsService(row), action, resource: site.getAtt(key, 'Arn'), context: {}, resourcePolicy: site.keyPolicyOf(key) }),
        ]),
      ),
    );
  });
});
