/**
 * The idle probe (c2s.idleTimeoutMs, c2s.idleProbeTimeoutMs; issue 15), with
 * short configured times: a bound stream that says nothing gets an XEP-0199
 * ping (an XEP-0198 ack request when it uses stream management); a client
 * that answers stays, a silent one is closed with connection-timeout and its
 * resumable session detaches.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NS_PING } from '@parley/stanza';
import type { Element } from '@parley/xml';
import { startHarness } from './helpers/harness.js';
import type { Harness } from './helpers/harness.js';
import { NS_SM, enableSm, smElement } from './helpers/sm.js';
import type { TestClient } from './helpers/test-client.js';

const IDLE_MS = 300;
const PROBE_MS = 300;

function ping(client: TestClient): Promise<Element> {
  return client.nextMatching(
    (e) => e.name === 'iq' && e.attr('type') === 'get' && e.getChild('ping', NS_PING) !== undefined,
    'the idle ping',
  );
}

describe('idle probe', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      configure: (c) => {
        c.c2s.idleTimeoutMs = IDLE_MS;
        c.c2s.idleProbeTimeoutMs = PROBE_MS;
      },
    });
    await h.createAccount('alice', 'secret');
  });
  afterAll(() => h.close());

  it('pings a quiet client; one that answers stays, and its answer is not routed', async () => {
    const { client, jid } = await h.login('alice', 'secret', 'answers');
    for (let round = 0; round < 2; round++) {
      const iq = await ping(client);
      expect(iq.attr('to')).toBe(jid);
      expect(iq.attr('from')).toBe('localhost');
      client.send(`<iq type='result' id='${iq.attr('id')}' to='localhost'/>`);
    }
    // Still open after two probes: a positive marker goes through.
    client.send(`<message to='bob@localhost' id='after-pings'/>`);
    await h.registry.waitFor('stanza', (m) => m.env.id === 'after-pings');
    expect(client.socketClosed).toBe(false);
    const routed = await h.publishedBeforeMarker();
    expect(
      routed.some((r) => r.msg.t === 'stanza' && r.msg.env.id?.startsWith('parley-idle-')),
    ).toBe(false);
    client.close();
  });

  it('closes a client that does not answer with connection-timeout', async () => {
    const { client } = await h.login('alice', 'secret', 'silent');
    await ping(client);
    expect(await client.streamError()).toBe('connection-timeout');
  });

  it('asks a stream management client for an ack; an <a/> keeps it', async () => {
    const { client } = await h.login('alice', 'secret', 'sm-answers');
    expect((await enableSm(client)).localName).toBe('enabled');
    for (let round = 0; round < 2; round++) {
      await smElement(client, 'r');
      client.send(`<a xmlns='${NS_SM}' h='0'/>`);
    }
    client.send(`<message to='bob@localhost' id='after-acks'/>`);
    await h.registry.waitFor('stanza', (m) => m.env.id === 'after-acks');
    expect(client.socketClosed).toBe(false);
    client.close();
  });

  it('closes a silent stream management client and keeps its session for resumption', async () => {
    const { client, jid } = await h.login('alice', 'secret', 'sm-silent');
    expect((await enableSm(client)).localName).toBe('enabled');
    await smElement(client, 'r');
    expect(await client.streamError()).toBe('connection-timeout');
    // Detached as on a lost connection: no unbind, waiting for its client.
    const published = await h.publishedBeforeMarker();
    expect(published.some((r) => r.msg.t === 'unbind' && r.msg.jid === jid)).toBe(false);
    expect(h.gateway.detachedCount()).toBeGreaterThanOrEqual(1);
  });
});
