import type {
  PubsubAffiliation,
  PubsubItem,
  PubsubNode,
  PubsubStore,
  PubsubSubscription,
} from '../contracts.js';
import { withoutUndefined } from '../shared/record-values.js';
import {
  checkItemId,
  checkItemsOptions,
  checkMaxItems,
  checkNodeKey,
  checkPubsubAffiliation,
  checkPubsubItem,
  checkPubsubNode,
  checkSubscription,
  noSuchNode,
} from '../shared/pubsub-validate.js';
import { checkJid } from '../shared/validate.js';
import type { PgSession } from './session.js';

interface NodeRow {
  service: string;
  node: string;
  config: Record<string, string | string[]>;
  created_at: number;
}

interface ItemRow {
  item_id: string;
  publisher: string;
  ts: number;
  payload: string;
}

interface SubscriptionRow {
  node: string;
  jid: string;
  subid: string;
  state: PubsubSubscription['state'];
  options: Record<string, string | string[]> | null;
}

const toNode = (row: NodeRow): PubsubNode => ({
  service: row.service,
  node: row.node,
  config: row.config,
  createdAt: row.created_at,
});

const toItem = (row: ItemRow): PubsubItem => ({
  id: row.item_id,
  publisher: row.publisher,
  ts: row.ts,
  payload: row.payload,
});

const toSubscription = (row: SubscriptionRow): PubsubSubscription =>
  withoutUndefined({
    jid: row.jid,
    subid: row.subid,
    state: row.state,
    options: row.options ?? undefined,
  });

/** foreign_key_violation: a write for a node that does not exist (or was just deleted). */
const NO_NODE = '23503';

/**
 * `pubsub_nodes` with `pubsub_items`, `pubsub_subscriptions` and
 * `pubsub_affiliations`, which reference their node (ON DELETE CASCADE), so
 * a write can never outlive its node. A publish runs in one transaction
 * that holds the node row: it takes the next sequence number, writes the
 * item (a republished id moves to the newest place) and trims the oldest
 * items beyond max_items.
 */
export class PostgresPubsubStore implements PubsubStore {
  private readonly q;

  constructor(private readonly db: PgSession) {
    const nodes = db.table('pubsub_nodes');
    const items = db.table('pubsub_items');
    const subs = db.table('pubsub_subscriptions');
    const affs = db.table('pubsub_affiliations');
    const nodeColumns = 'service, node, config, created_at';
    const itemColumns = 'item_id, publisher, ts, payload';
    this.q = {
      getNode: `SELECT ${nodeColumns} FROM ${nodes} WHERE service = $1 AND node = $2`,
      createNode: `INSERT INTO ${nodes} (service, node, config, created_at) VALUES ($1, $2, $3, $4)
        ON CONFLICT (service, node) DO NOTHING`,
      updateNode: `UPDATE ${nodes} SET config = $3, created_at = $4 WHERE service = $1 AND node = $2`,
      deleteNode: `DELETE FROM ${nodes} WHERE service = $1 AND node = $2`,
      listNodes: `SELECT ${nodeColumns} FROM ${nodes} WHERE service = $1 ORDER BY node`,
      nextSeq: `UPDATE ${nodes} SET last_seq = last_seq + 1 WHERE service = $1 AND node = $2
        RETURNING last_seq`,
      putItem: `INSERT INTO ${items} (service, node, item_id, seq, publisher, ts, payload)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (service, node, item_id) DO UPDATE SET seq = excluded.seq,
          publisher = excluded.publisher, ts = excluded.ts, payload = excluded.payload`,
      trim: `DELETE FROM ${items} WHERE service = $1 AND node = $2 AND seq <= (
          SELECT seq FROM ${items} WHERE service = $1 AND node = $2
          ORDER BY seq DESC OFFSET $3 LIMIT 1)
        RETURNING item_id, seq`,
      items: `SELECT (SELECT count(*) FROM ${items} WHERE service = $1 AND node = $2)::bigint AS count,
          (SELECT coalesce(json_agg(x ORDER BY x.seq DESC), '[]') FROM (
            SELECT ${itemColumns}, seq FROM ${items} WHERE service = $1 AND node = $2
              AND ($4::text[] IS NULL OR item_id = ANY($4::text[]))
              AND ($5::text IS NULL OR seq < (SELECT seq FROM ${items}
                WHERE service = $1 AND node = $2 AND item_id = $5))
            ORDER BY seq DESC LIMIT $3) x) AS items`,
      retract: `DELETE FROM ${items} WHERE service = $1 AND node = $2 AND item_id = $3`,
      purge: `DELETE FROM ${items} WHERE service = $1 AND node = $2`,
      subscriptions: `SELECT node, jid, subid, state, options FROM ${subs}
        WHERE service = $1 AND node = $2 ORDER BY jid, subid`,
      subscriptionsOf: `SELECT node, jid, subid, state, options FROM ${subs}
        WHERE service = $1 AND jid = $2 ORDER BY node, subid`,
      setSubscription: `INSERT INTO ${subs} (service, node, jid, subid, state, options)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (service, node, jid, subid) DO UPDATE SET state = excluded.state, options = excluded.options`,
      removeSubscription: `DELETE FROM ${subs} WHERE service = $1 AND node = $2 AND jid = $3
        AND ($4::text IS NULL OR subid = $4)`,
      affiliations: `SELECT jid, affiliation FROM ${affs} WHERE service = $1 AND node = $2 ORDER BY jid`,
      setAffiliation: `INSERT INTO ${affs} (service, node, jid, affiliation) VALUES ($1, $2, $3, $4)
        ON CONFLICT (service, node, jid) DO UPDATE SET affiliation = excluded.affiliation`,
      removeAffiliation: `WITH n AS (SELECT 1 FROM ${nodes} WHERE service = $1 AND node = $2),
          d AS (DELETE FROM ${affs} WHERE service = $1 AND node = $2 AND jid = $3)
        SELECT count(*)::int AS n FROM n`,
      deleteService: `DELETE FROM ${nodes} WHERE service = $1`,
    };
  }

