import { startRedisServer } from './redis-server.js';
import type { RedisServer, RedisServerOptions } from './redis-server.js';

/** A client the suite opens to the server: anything that can be disconnected. */
export interface Disconnectable {
  disconnect(): void;
}

/**
 * A redis-server shared by the tests of a suite and the clients they open to
 * it, closed together: start it in `beforeAll`, stop it in `afterAll`.
 */
export interface RedisWithClients<C extends Disconnectable> {
  readonly server: RedisServer;
  /** Every client `connect()` opened, in order. */
  readonly clients: readonly C[];
  /** Opens a client with the factory given at start and remembers it. */
  connect(): C;
  /** Disconnects every client, then stops the server. */
  stop(): Promise<void>;
}

/**
 * Starts a redis-server (`startRedisServer(opts)`); `open(url)` makes a client
 * of it (the testkit itself has no Redis client library).
 */
export async function startRedisWithClients<C extends Disconnectable>(
  open: (url: string) => C,
  opts: RedisServerOptions = {},
): Promise<RedisWithClients<C>> {
  const server = await startRedisServer(opts);
  const clients: C[] = [];
  return {
    server,
    clients,
    connect() {
      const client = open(server.url);
      clients.push(client);
      return client;
    },
    async stop() {
      for (const c of clients) c.disconnect();
      await server.stop();
    },
  };
}
