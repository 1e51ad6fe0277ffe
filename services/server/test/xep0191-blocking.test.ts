/**
 * XEP-0191 Blocking Command against the real server with @xmpp/client:
 * the blocklist IQs and pushes, and what happens to stanzas between a user
 * and a JID it blocks, in both directions.
 */
import { describe, expect, it } from 'vitest';
import { xml } from '@xmpp/client';
import type { Element } from '@xmpp/client';
import { startTestServer } from './harness.js';
import {
  NS_PING,
  Peer,
  errorCondition,
  isPresence,
  isMessage,
  nextId,
  useScenario,
} from './scenario-helpers.js';
import type { Pred } from './scenario-helpers.js';
import { connect } from './xmppjs.js';

const NS_BLOCKING = 'urn:xmpp:blocking';
const NS_BLOCKING_ERRORS = 'urn:xmpp:blocking:errors';

const chat = (to: string, body: string, type = 'chat', id = nextId('m')) =>
  xml('message', { to, type, id }, xml('body', {}, body));

const items = (...jids: string[]) => jids.map((jid) => xml('item', { jid }));

async function blocklist(p: Peer): Promise<string[]> {
  const reply = await p.iq('get', undefined, xml('blocklist', { xmlns: NS_BLOCKING }));
  expect(reply.attrs.type).toBe('result');
  return reply
    .getChild('blocklist', NS_BLOCKING)!
    .getChildren('item')
    .map((i) => i.attrs.jid as string);
}

async function block(p: Peer, ...jids: string[]): Promise<Element> {
  return p.iq('set', undefined, xml('block', { xmlns: NS_BLOCKING }, ...items(...jids)));
}

async function unblock(p: Peer, ...jids: string[]): Promise<Element> {
  return p.iq('set', undefined, xml('unblock', { xmlns: NS_BLOCKING }, ...items(...jids)));
}

function isPush(kind: 'block' | 'unblock'): Pred {
  return (el) =>
    el.is('iq') && el.attrs.type === 'set' && el.getChild(kind, NS_BLOCKING) !== undefined;
}

function pushedJids(push: Element, kind: 'block' | 'unblock'): string[] {
  return push
    .getChild(kind, NS_BLOCKING)!
    .getChildren('item')
    .map((i) => i.attrs.jid as string);
}

function isBlockedError(el: Element): boolean {
  return (
    errorCondition(el) === 'not-acceptable' &&
    el.getChild('error')?.getChild('blocked', NS_BLOCKING_ERRORS) !== undefined
  );
}

