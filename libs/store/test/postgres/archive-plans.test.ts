import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBinary, startPostgresServer, type PostgresServer } from '@parley/testkit';
import type { ArchiveQuery } from '../../src/index.js';
import { archiveIdBounds, migratePostgres } from '../../src/index.js';
import { countSql, pageSql } from '../../src/postgres/archive-store.js';

/**
 * The archive's statements must be index scans at any size: a MAM page
 * touches the rows it returns, never the whole archive or table. This
 * fills 100,000 messages (50 archives of 2,000, 10 correspondents each),
 * ANALYZEs, and checks the plans PostgreSQL picks, both the custom plan of
 * the first executions and the generic plan a prepared statement settles
 * on. PARLEY_PRINT_PLANS=1 prints them (libs/store/README.md shows them).
 */
const canRun = hasBinary('initdb') || hasBinary('postgres');
const T0 = 1_750_000_000_000;
const TABLE = 'parley.archive_messages';
const MIXED = 'parley.archive_mixed';
const ARCHIVE = 'user7@example.org';
const idAt = (m: number) =>
  `${archiveIdBounds(T0 + m * 60_000).min.slice(0, 9)}${String(m).padStart(9, '0')}`;
const ID_500 = idAt(500);
const ID_1500 = idAt(1500);

const shapes: [string, Omit<ArchiveQuery, 'limit'> & { limit?: number }][] = [
  ['last page (RSM before, empty)', { fromEnd: true }],
  ['first page', {}],
  ['next page (after-id)', { afterId: ID_500 }],
  ['previous page (before-id)', { beforeId: ID_1500, fromEnd: true }],
  ['with a correspondent, last page', { with: 'friend3@example.org', fromEnd: true }],
  ['with, before-id', { with: 'friend3@example.org', beforeId: ID_1500, fromEnd: true }],
  ['with a full JID', { with: 'friend4@example.org', withResource: 'phone', fromEnd: true }],
  ['time range', { start: T0 + 100 * 60_000, end: T0 + 160 * 60_000 }],
  ['since (start only), first page', { start: T0 + 1900 * 60_000 }],
  ['since (start only), last page', { start: T0 + 1900 * 60_000, fromEnd: true }],
  ['until (end only), last page', { end: T0 + 100 * 60_000, fromEnd: true }],
  ['ids', { ids: [ID_500, ID_1500] }],
];

describe.skipIf(!canRun)('postgres archive: query plans use indexes', () => {
  let server: PostgresServer;
  let db: pg.Client;
  const print = process.env['PARLEY_PRINT_PLANS'] === '1';

  beforeAll(async () => {
    server = await startPostgresServer();
    await migratePostgres({ url: server.url });
    db = new pg.Client({ connectionString: server.url });
    await db.connect();
    // Ids as newArchiveId makes them: 9 base-36 digits of the time, then 9 more.
    for (let a = 1; a <= 50; a++) {
      const ms = Array.from({ length: 2000 }, (_, i) => i + 1);
      await db.query(
        `INSERT INTO ${TABLE} (archive, id, ts, with_jid, with_resource, xml)
         SELECT * FROM unnest($1::text[], $2::text[], $3::float8[], $4::text[], $5::text[], $6::text[])`,
        [
          ms.map(() => `user${a}@example.org`),
          ms.map(idAt),
          ms.map((m) => T0 + m * 60_000),
          ms.map((m) => `friend${m % 10}@example.org`),
          ms.map((m) => (m % 2 === 0 ? 'phone' : 'laptop')),
          ms.map((m) => `<message><body>message ${m}</body></message>`),
        ],
      );
    }
    await db.query(`ANALYZE ${TABLE}`);
  }, 120_000);

  afterAll(async () => {
    await db?.end();
    await server?.stop();
  });

  const plan = async (text: string, values: unknown[], generic: boolean): Promise<string> => {
    await db.query(`SET plan_cache_mode = ${generic ? 'force_generic_plan' : 'force_custom_plan'}`);
    await db.query('DEALLOCATE ALL');
    const types = values.map((v) =>
      Array.isArray(v) ? 'text[]' : typeof v === 'number' ? 'float8' : 'text',
    );
    await db.query(`PREPARE q(${types.join(', ')}) AS ${text}`);
    const literals = values.map((v) =>
      db.escapeLiteral(Array.isArray(v) ? `{${v.join(',')}}` : String(v)),
    );
    const r = await db.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN (COSTS OFF) EXECUTE q(${literals.join(', ')})`,
    );
    return r.rows.map((row) => row['QUERY PLAN']).join('\n');
  };

  it.each(shapes)('%s', async (name, shape) => {
    const q: ArchiveQuery = { limit: 50, ...shape };
    const page = pageSql(TABLE, MIXED, ARCHIVE, q);
    const rows = await db.query(page.text, page.values);
    expect(rows.rowCount).toBeGreaterThan(0);
    for (const generic of [false, true]) {
      const text = await plan(page.text, page.values, generic);
      if (print) console.log(`-- ${name} (${generic ? 'generic' : 'custom'} plan)\n${text}\n`);
      expect(text).not.toMatch(/Seq Scan/);
      expect(text).toMatch(/Index (Only )?Scan|Bitmap Index Scan/);
    }
  });

  it('counts (RSM <count/>) with a filter scan only that correspondent', async () => {
    const count = countSql(TABLE, MIXED, ARCHIVE, { with: 'friend3@example.org' });
    const text = await plan(count.text, count.values, false);
    if (print) console.log(`-- count with a correspondent\n${text}\n`);
    expect(text).not.toMatch(/Seq Scan/);
  });
});
