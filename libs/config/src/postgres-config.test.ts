import { describe, expect, it } from 'vitest';
import { loadConfig } from './load.js';
import { postgresConnection } from './postgres-config.js';
import { configError, testFiles } from '../test/helpers.js';

const files = testFiles('parley-pgconf-');

describe('store.postgres', () => {
  it('is read from PARLEY_STORE_POSTGRES_* variables, password from a file', () => {
    const pw = files.write('pw', '  s3cret\n');
    const config = loadConfig({
      env: {
        PARLEY_STORE_KIND: 'postgres',
        PARLEY_STORE_POSTGRES_HOST: 'db.internal',
        PARLEY_STORE_POSTGRES_USER: 'chat',
        PARLEY_STORE_POSTGRES_PASSWORD_FILE: pw,
        PARLEY_STORE_POSTGRES_POOL_SIZE: '25',
      },
    });
    expect(config.store.kind).toBe('postgres');
    expect(postgresConnection(config)).toEqual({
      host: 'db.internal',
      port: 5432,
      database: 'parley',
      user: 'chat',
      password: 's3cret',
      schema: 'parley',
      poolSize: 25,
      ssl: { mode: 'disable' },
      connectTimeoutMs: 10_000,
      statementTimeoutMs: 30_000,
    });
  });

  it('reads the TLS files for verify-full and names a bad one', () => {
    const ca = files.write(
      'ca.pem',
      '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    );
    const config = loadConfig({
      env: {},
      overrides: {
        store: {
          kind: 'postgres',
          postgres: { url: 'postgres://u@db/x', sslMode: 'verify-full', tls: { caFile: ca } },
        },
      },
    });
    expect(postgresConnection(config).ssl).toEqual({
      mode: 'verify-full',
      ca: expect.stringContaining('BEGIN CERTIFICATE') as unknown,
    });
    const notPem = files.write('not.pem', 'hello');
    const bad = loadConfig({
      env: {},
      overrides: { store: { postgres: { sslMode: 'verify-ca', tls: { caFile: notPem } } } },
    });
    expect(configError(() => postgresConnection(bad)).message).toMatch(
      /store\.postgres\.tls\.caFile: .* is not a PEM certificate/,
    );
  });

  it('refuses inconsistent settings, naming the key', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ password: 'a', passwordFile: '/x' }, /^store\.postgres\.passwordFile: cannot be combined/],
      [{ tls: { certFile: '/c' }, sslMode: 'require' }, /^store\.postgres\.tls\.keyFile: required/],
      [{ tls: { caFile: '/c' } }, /^store\.postgres\.sslMode: is disable/],
      [{ schema: 'Bad-Name' }, /^store\.postgres\.schema: expected/],
      [{ url: 'mysql://x' }, /^store\.postgres\.url: expected a postgres/],
      [{ sslMode: 'prefer' }, /^store\.postgres\.sslMode/],
      [{ poolSize: 0 }, /^store\.postgres\.poolSize/],
    ];
    for (const [postgres, message] of cases) {
      const err = configError(() => loadConfig({ env: {}, overrides: { store: { postgres } } }));
      expect(err.message).toMatch(message);
    }
  });
});
