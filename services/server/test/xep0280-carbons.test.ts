/**
 * XEP-0280 Message Carbons against the real server with @xmpp/client: two
 * (or three) resources of one user and a contact.
 */
import { describe, expect, it } from 'vitest';
import { xml } from '@xmpp/client';
import type { Element } from '@xmpp/client';
import { errorCondition, isMessage, nextId, useScenario } from './scenario-helpers.js';
import type { Peer, Pred } from './scenario-helpers.js';

const NS_CARBONS = 'urn:xmpp:carbons:2';
const NS_FORWARD = 'urn:xmpp:forward:0';

const chat = (to: string, body: string, extra: Element[] = [], type = 'chat') =>
  xml('message', { to, type, id: nextId('m') }, xml('body', {}, body), ...extra);

/** A carbon copy (`sent` or `received`) whose forwarded message carries `body`. */
function isCarbon(kind: 'sent' | 'received', body: string): Pred {
  return (el) => forwarded(el, kind)?.getChildText('body') === body;
}

function forwarded(el: Element, kind: 'sent' | 'received'): Element | undefined {
  if (!el.is('message')) return undefined;
  return el.getChild(kind, NS_CARBONS)?.getChild('forwarded', NS_FORWARD)?.getChild('message');
}

const isAnyCarbon: Pred = (el) =>
  el.is('message') &&
  (el.getChild('sent', NS_CARBONS) !== undefined ||
    el.getChild('received', NS_CARBONS) !== undefined);

async function enable(p: Peer, on = true): Promise<void> {
  const reply = await p.iq('set', undefined, xml(on ? 'enable' : 'disable', { xmlns: NS_CARBONS }));
  expect(reply.attrs.type).toBe('result');
}

