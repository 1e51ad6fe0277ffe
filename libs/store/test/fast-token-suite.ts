import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastTokenSlot, FastTokenStore } from '../src/fast/contract.js';
import { StoreError } from '../src/errors.js';

const agent = (id: string) => createHash('sha256').update(id).digest('hex');
const slot = (id: string, expiresAt = 2_000_000_000_000): FastTokenSlot => ({
  id,
  mechanism: 'HT-SHA-256-NONE',
  issuedAt: 1_700_000_000_000,
  expiresAt,
  count: 0,
});

/**
 * The behaviour every FastTokenStore backend must show. `open` runs before
 * every test and returns a store (it may share data with earlier ones: the
 * tests use fresh JIDs); the store is closed after every test, then
 * `cleanup`, if given, runs.
 */
export function runFastTokenStoreContractSuite(
  name: string,
  open: () => Promise<FastTokenStore>,
  cleanup?: () => Promise<void>,
): void {
  describe(`FAST token store contract: ${name}`, () => {
    let current: FastTokenStore | undefined;
    let n = 0;
    const fresh = () => `user${Date.now().toString(36)}-${++n}@example.org`;
    beforeEach(async () => {
      current = await open();
    });
    afterEach(async () => {
      const store = current;
      current = undefined;
      await store?.close();
      await cleanup?.();
    });
    const store = (): FastTokenStore => {
      if (!current) throw new Error('the store is only available inside a test');
      return current;
    };

    it('keeps one record per account and client, with both slots as written', async () => {
      const jid = fresh();
      const phone = agent('phone');
      expect(await store().get(jid, phone)).toBeUndefined();
      await store().set({ jid, agent: phone, next: slot('a') });
      expect(await store().get(jid, phone)).toEqual({ jid, agent: phone, next: slot('a') });
      const used = { ...slot('a'), count: 7 };
      await store().set({ jid, agent: phone, current: used, next: slot('b', 2_100_000_000_000) });
      expect(await store().get(jid, phone)).toEqual({
        jid,
        agent: phone,
        current: used,
        next: slot('b', 2_100_000_000_000),
      });
      await store().set({ jid, agent: phone, current: slot('b') });
      expect(await store().get(jid, phone)).toEqual({ jid, agent: phone, current: slot('b') });
      expect(await store().get(jid, agent('laptop'))).toBeUndefined();
    });

    it('deletes one client, or every client of an account, and a record without slots', async () => {
      const jid = fresh();
      const other = fresh();
      for (const a of ['phone', 'laptop']) {
        await store().set({ jid, agent: agent(a), current: slot(a) });
      }
      await store().set({ jid: other, agent: agent('phone'), current: slot('x') });
      await store().delete(jid, agent('phone'));
      expect(await store().get(jid, agent('phone'))).toBeUndefined();
      expect(await store().get(jid, agent('laptop'))).toBeDefined();
      await store().set({ jid, agent: agent('tablet'), next: slot('t') });
      expect(await store().deleteAll(jid)).toBe(2);
      expect(await store().get(jid, agent('laptop'))).toBeUndefined();
      expect(await store().get(jid, agent('tablet'))).toBeUndefined();
      expect(await store().get(other, agent('phone'))).toBeDefined();
      await store().set({ jid: other, agent: agent('phone') });
      expect(await store().get(other, agent('phone'))).toBeUndefined();
      expect(await store().deleteAll(other)).toBe(0);
    });

    it('refuses malformed input with invalid-argument', async () => {
      const jid = fresh();
      const bad = [
        () => store().get('', agent('a')),
        () => store().get(jid, 'not-a-hash'),
        () => store().set({ jid, agent: agent('a'), current: { ...slot(''), id: '' } }),
        () => store().set({ jid, agent: agent('a'), current: { ...slot('a'), count: -1 } }),
      ];
      for (const call of bad) {
        const err = await call().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(StoreError);
        expect((err as StoreError).code).toBe('invalid-argument');
      }
    });
  });
}
