/**
 * XEP-0045 end to end: moderation, configuration changes, invitations,
 * destruction and the room archive, through the all-in-one server.
 */
import { xml } from '@xmpp/client';
import { describe, expect, it } from 'vitest';
import {
  NS_DISCO_INFO,
  errorCondition,
  isMessage,
  isPresence,
  useScenario,
} from './scenario-helpers.js';
import {
  NS_MUC_ADMIN,
  NS_MUC_OWNER,
  NS_MUC_USER,
  admin,
  configure,
  createRoom,
  groupchat,
  isGroupchat,
  join,
  leave,
  mucItem,
  newRoom,
  statusCodes,
} from './xep0045-helpers.js';

describe('XEP-0045: moderation and administration', () => {
  const s = useScenario();

  it('kicks (307) and bans (301); a banned user cannot come back', async () => {
    const room = newRoom('mod');
    const [mo, kb, kc] = await s.online('mo', 'kb', 'kc');
    await createRoom(mo, room, 'mo');
    await join(kb, room, 'kb');
    await join(kc, room, 'kc');

    // A participant may not kick.
    expect(errorCondition(await admin(kc, room, xml('item', { nick: 'kb', role: 'none' })))).toBe(
      'forbidden',
    );

    kc.mark();
    kb.mark();
    const kick = await admin(
      mo,
      room,
      xml('item', { nick: 'kb', role: 'none' }, xml('reason', {}, 'flood')),
    );
    expect(kick.attrs.type).toBe('result');
    const kicked = await kb.next(isPresence({ from: `${room}/kb`, type: 'unavailable' }));
    expect(statusCodes(kicked)).toEqual(expect.arrayContaining([110, 307]));
    expect(mucItem(kicked)?.getChildText('reason')).toBe('flood');
    expect(mucItem(kicked)?.getChild('actor')?.attrs.nick).toBe('mo');
    expect(
      statusCodes(await kc.next(isPresence({ from: `${room}/kb`, type: 'unavailable' }))),
    ).toEqual([307]);

    // Back after a kick; then banned.
    await join(kb, room, 'kb');
    kb.mark();
    const ban = await admin(mo, room, xml('item', { jid: kb.bare, affiliation: 'outcast' }));
    expect(ban.attrs.type).toBe('result');
    const banned = await kb.next(isPresence({ from: `${room}/kb`, type: 'unavailable' }));
    expect(statusCodes(banned)).toEqual(expect.arrayContaining([110, 301]));
    const again = await join(kb, room, 'kb', { waitSubject: false });
    expect(errorCondition(again)).toBe('forbidden');
    const list = await mo.iq(
      'get',
      room,
      xml('query', { xmlns: NS_MUC_ADMIN }, xml('item', { affiliation: 'outcast' })),
    );
    expect(
      list
        .getChild('query')
        ?.getChildren('item')
        .map((i) => i.attrs.jid),
    ).toEqual([kb.bare]);
  });

  it('members-only, password and moderated rooms, changed while occupied', async () => {
    const room = newRoom('conf');
    const [co, cm, cv] = await s.online('co', 'cm', 'cv');
    await createRoom(co, room, 'co');
    await join(cm, room, 'cm');
    await join(cv, room, 'cv');
    await admin(co, room, xml('item', { jid: cm.bare, affiliation: 'member' }));

    // Members-only: the non-member is removed (322), everyone hears of the change (104).
    cm.mark();
    cv.mark();
    expect((await configure(co, room, { 'muc#roomconfig_membersonly': '1' })).attrs.type).toBe(
      'result',
    );
    const removed = await cv.next(isPresence({ from: `${room}/cv`, type: 'unavailable' }));
    expect(statusCodes(removed)).toEqual(expect.arrayContaining([110, 322]));
    const notice = await cm.next((el) => el.is('message') && statusCodes(el).includes(104));
    expect(notice.attrs.from).toBe(room);
    expect(errorCondition(await join(cv, room, 'cv', { waitSubject: false }))).toBe(
      'registration-required',
    );

    // Password-protected.
    await configure(co, room, {
      'muc#roomconfig_membersonly': '0',
      'muc#roomconfig_passwordprotectedroom': '1',
      'muc#roomconfig_roomsecret': 'letmein',
    });
    expect(errorCondition(await join(cv, room, 'cv', { waitSubject: false }))).toBe(
      'not-authorized',
    );
    expect(statusCodes(await join(cv, room, 'cv', { password: 'letmein' }))).toContain(110);

    // Moderated: newcomers without affiliation are visitors; voice is granted by a moderator.
    await configure(co, room, { 'muc#roomconfig_moderatedroom': '1' });
    const features = await cv.discoFeatures(room);
    expect(features).toEqual(expect.arrayContaining(['muc_moderated', 'muc_passwordprotected']));
    await leave(cv, room, 'cv');
    const visitor = await join(cv, room, 'cv', { password: 'letmein' });
    expect(mucItem(visitor)?.attrs.role).toBe('visitor');
    cv.mark();
    await groupchat(cv, room, 'let me speak');
    const refused = await cv.next(isMessage({ type: 'error' }));
    expect(errorCondition(refused)).toBe('forbidden');
    cv.mark();
    await admin(co, room, xml('item', { nick: 'cv', role: 'participant' }));
    const voiced = await cv.next(isPresence({ from: `${room}/cv`, type: '' }));
    expect(mucItem(voiced)?.attrs.role).toBe('participant');
    cm.mark();
    await groupchat(cv, room, 'thanks');
    await cm.next(isGroupchat(room, 'thanks', 'cv'));
  });

  it('mediated invitations (and declines) and direct invitations (XEP-0249)', async () => {
    const room = newRoom('inv');
    const [ia, ib, ic] = await s.online('ia', 'ib', 'ic');
    await createRoom(ia, room, 'ia', { 'muc#roomconfig_membersonly': '1' });

    await ia.send(
      xml(
        'message',
        { to: room },
        xml('x', { xmlns: NS_MUC_USER }, xml('invite', { to: ib.bare }, xml('reason', {}, 'come'))),
      ),
    );
    const inv = await ib.next((el) => el.is('message') && el.attrs.from === room);
    const invite = inv.getChild('x', NS_MUC_USER)?.getChild('invite');
    expect(invite?.attrs.from).toBe(ia.bare);
    expect(invite?.getChildText('reason')).toBe('come');
    // The invitation made ib a member of the members-only room.
    expect(mucItem(await join(ib, room, 'ib'))?.attrs.affiliation).toBe('member');

    ia.mark();
    await ib.send(
      xml(
        'message',
        { to: room },
        xml('x', { xmlns: NS_MUC_USER }, xml('decline', { to: ia.bare }, xml('reason', {}, 'no'))),
      ),
    );
    const dec = await ia.next((el) => el.is('message') && el.attrs.from === room);
    expect(dec.getChild('x', NS_MUC_USER)?.getChild('decline')?.attrs.from).toBe(ib.bare);

    // XEP-0249: a direct invitation is an ordinary message between users.
    await ia.send(
      xml(
        'message',
        { to: ic.bare },
        xml('x', { xmlns: 'jabber:x:conference', jid: room, reason: 'see you' }),
      ),
    );
    const direct = await ic.next((el) => el.getChild('x', 'jabber:x:conference') !== undefined);
    expect(direct.getChild('x', 'jabber:x:conference')?.attrs.jid).toBe(room);
  });

  it('destroys a room with an alternate venue; the room is gone', async () => {
    const room = newRoom('doomed');
    const [da, db] = await s.online('da', 'db');
    await createRoom(da, room, 'da', { 'muc#roomconfig_persistentroom': '1' });
    await join(db, room, 'db');
    db.mark();
    const res = await da.iq(
      'set',
      room,
      xml(
        'query',
        { xmlns: NS_MUC_OWNER },
        xml('destroy', { jid: `elsewhere@${room.split('@')[1]}` }, xml('reason', {}, 'moving')),
      ),
    );
    expect(res.attrs.type).toBe('result');
    const bye = await db.next(isPresence({ from: `${room}/db`, type: 'unavailable' }));
    const d = bye.getChild('x', NS_MUC_USER)?.getChild('destroy');
    expect(d?.attrs.jid).toBe(`elsewhere@${room.split('@')[1]}`);
    expect(d?.getChildText('reason')).toBe('moving');
    const info = await db.iq('get', room, xml('query', { xmlns: NS_DISCO_INFO }));
    expect(errorCondition(info)).toBe('item-not-found');
    expect(await s.t.server.stores.rooms.get(room)).toBeUndefined();
  });

  it('serves the room archive (XEP-0313) to occupants, with paging', async () => {
    const room = newRoom('mam');
    const [ma, mb] = await s.online('ma', 'mb');
    await createRoom(ma, room, 'ma');
    await join(mb, room, 'mb');
    for (let i = 1; i <= 5; i++) {
      mb.mark();
      await groupchat(ma, room, `archived ${i}`);
      await mb.next(isGroupchat(room, `archived ${i}`));
    }
    mb.mark();
    const fin = await mb.iq(
      'set',
      room,
      xml(
        'query',
        { xmlns: 'urn:xmpp:mam:2', queryid: 'q1' },
        xml('set', { xmlns: 'http://jabber.org/protocol/rsm' }, xml('max', {}, '3'), xml('before')),
      ),
    );
    expect(fin.attrs.type).toBe('result');
    const results = mb.received(
      (el) => el.is('message') && el.getChild('result', 'urn:xmpp:mam:2') !== undefined,
    );
    const bodies = results.map((m) =>
      m
        .getChild('result', 'urn:xmpp:mam:2')
        ?.getChild('forwarded')
        ?.getChild('message')
        ?.getChildText('body'),
    );
    expect(bodies).toEqual(['archived 3', 'archived 4', 'archived 5']);
    const forwarded = results[0]!
      .getChild('result', 'urn:xmpp:mam:2')
      ?.getChild('forwarded')
      ?.getChild('message');
    expect(forwarded?.attrs.from).toBe(`${room}/ma`);
    expect(fin.getChild('fin')?.getChild('set')?.getChildText('count')).toBe('5');
    // The ids are the stanza-ids the live messages carried.
    const live = mb.log.filter(isGroupchat(room, 'archived 5'))[0];
    expect(results[2]!.getChild('result', 'urn:xmpp:mam:2')?.attrs.id).toBe(
      live?.getChild('stanza-id', 'urn:xmpp:sid:0')?.attrs.id,
    );
  });
});
