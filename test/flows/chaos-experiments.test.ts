import { beforeAll, describe, expect } from 'vitest';
import { check, flow, FlowRow, Verdict } from './flow-table';
import { PolicyWorld } from './policy-world';
import { clusterDeployment, synthWorlds } from './worlds';

/**
 * Flow proof: each FIS experiment role may do what its experiment's actions do, on the targets its template
 * names, read from the synthesised experiment templates. The permissions each FIS action needs are those the
 * FIS User Guide lists for it ("AWS FIS actions reference": aws:ecs:stop-task, aws:rds:reboot-db-instances,
 * aws:rds:failover-db-cluster, aws:network:disrupt-connectivity) and for experiment logging ("Experiment
 * logging permissions"). Evaluated for the Multi-AZ instance (default) and the Multi-AZ DB cluster.
 */
interface Request {
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string | string[]>;
}
interface FisTarget {
  readonly ResourceType: string;
  readonly ResourceArns?: unknown[];
  readonly Parameters?: Record<string, unknown>;
}
interface FisTemplate {
  readonly RoleArn: { 'Fn::GetAtt': [string, string] };
  readonly Actions: Record<string, { ActionId: string; Targets?: Record<string, string>; StartAfter?: string[] }>;
  readonly Targets: Record<string, FisTarget>;
  readonly LogConfiguration?: unknown;
}

const EXAMPLE_TASK = '0123456789abcdef0123456789abcdef';
/** The temporary network ACL disrupt-connectivity creates, and the subnet's own ACL it restores afterwards. */
const FIS_ACL = 'acl-0f150000000000001';
const ORIGINAL_ACL = 'acl-0de1a0000000000001';
const fisTagged = { 'ec2:ResourceTag/managedByFIS': 'true', 'aws:ResourceTag/managedByFIS': 'true' };

/** The requests FIS makes as the experiment's role for one action on its resolved targets. */
function requestsOf(world: PolicyWorld, actionId: string, target: FisTarget): Request[] {
  const arn = (service: string, resource: string) => `arn:aws:${service}:${world.region}:${world.account}:${resource}`;
  switch (actionId) {
    case 'aws:ecs:stop-task': {
      const cluster = String(world.resolve(target.Parameters!.cluster));
      const onCluster = { 'ecs:cluster': arn('ecs', `cluster/${cluster}`) };
      return [
        // ListTasks has no resource-level permission: it is authorised with the ecs:cluster condition key.
        { action: 'ecs:ListTasks', resource: arn('ecs', `container-instance/${cluster}/${EXAMPLE_TASK}`), context: onCluster },
        { action: 'ecs:DescribeTasks', resource: arn('ecs', `task/${cluster}/${EXAMPLE_TASK}`), context: onCluster },
        { action: 'ecs:StopTask', resource: arn('ecs', `task/${cluster}/${EXAMPLE_TASK}`), context: onCluster },
      ];
    }
    case 'aws:rds:reboot-db-instances':
      return targetArns(world, target).flatMap((db) => [
        { action: 'rds:DescribeDBInstances', resource: db },
        { action: 'rds:RebootDBInstance', resource: db },
      ]);
    case 'aws:rds:failover-db-cluster':
      return targetArns(world, target).flatMap((cluster) => [
        { action: 'rds:DescribeDBClusters', resource: cluster },
        { action: 'rds:FailoverDBCluster', resource: cluster },
      ]);
    case 'aws:network:disrupt-connectivity': {
      const subnets = targetArns(world, target);
      const fisAcl = arn('ec2', `network-acl/${FIS_ACL}`);
      const originalAcl = arn('ec2', `network-acl/${ORIGINAL_ACL}`);
      const newTag = { 'aws:RequestTag/managedByFIS': 'true', 'aws:TagKeys': ['managedByFIS'] };
      return [
        ...['ec2:DescribeSubnets', 'ec2:DescribeVpcs', 'ec2:DescribeNetworkAcls', 'ec2:DescribeManagedPrefixLists'].map((action) => ({ action, resource: '*' })),
        { action: 'ec2:GetManagedPrefixListEntries', resource: arn('ec2', 'prefix-list/pl-0123456789abcdef0') },
        // One temporary ACL per VPC of the targets, created tagged, filled with deny-all entries.
        ...vpcsOf(world, target).map((vpc) => ({ action: 'ec2:CreateNetworkAcl', resource: arn('ec2', `vpc/${vpc}`) })),
        { action: 'ec2:CreateNetworkAcl', resource: fisAcl, context: newTag },
        { action: 'ec2:CreateTags', resource: fisAcl, context: { ...newTag, 'ec2:CreateAction': 'CreateNetworkAcl' } },
        { action: 'ec2:CreateNetworkAclEntry', resource: fisAcl, context: fisTagged },
        // Each target subnet moves onto the temporary ACL, and back onto its own at the end.
        ...subnets.flatMap((subnet) => [
          { action: 'ec2:ReplaceNetworkAclAssociation', resource: subnet },
          { action: 'ec2:ReplaceNetworkAclAssociation', resource: fisAcl, context: fisTagged },
          { action: 'ec2:ReplaceNetworkAclAssociation', resource: originalAcl },
        ]),
        { action: 'ec2:DeleteNetworkAcl', resource: fisAcl, context: fisTagged },
      ];
    }
    case 'aws:arc:start-zonal-autoshift':
      // FIS actions reference, "Recovery action": FIS finds the managed resources, then starts, extends and ends the
      // shift with StartZonalShift, UpdateZonalShift and CancelZonalShift (expiresIn 1 min, renewed).
      return [
        ...['arc-zonal-shift:ListManagedResources', 'autoscaling:DescribeTags', 'tag:GetResources'].map((action) => ({ action, resource: '*' })),
        ...targetArns(world, target).flatMap((lb) =>
          ['arc-zonal-shift:GetManagedResource', 'arc-zonal-shift:StartZonalShift', 'arc-zonal-shift:UpdateZonalShift', 'arc-zonal-shift:CancelZonalShift'].map((action) => ({ action, resource: lb })),
        ),
      ];
    default:
      throw new Error(`add the permissions of ${actionId} (FIS actions reference) to chaos-experiments.test.ts`);
  }
}

