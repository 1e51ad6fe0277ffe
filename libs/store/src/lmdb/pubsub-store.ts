import type {
  PubsubAffiliation,
  PubsubItem,
  PubsubNode,
  PubsubStore,
  PubsubSubscription,
} from '../contracts.js';
import { StoreError } from '../errors.js';
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
import type { LmdbEnv, PubsubNodeRecord } from './env.js';
import { MAX, asTuple, checkKeySize, fitsKey } from './keys.js';
import { prefixRange, removePrefix } from './range.js';

/**
 * pubsub-nodes: [service, node] -> { node, seq, count }; pubsub-items:
 * [service, node, seq] -> item, so a node's items are one range in
 * publication order (newest first is a reverse scan); pubsub-item-ids:
 * [service, node, id] -> seq; pubsub-subscriptions: [service, node, jid,
 * subid] -> subscription; pubsub-subscriptions-by-jid: [service, jid, node,
 * subid] -> true (subscriptionsOf is one range); pubsub-affiliations:
 * [service, node, jid] -> affiliation. A service's keys all start with
 * [service], so deleteService is one range per sub-database. Items,
 * subscriptions and affiliations are only written while their node exists,
 * checked in the same transaction.
 */
export class LmdbPubsubStore implements PubsubStore {
  constructor(private readonly env: LmdbEnv) {}

  async getNode(service: string, node: string): Promise<PubsubNode | undefined> {
    checkNode(service, node);
    return this.env.read(
      'pubsub.getNode',
      (snapshot) => this.env.dbs.pubsubNodes.get([service, node], snapshot)?.node,
    );
  }

  async createNode(node: PubsubNode): Promise<boolean> {
    checkPubsubNode(node);
    checkNode(node.service, node.node);
    const record = withoutUndefined(node);
    const { pubsubNodes } = this.env.dbs;
    return this.env.write('pubsub.createNode', () => {
      const key = [record.service, record.node];
      if (pubsubNodes.doesExist(key)) return false;
      void pubsubNodes.put(key, { node: record, seq: 0, count: 0 });
      return true;
    });
  }

  async updateNode(node: PubsubNode): Promise<boolean> {
    checkPubsubNode(node);
    checkNode(node.service, node.node);
    const record = withoutUndefined(node);
    const { pubsubNodes } = this.env.dbs;
    return this.env.write('pubsub.updateNode', () => {
      const key = [record.service, record.node];
      const current = pubsubNodes.get(key);
      if (!current) return false;
      void pubsubNodes.put(key, { ...current, node: record });
      return true;
    });
  }

  async deleteNode(service: string, node: string): Promise<boolean> {
    checkNode(service, node);
    return this.env.write('pubsub.deleteNode', () => {
      const { pubsubNodes } = this.env.dbs;
      if (!pubsubNodes.doesExist([service, node])) return false;
      this.removeNode(service, node);
      return true;
    });
  }

  async listNodes(service: string): Promise<PubsubNode[]> {
    checkService(service);
    return this.env.read('pubsub.listNodes', (snapshot) =>
      Array.from(
        this.env.dbs.pubsubNodes.getRange({ ...snapshot, ...prefixRange([service]) }),
        ({ value }) => value.node,
      ),
    );
  }

  async publish(
    service: string,
    node: string,
    item: PubsubItem,
    maxItems: number,
  ): Promise<string[]> {
    checkNode(service, node);
    checkPubsubItem(item);
    checkMaxItems(maxItems);
    checkKeySize(service, node, item.id);
    const record = withoutUndefined(item);
    const { pubsubNodes, pubsubItems, pubsubItemIds } = this.env.dbs;
    return this.env.write('pubsub.publish', () => {
      const current = this.nodeRecord(service, node);
      let count = current.count;
      const old = pubsubItemIds.get([service, node, record.id]);
      if (old !== undefined) {
        void pubsubItems.remove([service, node, old]);
        count--;
      }
      const seq = current.seq + 1;
      void pubsubItems.put([service, node, seq], record);
      void pubsubItemIds.put([service, node, record.id], seq);
      count++;
      const trimmed: string[] = [];
      if (count > maxItems) {
        const oldest = Array.from(
          pubsubItems.getRange({ ...prefixRange([service, node]), limit: count - maxItems }),
        );
        for (const { key, value } of oldest) {
          void pubsubItems.remove(key);
          void pubsubItemIds.remove([service, node, value.id]);
          trimmed.push(value.id);
        }
        count -= oldest.length;
      }
      void pubsubNodes.put([service, node], { ...current, seq, count });
      return trimmed;
    });
  }

