/**
 * XEP-0045 end to end over the all-in-one server: real clients (@xmpp/client)
 * create rooms, enter them, talk, and leave, and the session registry's
 * delivery rules carry everything between the MUC service and them.
 */
import { xml } from '@xmpp/client';
import { describe, expect, it } from 'vitest';
import { NS_DISCO_INFO, errorCondition, isPresence, useScenario } from './scenario-helpers.js';
import {
  MUC,
  NS_MUC_OWNER,
  configure,
  createRoom,
  groupchat,
  isGroupchat,
  isSubject,
  join,
  leave,
  mucItem,
  newRoom,
  statusCodes,
} from './xep0045-helpers.js';

const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';

describe('XEP-0045: rooms on the all-in-one server', () => {
  const s = useScenario();

  it('lists the MUC service in the server disco#items and describes it', async () => {
    const [a] = await s.users('disco');
    const alice = await s.login(a!);
    const items = await alice.iq('get', 'localhost', xml('query', { xmlns: NS_DISCO_ITEMS }));
    expect(
      items
        .getChild('query')
        ?.getChildren('item')
        .map((i) => i.attrs.jid),
    ).toContain(MUC);
    const info = await alice.iq('get', MUC, xml('query', { xmlns: NS_DISCO_INFO }));
    const q = info.getChild('query');
    expect(q?.getChild('identity')?.attrs.category).toBe('conference');
    expect(q?.getChildren('feature').map((f) => f.attrs.var)).toContain(
      'http://jabber.org/protocol/muc',
    );
  });

  it('creates an instant room; three users enter, talk, and see each other come and go', async () => {
    const room = newRoom('instant');
    const [alice, bob, carol] = await s.online('alice', 'bob', 'carol');

    const created = await createRoom(alice, room, 'Alice');
    expect(statusCodes(created)).toEqual(expect.arrayContaining([110, 201]));
    expect(mucItem(created)?.attrs.affiliation).toBe('owner');

    alice.mark();
    const bobSelf = await join(bob, room, 'Bob');
    expect(mucItem(bobSelf)?.attrs.role).toBe('participant');
    // Bob got Alice's presence before his own.
    const bobPresences = bob.received((el) => el.is('presence'));
    expect(bobPresences.map((p) => p.attrs.from)).toEqual([`${room}/Alice`, `${room}/Bob`]);
    await alice.next(isPresence({ from: `${room}/Bob`, type: '' }));

    await groupchat(alice, room, 'hello before carol', 'g1');
    await bob.next(isGroupchat(room, 'hello before carol', 'Alice'));
    await alice.next(isGroupchat(room, 'hello before carol', 'Alice')); // reflected to the sender

    // Carol gets the history, with delay, then the subject.
    const carolSelf = await join(carol, room, 'Carol');
    expect(statusCodes(carolSelf)).toContain(110);
    const history = carol.received(isGroupchat(room, 'hello before carol', 'Alice'));
    expect(history).toHaveLength(1);
    expect(history[0]!.getChild('delay', 'urn:xmpp:delay')?.attrs.from).toBe(room);
    expect(history[0]!.attrs.id).toBe('g1');

    for (const p of [alice, bob, carol]) p.mark();
    await groupchat(carol, room, 'hi all');
    for (const p of [alice, bob, carol]) {
      const m = await p.next(isGroupchat(room, 'hi all', 'Carol'));
      expect(m.getChild('stanza-id', 'urn:xmpp:sid:0')?.attrs.by).toBe(room);
      expect(m.getChild('occupant-id', 'urn:xmpp:occupant-id:0')).toBeDefined();
    }

    // The subject: moderators may set it; it reaches everybody.
    await alice.send(xml('message', { to: room, type: 'groupchat' }, xml('subject', {}, 'Plans')));
    const subj = await carol.next(isSubject(room));
    expect(subj.getChildText('subject')).toBe('Plans');

    alice.mark();
    await leave(bob, room, 'Bob');
    const gone = await alice.next(isPresence({ from: `${room}/Bob`, type: 'unavailable' }));
    expect(mucItem(gone)?.attrs.role).toBe('none');
  });

  it('creates a reserved room from the configuration form, locked until then', async () => {
    const room = newRoom('reserved');
    const [owner, guest] = await s.online('owner', 'guest');
    const self = await join(owner, room, 'Owner');
    expect(statusCodes(self)).toContain(201);
    // Locked: others cannot enter yet.
    const refused = await join(guest, room, 'Guest');
    expect(refused.attrs.type).toBe('error');
    expect(errorCondition(refused)).toBe('item-not-found');

    const formReply = await owner.iq('get', room, xml('query', { xmlns: NS_MUC_OWNER }));
    const fields = formReply
      .getChild('query')
      ?.getChild('x', 'jabber:x:data')
      ?.getChildren('field');
    expect(fields?.map((f) => f.attrs.var)).toEqual(
      expect.arrayContaining(['muc#roomconfig_roomname', 'muc#roomconfig_persistentroom']),
    );
    await createRoomForm(owner, room);
    const info = await guest.iq('get', room, xml('query', { xmlns: NS_DISCO_INFO }));
    const q = info.getChild('query');
    expect(q?.getChild('identity')?.attrs.name).toBe('Reserved Room');
    expect(q?.getChildren('feature').map((f) => f.attrs.var)).toEqual(
      expect.arrayContaining([
        'muc_persistent',
        'muc_hidden',
        'muc_nonanonymous',
        'muc_moderated',
        'muc_open',
        'muc_unsecured',
        'urn:xmpp:mam:2',
        'http://jabber.org/protocol/muc#self-ping-optimization',
        'urn:xmpp:occupant-id:0',
      ]),
    );
    const entered = await join(guest, room, 'Guest');
    expect(statusCodes(entered)).toEqual(expect.arrayContaining([100, 110, 170]));
    expect(mucItem(entered)?.attrs.role).toBe('visitor');
    expect(mucItem(entered)?.attrs.jid).toBe(guest.jid);
  });

  it('changes nicknames (303) and refuses one in use (409)', async () => {
    const room = newRoom('nicks');
    const [ann, ben] = await s.online('ann', 'ben');
    await createRoom(ann, room, 'ann');
    await join(ben, room, 'ben');
    const conflict = await join(ben, room, 'ann', { waitSubject: false });
    expect(conflict.attrs.type).toBe('error');
    expect(errorCondition(conflict)).toBe('conflict');

    ann.mark();
    ben.mark();
    await ben.send(xml('presence', { to: `${room}/benjamin` }));
    const out = await ann.next(isPresence({ from: `${room}/ben`, type: 'unavailable' }));
    expect(statusCodes(out)).toEqual([303]);
    expect(mucItem(out)?.attrs.nick).toBe('benjamin');
    await ann.next(isPresence({ from: `${room}/benjamin`, type: '' }));
    const selfIn = await ben.next(isPresence({ from: `${room}/benjamin`, type: '' }));
    expect(statusCodes(selfIn)).toContain(110);

    // A nickname held by someone else in another join attempt: conflict too.
    const [cat] = await s.online('cat');
    expect(errorCondition(await join(cat, room, 'benjamin', { waitSubject: false }))).toBe(
      'conflict',
    );
  });

  it('delivers private messages between occupants from their occupant JIDs', async () => {
    const room = newRoom('pm');
    const [pa, pb] = await s.online('pa', 'pb');
    await createRoom(pa, room, 'pa');
    await join(pb, room, 'pb');
    pb.mark();
    await pa.send(xml('message', { to: `${room}/pb`, type: 'chat' }, xml('body', {}, 'secret')));
    const pm = await pb.next((el) => el.is('message') && el.getChildText('body') === 'secret');
    expect(pm.attrs.from).toBe(`${room}/pa`);
    expect(pm.getChild('x', 'http://jabber.org/protocol/muc#user')).toBeDefined();
    pa.mark();
    await pb.send(xml('message', { to: pm.attrs.from, type: 'chat' }, xml('body', {}, 'reply')));
    expect((await pa.next((el) => el.getChildText('body') === 'reply')).attrs.from).toBe(
      `${room}/pb`,
    );
  });

  it('removes an occupant whose session ends (the registry tells the room)', async () => {
    const room = newRoom('gone');
    const [stay, quit] = await s.online('stay', 'quit');
    await createRoom(stay, room, 'stay');
    await join(quit, room, 'quit');
    stay.mark();
    await quit.stop();
    const gone = await stay.next(isPresence({ from: `${room}/quit`, type: 'unavailable' }));
    expect(mucItem(gone)?.attrs.role).toBe('none');
    // Also when a client entered the room before sending initial presence.
    const [c] = await s.users('early');
    const early = await s.login(c!);
    await join(early, room, 'early');
    stay.mark();
    await early.stop();
    await stay.next(isPresence({ from: `${room}/early`, type: 'unavailable' }));
  });

  it('answers a self-ping while joined and refuses it after leaving (XEP-0410)', async () => {
    const room = newRoom('ping');
    const [p] = await s.online('pinger');
    await createRoom(p, room, 'me');
    const ping = xml('ping', { xmlns: 'urn:xmpp:ping' });
    expect((await p.iq('get', `${room}/me`, ping)).attrs.type).toBe('result');
    await p.send(xml('presence', { to: `${room}/me`, type: 'unavailable' }));
    const after = await p.iq('get', `${room}/me`, xml('ping', { xmlns: 'urn:xmpp:ping' }));
    expect(after.attrs.type).toBe('error');
  });
});

async function createRoomForm(owner: Parameters<typeof join>[0], room: string): Promise<void> {
  const res = await configure(owner, room, {
    'muc#roomconfig_roomname': 'Reserved Room',
    'muc#roomconfig_persistentroom': '1',
    'muc#roomconfig_publicroom': '0',
    'muc#roomconfig_whois': 'anyone',
    'muc#roomconfig_moderatedroom': '1',
  });
  expect(res.attrs.type).toBe('result');
}
