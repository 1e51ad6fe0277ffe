import type {
  Consumer,
  ConsumerConfig,
  ConsumerInfo,
  ConsumerMessages,
  JetStreamClient,
  JetStreamManager,
  JsMsg,
} from '@nats-io/jetstream';
import { AckPolicy, DeliverPolicy, ReplayPolicy } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { BusPayload, DurableHandler, DurableMessage, OrderedConsumer } from '../bus.js';
import { decodePayload } from './codec.js';
import { BATCH_HEADER } from './durable-publisher.js';
import { isConsumerNotFound } from './errors.js';
import type { BusLogger } from './logger.js';

/** Header carrying the reply subject of a durable request. */
export const REPLY_TO_HEADER = 'Parley-Reply-To';

/**
 * The message a durable handler gets: with `respond` when it is a request
 * (its REPLY_TO_HEADER named `replyTo`), which hands the answer to `reply`.
 */
export function durableMessage(
  subject: string,
  data: BusPayload,
  deliveries: number,
  replyTo: string | undefined,
  reply: (replyTo: string, data: BusPayload) => void,
): DurableMessage {
  if (replyTo === undefined || replyTo === '') return { subject, data, deliveries };
  return { subject, data, deliveries, respond: (answer) => reply(replyTo, answer) };
}

export interface OrderedConsumerOptions {
  /** Messages asked for per pull (default 256). */
  batch: number;
  /**
   * How long one pull waits for messages before the next one is issued
   * (default 5000 ms; messages are handed over as they arrive, this only bounds
   * an idle pull). The server's idle heartbeat is half of it: two missed ones
   * end the pull, so a short value fails pulls on a CPU-starved host.
   */
  expiresMs: number;
  /** Server-side redelivery timer for delivered, unacknowledged messages (default 30 s). */
  ackWaitMs: number;
  /** Delivered-but-unacknowledged messages the server allows per consumer (default 1024). */
  maxAckPending: number;
}

export interface OrderedConsumerDeps {
  js: JetStreamClient;
  jsm: JetStreamManager;
  stream: string;
  logger: BusLogger;
  onError(err: unknown, subject: string): void;
  /** Core publish of a reply (durable requests). */
  reply(subject: string, data: BusPayload): void;
  isConnected(): boolean;
}

/** A consumer whose stored name/filter pair does not match: never retried. */
export class ConsumerConfigError extends Error {
  override name = 'ConsumerConfigError';
}

const STOP_CONFIRM_MS = 2000;
/** Longest wait between checks of the connection while it is down. */
const RECONNECT_POLL_MS = 1000;
const ACK_EVERY = 64;
const ACK_DELAY_MS = 0;

function isHeartbeatsMissed(err: unknown): boolean {
  return err instanceof Error && /heartbeats missed/i.test(err.message);
}

function sleep(ms: number, signal: { cancel?: () => void }): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.cancel = () => {
      clearTimeout(t);
      resolve();
    };
  });
}

/**
 * Last stream sequence the consumer's state says is done: its ack floor, or
 * the sequence before its start when it was created at a start sequence and
 * nothing has been acknowledged since.
 */
function floorOf(info: ConsumerInfo): number {
  const start =
    info.config.deliver_policy === DeliverPolicy.StartSequence
      ? (info.config.opt_start_seq ?? 1) - 1
      : 0;
  return Math.max(info.ack_floor.stream_seq, start);
}

/**
 * A durable JetStream pull consumer whose messages are handled strictly one
 * after another, in stream order, with exactly-once-per-consumer-name
 * progress as long as one instance runs at a time.
 *
 * - Ack policy `all`: the ack after each handler also covers everything
 *   before it, so a lost ack is repaired by the next one and the server's ack
 *   floor is exactly "handled up to here".
 * - Ordering across instances: JetStream redelivers unacknowledged messages
 *   only after `ack_wait`, by which time a new instance would already have
 *   handled newer ones. So when an instance starts and finds messages
 *   delivered but not acknowledged (a stop, a crash), it re-creates the
 *   consumer at ack floor + 1: the next message it handles is exactly the one
 *   after the last acknowledged one.
 * - Within an instance, every delivery carries the consumer's delivery
 *   sequence; a gap means a delivery was lost (a dropped connection, an
 *   abandoned pull): the instance re-creates the consumer after the last
 *   message it handled instead of handling anything out of order.
 */
