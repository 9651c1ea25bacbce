import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../lib/config';
import { cdkJsonContext } from '../support/synth';

describe('parseConfig: database, backup and dr', () => {
  it('fills the database, backup and dr defaults when given nothing', () => {
    const config = parseConfig(undefined);
    expect(config.database).toEqual({
      deployment: 'instance',
      engineVersion: '17.6',
      instanceClass: 'db.m7g.large',
      allocatedStorageGiB: 100,
      maxAllocatedStorageGiB: 500,
      port: 5433,
      databaseName: 'app',
      backupRetentionDays: 14,
    });
    expect(config.backup).toEqual({
      scheduleExpression: 'cron(0 5 * * ? *)',
      retentionDays: 35,
      copyRetentionDays: 35,
      restoreTestScheduleExpression: 'cron(0 7 ? * SUN *)',
      restoreTestValidationWindowHours: 2,
    });
    expect(config.dr).toEqual({
      strategy: 'backup-restore',
      replicaInstanceClass: 'db.m7g.large',
      availabilityZones: ['us-west-2a', 'us-west-2b', 'us-west-2c'],
      replicatedBackupRetentionDays: 7,
    });
  });

  it('states every default explicitly in cdk.json, with the same values', () => {
    const raw = cdkJsonContext().ha as Record<string, unknown>;
    const defaults = parseConfig(undefined);
    expect(raw.database).toEqual(defaults.database);
    expect(raw.backup).toEqual(defaults.backup);
    expect(raw.dr).toEqual(defaults.dr);
  });

  it('defaults a cluster to a class that supports Multi-AZ DB clusters', () => {
    expect(parseConfig({ database: { deployment: 'cluster' } }).database.instanceClass).toBe('db.m6gd.large');
  });

  it('accepts a locked DR vault whose range holds the copy retention', () => {
    const config = parseConfig({ dr: { vaultLock: { minRetentionDays: 7, maxRetentionDays: 365 } } });
    expect(config.dr.vaultLock).toEqual({ minRetentionDays: 7, maxRetentionDays: 365, changeableForDays: undefined });
  });

  it('rejects a DR region equal to the primary region', () => {
    expect(() => parseConfig({ primaryRegion: 'us-east-1', drRegion: 'us-east-1' })).toThrow(/drRegion must differ from primaryRegion/);
  });

  it('rejects a backup retention of 0 days', () => {
    expect(() => parseConfig({ database: { backupRetentionDays: 0 } })).toThrow(/database.backupRetentionDays must be an integer between 7 and 35, got 0/);
  });

  it('rejects a backup retention of 36 days', () => {
    expect(() => parseConfig({ database: { backupRetentionDays: 36 } })).toThrow(/database.backupRetentionDays must be an integer between 7 and 35, got 36/);
  });

  it('rejects an unknown engine version', () => {
    expect(() => parseConfig({ database: { engineVersion: '15.4' } })).toThrow(/database.engineVersion must be a known PostgreSQL version \(16.1-16.13 or 17.1-17.9\), got "15.4"/);
  });

  it('rejects a minor version newer than the known ones', () => {
    expect(() => parseConfig({ database: { engineVersion: '17.99' } })).toThrow(/database.engineVersion .* got "17.99"/);
  });

  it('rejects the cluster option with an instance class that does not support Multi-AZ DB clusters', () => {
    expect(() => parseConfig({ database: { deployment: 'cluster', instanceClass: 'db.t4g.medium' } })).toThrow(
      /database.instanceClass must support Multi-AZ DB clusters .* got "db.t4g.medium"/,
    );
  });

  it('rejects an unknown deployment', () => {
    expect(() => parseConfig({ database: { deployment: 'single-az' } })).toThrow(/database.deployment must be "instance" .* or "cluster" .* got "single-az"/);
  });

  it('rejects the cluster option over fewer than 3 zones', () => {
    expect(() => parseConfig({ availabilityZones: ['us-east-1a', 'us-east-1b'], natGateways: 2, service: { desiredCount: 3 }, database: { deployment: 'cluster' } })).toThrow(
      /database.deployment "cluster" needs at least 3 availabilityZones/,
    );
  });

  it('rejects a malformed instance class', () => {
    expect(() => parseConfig({ database: { instanceClass: 'm7g.large' } })).toThrow(/database.instanceClass must be an RDS instance class .* got "m7g.large"/);
  });

  it('rejects the PostgreSQL default port', () => {
    expect(() => parseConfig({ database: { port: 5432 } })).toThrow(/database.port must not be the PostgreSQL default 5432/);
  });

  it('rejects a storage ceiling below the allocated storage', () => {
    expect(() => parseConfig({ database: { allocatedStorageGiB: 200, maxAllocatedStorageGiB: 100 } })).toThrow(/database.maxAllocatedStorageGiB must be at least .* \(200\), got 100/);
  });

  it('rejects a database name PostgreSQL or RDS reserve', () => {
    expect(() => parseConfig({ database: { databaseName: 'postgres' } })).toThrow(/database.databaseName .* got "postgres"/);
  });

  it('rejects a backup schedule that is not a six-field cron expression', () => {
    expect(() => parseConfig({ backup: { scheduleExpression: 'rate(1 day)' } })).toThrow(/backup.scheduleExpression must be a cron expression .* got "rate\(1 day\)"/);
  });

  it('rejects a restore validation window over a week', () => {
    expect(() => parseConfig({ backup: { restoreTestValidationWindowHours: 169 } })).toThrow(/backup.restoreTestValidationWindowHours must be an integer between 1 and 168, got 169/);
  });

  it('rejects a replicated backup retention of 0 days', () => {
    expect(() => parseConfig({ dr: { replicatedBackupRetentionDays: 0 } })).toThrow(/dr.replicatedBackupRetentionDays must be an integer between 1 and 35, got 0/);
  });

  it('rejects a copy retention the locked DR vault would refuse', () => {
    expect(() => parseConfig({ backup: { copyRetentionDays: 35 }, dr: { vaultLock: { minRetentionDays: 90 } } })).toThrow(
      /backup.copyRetentionDays must lie within dr.vaultLock \(90-unbounded days\).*got 35/,
    );
  });

  it('rejects a vault lock without a minimum retention', () => {
    expect(() => parseConfig({ dr: { vaultLock: {} } })).toThrow(/dr.vaultLock.minRetentionDays is required/);
  });

  it('rejects a compliance lock with less than the 3-day cooling-off period', () => {
    expect(() => parseConfig({ dr: { vaultLock: { minRetentionDays: 7, changeableForDays: 1 } } })).toThrow(/dr.vaultLock.changeableForDays must be an integer between 3 and/);
  });

  it('rejects a database section that is not an object', () => {
    expect(() => parseConfig({ database: 'big' })).toThrow(ConfigError);
    expect(() => parseConfig({ database: 'big' })).toThrow(/database must be an object, got "big"/);
  });
});
