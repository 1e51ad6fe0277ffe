import { describe, expect, it } from 'vitest';
import { NS_STREAM } from '@parley/stanza';
import { checkStreamHeader, streamHeader } from './stream-header.js';

const domains = new Set(['example.org']);
const base = {
  xmlns: 'jabber:client',
  'xmlns:stream': NS_STREAM,
  to: 'example.org',
  version: '1.0',
};

describe('checkStreamHeader', () => {
  it('accepts a proper header and reads lang and from', () => {
    const r = checkStreamHeader(
      { name: 'stream:stream', attrs: { ...base, 'xml:lang': 'de', from: 'Juliet@Example.org' } },
      domains,
    );
    expect(r).toEqual({ ok: true, domain: 'example.org', lang: 'de', peer: 'juliet@example.org' });
  });

  it.each([
    [{ ...base, 'xmlns:stream': 'urn:other' }, 'stream:stream', 'invalid-namespace'],
    [{ ...base, xmlns: 'jabber:server' }, 'stream:stream', 'invalid-namespace'],
    [
      { ...base, 'xmlns:stream': undefined, 'xmlns:s': NS_STREAM },
      's:stream',
      'bad-namespace-prefix',
    ],
    [{ ...base, to: 'other.org' }, 'stream:stream', 'host-unknown'],
    [{ ...base, to: undefined }, 'stream:stream', 'host-unknown'],
    [{ ...base, version: undefined }, 'stream:stream', 'unsupported-version'],
    [{ ...base, version: '0.9' }, 'stream:stream', 'unsupported-version'],
    [{ ...base, version: '2.0' }, 'stream:stream', 'unsupported-version'],
  ])('refuses %o with %s', (attrs, name, condition) => {
    const clean = Object.fromEntries(
      Object.entries(attrs).filter(([, v]) => v !== undefined),
    ) as Record<string, string>;
    const r = checkStreamHeader({ name, attrs: clean }, domains);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.condition).toBe(condition);
  });

  it('accepts a higher minor version (RFC 6120 4.7.5)', () => {
    expect(
      checkStreamHeader({ name: 'stream:stream', attrs: { ...base, version: '1.1' } }, domains).ok,
    ).toBe(true);
  });
});

describe('streamHeader', () => {
  it('escapes attribute values and uses a fresh id each time', () => {
    const a = streamHeader('example.org', 'en', 'a"b@example.org');
    expect(a).toContain('to="a&quot;b@example.org"');
    expect(a).toContain('version="1.0"');
    const id = (s: string) => /id="([^"]+)"/.exec(s)?.[1];
    expect(id(a)).not.toBe(id(streamHeader('example.org', 'en')));
  });
});
