import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../lib/config';

const DNS = { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com', recordName: 'api.example.com' };
const CERT_EAST = 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';
const CERT_WEST = 'arn:aws:acm:us-west-2:123456789012:certificate/11111111-2222-3333-4444-555555555555';

describe('dr.strategy, dr.replicaInstanceClass, dr.certificateArn and dns', () => {
  it('defaults to backup-restore, a replica of the primary class, and no DNS', () => {
    const config = parseConfig({});
    expect(config.dr.strategy).toBe('backup-restore');
    expect(config.dr.replicaInstanceClass).toBe(config.database.instanceClass);
    expect(config.dns).toBeUndefined();
  });

  it('accepts the built strategies and a DR-region certificate', () => {
    for (const strategy of ['backup-restore', 'pilot-light']) {
      expect(parseConfig({ dr: { strategy } }).dr.strategy).toBe(strategy);
    }
    expect(parseConfig({ certificateArn: CERT_EAST, dr: { strategy: 'pilot-light', certificateArn: CERT_WEST } }).dr.certificateArn).toBe(CERT_WEST);
  });

  const cases: [string, unknown, RegExp][] = [
    ['an unknown strategy, with the nearest name', { dr: { strategy: 'pilot-lite' } }, /^dr.strategy must be one of "backup-restore", "pilot-light", "warm-standby", got "pilot-lite" \(did you mean "pilot-light"\?\)$/],
    ['a malformed replica class', { dr: { replicaInstanceClass: 'm7g.large' } }, /^dr.replicaInstanceClass must be an RDS instance class such as "db.m7g.large", got "m7g.large"$/],
    ['a replica of a Multi-AZ DB cluster', { database: { deployment: 'cluster' }, dr: { strategy: 'pilot-light' } }, /^dr.strategy "pilot-light" needs database.deployment "instance"/],
    ['a DR certificate in the primary region', { dr: { certificateArn: CERT_EAST } }, /^dr.certificateArn must be in drRegion "us-west-2" .* got one in "us-east-1"$/],
    ['warm standby, which is not built yet, naming what to use instead', { dr: { strategy: 'warm-standby' } }, /^dr.strategy "warm-standby" is not built yet .* use "pilot-light"/],
    ['a valid dns block, whose failover records are not built yet', { dns: DNS }, /^dns is not built yet: Route 53 failover records need the warm-standby load balancer/],
    ['a dns block without recordName', { dns: { hostedZoneId: DNS.hostedZoneId, zoneName: DNS.zoneName } }, /^dns.recordName is required when dns is set/],
    ['a malformed hosted zone ID', { dns: { ...DNS, hostedZoneId: 'example' } }, /^dns.hostedZoneId must be a Route 53 hosted zone ID .* got "example"$/],
    ['a record outside the zone', { dns: { ...DNS, recordName: 'api.example.org' } }, /^dns.recordName must be a domain name inside dns.zoneName "example.com" .* got "api.example.org"$/],
    ['a misspelt dns key', { dns: { ...DNS, zoneId: 'Z1' } }, /^dns.zoneId is not a key of dns/],
  ];
  it.each(cases)('rejects %s in one line naming the key', (_name, input, message) => {
    expect(() => parseConfig(input)).toThrow(ConfigError);
    expect(() => parseConfig(input)).toThrow(message);
  });
});
