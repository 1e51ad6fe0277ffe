import type {
  PubsubAffiliation,
  PubsubItem,
  PubsubNode,
  PubsubStore,
  PubsubSubscription,
} from '../contracts.js';
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
import type { CqlSession, Row, Statement } from './session.js';
import {
  CAS_ATTEMPTS,
  KeyedMutex,
  backoff,
  contention,
  mapLimit,
  optionalNumber,
  parseJson,
  requireString,
  toNumber,
} from './util.js';

/** Statics of a node's item partition. */
interface ItemState {
  lastSeq: number | null;
  count: number | null;
}

type Options = Record<string, string | string[]>;

/**
 * Tables:
 *
 * - `pubsub_nodes ((service), node)`: node configuration (JSON) and creation
 *   time; one partition per service, so `listNodes` is one slice in node
 *   order. `createNode` is `INSERT ... IF NOT EXISTS`; `updateNode` and
 *   `deleteNode` are `... IF EXISTS`.
 * - `pubsub_items ((service, node), kind, seq, item_id)`, clustered
 *   `kind ASC, seq DESC`, holds two kinds of rows in the node's partition:
 *   kind 0 rows are the items in publication order, newest first (seq is
 *   the node's publish counter), and kind 1 rows (seq 0) map an item id to
 *   the seq of its kind 0 row. Statics `last_seq` and `item_count`. Because
 *   both "indexes" live in one partition, a publish (new row, moved row of
 *   a replaced id, trimmed rows and their id rows, statics) is a single
 *   conditional batch guarded by `IF last_seq = ? AND item_count = ?`.
 *   Newest-first reads are slices of kind 0; trimming reads the oldest rows
 *   with the reversed clustering order.
 * - `pubsub_subscriptions ((service, node), jid, subid)` and its copy
 *   `pubsub_subscriptions_by_jid ((service, jid), node, subid)` for
 *   `subscriptionsOf`, written together in logged batches.
 * - `pubsub_affiliations ((service, node), jid)`.
 */
export class CassandraPubsubStore implements PubsubStore {
  private readonly mutex = new KeyedMutex();
  private readonly q: Record<string, string>;

