/**
 * XEP-0352 Client State Indication. While the client says it is inactive,
 * deliveries that only keep it up to date (presence, chat states without a
 * body) are held instead of written, keeping only the latest presence per
 * sender; anything else (a message with content, IQs, subscription requests,
 * errors) first flushes what is held, in order, and is written at once. The
 * held stanzas are flushed on <active/> and when `csi.maxQueued` stanzas or
 * `csi.maxQueuedBytes` of them (the length of their serialized XML) are held.
 * Presence replaced by a newer one from the same sender no longer counts, and
 * the list is compacted so that a flood of presence updates from one sender
 * cannot grow it either.
 */
import type { Envelope } from '@parley/routing';
import { parseXml } from '@parley/xml';
import type { Element } from '@parley/xml';

export const NS_CHATSTATES = 'http://jabber.org/protocol/chatstates';
const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';

/** Elements a chat-state-only message may carry besides the chat state. */
const INCIDENTAL = new Set([
  'thread jabber:client',
  'delay urn:xmpp:delay',
  'no-store urn:xmpp:hints',
  'no-permanent-store urn:xmpp:hints',
  'no-copy urn:xmpp:hints',
  'origin-id urn:xmpp:sid:0',
  'stanza-id urn:xmpp:sid:0',
]);

interface Held {
  env: Envelope;
  live: boolean;
}

export interface HeldGauge {
  inc(n?: number): void;
  dec(n?: number): void;
}

export class CsiQueue {
  inactive = false;
  private items: Held[] = [];
  private readonly presence = new Map<string, Held>();
  private count = 0;
  private bytes = 0;

  constructor(
    private readonly max: number,
    private readonly gauge: HeldGauge,
    private readonly maxBytes = Infinity,
  ) {}

  get size(): number {
    return this.count;
  }

  /** The length of the serialized stanzas held. */
  get heldBytes(): number {
    return this.bytes;
  }

  get full(): boolean {
    return this.count >= this.max || this.bytes >= this.maxBytes;
  }

  /** Holds `env` if it can wait; false when it must be written now. */
  hold(env: Envelope): boolean {
    const kind = holdable(env);
    if (kind === undefined) return false;
    const held: Held = { env, live: true };
    if (kind === 'presence') {
      const previous = this.presence.get(env.from);
      if (previous !== undefined && previous.live) {
        previous.live = false;
        this.count--;
        this.bytes -= previous.env.xml.length;
        this.gauge.dec();
      }
      this.presence.set(env.from, held);
    }
    // Replaced presence stays in the list until then: drop it once it is the larger part.
    if (this.items.length >= 2 * this.count + 16) this.items = this.items.filter((h) => h.live);
    this.items.push(held);
    this.count++;
    this.bytes += env.xml.length;
    this.gauge.inc();
    return true;
  }

  /** Everything held, oldest first; the queue is empty afterwards. */
  drain(): Envelope[] {
    const out: Envelope[] = [];
    for (const h of this.items) if (h.live) out.push(h.env);
    if (this.count > 0) this.gauge.dec(this.count);
    this.items = [];
    this.presence.clear();
    this.count = 0;
    this.bytes = 0;
    return out;
  }
}

/** 'presence' or 'chatstate' when the stanza may be held, else undefined. */
function holdable(env: Envelope): 'presence' | 'chatstate' | undefined {
  if (env.kind === 'presence') {
    if (env.type !== '' && env.type !== 'unavailable') return undefined; // subscriptions, probes, errors
    const el = parse(env.xml);
    return el !== undefined && !isMucSelfPresence(el) ? 'presence' : undefined;
  }
  if (env.kind === 'message' && env.type !== 'error') {
    const el = parse(env.xml);
    return el !== undefined && chatStateOnly(el) ? 'chatstate' : undefined;
  }
  return undefined;
}

function parse(xml: string): Element | undefined {
  try {
    return parseXml(xml);
  } catch {
    return undefined;
  }
}

/** XEP-0045: the occupant's own presence (status 110) tells the client it joined or left. */
function isMucSelfPresence(el: Element): boolean {
  const x = el.getChild('x', NS_MUC_USER);
  return x !== undefined && x.getChildren('status').some((s) => s.attr('code') === '110');
}

function chatStateOnly(el: Element): boolean {
  let state = false;
  for (const child of el.getChildElements()) {
    const ns = child.getNS();
    if (ns === NS_CHATSTATES) state = true;
    else if (!INCIDENTAL.has(`${child.localName} ${ns ?? 'jabber:client'}`)) return false;
  }
  return state;
}
