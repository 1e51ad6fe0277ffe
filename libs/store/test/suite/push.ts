import { describe, expect, it } from 'vitest';
import type { PushDevice, PushRegistration } from '../../src/push-contracts.js';
import { expectStoreError, type CurrentStores } from './fixtures.js';

const ALICE = 'alice@example.org';
const BOB = 'bob@example.org';

const reg = (
  jid: string,
  node: string,
  extra: Partial<PushRegistration> = {},
): PushRegistration => ({
  jid,
  node,
  options: {},
  enabledBy: `${ALICE}/phone`,
  createdAt: 1_700_000_000_000,
  ...extra,
});

const device = (node: string, extra: Partial<PushDevice> = {}): PushDevice => ({
  service: 'push.example.org',
  node,
  secretHash: 'ab'.repeat(32),
  owner: ALICE,
  device: 'cd'.repeat(20),
  app: 'conversations',
  token: `token-${node}`,
  createdAt: 1_700_000_000_000,
  ...extra,
});

export function pushTests(stores: CurrentStores): void {
  describe('PushRegistrationStore', () => {
    it('lists nothing for an owner without registrations', async () => {
      expect(await stores().pushRegistrations.list(ALICE)).toEqual([]);
    });

    it('keeps one registration per jid and node, the last one winning, ordered by jid then node', async () => {
      const { pushRegistrations: r } = stores();
      await r.put(ALICE, reg('push.example.org', 'n2'));
      await r.put(ALICE, reg('p2.siacs.eu', 'x', { options: { secret: ['s3cr3t'] } }));
      await r.put(
        ALICE,
        reg('push.example.org', 'n1', { options: { secret: ['a'], other: ['1', '2'] } }),
      );
      await r.put(ALICE, reg('push.example.org', '', { enabledBy: `${ALICE}/desk` }));
      await r.put(
        ALICE,
        reg('push.example.org', 'n1', { options: { secret: ['b'] }, createdAt: 5 }),
      );
      await r.put(BOB, reg('push.example.org', 'n1'));
      expect(await r.list(ALICE)).toEqual([
        reg('p2.siacs.eu', 'x', { options: { secret: ['s3cr3t'] } }),
        reg('push.example.org', '', { enabledBy: `${ALICE}/desk` }),
        reg('push.example.org', 'n1', { options: { secret: ['b'] }, createdAt: 5 }),
        reg('push.example.org', 'n2'),
      ]);
    });

    it('removes one node, or every node of a jid, and says how many', async () => {
      const { pushRegistrations: r } = stores();
      await r.put(ALICE, reg('push.example.org', 'n1'));
      await r.put(ALICE, reg('push.example.org', 'n2'));
      await r.put(ALICE, reg('push.example.org.uk', 'n1'));
      await r.put(ALICE, reg('push.example', 'n1'));
      expect(await r.remove(ALICE, 'push.example.org', 'n3')).toBe(0);
      expect(await r.remove(ALICE, 'push.example.org', 'n1')).toBe(1);
      expect((await r.list(ALICE)).map((x) => `${x.jid} ${x.node}`)).toEqual([
        'push.example n1',
        'push.example.org n2',
        'push.example.org.uk n1',
      ]);
      await r.put(ALICE, reg('push.example.org', 'n1'));
      expect(await r.remove(ALICE, 'push.example.org')).toBe(2);
      expect(await r.remove(ALICE, 'push.example.org')).toBe(0);
      expect((await r.list(ALICE)).map((x) => x.jid)).toEqual([
        'push.example',
        'push.example.org.uk',
      ]);
    });

    it('deletes everything of one owner only', async () => {
      const { pushRegistrations: r } = stores();
      await r.put(ALICE, reg('push.example.org', 'n1'));
      await r.put(`${ALICE}.uk`, reg('push.example.org', 'n1'));
      await r.deleteAll(ALICE);
      expect(await r.list(ALICE)).toEqual([]);
      expect(await r.list(`${ALICE}.uk`)).toHaveLength(1);
    });

    it('rejects bad arguments', async () => {
      const { pushRegistrations: r } = stores();
      await expectStoreError(r.list(''), 'invalid-argument');
      await expectStoreError(r.put(ALICE, reg('', 'n')), 'invalid-argument');
      await expectStoreError(
        r.put(ALICE, reg('push.example.org', 'n', { options: { x: [1 as never] } })),
        'invalid-argument',
      );
      await expectStoreError(r.remove(ALICE, ''), 'invalid-argument');
    });
  });

  describe('PushDeviceStore', () => {
    it('stores a device under its service and node, and replaces it', async () => {
      const { pushDevices: d } = stores();
      expect(await d.get('push.example.org', 'n1')).toBeUndefined();
      await d.put(device('n1'));
      expect(await d.get('push.example.org', 'n1')).toEqual(device('n1'));
      expect(await d.get('push.example.net', 'n1')).toBeUndefined();
      await d.put(device('n1', { token: 'fresh', createdAt: 9 }));
      expect(await d.get('push.example.org', 'n1')).toEqual(
        device('n1', { token: 'fresh', createdAt: 9 }),
      );
    });

    it("lists an owner's devices on every service, ordered, following a change of owner", async () => {
      const { pushDevices: d } = stores();
      await d.put(device('n2'));
      await d.put(device('n1', { service: 'push.example.net' }));
      await d.put(device('n3', { owner: BOB }));
      await d.put(device('n1'));
      expect((await d.listByOwner(ALICE)).map((x) => `${x.service} ${x.node}`)).toEqual([
        'push.example.net n1',
        'push.example.org n1',
        'push.example.org n2',
      ]);
      await d.put(device('n2', { owner: BOB }));
      expect((await d.listByOwner(ALICE)).map((x) => x.node)).toEqual(['n1', 'n1']);
      expect((await d.listByOwner(BOB)).map((x) => x.node)).toEqual(['n2', 'n3']);
      expect(await d.listByOwner('carol@example.org')).toEqual([]);
    });

    it('deletes one device, and every device of an owner', async () => {
      const { pushDevices: d } = stores();
      await d.put(device('n1'));
      await d.put(device('n2'));
      await d.put(device('n3', { owner: BOB }));
      expect(await d.delete('push.example.org', 'n1')).toBe(true);
      expect(await d.delete('push.example.org', 'n1')).toBe(false);
      expect((await d.listByOwner(ALICE)).map((x) => x.node)).toEqual(['n2']);
      await d.deleteAll(ALICE);
      expect(await d.get('push.example.org', 'n2')).toBeUndefined();
      expect(await d.listByOwner(ALICE)).toEqual([]);
      expect(await d.get('push.example.org', 'n3')).toEqual(device('n3', { owner: BOB }));
    });

    it('rejects bad arguments', async () => {
      const { pushDevices: d } = stores();
      await expectStoreError(d.get('', 'n'), 'invalid-argument');
      await expectStoreError(d.get('push.example.org', ''), 'invalid-argument');
      await expectStoreError(d.put(device('n', { token: '' })), 'invalid-argument');
      await expectStoreError(d.deleteAll(''), 'invalid-argument');
    });
  });
}
