import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { containerEnvironment, detectionBoundSeconds, healthCheckFromTemplate, type CfnTemplate } from '../../../tools/rehearsal/template';
import { renderHaproxyConfig } from '../../../tools/rehearsal/haproxy-config';

const targetGroup = (props: Record<string, unknown>) => ({ Type: 'AWS::ElasticLoadBalancingV2::TargetGroup', Properties: { Protocol: 'HTTP', ...props } });

const template: CfnTemplate = {
  Resources: {
    Tg: targetGroup({
      HealthCheckPath: '/health/ready',
      HealthCheckIntervalSeconds: 5,
      HealthCheckTimeoutSeconds: 4,
      HealthyThresholdCount: 2,
      UnhealthyThresholdCount: 2,
      Matcher: { HttpCode: '200' },
      TargetGroupAttributes: [
        { Key: 'deregistration_delay.timeout_seconds', Value: '30' },
        { Key: 'stickiness.enabled', Value: 'false' },
      ],
    }),
    Task: {
      Type: 'AWS::ECS::TaskDefinition',
      Properties: {
        ContainerDefinitions: [
          {
            Environment: [
              { Name: 'NODE_ENV', Value: 'production' },
              { Name: 'DB_HOST', Value: { 'Fn::GetAtt': ['Db', 'Endpoint.Address'] } },
              { Name: 'DB_TLS', Value: 'verify-full' },
            ],
          },
        ],
      },
    },
  },
};

describe('healthCheckFromTemplate', () => {
  it('reads the health check and the deregistration delay of the one target group', () => {
    expect(healthCheckFromTemplate(template)).toEqual({
      targetGroup: 'Tg',
      path: '/health/ready',
      intervalSeconds: 5,
      timeoutSeconds: 4,
      healthyThreshold: 2,
      unhealthyThreshold: 2,
      matcher: '200',
      deregistrationDelaySeconds: 30,
    });
  });

  it("uses Elastic Load Balancing's defaults for what the template leaves out", () => {
    expect(healthCheckFromTemplate({ Resources: { Tg: targetGroup({}) } })).toMatchObject({
      path: '/',
      intervalSeconds: 30,
      timeoutSeconds: 5,
      healthyThreshold: 5,
      unhealthyThreshold: 2,
      matcher: '200',
      deregistrationDelaySeconds: 300,
    });
  });

  it('refuses a template with no or several HTTP target groups', () => {
    expect(() => healthCheckFromTemplate({ Resources: {} })).toThrow(/exactly one HTTP target group.*found 0/);
    expect(() => healthCheckFromTemplate({ Resources: { A: targetGroup({}), B: targetGroup({}) } })).toThrow(/found 2: A, B/);
  });

  it('ignores a TCP target group (a network load balancer is not what the service sits behind)', () => {
    expect(healthCheckFromTemplate({ Resources: { ...template.Resources, Nlb: targetGroup({ Protocol: 'TCP' }) } }).targetGroup).toBe('Tg');
  });

  it('refuses a value that is a token rather than a literal', () => {
    const t = { Resources: { Tg: targetGroup({ HealthCheckIntervalSeconds: { Ref: 'Interval' } }) } };
    expect(() => healthCheckFromTemplate(t)).toThrow(/Tg health check must be a literal in the template, got {"Ref":"Interval"}/);
  });

  it('refuses a timeout that is not shorter than the interval (ELB rejects it too)', () => {
    const t = { Resources: { Tg: targetGroup({ HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 5 }) } };
    expect(() => healthCheckFromTemplate(t)).toThrow(/must be less than HealthCheckIntervalSeconds/);
  });
});

describe('detectionBoundSeconds', () => {
  it('is unhealthyThreshold intervals plus one timeout', () => {
    expect(detectionBoundSeconds(healthCheckFromTemplate(template))).toBe(14);
  });
});

describe('containerEnvironment', () => {
  it('keeps literal variables and leaves out tokens', () => {
    expect(containerEnvironment(template)).toEqual({ NODE_ENV: 'production', DB_TLS: 'verify-full' });
  });
});

describe('the synthesised template', () => {
  const file = path.join(__dirname, '..', '..', '..', 'cdk.out', 'HaPrimary.template.json');

  it.runIf(existsSync(file))('gives HAProxy the same health check settings as the ALB target group', () => {
    // GIVEN the primary stack as `cdk synth` wrote it
    const synthesised = JSON.parse(readFileSync(file, 'utf8')) as CfnTemplate;
    const hc = healthCheckFromTemplate(synthesised);
    // WHEN the HAProxy configuration is generated from it
    const cfg = renderHaproxyConfig({ frontendPort: 1, slots: [{ name: 's', port: 2 }], healthCheck: hc, statsSocket: '/s' });
    // THEN every value in the check line is the template's
    expect(cfg).toContain(`uri ${hc.path} `);
    expect(cfg).toContain(`inter ${hc.intervalSeconds}s`);
    expect(cfg).toContain(`rise ${hc.healthyThreshold} fall ${hc.unhealthyThreshold}`);
    expect(cfg).toContain(`timeout check ${hc.timeoutSeconds}s`);
  });
});
