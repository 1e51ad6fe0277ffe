import { describe, expect, it } from 'vitest';
import { expectStoreError, type CurrentStores } from './fixtures.js';

const ALICE = 'alice@example.org';
const BOOKMARKS = 'storage:bookmarks';
const bookmarks = (n: number) =>
  `<storage xmlns='${BOOKMARKS}'><conference jid='room${n}@conference.example.org'/></storage>`;

export function privateXmlTests(stores: CurrentStores): void {
  describe('PrivateStore', () => {
    it('returns undefined for nothing stored', async () => {
      expect(await stores().privateXml.get(ALICE, 'storage', BOOKMARKS)).toBeUndefined();
    });

    it('stores one element per name and namespace, replacing it on set', async () => {
      const { privateXml } = stores();
      await privateXml.set(ALICE, 'storage', BOOKMARKS, bookmarks(1));
      await privateXml.set(ALICE, 'storage', 'storage:rosternotes', '<storage/>');
      await privateXml.set(ALICE, 'query', BOOKMARKS, '<query/>');
      await privateXml.set(ALICE, 'exodus', 'exodus:prefs', `<exodus xmlns='exodus:prefs'/>`);
      expect(await privateXml.get(ALICE, 'storage', BOOKMARKS)).toBe(bookmarks(1));
      expect(await privateXml.get(ALICE, 'storage', 'storage:rosternotes')).toBe('<storage/>');
      expect(await privateXml.get(ALICE, 'query', BOOKMARKS)).toBe('<query/>');
      expect(await privateXml.get(ALICE, 'storage', 'storage:other')).toBeUndefined();
      await privateXml.set(ALICE, 'storage', BOOKMARKS, bookmarks(2));
      expect(await privateXml.get(ALICE, 'storage', BOOKMARKS)).toBe(bookmarks(2));
      expect(await privateXml.get(ALICE, 'storage', 'storage:rosternotes')).toBe('<storage/>');
    });

    it('does not confuse keys whose parts could be joined alike', async () => {
      const { privateXml } = stores();
      await privateXml.set(ALICE, 'a', 'b:c', '<one/>');
      await privateXml.set(ALICE, 'a:b', 'c', '<two/>');
      await privateXml.set(ALICE, 'a\u0000b', 'c', '<three/>');
      expect(await privateXml.get(ALICE, 'a', 'b:c')).toBe('<one/>');
      expect(await privateXml.get(ALICE, 'a:b', 'c')).toBe('<two/>');
      expect(await privateXml.get(ALICE, 'a\u0000b', 'c')).toBe('<three/>');
      expect(await privateXml.get(ALICE, 'a', 'b\u0000c')).toBeUndefined();
    });

    it('deletes everything of one owner, also owners sharing a prefix untouched', async () => {
      const { privateXml } = stores();
      await privateXml.set(ALICE, 'storage', BOOKMARKS, bookmarks(1));
      await privateXml.set(ALICE, 'storage', 'storage:rosternotes', '<storage/>');
      await privateXml.set(`${ALICE}.uk`, 'storage', BOOKMARKS, bookmarks(3));
      await privateXml.set('alice@example.or', 'storage', BOOKMARKS, bookmarks(4));
      await privateXml.deleteAll(ALICE);
      expect(await privateXml.get(ALICE, 'storage', BOOKMARKS)).toBeUndefined();
      expect(await privateXml.get(ALICE, 'storage', 'storage:rosternotes')).toBeUndefined();
      expect(await privateXml.get(`${ALICE}.uk`, 'storage', BOOKMARKS)).toBe(bookmarks(3));
      expect(await privateXml.get('alice@example.or', 'storage', BOOKMARKS)).toBe(bookmarks(4));
      await privateXml.deleteAll(ALICE);
      await privateXml.set(ALICE, 'storage', BOOKMARKS, bookmarks(5));
      expect(await privateXml.get(ALICE, 'storage', BOOKMARKS)).toBe(bookmarks(5));
    });

    it('counts the bytes stored per owner (UTF-8), replaced elements once', async () => {
      const { privateXml } = stores();
      expect(await privateXml.usage(ALICE)).toBe(0);
      await privateXml.set(ALICE, 'storage', BOOKMARKS, bookmarks(1));
      await privateXml.set(
        ALICE,
        'note',
        'urn:example:notes',
        `<note xmlns='urn:example:notes'>é€</note>`,
      );
      await privateXml.set(`${ALICE}.uk`, 'storage', BOOKMARKS, bookmarks(2));
      const expected =
        Buffer.byteLength(bookmarks(1)) +
        Buffer.byteLength(`<note xmlns='urn:example:notes'>é€</note>`);
      expect(await privateXml.usage(ALICE)).toBe(expected);
      await privateXml.set(ALICE, 'storage', BOOKMARKS, bookmarks(10));
      expect(await privateXml.usage(ALICE)).toBe(expected + 1);
      await privateXml.deleteAll(ALICE);
      expect(await privateXml.usage(ALICE)).toBe(0);
      expect(await privateXml.usage(`${ALICE}.uk`)).toBe(Buffer.byteLength(bookmarks(2)));
      await expectStoreError(privateXml.usage(''), 'invalid-argument');
    });

    it('rejects an empty owner, name or namespace', async () => {
      const { privateXml } = stores();
      await expectStoreError(privateXml.get('', 'storage', BOOKMARKS), 'invalid-argument');
      await expectStoreError(privateXml.get(ALICE, '', BOOKMARKS), 'invalid-argument');
      await expectStoreError(privateXml.set(ALICE, 'storage', '', '<x/>'), 'invalid-argument');
      await expectStoreError(privateXml.deleteAll(''), 'invalid-argument');
    });
  });
}