  async items(
    service: string,
    node: string,
    opts: { ids?: string[]; max?: number; after?: string } = {},
  ): Promise<{ items: PubsubItem[]; count: number }> {
    checkNode(service, node);
    checkItemsOptions(opts);
    const { pubsubNodes, pubsubItems, pubsubItemIds } = this.env.dbs;
    return this.env.read('pubsub.items', (snapshot) => {
      const current = pubsubNodes.get([service, node], snapshot);
      if (!current) return { items: [], count: 0 };
      const seqOf = (id: string) =>
        fitsKey(service, node, id) ? pubsubItemIds.get([service, node, id], snapshot) : undefined;
      const none = { items: [], count: current.count };
      let afterSeq: number | undefined;
      if (opts.after !== undefined) {
        afterSeq = seqOf(opts.after);
        if (afterSeq === undefined) return none;
      }
      const max = opts.max ?? Infinity;
      if (max === 0) return none;
      const items: PubsubItem[] = [];
      if (opts.ids !== undefined) {
        for (const id of new Set(opts.ids)) {
          const seq = seqOf(id);
          if (seq === undefined || (afterSeq !== undefined && seq >= afterSeq)) continue;
          const item = pubsubItems.get([service, node, seq], snapshot);
          if (!item) throw corruptIndex(service, node, id);
          items.push(item);
          if (items.length === max) break;
        }
      } else {
        const range = pubsubItems.getRange({
          ...snapshot,
          start: afterSeq === undefined ? [service, node, MAX] : [service, node, afterSeq],
          exclusiveStart: afterSeq !== undefined,
          end: [service, node],
          reverse: true,
          ...(max === Infinity ? {} : { limit: max }),
        });
        for (const { value } of range) items.push(value);
      }
      return { items, count: current.count };
    });
  }

  async retract(service: string, node: string, id: string): Promise<boolean> {
    checkNode(service, node);
    checkItemId(id);
    if (!fitsKey(service, node, id)) return false;
    const { pubsubNodes, pubsubItems, pubsubItemIds } = this.env.dbs;
    return this.env.write('pubsub.retract', () => {
      const seq = pubsubItemIds.get([service, node, id]);
      const current = pubsubNodes.get([service, node]);
      if (seq === undefined || !current) return false;
      void pubsubItems.remove([service, node, seq]);
      void pubsubItemIds.remove([service, node, id]);
      void pubsubNodes.put([service, node], { ...current, count: current.count - 1 });
      return true;
    });
  }

  async purge(service: string, node: string): Promise<number> {
    checkNode(service, node);
    const { pubsubNodes, pubsubItems, pubsubItemIds } = this.env.dbs;
    return this.env.write('pubsub.purge', () => {
      const current = pubsubNodes.get([service, node]);
      if (!current) return 0;
      const n = removePrefix(pubsubItems, [service, node]);
      removePrefix(pubsubItemIds, [service, node]);
      void pubsubNodes.put([service, node], { ...current, count: 0 });
      return n;
    });
  }

  async subscriptions(service: string, node: string): Promise<PubsubSubscription[]> {
    checkNode(service, node);
    return this.env.read('pubsub.subscriptions', (snapshot) =>
      Array.from(
        this.env.dbs.pubsubSubscriptions.getRange({ ...snapshot, ...prefixRange([service, node]) }),
        ({ value }) => value,
      ),
    );
  }

  async subscriptionsOf(
    service: string,
    jid: string,
  ): Promise<(PubsubSubscription & { node: string })[]> {
    checkService(service);
    checkJid(jid, 'jid');
    checkKeySize(service, jid);
    const { pubsubSubscriptions, pubsubSubscriptionsByJid } = this.env.dbs;
    return this.env.read('pubsub.subscriptionsOf', (snapshot) =>
      Array.from(
        pubsubSubscriptionsByJid.getKeys({ ...snapshot, ...prefixRange([service, jid]) }),
        (key) => {
          const [, , node, subid] = asTuple<[string, string, string, string]>(
            key,
            'ssss',
            'pubsub-subscriptions-by-jid',
          );
          const sub = pubsubSubscriptions.get([service, node, jid, subid], snapshot);
          if (!sub) {
            throw new StoreError(
              'corrupt',
              `pubsub-subscriptions-by-jid lists ${jid} on ${service}/${node} but pubsub-subscriptions does not`,
            );
          }
          return { ...sub, node };
        },
      ),
    );
  }

  async setSubscription(service: string, node: string, sub: PubsubSubscription): Promise<void> {
    checkNode(service, node);
    checkSubscription(sub);
    checkKeySize(service, node, sub.jid, sub.subid);
    const record = withoutUndefined(sub);
    const { pubsubSubscriptions, pubsubSubscriptionsByJid } = this.env.dbs;
    await this.env.write('pubsub.setSubscription', () => {
      this.nodeRecord(service, node);
      void pubsubSubscriptions.put([service, node, record.jid, record.subid], record);
      void pubsubSubscriptionsByJid.put([service, record.jid, node, record.subid], true);
    });
  }

