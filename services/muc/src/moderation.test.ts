import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import { MucHarness, SERVICE, codes, condition, form, item } from './testing/harness.js';
import { NS_MUC_ADMIN, NS_MUC_OWNER, NS_MUC_REQUEST, NS_MUC_USER } from './ns.js';

const ROOM = `mod@${SERVICE}`;
const A = 'alice@localhost/a';
const B = 'bob@localhost/b';
const C = 'carol@localhost/c';

const admin = (...items: Element[]) => xml('query', { xmlns: NS_MUC_ADMIN }, ...items);
const owner = (...children: Element[]) => xml('query', { xmlns: NS_MUC_OWNER }, ...children);

describe('moderation, affiliations and owner use cases (XEP-0045 8, 9, 10)', () => {
  let h: MucHarness;
  beforeEach(async () => {
    h = await MucHarness.start();
    await h.createInstant(ROOM, 'alice', A);
    await h.join(ROOM, 'bob', B);
    await h.join(ROOM, 'carol', C);
  });
  afterEach(() => h.close());

  /** `from` sets one admin item with `attrs` (XEP-0045 9, 10); the reply. */
  const setItem = (from: string, attrs: Record<string, string>) =>
    h.iq(from, ROOM, 'set', admin(xml('item', attrs)));

  it('kicks with 307, actor and reason; a participant may not kick', async () => {
    const denied = await setItem(B, { nick: 'carol', role: 'none' });
    expect(condition(denied)).toBe('forbidden');
    const res = await h.iq(
      A,
      ROOM,
      'set',
      admin(xml('item', { nick: 'bob', role: 'none' }, xml('reason', {}, 'spam'))),
    );
    expect(res.attr('type')).toBe('result');
    const toBob = h.to(B, (el) => el.name === 'presence')[0];
    expect(toBob?.attr('type')).toBe('unavailable');
    expect(codes(toBob)).toEqual(expect.arrayContaining([110, 307]));
    expect(item(toBob)?.getChild('actor')?.attr('nick')).toBe('alice');
    expect(item(toBob)?.getChildText('reason')).toBe('spam');
    const toCarol = h.to(C, (el) => el.attr('from') === `${ROOM}/bob`)[0];
    expect(codes(toCarol)).toEqual([307]);
    // Bob may come back: a kick is not a ban.
    expect((await h.join(ROOM, 'bob', B)).some((p) => codes(p).includes(110))).toBe(true);
  });

  it('bans with 301; the banned user cannot come back; the ban list shows it', async () => {
    const res = await h.iq(
      A,
      ROOM,
      'set',
      admin(
        xml('item', { jid: 'bob@localhost', affiliation: 'outcast' }, xml('reason', {}, 'bye')),
      ),
    );
    expect(res.attr('type')).toBe('result');
    const toBob = h.to(B, (el) => el.name === 'presence')[0];
    expect(codes(toBob)).toEqual(expect.arrayContaining([110, 301]));
    expect(item(toBob)?.attr('affiliation')).toBe('outcast');
    expect(condition((await h.join(ROOM, 'bob', B))[0])).toBe('forbidden');
    const list = await h.iq(A, ROOM, 'get', admin(xml('item', { affiliation: 'outcast' })));
    const items = list.getChild('query')?.getChildren('item') ?? [];
    expect(items.map((i) => [i.attr('jid'), i.attr('affiliation')])).toEqual([
      ['bob@localhost', 'outcast'],
    ]);
    // Members cannot read the ban list.
    expect(
      condition(await h.iq(C, ROOM, 'get', admin(xml('item', { affiliation: 'outcast' })))),
    ).toBe('forbidden');
  });

  it('admins and owners cannot be kicked or banned by those below them', async () => {
    await setItem(A, { jid: 'bob@localhost', affiliation: 'admin' });
    const bobPresence = h.to(C, (el) => el.attr('from') === `${ROOM}/bob`)[0];
    expect(item(bobPresence)?.attr('affiliation')).toBe('admin');
    expect(item(bobPresence)?.attr('role')).toBe('moderator');
    // Now a moderator of a semi-anonymous room, bob sees real JIDs.
    expect(item(h.to(B, (el) => el.attr('from') === `${ROOM}/carol`)[0])?.attr('jid')).toBe(C);
    expect(condition(await setItem(B, { nick: 'alice', role: 'none' }))).toBe('not-allowed');
    expect(condition(await setItem(B, { jid: 'alice@localhost', affiliation: 'outcast' }))).toBe(
      'not-allowed',
    );
    expect(condition(await setItem(B, { jid: 'carol@localhost', affiliation: 'owner' }))).toBe(
      'forbidden',
    );
    // The last owner cannot go.
    expect(condition(await setItem(A, { jid: 'alice@localhost', affiliation: 'member' }))).toBe(
      'conflict',
    );
  });

  it('grants and revokes voice in a moderated room; visitors cannot speak; voice requests reach moderators', async () => {
    await h.iq(A, ROOM, 'set', owner(form({ 'muc#roomconfig_moderatedroom': '1' })));
    await h.send(xml('presence', { from: C, to: `${ROOM}/carol`, type: 'unavailable' }));
    const carol = await h.join(ROOM, 'carol', C);
    expect(item(carol.find((p) => codes(p).includes(110)))?.attr('role')).toBe('visitor');
    await h.message(C, ROOM, 'groupchat', xml('body', {}, 'can I?'));
    expect(condition(h.to(C)[0])).toBe('forbidden');

    // Voice request (7.13) goes to moderators as a form; approving it grants voice (8.6).
    await h.message(C, ROOM, 'normal', form({ 'muc#role': 'participant' }, NS_MUC_REQUEST));
    const request = h.to(A, (el) => el.name === 'message')[0];
    const fields = request?.getChild('x', 'jabber:x:data')?.getChildren('field') ?? [];
    expect(fields.find((f) => f.attr('var') === 'muc#roomnick')?.getChildText('value')).toBe(
      'carol',
    );
    expect(h.to(B, (el) => el.name === 'message')).toHaveLength(0);
    await h.message(
      A,
      ROOM,
      'normal',
      form(
        { 'muc#role': 'participant', 'muc#roomnick': 'carol', 'muc#request_allow': 'true' },
        NS_MUC_REQUEST,
      ),
    );
    expect(item(h.to(C, (el) => el.name === 'presence')[0])?.attr('role')).toBe('participant');

    // Revoke voice by admin IQ (8.4), then the participant list (8.5).
    await setItem(A, { nick: 'carol', role: 'visitor' });
    expect(item(h.to(B, (el) => el.attr('from') === `${ROOM}/carol`)[0])?.attr('role')).toBe(
      'visitor',
    );
    const visitors = await h.iq(A, ROOM, 'get', admin(xml('item', { role: 'visitor' })));
    expect(
      visitors
        .getChild('query')
        ?.getChildren('item')
        .map((i) => i.attr('nick')),
    ).toEqual(['carol']);
  });

  it('turning a room members-only removes non-members (322) and notifies the change (104)', async () => {
    await setItem(A, { jid: 'bob@localhost', affiliation: 'member' });
    h.mark();
    const res = await h.iq(
      A,
      ROOM,
      'set',
      owner(form({ 'muc#roomconfig_membersonly': '1', 'muc#roomconfig_whois': 'anyone' })),
    );
    expect(res.attr('type')).toBe('result');
    const notice = h.to(B, (el) => el.name === 'message')[0];
    expect(codes(notice)).toEqual(expect.arrayContaining([104, 172]));
    const removed = h.to(C, (el) => el.name === 'presence')[0];
    expect(codes(removed)).toEqual(expect.arrayContaining([110, 322]));
    expect(
      h.to(B, (el) => el.attr('from') === `${ROOM}/carol` && el.attr('type') === 'unavailable'),
    ).toHaveLength(1);
    // Revoking bob's membership now removes him too (321).
    await setItem(A, { jid: 'bob@localhost', affiliation: 'none' });
    expect(codes(h.to(B, (el) => el.name === 'presence')[0])).toEqual(
      expect.arrayContaining([110, 321]),
    );
  });

  it('changes nicknames with 303 and refuses a taken one (conflict)', async () => {
    h.mark();
    await h.send(xml('presence', { from: B, to: `${ROOM}/carol` }));
    expect(condition(h.to(B)[0])).toBe('conflict');
    h.mark();
    await h.send(xml('presence', { from: B, to: `${ROOM}/robert` }));
    const [out, back] = h.to(C, (el) => el.name === 'presence');
    expect(out?.attr('from')).toBe(`${ROOM}/bob`);
    expect(out?.attr('type')).toBe('unavailable');
    expect(codes(out)).toEqual([303]);
    expect(item(out)?.attr('nick')).toBe('robert');
    expect(back?.attr('from')).toBe(`${ROOM}/robert`);
    expect(back?.attr('type')).toBeUndefined();
    const self = h.to(B, (el) => el.name === 'presence');
    expect(codes(self[0])).toEqual([110, 303]);
    expect(codes(self[1])).toEqual([110]);
    await h.message(B, ROOM, 'groupchat', xml('body', {}, 'renamed'));
    expect(h.to(A, (el) => el.getChildText('body') === 'renamed')[0]?.attr('from')).toBe(
      `${ROOM}/robert`,
    );
  });

  it('gives owners the configuration form, and nobody else', async () => {
    const denied = await h.iq(B, ROOM, 'get', owner());
    expect(condition(denied)).toBe('forbidden');
    const res = await h.iq(A, ROOM, 'get', owner());
    const vars = res
      .getChild('query')
      ?.getChild('x', 'jabber:x:data')
      ?.getChildren('field')
      .map((f) => f.attr('var'));
    expect(vars).toEqual(
      expect.arrayContaining([
        'FORM_TYPE',
        'muc#roomconfig_roomname',
        'muc#roomconfig_persistentroom',
        'muc#roomconfig_membersonly',
        'muc#roomconfig_passwordprotectedroom',
        'muc#roomconfig_roomsecret',
        'muc#roomconfig_moderatedroom',
        'muc#roomconfig_whois',
        'muc#roomconfig_maxusers',
        'muc#roomconfig_allowinvites',
        'muc#roomconfig_changesubject',
        'muc#roomconfig_publicroom',
        'muc#roomconfig_getmemberlist',
        'muc#roomconfig_presencebroadcast',
        'muc#roomconfig_enablelogging',
        'muc#maxhistoryfetch',
      ]),
    );
    // Out-of-range values are refused.
    const bad = await h.iq(A, ROOM, 'set', owner(form({ 'muc#roomconfig_maxusers': '100000' })));
    expect(condition(bad)).toBe('not-acceptable');
    const noPw = await h.iq(
      A,
      ROOM,
      'set',
      owner(form({ 'muc#roomconfig_passwordprotectedroom': '1' })),
    );
    expect(condition(noPw)).toBe('not-acceptable');
  });

  it('destroys a room: everyone gets <destroy/> with the alternate venue', async () => {
    const denied = await h.iq(B, ROOM, 'set', owner(xml('destroy')));
    expect(condition(denied)).toBe('forbidden');
    const res = await h.iq(
      A,
      ROOM,
      'set',
      owner(xml('destroy', { jid: `new@${SERVICE}` }, xml('reason', {}, 'moved'))),
    );
    expect(res.attr('type')).toBe('result');
    for (const who of [A, B, C]) {
      const p = h.to(who, (el) => el.name === 'presence')[0];
      expect(p?.attr('type')).toBe('unavailable');
      const d = p?.getChild('x', NS_MUC_USER)?.getChild('destroy');
      expect(d?.attr('jid')).toBe(`new@${SERVICE}`);
      expect(d?.getChildText('reason')).toBe('moved');
    }
    const info = await h.iq(
      B,
      ROOM,
      'get',
      xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }),
    );
    expect(condition(info)).toBe('item-not-found');
  });

  it('answers self-pings (XEP-0410) and forwards other IQs to the occupant', async () => {
    const ping = xml('ping', { xmlns: 'urn:xmpp:ping' });
    expect((await h.iq(B, `${ROOM}/bob`, 'get', ping)).attr('type')).toBe('result');
    const outsider = await h.iq('dave@localhost/d', `${ROOM}/bob`, 'get', ping);
    expect(condition(outsider)).toBe('not-acceptable');
    // A version query to carol goes to carol, from bob's occupant JID; her answer comes back.
    h.mark();
    await h.send(
      xml(
        'iq',
        { from: B, to: `${ROOM}/carol`, type: 'get', id: 'v1' },
        xml('query', { xmlns: 'jabber:iq:version' }),
      ),
    );
    const fwd = h.to(C, (el) => el.name === 'iq')[0]!;
    expect(fwd.attr('from')).toBe(`${ROOM}/bob`);
    expect(fwd.attr('id')).not.toBe('v1');
    h.mark();
    await h.send(xml('iq', { from: C, to: `${ROOM}/bob`, type: 'result', id: fwd.attr('id') }));
    const back = h.to(B, (el) => el.name === 'iq')[0];
    expect(back?.attr('id')).toBe('v1');
    expect(back?.attr('from')).toBe(`${ROOM}/carol`);
  });

  it('keeps a room vCard set by owners, with its avatar hash in disco#info (XEP-0486)', async () => {
    const vcard = xml(
      'vCard',
      { xmlns: 'vcard-temp' },
      xml(
        'PHOTO',
        {},
        xml('TYPE', {}, 'image/png'),
        xml('BINVAL', {}, Buffer.from('png').toString('base64')),
      ),
    );
    expect(condition(await h.iq(B, ROOM, 'set', vcard))).toBe('forbidden');
    expect((await h.iq(A, ROOM, 'set', vcard)).attr('type')).toBe('result');
    expect(codes(h.to(B, (el) => el.name === 'message')[0])).toContain(104);
    const got = await h.iq(C, ROOM, 'get', xml('vCard', { xmlns: 'vcard-temp' }));
    expect(got.getChild('vCard')?.getChild('PHOTO')?.getChildText('TYPE')).toBe('image/png');
    const info = await h.iq(
      C,
      ROOM,
      'get',
      xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }),
    );
    const hash = info
      .getChild('query')
      ?.getChild('x', 'jabber:x:data')
      ?.getChildren('field')
      .find((f) => f.attr('var') === 'muc#roominfo_avatarhash')
      ?.getChildText('value');
    expect(hash).toBe(createHash('sha1').update('png').digest('hex'));
  });

  it('answers archive queries on the room (XEP-0313)', async () => {
    for (let i = 1; i <= 3; i++) await h.message(A, ROOM, 'groupchat', xml('body', {}, `msg ${i}`));
    h.mark();
    await h.send(
      xml(
        'iq',
        { from: C, to: ROOM, type: 'set', id: 'mam1' },
        xml('query', { xmlns: 'urn:xmpp:mam:2', queryid: 'q1' }),
      ),
    );
    const results = h.to(C, (el) => el.name === 'message');
    expect(
      results.map((m) =>
        m.getChild('result')?.getChild('forwarded')?.getChild('message')?.getChildText('body'),
      ),
    ).toEqual(['msg 1', 'msg 2', 'msg 3']);
    expect(results[0]?.attr('from')).toBe(ROOM);
    const fin = h.to(C, (el) => el.name === 'iq')[0];
    expect(fin?.attr('type')).toBe('result');
    expect(fin?.getChild('fin')?.attr('complete')).toBe('true');
    // Outcasts may not read it.
    await setItem(A, { jid: 'dave@localhost', affiliation: 'outcast' });
    const denied = await h.iq(
      'dave@localhost/d',
      ROOM,
      'set',
      xml('query', { xmlns: 'urn:xmpp:mam:2' }),
    );
    expect(condition(denied)).toBe('forbidden');
  });
});

