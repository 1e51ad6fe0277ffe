/**
 * The gateway side of the versioned bus protocol (@parley/routing
 * protocol.ts): deliveries of the previous version are still delivered,
 * what the gateway does not understand is counted and logged, and a
 * delivery it cannot accept but whose stanza is readable is bounced back to
 * the recipient's partition rather than lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUS_PROTOCOL_VERSION, gatewaySubject, routeSubject } from '@parley/routing';
import type { Envelope } from '@parley/routing';
import { startHarness } from './helpers/harness.js';
import type { Harness } from './helpers/harness.js';

describe('versioned messages on the gateway subject', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    await h.createAccount('vera', 'secret');
  });
  afterAll(() => h.close());

  const rejected = (reason: string, type: string) =>
    h.metrics.value('parley_bus_messages_rejected_total', { family: 'gateway', reason, type });
  const envTo = (jid: string, id: string): Envelope => ({
    stage: 'in',
    kind: 'message',
    type: 'chat',
    id,
    from: 'someone@localhost/x',
    to: jid,
    xml: `<message xmlns="jabber:client" from="someone@localhost/x" to="${jid}" id="${id}" type="chat"><body>${id}</body></message>`,
  });

  it('sends every message with the current version', async () => {
    const { client, jid } = await h.login('vera', 'secret', 'stamp');
    client.send("<message to='someone@localhost' id='out1'/>");
    const sent = await h.registry.waitFor('stanza', (m) => m.env.id === 'out1');
    expect((sent as { v?: number }).v).toBe(BUS_PROTOCOL_VERSION);
    const bind = await h.registry.waitFor('bind', (m) => m.resource === 'stamp');
    expect((bind as { v?: number }).v).toBe(BUS_PROTOCOL_VERSION);
    expect(jid).toBe('vera@localhost/stamp');
    client.close();
  });

  it('delivers a message of the previous version (no v field)', async () => {
    const { client, jid } = await h.login('vera', 'secret', 'old');
    const conn = (await h.registry.waitFor('bind', (m) => m.resource === 'old')).conn;
    h.bus.publish(gatewaySubject('gw1'), { t: 'deliver', conn, jid, env: envTo(jid, 'v1') });
    const got = await client.nextMatching((e) => e.attr('id') === 'v1', 'the v1 delivery');
    expect(got.getChildText('body')).toBe('v1');
    client.close();
  });

  it('counts and logs a message of an unknown type, and goes on with the next one', async () => {
    const { client, jid } = await h.login('vera', 'secret', 'unknown');
    const conn = (await h.registry.waitFor('bind', (m) => m.resource === 'unknown')).conn;
    const before = await rejected('unknown-type', 'teleport');
    h.bus.publish(gatewaySubject('gw1'), {
      v: BUS_PROTOCOL_VERSION,
      t: 'teleport',
      conn,
      env: envTo(jid, 'never'),
    });
    // A positive marker after it: once it arrives, the unknown message has been handled.
    h.bus.publish(gatewaySubject('gw1'), {
      v: BUS_PROTOCOL_VERSION,
      t: 'deliver',
      conn,
      jid,
      env: envTo(jid, 'marker'),
    });
    const next = await client.nextMatching((e) => e.name === 'message', 'the marker');
    expect(next.attr('id')).toBe('marker');
    expect(await rejected('unknown-type', 'teleport')).toBe(before + 1);
    expect(
      h.logs.some(
        (l) =>
          l.includes('bus message not understood') &&
          l.includes('teleport') &&
          l.includes(gatewaySubject('gw1')),
      ),
    ).toBe(true);
    // An unknown type is not presumed to be a delivery: nothing was bounced for it.
    expect(h.registry.of('bounce').some((b) => b.env.id === 'never')).toBe(false);
    client.close();
  });

  it('counts a delivery of an unsupported future version and bounces its stanza to the recipient partition', async () => {
    const { client, jid } = await h.login('vera', 'secret', 'future');
    const conn = (await h.registry.waitFor('bind', (m) => m.resource === 'future')).conn;
    const before = await rejected('unsupported-version', 'deliver');
    const env = envTo(jid, 'from-the-future');
    h.bus.publish(gatewaySubject('gw1'), { v: 99, t: 'deliver', conn, jid, env });
    const bounce = await h.registry.waitFor('bounce', (b) => b.env.id === 'from-the-future');
    expect(bounce).toMatchObject({
      v: BUS_PROTOCOL_VERSION,
      subject: routeSubject('vera@localhost', h.config.routing.partitions),
      to: jid,
      conn,
      env,
    });
    expect(await rejected('unsupported-version', 'deliver')).toBe(before + 1);
    expect(
      h.logs.some(
        (l) => l.includes('bus message not understood') && l.includes('unsupported-version'),
      ),
    ).toBe(true);
    client.close();
  });
});
