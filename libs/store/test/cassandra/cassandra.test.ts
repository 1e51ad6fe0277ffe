import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, types } from 'cassandra-driver';
import { fnv1a32Utf8 } from '@parley/hash';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStoreContractSuite } from '../contract-suite.js';
import { newArchiveId } from '../../src/shared/archive-id.js';
import { isTimed, sliceQuery, timedIdTime } from '../../src/cassandra/archive-store.js';
import { checkCql, parseSchema } from './cql-check.js';
import { CqlModel } from './cql-model.js';
import {
  dropCassandraKeyspace,
  loadMigrations,
  migrateCassandra,
  parseMigrationFileName,
  replicationClause,
  splitCqlStatements,
} from '../../src/cassandra/migrate.js';
import { planOfflineDelete } from '../../src/cassandra/offline-store.js';
import { cassandraStoresOn, openCassandraStores } from '../../src/cassandra/open.js';
import { checkKeyspace, clientOptionsFor } from '../../src/cassandra/options.js';
import type { CqlSession } from '../../src/cassandra/session.js';
import {
  ARCHIVE_BUCKET_MS,
  KeyedMutex,
  LIST_SHARDS,
  bucketEnd,
  bucketOf,
  bucketStart,
  mapLimit,
  shardOf,
  toNumber,
} from '../../src/cassandra/util.js';

describe('cassandra backend: migrations', () => {
  it('splits CQL scripts into statements, ignoring comments and quoted semicolons', () => {
    const script = [
      '-- a comment; with a semicolon',
      'CREATE TABLE a (x int PRIMARY KEY); // trailing comment;',
      "INSERT INTO a (x, s) VALUES (1, 'semi;colon ''quoted''');",
      '/* block; comment */ CREATE TABLE "odd;name" (y int PRIMARY KEY)',
      ';;',
      'SELECT $$a;b$$ FROM t',
    ].join('\n');
    expect(splitCqlStatements(script)).toEqual([
      'CREATE TABLE a (x int PRIMARY KEY)',
      "INSERT INTO a (x, s) VALUES (1, 'semi;colon ''quoted''')",
      'CREATE TABLE "odd;name" (y int PRIMARY KEY)',
      'SELECT $$a;b$$ FROM t',
    ]);
    expect(() => splitCqlStatements("SELECT 'open")).toThrow(/unterminated/);
  });

  it('parses migration file names', () => {
    expect(parseMigrationFileName('001_initial.cql')).toEqual({ version: 1, name: 'initial' });
    expect(parseMigrationFileName('12_add-index.cql')).toEqual({ version: 12, name: 'add-index' });
    expect(parseMigrationFileName('initial.cql')).toBeUndefined();
    expect(parseMigrationFileName('000_zero.cql')).toBeUndefined();
    expect(parseMigrationFileName('001_initial.sql')).toBeUndefined();
  });

  it('loads migrations in version order and rejects duplicates and stray names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-cql-'));
    try {
      writeFileSync(join(dir, '010_later.cql'), 'CREATE TABLE b (x int PRIMARY KEY);');
      writeFileSync(join(dir, '002_first.cql'), 'CREATE TABLE a (x int PRIMARY KEY);\n');
      writeFileSync(join(dir, 'README.md'), 'not a migration');
      const loaded = loadMigrations(dir);
      expect(loaded.map((m) => [m.version, m.name])).toEqual([
        [2, 'first'],
        [10, 'later'],
      ]);
      expect(loaded[0]!.statements).toEqual(['CREATE TABLE a (x int PRIMARY KEY)']);
      expect(loaded[0]!.checksum).toMatch(/^[0-9a-f]{64}$/);
      writeFileSync(join(dir, '2_again.cql'), '');
      expect(() => loadMigrations(dir)).toThrow(/two migrations with version 2/);
      rmSync(join(dir, '2_again.cql'));
      writeFileSync(join(dir, 'oops.cql'), '');
      expect(() => loadMigrations(dir)).toThrow(/NNN_name\.cql/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ships deploy/cassandra with idempotent, keyspace-agnostic statements', () => {
    const migrations = loadMigrations();
    expect(migrations.length).toBeGreaterThan(0);
    expect(migrations[0]!.version).toBe(1);
    for (const m of migrations) {
      for (const s of m.statements) {
        expect(s).toMatch(/^(CREATE (TABLE|TYPE|INDEX) IF NOT EXISTS|ALTER TABLE) /);
        // Tables are created in the keyspace migrate USEs, never a hard-coded one.
        expect(s).not.toMatch(/^CREATE \w+ IF NOT EXISTS \w+\./);
      }
    }
  });

  it('builds replication maps and checks keyspace names', () => {
    expect(replicationClause({ class: 'SimpleStrategy', replicationFactor: 1 })).toBe(
      "{'class': 'SimpleStrategy', 'replication_factor': 1}",
    );
    expect(
      replicationClause({
        class: 'NetworkTopologyStrategy',
        dataCenters: { dc1: 3, 'eu-west': 2 },
      }),
    ).toBe("{'class': 'NetworkTopologyStrategy', 'dc1': 3, 'eu-west': 2}");
    expect(() =>
      replicationClause({ class: 'NetworkTopologyStrategy', dataCenters: { "x'": 1 } }),
    ).toThrow();
    expect(() => replicationClause({ class: 'SimpleStrategy', replicationFactor: 0 })).toThrow();
    expect(() => checkKeyspace('parley')).not.toThrow();
    expect(() => checkKeyspace('parley_test_01')).not.toThrow();
    for (const bad of ['Parley', '1abc', 'a-b', 'a;DROP', '', 'x'.repeat(49)]) {
      expect(() => checkKeyspace(bad)).toThrow(/invalid Cassandra keyspace/);
    }
    expect(() => clientOptionsFor({ keyspace: 'parley', localDataCenter: 'dc1' }, false)).toThrow(
      /contactPoints/,
    );
    expect(
      clientOptionsFor(
        { keyspace: 'parley', contactPoints: ['n1:9042'], localDataCenter: 'dc1', username: 'u' },
        true,
      ),
    ).toMatchObject({
      contactPoints: ['n1:9042'],
      localDataCenter: 'dc1',
      keyspace: 'parley',
      credentials: { username: 'u', password: '' },
    });
  });
});

