/** A TCP relay in front of the gateway, to drop a client's connection from the server side. */
import { connect, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';

export class TcpProxy {
  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly pairs: Set<[Socket, Socket]>,
  ) {}

  static async start(targetPort: number): Promise<TcpProxy> {
    const pairs = new Set<[Socket, Socket]>();
    const server = createServer((client) => {
      const upstream = connect({ port: targetPort, host: '127.0.0.1' });
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
    return new TcpProxy(server, (server.address() as AddressInfo).port, pairs);
  }

  get connections(): number {
    return this.pairs.size;
  }

  /** Destroys every relayed connection, both ways, without any XMPP close. */
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
