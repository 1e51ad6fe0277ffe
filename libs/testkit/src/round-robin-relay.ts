/**
 * A round-robin TCP balancer for tests: connection n goes to target
 * n mod targets.length, the way a plain L4 load balancer spreads
 * consecutive client connections over several gateways. It records where
 * each connection went, keyed by the client's own port, so a test can tell
 * which gateway a given client landed on.
 *
 * With `silentClientLoss` set, a client connection that goes away (reset or
 * closed) leaves its server side open and silently drained: the server hears
 * nothing, as when a phone's network vanishes, until it closes the
 * connection itself or the relay is cut or closed.
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
  private readonly orphans = new Set<Socket>();
  private next = 0;
  private server: Server | undefined;
  port = 0;
  /** Keep the server side of a lost client connection open (see above); off by default. */
  silentClientLoss = false;

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
    let clientEnded = false;
    const drop = (): void => {
      if (!this.pairs.delete(pair)) return;
      client.destroy();
      if (this.silentClientLoss && !upstream.destroyed) this.orphan(upstream);
      else if (clientEnded) upstream.end();
      else upstream.destroy();
    };
    const dropUpstream = (): void => {
      this.pairs.delete(pair);
      this.orphans.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    client.on('end', () => {
      clientEnded = true;
      if (!this.silentClientLoss) upstream.end();
    });
    upstream.on('error', dropUpstream).on('close', dropUpstream);
    client.pipe(upstream, { end: false });
    upstream.pipe(client);
  }

  /** Keeps `upstream` open with nobody listening: what it receives is discarded. */
  private orphan(upstream: Socket): void {
    this.orphans.add(upstream);
    upstream.on('data', () => undefined);
    upstream.resume();
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

  /** Server sides kept open after their client went away (`silentClientLoss`). */
  get silent(): number {
    return this.orphans.size;
  }

  /** Destroys every relayed connection, both ways, without any protocol close. */
  cut(): void {
    const pairs = [...this.pairs];
    this.pairs.clear();
    for (const [a, b] of pairs) {
      a.destroy();
      b.destroy();
    }
    for (const s of this.orphans) s.destroy();
    this.orphans.clear();
  }

  async close(): Promise<void> {
    this.cut();
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
