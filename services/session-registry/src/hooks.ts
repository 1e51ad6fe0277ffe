/**
 * Hooks modules attach to the stanza path. Filters see a stanza before the
 * registry acts on it; notifications run after a message was handled. With
 * nothing registered the registry skips them entirely, and a filter that
 * answers synchronously never costs a promise.
 */
import type { JID } from '@parley/jid';
import { HookList } from '@parley/modules';
import type { Envelope } from '@parley/routing';
import { StanzaError } from '@parley/stanza';
import type { SessionEntry } from './sessions/session-table.js';

/**
 * What a filter decides: `undefined` lets the stanza pass, `'drop'` discards
 * it silently, a StanzaError answers the sender with that error (when the
 * stanza may be answered), `{ replace }` passes a changed copy on.
 */
export type FilterVerdict = undefined | 'drop' | StanzaError | { replace: Envelope };

/** A stanza from a local user, at the sender's home partition. */
export interface OutboundStanza {
  env: Envelope;
  /** The sender's full JID. */
  from: JID;
  /** The addressee; undefined for broadcast presence and stanzas to the sender's own account. */
  to: JID | undefined;
  /**
   * True for presence the server sends on the user's behalf (broadcasts,
   * probes, presence after roster removal): a filter's error only drops it.
   */
  generated: boolean;
}

/** A stanza for a local account, at the recipient's home partition, before delivery. */
export interface InboundStanza {
  env: Envelope;
  from: JID;
  /** The local recipient (bare or full JID). */
  to: JID;
  /** Set when re-routing a stanza a gateway could not hand over: the connection that failed. */
  skipConn?: string;
}

export type OutboundFilter = (s: OutboundStanza) => FilterVerdict | Promise<FilterVerdict>;
export type InboundFilter = (s: InboundStanza) => FilterVerdict | Promise<FilterVerdict>;

/**
 * A message for local account `owner` was handed to `deliveredTo` (empty:
 * it went to offline storage). Runs once per message, not again when a
 * bounced copy is re-routed.
 */
export type MessageDeliveredHook = (
  owner: string,
  env: Envelope,
  deliveredTo: SessionEntry[],
) => void | Promise<void>;

/** A local user's message was forwarded to its recipient (at the sender's partition). */
export type MessageSentHook = (from: JID, env: Envelope) => void | Promise<void>;

/** The stanza-path hooks, each in run order (priority, then module start order). */
export class Hooks {
  readonly outbound = new HookList<OutboundFilter>();
  readonly inbound = new HookList<InboundFilter>();
  readonly delivered = new HookList<MessageDeliveredHook>();
  readonly sent = new HookList<MessageSentHook>();
}

type Filter<T> = (s: T) => FilterVerdict | Promise<FilterVerdict>;

/**
 * Runs filters in registration order until one drops the stanza or answers
 * it with an error. A `replace` passes the changed copy on to the filters
 * after it, and the last copy is the verdict. Synchronous until a filter
 * returns a promise.
 */
export function runFilters<T extends { env: Envelope }>(
  filters: readonly Filter<T>[],
  s: T,
): FilterVerdict | Promise<FilterVerdict> {
  let current = s;
  let replaced = false;
  for (let i = 0; i < filters.length; i++) {
    const v = filters[i]!(current);
    if (v instanceof Promise) return finishFilters(filters, i, current, replaced, v);
    if (v === undefined) continue;
    if (v === 'drop' || isErrorVerdict(v)) return v;
    current = { ...current, env: v.replace };
    replaced = true;
  }
  return replaced ? { replace: current.env } : undefined;
}

async function finishFilters<T extends { env: Envelope }>(
  filters: readonly Filter<T>[],
  at: number,
  s: T,
  replacedBefore: boolean,
  pending: Promise<FilterVerdict>,
): Promise<FilterVerdict> {
  let current = s;
  let replaced = replacedBefore;
  for (let i = at; i < filters.length; i++) {
    const v = i === at ? await pending : await filters[i]!(current);
    if (v === undefined) continue;
    if (v === 'drop' || isErrorVerdict(v)) return v;
    current = { ...current, env: v.replace };
    replaced = true;
  }
  return replaced ? { replace: current.env } : undefined;
}

/** Runs notification hooks one after another; synchronous while they are. */
export function runHooks<A extends unknown[]>(
  hooks: readonly ((...args: A) => void | Promise<void>)[],
  ...args: A
): void | Promise<void> {
  for (let i = 0; i < hooks.length; i++) {
    const r = hooks[i]!(...args);
    if (r instanceof Promise) return finishHooks(hooks, i, r, args);
  }
}

async function finishHooks<A extends unknown[]>(
  hooks: readonly ((...args: A) => void | Promise<void>)[],
  at: number,
  pending: Promise<void>,
  args: A,
): Promise<void> {
  await pending;
  for (let i = at + 1; i < hooks.length; i++) await hooks[i]!(...args);
}

export function isErrorVerdict(v: FilterVerdict): v is StanzaError {
  return v instanceof StanzaError;
}
