/**
 * XEP-0215 external services against a real TURN server: Debian's coturn
 * with a shared secret; a user (@xmpp/client) asks the server for its
 * services, gets a TURN service with time-limited credentials, and those
 * credentials allocate a relay on coturn (turnutils_uclient); tampered ones
 * do not. Credentials can also be asked for one service.
 */
import { xml } from '@xmpp/client';
import type { Element } from '@xmpp/client';
import { hasBinary, startTurnServer } from '@parley/testkit';
import type { TurnServer } from '@parley/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from './harness.js';
import type { TestServer } from './harness.js';
import { connect } from './xmppjs.js';
import type { XmppClient } from './xmppjs.js';

const NS = 'urn:xmpp:extdisco:2';
const SECRET = 'turn-shared-secret';
const canRun = hasBinary('turnserver') && hasBinary('turnutils_uclient');

describe.skipIf(!canRun)('XEP-0215: STUN/TURN services with TURN REST credentials (coturn)', () => {
  let turn: TurnServer;
  let t: TestServer;
  let alice: XmppClient;

  beforeAll(async () => {
    turn = await startTurnServer({ secret: SECRET });
    t = await startTestServer({
      extdisco: {
        services: [`stun:127.0.0.1:${turn.port}`, `turn:127.0.0.1:${turn.port}?transport=udp`],
        secret: SECRET,
      },
    });
    await t.addUser('alice');
    alice = await connect({ port: t.port, username: 'alice', resource: 'call' });
  }, 30_000);

  afterAll(async () => {
    await alice?.stop().catch(() => undefined);
    await t?.stop();
    await turn?.stop();
  });

  const get = async (payload: Element): Promise<Element> =>
    (await alice.iqCaller.get(payload, 'localhost')) as Element;

  it('advertises the feature and lists the services; the TURN credentials allocate a relay', async () => {
    const info = await get(xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }));
    expect(info.getChildren('feature').map((f) => f.attrs.var)).toContain(NS);

    const services = (await get(xml('services', { xmlns: NS }))).getChildren('service');
    expect(services.map((s) => s.attrs.type)).toEqual(['stun', 'turn']);
    const stun = services[0]!;
    expect(stun.attrs).toMatchObject({
      host: '127.0.0.1',
      port: String(turn.port),
      transport: 'udp',
    });
    expect(stun.attrs.username).toBeUndefined();
    const turnService = services[1]!;
    expect(turnService.attrs.username).toMatch(/^\d+:alice@localhost$/);
    expect(turnService.attrs.restricted).toBe('1');
    expect(Date.parse(turnService.attrs.expires as string)).toBeGreaterThan(Date.now());

    expect(await turn.allocate(turnService.attrs.username!, turnService.attrs.password!)).toBe(
      true,
    );
    expect(
      await turn.allocate(turnService.attrs.username!, 'AAAA' + turnService.attrs.password!),
    ).toBe(false);
    // The username names the expiry: moving it invalidates the password.
    const [expiry, user] = (turnService.attrs.username as string).split(':');
    expect(
      await turn.allocate(`${Number(expiry) + 3600}:${user}`, turnService.attrs.password!),
    ).toBe(false);
  }, 60_000);

  it('filters by type and hands out credentials for one named service', async () => {
    const turnOnly = await get(xml('services', { xmlns: NS, type: 'turn' }));
    expect(turnOnly.getChildren('service').map((s) => s.attrs.type)).toEqual(['turn']);
    const creds = await get(
      xml('credentials', { xmlns: NS }, xml('service', { host: '127.0.0.1', type: 'turn' })),
    );
    const s = creds.getChild('service')!;
    expect(await turn.allocate(s.attrs.username!, s.attrs.password!)).toBe(true);
    await expect(
      get(
        xml(
          'credentials',
          { xmlns: NS },
          xml('service', { host: 'elsewhere.example', type: 'turn' }),
        ),
      ),
    ).rejects.toMatchObject({ condition: 'item-not-found' });
  }, 60_000);
});
