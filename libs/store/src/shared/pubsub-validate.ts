import type {
  PubsubAffiliation,
  PubsubItem,
  PubsubNode,
  PubsubSubscription,
} from '../contracts.js';
import { PUBSUB_AFFILIATIONS } from '../contracts.js';
import { StoreError } from '../errors.js';
import { checkJid, checkTimestamp } from './validate.js';

const AFFILIATIONS: ReadonlySet<string> = new Set(PUBSUB_AFFILIATIONS);
const STATES = new Set<string>(['subscribed', 'pending', 'unconfigured']);

export function checkNodeKey(service: string, node: string): void {
  checkJid(service, 'service');
  checkJid(node, 'node');
}

export function checkPubsubNode(node: PubsubNode): void {
  checkNodeKey(node.service, node.node);
  checkTimestamp(node.createdAt, 'node.createdAt');
  if (typeof node.config !== 'object' || node.config === null) {
    throw new StoreError('invalid-argument', 'node.config must be an object');
  }
}

export function checkPubsubItem(item: PubsubItem): void {
  checkItemId(item.id);
  checkJid(item.publisher, 'item.publisher');
  checkTimestamp(item.ts, 'item.ts');
  if (typeof item.payload !== 'string') {
    throw new StoreError('invalid-argument', 'item.payload must be a string');
  }
}

export function checkItemId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || id.length === 0) {
    throw new StoreError('invalid-argument', 'an item id must be a non-empty string');
  }
}

/** `maxItems` is a non-negative integer, or Infinity for an unlimited node. */
export function checkMaxItems(maxItems: number): void {
  if (maxItems !== Infinity && (!Number.isSafeInteger(maxItems) || maxItems < 0)) {
    throw new StoreError(
      'invalid-argument',
      `maxItems must be a non-negative integer or Infinity, got ${maxItems}`,
    );
  }
}

export function checkItemsOptions(opts: { ids?: string[]; max?: number; after?: string }): void {
  if (opts.ids !== undefined) for (const id of opts.ids) checkItemId(id);
  if (opts.after !== undefined) checkItemId(opts.after);
  if (opts.max !== undefined && (!Number.isSafeInteger(opts.max) || opts.max < 0)) {
    throw new StoreError('invalid-argument', `max must be a non-negative integer, got ${opts.max}`);
  }
}

export function checkSubscription(sub: PubsubSubscription): void {
  checkJid(sub.jid, 'subscription jid');
  if (typeof sub.subid !== 'string') {
    throw new StoreError('invalid-argument', 'subid must be a string');
  }
  if (!STATES.has(sub.state)) {
    throw new StoreError('invalid-argument', `unknown subscription state ${String(sub.state)}`);
  }
}

export function checkPubsubAffiliation(jid: string, affiliation: PubsubAffiliation): void {
  checkJid(jid, 'affiliation jid');
  if (!AFFILIATIONS.has(affiliation)) {
    throw new StoreError('invalid-argument', `unknown pubsub affiliation ${String(affiliation)}`);
  }
}

/** Publishing, subscribing or affiliating to a node that does not exist. */
export function noSuchNode(service: string, node: string): StoreError {
  return new StoreError('invalid-argument', `pubsub node ${node} does not exist on ${service}`);
}
