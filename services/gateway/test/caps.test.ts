/** XEP-0115 caps of the server in the stream features, from the registry's disco#info. */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { NS_CAPS } from '@parley/stanza';
import { WAIT, startHarness } from './helpers/harness.js';
import type { Harness } from './helpers/harness.js';

describe('server caps in the stream features', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('carry the XEP-0115 5.1 ver of the disco#info the registry answers, in every state', async () => {
    // XEP-0115 5.1 over the fake registry's answer (identity server/im//Parley, two features):
    // "server/im//Parley<http://jabber.org/protocol/disco#info<urn:xmpp:ping<", SHA-1, base64.
    const ver = 'e91gGPsg2S3M5jlT4JRzuny+bv0=';
    await vi.waitFor(async () => {
      const client = await h.connect();
      const features = await client.open();
      client.close();
      expect(features.getChild('c', NS_CAPS)?.attrs).toMatchObject({ hash: 'sha-1', ver });
    }, WAIT);
    await h.createAccount('carl', 'pw');
    const client = await h.connect();
    await client.open();
    await client.starttls();
    expect((await client.open()).getChild('c', NS_CAPS)?.attr('ver')).toBe(ver);
    expect((await client.scram('carl', 'pw')).localName).toBe('success');
    expect((await client.open()).getChild('c', NS_CAPS)?.attr('ver')).toBe(ver);
    client.close();
  });
});
