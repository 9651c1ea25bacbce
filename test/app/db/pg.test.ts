import { describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { poolConfig } from '../../../app/src/db/pg';

const base = { policies: { poolMax: 7, dbTimeoutMs: 800 } };

describe('poolConfig', () => {
  it('bounds connect, statement and read time with the per-attempt timeout', () => {
    const config = poolConfig({ ...base, db: { kind: 'postgres', connection: { host: 'db' }, tls: 'disable' } });
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

  it('verify-full without DB_CA_FILE trusts the RDS certificate authorities and nothing else', () => {
    const config = poolConfig({ ...base, db: { kind: 'postgres', connection: { host: 'db' }, tls: 'verify-full' } }, () => {
      throw new Error('no file may be read');
    });
    const ca = (config.ssl as { ca: string[] }).ca;
    const subjects = ca.map((pem) => new X509Certificate(pem).subject);
    expect(subjects.length).toBeGreaterThan(20);
    // Every trusted CA is an RDS one: not the public Amazon roots the package also ships for RDS Proxy.
    expect(subjects.filter((s) => !s.includes('OU=Amazon RDS'))).toEqual([]);
    expect(subjects.some((s) => s.includes('CN=Amazon RDS us-east-1 Root CA RSA2048 G1'))).toBe(true);
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
