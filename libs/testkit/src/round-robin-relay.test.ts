import { connect, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RoundRobinRelay } from './round-robin-relay.js';

/** A server that greets every connection with its name and then echoes. */
async function namedServer(name: string): Promise<{ port: number; server: Server }> {
  const server = createServer((s) => {
    s.write(`${name}:`);
    s.pipe(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, server };
}

/** Connects to `port`, sends `text` and resolves with the socket once the echo came back. */
function talk(port: number, text: string): Promise<{ socket: Socket; got: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let got = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(text));
    socket.on('data', (d: string) => {
      got += d;
      if (got.endsWith(text)) resolve({ socket, got });
    });
    socket.on('error', reject);
  });
}

describe('RoundRobinRelay', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  it('sends consecutive connections to the targets in turn and records where each went', async () => {
    const a = await namedServer('A');
    const b = await namedServer('B');
    cleanup.push(
      () => new Promise<void>((r) => a.server.close(() => r())),
      () => new Promise<void>((r) => b.server.close(() => r())),
    );
    const relay = await RoundRobinRelay.start([a.port, b.port]);
    cleanup.push(() => relay.close());

    const seen: string[] = [];
    const sockets: Socket[] = [];
    for (let i = 0; i < 5; i++) {
      const { socket, got } = await talk(relay.port, `hello-${i}`);
      sockets.push(socket);
      seen.push(got);
      expect(relay.targetOf(socket.localPort!)).toBe(i % 2);
    }
    cleanup.push(() => sockets.forEach((s) => s.destroy()));
    expect(seen).toEqual(['A:hello-0', 'B:hello-1', 'A:hello-2', 'B:hello-3', 'A:hello-4']);
    expect(relay.accepted).toEqual([3, 2]);
    expect(relay.connections.map((c) => c.target)).toEqual([0, 1, 0, 1, 0]);
    expect(relay.open).toBe(5);
    expect(relay.targetOf(1)).toBeUndefined();
  });

  it('cut() drops every relayed connection without touching the listener', async () => {
    const a = await namedServer('A');
    cleanup.push(() => new Promise<void>((r) => a.server.close(() => r())));
    const relay = await RoundRobinRelay.start([a.port]);
    cleanup.push(() => relay.close());
    const { socket } = await talk(relay.port, 'x');
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    relay.cut();
    await closed;
    expect(relay.open).toBe(0);
    const again = await talk(relay.port, 'y');
    expect(again.got).toBe('A:y');
    again.socket.destroy();
  });

  it('with silentClientLoss, a lost client leaves the server side open until the relay is cut', async () => {
    const serverSides: Socket[] = [];
    const server = createServer((s) => {
      serverSides.push(s);
      s.pipe(s);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
    const relay = await RoundRobinRelay.start([(server.address() as AddressInfo).port]);
    cleanup.push(() => relay.close());
    relay.silentClientLoss = true;

    const { socket } = await talk(relay.port, 'a');
    const first = serverSides[0]!;
    let firstClosed = false;
    first.on('close', () => (firstClosed = true));
    socket.resetAndDestroy();
    await new Promise<void>((resolve) => {
      const poll = (): void => (relay.silent === 1 ? resolve() : void setImmediate(poll));
      poll();
    });
    // The server can still write (into the void), and a round trip on another
    // connection shows that no close reached it meanwhile.
    first.write('anyone?');
    const other = await talk(relay.port, 'b');
    other.socket.destroy();
    expect(firstClosed).toBe(false);
    expect(relay.open).toBeLessThanOrEqual(1);

    const closed = new Promise<void>((r) => first.on('close', () => r()));
    relay.cut();
    await closed;
    expect(relay.silent).toBe(0);
  });

  it('refuses to start without a target', async () => {
    await expect(RoundRobinRelay.start([])).rejects.toThrow(/at least one target/);
  });
});
