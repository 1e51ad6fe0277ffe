import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BusError } from '@parley/bus';
import { gatewaySubject, routeSubject } from '@parley/routing';
import type { Envelope, GatewayMessage } from '@parley/routing';
import { startHarness } from './helpers/harness.js';
import type { Harness } from './helpers/harness.js';
import { errorCondition } from './helpers/test-client.js';

describe('stanzas from and to bound clients', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    await h.createAccount('dave', 'secret');
    await h.createAccount('erin', 'secret');
  });
  afterAll(() => h.close());
  beforeEach(() => {
    h.registry.received.length = 0;
  });

  const subjectOf = (bare: string) => routeSubject(bare, h.config.routing.partitions);

  it('stamps from with the full JID, normalizes to, and publishes to the sender partition', async () => {
    const { client, jid } = await h.login('dave', 'secret', 'desk');
    client.send(
      "<message to='Erin@LOCALHOST/Phone' id='m1' type='chat'><body>hi &amp; bye</body></message>",
    );
    const msg = await h.registry.waitFor('stanza', (m) => m.env.id === 'm1');
    expect(msg.subject).toBe(subjectOf('dave@localhost'));
    const bind = h.registry.of('bind')[0]!;
    expect(msg.env).toMatchObject({
      stage: 'out',
      kind: 'message',
      type: 'chat',
      id: 'm1',
      from: jid,
      to: 'erin@localhost/Phone',
      gw: 'gw1',
      conn: bind.conn,
    });
    expect(typeof msg.env.ts).toBe('number');
    expect(msg.env.xml).toContain(`from="${jid}"`);
    expect(msg.env.xml).toContain('to="erin@localhost/Phone"');
    expect(msg.env.xml).toContain('hi &amp; bye');
    // The stream's xml:lang is added to stanzas that carry none (RFC 6120 8.1.5).
    expect(msg.env.xml).toContain('xml:lang="en"');
    client.close();
  });

  it('accepts a from of its own bare or full JID, and keeps stanza order', async () => {
    const { client, jid } = await h.login('dave', 'secret', 'order');
    client.send(`<presence from='dave@localhost' id='p1'/>`);
    client.send(`<message from='${jid}' to='erin@localhost' id='m2'/>`);
    client.send(`<iq type='get' id='i3'><query xmlns='jabber:iq:roster'/></iq>`);
    await h.registry.waitFor('stanza', (m) => m.env.id === 'i3');
    const envs = h.registry.of('stanza').map((m) => m.env);
    expect(envs.map((e) => e.id)).toEqual(['p1', 'm2', 'i3']);
    expect(envs.every((e) => e.from === jid)).toBe(true);
    expect(envs[2]).toMatchObject({ kind: 'iq', type: 'get', to: '' });
    client.close();
  });

  it('closes the stream with invalid-from when the client claims another address', async () => {
    const { client } = await h.login('dave', 'secret', 'liar');
    client.send("<message from='erin@localhost/x' to='dave@localhost' id='forged'/>");
    expect(await client.streamError()).toBe('invalid-from');
    expect(h.registry.of('stanza').some((m) => m.env.id === 'forged')).toBe(false);
  });

  it('answers a malformed to with jid-malformed and does not route it', async () => {
    const { client, jid } = await h.login('dave', 'secret', 'typo');
    client.send("<message to='a@b@c' id='bad1'><body>x</body></message>");
    const reply = await client.nextMatching((e) => e.attr('id') === 'bad1', 'the error reply');
    expect(reply.attr('type')).toBe('error');
    expect(reply.attr('to')).toBe(jid);
    expect(errorCondition(reply)).toBe('jid-malformed');
    // Never an error in reply to an error.
    client.send("<message to='a@b@c' id='bad2' type='error'/>");
    client.send("<message to='erin@localhost' id='after'/>");
    await h.registry.waitFor('stanza', (m) => m.env.id === 'after');
    expect(h.registry.of('stanza').map((m) => m.env.id)).toEqual(['after']);
    client.close();
  });

  it('answers IQs without id or with a bad type with bad-request', async () => {
    const { client } = await h.login('dave', 'secret', 'iq');
    client.send("<iq type='get'><ping xmlns='urn:xmpp:ping'/></iq>");
    const noId = await client.nextMatching((e) => e.name === 'iq', 'an error');
    expect(errorCondition(noId)).toBe('bad-request');
    client.send("<iq type='fetch' id='t1'><ping xmlns='urn:xmpp:ping'/></iq>");
    expect(
      errorCondition(await client.nextMatching((e) => e.attr('id') === 't1', 'an error')),
    ).toBe('bad-request');
    client.send(
      "<iq type='set' id='s1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>",
    );
    const session = await client.nextMatching((e) => e.attr('id') === 's1', 'the session result');
    expect(session.attr('type')).toBe('result');
    expect(h.registry.of('stanza')).toHaveLength(0);
    client.close();
  });

  it('closes the stream when a bound client sends something that is not a stanza', async () => {
    const { client } = await h.login('dave', 'secret', 'odd');
    client.send("<foo xmlns='urn:example'/>");
    expect(await client.streamError()).toBe('unsupported-stanza-type');
  });

  it('delivers a GatewayMessage to its connection', async () => {
    const { client, jid } = await h.login('erin', 'secret', 'phone');
    const bind = await h.registry.waitFor(
      'bind',
      (b) => b.jid === 'erin@localhost' && b.resource === 'phone',
    );
    const xml = `<message xmlns="jabber:client" from="dave@localhost/desk" to="${jid}" id="d1"><body>hello</body></message>`;
    const env: Envelope = {
      stage: 'in',
      kind: 'message',
      type: '',
      id: 'd1',
      from: 'dave@localhost/desk',
      to: jid,
      xml,
    };
    const msg: GatewayMessage = { t: 'deliver', conn: bind.conn, env };
    h.bus.publish(gatewaySubject('gw1'), msg);
    const got = await client.nextMatching((e) => e.attr('id') === 'd1', 'the delivery');
    expect(got.getChildText('body')).toBe('hello');
    expect(got.attr('from')).toBe('dave@localhost/desk');
    client.close();
  });

  it('bounces a delivery for a connection that is gone, to the recipient partition', async () => {
    const env: Envelope = {
      stage: 'in',
      kind: 'message',
      type: 'chat',
      id: 'lost',
      from: 'dave@localhost/desk',
      to: 'erin@localhost/gone',
      xml: '<message xmlns="jabber:client" id="lost"/>',
    };
    h.bus.publish(gatewaySubject('gw1'), {
      t: 'deliver',
      conn: 'no-such-conn',
      env,
    } satisfies GatewayMessage);
    const bounce = await h.registry.waitFor('bounce');
    expect(bounce.subject).toBe(subjectOf('erin@localhost'));
    expect(bounce.to).toBe('erin@localhost/gone');
    expect(bounce.env).toEqual(env);
  });

  it('bounces deliveries that arrive after the client disconnected, and publishes unbind exactly once', async () => {
    const { client, jid } = await h.login('erin', 'secret', 'laptop');
    const bind = await h.registry.waitFor('bind', (b) => b.resource === 'laptop');
    client.send('</stream:stream>');
    await client.closed();
    const unbind = await h.registry.waitFor('unbind', (u) => u.jid === jid);
    expect(unbind).toMatchObject({
      gw: 'gw1',
      conn: bind.conn,
      subject: subjectOf('erin@localhost'),
    });
    const env: Envelope = {
      stage: 'in',
      kind: 'presence',
      type: '',
      from: 'dave@localhost/desk',
      to: jid,
      xml: '<presence/>',
    };
    h.bus.publish(gatewaySubject('gw1'), {
      t: 'deliver',
      conn: bind.conn,
      env,
    } satisfies GatewayMessage);
    const bounce = await h.registry.waitFor('bounce', (b) => b.to === jid);
    expect(bounce.env).toEqual(env);
    await h.connectionClosed(bind.conn);
    const published = await h.publishedBeforeMarker();
    expect(published.filter((r) => r.msg.t === 'unbind' && r.msg.jid === jid)).toHaveLength(1);
  });

  it('publishes unbind once when the socket drops without a stream close', async () => {
    const { client, jid } = await h.login('erin', 'secret', 'drop');
    const bind = await h.registry.waitFor('bind', (b) => b.resource === 'drop');
    client.close();
    await h.registry.waitFor('unbind', (u) => u.jid === jid);
    await h.connectionClosed(bind.conn);
    const published = await h.publishedBeforeMarker();
    expect(published.filter((r) => r.msg.t === 'unbind' && r.msg.jid === jid)).toHaveLength(1);
  });

  it('kicks a connection with the requested stream error', async () => {
    const { client, jid } = await h.login('erin', 'secret', 'kicked');
    const bind = await h.registry.waitFor('bind', (b) => b.resource === 'kicked');
    h.bus.publish(gatewaySubject('gw1'), {
      t: 'kick',
      conn: bind.conn,
      condition: 'conflict',
      text: 'replaced',
    } satisfies GatewayMessage);
    expect(await client.streamError()).toBe('conflict');
    await h.registry.waitFor('unbind', (u) => u.jid === jid);
  });

  it('counts stanzas in both directions', async () => {
    const text = await h.metrics.text();
    expect(text).toMatch(/parley_c2s_stanzas_total\{direction="in",kind="message"\} [1-9]/);
    expect(text).toMatch(/parley_c2s_stanzas_total\{direction="out",kind="message"\} [1-9]/);
  });
});

