/**
 * The admin API end to end: accounts created through the API log in with
 * @xmpp/client; messages and stanzas sent through the API reach them;
 * sessions are listed, given presence and kicked; rosters change with
 * pushes to the connected client; the archive is read back.
 */
import { xml } from '@xmpp/client';
import type { Element } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TOKENS, startAdminTestServer } from './admin-api-harness.js';
import { WAIT } from './harness.js';
import type { AdminTestServer } from './admin-api-harness.js';
import { connect, waitFor } from './xmppjs.js';
import type { XmppClient } from './xmppjs.js';

const ROSTER = 'jabber:iq:roster';

describe('admin API end to end with @xmpp/client', () => {
  let t: AdminTestServer;
  const clients: XmppClient[] = [];
  const open = async (username: string, resource: string, password = 'secret') => {
    const c = await connect({ port: t.port, username, resource, password });
    clients.push(c);
    return c;
  };
  const closed = (c: XmppClient) =>
    new Promise<void>((resolve) => {
      c.on('disconnect', () => resolve());
      c.on('offline', () => resolve());
    });

  beforeAll(async () => {
    t = await startAdminTestServer();
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.stop()));
    await t.stop();
  });

  it('registers a user through the API, who then logs in', async () => {
    const created = await t.api('POST', '/api/users', { jid: 'Alice@localhost', password: 'pw-a' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ jid: 'alice@localhost', banned: false });
    expect(
      (await t.api('POST', '/api/users', { jid: 'alice@localhost', password: 'x' })).status,
    ).toBe(409);
    for (const u of ['bob', 'carol', 'dave'])
      await t.api('POST', '/api/users', { jid: `${u}@localhost`, password: 'secret' });
    const alice = await open('alice', 'laptop', 'pw-a');
    expect(alice.jid?.toString()).toBe('alice@localhost/laptop');
  });

  it('sends a chat message and a headline as any JID; the client receives them', async () => {
    const bob = await open('bob', 'phone');
    await bob.send(xml('presence'));
    await vi.waitFor(async () => {
      const r = await t.api('GET', '/api/users/bob@localhost/sessions');
      expect((r.body as { items: Array<{ available: boolean }> }).items[0]?.available).toBe(true);
    }, WAIT);
    const got = waitFor(
      bob,
      (el) => el.is('message') && el.getChildText('body') === 'hello from the API',
    );
    const sent = await t.api('POST', '/api/messages', {
      from: 'alice@localhost',
      to: 'bob@localhost',
      body: 'hello from the API',
    });
    expect(sent.status).toBe(202);
    const m = await got;
    expect(m.attrs.from).toBe('alice@localhost');
    expect(m.attrs.type).toBe('chat');
    expect(m.attrs.id).toBe((sent.body as { id: string }).id);

    const headline = waitFor(bob, (el) => el.is('message') && el.attrs.type === 'headline');
    const h = await t.api('POST', '/api/messages', {
      from: 'news.example.org',
      to: 'bob@localhost/phone',
      body: 'breaking',
      type: 'headline',
      subject: 'News',
    });
    expect(h.status).toBe(202);
    const hm = await headline;
    expect(hm.attrs.from).toBe('news.example.org');
    expect(hm.getChildText('subject')).toBe('News');
  });

  it('routes a raw stanza', async () => {
    const bob = clients[1]!;
    const got = waitFor(bob, (el) => el.is('message') && el.getChildText('body') === 'raw');
    const res = await t.api('POST', '/api/stanzas', {
      stanza:
        "<message xmlns='jabber:client' from='carol@localhost/x' to='bob@localhost' type='normal' id='r1'><body>raw</body></message>",
    });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ id: 'r1' });
    expect((await got).attrs.from).toBe('carol@localhost/x');
    const bad = await t.api('POST', '/api/stanzas', {
      stanza: '<message to="bob@localhost"><body>x</body></message>',
    });
    expect(bad.status).toBe(400);
    const notXml = await t.api('POST', '/api/stanzas', { stanza: '<message' });
    expect(notXml.status).toBe(400);
  });

  it('reads the last messages of a user from the archive, newest first, with paging', async () => {
    await vi.waitFor(async () => {
      const r = await t.api('GET', '/api/users/bob@localhost/messages?limit=1');
      expect((r.body as { items: unknown[] }).items).toHaveLength(1);
    }, WAIT);
    const all = await t.api('GET', '/api/users/bob@localhost/messages');
    const items = (all.body as { items: Array<{ body?: string; with: string }> }).items;
    expect(items[0]).toMatchObject({ body: 'raw', with: 'carol@localhost' });
    // Headlines are not archived (XEP-0313 section 5.1.1).
    expect(items.map((i) => i.body)).toEqual(['raw', 'hello from the API']);
    const p1 = (await t.api('GET', '/api/users/bob@localhost/messages?limit=1')).body as {
      items: unknown[];
      next: string;
    };
    expect(p1.items).toHaveLength(1);
    const p2 = (await t.api('GET', `/api/users/bob@localhost/messages?limit=1&after=${p1.next}`))
      .body as { items: Array<{ body: string }>; next?: string };
    expect(p2.items.map((i) => i.body)).toEqual(['hello from the API']);
    expect(p2.next).toBeUndefined();
    const withAlice = (await t.api('GET', '/api/users/bob@localhost/messages?with=alice@localhost'))
      .body as { items: unknown[] };
    expect(withAlice.items).toHaveLength(1);
  });

  it('lists and counts sessions on every worker and per user, and sets presence', async () => {
    const list = await t.api('GET', '/api/sessions');
    expect(list.status).toBe(200);
    const body = list.body as { items: Array<{ jid: string }>; complete: boolean };
    expect(body.complete).toBe(true);
    expect(body.items.map((s) => s.jid)).toEqual(['alice@localhost/laptop', 'bob@localhost/phone']);
    const page1 = (await t.api('GET', '/api/sessions?limit=1')).body as {
      items: Array<{ jid: string }>;
      next: string;
    };
    expect(page1.items.map((s) => s.jid)).toEqual(['alice@localhost/laptop']);
    const page2 = (
      await t.api('GET', `/api/sessions?limit=1&after=${encodeURIComponent(page1.next)}`)
    ).body as { items: Array<{ jid: string }>; next?: string };
    expect(page2.items.map((s) => s.jid)).toEqual(['bob@localhost/phone']);
    expect(page2.next).toBeUndefined();
    expect((await t.api('GET', '/api/sessions/count')).body).toEqual({
      sessions: 2,
      users: 2,
      complete: true,
    });
    expect((await t.api('GET', '/api/sessions/count?domain=example.net')).body).toEqual({
      sessions: 0,
      complete: true,
    });
    const scoped = await t.api('GET', '/api/sessions', undefined, TOKENS.scoped);
    expect((scoped.body as { items: unknown[] }).items).toEqual([]);

    const alice = clients[0]!;
    await t.api('PUT', '/api/users/alice@localhost/roster/bob@localhost/mutual', {});
    const seen = waitFor(
      alice,
      (el) =>
        el.is('presence') &&
        el.attrs.from === 'bob@localhost/phone' &&
        el.getChildText('show') === 'dnd',
    );
    await alice.send(xml('presence'));
    const set = await t.api('PUT', '/api/users/bob@localhost/sessions/phone/presence', {
      show: 'dnd',
      status: 'in a meeting',
      priority: 5,
    });
    expect(set.status).toBe(204);
    const p = await seen;
    expect(p.getChildText('status')).toBe('in a meeting');
    const mine = (await t.api('GET', '/api/users/bob@localhost/sessions')).body as {
      items: Array<Record<string, unknown>>;
    };
    expect(mine.items).toEqual([
      expect.objectContaining({
        jid: 'bob@localhost/phone',
        available: true,
        show: 'dnd',
        status: 'in a meeting',
        priority: 5,
      }),
    ]);
    expect((await t.api('PUT', '/api/users/bob@localhost/sessions/nope/presence', {})).status).toBe(
      404,
    );
  });

  it('kicks one session: the client sees its stream closed', async () => {
    const c = await open('carol', 'desk');
    const gone = closed(c);
    const res = await t.api(
      'DELETE',
      '/api/users/carol@localhost/sessions/desk?reason=maintenance',
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ kicked: 1 });
    await gone;
    await vi.waitFor(async () => {
      const r = await t.api('GET', '/api/users/carol@localhost/sessions');
      expect((r.body as { items: unknown[] }).items).toHaveLength(0);
    }, WAIT);
    expect((await t.api('DELETE', '/api/users/carol@localhost/sessions/desk')).status).toBe(404);
  });

  it('kicks every session of a user', async () => {
    const a = await open('dave', 'one');
    const b = await open('dave', 'two');
    const gone = Promise.all([closed(a), closed(b)]);
    const res = await t.api('DELETE', '/api/users/dave@localhost/sessions');
    expect(res.body).toEqual({ kicked: 2 });
    await gone;
  });

  it('bans a user (sessions closed, login refused) and lifts the ban', async () => {
    const c = await open('dave', 'again');
    const gone = closed(c);
    const ban = await t.api('PUT', '/api/users/dave@localhost/ban', { reason: 'spam' });
    expect(ban.status).toBe(200);
    expect(ban.body).toEqual({ kicked: 1 });
    await gone;
    expect((await t.api('GET', '/api/users/dave@localhost')).body).toMatchObject({ banned: true });
    await expect(connect({ port: t.port, username: 'dave', resource: 'r' })).rejects.toThrow();
    expect((await t.api('DELETE', '/api/users/dave@localhost/ban')).status).toBe(204);
    const back = await open('dave', 'back');
    expect(back.jid?.toString()).toBe('dave@localhost/back');
  });

  it('changes the roster with pushes to the connected client', async () => {
    const alice = clients[0]!;
    await alice.iqCaller.get(xml('query', { xmlns: ROSTER })); // interested in pushes
    const push = waitFor(
      alice,
      (el: Element) =>
        el.is('iq') &&
        el.attrs.type === 'set' &&
        el.getChild('query', ROSTER)?.getChild('item')?.attrs.jid === 'carol@localhost',
    );
    const add = await t.api('PUT', '/api/users/alice@localhost/roster/carol@localhost', {
      name: 'Carol',
      groups: ['Friends'],
    });
    expect(add.status).toBe(204);
    const item = (await push).getChild('query', ROSTER)!.getChild('item')!;
    expect(item.attrs.name).toBe('Carol');
    expect((await t.api('GET', '/api/users/alice@localhost/roster/carol@localhost')).body).toEqual({
      jid: 'carol@localhost',
      name: 'Carol',
      subscription: 'none',
      groups: ['Friends'],
    });
    const roster = (await t.api('GET', '/api/users/alice@localhost/roster')).body as {
      items: Array<{ jid: string; subscription: string }>;
    };
    expect(roster.items).toEqual([
      expect.objectContaining({ jid: 'bob@localhost', subscription: 'both' }),
      expect.objectContaining({ jid: 'carol@localhost', subscription: 'none' }),
    ]);
    const page = (await t.api('GET', '/api/users/alice@localhost/roster?limit=1')).body as {
      items: Array<{ jid: string }>;
      next: string;
    };
    expect(page).toMatchObject({ items: [{ jid: 'bob@localhost' }], next: 'bob@localhost' });

    const req = await t.api(
      'POST',
      '/api/users/alice@localhost/roster/carol@localhost/subscription',
      { action: 'subscribe' },
    );
    expect(req.status).toBe(202);
    await vi.waitFor(async () => {
      const r = await t.api('GET', '/api/users/carol@localhost/roster/alice@localhost');
      expect((r.body as { pendingIn?: boolean } | undefined)?.pendingIn).toBe(true);
    }, WAIT);
    await t.api('POST', '/api/users/carol@localhost/roster/alice@localhost/subscription', {
      action: 'subscribed',
    });
    await vi.waitFor(async () => {
      const r = await t.api('GET', '/api/users/alice@localhost/roster/carol@localhost');
      expect((r.body as { subscription: string }).subscription).toBe('to');
    }, WAIT);

    const removed = waitFor(
      alice,
      (el: Element) =>
        el.is('iq') &&
        el.getChild('query', ROSTER)?.getChild('item')?.attrs.subscription === 'remove',
    );
    expect(
      (await t.api('DELETE', '/api/users/alice@localhost/roster/carol@localhost')).status,
    ).toBe(204);
    await removed;
    expect((await t.api('GET', '/api/users/alice@localhost/roster/carol@localhost')).status).toBe(
      404,
    );
    expect(
      (await t.api('DELETE', '/api/users/alice@localhost/roster/nobody@localhost')).status,
    ).toBe(404);
  });

  it('sets and removes mutual subscriptions, also for many users at once', async () => {
    expect(
      (
        await t.api('POST', '/api/roster/subscribe-all-to-all', {
          users: ['bob@localhost', 'carol@localhost', 'dave@localhost'],
        })
      ).status,
    ).toBe(204);
    for (const [a, b] of [
      ['bob', 'carol'],
      ['carol', 'dave'],
      ['dave', 'bob'],
    ])
      expect(
        (await t.api('GET', `/api/users/${a}@localhost/roster/${b}@localhost`)).body,
      ).toMatchObject({ subscription: 'both' });
    expect(
      (
        await t.api('POST', '/api/users/alice@localhost/roster/subscribe-all', {
          contacts: ['carol@localhost', 'dave@localhost'],
        })
      ).status,
    ).toBe(204);
    expect(
      (await t.api('GET', '/api/users/dave@localhost/roster/alice@localhost')).body,
    ).toMatchObject({ subscription: 'both' });
    expect(
      (await t.api('DELETE', '/api/users/alice@localhost/roster/dave@localhost/mutual')).status,
    ).toBe(204);
    await vi.waitFor(
      async () =>
        expect(
          (await t.api('GET', '/api/users/dave@localhost/roster/alice@localhost')).status,
        ).toBe(404),
      WAIT,
    );
    expect((await t.api('GET', '/api/users/alice@localhost/roster/dave@localhost')).status).toBe(
      404,
    );
    expect(
      (await t.api('PUT', '/api/users/alice@localhost/roster/alice@localhost/mutual', {})).status,
    ).toBe(400);
    expect(
      (await t.api('PUT', '/api/users/alice@localhost/roster/ghost@localhost/mutual', {})).status,
    ).toBe(404);
  });

  it('reports online users, per node and per gateway, and messages per second', async () => {
    const s = (await t.api('GET', '/api/stats')).body as Record<string, unknown>;
    expect(s).toMatchObject({ registeredUsers: 4, complete: true });
    expect(s['onlineSessions']).toBeGreaterThanOrEqual(2);
    expect(s['nodes']).toEqual([expect.objectContaining({ node: 'test', partitions: 64 })]);
    expect(s['gateways']).toEqual([expect.objectContaining({ sessions: s['onlineSessions'] })]);
    expect(typeof s['messagesPerSecond']).toBe('number');
  });

  it('removes a user: its sessions close and its data goes', async () => {
    const c = clients.find((x) => x.jid?.toString() === 'dave@localhost/back')!;
    const gone = closed(c);
    expect((await t.api('DELETE', '/api/users/dave@localhost')).status).toBe(204);
    await gone;
    expect((await t.api('GET', '/api/users/dave@localhost')).status).toBe(404);
    // Contacts are unsubscribed (RFC 6121 2.5.2): the item stays, with subscription none.
    await vi.waitFor(async () => {
      const r = await t.api('GET', '/api/users/carol@localhost/roster/dave@localhost');
      expect((r.body as { subscription: string }).subscription).toBe('none');
    }, WAIT);
    expect((await t.api('DELETE', '/api/users/dave@localhost')).status).toBe(404);
  });
});
