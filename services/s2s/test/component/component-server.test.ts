/**
 * The XEP-0114 listener over real loopback sockets: the handshake and its
 * failures, the address checks on stanzas, both directions of stanzas and
 * both ways of closing.
 */
import { createLogger, createMetrics } from '@parley/telemetry';
import type { Metrics } from '@parley/telemetry';
import type { Element } from '@parley/xml';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ComponentServer, handshakeDigest } from '../../src/component/index.js';
import type { ComponentServerOptions } from '../../src/component/index.js';
import { RawComponents, componentHeader, until } from './raw-component.js';
import type { RawComponent } from './raw-component.js';

const DOMAIN = 'bot.example.org';
const SECRET = 'bot-secret-1';

interface Harness {
  server: ComponentServer;
  port: number;
  metrics: Metrics;
  stanzas: { el: Element; component: string }[];
  events: string[];
}

const servers: ComponentServer[] = [];
const clients = new RawComponents();

afterEach(async () => {
  vi.useRealTimers();
  clients.destroyAll();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(extra: Partial<ComponentServerOptions> = {}): Promise<Harness> {
  const metrics = createMetrics({ collectDefault: false });
  const stanzas: Harness['stanzas'] = [];
  const events: string[] = [];
  const server = new ComponentServer({
    config: {
      port: 0,
      host: '127.0.0.1',
      list: [
        { domain: DOMAIN, secret: SECRET },
        { domain: 'gw.example.org', secret: 'gateway-secret' },
      ],
    },
    logger: createLogger({ service: 'test', level: 'error' }),
    metrics,
    onStanza: (el, component) => stanzas.push({ el, component }),
    onConnected: (d) => void events.push(`up ${d}`),
    onDisconnected: (d) => events.push(`down ${d}`),
    ...extra,
  });
  servers.push(server);
  const port = await server.listen(0);
  return { server, port, metrics, stanzas, events };
}

const open = (port: number) => clients.open(port);
const connected = (port: number, domain = DOMAIN, secret = SECRET) =>
  clients.connected(port, domain, secret);

/** A server with a component of DOMAIN connected to it. */
async function startConnected(): Promise<{ h: Harness; c: RawComponent }> {
  const h = await start();
  return { h, c: await connected(h.port) };
}

/** Opens a stream to DOMAIN and sends the handshake for `secret`, without waiting for the answer. */
async function handshake(c: RawComponent, secret: string): Promise<void> {
  c.send(componentHeader(DOMAIN));
  const id = await c.streamId();
  c.send(`<handshake>${handshakeDigest(id, secret)}</handshake>`);
}

const handshakeFailures = (h: Harness, reason: string) =>
  h.metrics.value('component_handshake_failures_total', { reason });

const streamErrorOf = (cond: string) => (d: string) =>
  d.includes(`<${cond} xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>`) &&
  d.endsWith('</stream:stream>');

describe('ComponentServer (XEP-0114 accept)', () => {
  it('completes the handshake: header with id and from, then <handshake/>', async () => {
    const h = await start();
    const c = await open(h.port);
    c.send(componentHeader(DOMAIN));
    const id = await c.streamId();
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(c.data).toContain(`from="${DOMAIN}"`);
    expect(c.data).toContain('xmlns="jabber:component:accept"');
    expect(h.server.connected(DOMAIN)).toBe(false);
    // Upper-case hex is accepted too.
    c.send(`<handshake>${handshakeDigest(id, SECRET).toUpperCase()}</handshake>`);
    await c.waitFor((d) => d.endsWith('<handshake/>'));
    expect(h.server.connected(DOMAIN)).toBe(true);
    expect(h.events).toEqual([`up ${DOMAIN}`]);
    expect(await h.metrics.value('component_connections', { domain: DOMAIN })).toBe(1);
  });

  it('refuses a wrong secret with not-authorized and closes the connection', async () => {
    const h = await start();
    const c = await open(h.port);
    await handshake(c, 'not-the-secret');
    await c.waitFor(streamErrorOf('not-authorized'));
    await c.waitClosed();
    expect(h.server.connected(DOMAIN)).toBe(false);
    expect(h.events).toEqual([]);
    expect(await handshakeFailures(h, 'not-authorized')).toBe(1);
  });

  it('refuses a digest computed over another stream id', async () => {
    const h = await start();
    const c = await open(h.port);
    c.send(componentHeader(DOMAIN));
    await c.streamId();
    c.send(`<handshake>${handshakeDigest('some-other-id', SECRET)}</handshake>`);
    await c.waitFor(streamErrorOf('not-authorized'));
  });

  it('refuses an unknown domain with host-unknown after a header of its own', async () => {
    const h = await start();
    const c = await open(h.port);
    c.send(componentHeader('nobody.example.org'));
    await c.waitFor(streamErrorOf('host-unknown'));
    expect(c.data).toMatch(/^<\?xml version='1.0'\?><stream:stream [^>]*id="[0-9a-f]+">/);
    expect(c.data).not.toContain('from=');
    await c.waitClosed();
    expect(await handshakeFailures(h, 'host-unknown')).toBe(1);
  });

  it('refuses a stream in another namespace with invalid-namespace', async () => {
    const h = await start();
    const c = await open(h.port);
    c.send(componentHeader(DOMAIN, 'jabber:client'));
    await c.waitFor(streamErrorOf('invalid-namespace'));
  });

  it('refuses a stanza before the handshake with not-authorized', async () => {
    const h = await start();
    const c = await open(h.port);
    c.send(componentHeader(DOMAIN));
    await c.streamId();
    c.send(`<message from='x@${DOMAIN}' to='a@example.org'><body>hi</body></message>`);
    await c.waitFor(streamErrorOf('not-authorized'));
    expect(h.stanzas).toEqual([]);
  });

  it('closes a stream without handshake after the timeout with connection-timeout', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const h = await start();
    const c = await open(h.port);
    c.send(componentHeader(DOMAIN));
    await c.streamId();
    vi.advanceTimersByTime(9_999);
    expect(c.data).not.toContain('connection-timeout');
    vi.advanceTimersByTime(1);
    await c.waitFor(streamErrorOf('connection-timeout'));
    expect(await handshakeFailures(h, 'timeout')).toBe(1);
  });

  it('closes the stream with not-well-formed on malformed XML', async () => {
    const { h, c } = await startConnected();
    c.send(`<message from='a@${DOMAIN}' to='u@example.org'><body>x</bod></message>`);
    await c.waitFor(streamErrorOf('not-well-formed'));
    await c.waitClosed();
    await until(() => h.events.includes(`down ${DOMAIN}`), 5_000, 'the disconnect');
    expect(h.stanzas).toEqual([]);
  });

  it('closes the stream with policy-violation on an oversized stanza', async () => {
    const h = await start({ maxStanzaBytes: 4096 });
    const c = await connected(h.port);
    c.send(`<message from='a@${DOMAIN}' to='u@example.org'><body>${'x'.repeat(5000)}</body>`);
    await c.waitFor(streamErrorOf('policy-violation'));
  });

  it('takes stanzas from any address at the component domain, normalized, with whitespace keepalives between them', async () => {
    const { h, c } = await startConnected();
    c.send(' \n ');
    c.send(
      `<message from='Alice@BOT.example.org/R' to='Bob@Example.org' id='m1' type='chat'><body>hello</body></message>`,
    );
    c.send(' ');
    c.send(`<presence from='${DOMAIN}' to='bob@example.org'/>`);
    await until(() => h.stanzas.length === 2, 5_000, 'two stanzas');
    const [m, p] = h.stanzas;
    expect(m!.component).toBe(DOMAIN);
    expect(m!.el.attr('from')).toBe(`alice@${DOMAIN}/R`);
    expect(m!.el.attr('to')).toBe('bob@example.org');
    expect(m!.el.toString()).toBe(
      `<message xmlns="jabber:client" from="alice@${DOMAIN}/R" to="bob@example.org" id="m1" type="chat"><body>hello</body></message>`,
    );
    expect(p!.el.attr('from')).toBe(DOMAIN);
    expect(await h.metrics.value('component_stanzas_total', { direction: 'in' })).toBe(2);
  });

  it('writes stanzas to the component in its own namespace', async () => {
    const { h, c } = await startConnected();
    const before = c.data.length;
    expect(
      h.server.send(
        DOMAIN,
        `<message xmlns="jabber:client" from="u@example.org/x" to="echo@${DOMAIN}" id="d1"><body>to you</body></message>`,
      ),
    ).toBe(true);
    await c.waitFor((d) => d.includes('</message>'));
    expect(c.data.slice(before)).toBe(
      `<message xmlns="jabber:component:accept" from="u@example.org/x" to="echo@${DOMAIN}" id="d1"><body>to you</body></message>`,
    );
    expect(h.server.send('gw.example.org', '<message/>')).toBe(false);
    expect(await h.metrics.value('component_stanzas_total', { direction: 'out' })).toBe(1);
  });

  it('closes the stream with invalid-from for a from at another domain, or at a subdomain', async () => {
    const { h, c } = await startConnected();
    c.send(`<message from='admin@example.org' to='u@example.org'><body>x</body></message>`);
    await c.waitFor(streamErrorOf('invalid-from'));
    await c.waitClosed();

    const d = await connected(h.port);
    d.send(`<message from='x@sub.${DOMAIN}' to='u@example.org'><body>x</body></message>`);
    await d.waitFor(streamErrorOf('invalid-from'));
    expect(h.stanzas).toEqual([]);
  });

  it('closes the stream with improper-addressing for a stanza without to or from', async () => {
    const { h, c } = await startConnected();
    c.send(`<message from='a@${DOMAIN}'><body>x</body></message>`);
    await c.waitFor(streamErrorOf('improper-addressing'));
    const d = await connected(h.port);
    d.send(`<message to='u@example.org'><body>x</body></message>`);
    await d.waitFor(streamErrorOf('improper-addressing'));
  });

  it('answers a malformed to with the stanza error jid-malformed and keeps the stream', async () => {
    const { h, c } = await startConnected();
    c.send(
      `<iq from='a@${DOMAIN}' to='bad@@example.org' id='q1' type='get'><ping xmlns='urn:xmpp:ping'/></iq>`,
    );
    await c.waitFor((d) => d.includes('</iq>'));
    expect(c.data).toContain(
      `<iq from="bad@@example.org" to="a@${DOMAIN}" id="q1" type="error"><error type="modify"><jid-malformed xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>`,
    );
    // An IQ without an id is a bad request.
    c.send(`<iq from='a@${DOMAIN}' to='example.org' type='get'><ping xmlns='urn:xmpp:ping'/></iq>`);
    await c.waitFor((d) => d.includes('bad-request'));
    c.send(`<message from='a@${DOMAIN}' to='u@example.org'/>`);
    await until(() => h.stanzas.length === 1, 5_000, 'the good stanza');
    expect(h.server.connected(DOMAIN)).toBe(true);
  });

  it('closes the stream with unsupported-stanza-type for a non-stanza element', async () => {
    const { c } = await startConnected();
    c.send(`<foo xmlns='urn:example:foo'/>`);
    await c.waitFor(streamErrorOf('unsupported-stanza-type'));
  });

  it('refuses a second connection for a connected domain with conflict; the first keeps working', async () => {
    const h = await start();
    const first = await connected(h.port);
    const second = await open(h.port);
    await handshake(second, SECRET);
    await second.waitFor(streamErrorOf('conflict'));
    await second.waitClosed();
    expect(h.server.connected(DOMAIN)).toBe(true);
    expect(h.events).toEqual([`up ${DOMAIN}`]);
    expect(h.server.send(DOMAIN, '<message to="a@bot.example.org" from="example.org"/>')).toBe(
      true,
    );
    await first.waitFor((d) => d.includes('<message'));
    expect(await handshakeFailures(h, 'conflict')).toBe(1);
    // Once the first is gone the domain is free again.
    await first.close();
    await until(() => h.events.includes(`down ${DOMAIN}`), 5_000, 'the disconnect');
    await connected(h.port);
    expect(h.server.connected(DOMAIN)).toBe(true);
  });

  it('lets two different components connect at once', async () => {
    const h = await start();
    await connected(h.port);
    await connected(h.port, 'gw.example.org', 'gateway-secret');
    expect(h.server.connected(DOMAIN)).toBe(true);
    expect(h.server.connected('gw.example.org')).toBe(true);
  });

  it('answers the component closing the stream with its own close', async () => {
    const { h, c } = await startConnected();
    c.send('</stream:stream>');
    await c.waitFor((d) => d.endsWith('<handshake/></stream:stream>'));
    c.socket.end();
    await c.waitClosed();
    await until(() => h.events.includes(`down ${DOMAIN}`), 5_000, 'the disconnect');
    expect(h.server.connected(DOMAIN)).toBe(false);
    expect(await h.metrics.value('component_connections', { domain: DOMAIN })).toBe(0);
  });

  it('notices a component that drops the connection', async () => {
    const { h, c } = await startConnected();
    c.destroy();
    await until(() => h.events.includes(`down ${DOMAIN}`), 5_000, 'the disconnect');
    expect(h.server.connected(DOMAIN)).toBe(false);
  });

  it('closes every component stream with system-shutdown on close()', async () => {
    const { h, c } = await startConnected();
    const closing = h.server.close();
    await c.waitFor(streamErrorOf('system-shutdown'));
    c.socket.end();
    await closing;
    servers.splice(servers.indexOf(h.server), 1);
    expect(h.events).toEqual([`up ${DOMAIN}`, `down ${DOMAIN}`]);
  });

  it('answers <handshake/> only once onConnected has resolved', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let admitting = false;
    const h = await start({
      onConnected: () => {
        admitting = true;
        return gate;
      },
    });
    const c = await open(h.port);
    await handshake(c, SECRET);
    // Pipelined before the answer: held until the handshake is answered.
    c.send(`<message from='a@${DOMAIN}' to='u@example.org'/>`);
    await until(() => admitting, 5_000, 'onConnected');
    expect(c.data).not.toContain('<handshake/>');
    expect(h.server.connected(DOMAIN)).toBe(false);
    release();
    await c.waitFor((d) => d.endsWith('<handshake/>'));
    await until(() => h.stanzas.length === 1, 5_000, 'the held stanza');
  });
});
