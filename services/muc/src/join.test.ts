import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { xml } from '@parley/xml';
import { MucHarness, SERVICE, codes, condition, form, item } from './testing/harness.js';
import { NS_MUC, NS_MUC_USER, NS_OCCUPANT_ID } from './ns.js';

const ROOM = `lobby@${SERVICE}`;
const A = 'alice@localhost/a';
const B = 'bob@localhost/b';
const C = 'carol@localhost/c';

describe('entering and creating rooms (XEP-0045 7.2, 10.1)', () => {
  let h: MucHarness;
  beforeEach(async () => {
    h = await MucHarness.start();
  });
  afterEach(() => h.close());

  it('creates a locked room for its creator (201), unlocked by accepting the defaults', async () => {
    const got = await h.join(ROOM, 'alice', A);
    const self = got.find((el) => el.name === 'presence')!;
    expect(self.attr('from')).toBe(`${ROOM}/alice`);
    expect(codes(self)).toEqual(expect.arrayContaining([110, 201]));
    expect(item(self)?.attr('affiliation')).toBe('owner');
    expect(item(self)?.attr('role')).toBe('moderator');
    // An empty subject follows, so clients know the join is complete.
    const subject = got.find((el) => el.name === 'message');
    expect(subject?.getChild('subject')?.text()).toBe('');

    // Locked: nobody else gets in yet.
    const refused = await h.join(ROOM, 'bob', B);
    expect(refused[0]?.attr('type')).toBe('error');
    expect(condition(refused[0])).toBe('item-not-found');

    const iq = await h.iq(
      A,
      ROOM,
      'set',
      xml(
        'query',
        { xmlns: 'http://jabber.org/protocol/muc#owner' },
        xml('x', { xmlns: 'jabber:x:data', type: 'submit' }),
      ),
    );
    expect(iq.attr('type')).toBe('result');
    const ok = await h.join(ROOM, 'bob', B);
    expect(ok.filter((el) => el.name === 'presence').map((p) => p.attr('from'))).toEqual([
      `${ROOM}/alice`,
      `${ROOM}/bob`,
    ]);
  });

  it('sends the occupant list, then the self-presence last, then history and subject', async () => {
    await h.createInstant(ROOM, 'alice', A);
    await h.join(ROOM, 'bob', B);
    await h.message(A, ROOM, 'groupchat', xml('body', {}, 'first'));
    const got = await h.join(ROOM, 'carol', C);
    const kinds = got.map((el) =>
      el.name === 'presence'
        ? `presence ${el.attr('from')}${codes(el).includes(110) ? ' self' : ''}`
        : el.getChild('subject')
          ? 'subject'
          : `message ${el.getChildText('body')}`,
    );
    expect(kinds).toEqual([
      `presence ${ROOM}/alice`,
      `presence ${ROOM}/bob`,
      `presence ${ROOM}/carol self`,
      'message first',
      'subject',
    ]);
    const history = got[3]!;
    expect(history.getChild('delay', 'urn:xmpp:delay')?.attr('from')).toBe(ROOM);
    expect(history.attr('from')).toBe(`${ROOM}/alice`);
    // The others see carol come in.
    expect(
      h.to(A, (el) => el.name === 'presence' && el.attr('from') === `${ROOM}/carol`),
    ).toHaveLength(1);
    expect(
      h.to(B, (el) => el.name === 'presence' && el.attr('from') === `${ROOM}/carol`),
    ).toHaveLength(1);
    // Occupant ids (XEP-0421) on every presence, stable per real JID.
    const ids = got
      .filter((el) => el.name === 'presence')
      .map((p) => p.getChild('occupant-id', NS_OCCUPANT_ID)?.attr('id'));
    expect(new Set(ids).size).toBe(3);
  });

  it('semi-anonymous rooms show real JIDs to moderators only; non-anonymous ones to all (100)', async () => {
    await h.createInstant(ROOM, 'alice', A);
    await h.join(ROOM, 'bob', B);
    const toAlice = h.to(A, (el) => el.attr('from') === `${ROOM}/bob`)[0];
    expect(item(toAlice)?.attr('jid')).toBe(B);
    const carol = await h.join(ROOM, 'carol', C);
    expect(item(carol.find((p) => p.attr('from') === `${ROOM}/bob`))?.attr('jid')).toBeUndefined();
    expect(codes(carol.find((p) => codes(p).includes(110)))).not.toContain(100);

    const open = `open@${SERVICE}`;
    await h.createInstant(open, 'alice', A, form({ 'muc#roomconfig_whois': 'anyone' }));
    const bob = await h.join(open, 'bob', B);
    const self = bob.find((p) => codes(p).includes(110))!;
    expect(codes(self)).toEqual(expect.arrayContaining([100, 110, 170]));
    expect(item(bob.find((p) => p.attr('from') === `${open}/alice`))?.attr('jid')).toBe(A);
  });

  it('refuses a nickname in use (409) and a presence without nickname (jid-malformed)', async () => {
    await h.createInstant(ROOM, 'alice', A);
    const taken = await h.join(ROOM, 'alice', B);
    expect(taken).toHaveLength(1);
    expect(taken[0]!.attr('type')).toBe('error');
    expect(taken[0]!.attr('from')).toBe(`${ROOM}/alice`);
    expect(condition(taken[0])).toBe('conflict');
    expect(taken[0]!.getChild('x', NS_MUC)).toBeDefined();

    h.mark();
    await h.send(xml('presence', { from: B, to: ROOM }, xml('x', { xmlns: NS_MUC })));
    expect(condition(h.to(B)[0])).toBe('jid-malformed');
  });

  it('lets a second session of the same user share the nickname (multi-session)', async () => {
    await h.createInstant(ROOM, 'alice', A);
    await h.join(ROOM, 'bob', B);
    const second = await h.join(ROOM, 'bob', 'bob@localhost/phone');
    expect(second.some((p) => codes(p).includes(110))).toBe(true);
    await h.message(A, ROOM, 'groupchat', xml('body', {}, 'to both'));
    expect(h.to(B, (el) => el.getChildText('body') === 'to both')).toHaveLength(1);
    expect(h.to('bob@localhost/phone', (el) => el.getChildText('body') === 'to both')).toHaveLength(
      1,
    );
    // One session leaves: the occupant stays.
    h.mark();
    await h.send(xml('presence', { from: B, to: `${ROOM}/bob`, type: 'unavailable' }));
    expect(h.to(A, (el) => el.attr('type') === 'unavailable')).toHaveLength(0);
    expect(codes(h.to(B)[0])).toContain(110);
  });

  it('sends presence changes to everyone and removes an occupant that exits', async () => {
    await h.createInstant(ROOM, 'alice', A);
    await h.join(ROOM, 'bob', B);
    h.mark();
    await h.send(xml('presence', { from: B, to: `${ROOM}/bob` }, xml('show', {}, 'away')));
    const seen = h.to(A, (el) => el.attr('from') === `${ROOM}/bob`)[0];
    expect(seen?.getChildText('show')).toBe('away');
    h.mark();
    await h.send(
      xml(
        'presence',
        { from: B, to: `${ROOM}/bob`, type: 'unavailable' },
        xml('status', {}, 'bye'),
      ),
    );
    const gone = h.to(A, (el) => el.attr('from') === `${ROOM}/bob`)[0];
    expect(gone?.attr('type')).toBe('unavailable');
    expect(gone?.getChildText('status')).toBe('bye');
    expect(item(gone)?.attr('role')).toBe('none');
    expect(codes(h.to(B)[0])).toContain(110);
  });

  it('destroys a temporary room when the last occupant leaves', async () => {
    await h.createInstant(ROOM, 'alice', A);
    await h.send(xml('presence', { from: A, to: `${ROOM}/alice`, type: 'unavailable' }));
    const info = await h.iq(
      B,
      ROOM,
      'get',
      xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }),
    );
    expect(condition(info)).toBe('item-not-found');
    // A new join creates it anew.
    const again = await h.join(ROOM, 'bob', B);
    expect(codes(again.find((p) => p.name === 'presence'))).toContain(201);
  });

  it('keeps a persistent room (and its configuration) when everyone leaves', async () => {
    await h.createInstant(
      ROOM,
      'alice',
      A,
      form({ 'muc#roomconfig_persistentroom': '1', 'muc#roomconfig_roomname': 'The Lobby' }),
    );
    await h.send(xml('presence', { from: A, to: `${ROOM}/alice`, type: 'unavailable' }));
    expect(await h.stores.rooms.get(ROOM)).toBeDefined();
    const info = await h.iq(
      B,
      ROOM,
      'get',
      xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }),
    );
    expect(info.getChild('query')?.getChild('identity')?.attr('name')).toBe('The Lobby');
    const features = info
      .getChild('query')
      ?.getChildren('feature')
      .map((f) => f.attr('var'));
    expect(features).toEqual(expect.arrayContaining(['muc_persistent', 'muc_open', 'muc_public']));
    const bob = await h.join(ROOM, 'bob', B);
    expect(codes(bob.find((p) => codes(p).includes(110)))).not.toContain(201);
    expect(item(bob.find((p) => codes(p).includes(110)))?.attr('affiliation')).toBe('none');
  });

  it('applies members-only, password and max-users on entry', async () => {
    await h.createInstant(
      ROOM,
      'alice',
      A,
      form({
        'muc#roomconfig_passwordprotectedroom': '1',
        'muc#roomconfig_roomsecret': 'pw',
        'muc#roomconfig_maxusers': '2',
      }),
    );
    expect(condition((await h.join(ROOM, 'bob', B))[0])).toBe('not-authorized');
    const withPw = await h.join(ROOM, 'bob', B, {
      x: xml('x', { xmlns: NS_MUC }, xml('password', {}, 'pw')),
    });
    expect(withPw.some((p) => codes(p).includes(110))).toBe(true);
    const full = await h.join(ROOM, 'carol', C, {
      x: xml('x', { xmlns: NS_MUC }, xml('password', {}, 'pw')),
    });
    expect(condition(full[0])).toBe('service-unavailable');

    const members = `members@${SERVICE}`;
    await h.createInstant(members, 'alice', A, form({ 'muc#roomconfig_membersonly': '1' }));
    expect(condition((await h.join(members, 'bob', B))[0])).toBe('registration-required');
    await h.iq(
      A,
      members,
      'set',
      xml(
        'query',
        { xmlns: 'http://jabber.org/protocol/muc#admin' },
        xml('item', { affiliation: 'member', jid: 'bob@localhost', nick: 'bobby' }),
      ),
    );
    // The reserved nickname is bob's: carol cannot take it, bob can discover it.
    const reserved = await h.iq(
      B,
      members,
      'get',
      xml('query', { xmlns: 'http://jabber.org/protocol/disco#info', node: 'x-roomuser-item' }),
    );
    expect(reserved.getChild('query')?.getChild('identity')?.attr('name')).toBe('bobby');
    const ok = await h.join(members, 'bobby', B);
    expect(item(ok.find((p) => codes(p).includes(110)))?.attr('affiliation')).toBe('member');
  });

  it('answers access refusals before "nickname in use", so outsiders cannot probe who is inside', async () => {
    const D = 'dave@localhost/d';
    const withPw = (pw: string) => ({ x: xml('x', { xmlns: NS_MUC }, xml('password', {}, pw)) });
    // Password-protected: the nickname alice is in use, but without the password
    // the answer is not-authorized, as for a free nickname.
    await h.createInstant(
      ROOM,
      'alice',
      A,
      form({
        'muc#roomconfig_passwordprotectedroom': '1',
        'muc#roomconfig_roomsecret': 'pw',
      }),
    );
    expect(condition((await h.join(ROOM, 'alice', B))[0])).toBe('not-authorized');
    expect(condition((await h.join(ROOM, 'alice', B, withPw('wrong')))[0])).toBe('not-authorized');
    expect(condition((await h.join(ROOM, 'nobody', B))[0])).toBe('not-authorized');
    // With the password the entrant could enter: now the nickname conflicts.
    expect(condition((await h.join(ROOM, 'alice', B, withPw('pw')))[0])).toBe('conflict');

    // Members-only: a non-member gets registration-required for a nickname in use
    // and for one reserved by a member.
    const members = `members@${SERVICE}`;
    await h.createInstant(members, 'alice', A, form({ 'muc#roomconfig_membersonly': '1' }));
    await h.iq(
      A,
      members,
      'set',
      xml(
        'query',
        { xmlns: 'http://jabber.org/protocol/muc#admin' },
        xml('item', { affiliation: 'member', jid: 'bob@localhost', nick: 'bobby' }),
        xml('item', { affiliation: 'outcast', jid: 'dave@localhost' }),
      ),
    );
    expect(condition((await h.join(members, 'alice', C))[0])).toBe('registration-required');
    expect(condition((await h.join(members, 'bobby', C))[0])).toBe('registration-required');
    // An outcast is told it is banned, whatever the nickname.
    expect(condition((await h.join(members, 'alice', D))[0])).toBe('forbidden');
    // A member who could enter gets the conflict.
    expect(condition((await h.join(members, 'alice', B))[0])).toBe('conflict');
  });

  it('only local users create rooms, and at most maxRoomsPerUser of them', async () => {
    // A remote user gets not-allowed (dropped here: there is no server-to-server) and no room.
    await h.join(`x@${SERVICE}`, 'r', 'eve@elsewhere.example/e');
    const info = await h.iq(
      B,
      `x@${SERVICE}`,
      'get',
      xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }),
    );
    expect(condition(info)).toBe('item-not-found');
    await h.close();
    h = await MucHarness.start({ config: { muc: { maxRoomsPerUser: 1 } } });
    await h.createInstant(`one@${SERVICE}`, 'alice', A);
    expect(condition((await h.join(`two@${SERVICE}`, 'alice', A))[0])).toBe('not-allowed');
  });

  it('creates an unlocked room for a groupchat 1.0 presence (no <x/>)', async () => {
    const got = await h.join(ROOM, 'alice', A, { x: false });
    expect(codes(got[0])).toContain(201);
    expect((await h.join(ROOM, 'bob', B)).some((p) => codes(p).includes(110))).toBe(true);
    expect(got[0]!.getChild('x', NS_MUC_USER)).toBeDefined();
  });
});
