import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewaySubject } from '@parley/routing';
import type { Envelope, GatewayMessage } from '@parley/routing';
import { startHarness } from './helpers/harness.js';
import type { Harness } from './helpers/harness.js';

describe('faults stay within one connection', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    await h.createAccount('olga', 'secret');
  });
  afterAll(() => h.close());

  it('allows only small elements before authentication, c2s.maxStanzaBytes after it', async () => {
    // 20 KiB: over c2s.maxPreAuthStanzaBytes (16 KiB), well under c2s.maxStanzaBytes.
    const padding = 'p'.repeat(20 * 1024);
    const early = await h.connect();
    await early.open();
    early.send(`<iq type='get' id='big'><query xmlns='jabber:iq:register'>${padding}</query></iq>`);
    expect(await early.streamError()).toBe('policy-violation');

    const { client, jid } = await h.login('olga', 'secret', 'big');
    client.send(
      `<message xmlns="jabber:client" to="${jid}" id="after-login"><body>${padding}</body></message>`,
    );
    const got = await h.registry.waitFor('stanza', (m) => m.env.id === 'after-login');
    expect(got.env.xml.length).toBeGreaterThan(20 * 1024);
    client.close();
  });

  it('drops a client that does not read instead of buffering without bound', async () => {
    const { client, jid } = await h.login('olga', 'secret', 'slow');
    const { client: bystander } = await h.login('olga', 'secret', 'fast');
    const bind = await h.registry.waitFor('bind', (b) => b.resource === 'slow');
    client.socket.pause();
    const body = 'y'.repeat(64 * 1024);
    const xml = `<message xmlns="jabber:client" to="${jid}"><body>${body}</body></message>`;
    const env: Envelope = {
      stage: 'in',
      kind: 'message',
      type: '',
      from: 'x@localhost',
      to: jid,
      xml,
    };
    for (let i = 0; i < 600 && !h.registry.of('unbind').some((u) => u.jid === jid); i++) {
      h.bus.publish(gatewaySubject('gw1'), {
        t: 'deliver',
        conn: bind.conn,
        env,
      } satisfies GatewayMessage);
      // Now and then the gateway handles what was published and writes it out.
      if (i % 20 === 0) await h.bus.flush();
    }
    await h.registry.waitFor('unbind', (u) => u.jid === jid);
    expect(h.logs.some((l) => l.includes('client is not reading'))).toBe(true);
    // Later deliveries to the dropped connection are bounced, not lost.
    await h.registry.waitFor('bounce', (b) => b.to === jid);
    bystander.send("<message to='olga@localhost' id='alive'/>");
    await h.registry.waitFor('stanza', (m) => m.env.id === 'alive');
    bystander.close();
  });

  it('closes only the affected connection with internal-server-error when handling throws', async () => {
    const { client, jid } = await h.login('olga', 'secret', 'victim');
    const { client: bystander } = await h.login('olga', 'secret', 'other');
    const bind = await h.registry.waitFor('bind', (b) => b.resource === 'victim');
    // A delivery that passes the bus schema check (its first read of `xml`)
    // but whose stanza cannot be read when the connection writes it.
    let reads = 0;
    const env = {
      stage: 'in',
      kind: 'message',
      type: '',
      from: 'x@localhost',
      to: jid,
    } as unknown as Envelope;
    Object.defineProperty(env, 'xml', {
      enumerable: true,
      get() {
        if (reads++ === 0) return '<message/>';
        throw new Error('unreadable stanza');
      },
    });
    h.bus.publish(gatewaySubject('gw1'), {
      t: 'deliver',
      conn: bind.conn,
      env,
    } satisfies GatewayMessage);
    expect(await client.streamError()).toBe('internal-server-error');
    expect(h.logs.some((l) => l.includes('internal error on a client connection'))).toBe(true);
    bystander.send("<message to='olga@localhost' id='fine'/>");
    await h.registry.waitFor('stanza', (m) => m.env.id === 'fine');
    bystander.close();
  });

  it('undoes a bind whose reply arrives after the client left', async () => {
    h.registry.bindDelayMs = 150;
    try {
      const client = await h.connect();
      await client.open();
      await client.starttls();
      await client.open();
      await client.scram('olga', 'secret');
      await client.open();
      client.send(
        "<iq type='set' id='late'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>late</resource></bind></iq>",
      );
      await h.registry.waitFor('bind', (b) => b.resource === 'late');
      client.close();
      const unbind = await h.registry.waitFor('unbind', (u) => u.jid === 'olga@localhost/late');
      const bind = h.registry.of('bind').find((b) => b.resource === 'late')!;
      expect(unbind.conn).toBe(bind.conn);
    } finally {
      h.registry.bindDelayMs = 0;
    }
  });
});
