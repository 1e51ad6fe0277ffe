/**
 * A TCP relay in front of a server, for drills: drop every relayed
 * connection from the server side (`cut`), or point new connections at
 * another server (`target`), e.g. a client that reconnects to "the same
 * address" and lands on another gateway.
 */
import { connect, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';

export class TcpRelay {
  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly pairs: Set<[Socket, Socket]>,
    private readonly dest: { port: number },
  ) {}

  static async start(targetPort: number): Promise<TcpRelay> {
    const pairs = new Set<[Socket, Socket]>();
    const dest = { port: targetPort };
    const server = createServer((client) => {
      const upstream = connect({ port: dest.port, host: '127.0.0.1' });
      const pair: [Socket, Socket] = [client, upstream];
      pairs.add(pair);
      const drop = (): void => {
        pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new TcpRelay(server, (server.address() as AddressInfo).port, pairs, dest);
  }

  /** Port that new connections are relayed to. */
  get target(): number {
    return this.dest.port;
  }

  set target(port: number) {
    this.dest.port = port;
  }

  get connections(): number {
    return this.pairs.size;
  }

  /** Destroys every relayed connection, both ways, without any protocol close. */
  cut(): void {
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    this.pairs.clear();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
