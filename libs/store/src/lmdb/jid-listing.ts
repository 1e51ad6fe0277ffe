import type { Database, Key } from 'lmdb';
import type { ListPage } from '../contracts.js';
import { StoreError } from '../errors.js';
import { checkLimit } from '../shared/validate.js';
import type { ReadTxn } from './env.js';
import { MAX, asTuple, checkKeySize } from './keys.js';

/**
 * One page of records keyed by a JID, in JID order: from the main table, or
 * for one domain from its [domain, jid] index. Reads one extra entry to
 * tell whether another page follows.
 */
export function listByJid<T extends { jid: string }>(
  snapshot: { transaction: ReadTxn },
  tables: {
    records: Database<T, string>;
    byDomain: Database<true, Key>;
    /** Table and index names, for errors. */
    tableName: string;
    indexName: string;
  },
  opts: { after?: string; limit?: number; domain?: string },
): ListPage<T> {
  const { after, limit, domain } = opts;
  checkLimit(limit);
  checkKeySize(domain ?? '', after ?? '');
  const fetch = limit === undefined ? undefined : limit + 1;
  const { records, byDomain, tableName, indexName } = tables;
  let items: T[];
  if (domain === undefined) {
    const range = records.getRange({
      ...snapshot,
      ...(after === undefined ? {} : { start: after, exclusiveStart: true }),
      ...(fetch === undefined ? {} : { limit: fetch }),
    });
    items = Array.from(range, ({ value }) => value);
  } else {
    const range = byDomain.getKeys({
      ...snapshot,
      start: after === undefined ? [domain] : [domain, after],
      exclusiveStart: after !== undefined,
      end: [domain, MAX],
      ...(fetch === undefined ? {} : { limit: fetch }),
    });
    items = Array.from(range, (key) => {
      const [, jid] = asTuple<[string, string]>(key, 'ss', indexName);
      const record = records.get(jid, snapshot);
      if (!record)
        throw new StoreError('corrupt', `${indexName} lists ${jid} but ${tableName} does not`);
      return record;
    });
  }
  if (limit === undefined || items.length <= limit) return { items };
  items.length = limit;
  return { items, next: items[limit - 1]!.jid };
}
