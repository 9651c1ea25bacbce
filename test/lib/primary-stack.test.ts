import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DB_POOL_MAX, DEREGISTRATION_DELAY_SECONDS, DRAIN_SECONDS, HEALTH_PATHS, SERVICE_PORT, STOP_TIMEOUT_SECONDS } from '../../app/src/contract';
import { RDS_CERTIFICATE_AUTHORITIES } from '../../app/src/db/rds-ca';
import { buildApp, HaApp } from '../../lib/app';
import { newApp } from '../support/synth';

/** The primary stack exactly as `cdk synth` builds it: cdk.json context, config defaults, AwsSolutions registered. */
describe('PrimaryStack (default config)', () => {
  let app: App;
  let built: HaApp;
  let template: Template;
  let synthError: unknown;

  beforeAll(() => {
    app = newApp();
    built = buildApp(app);
    try {
      app.synth();
    } catch (err) {
      synthError = err;
    }
    template = Template.fromStack(built.primary);
  });

  it('synthesises with AwsSolutions checks and CloudFormation Validate and no unacknowledged finding', () => {
    expect(synthError).toBeUndefined();
  });

  it('is in the configured primary region', () => {
    expect(built.primary.region).toBe(built.config.primaryRegion);
  });

  it('matches the snapshot', () => {
    expect(template.toJSON()).toMatchSnapshot();
  });

  it('runs at least 3 tasks over at least 3 zones', () => {
    const [service] = Object.values(template.findResources('AWS::ECS::Service'));
    expect(service.Properties.DesiredCount).toBeGreaterThanOrEqual(3);
    const subnets = service.Properties.NetworkConfiguration.AwsvpcConfiguration.Subnets as Array<{ Ref: string }>;
    const zones = new Set(subnets.map((s) => template.toJSON().Resources[s.Ref].Properties.AvailabilityZone));
    expect(zones.size).toBeGreaterThanOrEqual(3);
  });

  it('takes health checks, drain and stop timing from the service contract', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: SERVICE_PORT,
      HealthCheckPath: HEALTH_PATHS.ready,
      TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: String(DEREGISTRATION_DELAY_SECONDS) }]),
    });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [
        Match.objectLike({
          StopTimeout: STOP_TIMEOUT_SECONDS,
          HealthCheck: Match.objectLike({ Command: ['CMD', 'node', 'dist/healthcheck.js'] }),
          PortMappings: [Match.objectLike({ ContainerPort: SERVICE_PORT })],
        }),
      ],
    });
  });

  it('keeps the drain timing consistent: the service drains for less than the load balancer waits, and stops before SIGKILL', () => {
    expect(DRAIN_SECONDS).toBeLessThan(DEREGISTRATION_DELAY_SECONDS);
    expect(STOP_TIMEOUT_SECONDS).toBeGreaterThan(DRAIN_SECONDS);
    expect(STOP_TIMEOUT_SECONDS).toBeLessThanOrEqual(120);
  });

  it('detects a dead task within 10 s and marks it healthy again within 3 checks', () => {
    const [tg] = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup'));
    expect(tg.Properties.HealthCheckIntervalSeconds * tg.Properties.UnhealthyThresholdCount).toBeLessThanOrEqual(10);
    expect(tg.Properties.HealthyThresholdCount).toBeLessThanOrEqual(3);
  });

  it('has a NAT gateway in each of the three zones and flow logs', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 3);
    template.resourceCountIs('AWS::EC2::FlowLog', 1);
  });

  it('spreads the load balancer over three zones with zonal shift, access logs and invalid-header dropping', () => {
    const [lb] = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'));
    expect(lb.Properties.Subnets).toHaveLength(3);
    const attrs = Object.fromEntries(lb.Properties.LoadBalancerAttributes.map((a: { Key: string; Value: string }) => [a.Key, a.Value]));
    expect(attrs['zonal_shift.config.enabled']).toBe('true');
    expect(attrs['access_logs.s3.enabled']).toBe('true');
    expect(attrs['routing.http.drop_invalid_header_fields.enabled']).toBe('true');
  });

  it('scales with a floor of the desired count and at least one policy', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: built.config.service.desiredCount });
    expect(Object.keys(template.findResources('AWS::ApplicationAutoScaling::ScalingPolicy')).length).toBeGreaterThanOrEqual(1);
  });

  it('builds the image from app/Dockerfile, for the task architecture, from app sources and manifests only', () => {
    const assembly = app.synth();
    const assets = JSON.parse(readFileSync(path.join(assembly.directory, `${built.primary.artifactId}.assets.json`), 'utf8'));
    const images = Object.values(assets.dockerImages) as Array<{ source: { directory: string; dockerFile: string; platform: string } }>;
    expect(images).toHaveLength(1);
    expect(images[0].source).toMatchObject({ dockerFile: 'app/Dockerfile', platform: 'linux/amd64' });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RuntimePlatform: { CpuArchitecture: 'X86_64', OperatingSystemFamily: 'LINUX' },
    });
    // The staged build context holds the app and the lock file, never tests, docs or infrastructure code.
    const staged = listFiles(path.join(assembly.directory, images[0].source.directory));
    expect(staged).toEqual(expect.arrayContaining(['app/Dockerfile', 'app/package.json', 'app/src/server.ts', 'app/src/contract.ts', 'package-lock.json', 'package.json']));
    expect(staged.filter((f) => !/^(app\/(src\/|package\.json|tsconfig[^/]*\.json|Dockerfile)|package(-lock)?\.json$)/.test(f))).toEqual([]);
  });

  it('builds the image from a base pinned to the exact Node.js version the tests run on, and downloads nothing', () => {
    const dockerfile = readFileSync(path.join(__dirname, '../../app/Dockerfile'), 'utf8');
    const pinned = readFileSync(path.join(__dirname, '../../.node-version'), 'utf8').trim();
    const base = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1];
    expect(base).toMatch(new RegExp(`^public\\.ecr\\.aws/docker/library/node:${pinned.replaceAll('.', '\\.')}-bookworm-slim(@sha256:[0-9a-f]{64})?$`));
    const froms = dockerfile.match(/^FROM \S+/gm) ?? [];
    expect(froms.length).toBeGreaterThan(0);
    expect(froms.every((f) => f.startsWith('FROM ${NODE_IMAGE}'))).toBe(true);
    // No build step reaches the internet: ADD from a URL is gone (the RDS CAs come from the lock file).
    expect(dockerfile).not.toMatch(/^ADD\s+(--\S+\s+)*https?:/m);
  });

  it('answers /health/deep at the load balancer with 404, so the database state is not published to the internet', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Priority: 1,
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: [HEALTH_PATHS.deep] } }],
      Actions: [{ Type: 'fixed-response', FixedResponseConfig: Match.objectLike({ StatusCode: '404', ContentType: 'application/json' }) }],
    });
    // The target group's own health check is readiness, which the rule does not touch.
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { HealthCheckPath: HEALTH_PATHS.ready });
  });

  it("trusts, in the service, the certificate authority that signs the database's certificate in both regions", () => {
    // DB_TLS=verify-full checks the chain against app/src/db/rds-ca.ts; RDS signs with the CA the instance names.
    const [db] = Object.values(template.findResources('AWS::RDS::DBInstance'));
    const id = String(db!.Properties.CACertificateIdentifier);
    const [, kind, generation] = /^rds-ca-(rsa2048|rsa4096|ecc384)-(g\d)$/.exec(id) ?? [];
    expect(kind, `unexpected CA identifier ${id}`).toBeDefined();
    const subjects = RDS_CERTIFICATE_AUTHORITIES.map((pem) => new X509Certificate(pem).subject);
    for (const region of [built.config.primaryRegion, built.config.drRegion]) {
      const root = `CN=Amazon RDS ${region} Root CA ${kind!.toUpperCase()} ${generation!.toUpperCase()}`;
      expect(subjects.some((s) => s.includes(root)), root).toBe(true);
    }
  });
});

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(path.join(dir, entry.name), `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`],
  );
}

