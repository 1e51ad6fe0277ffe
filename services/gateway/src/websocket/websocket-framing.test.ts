/** RFC 7395 framing of our output, the <open/> check, XEP-0156 host-meta and the handshake policies. */
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '@parley/config';
import type { Config } from '@parley/config';
import { streamError } from '@parley/stanza';
import { StreamFramer, parseXml } from '@parley/xml';
import type { Element } from '@parley/xml';
import { checkFramedOpen } from '../negotiation/stream-header.js';
import { CLOSE, closeElement, frameElement, openElement } from './framing.js';
import {
  endpointUrls,
  hostFromHeader,
  hostMetaJson,
  hostMetaXml,
  secureEndpoint,
} from './host-meta.js';
import { TrustedAddresses } from '../net/trusted-addresses.js';
import { clientAddress, originAllowed } from './server.js';

const FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';

/** Parses `message` as one standalone WebSocket message, the way a client does. */
function asMessage(message: string): {
  el?: Element;
  open?: Record<string, string>;
  error?: string;
} {
  const out: { el?: Element; open?: Record<string, string>; error?: string } = {};
  const framer = new StreamFramer(
    {
      streamOpen: (h) => (out.open = h.attrs),
      stanza: (el) => (out.el = el),
      streamClose: () => undefined,
      error: (err) => (out.error = err.condition),
    },
    { mode: 'websocket' },
  );
  framer.write(message);
  return out;
}

describe('frameElement (RFC 7395 3.3.3: every message a standalone document)', () => {
  it('declares jabber:client on stanzas that inherited it from a TCP stream header', () => {
    for (const xml of [
      '<message to="a@b" id="1"><body>hi</body></message>',
      '<presence/>',
      '<iq type="result" id="x"/>',
      "<message\tto='a@b'>x</message>",
    ]) {
      const framed = frameElement(xml);
      expect(framed.startsWith(`<${xml.slice(1).split(/[\s/>]/)[0]} xmlns="jabber:client"`)).toBe(
        true,
      );
      const { el, error } = asMessage(framed);
      expect(error).toBeUndefined();
      expect(el!.getNS()).toBe('jabber:client');
    }
  });

  it('leaves stanzas that declare a default namespace alone, however it is quoted', () => {
    for (const xml of [
      '<message xmlns="jabber:client" to="a@b"/>',
      "<presence xmlns = 'jabber:client'/>",
      '<iq id="1" type="get" xmlns="jabber:client"><ping xmlns="urn:xmpp:ping"/></iq>',
    ]) {
      expect(frameElement(xml)).toBe(xml);
    }
  });

  it('is not fooled by xmlns inside attribute values, prefix declarations or children', () => {
    const tricky = '<message id=" xmlns=x" xmlns:foo="urn:foo"><body xmlns="urn:x"/></message>';
    const framed = frameElement(tricky);
    expect(framed.startsWith('<message xmlns="jabber:client" id=')).toBe(true);
    expect(asMessage(framed).el!.getNS()).toBe('jabber:client');
    // Element names that merely start like a stanza are not stanzas.
    expect(frameElement('<messages/>')).toBe('<messages/>');
    expect(frameElement('<iqx/>')).toBe('<iqx/>');
  });

  it('declares the stream prefix on stream features and stream errors', () => {
    const features = frameElement(
      '<stream:features><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/></stream:features>',
    );
    expect(features).toMatch(
      /^<stream:features xmlns:stream="http:\/\/etherx\.jabber\.org\/streams">/,
    );
    expect(asMessage(features).el!.getNS()).toBe('http://etherx.jabber.org/streams');
    const error = frameElement(streamError('policy-violation', { text: 'no' }).toString());
    const parsed = asMessage(error).el!;
    expect(parsed.getNS()).toBe('http://etherx.jabber.org/streams');
    expect(parsed.localName).toBe('error');
    expect(frameElement('<stream:features/>')).toBe(
      '<stream:features xmlns:stream="http://etherx.jabber.org/streams"/>',
    );
    const declared = '<stream:error xmlns:stream="http://etherx.jabber.org/streams"/>';
    expect(frameElement(declared)).toBe(declared);
  });

  it('leaves nonzas with their own namespace alone', () => {
    for (const xml of [
      '<success xmlns="urn:ietf:params:xml:ns:xmpp-sasl"/>',
      "<r xmlns='urn:xmpp:sm:3'/>",
      '<enabled xmlns="urn:xmpp:sm:3" id="x" resume="true"/>',
    ]) {
      expect(frameElement(xml)).toBe(xml);
    }
  });
});

