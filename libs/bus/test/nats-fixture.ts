/**
 * Shared pieces of the direct transport tests against a real nats-server
 * (nats-direct-*.test.ts): whether the binary is there, a quiet logger, a
 * seeded PRNG and a server per suite with the buses and relays its tests
 * open, all closed after them.
 */
import { hasBinary, startNatsServer, TcpRelay } from '@parley/testkit';
import type { NatsServer } from '@parley/testkit';
import { afterAll, beforeAll } from 'vitest';
import { connectNatsBus } from '../src/nats-bus.js';
import type { NatsBus, NatsBusOptions } from '../src/nats-bus.js';

export const haveNats = hasBinary('nats-server');

/** The logger of the buses under test: errors only. */
export const quiet = { info: () => {}, warn: () => {}, error: console.error };

/** A seeded PRNG (mulberry32): a failing run can be replayed with its seed. */
export function prng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x6d2b79f5) >>> 0;
    let t = x;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface NatsSuite {
  /** The server (set once the suite's beforeAll ran). */
  readonly server: NatsServer;
  /** Connects a bus to the server with the suite's options, then `extra`. */
  bus(extra?: Partial<NatsBusOptions>): Promise<NatsBus>;
  /** A relay in front of the server, to cut a bus off it. */
  relay(): Promise<TcpRelay>;
  /** Runs `f` after the suite, before its buses close (releases handlers a test left hanging). */
  cleanup(f: () => void): void;
}

/**
 * Starts a nats-server for the tests of the enclosing describe and closes,
 * after them, every bus and relay they opened through it. The buses log
 * with `quiet` unless `defaults` say otherwise.
 */
export function natsSuite(defaults: Partial<NatsBusOptions> = {}): NatsSuite {
  let server: NatsServer | undefined;
  const buses: NatsBus[] = [];
  const relays: TcpRelay[] = [];
  const cleanups: Array<() => void> = [];
  const started = (): NatsServer => {
    if (server === undefined) throw new Error('the nats-server of the suite is not started yet');
    return server;
  };
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    for (const f of cleanups) f();
    await Promise.all(buses.map((b) => b.close()));
    await Promise.all(relays.map((r) => r.close()));
    await server?.stop();
  });
  return {
    get server() {
      return started();
    },
    async bus(extra = {}) {
      const b = await connectNatsBus({
        servers: started().url,
        logger: quiet,
        ...defaults,
        ...extra,
      });
      buses.push(b);
      return b;
    },
    async relay() {
      const r = await TcpRelay.start(started().port);
      relays.push(r);
      return r;
    },
    cleanup(f) {
      cleanups.push(f);
    },
  };
}
