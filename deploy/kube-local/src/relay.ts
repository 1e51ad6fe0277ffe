/**
 * A round-robin TCP relay standing in for a Service port (kube-proxy): each
 * new connection goes to the next endpoint of the current list; an endpoint
 * that refuses is skipped. Also used for the links to NATS, Redis and
 * PostgreSQL (one endpoint).
 */
import { connect, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';

export interface Endpoint {
  host: string;
  port: number;
}

export class RoundRobinRelay {
  private next = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly host: string,
    readonly port: number,
    private readonly endpoints: () => Endpoint[],
  ) {}

  /** Listens on host:port (0 = an ephemeral port) and relays to `endpoints()` of the moment. */
  static async start(
    host: string,
    port: number,
    endpoints: () => Endpoint[],
  ): Promise<RoundRobinRelay> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const relay = new RoundRobinRelay(
      server,
      host,
      (server.address() as AddressInfo).port,
      endpoints,
    );
    server.on('connection', (client) => relay.accept(client));
    return relay;
  }

  private accept(client: Socket): void {
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.on('error', () => client.destroy());
    client.pause();
    const list = this.endpoints();
    const attempt = (tries: number): void => {
      if (tries >= list.length) {
        client.destroy(); // no endpoint: as kube-proxy with no ready pod, refuse
        return;
      }
      const ep = list[this.next++ % list.length]!;
      const upstream = connect({ host: ep.host, port: ep.port });
      let connected = false;
      upstream.once('error', () => {
        upstream.destroy();
        // Refused before connecting (a pod that just died): the next endpoint.
        if (!connected) attempt(tries + 1);
        else client.destroy();
      });
      upstream.once('connect', () => {
        connected = true;
        this.sockets.add(upstream);
        upstream.on('close', () => {
          this.sockets.delete(upstream);
          client.destroy();
        });
        client.on('close', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    attempt(0);
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
