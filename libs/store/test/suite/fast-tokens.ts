import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { FastTokenSlot } from '../../src/fast/contract.js';
import { StoreError } from '../../src/errors.js';
import type { CurrentStores } from './fixtures.js';

const agent = (id: string) => createHash('sha256').update(id).digest('hex');
const slot = (id: string, expiresAt = 2_000_000_000_000): FastTokenSlot => ({
  id,
  mechanism: 'HT-SHA-256-NONE',
  issuedAt: 1_700_000_000_000,
  expiresAt,
  count: 0,
});

let n = 0;
const fresh = () => `user${Date.now().toString(36)}-${++n}@example.org`;

export function fastTokenTests(stores: CurrentStores): void {
  describe('FastTokenStore', () => {
    it('keeps one record per account and client, with both slots as written', async () => {
      const jid = fresh();
      const phone = agent('phone');
      expect(await stores().fastTokens.get(jid, phone)).toBeUndefined();
      await stores().fastTokens.set({ jid, agent: phone, next: slot('a') });
      expect(await stores().fastTokens.get(jid, phone)).toEqual({
        jid,
        agent: phone,
        next: slot('a'),
      });
      const used = { ...slot('a'), count: 7 };
      await stores().fastTokens.set({
        jid,
        agent: phone,
        current: used,
        next: slot('b', 2_100_000_000_000),
      });
      expect(await stores().fastTokens.get(jid, phone)).toEqual({
        jid,
        agent: phone,
        current: used,
        next: slot('b', 2_100_000_000_000),
      });
      await stores().fastTokens.set({ jid, agent: phone, current: slot('b') });
      expect(await stores().fastTokens.get(jid, phone)).toEqual({
        jid,
        agent: phone,
        current: slot('b'),
      });
      expect(await stores().fastTokens.get(jid, agent('laptop'))).toBeUndefined();
    });

    it('deletes one client, or every client of an account, and a record without slots', async () => {
      const jid = fresh();
      const other = fresh();
      for (const a of ['phone', 'laptop']) {
        await stores().fastTokens.set({ jid, agent: agent(a), current: slot(a) });
      }
      await stores().fastTokens.set({ jid: other, agent: agent('phone'), current: slot('x') });
      await stores().fastTokens.delete(jid, agent('phone'));
      expect(await stores().fastTokens.get(jid, agent('phone'))).toBeUndefined();
      expect(await stores().fastTokens.get(jid, agent('laptop'))).toBeDefined();
      await stores().fastTokens.set({ jid, agent: agent('tablet'), next: slot('t') });
      expect(await stores().fastTokens.deleteAll(jid)).toBe(2);
      expect(await stores().fastTokens.get(jid, agent('laptop'))).toBeUndefined();
      expect(await stores().fastTokens.get(jid, agent('tablet'))).toBeUndefined();
      expect(await stores().fastTokens.get(other, agent('phone'))).toBeDefined();
      await stores().fastTokens.set({ jid: other, agent: agent('phone') });
      expect(await stores().fastTokens.get(other, agent('phone'))).toBeUndefined();
      expect(await stores().fastTokens.deleteAll(other)).toBe(0);
    });

    it('refuses malformed input with invalid-argument', async () => {
      const jid = fresh();
      const bad = [
        () => stores().fastTokens.get('', agent('a')),
        () => stores().fastTokens.get(jid, 'not-a-hash'),
        () => stores().fastTokens.set({ jid, agent: agent('a'), current: { ...slot(''), id: '' } }),
        () =>
          stores().fastTokens.set({ jid, agent: agent('a'), current: { ...slot('a'), count: -1 } }),
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
