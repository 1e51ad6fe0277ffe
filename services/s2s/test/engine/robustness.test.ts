import { once } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { dialbackKey } from '../../src/engine/dialback-key.js';
import { S2sDeliveryError } from '../../src/engine/index.js';
import { A, B, bodies, message, startNode, stopNodes, twoPorts } from './harness.js';
import { makePki, serverSan } from './pki.js';
import type { TestFedPki } from './pki.js';
import { RawPeer } from './raw-peer.js';

let pki: TestFedPki;
const servers: Server[] = [];
const peers: RawPeer[] = [];

beforeAll(async () => {
  pki = await makePki([
    { name: 'a', san: serverSan(A) },
    { name: 'b', san: serverSan(B) },
  ]);
});

afterAll(async () => {
  await pki?.remove();
});

afterEach(async () => {
  for (const p of peers.splice(0)) p.socket.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  await stopNodes();
});

const HEADER = (from: string, to: string) =>
  `<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' from='${from}' to='${to}' version='1.0'>`;

/** A raw peer that authenticated as A on B's plaintext port with dialback (A's engine answers the verification). */
async function authenticatedRawPeer(bPort: number, secretA: string): Promise<RawPeer> {
  const peer = await RawPeer.connect(bPort);
  peers.push(peer);
  peer.send(HEADER(A, B));
  await peer.waitFor((el) => el.localName === 'features');
  const id = peer.header!.attrs['id']!;
  peer.send(`<db:result from='${A}' to='${B}'>${dialbackKey(secretA, B, A, id)}</db:result>`);
  const result = await peer.waitFor((el) => el.localName === 'result');
  expect(result.attr('type')).toBe('valid');
  return peer;
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
      pem: pki.certs['a']!,
      trustStore: pki.ca,
      config: { overrides: [`${B}=127.0.0.1:${port}`], retryAfterMs: 60_000 },
    });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        a.engine.send(A, B, message(`alice@${A}`, `bob@${B}`, `d${i}`)),
      ),
    );
    for (const r of results) {
      expect(r.status).toBe('rejected');
      const reason = (r as PromiseRejectedResult).reason as S2sDeliveryError;
      expect(reason).toBeInstanceOf(S2sDeliveryError);
      expect(reason.condition).toBe('remote-server-timeout');
    }
    const again = await a.engine
      .send(A, B, message(`alice@${A}`, `bob@${B}`, 'later'))
      .catch((e: unknown) => e);
    expect((again as S2sDeliveryError).condition).toBe('remote-server-timeout');
    expect((again as Error).message).toMatch(/retrying after/);
    expect(connections).toBe(1);
  });

  it('(g) connection refused: remote-server-not-found', async () => {
    const [unused] = await twoPorts();
    const a = await startNode({
      domain: A,
      pem: pki.certs['a']!,
      config: { overrides: [`${B}=127.0.0.1:${unused}`] },
    });
    const err = await a.engine
      .send(A, B, message(`alice@${A}`, `bob@${B}`, 'x'))
      .catch((e: unknown) => e);
    expect((err as S2sDeliveryError).condition).toBe('remote-server-not-found');
  });

  it('(g) a stream that dies after authentication: the next send reconnects', async () => {
    const [pa, pb] = await twoPorts();
    const a = await startNode({
      domain: A,
      pem: pki.certs['a']!,
      trustStore: pki.ca,
      port: pa,
      config: { overrides: [`${B}=127.0.0.1:${pb}`] },
    });
    const b = await startNode({
      domain: B,
      pem: pki.certs['b']!,
      trustStore: pki.ca,
      port: pb,
      config: { overrides: [`${A}=127.0.0.1:${pa}`] },
    });
    await a.engine.send(A, B, message(`alice@${A}`, `bob@${B}`, 'one'));
    await b.engine.close();
    await vi.waitFor(() => expect(a.engine.connected(A, B)).toBe(false));
    const err = await a.engine
      .send(A, B, message(`alice@${A}`, `bob@${B}`, 'two'))
      .catch((e: unknown) => e);
    expect((err as S2sDeliveryError).condition).toBe('remote-server-not-found');
  });

  it('(h) a stanza with a forged from domain ends the stream with invalid-from', async () => {
    const [pa, pb] = await twoPorts();
    await startNode({ domain: A, pem: pki.certs['a']!, secret: 'sa', port: pa });
    const b = await startNode({
      domain: B,
      pem: pki.certs['b']!,
      port: pb,
      config: { requireTls: false, overrides: [`${A}=127.0.0.1:${pa}`] },
    });
    const peer = await authenticatedRawPeer(pb, 'sa');
    peer.send(message(`alice@${A}`, `bob@${B}`, 'genuine'));
    await vi.waitFor(() => expect(bodies(b)).toEqual(['genuine']));
    peer.send(message(`mallory@c.parley-fed.net`, `bob@${B}`, 'forged'));
    const error = await peer.waitFor((el) => el.localName === 'error');
    expect(error.getChildElements()[0]!.localName).toBe('invalid-from');
    await vi.waitFor(() => expect(peer.closed).toBe(true));
    expect(bodies(b)).toEqual(['genuine']);
  });

  it('(h) a stanza to a domain that is not ours ends the stream with host-unknown', async () => {
    const [pa, pb] = await twoPorts();
    await startNode({ domain: A, pem: pki.certs['a']!, secret: 'sa', port: pa });
    const b = await startNode({
      domain: B,
      pem: pki.certs['b']!,
      port: pb,
      config: { requireTls: false, overrides: [`${A}=127.0.0.1:${pa}`] },
    });
    const peer = await authenticatedRawPeer(pb, 'sa');
    peer.send(message(`alice@${A}`, `bob@elsewhere.parley-fed.net`, 'x'));
    const error = await peer.waitFor((el) => el.localName === 'error');
    expect(error.getChildElements()[0]!.localName).toBe('host-unknown');
    expect(b.received).toEqual([]);
  });

  it('a stanza before authentication, bad XML and a wrong namespace are stream errors', async () => {
    const b = await startNode({ domain: B, pem: pki.certs['b']!, config: { requireTls: false } });
    const early = await RawPeer.connect(b.port);
    peers.push(early);
    early.send(HEADER(A, B) + message(`alice@${A}`, `bob@${B}`, 'x'));
    expect(
      (await early.waitFor((el) => el.localName === 'error')).getChildElements()[0]!.localName,
    ).toBe('not-authorized');

    const bad = await RawPeer.connect(b.port);
    peers.push(bad);
    bad.send(HEADER(A, B) + '<message><unclosed></message>');
    expect(
      (await bad.waitFor((el) => el.localName === 'error')).getChildElements()[0]!.localName,
    ).toBe('not-well-formed');

    const ns = await RawPeer.connect(b.port);
    peers.push(ns);
    ns.send(HEADER(A, B).replace("xmlns='jabber:server'", "xmlns='jabber:client'"));
    expect(
      (await ns.waitFor((el) => el.localName === 'error')).getChildElements()[0]!.localName,
    ).toBe('invalid-namespace');

    const unknown = await RawPeer.connect(b.port);
    peers.push(unknown);
    unknown.send(HEADER(A, 'nobody.parley-fed.net'));
    expect(
      (await unknown.waitFor((el) => el.localName === 'error')).getChildElements()[0]!.localName,
    ).toBe('host-unknown');
    expect(b.received).toEqual([]);
  });

  it('requireTls: dialback before STARTTLS is a policy violation', async () => {
    const b = await startNode({ domain: B, pem: pki.certs['b']!, config: { requireTls: true } });
    const peer = await RawPeer.connect(b.port);
    peers.push(peer);
    peer.send(HEADER(A, B));
    const features = await peer.waitFor((el) => el.localName === 'features');
    expect(features.getChild('starttls')?.getChild('required')).toBeDefined();
    expect(features.getChild('dialback')).toBeUndefined();
    peer.send(`<db:result from='${A}' to='${B}'>abc</db:result>`);
    expect(
      (await peer.waitFor((el) => el.localName === 'error')).getChildElements()[0]!.localName,
    ).toBe('policy-violation');
  });

  it('(i) an idle stream is closed', async () => {
    const [pa, pb] = await twoPorts();
    const a = await startNode({
      domain: A,
      pem: pki.certs['a']!,
      trustStore: pki.ca,
      port: pa,
      config: { idleTimeoutMs: 300, overrides: [`${B}=127.0.0.1:${pb}`] },
    });
    const b = await startNode({
      domain: B,
      pem: pki.certs['b']!,
      trustStore: pki.ca,
      port: pb,
      config: { overrides: [`${A}=127.0.0.1:${pa}`] },
    });
    await a.engine.send(A, B, message(`alice@${A}`, `bob@${B}`, 'before'));
    expect(a.engine.connected(A, B)).toBe(true);
    await vi.waitFor(() => expect(a.engine.connected(A, B)).toBe(false), { timeout: 5_000 });
    await vi.waitFor(async () =>
      expect(await b.metrics.value('s2s_streams_open', { direction: 'in' })).toBe(0),
    );
    // The next stanza opens a new stream.
    await a.engine.send(A, B, message(`alice@${A}`, `bob@${B}`, 'after'));
    await vi.waitFor(() => expect(bodies(b)).toEqual(['before', 'after']));
  });

  it('s2s.deny and s2s.allow', async () => {
    const a = await startNode({ domain: A, pem: pki.certs['a']!, config: { deny: [B] } });
    const denied = await a.engine
      .send(A, B, message(`alice@${A}`, `bob@${B}`, 'x'))
      .catch((e: unknown) => e);
    expect((denied as S2sDeliveryError).condition).toBe('remote-server-not-found');
    const b = await startNode({
      domain: B,
      pem: pki.certs['b']!,
      config: { requireTls: false, allow: ['c.parley-fed.net'] },
    });
    const peer = await RawPeer.connect(b.port);
    peers.push(peer);
    peer.send(HEADER(A, B));
    expect(
      (await peer.waitFor((el) => el.localName === 'error')).getChildElements()[0]!.localName,
    ).toBe('policy-violation');
  });

  it('limits: stanzasPerSecond, maxStanzaBytes, maxStreamsPerDomain', async () => {
    const [pa, pb] = await twoPorts();
    await startNode({ domain: A, pem: pki.certs['a']!, secret: 'sa', port: pa });
    const b = await startNode({
      domain: B,
      pem: pki.certs['b']!,
      port: pb,
      config: {
        requireTls: false,
        stanzasPerSecond: 5,
        maxStanzaBytes: 1024,
        maxStreamsPerDomain: 1,
        overrides: [`${A}=127.0.0.1:${pa}`],
      },
    });
    const flood = await authenticatedRawPeer(pb, 'sa');
    const second = await RawPeer.connect(pb);
    peers.push(second);
    second.send(HEADER(A, B));
    await second.waitFor((el) => el.localName === 'features');
    second.send(
      `<db:result from='${A}' to='${B}'>${dialbackKey('sa', B, A, second.header!.attrs['id']!)}</db:result>`,
    );
    const tooMany = await second.waitFor((el) => el.localName === 'error');
    expect(tooMany.getChildElements()[0]!.localName).toBe('policy-violation');

    flood.send(
      Array.from({ length: 30 }, (_, i) => message(`alice@${A}`, `bob@${B}`, `f${i}`)).join(''),
    );
    const rate = await flood.waitFor((el) => el.localName === 'error');
    expect(rate.getChildElements()[0]!.localName).toBe('policy-violation');
    expect(b.received.length).toBeLessThan(30);

    const big = await authenticatedRawPeer(pb, 'sa');
    big.send(message(`alice@${A}`, `bob@${B}`, 'x'.repeat(2_000)));
    const size = await big.waitFor((el) => el.localName === 'error');
    expect(size.getChildElements()[0]!.localName).toBe('policy-violation');
  });
});
