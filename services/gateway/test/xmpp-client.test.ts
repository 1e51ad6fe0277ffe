/** Interop: the xmpp.js client logs in over STARTTLS with SCRAM-SHA-1 and binds a resource. */
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

  it('connects over STARTTLS, authenticates with SCRAM-SHA-1, binds and sends a message', async () => {
    const xmpp = client({
      service: `xmpp://127.0.0.1:${h.port}`,
      domain: 'localhost',
      username: 'xmppjs',
      password: 'interop',
      resource: 'interop',
    });
    xmpp.on('error', () => undefined);
    const jid = await xmpp.start();
    expect(jid.toString()).toBe('xmppjs@localhost/interop');
    const login = h.logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l['msg'] === 'client authenticated');
    expect(login).toMatchObject({ jid: 'xmppjs@localhost', mechanism: 'SCRAM-SHA-1' });

    await xmpp.send(
      xml('message', { to: 'someone@localhost', id: 'x1', type: 'chat' }, xml('body', null, 'hi')),
    );
    const msg = await h.registry.waitFor('stanza', (m) => m.env.id === 'x1');
    expect(msg.env.from).toBe('xmppjs@localhost/interop');

    xmpp.reconnect.stop();
    await xmpp.stop();
    await h.registry.waitFor('unbind', (u) => u.jid === 'xmppjs@localhost/interop');
  });
});
