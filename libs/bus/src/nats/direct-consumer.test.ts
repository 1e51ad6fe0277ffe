import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BusError } from '../bus.js';
import type { BusPayload, DurableHandler } from '../bus.js';
import { encodePayload } from './codec.js';
import { DirectOrderedConsumer } from './direct-consumer.js';
import type { DirectMsg } from './direct-consumer.js';
import { DirectSender } from './direct-sender.js';
import { onwardTracker, trackOnward } from './onward.js';

/**
 * Causal confirmations, with fake timers: a message is confirmed once its
 * handler is done and every durable message the handler published is
 * confirmed; cumulatively up to the confirmable prefix, one by one beyond it.
 * The wire is a list of confirmation frames; messages are fed by hand.
 */
const T0 = 1_000_000;
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

function deferred() {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}

async function setup(handler: DurableHandler) {
  let onMsg!: (m: DirectMsg) => void;
  const confirms: string[] = [];
  /** "Handled up to" reports (`.h`): the publishes resolve, the messages are kept. */
  const handled: string[] = [];
  const c = new DirectOrderedConsumer(
    's.>',
    'c',
    handler,
    {
      subscribe: (_s, cb) => {
        onMsg = cb;
        return { unsubscribe: () => {} };
      },
      logger: quiet,
      onError: (err) => {
        throw err;
      },
      send: () => {},
      confirm: (subject, data) => {
        const body = new TextDecoder().decode(data);
        (subject.endsWith('.h') ? handled : confirms).push(
          body === '' ? subject : `${subject} ${body}`,
        );
      },
    },
    undefined,
  );
  await c.subscribed;
  /** Message `seq` of sender `inbox.1` (oldest unconfirmed: `lo`). */
  const feed = (seq: number, data: BusPayload = seq, lo = 1) =>
    onMsg({ subject: 's.x', data: encodePayload(data), reply: `inbox.1.${seq}.${lo}.1` });
  return { c, feed, confirms, handled };
}

describe('DirectOrderedConsumer: causal confirmations', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a handler that publishes nothing is confirmed as before: once, 10 ms after', async () => {
    const { c, feed, confirms } = await setup(async () => {});
    for (const n of [1, 2, 3]) feed(n);
    await c.idle();
    expect(confirms).toEqual([]);
    await vi.advanceTimersByTimeAsync(10);
    expect(confirms).toEqual(['inbox.1.3']);
  });

  it('waits for onward publishes, awaited or not, made in the handler or in its continuations', async () => {
    const onward = new Map<number, ReturnType<typeof deferred>>();
    const { c, feed, confirms, handled } = await setup(async (m) => {
      const n = m.data as number;
      if (n === 2) trackOnward(onward.set(2, deferred()).get(2)!.promise); // fire and forget
      if (n === 4) {
        await Promise.resolve();
        void (async () => {
          await Promise.resolve();
          trackOnward(onward.set(4, deferred()).get(4)!.promise);
        })();
        // Still running when it publishes. (Fake timers lose the async context:
        // the continuation above is a promise one.)
        await new Promise((r) => setTimeout(r, 5));
      }
    });
    for (const n of [1, 2, 3, 4, 5]) feed(n);
    await vi.advanceTimersByTimeAsync(20);
    await c.idle();
    // 1 is confirmable; 2 and 4 wait; 3 and 5 are done beyond the prefix: one by one.
    expect(confirms).toEqual(['inbox.1.1', 'inbox.1.1.s 3,5']);
    // All five are handled: their publishes resolve, 2 and 4 stay with the sender.
    expect(handled).toEqual(['inbox.1.1.h 5']);
    confirms.length = 0;
    onward.get(4)!.resolve();
    await vi.advanceTimersByTimeAsync(10);
    expect(confirms).toEqual(['inbox.1.1.s 4']);
    confirms.length = 0;
    onward.get(2)!.resolve();
    await vi.advanceTimersByTimeAsync(10);
    expect(confirms).toEqual(['inbox.1.5']);
  });

  it('an onward publish that times out settles; one rejected by a closing bus never does', async () => {
    const onward: Array<ReturnType<typeof deferred>> = [];
    const { feed, confirms } = await setup(async () => {
      const d = deferred();
      onward.push(d);
      trackOnward(d.promise);
    });
    feed(1);
    feed(2);
    await vi.advanceTimersByTimeAsync(20);
    expect(confirms).toEqual([]);
    onward[0]!.reject(new BusError('closed', 'bus closed before the message was confirmed'));
    onward[1]!.reject(new BusError('timeout', 'no consumer confirmed it within 30000 ms'));
    await vi.advanceTimersByTimeAsync(20);
    // 1 stays unconfirmed: its sender sends it again to the next consumer.
    expect(confirms).toEqual(['inbox.1.0.s 2']);
  });

  it('a repeated message that is done beyond the prefix is confirmed again, one that waits is not', async () => {
    const d = deferred();
    const { feed, confirms } = await setup(async (m) => {
      if (m.data === 1) trackOnward(d.promise);
    });
    feed(1);
    feed(2);
    await vi.advanceTimersByTimeAsync(20);
    expect(confirms).toEqual(['inbox.1.0.s 2']);
    confirms.length = 0;
    feed(1);
    feed(2);
    await vi.advanceTimersByTimeAsync(20);
    expect(confirms).toEqual(['inbox.1.0.s 2']);
  });

  it('a burst behind a waiting message is confirmed one by one at least every 256', async () => {
    const d = deferred();
    const { c, feed, confirms } = await setup(async (m) => {
      if (m.data === 1) trackOnward(d.promise);
    });
    for (let n = 1; n <= 300; n++) feed(n);
    await c.idle();
    expect(confirms).toEqual(['inbox.1.0.s 2-256']);
    await vi.advanceTimersByTimeAsync(10);
    expect(confirms).toEqual(['inbox.1.0.s 2-256', 'inbox.1.0.s 257-300']);
    d.resolve();
    await vi.advanceTimersByTimeAsync(10);
    expect(confirms.at(-1)).toBe('inbox.1.300');
  });

  it('a message confirmed elsewhere meanwhile (the sender moved `lo` past it) stops waiting', async () => {
    const d = deferred();
    const { feed, confirms } = await setup(async (m) => {
      if (m.data === 1) trackOnward(d.promise);
    });
    feed(1);
    await vi.advanceTimersByTimeAsync(20);
    expect(confirms).toEqual([]);
    feed(3, 3, 3); // the sender says: 1 and 2 are confirmed (by another owner)
    await vi.advanceTimersByTimeAsync(20);
    expect(confirms.at(-1)).toBe('inbox.1.3');
  });
});

