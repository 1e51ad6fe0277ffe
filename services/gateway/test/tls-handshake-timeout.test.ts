/**
 * c2s.tlsHandshakeTimeoutMs (issue 15): a TCP connection that never sends a
 * ClientHello is closed after the handshake timeout on the direct TLS port,
 * the wss:// listener (Node's own default would keep it 120 s) and after
 * STARTTLS; c2s.connectTimeoutMs (long here) is not what closes them.
 */
import { connect as netConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NS_TLS } from '@parley/stanza';
import { startHarness } from './helpers/harness.js';
import type { Harness } from './helpers/harness.js';

const HANDSHAKE_MS = 200;

/** Connects and sends nothing; resolves with how long the server kept the socket open. */
function silentFor(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ port, host: '127.0.0.1' });
    let opened = 0;
    socket.once('connect', () => (opened = Date.now()));
    socket.once('close', () =>
      opened === 0 ? reject(new Error('no connection')) : resolve(Date.now() - opened),
    );
    socket.on('error', () => undefined);
    // Far beyond the handshake timeout: the test fails if the server waits for connectTimeoutMs.
    setTimeout(() => socket.destroy(new Error('not closed by the server')), 20_000).unref();
  });
}

describe('TLS handshake timeout', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      directTls: true,
      configure: (c) => {
        c.c2s.tlsHandshakeTimeoutMs = HANDSHAKE_MS;
        c.c2s.connectTimeoutMs = 60_000;
        c.websocket.enabled = true;
        c.websocket.listeners = ['wss'];
        c.websocket.tlsPort = 0;
        c.websocket.tlsHost = '127.0.0.1';
      },
    });
  });
  afterAll(() => h.close());

  it('closes a direct TLS connection that sends no ClientHello', async () => {
    const kept = await silentFor(h.gateway.ports.directTls!);
    expect(kept).toBeGreaterThanOrEqual(HANDSHAKE_MS - 20);
    expect(kept).toBeLessThan(15_000);
  });

  it('closes a wss:// connection that sends no ClientHello', async () => {
    const kept = await silentFor(h.gateway.ports.websocketTls!);
    expect(kept).toBeGreaterThanOrEqual(HANDSHAKE_MS - 20);
    expect(kept).toBeLessThan(15_000);
  });

  it('closes a stream that sent <starttls/> and then no ClientHello', async () => {
    const client = await h.connect();
    await client.open();
    client.send(`<starttls xmlns='${NS_TLS}'/>`);
    const proceed = await client.next();
    expect(proceed.is('proceed', NS_TLS)).toBe(true);
    const at = Date.now();
    await client.closed(15_000);
    expect(Date.now() - at).toBeLessThan(15_000);
  });
});
