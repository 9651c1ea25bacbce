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
    for (const strategy of ['backup-restore', 'pilot-light', 'warm-standby']) {
      expect(parseConfig({ dr: { strategy } }).dr.strategy).toBe(strategy);
    }
    expect(parseConfig({ certificateArn: CERT_EAST, dns: DNS, dr: { strategy: 'pilot-light', certificateArn: CERT_WEST } }).dr.certificateArn).toBe(CERT_WEST);
  });

  it('defaults the DR zones to a, b and c of drRegion and takes explicit ones', () => {
    expect(parseConfig({}).dr.availabilityZones).toEqual(['us-west-2a', 'us-west-2b', 'us-west-2c']);
    expect(parseConfig({ drRegion: 'eu-west-1', dr: { availabilityZones: ['eu-west-1a', 'eu-west-1c'] } }).dr.availabilityZones).toEqual(['eu-west-1a', 'eu-west-1c']);
  });

  it('takes a dns block with a standby site', () => {
    expect(parseConfig({ dns: { ...DNS, recordName: 'api.example.com.' }, dr: { strategy: 'warm-standby' } }).dns).toEqual(DNS);
  });

  const cases: [string, unknown, RegExp][] = [
    ['an unknown strategy, with the nearest name', { dr: { strategy: 'pilot-lite' } }, /^dr.strategy must be one of "backup-restore", "pilot-light", "warm-standby", got "pilot-lite" \(did you mean "pilot-light"\?\)$/],
    ['a malformed replica class', { dr: { replicaInstanceClass: 'm7g.large' } }, /^dr.replicaInstanceClass must be an RDS instance class such as "db.m7g.large", got "m7g.large"$/],
    ['a replica of a Multi-AZ DB cluster', { database: { deployment: 'cluster' }, dr: { strategy: 'pilot-light' } }, /^dr.strategy "pilot-light" needs database.deployment "instance"/],
    ['a DR certificate in the primary region', { dr: { certificateArn: CERT_EAST } }, /^dr.certificateArn must be in drRegion "us-west-2" .* got one in "us-east-1"$/],
    ['a dns block without a standby site (nothing for the SECONDARY record)', { dns: DNS }, /^dns needs dr.strategy "pilot-light" or "warm-standby"/],
    ['a primary certificate without a DR one, with a standby site', { certificateArn: CERT_EAST, dr: { strategy: 'warm-standby' } }, /^dr.certificateArn is required when certificateArn is set and dr.strategy is "warm-standby"/],
    ['a certificate with a standby site but no dns (the canary would call the load balancer by a name the certificate does not hold)', { certificateArn: CERT_EAST, dr: { strategy: 'pilot-light', certificateArn: CERT_WEST } }, /^dns is required when certificateArn is set and dr.strategy is "pilot-light"/],
    ['a DR certificate without a primary one', { dr: { strategy: 'pilot-light', certificateArn: CERT_WEST } }, /^dr.certificateArn needs certificateArn too/],
    ['a DR zone of another region', { dr: { availabilityZones: ['us-west-2a', 'us-east-1b'] } }, /^dr.availabilityZones must be zones of drRegion "us-west-2" .* got "us-east-1b"$/],
    ['a single DR zone', { dr: { availabilityZones: ['us-west-2a'] } }, /^dr.availabilityZones must list at least 2 zones/],
    ['a dns block without recordName', { dns: { hostedZoneId: DNS.hostedZoneId, zoneName: DNS.zoneName } }, /^dns.recordName is required when dns is set/],
    ['a malformed hosted zone ID', { dns: { ...DNS, hostedZoneId: 'example' } }, /^dns.hostedZoneId must be a Route 53 hosted zone ID .* got "example"$/],
    ['a record at the zone apex', { dns: { ...DNS, recordName: 'example.com' } }, /^dns.recordName must be a name below the zone apex "example.com" .* got "example.com"$/],
    ['a record outside the zone', { dns: { ...DNS, recordName: 'api.example.org' } }, /^dns.recordName must be a domain name inside dns.zoneName "example.com" .* got "api.example.org"$/],
    ['a misspelt dns key', { dns: { ...DNS, zoneId: 'Z1' } }, /^dns.zoneId is not a key of dns/],
  ];
  it.each(cases)('rejects %s in one line naming the key', (_name, input, message) => {
    expect(() => parseConfig(input)).toThrow(ConfigError);
    expect(() => parseConfig(input)).toThrow(message);
  });
});
