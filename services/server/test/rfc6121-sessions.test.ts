/**
 * Sessions and account-level queries, driven over TCP with @xmpp/client:
 * resource binding conflicts and server-generated resources (RFC 6120 7.6,
 * 7.7.2.2), and XEP-0012 Last Activity answered by the server for a user.
 */
import { describe, expect, it, vi } from 'vitest';
import { xml } from '@xmpp/client';
import { WAIT } from './harness.js';
import { NS_LAST, errorCondition, isMessage, isPresence, useScenario } from './scenario-helpers.js';

describe('RFC 6120 section 7: resource binding', () => {
  const s = useScenario();

  it('7.7.2.2: binding a resource already in use closes the old stream with <conflict/>; the new one works', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    await s.subscription(alice!, bob!, 'from'); // bob sees alice's presence
    const b = await s.login(bob!, { priority: 0 });
    const old = await s.login(alice!, { resource: 'desk', priority: 0 });
    await b.next(isPresence({ from: old.jid, type: '' }), 4000, 'presence of the old session');
    b.mark();

    const fresh = await s.login(alice!, { resource: 'desk' });
    expect(fresh.jid).toBe(`${alice}/desk`);
    const err = await old.until(
      () => old.errors.find((e) => (e as Error & { condition?: string }).condition === 'conflict'),
      4000,
      'a conflict stream error on the old stream',
    );
    expect(err).toBeDefined();
    await old.until(() => (old.offline ? true : undefined), 4000, 'the old stream to close');
    // The replaced session was available: its contacts see it go.
    await b.next(
      isPresence({ from: old.jid, type: 'unavailable' }),
      4000,
      'unavailable of the old session',
    );

    // The new session owns the full JID.
    await b.send(
      xml('message', { to: `${alice}/desk`, type: 'chat' }, xml('body', {}, 'still there?')),
    );
    await fresh.next(isMessage({ from: b.jid, body: 'still there?' }), 4000, 'the message');
    await fresh.ping();
  });

  it('7.6: the server generates a resource when the client requests none, unique per session', async () => {
    const [alice] = await s.users('alice');
    const one = await s.login(alice!);
    const two = await s.login(alice!);
    for (const p of [one, two]) {
      expect(p.jid.startsWith(`${alice}/`)).toBe(true);
      expect(p.resource.length).toBeGreaterThan(0);
    }
    expect(one.resource).not.toBe(two.resource);

    await one.send(xml('message', { to: two.jid, type: 'chat' }, xml('body', {}, 'hi twin')));
    await two.next(isMessage({ from: one.jid, body: 'hi twin' }), 4000, 'the message');
    await one.ping();
  });
});

describe('XEP-0012: last activity of a user, answered by the server', () => {
  const s = useScenario();

  it('XEP-0012: a subscribed contact asking about a user who logged out gets seconds >= 0', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    await s.subscription(alice!, bob!, 'from'); // bob is subscribed to alice's presence
    const a = await s.login(alice!, { priority: 0 });
    await a.stop();
    await vi.waitFor(
      async () => expect(await s.t.server.stores.lastActivity.get(alice!)).toBeDefined(),
      WAIT,
    );

    const b = await s.login(bob!, { priority: 0 });
    const reply = await b.iq('get', alice!, xml('query', { xmlns: NS_LAST }));
    expect(reply.attrs.type).toBe('result');
    expect(reply.attrs.from).toBe(alice);
    const seconds = Number(reply.getChild('query', NS_LAST)?.attrs.seconds);
    expect(Number.isInteger(seconds)).toBe(true);
    expect(seconds).toBeGreaterThanOrEqual(0);
    expect(seconds).toBeLessThan(60);
  });

  it('XEP-0012: a user without a subscription asking about someone gets forbidden', async () => {
    const [alice, carol] = await s.users('alice', 'carol');
    const a = await s.login(alice!, { priority: 0 });
    await a.stop();
    await vi.waitFor(
      async () => expect(await s.t.server.stores.lastActivity.get(alice!)).toBeDefined(),
      WAIT,
    );

    const c = await s.login(carol!, { priority: 0 });
    const reply = await c.iq('get', alice!, xml('query', { xmlns: NS_LAST }));
    expect(reply.attrs.type).toBe('error');
    expect(errorCondition(reply)).toBe('forbidden');
  });
});
