import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestPki,
  hasBinary,
  startPostgresServer,
  type PostgresServer,
  type TestPki,
} from '@parley/testkit';
import { runStoreContractSuite } from '../contract-suite.js';
import {
  StoreError,
  dropPostgresSchema,
  loadPgMigrations,
  migratePostgres,
  newArchiveId,
  openPostgresStores,
  openStores,
} from '../../src/index.js';
import { filterSql } from '../../src/postgres/archive-store.js';
import { checkSchema, poolConfigFor } from '../../src/postgres/options.js';

const canRun = hasBinary('initdb') || hasBinary('postgres');

/** The test's own connections; a server stopped under them (restart drill) is not an error here. */
function adminPool(url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on('error', () => undefined);
  return pool;
}

describe('postgres backend: configuration and migrations (no server)', () => {
  it('checks schema names, which are interpolated into SQL', () => {
    for (const ok of ['parley', 'parley_test_01', '_x'])
      expect(() => checkSchema(ok)).not.toThrow();
    for (const bad of ['Parley', '1abc', 'a-b', 'a";DROP', '', 'x'.repeat(64)]) {
      expect(() => checkSchema(bad)).toThrow(/invalid PostgreSQL schema/);
    }
  });

  it('maps sslmode to TLS options', () => {
    const base = { host: 'db', ssl: { mode: 'disable' as const } };
    expect(poolConfigFor(base).ssl).toBe(false);
    expect(poolConfigFor({ ...base, ssl: { mode: 'require' } }).ssl).toEqual({
      rejectUnauthorized: false,
    });
    const verifyCa = poolConfigFor({ ...base, ssl: { mode: 'verify-ca', ca: 'PEM' } }).ssl;
    expect(verifyCa).toMatchObject({ ca: 'PEM', rejectUnauthorized: true });
    expect((verifyCa as { checkServerIdentity?: unknown }).checkServerIdentity).toBeTypeOf(
      'function',
    );
    const full = poolConfigFor({ ...base, ssl: { mode: 'verify-full', ca: 'PEM' } }).ssl;
    expect(full).toEqual({ ca: 'PEM', rejectUnauthorized: true });
    expect(() => poolConfigFor({})).toThrow(/url or a host/);
    expect(() => poolConfigFor({ host: 'db', poolSize: 0 })).toThrow(/poolSize/);
  });

  it('builds one WHERE clause per filter combination, parameters in order', () => {
    expect(filterSql('a@x', {})).toEqual({ where: 'archive = $1', values: ['a@x'] });
    expect(
      filterSql('a@x', {
        with: 'b@x',
        start: 1,
        end: 2,
        afterId: 'i1',
        beforeId: 'i9',
        ids: ['i5'],
      }),
    ).toEqual({
      where:
        'archive = $1 AND with_jid = $2 AND ts >= $3 AND ts <= $4 AND id > $5 AND id < $6 AND id = ANY($7::text[])',
      values: ['a@x', 'b@x', 1, 2, 'i1', 'i9', ['i5']],
    });
  });

  it('loads deploy/postgres in version order and rejects stray names and duplicates', () => {
    const shipped = loadPgMigrations();
    expect(shipped[0]?.version).toBe(1);
    const dir = mkdtempSync(join(tmpdir(), 'parley-pgmig-'));
    try {
      writeFileSync(join(dir, '010_later.sql'), 'SELECT 1;');
      writeFileSync(join(dir, '002_first.sql'), 'SELECT 2;');
      writeFileSync(join(dir, 'README.md'), 'not a migration');
      expect(loadPgMigrations(dir).map((m) => m.version)).toEqual([2, 10]);
      writeFileSync(join(dir, '2_again.sql'), '');
      expect(() => loadPgMigrations(dir)).toThrow(/two migrations with version 2/);
      rmSync(join(dir, '2_again.sql'));
      writeFileSync(join(dir, 'oops.sql'), '');
      expect(() => loadPgMigrations(dir)).toThrow(/NNN_name\.sql/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!canRun)('postgres backend on a real server', () => {
  let server: PostgresServer;
  let admin: pg.Pool;
  const schema = 'parley_contract';
  let tables: string[] = [];

  beforeAll(async () => {
    server = await startPostgresServer();
    await migratePostgres({ url: server.url, schema });
    admin = adminPool(server.url);
    const r = await admin.query<{ tablename: string }>(
      `SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename <> 'parley_schema_migrations'`,
      [schema],
    );
    tables = r.rows.map((row) => `"${schema}".${row.tablename}`);
  });

  afterAll(async () => {
    await admin?.end();
    await server?.stop();
  });

  runStoreContractSuite('postgres', async () => {
    await admin.query(`TRUNCATE ${tables.join(', ')}`);
    return openPostgresStores({ url: server.url, schema, poolSize: 4 });
  });

  describe('migrations', () => {
    it('are idempotent, recorded with checksums, and an edited file is reported', async () => {
      const again = await migratePostgres({ url: server.url, schema });
      expect(again.applied).toEqual([]);
      expect(again.alreadyApplied).toContain(1);
      const dir = mkdtempSync(join(tmpdir(), 'parley-pgmig-'));
      try {
        for (const m of loadPgMigrations())
          writeFileSync(
            join(dir, `${String(m.version).padStart(3, '0')}_${m.name}.sql`),
            `${m.sql}\n-- edited\n`,
          );
        writeFileSync(join(dir, '999_extra.sql'), 'CREATE TABLE extra (x int);');
        const edited = await migratePostgres({ url: server.url, schema: 'parley_mig', dir });
        expect(edited.applied).toEqual([...loadPgMigrations().map((m) => m.version), 999]);
        const report = await migratePostgres({ url: server.url, schema, dir: dir });
        expect(report.changed).toContain(1);
        expect(report.applied).toEqual([999]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
        await dropPostgresSchema({ url: server.url, schema: 'parley_mig' });
        await admin.query(`DROP TABLE IF EXISTS "${schema}".extra`);
        await admin.query(`DELETE FROM "${schema}".parley_schema_migrations WHERE version = 999`);
      }
    });

    it('a failed migration leaves nothing behind', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'parley-pgmig-'));
      try {
        writeFileSync(join(dir, '001_ok.sql'), 'CREATE TABLE t1 (x int);');
        writeFileSync(
          join(dir, '002_bad.sql'),
          'CREATE TABLE t2 (x int); SELECT no_such_function();',
        );
        await expect(
          migratePostgres({ url: server.url, schema: 'parley_bad', dir }),
        ).rejects.toThrow(/002_bad\.sql failed/);
        const r = await admin.query(
          `SELECT tablename FROM pg_tables WHERE schemaname = 'parley_bad' ORDER BY 1`,
        );
        expect(r.rows.map((row: { tablename: string }) => row.tablename)).toEqual([
          'parley_schema_migrations',
          't1',
        ]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
        await dropPostgresSchema({ url: server.url, schema: 'parley_bad' });
      }
    });

    it('concurrent runs apply each migration once', async () => {
      try {
        const runs = await Promise.all(
          [1, 2, 3].map(() => migratePostgres({ url: server.url, schema: 'parley_race' })),
        );
        const applied = runs.flatMap((r) => r.applied).sort((a, b) => a - b);
        expect(applied).toEqual(loadPgMigrations().map((m) => m.version));
      } finally {
        await dropPostgresSchema({ url: server.url, schema: 'parley_race' });
      }
    });
  });

  describe('opening', () => {
    it('refuses a schema that was never migrated, naming the command to run', async () => {
      const err = await openPostgresStores({ url: server.url, schema: 'nothing_here' }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(StoreError);
      expect((err as Error).message).toMatch(/xmppctl postgres migrate/);
    });

    it('reports an unreachable server as a backend error', async () => {
      const err = await openPostgresStores({
        host: '127.0.0.1',
        port: 1,
        user: 'postgres',
        connectTimeoutMs: 2000,
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).code).toBe('backend');
    });

    it('is what openStores gives for kind postgres', async () => {
      const stores = await openStores({
        kind: 'postgres',
        dataDir: '/nonexistent',
        postgres: { url: server.url, schema },
      });
      try {
        expect(await stores.accounts.count('nowhere.example')).toBe(0);
      } finally {
        await stores.close();
      }
    });
  });

  describe('behaviour a shared store must show', () => {
    it('two processes (two pools) see each other’s writes at once', async () => {
      await admin.query(`TRUNCATE ${tables.join(', ')}`);
      const a = await openPostgresStores({ url: server.url, schema, poolSize: 2 });
      const b = await openPostgresStores({ url: server.url, schema, poolSize: 2 });
      try {
        const credentials = {
          salt: 'c2FsdA==',
          iterations: 4096,
          storedKey: 'a2V5',
          serverKey: 'c2Vy',
        };
        expect(
          await a.accounts.create({
            jid: 'shared@example.org',
            credentials: { 'SCRAM-SHA-1': credentials, 'SCRAM-SHA-256': credentials },
            createdAt: 1,
          }),
        ).toBe(true);
        expect((await b.accounts.get('shared@example.org'))?.jid).toBe('shared@example.org');
        expect(await b.accounts.count('example.org')).toBe(1);
        // Concurrent offline pushes through both pools never pass the cap.
        const pushes = await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            (i % 2 ? a : b).offline.push('shared@example.org', `<m n='${i}'/>`, i, 25),
          ),
        );
        expect(pushes.filter((p) => p !== undefined)).toHaveLength(25);
        expect(await a.offline.count('shared@example.org')).toBe(25);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('survives a server restart: the pool reconnects, nothing is lost', async () => {
      await admin.query(`TRUNCATE ${tables.join(', ')}`);
      const stores = await openPostgresStores({ url: server.url, schema, poolSize: 2 });
      try {
        const id = newArchiveId(1000);
        await stores.archive.append('a@x.org', { id, ts: 1000, with: 'b@x.org', xml: '<m/>' });
        await admin.end();
        await server.kill();
        await expect(stores.archive.get('a@x.org', id)).rejects.toBeInstanceOf(StoreError);
        await server.start();
        expect((await stores.archive.get('a@x.org', id))?.xml).toBe('<m/>');
      } finally {
        await stores.close();
        admin = adminPool(server.url);
      }
    });
  });
});

describe.skipIf(!canRun)('postgres backend: authentication and TLS', () => {
  let pki: TestPki;
  let server: PostgresServer;
  const password = 'pg-s3cret';
  const pem = (file: string) => readFileSync(file, 'utf8');

  beforeAll(async () => {
    pki = await createTestPki();
    server = await startPostgresServer({
      password,
      tls: {
        certFile: pki.serverCertFile,
        keyFile: pki.serverKeyFile,
        caFile: pki.caFile,
        clientCerts: true,
      },
      settings: { listen_addresses: '127.0.0.1,127.0.0.2' },
    });
  });

  afterAll(async () => {
    await server?.stop();
    await pki?.remove();
  });

  const secured = () => ({
    host: '127.0.0.1',
    port: server.port,
    database: 'postgres',
    user: 'postgres',
    password,
    schema: 'parley_tls',
    connectTimeoutMs: 5000,
    ssl: {
      mode: 'verify-full' as const,
      ca: pem(pki.caFile),
      cert: pem(pki.clientCertFile),
      key: pem(pki.clientKeyFile),
    },
  });

  it('migrates and serves over verified TLS with a password and a client certificate', async () => {
    await migratePostgres(secured());
    const stores = await openPostgresStores(secured());
    try {
      await stores.vcards.set('alice@example.org', '<vCard xmlns="vcard-temp"/>');
      expect(await stores.vcards.get('alice@example.org')).toBe('<vCard xmlns="vcard-temp"/>');
      const admin = new pg.Client({ ...poolConfigFor(secured()) });
      await admin.connect();
      try {
        const r = await admin.query<{ ssl: boolean }>(
          'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
        );
        expect(r.rows[0]?.ssl).toBe(true);
      } finally {
        await admin.end();
      }
    } finally {
      await stores.close();
    }
  });

  const refused = async (opts: Parameters<typeof openPostgresStores>[0], reason: RegExp) => {
    const err = await openPostgresStores(opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('backend');
    expect((err as Error).message).toMatch(reason);
  };

  it('refuses a client without TLS', async () => {
    await refused({ ...secured(), ssl: { mode: 'disable' } }, /no encryption|pg_hba\.conf/);
  });

  it('refuses a wrong password', async () => {
    await refused({ ...secured(), password: 'wrong' }, /password authentication failed/);
  });

  it('refuses a server whose certificate does not chain to the configured CA', async () => {
    await refused(
      { ...secured(), ssl: { ...secured().ssl, ca: pem(pki.otherCaFile) } },
      /certificate|self.signed/i,
    );
  });

  it('refuses a server whose certificate does not name the host (verify-full)', async () => {
    await refused({ ...secured(), host: '127.0.0.2' }, /altnames|Hostname|IP/i);
  });

  it('refuses a client without a client certificate where the server requires one', async () => {
    const { cert: _cert, key: _key, ...ssl } = secured().ssl;
    await refused({ ...secured(), ssl }, /certificate/i);
  });
});
