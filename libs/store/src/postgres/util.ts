import { randomInt } from 'node:crypto';
import type { ListPage } from '../contracts.js';
import type { PgSession } from './session.js';

/** Rows per domain in `account_counts`; part of the data layout. */
export const COUNT_SHARDS = 16;

export function randomShard(): number {
  return randomInt(COUNT_SHARDS);
}

/**
 * One page of a JID-keyed listing (accounts, rooms): `list` takes ($1 after,
 * $2 limit), `listDomain` also $3 domain. One extra row tells whether a next
 * page exists.
 */
export async function listPage<Row extends { jid: string }, T>(
  db: PgSession,
  operation: string,
  opts: { after?: string; limit?: number; domain?: string },
  list: string,
  listDomain: string,
  map: (row: Row) => T,
): Promise<ListPage<T>> {
  const limit = opts.limit;
  const values: unknown[] = [opts.after ?? '', limit === undefined ? null : limit + 1];
  const r = await db.run(operation, (q) =>
    opts.domain === undefined
      ? q.query<Row>(list, values)
      : q.query<Row>(listDomain, [...values, opts.domain]),
  );
  const rows = r.rows;
  const more = limit !== undefined && rows.length > limit;
  if (more) rows.length = limit;
  const items = rows.map(map);
  const last = rows[rows.length - 1];
  return more && last !== undefined ? { items, next: last.jid } : { items };
}