describe('XEP-0280: Message Carbons', () => {
  const s = useScenario();

  it('advertises urn:xmpp:carbons:2 and the copying rules in the server disco#info', async () => {
    const [alice] = await s.users('alice');
    const a = await s.login(alice!);
    const features = await a.discoFeatures('localhost');
    expect(features).toContain(NS_CARBONS);
    expect(features).toContain('urn:xmpp:carbons:rules:0');
  });

  it('copies a received message to the other enabled resource, wrapped in <received/>', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!, { priority: 0 });
    const b1 = await s.login(bob!, { priority: 0 });
    const b2 = await s.login(bob!, { priority: 0 });
    await enable(b1);
    await enable(b2);

    await a.send(chat(b1.jid, 'wherefore art thou'));
    const original = await b1.next(isMessage({ body: 'wherefore art thou' }), 4000, 'the message');
    expect(original.getChild('received', NS_CARBONS)).toBeUndefined();
    const copy = await b2.next(isCarbon('received', 'wherefore art thou'), 4000, 'the carbon');
    expect(copy.attrs.from).toBe(bob);
    expect(copy.attrs.to).toBe(b2.jid);
    expect(copy.attrs.type).toBe('chat');
    const inner = forwarded(copy, 'received')!;
    expect(inner.attrs.xmlns).toBe('jabber:client');
    expect(inner.attrs.from).toBe(a.jid);
    expect(inner.attrs.to).toBe(b1.jid);
    await s.settle(b1);
    expect(b1.received(isAnyCarbon)).toHaveLength(0); // the addressee gets the original only
  });

  it('to the bare JID: the resource the message went to gets no copy, the others do', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!, { priority: 0 });
    const high = await s.login(bob!, { priority: 5 });
    const low = await s.login(bob!, { priority: 1 });
    await enable(high);
    await enable(low);

    await a.send(chat(bob!, 'to the top'));
    await high.next(isMessage({ body: 'to the top' }), 4000, 'the message');
    await low.next(isCarbon('received', 'to the top'), 4000, 'the carbon');
    await s.settle(high);
    expect(high.received(isAnyCarbon)).toHaveLength(0);
  });

  it('copies a sent message to the other enabled resources, wrapped in <sent/>', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!, { priority: 0 });
    const b1 = await s.login(bob!, { priority: 0 });
    const b2 = await s.login(bob!, { priority: 0 });
    await enable(b2); // the sender need not have carbons enabled

    await b1.send(chat(alice!, 'neither, fair saint'));
    await a.next(isMessage({ body: 'neither, fair saint' }), 4000, 'the message');
    const copy = await b2.next(isCarbon('sent', 'neither, fair saint'), 4000, 'the carbon');
    expect(copy.attrs.from).toBe(bob);
    expect(copy.attrs.to).toBe(b2.jid);
    const inner = forwarded(copy, 'sent')!;
    expect(inner.attrs.from).toBe(b1.jid);
    expect(inner.attrs.to).toBe(alice);
    await s.settle(b1);
    expect(b1.received(isAnyCarbon)).toHaveLength(0); // never to the sending resource
  });

  it('does not copy <private/> messages, and removes <private/> before delivery', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!, { priority: 0 });
    const a2 = await s.login(alice!, { priority: 0 });
    const b1 = await s.login(bob!, { priority: 0 });
    const b2 = await s.login(bob!, { priority: 0 });
    for (const p of [a2, b1, b2]) await enable(p);

    const priv = () => [xml('private', { xmlns: NS_CARBONS })];
    await a.send(chat(b1.jid, 'for your eyes only', priv()));
    const got = await b1.next(isMessage({ body: 'for your eyes only' }), 4000, 'the message');
    expect(got.getChild('private', NS_CARBONS)).toBeUndefined();
    await s.settle(a2, b2);
    expect(a2.received(isAnyCarbon)).toHaveLength(0);
    expect(b2.received(isAnyCarbon)).toHaveLength(0);

    // The hint of XEP-0334 works the same way.
    await a.send(chat(b1.jid, 'no copies please', [xml('no-copy', { xmlns: 'urn:xmpp:hints' })]));
    await b1.next(isMessage({ body: 'no copies please' }), 4000, 'the message');
    await s.settle(a2, b2);
    expect(a2.received(isAnyCarbon)).toHaveLength(0);
    expect(b2.received(isAnyCarbon)).toHaveLength(0);
  });

  it('sends nothing to resources that did not enable carbons or disabled them', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!, { priority: 0 });
    const b1 = await s.login(bob!, { priority: 0 });
    const b2 = await s.login(bob!, { priority: 0 });
    const b3 = await s.login(bob!, { priority: 0 });
    await enable(b2);
    await enable(b2); // enabling twice is no error
    await enable(b2, false);
    await enable(b2, false);

    await a.send(chat(b1.jid, 'quietly'));
    await b1.send(chat(alice!, 'quietly back'));
    await b1.next(isMessage({ body: 'quietly' }), 4000, 'the message');
    await a.next(isMessage({ body: 'quietly back' }), 4000, 'the reply');
    await s.settle(b2, b3);
    expect(b2.received(isAnyCarbon)).toHaveLength(0);
    expect(b3.received(isAnyCarbon)).toHaveLength(0);
  });

  it('does not copy headline or error messages', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!, { priority: 0 });
    const b1 = await s.login(bob!, { priority: 0 });
    const b2 = await s.login(bob!, { priority: 0 });
    await enable(b2);

    await a.send(chat(b1.jid, 'extra! extra!', [], 'headline'));
    await b1.next(isMessage({ body: 'extra! extra!' }), 4000, 'the headline');
    // A message to an unknown account comes back as an error: neither it nor the error is copied.
    const id = nextId('m');
    await b1.send(
      xml('message', { to: 'nobody-here@localhost', type: 'chat', id }, xml('body', {}, 'x')),
    );
    const err = await b1.next(isMessage({ type: 'error', id }), 4000, 'the error');
    expect(errorCondition(err)).toBe('service-unavailable');
    await s.settle(b2);
    // The message b1 sent is copied (it was sent); the error it got back is not.
    expect(b2.received(isCarbon('sent', 'x'))).toHaveLength(1);
    expect(b2.received((el) => forwarded(el, 'received') !== undefined)).toHaveLength(0);
  });

  it('refuses to switch carbons for another account', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!, { priority: 0 });
    const reply = await a.iq('set', bob!, xml('enable', { xmlns: NS_CARBONS }));
    expect(reply.attrs.type).toBe('error');
    expect(errorCondition(reply)).toBe('not-allowed');
  });
});