describe('PrimaryStack observability and chaos wiring', () => {
  let built: HaApp;
  let template: Template;

  beforeAll(() => {
    built = buildApp(newApp());
    template = Template.fromStack(built.primary);
  });

  it('rolls a deployment back when the fast-burn or 5xx-spike alarms fire', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      DeploymentConfiguration: Match.objectLike({ Alarms: { Enable: true, Rollback: true, AlarmNames: Match.anyValue() } }),
    });
    const [service] = Object.values(template.findResources('AWS::ECS::Service'));
    expect(service.Properties.DeploymentConfiguration.Alarms.AlarmNames.length).toBeGreaterThanOrEqual(2);
  });

  it('holds at least 8 burn-rate window alarms and 4 long-AND-short composites that notify the encrypted topic', () => {
    const metricMath = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((a) => Array.isArray(a.Properties.Metrics));
    expect(metricMath.length).toBeGreaterThanOrEqual(8);
    const composites = Object.values(template.findResources('AWS::CloudWatch::CompositeAlarm'));
    const pairs = composites.filter((c) => JSON.stringify(c.Properties.AlarmRule).includes(') AND ALARM('));
    expect(pairs.length).toBeGreaterThanOrEqual(4);
    expect(composites.some((c) => (c.Properties.AlarmActions ?? []).length > 0)).toBe(true);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('stops every chaos experiment on an SLO burn-rate alarm of this stack', () => {
    const alarmIds = new Set(Object.keys(template.findResources('AWS::CloudWatch::Alarm')));
    const experiments = Object.values(template.findResources('AWS::FIS::ExperimentTemplate'));
    expect(experiments).toHaveLength(3);
    for (const experiment of experiments) {
      const stops = experiment.Properties.StopConditions as Array<{ Source: string; Value: { 'Fn::GetAtt': [string, string] } }>;
      expect(stops.length).toBeGreaterThanOrEqual(1);
      for (const stop of stops) {
        expect(stop.Source).toBe('aws:cloudwatch:alarm');
        expect(alarmIds.has(stop.Value['Fn::GetAtt'][0])).toBe(true);
      }
    }
  });

  it("alarms on database connections at 80 % of the instance class's max_connections, and sizes each task's pool", () => {
    // db.m7g.large: 8 GiB; RDS for PostgreSQL allows LEAST(DBInstanceClassMemory / 9531392, 5000) = 901.
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((a) => a.Properties.MetricName === 'DatabaseConnections');
    expect(alarms).toHaveLength(1);
    expect(alarms[0]!.Properties.Threshold).toBe(720);
    const [taskDefinition] = Object.values(template.findResources('AWS::ECS::TaskDefinition'));
    expect(taskDefinition!.Properties.ContainerDefinitions[0].Environment).toContainEqual({ Name: 'DB_POOL_MAX', Value: String(DB_POOL_MAX) });
  });

  it('fails over the stack database and cuts off the configured zone', () => {
    const experiments = Object.values(template.findResources('AWS::FIS::ExperimentTemplate'));
    const failover = experiments.find((e) => JSON.stringify(e.Properties.Actions).includes('aws:rds:reboot-db-instances'))!;
    expect(JSON.stringify(failover.Properties.Targets.Database.ResourceArns)).toContain(built.primary.getLogicalId(built.primary.database.instance!.node.defaultChild as never));
    const zone = experiments.find((e) => JSON.stringify(e.Properties.Actions).includes('aws:network:disrupt-connectivity'))!;
    const subnetRefs = JSON.stringify(zone.Properties.Targets.ZoneSubnets.ResourceArns);
    const resources = template.toJSON().Resources;
    const zones = Object.entries(resources)
      .filter(([id, r]) => (r as { Type: string }).Type === 'AWS::EC2::Subnet' && subnetRefs.includes(`"${id}"`))
      .map(([, r]) => (r as { Properties: { AvailabilityZone: string } }).Properties.AvailabilityZone);
    expect(zones).toEqual([built.config.chaos.zone, built.config.chaos.zone]);
  });

  it('schedules the experiments weekly', () => {
    template.resourceCountIs('AWS::Scheduler::Schedule', 3);
  });
});

