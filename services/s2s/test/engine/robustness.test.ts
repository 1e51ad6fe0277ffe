import { once } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { dialbackKey } from '../../src/engine/dialback-key.js';
import { S2sDeliveryError } from '../../src/engine/index.js';
import {
  A,
  B,
  bodies,
  expectBodies,
  message,
  sendToB,
  sendToBError,
  startNode,
  startPair,
  streamsOpen,
  twoPorts,
  useEngineTests,
} from './harness.js';
import type { SideOptions } from './harness.js';
import { RawPeer } from './raw-peer.js';

const pki = useEngineTests();
const servers: Server[] = [];
const peers: RawPeer[] = [];

afterEach(async () => {
  for (const p of peers.splice(0)) p.socket.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

const HEADER = (from: string, to: string) =>
  `<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' from='${from}' to='${to}' version='1.0'>`;

/** A raw peer on `port`, destroyed after the test. */
async function rawPeer(port: number): Promise<RawPeer> {
  const peer = await RawPeer.connect(port);
  peers.push(peer);
  return peer;
}

/** The condition of the stream error `peer` receives. */
async function streamError(peer: RawPeer): Promise<string> {
  return (await peer.waitFor((el) => el.localName === 'error')).getChildElements()[0]!.localName;
}

/** A raw peer that authenticated as A on B's plaintext port with dialback (A's engine answers the verification). */
async function authenticatedRawPeer(bPort: number, secretA: string): Promise<RawPeer> {
  const peer = await rawPeer(bPort);
  peer.send(HEADER(A, B));
  await peer.waitFor((el) => el.localName === 'features');
  const id = peer.header!.attrs['id']!;
  peer.send(`<db:result from='${A}' to='${B}'>${dialbackKey(secretA, B, A, id)}</db:result>`);
  const result = await peer.waitFor((el) => el.localName === 'result');
  expect(result.attr('type')).toBe('valid');
  return peer;
}

/** A (dialback secret `sa`) and B, which takes plaintext streams; `config` adds to B's. */
function plaintextPair(config: SideOptions['config'] = {}) {
  return startPair(pki, { a: { secret: 'sa' }, b: { config: { requireTls: false, ...config } } });
}

describe('S2S engine robustness', () => {
  it('(g) a stream that dies during setup rejects every queued send, then fails fast for retryAfterMs', async () => {
    let connections = 0;
    const sockets: Socket[] = [];
    const dying = createServer((socket) => {
      connections++;
      sockets.push(socket);
      socket.on('error', () => undefined);
      socket.once('data', () => socket.destroy());
    });
    servers.push(dying);
    dying.listen(0, '127.0.0.1');
    await once(dying, 'listening');
    const port = (dying.address() as AddressInfo).port;
    const a = await startNode({
      domain: A,
      pem: pki.a,
      trustStore: pki.ca,
      config: { overrides: [`${B}=127.0.0.1:${port}`], retryAfterMs: 60_000 },
    });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => sendToB(a, `d${i}`)),
    );
    for (const r of results) {
      expect(r.status).toBe('rejected');
      const reason = (r as PromiseRejectedResult).reason as S2sDeliveryError;
      expect(reason).toBeInstanceOf(S2sDeliveryError);
      expect(reason.condition).toBe('remote-server-timeout');
    }
    const again = await sendToBError(a, 'later');
    expect(again.condition).toBe('remote-server-timeout');
    expect(again.message).toMatch(/retrying after/);
    expect(connections).toBe(1);
  });

  it('(g) connection refused: remote-server-not-found', async () => {
    const [unused] = await twoPorts();
    const a = await startNode({
      domain: A,
      pem: pki.a,
      config: { overrides: [`${B}=127.0.0.1:${unused}`] },
    });
    expect((await sendToBError(a)).condition).toBe('remote-server-not-found');
  });

  it('(g) a stream that dies after authentication: the next send reconnects', async () => {
    const { a, b } = await startPair(pki, { trustStore: pki.ca });
    await sendToB(a, 'one');
    await b.engine.close();
    await vi.waitFor(() => expect(a.engine.connected(A, B)).toBe(false));
    expect((await sendToBError(a, 'two')).condition).toBe('remote-server-not-found');
  });

  it('(h) a stanza with a forged from domain ends the stream with invalid-from', async () => {
    const { b } = await plaintextPair();
    const peer = await authenticatedRawPeer(b.port, 'sa');
    peer.send(message(`alice@${A}`, `bob@${B}`, 'genuine'));
    await expectBodies(b, ['genuine']);
    peer.send(message(`mallory@c.parley-fed.net`, `bob@${B}`, 'forged'));
    expect(await streamError(peer)).toBe('invalid-from');
    await vi.waitFor(() => expect(peer.closed).toBe(true));
    expect(bodies(b)).toEqual(['genuine']);
  });

  it('(h) a stanza to a domain that is not ours ends the stream with host-unknown', async () => {
    const { b } = await plaintextPair();
    const peer = await authenticatedRawPeer(b.port, 'sa');
    peer.send(message(`alice@${A}`, `bob@elsewhere.parley-fed.net`, 'x'));
    expect(await streamError(peer)).toBe('host-unknown');
    expect(b.received).toEqual([]);
  });

  it('a stanza before authentication, bad XML and a wrong namespace are stream errors', async () => {
    const b = await startNode({ domain: B, pem: pki.b, config: { requireTls: false } });
    const early = await rawPeer(b.port);
    early.send(HEADER(A, B) + message(`alice@${A}`, `bob@${B}`, 'x'));
    expect(await streamError(early)).toBe('not-authorized');

    const bad = await rawPeer(b.port);
    bad.send(HEADER(A, B) + '<message><unclosed></message>');
    expect(await streamError(bad)).toBe('not-well-formed');

    const ns = await rawPeer(b.port);
    ns.send(HEADER(A, B).replace("xmlns='jabber:server'", "xmlns='jabber:client'"));
    expect(await streamError(ns)).toBe('invalid-namespace');

    const unknown = await rawPeer(b.port);
    unknown.send(HEADER(A, 'nobody.parley-fed.net'));
    expect(await streamError(unknown)).toBe('host-unknown');
    expect(b.received).toEqual([]);
  });

  it('requireTls: dialback before STARTTLS is a policy violation', async () => {
    const b = await startNode({ domain: B, pem: pki.b, config: { requireTls: true } });
    const peer = await rawPeer(b.port);
    peer.send(HEADER(A, B));
    const features = await peer.waitFor((el) => el.localName === 'features');
    expect(features.getChild('starttls')?.getChild('required')).toBeDefined();
    expect(features.getChild('dialback')).toBeUndefined();
    peer.send(`<db:result from='${A}' to='${B}'>abc</db:result>`);
    expect(await streamError(peer)).toBe('policy-violation');
  });

  it('(i) an idle stream is closed', async () => {
    const { a, b } = await startPair(pki, {
      trustStore: pki.ca,
      a: { config: { idleTimeoutMs: 300 } },
    });
    await sendToB(a, 'before');
    expect(a.engine.connected(A, B)).toBe(true);
    await vi.waitFor(() => expect(a.engine.connected(A, B)).toBe(false), { timeout: 5_000 });
    await vi.waitFor(async () => expect(await streamsOpen(b, { direction: 'in' })).toBe(0));
    // The next stanza opens a new stream.
    await sendToB(a, 'after');
    await expectBodies(b, ['before', 'after']);
  });

  it('s2s.deny and s2s.allow', async () => {
    const a = await startNode({ domain: A, pem: pki.a, config: { deny: [B] } });
    expect((await sendToBError(a)).condition).toBe('remote-server-not-found');
    const b = await startNode({
      domain: B,
      pem: pki.b,
      config: { requireTls: false, allow: ['c.parley-fed.net'] },
    });
    const peer = await rawPeer(b.port);
    peer.send(HEADER(A, B));
    expect(await streamError(peer)).toBe('policy-violation');
  });

  it('limits: stanzasPerSecond, maxStanzaBytes, maxStreamsPerDomain', async () => {
    const { b } = await plaintextPair({
      stanzasPerSecond: 5,
      maxStanzaBytes: 1024,
      maxStreamsPerDomain: 1,
    });
    const flood = await authenticatedRawPeer(b.port, 'sa');
    const second = await rawPeer(b.port);
    second.send(HEADER(A, B));
    await second.waitFor((el) => el.localName === 'features');
    second.send(
      `<db:result from='${A}' to='${B}'>${dialbackKey('sa', B, A, second.header!.attrs['id']!)}</db:result>`,
    );
    expect(await streamError(second)).toBe('policy-violation');

    flood.send(
      Array.from({ length: 30 }, (_, i) => message(`alice@${A}`, `bob@${B}`, `f${i}`)).join(''),
    );
    expect(await streamError(flood)).toBe('policy-violation');
    expect(b.received.length).toBeLessThan(30);

    const big = await authenticatedRawPeer(b.port, 'sa');
    big.send(message(`alice@${A}`, `bob@${B}`, 'x'.repeat(2_000)));
    expect(await streamError(big)).toBe('policy-violation');
  });
});