/**
 * A sender and a consumer of the same process wired to each other (what the
 * in-process hand-over does): chains and cycles of onward publishes.
 */
describe('DirectOrderedConsumer with DirectSender: chains do not deadlock', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function wire(handler: (publish: (s: string, d: BusPayload) => Promise<void>) => DurableHandler) {
    const consumers: DirectOrderedConsumer[] = [];
    const sender = new DirectSender(
      {
        subscribe: () => ({ unsubscribe: () => {} }),
        send: (subject, data, _h, reply) => {
          for (const c of consumers) if (c.reads(subject)) c.deliverLocal({ subject, data, reply });
        },
        logger: quiet,
      },
      {
        ackTimeoutMs: 2000,
        retryBudgetMs: 30_000,
        scopeOf: (s) => s.slice(0, s.lastIndexOf('.')),
      },
      'inbox',
    );
    const publish = (s: string, d: BusPayload) =>
      sender.publish(s, encodePayload(d), undefined, onwardTracker());
    const h = handler(publish);
    const make = (filter: string) =>
      new DirectOrderedConsumer(
        filter,
        filter,
        h,
        {
          subscribe: () => ({ unsubscribe: () => {} }),
          logger: quiet,
          onError: (err) => {
            throw err;
          },
          send: () => {},
          confirm: (subject, data) => sender.onReply(subject, data, undefined),
        },
        undefined,
      );
    return { sender, publish, make, consumers };
  }

  it('A → B → A again (same sender stream): every publish is confirmed', async () => {
    const handled: string[] = [];
    const { sender, publish, make, consumers } = wire((pub) => async (m) => {
      handled.push(`${m.subject}=${String(m.data)}`);
      const n = m.data as number;
      // a.x n → b.x n → a.x n+100 (once) → b.x n+100 → end
      if (m.subject === 'a.x') void pub('b.x', n);
      else if (n < 100) void pub('a.x', n + 100);
    });
    consumers.push(make('a.*'), make('b.*'));
    await Promise.all(consumers.map((c) => c.subscribed));
    const done = vi.fn();
    const all = Promise.all([1, 2, 3].map((n) => publish('a.x', n))).then(done);
    await vi.advanceTimersByTimeAsync(200);
    expect(done).toHaveBeenCalled();
    await all;
    expect(handled.filter((h) => h.startsWith('b.x=')).sort()).toEqual(
      ['b.x=1', 'b.x=101', 'b.x=102', 'b.x=103', 'b.x=2', 'b.x=3'].sort(),
    );
    expect(sender.pending).toBe(0);
  });

  it('a handler that awaits its publish whose chain comes back to its own consumer does not deadlock', async () => {
    const handled: string[] = [];
    const { sender, publish, make, consumers } = wire((pub) => async (m) => {
      handled.push(`${m.subject}=${String(m.data)}`);
      // a.x awaits b.x (as a bind awaits its kick), whose handler publishes on to a.y: a.y
      // can only be handled once a.x's handler has finished.
      if (m.subject === 'a.x') await pub('b.x', m.data);
      else if (m.subject === 'b.x') void pub('a.y', m.data);
    });
    consumers.push(make('a.*'), make('b.*'));
    await Promise.all(consumers.map((c) => c.subscribed));
    const done = vi.fn();
    void publish('a.x', 1).then(done);
    await vi.advanceTimersByTimeAsync(200);
    expect(handled).toEqual(['a.x=1', 'b.x=1', 'a.y=1']);
    expect(done).toHaveBeenCalled();
    expect(sender.pending).toBe(0);
  });

  it('a message waits for its chain: confirmed only once the end of it is', async () => {
    const end = deferred();
    const { sender, make, consumers } = wire((pub) => async (m) => {
      if (m.subject === 'a.x') void pub('b.x', m.data);
      else trackOnward(end.promise); // b's handler sends on to another process
    });
    consumers.push(make('a.*'), make('b.*'));
    await Promise.all(consumers.map((c) => c.subscribed));
    const handled = vi.fn();
    const done = vi.fn();
    void sender.publish('a.x', encodePayload(1), undefined, done).then(handled);
    await vi.advanceTimersByTimeAsync(1000);
    // The publish resolves once handled (its caller waits no longer than before) ...
    expect(handled).toHaveBeenCalled();
    // ... but the message is kept, and counts as done, only once the chain is.
    expect(done).not.toHaveBeenCalled();
    expect(sender.pending).toBe(2);
    end.resolve();
    await vi.advanceTimersByTimeAsync(20);
    expect(done).toHaveBeenCalledWith(undefined);
    expect(sender.pending).toBe(0);
  });
});
