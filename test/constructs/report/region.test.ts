/**
 * The lost-region recovery per DR strategy: on a hand-written two-region cloud assembly (a primary site and a
 * warm-standby site with a replica, a canary, a Route 53 health check and a failover record pair), on variants of
 * it that remove or move one piece, and on this project's app synthesised with each dr.strategy.
 */
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CfnResource, CfnTemplate } from '@ha-reference/constructs/pure';
import { buildReport, LoadedInput, loadInput, LostRegionRecovery, lostRegionRecovery, regionalDatabases, REGION_FIGURES, renderMarkdown } from '@ha-reference/constructs/report';
import { DrSiteStack } from '../../../lib/dr-site-stack';
import { synthApp } from '../../support/synth';

const assembly = path.join(__dirname, 'fixtures', 'dr-assembly');

/** The fixture assembly, with each stack's template changed by `edit` (a deep copy: the fixture is not touched). */
function variant(edit: (templates: { primary: Record<string, CfnResource>; dr: Record<string, CfnResource> }) => void): LoadedInput {
  const input = loadInput(assembly);
  const stacks = input.stacks.map((s) => ({ ...s, template: JSON.parse(JSON.stringify(s.template)) as CfnTemplate }));
  const res = (name: string) => stacks.find((s) => s.name === name)!.template.Resources as Record<string, CfnResource>;
  edit({ primary: res('Primary'), dr: res('DrSite') });
  return { ...input, stacks };
}

const recoveryOf = (input: LoadedInput): LostRegionRecovery => lostRegionRecovery(input.stacks, regionalDatabases(input.stacks));
const term = (r: LostRegionRecovery, name: string) => r.rto.find((t) => t.term === name)!;
const setProps = (resource: CfnResource, changes: Record<string, unknown>) => Object.assign(resource.Properties as Record<string, unknown>, changes);

