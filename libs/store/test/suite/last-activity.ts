import { describe, expect, it } from 'vitest';
import { expectStoreError, type CurrentStores } from './fixtures.js';

const ALICE = 'alice@example.org';

export function lastActivityTests(stores: CurrentStores): void {
  describe('LastActivityStore', () => {
    it('returns undefined for an unknown jid', async () => {
      expect(await stores().lastActivity.get(ALICE)).toBeUndefined();
    });

    it('stores activity with and without a status', async () => {
      const { lastActivity } = stores();
      await lastActivity.set(ALICE, { ts: 1_700_000_000_123, status: 'Gone fishing 🎣' });
      expect(await lastActivity.get(ALICE)).toStrictEqual({
        ts: 1_700_000_000_123,
        status: 'Gone fishing 🎣',
      });
      await lastActivity.set(ALICE, { ts: 1_700_000_000_456 });
      const got = await lastActivity.get(ALICE);
      expect(got).toStrictEqual({ ts: 1_700_000_000_456 });
      expect(got).not.toHaveProperty('status');
    });

    it('keeps jids apart and deletes one', async () => {
      const { lastActivity } = stores();
      await lastActivity.set(ALICE, { ts: 1 });
      await lastActivity.set('bob@example.org', { ts: 2, status: '' });
      await lastActivity.delete(ALICE);
      expect(await lastActivity.get(ALICE)).toBeUndefined();
      expect(await lastActivity.get('bob@example.org')).toStrictEqual({ ts: 2, status: '' });
      await lastActivity.delete(ALICE);
      await lastActivity.delete('nobody@example.org');
    });

    it('rejects a non-finite timestamp', async () => {
      await expectStoreError(
        stores().lastActivity.set(ALICE, { ts: Number.NaN }),
        'invalid-argument',
      );
    });
  });
}
