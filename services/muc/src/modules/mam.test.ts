/**
 * Who may read a room's archive (XEP-0313 on a MUC room): whoever could
 * read the discussion by entering. A password-protected room's archive is
 * for its occupants (they gave the password) and its owners and admins
 * (who enter without it); a members-only room's for its members; a
 * public room's for anyone not banned.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import { NS_MAM, NS_MUC } from '../ns.js';
import { MucHarness, SERVICE, condition, form } from '../testing/harness.js';

const A = 'alice@localhost/a';
const B = 'bob@localhost/b';
const C = 'carol@localhost/c';
const NS_ADMIN = 'http://jabber.org/protocol/muc#admin';

describe('room archive access (XEP-0313 on XEP-0045 rooms)', () => {
  let h: MucHarness;
  beforeEach(async () => {
    h = await MucHarness.start({ config: { muc: { roomDefaults: { logging: true } } } });
  });
  afterEach(() => h.close());

  /** Queries the archive; the result IQ and the archived bodies it sent. */
  async function query(from: string, room: string): Promise<{ iq: Element; bodies: string[] }> {
    h.mark();
    const iq = await h.iq(from, room, 'set', xml('query', { xmlns: NS_MAM }));
    const bodies = h
      .to(from, (el) => el.name === 'message')
      .map((m) => m.getChild('result', NS_MAM)?.getChild('forwarded')?.getChild('message'))
      .map((m) => m?.getChildText('body') ?? '');
    return { iq, bodies };
  }

  const affiliate = (room: string, jid: string, affiliation: string): Promise<Element> =>
    h.iq(A, room, 'set', xml('query', { xmlns: NS_ADMIN }, xml('item', { affiliation, jid })));

  it('keeps the archive of a password-protected room from anyone who has not entered with the password', async () => {
    const room = `secret@${SERVICE}`;
    await h.createInstant(
      room,
      'alice',
      A,
      form({
        'muc#roomconfig_passwordprotectedroom': '1',
        'muc#roomconfig_roomsecret': 'pw',
      }),
    );
    await h.message(A, room, 'groupchat', xml('body', {}, 'the plan'));

    // An outsider without the password: forbidden, and nothing sent.
    const outsider = await query(B, room);
    expect(condition(outsider.iq)).toBe('forbidden');
    expect(outsider.bodies).toEqual([]);
    // A member has to give the password to enter, so to read too.
    await affiliate(room, 'carol@localhost', 'member');
    expect(condition((await query(C, room)).iq)).toBe('forbidden');

    // Once in the room (with the password) it is readable.
    await h.join(room, 'bob', B, { x: xml('x', { xmlns: NS_MUC }, xml('password', {}, 'pw')) });
    const occupant = await query(B, room);
    expect(occupant.iq.attr('type')).toBe('result');
    expect(occupant.bodies).toEqual(['the plan']);
    // The owner (who enters without the password) reads it from outside too.
    await h.send(xml('presence', { from: A, to: `${room}/alice`, type: 'unavailable' }));
    expect((await query(A, room)).bodies).toEqual(['the plan']);
    // An admin too.
    await affiliate(room, 'carol@localhost', 'admin');
    expect((await query(C, room)).bodies).toEqual(['the plan']);
  });

  it('keeps a members-only room for members, and a public room readable by anyone not banned', async () => {
    const members = `members@${SERVICE}`;
    await h.createInstant(members, 'alice', A, form({ 'muc#roomconfig_membersonly': '1' }));
    await h.message(A, members, 'groupchat', xml('body', {}, 'members talk'));
    expect(condition((await query(B, members)).iq)).toBe('forbidden');
    await affiliate(members, 'bob@localhost', 'member');
    expect((await query(B, members)).bodies).toEqual(['members talk']);

    const open = `open@${SERVICE}`;
    await h.createInstant(open, 'alice', A);
    await h.message(A, open, 'groupchat', xml('body', {}, 'hello world'));
    expect((await query(B, open)).bodies).toEqual(['hello world']);
    await affiliate(open, 'carol@localhost', 'outcast');
    expect(condition((await query(C, open)).iq)).toBe('forbidden');
  });
});
