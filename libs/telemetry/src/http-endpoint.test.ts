import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics, startHttpEndpoint } from './index.js';
import type { HttpEndpoint, ProbeResult } from './index.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function fetchRaw(
  port: number,
  path: string,
  method = 'GET',
  agent?: Agent,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('startHttpEndpoint', () => {
  let endpoint: HttpEndpoint | undefined;
  afterEach(async () => {
    await endpoint?.close();
    endpoint = undefined;
  });

  it('serves metrics, health and readiness over HTTP', async () => {
    const metrics = createMetrics({ collectDefault: false });
    metrics.counter('requests_total', 'Requests').inc(5);
    let ready: ProbeResult = { ok: false, details: { bus: 'connecting' } };
    endpoint = await startHttpEndpoint({
      port: 0,
      host: '127.0.0.1',
      metrics,
      health: () => Promise.resolve({ ok: true }),
      ready: () => Promise.resolve(ready),
    });
    expect(endpoint.port).toBeGreaterThan(0);

    const m = await fetchRaw(endpoint.port, '/metrics');
    expect(m.status).toBe(200);
    expect(m.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(m.body).toContain('parley_requests_total 5');

    const h = await fetchRaw(endpoint.port, '/healthz');
    expect(h.status).toBe(200);
    expect(h.headers['content-type']).toBe('application/json');
    expect(JSON.parse(h.body)).toEqual({ status: 'ok' });

    const notReady = await fetchRaw(endpoint.port, '/readyz');
    expect(notReady.status).toBe(503);
    expect(JSON.parse(notReady.body)).toEqual({
      status: 'unavailable',
      details: { bus: 'connecting' },
    });

    ready = { ok: true, details: { bus: 'up' } };
    const nowReady = await fetchRaw(endpoint.port, '/readyz?verbose=1');
    expect(nowReady.status).toBe(200);
    expect(JSON.parse(nowReady.body)).toEqual({ status: 'ok', details: { bus: 'up' } });

    expect((await fetchRaw(endpoint.port, '/nope')).status).toBe(404);
    const post = await fetchRaw(endpoint.port, '/metrics', 'POST');
    expect(post.status).toBe(405);
    expect(post.headers['allow']).toBe('GET, HEAD');
    const head = await fetchRaw(endpoint.port, '/healthz', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('answers 503 when a probe throws or times out', async () => {
    endpoint = await startHttpEndpoint({
      port: 0,
      host: '127.0.0.1',
      metrics: createMetrics({ collectDefault: false }),
      health: () => Promise.reject(new Error('store closed')),
      ready: () => new Promise<ProbeResult>(() => undefined),
      probeTimeoutMs: 50,
    });
    const h = await fetchRaw(endpoint.port, '/healthz');
    expect(h.status).toBe(503);
    expect(JSON.parse(h.body)).toEqual({
      status: 'unavailable',
      details: { error: 'store closed' },
    });
    const r = await fetchRaw(endpoint.port, '/readyz');
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body)).toMatchObject({ details: { error: 'probe timed out after 50 ms' } });
  });

  it('stops accepting connections after close, even with keep-alive clients', async () => {
    endpoint = await startHttpEndpoint({
      port: 0,
      host: '127.0.0.1',
      metrics: createMetrics({ collectDefault: false }),
      health: () => Promise.resolve({ ok: true }),
    });
    const { port } = endpoint;
    const keepAlive = new Agent({ keepAlive: true });
    try {
      expect((await fetchRaw(port, '/readyz', 'GET', keepAlive)).status).toBe(200);
      // The idle keep-alive socket must not hold close() up.
      await endpoint.close();
      await endpoint.close();
      endpoint = undefined;
      await expect(fetchRaw(port, '/healthz', 'GET', new Agent())).rejects.toMatchObject({
        code: 'ECONNREFUSED',
      });
    } finally {
      keepAlive.destroy();
    }
  });

  it('rejects with a TelemetryError when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      await expect(
        startHttpEndpoint({
          port,
          host: '127.0.0.1',
          metrics: createMetrics({ collectDefault: false }),
          health: () => Promise.resolve({ ok: true }),
        }),
      ).rejects.toMatchObject({
        name: 'TelemetryError',
        code: 'listen-failed',
        message: `cannot listen on 127.0.0.1:${port}: EADDRINUSE`,
      });
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('serves /metrics and the extra routes only on the ops listener, behind a token', async () => {
    const metrics = createMetrics({ collectDefault: false });
    metrics.counter('scraped_total', 'Scrapes').inc(1);
    endpoint = await startHttpEndpoint({
      port: 0,
      host: '127.0.0.1',
      metrics,
      health: () => Promise.resolve({ ok: true }),
      ops: { port: 0, host: '127.0.0.1' },
      authorizeMetrics: (h) =>
        h === 'Bearer good' ? 'ok' : h === 'Bearer weak' ? 'forbidden' : 'unauthorized',
      extra: (req, res) => {
        if (req.url !== '/openapi.json') return false;
        res.end('{}');
        return true;
      },
    });
    const { port, opsPort } = endpoint;
    expect(opsPort).toBeGreaterThan(0);
    // The main listener: the probes only, without a token.
    expect((await fetchRaw(port, '/healthz')).status).toBe(200);
    expect((await fetchRaw(port, '/readyz')).status).toBe(200);
    expect(
      (await fetchRaw(port, '/metrics', 'GET', undefined, { authorization: 'Bearer good' })).status,
    ).toBe(404);
    expect((await fetchRaw(port, '/openapi.json')).status).toBe(404);
    // The ops listener: /metrics with the token, the extra route, the probes.
    const none = await fetchRaw(opsPort!, '/metrics');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="parley-metrics"');
    expect(none.body).not.toContain('parley_');
    const bad = await fetchRaw(opsPort!, '/metrics', 'GET', undefined, {
      authorization: 'Bearer nope',
    });
    expect(bad.status).toBe(401);
    expect(bad.headers['www-authenticate']).toContain('error="invalid_token"');
    const weak = await fetchRaw(opsPort!, '/metrics', 'GET', undefined, {
      authorization: 'Bearer weak',
    });
    expect(weak.status).toBe(403);
    expect(weak.headers['www-authenticate']).toContain('error="insufficient_scope"');
    const good = await fetchRaw(opsPort!, '/metrics', 'GET', undefined, {
      authorization: 'Bearer good',
    });
    expect(good.status).toBe(200);
    expect(good.body).toContain('parley_scraped_total 1');
    expect((await fetchRaw(opsPort!, '/openapi.json')).body).toBe('{}');
    expect((await fetchRaw(opsPort!, '/readyz')).status).toBe(200);
    await endpoint.close();
    await expect(fetchRaw(opsPort!, '/healthz', 'GET', new Agent())).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
    endpoint = undefined;
  });
});
