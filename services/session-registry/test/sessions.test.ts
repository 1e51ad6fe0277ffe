/**
 * Sessions as the registry keeps them (RFC 6120 section 7: bind, conflict,
 * generated resources; unbind; account removal) and the IQs the server
 * answers itself (RFC 6120 8.2.3, 10.3.3), over the bus with the registry
 * alone.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { badRequest } from '@parley/stanza';
import type { FakeSession, HarnessOptions } from './harness.js';
import { DOMAIN, Harness, brief, errorCondition, jidOf, pushes } from './harness.js';

const ALICE = jidOf('alice');
const BOB = jidOf('bob');

let h: Harness;
let bob: FakeSession;

async function start(opts: HarnessOptions = {}): Promise<void> {
  h = await Harness.start({ accounts: ['alice', 'bob'], ...opts });
  bob = await h.online(BOB, 'b');
}
afterEach(async () => {
  expect(h.problems()).toEqual([]);
  await h.close();
});

const chat = (to: string, body: string) =>
  `<message xmlns='jabber:client' to='${to}' type='chat' id='${body}'><body>${body}</body></message>`;

describe('RFC 6120 7: resource binding', () => {
  it('RFC 6120 7.7.2.2: binding a resource bound elsewhere takes it over; the old connection is closed with conflict', async () => {
    await start();
    await h.setItem(ALICE, BOB, { subscription: 'both' });
    await h.setItem(BOB, ALICE, { subscription: 'both' });
    const old = await h.online(ALICE, 'phone');
    await bob.drain();
    const fresh = await h.bind(ALICE, 'phone');
    expect(fresh.jid).toBe(`${ALICE}/phone`);
    await h.settle();
    expect(old.kicked).toBe('conflict');
    // The old session was available: its contacts see it go.
    expect((await bob.drain()).map(brief)).toEqual([
      `presence:unavailable ${ALICE}/phone -> ${BOB}`,
    ]);
    // The resource now belongs to the new connection.
    fresh.presence();
    await fresh.drain();
    bob.send(chat(`${ALICE}/phone`, 'to the new one'));
    expect((await fresh.drain()).map((e) => e.getChildText('body'))).toEqual(['to the new one']);
    expect(old.received.filter((e) => e.name === 'message')).toEqual([]);
    expect(h.registry.sessionCount()).toBe(2);
  });

  it('RFC 6120 7.7.2.2: the late unbind of the replaced connection does not end the new session', async () => {
    await start();
    const old = await h.bind(ALICE, 'r');
    const fresh = await h.bind(ALICE, 'r');
    fresh.presence();
    await fresh.drain();
    expect(old.kicked).toBe('conflict'); // the harness's gateway unbinds a kicked connection
    bob.send(chat(ALICE, 'still here'));
    expect((await fresh.drain()).map((e) => e.getChildText('body'))).toEqual(['still here']);
  });

  it('RFC 6120 7.6.2.1: without a resource the server generates one, different each time', async () => {
    await start();
    const a = await h.bind(ALICE, '');
    const b = await h.bind(ALICE, '');
    expect(a.resource).toMatch(/^[A-Za-z0-9_-]{8}$/);
    expect(b.resource).not.toBe(a.resource);
    expect(a.kicked).toBeUndefined();
    expect(h.registry.sessionCount()).toBe(3);
  });

  it('RFC 6120 7.6.2.2: an account that does not exist, or is banned, cannot bind', async () => {
    await start();
    await expect(h.bind(jidOf('nobody'), 'r')).rejects.toThrow(/not-allowed/);
    const banned = await h.createAccount('mallory');
    const account = (await h.stores.accounts.get(banned))!;
    expect(await h.stores.accounts.update({ ...account, banned: true })).toBe(true);
    await expect(h.bind(banned, 'r')).rejects.toThrow(/not-allowed/);
    expect(h.registry.sessionCount()).toBe(1);
  });

  it('RFC 6120 7: unbind ends the session: its full JID no longer receives anything', async () => {
    await start();
    const a = await h.online(ALICE, 'a');
    a.unbind();
    await h.settle();
    expect(h.registry.sessionCount()).toBe(1);
    bob.send(
      `<iq xmlns='jabber:client' type='get' id='v' to='${ALICE}/a'><query xmlns='jabber:iq:version'/></iq>`,
    );
    expect((await bob.drain()).map(errorCondition)).toEqual(['service-unavailable']);
  });
});

describe('account removal', () => {
  it('a removed account: its sessions are closed (not-authorized), its contacts unsubscribed, its data deleted', async () => {
    await start();
    await h.setItem(ALICE, BOB, { subscription: 'both' });
    await h.setItem(BOB, ALICE, { subscription: 'both' });
    const a = await h.online(ALICE, 'a');
    await h.stores.offline.push(ALICE, chat(ALICE, 'old'), 0, 10);
    await bob.drain();
    await h.stores.accounts.delete(ALICE);
    h.publish(ALICE, { t: 'account-removed', jid: ALICE });
    await h.settle();
    expect(a.kicked).toBe('not-authorized');
    expect(h.registry.sessionCount()).toBe(1);
    const atBob = await bob.drain();
    expect(atBob.filter((e) => e.name === 'presence').map(brief)).toEqual([
      `presence:unavailable ${ALICE}/a -> ${BOB}`,
      `presence:unsubscribe ${ALICE} -> ${BOB}`,
      `presence:unsubscribed ${ALICE} -> ${BOB}`,
    ]);
    expect(pushes(atBob).map((i) => i.attr('subscription'))).toContain('none');
    expect((await h.stores.rosters.get(ALICE)).items).toEqual([]);
    expect(await h.stores.offline.count(ALICE)).toBe(0);
  });

  it('account-removed for an account that still exists is refused: nothing happens', async () => {
    await start();
    const a = await h.online(ALICE, 'a');
    await h.setItem(ALICE, BOB, { subscription: 'both' });
    h.publish(ALICE, { t: 'account-removed', jid: ALICE });
    await h.settle();
    expect(a.kicked).toBeUndefined();
    expect((await h.stores.rosters.get(ALICE)).items).toHaveLength(1);
    expect(h.takeLogs('destructive bus message refused')).toHaveLength(1);
  });
});

describe('RFC 6120 8.2.3 / 10.3.3: IQs the server answers', () => {
  const failing: NonNullable<HarnessOptions['modules']> = (builtin) => [
    ...builtin,
    {
      name: 'test-failing',
      xeps: [],
      register(ctx) {
        ctx.serverIq('get', 'urn:test:throws', async () => {
          throw new Error('a bug in a handler');
        });
        ctx.serverIq('get', 'urn:test:refuses', async () => {
          throw badRequest('not like that');
        });
        ctx.accountIq('get', 'urn:test:throws', async () => {
          throw new TypeError('another bug');
        });
      },
    },
  ];
  const iq = (to: string, ns: string, id: string, type = 'get') =>
    `<iq xmlns='jabber:client' type='${type}' id='${id}' to='${to}'><query xmlns='${ns}'/></iq>`;

  it('RFC 6120 8.4: an IQ to the server in an unknown namespace gets service-unavailable from the server', async () => {
    await start();
    bob.send(iq(DOMAIN, 'urn:example:nothing', 'u1'));
    const [reply, ...rest] = await bob.drain();
    expect(rest).toEqual([]);
    expect(brief(reply!)).toBe(`iq:error ${DOMAIN} -> ${bob.jid}`);
    expect(reply!.attr('id')).toBe('u1');
    expect(errorCondition(reply!)).toBe('service-unavailable');
  });

  it('RFC 6120 8.2.3: IQ results and errors sent to the server are not answered', async () => {
    await start();
    bob.send(`<iq xmlns='jabber:client' type='result' id='r1' to='${DOMAIN}'/>`);
    bob.send(
      `<iq xmlns='jabber:client' type='error' id='r2' to='${DOMAIN}'><error type='cancel'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`,
    );
    expect(await bob.drain()).toEqual([]);
  });

  it('a handler that throws answers internal-server-error for that stanza only; the next IQ is served', async () => {
    await start({ modules: failing });
    bob.send(iq(DOMAIN, 'urn:test:throws', 'x1'));
    bob.send(
      iq(DOMAIN, 'urn:xmpp:ping', 'x2').replace(
        "<query xmlns='urn:xmpp:ping'/>",
        "<ping xmlns='urn:xmpp:ping'/>",
      ),
    );
    bob.send(iq(BOB, 'urn:test:throws', 'x3'));
    const got = await bob.drain();
    expect(
      got.map((e) => `${e.attr('id')} ${e.attr('type')} ${errorCondition(e) ?? ''}`.trim()),
    ).toEqual(['x1 error internal-server-error', 'x2 result', 'x3 error internal-server-error']);
    expect(got[2]!.attr('from')).toBe(BOB);
    // Logged (at error), not swallowed.
    expect(h.takeLogs('iq handler failed')).toHaveLength(2);
  });

  it('a handler that throws a StanzaError answers with that condition', async () => {
    await start({ modules: failing });
    bob.send(iq(DOMAIN, 'urn:test:refuses', 'y1'));
    const [reply] = await bob.drain();
    expect(errorCondition(reply!)).toBe('bad-request');
    expect(
      reply!.getChild('error')?.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas'),
    ).toBe('not like that');
  });
});
