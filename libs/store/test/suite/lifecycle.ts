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
      await expectStoreError(s.archive.query('alice@example.org', { limit: 10 }), 'closed');
      await expectStoreError(
        s.archive.append('alice@example.org', { id: 'x', ts: 1, with: 'b@x.org', xml: '<m/>' }),
        'closed',
      );
      await expectStoreError(s.archive.deleteOlderThan(1), 'closed');
      await expectStoreError(s.archive.getPrefs('alice@example.org'), 'closed');
      await expectStoreError(s.rooms.get('room@muc.example.org'), 'closed');
      await expectStoreError(s.rooms.list(), 'closed');
      await expectStoreError(
        s.rooms.put({ jid: 'room@muc.example.org', createdAt: 1, config: {} }),
        'closed',
      );
      await expectStoreError(s.pubsub.listNodes('pubsub.example.org'), 'closed');
      await expectStoreError(
        s.pubsub.createNode({ service: 'pubsub.example.org', node: 'n', config: {}, createdAt: 1 }),
        'closed',
      );
      await expectStoreError(s.pubsub.items('pubsub.example.org', 'n'), 'closed');
      await expectStoreError(s.pubsub.deleteService('alice@example.org'), 'closed');
      await expectStoreError(s.vcards.get('alice@example.org'), 'closed');
      await expectStoreError(s.vcards.set('alice@example.org', '<vCard/>'), 'closed');
      await expectStoreError(s.privateXml.get('alice@example.org', 'a', 'b'), 'closed');
      await expectStoreError(s.privateXml.deleteAll('alice@example.org'), 'closed');
    });
  });
}
