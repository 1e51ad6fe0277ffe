import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { connect, createInbox, headers, nuid } from '@nats-io/transport-node';
import type {
  Msg,
  MsgHdrs,
  NatsConnection,
  Subscription as NatsSubscription,
} from '@nats-io/transport-node';
import type {
  Bus,
  BusHandler,
  BusMessage,
  BusPayload,
  DurableHandler,
  OrderedConsumer,
  RequestOptions,
  SubscribeOptions,
  Subscription,
} from './bus.js';
import { BusError } from './bus.js';
import { natsConnectOptions } from './nats-auth.js';
import type { NatsAuthOptions } from './nats-auth.js';
import { decodePayload, encodePayload } from './nats/codec.js';
import { DirectOrderedConsumer } from './nats/direct-consumer.js';
import { DirectSender } from './nats/direct-sender.js';
import type { DirectTap } from './nats/direct-tap.js';
import { onwardTracker } from './nats/onward.js';
import { DurablePublisher } from './nats/durable-publisher.js';
import { isRetriablePublishError, toBusError } from './nats/errors.js';
import type { BusLogger } from './nats/logger.js';
import { consoleLogger } from './nats/logger.js';
import { OrderedPullConsumer, REPLY_TO_HEADER } from './nats/ordered-consumer.js';
import type { OrderedConsumerOptions } from './nats/ordered-consumer.js';
import { ensureStream, resolveStreamOptions } from './nats/stream.js';
import type { DurableStreamOptions, ResolvedStreamOptions } from './nats/stream.js';
import { isValidSubject, subjectMatches } from './subject.js';

export type { BusLogger } from './nats/logger.js';
export type { DirectFrame, DirectTap } from './nats/direct-tap.js';
export { DurablePublishError } from './nats/durable-publisher.js';
export { ConsumerConfigError } from './nats/ordered-consumer.js';
export type { DurableStreamOptions } from './nats/stream.js';
export type { OrderedConsumerOptions } from './nats/ordered-consumer.js';

/**
 * How publishDurable/consumeOrdered travel:
 * - `direct` (default): core NATS, each message kept by its sender until the
 *   consumer confirms it was handled, sent again on loss or failover (see
 *   README, "Durable delivery");
 * - `jetstream`: stored in a JetStream stream before anyone acts on it.
 * Every process of a cluster must use the same one.
 */
export type DurableTransport = 'direct' | 'jetstream';

export interface NatsBusOptions {
  /** `nats://host:port` URL(s) of the NATS cluster. */
  servers: string | string[];
  /** Transport of the durable messages (default `direct`). */
  durableTransport?: DurableTransport;
  /** Connection name shown by the NATS server's monitoring (e.g. `gateway-3`). */
  name?: string;
  /** Credentials and TLS of the connection (see nats-auth.ts). */
  auth?: NatsAuthOptions;
  /** The durable stream behind publishDurable/consumeOrdered (see README). */
  stream?: DurableStreamOptions;
  logger?: BusLogger;
  /**
   * Bytes of core publishes (publish, replies) kept while the connection is
   * down and sent in order once it is back (default 8 MiB). Beyond that,
   * publishes are dropped and counted (`status().dropped`).
   */
  reconnectBufferBytes?: number;
  /** Pause between reconnect attempts (default 250 ms, plus up to 100 ms jitter). */
  reconnectTimeWaitMs?: number;
  /**
   * When NATS is unreachable at start: false (default) makes connectNatsBus
   * reject at once, true keeps trying until it connects.
   */
  waitForFirstConnect?: boolean;
  /**
   * How long publishDurable keeps retrying before it rejects (default 30 s):
   * through a NATS outage (both transports), and until a consumer confirms (direct).
   */
  durableRetryMs?: number;
  /** JetStream publishes awaiting their acknowledgement at once (default 256). */
  durableWindow?: number;
  /** Direct transport: unconfirmed this long, a message is sent again (default 2000 ms). */
  durableAckTimeoutMs?: number;
  /**
   * Direct transport: a durable message for a consumer in this process is
   * handed to it without NATS (default true; false for comparisons).
   */
  durableLocalHandover?: boolean;
  /** Direct transport: fault injection for tests (see DirectTap). Unset in production. */
  directTap?: DirectTap;
  /** Most messages carried by one JetStream message (default 32; 1 = no batching). */
  durableMaxBatch?: number;
  /**
   * Maps a subject to the consumer filter that reads it in order (see
   * DurablePublisherOptions.batchKey); lets messages for different subjects
   * of one filter share a JetStream message.
   */
  durableBatchKey?: (subject: string) => string;
  /** Sees durable publish and consume timings (e.g. for Prometheus histograms). */
  observer?: BusObserver;
  /** Pull consumer tuning for consumeOrdered. */
  consumer?: Partial<OrderedConsumerOptions>;
}

