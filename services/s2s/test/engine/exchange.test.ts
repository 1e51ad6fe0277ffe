import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { S2sDeliveryError } from '../../src/engine/index.js';
import { A, B, bodies, message, startNode, stopNodes, twoPorts } from './harness.js';
import { makePki, serverSan } from './pki.js';
import type { TestFedPki } from './pki.js';

let pki: TestFedPki;

beforeAll(async () => {
  pki = await makePki([
    { name: 'a', san: serverSan(A) },
    { name: 'b', san: serverSan(B) },
    { name: 'a-untrusted', san: serverSan(A), ca: 'other' },
    { name: 'b-wrong-domain', san: serverSan('c.parley-fed.net') },
  ]);
});

afterAll(async () => {
  await pki?.remove();
});

afterEach(async () => {
  await stopNodes();
});

describe('S2S engine exchange', () => {
  it('(a) dialback-authenticated exchange in both directions', async () => {
    const [pa, pb] = await twoPorts();
    // Each side trusts only the unrelated CA: certificates never verify, dialback is needed.
    const a = await startNode({
      domain: A,
      pem: pki.certs['a']!,
      trustStore: pki.otherCa,
      port: pa,
      config: { overrides: [`${B}=127.0.0.1:${pb}`] },
    });
    const b = await startNode({
      domain: B,
      pem: pki.certs['b']!,
      trustStore: pki.otherCa,
      port: pb,
      config: { overrides: [`${A}=127.0.0.1:${pa}`] },
    });
    await a.engine.send(A, B, message(`alice@${A}/x`, `bob@${B}`, 'hello b'));
    await vi.waitFor(() => expect(bodies(b)).toEqual(['hello b']));
    expect(b.received[0]!.route).toEqual({ from: A, to: B });
    expect(a.engine.connected(A, B)).toBe(true);
    await b.engine.send(B, A, message(`bob@${B}`, `alice@${A}/x`, 'hello a'));
    await vi.waitFor(() => expect(bodies(a)).toEqual(['hello a']));
    expect(
      await a.metrics.value('s2s_streams_open', { remote: B, direction: 'out', auth: 'dialback' }),
    ).toBe(1);
    expect(
      await b.metrics.value('s2s_dialback_results_total', {
        remote: A,
        role: 'receiving',
        result: 'valid',
      }),
    ).toBe(1);
    expect(
      await a.metrics.value('s2s_dialback_results_total', {
        remote: B,
        role: 'authoritative',
        result: 'valid',
      }),
    ).toBe(1);
  });

  it('(b) SASL EXTERNAL with trusted certificates', async () => {
    const [pa, pb] = await twoPorts();
    const a = await startNode({
      domain: A,
      pem: pki.certs['a']!,
      trustStore: pki.ca,
      port: pa,
      config: { overrides: [`${B}=127.0.0.1:${pb}`], secureAuth: true },
    });
    const b = await startNode({
      domain: B,
      pem: pki.certs['b']!,
      trustStore: pki.ca,
      port: pb,
      config: { overrides: [`${A}=127.0.0.1:${pa}`], secureAuth: true },
    });
    await a.engine.send(A, B, message(`alice@${A}`, `bob@${B}`, 'via sasl'));
    await vi.waitFor(() => expect(bodies(b)).toEqual(['via sasl']));
    expect(
      await a.metrics.value('s2s_streams_open', { remote: B, direction: 'out', auth: 'sasl' }),
    ).toBe(1);
    expect(
      await b.metrics.value('s2s_streams_open', { remote: A, direction: 'in', auth: 'sasl' }),
    ).toBe(1);
  });

  it('(c) an untrusted certificate is refused under secureAuth', async () => {
    const [pa, pb] = await twoPorts();
    const a = await startNode({
      domain: A,
      pem: pki.certs['a-untrusted']!,
      trustStore: pki.ca,
      port: pa,
      config: { overrides: [`${B}=127.0.0.1:${pb}`] },
    });
    const b = await startNode({
      domain: B,
      pem: pki.certs['b']!,
      trustStore: pki.ca,
      port: pb,
      config: { overrides: [`${A}=127.0.0.1:${pa}`], secureAuth: true },
    });
    const err = await a.engine
      .send(A, B, message(`alice@${A}`, `bob@${B}`, 'x'))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(S2sDeliveryError);
    expect((err as S2sDeliveryError).condition).toBe('remote-server-not-found');
    expect(b.received).toEqual([]);
  });

  it('(c) a certificate for the wrong domain is refused by a secureAuth initiator', async () => {
    const [pa, pb] = await twoPorts();
    const a = await startNode({
      domain: A,
      pem: pki.certs['a']!,
      trustStore: pki.ca,
      port: pa,
      config: { overrides: [`${B}=127.0.0.1:${pb}`], secureAuth: true },
    });
    await startNode({
      domain: B,
      pem: pki.certs['b-wrong-domain']!,
      trustStore: pki.ca,
      port: pb,
      config: { overrides: [`${A}=127.0.0.1:${pa}`] },
    });
    const err = await a.engine
      .send(A, B, message(`alice@${A}`, `bob@${B}`, 'x'))
      .catch((e: unknown) => e);
    expect((err as S2sDeliveryError).condition).toBe('remote-server-not-found');
    expect((err as Error).message).toMatch(/certificate/);
    expect(
      await a.metrics.value('s2s_connection_failures_total', { remote: B, reason: 'certificate' }),
    ).toBe(1);
  });

  it('(c) without secureAuth, bad certificates fall back to dialback', async () => {
    const [pa, pb] = await twoPorts();
    const a = await startNode({
      domain: A,
      pem: pki.certs['a-untrusted']!,
      trustStore: pki.ca,
      port: pa,
      config: { overrides: [`${B}=127.0.0.1:${pb}`] },
    });
    const b = await startNode({
      domain: B,
      pem: pki.certs['b-wrong-domain']!,
      trustStore: pki.ca,
      port: pb,
      config: { overrides: [`${A}=127.0.0.1:${pa}`] },
    });
    await a.engine.send(A, B, message(`alice@${A}`, `bob@${B}`, 'fallback'));
    await vi.waitFor(() => expect(bodies(b)).toEqual(['fallback']));
    expect(
      await a.metrics.value('s2s_streams_open', { remote: B, direction: 'out', auth: 'dialback' }),
    ).toBe(1);
  });

  it('(d) a dialback key the authoritative server does not confirm is refused', async () => {
    const [pa2, pb] = await twoPorts();
    // a1 makes keys with one secret; b asks a2 (same domain, other secret), which finds them invalid.
    const a1 = await startNode({
      domain: A,
      pem: pki.certs['a']!,
      trustStore: pki.otherCa,
      secret: 'one',
      config: { overrides: [`${B}=127.0.0.1:${pb}`] },
    });
    await startNode({
      domain: A,
      pem: pki.certs['a']!,
      trustStore: pki.otherCa,
      secret: 'two',
      port: pa2,
    });
    const b = await startNode({
      domain: B,
      pem: pki.certs['b']!,
      trustStore: pki.otherCa,
      port: pb,
      config: { overrides: [`${A}=127.0.0.1:${pa2}`] },
    });
    const err = await a1.engine
      .send(A, B, message(`alice@${A}`, `bob@${B}`, 'x'))
      .catch((e: unknown) => e);
    expect((err as S2sDeliveryError).condition).toBe('remote-server-not-found');
    expect((err as Error).message).toMatch(/dialback refused/);
    expect(
      await b.metrics.value('s2s_dialback_results_total', {
        remote: A,
        role: 'receiving',
        result: 'invalid',
      }),
    ).toBe(1);
    expect(b.received).toEqual([]);
  });

  it('(e) direct TLS port (XEP-0368)', async () => {
    const pa = (await twoPorts())[0];
    const b = await startNode({
      domain: B,
      pem: pki.certs['b']!,
      trustStore: pki.ca,
      config: { directTlsPort: -1, overrides: [`${A}=127.0.0.1:${pa}`] },
    });
    expect(b.directTlsPort).toBeGreaterThan(0);
    const a = await startNode({
      domain: A,
      pem: pki.certs['a']!,
      trustStore: pki.ca,
      port: pa,
      config: { overrides: [`${B}=tls://127.0.0.1:${b.directTlsPort}`] },
    });
    await a.engine.send(A, B, message(`alice@${A}`, `bob@${B}`, 'direct'));
    await vi.waitFor(() => expect(bodies(b)).toEqual(['direct']));
    expect(
      await a.metrics.value('s2s_streams_open', { remote: B, direction: 'out', auth: 'sasl' }),
    ).toBe(1);
  });

  it('(f) queues while connecting and keeps the order of 100 stanzas', async () => {
    const [pa, pb] = await twoPorts();
    const a = await startNode({
      domain: A,
      pem: pki.certs['a']!,
      trustStore: pki.otherCa,
      port: pa,
      config: { overrides: [`${B}=127.0.0.1:${pb}`] },
    });
    const b = await startNode({
      domain: B,
      pem: pki.certs['b']!,
      trustStore: pki.otherCa,
      port: pb,
      config: { overrides: [`${A}=127.0.0.1:${pa}`] },
    });
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 100; i++)
      sends.push(a.engine.send(A, B, message(`alice@${A}`, `bob@${B}`, `m${i}`)));
    expect(a.engine.connected(A, B)).toBe(false);
    await Promise.all(sends);
    await vi.waitFor(() => expect(b.received).toHaveLength(100));
    expect(bodies(b)).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`));
  });

  it('(f) refuses more than queueMax stanzas while connecting', async () => {
    const [pa, pb] = await twoPorts();
    const a = await startNode({
      domain: A,
      pem: pki.certs['a']!,
      trustStore: pki.otherCa,
      port: pa,
      config: { queueMax: 3, overrides: [`${B}=127.0.0.1:${pb}`] },
    });
    await startNode({
      domain: B,
      pem: pki.certs['b']!,
      trustStore: pki.otherCa,
      port: pb,
      config: { overrides: [`${A}=127.0.0.1:${pa}`] },
    });
    const sends = [1, 2, 3].map((i) =>
      a.engine.send(A, B, message(`alice@${A}`, `bob@${B}`, `q${i}`)),
    );
    const fourth = await a.engine
      .send(A, B, message(`alice@${A}`, `bob@${B}`, 'q4'))
      .catch((e: unknown) => e);
    expect((fourth as S2sDeliveryError).condition).toBe('resource-constraint');
    await Promise.all(sends);
  });

  it('(j) bidi: the receiving server sends back on the same stream', async () => {
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
    await a.engine.send(A, B, message(`alice@${A}`, `bob@${B}`, 'ping'));
    await vi.waitFor(() => expect(b.received).toHaveLength(1));
    expect(b.engine.connected(B, A)).toBe(true);
    await b.engine.send(B, A, message(`bob@${B}`, `alice@${A}`, 'pong'));
    await vi.waitFor(() => expect(bodies(a)).toEqual(['pong']));
    // No second connection: a has no inbound stream, b no outbound one.
    expect(await a.metrics.value('s2s_streams_open', { direction: 'in' })).toBe(0);
    expect(await b.metrics.value('s2s_streams_open', { direction: 'out' })).toBe(0);
  });
});
