/**
 * The contract every LoginLimits implementation passes (memory.test.ts,
 * redis.test.ts): counting per address (IPv6 per /64) and per account,
 * fixed windows, the gate, refusal and its lifting and expiry, and the
 * registration limits. Expiry runs on short real windows (both backends
 * keep real time), waited for with vi.waitFor.
 */
import { describe, expect, it, vi } from 'vitest';
import type { LoginLimits, LoginLimitsOptions } from '../../src/index.js';

export const OPTIONS: LoginLimitsOptions = {
  windowMs: 60_000,
  baseDelayMs: 1_000,
  maxDelayMs: 4_000,
  refuseAfterFailures: 5,
  refuseForMs: 60_000,
  registration: { maxPerAddress: 2, addressWindowMs: 60_000, maxGlobal: 3, globalWindowMs: 60_000 },
};

export type MakeLimits = (opts?: Partial<LoginLimitsOptions>) => Promise<LoginLimits>;

const EXPIRY = { timeout: 5_000, interval: 20 };

export function loginLimitsContract(make: MakeLimits): void {
  describe('the LoginLimits contract', () => {
    it('counts failures per address and per account, from several addresses', async () => {
      const l = await make();
      expect(await l.address('203.0.113.1')).toEqual({ failures: 0, waitMs: 0 });
      const first = await l.recordFailure('203.0.113.1', 'alice@example.org');
      expect(first).toMatchObject({ addressFailures: 1, accountFailures: 1, refusedNow: false });
      await l.recordFailure('203.0.113.2', 'alice@example.org');
      const third = await l.recordFailure('203.0.113.1');
      expect(third).toMatchObject({ addressFailures: 2, accountFailures: 0 });
      expect((await l.address('203.0.113.1')).failures).toBe(2);
      expect((await l.address('203.0.113.2')).failures).toBe(1);
      expect((await l.address('203.0.113.3')).failures).toBe(0);
      expect(await l.accountFailures('alice@example.org')).toBe(2);
      expect(await l.accountFailures('bob@example.org')).toBe(0);
    });

    it('groups IPv6 addresses by /64 and IPv4-mapped addresses with IPv4', async () => {
      const l = await make();
      await l.recordFailure('2001:db8:1:2::a');
      await l.recordFailure('2001:db8:1:2:ffff:ffff:ffff:ffff');
      expect((await l.address('2001:0db8:0001:0002::1')).failures).toBe(2);
      expect((await l.address('2001:db8:1:3::a')).failures).toBe(0);
      await l.recordFailure('::ffff:198.51.100.4');
      expect((await l.address('198.51.100.4')).failures).toBe(1);
    });

    it('pushes the gate of the failing address by the failure delay, doubling, up to the cap', async () => {
      const l = await make();
      const a = await l.recordFailure('203.0.113.9');
      expect(a.waitMs).toBeGreaterThan(900);
      expect(a.waitMs).toBeLessThanOrEqual(1_000);
      // Delays add up: 1 s + 2 s + 4 s + 4 s (capped), minus the little time that passed.
      await l.recordFailure('203.0.113.9');
      await l.recordFailure('203.0.113.9');
      const d = await l.recordFailure('203.0.113.9');
      expect(d.waitMs).toBeGreaterThan(10_000);
      expect(d.waitMs).toBeLessThanOrEqual(11_000);
      const state = await l.address('203.0.113.9');
      expect(state.waitMs).toBeGreaterThan(10_000);
      expect((await l.address('203.0.113.10')).waitMs).toBe(0);
    });

    it('with no base delay, a failure makes nobody wait', async () => {
      const l = await make({ baseDelayMs: 0 });
      expect((await l.recordFailure('203.0.113.11')).waitMs).toBe(0);
      expect((await l.address('203.0.113.11')).waitMs).toBe(0);
    });

    it('refuses an address after refuseAfterFailures failures, lists it and lifts it', async () => {
      const l = await make();
      const start = Date.now();
      for (let i = 1; i < 5; i++) {
        const r = await l.recordFailure('198.51.100.7');
        expect(r.refusedNow).toBe(false);
        expect(r.refusedUntil).toBeUndefined();
      }
      const fifth = await l.recordFailure('198.51.100.7', 'alice@example.org');
      expect(fifth.refusedNow).toBe(true);
      expect(fifth.refusedUntil).toBeGreaterThanOrEqual(start + 60_000);
      expect(fifth.refusedUntil).toBeLessThanOrEqual(Date.now() + 60_000);
      const sixth = await l.recordFailure('198.51.100.7');
      expect(sixth.refusedNow).toBe(false);
      // The same refusal (Redis gives its end as a TTL: a few ms apart at most).
      expect(Math.abs(sixth.refusedUntil! - fifth.refusedUntil!)).toBeLessThan(1_000);
      expect((await l.address('198.51.100.7')).refusedUntil).toBeGreaterThan(Date.now());
      expect((await l.address('198.51.100.8')).refusedUntil).toBeUndefined();
      const listed = await l.refusals();
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({ address: '198.51.100.7', failures: 5 });

      expect(await l.lift('198.51.100.8')).toBe(false);
      expect(await l.lift('198.51.100.7')).toBe(true);
      expect(await l.address('198.51.100.7')).toEqual({ failures: 0, waitMs: 0 });
      expect(await l.refusals()).toEqual([]);
      // The account's count is the account's: lifting an address does not touch it.
      expect(await l.accountFailures('alice@example.org')).toBe(1);
    });

    it('lists and lifts an IPv6 refusal by its /64', async () => {
      const l = await make({ refuseAfterFailures: 1 });
      await l.recordFailure('2001:db8:aa:bb::1');
      expect((await l.refusals()).map((r) => r.address)).toEqual(['2001:db8:aa:bb::/64']);
      expect(await l.lift('2001:db8:aa:bb::/64')).toBe(true);
      expect(await l.refusals()).toEqual([]);
    });

    it('never refuses with refuseAfterFailures 0', async () => {
      const l = await make({ refuseAfterFailures: 0 });
      for (let i = 0; i < 30; i++) await l.recordFailure('198.51.100.9');
      expect((await l.address('198.51.100.9')).refusedUntil).toBeUndefined();
    });

    it('ends a refusal after refuseForMs', async () => {
      const l = await make({ refuseAfterFailures: 1, refuseForMs: 150 });
      expect((await l.recordFailure('198.51.100.10')).refusedNow).toBe(true);
      await vi.waitFor(async () => {
        expect((await l.address('198.51.100.10')).refusedUntil).toBeUndefined();
      }, EXPIRY);
      expect(await l.refusals()).toEqual([]);
    });

    it('counts in a fixed window from the first failure: later failures do not extend it', async () => {
      const l = await make({ windowMs: 400, refuseAfterFailures: 0 });
      const start = Date.now();
      await l.recordFailure('192.0.2.1', 'carol@example.org');
      await new Promise((r) => setTimeout(r, 150));
      await l.recordFailure('192.0.2.1', 'carol@example.org');
      expect((await l.address('192.0.2.1')).failures).toBe(2);
      await vi.waitFor(async () => {
        expect((await l.address('192.0.2.1')).failures).toBe(0);
        expect(await l.accountFailures('carol@example.org')).toBe(0);
      }, EXPIRY);
      // Gone about one window after the first failure, not after the last.
      expect(Date.now() - start).toBeLessThan(1_500);
      expect((await l.recordFailure('192.0.2.1')).addressFailures).toBe(1);
    });

    it('loses no failure when many are counted at once', async () => {
      const l = await make({ refuseAfterFailures: 0 });
      const counts = await Promise.all(
        Array.from({ length: 40 }, () => l.recordFailure('192.0.2.50', 'dave@example.org')),
      );
      const sorted = counts.map((c) => c.addressFailures).sort((a, b) => a - b);
      expect(sorted).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect(await l.accountFailures('dave@example.org')).toBe(40);
    });

    it('limits registrations per address and overall, and takes back returned ones', async () => {
      const l = await make();
      expect(await l.takeRegistration('192.0.2.7')).toEqual({ ok: true });
      expect(await l.takeRegistration('192.0.2.7')).toEqual({ ok: true });
      const third = await l.takeRegistration('192.0.2.7');
      expect(third).toMatchObject({ ok: false, limit: 'address' });
      if (!third.ok) expect(third.retryAfterMs).toBeGreaterThan(50_000);
      await l.returnRegistration('192.0.2.7');
      expect(await l.takeRegistration('192.0.2.7')).toEqual({ ok: true });
      // Three in all: another address gets the third one, then the global limit holds.
      expect(await l.takeRegistration('192.0.2.8')).toEqual({ ok: true });
      expect(await l.takeRegistration('192.0.2.9')).toMatchObject({ ok: false, limit: 'global' });
      // A registration given back frees a global one too.
      await l.returnRegistration('192.0.2.8');
      expect(await l.takeRegistration('192.0.2.9')).toEqual({ ok: true });
    });

    it('counts no registration with both limits at 0', async () => {
      const l = await make({
        registration: {
          maxPerAddress: 0,
          addressWindowMs: 1_000,
          maxGlobal: 0,
          globalWindowMs: 1_000,
        },
      });
      for (let i = 0; i < 10; i++)
        expect(await l.takeRegistration('192.0.2.20')).toEqual({ ok: true });
    });

    it('opens the registration window again once it has passed', async () => {
      const l = await make({
        registration: {
          maxPerAddress: 1,
          addressWindowMs: 200,
          maxGlobal: 0,
          globalWindowMs: 1_000,
        },
      });
      expect(await l.takeRegistration('192.0.2.30')).toEqual({ ok: true });
      expect(await l.takeRegistration('192.0.2.30')).toMatchObject({ ok: false });
      await vi.waitFor(async () => {
        expect(await l.takeRegistration('192.0.2.30')).toEqual({ ok: true });
      }, EXPIRY);
    });
  });
}