/** Timings of the durable path, reported by the bus. */
export interface BusObserver {
  /** A durable publish settled: time from the call to the JetStream acknowledgement (or failure). */
  published(seconds: number, ok: boolean): void;
  /** A durable message was handled by a consumer, taking `seconds`. */
  consumed(seconds: number): void;
}

/** Connection events, for logs and readiness. */
export type NatsBusEvent =
  | { type: 'disconnect'; server: string }
  | { type: 'reconnect'; server: string }
  | { type: 'ldm'; server: string }
  | { type: 'error'; error: Error }
  | { type: 'close' };

export interface NatsBusStatus {
  /** Connected to a NATS server right now (readiness). */
  connected: boolean;
  /** Lost the connection and trying to get it back. */
  reconnecting: boolean;
  /** Core publishes held while disconnected. */
  buffered: number;
  /** Core publishes dropped because the reconnect buffer was full (since start). */
  dropped: number;
  /** publishDurable calls not yet acknowledged (by JetStream, or by the consumer with `direct`). */
  pendingDurable: number;
  /** Direct transport: durable messages handed to a consumer in this process without NATS (since start). */
  localHandovers: number;
}

interface BufferedPublish {
  subject: string;
  data: Uint8Array;
  headers: MsgHdrs | undefined;
  reply: string | undefined;
}

interface PendingReply {
  resolve(v: BusPayload): void;
  reject(err: unknown): void;
  timer: NodeJS.Timeout;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 5000;
const DEFAULT_BUFFER_BYTES = 8 * 1024 * 1024;
const DEFAULT_RETRY_MS = 30_000;
const CONSUMER_NAME = /^[A-Za-z0-9_-]{1,200}$/;
const QUEUE_NAME = /^[^\s.*>]+$/;
const CLOSE_GRACE_MS = 5000;

function resolveConsumerOptions(
  o: Partial<OrderedConsumerOptions> | undefined,
): OrderedConsumerOptions {
  const batch = o?.batch ?? 256;
  return {
    batch,
    expiresMs: Math.max(1000, o?.expiresMs ?? 5000),
    ackWaitMs: o?.ackWaitMs ?? 30_000,
    maxAckPending: Math.max(o?.maxAckPending ?? 1024, batch * 2),
  };
}

/** Whether every subject matching `filter` also matches `pattern`. */
export function filterWithin(filter: string, pattern: string): boolean {
  const f = filter.split('.');
  const p = pattern.split('.');
  for (let i = 0; i < f.length; i++) {
    const pt = p[i];
    if (pt === undefined) return false;
    if (pt === '>') return true;
    const ft = f[i]!;
    if (ft === '>') return false;
    if (pt === '*') continue;
    if (ft === '*' || ft !== pt) return false;
  }
  return f.length === p.length;
}

/**
 * Connects to NATS, makes sure the durable stream exists, and returns the bus.
 * Rejects when NATS cannot be reached (unless `waitForFirstConnect`) or the
 * stream cannot be created with the requested settings.
 */
export async function connectNatsBus(opts: NatsBusOptions): Promise<NatsBus> {
  const logger = opts.logger ?? consoleLogger;
  const stream = resolveStreamOptions(opts.stream);
  const direct = (opts.durableTransport ?? 'direct') === 'direct';
  const retryMs = opts.durableRetryMs ?? DEFAULT_RETRY_MS;
  const nc = await connect({
    servers: opts.servers,
    ...(opts.name === undefined ? {} : { name: opts.name }),
    maxReconnectAttempts: -1,
    reconnectTimeWait: opts.reconnectTimeWaitMs ?? 250,
    reconnectJitter: 100,
    waitOnFirstConnect: opts.waitForFirstConnect ?? false,
    pingInterval: 10_000,
    maxPingOut: 3,
    // Async traces build two Error objects (with stacks) per request: a third
    // of the CPU of a JetStream publish.
    noAsyncTraces: true,
    ...natsConnectOptions(opts.auth),
  });
  if (direct) return new NatsBus(nc, undefined, undefined, stream, logger, opts);
  try {
    const jsm = await jetstreamManager(nc);
    const deadline = Date.now() + retryMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await ensureStream(jsm, stream);
        break;
      } catch (err) {
        if (!isRetriablePublishError(err) || Date.now() > deadline) throw err;
        if (attempt === 1) {
          logger.warn('durable stream not available yet, retrying', { err });
        }
        await new Promise((r) => setTimeout(r, Math.min(1000, 100 * attempt)));
      }
    }
    return new NatsBus(nc, jetstream(nc), jsm, stream, logger, opts);
  } catch (err) {
    await nc.close().catch(() => {});
    throw err;
  }
}