describe('<open/> and <close/>', () => {
  it('answers with an <open/> in the framing namespace that clients recognize by its start', () => {
    const open = openElement('example.org', 'en', 'juliet@example.org');
    expect(open.startsWith('<open ')).toBe(true);
    const parsed = parseXml(open);
    expect(parsed.getNS()).toBe(FRAMING);
    expect(parsed.attrs).toMatchObject({
      from: 'example.org',
      to: 'juliet@example.org',
      version: '1.0',
      'xml:lang': 'en',
    });
    expect(parsed.attr('id')).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(parseXml(openElement('example.org', 'en')).attr('id')).not.toBe(parsed.attr('id'));
  });

  it('writes <close/> exactly as Strophe.js compares it, and with see-other-uri', () => {
    expect(CLOSE).toBe('<close xmlns="urn:ietf:params:xml:ns:xmpp-framing" />');
    expect(closeElement()).toBe(CLOSE);
    const redirect = parseXml(closeElement('wss://example.org/xmpp?a=1&b="2"'));
    expect(redirect.getNS()).toBe(FRAMING);
    expect(redirect.attr('see-other-uri')).toBe('wss://example.org/xmpp?a=1&b="2"');
  });

  it('checks the client <open/>: served domain, version; no stream prefix or content namespace', () => {
    const domains = new Set(['example.org']);
    const open = (attrs: Record<string, string>) =>
      checkFramedOpen({ name: 'open', attrs: { xmlns: FRAMING, ...attrs } }, domains);
    expect(open({ to: 'Example.ORG', version: '1.0', 'xml:lang': 'fr' })).toEqual({
      ok: true,
      domain: 'example.org',
      lang: 'fr',
      peer: undefined,
    });
    expect(open({ version: '1.0' })).toMatchObject({ ok: false, condition: 'host-unknown' });
    expect(open({ to: 'other.org', version: '1.0' })).toMatchObject({
      ok: false,
      condition: 'host-unknown',
    });
    expect(open({ to: 'example.org' })).toMatchObject({
      ok: false,
      condition: 'unsupported-version',
      domain: 'example.org',
    });
    expect(open({ to: 'example.org', version: '2.0' })).toMatchObject({
      condition: 'unsupported-version',
    });
  });
});

describe('XEP-0156 host-meta', () => {
  const config = (edit: (c: Config) => void = () => undefined): Config => {
    const c = defaultConfig();
    c.server.domains = ['example.org'];
    edit(c);
    return c;
  };

  it('lists wss:// and, when plain streams may log in, ws:// on the host asked for', () => {
    const ports = { websocket: 5290, websocketTls: 443 };
    expect(endpointUrls(config(), ports, 'chat.example.org')).toEqual([
      'wss://chat.example.org/xmpp-websocket',
    ]);
    expect(
      endpointUrls(
        config((c) => (c.websocket.plainIsSecure = true)),
        ports,
        undefined,
      ),
    ).toEqual(['wss://example.org/xmpp-websocket', 'ws://example.org:5290/xmpp-websocket']);
    expect(
      endpointUrls(
        config((c) => {
          c.c2s.requireTls = false;
          c.websocket.path = '/ws';
        }),
        { websocket: 80 },
        '[::1]',
      ),
    ).toEqual(['ws://[::1]/ws']);
    expect(
      endpointUrls(
        config((c) => (c.websocket.publicUrls = ['wss://proxy.example.org/xmpp'])),
        ports,
        'x',
      ),
    ).toEqual(['wss://proxy.example.org/xmpp']);
  });

  it('serializes the XRD and the JRD', () => {
    const urls = ['wss://example.org/xmpp-websocket', 'ws://example.org:5290/a?b&c'];
    const xrd = parseXml(hostMetaXml(urls).replace(/^<\?xml[^>]*\?>\s*/, ''));
    expect(xrd.getNS()).toBe('http://docs.oasis-open.org/ns/xri/xrd-1.0');
    expect(xrd.getChildElements().map((l) => [l.attr('rel'), l.attr('href')])).toEqual(
      urls.map((u) => ['urn:xmpp:alt-connections:websocket', u]),
    );
    expect(JSON.parse(hostMetaJson(urls))).toEqual({
      links: urls.map((href) => ({ rel: 'urn:xmpp:alt-connections:websocket', href })),
    });
  });

  it('takes only plausible hosts from the Host header', () => {
    expect(hostFromHeader('Example.org:5291')).toBe('example.org');
    expect(hostFromHeader('example.org.')).toBe('example.org');
    expect(hostFromHeader('[::1]:8080')).toBe('[::1]');
    expect(hostFromHeader('127.0.0.1')).toBe('127.0.0.1');
    for (const bad of [undefined, '', 'a b', 'evil.org/path', 'x"y', '[zz]', '-a.org', 'a..b']) {
      expect(hostFromHeader(bad)).toBeUndefined();
    }
  });

  it('redirects ws:// to the first wss:// public URL, else to the wss:// listener', () => {
    const ports = { websocket: 5290, websocketTls: 5291 };
    expect(secureEndpoint(config(), ports, 'example.org')).toBe(
      'wss://example.org:5291/xmpp-websocket',
    );
    expect(secureEndpoint(config(), { websocket: 5290 }, 'example.org')).toBeUndefined();
    expect(secureEndpoint(config(), ports, undefined)).toBeUndefined();
    const behindProxy = config((c) => (c.websocket.publicUrls = ['ws://x.org/a', 'wss://x.org/b']));
    expect(secureEndpoint(behindProxy, ports, 'example.org')).toBe('wss://x.org/b');
    const plainOnly = config((c) => (c.websocket.publicUrls = ['ws://x.org/a']));
    expect(secureEndpoint(plainOnly, ports, 'example.org')).toBeUndefined();
  });
});

