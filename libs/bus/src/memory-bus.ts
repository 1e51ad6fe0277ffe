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
import { isValidSubject, subjectMatches } from './subject.js';

/** Subjects whose subscriptions are remembered (see match); emptied when full. */
const MATCH_CACHE_MAX = 50_000;

interface Sub {
  pattern: string;
  exact: boolean;
  handler: BusHandler;
  queue: string | undefined;
  active: boolean;
}

/**
 * In-process bus with NATS semantics (wildcards, queue groups, request/reply).
 * Delivery is asynchronous (a microtask later) and in publish order per
 * subscriber, so publishers never re-enter their own handlers.
 */
export class MemoryBus implements Bus {
  /**
   * Subscriptions indexed so a publish costs a few Map lookups, not one
   * pattern match per subscription: literal subjects; `prefix.*`; `prefix.>`;
   * and the rare patterns with wildcards elsewhere, matched token by token.
   */
  private exact = new Map<string, Sub[]>();
  private star = new Map<string, Sub[]>();
  private tail = new Map<string, Sub[]>();
  private wild: Sub[] = [];
  private queueCursor = new Map<string, number>();
  private closed = false;
  /** Deliveries waiting for the next drain: subscription i gets message i. */
  private pendingSubs: Sub[] = [];
  private pendingMsgs: BusMessage[] = [];
  private scheduled = false;
  /** match()'s result and queue groups, reused (see match). */
  private readonly scratch: Sub[] = [];
  private groups: Map<string, Sub[]> | undefined;
  /** Subscriptions per subject without queue groups; emptied when a subscription changes. */
  private readonly matchCache = new Map<string, Sub[]>();
  private inboxSeq = 0;
  onError: (err: unknown, subject: string) => void = (err, subject) => {
    console.error(`bus handler for ${subject} failed`, err);
  };

  publish(subject: string, data: BusPayload): void {
    this.dispatch(subject, data, undefined);
  }