  constructor(private readonly session: CqlSession) {
    const nodes = session.table('pubsub_nodes');
    const items = session.table('pubsub_items');
    const subs = session.table('pubsub_subscriptions');
    const subsByJid = session.table('pubsub_subscriptions_by_jid');
    const affs = session.table('pubsub_affiliations');
    const item = 'seq, item_id, publisher, ts, payload';
    const pk = 'service = ? AND node = ?';
    this.q = {
      getNode: `SELECT node, config, created_at FROM ${nodes} WHERE ${pk}`,
      listNodes: `SELECT node, config, created_at FROM ${nodes} WHERE service = ?`,
      createNode: `INSERT INTO ${nodes} (service, node, config, created_at) VALUES (?, ?, ?, ?) IF NOT EXISTS`,
      updateNode: `UPDATE ${nodes} SET config = ?, created_at = ? WHERE ${pk} IF EXISTS`,
      deleteNode: `DELETE FROM ${nodes} WHERE ${pk} IF EXISTS`,

      state: `SELECT last_seq, item_count FROM ${items} WHERE ${pk} LIMIT 1`,
      refs: `SELECT item_id, item_seq FROM ${items} WHERE ${pk} AND kind = 1 AND seq = 0 AND item_id IN ?`,
      newest: `SELECT ${item} FROM ${items} WHERE ${pk} AND kind = 0`,
      newestLimit: `SELECT ${item} FROM ${items} WHERE ${pk} AND kind = 0 LIMIT ?`,
      older: `SELECT ${item} FROM ${items} WHERE ${pk} AND kind = 0 AND seq < ?`,
      olderLimit: `SELECT ${item} FROM ${items} WHERE ${pk} AND kind = 0 AND seq < ? LIMIT ?`,
      oldest: `SELECT seq, item_id FROM ${items} WHERE ${pk} AND kind = 0 ORDER BY kind DESC, seq ASC, item_id DESC LIMIT ?`,
      bySeqs: `SELECT ${item} FROM ${items} WHERE ${pk} AND kind = 0 AND seq IN ?`,
      guard: `UPDATE ${items} SET last_seq = ?, item_count = ? WHERE ${pk} IF last_seq = ? AND item_count = ?`,
      insertItem: `INSERT INTO ${items} (service, node, kind, seq, item_id, publisher, ts, payload) VALUES (?, ?, 0, ?, ?, ?, ?, ?)`,
      insertRef: `INSERT INTO ${items} (service, node, kind, seq, item_id, item_seq) VALUES (?, ?, 1, 0, ?, ?)`,
      deleteItem: `DELETE FROM ${items} WHERE ${pk} AND kind = 0 AND seq = ? AND item_id = ?`,
      deleteRef: `DELETE FROM ${items} WHERE ${pk} AND kind = 1 AND seq = 0 AND item_id = ?`,
      deleteKind: `DELETE FROM ${items} WHERE ${pk} AND kind = ?`,
      dropItems: `DELETE FROM ${items} WHERE ${pk} IF last_seq = ? AND item_count = ?`,

      subs: `SELECT jid, subid, state, sub_options FROM ${subs} WHERE ${pk}`,
      subsOfJid: `SELECT subid FROM ${subs} WHERE ${pk} AND jid = ?`,
      subsOf: `SELECT node, subid, state, sub_options FROM ${subsByJid} WHERE service = ? AND jid = ?`,
      setSub: `INSERT INTO ${subs} (service, node, jid, subid, state, sub_options) VALUES (?, ?, ?, ?, ?, ?)`,
      setSubByJid: `INSERT INTO ${subsByJid} (service, jid, node, subid, state, sub_options) VALUES (?, ?, ?, ?, ?, ?)`,
      deleteSub: `DELETE FROM ${subs} WHERE ${pk} AND jid = ? AND subid = ?`,
      deleteSubByJid: `DELETE FROM ${subsByJid} WHERE service = ? AND jid = ? AND node = ? AND subid = ?`,
      deleteSubsOfJid: `DELETE FROM ${subs} WHERE ${pk} AND jid = ?`,
      deleteNodeSubsByJid: `DELETE FROM ${subsByJid} WHERE service = ? AND jid = ? AND node = ?`,
      deleteSubs: `DELETE FROM ${subs} WHERE ${pk}`,

      affs: `SELECT jid, affiliation FROM ${affs} WHERE ${pk}`,
      setAff: `INSERT INTO ${affs} (service, node, jid, affiliation) VALUES (?, ?, ?, ?)`,
      deleteAff: `DELETE FROM ${affs} WHERE ${pk} AND jid = ?`,
      deleteAffs: `DELETE FROM ${affs} WHERE ${pk}`,
    };
  }

  async getNode(service: string, node: string): Promise<PubsubNode | undefined> {
    this.session.life.assertOpen();
    checkNodeKey(service, node);
    const [row] = await this.session.read('pubsub.getNode', this.q.getNode!, [service, node]);
    return row && decodeNode(service, row);
  }

  async createNode(node: PubsubNode): Promise<boolean> {
    this.session.life.assertOpen();
    checkPubsubNode(node);
    const { service } = node;
    if (await this.nodeExists(service, node.node)) return false;
    // Leftovers of an earlier node of that name (a publish or subscription
    // that raced its deletion) must not show up in the new node.
    await this.clearNodeData(service, node.node);
    const { applied } = await this.session.cas('pubsub.createNode', this.q.createNode!, [
      service,
      node.node,
      JSON.stringify(node.config),
      node.createdAt,
    ]);
    return applied;
  }

