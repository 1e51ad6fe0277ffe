/**
 * The process bootstrap against a nats-server that requires authentication
 * and mutual TLS and a redis-server that requires a password and TLS: what
 * is configured connects, what is not is refused with an error that names
 * the keys to check.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectNatsBus } from '@parley/bus';
import { loadConfig } from '@parley/config';
import type { Config, DeepPartial } from '@parley/config';
import {
  createNatsJwtSetup,
  createNkeyUser,
  createTestPki,
  hasBinary,
  startNatsServer,
  startRedisServer,
} from '@parley/testkit';
import type { NatsServer, NkeyPair, RedisServer, TestPki } from '@parley/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClusterProcess } from '../src/index.js';
import { LinkError, connectRedis } from '@parley/cluster';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const available = ['openssl', 'nats-server', 'redis-server'].every((b) => hasBinary(b));

describe.skipIf(!available)('links to NATS and Redis with authentication and TLS', () => {
  let pki: TestPki;
  let nats: NatsServer;
  let tokenNats: NatsServer;
  let redis: RedisServer;
  let nkey: NkeyPair;
  const secret = (name: string, value: string): string => {
    const file = join(pki.dir, name);
    writeFileSync(file, `${value}\n`, { mode: 0o600 });
    return file;
  };
  let mtls: { caFile: string; certFile: string; keyFile: string };

  beforeAll(async () => {
    pki = await createTestPki();
    nkey = createNkeyUser();
    mtls = { caFile: pki.caFile, certFile: pki.clientCertFile, keyFile: pki.clientKeyFile };
    const serverTls = { certFile: pki.serverCertFile, keyFile: pki.serverKeyFile };
    nats = await startNatsServer({
      auth: { users: [{ user: 'gateway', password: 'n-pass' }], nkeys: [nkey.publicKey] },
      tls: { ...serverTls, caFile: pki.caFile, verify: true },
    });
    tokenNats = await startNatsServer({ auth: { token: 't0ken' }, tls: serverTls });
    redis = await startRedisServer({
      password: 'r-pass',
      users: [{ name: 'parley', password: 'acl-pass' }],
      tls: { ...serverTls, caFile: pki.caFile, authClients: true },
    });
  }, 60_000);
  afterAll(async () => {
    await Promise.all([nats?.stop(), tokenNats?.stop(), redis?.stop()]);
    await pki?.remove();
  });

  const config = (overrides: DeepPartial<Config>): Config =>
    loadConfig({
      env: {},
      overrides: {
        server: { nodeId: 'secure-test' },
        store: { kind: 'memory' },
        http: { port: 0 },
        log: { level: 'error' },
        ...overrides,
        bus: { kind: 'nats', natsUrl: nats.url, ...overrides.bus },
        redis: { url: redis.url, tls: mtls, ...overrides.redis },
      },
    });
  const goodNats = () => ({
    natsUrl: nats.url,
    nats: { user: 'gateway', passwordFile: secret('nats-pass', 'n-pass'), tls: mtls },
  });
  const goodRedis = () => ({
    username: 'parley',
    passwordFile: secret('redis-pass', 'acl-pass'),
    tls: mtls,
  });

  it('a process with the credentials and CA connects to both, and the bus carries messages', async () => {
    const proc = await startClusterProcess('test', config({ bus: goodNats(), redis: goodRedis() }));
    try {
      const sub = proc.bus.subscribe('secure.echo', (msg) => msg.respond?.({ echo: msg.data }));
      expect(await proc.bus.request('secure.echo', { n: 1 }, { timeoutMs: 5000 })).toEqual({
        echo: { n: 1 },
      });
      sub.unsubscribe();
      await proc.redis.set('parley:secure-test', 'v');
      expect(await proc.redis.get('parley:secure-test')).toBe('v');
      expect(proc.bus.status().connected).toBe(true);
    } finally {
      await proc.close();
    }
  });

  it('NKey seeds and tokens authenticate too', async () => {
    const seedFile = secret('nkey-seed', nkey.seed);
    const withNkey = await startClusterProcess(
      'test',
      config({ bus: { nats: { nkeySeedFile: seedFile, tls: mtls } }, redis: goodRedis() }),
    );
    await withNkey.close();
    const withToken = await startClusterProcess(
      'test',
      config({
        bus: { natsUrl: tokenNats.url, nats: { tokenFile: secret('token', 't0ken'), tls: mtls } },
        redis: { password: 'r-pass' },
      }),
    );
    await withToken.close();
  });

  it('a .creds file (user JWT + NKey seed) authenticates against an operator-mode server', async () => {
    const setup = createNatsJwtSetup();
    const jwtNats = await startNatsServer({
      auth: { operator: setup.operator },
      tls: { certFile: pki.serverCertFile, keyFile: pki.serverKeyFile },
    });
    try {
      const proc = await startClusterProcess(
        'test',
        config({
          bus: {
            natsUrl: jwtNats.url,
            nats: { credsFile: secret('user.creds', setup.creds), tls: { caFile: pki.caFile } },
          },
          redis: goodRedis(),
        }),
      );
      const sub = proc.bus.subscribe('jwt.echo', (msg) => msg.respond?.(msg.data));
      expect(await proc.bus.request('jwt.echo', 'hi', { timeoutMs: 5000 })).toBe('hi');
      sub.unsubscribe();
      await proc.close();
      // A user signed by another account is not known to the server.
      const stranger = createNatsJwtSetup();
      await expect(
        startClusterProcess(
          'test',
          config({
            bus: {
              natsUrl: jwtNats.url,
              nats: {
                credsFile: secret('stranger.creds', stranger.creds),
                tls: { caFile: pki.caFile },
              },
            },
            redis: goodRedis(),
          }),
        ),
      ).rejects.toThrow(/refused the credentials/);
    } finally {
      await jwtNats.stop();
    }
  });

  it('refuses NATS clients without credentials or with wrong ones, naming the keys', async () => {
    const start = (bus: DeepPartial<Config['bus']>) =>
      startClusterProcess('test', config({ bus, redis: goodRedis() }));
    for (const nats of [
      { tls: mtls },
      { user: 'gateway', password: 'wrong', tls: mtls },
      { nkeySeed: createNkeyUser().seed, tls: mtls },
    ]) {
      const err = await start({ nats }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(LinkError);
      expect((err as Error).message).toMatch(
        /^NATS at tls:\/\/127\.0\.0\.1:\d+: the server refused the credentials; check bus\.nats\.token.*Authorization Violation/,
      );
    }
    await expect(
      start({ natsUrl: tokenNats.url, nats: { token: 'wrong', tls: mtls } }),
    ).rejects.toThrow(/refused the credentials/);
  });

  it('refuses a NATS server whose certificate does not chain to the configured CA', async () => {
    const wrongCa = { ...mtls, caFile: pki.otherCaFile };
    await expect(
      startClusterProcess(
        'test',
        config({
          bus: { ...goodNats(), nats: { ...goodNats().nats, tls: wrongCa } },
          redis: goodRedis(),
        }),
      ),
    ).rejects.toThrow(
      /^NATS at tls:\/\/127\.0\.0\.1:\d+: the server's TLS certificate was not accepted \(\w+\); check bus\.nats\.tls\.caFile/,
    );
    // Without a client certificate the server (verify: true) ends the handshake.
    await expect(
      connectNatsBus({
        servers: nats.url,
        logger: quiet,
        auth: { user: 'gateway', pass: 'n-pass', tls: { ca: pki.caFile } },
      }),
    ).rejects.toThrow();
  });

  it('refuses Redis clients without the password, with a wrong one, or trusting another CA', async () => {
    const { readFileSync } = await import('node:fs');
    const tls = {
      ca: readFileSync(pki.caFile, 'utf8'),
      cert: readFileSync(pki.clientCertFile, 'utf8'),
      key: readFileSync(pki.clientKeyFile, 'utf8'),
    };
    for (const [security, expected] of [
      [{ tls }, /NOAUTH/],
      [{ password: 'wrong', tls }, /WRONGPASS/],
      [{ username: 'parley', password: 'wrong', tls }, /WRONGPASS/],
    ] as const) {
      const client = connectRedis(redis.url, 'secure-test', security);
      client.on('error', () => undefined);
      try {
        await expect(client.ping()).rejects.toThrow(expected);
      } finally {
        client.disconnect();
      }
    }
    const start = (r: DeepPartial<Config['redis']>) =>
      startClusterProcess('test', config({ bus: goodNats(), redis: r }));
    await expect(start({ password: 'wrong' })).rejects.toThrow(
      /^Redis at rediss:\/\/127\.0\.0\.1:\d+: the server refused the credentials; check redis\.username and redis\.password\(File\): WRONGPASS/,
    );
    await expect(
      start({ ...goodRedis(), tls: { ...mtls, caFile: pki.otherCaFile } }),
    ).rejects.toThrow(
      /^Redis at rediss:\/\/127\.0\.0\.1:\d+: the server's TLS certificate was not accepted \(SELF_SIGNED_CERT_IN_CHAIN\); check redis\.tls\.caFile/,
    );
  });

  it('stops the start naming the key of a missing secret file', async () => {
    await expect(
      startClusterProcess(
        'test',
        config({ bus: { nats: { user: 'gateway', passwordFile: join(pki.dir, 'absent') } } }),
      ),
    ).rejects.toThrow(/^bus\.nats\.passwordFile: cannot read .*absent: ENOENT/);
  });
});
