import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  cassandraConnection,
  cassandraSslOptions,
  loadConfig,
  natsConnectionSecurity,
  redisConnectionSecurity,
} from './index.js';
import { configError, testFiles } from '../test/helpers.js';

const { dir, write: file } = testFiles('parley-security-test-');

const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';
const SEED = `SU${'A'.repeat(56)}`;

describe('connection security: keys and environment', () => {
  it('has no credentials and no TLS by default', () => {
    const config = loadConfig({ env: {} });
    expect(config.bus.nats).toEqual({ tls: {} });
    expect(config.redis).toEqual({ url: 'redis://127.0.0.1:6379', tls: {} });
    expect(config.store.cassandra.tls).toEqual({ enabled: false, verifyServerName: true });
    expect(natsConnectionSecurity(config)).toEqual({});
    expect(redisConnectionSecurity(config)).toEqual({});
    expect(cassandraSslOptions(config)).toBeUndefined();
  });

  it('reads every secret from PARLEY_* variables', () => {
    const config = loadConfig({
      env: {
        PARLEY_BUS_NATS_USER: 'gateway',
        PARLEY_BUS_NATS_PASSWORD: 'n-secret',
        PARLEY_BUS_NATS_TLS_CA_FILE: '/etc/nats/ca.pem',
        PARLEY_REDIS_USERNAME: 'parley',
        PARLEY_REDIS_PASSWORD: 'r-secret',
        PARLEY_STORE_CASSANDRA_TLS_ENABLED: 'true',
        PARLEY_STORE_CASSANDRA_TLS_VERIFY_SERVER_NAME: 'false',
      },
    });
    expect(config.bus.nats).toEqual({
      user: 'gateway',
      password: 'n-secret',
      tls: { caFile: '/etc/nats/ca.pem' },
    });
    expect(config.redis).toMatchObject({ username: 'parley', password: 'r-secret' });
    expect(config.store.cassandra.tls).toEqual({ enabled: true, verifyServerName: false });
  });

  it('reads secrets from files (trimmed), PEM files as they are', () => {
    const config = loadConfig({
      env: {},
      overrides: {
        bus: {
          natsUrl: 'tls://nats-0:4222, tls://nats-1:4222',
          nats: { tokenFile: file('token', 'tok-123\n') },
        },
        redis: {
          url: 'rediss://redis:6380',
          passwordFile: file('redis-pass', '  pw\n'),
          tls: {
            caFile: file('ca.pem', CERT),
            certFile: file('c.pem', CERT),
            keyFile: file('k.pem', KEY),
          },
        },
      },
    });
    expect(natsConnectionSecurity(config)).toEqual({ token: 'tok-123', tls: {} });
    expect(redisConnectionSecurity(config)).toEqual({
      password: 'pw',
      tls: { ca: CERT, cert: CERT, key: KEY },
    });
  });

  it('turns TLS on for tls:// and rediss:// URLs and for configured files', () => {
    const caFile = file('ca2.pem', CERT);
    const plainUrls = loadConfig({ env: {}, overrides: { bus: { nats: { tls: { caFile } } } } });
    expect(natsConnectionSecurity(plainUrls).tls).toEqual({ ca: CERT });
    const redis = loadConfig({ env: {}, overrides: { redis: { url: 'rediss://r:6380' } } });
    expect(redisConnectionSecurity(redis)).toEqual({ tls: {} });
    const cassandra = loadConfig({
      env: {},
      overrides: { store: { cassandra: { tls: { caFile, verifyServerName: false } } } },
    });
    const ssl = cassandraSslOptions(cassandra)!;
    expect(ssl).toMatchObject({ ca: [CERT], rejectUnauthorized: true });
    expect(ssl.checkServerIdentity?.('node', {} as never)).toBeUndefined();
    const verified = loadConfig({
      env: {},
      overrides: { store: { cassandra: { tls: { caFile } } } },
    });
    expect(cassandraSslOptions(verified)!.checkServerIdentity).toBeUndefined();
  });

  it('reads the Cassandra password from its file and builds sslOptions', () => {
    const config = loadConfig({
      env: {
        PARLEY_STORE_CASSANDRA_USERNAME: 'parley',
        PARLEY_STORE_CASSANDRA_PASSWORD_FILE: file('cassandra-pass', 'c-secret\n'),
        PARLEY_STORE_CASSANDRA_TLS_CA_FILE: file('cassandra-ca.pem', CERT),
      },
    });
    const c = cassandraConnection(config);
    expect(c).toMatchObject({ username: 'parley', password: 'c-secret', keyspace: 'parley' });
    expect(c).not.toHaveProperty('passwordFile');
    expect(c.clientOptions?.sslOptions).toMatchObject({ ca: [CERT], rejectUnauthorized: true });
    expect(cassandraConnection(loadConfig({ env: {} }))).not.toHaveProperty('clientOptions');
  });

  it('passes NKey seeds and .creds files on', () => {
    const seed = loadConfig({
      env: {},
      overrides: { bus: { nats: { nkeySeedFile: file('seed', `${SEED}\n`) } } },
    });
    expect(natsConnectionSecurity(seed)).toEqual({ nkeySeed: SEED });
    const creds = `-----BEGIN NATS USER JWT-----\neyJ0eXAi.x.y\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n${SEED}\n------END USER NKEY SEED------\n`;
    const c = loadConfig({
      env: {},
      overrides: { bus: { nats: { credsFile: file('u.creds', creds) } } },
    });
    expect(natsConnectionSecurity(c)).toEqual({ creds });
  });
});

