/**
 * What every cluster process shares (`startClusterProcess`), against a
 * real nats-server and redis-server from the test kit: its id, readiness
 * (draining, NATS, Redis) on the HTTP endpoint, and `close()`, which lets
 * go of everything it opened. And the infrastructure metrics
 * (process-metrics.ts) it records.
 */
import { loadConfig } from '@parley/config';
import type { Config, DeepPartial } from '@parley/config';
import { freePort, startNatsServer, startRedisServer } from '@parley/testkit';
import type { NatsServer, RedisServer } from '@parley/testkit';
import { createMetrics } from '@parley/telemetry';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { busObserver, processId, startClusterProcess, storeObserver } from '../src/index.js';
import { LinkError } from '@parley/cluster';
import type { ClusterProcess } from '../src/index.js';

describe('processId', () => {
  it.each([
    ['gateway-1', 'gateway-1'],
    ['registry_a', 'registry_a'],
    ['pod.ns.svc.cluster.local', 'pod_ns_svc_cluster_local'],
    ['host:5222', 'host_5222'],
    ['name with spaces/and>stuff*', 'name_with_spaces_and_stuff_'],
    ['nœud', 'n_ud'],
    ['', 'node'],
  ])('%j -> %j (safe in subjects, consumer names and Redis keys)', (node, id) => {
    expect(processId(node)).toBe(id);
    expect(processId(node)).toMatch(/^[A-Za-z0-9_-]+$/);
  });
});

describe('process metrics', () => {
  const line = (text: string, prefix: string) => text.split('\n').find((l) => l.startsWith(prefix));

  it('busObserver: durable publishes by result, consumer handling time', async () => {
    const metrics = createMetrics({ collectDefault: false });
    const bus = busObserver(metrics);
    bus.published(0.002, true);
    bus.published(0.004, true);
    bus.published(1.5, false);
    bus.consumed(0.0003);
    const text = await metrics.text();
    expect(line(text, 'parley_bus_publish_seconds_count{result="ok"}')).toMatch(/ 2$/);
    expect(line(text, 'parley_bus_publish_seconds_count{result="error"}')).toMatch(/ 1$/);
    expect(line(text, 'parley_bus_publish_seconds_bucket{le="0.0025",result="ok"}')).toMatch(/ 1$/);
    expect(line(text, 'parley_bus_publish_seconds_bucket{le="0.005",result="ok"}')).toMatch(/ 2$/);
    expect(line(text, 'parley_bus_consume_seconds_count')).toMatch(/ 1$/);
    expect(line(text, 'parley_bus_consume_seconds_bucket{le="0.0005"}')).toMatch(/ 1$/);
  });

  it('storeObserver: every operation timed by backend, store and method; failures counted', async () => {
    const metrics = createMetrics({ collectDefault: false });
    const observe = storeObserver(metrics, 'postgres');
    observe('rosters', 'get', 0.001, true);
    observe('rosters', 'get', 0.2, false);
    observe('offline', 'push', 0.01, true);
    const text = await metrics.text();
    const labels = (store: string, op: string) =>
      `{backend="postgres",store="${store}",op="${op}"}`;
    expect(line(text, `parley_store_operation_seconds_count${labels('rosters', 'get')}`)).toMatch(
      / 2$/,
    );
    expect(line(text, `parley_store_operation_seconds_count${labels('offline', 'push')}`)).toMatch(
      / 1$/,
    );
    expect(line(text, `parley_store_errors_total${labels('rosters', 'get')}`)).toMatch(/ 1$/);
    expect(line(text, `parley_store_errors_total${labels('offline', 'push')}`)).toBeUndefined();
  });
});

