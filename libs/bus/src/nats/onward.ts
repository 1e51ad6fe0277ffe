import { AsyncLocalStorage } from 'node:async_hooks';
import { BusError } from '../bus.js';

/**
 * Causal confirmations of the direct transport: which durable messages a
 * handler published on, so that its own message is confirmed only once they
 * are (see DirectOrderedConsumer).
 *
 * The consumer runs each handler inside a {@link HandlerScope}; publishDurable
 * registers its confirmation promise with the scope it runs in, if any,
 * whether the handler awaits it or not, and from the handler's body or from
 * any async continuation of it (AsyncLocalStorage follows promises, timers
 * and callbacks). A publish made outside any handler is not tracked.
 *
 * Once the handler has finished and every tracked publish has settled, the
 * scope is sealed: a publish made later still (a timer the handler left
 * behind) is not tracked, since the message may already be confirmed.
 */
export class HandlerScope {
  private pending = 0;
  private finished = false;
  private sealed = false;

  constructor(private readonly onSettled: () => void) {}

  /**
   * An onward publish: the scope waits until it is confirmed, or rejected for
   * any reason but the bus closing. A rejection after the retry budget
   * ('timeout') counts as settled: the publisher's caller has it and bounces
   * the message, and the original is not kept for ever. A publish rejected
   * because its bus closed never settles the scope: the message it belongs
   * to stays unconfirmed, so its sender sends it again to the next consumer.
   */
  track(confirmed: Promise<void>): void {
    const done = this.tracker();
    if (done !== undefined) confirmed.then(() => done(), done);
  }

  /**
   * The same for a callback: call it once, without an error when the publish
   * is confirmed, with the error when it is rejected. Undefined once sealed.
   */
  tracker(): ((err?: unknown) => void) | undefined {
    if (this.sealed) return undefined;
    this.pending++;
    let called = false;
    return (err?: unknown) => {
      if (called) return;
      called = true;
      if (!(err instanceof BusError && err.code === 'closed')) this.settle();
    };
  }

  /** The handler has finished: true when nothing it published is still unconfirmed. */
  finish(): boolean {
    this.finished = true;
    if (this.pending === 0) this.sealed = true;
    return this.sealed;
  }

  private settle(): void {
    if (--this.pending > 0 || !this.finished || this.sealed) return;
    this.sealed = true;
    this.onSettled();
  }
}

const current = new AsyncLocalStorage<HandlerScope>();

/** Runs a handler in `scope`: durable publishes it makes are tracked there. */
export function runInScope<T>(scope: HandlerScope, fn: () => T): T {
  return current.run(scope, fn);
}

/** Registers a durable publish with the handler it is made in, if any. */
export function trackOnward(confirmed: Promise<void>): void {
  current.getStore()?.track(confirmed);
}

/** The same as a callback (see HandlerScope.tracker); undefined outside a handler. */
export function onwardTracker(): ((err?: unknown) => void) | undefined {
  return current.getStore()?.tracker();
}
