import { describe, it } from 'vitest';
import { account, expectStoreError, item, type CurrentStores } from './fixtures.js';

export function lifecycleTests(stores: CurrentStores): void {
  describe('close()', () => {
    it('makes every store reject with closed, and may be called twice', async () => {
      const s = stores();
      await s.accounts.create(account('alice@example.org'));
      await s.close();
      await s.close();
      await expectStoreError(s.accounts.get('alice@example.org'), 'closed');
      await expectStoreError(s.accounts.create(account('bob@example.org')), 'closed');
      await expectStoreError(s.accounts.list(), 'closed');
      await expectStoreError(s.rosters.get('alice@example.org'), 'closed');
      await expectStoreError(s.rosters.setItem('alice@example.org', item('b@x.org')), 'closed');
      await expectStoreError(s.offline.push('alice@example.org', '<m/>', 1, 10), 'closed');
      await expectStoreError(s.offline.deleteOlderThan(1), 'closed');
      await expectStoreError(s.lastActivity.set('alice@example.org', { ts: 1 }), 'closed');
      await expectStoreError(s.lastActivity.get('alice@example.org'), 'closed');
      await expectStoreError(s.blocklists.get('alice@example.org'), 'closed');
      await expectStoreError(s.blocklists.add('alice@example.org', ['b@x.org']), 'closed');
      await expectStoreError(s.blocklists.clear('alice@example.org'), 'closed');
    });
  });
}
