/** XEP-0198 Stream Management on one gateway: enabling, acks, resumption, expiry, limits. */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { gatewaySubject, routeSubject } from '@parley/routing';
import { MemoryResumptionStore } from '@parley/store';
import { WAIT, startHarness } from './helpers/harness.js';
import type { Harness } from './helpers/harness.js';
import {
  NS_SM,
  authenticate,
  deliver,
  enableSm,
  expectReleasedAfterTakeover,
  receiveIds,
  smElement,
  smLogin as loginWithSm,
  storeState,
} from './helpers/sm.js';
import { boundJid } from './helpers/test-client.js';

const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

describe('XEP-0198 stream management', () => {
  let h: Harness;
  const store = new MemoryResumptionStore();
  beforeAll(async () => {
    h = await startHarness({
      resumption: store,
      configure: (c) => {
        c.sm.resumeTimeoutMs = 60_000;
        c.sm.ackRequestEvery = 3;
      },
    });
    await h.createAccount('sam', 'secret');
    await h.createAccount('eve', 'secret');
  });
  afterAll(async () => {
    await h.close();
    await store.close();
  });
  beforeEach(() => {
    h.registry.received.length = 0;
  });

  /** Logs in, enables resumable SM; returns the client, its JID, connection id and SM-ID. */
  const smLogin = (resource: string, local = 'sam') => loginWithSm(h, local, resource);

  it('is offered after authentication only, next to CSI', async () => {
    const client = await h.connect();
    const first = await client.open();
    expect(first.getChild('sm', NS_SM)).toBeUndefined();
    await client.starttls();
    expect((await client.open()).getChild('sm', NS_SM)).toBeUndefined();
    await client.scram('sam', 'secret');
    const features = await client.open();
    expect(features.getChild('sm', NS_SM)).toBeDefined();
    expect(features.getChild('csi', 'urn:xmpp:csi:0')).toBeDefined();
    // Enabling comes after binding.
    expect((await enableSm(client)).getChild('unexpected-request', NS_STANZAS)).toBeDefined();
    client.close();
  });

  it('enables resumption with an opaque id and the resumption time', async () => {
    const { client } = await h.login('sam', 'secret', 'enable');
    const enabled = await enableSm(client);
    expect(enabled.localName).toBe('enabled');
    expect(enabled.attr('resume')).toBe('true');
    expect(enabled.attr('max')).toBe('60');
    expect(enabled.attr('location')).toBeUndefined();
    const id = enabled.attr('id')!;
    expect(id).toMatch(/^[A-Za-z0-9_-]{24,}$/);
    expect(id).not.toContain('sam');
    expect(await store.get(id)).toMatchObject({ jid: 'sam@localhost/enable', gw: 'gw1', epoch: 1 });
    // A second <enable/> fails, the stream stays up.
    expect((await enableSm(client)).localName).toBe('failed');
    // The client may ask for a shorter resumption time.
    const other = await h.login('sam', 'secret', 'short');
    expect((await enableSm(other.client, true, " max='7'")).attr('max')).toBe('7');
    // Without resume='true': acks only, no id.
    const plain = await h.login('sam', 'secret', 'plain');
    const acksOnly = await enableSm(plain.client, false);
    expect(acksOnly.localName).toBe('enabled');
    expect(acksOnly.attr('id')).toBeUndefined();
    expect(acksOnly.attr('resume')).toBeUndefined();
    for (const c of [client, other.client, plain.client]) c.close();
  });

  it('counts handled client stanzas and answers <r/> with <a h/>', async () => {
    const { client, id } = await smLogin('count');
    client.send(`<r xmlns='${NS_SM}'/>`);
    expect((await smElement(client, 'a')).attr('h')).toBe('0');
    client.send("<message to='eve@localhost' id='c1'><body>1</body></message>");
    client.send("<presence id='c2'/>");
    client.send(
      "<iq type='set' id='c3'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>",
    );
    client.send("<message to='a@b@c' id='c4'/>"); // answered with an error: still handled
    client.send(`<r xmlns='${NS_SM}'/>`);
    expect((await smElement(client, 'a')).attr('h')).toBe('4');
    await storeState(store, id, (s) => s.inboundH === 4, 'the inbound count in the store');
    client.close();
  });

  it('counts outbound stanzas, requests acks every ackRequestEvery, and trims on <a/>', async () => {
    const { client, jid, conn, id } = await smLogin('acks');
    for (const n of [1, 2, 3]) deliver(h.bus, 'gw1', conn, jid, `o${n}`);
    expect(await receiveIds(client, 3)).toEqual(['o1', 'o2', 'o3']);
    await smElement(client, 'r');
    // Locally generated stanzas count too: the session IQ result is number 4.
    client.send(
      "<iq type='set' id='s4'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>",
    );
    expect(await receiveIds(client, 1)).toEqual(['s4']);
    let state = await storeState(store, id, (s) => s.outboundSeq === 4, 'four stanzas stored');
    expect(state.outbound.map(([seq]) => seq)).toEqual([1, 2, 3, 4]);
    client.send(`<a xmlns='${NS_SM}' h='3'/>`);
    state = await storeState(store, id, (s) => s.acked === 3, 'the ack in the store');
    expect(state.outbound).toEqual([[4, expect.stringContaining('s4')]]);
    client.send(`<a xmlns='${NS_SM}' h='4'/>`);
    await storeState(store, id, (s) => s.outbound.length === 0, 'an empty queue');
    client.close();
  });

  it('counts a routed stanza as handled only once the bus has stored it, in order', async () => {
    const { client, id } = await smLogin('durable');
    // Hold the bus's confirmation of each routed stanza until the test releases it.
    const held: Array<() => void> = [];
    const publishDurable = h.bus.publishDurable.bind(h.bus);
    h.bus.publishDurable = (subject, data) => {
      const m = data as { t?: string };
      if (m.t !== 'stanza') return publishDurable(subject, data);
      return publishDurable(subject, data).then(
        () => new Promise<void>((resolve) => held.push(resolve)),
      );
    };
    try {
      client.send("<message to='eve@localhost' id='d1'><body>1</body></message>");
      client.send("<message to='eve@localhost' id='d2'><body>2</body></message>");
      // The <r/> is answered once both are stored.
      client.send(`<r xmlns='${NS_SM}'/>`);
      const answer = smElement(client, 'a');
      await vi.waitFor(() => expect(held).toHaveLength(2), WAIT);
      // The second is stored first: h covers a prefix, so it still says 0.
      held[1]!();
      await new Promise((r) => setTimeout(r, 50));
      expect((await store.get(id))?.inboundH).toBe(0);
      held[0]!();
      expect((await answer).attr('h')).toBe('2');
      await storeState(store, id, (s) => s.inboundH === 2, 'both stanzas counted in the record');
    } finally {
      h.bus.publishDurable = publishDurable;
      for (const release of held) release();
      client.close();
    }
  });

  it('ends the stream with handled-count-too-high when the client acks more than it got', async () => {
    const { client, jid, conn } = await smLogin('toohigh');
    deliver(h.bus, 'gw1', conn, jid, 'x1');
    await receiveIds(client, 1);
    client.send(`<a xmlns='${NS_SM}' h='5'/>`);
    const error = await client.nextMatching((e) => e.localName === 'error', 'the stream error');
    expect(
      error.getChild('undefined-condition', 'urn:ietf:params:xml:ns:xmpp-streams'),
    ).toBeDefined();
    const app = error.getChild('handled-count-too-high', NS_SM);
    expect(app?.attr('h')).toBe('5');
    expect(app?.attr('send-count')).toBe('1');
    await client.closed();
    // The session is over: unbind, and the unacknowledged message goes back to the registry.
    await h.registry.waitFor('unbind', (u) => u.jid === jid);
    const bounce = await h.registry.waitFor('bounce', (b) => b.env.id === 'x1');
    expect(bounce).toMatchObject({ to: jid, conn });
  });

  it('resumes on the same gateway: unacked stanzas retransmitted in order, acked ones not', async () => {
    const { client, jid, conn, id } = await smLogin('phone');
    client.send("<message to='eve@localhost' id='up1'><body>1</body></message>");
    client.send("<message to='eve@localhost' id='up2'><body>2</body></message>");
    for (const n of [1, 2, 3, 4, 5]) deliver(h.bus, 'gw1', conn, jid, `m${n}`);
    expect(await receiveIds(client, 5)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    client.send(`<a xmlns='${NS_SM}' h='2'/>`);
    await storeState(
      store,
      id,
      (s) => s.acked === 2 && s.inboundH === 2,
      'ack and inbound count stored',
    );

    // The network drops: no </stream:stream>.
    client.close();
    await storeState(store, id, (s) => s.detachedAt !== undefined, 'the session to detach');
    const detached = h.gateway.detachedCount();
    // Delivered while detached: kept for the resumption.
    deliver(h.bus, 'gw1', conn, jid, 'm6');
    await storeState(store, id, (s) => s.outboundSeq === 6, 'the detached delivery stored');
    await h.connectionClosed(conn);
    const whileDetached = (await h.publishedBeforeMarker()).map((r) => r.msg.t);
    expect(whileDetached).not.toContain('unbind');
    expect(whileDetached).not.toContain('bounce');

    const again = await authenticate(h, 'sam', 'secret');
    // The client handled m3 too but never said so.
    again.send(`<resume xmlns='${NS_SM}' previd='${id}' h='3'/>`);
    const resumed = await smElement(again, 'resumed');
    expect(resumed.attr('previd')).toBe(id);
    expect(resumed.attr('h')).toBe('2');
    expect(await receiveIds(again, 3)).toEqual(['m4', 'm5', 'm6']);

    const takeover = await h.registry.waitFor('bind', (b) => b.takeover === conn);
    expect(takeover).toMatchObject({ jid: 'sam@localhost', resource: 'phone', gw: 'gw1' });
    expect(takeover.conn).not.toBe(conn);
    expect(h.gateway.detachedCount()).toBe(detached - 1);

    // The stream continues with the same counters.
    deliver(h.bus, 'gw1', takeover.conn, jid, 'm7');
    expect(await receiveIds(again, 1)).toEqual(['m7']);
    again.send(`<a xmlns='${NS_SM}' h='7'/>`);
    await storeState(
      store,
      id,
      (s) => s.acked === 7 && s.outbound.length === 0,
      'everything acked',
    );
    again.send("<message to='eve@localhost' id='up3'><body>3</body></message>");
    again.send(`<r xmlns='${NS_SM}'/>`);
    expect((await smElement(again, 'a')).attr('h')).toBe('3');
    expect(h.registry.of('unbind')).toHaveLength(0);
    const metrics = await h.metrics.text();
    expect(metrics).toMatch(/parley_sm_resumptions_total\{result="success"\} [1-9]/);
    expect(metrics).toMatch(new RegExp(`parley_sm_detached_sessions ${detached - 1}\\b`));
    again.close();
  });

  it('resuming closes a stream that still holds the session with <conflict/>, without unbinding', async () => {
    const old = await smLogin('twice');
    deliver(h.bus, 'gw1', old.conn, old.jid, 'k1');
    await receiveIds(old.client, 1);
    const fresh = await authenticate(h, 'sam', 'secret');
    fresh.send(`<resume xmlns='${NS_SM}' previd='${old.id}' h='0'/>`);
    await smElement(fresh, 'resumed');
    expect(await receiveIds(fresh, 1)).toEqual(['k1']);
    await expectReleasedAfterTakeover(h, old);
    fresh.close();
  });

  it("fails to resume an unknown id, another account's id or one given after binding", async () => {
    const victim = await smLogin('victim');
    const client = await authenticate(h, 'eve', 'secret');
    client.send(`<resume xmlns='${NS_SM}' previd='${victim.id}' h='0'/>`);
    let failed = await smElement(client, 'failed');
    expect(failed.getChild('item-not-found', NS_STANZAS)).toBeDefined();
    expect(failed.attr('h')).toBeUndefined();
    client.send(`<resume xmlns='${NS_SM}' previd='no-such-session-id' h='0'/>`);
    failed = await smElement(client, 'failed');
    expect(failed.getChild('item-not-found', NS_STANZAS)).toBeDefined();
    client.send(`<resume xmlns='${NS_SM}' previd='bad id/with.chars' h='0'/>`);
    expect(
      (await smElement(client, 'failed')).getChild('item-not-found', NS_STANZAS),
    ).toBeDefined();
    // The stream is still usable: bind normally.
    expect(boundJid(await client.bind('after'))).toBe('eve@localhost/after');
    client.send(`<resume xmlns='${NS_SM}' previd='${victim.id}' h='0'/>`);
    expect(
      (await smElement(client, 'failed')).getChild('unexpected-request', NS_STANZAS),
    ).toBeDefined();
    // The victim's session was not touched.
    expect((await store.get(victim.id))?.epoch).toBe(1);
    expect(h.registry.of('bind').some((b) => b.takeover !== undefined)).toBe(false);
    client.close();
    victim.client.close();
  });

  it('a clean close ends the session: unbind, and unacked messages bounced', async () => {
    const { client, jid, conn, id } = await smLogin('clean');
    deliver(h.bus, 'gw1', conn, jid, 'e1');
    deliver(h.bus, 'gw1', conn, jid, 'e2');
    await receiveIds(client, 2);
    client.send(`<a xmlns='${NS_SM}' h='1'/>`);
    await storeState(store, id, (s) => s.acked === 1, 'the ack stored');
    client.send('</stream:stream>');
    await client.closed();
    await h.registry.waitFor('unbind', (u) => u.jid === jid);
    const bounce = await h.registry.waitFor('bounce', (b) => b.to === jid);
    expect(bounce.env.id).toBe('e2');
    expect(bounce.subject).toBe(routeSubject('sam@localhost', h.config.routing.partitions));
    await h.connectionClosed(conn);
    const published = await h.publishedBeforeMarker();
    expect(published.flatMap((r) => (r.msg.t === 'bounce' ? [r.msg.env.id] : []))).toEqual(['e2']);
    expect(await store.get(id)).toBeUndefined();
  });

  it('a kick (resource taken by a new bind) ends a detached session', async () => {
    const { client, jid, conn, id } = await smLogin('kickme');
    deliver(h.bus, 'gw1', conn, jid, 'q1');
    await receiveIds(client, 1);
    client.close();
    await storeState(store, id, (s) => s.detachedAt !== undefined, 'the session to detach');
    const detached = h.gateway.detachedCount();
    h.bus.publish(gatewaySubject('gw1'), { t: 'kick', conn, condition: 'conflict' });
    const bounce = await h.registry.waitFor('bounce', (b) => b.env.id === 'q1');
    expect(bounce.conn).toBe(conn);
    await vi.waitFor(() => expect(h.gateway.detachedCount()).toBe(detached - 1), WAIT);
    expect(await store.get(id)).toBeUndefined();
  });
});

describe('XEP-0198 expiry and limits', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      gatewayId: 'gw-short',
      configure: (c) => {
        c.sm.resumeTimeoutMs = 300;
        c.sm.maxQueue = 5;
        c.sm.ackRequestEvery = 100;
      },
    });
    await h.createAccount('tim', 'secret');
  });
  afterAll(() => h.close());

  it('ends an unresumed session after the timeout: unbind, unacked messages and IQ requests bounced', async () => {
    const { client, jid } = await h.login('tim', 'secret', 'away');
    const bind = await h.registry.waitFor('bind', (b) => b.resource === 'away');
    const enabled = await enableSm(client);
    const id = enabled.attr('id')!;
    deliver(h.bus, 'gw-short', bind.conn, jid, 'acked');
    deliver(h.bus, 'gw-short', bind.conn, jid, 'msg');
    deliver(h.bus, 'gw-short', bind.conn, jid, 'pres', { kind: 'presence' });
    deliver(h.bus, 'gw-short', bind.conn, jid, 'get', {
      kind: 'iq',
      type: 'get',
      payload: "<ping xmlns='urn:xmpp:ping'/>",
    });
    deliver(h.bus, 'gw-short', bind.conn, jid, 'res', { kind: 'iq', type: 'result' });
    await receiveIds(client, 5);
    client.send(`<a xmlns='${NS_SM}' h='1'/>`);
    // Answered after the <a/> before it was handled.
    client.send(`<r xmlns='${NS_SM}'/>`);
    await smElement(client, 'a');
    const lostAt = Date.now();
    client.close();
    await vi.waitFor(() => expect(h.gateway.detachedCount()).toBe(1), WAIT);
    expect(h.registry.of('unbind')).toHaveLength(0);

    const unbind = await h.registry.waitFor('unbind', (u) => u.jid === jid, 3_000);
    expect(Date.now() - lostAt).toBeGreaterThanOrEqual(250);
    expect(unbind).toMatchObject({ gw: 'gw-short', conn: bind.conn });
    const bounces = (await h.publishedBeforeMarker()).flatMap((r) =>
      r.msg.t === 'bounce' ? [r.msg] : [],
    );
    expect(bounces.map((b) => b.env.id)).toEqual(['msg', 'get']);
    for (const b of bounces) expect(b).toMatchObject({ to: jid, conn: bind.conn });
    expect(h.gateway.detachedCount()).toBe(0);
    // Deliveries after the end are bounced as for any gone connection.
    deliver(h.bus, 'gw-short', bind.conn, jid, 'late');
    await h.registry.waitFor('bounce', (b) => b.env.id === 'late');

    // Too late to resume.
    const again = await authenticate(h, 'tim', 'secret');
    again.send(`<resume xmlns='${NS_SM}' previd='${id}' h='1'/>`);
    expect((await smElement(again, 'failed')).getChild('item-not-found', NS_STANZAS)).toBeDefined();
    expect(await h.metrics.text()).toMatch(
      /parley_sm_resumptions_total\{result="not-found"\} [1-9]/,
    );
    again.close();
  });

  it('ends the stream with resource-constraint beyond sm.maxQueue unacked stanzas', async () => {
    const { client, jid } = await h.login('tim', 'secret', 'slow');
    const bind = await h.registry.waitFor('bind', (b) => b.resource === 'slow');
    await enableSm(client);
    for (const n of [1, 2, 3, 4, 5, 6]) deliver(h.bus, 'gw-short', bind.conn, jid, `f${n}`);
    expect(await client.streamError()).toBe('resource-constraint');
    await h.registry.waitFor('unbind', (u) => u.jid === jid);
    await vi.waitFor(
      () =>
        expect(
          h.registry
            .of('bounce')
            .filter((b) => b.to === jid)
            .map((b) => b.env.id),
        ).toEqual(['f1', 'f2', 'f3', 'f4', 'f5', 'f6']),
      WAIT,
    );
  });

  it('is not offered when sm.enabled is false', async () => {
    const off = await startHarness({
      gatewayId: 'gw-nosm',
      configure: (c) => {
        c.sm.enabled = false;
        c.csi.enabled = false;
      },
    });
    await off.createAccount('tim', 'secret');
    const c2 = await off.connect();
    await c2.open();
    await c2.starttls();
    await c2.open();
    await c2.scram('tim', 'secret');
    const features = await c2.open();
    expect(features.getChild('sm', NS_SM)).toBeUndefined();
    expect(features.getChild('csi', 'urn:xmpp:csi:0')).toBeUndefined();
    c2.close();
    await off.close();
  });
});