export class OrderedPullConsumer implements OrderedConsumer {
  private stopping = false;
  private stopPromise: Promise<void> | undefined;
  private needSetup = true;
  private needReset = false;
  private consumer: Consumer | undefined;
  private iter: ConsumerMessages | undefined;
  private buf: JsMsg[] = [];
  private current: JsMsg | undefined;
  private wake: (() => void) | undefined;
  private sleepSignal: { cancel?: () => void } = {};
  /** Next delivery sequence expected from the server. */
  private expectedDseq = 0;
  /** Stream sequence of the last message handled (and acknowledged). */
  private lastSeq = 0;
  /** Messages up to this stream sequence were delivered to an earlier consumer state. */
  private redeliveredUpTo = 0;
  /** Creation time of the stream this instance's sequence numbers belong to. */
  private streamCreated: string | undefined;
  /** Set when the bus reconnected: deliveries may have been lost in the meantime. */
  private checkDeliveries = false;
  private workingTimer: NodeJS.Timeout | undefined;
  /** Last handled message whose ack has not been sent yet (ack policy all covers the ones before). */
  private unacked: JsMsg | undefined;
  private handledSinceAck = 0;
  private ackTimer: NodeJS.Timeout | undefined;
  private readonly loopDone: Promise<void>;
  private resolveStarted!: (err?: unknown) => void;
  /** Settles after the first setup attempt (or at once when waiting for a previous instance). */
  readonly started: Promise<void>;

  constructor(
    readonly filter: string,
    readonly name: string,
    private readonly handler: DurableHandler,
    private readonly deps: OrderedConsumerDeps,
    private readonly opts: OrderedConsumerOptions,
    previous: Promise<void> | undefined,
  ) {
    this.started = new Promise<void>((resolve, reject) => {
      this.resolveStarted = (err?: unknown) => (err === undefined ? resolve() : reject(err));
    });
    if (previous !== undefined) this.resolveStarted();
    this.loopDone = this.run(previous);
  }

  /** The connection came back: check for deliveries lost while it was down. */
  onReconnect(): void {
    this.checkDeliveries = true;
    // A pull issued before the drop may be gone with the server that held
    // it: end it now rather than after two missed heartbeats, and pull again.
    this.iter?.stop();
    this.sleepSignal.cancel?.(); // retry now rather than after the backoff
  }

  stop(): Promise<void> {
    this.stopPromise ??= this.doStop();
    return this.stopPromise;
  }

