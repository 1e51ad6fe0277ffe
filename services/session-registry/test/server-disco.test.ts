/**
 * What the server's own disco#info says beyond the module features:
 * XEP-0160 `msgoffline` while offline storage is on, and XEP-0157 contact
 * addresses from `contact.*` as a serverinfo form (XEP-0128).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '@parley/config';
import type { Element } from '@parley/xml';
import { Harness, jidOf } from './harness.js';

const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';

describe('the server disco#info: msgoffline and contact addresses', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  async function serverInfo(config?: (c: Config) => void): Promise<Element> {
    h = await Harness.start({ accounts: ['alice'], ...(config && { config }) });
    const alice = await h.online(jidOf('alice'), 'phone');
    alice.send(
      `<iq type='get' id='d1' to='${h.config.server.domains[0]}'><query xmlns='${NS_DISCO_INFO}'/></iq>`,
    );
    const iq = (await alice.drain()).find((el) => el.name === 'iq' && el.attr('id') === 'd1');
    expect(iq?.attr('type')).toBe('result');
    return iq!.getChild('query', NS_DISCO_INFO)!;
  }
  const features = (q: Element) => q.getChildren('feature').map((f) => f.attr('var'));

  it('advertises msgoffline while offline storage is on, and no serverinfo form by default', async () => {
    const q = await serverInfo();
    expect(features(q)).toContain('msgoffline');
    expect(q.getChild('x', 'jabber:x:data')).toBeUndefined();
  });

  it('does not advertise msgoffline when offline storage is off', async () => {
    const q = await serverInfo((c) => (c.offline.maxPerUser = 0));
    expect(features(q)).not.toContain('msgoffline');
  });

  it('publishes the configured contact addresses as the serverinfo form (XEP-0157)', async () => {
    const q = await serverInfo((c) => {
      c.contact.abuse = ['mailto:abuse@example.org', 'xmpp:abuse@example.org'];
      c.contact.security = ['https://example.org/security'];
    });
    const forms = q.getChildren('x', 'jabber:x:data');
    expect(forms).toHaveLength(1);
    const form = forms[0]!;
    expect(form.attr('type')).toBe('result');
    const field = (v: string) => form.getChildren('field').find((f) => f.attr('var') === v);
    expect(field('FORM_TYPE')?.attr('type')).toBe('hidden');
    expect(field('FORM_TYPE')?.getChildText('value')).toBe('http://jabber.org/network/serverinfo');
    expect(
      field('abuse-addresses')
        ?.getChildren('value')
        .map((v) => v.text()),
    ).toEqual(['mailto:abuse@example.org', 'xmpp:abuse@example.org']);
    expect(field('security-addresses')?.getChildText('value')).toBe('https://example.org/security');
    // Roles without addresses are left out.
    expect(field('admin-addresses')).toBeUndefined();
  });
});