describe('cassandra backend: statements', () => {
  const schema = parseSchema(loadMigrations().flatMap((m) => m.statements));
  const session = { table: (name: string) => `ks.${name}` } as unknown as CqlSession;
  const stores = cassandraStoresOn(session);

  /** Every statement text a store prepares, with where it comes from. */
  function statements(): [string, string][] {
    const out: [string, string][] = [];
    for (const [name, store] of Object.entries(stores)) {
      const q = Reflect.get(store, 'q') as Record<string, string>;
      for (const [key, query] of Object.entries(q)) out.push([`${name}.${key}`, query]);
      const index = Reflect.get(store, 'index') as object | undefined;
      if (index) {
        for (const [key, query] of Object.entries(index)) {
          if (typeof query === 'string') out.push([`${name}.index.${key}`, query]);
        }
      }
    }
    const archive = stores.archive;
    for (const sourceName of ['main', 'byWith']) {
      const source = Reflect.get(archive, sourceName) as { key: string[]; table: string };
      const registry = Reflect.get(archive, 'registryQuery') as (s: unknown, r: boolean) => string;
      for (const reverse of [false, true]) {
        out.push([`archive.${sourceName}.registry`, registry.call(archive, source, reverse)]);
        for (const high of [false, true]) {
          for (const xml of [false, true]) {
            out.push([
              `archive.${sourceName}.slice`,
              sliceQuery(source.table, source.key, { high, desc: reverse, xml }),
            ]);
          }
        }
      }
    }
    return out;
  }

  it('parses the schema of every table', () => {
    expect(schema.size).toBeGreaterThanOrEqual(25);
    const items = schema.get('pubsub_items')!;
    expect(items.partition).toEqual(['service', 'node']);
    expect(items.clustering).toEqual(['kind', 'seq', 'item_id']);
    expect(items.descending).toEqual([false, true, false]);
    expect(items.columns.get('last_seq')?.static).toBe(true);
    expect(schema.get('accounts')!.partition).toEqual(['jid']);
  });

  it('only prepares statements the schema accepts', () => {
    const all = statements();
    expect(all.length).toBeGreaterThan(100);
    const problems = all.flatMap(([where, query]) =>
      checkCql(query, schema, 'ks').map((p) => `${where}: ${p}\n    ${query}`),
    );
    expect(problems).toEqual([]);
  });

  it('uses every table of the schema', () => {
    const text = statements()
      .map(([, q]) => q)
      .join('\n');
    for (const table of schema.keys()) expect(text).toContain(`ks.${table} `);
  });

  it('rejects the statement shapes Cassandra rejects', () => {
    const bad = [
      'SELECT jid FROM ks.accounts_by_domain WHERE shard = ?', // partial partition key
      'SELECT x FROM ks.accounts WHERE jid = ?', // unknown column
      'SELECT id FROM ks.archive_messages WHERE archive = ? AND bucket = ? ORDER BY ts ASC',
      'SELECT item_id FROM ks.pubsub_items WHERE service = ? AND node = ? AND seq = ?', // skips kind
      'SELECT item_id FROM ks.pubsub_items WHERE service = ? AND node = ? ORDER BY kind ASC, seq ASC',
      'UPDATE ks.roster_items SET name = ? WHERE owner = ?', // regular column, no row
      'DELETE FROM ks.roster_items WHERE owner = ? IF name = ?',
      'INSERT INTO ks.roster_items (owner, name) VALUES (?, ?)',
      'SELECT jid FROM accounts WHERE jid = ?', // not qualified
    ];
    for (const query of bad) expect(checkCql(query, schema, 'ks'), query).not.toEqual([]);
  });
});

