/**
 * SASL2 / Bind2 / FAST against the real session registry (all-in-one
 * server): inline carbons go through the registry's carbons module, and the
 * server's XEP-0115 caps in the stream features are the verification
 * string of the disco#info a client gets. The client is the gateway tests'
 * raw client written against the XEPs.
 */
import { describe, expect, it, vi } from 'vitest';
import { NS_CAPS, NS_CARBONS, NS_SM, capsVer } from '@parley/stanza';
import { xml as jsXml } from '@xmpp/client';
import { parseXml, xml } from '@parley/xml';
import { TestClient } from '../../gateway/test/helpers/test-client.js';
import {
  NS_BIND2,
  bindRequest,
  sasl2Fast,
  sasl2Scram,
  tokenOf,
} from '../../gateway/test/helpers/sasl2-client.js';
import { NS_DISCO_INFO, isMessage, useScenario } from './scenario-helpers.js';

const NS_FAST = 'urn:xmpp:fast:0';

describe('SASL2, Bind2 and FAST with the session registry', () => {
  const s = useScenario();

  async function tlsStream(): Promise<TestClient> {
    const client = await TestClient.connect(s.t.port);
    await client.open();
    await client.starttls();
    await client.open();
    return client;
  }

  it('offers the server caps in the stream features: the ver a client computes from the disco#info', async () => {
    const [alice] = await s.users('alice');
    const a = await s.login(alice!);
    const info = await a.iq('get', 'localhost', jsXml('query', { xmlns: NS_DISCO_INFO }));
    const query = parseXml(info.toString()).getChild('query', NS_DISCO_INFO)!;
    const ver = capsVer(query);
    // The gateway learns it from the registry shortly after start.
    await vi.waitFor(
      async () => {
        const client = await TestClient.connect(s.t.port);
        const features = await client.open();
        client.close();
        const c = features.getChild('c', NS_CAPS);
        expect(c?.attr('hash')).toBe('sha-1');
        expect(c?.attr('node')).toBeTruthy();
        expect(c?.attr('ver')).toBe(ver);
      },
      { timeout: 10_000, interval: 200 },
    );
  });

  it('enables carbons inline in Bind2 through the registry, without writing its answer to the client', async () => {
    const [alice, bob] = await s.users('alice', 'bob');
    const bobLocal = bob!.slice(0, bob!.indexOf('@'));
    const raw = await tlsStream();
    const login = await sasl2Scram(raw, bobLocal, 'secret', {
      agent: 'bob-raw',
      inline: [
        bindRequest('Raw', xml('enable', { xmlns: NS_CARBONS }), xml('enable', { xmlns: NS_SM })),
        xml('request-token', { xmlns: NS_FAST, mechanism: 'HT-SHA-256-NONE' }),
      ],
    });
    expect(login.result.getChild('bound', NS_BIND2)?.getChild('enabled', NS_SM)).toBeDefined();
    const rawJid = login.result.getChildText('authorization-identifier')!;
    raw.send(xml('presence'));
    const other = await s.login(bob!, { priority: 0 });
    const a = await s.login(alice!, { priority: 0 });
    await a.send(
      jsXml('message', { to: other.jid, type: 'chat', id: 'c1' }, jsXml('body', null, 'copied?')),
    );
    await other.next(isMessage({ body: 'copied?' }), 4000, 'the message');
    const carbon = await raw.nextMatching(
      (el) => el.name === 'message' && el.getChild('received', NS_CARBONS) !== undefined,
      'the carbon copy',
    );
    expect(carbon.attr('to')).toBe(rawJid);
    // Positive marker: a ping to the server; nothing but its answer (no carbons IQ result) before it.
    raw.send(xml('iq', { type: 'get', id: 'ping1' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    const iq = await raw.nextMatching((el) => el.name === 'iq', 'an IQ');
    expect(iq.attr('id')).toBe('ping1');
    raw.close();

    // And the token of that login authenticates in one round trip with the real stores.
    const again = await tlsStream();
    const out = await sasl2Fast(again, bobLocal, tokenOf(login.result)!.token, {
      agent: 'bob-raw',
      inline: [bindRequest('Raw')],
    });
    expect(out.result.getChildText('authorization-identifier')).toBe(rawJid);
    again.close();
  });
});
