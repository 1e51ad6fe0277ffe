/**
 * Resources per account through the all-in-one server with a real client
 * (@xmpp/client over STARTTLS): at `quotas.maxResourcesPerAccount` one more
 * RFC 6120 bind gets <resource-constraint/> (type wait, RFC 6120 7.6.2.1),
 * and a Bind2 login (XEP-0386) is told by a success naming the bare JID,
 * then the same error on its RFC 6120 bind. A closed session frees its place.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from './harness.js';
import { startTestServer } from './harness.js';
import type { XmppClient } from './xmppjs.js';
import { connect } from './xmppjs.js';

let t: TestServer;
const clients: XmppClient[] = [];

beforeAll(async () => {
  t = await startTestServer({ quotas: { maxResourcesPerAccount: 2 } });
  await t.addUser('alice');
  await t.addUser('bob');
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.stop().catch(() => undefined)));
  await t.stop();
});

async function login(username: string, resource: string, sasl2 = false): Promise<XmppClient> {
  const c = await connect({ port: t.port, username, resource, sasl2 });
  clients.push(c);
  return c;
}

/** The stanza error a refused login ends with. */
async function refusal(username: string, resource: string, sasl2 = false): Promise<unknown> {
  return login(username, resource, sasl2).then(
    () => undefined,
    (err: unknown) => err,
  );
}

describe('quotas.maxResourcesPerAccount end to end', () => {
  it('refuses the third resource with resource-constraint (wait), RFC 6120 bind and Bind2 alike', async () => {
    await login('alice', 'phone');
    const desktop = await login('alice', 'desktop');
    const err = (await refusal('alice', 'tab')) as { condition?: string; type?: string };
    expect(err?.condition).toBe('resource-constraint');
    expect(err?.type).toBe('wait');
    const viaBind2 = (await refusal('alice', 'tab2', true)) as { condition?: string };
    expect(viaBind2?.condition).toBe('resource-constraint');
    // Another account is not affected.
    await login('bob', 'phone');
    // A resource bound again replaces the old session instead of counting twice.
    await login('alice', 'phone');
    // Closing a session frees its place.
    await desktop.stop();
    const tab = await login('alice', 'tab');
    expect(tab.jid?.toString()).toBe('alice@localhost/tab');
  });
});