describe('lost region on the hand-written warm-standby assembly', () => {
  const report = buildReport(loadInput(assembly));
  const region = report.lostRegion;

  it('detects warm standby from the cross-region replica and the standby service with running tasks', () => {
    expect(region).toMatchObject({ strategy: 'warm-standby', primaryRegion: 'us-east-1', drRegion: 'us-west-2' });
    expect(region.strategyEvidence).toMatch(/DrSite\/Replica .*us-east-1.*DrSite\/Service DesiredCount 2/);
  });

  it('adds detection (health check 10 s × 2), promotion (assumed), scaling 2 → 4 tasks and the failover TTL', () => {
    expect(region.rto.map((t) => [t.term, t.seconds, t.assumption])).toEqual([
      ['detection', 20, false],
      ['promotion', REGION_FIGURES.replicaPromotionSeconds, true],
      // 60 s task start (assumed) + the standby target group's 3 healthy checks 10 s apart.
      ['scaling', REGION_FIGURES.taskStartSeconds + 30, true],
      // The longer TTL of the pair: resolvers keep the PRIMARY answer for its 45 s.
      ['dns', 45, false],
    ]);
    expect(region.rtoSeconds).toBe(20 + 600 + 90 + 45);
    expect(region.rtoKnownSeconds).toBe(region.rtoSeconds);
    expect(report.recovery.find((r) => r.failure === 'lost region')).toMatchObject({ detectSeconds: 20, recoverSeconds: 755, rpoSeconds: 120 });
  });

  it('bounds the RPO by the threshold of the replica lag alarm', () => {
    expect(region.rpo).toMatchObject({ term: 'data', seconds: 120, assumption: false });
    expect(region.rpoSeconds).toBe(120);
  });

  it('names the template and resource of every figure read, and the AWS page of every assumption', () => {
    const dr = path.join(assembly, 'DrSite.template.json');
    expect(term(region, 'detection').source).toBe(`${dr}: HealthCheck (HealthCheckConfig.RequestInterval 10 s × FailureThreshold 2)`);
    expect(term(region, 'promotion').source).toBe(`assumption: ${REGION_FIGURES.replicaPromotionUrl}`);
    expect(term(region, 'scaling').source).toContain(`${dr}: Service DesiredCount 2, TargetGroup (HealthCheckIntervalSeconds 10 × HealthyThresholdCount 3)`);
    expect(term(region, 'scaling').source).toContain(`${path.join(assembly, 'Primary.template.json')}: Service DesiredCount 4`);
    expect(term(region, 'dns').source).toBe(`${dr}: PrimaryRecord (Failover PRIMARY, TTL 45 s), ${dr}: SecondaryRecord (Failover SECONDARY, TTL 30 s)`);
    expect(region.rpo.source).toBe(`${dr}: LagAlarm (ReplicaLag Threshold 120 s)`);
    for (const t of [...region.rto, region.rpo]) expect(t.assumption ? /^assumption: https:\/\/|assumption: https:\/\//.test(t.source) : t.source.length > 0).toBe(true);
  });

  it('shows the strategy, RTO, RPO and each term with its source in Markdown and in the JSON', () => {
    const markdown = renderMarkdown(report);
    expect(markdown).toContain('### Lost region');
    expect(markdown).toContain('Strategy: **warm-standby**');
    expect(markdown).toMatch(/Loss of us-east-1, recovered in us-west-2: RTO \*\*13 min\*\*, RPO \*\*2 min\*\*/);
    expect(markdown).toMatch(/\| promotion \| 10 min \(assumed\) \| .* \| assumption: https:\/\/docs\.aws\.amazon\.com\/AmazonRDS\/latest\/UserGuide\/USER_ReadRepl\.Promote\.html \|/);
    const json = JSON.parse(JSON.stringify(report)) as { lostRegion: LostRegionRecovery };
    expect(json.lostRegion).toMatchObject({ strategy: 'warm-standby', rtoSeconds: 755, rpoSeconds: 120 });
    expect(Object.keys(json.lostRegion.rto[0]).sort()).toEqual(['assumption', 'basis', 'seconds', 'source', 'term']);
  });
});

describe('lost region on variants of the assembly', () => {
  it('without the health check: detection by the canary in the DR region, rate 2 min × 2 datapoints; DNS manual', () => {
    const region = recoveryOf(
      variant(({ dr }) => {
        delete dr.HealthCheck;
        delete (dr.PrimaryRecord.Properties as Record<string, unknown>).HealthCheckId;
      }),
    );
    expect(term(region, 'detection')).toMatchObject({ seconds: 240, assumption: false });
    expect(term(region, 'detection').source).toMatch(/Canary \(Schedule rate\(2 minutes\)\) and CanaryAlarm \(CloudWatchSynthetics SuccessPercent, DatapointsToAlarm 2, Period 60 s\)/);
    // A PRIMARY record without a health check never fails over by itself.
    expect(term(region, 'dns')).toMatchObject({ seconds: null, basis: expect.stringMatching(/never fails over by itself/) });
    expect(region.rtoSeconds).toBeNull();
    expect(region.rtoKnownSeconds).toBe(240 + 600 + 90);
  });

  it('a canary that pages nobody, or that runs in the region it watches, detects nothing: "none: manual"', () => {
    const silent = recoveryOf(
      variant(({ dr }) => {
        delete dr.HealthCheck;
        delete (dr.CanaryAlarm.Properties as Record<string, unknown>).AlarmActions;
      }),
    );
    expect(term(silent, 'detection')).toMatchObject({ seconds: null, basis: expect.stringMatching(/^none: manual/) });

    const inside = recoveryOf(
      variant(({ primary, dr }) => {
        delete dr.HealthCheck;
        primary.Canary = dr.Canary;
        primary.CanaryAlarm = dr.CanaryAlarm;
        setProps(primary.Canary, { RunConfig: { EnvironmentVariables: { TARGET_URL: { 'Fn::GetAtt': ['LoadBalancer', 'DNSName'] } } } });
        delete dr.Canary;
        delete dr.CanaryAlarm;
      }),
    );
    expect(term(inside, 'detection').seconds).toBeNull();
    expect(inside.rtoSeconds).toBeNull();
  });

  it("a canary in the DR region that probes the DR site's own load balancer does not detect the primary's loss", () => {
    const region = recoveryOf(
      variant(({ dr }) => {
        delete dr.HealthCheck;
        setProps(dr.Canary, { RunConfig: { EnvironmentVariables: { TARGET_URL: { 'Fn::GetAtt': ['StandbyLoadBalancer', 'DNSName'] } } } });
      }),
    );
    expect(term(region, 'detection').seconds).toBeNull();
  });

  it("prefers the health check the PRIMARY record reads over a faster one on another endpoint", () => {
    const region = recoveryOf(
      variant(({ dr }) => {
        dr.StandbyCheck = {
          Type: 'AWS::Route53::HealthCheck',
          Properties: { HealthCheckConfig: { Type: 'HTTPS', FullyQualifiedDomainName: { 'Fn::GetAtt': ['StandbyLoadBalancer', 'DNSName'] }, RequestInterval: 10, FailureThreshold: 1 } },
        };
        setProps(dr.SecondaryRecord, { HealthCheckId: { Ref: 'StandbyCheck' } });
      }),
    );
    expect(term(region, 'detection')).toMatchObject({ seconds: 20, source: expect.stringMatching(/: HealthCheck \(/) });
  });

  it('pilot light: the standby service at DesiredCount 0 starts all four tasks', () => {
    const region = recoveryOf(variant(({ dr }) => setProps(dr.Service, { DesiredCount: 0 })));
    expect(region.strategy).toBe('pilot-light');
    expect(term(region, 'scaling')).toMatchObject({ seconds: 90, basis: expect.stringMatching(/from 0 tasks \(pilot light\) to the primary's 4/) });
    expect(region.rtoSeconds).toBe(20 + 600 + 90 + 45);
  });

  it('pilot light without a standby service: deploying the service is an assumption', () => {
    const region = recoveryOf(variant(({ dr }) => delete dr.Service));
    expect(region.strategy).toBe('pilot-light');
    expect(term(region, 'scaling')).toMatchObject({ seconds: REGION_FIGURES.serviceDeploySeconds, assumption: true });
  });

  it('warm standby already at the primary capacity: scaling takes nothing', () => {
    const region = recoveryOf(variant(({ dr }) => setProps(dr.Service, { DesiredCount: 4 })));
    expect(term(region, 'scaling')).toMatchObject({ seconds: 0, assumption: false });
    expect(region.rtoSeconds).toBe(20 + 600 + 0 + 45);
  });

  it('an alias failover record (no TTL) counts the fixed 60 s of ELB aliases, as an assumption', () => {
    const region = recoveryOf(
      variant(({ dr }) => {
        const p = dr.PrimaryRecord.Properties as Record<string, unknown>;
        delete p.TTL;
        delete p.ResourceRecords;
        p.AliasTarget = { DNSName: 'primary-123.us-east-1.elb.amazonaws.com', HostedZoneId: 'Z35SXDOTRQ7X7K', EvaluateTargetHealth: true };
      }),
    );
    expect(term(region, 'dns')).toMatchObject({ seconds: 60, assumption: true });
    expect(term(region, 'dns').source).toContain(REGION_FIGURES.elbAliasTtlUrl);
  });

  it('a replica without a lag alarm: the RPO is an assumption, named as one', () => {
    const region = recoveryOf(variant(({ dr }) => delete dr.LagAlarm));
    expect(region.rpo).toMatchObject({ seconds: REGION_FIGURES.replicaRpoSeconds, assumption: true });
    expect(region.rpo.source).toContain(`has no ReplicaLag alarm; assumption: ${REGION_FIGURES.replicaRpoUrl}`);
  });

  it('backup-restore: no replica, replicated automated backups; restore and redeployment are assumptions', () => {
    const region = recoveryOf(
      variant(({ primary, dr }) => {
        delete dr.Replica;
        delete dr.LagAlarm;
        setProps(primary.Database, { AutomaticBackupReplicationRegion: 'us-west-2' });
      }),
    );
    expect(region.strategy).toBe('backup-restore');
    expect(region.rto.map((t) => [t.term, t.seconds])).toEqual([
      ['detection', 20],
      ['restore', REGION_FIGURES.restoreSeconds],
      ['redeployment', REGION_FIGURES.redeploySeconds],
      ['dns', 45],
    ]);
    expect(region.rpo).toMatchObject({ seconds: 300, assumption: true });
    expect(region.rpo.source).toContain(REGION_FIGURES.replicatedBackupUrl);
  });

  it('no strategy: no replica and no copy outside the region loses the data', () => {
    const region = recoveryOf(
      variant(({ dr }) => {
        delete dr.Replica;
        delete dr.LagAlarm;
      }),
    );
    expect(region.strategy).toBe('none');
    expect(region.rpoSeconds).toBeNull();
    expect(term(region, 'restore').seconds).toBeNull();
    expect(region.rpo.source).toBe('Primary/Database: no copy outside the region, data lost');
  });
});

describe("lost region on this project's app, per dr.strategy", () => {
  const reports: Record<string, ReturnType<typeof buildReport>> = {};
  beforeAll(() => {
    for (const strategy of ['backup-restore', 'pilot-light', 'warm-standby']) {
      const { app, synthError } = synthApp({ ha: { dr: { strategy } } });
      expect(synthError).toBeUndefined();
      reports[strategy] = buildReport(loadInput(app.synth().directory));
    }
  }, 120_000);

  it('backup-restore: nothing outside us-east-1 watches it; RPO 5 min from the replicated automated backups', () => {
    const region = reports['backup-restore'].lostRegion;
    expect(region.strategy).toBe('backup-restore');
    expect(term(region, 'detection').seconds).toBeNull();
    expect(region.rpoSeconds).toBe(REGION_FIGURES.replicatedBackupRpoSeconds);
    expect(region.rpo.source).toMatch(/HaPrimary\/DatabaseInstance[0-9A-F]{8}: AutomaticBackupReplicationRegion/);
  });

  it('pilot light: the canary in us-west-2 detects in rate × failures; the standby service starts from 0', () => {
    const region = reports['pilot-light'].lostRegion;
    expect(region).toMatchObject({ strategy: 'pilot-light', primaryRegion: 'us-east-1', drRegion: 'us-west-2' });
    expect(term(region, 'detection').seconds).toBe(DrSiteStack.CANARY_RATE_MINUTES * 60 * DrSiteStack.CANARY_FAILURES_TO_ALARM);
    expect(term(region, 'detection').source).toMatch(/HaDrSite\.template\.json: PrimaryProbeCanary[0-9A-F]{8} \(Schedule rate\(1 minute\)\) and PrimaryProbeAlarm[0-9A-F]{8}/);
    // 60 s task start (assumed) + 2 healthy checks 5 s apart on the standby target group.
    expect(term(region, 'scaling').seconds).toBe(70);
    expect(region.rpo).toMatchObject({ seconds: DrSiteStack.REPLICA_LAG_ALARM_SECONDS, assumption: false });
  });

  it('warm standby: one task per zone, as many as the primary runs, serve at once', () => {
    const region = reports['warm-standby'].lostRegion;
    expect(region.strategy).toBe('warm-standby');
    expect(term(region, 'scaling')).toMatchObject({ seconds: 0 });
    expect(term(region, 'promotion').seconds).toBe(REGION_FIGURES.replicaPromotionSeconds);
  });

  it('pilot light without dns: the guard adds nothing, the canary alarm that detects is the runbook\'s guard', () => {
    expect(reports['pilot-light'].lostRegion.rto.map((t) => t.term)).toEqual(['detection', 'promotion', 'scaling', 'dns']);
  });

  it('warm standby with dns: Route 53 detects in 30 s, the runbook waits for its canary guard (180 s), then promotion and the 60 s TTL', () => {
    const { app, synthError } = synthApp({ ha: { dns: { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com', recordName: 'api.example.com' }, dr: { strategy: 'warm-standby' } } });
    expect(synthError).toBeUndefined();
    const region = buildReport(loadInput(app.synth().directory)).lostRegion;
    expect(region.rto.map((t) => [t.term, t.seconds])).toEqual([
      ['detection', 30],
      ['guard', 150],
      ['promotion', REGION_FIGURES.replicaPromotionSeconds],
      ['scaling', 0],
      ['dns', 60],
    ]);
    expect(term(region, 'guard').source).toMatch(/HaDrSite\.template\.json: FailoverDocument[0-9A-F]{8} \(step AssertPrimaryDown, DescribeAlarms PrimaryProbeAlarm[0-9A-F]{8}\)/);
    expect(region.rtoSeconds).toBe(30 + 150 + REGION_FIGURES.replicaPromotionSeconds + 60);
  });

  it('every strategy without dns config leaves the DNS step to a person, so the RTO is manual with a lower bound', () => {
    for (const report of Object.values(reports)) {
      expect(term(report.lostRegion, 'dns').seconds).toBeNull();
      expect(report.lostRegion.rtoSeconds).toBeNull();
      expect(report.lostRegion.rtoKnownSeconds).toBeGreaterThan(0);
    }
  });
});
