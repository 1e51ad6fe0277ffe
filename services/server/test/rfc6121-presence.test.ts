/**
 * RFC 6121 section 4 (exchanging presence), driven over TCP with
 * @xmpp/client: initial presence, probes, broadcast to own resources,
 * directed presence, unavailable presence on logout and on a dropped socket.
 */
import { describe, expect, it } from 'vitest';
import { xml } from '@xmpp/client';
import { bareOf, isPresence, useScenario } from './scenario-helpers.js';
import type { Peer } from './scenario-helpers.js';

const fromAccount = (bare: string) => (el: { attrs: Record<string, string | undefined> }) =>
  el.attrs.from !== undefined && bareOf(el.attrs.from) === bare;

describe('RFC 6121 section 4: presence', () => {
  // A dropped connection of an XEP-0198 resumable session (xmpp.js enables it) is kept
  // for the resumption timeout before it counts as gone; keep that short here.
  const s = useScenario({ sm: { resumeTimeoutMs: 300 } });

  it('4.2.2 / 4.3: initial presence probes the contacts and brings the presence of each available resource', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    await s.subscription(alice!, bob!, 'both');
    const b1 = await s.login(bob!, { priority: 0, status: 'in a meeting' });
    const b2 = await s.login(bob!);
    await b2.available({ show: 'away' });

    const a = await s.login(alice!, { roster: true });
    await a.available();
    const p1 = await a.next(isPresence({ from: b1.jid, type: '' }), 4000, 'presence of b1');
    expect(p1.getChildText('status')).toBe('in a meeting');
    const p2 = await a.next(isPresence({ from: b2.jid, type: '' }), 4000, 'presence of b2');
    expect(p2.getChildText('show')).toBe('away');

    // And the subscribed contact gets the user's initial presence (from the full JID).
    for (const b of [b1, b2])
      await b.next(isPresence({ from: a.jid, type: '' }), 4000, 'alice presence');
  });

  it("4.2.2: initial presence goes to the user's own available resources, not to unavailable ones", async () => {
    const [alice] = await s.users('alice');
    const a1 = await s.login(alice!, { priority: 0 });
    const a2 = await s.login(alice!); // connected, never available

    const a3 = await s.login(alice!);
    await a3.available({ status: 'third' }); // waits for its own reflected presence
    const seen = await a1.next(isPresence({ from: a3.jid, type: '' }), 4000, 'presence of a3');
    expect(seen.getChildText('status')).toBe('third');

    await s.settle(a2);
    expect(a2.received(isPresence({ from: a3.jid }))).toHaveLength(0);
  });

  it('4.3.2: a probe from a user without a subscription reveals nothing', async () => {
    const [alice, bob, carol] = await s.users('alice', 'bob', 'carol');
    await s.subscription(bob!, alice!, 'to'); // bob may see alice; carol may not
    const a = await s.login(alice!, { priority: 0, status: 'secret plans' });
    const b = await s.login(bob!, { priority: 0 });
    const c = await s.login(carol!, { priority: 0 });
    b.mark();
    c.mark();

    await c.send(xml('presence', { to: alice!, type: 'probe' }));
    await b.send(xml('presence', { to: alice!, type: 'probe' }));
    // The subscribed prober gets the current presence (control).
    await b.next(isPresence({ from: a.jid, type: '' }), 4000, 'alice presence');

    await s.settle(c);
    expect(c.received(fromAccount(alice!))).toEqual([]);
  });

  it('4.6: directed presence to a non-contact is followed by unavailable when the user goes offline', async () => {
    const [alice, carol] = await s.users('alice', 'carol');
    const a = await s.login(alice!, { priority: 0 });
    const c = await s.login(carol!, { priority: 0 });

    await a.send(xml('presence', { to: carol! }, xml('status', {}, 'just for you')));
    const direct = await c.next(
      isPresence({ from: a.jid, type: '' }),
      4000,
      'the directed presence',
    );
    expect(direct.getChildText('status')).toBe('just for you');

    await a.stop();
    await c.next(
      isPresence({ from: a.jid, type: 'unavailable' }),
      4000,
      'unavailable after logout',
    );
  });

  it("4.6: directed presence recipients also get the user's broadcast unavailable presence", async () => {
    const [alice, carol] = await s.users('alice', 'carol');
    const a = await s.login(alice!, { priority: 0 });
    const c = await s.login(carol!, { priority: 0 });
    await a.send(xml('presence', { to: c.jid }));
    await c.next(isPresence({ from: a.jid, type: '' }), 4000, 'the directed presence');

    await a.send(xml('presence', { type: 'unavailable' }, xml('status', {}, 'gone fishing')));
    const gone = await c.next(
      isPresence({ from: a.jid, type: 'unavailable' }),
      4000,
      'unavailable',
    );
    expect(gone.getChildText('status')).toBe('gone fishing');
  });

  const dropCases: Array<[string, (p: Peer) => Promise<void>]> = [
    ['closing its stream', (p) => p.stop()],
    ['dropping its TCP connection', async (p) => p.drop()],
  ];
  for (const [how, drop] of dropCases) {
    it(`4.5.2: a user ${how} is broadcast as unavailable to subscribers and own resources`, async () => {
      const [alice, bob] = await s.users('alice', 'bob');
      await s.subscription(alice!, bob!, 'from'); // bob is subscribed to alice
      const a1 = await s.login(alice!, { priority: 0 });
      const a2 = await s.login(alice!, { priority: 0 });
      const b = await s.login(bob!, { priority: 0 });
      await b.next(isPresence({ from: a1.jid, type: '' }), 4000, 'a1 presence via probe');

      await drop(a1);
      await b.next(isPresence({ from: a1.jid, type: 'unavailable' }), 4000, 'unavailable for bob');
      await a2.next(isPresence({ from: a1.jid, type: 'unavailable' }), 4000, 'unavailable for a2');
    });
  }
});
