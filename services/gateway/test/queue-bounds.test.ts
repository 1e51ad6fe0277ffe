/**
 * Byte bounds of what a client makes the gateway hold for it: the output
 * waiting for a client that does not read (c2s.maxPendingOutputBytes) and
 * the XEP-0198 queue of unacknowledged stanzas (sm.maxQueueBytes). At the
 * bound the stream is closed with resource-constraint; nothing is lost
 * (bounced, or kept for resumption).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WAIT, startHarness } from './helpers/harness.js';
import type { Harness } from './helpers/harness.js';
import { deliver, enableSm } from './helpers/sm.js';

async function overflows(h: Harness, bound: string): Promise<number> {
  const m = new RegExp(`parley_c2s_queue_overflows_total\\{bound="${bound}"\\} (\\d+)`).exec(
    await h.metrics.text(),
  );
  return Number(m?.[1] ?? NaN);
}

describe('XEP-0198 queue bound', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      gatewayId: 'gw-q',
      configure: (c) => {
        c.c2s.maxPendingOutputBytes = 256 * 1024;
        c.sm.maxQueueBytes = 65_536;
        c.sm.maxQueue = 1000;
        c.sm.ackRequestEvery = 1000;
        c.sm.resumeTimeoutMs = 60_000;
      },
    });
    await h.createAccount('una', 'secret');
  });
  afterAll(() => h.close());

  it('ends a session whose unacknowledged stanzas exceed sm.maxQueueBytes, bouncing them', async () => {
    const { client, jid } = await h.login('una', 'secret', 'phone');
    const bind = await h.registry.waitFor('bind', (b) => b.resource === 'phone');
    await enableSm(client, false);
    const payload = `<body>${'z'.repeat(30_000)}</body>`;
    // Two fit in 64 KiB, the third does not: far below sm.maxQueue (1000) stanzas.
    for (const id of ['q1', 'q2', 'q3']) deliver(h.bus, 'gw-q', bind.conn, jid, id, { payload });
    expect(await client.streamError()).toBe('resource-constraint');
    await h.registry.waitFor('unbind', (u) => u.jid === jid);
    await vi.waitFor(
      () =>
        expect(
          h.registry
            .of('bounce')
            .filter((b) => b.to === jid)
            .map((b) => b.env.id),
        ).toEqual(['q1', 'q2', 'q3']),
      WAIT,
    );
    expect(await overflows(h, 'sm-bytes')).toBe(1);
    expect(h.logs.some((l) => l.includes('too much unacknowledged data'))).toBe(true);
  });
});

describe('output bound', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      gatewayId: 'gw-out',
      configure: (c) => {
        c.c2s.maxPendingOutputBytes = 256 * 1024;
        // Room for what the kernel's socket buffers take before the gateway's own buffer grows.
        c.sm.maxQueueBytes = 64 * 1024 * 1024;
        c.sm.maxQueue = 100_000;
        c.sm.ackRequestEvery = 100_000;
        c.sm.resumeTimeoutMs = 60_000;
      },
    });
    await h.createAccount('una', 'secret');
  });
  afterAll(() => h.close());

  it('closes the stream of a client that does not read with resource-constraint; its resumable session waits', async () => {
    const { client, jid } = await h.login('una', 'secret', 'stuck');
    const { client: bystander } = await h.login('una', 'secret', 'fine');
    const bind = await h.registry.waitFor('bind', (b) => b.resource === 'stuck');
    const enabled = await enableSm(client);
    expect(enabled.attr('resume')).toBe('true');
    client.socket.pause();
    const payload = `<body>${'y'.repeat(16 * 1024)}</body>`;
    for (let i = 0; i < 4000 && !closedByOverflow(h, bind.conn); i++) {
      deliver(h.bus, 'gw-out', bind.conn, jid, `s${i}`, { payload });
      // Now and then the gateway handles what was published and writes it out.
      if (i % 20 === 0) await h.bus.flush();
    }
    expect(closedByOverflow(h, bind.conn)).toBe(true);
    expect(await overflows(h, 'output')).toBe(1);
    // The client reads again: what was buffered, then the error.
    client.socket.resume();
    expect(await client.streamError(20_000)).toBe('resource-constraint');
    expect(client.raw).toContain('the client is not reading');
    // A resumable session is kept for resumption, as after a lost connection.
    await vi.waitFor(() => expect(h.gateway.detachedCount()).toBe(1), WAIT);
    bystander.send("<message to='una@localhost' id='alive'/>");
    await h.registry.waitFor('stanza', (m) => m.env.id === 'alive');
    bystander.close();
  });
});

function closedByOverflow(h: Harness, conn: string): boolean {
  return h.logs.some((l) => l.includes('client is not reading') && l.includes(conn));
}
