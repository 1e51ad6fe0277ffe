/**
 * Resources per account (`quotas.maxResourcesPerAccount`, RFC 6120
 * 7.6.2.1): counted where sessions are registered, so one limit holds for
 * every gateway; a replaced resource and a resumption never count twice; a
 * detached session waiting for resumption gives way to a new one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { BindReply, BindRequest } from '@parley/routing';
import { roomForResource } from '../src/sessions/resource-limit.js';
import type { SessionEntry } from '../src/sessions/session-table.js';
import { Harness, jidOf } from './harness.js';

const ALICE = jidOf('alice');

let h: Harness;
afterEach(async () => {
  expect(h.problems()).toEqual([]);
  await h.close();
});

async function start(max: number): Promise<void> {
  h = await Harness.start({
    accounts: ['alice', 'bob'],
    config: (c) => {
      c.quotas.maxResourcesPerAccount = max;
    },
  });
}

/** A bind request answered as is (the harness's bind throws on a refusal). */
const bindReply = (req: Omit<BindRequest, 't' | 'jid'>): Promise<BindReply> =>
  h.bindRequest({ t: 'bind', jid: ALICE, ...req });

describe('quotas.maxResourcesPerAccount', () => {
  it('refuses one resource too many with resource-constraint, on any gateway, and frees a place on unbind', async () => {
    await start(2);
    const phone = await h.bind(ALICE, 'phone', 'gw1');
    await h.bind(ALICE, 'desktop', 'gw2');
    const refused = await bindReply({ resource: 'tab', gw: 'gw3', conn: 'gw3-x' });
    expect(refused).toMatchObject({ ok: false, condition: 'resource-constraint' });
    // Server-generated resources count the same.
    expect(await bindReply({ gw: 'gw1', conn: 'gw1-x' })).toMatchObject({
      ok: false,
      condition: 'resource-constraint',
    });
    expect(h.registry.sessionCount()).toBe(2);
    // The other account is not affected.
    await h.bind(jidOf('bob'), 'b');
    h.publish(ALICE, { t: 'unbind', jid: phone.jid, gw: 'gw1', conn: phone.conn });
    await h.settle();
    expect((await h.bind(ALICE, 'tab', 'gw3')).resource).toBe('tab');
  });

  it('a resource bound again (a reconnect, a stable Bind2 resource) replaces the old one at the limit', async () => {
    await start(2);
    await h.bind(ALICE, 'phone');
    const desktop = await h.bind(ALICE, 'desktop');
    const again = await h.bind(ALICE, 'desktop', 'gw2');
    expect(again.resource).toBe('desktop');
    await h.settle();
    expect(desktop.kicked).toBe('conflict');
    expect(h.registry.sessionCount()).toBe(2);
  });

  it('a XEP-0198 resumption at the limit moves the session and does not count it again', async () => {
    await start(2);
    await h.bind(ALICE, 'phone');
    const desktop = await h.bind(ALICE, 'desktop');
    const resumed = await bindReply({
      resource: 'desktop',
      gw: 'gw2',
      conn: 'gw2-resumed',
      takeover: desktop.conn,
    });
    expect(resumed).toMatchObject({ ok: true, jid: `${ALICE}/desktop` });
    expect(h.registry.sessionCount()).toBe(2);
  });

  it('at the limit the oldest detached session gives way to a new one', async () => {
    await start(2);
    const phone = await h.bind(ALICE, 'phone');
    const desktop = await h.bind(ALICE, 'desktop');
    h.publish(ALICE, { t: 'session-resumable', jid: phone.jid, conn: phone.conn });
    h.publish(ALICE, { t: 'session-detached', jid: phone.jid, conn: phone.conn });
    await h.settle();
    const fresh = await h.bind(ALICE, 'phone2');
    await h.settle();
    expect(phone.kicked).toBe('policy-violation');
    expect(desktop.kicked).toBeUndefined();
    expect(fresh.resource).toBe('phone2');
    expect(h.registry.sessionCount()).toBe(2);
    // The given-up session cannot be resumed any more.
    expect(
      await bindReply({ resource: 'phone', gw: 'gw2', conn: 'gw2-late', takeover: phone.conn }),
    ).toMatchObject({ ok: false, condition: 'not-allowed' });
  });

  it('0 means unlimited', async () => {
    await start(0);
    for (let i = 0; i < 20; i++) await h.bind(ALICE, `r${i}`);
    expect(h.registry.sessionCount()).toBe(20);
  });
});

describe('roomForResource', () => {
  const entry = (resource: string, boundAt: number, detached = false): SessionEntry => ({
    resource,
    gw: 'gw',
    conn: resource,
    available: false,
    priority: 0,
    interested: false,
    directed: new Set(),
    boundAt,
    ...(detached ? { flags: { detached: true } } : {}),
  });

  it('evicts only when detached sessions make enough room, oldest first', () => {
    const s = [entry('a', 3, true), entry('b', 1, true), entry('c', 2)];
    expect(roomForResource(s, 4)).toEqual({ ok: true, evict: [] });
    expect(roomForResource(s, 3)).toEqual({ ok: true, evict: [s[1]] });
    expect(roomForResource(s, 2)).toEqual({ ok: true, evict: [s[1], s[0]] });
    expect(roomForResource(s, 1)).toMatchObject({ ok: false, condition: 'resource-constraint' });
    expect(roomForResource(s, 0)).toEqual({ ok: true, evict: [] });
  });
});