describe('XEP-0198 resumption when the registry answers late', () => {
  let h: Harness;
  const store = new MemoryResumptionStore();
  beforeAll(async () => {
    h = await startHarness({
      gatewayId: 'gw-late',
      resumption: store,
      configure: (c) => {
        c.sm.resumeTimeoutMs = 60_000;
        c.sm.takeoverTimeoutMs = 300;
      },
    });
    await h.createAccount('lou', 'secret');
  });
  afterAll(async () => {
    await h.close();
    await store.close();
  });

  it('a takeover bind without an answer in time keeps the session resumable and its stanzas', async () => {
    const { client, jid, conn, id } = await loginWithSm(h, 'lou', 'desk');
    deliver(h.bus, 'gw-late', conn, jid, 'm1');
    expect(await receiveIds(client, 1)).toEqual(['m1']);
    client.close();
    await storeState(store, id, (s) => s.detachedAt !== undefined, 'the session to detach');
    deliver(h.bus, 'gw-late', conn, jid, 'm2');
    await storeState(store, id, (s) => s.outboundSeq === 2, 'the detached delivery stored');

    // The registry is overloaded: it answers after the resuming gateway stopped waiting.
    h.registry.bindDelayMs = 1_000;
    const first = await authenticate(h, 'lou', 'secret');
    first.send(`<resume xmlns='${NS_SM}' previd='${id}' h='0'/>`);
    const failed = await smElement(first, 'failed');
    expect(failed.getChild('internal-server-error', NS_STANZAS)).toBeDefined();
    expect(failed.getChild('item-not-found', NS_STANZAS)).toBeUndefined();
    const late = await h.registry.waitFor('bind', (b) => b.takeover === conn);
    first.close();
    // Nothing was given up: no unbind, no bounce, and the record still holds m1 and m2.
    const state = await store.get(id);
    expect(state?.outbound.map(([seq]) => seq)).toEqual([1, 2]);
    expect(h.registry.of('unbind')).toHaveLength(0);
    expect(h.registry.of('bounce')).toHaveLength(0);

    // A later attempt resumes it, from the connection the late bind moved it to.
    h.registry.bindDelayMs = 0;
    const again = await authenticate(h, 'lou', 'secret');
    again.send(`<resume xmlns='${NS_SM}' previd='${id}' h='0'/>`);
    expect((await smElement(again, 'resumed')).attr('previd')).toBe(id);
    expect(await receiveIds(again, 2)).toEqual(['m1', 'm2']);
    const takeover = await h.registry.waitFor(
      'bind',
      (b) => b.takeover !== undefined && b.takeover !== conn,
    );
    expect(takeover.takeover).toBe(late.conn);
    expect(h.registry.of('unbind')).toHaveLength(0);
    again.close();
  });
});