describe('cassandra backend: helpers', () => {
  it('converts driver numbers', () => {
    expect(toNumber(5, 'x')).toBe(5);
    expect(toNumber(types.Long.fromNumber(1_700_000_000_123), 'x')).toBe(1_700_000_000_123);
    expect(toNumber(42n, 'x')).toBe(42);
    expect(() => toNumber('5', 'x')).toThrow(/expected a number/);
  });

  it('buckets time monotonically and clamps to the CQL int range', () => {
    expect(bucketOf(0, ARCHIVE_BUCKET_MS)).toBe(0);
    expect(bucketOf(ARCHIVE_BUCKET_MS - 1, ARCHIVE_BUCKET_MS)).toBe(0);
    expect(bucketOf(ARCHIVE_BUCKET_MS, ARCHIVE_BUCKET_MS)).toBe(1);
    expect(bucketOf(-1, ARCHIVE_BUCKET_MS)).toBe(-1);
    expect(bucketOf(1e300, 1)).toBe(2 ** 31 - 1);
    expect(bucketOf(-1e300, 1)).toBe(-(2 ** 31));
    expect(bucketStart(3, 10)).toBe(30);
    expect(bucketEnd(3, 10)).toBe(40);
    expect(bucketEnd(2 ** 31 - 1, 1)).toBe(Infinity);
    expect(bucketStart(-(2 ** 31), 1)).toBe(-Infinity);
    let last = -Infinity;
    for (const ts of [-5e15, -1, 0, 1, 1.5, 2_591_999_999, 2_592_000_000, Date.now(), 9e15]) {
      const b = bucketOf(ts, ARCHIVE_BUCKET_MS);
      expect(b).toBeGreaterThanOrEqual(last);
      expect(bucketStart(b, ARCHIVE_BUCKET_MS)).toBeLessThanOrEqual(ts);
      expect(bucketEnd(b, ARCHIVE_BUCKET_MS)).toBeGreaterThan(ts);
      last = b;
    }
    expect(() => bucketOf(Number.NaN, 1)).toThrow();
  });

  // Known answers, captured from the release that introduced them: the shard of a key is
  // part of the on-disk format of the listing tables (a changed hash lists nothing that was
  // written before it). FNV-1a here runs over UTF-8 bytes, so non-ASCII keys differ from the
  // routing partition hash. These must never change.
  it.each([
    ['', 0x811c9dc5, 5],
    ['a', 0xe40c292c, 12],
    ['alice@localhost', 0xea2230da, 10],
    ['alice@example.org', 0x818ec9d1, 1],
    ['room@conference.example.org', 0x7e45fd74, 4],
    ['example.org', 0x2d8e29b1, 1],
    ['jürgen@münchen.de', 0xa30f9e59, 9],
    ['ΣΑΣ@example.com', 0xd4f6f089, 9],
    ['🦜@x', 0xcf1c3f82, 2],
  ])('hashes %j to %i, shard %i (known answer)', (key, hash, shard) => {
    expect(fnv1a32Utf8(key)).toBe(hash);
    expect(shardOf(key)).toBe(shard);
  });

  it('shards jids evenly', () => {
    const counts = new Array<number>(LIST_SHARDS).fill(0);
    for (let i = 0; i < 16_000; i++) counts[shardOf(`user${i}@example.org`)]!++;
    for (const n of counts) expect(n).toBeGreaterThan(700);
  });

  it('recognises archive ids that encode their own time', () => {
    const ts = 1_700_000_000_123;
    const id = newArchiveId(ts);
    expect(isTimed({ id, ts, with: 'b@x', xml: '' })).toBe(true);
    expect(isTimed({ id, ts: ts + 1, with: 'b@x', xml: '' })).toBe(false);
    expect(isTimed({ id: 'a1', ts, with: 'b@x', xml: '' })).toBe(false);
    expect(isTimed({ id: id.toUpperCase(), ts, with: 'b@x', xml: '' })).toBe(false);
    expect(timedIdTime(id)).toBe(ts);
    expect(timedIdTime('a1')).toBeUndefined();
    expect(timedIdTime(undefined)).toBeUndefined();
  });

  it('plans offline deletions as a head range plus single rows', () => {
    const doomed = (set: number[]) => (seq: number) => set.includes(seq);
    expect(planOfflineDelete([1, 2, 3, 5, 8], doomed([1, 2, 5]), 100)).toEqual({
      through: 2,
      prefix: 2,
      seqs: [5],
    });
    expect(planOfflineDelete([3, 4], doomed([4, 9]), 100)).toEqual({
      through: undefined,
      prefix: 0,
      seqs: [4],
    });
    expect(planOfflineDelete([1, 2, 3], doomed([1, 2, 3]), 0)).toEqual({
      through: 3,
      prefix: 3,
      seqs: [],
    });
    expect(planOfflineDelete([1, 3, 4, 6], doomed([3, 4, 6]), 2)).toEqual({
      through: undefined,
      prefix: 0,
      seqs: [3, 4],
    });
    expect(planOfflineDelete([], doomed([1]), 10)).toEqual({
      through: undefined,
      prefix: 0,
      seqs: [],
    });
  });

  it('runs work for one key one at a time, other keys in parallel', async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    const task = (key: string, name: string, ms: number) =>
      mutex.run(key, async () => {
        log.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`end ${name}`);
        return name;
      });
    const results = await Promise.all([
      task('a', 'a1', 20),
      task('a', 'a2', 1),
      task('b', 'b1', 5),
    ]);
    expect(results).toEqual(['a1', 'a2', 'b1']);
    expect(log.indexOf('end a1')).toBeLessThan(log.indexOf('start a2'));
    expect(log.indexOf('start b1')).toBeLessThan(log.indexOf('end a1'));
    await expect(mutex.run('a', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await mutex.run('a', async () => 'after')).toBe('after');
  });

  it('maps with bounded concurrency, keeping order', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, n));
      running--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
    expect(await mapLimit([], 4, async () => 1)).toEqual([]);
  });
});