  async updateNode(node: PubsubNode): Promise<boolean> {
    this.session.life.assertOpen();
    checkPubsubNode(node);
    const { applied } = await this.session.cas('pubsub.updateNode', this.q.updateNode!, [
      JSON.stringify(node.config),
      node.createdAt,
      node.service,
      node.node,
    ]);
    return applied;
  }

  async deleteNode(service: string, node: string): Promise<boolean> {
    this.session.life.assertOpen();
    checkNodeKey(service, node);
    const { applied } = await this.session.cas('pubsub.deleteNode', this.q.deleteNode!, [
      service,
      node,
    ]);
    if (applied) await this.clearNodeData(service, node);
    return applied;
  }

  async listNodes(service: string): Promise<PubsubNode[]> {
    this.session.life.assertOpen();
    checkJid(service, 'service');
    const rows = await this.session.readAll('pubsub.listNodes', this.q.listNodes!, [service]);
    return rows.map((row) => decodeNode(service, row));
  }

  async publish(
    service: string,
    node: string,
    item: PubsubItem,
    maxItems: number,
  ): Promise<string[]> {
    this.session.life.assertOpen();
    checkNodeKey(service, node);
    checkPubsubItem(item);
    checkMaxItems(maxItems);
    if (!(await this.nodeExists(service, node))) throw noSuchNode(service, node);
    const op = 'pubsub.publish';
    return this.mutex.run(nodeKey(service, node), async () => {
      for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
        const [state, refs] = await Promise.all([
          this.itemState(service, node),
          this.refs(service, node, [item.id]),
        ]);
        const oldSeq = refs.get(item.id);
        const count = (state.count ?? 0) - (oldSeq === undefined ? 0 : 1) + 1;
        const excess = maxItems === Infinity ? 0 : Math.max(0, count - maxItems);
        // The oldest items other than the one being replaced go first.
        let trimmed: { seq: number; id: string }[] = [];
        if (excess > 0) {
          const oldest = await this.session.readAll(op, this.q.oldest!, [
            service,
            node,
            excess + 1,
          ]);
          trimmed = oldest
            .map((row) => ({
              seq: toNumber(row.get('seq'), 'pubsub_items.seq'),
              id: requireString(row.get('item_id'), 'pubsub_items.item_id'),
            }))
            .filter((r) => r.seq !== oldSeq)
            .slice(0, excess);
        }
        // With maxItems 0 (or fewer other items than the excess) the new item goes too.
        const selfTrimmed = trimmed.length < excess;
        const seq = (state.lastSeq ?? 0) + 1;
        const statements: Statement[] = [this.guard(service, node, state, seq, count - excess)];
        if (oldSeq !== undefined) {
          statements.push({ query: this.q.deleteItem!, params: [service, node, oldSeq, item.id] });
        }
        if (selfTrimmed) {
          if (oldSeq !== undefined) {
            statements.push({ query: this.q.deleteRef!, params: [service, node, item.id] });
          }
        } else {
          statements.push(
            {
              query: this.q.insertItem!,
              params: [service, node, seq, item.id, item.publisher, item.ts, item.payload],
            },
            { query: this.q.insertRef!, params: [service, node, item.id, seq] },
          );
        }
        for (const t of trimmed) {
          statements.push(
            { query: this.q.deleteItem!, params: [service, node, t.seq, t.id] },
            { query: this.q.deleteRef!, params: [service, node, t.id] },
          );
        }
        if (await this.session.casBatch(op, statements)) {
          const ids = trimmed.map((t) => t.id);
          if (selfTrimmed) ids.push(item.id);
          return ids;
        }
        await backoff(attempt);
      }
      throw contention(op);
    });
  }

  async items(
    service: string,
    node: string,
    opts: { ids?: string[]; max?: number; after?: string } = {},
  ): Promise<{ items: PubsubItem[]; count: number }> {
    this.session.life.assertOpen();
    checkNodeKey(service, node);
    checkItemsOptions(opts);
    const op = 'pubsub.items';
    const state = await this.itemState(service, node);
    const count = state.count ?? 0;
    if (count === 0) return { items: [], count: 0 };
    let afterSeq: number | undefined;
    if (opts.after !== undefined) {
      afterSeq = (await this.refs(service, node, [opts.after])).get(opts.after);
      if (afterSeq === undefined) return { items: [], count };
    }
    if (opts.max === 0) return { items: [], count };

    if (opts.ids !== undefined) {
      const unique = [...new Set(opts.ids)];
      const refs = await this.refs(service, node, unique);
      let picked = unique.flatMap((id) => {
        const seq = refs.get(id);
        return seq === undefined ? [] : [seq];
      });
      if (afterSeq !== undefined) picked = picked.filter((seq) => seq < afterSeq);
      if (opts.max !== undefined) picked = picked.slice(0, opts.max);
      if (picked.length === 0) return { items: [], count };
      const rows = await this.session.readAll(op, this.q.bySeqs!, [service, node, picked]);
      const bySeq = new Map(rows.map((row) => [toNumber(row.get('seq'), 'pubsub_items.seq'), row]));
      const items = picked.flatMap((seq) => {
        const row = bySeq.get(seq);
        return row ? [decodeItem(row)] : [];
      });
      return { items, count };
    }

    const rows =
      afterSeq === undefined
        ? opts.max === undefined
          ? await this.session.readAll(op, this.q.newest!, [service, node])
          : await this.session.readAll(op, this.q.newestLimit!, [service, node, opts.max])
        : opts.max === undefined
          ? await this.session.readAll(op, this.q.older!, [service, node, afterSeq])
          : await this.session.readAll(op, this.q.olderLimit!, [service, node, afterSeq, opts.max]);
    return { items: rows.map(decodeItem), count };
  }

  async retract(service: string, node: string, id: string): Promise<boolean> {
    this.session.life.assertOpen();
    checkNodeKey(service, node);
    checkItemId(id);
    const op = 'pubsub.retract';
    return this.mutex.run(nodeKey(service, node), async () => {
      for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
        const [state, refs] = await Promise.all([
          this.itemState(service, node),
          this.refs(service, node, [id]),
        ]);
        const seq = refs.get(id);
        if (seq === undefined) return false;
        const applied = await this.session.casBatch(op, [
          this.guard(service, node, state, state.lastSeq ?? 0, Math.max(0, (state.count ?? 0) - 1)),
          { query: this.q.deleteItem!, params: [service, node, seq, id] },
          { query: this.q.deleteRef!, params: [service, node, id] },
        ]);
        if (applied) return true;
        await backoff(attempt);
      }
      throw contention(op);
    });
  }

  async purge(service: string, node: string): Promise<number> {
    this.session.life.assertOpen();
    checkNodeKey(service, node);
    const op = 'pubsub.purge';
    return this.mutex.run(nodeKey(service, node), async () => {
      for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
        const state = await this.itemState(service, node);
        const n = state.count ?? 0;
        if (n === 0) return 0;
        const applied = await this.session.casBatch(op, [
          this.guard(service, node, state, state.lastSeq ?? 0, 0),
          { query: this.q.deleteKind!, params: [service, node, 0] },
          { query: this.q.deleteKind!, params: [service, node, 1] },
        ]);
        if (applied) return n;
        await backoff(attempt);
      }
      throw contention(op);
    });
  }

  async subscriptions(service: string, node: string): Promise<PubsubSubscription[]> {
    this.session.life.assertOpen();
    checkNodeKey(service, node);
    const rows = await this.session.readAll('pubsub.subscriptions', this.q.subs!, [service, node]);
    return rows.map((row) =>
      decodeSubscription(requireString(row.get('jid'), 'pubsub_subscriptions.jid'), row),
    );
  }

  async subscriptionsOf(
    service: string,
    jid: string,
  ): Promise<(PubsubSubscription & { node: string })[]> {
    this.session.life.assertOpen();
    checkJid(service, 'service');
    checkJid(jid, 'jid');
    const rows = await this.session.readAll('pubsub.subscriptionsOf', this.q.subsOf!, [
      service,
      jid,
    ]);
    return rows.map((row) => ({
      ...decodeSubscription(jid, row),
      node: requireString(row.get('node'), 'pubsub_subscriptions_by_jid.node'),
    }));
  }

  async setSubscription(service: string, node: string, sub: PubsubSubscription): Promise<void> {
    this.session.life.assertOpen();
    checkNodeKey(service, node);
    checkSubscription(sub);
    if (!(await this.nodeExists(service, node))) throw noSuchNode(service, node);
    const options = sub.options === undefined ? null : JSON.stringify(sub.options);
    await this.session.batch(
      'pubsub.setSubscription',
      [
        { query: this.q.setSub!, params: [service, node, sub.jid, sub.subid, sub.state, options] },
        {
          query: this.q.setSubByJid!,
          params: [service, sub.jid, node, sub.subid, sub.state, options],
        },
      ],
      'logged',
    );
  }

  async removeSubscription(
    service: string,
    node: string,
    jid: string,
    subid?: string,
  ): Promise<number> {
    this.session.life.assertOpen();
    checkNodeKey(service, node);
    checkJid(jid, 'jid');
    const op = 'pubsub.removeSubscription';
    const rows = await this.session.readAll(op, this.q.subsOfJid!, [service, node, jid]);
    const subids = rows.map((row) => requireString(row.get('subid'), 'pubsub_subscriptions.subid'));
    if (subid === undefined) {
      if (subids.length === 0) return 0;
      await this.session.batch(
        op,
        [
          { query: this.q.deleteSubsOfJid!, params: [service, node, jid] },
          { query: this.q.deleteNodeSubsByJid!, params: [service, jid, node] },
        ],
        'logged',
      );
      return subids.length;
    }
    if (!subids.includes(subid)) return 0;
    await this.session.batch(
      op,
      [
        { query: this.q.deleteSub!, params: [service, node, jid, subid] },
        { query: this.q.deleteSubByJid!, params: [service, jid, node, subid] },
      ],
      'logged',
    );
    return 1;
  }

  async affiliations(
    service: string,
    node: string,
  ): Promise<{ jid: string; affiliation: PubsubAffiliation }[]> {
    this.session.life.assertOpen();
    checkNodeKey(service, node);
    const rows = await this.session.readAll('pubsub.affiliations', this.q.affs!, [service, node]);
    return rows.map((row) => ({
      jid: requireString(row.get('jid'), 'pubsub_affiliations.jid'),
      affiliation: requireString(
        row.get('affiliation'),
        'pubsub_affiliations.affiliation',
      ) as PubsubAffiliation,
    }));
  }

  async setAffiliation(
    service: string,
    node: string,
    jid: string,
    affiliation: PubsubAffiliation,
  ): Promise<void> {
    this.session.life.assertOpen();
    checkNodeKey(service, node);
    checkPubsubAffiliation(jid, affiliation);
    if (!(await this.nodeExists(service, node))) throw noSuchNode(service, node);
    if (affiliation === 'none') {
      await this.session.write('pubsub.setAffiliation', this.q.deleteAff!, [service, node, jid]);
    } else {
      await this.session.write('pubsub.setAffiliation', this.q.setAff!, [
        service,
        node,
        jid,
        affiliation,
      ]);
    }
  }

  async deleteService(service: string): Promise<number> {
    this.session.life.assertOpen();
    checkJid(service, 'service');
    const rows = await this.session.readAll('pubsub.deleteService', this.q.listNodes!, [service]);
    const nodes = rows.map((row) => requireString(row.get('node'), 'pubsub_nodes.node'));
    const deleted = await mapLimit(nodes, 8, (node) => this.deleteNode(service, node));
    return deleted.filter(Boolean).length;
  }

  private async nodeExists(service: string, node: string): Promise<boolean> {
    const rows = await this.session.read('pubsub.node', this.q.getNode!, [service, node]);
    return rows.length > 0;
  }

  /** Removes a node's items, subscriptions and affiliations (not the node row). */
  private async clearNodeData(service: string, node: string): Promise<void> {
    const op = 'pubsub.deleteNode';
    await this.mutex.run(nodeKey(service, node), async () => {
      for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
        const state = await this.itemState(service, node);
        if (state.lastSeq === null && state.count === null) return;
        // The item partition is only ever written by lightweight transactions,
        // so it is dropped by one too (conditional on its statics).
        const { applied } = await this.session.cas(op, this.q.dropItems!, [
          service,
          node,
          state.lastSeq,
          state.count,
        ]);
        if (applied) return;
        await backoff(attempt);
      }
      throw contention(op);
    });
    const subs = await this.session.readAll(op, this.q.subs!, [service, node]);
    const jids = [
      ...new Set(subs.map((row) => requireString(row.get('jid'), 'pubsub_subscriptions.jid'))),
    ];
    await mapLimit(jids, 16, (jid) =>
      this.session.write(op, this.q.deleteNodeSubsByJid!, [service, jid, node]),
    );
    await this.session.write(op, this.q.deleteSubs!, [service, node]);
    await this.session.write(op, this.q.deleteAffs!, [service, node]);
  }

  private async itemState(service: string, node: string): Promise<ItemState> {
    const [row] = await this.session.read('pubsub.items', this.q.state!, [service, node]);
    if (!row) return { lastSeq: null, count: null };
    return {
      lastSeq: optionalNumber(row.get('last_seq'), 'pubsub_items.last_seq') ?? null,
      count: optionalNumber(row.get('item_count'), 'pubsub_items.item_count') ?? null,
    };
  }

  /** Item id -> seq of its row, for the ids that exist. */
  private async refs(service: string, node: string, ids: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (ids.length === 0) return out;
    const rows = await this.session.readAll('pubsub.items', this.q.refs!, [service, node, ids]);
    for (const row of rows) {
      const seq = optionalNumber(row.get('item_seq'), 'pubsub_items.item_seq');
      if (seq !== undefined)
        out.set(requireString(row.get('item_id'), 'pubsub_items.item_id'), seq);
    }
    return out;
  }

  private guard(
    service: string,
    node: string,
    seen: ItemState,
    lastSeq: number,
    count: number,
  ): Statement {
    return {
      query: this.q.guard!,
      params: [lastSeq, count, service, node, seen.lastSeq, seen.count],
    };
  }
}

