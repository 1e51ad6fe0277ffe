import { describe, expect, it } from 'vitest';
import { expectStoreError, type CurrentStores } from './fixtures.js';

const ALICE = 'alice@example.org';
const vcard = (name: string) => `<vCard xmlns='vcard-temp'><FN>${name}</FN></vCard>`;

export function vcardTests(stores: CurrentStores): void {
  describe('VcardStore', () => {
    it('returns undefined for a JID without a vCard', async () => {
      expect(await stores().vcards.get(ALICE)).toBeUndefined();
    });

    it('stores, replaces and deletes a vCard per JID', async () => {
      const { vcards } = stores();
      await vcards.set(ALICE, vcard('Alice ✓ 😀'));
      await vcards.set(`${ALICE}.uk`, vcard('Other Alice'));
      await vcards.set('conference.example.org', vcard('Rooms'));
      expect(await vcards.get(ALICE)).toBe(vcard('Alice ✓ 😀'));
      await vcards.set(ALICE, vcard('Alice Liddell'));
      expect(await vcards.get(ALICE)).toBe(vcard('Alice Liddell'));
      await vcards.set(ALICE, '');
      expect(await vcards.get(ALICE)).toBe('');
      await vcards.delete(ALICE);
      expect(await vcards.get(ALICE)).toBeUndefined();
      await vcards.delete(ALICE);
      expect(await vcards.get(`${ALICE}.uk`)).toBe(vcard('Other Alice'));
      expect(await vcards.get('conference.example.org')).toBe(vcard('Rooms'));
    });

    it('stores large vCards (embedded photos)', async () => {
      const { vcards } = stores();
      const big = vcard('x'.repeat(200_000));
      await vcards.set(ALICE, big);
      expect(await vcards.get(ALICE)).toBe(big);
    });

    it('rejects an empty JID', async () => {
      const { vcards } = stores();
      await expectStoreError(vcards.get(''), 'invalid-argument');
      await expectStoreError(vcards.set('', vcard('x')), 'invalid-argument');
      await expectStoreError(vcards.delete(''), 'invalid-argument');
    });
  });
}
