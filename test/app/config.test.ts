import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../app/src/config';

describe('loadConfig', () => {
  it('defaults to port 8080, embedded PGlite and the contract drain time', () => {
    const config = loadConfig({});
    expect(config.port).toBe(8080);
    expect(config.db).toEqual({ kind: 'pglite', dataDir: undefined });
    expect(config.drainMs).toBe(20_000);
    expect(config.policies).toMatchObject({ dbTimeoutMs: 1000, dbMaxAttempts: 3, breakerThreshold: 5, poolMax: 10, queueMax: 54, queueWaitMs: 250, maxInFlight: 64 });
  });

  it('rejects a bad PORT with the value and the allowed range', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT must be an integer between 0 and 65535, got "eighty"/);
    expect(() => loadConfig({ PORT: '70000' })).toThrow(ConfigError);
  });

  it('uses DATABASE_URL when set', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u:p@127.0.0.1:5433/app' });
    expect(config.db).toMatchObject({ kind: 'postgres', connection: { connectionString: 'postgres://u:p@127.0.0.1:5433/app' }, tls: 'disable' });
  });

  it('reads the RDS secret JSON that ECS injects, with DB_* variables taking precedence', () => {
    const secret = JSON.stringify({ username: 'app', password: 's3cret', host: 'db.example.internal', port: 5432, dbname: 'messages' });
    const config = loadConfig({ DB_SECRET: secret, DB_HOST: 'proxy.example.internal', NODE_ENV: 'production' });
    expect(config.db).toEqual({
      kind: 'postgres',
      connection: { host: 'proxy.example.internal', port: 5432, database: 'messages', user: 'app', password: 's3cret' },
      tls: 'verify-full',
    });
    expect(loadConfig({ NODE_ENV: 'production', DB_HOST: 'proxy.example.internal' }).db).not.toHaveProperty('caFile');
  });

  it('verifies TLS by default in production for a remote host, not for loopback', () => {
    expect(loadConfig({ NODE_ENV: 'production', DB_HOST: 'db.example.internal' }).db).toMatchObject({ tls: 'verify-full' });
    expect(loadConfig({ NODE_ENV: 'production', DB_HOST: '127.0.0.1' }).db).toMatchObject({ tls: 'disable' });
    expect(loadConfig({ DB_HOST: 'db.example.internal' }).db).toMatchObject({ tls: 'disable' });
    expect(loadConfig({ DB_HOST: 'db', DB_TLS: 'verify-full', DB_CA_FILE: '/ca.pem' }).db).toMatchObject({ tls: 'verify-full', caFile: '/ca.pem' });
  });

  it('uses PGHOST (and lets pg read the other PG* variables)', () => {
    expect(loadConfig({ PGHOST: '/var/run/postgresql' }).db).toMatchObject({ kind: 'postgres' });
  });

  it('rejects an unknown DB_TLS and a secret that is not JSON, without echoing the secret', () => {
    expect(() => loadConfig({ DB_HOST: 'x', DB_TLS: 'prefer' })).toThrow(/DB_TLS must be "disable" or "verify-full", got "prefer"/);
    expect(() => loadConfig({ DB_SECRET: 'hunter2' })).toThrow(/DB_SECRET must be a JSON object/);
    expect(() => loadConfig({ DB_SECRET: 'hunter2' })).not.toThrow(/hunter2/);
  });

  it('reads DB_SECRET_ARN (rotation-aware password) and keeps DB_SECRET as the starting value', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-abc';
    const secret = JSON.stringify({ username: 'app', password: 's3cret' });
    expect(loadConfig({ DB_SECRET: secret, DB_HOST: 'db', DB_SECRET_ARN: arn }).db).toMatchObject({
      kind: 'postgres',
      secretArn: arn,
      connection: { user: 'app', password: 's3cret' },
    });
    expect(loadConfig({ DB_SECRET_ARN: arn }).db).toMatchObject({ kind: 'postgres', secretArn: arn });
    expect(loadConfig({ DB_SECRET: secret, DB_HOST: 'db' }).db).not.toHaveProperty('secretArn');
    expect(() => loadConfig({ DATABASE_URL: 'postgres://u@h/db', DB_SECRET_ARN: arn })).toThrow(/DB_SECRET_ARN cannot be combined with DATABASE_URL/);
  });

  it('refuses to run in production without a database instead of falling back to embedded PGlite', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/NODE_ENV=production needs a database server: set DB_HOST/);
    expect(loadConfig({ NODE_ENV: 'production', DB_HOST: 'db.example.internal' }).db).toMatchObject({ kind: 'postgres' });
    expect(loadConfig({ NODE_ENV: 'development' }).db).toMatchObject({ kind: 'pglite' });
  });

  it('rejects a DRAIN_SECONDS the shutdown backstop cannot honour, naming the limit and why', () => {
    expect(loadConfig({ DRAIN_SECONDS: '23' }).drainMs).toBe(23_000);
    expect(() => loadConfig({ DRAIN_SECONDS: '24' })).toThrow(/DRAIN_SECONDS must be an integer between 0 and 23 .*stop timeout.*got "24"/);
    expect(() => loadConfig({ DRAIN_SECONDS: '28' })).toThrow(ConfigError);
  });
});