describe('handshake policies', () => {
  it('allows any origin without an allow-list, and requests without Origin always', () => {
    expect(originAllowed('https://evil.example', [])).toBe(true);
    expect(originAllowed(undefined, ['https://chat.example.org'])).toBe(true);
    expect(originAllowed('https://Chat.Example.org', ['https://chat.example.org'])).toBe(true);
    expect(originAllowed('https://evil.example', ['https://chat.example.org'])).toBe(false);
    expect(originAllowed('null', ['https://chat.example.org'])).toBe(false);
  });

  const request = (peer: string, forwarded?: string | string[]): IncomingMessage =>
    ({
      socket: { remoteAddress: peer },
      headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded },
    }) as unknown as IncomingMessage;

  it('takes the client address from X-Forwarded-For only behind a trusted proxy', () => {
    const trusted = new TrustedAddresses(['127.0.0.1', '10.0.0.2']);
    expect(clientAddress(request('::ffff:203.0.113.9', '198.51.100.1'), trusted)).toBe(
      '203.0.113.9',
    );
    expect(clientAddress(request('127.0.0.1', '198.51.100.1'), trusted)).toBe('198.51.100.1');
    // The right-most untrusted hop: what is further left is the client's to make up.
    expect(clientAddress(request('127.0.0.1', '1.1.1.1, 198.51.100.1, 10.0.0.2'), trusted)).toBe(
      '198.51.100.1',
    );
    expect(clientAddress(request('127.0.0.1', ['1.1.1.1', '::ffff:198.51.100.7']), trusted)).toBe(
      '198.51.100.7',
    );
    expect(clientAddress(request('127.0.0.1', 'garbage'), trusted)).toBe('127.0.0.1');
    expect(clientAddress(request('127.0.0.1'), trusted)).toBe('127.0.0.1');
    expect(clientAddress(request('127.0.0.1', '198.51.100.1'), new TrustedAddresses([]))).toBe(
      '127.0.0.1',
    );
  });

  it('trusts proxies by CIDR range (the same matcher as c2s.proxyTrustedAddresses)', () => {
    const trusted = new TrustedAddresses(['10.0.0.0/8', 'fd00::/8']);
    expect(clientAddress(request('::ffff:10.9.8.7', '198.51.100.1'), trusted)).toBe('198.51.100.1');
    expect(clientAddress(request('fd12::1', '2001:db8::7, 10.1.1.1'), trusted)).toBe('2001:db8::7');
    expect(clientAddress(request('11.0.0.1', '198.51.100.1'), trusted)).toBe('11.0.0.1');
  });
});