describe('connection security: errors name the key', () => {
  const load = (overrides: object) => () => loadConfig({ env: {}, overrides });

  it('refuses two NATS authentication methods, or a key and its file', () => {
    expect(
      configError(load({ bus: { nats: { token: 't', user: 'u', password: 'p' } } })),
    ).toMatchObject({
      key: 'bus.nats.user',
      message: expect.stringContaining('cannot be combined with bus.nats.token'),
    });
    expect(configError(load({ bus: { nats: { nkeySeed: SEED, credsFile: '/x' } } })).key).toBe(
      'bus.nats.credsFile',
    );
    expect(configError(load({ bus: { nats: { token: 't', tokenFile: '/t' } } })).key).toBe(
      'bus.nats.tokenFile',
    );
    expect(configError(load({ redis: { password: 'p', passwordFile: '/p' } })).key).toBe(
      'redis.passwordFile',
    );
    expect(
      configError(load({ store: { cassandra: { password: 'p', passwordFile: '/p' } } })).key,
    ).toBe('store.cassandra.passwordFile');
  });

  it('wants a password with a user, and a key with a certificate', () => {
    expect(configError(load({ bus: { nats: { user: 'u' } } })).key).toBe('bus.nats.password');
    expect(configError(load({ bus: { nats: { password: 'p' } } })).key).toBe('bus.nats.user');
    expect(configError(load({ redis: { username: 'u' } })).key).toBe('redis.password');
    expect(configError(load({ bus: { nats: { tls: { certFile: '/c' } } } })).key).toBe(
      'bus.nats.tls.keyFile',
    );
    expect(configError(load({ redis: { tls: { keyFile: '/k' } } })).key).toBe('redis.tls.certFile');
    expect(configError(load({ store: { cassandra: { tls: { certFile: '/c' } } } })).key).toBe(
      'store.cassandra.tls.keyFile',
    );
  });

  it('checks URL schemes', () => {
    expect(configError(load({ bus: { natsUrl: 'http://nats:4222' } })).key).toBe('bus.natsUrl');
    expect(configError(load({ redis: { url: 'http://redis:6379' } })).key).toBe('redis.url');
    expect(() => load({ bus: { natsUrl: 'nats-0:4222,tls://nats-1:4222' } })()).not.toThrow();
  });

  it('names the key of a missing, empty or wrong file when the files are read', () => {
    const missing = loadConfig({
      env: {},
      overrides: { bus: { nats: { user: 'u', passwordFile: join(dir, 'nope') } } },
    });
    expect(configError(() => natsConnectionSecurity(missing))).toMatchObject({
      code: 'bad-file',
      key: 'bus.nats.passwordFile',
      message: expect.stringMatching(/^bus\.nats\.passwordFile: cannot read .*nope: ENOENT/),
    });
    const empty = loadConfig({
      env: {},
      overrides: { redis: { passwordFile: file('empty', '\n') } },
    });
    expect(configError(() => redisConnectionSecurity(empty)).message).toMatch(
      /redis.passwordFile: .* is empty/,
    );
    const notPem = loadConfig({
      env: {},
      overrides: { redis: { tls: { caFile: file('not.pem', 'hello') } } },
    });
    expect(configError(() => redisConnectionSecurity(notPem)).key).toBe('redis.tls.caFile');
    const badSeed = loadConfig({ env: {}, overrides: { bus: { nats: { nkeySeed: 'UABC' } } } });
    expect(configError(() => natsConnectionSecurity(badSeed)).key).toBe('bus.nats.nkeySeed');
    const badCreds = loadConfig({
      env: {},
      overrides: { bus: { nats: { credsFile: file('bad.creds', 'nothing') } } },
    });
    expect(configError(() => natsConnectionSecurity(badCreds)).key).toBe('bus.nats.credsFile');
  });
});
