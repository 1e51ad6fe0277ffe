/**
 * Interop: the xmpp.js client, with its defaults, logs in over STARTTLS with
 * SASL2 (XEP-0388) and SCRAM-SHA-1, binds a resource with Bind2 (its
 * resource option is the tag) and sends a message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, xml } from '@xmpp/client';
import { startHarness } from './helpers/harness.js';
import type { Harness } from './helpers/harness.js';

// The generated certificate is self-signed; @xmpp/client has no TLS options for STARTTLS.
process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = '0';

describe('@xmpp/client', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    await h.createAccount('xmppjs', 'interop');
  });
  afterAll(() => h.close());

  it('connects over STARTTLS, authenticates with SASL2 and SCRAM-SHA-1, binds with Bind2 and sends a message', async () => {
    const xmpp = client({
      service: `xmpp://127.0.0.1:${h.port}`,
      domain: 'localhost',
      username: 'xmppjs',
      password: 'interop',
      resource: 'interop',
    });
    xmpp.on('error', () => undefined);
    const jid = (await xmpp.start()).toString();
    expect(jid).toMatch(/^xmppjs@localhost\/interop\/[A-Za-z0-9_-]{12}$/);
    const login = h.logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l['msg'] === 'client authenticated');
    expect(login).toMatchObject({
      jid: 'xmppjs@localhost',
      mechanism: 'SCRAM-SHA-1',
      profile: 'sasl2',
    });

    await xmpp.send(
      xml('message', { to: 'someone@localhost', id: 'x1', type: 'chat' }, xml('body', null, 'hi')),
    );
    const msg = await h.registry.waitFor('stanza', (m) => m.env.id === 'x1');
    expect(msg.env.from).toBe(jid);

    xmpp.reconnect.stop();
    await xmpp.stop();
    await h.registry.waitFor('unbind', (u) => u.jid === jid);
  });
});
