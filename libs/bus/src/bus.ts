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
}

export interface Bus {
  publish(subject: string, data: BusPayload): void;
  subscribe(subject: string, handler: BusHandler, opts?: SubscribeOptions): Subscription;
  request(subject: string, data: BusPayload, opts?: RequestOptions): Promise<BusPayload>;
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
