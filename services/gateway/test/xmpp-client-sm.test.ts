/**
 * Interop: @xmpp/client's stream management enables resumption, and after
 * its connection is dropped from the server side it resumes the session and
 * receives what was delivered while it was away. With its defaults it
 * uses SASL2: stream management is enabled inline in Bind2, and the
 * reconnect resumes inline in SASL2, with the FAST token it asked for on
 * the first login.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { client } from '@xmpp/client';
import type { XmppElement } from '@xmpp/client';
import { WAIT, startHarness } from './helpers/harness.js';
import type { Harness } from './helpers/harness.js';
import { deliver } from './helpers/sm.js';
import { TcpRelay } from '@parley/testkit';

// The generated certificate is self-signed; @xmpp/client has no TLS options for STARTTLS.
process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = '0';

describe('@xmpp/client stream management', () => {
  let h: Harness;
  let proxy: TcpRelay;
  beforeAll(async () => {
    h = await startHarness({
      gatewayId: 'gw-xmppjs',
      configure: (c) => void (c.sm.ackRequestEvery = 1),
    });
    await h.createAccount('smjs', 'interop');
    proxy = await TcpRelay.start(h.port);
  });
  afterAll(async () => {
    await proxy.close();
    await h.close();
  });

  it('enables resumption, and resumes after the server side drops the connection', async () => {
    const xmpp = client({
      service: `xmpp://127.0.0.1:${proxy.port}`,
      domain: 'localhost',
      username: 'smjs',
      password: 'interop',
      resource: 'sm',
    });
    xmpp.on('error', () => undefined);
    const received: string[] = [];
    xmpp.on('stanza', (el: XmppElement) => {
      if (el.name === 'message') received.push(el.attrs['id'] ?? '?');
    });
    let resumed = 0;
    xmpp.streamManagement.on('resumed', () => void resumed++);

    const jid = (await xmpp.start()).toString();
    expect(jid).toMatch(/^smjs@localhost\/sm\/[A-Za-z0-9_-]{12}$/);
    const sm = xmpp.streamManagement;
    await vi.waitFor(() => {
      expect(sm.enabled).toBe(true);
      expect(sm.id).not.toBe('');
    }, WAIT);
    const bind = await h.registry.waitFor('bind', (b) => b.resource?.startsWith('sm/') === true);

    deliver(h.bus, 'gw-xmppjs', bind.conn, jid, 'j1');
    deliver(h.bus, 'gw-xmppjs', bind.conn, jid, 'j2');
    await vi.waitFor(() => expect(received).toHaveLength(2), WAIT);
    // The server asked for an ack after each stanza; xmpp.js answered.
    await vi.waitFor(() => expect(sm.inbound).toBe(2), WAIT);

    // Drop the TCP connection without any XMPP close; deliver while the client is away.
    proxy.cut();
    await vi.waitFor(() => expect(h.gateway.detachedCount()).toBe(1), WAIT);
    deliver(h.bus, 'gw-xmppjs', bind.conn, jid, 'j3');
    deliver(h.bus, 'gw-xmppjs', bind.conn, jid, 'j4');

    // xmpp.js reconnects on its own (after 1 s) and resumes.
    await vi.waitFor(() => expect(resumed).toBe(1), { ...WAIT, timeout: 8_000 });
    await vi.waitFor(() => expect(received).toHaveLength(4), WAIT);
    expect(received).toEqual(['j1', 'j2', 'j3', 'j4']);
    const takeover = await h.registry.waitFor('bind', (b) => b.takeover === bind.conn);
    expect(takeover.resource).toBe(bind.resource);
    const logins = h.logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l['msg'] === 'client authenticated')
      .map((l) => l['mechanism']);
    expect(logins).toEqual(['SCRAM-SHA-1', 'HT-SHA-256-NONE']);
    expect(h.registry.of('unbind')).toHaveLength(0);
    expect(h.gateway.detachedCount()).toBe(0);

    xmpp.reconnect.stop();
    await xmpp.stop();
    await h.registry.waitFor('unbind', (u) => u.jid === jid);
    // Everything was acknowledged: nothing to bounce.
    expect(h.registry.of('bounce')).toHaveLength(0);
  }, 15_000);
});
