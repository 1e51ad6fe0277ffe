import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { xml } from '@parley/xml';
import { MucHarness, SERVICE, codes, condition, form, item } from './testing/harness.js';
import { NS_MUC, NS_MUC_USER, NS_OCCUPANT_ID, NS_SID } from './ns.js';

const ROOM = `talk@${SERVICE}`;
const A = 'alice@localhost/a';
const B = 'bob@localhost/b';
const C = 'carol@localhost/c';

describe('messages in a room (XEP-0045 7.4, 7.5, 7.8, 8.1)', () => {
  let h: MucHarness;
  beforeEach(async () => {
    h = await MucHarness.start();
    await h.createInstant(ROOM, 'alice', A);
    await h.join(ROOM, 'bob', B);
  });
  afterEach(() => h.close());

  it('fans groupchat out to every occupant with the same id, a stanza-id and an occupant-id', async () => {
    h.mark();
    await h.send(
      xml(
        'message',
        { from: B, to: ROOM, type: 'groupchat', id: 'm1' },
        xml('body', {}, 'hello'),
        xml('stanza-id', { xmlns: NS_SID, by: ROOM, id: 'forged' }),
        xml('occupant-id', { xmlns: NS_OCCUPANT_ID, id: 'forged' }),
      ),
    );
    const [toA] = h.to(A, (el) => el.name === 'message');
    const [toB] = h.to(B, (el) => el.name === 'message');
    for (const m of [toA, toB]) {
      expect(m?.attr('from')).toBe(`${ROOM}/bob`);
      expect(m?.attr('id')).toBe('m1');
      expect(m?.getChildren('stanza-id', NS_SID)).toHaveLength(1);
      expect(m?.getChild('stanza-id', NS_SID)?.attr('id')).not.toBe('forged');
      expect(m?.getChildren('occupant-id', NS_OCCUPANT_ID)).toHaveLength(1);
      expect(m?.getChild('occupant-id', NS_OCCUPANT_ID)?.attr('id')).not.toBe('forged');
    }
    expect(toA?.getChild('stanza-id', NS_SID)?.attr('id')).toBe(
      toB?.getChild('stanza-id', NS_SID)?.attr('id'),
    );
    // Archived under that id (XEP-0313 on the room).
    const id = toA!.getChild('stanza-id', NS_SID)!.attr('id')!;
    expect((await h.stores.archive.get(ROOM, id))?.withResource).toBe('bob');
  });

  it('strips forged stanza-ids naming the room in any spelling (case, trailing dot, resource, not a JID)', async () => {
    const sid = (by: string, id: string) => xml('stanza-id', { xmlns: NS_SID, by, id });
    h.mark();
    await h.send(
      xml(
        'message',
        { from: B, to: ROOM, type: 'groupchat', id: 'm2' },
        xml('body', {}, 'hello'),
        sid('TALK@Conference.Localhost', 'f1'),
        sid(`${ROOM}.`, 'f2'),
        sid(`${ROOM}/alice`, 'f3'),
        sid(`${ROOM}/`, 'f4'),
        sid(`other@${SERVICE}`, 'kept'),
      ),
    );
    for (const to of [A, B]) {
      const [m] = h.to(to, (el) => el.name === 'message');
      const ids = m!.getChildren('stanza-id', NS_SID).map((e) => `${e.attr('by')} ${e.attr('id')}`);
      expect(ids).toHaveLength(2);
      expect(ids[0]).toBe(`other@${SERVICE} kept`);
      expect(ids[1]).toMatch(new RegExp(`^${ROOM} `));
      expect(ids.join()).not.toMatch(/ f\d/);
    }
  });

  it('keeps chat states out of history and archive', async () => {
    await h.message(
      B,
      ROOM,
      'groupchat',
      xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' }),
    );
    const [state] = h.to(A, (el) => el.name === 'message');
    expect(state?.getChild('stanza-id', NS_SID)).toBeUndefined();
    const page = await h.stores.archive.query(ROOM, { limit: 10 });
    expect(page.items).toHaveLength(0);
  });

  it('refuses groupchat from non-occupants (not-acceptable)', async () => {
    await h.message(C, ROOM, 'groupchat', xml('body', {}, 'sneaky'));
    expect(condition(h.to(C)[0])).toBe('not-acceptable');
    expect(h.to(A)).toHaveLength(0);
  });

  it('sends discussion history on entering, within the limits asked for', async () => {
    for (let i = 1; i <= 5; i++) await h.message(A, ROOM, 'groupchat', xml('body', {}, `m${i}`));
    const bodies = (els: ReturnType<MucHarness['to']>) =>
      els.filter((el) => el.getChild('body')).map((el) => el.getChildText('body'));
    expect(bodies(await h.join(ROOM, 'carol', C))).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    await h.send(xml('presence', { from: C, to: `${ROOM}/carol`, type: 'unavailable' }));
    const two = await h.join(ROOM, 'carol', C, {
      x: xml('x', { xmlns: NS_MUC }, xml('history', { maxstanzas: '2' })),
    });
    expect(bodies(two)).toEqual(['m4', 'm5']);
    await h.send(xml('presence', { from: C, to: `${ROOM}/carol`, type: 'unavailable' }));
    const none = await h.join(ROOM, 'carol', C, {
      x: xml('x', { xmlns: NS_MUC }, xml('history', { maxchars: '0' })),
    });
    expect(bodies(none)).toEqual([]);
    // History carries the occupant-id too (XEP-0421).
    expect(
      two.find((el) => el.getChildText('body') === 'm4')?.getChild('occupant-id', NS_OCCUPANT_ID),
    ).toBeDefined();
  });

  it('lets moderators change the subject, participants only when allowed, and sends it on entry', async () => {
    await h.message(B, ROOM, 'groupchat', xml('subject', {}, 'by bob'));
    expect(condition(h.to(B)[0])).toBe('forbidden');
    await h.message(A, ROOM, 'groupchat', xml('subject', {}, 'Topic'));
    const [seen] = h.to(B, (el) => el.getChild('subject') !== undefined);
    expect(seen?.attr('from')).toBe(`${ROOM}/alice`);
    expect(seen?.getChildText('subject')).toBe('Topic');
    const carol = await h.join(ROOM, 'carol', C);
    const last = carol[carol.length - 1]!;
    expect(last.getChildText('subject')).toBe('Topic');
    expect(last.attr('from')).toBe(`${ROOM}/alice`);
    const info = await h.iq(
      C,
      ROOM,
      'get',
      xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }),
    );
    const subjectField = info
      .getChild('query')
      ?.getChild('x', 'jabber:x:data')
      ?.getChildren('field')
      .find((f) => f.attr('var') === 'muc#roominfo_subject');
    expect(subjectField?.getChildText('value')).toBe('Topic');
  });

  it('delivers private messages from the occupant JID, and refuses them where not allowed', async () => {
    await h.message(A, `${ROOM}/bob`, 'chat', xml('body', {}, 'psst'));
    const [pm] = h.to(B, (el) => el.name === 'message');
    expect(pm?.attr('from')).toBe(`${ROOM}/alice`);
    expect(pm?.attr('type')).toBe('chat');
    expect(pm?.getChild('x', NS_MUC_USER)).toBeDefined();
    await h.message(A, `${ROOM}/nobody`, 'chat', xml('body', {}, 'hello?'));
    expect(condition(h.to(A)[0])).toBe('item-not-found');
    await h.message(C, `${ROOM}/bob`, 'chat', xml('body', {}, 'outsider'));
    expect(condition(h.to(C)[0])).toBe('not-acceptable');
    await h.message(A, `${ROOM}/bob`, 'groupchat', xml('body', {}, 'wrong type'));
    expect(condition(h.to(A)[0])).toBe('bad-request');

    await h.iq(
      A,
      ROOM,
      'set',
      xml(
        'query',
        { xmlns: 'http://jabber.org/protocol/muc#owner' },
        form({ 'muc#roomconfig_allowpm': 'none' }),
      ),
    );
    await h.message(B, `${ROOM}/alice`, 'chat', xml('body', {}, 'no pm'));
    expect(condition(h.to(B)[0])).toBe('forbidden');
  });

  it('mediates invitations and declines; a members-only invitation makes a member', async () => {
    await h.message(
      B,
      ROOM,
      'normal',
      xml(
        'x',
        { xmlns: NS_MUC_USER },
        xml('invite', { to: 'carol@localhost' }, xml('reason', {}, 'join us')),
      ),
    );
    const [inv] = h.to('carol@localhost');
    expect(inv?.attr('from')).toBe(ROOM);
    const invite = inv?.getChild('x', NS_MUC_USER)?.getChild('invite');
    expect(invite?.attr('from')).toBe('bob@localhost');
    expect(invite?.getChildText('reason')).toBe('join us');

    await h.message(
      'carol@localhost/c',
      ROOM,
      'normal',
      xml(
        'x',
        { xmlns: NS_MUC_USER },
        xml('decline', { to: 'bob@localhost' }, xml('reason', {}, 'busy')),
      ),
    );
    const [dec] = h.to('bob@localhost');
    expect(dec?.getChild('x', NS_MUC_USER)?.getChild('decline')?.attr('from')).toBe(
      'carol@localhost',
    );

    const priv = `private@${SERVICE}`;
    await h.createInstant(priv, 'alice', A, form({ 'muc#roomconfig_membersonly': '1' }));
    await h.message(
      A,
      priv,
      'normal',
      xml('x', { xmlns: NS_MUC_USER }, xml('invite', { to: 'carol@localhost' })),
    );
    expect(h.to('carol@localhost')).toHaveLength(1);
    const carol = await h.join(priv, 'carol', C);
    expect(item(carol.find((p) => codes(p).includes(110)))?.attr('affiliation')).toBe('member');
    // A member may not invite unless the room allows it.
    await h.message(
      C,
      priv,
      'normal',
      xml('x', { xmlns: NS_MUC_USER }, xml('invite', { to: 'dave@localhost' })),
    );
    expect(condition(h.to(C)[0])).toBe('forbidden');
  });

  it('removes an occupant whose session bounces a groupchat message (333)', async () => {
    h.mark();
    await h.send(
      xml(
        'message',
        { from: B, to: `${ROOM}/alice`, type: 'error' },
        xml('body', {}, 'x'),
        xml(
          'error',
          { type: 'cancel' },
          xml('service-unavailable', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }),
        ),
      ),
    );
    const gone = h.to(A, (el) => el.attr('from') === `${ROOM}/bob`)[0];
    expect(gone?.attr('type')).toBe('unavailable');
    expect(codes(gone)).toContain(333);
  });
});
