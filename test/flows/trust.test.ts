import { beforeAll, describe, expect } from 'vitest';
import { check, flow, FlowRow, Verdict } from './flow-table';
import { anonymousPrincipal } from '@cloud-copilot/iam-simulate';
import { ACCOUNT, OTHER_ACCOUNT, PolicyWorld } from './policy-world';
import { synthWorlds, warmStandbyWithDns } from './worlds';

/**
 * Flow proof: each role can be assumed by the service that uses it, evaluated on the role's synthesised trust
 * policy (the resource policy of sts:AssumeRole), in the primary and in the standby site (HaDrSite, warm standby
 * with dns). The roles and the service are read from the row, so the proof covers exactly the roles the table names,
 * in every stack that has them.
 */
describe('flow: services assume their roles', () => {
  let worlds: PolicyWorld[];

  beforeAll(() => {
    // The default primary, and the standby site (warm standby with dns) with its own roles: the same service roles,
    // the canary's and the failover runbook's.
    worlds = [synthWorlds().primary, synthWorlds(warmStandbyWithDns()).drSite!];
  });

  /** The roles a row's `on` column names, in every world that has them; each token must name at least one. */
  const rolesOf = (row: FlowRow) =>
    row.on.flatMap((token) => {
      const found = worlds.flatMap((world) => world.idsMatching(token, 'AWS::IAM::Role').map((role) => ({ world, role })));
      expect(found, `row ${row.id}: ${token} names a role`).not.toHaveLength(0);
      return found;
    });

  const assume = (world: PolicyWorld, roleId: string, principal: Parameters<typeof check>[1]['principal'], context: Record<string, string>, identityPolicies?: Parameters<typeof check>[1]['identityPolicies']) =>
    check(`${typeof principal === 'string' ? principal : 'anonymous'} assumes ${roleId} (${world.region})`, {
      principal,
      identityPolicies,
      action: 'sts:AssumeRole',
      resource: world.getAtt(roleId, 'Arn'),
      context,
      resourcePolicy: world.resolve(world.resource(roleId).Properties!.AssumeRolePolicyDocument),
    });

  /** The service principal of a row (its one `*.amazonaws.com` token) assumes every role the row names. */
  const serviceAssumes = (row: FlowRow, context: Record<string, string> = {}): Promise<Verdict[]> => {
    const services = row.who.filter((w) => w.endsWith('.amazonaws.com'));
    expect(services, `row ${row.id} names one service principal`).toHaveLength(1);
    return Promise.all(rolesOf(row).map(({ world, role }) => assume(world, role, services[0]!, context)));
  };
  const thisAccount = { 'aws:SourceAccount': ACCOUNT };

  flow('trust-fis', (row) => serviceAssumes(row, thisAccount));
  flow('trust-scheduler', (row) => serviceAssumes(row, thisAccount));
  flow('trust-ecs-tasks', (row) => serviceAssumes(row, thisAccount));
  flow('trust-ecs-deployment', (row) => serviceAssumes(row, thisAccount));
  flow('trust-backup', (row) => serviceAssumes(row, thisAccount));
  flow('trust-flow-logs', (row) => serviceAssumes(row, thisAccount));
  flow('trust-rds-monitoring', (row) => serviceAssumes(row, thisAccount));
  flow('trust-lambda', (row) => serviceAssumes(row, thisAccount));

  const otherAccount = { 'aws:SourceAccount': OTHER_ACCOUNT };
  flow('trust-fis-other-account', (row) => serviceAssumes(row, otherAccount));
  flow('trust-scheduler-other-account', (row) => serviceAssumes(row, otherAccount));

  flow('trust-nobody-else', async (row) => {
    expect(row.on).toEqual(['*']);
    // A principal of this account that may assume any role by its own policies: it still needs the role's trust.
    const mayAssumeAnything = [{ name: 'assume-anything', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] } }];
    return Promise.all(
      worlds.flatMap((world) => {
        const taskRole = world.idOf('ServiceTaskTaskRole');
        return world.idsOf('AWS::IAM::Role').flatMap((role) => [
          assume(world, role, 'events.amazonaws.com', thisAccount),
          assume(world, role, world.getAtt(taskRole, 'Arn'), {}, mayAssumeAnything),
          assume(world, role, `arn:aws:iam::${OTHER_ACCOUNT}:root`, {}, mayAssumeAnything),
          assume(world, role, anonymousPrincipal, {}),
        ]);
      }),
    );
  });
});
