/**
 * Offline storage (RFC 6121 8.5.2.2.1, XEP-0160, XEP-0203 delay stamps),
 * driven over TCP with @xmpp/client against a server whose per-user offline
 * queue holds 3 messages.
 */
import { describe, expect, it, vi } from 'vitest';
import { xml } from '@xmpp/client';
import type { Element } from '@xmpp/client';
import { WAIT } from './harness.js';
import { NS_DELAY, errorCondition, isMessage, nextId, useScenario } from './scenario-helpers.js';

const msg = (to: string, body: string, type = 'chat', id = nextId('off')) =>
  xml('message', { to, type, id }, xml('body', {}, body));

describe('offline messages (RFC 6121 8.5.2.2.1, XEP-0160)', () => {
  const s = useScenario({ offline: { maxPerUser: 3 } });
  const stored = (bare: string) => s.t.server.stores.offline.count(bare);

  it('XEP-0160 / XEP-0203: stored messages arrive at initial presence, in order, with <delay from stamp>', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!, { priority: 0 });
    const before = Date.now() - 1000;
    await a.send(msg(bob!, 'one'));
    await a.send(msg(bob!, 'two', 'normal'));
    await a.send(msg(bob!, 'three'));
    await vi.waitFor(async () => expect(await stored(bob!)).toBe(3), WAIT);

    const b = await s.login(bob!);
    await b.available();
    await b.next(isMessage({ body: 'three' }), 4000, 'the last stored message');
    const got = b.received(isMessage());
    expect(got.map((m) => m.getChildText('body'))).toEqual(['one', 'two', 'three']);
    for (const m of got) {
      expect(m.attrs.from).toBe(a.jid);
      const delay = m.getChild('delay', NS_DELAY) as Element;
      expect(delay).toBeDefined();
      expect(delay.attrs.from).toBe('localhost');
      const stamp = Date.parse(delay.attrs.stamp!);
      expect(delay.attrs.stamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      expect(stamp).toBeGreaterThanOrEqual(before);
      expect(stamp).toBeLessThanOrEqual(Date.now());
    }
    await vi.waitFor(async () => expect(await stored(bob!)).toBe(0), WAIT);
  });

  it('XEP-0160: beyond the per-user cap the sender gets service-unavailable and nothing is lost silently', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!, { priority: 0 });
    const ids = [nextId('cap'), nextId('cap'), nextId('cap'), nextId('cap')];
    for (const [i, id] of ids.entries()) await a.send(msg(bob!, `m${i + 1}`, 'chat', id));

    const err = await a.next(isMessage({ type: 'error' }), 4000, 'the error for the 4th');
    expect(err.attrs.id).toBe(ids[3]);
    expect(err.attrs.from).toBe(bob);
    expect(errorCondition(err)).toBe('service-unavailable');
    await s.settle(a);
    expect(a.received(isMessage({ type: 'error' }))).toHaveLength(1);
    expect(await stored(bob!)).toBe(3);

    const b = await s.login(bob!, { priority: 0 });
    await b.next(isMessage({ body: 'm3' }), 4000, 'the third message');
    await s.settle(b);
    expect(b.received(isMessage()).map((m) => m.getChildText('body'))).toEqual(['m1', 'm2', 'm3']);
  });

  it('8.5.2.2.1: headline messages are not stored offline (and not bounced)', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!, { priority: 0 });
    await a.send(msg(bob!, 'breaking news', 'headline'));
    await a.send(msg(bob!, 'a real message'));
    await vi.waitFor(async () => expect(await stored(bob!)).toBe(1), WAIT);
    await s.settle(a);
    expect(await stored(bob!)).toBe(1);
    expect(a.received(isMessage({ type: 'error' }))).toHaveLength(0);

    const b = await s.login(bob!, { priority: 0 });
    await b.next(isMessage({ body: 'a real message' }), 4000, 'the stored chat');
    await s.settle(b);
    expect(b.received(isMessage({ type: 'headline' }))).toHaveLength(0);
  });

  it('XEP-0160: stored messages wait for non-negative presence, then go to the resource that sent it', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!, { priority: 0 });
    await a.send(msg(bob!, 'for later'));
    await vi.waitFor(async () => expect(await stored(bob!)).toBe(1), WAIT);

    const b = await s.login(bob!, { priority: -1 });
    await s.settle(b);
    expect(b.received(isMessage())).toHaveLength(0);
    expect(await stored(bob!)).toBe(1);

    await b.available({ priority: 1 });
    const got = await b.next(isMessage({ body: 'for later' }), 4000, 'the stored message');
    expect(got.getChild('delay', NS_DELAY)).toBeDefined();
    await vi.waitFor(async () => expect(await stored(bob!)).toBe(0), WAIT);
  });
});

describe('offline messages bounded in bytes (offline.maxBytesPerUser, issue 15)', () => {
  // 4 KiB of stored XML per user: two messages with 1,500-byte bodies fit, a third does not.
  const s = useScenario({ offline: { maxPerUser: 100, maxBytesPerUser: 4096 } });
  const stored = (bare: string) => s.t.server.stores.offline.count(bare);

  it('XEP-0160: a message that would pass the byte bound is bounced with service-unavailable; a smaller one still fits', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const a = await s.login(alice!, { priority: 0 });
    const big = (n: number) => `${n}:${'x'.repeat(1500)}`;
    const ids = [nextId('bytes'), nextId('bytes'), nextId('bytes')];
    for (const [i, id] of ids.entries()) await a.send(msg(bob!, big(i + 1), 'chat', id));
    const err = await a.next(isMessage({ type: 'error' }), 4000, 'the error for the 3rd');
    expect(err.attrs.id).toBe(ids[2]);
    expect(err.attrs.from).toBe(bob);
    expect(errorCondition(err)).toBe('service-unavailable');
    expect(await stored(bob!)).toBe(2);
    // The count is far from offline.maxPerUser: the bytes refused it, and a short one fits.
    await a.send(msg(bob!, 'short'));
    await vi.waitFor(async () => expect(await stored(bob!)).toBe(3), WAIT);
    await s.settle(a);
    expect(a.received(isMessage({ type: 'error' }))).toHaveLength(1);

    const b = await s.login(bob!, { priority: 0 });
    await b.next(isMessage({ body: 'short' }), 4000, 'the short message');
    await s.settle(b);
    expect(b.received(isMessage()).map((m) => m.getChildText('body'))).toEqual([
      big(1),
      big(2),
      'short',
    ]);
  });
});