/**
 * The cluster bus: core NATS for publish/subscribe/request, a JetStream
 * stream for publishDurable/consumeOrdered and durable requests. Create it
 * with {@link connectNatsBus}.
 */
export class NatsBus implements Bus {
  /** Receives handler failures; defaults to the logger. */
  onError: (err: unknown, subject: string) => void;
  private closed = false;
  private closePromise: Promise<void> | undefined;
  private connected = true;
  private reconnecting = false;
  private outbox: BufferedPublish[] = [];
  /** Publishes of this event-loop turn, written together at its end (see send). */
  private corked: BufferedPublish[] = [];
  private corkScheduled = false;
  private outboxBytes = 0;
  private dropped = 0;
  private droppedThisOutage = 0;
  private outboxTimer: NodeJS.Timeout | undefined;
  private readonly bufferLimit: number;
  private readonly durable: DurablePublisher | undefined;
  private readonly direct: DirectSender | undefined;
  private readonly observer: BusObserver | undefined;
  private readonly consumerOpts: OrderedConsumerOptions;
  private readonly consumers = new Set<OrderedPullConsumer | DirectOrderedConsumer>();
  /** Latest consumer per name: a new one starts only after it has finished. */
  private readonly consumerChain = new Map<string, Promise<void>>();
  /** Direct transport: the filter each consumer name was first used with (JetStream keeps it itself). */
  private readonly consumerFilters = new Map<string, string>();
  /** Direct transport: this process's consumers, for in-process hand-over. */
  private readonly localConsumers = new Set<DirectOrderedConsumer>();
  /**
   * Ordering scope → the consumers of `localConsumers` whose filter reads its
   * subjects; filled on first use, emptied whenever a consumer comes or goes.
   */
  private readonly localByScope = new Map<string, DirectOrderedConsumer[]>();
  private readonly localHandover: boolean;
  private localHandovers = 0;
  private readonly tap: DirectTap | undefined;
  private readonly listeners = new Set<(e: NatsBusEvent) => void>();
  private connectWaiters: Array<() => void> = [];
  private readonly replyPrefix: string;
  private replySub: NatsSubscription | undefined;
  private readonly pendingReplies = new Map<string, PendingReply>();
  private replySeq = 0;
  private lastEnsure = 0;

