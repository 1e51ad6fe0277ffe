import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NS_STREAM } from '@parley/stanza';
import { startHarness } from './helpers/harness.js';
import type { Harness } from './helpers/harness.js';

const header = (attrs: string) =>
  `<?xml version='1.0'?><stream:stream xmlns:stream='${NS_STREAM}' ${attrs}>`;

describe('stream errors', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ configure: (c) => (c.c2s.maxStanzaBytes = 4096) });
    await h.createAccount('carol', 'secret');
  });
  afterAll(() => h.close());

  async function rawStream(data: string) {
    const client = await h.connect();
    client.send(data);
    return client;
  }

  it('answers an unknown domain with host-unknown, after sending its own header', async () => {
    const client = await rawStream(
      header(`xmlns='jabber:client' to='nowhere.example' version='1.0'`),
    );
    expect(await client.streamError()).toBe('host-unknown');
    expect(client.headers[0]?.attrs['from']).toBe('localhost');
    expect(client.streamClosed).toBe(true);
  });

  it('accepts each configured domain and normalizes its case', async () => {
    const client = await rawStream(header(`xmlns='jabber:client' to='Example.TEST' version='1.0'`));
    await client.next();
    expect(client.headers[0]?.attrs['from']).toBe('example.test');
    client.close();
  });

  it('answers a header without to with host-unknown', async () => {
    const client = await rawStream(header(`xmlns='jabber:client' version='1.0'`));
    expect(await client.streamError()).toBe('host-unknown');
  });

  it('answers a wrong content namespace with invalid-namespace', async () => {
    const client = await rawStream(header(`xmlns='jabber:server' to='localhost' version='1.0'`));
    expect(await client.streamError()).toBe('invalid-namespace');
  });

  it('answers a wrong stream namespace with invalid-namespace', async () => {
    const client = await rawStream(
      `<?xml version='1.0'?><stream:stream xmlns:stream='urn:wrong' xmlns='jabber:client' to='localhost' version='1.0'>`,
    );
    expect(await client.streamError()).toBe('invalid-namespace');
  });

  it('answers another stream prefix with bad-namespace-prefix', async () => {
    const client = await rawStream(
      `<?xml version='1.0'?><s:stream xmlns:s='${NS_STREAM}' xmlns='jabber:client' to='localhost' version='1.0'>`,
    );
    expect(await client.streamError()).toBe('bad-namespace-prefix');
  });

  it('answers a missing or old version with unsupported-version', async () => {
    const client = await rawStream(header(`xmlns='jabber:client' to='localhost'`));
    expect(await client.streamError()).toBe('unsupported-version');
    const two = await rawStream(header(`xmlns='jabber:client' to='localhost' version='2.0'`));
    expect(await two.streamError()).toBe('unsupported-version');
  });

  it('closes malformed XML with not-well-formed', async () => {
    const client = await h.connect();
    await client.open();
    client.send('<message><body>unclosed</message>');
    expect(await client.streamError()).toBe('not-well-formed');
  });

  it('closes a comment with restricted-xml', async () => {
    const client = await h.connect();
    await client.open();
    client.send('<!-- hello -->');
    expect(await client.streamError()).toBe('restricted-xml');
  });

  it('answers a stanza before authentication with not-authorized', async () => {
    const client = await h.connect();
    await client.open();
    client.send("<message to='carol@localhost'><body>hi</body></message>");
    expect(await client.streamError()).toBe('not-authorized');
  });

  it('answers an unknown top-level element with unsupported-stanza-type', async () => {
    const client = await h.connect();
    await client.open();
    client.send("<enable xmlns='urn:xmpp:sm:3'/>");
    expect(await client.streamError()).toBe('unsupported-stanza-type');
  });

  it('closes an oversize stanza with policy-violation, without touching other sessions', async () => {
    const { client: bystander } = await h.login('carol', 'secret', 'bystander');
    const { client } = await h.login('carol', 'secret', 'big');
    client.send(`<message to='carol@localhost'><body>${'x'.repeat(8000)}</body></message>`);
    expect(await client.streamError()).toBe('policy-violation');
    bystander.send("<message to='carol@localhost' id='still-here'><body>ok</body></message>");
    await h.registry.waitFor('stanza', (m) => m.env.id === 'still-here');
    expect(bystander.socketClosed).toBe(false);
    bystander.close();
  });

  it('closes our stream when the client closes its stream', async () => {
    const client = await h.connect();
    await client.open();
    client.send('</stream:stream>');
    await client.closed();
    expect(client.streamClosed).toBe(true);
  });
});

describe('timeouts and limits', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      configure: (c) => {
        c.c2s.connectTimeoutMs = 300;
        c.c2s.whitespaceKeepaliveMs = 100;
      },
    });
  });
  afterAll(() => h.close());

  it('closes a stalled connection with connection-timeout', async () => {
    const client = await h.connect();
    await client.open();
    expect(await client.streamError(3_000)).toBe('connection-timeout');
  });

  it('closes a connection that never sends a header with connection-timeout', async () => {
    const client = await h.connect();
    expect(await client.streamError(3_000)).toBe('connection-timeout');
    expect(client.headers).toHaveLength(1);
  });

  it('sends whitespace keepalives after outbound silence', async () => {
    const client = await h.connect();
    await client.open();
    await client.until(
      () => (client.raw.endsWith('</stream:features> ') ? true : undefined),
      'a keepalive',
      250,
    );
    client.close();
  });
});