const targetArns = (world: PolicyWorld, target: FisTarget) => (target.ResourceArns ?? []).map((a) => String(world.resolve(a)));

/** The VPC IDs of a subnet target, read from the subnets the template refers to. */
function vpcsOf(world: PolicyWorld, target: FisTarget): string[] {
  const subnetIds = JSON.stringify(target.ResourceArns).match(/"Ref":"([^"]+)"/g)!.map((m) => m.slice(7, -1)).filter((id) => id !== 'AWS::AccountId');
  return [...new Set(subnetIds.map((id) => String(world.resolve(world.resource(id).Properties!.VpcId))))];
}

/** Experiment logging to CloudWatch Logs: FIS sets up a vended log delivery as the experiment's role. */
const LOG_DELIVERY: Request[] = ['logs:CreateLogDelivery', 'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups'].map(
  (action) => ({ action, resource: '*' }),
);

describe('flow: FIS experiment roles act on their targets', () => {
  let instance: PolicyWorld;
  let cluster: PolicyWorld;

  beforeAll(() => {
    instance = synthWorlds().primary;
    cluster = synthWorlds(clusterDeployment()).primary;
  });

  const templatesOf = (world: PolicyWorld) =>
    world.idsOf('AWS::FIS::ExperimentTemplate').map((id) => ({ id, template: world.resource(id).Properties as unknown as FisTemplate }));

  /** The one experiment template run as a role. */
  const templateRunAs = (world: PolicyWorld, roleStem: string) => {
    const found = templatesOf(world).filter(({ template }) => template.RoleArn['Fn::GetAtt'][0] === world.idOf(roleStem));
    expect(found, `one experiment template runs as ${roleStem}`).toHaveLength(1);
    return found[0]!.template;
  };

  const asRole = (world: PolicyWorld, roleId: string, r: Request) =>
    check(`${roleId} ${r.action} ${r.resource}`, {
      principal: world.getAtt(roleId, 'Arn'),
      action: r.action,
      resource: r.resource,
      context: r.context ?? {},
      identityPolicies: world.identityPoliciesOf(roleId),
    });

  /** Every request of the template run as the row's role, for its actions of one FIS action ID; the row lists exactly those IAM actions. */
  const proveActions = async (row: FlowRow, world: PolicyWorld, actionId: string): Promise<Verdict[]> => {
    const [role] = row.who;
    const template = templateRunAs(world, role!);
    const actions = Object.values(template.Actions).filter((a) => a.ActionId === actionId);
    expect(actions.length, `${role}'s template runs ${actionId}`).toBeGreaterThan(0);
    const requests = actions.flatMap((a) => Object.values(a.Targets ?? {}).flatMap((t) => requestsOf(world, actionId, template.Targets[t]!)));
    expect([...new Set(requests.map((r) => r.action))].sort(), `row ${row.id} lists the actions ${actionId} needs`).toEqual([...row.actions].sort());
    const roleId = world.idOf(role!);
    return Promise.all(requests.map((r) => asRole(world, roleId, r)));
  };

  flow('fis-stop-task', (row) => proveActions(row, instance, 'aws:ecs:stop-task'));
  flow('fis-reboot-db', (row) => proveActions(row, instance, 'aws:rds:reboot-db-instances'));
  flow('fis-failover-cluster', (row) => proveActions(row, cluster, 'aws:rds:failover-db-cluster'));
  flow('fis-disrupt-zone', (row) => proveActions(row, instance, 'aws:network:disrupt-connectivity'));

  /** The role of the template that runs an action ID, and the requests of one target with its ARNs swapped. */
  const roleRunning = (world: PolicyWorld, actionId: string) => {
    const { template } = templatesOf(world).find(({ template: t }) => Object.values(t.Actions).some((a) => a.ActionId === actionId))!;
    return template.RoleArn['Fn::GetAtt'][0];
  };
  const arnIn = (world: PolicyWorld, resource: string) => `arn:aws:${resource.split(':')[0]}:${world.region}:${world.account}:${resource.split(':').slice(1).join(':')}`;

  flow('fis-stop-task-other-cluster', async () => {
    const role = roleRunning(instance, 'aws:ecs:stop-task');
    const requests = requestsOf(instance, 'aws:ecs:stop-task', { ResourceType: 'aws:ecs:task', Parameters: { cluster: 'other-cluster' } });
    return Promise.all(requests.map((r) => asRole(instance, role, r)));
  });

  flow('fis-other-database', async () => [
    // The instance deployment's role, on another instance and on any cluster; the cluster deployment's, on another cluster and any instance.
    ...(await Promise.all(
      requestsOf(instance, 'aws:rds:reboot-db-instances', { ResourceType: 'aws:rds:db', ResourceArns: [arnIn(instance, 'rds:db:other-database')] })
        .filter((r) => r.action !== 'rds:DescribeDBInstances')
        .map((r) => asRole(instance, roleRunning(instance, 'aws:rds:reboot-db-instances'), r)),
    )),
    await asRole(instance, roleRunning(instance, 'aws:rds:reboot-db-instances'), { action: 'rds:FailoverDBCluster', resource: arnIn(instance, 'rds:cluster:other-database') }),
    await asRole(cluster, roleRunning(cluster, 'aws:rds:failover-db-cluster'), { action: 'rds:FailoverDBCluster', resource: arnIn(cluster, 'rds:cluster:other-database') }),
    await asRole(cluster, roleRunning(cluster, 'aws:rds:failover-db-cluster'), { action: 'rds:RebootDBInstance', resource: arnIn(cluster, 'rds:db:other-database') }),
  ]);

  flow('fis-disrupt-other-subnet', async (row) => {
    const role = roleRunning(instance, 'aws:network:disrupt-connectivity');
    const otherZone = instance.idsMatching(row.on.find((t) => /^[A-Z]/.test(t))!, 'AWS::EC2::Subnet');
    expect(otherZone).toHaveLength(1);
    const subnets = [arnIn(instance, `ec2:subnet/${instance.ref(otherZone[0]!)}`), arnIn(instance, 'ec2:subnet/subnet-0f0e1e2f3a4b5c6d7')];
    return Promise.all(subnets.map((resource) => asRole(instance, role, { action: 'ec2:ReplaceNetworkAclAssociation', resource })));
  });

  flow('fis-evacuate-zone', async (row) => {
    // The shift acts on the service's own load balancer, a minute after the cut begins.
    const template = templateRunAs(instance, row.who[0]!);
    const shift = Object.values(template.Actions).find((a) => a.ActionId === 'aws:arc:start-zonal-autoshift')!;
    expect(shift.StartAfter).toEqual(['NoticeZoneLoss']);
    expect(targetArns(instance, template.Targets[shift.Targets!.ManagedResources!]!)).toEqual([String(instance.resolve({ Ref: instance.idOf('ServiceLoadBalancer') }))]);
    return proveActions(row, instance, 'aws:arc:start-zonal-autoshift');
  });

  flow('fis-evacuate-other-load-balancer', async (row) => {
    const role = roleRunning(instance, 'aws:arc:start-zonal-autoshift');
    const other = arnIn(instance, 'elasticloadbalancing:loadbalancer/app/other-service/0123456789abcdef');
    return Promise.all(row.actions.map((action) => asRole(instance, role, { action, resource: other })));
  });

  flow('fis-acl-not-fis', async () => {
    const role = roleRunning(instance, 'aws:network:disrupt-connectivity');
    const untagged = arnIn(instance, `ec2:network-acl/${ORIGINAL_ACL}`);
    return Promise.all(
      [
        { action: 'ec2:CreateNetworkAclEntry', resource: untagged },
        { action: 'ec2:DeleteNetworkAcl', resource: untagged },
        // An ACL created without the tag, or in another VPC.
        { action: 'ec2:CreateNetworkAcl', resource: arnIn(instance, `ec2:network-acl/${FIS_ACL}`) },
        { action: 'ec2:CreateNetworkAcl', resource: arnIn(instance, 'ec2:vpc/vpc-0f0e1e2f3a4b5c6d7') },
      ].map((r) => asRole(instance, role, r)),
    );
  });

  flow('fis-log-delivery', async (row) => {
    expect([...row.actions].sort()).toEqual(LOG_DELIVERY.map((r) => r.action).sort());
    const verdicts: Verdict[] = [];
    for (const world of [instance, cluster]) {
      for (const { template } of templatesOf(world)) {
        expect(template.LogConfiguration, 'every experiment logs').toBeDefined();
        const roleId = template.RoleArn['Fn::GetAtt'][0];
        for (const r of LOG_DELIVERY) verdicts.push(await asRole(world, roleId, r));
      }
    }
    return verdicts;
  });
});