describe('startClusterProcess on a real nats-server and redis-server', () => {
  let nats: NatsServer;
  let redis: RedisServer;
  const config = (overrides: DeepPartial<Config> = {}): Config =>
    loadConfig({
      env: {},
      overrides: {
        server: { nodeId: 'proc.test-1' },
        store: { kind: 'memory' },
        http: { port: 0, host: '127.0.0.1' },
        log: { level: 'error' },
        ...overrides,
        bus: { kind: 'nats', natsUrl: nats.url, ...overrides.bus },
        redis: { url: redis.url, ...overrides.redis },
      },
    });
  const readyz = async (port: number) => {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`);
    return { status: res.status, body: (await res.json()) as { details: Record<string, unknown> } };
  };
  beforeAll(async () => {
    [nats, redis] = await Promise.all([startNatsServer(), startRedisServer()]);
  });
  afterAll(async () => {
    await Promise.all([nats?.stop(), redis?.stop()]);
  });

  it('has its id, and is ready while NATS and Redis are up and it is not draining', async () => {
    const proc = await startClusterProcess('test', config());
    try {
      expect(proc.id).toBe('proc_test-1');
      const http = await proc.serveHttp(() => ({ partitions: 3 }));
      let r = await readyz(http.port);
      expect(r.status).toBe(200);
      expect(r.body.details).toMatchObject({ redis: 'ready', draining: false, partitions: 3 });
      expect(r.body.details['bus']).toMatchObject({ connected: true });
      proc.draining = true; // SIGTERM: stop getting traffic before closing
      r = await readyz(http.port);
      expect(r.status).toBe(503);
      expect(r.body.details).toMatchObject({ draining: true });
    } finally {
      await proc.close();
    }
  });

  it('is not ready while Redis is down, and ready again once it is back', async () => {
    const proc = await startClusterProcess('test', config());
    try {
      proc.redis.on('error', () => undefined);
      const http = await proc.serveHttp();
      expect((await readyz(http.port)).status).toBe(200);
      await redis.kill();
      await vi.waitFor(async () => expect((await readyz(http.port)).status).toBe(503), {
        timeout: 10_000,
        interval: 50,
      });
      await redis.start();
      await vi.waitFor(async () => expect((await readyz(http.port)).status).toBe(200), {
        timeout: 10_000,
        interval: 50,
      });
    } finally {
      await proc.close();
    }
  });

  it('close() lets go of NATS, Redis, the HTTP endpoint and the stores', async () => {
    const proc: ClusterProcess = await startClusterProcess('test', config());
    const http = await proc.serveHttp();
    await proc.stores.accounts.get('alice@example.org');
    await proc.close();
    expect(proc.bus.status().connected).toBe(false);
    await vi.waitFor(() => expect(proc.redis.status).toBe('end'));
    await expect(fetch(`http://127.0.0.1:${http.port}/readyz`)).rejects.toThrow();
    await expect(proc.stores.accounts.get('alice@example.org')).rejects.toThrow();
  });

  it('shutdown: not ready first, then the service closes while the links are up, then the links', async () => {
    const proc = await startClusterProcess('test', config());
    const http = await proc.serveHttp();
    let seen: { ready: number; connected: boolean; redis: string } | undefined;
    await proc.shutdown(async () => {
      seen = {
        ready: (await readyz(http.port)).status,
        connected: proc.bus.status().connected,
        redis: proc.redis.status,
      };
    });
    expect(seen).toEqual({ ready: 503, connected: true, redis: 'ready' });
    expect(proc.draining).toBe(true);
    expect(proc.bus.status().connected).toBe(false);
    await expect(fetch(`http://127.0.0.1:${http.port}/readyz`)).rejects.toThrow();
  });

  it('a NATS server that is not there stops the start with a LinkError naming NATS', async () => {
    const port = await freePort();
    const err = await startClusterProcess(
      'test',
      config({ bus: { natsUrl: `nats://127.0.0.1:${port}` } }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LinkError);
    expect((err as LinkError).link).toBe('nats');
    expect((err as LinkError).message).toContain(
      `NATS at nats://127.0.0.1:${port}: cannot connect`,
    );
  });
});