describe('PrimaryStack with overrides', () => {
  it('follows the region, zones and sizes given with -c ha=...', () => {
    const app = newApp({
      ha: JSON.stringify({
        primaryRegion: 'eu-west-1',
        drRegion: 'eu-central-1',
        availabilityZones: ['eu-west-1a', 'eu-west-1b'],
        service: { cpu: 1024, memoryMiB: 2048, desiredCount: 4, maxCount: 8 },
      }),
    });
    const { primary } = buildApp(app);
    const template = Template.fromStack(primary);
    expect(primary.region).toBe('eu-west-1');
    template.resourceCountIs('AWS::EC2::NatGateway', 2);
    template.hasResourceProperties('AWS::ECS::Service', { DesiredCount: 4 });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', { Cpu: '1024', Memory: '2048' });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 4, MaxCapacity: 8 });
  });

  it('mirrors the SLOs into Application Signals only when asked, still clean under every check', () => {
    expect(Template.fromStack(buildApp(newApp()).primary).findResources('AWS::ApplicationSignals::ServiceLevelObjective')).toEqual({});
    const app = newApp({ ha: { slo: { applicationSignals: true } } });
    const { primary } = buildApp(app);
    Template.fromStack(primary).resourceCountIs('AWS::ApplicationSignals::ServiceLevelObjective', 2);
    expect(() => app.synth()).not.toThrow();
  });

  it('fails synthesis with the config message for a bad value', () => {
    const app = newApp({ ha: { drRegion: 'us-east-1' } });
    expect(() => buildApp(app)).toThrow(/drRegion must differ from primaryRegion/);
  });
});
