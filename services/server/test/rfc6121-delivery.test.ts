/**
 * RFC 6121 section 8.5 and RFC 6120 section 10 (server rules for routing
 * stanzas to local accounts), driven over TCP with @xmpp/client: bare vs full
 * JID, priorities, message types, IQs handled on behalf of the account.
 */
import { describe, expect, it, vi } from 'vitest';
import { xml } from '@xmpp/client';
import { WAIT } from './harness.js';
import {
  NS_DISCO_INFO,
  errorCondition,
  isMessage,
  nextId,
  useScenario,
} from './scenario-helpers.js';

const chat = (to: string, body: string, type = 'chat', id = nextId('m')) =>
  xml('message', { to, type, id }, xml('body', {}, body));

describe('RFC 6121 section 8.5 / RFC 6120 section 10: delivery to local accounts', () => {
  const s = useScenario();

  it('8.5.2.1.1: a chat message to the bare JID goes to the highest-priority resource only', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!, { priority: 0 });
    const high = await s.login(bob!, { priority: 5 });
    const low = await s.login(bob!, { priority: 1 });

    await a.send(chat(bob!, 'to the top'));
    const got = await high.next(isMessage({ body: 'to the top' }), 4000, 'the message');
    expect(got.attrs.from).toBe(a.jid);
    await s.settle(low);
    expect(low.received(isMessage())).toHaveLength(0);
  });

  it('8.5.2.1.1: a resource with negative priority never gets messages to the bare JID', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!, { priority: 0 });
    const negative = await s.login(bob!, { priority: -1 });
    const zero = await s.login(bob!, { priority: 0 });

    for (const type of ['chat', 'normal', 'headline'])
      await a.send(chat(bob!, `hello ${type}`, type));
    for (const type of ['chat', 'normal', 'headline']) {
      await zero.next(isMessage({ body: `hello ${type}` }), 4000, `the ${type} message`);
    }
    await s.settle(negative);
    expect(negative.received(isMessage())).toHaveLength(0);
  });

  it('8.5.2.2.1: with only negative-priority resources a chat message goes to offline storage', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!, { priority: 0 });
    const negative = await s.login(bob!, { priority: -5 });

    await a.send(chat(bob!, 'keep it for later'));
    await vi.waitFor(async () => expect(await s.t.server.stores.offline.count(bob!)).toBe(1), WAIT);
    await s.settle(negative, a);
    expect(negative.received(isMessage())).toHaveLength(0);
    expect(a.received(isMessage({ type: 'error' }))).toHaveLength(0);
  });

  it('8.5.2.1.1: a headline to the bare JID goes to every non-negative resource', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!, { priority: 0 });
    const b5 = await s.login(bob!, { priority: 5 });
    const b0 = await s.login(bob!, { priority: 0 });
    const bNeg = await s.login(bob!, { priority: -1 });

    await a.send(chat(bob!, 'extra! extra!', 'headline'));
    await b5.next(isMessage({ type: 'headline', body: 'extra! extra!' }), 4000, 'headline on b5');
    await b0.next(isMessage({ type: 'headline', body: 'extra! extra!' }), 4000, 'headline on b0');
    await s.settle(bNeg);
    expect(bNeg.received(isMessage())).toHaveLength(0);
  });

  it('8.5.3.1: a message to the full JID of a connected resource is delivered, whatever its presence', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!, { priority: 0 });
    const negative = await s.login(bob!, { priority: -1 });
    const silent = await s.login(bob!); // connected, no presence

    for (const p of [negative, silent]) {
      await a.send(chat(p.jid, `for ${p.resource}`, 'normal'));
      await p.next(isMessage({ from: a.jid, body: `for ${p.resource}` }), 4000, 'the message');
    }
  });

  it('8.5.3.2.1: a chat message to an unknown full JID is handled as if sent to the bare JID', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!, { priority: 0 });
    const b = await s.login(bob!, { priority: 0 });

    await a.send(chat(`${bob}/no-such-resource`, 'wrong resource'));
    await b.next(isMessage({ from: a.jid, body: 'wrong resource' }), 4000, 'the message');
  });

  it('8.5.2.1.1: a groupchat message to the bare JID is answered service-unavailable, not delivered', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!, { priority: 0 });
    const b = await s.login(bob!, { priority: 0 });

    const id = nextId('gc');
    await a.send(chat(bob!, 'room talk', 'groupchat', id));
    const err = await a.next(isMessage({ type: 'error', id }), 4000, 'the error');
    expect(err.attrs.from).toBe(bob);
    expect(errorCondition(err)).toBe('service-unavailable');
    await s.settle(b);
    expect(b.received(isMessage())).toHaveLength(0);
  });

  it('8.5.2.2.1: a groupchat message to the bare JID with no available resource is answered service-unavailable', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!, { priority: 0 });

    const id = nextId('gc');
    await a.send(chat(bob!, 'anyone in the room?', 'groupchat', id));
    const err = await a.next(isMessage({ type: 'error', id }), 4000, 'the error');
    expect(errorCondition(err)).toBe('service-unavailable');
    expect(await s.t.server.stores.offline.count(bob!)).toBe(0);
  });

  it('8.5.3.2.1: a groupchat message to an unknown full JID is answered service-unavailable', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!, { priority: 0 });
    const b = await s.login(bob!, { priority: 0 });

    const id = nextId('gc');
    await a.send(chat(`${bob}/gone`, 'room talk', 'groupchat', id));
    const err = await a.next(isMessage({ type: 'error', id }), 4000, 'the error');
    expect(errorCondition(err)).toBe('service-unavailable');
    await s.settle(b);
    expect(b.received(isMessage())).toHaveLength(0);
  });

  it('8.5.1: a chat message to an account that does not exist is answered service-unavailable', async () => {
    const [alice] = await s.users('alice');
    const a = await s.login(alice!, { priority: 0 });
    const id = nextId('m');
    await a.send(chat('nobody-here@localhost', 'hello?', 'chat', id));
    const err = await a.next(isMessage({ type: 'error', id }), 4000, 'the error');
    expect(err.attrs.from).toBe('nobody-here@localhost');
    expect(errorCondition(err)).toBe('service-unavailable');
  });

  it('8.5.1 / RFC 6120 8.3.1: a message of type error to an unknown account produces nothing', async () => {
    const [alice] = await s.users('alice');
    const a = await s.login(alice!, { priority: 0 });
    await a.send(
      xml(
        'message',
        { to: 'nobody-here@localhost', type: 'error', id: nextId('e') },
        xml(
          'error',
          { type: 'cancel' },
          xml('item-not-found', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }),
        ),
      ),
    );
    await s.settle(a);
    expect(a.received((el) => !el.is('iq'))).toEqual([]);
  });

  it("RFC 6120 10.3.1: a message without a to address is delivered to the sender's own bare JID", async () => {
    const [alice] = await s.users('alice');
    const high = await s.login(alice!, { priority: 3 });
    const low = await s.login(alice!, { priority: 1 });
    await low.send(
      xml('message', { type: 'chat', id: nextId('m') }, xml('body', {}, 'note to self')),
    );
    const got = await high.next(isMessage({ body: 'note to self' }), 4000, 'the note');
    expect(got.attrs.from).toBe(low.jid);
  });

  it('RFC 6120 10.1: stanzas from one sender to one recipient arrive in the order sent', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!, { priority: 0 });
    const b = await s.login(bob!, { priority: 0 });
    const n = 40;
    for (let i = 1; i <= n; i++) await a.send(chat(i % 2 ? bob! : b.jid, `#${i}`));
    await b.next(isMessage({ body: `#${n}` }), 4000, 'the last message');
    const bodies = b.received(isMessage()).map((m) => m.getChildText('body'));
    expect(bodies).toEqual(Array.from({ length: n }, (_, i) => `#${i + 1}`));
  });

  it('RFC 6120 10.4.3: a message to a domain the server does not serve is answered remote-server-not-found', async () => {
    const [alice] = await s.users('alice');
    const a = await s.login(alice!, { priority: 0 });
    const id = nextId('m');
    await a.send(chat('someone@elsewhere.example', 'hi', 'chat', id));
    const err = await a.next(isMessage({ type: 'error', id }), 4000, 'the error');
    expect(errorCondition(err)).toBe('remote-server-not-found');
  });

  it('8.5.3.2.1 / RFC 6120 10.5.3.2: an IQ to an unknown full JID is answered service-unavailable', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!, { priority: 0 });
    await s.login(bob!, { priority: 0, resource: 'known' });
    const reply = await a.iq('get', `${bob}/unknown`, xml('ping', { xmlns: 'urn:xmpp:ping' }));
    expect(reply.attrs.type).toBe('error');
    expect(reply.attrs.from).toBe(`${bob}/unknown`);
    expect(errorCondition(reply)).toBe('service-unavailable');
  });

  it("8.5.2.1.3: an IQ get with an unknown payload to another user's bare JID is answered service-unavailable by the server", async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!, { priority: 0 });
    const b = await s.login(bob!, { priority: 0 });
    const reply = await a.iq('get', bob!, xml('query', { xmlns: 'urn:example:unknown' }));
    expect(reply.attrs.type).toBe('error');
    expect(reply.attrs.from).toBe(bob);
    expect(errorCondition(reply)).toBe('service-unavailable');
    await s.settle(b);
    expect(b.received((el) => el.is('iq') && el.attrs.type === 'get')).toHaveLength(0);
  });

  it("8.5.2.1.3 / XEP-0030: disco#info to a user's bare JID is answered by the server with account/registered", async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!, { priority: 0 });
    const reply = await a.iq('get', bob!, xml('query', { xmlns: NS_DISCO_INFO }));
    expect(reply.attrs.type).toBe('result');
    expect(reply.attrs.from).toBe(bob);
    const query = reply.getChild('query', NS_DISCO_INFO)!;
    const identities = query
      .getChildren('identity')
      .map((i) => `${i.attrs.category}/${i.attrs.type}`);
    expect(identities).toContain('account/registered');
    expect(query.getChildren('feature').map((f) => f.attrs.var)).toContain(NS_DISCO_INFO);
  });

  it('8.5.1: an IQ to the bare JID of an account that does not exist is answered service-unavailable', async () => {
    const [alice] = await s.users('alice');
    const a = await s.login(alice!, { priority: 0 });
    const reply = await a.iq(
      'get',
      'nobody-here@localhost',
      xml('query', { xmlns: NS_DISCO_INFO }),
    );
    expect(reply.attrs.type).toBe('error');
    expect(errorCondition(reply)).toBe('service-unavailable');
  });
});