  async idle(): Promise<void> {
    for (;;) {
      if (this.stopping) return;
      if (this.current === undefined && this.buf.length === 0 && !this.needSetup) {
        try {
          const info = await this.deps.jsm.consumers.info(this.deps.stream, this.name);
          if (info.delivered.consumer_seq >= this.expectedDseq) {
            // Delivered to someone, never seen here: make the loop notice.
            this.checkDeliveries = true;
          } else if (info.num_pending === 0) {
            // Everything delivered was seen and handled here, and nothing is left to deliver.
            return;
          }
        } catch {
          // not reachable right now: keep waiting
        }
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Settles once the consumer has stopped (by stop() or a configuration error). */
  get finished(): Promise<void> {
    return this.loopDone;
  }

  private async doStop(): Promise<void> {
    this.stopping = true;
    this.iter?.stop();
    this.wake?.();
    this.sleepSignal.cancel?.();
    await this.loopDone;
  }

  /**
   * Waits (briefly) until the server has applied the last ack, so a consumer
   * started right after this one resumes exactly after it.
   */
  private async confirmAcks(): Promise<void> {
    const deadline = Date.now() + STOP_CONFIRM_MS;
    while (Date.now() < deadline) {
      try {
        const info = await this.deps.jsm.consumers.info(this.deps.stream, this.name);
        if (floorOf(info) >= this.lastSeq) return;
      } catch {
        return;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private async run(previous: Promise<void> | undefined): Promise<void> {
    if (previous !== undefined) await previous.catch(() => {});
    let failures = 0;
    let quietPulls = 0;
    let first = true;
    while (!this.stopping) {
      if (!first && !this.deps.isConnected()) {
        // A JetStream API request sent now would only wait out its timeout:
        // wait for the reconnect instead (onReconnect ends the sleep).
        this.needSetup = true;
        await sleep(RECONNECT_POLL_MS, this.sleepSignal);
        continue;
      }
      try {
        if (this.needSetup || this.needReset || this.checkDeliveries) await this.setup();
        if (first) {
          first = false;
          this.resolveStarted();
        }
        if (this.stopping) break;
        await this.fetchOnce();
        failures = 0;
        quietPulls = 0;
      } catch (err) {
        if (first) {
          first = false;
          if (err instanceof ConsumerConfigError) {
            this.resolveStarted(err);
            this.stopping = true;
            break;
          }
          this.resolveStarted();
        }
        if (err instanceof ConsumerConfigError) {
          this.deps.logger.error('ordered consumer cannot start', {
            name: this.name,
            filter: this.filter,
            err,
          });
          this.deps.onError(err, this.filter);
          this.stopping = true;
          break;
        }
        if (this.stopping) break;
        if (isHeartbeatsMissed(err) && quietPulls++ === 0) {
          // The pull went quiet (a starved host, a pull the server dropped).
          // Once is not a failure: check that no delivery was lost (without
          // re-creating the consumer when none was), then pull again at once.
          this.checkDeliveries = true;
          this.deps.logger.info('ordered consumer pull went quiet; pulling again', {
            name: this.name,
          });
          continue;
        }
        failures++;
        if (failures === 1 || failures % 50 === 0) {
          this.deps.logger.warn('ordered consumer failed, retrying', {
            name: this.name,
            filter: this.filter,
            failures,
            err,
          });
        }
        this.needSetup = true;
        await sleep(Math.min(2000, 100 * 2 ** Math.min(failures - 1, 5)), this.sleepSignal);
      }
    }
    clearInterval(this.workingTimer);
    this.flushAck();
    if (this.lastSeq > 0 && this.deps.isConnected()) await this.confirmAcks();
  }

  private desiredConfig(): Partial<ConsumerConfig> {
    return {
      durable_name: this.name,
      filter_subject: this.filter,
      ack_policy: AckPolicy.All,
      ack_wait: nanos(this.opts.ackWaitMs),
      max_ack_pending: this.opts.maxAckPending,
      max_deliver: -1,
      replay_policy: ReplayPolicy.Instant,
    };
  }

  private async info(): Promise<ConsumerInfo | undefined> {
    try {
      return await this.deps.jsm.consumers.info(this.deps.stream, this.name);
    } catch (err) {
      if (isConsumerNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Reads the consumer's state; creates it, or re-creates it at the right place. */
  private async setup(): Promise<void> {
    const { jsm, stream } = this.deps;
    let info = await this.info();
    if (info !== undefined && info.config.filter_subject !== this.filter) {
      throw new ConsumerConfigError(
        `consumer ${this.name} on stream ${stream} filters ${String(info.config.filter_subject)}, not ${this.filter}`,
      );
    }
    // A running instance (expectedDseq > 0) has acknowledged all it handled,
    // so its pending acks are only acks still on their way: what it must
    // repair is a delivery it never saw. A new instance repairs whatever an
    // earlier one left delivered but unacknowledged.
    const lost =
      info !== undefined &&
      (this.expectedDseq > 0
        ? info.delivered.consumer_seq >= this.expectedDseq
        : info.num_ack_pending > 0);
    if (info === undefined) {
      // New, or gone while this instance ran (deleted by hand, or the stream
      // was re-created after a restart with memory storage).
      const created = (await jsm.streams.info(stream)).created;
      if (this.streamCreated !== undefined && created !== this.streamCreated) {
        this.lastSeq = 0; // a new stream: its sequences start over
      }
      info = await jsm.consumers.add(
        stream,
        this.lastSeq > 0
          ? {
              ...this.desiredConfig(),
              deliver_policy: DeliverPolicy.StartSequence,
              opt_start_seq: this.lastSeq + 1,
            }
          : { ...this.desiredConfig(), deliver_policy: DeliverPolicy.All },
      );
      this.expectedDseq = info.delivered.consumer_seq + 1;
      this.lastSeq = floorOf(info);
    } else if (this.needReset || lost) {
      const startSeq = Math.max(floorOf(info), this.lastSeq) + 1;
      this.redeliveredUpTo = Math.max(this.redeliveredUpTo, info.delivered.stream_seq);
      this.deps.logger.info('ordered consumer resumes after its last acknowledged message', {
        name: this.name,
        filter: this.filter,
        startSeq,
        unacknowledged: info.num_ack_pending,
      });
      try {
        await jsm.consumers.delete(stream, this.name);
      } catch (err) {
        if (!isConsumerNotFound(err)) throw err;
      }
      info = await jsm.consumers.add(stream, {
        ...this.desiredConfig(),
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: startSeq,
      });
      this.expectedDseq = info.delivered.consumer_seq + 1;
      this.lastSeq = startSeq - 1;
    } else {
      this.expectedDseq = info.delivered.consumer_seq + 1;
      this.lastSeq = Math.max(this.lastSeq, floorOf(info));
      const c = info.config;
      if (
        c.ack_policy !== AckPolicy.All ||
        c.max_ack_pending !== this.opts.maxAckPending ||
        c.ack_wait !== nanos(this.opts.ackWaitMs)
      ) {
        if (c.ack_policy !== AckPolicy.All) {
          throw new ConsumerConfigError(
            `consumer ${this.name} on stream ${stream} has ack policy ${c.ack_policy}, not all`,
          );
        }
        await jsm.consumers.update(stream, this.name, {
          max_ack_pending: this.opts.maxAckPending,
          ack_wait: nanos(this.opts.ackWaitMs),
        });
      }
    }
    if (this.streamCreated === undefined || this.lastSeq === 0) {
      this.streamCreated = (await jsm.streams.info(stream)).created;
    }
    this.consumer = await this.deps.js.consumers.get(stream, this.name);
    this.needSetup = false;
    this.needReset = false;
    this.checkDeliveries = false;
  }

  /** One pull: handles its messages as they arrive, one after another. */
  private async fetchOnce(): Promise<void> {
    const consumer = this.consumer;
    if (consumer === undefined) {
      this.needSetup = true;
      return;
    }
    const iter = await consumer.fetch({
      max_messages: this.opts.batch,
      expires: this.opts.expiresMs,
    });
    this.iter = iter;
    if (this.stopping) iter.stop();
    let fetchDone = false;
    let fetchError: unknown;
    const drain = (async () => {
      try {
        for await (const m of iter) {
          this.buf.push(m);
          this.wake?.();
        }
      } catch (err) {
        fetchError = err;
      } finally {
        fetchDone = true;
        this.wake?.();
      }
    })();
    this.startWorkingTimer();
    try {
      for (;;) {
        if (this.stopping || this.needReset) break;
        const m = this.buf.shift();
        if (m === undefined) {
          if (fetchDone) break;
          await new Promise<void>((r) => (this.wake = r));
          this.wake = undefined;
          continue;
        }
        await this.process(m);
      }
    } finally {
      this.flushAck();
      iter.stop();
      await drain;
      this.iter = undefined;
      // Whatever was received but not handled stays unacknowledged; the next
      // setup notices it and resumes after the last handled message.
      if (this.buf.length > 0) {
        this.buf = [];
        this.needReset = true;
      }
    }
    if (fetchError !== undefined && !this.stopping) throw fetchError;
  }

  private async process(m: JsMsg): Promise<void> {
    const info = m.info;
    if (info.deliverySequence !== this.expectedDseq) {
      this.deps.logger.info('ordered consumer missed a delivery; resuming after the last handled', {
        name: this.name,
        expected: this.expectedDseq,
        got: info.deliverySequence,
      });
      this.buf.unshift(m);
      this.needReset = true;
      return;
    }
    this.expectedDseq++;
    if (info.streamSequence <= this.lastSeq) {
      m.ack(); // a redelivery of something already handled
      return;
    }
    this.current = m;
    try {
      let data: BusPayload;
      try {
        data = decodePayload(m.data);
      } catch (err) {
        this.deps.onError(err, m.subject);
        return;
      }
      const deliveries = info.deliveryCount + (info.streamSequence <= this.redeliveredUpTo ? 1 : 0);
      const batched = m.headers?.get(BATCH_HEADER);
      if (batched !== undefined && batched !== '' && Array.isArray(data)) {
        // Several messages travelled together: handle them in publish order.
        for (const pair of data as unknown[]) {
          const [subject, item] = Array.isArray(pair) ? (pair as [unknown, BusPayload]) : [];
          if (typeof subject !== 'string') {
            this.deps.onError(new Error('malformed batch entry'), m.subject);
            continue;
          }
          try {
            await this.handler({ subject, data: item, deliveries });
          } catch (err) {
            this.deps.onError(err, subject);
          }
        }
        return;
      }
      const msg = durableMessage(
        m.subject,
        data,
        deliveries,
        m.headers?.get(REPLY_TO_HEADER),
        (to, answer) => this.deps.reply(to, answer),
      );
      try {
        await this.handler(msg);
      } catch (err) {
        this.deps.onError(err, m.subject);
      }
    } finally {
      this.current = undefined;
      this.lastSeq = info.streamSequence;
      this.acknowledge(m);
    }
  }

  /**
   * Acks are coalesced: with ack policy `all`, acknowledging a message covers
   * every one before it. The ack goes out after every {@link ACK_EVERY}
   * messages, when the consumer stops, and otherwise in the event-loop turn
   * after the handler finished ({@link ACK_DELAY_MS} = 0): handlers that
   * finish together share one ack, and a crash re-delivers only messages
   * handled in that last turn (a gateway's client cannot have acknowledged
   * them yet at the XMPP level).
   */
  private acknowledge(m: JsMsg): void {
    this.unacked = m;
    this.handledSinceAck++;
    if (this.handledSinceAck >= ACK_EVERY || this.stopping) {
      this.flushAck();
    } else {
      this.ackTimer ??= setTimeout(() => {
        this.ackTimer = undefined;
        this.flushAck();
      }, ACK_DELAY_MS);
    }
  }

  private flushAck(): void {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    const m = this.unacked;
    if (m === undefined) return;
    this.unacked = undefined;
    this.handledSinceAck = 0;
    m.ack();
  }

  /** Keeps the server from redelivering what is waiting here behind a slow handler. */
  private startWorkingTimer(): void {
    if (this.workingTimer !== undefined) return;
    const every = Math.max(1000, Math.floor(this.opts.ackWaitMs / 3));
    this.workingTimer = setInterval(() => {
      if (this.stopping) return;
      this.current?.working();
      for (const m of this.buf) m.working();
    }, every);
    this.workingTimer.unref();
  }
}
