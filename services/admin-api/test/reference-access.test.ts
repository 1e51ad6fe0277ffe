/**
 * The API reference (/openapi.json, /docs) behind ops.requireToken, and on
 * the ops listener only when ops.port is set (issue 15).
 */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics, startHttpEndpoint } from '@parley/telemetry';
import type { HttpEndpoint } from '@parley/telemetry';
import { TOKENS, bearer, buildTestApp } from './helpers.js';

describe('admin API reference access', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });

  it('needs any valid admin token by default, on /openapi.json and every /docs path', async () => {
    const { app, close } = await buildTestApp();
    closers.push(close);
    for (const url of [
      '/openapi.json',
      '/docs',
      '/docs/',
      '/docs/json',
      '/docs/static/index.html',
    ]) {
      const none = await app.inject({ method: 'GET', url });
      expect(none.statusCode, url).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Bearer realm="parley-admin"');
      expect(none.json()).toMatchObject({ code: 'unauthorized' });
      const bad = await app.inject({ method: 'GET', url, headers: bearer('wrong') });
      expect(bad.statusCode, url).toBe(401);
    }
    for (const token of [TOKENS.read, TOKENS.scoped, TOKENS.data]) {
      const doc = await app.inject({ method: 'GET', url: '/openapi.json', headers: bearer(token) });
      expect(doc.statusCode).toBe(200);
    }
    expect(
      (await app.inject({ method: 'GET', url: '/docs/json', headers: bearer(TOKENS.read) }))
        .statusCode,
    ).toBe(200);
  });

  it('is open with ops.requireToken off', async () => {
    const { app, close } = await buildTestApp({ ops: { requireToken: false } });
    closers.push(close);
    expect((await app.inject({ method: 'GET', url: '/openapi.json' })).statusCode).toBe(200);
    // The API itself still needs its token.
    expect((await app.inject({ method: 'GET', url: '/api/users' })).statusCode).toBe(401);
  });

  it('moves to the ops listener with ops.port: 404 on the API listener', async () => {
    const built = await buildTestApp({ ops: { port: 1, requireToken: true } });
    closers.push(built.close);
    const onApi = await built.app.inject({
      method: 'GET',
      url: '/openapi.json',
      headers: bearer(TOKENS.admin),
    });
    expect(onApi.statusCode).toBe(404);
    // The process's HTTP endpoint hands the reference paths to the API.
    const metricsToken = 'unit-metrics';
    const endpoint: HttpEndpoint = await startHttpEndpoint({
      port: 0,
      host: '127.0.0.1',
      metrics: createMetrics({ collectDefault: false }),
      health: () => Promise.resolve({ ok: true }),
      ops: { port: 0, host: '127.0.0.1' },
      authorizeMetrics: (h) => (h === `Bearer ${metricsToken}` ? 'ok' : 'unauthorized'),
      extra: built.opsRoutes,
    });
    closers.push(() => endpoint.close());
    const get = (port: number, path: string, headers: Record<string, string> = {}) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        request({ host: '127.0.0.1', port, path, headers }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        })
          .on('error', reject)
          .end();
      });
    const opsPort = endpoint.opsPort!;
    expect((await get(opsPort, '/openapi.json')).status).toBe(401);
    const doc = await get(opsPort, '/openapi.json', bearer(TOKENS.read));
    expect(doc.status).toBe(200);
    expect((JSON.parse(doc.body) as { openapi: string }).openapi).toMatch(/^3\./);
    expect((await get(opsPort, '/docs/json', bearer(TOKENS.read))).status).toBe(200);
    // The ops listener serves the reference, not the API.
    expect((await get(opsPort, '/api/users', bearer(TOKENS.admin))).status).toBe(404);
    // And not on the probe listener.
    expect((await get(endpoint.port, '/openapi.json', bearer(TOKENS.read))).status).toBe(404);
    expect((await get(endpoint.port, '/healthz')).status).toBe(200);
  });
});
