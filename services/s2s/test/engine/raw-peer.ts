/** A hand-driven server-to-server peer for protocol tests: a socket and a StreamFramer. */
import { once } from 'node:events';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { vi } from 'vitest';
import { StreamFramer } from '@parley/xml';
import type { Element, StreamHeader } from '@parley/xml';

export class RawPeer {
  readonly elements: Element[] = [];
  header: StreamHeader | undefined;
  closed = false;
  private readonly framer: StreamFramer;

  private constructor(readonly socket: Socket) {
    this.framer = new StreamFramer({
      streamOpen: (h) => {
        this.header = h;
      },
      stanza: (el) => this.elements.push(el),
      streamClose: () => undefined,
      error: () => undefined,
    });
    socket.on('data', (chunk: Buffer) => this.framer.write(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
    });
  }

  static async connect(port: number): Promise<RawPeer> {
    const socket = connect({ host: '127.0.0.1', port });
    await once(socket, 'connect');
    return new RawPeer(socket);
  }

  send(xml: string): void {
    this.socket.write(xml);
  }

  /** Waits (bounded) for an element matching `pred`. */
  async waitFor(pred: (el: Element) => boolean, timeout = 5_000): Promise<Element> {
    return vi.waitFor(
      () => {
        const el = this.elements.find(pred);
        if (el === undefined) throw new Error('not yet');
        return el;
      },
      { timeout, interval: 10 },
    );
  }
}