describe('XEP-0191: Blocking Command', () => {
  const s = useScenario();

  it('advertises urn:xmpp:blocking in the server disco#info', async () => {
    const [alice] = await s.users('alice');
    const a = await s.login(alice!);
    expect(await a.discoFeatures('localhost')).toContain(NS_BLOCKING);
  });

  it('blocks and unblocks, answers the blocklist and pushes changes to resources that asked for it', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a1 = await s.login(alice!);
    const a2 = await s.login(alice!);
    const a3 = await s.login(alice!); // never asks for the blocklist: no pushes
    expect(await blocklist(a1)).toEqual([]);
    expect(await blocklist(a2)).toEqual([]);

    const result = await block(a1, bob!, 'spam.example');
    expect(result.attrs.type).toBe('result');
    for (const p of [a1, a2]) {
      const push = await p.next(isPush('block'), 4000, 'the block push');
      expect(pushedJids(push, 'block').sort()).toEqual([bob!, 'spam.example'].sort());
      expect(push.attrs.to).toBe(p.jid);
    }
    expect(await blocklist(a2)).toEqual([bob!, 'spam.example']);

    expect((await unblock(a2, 'spam.example')).attrs.type).toBe('result');
    for (const p of [a1, a2]) {
      const push = await p.next(isPush('unblock'), 4000, 'the unblock push');
      expect(pushedJids(push, 'unblock')).toEqual(['spam.example']);
      p.mark();
    }
    expect(await blocklist(a1)).toEqual([bob!]);

    // An empty <unblock/> unblocks everyone and is pushed as such.
    expect((await unblock(a1)).attrs.type).toBe('result');
    for (const p of [a1, a2]) {
      const push = await p.next(isPush('unblock'), 4000, 'the unblock-all push');
      expect(pushedJids(push, 'unblock')).toEqual([]);
    }
    expect(await blocklist(a1)).toEqual([]);
    await s.settle(a3);
    expect(a3.received(isPush('block'))).toHaveLength(0);
    expect(a3.received(isPush('unblock'))).toHaveLength(0);
  });

  it('answers bad-request to an empty <block/> and jid-malformed to a bad item', async () => {
    const [alice] = await s.users('alice');
    const a = await s.login(alice!);
    const empty = await a.iq('set', undefined, xml('block', { xmlns: NS_BLOCKING }));
    expect(errorCondition(empty)).toBe('bad-request');
    const bad = await block(a, 'not a@valid@jid');
    expect(errorCondition(bad)).toBe('jid-malformed');
    expect(await blocklist(a)).toEqual([]);
  });

  it('bounces a blocked contact with service-unavailable and delivers nothing of it', async () => {
    const [a, b] = await s.online('alice', 'bob');
    await block(a, b.bare);

    for (const to of [a.bare, a.jid]) {
      const id = nextId('m');
      await b.send(chat(to, 'let me in', 'chat', id));
      const err = await b.next(isMessage({ type: 'error', id }), 4000, 'the error');
      expect(errorCondition(err)).toBe('service-unavailable');
    }
    const ping = await b.iq('get', a.jid, xml('ping', { xmlns: NS_PING }));
    expect(errorCondition(ping)).toBe('service-unavailable');
    await s.settle(a);
    expect(a.received(isMessage())).toHaveLength(0);
    expect(a.received((el) => el.is('iq') && el.attrs.type === 'get')).toHaveLength(0);
  });

  it('a blocked contact offline: its message is bounced, not stored', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!);
    const b = await s.login(bob!, { priority: 0 });
    await block(a, bob!);
    await a.stop();
    const id = nextId('m');
    await b.send(chat(alice!, 'are you there?', 'chat', id));
    const err = await b.next(isMessage({ type: 'error', id }), 4000, 'the error');
    expect(errorCondition(err)).toBe('service-unavailable');
    expect(await s.t.server.stores.offline.count(alice!)).toBe(0);
  });

  it("answers the user's own stanzas to a blocked JID with not-acceptable and <blocked/>", async () => {
    const [a, b] = await s.online('alice', 'bob');
    await block(a, b.jid); // a full-JID item blocks that resource only

    const id = nextId('m');
    await a.send(chat(b.jid, 'can you hear me now?', 'chat', id));
    const err = await a.next(isMessage({ type: 'error', id }), 4000, 'the error');
    expect(isBlockedError(err)).toBe(true);
    expect(err.attrs.from).toBe(b.jid);
    expect(err.getChildText('body')).toBe('can you hear me now?');

    const ping = await a.iq('get', b.jid, xml('ping', { xmlns: NS_PING }));
    expect(isBlockedError(ping)).toBe(true);

    // The bare JID is not blocked by a full-JID item.
    await a.send(chat(b.bare, 'to the account'));
    await b.next(isMessage({ body: 'to the account' }), 4000, 'the message');
    await s.settle(b);
    expect(b.received(isMessage({ body: 'can you hear me now?' }))).toHaveLength(0);
  });

  it('blocks a whole domain, but never the server itself', async () => {
    const [a, b] = await s.online('alice', 'bob');
    await block(a, 'localhost');
    const id = nextId('m');
    await b.send(chat(a.bare, 'same server', 'chat', id));
    expect(errorCondition(await b.next(isMessage({ type: 'error', id }), 4000, 'error'))).toBe(
      'service-unavailable',
    );
    await a.ping(); // IQs to the server still work...
    expect(await blocklist(a)).toEqual(['localhost']); // ...and so do the user's own account IQs
  });

  it('hides presence both ways: unavailable on block, nothing while blocked, presence again on unblock', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    await s.subscription(alice!, bob!, 'both');
    const a = await s.login(alice!, { priority: 0, status: 'here' });
    const b = await s.login(bob!, { priority: 0 });
    await b.next(isPresence({ from: a.jid, type: '' }), 4000, "alice's presence");
    await a.next(isPresence({ from: b.jid, type: '' }), 4000, "bob's presence");
    a.mark();
    b.mark();

    await block(a, bob!);
    await b.next(isPresence({ from: a.jid, type: 'unavailable' }), 4000, 'unavailable from alice');

    // Bob's presence changes and probes do not reach alice; alice's do not reach bob.
    b.mark();
    await b.available({ status: 'still here?' });
    const a2 = await s.login(alice!, { priority: 0 }); // initial presence and probes
    const b2 = await s.login(bob!, { priority: 0 }); // its probes of alice go unanswered
    await s.settle(a, a2, b, b2);
    expect(b2.received(isPresence({ from: a.jid }))).toHaveLength(0);
    expect(b2.received(isPresence({ from: a2.jid }))).toHaveLength(0);
    expect(a.received(isPresence({ from: b.jid }))).toHaveLength(0);
    expect(a2.received(isPresence({ from: b.jid }))).toHaveLength(0);
    expect(b.received(isPresence({ from: a.jid }))).toHaveLength(0);
    expect(b.received(isPresence({ from: a2.jid }))).toHaveLength(0);
    // Directed presence and subscription requests to the blocked contact are dropped too.
    b.mark();
    await a.send(xml('presence', { to: b.jid }));
    await a.send(xml('presence', { to: bob!, type: 'subscribe' }));
    await s.settle(b);
    expect(b.received((el) => el.is('presence'))).toHaveLength(0);

    await unblock(a, bob!);
    const again = await b.next(isPresence({ from: a.jid, type: '' }), 4000, 'presence again');
    expect(again.getChildText('status')).toBe('here');
    await b.next(isPresence({ from: a2.jid, type: '' }), 4000, "a2's presence");

    // Delivery is restored.
    await b.send(chat(alice!, 'hello again'));
    await a.next(isMessage({ body: 'hello again' }), 4000, 'the message');
  });

  it('keeps the blocklist across a restart (LMDB)', async () => {
    const peers: Peer[] = [];
    const login = async (port: number, username: string) => {
      const xmpp = await connect({ port, username });
      const peer = new Peer(xmpp, xmpp.jid!.toString());
      peers.push(peer);
      return peer;
    };
    const first = await startTestServer({ store: { kind: 'lmdb' } });
    let running = first;
    try {
      const alice = await first.addUser('alice');
      const bob = await first.addUser('bob');
      const a = await login(first.port, 'alice');
      expect((await block(a, bob, 'spam.example')).attrs.type).toBe('result');
      await a.stop();
      await first.stop({ keepData: true });

      running = await startTestServer({ store: { kind: 'lmdb' } }, first.dataDir);
      const a2 = await login(running.port, 'alice');
      const b = await login(running.port, 'bob');
      expect(await blocklist(a2)).toEqual([bob, 'spam.example']);
      const id = nextId('m');
      await b.send(chat(alice, 'remember me?', 'chat', id));
      const err = await b.next(isMessage({ type: 'error', id }), 4000, 'the error');
      expect(errorCondition(err)).toBe('service-unavailable');
    } finally {
      await Promise.allSettled(peers.map((p) => p.stop()));
      await running.stop().catch(() => {});
    }
  });
});
