/**
 * A round-robin TCP balancer for tests: connection n goes to target
 * n mod targets.length, the way a plain L4 load balancer spreads
 * consecutive client connections over several gateways. It records where
 * each connection went, keyed by the client's own port, so a test can tell
 * which gateway a given client landed on.
 */
import { connect, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';

export interface RelayedConnection {
  /** 0 for the first accepted connection, then 1, 2, ... */
  seq: number;
  /** The client's local port (the remote port as the relay sees it). */
  clientPort: number;
  /** Index into `targets` of the server the connection was relayed to. */
  target: number;
}

export class RoundRobinRelay {
  private readonly log: RelayedConnection[] = [];
  private readonly pairs = new Set<[Socket, Socket]>();
  private next = 0;
  private server: Server | undefined;
  port = 0;

  private constructor(readonly targets: readonly number[]) {}

  /** Listens on a free port of 127.0.0.1 in front of `targets` (ports on 127.0.0.1). */
  static async start(targets: number[]): Promise<RoundRobinRelay> {
    if (targets.length === 0) throw new Error('RoundRobinRelay needs at least one target');
    const relay = new RoundRobinRelay([...targets]);
    const server = createServer((client) => relay.accept(client));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    relay.server = server;
    relay.port = (server.address() as AddressInfo).port;
    return relay;
  }

  private accept(client: Socket): void {
    const target = this.next;
    this.next = (this.next + 1) % this.targets.length;
    this.log.push({ seq: this.log.length, clientPort: client.remotePort ?? 0, target });
    const upstream = connect({ port: this.targets[target]!, host: '127.0.0.1' });
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const drop = (): void => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** Every connection accepted so far, oldest first. */
  get connections(): readonly RelayedConnection[] {
    return this.log;
  }

  /** Connections accepted per target, in the order of `targets`. */
  get accepted(): number[] {
    const counts = this.targets.map(() => 0);
    for (const c of this.log) counts[c.target]!++;
    return counts;
  }

  /** Connections currently relayed. */
  get open(): number {
    return this.pairs.size;
  }

  /** Index of the target that the connection from client port `clientPort` went to. */
  targetOf(clientPort: number): number | undefined {
    for (let i = this.log.length - 1; i >= 0; i--)
      if (this.log[i]!.clientPort === clientPort) return this.log[i]!.target;
    return undefined;
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
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
