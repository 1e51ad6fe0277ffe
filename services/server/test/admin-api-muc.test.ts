/**
 * Admin API MUC operations against the running server with real clients:
 * the API acts as a service admin through ordinary XEP-0045 stanzas.
 */
import { xml } from '@xmpp/client';
import type { Element } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startAdminTestServer } from './admin-api-harness.js';
import { WAIT } from './harness.js';
import type { AdminTestServer } from './admin-api-harness.js';
import { connect, waitFor } from './xmppjs.js';
import type { XmppClient } from './xmppjs.js';

const ROOM = 'lounge@conference.localhost';
const NS_MUC = 'http://jabber.org/protocol/muc';
const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';
const codes = (el: Element) =>
  (el.getChild('x', NS_MUC_USER)?.getChildren('status') ?? []).map((s) => Number(s.attrs.code));
const item = (el: Element) => el.getChild('x', NS_MUC_USER)?.getChild('item');

describe('admin API: multi-user chat', () => {
  let t: AdminTestServer;
  let alice: XmppClient;
  let bob: XmppClient;
  let carol: XmppClient;

  const enter = async (c: XmppClient, nick: string) => {
    const self = waitFor(
      c,
      (el) => el.is('presence') && el.attrs.from === `${ROOM}/${nick}` && codes(el).includes(110),
    );
    await c.send(xml('presence', { to: `${ROOM}/${nick}` }, xml('x', { xmlns: NS_MUC })));
    return self;
  };

  beforeAll(async () => {
    t = await startAdminTestServer();
    for (const u of ['alice', 'bob', 'carol']) await t.addUser(u);
    alice = await connect({ port: t.port, username: 'alice', resource: 'a' });
    bob = await connect({ port: t.port, username: 'bob', resource: 'b' });
    carol = await connect({ port: t.port, username: 'carol', resource: 'c' });
    await carol.send(xml('presence')); // available: a message to the bare JID reaches it
  });
  afterAll(async () => {
    await Promise.allSettled([alice, bob, carol].map((c) => c?.stop()));
    await t.stop();
  });

  it('creates a persistent room with an owner and a configuration', async () => {
    const res = await t.api('POST', '/api/muc/rooms', {
      room: ROOM,
      owner: 'alice@localhost',
      config: { 'muc#roomconfig_roomname': 'Lounge' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ jid: ROOM });
    expect((await t.api('POST', '/api/muc/rooms', { room: ROOM })).status).toBe(409);
    expect((await t.api('POST', '/api/muc/rooms', { room: 'x@localhost' })).status).toBe(400);
    const list = (await t.api('GET', '/api/muc/rooms')).body as { items: Array<{ jid: string }> };
    expect(list.items.map((r) => r.jid)).toEqual([ROOM]);
    expect((await t.api('GET', `/api/muc/rooms/${ROOM}`)).body).toMatchObject({
      jid: ROOM,
      name: 'Lounge',
    });
    expect((await t.api('GET', '/api/muc/rooms/nothing@conference.localhost')).status).toBe(404);
  });

  it('reads and changes the configuration, lists and sets affiliations', async () => {
    const cfg = (await t.api('GET', `/api/muc/rooms/${ROOM}/config`)).body as {
      fields: Array<{ var: string; value: unknown }>;
    };
    const value = (v: string) => cfg.fields.find((f) => f.var === v)?.value;
    expect(value('muc#roomconfig_roomname')).toBe('Lounge');
    expect(value('muc#roomconfig_persistentroom')).toBe(true);
    expect(
      (
        await t.api('PATCH', `/api/muc/rooms/${ROOM}/config`, {
          config: { 'muc#roomconfig_roomdesc': 'A place to chat' },
        })
      ).status,
    ).toBe(204);
    const after = (await t.api('GET', `/api/muc/rooms/${ROOM}/config`)).body as {
      fields: Array<{ var: string; value: unknown }>;
    };
    expect(after.fields.find((f) => f.var === 'muc#roomconfig_roomdesc')?.value).toBe(
      'A place to chat',
    );
    expect(
      (
        await t.api('PUT', `/api/muc/rooms/${ROOM}/affiliations/bob@localhost`, {
          affiliation: 'member',
        })
      ).status,
    ).toBe(204);
    const affs = (await t.api('GET', `/api/muc/rooms/${ROOM}/affiliations`)).body as {
      items: unknown[];
    };
    expect(affs.items).toEqual([
      { jid: 'alice@localhost', affiliation: 'owner' },
      { jid: 'bob@localhost', affiliation: 'member' },
    ]);
  });

  it('lists occupants, sends messages to the room as the API and as an occupant', async () => {
    await enter(alice, 'Alice');
    await enter(bob, 'Bob');
    const occ = (await t.api('GET', `/api/muc/rooms/${ROOM}/occupants`)).body as {
      items: unknown[];
    };
    expect(occ.items).toEqual([
      { nick: 'Alice', role: 'moderator', affiliation: 'owner', jid: 'alice@localhost/a' },
      { nick: 'Bob', role: 'participant', affiliation: 'member', jid: 'bob@localhost/b' },
    ]);
    const fromApi = waitFor(
      bob,
      (el) =>
        el.is('message') &&
        el.attrs.type === 'groupchat' &&
        el.getChildText('body') === 'hello room',
    );
    expect(
      (
        await t.api('POST', `/api/muc/rooms/${ROOM}/messages`, {
          body: 'hello room',
          nick: 'Operator',
        })
      ).status,
    ).toBe(202);
    expect((await fromApi).attrs.from).toBe(`${ROOM}/Operator`);
    const asBob = waitFor(
      alice,
      (el) => el.is('message') && el.getChildText('body') === 'I am Bob',
    );
    await t.api('POST', `/api/muc/rooms/${ROOM}/messages`, {
      body: 'I am Bob',
      from: 'bob@localhost/b',
    });
    expect((await asBob).attrs.from).toBe(`${ROOM}/Bob`);
    await vi.waitFor(async () => {
      const r = await t.api('GET', `/api/muc/rooms/${ROOM}/messages`);
      expect((r.body as { items: unknown[] }).items.length).toBeGreaterThanOrEqual(2);
    }, WAIT);
    const history = (await t.api('GET', `/api/muc/rooms/${ROOM}/messages`)).body as {
      items: Array<{ body: string; nick: string }>;
    };
    expect(history.items.slice(0, 2)).toEqual([
      expect.objectContaining({ body: 'I am Bob', nick: 'Bob' }),
      expect.objectContaining({ body: 'hello room', nick: 'Operator' }),
    ]);
  });

  it('sets roles, invites and kicks', async () => {
    const voiceless = waitFor(
      bob,
      (el) =>
        el.is('presence') && el.attrs.from === `${ROOM}/Bob` && item(el)?.attrs.role === 'visitor',
    );
    expect(
      (
        await t.api('PUT', `/api/muc/rooms/${ROOM}/occupants/Bob/role`, {
          role: 'visitor',
          reason: 'quiet',
        })
      ).status,
    ).toBe(204);
    await voiceless;
    const invited = waitFor(
      carol,
      (el) => el.is('message') && el.getChild('x', NS_MUC_USER)?.getChild('invite') !== undefined,
    );
    expect(
      (
        await t.api('POST', `/api/muc/rooms/${ROOM}/invitations`, {
          to: 'carol@localhost',
          reason: 'join us',
        })
      ).status,
    ).toBe(202);
    expect((await invited).attrs.from).toBe(ROOM);
    const kicked = waitFor(
      bob,
      (el) => el.is('presence') && el.attrs.type === 'unavailable' && codes(el).includes(307),
    );
    expect((await t.api('DELETE', `/api/muc/rooms/${ROOM}/occupants/Bob?reason=bye`)).status).toBe(
      204,
    );
    await kicked;
    expect((await t.api('DELETE', `/api/muc/rooms/${ROOM}/occupants/Nobody`)).status).toBe(404);
  });

  it('destroys the room', async () => {
    const destroyed = waitFor(
      alice,
      (el) =>
        el.is('presence') &&
        el.attrs.type === 'unavailable' &&
        el.getChild('x', NS_MUC_USER)?.getChild('destroy') !== undefined,
    );
    expect((await t.api('DELETE', `/api/muc/rooms/${ROOM}?reason=closing`)).status).toBe(204);
    const p = await destroyed;
    expect(p.getChild('x', NS_MUC_USER)!.getChild('destroy')!.getChildText('reason')).toBe(
      'closing',
    );
    expect((await t.api('GET', `/api/muc/rooms/${ROOM}`)).status).toBe(404);
    expect(((await t.api('GET', '/api/muc/rooms')).body as { items: unknown[] }).items).toEqual([]);
  });
});