/* ------------------------------------------------------------------------ */
/* The contract suite against a real cluster.                               */
/* ------------------------------------------------------------------------ */

const contactPoints = process.env['CASSANDRA_CONTACT_POINTS'];

if (!contactPoints) {
  const reason = 'CASSANDRA_CONTACT_POINTS is not set (no Cassandra server on this machine)';
  console.warn(`store contract: cassandra — SKIPPED: ${reason}`);
  describe.skip(`store contract: cassandra — SKIPPED: ${reason}`, () => {
    it('runs the store contract suite against a real Cassandra cluster', () => undefined);
  });
} else {
  const givenKeyspace = process.env['CASSANDRA_KEYSPACE'];
  const connection = {
    contactPoints: contactPoints
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    localDataCenter: process.env['CASSANDRA_LOCAL_DC'] ?? 'datacenter1',
    keyspace: givenKeyspace ?? `parley_test_${randomBytes(6).toString('hex')}`,
    ...(process.env['CASSANDRA_USERNAME'] ? { username: process.env['CASSANDRA_USERNAME'] } : {}),
    ...(process.env['CASSANDRA_PASSWORD'] ? { password: process.env['CASSANDRA_PASSWORD'] } : {}),
  };
  const tables = [...parseSchema(loadMigrations().flatMap((m) => m.statements)).keys()];
  let client: Client | undefined;

  beforeAll(async () => {
    await migrateCassandra({
      ...connection,
      createKeyspace: true,
      replication: { class: 'SimpleStrategy', replicationFactor: 1 },
    });
    client = new Client(clientOptionsFor(connection, false));
    await client.connect();
  }, 300_000);

  afterAll(async () => {
    await client?.shutdown();
    if (givenKeyspace === undefined) await dropCassandraKeyspace(connection);
  }, 300_000);

  runStoreContractSuite(`cassandra (keyspace ${connection.keyspace})`, async () => {
    const c = client!;
    // Every test starts empty. (With CASSANDRA_KEYSPACE set, that keyspace is truncated!)
    await mapLimit(tables, 8, (table) => c.execute(`TRUNCATE ${connection.keyspace}.${table}`));
    return openCassandraStores({ ...connection, client: c });
  });
}

/* ------------------------------------------------------------------------ */
/* The contract suite against an in-process model of CQL (not a server).    */
/* ------------------------------------------------------------------------ */

{
  const model = new CqlModel(parseSchema(loadMigrations().flatMap((m) => m.statements)), 'ks');
  runStoreContractSuite('cassandra backend on the in-process CQL model (no server)', async () => {
    model.clear();
    return openCassandraStores({ keyspace: 'ks', client: model as unknown as Client });
  });
}