  async removeSubscription(
    service: string,
    node: string,
    jid: string,
    subid?: string,
  ): Promise<number> {
    checkNode(service, node);
    checkJid(jid, 'jid');
    if (subid !== undefined && typeof subid !== 'string') {
      throw new StoreError('invalid-argument', 'subid must be a string');
    }
    if (!fitsKey(service, node, jid, subid ?? '')) return 0;
    const { pubsubSubscriptions, pubsubSubscriptionsByJid } = this.env.dbs;
    return this.env.write('pubsub.removeSubscription', () => {
      const subids =
        subid === undefined
          ? Array.from(
              pubsubSubscriptions.getKeys(prefixRange([service, node, jid])),
              (key) =>
                asTuple<[string, string, string, string]>(key, 'ssss', 'pubsub-subscriptions')[3],
            )
          : pubsubSubscriptions.doesExist([service, node, jid, subid])
            ? [subid]
            : [];
      for (const s of subids) {
        void pubsubSubscriptions.remove([service, node, jid, s]);
        void pubsubSubscriptionsByJid.remove([service, jid, node, s]);
      }
      return subids.length;
    });
  }

  async affiliations(
    service: string,
    node: string,
  ): Promise<{ jid: string; affiliation: PubsubAffiliation }[]> {
    checkNode(service, node);
    return this.env.read('pubsub.affiliations', (snapshot) =>
      Array.from(
        this.env.dbs.pubsubAffiliations.getRange({ ...snapshot, ...prefixRange([service, node]) }),
        ({ key, value }) => ({
          jid: asTuple<[string, string, string]>(key, 'sss', 'pubsub-affiliations')[2],
          affiliation: value,
        }),
      ),
    );
  }

  async setAffiliation(
    service: string,
    node: string,
    jid: string,
    affiliation: PubsubAffiliation,
  ): Promise<void> {
    checkNode(service, node);
    checkPubsubAffiliation(jid, affiliation);
    checkKeySize(service, node, jid);
    const { pubsubAffiliations } = this.env.dbs;
    await this.env.write('pubsub.setAffiliation', () => {
      this.nodeRecord(service, node);
      if (affiliation === 'none') void pubsubAffiliations.remove([service, node, jid]);
      else void pubsubAffiliations.put([service, node, jid], affiliation);
    });
  }

  async deleteService(service: string): Promise<number> {
    checkService(service);
    const dbs = this.env.dbs;
    return this.env.write('pubsub.deleteService', () => {
      const nodes = removePrefix(dbs.pubsubNodes, [service]);
      removePrefix(dbs.pubsubItems, [service]);
      removePrefix(dbs.pubsubItemIds, [service]);
      removePrefix(dbs.pubsubSubscriptions, [service]);
      removePrefix(dbs.pubsubSubscriptionsByJid, [service]);
      removePrefix(dbs.pubsubAffiliations, [service]);
      return nodes;
    });
  }

  /** Inside a write transaction: the node's record, or the missing-node error. */
  private nodeRecord(service: string, node: string): PubsubNodeRecord {
    const current = this.env.dbs.pubsubNodes.get([service, node]);
    if (!current) throw noSuchNode(service, node);
    return current;
  }

  /** Inside a write transaction: removes a node and everything stored under it. */
  private removeNode(service: string, node: string): void {
    const dbs = this.env.dbs;
    void dbs.pubsubNodes.remove([service, node]);
    removePrefix(dbs.pubsubItems, [service, node]);
    removePrefix(dbs.pubsubItemIds, [service, node]);
    removePrefix(dbs.pubsubAffiliations, [service, node]);
    const subs = Array.from(dbs.pubsubSubscriptions.getKeys(prefixRange([service, node])));
    for (const key of subs) {
      const [, , jid, subid] = asTuple<[string, string, string, string]>(
        key,
        'ssss',
        'pubsub-subscriptions',
      );
      void dbs.pubsubSubscriptions.remove(key);
      void dbs.pubsubSubscriptionsByJid.remove([service, jid, node, subid]);
    }
  }
}

function checkService(service: string): void {
  checkJid(service, 'service');
  checkKeySize(service);
}

function checkNode(service: string, node: string): void {
  checkNodeKey(service, node);
  checkKeySize(service, node);
}

function corruptIndex(service: string, node: string, id: string): StoreError {
  return new StoreError(
    'corrupt',
    `pubsub-item-ids lists ${id} in ${service}/${node} but pubsub-items does not`,
  );
}
