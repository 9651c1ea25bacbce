import { describe, expect, it } from 'vitest';
import { ConfigError, fargateMemoryOptions, parseConfig } from '../../lib/config';
import { cdkJsonContext } from '../support/synth';

describe('parseConfig', () => {
  it('fills every default when given nothing', () => {
    const config = parseConfig(undefined);
    expect(config).toMatchObject({
      primaryRegion: 'us-east-1',
      drRegion: 'us-west-2',
      availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
      natGateways: 3,
      service: { cpu: 512, memoryMiB: 1024, desiredCount: 3, maxCount: 12 },
    });
    expect(config.certificateArn).toBeUndefined();
    expect(config.alarmEmail).toBeUndefined();
  });

  it('defaults the SLOs and the weekly chaos schedule', () => {
    const config = parseConfig({});
    expect(config.slo.availability.target).toBe(0.999);
    expect(config.slo.latency).toMatchObject({ target: 0.99, thresholdMs: 300 });
    expect(config.slo.applicationSignals).toBe(false);
    expect(config.chaos).toEqual({
      schedule: true,
      scheduledExperiments: ['taskLoss', 'databaseFailover', 'azLoss'],
      timeZone: 'America/New_York',
      cron: { taskLoss: 'cron(0 10 ? * TUE *)', databaseFailover: 'cron(0 10 ? * WED *)', azLoss: 'cron(0 10 ? * THU *)' },
      zoneOutageMinutes: 5,
      zone: 'us-east-1a',
    });
  });

  it('accepts the cdk.json defaults unchanged', () => {
    const raw = cdkJsonContext().ha as Record<string, unknown>;
    const config = parseConfig(raw);
    expect(config.primaryRegion).toBe(raw.primaryRegion);
    expect(config.availabilityZones).toEqual(raw.availabilityZones);
    expect(config.slo).toEqual(parseConfig({}).slo);
    expect(config.chaos).toEqual(parseConfig({}).chaos);
  });

  it('parses a JSON string, as `-c ha=...` passes it', () => {
    const config = parseConfig('{"primaryRegion":"eu-west-1","drRegion":"eu-central-1"}');
    expect(config.primaryRegion).toBe('eu-west-1');
    expect(config.availabilityZones).toEqual(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
  });

  it('derives desired count from the zone count when only zones are given', () => {
    const config = parseConfig({ availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d'] });
    expect(config.service.desiredCount).toBe(4);
    expect(config.natGateways).toBe(4);
  });

  it('accepts an ACM certificate in the primary region and an e-mail', () => {
    const config = parseConfig({
      certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abcd-1234',
      alarmEmail: 'oncall@example.com',
    });
    expect(config.certificateArn).toContain(':certificate/');
    expect(config.alarmEmail).toBe('oncall@example.com');
  });

  describe('rejects bad values with a message naming the key, the value and what is allowed', () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['unparseable JSON', '{nope', /context "ha" must be a JSON object/],
      ['a non-object', 42, /context "ha" must be an object, got 42/],
      ['DR region equal to the primary', { drRegion: 'us-east-1' }, /drRegion must differ from primaryRegion \(both are "us-east-1"\)/],
      ['a malformed region', { primaryRegion: 'mars-1' }, /primaryRegion must be an AWS region name .* got "mars-1"/],
      ['fewer than 2 zones', { availabilityZones: ['us-east-1a'] }, /availabilityZones must list at least 2 zones .* got 1/],
      ['duplicate zones', { availabilityZones: ['us-east-1a', 'us-east-1a', 'us-east-1b'] }, /availabilityZones must not repeat a zone, got "us-east-1a" twice/],
      ['a zone outside the region', { availabilityZones: ['us-east-1a', 'us-west-2b'] }, /availabilityZones must be zones of primaryRegion "us-east-1" .* got "us-west-2b"/],
      ['zones not a list', { availabilityZones: 'us-east-1a' }, /availabilityZones must be a list of zone names/],
      ['no NAT gateway', { natGateways: 0 }, /natGateways must be an integer between 1 and 3, got 0/],
      ['more NAT gateways than zones', { natGateways: 4 }, /natGateways must be an integer between 1 and 3, got 4/],
      ['an invalid Fargate CPU', { service: { cpu: 300 } }, /service.cpu must be one of 256, 512, .* got 300/],
      ['memory that does not fit the CPU', { service: { cpu: 256, memoryMiB: 4096 } }, /service.memoryMiB must be a Fargate size for 256 CPU units .* got 4096/],
      ['desired count below the zone count', { service: { desiredCount: 2 } }, /service.desiredCount must be at least the number of Availability Zones \(3\) .* got 2/],
      ['a fractional desired count', { service: { desiredCount: 3.5 } }, /service.desiredCount must be an integer between 1 and 1000, got 3.5/],
      ['max count below desired', { service: { desiredCount: 6, maxCount: 4 } }, /service.maxCount must be at least service.desiredCount \(6\), got 4/],
      [
        'pools that cannot fit the database at the peak of a deployment',
        { database: { instanceClass: 'db.t4g.micro' } },
        /service.maxCount × 2 \(deployments run up to 200 %\) × 10 connections per task = 240 exceeds the 107 connections database.instanceClass "db.t4g.micro" allows/,
      ],
      ['a string where a number belongs', { service: { cpu: '512' } }, /service.cpu must be an integer between 256 and 16384, got "512"/],
      ['a certificate that is not an ACM ARN', { certificateArn: 'my-cert' }, /certificateArn must be an ACM certificate ARN .* got "my-cert"/],
      ['a certificate in another region', { certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abcd' }, /certificateArn must be in primaryRegion "us-east-1" .* "eu-west-1"/],
      ['a malformed e-mail', { alarmEmail: 'oncall' }, /alarmEmail must be an e-mail address, got "oncall"/],
      ['an SLO target of 1.5', { slo: { availability: { target: 1.5 } } }, /slo.availability.target .*0.9.*0.9999.*1.5/],
      ['an SLO target of 99.999 %', { slo: { latency: { target: 0.99999 } } }, /slo.latency.target .*0.99999/],
      ['an Application Signals switch that is not a boolean', { slo: { applicationSignals: 'on' } }, /slo.applicationSignals must be true or false, got "on"/],
      ['burn-rate tiers from JSON', { slo: { tiers: [] } }, /slo accepts only "availability", "latency", "minimumRequests" and "applicationSignals"/],
      ['an invalid chaos cron', { chaos: { cron: { taskLoss: 'cron(0 10 * * TUE)' } } }, /chaos.cron.taskLoss must have 6 fields .* got "cron\(0 10 \* \* TUE\)"/],
      ['an unknown chaos experiment', { chaos: { cron: { meteor: 'cron(0 10 ? * TUE *)' } } }, /chaos.cron has no experiment "meteor"/],
      ['an unknown time zone', { chaos: { timeZone: 'Mars/Base' } }, /chaos.timeZone must be an IANA time zone name .* got "Mars\/Base"/],
      ['an outage over 12 hours', { chaos: { zoneOutageMinutes: 800 } }, /chaos.zoneOutageMinutes must be a whole number of minutes from 1 to 720 .* got 800/],
      ['a chaos zone outside the configured zones', { chaos: { zone: 'us-east-1f' } }, /chaos.zone must be one of availabilityZones .* got "us-east-1f"/],
      ['a schedule switch that is not a boolean', { chaos: { schedule: 'yes' } }, /chaos.schedule must be true or false, got "yes"/],
      ['a misspelt top-level key', { servce: { cpu: 1024 } }, /^servce is not a key of context "ha": did you mean service\? \(known keys: primaryRegion, .*\)$/],
      ['a misspelt nested key', { database: { instanceClas: 'db.m7g.large' } }, /^database.instanceClas is not a key of database: did you mean database.instanceClass\?/],
      ['a key deep in the vault lock', { dr: { vaultLock: { minRetentionDays: 7, maxRetention: 30 } } }, /^dr.vaultLock.maxRetention is not a key of dr.vaultLock: did you mean dr.vaultLock.maxRetentionDays\?/],
      ['an unknown chaos key', { chaos: { shedule: false } }, /^chaos.shedule is not a key of chaos: did you mean chaos.schedule\?/],
      ['an unknown key nothing resembles', { colour: 'blue' }, /^colour is not a key of context "ha" \(known keys: /],
      ['an unknown scheduled experiment', { chaos: { scheduledExperiments: ['taskLoss', 'meteor'] } }, /chaos.scheduledExperiments must list some of taskLoss, databaseFailover, azLoss/],
    ];
    it.each(cases)('%s', (_name, input, message) => {
      expect(() => parseConfig(input)).toThrow(ConfigError);
      expect(() => parseConfig(input)).toThrow(message);
    });
  });
});

describe('fargateMemoryOptions', () => {
  it('lists the sizes Fargate documents for a CPU value', () => {
    expect(fargateMemoryOptions(256)).toEqual([512, 1024, 2048]);
    expect(fargateMemoryOptions(512)).toEqual([1024, 2048, 3072, 4096]);
    expect(fargateMemoryOptions(1024)[0]).toBe(2048);
    expect(fargateMemoryOptions(1024).at(-1)).toBe(8192);
  });

  it('returns nothing for a CPU value Fargate does not offer', () => {
    expect(fargateMemoryOptions(300)).toEqual([]);
  });
});
