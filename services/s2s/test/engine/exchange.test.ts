import { describe, expect, it, vi } from 'vitest';
import { S2sDeliveryError } from '../../src/engine/index.js';
import {
  A,
  B,
  bodies,
  dialbackResults,
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

const pki = useEngineTests();

describe('S2S engine exchange', () => {
  it('(a) dialback-authenticated exchange in both directions', async () => {
    // Each side trusts only the unrelated CA: certificates never verify, dialback is needed.
    const { a, b } = await startPair(pki, { trustStore: pki.otherCa });
    await a.engine.send(A, B, message(`alice@${A}/x`, `bob@${B}`, 'hello b'));
    await expectBodies(b, ['hello b']);
    expect(b.received[0]!.route).toEqual({ from: A, to: B });
    expect(a.engine.connected(A, B)).toBe(true);
    await b.engine.send(B, A, message(`bob@${B}`, `alice@${A}/x`, 'hello a'));
    await expectBodies(a, ['hello a']);
    expect(await streamsOpen(a, { remote: B, direction: 'out', auth: 'dialback' })).toBe(1);
    expect(await dialbackResults(b, { remote: A, role: 'receiving', result: 'valid' })).toBe(1);
    expect(await dialbackResults(a, { remote: B, role: 'authoritative', result: 'valid' })).toBe(1);
  });

  it('(b) SASL EXTERNAL with trusted certificates', async () => {
    const secureAuth = { config: { secureAuth: true } };
    const { a, b } = await startPair(pki, { trustStore: pki.ca, a: secureAuth, b: secureAuth });
    await sendToB(a, 'via sasl');
    await expectBodies(b, ['via sasl']);
    expect(await streamsOpen(a, { remote: B, direction: 'out', auth: 'sasl' })).toBe(1);
    expect(await streamsOpen(b, { remote: A, direction: 'in', auth: 'sasl' })).toBe(1);
  });

  it('(c) an untrusted certificate is refused under secureAuth', async () => {
    const { a, b } = await startPair(pki, {
      trustStore: pki.ca,
      a: { pem: pki.untrusted },
      b: { config: { secureAuth: true } },
    });
    const err = await sendToBError(a);
    expect(err).toBeInstanceOf(S2sDeliveryError);
    expect(err.condition).toBe('remote-server-not-found');
    expect(b.received).toEqual([]);
  });

  it('(c) a certificate for the wrong domain is refused by a secureAuth initiator', async () => {
    const { a } = await startPair(pki, {
      trustStore: pki.ca,
      a: { config: { secureAuth: true } },
      b: { pem: pki.wrongDomain },
    });
    const err = await sendToBError(a);
    expect(err.condition).toBe('remote-server-not-found');
    expect(err.message).toMatch(/certificate/);
    expect(
      await a.metrics.value('s2s_connection_failures_total', { remote: B, reason: 'certificate' }),
    ).toBe(1);
  });

  it('(c) without secureAuth, bad certificates fall back to dialback', async () => {
    const { a, b } = await startPair(pki, {
      trustStore: pki.ca,
      a: { pem: pki.untrusted },
      b: { pem: pki.wrongDomain },
    });
    await sendToB(a, 'fallback');
    await expectBodies(b, ['fallback']);
    expect(await streamsOpen(a, { remote: B, direction: 'out', auth: 'dialback' })).toBe(1);
  });

  it('(d) a dialback key the authoritative server does not confirm is refused', async () => {
    const [pa2, pb] = await twoPorts();
    // a1 makes keys with one secret; b asks a2 (same domain, other secret), which finds them invalid.
    const a1 = await startNode({
      domain: A,
      pem: pki.a,
      trustStore: pki.otherCa,
      secret: 'one',
      config: { overrides: [`${B}=127.0.0.1:${pb}`] },
    });
    await startNode({ domain: A, pem: pki.a, trustStore: pki.otherCa, secret: 'two', port: pa2 });
    const b = await startNode({
      domain: B,
      pem: pki.b,
      trustStore: pki.otherCa,
      port: pb,
      config: { overrides: [`${A}=127.0.0.1:${pa2}`] },
    });
    const err = await sendToBError(a1);
    expect(err.condition).toBe('remote-server-not-found');
    expect(err.message).toMatch(/dialback refused/);
    expect(await dialbackResults(b, { remote: A, role: 'receiving', result: 'invalid' })).toBe(1);
    expect(b.received).toEqual([]);
  });

  it('(e) direct TLS port (XEP-0368)', async () => {
    const pa = (await twoPorts())[0];
    const b = await startNode({
      domain: B,
      pem: pki.b,
      trustStore: pki.ca,
      config: { directTlsPort: -1, overrides: [`${A}=127.0.0.1:${pa}`] },
    });
    expect(b.directTlsPort).toBeGreaterThan(0);
    const a = await startNode({
      domain: A,
      pem: pki.a,
      trustStore: pki.ca,
      port: pa,
      config: { overrides: [`${B}=tls://127.0.0.1:${b.directTlsPort}`] },
    });
    await sendToB(a, 'direct');
    await expectBodies(b, ['direct']);
    expect(await streamsOpen(a, { remote: B, direction: 'out', auth: 'sasl' })).toBe(1);
  });

  it('(f) queues while connecting and keeps the order of 100 stanzas', async () => {
    const { a, b } = await startPair(pki, { trustStore: pki.otherCa });
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 100; i++) sends.push(sendToB(a, `m${i}`));
    expect(a.engine.connected(A, B)).toBe(false);
    await Promise.all(sends);
    await vi.waitFor(() => expect(b.received).toHaveLength(100));
    expect(bodies(b)).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`));
  });

  it('(f) refuses more than queueMax stanzas while connecting', async () => {
    const { a } = await startPair(pki, { trustStore: pki.otherCa, a: { config: { queueMax: 3 } } });
    const sends = [1, 2, 3].map((i) => sendToB(a, `q${i}`));
    const fourth = await sendToBError(a, 'q4');
    expect(fourth.condition).toBe('resource-constraint');
    await Promise.all(sends);
  });

  it('(j) bidi: the receiving server sends back on the same stream', async () => {
    const { a, b } = await startPair(pki, { trustStore: pki.ca });
    await sendToB(a, 'ping');
    await vi.waitFor(() => expect(b.received).toHaveLength(1));
    expect(b.engine.connected(B, A)).toBe(true);
    await b.engine.send(B, A, message(`bob@${B}`, `alice@${A}`, 'pong'));
    await expectBodies(a, ['pong']);
    // No second connection: a has no inbound stream, b no outbound one.
    expect(await streamsOpen(a, { direction: 'in' })).toBe(0);
    expect(await streamsOpen(b, { direction: 'out' })).toBe(0);
  });
});
