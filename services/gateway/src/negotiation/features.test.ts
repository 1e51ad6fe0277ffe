import { defaultConfig } from '@parley/config';
import type { Config } from '@parley/config';
import { ModuleError } from '@parley/modules';
import { NS_BIND, NS_CSI, NS_PRE_APPROVAL, NS_ROSTERVER, NS_SM } from '@parley/stanza';
import { parseXml } from '@parley/xml';
import type { Element } from '@parley/xml';
import { describe, expect, it } from 'vitest';
import { builtinStreamModules, startStreamModules } from '../stream-modules/index.js';
import type { StreamModule } from '../stream-modules/index.js';
import type { Connection } from '../connection.js';

/** A connection whose domain has no caps yet and no stream management session. */
const anyConnection = {
  domain: 'localhost',
  ctx: { caps: { feature: () => undefined } },
} as unknown as Connection;

function features(config: Config): Element {
  const streams = startStreamModules(config, builtinStreamModules);
  const xml = streams
    .featuresXml('authenticated', anyConnection)
    .replace(
      '<stream:features',
      "<stream:features xmlns:stream='http://etherx.jabber.org/streams'",
    );
  return parseXml(xml);
}

describe('post-authentication stream features', () => {
  it('offer bind, roster versioning, pre-approval (RFC 6121 3.4), stream management and CSI', () => {
    const f = features(defaultConfig());
    expect(f.getChildElements().map((c) => c.localName)).toEqual([
      'bind',
      'session',
      'ver',
      'sub',
      'sm',
      'csi',
    ]);
    for (const [name, ns] of [
      ['bind', NS_BIND],
      ['ver', NS_ROSTERVER],
      ['sub', NS_PRE_APPROVAL],
      ['sm', NS_SM],
      ['csi', NS_CSI],
    ] as const) {
      expect(f.getChild(name, ns), `${name} ${ns}`).toBeDefined();
    }
  });

  it('leave out the features of modules switched off by their configuration', () => {
    const config = defaultConfig();
    config.sm.enabled = false;
    config.csi.enabled = false;
    const streams = startStreamModules(config, builtinStreamModules);
    expect(streams.modules.map((m) => m.name)).not.toContain('stream-management');
    expect(streams.nonza('bound', NS_SM)).toBeUndefined();
    expect(streams.nonza('authenticated', NS_CSI)).toBeUndefined();
    const f = features(config);
    expect(f.getChild('sm', NS_SM)).toBeUndefined();
    expect(f.getChild('csi', NS_CSI)).toBeUndefined();
  });
});

describe('stream modules', () => {
  it('route the elements of a module namespace per connection state', () => {
    const streams = startStreamModules(defaultConfig(), builtinStreamModules);
    expect(streams.nonza('authenticated', NS_SM)).toBeTypeOf('function');
    expect(streams.nonza('bound', NS_SM)).toBeTypeOf('function');
    expect(streams.nonza('bound', NS_CSI)).toBeTypeOf('function');
    expect(streams.nonza('bound', 'urn:example:none')).toBeUndefined();
    expect(streams.preAuthIq('jabber:iq:register')).toBeTypeOf('function');
  });

  it('refuse a second handler for the same elements, naming both modules', () => {
    const rival: StreamModule = {
      name: 'rival-sm',
      xeps: [],
      register: (ctx) => ctx.nonza('bound', NS_SM, () => undefined),
    };
    let err: unknown;
    try {
      startStreamModules(defaultConfig(), [...builtinStreamModules, rival]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModuleError);
    expect((err as Error).message).toBe(
      `module 'rival-sm' registers a top-level element handler for 'bound ${NS_SM}', already handled by module 'stream-management'`,
    );
  });
});
