import { defaultConfig } from '@parley/config';
import { NS_BIND, NS_PRE_APPROVAL, NS_ROSTERVER, NS_SM } from '@parley/stanza';
import { parseXml } from '@parley/xml';
import { describe, expect, it } from 'vitest';
import { postAuthFeatures } from './features.js';

describe('post-authentication stream features', () => {
  it('offer bind, roster versioning, pre-approval (RFC 6121 3.4) and stream management', () => {
    const xml = postAuthFeatures(defaultConfig()).replace(
      '<stream:features',
      "<stream:features xmlns:stream='http://etherx.jabber.org/streams'",
    );
    const features = parseXml(xml);
    for (const [name, ns] of [
      ['bind', NS_BIND],
      ['ver', NS_ROSTERVER],
      ['sub', NS_PRE_APPROVAL],
      ['sm', NS_SM],
    ] as const) {
      expect(features.getChild(name, ns), `${name} ${ns}`).toBeDefined();
    }
  });
});