  /** @internal use {@link connectNatsBus} */
  constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient | undefined,
    private readonly jsm: JetStreamManager | undefined,
    private readonly stream: ResolvedStreamOptions,
    private readonly logger: BusLogger,
    opts: NatsBusOptions,
  ) {
    this.onError = (err, subject) => logger.error('bus handler failed', { subject, err });
    this.bufferLimit = opts.reconnectBufferBytes ?? DEFAULT_BUFFER_BYTES;
    this.observer = opts.observer;
    this.consumerOpts = resolveConsumerOptions(opts.consumer);
    this.replyPrefix = createInbox();
    const scopeOf = opts.durableBatchKey ?? defaultScopeOf;
    this.localHandover = opts.durableLocalHandover ?? true;
    this.tap = opts.directTap;
    this.direct =
      js === undefined
        ? new DirectSender(
            {
              subscribe: (subject, onMsg) =>
                nc.subscribe(subject, {
                  callback: (err, msg) => {
                    if (err === null) onMsg(msg.subject, msg.data, msg.headers?.code);
                  },
                }),
              logger,
              send: (subject, data, headers, reply, retry, scope) => {
                const tap = this.tap;
                if (tap === undefined) this.sendDirect(subject, data, headers, reply, retry, scope);
                else
                  tap({ kind: 'message', subject, reply }, () =>
                    this.sendDirect(subject, data, headers, reply, retry, scope),
                  );
              },
            },
            {
              ackTimeoutMs: opts.durableAckTimeoutMs ?? 2000,
              retryBudgetMs: opts.durableRetryMs ?? DEFAULT_RETRY_MS,
              scopeOf,
            },
            createInbox(),
          )
        : undefined;
    this.durable =
      js === undefined
        ? undefined
        : new DurablePublisher(
            {
              nc,
              isConnected: () => this.isConnected(),
              logger,
              onTrouble: () => this.reensureStream(),
            },
            {
              window: opts.durableWindow ?? 256,
              ackTimeoutMs: 5000,
              retryBudgetMs: opts.durableRetryMs ?? DEFAULT_RETRY_MS,
              ...(opts.durableMaxBatch !== undefined ? { maxBatch: opts.durableMaxBatch } : {}),
              ...(opts.durableBatchKey !== undefined ? { batchKey: opts.durableBatchKey } : {}),
            },
            nuid.next(),
          );
    this.watchStatus().catch((err: unknown) => logger.error('NATS status watcher failed', { err }));
  }

  /** Connection state for readiness probes. */
  status(): NatsBusStatus {
    return {
      connected: !this.closed && this.isConnected(),
      reconnecting: this.reconnecting,
      buffered: this.outbox.length,
      dropped: this.dropped,
      pendingDurable: (this.durable ?? this.direct)?.pending ?? 0,
      localHandovers: this.localHandovers,
    };
  }

  /** Registers a listener for connection events; returns its removal. */
  onStatus(listener: (e: NatsBusEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(subject: string, data: BusPayload): void {
    this.checkOpen();
    if (!isValidSubject(subject, false)) {
      throw new BusError('bad-subject', `invalid subject: ${subject}`);
    }
    this.send(subject, encodePayload(data), undefined, undefined);
  }

  subscribe(subject: string, handler: BusHandler, opts?: SubscribeOptions): Subscription {
    this.checkOpen();
    if (!isValidSubject(subject, true)) {
      throw new BusError('bad-subject', `invalid subject: ${subject}`);
    }
    const queue = opts?.queue;
    if (queue !== undefined && !QUEUE_NAME.test(queue)) {
      throw new BusError('bad-subject', `invalid queue group: ${queue}`);
    }
    let sub: NatsSubscription;
    try {
      sub = this.nc.subscribe(subject, {
        ...(queue === undefined ? {} : { queue }),
        callback: (err, msg) => {
          if (err !== null) {
            this.onError(err, subject);
            return;
          }
          this.deliver(msg, handler);
        },
      });
    } catch (err) {
      throw toBusError(err, subject);
    }
    return { subject, unsubscribe: () => sub.unsubscribe() };
  }

  async request(subject: string, data: BusPayload, opts?: RequestOptions): Promise<BusPayload> {
    this.checkOpen();
    if (!isValidSubject(subject, false)) {
      throw new BusError('bad-subject', `invalid subject: ${subject}`);
    }
    const timeoutMs = opts?.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const bytes = encodePayload(data);
    if (opts?.durable === true) return this.durableRequest(subject, bytes, timeoutMs);
    const deadline = Date.now() + timeoutMs;
    this.uncork();
    // Do not let a request overtake publishes still buffered from an outage.
    if (!this.isConnected() || this.outbox.length > 0) {
      if (!(await this.waitConnected(deadline))) {
        throw new BusError('timeout', `request to ${subject} timed out (not connected)`);
      }
    }
    let reply: Msg;
    try {
      reply = await this.nc.request(subject, bytes, {
        timeout: Math.max(1, deadline - Date.now()),
      });
    } catch (err) {
      throw this.closed ? new BusError('closed', 'bus is closed') : toBusError(err, subject);
    }
    return decodePayload(reply.data);
  }

  publishDurable(subject: string, data: BusPayload): Promise<void> {
    try {
      this.checkDurableSubject(subject);
      const observer = this.observer;
      // Direct: the message a handler is running for is confirmed only once this one is done.
      const sent =
        this.direct !== undefined
          ? this.direct.publish(subject, encodePayload(data), undefined, onwardTracker())
          : this.sendDurable(subject, encodePayload(data), undefined);
      if (observer === undefined) return sent;
      const t0 = performance.now();
      return sent.then(
        () => observer.published((performance.now() - t0) / 1000, true),
        (err: unknown) => {
          observer.published((performance.now() - t0) / 1000, false);
          throw err;
        },
      );
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** The direct transport confirms a message after its handler's onward publishes (nats/onward.ts). */
  get tracksOnward(): boolean {
    return this.direct !== undefined;
  }

  async consumeOrdered(
    filter: string,
    name: string,
    handler: DurableHandler,
  ): Promise<OrderedConsumer> {
    this.checkOpen();
    if (
      !isValidSubject(filter, true) ||
      !this.stream.subjects.some((s) => filterWithin(filter, s))
    ) {
      throw new BusError(
        'bad-subject',
        `filter ${filter} is not within the stream subjects ${this.stream.subjects.join(', ')}`,
      );
    }
    if (!CONSUMER_NAME.test(name)) {
      throw new BusError('bad-subject', `invalid consumer name: ${name}`);
    }
    if (this.js === undefined) {
      const known = this.consumerFilters.get(name);
      if (known !== undefined && known !== filter) {
        throw new BusError(
          'bad-subject',
          `consumer ${name} exists with other filters (${known}), not ${filter}`,
        );
      }
      this.consumerFilters.set(name, filter);
    }
    const previous = this.consumerChain.get(name);
    const observer = this.observer;
    const observed: DurableHandler =
      observer === undefined
        ? handler
        : async (msg) => {
            const t0 = performance.now();
            try {
              await handler(msg);
            } finally {
              observer.consumed((performance.now() - t0) / 1000);
            }
          };
    const consumer =
      this.js === undefined || this.jsm === undefined
        ? new DirectOrderedConsumer(
            filter,
            name,
            observed,
            {
              subscribe: (subject, onMsg) =>
                this.nc.subscribe(subject, {
                  callback: (err, msg) => {
                    if (err === null) onMsg(msg);
                  },
                }),
              logger: this.logger,
              onError: (err, subject) => this.onError(err, subject),
              send: (subject, data) => {
                if (!this.nc.isClosed()) this.send(subject, data, undefined, undefined);
              },
              confirm: (subject, data, now) => {
                const tap = this.tap;
                if (tap === undefined) this.sendConfirm(subject, data, now);
                else
                  tap({ kind: 'confirm', subject, nak: data.length > 0 }, () =>
                    this.sendConfirm(subject, data, now),
                  );
              },
            },
            previous,
          )
        : new OrderedPullConsumer(
            filter,
            name,
            observed,
            {
              js: this.js,
              jsm: this.jsm,
              stream: this.stream.name,
              logger: this.logger,
              onError: (err, subject) => this.onError(err, subject),
              reply: (replyTo, reply) => {
                if (!this.closed) this.send(replyTo, encodePayload(reply), undefined, undefined);
              },
              isConnected: () => this.isConnected(),
            },
            this.consumerOpts,
            previous,
          );
    if (consumer instanceof DirectOrderedConsumer) {
      this.localConsumers.add(consumer);
      this.localByScope.clear();
      // Messages of this process held for want of a consumer need not wait for their next probe.
      void consumer.subscribed.then(() => {
        if (this.localHandover && consumer.active) this.direct?.probeHeld(consumer.reads);
      });
    }
    const finished = consumer.finished.then(() => {
      this.consumers.delete(consumer);
      if (consumer instanceof DirectOrderedConsumer && this.localConsumers.delete(consumer)) {
        this.localByScope.clear();
      }
      if (this.consumerChain.get(name) === finished) this.consumerChain.delete(name);
    });
    this.consumerChain.set(name, finished);
    this.consumers.add(consumer);
    await consumer.started;
    return consumer;
  }

  async flush(): Promise<void> {
    this.uncork();
    const deadline = Date.now() + DEFAULT_RETRY_MS;
    for (;;) {
      if (this.nc.isClosed()) return;
      if (!(await this.waitConnected(deadline))) {
        throw new BusError('timeout', 'flush: not connected to NATS');
      }
      try {
        await this.nc.flush();
        return;
      } catch (err) {
        if (this.nc.isClosed()) return;
        if (Date.now() > deadline) throw toBusError(err, 'flush');
      }
    }
  }

  close(): Promise<void> {
    this.closePromise ??= this.doClose();
    return this.closePromise;
  }

  private async doClose(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.consumers].map((c) => c.stop()));
    await (this.durable ?? this.direct)?.close(this.isConnected() ? CLOSE_GRACE_MS : 0);
    for (const [token, p] of this.pendingReplies) {
      clearTimeout(p.timer);
      p.reject(new BusError('closed', 'bus is closed'));
      this.pendingReplies.delete(token);
    }
    this.uncork();
    this.flushOutbox();
    clearInterval(this.outboxTimer);
    this.outboxTimer = undefined;
    this.wakeConnectWaiters();
    if (this.nc.isClosed()) return;
    try {
      if (this.isConnected()) await this.nc.drain();
      else await this.nc.close();
    } catch {
      await this.nc.close().catch(() => {});
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new BusError('closed', 'bus is closed');
  }

  private checkDurableSubject(subject: string): void {
    this.checkOpen();
    if (!isValidSubject(subject, false)) {
      throw new BusError('bad-subject', `invalid subject: ${subject}`);
    }
    if (!this.stream.subjects.some((p) => subjectMatches(p, subject))) {
      throw new BusError(
        'bad-subject',
        `${subject} is not stored by stream ${this.stream.name} (${this.stream.subjects.join(', ')})`,
      );
    }
  }

  /**
   * The client's own view, read synchronously. The status events arrive a
   * little later; in between, a publish would land in a buffer that the
   * client discards on reconnect.
   */
  private isConnected(): boolean {
    const protocol = (this.nc as unknown as { protocol?: { connected?: unknown } }).protocol;
    const live = typeof protocol?.connected === 'boolean' ? protocol.connected : true;
    return this.connected && live && !this.nc.isClosed();
  }

  private deliver(msg: Msg, handler: BusHandler): void {
    let data: BusPayload;
    try {
      data = decodePayload(msg.data);
    } catch (err) {
      this.onError(err, msg.subject);
      return;
    }
    const reply = msg.reply;
    const bm: BusMessage =
      reply !== undefined && reply !== ''
        ? {
            subject: msg.subject,
            data,
            respond: (d: BusPayload) => {
              if (!this.nc.isClosed()) this.send(reply, encodePayload(d), undefined, undefined);
            },
          }
        : { subject: msg.subject, data };
    try {
      const r = handler(bm);
      if (r !== undefined && typeof (r as Promise<void>).catch === 'function') {
        (r as Promise<void>).catch((err: unknown) => this.onError(err, msg.subject));
      }
    } catch (err) {
      this.onError(err, msg.subject);
    }
  }

  /** Core publish, held in the reconnect buffer while the connection is down. */
  private send(
    subject: string,
    data: Uint8Array,
    headers: MsgHdrs | undefined,
    reply: string | undefined,
  ): void {
    if (this.outbox.length === 0 && this.isConnected()) {
      // Corked until the end of the turn: the publishes of every message handled in
      // one turn leave in one socket write instead of one each.
      this.corked.push({ subject, data, headers, reply });
      if (!this.corkScheduled) {
        this.corkScheduled = true;
        setImmediate(this.uncork);
      }
      return;
    }
    const size = subject.length + data.length + 64;
    if (this.outboxBytes + size > this.bufferLimit) {
      this.dropped++;
      if (this.droppedThisOutage++ === 0) {
        this.logger.warn('NATS reconnect buffer full: dropping publishes until reconnected', {
          limitBytes: this.bufferLimit,
        });
      }
      return;
    }
    this.outbox.push({ subject, data, headers, reply });
    this.outboxBytes += size;
    this.outboxTimer ??= setInterval(() => this.flushOutbox(), 100);
  }

  private readonly uncork = (): void => {
    this.corkScheduled = false;
    const list = this.corked;
    if (list.length === 0) return;
    this.corked = [];
    if (this.outbox.length > 0 || !this.isConnected() || this.nc.isClosed()) {
      // Lost the connection meanwhile: they go first once it is back.
      for (const p of list) this.outboxBytes += p.subject.length + p.data.length + 64;
      this.outbox = [...list, ...this.outbox];
      this.outboxTimer ??= setInterval(() => this.flushOutbox(), 100);
      return;
    }
    for (const p of list) {
      try {
        this.nc.publish(p.subject, p.data, publishOptions(p.headers, p.reply));
      } catch (err) {
        this.onError(err, p.subject);
      }
    }
  };

  private flushOutbox(): void {
    let i = 0;
    while (i < this.outbox.length && this.isConnected()) {
      const p = this.outbox[i++]!;
      this.outboxBytes -= p.subject.length + p.data.length + 64;
      try {
        this.nc.publish(p.subject, p.data, publishOptions(p.headers, p.reply));
      } catch (err) {
        this.onError(err, p.subject);
      }
    }
    if (i > 0) this.outbox = this.outbox.slice(i);
    if (this.outbox.length === 0) {
      this.outboxBytes = 0;
      clearInterval(this.outboxTimer);
      this.outboxTimer = undefined;
      this.wakeConnectWaiters();
    }
  }

  /** Resolves true once connected with nothing buffered, false at the deadline or on close. */
  private async waitConnected(deadline: number): Promise<boolean> {
    while (!(this.isConnected() && this.outbox.length === 0)) {
      if (this.nc.isClosed()) return false;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(left, 100));
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.connectWaiters.push(done);
      });
    }
    return true;
  }

  private wakeConnectWaiters(): void {
    const w = this.connectWaiters;
    this.connectWaiters = [];
    for (const f of w) f();
  }

  private durableRequest(
    subject: string,
    bytes: Uint8Array,
    timeoutMs: number,
  ): Promise<BusPayload> {
    this.checkDurableSubject(subject);
    this.replySub ??= this.nc.subscribe(`${this.replyPrefix}.*`, {
      callback: (err, msg) => {
        if (err !== null) return;
        const token = msg.subject.slice(this.replyPrefix.length + 1);
        const p = this.pendingReplies.get(token);
        if (p === undefined) return;
        this.pendingReplies.delete(token);
        clearTimeout(p.timer);
        try {
          p.resolve(decodePayload(msg.data));
        } catch (e) {
          p.reject(e);
        }
      },
    });
    const token = String(++this.replySeq);
    const replyTo = `${this.replyPrefix}.${token}`;
    return new Promise<BusPayload>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.pendingReplies.delete(token)) {
          reject(
            new BusError(
              'timeout',
              `durable request to ${subject} timed out after ${timeoutMs} ms`,
            ),
          );
        }
      }, timeoutMs);
      this.pendingReplies.set(token, { resolve, reject, timer });
      let sent: Promise<void>;
      if (this.durable !== undefined) {
        sent = this.durable.publish(subject, bytes, { [REPLY_TO_HEADER]: replyTo });
      } else {
        const h = headers();
        h.set(REPLY_TO_HEADER, replyTo);
        sent = this.sendDurable(subject, bytes, h);
      }
      sent.catch((err: unknown) => {
        const p = this.pendingReplies.get(token);
        if (p === undefined) return;
        this.pendingReplies.delete(token);
        clearTimeout(p.timer);
        p.reject(err);
      });
    });
  }

  /**
   * A direct durable message (first transmission or again): to the consumer
   * in this process that reads its subject, if there is one, else over NATS.
   * Either way the consumer accepts it only as the next of its sender's
   * stream, so switching between the two paths (the consumer moved here or
   * away) can neither reorder nor skip. A retransmission goes over NATS as
   * well, in case the local consumer is stuck and another one has taken over.
   */
  private sendDirect(
    subject: string,
    data: Uint8Array,
    headers: MsgHdrs | undefined,
    reply: string,
    retry: boolean,
    scope: string,
  ): void {
    const local = this.localHandover ? this.localConsumerOf(subject, scope) : undefined;
    if (local === undefined) {
      this.send(subject, data, headers, reply);
      return;
    }
    this.localHandovers++;
    local.deliverLocal({ subject, data, reply, headers });
    if (retry) this.send(subject, data, headers, reply);
  }

  /**
   * The running consumer of this process that reads `subject`, when there is
   * exactly one (with two, NATS gives the message to both).
   */
  private localConsumerOf(subject: string, scope: string): DirectOrderedConsumer | undefined {
    if (this.localConsumers.size === 0) return undefined;
    let candidates = this.localByScope.get(scope);
    if (candidates === undefined) {
      candidates = [...this.localConsumers].filter((c) => c.reads(subject));
      this.localByScope.set(scope, candidates);
    }
    let found: DirectOrderedConsumer | undefined;
    for (const c of candidates) {
      if (!c.active || !c.reads(subject)) continue;
      if (found !== undefined) return undefined;
      found = c;
    }
    return found;
  }

  /**
   * A confirmation: to a sender of this process directly (unless hand-over
   * is off), else over NATS after everything published before it (`now`:
   * written with those at once instead of at the end of the turn).
   */
  private sendConfirm(subject: string, data: Uint8Array, now: boolean): void {
    const direct = this.direct!;
    if (this.localHandover && direct.owns(subject)) {
      direct.onReply(subject, data, undefined);
    } else if (!this.nc.isClosed()) {
      this.send(subject, data, undefined, undefined);
      if (now) this.uncork();
    }
  }

  private sendDurable(subject: string, bytes: Uint8Array, h: MsgHdrs | undefined): Promise<void> {
    if (this.durable !== undefined) return this.durable.publish(subject, bytes);
    return this.direct!.publish(subject, bytes, h);
  }

  /** Re-checks the stream after trouble (it may be gone with memory storage), at most every 2 s. */
  private reensureStream(): void {
    const now = Date.now();
    const jsm = this.jsm;
    if (jsm === undefined || this.closed || now - this.lastEnsure < 2000) return;
    this.lastEnsure = now;
    ensureStream(jsm, this.stream).catch((err: unknown) => {
      if (!isRetriablePublishError(err)) {
        this.logger.error('cannot ensure the durable stream', {
          stream: this.stream.name,
          err,
        });
      }
    });
  }

  private emit(e: NatsBusEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.logger.error('bus status listener failed', { err });
      }
    }
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      switch (s.type) {
        case 'disconnect':
          this.connected = false;
          this.reconnecting = true;
          this.droppedThisOutage = 0;
          this.durable?.onDisconnect();
          if (!this.closed)
            this.logger.warn('NATS connection lost, reconnecting', { server: s.server });
          this.emit({ type: 'disconnect', server: s.server });
          break;
        case 'reconnecting':
          this.reconnecting = true;
          break;
        case 'reconnect':
          this.connected = true;
          this.reconnecting = false;
          this.flushOutbox();
          this.wakeConnectWaiters();
          this.durable?.onReconnect();
          this.direct?.onReconnect();
          for (const c of this.consumers) c.onReconnect();
          this.lastEnsure = 0;
          this.reensureStream();
          this.logger.info('NATS connection restored', {
            server: s.server,
            ...(this.droppedThisOutage > 0 ? { dropped: this.droppedThisOutage } : {}),
          });
          this.emit({ type: 'reconnect', server: s.server });
          break;
        case 'ldm':
          this.logger.warn('NATS server entering lame duck mode', { server: s.server });
          this.emit({ type: 'ldm', server: s.server });
          break;
        case 'error':
          this.logger.error('NATS connection error', { err: s.error });
          this.emit({ type: 'error', error: s.error });
          break;
        case 'staleConnection':
          this.logger.warn('NATS connection stale (no PONG), reconnecting');
          break;
        case 'close':
          this.connected = false;
          this.reconnecting = false;
          this.wakeConnectWaiters();
          this.emit({ type: 'close' });
          break;
        default:
          break;
      }
    }
    // The iterator ends when the connection closes.
    this.connected = false;
    this.reconnecting = false;
  }
}

function publishOptions(
  h: MsgHdrs | undefined,
  reply: string | undefined,
): { headers?: MsgHdrs; reply?: string } | undefined {
  if (h === undefined && reply === undefined) return undefined;
  return { ...(h === undefined ? {} : { headers: h }), ...(reply === undefined ? {} : { reply }) };
}

/**
 * Without a `durableBatchKey`, a direct durable message is ordered with the
 * others of its subject's parent: `a.b.c` with everything matching `a.b.*`.
 */
function defaultScopeOf(subject: string): string {
  const dot = subject.lastIndexOf('.');
  return dot === -1 ? subject : `${subject.slice(0, dot)}.*`;
}