  async getNode(service: string, node: string): Promise<PubsubNode | undefined> {
    checkNodeKey(service, node);
    const r = await this.db.run('pubsub.getNode', (q) =>
      q.query<NodeRow>(this.q.getNode, [service, node]),
    );
    const row = r.rows[0];
    return row && toNode(row);
  }

  async createNode(node: PubsubNode): Promise<boolean> {
    checkPubsubNode(node);
    const r = await this.db.run('pubsub.createNode', (q) =>
      q.query(this.q.createNode, [
        node.service,
        node.node,
        JSON.stringify(node.config),
        node.createdAt,
      ]),
    );
    return r.rowCount === 1;
  }

  async updateNode(node: PubsubNode): Promise<boolean> {
    checkPubsubNode(node);
    const r = await this.db.run('pubsub.updateNode', (q) =>
      q.query(this.q.updateNode, [
        node.service,
        node.node,
        JSON.stringify(node.config),
        node.createdAt,
      ]),
    );
    return r.rowCount === 1;
  }

  async deleteNode(service: string, node: string): Promise<boolean> {
    checkNodeKey(service, node);
    const r = await this.db.run('pubsub.deleteNode', (q) =>
      q.query(this.q.deleteNode, [service, node]),
    );
    return r.rowCount === 1;
  }

  async listNodes(service: string): Promise<PubsubNode[]> {
    checkJid(service, 'service');
    const r = await this.db.run('pubsub.listNodes', (q) =>
      q.query<NodeRow>(this.q.listNodes, [service]),
    );
    return r.rows.map(toNode);
  }

  async publish(
    service: string,
    node: string,
    item: PubsubItem,
    maxItems: number,
  ): Promise<string[]> {
    checkNodeKey(service, node);
    checkPubsubItem(item);
    checkMaxItems(maxItems);
    return this.db.tx('pubsub.publish', async (q) => {
      const seq = await q.query<{ last_seq: string }>(this.q.nextSeq, [service, node]);
      const last = seq.rows[0];
      if (!last) throw noSuchNode(service, node);
      await q.query(this.q.putItem, [
        service,
        node,
        item.id,
        last.last_seq,
        item.publisher,
        item.ts,
        item.payload,
      ]);
      if (maxItems === Infinity) return [];
      const trimmed = await q.query<{ item_id: string; seq: string }>(this.q.trim, [
        service,
        node,
        maxItems,
      ]);
      return trimmed.rows.sort((a, b) => Number(a.seq) - Number(b.seq)).map((row) => row.item_id);
    });
  }

