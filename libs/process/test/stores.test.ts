/**
 * `openConfiguredStores` / `storeOptionsFor`: the durable stores a
 * process's configuration names, opened for real: memory, LMDB under
 * `<dataDir>/db`, and PostgreSQL started by the test kit (password from a
 * file, as from a mounted Secret). Bad files stop the start naming the key.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '@parley/config';
import type { Config, DeepPartial } from '@parley/config';
import { StoreError, migratePostgres } from '@parley/store';
import { hasBinary, removeTempDir, startPostgresServer, tempDir } from '@parley/testkit';
import type { PostgresServer } from '@parley/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openConfiguredStores, storeOptionsFor } from '../src/index.js';

const config = (overrides: DeepPartial<Config>): Config =>
  loadConfig({ env: {}, overrides: { log: { level: 'error' }, ...overrides } });

const CRED = { salt: 'c2FsdA==', iterations: 4096, storedKey: 'a2V5', serverKey: 'a2V5' };
const ACCOUNT = {
  jid: 'alice@example.org',
  createdAt: 1,
  credentials: { 'SCRAM-SHA-1': CRED, 'SCRAM-SHA-256': CRED },
};

/** Writes through one open, and returns what a second open of the same config reads. */
async function roundTrip(c: Config): Promise<unknown> {
  const first = await openConfiguredStores(c);
  try {
    await first.accounts.create(ACCOUNT);
    await first.rosters.setItem(ACCOUNT.jid, {
      jid: 'bob@example.org',
      subscription: 'both',
      groups: ['Friends'],
      listed: true,
    });
  } finally {
    await first.close();
  }
  const second = await openConfiguredStores(c);
  try {
    return {
      account: (await second.accounts.get(ACCOUNT.jid))?.jid,
      roster: (await second.rosters.get(ACCOUNT.jid)).items.map((i) => i.jid),
    };
  } finally {
    await second.close();
  }
}

let dirs: string[] = [];
const dir = async () => {
  const d = await tempDir('parley-stores-test');
  dirs.push(d);
  return d;
};
afterAll(async () => {
  await Promise.all(dirs.map((d) => removeTempDir(d)));
  dirs = [];
});

describe('storeOptionsFor', () => {
  it('memory and LMDB: the kind and the data directory', () => {
    expect(
      storeOptionsFor(config({ store: { kind: 'memory' }, server: { dataDir: '/d' } })),
    ).toEqual({ kind: 'memory', dataDir: '/d' });
    expect(storeOptionsFor(config({ store: { kind: 'lmdb' }, server: { dataDir: '/d' } }))).toEqual(
      {
        kind: 'lmdb',
        dataDir: '/d',
      },
    );
  });

  it('PostgreSQL: the connection of store.postgres, the password read from its file', async () => {
    const d = await dir();
    const file = join(d, 'pg-pass');
    writeFileSync(file, '  s3cret\n', { mode: 0o600 });
    const opts = storeOptionsFor(
      config({
        store: {
          kind: 'postgres',
          postgres: { host: 'db.internal', port: 6543, user: 'px', passwordFile: file },
        },
      }),
    );
    expect(opts.kind).toBe('postgres');
    expect(opts.postgres).toMatchObject({
      host: 'db.internal',
      port: 6543,
      user: 'px',
      password: 's3cret',
      database: 'parley',
      schema: 'parley',
      ssl: { mode: 'disable' },
    });
    expect(opts.cassandra).toBeUndefined();
  });

  it('a password file that cannot be read stops the start with a ConfigError naming the key', async () => {
    const missing = join(await dir(), 'nope');
    const c = config({ store: { kind: 'postgres', postgres: { passwordFile: missing } } });
    let err: unknown;
    try {
      storeOptionsFor(c);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).key).toBe('store.postgres.passwordFile');
    expect((err as ConfigError).message).toContain(missing);
    // openConfiguredStores refuses the same way, before connecting anywhere.
    await expect((async () => openConfiguredStores(c))()).rejects.toBeInstanceOf(ConfigError);
  });

  it('PostgreSQL TLS files are read only when TLS is on, and must be PEM', async () => {
    const d = await dir();
    const notPem = join(d, 'ca.txt');
    writeFileSync(notPem, 'not a certificate');
    const c = config({
      store: { kind: 'postgres', postgres: { sslMode: 'verify-full', tls: { caFile: notPem } } },
    });
    expect(() => storeOptionsFor(c)).toThrowError(/store\.postgres\.tls\.caFile/);
  });
});

describe('openConfiguredStores', () => {
  it('memory: working stores, empty at every open', async () => {
    const c = config({ store: { kind: 'memory' } });
    expect(await roundTrip(c)).toEqual({ account: undefined, roster: [] });
  });

  it('LMDB: stores under <dataDir>/db that keep their data across opens', async () => {
    const d = await dir();
    const c = config({ store: { kind: 'lmdb' }, server: { dataDir: join(d, 'data') } });
    expect(await roundTrip(c)).toEqual({ account: ACCOUNT.jid, roster: ['bob@example.org'] });
    expect(readdirSync(join(d, 'data'))).toContain('db');
  });
});

describe.skipIf(!hasBinary('initdb') && !hasBinary('postgres'))(
  'openConfiguredStores on PostgreSQL (test kit)',
  () => {
    let server: PostgresServer;
    let passwordFile: string;
    const pgConfig = (postgres: DeepPartial<Config['store']['postgres']>): Config =>
      config({
        store: {
          kind: 'postgres',
          postgres: {
            host: server.host,
            port: server.port,
            database: 'postgres',
            user: 'postgres',
            connectTimeoutMs: 5000,
            ...postgres,
          },
        },
      });
    beforeAll(async () => {
      server = await startPostgresServer({ password: 'pg-s3cret' });
      await migratePostgres({ url: server.url });
      passwordFile = join(await dir(), 'pg-pass');
      writeFileSync(passwordFile, 'pg-s3cret\n', { mode: 0o600 });
    }, 120_000);
    afterAll(async () => {
      await server?.stop();
    });

    it('connects with the password from its file, and the data is shared by every open', async () => {
      const c = pgConfig({ passwordFile });
      expect(await roundTrip(c)).toEqual({ account: ACCOUNT.jid, roster: ['bob@example.org'] });
    });

    it('a schema that was never migrated is refused with what to run', async () => {
      const err = await openConfiguredStores(
        pgConfig({ passwordFile, schema: 'unmigrated' }),
      ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as Error).message).toContain('xmppctl postgres migrate');
    });

    it('a wrong password is refused by the server', async () => {
      const err = await openConfiguredStores(pgConfig({ password: 'wrong' })).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(StoreError);
      expect((err as Error).message).toMatch(/cannot use PostgreSQL: .*password/i);
    });
  },
);