  private dispatch(subject: string, data: BusPayload, respond: BusMessage['respond']): number {
    if (this.closed) throw new BusError('closed', 'bus is closed');
    if (!isValidSubject(subject, false))
      throw new BusError('bad-subject', `invalid subject: ${subject}`);
    const targets = this.match(subject);
    if (targets.length === 0) return 0;
    const msg: BusMessage = respond ? { subject, data, respond } : { subject, data };
    // Parallel arrays instead of a closure per delivery: this is every routed stanza's path.
    for (let i = 0; i < targets.length; i++) {
      this.pendingSubs.push(targets[i]!);
      this.pendingMsgs.push(msg);
    }
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.drainBound);
    }
    return targets.length;
  }

  private readonly drainBound = (): void => this.drain();

  private drain(): void {
    // Run until empty; handlers may publish more, which join this same run.
    const subs = this.pendingSubs;
    const msgs = this.pendingMsgs;
    for (let i = 0; i < subs.length; i++) this.deliver(subs[i]!, msgs[i]!);
    this.pendingSubs = [];
    this.pendingMsgs = [];
    this.scheduled = false;
  }

  private deliver(sub: Sub, msg: BusMessage): void {
    if (!sub.active) return;
    try {
      const r = sub.handler(msg);
      if (r && typeof (r as Promise<void>).catch === 'function') {
        (r as Promise<void>).catch((err: unknown) => this.onError(err, msg.subject));
      }
    } catch (err) {
      this.onError(err, msg.subject);
    }
  }

  /**
   * The active subscriptions a message on `subject` goes to (one member per
   * queue group, round robin). The result is a scratch array, valid until
   * the next call: dispatch copies it out at once.
   */
  private match(subject: string): Sub[] {
    const cached = this.matchCache.get(subject);
    if (cached !== undefined) return cached;
    const plain = this.scratch;
    plain.length = 0;
    this.groups?.clear();
    this.consider(this.exact.get(subject));
    const lastDot = subject.lastIndexOf('.');
    if (lastDot > 0 && this.star.size > 0) this.consider(this.star.get(subject.slice(0, lastDot)));
    if (this.tail.size > 0) {
      for (let i = subject.indexOf('.'); i !== -1; i = subject.indexOf('.', i + 1)) {
        this.consider(this.tail.get(subject.slice(0, i)));
      }
    }
    if (this.wild.length > 0)
      this.consider(this.wild.filter((s) => subjectMatches(s.pattern, subject)));
    const groups = this.groups;
    if (groups === undefined || groups.size === 0) {
      // Without queue groups the result only changes with the subscriptions.
      if (this.matchCache.size >= MATCH_CACHE_MAX) this.matchCache.clear();
      const result = plain.slice();
      this.matchCache.set(subject, result);
      return result;
    }
    for (const [key, members] of groups) {
      const n = (this.queueCursor.get(key) ?? 0) % members.length;
      this.queueCursor.set(key, n + 1);
      plain.push(members[n]!);
    }
    return plain;
  }

  private consider(list: Sub[] | undefined): void {
    if (!list) return;
    for (const s of list) {
      if (!s.active) continue;
      if (s.queue === undefined) this.scratch.push(s);
      else {
        const key = s.pattern + '\u0000' + s.queue;
        this.groups ??= new Map();
        let g = this.groups.get(key);
        if (!g) this.groups.set(key, (g = []));
        g.push(s);
      }
    }
  }

  subscribe(subject: string, handler: BusHandler, opts?: SubscribeOptions): Subscription {
    if (this.closed) throw new BusError('closed', 'bus is closed');
    if (!isValidSubject(subject, true))
      throw new BusError('bad-subject', `invalid subject: ${subject}`);
    const tokens = subject.split('.');
    const wildcards = tokens.filter((t) => t === '*' || t === '>').length;
    const exact = wildcards === 0;
    const sub: Sub = { pattern: subject, exact, handler, queue: opts?.queue, active: true };
    const last = tokens[tokens.length - 1];
    const prefix = tokens.slice(0, -1).join('.');
    const index = exact
      ? { map: this.exact, key: subject }
      : wildcards === 1 && last === '*' && tokens.length > 1
        ? { map: this.star, key: prefix }
        : wildcards === 1 && last === '>' && tokens.length > 1
          ? { map: this.tail, key: prefix }
          : undefined;
    this.matchCache.clear();
    if (index) {
      let list = index.map.get(index.key);
      if (!list) index.map.set(index.key, (list = []));
      list.push(sub);
    } else this.wild.push(sub);
    return {
      subject,
      unsubscribe: () => {
        if (!sub.active) return;
        sub.active = false;
        this.matchCache.clear();
        if (index) {
          const rest = (index.map.get(index.key) ?? []).filter((s) => s !== sub);
          if (rest.length) index.map.set(index.key, rest);
          else index.map.delete(index.key);
        } else this.wild = this.wild.filter((s) => s !== sub);
      },
    };
  }

  request(subject: string, data: BusPayload, opts?: RequestOptions): Promise<BusPayload> {
    const timeoutMs = opts?.timeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      let done = false;
      const timer = setTimeout(() => {
        if (done) return;
        done = true;
        reject(new BusError('timeout', `request to ${subject} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      const respond = (reply: BusPayload) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(reply);
      };
      let n: number;
      try {
        n = this.dispatch(subject, data, respond);
      } catch (err) {
        clearTimeout(timer);
        reject(err);
        return;
      }
      if (n === 0) {
        done = true;
        clearTimeout(timer);
        reject(new BusError('no-responders', `no responders for ${subject}`));
      }
    });
  }

  async publishDurable(subject: string, data: BusPayload): Promise<void> {
    this.publish(subject, data);
  }

  /**
   * In one process nothing outlives the consumer, so durability reduces to
   * ordering: messages are handled one at a time in arrival order.
   */
  /** In-process: an onward publish is handled before its sender resumes, whatever it awaits. */
  readonly tracksOnward = true;

  async consumeOrdered(
    filter: string,
    _name: string,
    handler: DurableHandler,
  ): Promise<OrderedConsumer> {
    const queue: BusMessage[] = [];
    let running = false;
    let waiters: Array<() => void> = [];
    const failed = (err: unknown, msg: BusMessage) => this.onError(err, msg.subject);
    // One message at a time in arrival order; a handler that finishes synchronously
    // costs no promise (this is every routed stanza's path).
    const run = (): void => {
      running = true;
      while (queue.length > 0) {
        const msg = queue.shift()!;
        const durable = msg.respond
          ? { subject: msg.subject, data: msg.data, respond: msg.respond, deliveries: 1 }
          : { subject: msg.subject, data: msg.data, deliveries: 1 };
        let r: void | Promise<void>;
        try {
          r = handler(durable);
        } catch (err) {
          failed(err, msg);
          continue;
        }
        if (r && typeof (r as Promise<void>).then === 'function') {
          (r as Promise<void>).then(run, (err: unknown) => {
            failed(err, msg);
            run();
          });
          return;
        }
      }
      running = false;
      const w = waiters;
      waiters = [];
      for (const f of w) f();
    };
    const sub = this.subscribe(filter, (msg) => {
      queue.push(msg);
      if (!running) run();
    });
    const idle = () =>
      running || queue.length > 0 ? new Promise<void>((r) => waiters.push(r)) : Promise.resolve();
    return {
      filter,
      idle,
      stop: async () => {
        sub.unsubscribe();
        await idle();
      },
    };
  }

  /** Unique reply subject, for callers that build their own reply flows. */
  newInbox(): string {
    return `_INBOX.mem.${++this.inboxSeq}`;
  }

  async flush(): Promise<void> {
    await new Promise<void>((r) => setImmediate(r));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.exact.clear();
    this.star.clear();
    this.tail.clear();
    this.wild = [];
    this.matchCache.clear();
  }
}