describe('gateway shutdown', () => {
  it('closes every stream with system-shutdown and unbinds them', async () => {
    const h = await startHarness({ gatewayId: 'gw-shutdown' });
    await h.createAccount('frank', 'secret');
    const a = await h.login('frank', 'secret', 'a');
    const b = await h.login('frank', 'secret', 'b');
    const pending = await h.connect();
    await pending.open();
    expect(h.gateway.connectionCount()).toBe(3);
    const closing = h.gateway.close();
    expect(await a.client.streamError()).toBe('system-shutdown');
    expect(await b.client.streamError()).toBe('system-shutdown');
    expect(await pending.streamError()).toBe('system-shutdown');
    await closing;
    expect(h.gateway.connectionCount()).toBe(0);
    const unbound = h.registry
      .of('unbind')
      .map((u) => u.jid)
      .sort();
    expect(unbound).toEqual([a.jid, b.jid].sort());
    await h.close();
  });
});

describe('a stanza the bus cannot route', () => {
  it('is answered with internal-server-error (wait) instead of vanishing', async () => {
    const h = await startHarness({
      gatewayId: 'gw-unroutable',
      wrapBus: (bus) =>
        new Proxy(bus, {
          get(target, prop, receiver) {
            if (prop === 'publishDurable') {
              return (subject: string, data: unknown) => {
                const m = data as { t?: string; env?: { id?: string } };
                if (m.t === 'stanza' && m.env?.id?.startsWith('lost') === true) {
                  return Promise.reject(new BusError('timeout', 'no consumer confirmed it'));
                }
                return target.publishDurable(subject, data);
              };
            }
            return Reflect.get(target, prop, receiver) as unknown;
          },
        }),
    });
    await h.createAccount('gina', 'secret');
    const { client, jid } = await h.login('gina', 'secret', 'pc');
    client.send("<message to='erin@localhost' id='lost1' type='chat'><body>x</body></message>");
    const reply = await client.next();
    expect(reply.name).toBe('message');
    expect(reply.attr('type')).toBe('error');
    expect(reply.attr('id')).toBe('lost1');
    expect(reply.attr('to')).toBe(jid);
    expect(reply.attr('from')).toBe('erin@localhost');
    expect(errorCondition(reply)).toBe('internal-server-error');
    expect(reply.getChild('error')?.attr('type')).toBe('wait');
    // An error reply is never answered with another error.
    client.send(
      "<message to='erin@localhost' id='lost2' type='error'><error type='cancel'/></message>",
    );
    client.send("<iq to='erin@localhost' id='ok1' type='get'><ping xmlns='urn:xmpp:ping'/></iq>");
    await h.registry.waitFor('stanza', (m) => m.env.id === 'ok1');
    await h.close();
  });
});