describe('the service itself (XEP-0045 6.1-6.3, 10.1.4)', () => {
  let h: MucHarness;
  beforeEach(async () => {
    h = await MucHarness.start();
  });
  afterEach(() => h.close());

  it('lists public rooms, not hidden or locked ones, with result set paging', async () => {
    for (const name of ['a', 'b', 'c', 'd'])
      await h.createInstant(`${name}@${SERVICE}`, 'alice', A);
    await h.createInstant(
      `hidden@${SERVICE}`,
      'alice',
      A,
      form({ 'muc#roomconfig_publicroom': '0' }),
    );
    await h.join(`locked@${SERVICE}`, 'alice', A);
    const all = await h.iq(
      B,
      SERVICE,
      'get',
      xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' }),
    );
    expect(
      all
        .getChild('query')
        ?.getChildren('item')
        .map((i) => i.attr('jid')),
    ).toEqual(['a', 'b', 'c', 'd'].map((n) => `${n}@${SERVICE}`));
    const page = await h.iq(
      B,
      SERVICE,
      'get',
      xml(
        'query',
        { xmlns: 'http://jabber.org/protocol/disco#items' },
        xml(
          'set',
          { xmlns: 'http://jabber.org/protocol/rsm' },
          xml('max', {}, '2'),
          xml('after', {}, `a@${SERVICE}`),
        ),
      ),
    );
    const q = page.getChild('query');
    expect(q?.getChildren('item').map((i) => i.attr('jid'))).toEqual([
      `b@${SERVICE}`,
      `c@${SERVICE}`,
    ]);
    expect(q?.getChild('set')?.getChildText('count')).toBe('4');
  });

  it('describes itself and makes up unique room names', async () => {
    const info = await h.iq(
      B,
      SERVICE,
      'get',
      xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }),
    );
    expect(info.getChild('query')?.getChild('identity')?.attr('category')).toBe('conference');
    const features = info
      .getChild('query')
      ?.getChildren('feature')
      .map((f) => f.attr('var'));
    expect(features).toEqual(
      expect.arrayContaining([
        'http://jabber.org/protocol/muc',
        'http://jabber.org/protocol/muc#unique',
      ]),
    );
    const u = await h.iq(
      B,
      SERVICE,
      'get',
      xml('unique', { xmlns: 'http://jabber.org/protocol/muc#unique' }),
    );
    expect(u.getChild('unique')?.text()).toMatch(/^[0-9a-f]{18}$/);
  });
});
