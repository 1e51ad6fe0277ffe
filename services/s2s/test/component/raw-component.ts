/**
 * A hand-driven component connection for tests: a loopback socket whose
 * input is collected as text, with bounded waits on it.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { handshakeDigest, NS_COMPONENT_ACCEPT } from '../../src/component/index.js';

/** Captured before any test fakes timers, so waits stay bounded in real time. */
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;

export const STREAM_NS = 'http://etherx.jabber.org/streams';

export function componentHeader(to: string, ns: string = NS_COMPONENT_ACCEPT): string {
  return `<stream:stream xmlns='${ns}' xmlns:stream='${STREAM_NS}' to='${to}'>`;
}

export class RawComponent {
  data = '';
  closed = false;
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.data += d;
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static open(port: number): Promise<RawComponent> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawComponent(socket));
      });
    });
  }

  /**
   * Opens a stream to `domain` and completes the handshake with `secret`;
   * resolves once `<handshake/>` arrived.
   */
  static async connected(port: number, domain: string, secret: string): Promise<RawComponent> {
    const c = await RawComponent.open(port);
    c.send(componentHeader(domain));
    const id = await c.streamId();
    c.send(`<handshake>${handshakeDigest(id, secret)}</handshake>`);
    await c.waitFor((d) => d.includes('<handshake/>'));
    return c;
  }

  send(text: string): void {
    this.socket.write(text);
  }

  /** The id of the server's stream header. */
  async streamId(): Promise<string> {
    await this.waitFor((d) => /<stream:stream[^>]*>/.test(d));
    const header = /<stream:stream[^>]*>/.exec(this.data)![0];
    return /\sid="([^"]+)"/.exec(header)![1]!;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves when `pred(data)` holds; rejects after `ms` (real time) or when the socket closed first. */
  waitFor(pred: (data: string) => boolean, ms = 5_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = realSetTimeout(() => {
        reject(new Error(`timed out waiting; received so far: ${this.data}`));
      }, ms);
      const check = (): void => {
        if (pred(this.data)) {
          realClearTimeout(timer);
          resolve();
        } else if (this.closed) {
          realClearTimeout(timer);
          reject(new Error(`socket closed; received: ${this.data}`));
        } else {
          this.waiters.push(check);
        }
      };
      check();
    });
  }

  /** Resolves when the server closed the connection (bounded). */
  waitClosed(ms = 5_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = realSetTimeout(
        () => reject(new Error(`connection still open; received: ${this.data}`)),
        ms,
      );
      const check = (): void => {
        if (this.closed) {
          realClearTimeout(timer);
          resolve();
        } else this.waiters.push(check);
      };
      check();
    });
  }

  /** Sends our close tag and waits for the socket to close. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.socket.end('</stream:stream>');
    await this.waitClosed();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** The raw components a test opens, all destroyed by `destroyAll()` (in afterEach). */
export class RawComponents {
  private readonly tracked: RawComponent[] = [];

  /** {@link RawComponent.open}, destroyed with the others. */
  async open(port: number): Promise<RawComponent> {
    return this.track(await RawComponent.open(port));
  }

  /** {@link RawComponent.connected}, destroyed with the others. */
  async connected(port: number, domain: string, secret: string): Promise<RawComponent> {
    return this.track(await RawComponent.connected(port, domain, secret));
  }

  destroyAll(): void {
    for (const c of this.tracked.splice(0)) c.destroy();
  }

  private track(c: RawComponent): RawComponent {
    this.tracked.push(c);
    return c;
  }
}

/** Bounded wait for a condition that changes outside any socket (e.g. a callback was called). */
export async function until(cond: () => boolean, ms = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((r) => realSetTimeout(r, 5));
  }
}
