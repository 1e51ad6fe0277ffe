import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { xml } from '@xmpp/client';
import type { Element } from '@xmpp/client';
import { WAIT, startTestServer } from './harness.js';
import type { TestServer } from './harness.js';
import { collect, connect, waitFor } from './xmppjs.js';
import type { XmppClient } from './xmppjs.js';

const ROSTER = 'jabber:iq:roster';

async function rosterItem(c: XmppClient, jid: string): Promise<Element | undefined> {
  const res = await c.iqCaller.get(xml('query', { xmlns: ROSTER }));
  return res.getChildren('item').find((i) => i.attrs.jid === jid);
}

describe('end to end with @xmpp/client over STARTTLS', () => {
  let t: TestServer;
  const clients: XmppClient[] = [];
  const open = async (
    username: string,
    opts: { resource?: string; mechanism?: 'SCRAM-SHA-1' | 'SCRAM-SHA-256' } = {},
  ) => {
    const c = await connect({ port: t.port, username, ...opts });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    t = await startTestServer();
    for (const u of ['alice', 'bob', 'carol', 'dave']) await t.addUser(u);
  });

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.stop()));
    await t.stop();
  });

  it('logs in with SCRAM-SHA-1 and with SCRAM-SHA-256', async () => {
    const a = await open('alice', { mechanism: 'SCRAM-SHA-1', resource: 'one' });
    expect(a.jid?.toString()).toBe('alice@localhost/one');
    const b = await open('alice', { mechanism: 'SCRAM-SHA-256', resource: 'two' });
    expect(b.jid?.toString()).toBe('alice@localhost/two');
    await a.stop();
    await b.stop();
  });

  it('rejects a wrong password', async () => {
    await expect(connect({ port: t.port, username: 'alice', password: 'wrong' })).rejects.toThrow(
      /not-authorized/,
    );
  });

  it('does the subscription handshake both ways, broadcasts presence and routes messages', async () => {
    const alice = await open('alice', { resource: 'laptop' });
    const bob = await open('bob', { resource: 'phone' });
    await alice.send(xml('presence'));
    await bob.send(xml('presence'));

    // alice subscribes to bob; bob approves and subscribes back; alice approves.
    const bobGetsSubscribe = waitFor(
      bob,
      (el) => el.is('presence') && el.attrs.type === 'subscribe',
    );
    await alice.send(xml('presence', { to: 'bob@localhost', type: 'subscribe' }));
    const req = await bobGetsSubscribe;
    expect(req.attrs.from).toBe('alice@localhost');

    const aliceGetsSubscribed = waitFor(
      alice,
      (el) => el.is('presence') && el.attrs.type === 'subscribed',
    );
    const aliceSeesBob = waitFor(
      alice,
      (el) => el.is('presence') && !el.attrs.type && el.attrs.from === 'bob@localhost/phone',
    );
    await bob.send(xml('presence', { to: 'alice@localhost', type: 'subscribed' }));
    await aliceGetsSubscribed;
    await aliceSeesBob;

    const aliceGetsSubscribe = waitFor(
      alice,
      (el) => el.is('presence') && el.attrs.type === 'subscribe',
    );
    await bob.send(xml('presence', { to: 'alice@localhost', type: 'subscribe' }));
    await aliceGetsSubscribe;
    const bobSeesAlice = waitFor(
      bob,
      (el) => el.is('presence') && !el.attrs.type && el.attrs.from === 'alice@localhost/laptop',
    );
    await alice.send(xml('presence', { to: 'bob@localhost', type: 'subscribed' }));
    await bobSeesAlice;

    await vi.waitFor(
      async () =>
        expect((await rosterItem(alice, 'bob@localhost'))?.attrs.subscription).toBe('both'),
      WAIT,
    );
    await vi.waitFor(
      async () =>
        expect((await rosterItem(bob, 'alice@localhost'))?.attrs.subscription).toBe('both'),
      WAIT,
    );

    // A presence update reaches the subscriber.
    const update = waitFor(
      bob,
      (el) =>
        el.is('presence') &&
        el.attrs.from === 'alice@localhost/laptop' &&
        el.getChildText('show') === 'away',
    );
    await alice.send(xml('presence', {}, xml('show', {}, 'away')));
    await update;

    // Messages to the bare and to the full JID.
    const toBare = waitFor(bob, (el) => el.is('message') && el.getChildText('body') === 'hi bare');
    await alice.send(
      xml('message', { to: 'bob@localhost', type: 'chat' }, xml('body', {}, 'hi bare')),
    );
    expect((await toBare).attrs.from).toBe('alice@localhost/laptop');
    const toFull = waitFor(
      alice,
      (el) => el.is('message') && el.getChildText('body') === 'hi full',
    );
    await bob.send(
      xml('message', { to: 'alice@localhost/laptop', type: 'chat' }, xml('body', {}, 'hi full')),
    );
    expect((await toFull).attrs.from).toBe('bob@localhost/phone');

    // Going offline is broadcast as unavailable.
    const gone = waitFor(
      alice,
      (el) =>
        el.is('presence') &&
        el.attrs.type === 'unavailable' &&
        el.attrs.from === 'bob@localhost/phone',
    );
    await bob.stop();
    await gone;
  });

  it('keeps a message for an offline user and delivers it at next login', async () => {
    const carol = await open('carol', { resource: 'desk' });
    await carol.send(
      xml(
        'message',
        { to: 'dave@localhost', type: 'chat', id: 'off1' },
        xml('body', {}, 'while you were out'),
      ),
    );
    await vi.waitFor(
      async () => expect(await t.server.stores.offline.count('dave@localhost')).toBe(1),
      WAIT,
    );

    const dave = await open('dave', { resource: 'home' });
    const got = waitFor(
      dave,
      (el) => el.is('message') && el.getChildText('body') === 'while you were out',
    );
    await dave.send(xml('presence'));
    const msg = await got;
    expect(msg.attrs.from).toBe('carol@localhost/desk');
    expect(msg.getChild('delay', 'urn:xmpp:delay')?.attrs.stamp).toMatch(/Z$/);
    await vi.waitFor(
      async () => expect(await t.server.stores.offline.count('dave@localhost')).toBe(0),
      WAIT,
    );
  });

  it('answers a message to a nonexistent user with an error', async () => {
    const carol = await open('carol', { resource: 'err' });
    const seen = collect(carol);
    const err = waitFor(carol, (el) => el.is('message') && el.attrs.type === 'error');
    await carol.send(
      xml(
        'message',
        { to: 'nobody@localhost', type: 'chat', id: 'e1' },
        xml('body', {}, 'anyone?'),
      ),
    );
    const reply = await err;
    seen.stop();
    expect(reply.attrs.id).toBe('e1');
    expect(reply.attrs.from).toBe('nobody@localhost');
    expect(
      reply
        .getChild('error')
        ?.getChild('service-unavailable', 'urn:ietf:params:xml:ns:xmpp-stanzas'),
    ).toBeDefined();
  });

  it('answers server IQs: ping, version, disco, time, last, and service-unavailable for unknown', async () => {
    const c = await open('carol', { resource: 'iq' });
    await c.iqCaller.get(xml('ping', { xmlns: 'urn:xmpp:ping' }), 'localhost');
    const ver = await c.iqCaller.get(xml('query', { xmlns: 'jabber:iq:version' }), 'localhost');
    expect(ver.getChildText('name')).toBeTruthy();
    const info = await c.iqCaller.get(
      xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }),
      'localhost',
    );
    const features = info.getChildren('feature').map((f) => f.attrs.var);
    expect(features).toEqual(
      expect.arrayContaining([
        'urn:xmpp:ping',
        'jabber:iq:version',
        'jabber:iq:last',
        'urn:xmpp:time',
        'http://jabber.org/protocol/disco#info',
      ]),
    );
    expect(info.getChild('identity')?.attrs.category).toBe('server');
    const time = await c.iqCaller.get(xml('time', { xmlns: 'urn:xmpp:time' }), 'localhost');
    expect(time.getChildText('utc')).toMatch(/Z$/);
    const last = await c.iqCaller.get(xml('query', { xmlns: 'jabber:iq:last' }), 'localhost');
    expect(Number(last.attrs.seconds)).toBeGreaterThanOrEqual(0);
    await expect(
      c.iqCaller.get(xml('query', { xmlns: 'urn:example:unknown' }), 'localhost'),
    ).rejects.toThrow(/service-unavailable/);
  });
});
