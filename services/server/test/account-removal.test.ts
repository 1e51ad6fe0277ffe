import { xml } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WAIT, startTestServer } from './harness.js';
import type { TestServer } from './harness.js';
import { connect, waitFor } from './xmppjs.js';

describe('XEP-0077 account removal deletes the account data', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ registration: { enabled: true } });
    await t.addUser('eve');
    await t.addUser('fay');
  });
  afterAll(async () => {
    await t.stop();
  });

  it('removes roster, offline queue and blocklist, and unsubscribes the contacts', async () => {
    const { rosters, offline, blocklists, accounts } = t.server.stores;
    // eve and fay are subscribed both ways; fay has a blocklist; eve has a stored message.
    await rosters.setItem('eve@localhost', {
      jid: 'fay@localhost',
      subscription: 'both',
      groups: [],
      listed: true,
    });
    await rosters.setItem('fay@localhost', {
      jid: 'eve@localhost',
      subscription: 'both',
      groups: [],
      listed: true,
    });
    await offline.push(
      'fay@localhost',
      '<message xmlns="jabber:client" to="fay@localhost"><body>x</body></message>',
      Date.now(),
      10,
    );
    await blocklists.add('fay@localhost', ['spam@example.org']);

    const eve = await connect({ port: t.port, username: 'eve', resource: 'r' });
    await eve.send(xml('presence'));
    const fay = await connect({ port: t.port, username: 'fay', resource: 'r' });
    const unsubscribed = waitFor(
      eve,
      (el) =>
        el.is('presence') && el.attrs.type === 'unsubscribed' && el.attrs.from === 'fay@localhost',
    );
    // The server answers, then closes the stream (the account is gone).
    await fay.send(
      xml(
        'iq',
        { type: 'set', id: 'rm1' },
        xml('query', { xmlns: 'jabber:iq:register' }, xml('remove')),
      ),
    );
    await unsubscribed;
    await fay.stop().catch(() => undefined);

    expect(await accounts.get('fay@localhost')).toBeUndefined();
    await vi.waitFor(
      async () => expect((await rosters.get('fay@localhost')).items).toHaveLength(0),
      WAIT,
    );
    await vi.waitFor(
      async () => expect(await blocklists.get('fay@localhost')).toHaveLength(0),
      WAIT,
    );
    expect(await offline.count('fay@localhost')).toBe(0);
    await vi.waitFor(
      async () =>
        expect((await rosters.getItem('eve@localhost', 'fay@localhost'))?.subscription).toBe(
          'none',
        ),
      WAIT,
    );
    await eve.stop();
  });
});
