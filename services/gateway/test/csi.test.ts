/** XEP-0352 Client State Indication: what an inactive client gets later, and in which order. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryResumptionStore } from '@parley/store';
import { startHarness } from './helpers/harness.js';
import type { Harness } from './helpers/harness.js';
import {
  NS_CSI,
  NS_SM,
  deliver,
  enableSm,
  receiveIds,
  receivedBeforeAck,
  smElement,
  storeState,
} from './helpers/sm.js';
import type { TestClient } from './helpers/test-client.js';

const CHAT_STATE = "<composing xmlns='http://jabber.org/protocol/chatstates'/>";

/**
 * Asserts that the deliveries published so far were held: nothing reached
 * the client before the answer to an ack request sent after them (the
 * gateway handles them before the client's <r/>, which comes over the wire).
 */
async function nothingArrives(client: TestClient): Promise<void> {
  expect(await receivedBeforeAck(client)).toBe('');
}

describe('XEP-0352 client state indication', () => {
  let h: Harness;
  const store = new MemoryResumptionStore();
  beforeAll(async () => {
    h = await startHarness({
      gatewayId: 'gw-csi',
      resumption: store,
      configure: (c) => {
        c.csi.maxQueued = 5;
        c.sm.ackRequestEvery = 1000;
      },
    });
    await h.createAccount('ina', 'secret');
  });
  afterAll(async () => {
    await h.close();
    await store.close();
  });

  async function inactiveLogin(resource: string) {
    const { client, jid } = await h.login('ina', 'secret', resource);
    const bind = await h.registry.waitFor('bind', (b) => b.resource === resource);
    const enabled = await enableSm(client);
    client.send(`<inactive xmlns='${NS_CSI}'/>`);
    // The answer to <r/> shows that <inactive/> (sent before it) was processed.
    client.send(`<r xmlns='${NS_SM}'/>`);
    await smElement(client, 'a');
    const send = (id: string, opts: Parameters<typeof deliver>[5] = {}) =>
      deliver(h.bus, 'gw-csi', bind.conn, jid, id, opts);
    return { client, jid, send, id: enabled.attr('id')! };
  }

  it('holds presence (latest per sender) and chat states until a message with a body', async () => {
    const { client, send, id } = await inactiveLogin('pocket');
    send('p1', { kind: 'presence', from: 'a@localhost/x' });
    send('p2', { kind: 'presence', from: 'b@localhost/y' });
    send('p3', { kind: 'presence', from: 'a@localhost/x', payload: '<show>away</show>' });
    send('c1', { from: 'a@localhost/x', payload: CHAT_STATE });
    await nothingArrives(client);
    expect(await h.metrics.text()).toMatch(/parley_csi_held_stanzas 3\b/);

    send('b1', { from: 'a@localhost/x', payload: `<body>hi</body>${CHAT_STATE}` });
    // p1 was superseded by p3 from the same sender.
    expect(await receiveIds(client, 4)).toEqual(['p2', 'p3', 'c1', 'b1']);
    expect(await h.metrics.text()).toMatch(/parley_csi_held_stanzas 0\b/);
    // Held stanzas count for stream management when they are written.
    const state = await storeState(store, id, (s) => s.outboundSeq === 4, 'four stanzas counted');
    expect(state.outbound.map(([, xml]) => /id="(\w+)"/.exec(xml)?.[1])).toEqual([
      'p2',
      'p3',
      'c1',
      'b1',
    ]);
    client.send(`<a xmlns='${NS_SM}' h='4'/>`);
    client.close();
  });

  it('writes IQs and subscription requests at once, after what is held', async () => {
    const { client, send } = await inactiveLogin('desk');
    send('p1', { kind: 'presence', from: 'a@localhost/x' });
    send('sub', { kind: 'presence', type: 'subscribe', from: 'c@localhost' });
    expect(await receiveIds(client, 2)).toEqual(['p1', 'sub']);
    send('p2', { kind: 'presence', from: 'a@localhost/x' });
    send('ping', { kind: 'iq', type: 'get', payload: "<ping xmlns='urn:xmpp:ping'/>" });
    expect(await receiveIds(client, 2)).toEqual(['p2', 'ping']);
    send('err', { type: 'error', payload: CHAT_STATE });
    expect(await receiveIds(client, 1)).toEqual(['err']);
    client.close();
  });

  it('flushes on <active/> and stops holding', async () => {
    const { client, send } = await inactiveLogin('tablet');
    send('p1', { kind: 'presence', from: 'a@localhost/x' });
    send('c1', { from: 'a@localhost/x', payload: CHAT_STATE });
    await nothingArrives(client);
    client.send(`<active xmlns='${NS_CSI}'/>`);
    expect(await receiveIds(client, 2)).toEqual(['p1', 'c1']);
    client.send(`<r xmlns='${NS_SM}'/>`);
    await smElement(client, 'a');
    send('p2', { kind: 'presence', from: 'a@localhost/x' });
    expect(await receiveIds(client, 1)).toEqual(['p2']);
    client.close();
  });

  it('flushes when csi.maxQueued stanzas are held', async () => {
    const { client, send } = await inactiveLogin('full');
    for (const n of [1, 2, 3, 4, 5]) send(`p${n}`, { kind: 'presence', from: `u${n}@localhost/r` });
    expect(await receiveIds(client, 5)).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
    client.close();
  });

  it('keeps held stanzas for a resumption when the connection drops', async () => {
    const { client, send, id } = await inactiveLogin('drop');
    send('p1', { kind: 'presence', from: 'a@localhost/x' });
    await nothingArrives(client);
    client.close();
    const state = await storeState(
      store,
      id,
      (s) => s.outbound.length === 1,
      'the held presence queued',
    );
    expect(state.outbound[0]?.[1]).toContain('id="p1"');
  });
});