function nodeKey(service: string, node: string): string {
  return JSON.stringify([service, node]);
}

function decodeNode(service: string, row: Row): PubsubNode {
  return {
    service,
    node: requireString(row.get('node'), 'pubsub_nodes.node'),
    config: parseJson<Options>(row.get('config'), 'pubsub_nodes.config'),
    createdAt: toNumber(row.get('created_at'), 'pubsub_nodes.created_at'),
  };
}

function decodeItem(row: Row): PubsubItem {
  return {
    id: requireString(row.get('item_id'), 'pubsub_items.item_id'),
    publisher: requireString(row.get('publisher'), 'pubsub_items.publisher'),
    ts: toNumber(row.get('ts'), 'pubsub_items.ts'),
    payload: requireString(row.get('payload'), 'pubsub_items.payload'),
  };
}

function decodeSubscription(jid: string, row: Row): PubsubSubscription {
  const sub: PubsubSubscription = {
    jid,
    subid: requireString(row.get('subid'), 'pubsub_subscriptions.subid'),
    state: requireString(
      row.get('state'),
      'pubsub_subscriptions.state',
    ) as PubsubSubscription['state'],
  };
  const options = row.get('sub_options') as unknown;
  if (options !== null && options !== undefined) {
    sub.options = parseJson<Options>(options, 'pubsub_subscriptions.sub_options');
  }
  return sub;
}
