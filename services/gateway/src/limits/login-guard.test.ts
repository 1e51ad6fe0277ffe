/**
 * The login guard's failing open: a store that errs or never answers does
 * not hold logins up beyond STORE_TIMEOUT_MS (fake timers), and exempt
 * addresses are never counted.
 */
import { MemoryLoginLimits, loginLimitsOptions } from '@parley/cluster';
import type { LoginLimits } from '@parley/cluster';
import { defaultConfig } from '@parley/config';
import { createLogger, createMetrics } from '@parley/telemetry';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Connection } from '../connection.js';
import { LoginGuard, STORE_TIMEOUT_MS, refusalText } from './login-guard.js';

const conn = (ip: string) =>
  ({ ip, id: 'c1', open: true, deadline: 0, closeStream: vi.fn() }) as unknown as Connection;

function guard(store: LoginLimits, exempt: string[] = []) {
  const config = defaultConfig();
  config.c2s.loginLimits.exemptAddresses = exempt;
  const lines: string[] = [];
  const metrics = createMetrics({ collectDefault: false });
  const logger = createLogger({ service: 'test', sink: (l) => lines.push(l) });
  return { g: new LoginGuard(config, store, logger, metrics), metrics, lines };
}

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);
const hanging: LoginLimits = {
  address: never,
  accountFailures: never,
  recordFailure: never,
  refusals: never,
  lift: never,
  takeRegistration: never,
  returnRegistration: never,
};

afterEach(() => vi.useRealTimers());

describe('LoginGuard', () => {
  it('fails open after STORE_TIMEOUT_MS when the store does not answer', async () => {
    vi.useFakeTimers();
    const { g, metrics, lines } = guard(hanging);
    const c = conn('203.0.113.1');
    const admitted = g.admit(c);
    await vi.advanceTimersByTimeAsync(STORE_TIMEOUT_MS);
    expect(await admitted).toEqual({ kind: 'go' });
    const failed = g.failed(c);
    await vi.advanceTimersByTimeAsync(STORE_TIMEOUT_MS);
    // The base delay of c2s.authFailureDelayMs still slows the failing connection.
    expect(await failed).toEqual({ waitMs: 500 });
    const registration = g.takeRegistration(c);
    await vi.advanceTimersByTimeAsync(STORE_TIMEOUT_MS);
    expect(await registration).toEqual({ ok: true });
    expect(await metrics.value('c2s_login_limits_errors_total', { op: 'address' })).toBe(1);
    expect(await metrics.value('c2s_login_limits_errors_total', { op: 'failure' })).toBe(1);
    // One log line for a burst of errors.
    expect(lines.filter((l) => l.includes('login limits store failed'))).toHaveLength(1);
  });

  it('fails open at once when the store rejects', async () => {
    const failing: LoginLimits = {
      ...hanging,
      address: () => Promise.reject(new Error('ECONNREFUSED')),
    };
    const { g } = guard(failing);
    expect(await g.admit(conn('203.0.113.2'))).toEqual({ kind: 'go' });
  });

  it('neither counts nor delays exempt addresses', async () => {
    const store = new MemoryLoginLimits(loginLimitsOptions(defaultConfig()));
    const { g } = guard(store, ['10.0.0.0/8', '2001:db8::/32']);
    for (const ip of ['10.1.2.3', '2001:db8::7']) {
      const c = conn(ip);
      expect(await g.failed(c)).toEqual({ waitMs: 0 });
      expect((await store.address(ip)).failures).toBe(0);
    }
    const c = conn('192.0.2.1');
    expect((await g.failed(c)).waitMs).toBe(500);
    expect((await store.address('192.0.2.1')).failures).toBe(1);
  });

  it('answers busy when the delay outlasts the connection deadline', async () => {
    const store = new MemoryLoginLimits(loginLimitsOptions(defaultConfig()));
    const { g } = guard(store);
    for (let i = 0; i < 5; i++) await store.recordFailure('192.0.2.9');
    const c = conn('192.0.2.9');
    (c as { deadline: number }).deadline = Date.now() + 1_000;
    expect(await g.admit(c)).toMatchObject({ kind: 'busy' });
  });

  it('says until when an address is refused', () => {
    expect(refusalText('2001:db8:1:2::5', Date.UTC(2030, 0, 2, 3, 4, 5))).toBe(
      'too many failed logins from your address (2001:db8:1:2::/64); it is refused until 2030-01-02T03:04:05Z',
    );
  });
});
