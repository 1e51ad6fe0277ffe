/**
 * listLoginRefusals and liftLoginRefusal over a login-limits store of the
 * kind the gateways use (issue 15): addresses keyed as the gateways key
 * them (IPv6 per /64), 400 for what is not an address, 404 for an address
 * that is not refused, scopes, server-wide only, and the audit record.
 * Refusals made by real failed logins: services/server/test/admin-api-login-refusals.test.ts.
 */
import { MemoryLoginLimits } from '@parley/cluster';
import type { LoginLimitsOptions } from '@parley/cluster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { refusalKey } from '../src/routes/login-refusals.js';
import { TOKENS, bearer, buildTestApp } from './helpers.js';

const OPTIONS: LoginLimitsOptions = {
  windowMs: 60_000,
  baseDelayMs: 0,
  maxDelayMs: 0,
  refuseAfterFailures: 2,
  refuseForMs: 60_000,
  registration: { maxPerAddress: 0, addressWindowMs: 1, maxGlobal: 0, globalWindowMs: 1 },
};

describe('refusalKey', () => {
  it('keys addresses as the gateways do, and rejects what is not an address', () => {
    expect(refusalKey('203.0.113.7')).toBe('203.0.113.7');
    expect(refusalKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(refusalKey('2001:db8:1:2:a:b:c:d')).toBe('2001:db8:1:2::/64');
    expect(refusalKey('2001:DB8:1:2::/64')).toBe('2001:db8:1:2::/64');
    for (const bad of ['example.org', '203.0.113.7/64', '203.0.113', '2001:db8::/48', '1.2.3.4.5'])
      expect(refusalKey(bad), bad).toBeUndefined();
  });
});

describe('login refusals in the admin API', () => {
  let app: FastifyInstance;
  let close: () => Promise<void>;
  const limits = new MemoryLoginLimits(OPTIONS);
  const lines: string[] = [];
  const call = (method: 'GET' | 'DELETE', url: string, token: string = TOKENS.admin) =>
    app.inject({ method, url, headers: bearer(token) });
  const refuse = async (address: string) => {
    await limits.recordFailure(address);
    expect((await limits.recordFailure(address)).refusedNow).toBe(true);
  };

  beforeAll(async () => {
    ({ app, close } = await buildTestApp({}, (l) => lines.push(l), { loginLimits: limits }));
  });
  afterAll(async () => close());

  it('lists refused addresses by address, paged, to a read token', async () => {
    await refuse('203.0.113.9');
    await refuse('2001:db8:1:2::77');
    await limits.recordFailure('198.51.100.1'); // one failure: not refused
    const res = await call('GET', '/api/login-refusals?limit=1', TOKENS.read);
    expect(res.statusCode).toBe(200);
    const first = res.json() as { items: Array<Record<string, unknown>>; next?: string };
    expect(first.items).toEqual([
      { address: '2001:db8:1:2::/64', until: expect.any(Number), failures: 2 },
    ]);
    expect(first.items[0]!['until']).toBeGreaterThan(Date.now());
    const rest = await call('GET', `/api/login-refusals?after=${encodeURIComponent(first.next!)}`);
    expect(rest.json()).toEqual({
      items: [{ address: '203.0.113.9', until: expect.any(Number), failures: 2 }],
    });
  });

  it('lifts a refusal with the admin scope only; an IPv6 address lifts its /64', async () => {
    expect((await call('DELETE', '/api/login-refusals/203.0.113.9', TOKENS.read)).statusCode).toBe(
      403,
    );
    expect((await call('DELETE', '/api/login-refusals/203.0.113.9')).statusCode).toBe(204);
    expect((await limits.address('203.0.113.9')).refusedUntil).toBeUndefined();
    // Its failures are forgotten too: one more does not refuse it again.
    expect((await limits.recordFailure('203.0.113.9')).refusedNow).toBe(false);
    const other = await call('DELETE', '/api/login-refusals/2001:db8:1:2:ffff::1');
    expect(other.statusCode).toBe(204);
    expect(await limits.refusals()).toEqual([]);
    await refuse('2001:db8:1:3::1');
    expect(
      (await call('DELETE', `/api/login-refusals/${encodeURIComponent('2001:db8:1:3::/64')}`))
        .statusCode,
    ).toBe(204);
  });

  it('answers 404 for an address that is not refused and 400 for one that is not an address', async () => {
    const missing = await call('DELETE', '/api/login-refusals/192.0.2.200');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'not-found' });
    for (const bad of ['not-an-address', '192.0.2.1%2F64', '2001:db8::%2F48']) {
      const res = await call('DELETE', `/api/login-refusals/${bad}`);
      expect(res.statusCode, bad).toBe(400);
      expect(res.json(), bad).toMatchObject({ code: 'bad-request' });
    }
  });

  it('is server-wide: a token limited to domains may not use it', async () => {
    const res = await call('GET', '/api/login-refusals', TOKENS.scoped);
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'domain-not-allowed' });
  });

  it('audits the lift with the address it named', async () => {
    await refuse('192.0.2.33');
    expect((await call('DELETE', '/api/login-refusals/192.0.2.33')).statusCode).toBe(204);
    const rec = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((r) => r['channel'] === 'audit' && r['action'] === 'liftLoginRefusal')
      .at(-1);
    expect(rec).toMatchObject({
      actor: { kind: 'token', token: 'admin' },
      route: '/api/login-refusals/:address',
      target: { address: '192.0.2.33' },
      outcome: 'ok',
    });
  });
});

describe('login refusals without a login-limits store', () => {
  it('answers 503 unavailable', async () => {
    const { app, close } = await buildTestApp();
    try {
      const res = await app.inject({
        method: 'GET',
        url: '/api/login-refusals',
        headers: bearer(TOKENS.admin),
      });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ code: 'unavailable' });
    } finally {
      await close();
    }
  });
});
