import { describe, expect, it } from 'vitest';
import { poolConfig } from '../../../app/src/db/pg';

const base = { policies: { poolMax: 7, dbTimeoutMs: 800 } };

describe('poolConfig', () => {
  it('bounds connect, statement and read time with the per-attempt timeout', () => {
    const config = poolConfig({ ...base, db: { kind: 'postgres', connection: { host: 'db' }, tls: 'disable', caFile: '/x' } });
    expect(config).toMatchObject({ host: 'db', max: 7, connectionTimeoutMillis: 800, statement_timeout: 800, keepAlive: true });
    expect(config.query_timeout).toBeGreaterThanOrEqual(800);
    expect(config.ssl).toBeUndefined();
  });

  it('verify-full trusts only the CA bundle and checks the certificate', () => {
    const config = poolConfig(
      { ...base, db: { kind: 'postgres', connection: { host: 'db' }, tls: 'verify-full', caFile: '/certs/rds.pem' } },
      (path) => `PEM from ${path}`,
    );
    expect(config.ssl).toEqual({ ca: 'PEM from /certs/rds.pem', rejectUnauthorized: true });
  });

  it('fails with a useful message when the CA bundle is missing', () => {
    const read = () => {
      throw new Error('ENOENT');
    };
    expect(() => poolConfig({ ...base, db: { kind: 'postgres', connection: {}, tls: 'verify-full', caFile: '/nope.pem' } }, read)).toThrow(
      /DB_CA_FILE=\/nope\.pem/,
    );
  });
});
