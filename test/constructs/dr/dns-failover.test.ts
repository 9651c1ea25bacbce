import { Duration, Fn } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { describe, expect, it } from 'vitest';
import { DnsFailover, type DnsFailoverProps } from '@ha-reference/constructs';
import { newStack } from '../../support/synth';

function build(overrides: Partial<DnsFailoverProps> = {}) {
  const stack = newStack();
  const failover = new DnsFailover(stack, 'Dns', {
    hostedZone: route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com' }),
    recordName: 'api.example.com',
    // Cross-region values arrive as tokens: the construct must take them.
    primaryDnsName: Fn.getStackOutput('HaPrimary', 'LoadBalancerDnsName', 'us-east-1'),
    secondaryDnsName: 'standby-123.us-west-2.elb.amazonaws.com',
    healthCheck: { path: '/health/ready' },
    ...overrides,
  });
  return { stack, failover, template: Template.fromStack(stack) };
}

describe('DnsFailover', () => {
  it('answers with the primary while its health check passes, else the secondary, both with a 60 s TTL', () => {
    const { template } = build();
    const records = template.findResources('AWS::Route53::RecordSet');
    const byFailover = Object.fromEntries(Object.values(records).map((r) => [r.Properties.Failover, r.Properties]));
    expect(Object.keys(byFailover).sort()).toEqual(['PRIMARY', 'SECONDARY']);
    for (const record of Object.values(byFailover)) {
      expect(record).toMatchObject({ Name: 'api.example.com.', Type: 'CNAME', TTL: '60', HostedZoneId: 'Z0123456789ABCDEFGHIJ' });
    }
    expect(byFailover.PRIMARY.ResourceRecords).toEqual([{ 'Fn::GetStackOutput': { StackName: 'HaPrimary', Region: 'us-east-1', OutputName: 'LoadBalancerDnsName' } }]);
    expect(byFailover.PRIMARY.HealthCheckId).toEqual({ Ref: expect.stringMatching(/^DnsPrimaryHealthCheck/) });
    expect(byFailover.SECONDARY.ResourceRecords).toEqual(['standby-123.us-west-2.elb.amazonaws.com']);
    // No health check on the secondary: it answers as soon as the primary is seen down.
    expect(byFailover.SECONDARY.HealthCheckId).toBeUndefined();
    expect(byFailover.PRIMARY.SetIdentifier).not.toEqual(byFailover.SECONDARY.SetIdentifier);
  });

  it('probes the primary over HTTPS every 10 s, 3 failures to change: detection 30 s', () => {
    const { template, failover } = build();
    template.resourceCountIs('AWS::Route53::HealthCheck', 1);
    template.hasResourceProperties('AWS::Route53::HealthCheck', {
      HealthCheckConfig: Match.objectLike({
        Type: 'HTTPS',
        Port: 443,
        ResourcePath: '/health/ready',
        RequestInterval: 10,
        FailureThreshold: 3,
        FullyQualifiedDomainName: { 'Fn::GetStackOutput': Match.objectLike({ OutputName: 'LoadBalancerDnsName' }) },
      }),
    });
    expect(failover.detectionTime.toSeconds()).toBe(30);
    expect(failover.ttl.toSeconds()).toBe(60);
  });

  it('takes HTTP on port 80, a 30 s interval, another threshold and TTL', () => {
    const { template, failover } = build({ healthCheck: { path: '/ready', protocol: 'HTTP', interval: Duration.seconds(30), failureThreshold: 2 }, ttl: Duration.seconds(30) });
    template.hasResourceProperties('AWS::Route53::HealthCheck', {
      HealthCheckConfig: Match.objectLike({ Type: 'HTTP', Port: 80, ResourcePath: '/ready', RequestInterval: 30, FailureThreshold: 2 }),
    });
    template.allResourcesProperties('AWS::Route53::RecordSet', { TTL: '30' });
    expect(failover.detectionTime.toSeconds()).toBe(60);
  });

  const invalid: [string, Partial<DnsFailoverProps>, RegExp][] = [
    ['an interval Route 53 does not offer', { healthCheck: { path: '/health/ready', interval: Duration.seconds(15) } }, /^healthCheck.interval must be 10 or 30 seconds \(Route 53 RequestInterval\), got 15 seconds$/],
    ['a failure threshold above 10', { healthCheck: { path: '/health/ready', failureThreshold: 11 } }, /^healthCheck.failureThreshold must be an integer between 1 and 10, got 11$/],
    ['a path without a leading slash', { healthCheck: { path: 'health' } }, /^healthCheck.path must start with "\/" .* got "health"$/],
    ['a TTL of 0', { ttl: Duration.seconds(0) }, /^ttl must be a whole number of seconds from 1 to 86400, got 0 seconds$/],
    ['a record at the apex', { recordName: 'example.com' }, /^recordName must be a name inside the zone "example.com" other than its apex .* got "example.com"$/],
    ['a record outside the zone', { recordName: 'api.example.org' }, /^recordName must be a name inside the zone "example.com" .* got "api.example.org"$/],
  ];
  it.each(invalid)('rejects %s, naming the prop and the value', (_name, overrides, message) => {
    expect(() => build(overrides)).toThrow(message);
  });
});
