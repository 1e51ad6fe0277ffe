import type {
  PubsubAffiliation,
  PubsubItem,
  PubsubNode,
  PubsubStore,
  PubsubSubscription,
} from '../contracts.js';
import { compareCodePoints } from '../shared/jid-order.js';
import type { Lifecycle } from '../shared/lifecycle.js';
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
import { copyRecord } from './copy.js';

interface NodeState {
  node: PubsubNode;
  /** Last publish sequence number of the node: orders items by publication. */
  seq: number;
  /** Items by id, in publication order (oldest first). */
  items: Map<string, { seq: number; item: PubsubItem }>;
  /** jid -> subid -> subscription */
  subs: Map<string, Map<string, PubsubSubscription>>;
  affs: Map<string, PubsubAffiliation>;
}

const byKey =
  <T>(key: (x: T) => string) =>
  (a: T, b: T) =>
    compareCodePoints(key(a), key(b));

export class MemoryPubsubStore implements PubsubStore {
  /** service -> node name -> state */
  private readonly services = new Map<string, Map<string, NodeState>>();

  constructor(private readonly life: Lifecycle) {}

  async getNode(service: string, node: string): Promise<PubsubNode | undefined> {
    this.life.assertOpen();
    checkNodeKey(service, node);
    const state = this.state(service, node);
    return state && copyRecord(state.node);
  }

  async createNode(node: PubsubNode): Promise<boolean> {
    this.life.assertOpen();
    checkPubsubNode(node);
    let nodes = this.services.get(node.service);
    if (nodes?.has(node.node)) return false;
    if (!nodes) this.services.set(node.service, (nodes = new Map()));
    nodes.set(node.node, {
      node: copyRecord(node),
      seq: 0,
      items: new Map(),
      subs: new Map(),
      affs: new Map(),
    });
    return true;
  }

  async updateNode(node: PubsubNode): Promise<boolean> {
    this.life.assertOpen();
    checkPubsubNode(node);
    const state = this.state(node.service, node.node);
    if (!state) return false;
    state.node = copyRecord(node);
    return true;
  }

  async deleteNode(service: string, node: string): Promise<boolean> {
    this.life.assertOpen();
    checkNodeKey(service, node);
    const nodes = this.services.get(service);
    if (!nodes?.delete(node)) return false;
    if (nodes.size === 0) this.services.delete(service);
    return true;
  }

  async listNodes(service: string): Promise<PubsubNode[]> {
    this.life.assertOpen();
    checkJid(service, 'service');
    const nodes = this.services.get(service);
    if (!nodes) return [];
    return [...nodes.values()]
      .map((s) => s.node)
      .sort(byKey((n) => n.node))
      .map((n) => copyRecord(n));
  }

  async publish(
    service: string,
    node: string,
    item: PubsubItem,
    maxItems: number,
  ): Promise<string[]> {
    this.life.assertOpen();
    checkNodeKey(service, node);
    checkPubsubItem(item);
    checkMaxItems(maxItems);
    const state = this.state(service, node);
    if (!state) throw noSuchNode(service, node);
    state.items.delete(item.id);
    state.items.set(item.id, { seq: ++state.seq, item: copyRecord(item) });
    const trimmed: string[] = [];
    for (const id of state.items.keys()) {
      if (state.items.size - trimmed.length <= maxItems) break;
      trimmed.push(id);
    }
    for (const id of trimmed) state.items.delete(id);
    return trimmed;
  }

  async items(
    service: string,
    node: string,
    opts: { ids?: string[]; max?: number; after?: string } = {},
  ): Promise<{ items: PubsubItem[]; count: number }> {
    this.life.assertOpen();
    checkNodeKey(service, node);
    checkItemsOptions(opts);
    const state = this.state(service, node);
    if (!state) return { items: [], count: 0 };
    let picked =
      opts.ids === undefined
        ? [...state.items.values()].reverse()
        : [...new Set(opts.ids)].flatMap((id) => state.items.get(id) ?? []);
    if (opts.after !== undefined) {
      const after = state.items.get(opts.after);
      picked = after === undefined ? [] : picked.filter((e) => e.seq < after.seq);
    }
    if (opts.max !== undefined) picked = picked.slice(0, opts.max);
    return { items: picked.map((e) => copyRecord(e.item)), count: state.items.size };
  }

