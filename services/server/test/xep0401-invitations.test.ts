/**
 * XEP-0401 invitations made by users with ad-hoc commands (XEP-0050) on a
 * running server, with @xmpp/client: the command list, the invite command,
 * the administrator's create-account form; the tokens land in the store.
 */
import { xml } from '@xmpp/client';
import type { Element } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from './harness.js';
import type { TestServer } from './harness.js';
import { connect } from './xmppjs.js';
import type { XmppClient } from './xmppjs.js';

const COMMANDS = 'http://jabber.org/protocol/commands';
const ITEMS = 'http://jabber.org/protocol/disco#items';
const DATA = 'jabber:x:data';

const field = (x: Element | undefined, name: string) =>
  x
    ?.getChildren('field')
    .find((f) => f.attrs.var === name)
    ?.getChildText('value') ?? undefined;

describe('XEP-0401 ad-hoc invitations', () => {
  let t: TestServer;
  const clients: XmppClient[] = [];
  beforeAll(async () => {
    t = await startTestServer({
      registration: {
        enabled: true,
        invitations: { admins: ['admin@localhost'], landingUrl: 'https://localhost/i/#{token}' },
      },
    });
    for (const u of ['alice', 'admin']) await t.addUser(u);
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.stop()));
    await t.stop();
  });

  const login = async (username: string) => {
    const c = await connect({ port: t.port, username });
    clients.push(c);
    return c;
  };
  const commandsOf = async (c: XmppClient) => {
    const res = await c.iqCaller.get(xml('query', { xmlns: ITEMS, node: COMMANDS }), 'localhost');
    return res.getChildren('item').map((i) => i.attrs.node as string);
  };
  const execute = (c: XmppClient, node: string, ...children: Element[]) =>
    c.iqCaller.set(
      xml('command', { xmlns: COMMANDS, node, action: 'execute' }, ...children),
      'localhost',
    );

  it('lists the invite command to users and create-account to administrators only', async () => {
    const alice = await login('alice');
    expect(await commandsOf(alice)).toEqual(['urn:xmpp:invite#invite']);
    const admin = await login('admin');
    expect(await commandsOf(admin)).toEqual([
      'urn:xmpp:invite#invite',
      'urn:xmpp:invite#create-account',
    ]);
    await expect(execute(alice, 'urn:xmpp:invite#create-account')).rejects.toMatchObject({
      condition: 'forbidden',
    });
  });

  it('answers the invite command at once with the invitation form; the token is stored', async () => {
    const alice = await login('alice');
    const cmd = await execute(alice, 'urn:xmpp:invite#invite');
    expect(cmd.attrs.status).toBe('completed');
    const x = cmd.getChild('x', DATA);
    expect(field(x, 'FORM_TYPE')).toBe('urn:xmpp:invite#invitation');
    const uri = field(x, 'uri')!;
    // A user's invitation registers no account here (userInvites off).
    expect(uri).toMatch(/^xmpp:alice@localhost\?roster;preauth=[A-Za-z0-9_-]{32}$/);
    const token = uri.split('preauth=')[1]!;
    expect(field(x, 'landing-url')).toBe(`https://localhost/i/#${token}`);
    expect(Date.parse(field(x, 'expire')!) - Date.now()).toBeGreaterThan(6 * 86_400_000);
    expect(await t.server.stores.invitations.get(token, Date.now())).toMatchObject({
      inviter: 'alice@localhost',
      register: false,
      subscribe: true,
    });
  });

  it('gives administrators a form for an account invitation', async () => {
    const admin = await login('admin');
    const first = await execute(admin, 'urn:xmpp:invite#create-account');
    expect(first.attrs.status).toBe('executing');
    expect(field(first.getChild('x', DATA), 'FORM_TYPE')).toBe('urn:xmpp:invite#invitation');
    const done = await admin.iqCaller.set(
      xml(
        'command',
        {
          xmlns: COMMANDS,
          node: 'urn:xmpp:invite#create-account',
          sessionid: first.attrs.sessionid,
        },
        xml(
          'x',
          { xmlns: DATA, type: 'submit' },
          xml('field', { var: 'username' }, xml('value', {}, 'Juliet')),
          xml('field', { var: 'roster-subscription' }, xml('value', {}, 'true')),
        ),
      ),
      'localhost',
    );
    expect(done.attrs.status).toBe('completed');
    const uri = field(done.getChild('x', DATA), 'uri')!;
    expect(uri).toMatch(/^xmpp:juliet@localhost\?register;preauth=/);
    const token = uri.split('preauth=')[1]!;
    expect(await t.server.stores.invitations.get(token, Date.now())).toMatchObject({
      inviter: 'admin@localhost',
      username: 'juliet',
      register: true,
      subscribe: true,
    });
    expect(await t.server.stores.invitations.reservedBy('localhost', 'juliet', Date.now())).toBe(
      token,
    );
  });
});
