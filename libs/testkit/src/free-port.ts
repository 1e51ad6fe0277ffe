import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP port that was free a moment ago on `host`. Another process may still
 * take it before it is used; the server starters retry on a collision.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as AddressInfo;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}