  async retract(service: string, node: string, id: string): Promise<boolean> {
    this.life.assertOpen();
    checkNodeKey(service, node);
    checkItemId(id);
    return this.state(service, node)?.items.delete(id) ?? false;
  }

  async purge(service: string, node: string): Promise<number> {
    this.life.assertOpen();
    checkNodeKey(service, node);
    const state = this.state(service, node);
    if (!state) return 0;
    const n = state.items.size;
    state.items.clear();
    return n;
  }

  async subscriptions(service: string, node: string): Promise<PubsubSubscription[]> {
    this.life.assertOpen();
    checkNodeKey(service, node);
    const state = this.state(service, node);
    if (!state) return [];
    return [...state.subs.keys()]
      .sort(compareCodePoints)
      .flatMap((jid) => sortedSubs(state.subs.get(jid)!))
      .map((sub) => copyRecord(sub));
  }

  async subscriptionsOf(
    service: string,
    jid: string,
  ): Promise<(PubsubSubscription & { node: string })[]> {
    this.life.assertOpen();
    checkJid(service, 'service');
    checkJid(jid, 'jid');
    const nodes = this.services.get(service);
    if (!nodes) return [];
    return [...nodes.keys()].sort(compareCodePoints).flatMap((node) => {
      const subs = nodes.get(node)!.subs.get(jid);
      return subs ? sortedSubs(subs).map((sub) => ({ ...copyRecord(sub), node })) : [];
    });
  }

  async setSubscription(service: string, node: string, sub: PubsubSubscription): Promise<void> {
    this.life.assertOpen();
    checkNodeKey(service, node);
    checkSubscription(sub);
    const state = this.state(service, node);
    if (!state) throw noSuchNode(service, node);
    let subs = state.subs.get(sub.jid);
    if (!subs) state.subs.set(sub.jid, (subs = new Map()));
    subs.set(sub.subid, copyRecord(sub));
  }

  async removeSubscription(
    service: string,
    node: string,
    jid: string,
    subid?: string,
  ): Promise<number> {
    this.life.assertOpen();
    checkNodeKey(service, node);
    checkJid(jid, 'jid');
    const state = this.state(service, node);
    const subs = state?.subs.get(jid);
    if (!state || !subs) return 0;
    let removed: number;
    if (subid === undefined) removed = subs.size;
    else removed = subs.delete(subid) ? 1 : 0;
    if (subid === undefined || subs.size === 0) state.subs.delete(jid);
    return removed;
  }

  async affiliations(
    service: string,
    node: string,
  ): Promise<{ jid: string; affiliation: PubsubAffiliation }[]> {
    this.life.assertOpen();
    checkNodeKey(service, node);
    const state = this.state(service, node);
    if (!state) return [];
    return [...state.affs]
      .map(([jid, affiliation]) => ({ jid, affiliation }))
      .sort(byKey((a) => a.jid));
  }

  async setAffiliation(
    service: string,
    node: string,
    jid: string,
    affiliation: PubsubAffiliation,
  ): Promise<void> {
    this.life.assertOpen();
    checkNodeKey(service, node);
    checkPubsubAffiliation(jid, affiliation);
    const state = this.state(service, node);
    if (!state) throw noSuchNode(service, node);
    if (affiliation === 'none') state.affs.delete(jid);
    else state.affs.set(jid, affiliation);
  }

  async deleteService(service: string): Promise<number> {
    this.life.assertOpen();
    checkJid(service, 'service');
    const n = this.services.get(service)?.size ?? 0;
    this.services.delete(service);
    return n;
  }

  private state(service: string, node: string): NodeState | undefined {
    return this.services.get(service)?.get(node);
  }
}

function sortedSubs(subs: Map<string, PubsubSubscription>): PubsubSubscription[] {
  return [...subs.values()].sort(byKey((s) => s.subid));
}
