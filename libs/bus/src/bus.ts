/**
 * The message bus every service talks through. Subjects are dot-separated
 * tokens; subscriptions may use `*` (one token) and `>` (one or more trailing
 * tokens) exactly as NATS does. Payloads are JSON-compatible values; the
 * in-process bus passes them by reference (treat them as immutable), the NATS
 * bus encodes them.
 */
export type BusPayload = unknown;

export interface BusMessage {
  readonly subject: string;
  readonly data: BusPayload;
  /** Present when the publisher expects a reply (request/reply). */
  respond?: (data: BusPayload) => void;
}

export type BusHandler = (msg: BusMessage) => void | Promise<void>;

export interface SubscribeOptions {
  /** Queue group: each message goes to exactly one member of the group. */
  queue?: string;
}

export interface Subscription {
  readonly subject: string;
  unsubscribe(): void;
}

export interface RequestOptions {
  timeoutMs?: number;
  /**
   * Send the request through the durable stream (see {@link Bus.consumeOrdered})
   * instead of plain publish/subscribe, so it is ordered with the other
   * durable messages on its subject and survives a consumer change.
   */
  durable?: boolean;
}

/** A message taken from a durable, ordered consumer. */
export interface DurableMessage extends BusMessage {
  /** Delivery count: 1 on first delivery, more after a consumer takeover. */
  readonly deliveries: number;
}

export type DurableHandler = (msg: DurableMessage) => void | Promise<void>;

export interface OrderedConsumer {
  readonly filter: string;
  /** Stops consuming; messages not yet acknowledged stay for the next consumer. */
  stop(): Promise<void>;
  /** Resolves when every message received so far has been handled. */
  idle(): Promise<void>;
}

export interface Bus {
  publish(subject: string, data: BusPayload): void;
  subscribe(subject: string, handler: BusHandler, opts?: SubscribeOptions): Subscription;
  request(subject: string, data: BusPayload, opts?: RequestOptions): Promise<BusPayload>;
  /**
   * Publishes a message that must reach the consumer of its subject (see
   * {@link Bus.consumeOrdered}) even if that consumer dies or changes:
   * resolves once it is safe, i.e. stored (NATS, JetStream transport) or
   * handled by its consumer (NATS, direct transport); rejects when that
   * cannot be done within the bus's retry budget. In-process: the same as
   * publish. Publishes from one caller keep their order per consumer.
   */
  publishDurable(subject: string, data: BusPayload): Promise<void>;
  /**
   * Consumes durable messages matching `filter` (e.g. `xmpp.r.7.*`) strictly
   * one after another in stream order. A message is acknowledged after its
   * handler resolves (or throws: handler errors are reported, not retried).
   * At most one consumer per `name` receives messages at a time; a new
   * consumer with the same name resumes after the last acknowledged message.
   */
  consumeOrdered(filter: string, name: string, handler: DurableHandler): Promise<OrderedConsumer>;
  /**
   * True when a durable message is confirmed to its sender only once every
   * durable publish its handler made has been (the direct transport's causal
   * confirmations; in-process, trivially): a handler may then publish onward
   * without awaiting, and handle the next message meanwhile. False or absent
   * (JetStream): a handler must await what it publishes before it returns,
   * or a crash in between loses it.
   */
  readonly tracksOnward?: boolean;
  /** Resolves once everything published so far has been handed to the transport. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export class BusError extends Error {
  override name = 'BusError';
  readonly code: 'timeout' | 'no-responders' | 'closed' | 'bad-subject';
  constructor(code: BusError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