  async items(
    service: string,
    node: string,
    opts: { ids?: string[]; max?: number; after?: string } = {},
  ): Promise<{ items: PubsubItem[]; count: number }> {
    checkNodeKey(service, node);
    checkItemsOptions(opts);
    const r = await this.db.run('pubsub.items', (q) =>
      q.query<{ count: string; items: ItemRow[] }>(this.q.items, [
        service,
        node,
        opts.ids === undefined ? (opts.max ?? null) : null,
        opts.ids === undefined ? null : [...new Set(opts.ids)],
        opts.after ?? null,
      ]),
    );
    const row = r.rows[0];
    let items = (row?.items ?? []).map(toItem);
    if (opts.ids !== undefined) {
      const byId = new Map(items.map((i) => [i.id, i]));
      items = [...new Set(opts.ids)].flatMap((id) => byId.get(id) ?? []);
      if (opts.max !== undefined) items = items.slice(0, opts.max);
    }
    return { items, count: Number(row?.count ?? 0) };
  }

  async retract(service: string, node: string, id: string): Promise<boolean> {
    checkNodeKey(service, node);
    checkItemId(id);
    const r = await this.db.run('pubsub.retract', (q) =>
      q.query(this.q.retract, [service, node, id]),
    );
    return r.rowCount === 1;
  }

  async purge(service: string, node: string): Promise<number> {
    checkNodeKey(service, node);
    const r = await this.db.run('pubsub.purge', (q) => q.query(this.q.purge, [service, node]));
    return r.rowCount ?? 0;
  }

  async subscriptions(service: string, node: string): Promise<PubsubSubscription[]> {
    checkNodeKey(service, node);
    const r = await this.db.run('pubsub.subscriptions', (q) =>
      q.query<SubscriptionRow>(this.q.subscriptions, [service, node]),
    );
    return r.rows.map(toSubscription);
  }

  async subscriptionsOf(
    service: string,
    jid: string,
  ): Promise<(PubsubSubscription & { node: string })[]> {
    checkJid(service, 'service');
    checkJid(jid, 'jid');
    const r = await this.db.run('pubsub.subscriptionsOf', (q) =>
      q.query<SubscriptionRow>(this.q.subscriptionsOf, [service, jid]),
    );
    return r.rows.map((row) => ({ ...toSubscription(row), node: row.node }));
  }

  async setSubscription(service: string, node: string, sub: PubsubSubscription): Promise<void> {
    checkNodeKey(service, node);
    checkSubscription(sub);
    await this.nodeWrite(service, node, 'pubsub.setSubscription', this.q.setSubscription, [
      service,
      node,
      sub.jid,
      sub.subid,
      sub.state,
      sub.options === undefined ? null : JSON.stringify(sub.options),
    ]);
  }

  async removeSubscription(
    service: string,
    node: string,
    jid: string,
    subid?: string,
  ): Promise<number> {
    checkNodeKey(service, node);
    checkJid(jid, 'jid');
    const r = await this.db.run('pubsub.removeSubscription', (q) =>
      q.query(this.q.removeSubscription, [service, node, jid, subid ?? null]),
    );
    return r.rowCount ?? 0;
  }

  async affiliations(
    service: string,
    node: string,
  ): Promise<{ jid: string; affiliation: PubsubAffiliation }[]> {
    checkNodeKey(service, node);
    const r = await this.db.run('pubsub.affiliations', (q) =>
      q.query<{ jid: string; affiliation: PubsubAffiliation }>(this.q.affiliations, [
        service,
        node,
      ]),
    );
    return r.rows.map((row) => ({ jid: row.jid, affiliation: row.affiliation }));
  }

  async setAffiliation(
    service: string,
    node: string,
    jid: string,
    affiliation: PubsubAffiliation,
  ): Promise<void> {
    checkNodeKey(service, node);
    checkPubsubAffiliation(jid, affiliation);
    if (affiliation === 'none') {
      const r = await this.db.run('pubsub.setAffiliation', (q) =>
        q.query<{ n: number }>(this.q.removeAffiliation, [service, node, jid]),
      );
      if (r.rows[0]?.n !== 1) throw noSuchNode(service, node);
      return;
    }
    await this.nodeWrite(service, node, 'pubsub.setAffiliation', this.q.setAffiliation, [
      service,
      node,
      jid,
      affiliation,
    ]);
  }

  async deleteService(service: string): Promise<number> {
    checkJid(service, 'service');
    const r = await this.db.run('pubsub.deleteService', (q) =>
      q.query(this.q.deleteService, [service]),
    );
    return r.rowCount ?? 0;
  }

  /** A write of a row that references its node; a missing node is `noSuchNode`. */
  private async nodeWrite(
    service: string,
    node: string,
    operation: string,
    sql: string,
    values: unknown[],
  ): Promise<void> {
    await this.db.run(operation, async (q) => {
      try {
        await q.query(sql, values);
      } catch (err) {
        if ((err as { code?: unknown }).code === NO_NODE) throw noSuchNode(service, node);
        throw err;
      }
    });
  }
}
