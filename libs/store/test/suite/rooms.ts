import { describe, expect, it } from 'vitest';
import type { StoredRoom } from '../../src/contracts.js';
import { expectStoreError, type CurrentStores } from './fixtures.js';

const MUC = 'conference.example.org';
const ROOM = `coven@${MUC}`;

function room(jid: string, extra: Partial<StoredRoom> = {}): StoredRoom {
  return {
    jid,
    createdAt: 1_700_000_000_000,
    config: {
      'muc#roomconfig_roomname': 'A Dark Cave',
      'muc#roomconfig_persistentroom': true,
      'muc#roomconfig_maxusers': 30,
      'muc#roomconfig_presencebroadcast': ['moderator', 'participant'],
    },
    ...extra,
  };
}

export function roomTests(stores: CurrentStores): void {
  describe('RoomStore', () => {
    it('returns nothing for an unknown room', async () => {
      const { rooms } = stores();
      expect(await rooms.get(ROOM)).toBeUndefined();
      expect(await rooms.affiliations(ROOM)).toStrictEqual([]);
      expect(await rooms.list()).toStrictEqual({ items: [] });
      expect(await rooms.delete(ROOM)).toBe(false);
    });

    it('stores a room with every kind of config value and a subject', async () => {
      const { rooms } = stores();
      const full = room(ROOM, {
        subject: { text: 'Fire Burn and Cauldron Bubble! ✓', by: `${ROOM}/secondwitch`, ts: 5 },
        config: { ...room(ROOM).config, 'muc#roomconfig_roomdesc': '', 'x#empty': [] },
      });
      await rooms.put(full);
      expect(await rooms.get(ROOM)).toStrictEqual(full);
      const plain = room(`plain@${MUC}`, { subject: undefined });
      await rooms.put(plain);
      const got = await rooms.get(plain.jid);
      expect(got).toStrictEqual(room(`plain@${MUC}`));
      expect(Object.keys(got!).sort()).toEqual(['config', 'createdAt', 'jid']);
    });

    it('replaces the room record whole and keeps its affiliations', async () => {
      const { rooms } = stores();
      await rooms.put(room(ROOM, { subject: { text: 'old', by: 'x', ts: 1 } }));
      await rooms.setAffiliation(ROOM, { jid: 'crone@example.org', affiliation: 'owner' });
      const replaced = room(ROOM, { config: { 'muc#roomconfig_membersonly': false } });
      await rooms.put(replaced);
      expect(await rooms.get(ROOM)).toStrictEqual(replaced);
      expect(await rooms.affiliations(ROOM)).toStrictEqual([
        { jid: 'crone@example.org', affiliation: 'owner' },
      ]);
      expect((await rooms.list()).items).toHaveLength(1);
    });

    it('deletes a room together with its affiliations', async () => {
      const { rooms } = stores();
      await rooms.put(room(ROOM));
      await rooms.put(room(`other@${MUC}`));
      await rooms.setAffiliation(ROOM, { jid: 'crone@example.org', affiliation: 'owner' });
      await rooms.setAffiliation(`other@${MUC}`, {
        jid: 'crone@example.org',
        affiliation: 'admin',
      });
      expect(await rooms.delete(ROOM)).toBe(true);
      expect(await rooms.get(ROOM)).toBeUndefined();
      expect(await rooms.affiliations(ROOM)).toStrictEqual([]);
      expect(await rooms.delete(ROOM)).toBe(false);
      expect((await rooms.list()).items.map((r) => r.jid)).toEqual([`other@${MUC}`]);
      expect(await rooms.affiliations(`other@${MUC}`)).toHaveLength(1);
      // A room created again under the same JID starts without affiliations.
      await rooms.put(room(ROOM));
      expect(await rooms.affiliations(ROOM)).toStrictEqual([]);
    });

    it('lists rooms in code-point order with paging and per MUC domain', async () => {
      const { rooms } = stores();
      const jids = [
        `b@${MUC}`,
        `a@${MUC}`,
        `😀@${MUC}`,
        `\uffef@${MUC}`,
        `z@${MUC}`,
        `c@${MUC}.uk`,
        `a@muc.example.net`,
        `d@${MUC}`,
      ];
      for (const jid of jids) await rooms.put(room(jid));
      const onMuc = [`a@${MUC}`, `b@${MUC}`, `d@${MUC}`, `z@${MUC}`, `\uffef@${MUC}`, `😀@${MUC}`];
      const all = (await rooms.list()).items.map((r) => r.jid);
      expect(all).toEqual([
        `a@${MUC}`,
        'a@muc.example.net',
        `b@${MUC}`,
        `c@${MUC}.uk`,
        `d@${MUC}`,
        `z@${MUC}`,
        `\uffef@${MUC}`,
        `😀@${MUC}`,
      ]);
      expect((await rooms.list({ domain: MUC })).items.map((r) => r.jid)).toEqual(onMuc);
      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await rooms.list({ domain: MUC, limit: 2, ...(after ? { after } : {}) });
        seen.push(...page.items.map((r) => r.jid));
        if (!page.next) break;
        expect(page.items).toHaveLength(2);
        after = page.next;
      }
      expect(seen).toEqual(onMuc);
      const exact = await rooms.list({ domain: MUC, limit: 6 });
      expect(exact.items).toHaveLength(6);
      expect(exact).not.toHaveProperty('next');
      expect((await rooms.list({ after: `c@${MUC}.uk`, limit: 1 })).items[0]!.jid).toBe(`d@${MUC}`);
      expect((await rooms.list({ domain: `${MUC}.uk` })).items.map((r) => r.jid)).toEqual([
        `c@${MUC}.uk`,
      ]);
      expect((await rooms.list({ domain: 'example.org' })).items).toEqual([]);
      await expectStoreError(rooms.list({ limit: 0 }), 'invalid-argument');
    });

    it('keeps affiliations in jid order, replaces them, and removes them with none', async () => {
      const { rooms } = stores();
      await rooms.put(room(ROOM));
      await rooms.setAffiliation(ROOM, {
        jid: 'wiccarocks@shakespeare.lit',
        affiliation: 'member',
      });
      await rooms.setAffiliation(ROOM, {
        jid: 'hag66@shakespeare.lit',
        affiliation: 'member',
        nick: 'thirdwitch',
        reason: 'A worthy witch',
      });
      await rooms.setAffiliation(ROOM, { jid: 'shakespeare.lit', affiliation: 'outcast' });
      await rooms.setAffiliation(ROOM, { jid: 'crone1@shakespeare.lit', affiliation: 'admin' });
      expect(await rooms.affiliations(ROOM)).toStrictEqual([
        { jid: 'crone1@shakespeare.lit', affiliation: 'admin' },
        {
          jid: 'hag66@shakespeare.lit',
          affiliation: 'member',
          nick: 'thirdwitch',
          reason: 'A worthy witch',
        },
        { jid: 'shakespeare.lit', affiliation: 'outcast' },
        { jid: 'wiccarocks@shakespeare.lit', affiliation: 'member' },
      ]);
      await rooms.setAffiliation(ROOM, { jid: 'hag66@shakespeare.lit', affiliation: 'owner' });
      await rooms.setAffiliation(ROOM, { jid: 'shakespeare.lit', affiliation: 'none' });
      await rooms.setAffiliation(ROOM, { jid: 'nobody@shakespeare.lit', affiliation: 'none' });
      const after = await rooms.affiliations(ROOM);
      expect(after).toStrictEqual([
        { jid: 'crone1@shakespeare.lit', affiliation: 'admin' },
        { jid: 'hag66@shakespeare.lit', affiliation: 'owner' },
        { jid: 'wiccarocks@shakespeare.lit', affiliation: 'member' },
      ]);
      expect(Object.keys(after[1]!).sort()).toEqual(['affiliation', 'jid']);
      // Rooms whose JIDs share a prefix keep their own affiliations.
      await rooms.setAffiliation(`${ROOM}.uk`, { jid: 'x@example.org', affiliation: 'member' });
      expect(await rooms.affiliations(ROOM)).toHaveLength(3);
      expect(await rooms.affiliations(`${ROOM}.uk`)).toHaveLength(1);
    });

    it('hands out copies that callers cannot use to change stored data', async () => {
      const { rooms } = stores();
      const r = room(ROOM);
      await rooms.put(r);
      (r.config['muc#roomconfig_presencebroadcast'] as string[]).push('visitor');
      const got = await rooms.get(ROOM);
      got!.config['muc#roomconfig_roomname'] = 'changed';
      (await rooms.list()).items[0]!.createdAt = 1;
      expect(await rooms.get(ROOM)).toStrictEqual(room(ROOM));
      const aff = { jid: 'a@example.org', affiliation: 'member' as const, nick: 'a' };
      await rooms.setAffiliation(ROOM, aff);
      aff.nick = 'b';
      (await rooms.affiliations(ROOM))[0]!.nick = 'c';
      expect(await rooms.affiliations(ROOM)).toStrictEqual([
        { jid: 'a@example.org', affiliation: 'member', nick: 'a' },
      ]);
    });

    it('rejects invalid arguments and changes nothing', async () => {
      const { rooms } = stores();
      await expectStoreError(rooms.put(room('')), 'invalid-argument');
      await expectStoreError(rooms.put(room(ROOM, { createdAt: NaN })), 'invalid-argument');
      await expectStoreError(rooms.get(''), 'invalid-argument');
      await expectStoreError(rooms.delete(''), 'invalid-argument');
      await expectStoreError(rooms.affiliations(''), 'invalid-argument');
      await expectStoreError(
        rooms.setAffiliation(ROOM, { jid: '', affiliation: 'member' }),
        'invalid-argument',
      );
      await expectStoreError(
        rooms.setAffiliation(ROOM, { jid: 'a@example.org', affiliation: 'king' as 'owner' }),
        'invalid-argument',
      );
      expect(await rooms.get(ROOM)).toBeUndefined();
      expect(await rooms.affiliations(ROOM)).toStrictEqual([]);
    });
  });
}
