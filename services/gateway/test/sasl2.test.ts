/**
 * SASL2 (XEP-0388), Bind2 (XEP-0386), inline stream management (XEP-0198)
 * and carbons, and FAST tokens (XEP-0484), with a client written against
 * the XEPs (helpers/sasl2-client.ts) over real TCP and TLS.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { deriveCredentials } from '@parley/sasl';
import { MemoryFastTokenStore } from '@parley/store/fast';
import { NS_CARBONS, NS_SASL } from '@parley/stanza';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import { agentOf } from '../src/negotiation/fast.js';
import { WAIT, startHarness } from './helpers/harness.js';
import type { Harness } from './helpers/harness.js';
import {
  NS_BIND2,
  NS_FAST,
  NS_SASL2,
  bindRequest,
  failureCondition,
  sasl2Fast,
  sasl2Scram,
  tokenOf,
} from './helpers/sasl2-client.js';
import { NS_SM, deliver, receiveIds } from './helpers/sm.js';
import type { TestClient } from './helpers/test-client.js';

const PHONE = '4b4f4c2e-6e0c-4b8e-9f4a-5e5c1b9d7a10';
const SECRET = 'a'.repeat(64);

/** A TCP connection after STARTTLS, with the features of the encrypted stream. */
async function tlsStream(h: Harness): Promise<{ client: TestClient; features: Element }> {
  const client = await h.connect();
  await client.open();
  await client.starttls();
  const features = await client.open();
  return { client, features };
}

function loginMechanisms(h: Harness): string[] {
  return h.logs
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l['msg'] === 'client authenticated')
    .map((l) => String(l['mechanism']));
}

describe('SASL2, Bind2 and FAST', () => {
  let h: Harness;
  let fastTokens: MemoryFastTokenStore;
  beforeAll(async () => {
    fastTokens = new MemoryFastTokenStore();
    h = await startHarness({
      configure: (c) => void (c.sasl.fakeSaltSecret = SECRET),
      gatewayDeps: { fastTokens },
    });
    await h.createAccount('alice', 'wonderland');
    await h.createAccount('bob', 'builder');
  });
  afterAll(() => h.close());

  it('advertises SASL2 with the SASL mechanisms, Bind2, inline stream management and FAST', async () => {
    const { client, features } = await tlsStream(h);
    const auth = features.getChild('authentication', NS_SASL2)!;
    const sasl = features
      .getChild('mechanisms', NS_SASL)!
      .getChildren('mechanism')
      .map((m) => m.text());
    expect(auth.getChildren('mechanism').map((m) => m.text())).toEqual(sasl);
    const inline = auth.getChild('inline')!;
    const bind = inline.getChild('bind', NS_BIND2)!;
    expect(
      bind
        .getChild('inline')!
        .getChildren('feature')
        .map((f) => f.attr('var')),
    ).toEqual([NS_SM, NS_CARBONS, 'urn:xmpp:csi:0']);
    expect(inline.getChild('sm', NS_SM)).toBeDefined();
    const fast = inline
      .getChild('fast', NS_FAST)!
      .getChildren('mechanism')
      .map((m) => m.text());
    expect(fast).toContain('HT-SHA-256-NONE');
    expect(fast).toContain('HT-SHA-256-ENDP');
    expect(fast).toContain('HT-SHA-256-EXPR');
    client.close();
  });

  it('offers neither FAST nor SASL2 mechanisms before TLS', async () => {
    const client = await h.connect();
    const plain = await client.open();
    expect(plain.getChild('authentication', NS_SASL2)).toBeUndefined();
    client.close();
  });

  it('logs in with SCRAM, binds with Bind2, enables SM and carbons inline, issues a token, then reconnects with the token in one round trip', async () => {
    const first = await tlsStream(h);
    const login = await sasl2Scram(first.client, 'alice', 'wonderland', {
      agent: PHONE,
      inline: [
        bindRequest(
          'Parley Test',
          xml('enable', { xmlns: NS_SM, resume: 'true' }),
          xml('enable', { xmlns: NS_CARBONS }),
        ),
        xml('request-token', { xmlns: NS_FAST, mechanism: 'HT-SHA-256-NONE' }),
      ],
    });
    expect(login.exchange).toHaveLength(1); // the SCRAM challenge
    const success = login.result;
    expect(success.is('success', NS_SASL2)).toBe(true);
    const jid = success.getChildText('authorization-identifier')!;
    expect(jid).toMatch(/^alice@localhost\/Parley Test\/[A-Za-z0-9_-]{12}$/);
    const enabled = success.getChild('bound', NS_BIND2)?.getChild('enabled', NS_SM);
    expect(enabled?.attr('resume')).toBe('true');
    expect(enabled?.attr('id')).toBeTruthy();
    const token = tokenOf(success)!;
    const lifetime = h.config.c2s.fast.tokenLifetimeMs;
    expect(Math.abs(Date.parse(token.expiry) - Date.now() - lifetime)).toBeLessThan(60_000);
    // Features of a bound stream with stream management on: neither bind nor sm again.
    expect(login.features!.getChild('bind')).toBeUndefined();
    expect(login.features!.getChild('sm', NS_SM)).toBeUndefined();
    expect(login.features!.getChild('csi')).toBeDefined();

    // The bind went to the registry, then carbons were enabled for the session, in that order.
    const bind = await h.registry.waitFor('bind', (b) => b.jid === 'alice@localhost');
    expect(`alice@localhost/${bind.resource}`).toBe(jid);
    const carbons = await h.registry.waitFor(
      'stanza',
      (m) => m.env.from === jid && m.env.xml.includes(NS_CARBONS),
    );
    expect(carbons.env).toMatchObject({ kind: 'iq', type: 'set' });
    // The registry's answer to that IQ is not the client's; a message after it is.
    h.bus.publish(`xmpp.gw.gw1`, {
      t: 'deliver',
      conn: bind.conn,
      env: {
        stage: 'in',
        kind: 'iq',
        type: 'result',
        id: carbons.env.id!,
        from: 'alice@localhost',
        to: jid,
        xml: `<iq xmlns="jabber:client" type="result" id="${carbons.env.id!}" from="alice@localhost" to="${jid}"/>`,
      },
    });
    deliver(h.bus, 'gw1', bind.conn, jid, 'after-carbons');
    expect(await receiveIds(first.client, 1)).toEqual(['after-carbons']);
    first.client.close();

    // FAST: authenticate and bind in the first request; no SCRAM exchange, no PBKDF2.
    const before = loginMechanisms(h).length;
    const second = await tlsStream(h);
    const fast = await sasl2Fast(second.client, 'alice', token.token, {
      agent: PHONE,
      count: 1,
      inline: [bindRequest('Parley Test')],
    });
    expect(fast.result.is('success', NS_SASL2)).toBe(true);
    expect(fast.exchange).toEqual([]);
    // Bind2 gives this client the same resource again.
    expect(fast.result.getChildText('authorization-identifier')).toBe(jid);
    expect(fast.result.getChild('bound', NS_BIND2)).toBeDefined();
    expect(tokenOf(fast.result)).toBeUndefined(); // far from expiry: no rotation
    expect(loginMechanisms(h).slice(before)).toEqual(['HT-SHA-256-NONE']);
    second.client.close();
  });

  it('refuses a token from another client, of another account, with another mechanism, or a wrong one, like a wrong password', async () => {
    const { client } = await tlsStream(h);
    const login = await sasl2Scram(client, 'bob', 'builder', {
      agent: 'bob-phone',
      inline: [xml('request-token', { xmlns: NS_FAST, mechanism: 'HT-SHA-256-ENDP' })],
    });
    const token = tokenOf(login.result)!.token;
    client.close();
    const attempts: Array<Parameters<typeof sasl2Fast>> = [];
    for (const [user, tok, agent, mechanism] of [
      ['bob', token, 'another-phone', 'HT-SHA-256-ENDP'],
      ['alice', token, 'bob-phone', 'HT-SHA-256-ENDP'],
      ['bob', token, 'bob-phone', 'HT-SHA-256-NONE'],
      ['bob', `${token}x`, 'bob-phone', 'HT-SHA-256-ENDP'],
    ] as const) {
      const { client: c } = await tlsStream(h);
      attempts.push([c, user, tok, { agent, mechanism }]);
      const out = await sasl2Fast(c, user, tok, { agent, mechanism });
      expect(out.result.is('failure', NS_SASL2), `${user} ${agent} ${mechanism}`).toBe(true);
      expect(failureCondition(out.result)).toBe('not-authorized');
      expect(out.result.getChild('not-authorized', NS_SASL)).toBeDefined();
      c.close();
    }
    // The right one, bound to the TLS channel (tls-server-end-point).
    const { client: ok } = await tlsStream(h);
    const out = await sasl2Fast(ok, 'bob', token, {
      agent: 'bob-phone',
      mechanism: 'HT-SHA-256-ENDP',
    });
    expect(out.result.getChildText('authorization-identifier')).toBe('bob@localhost');
    // Without Bind2 the stream is authenticated, with the features to bind.
    expect(out.features!.getChild('bind')).toBeDefined();
    ok.close();
  });

  it('runs SCRAM-SHA-256-PLUS with channel binding like SASL does', async () => {
    const { client } = await tlsStream(h);
    const out = await sasl2Scram(client, 'alice', 'wonderland', {
      agent: PHONE,
      cbType: 'tls-exporter',
    });
    expect(out.result.is('success', NS_SASL2)).toBe(true);
    expect(loginMechanisms(h).at(-1)).toBe('SCRAM-SHA-256-PLUS');
    client.close();
  });

  it('answers a wrong password with a SASL2 failure carrying the RFC 6120 condition', async () => {
    const { client } = await tlsStream(h);
    const out = await sasl2Scram(client, 'alice', 'wrong', { agent: PHONE });
    expect(out.result.is('failure', NS_SASL2)).toBe(true);
    expect(out.result.getChild('not-authorized', NS_SASL)).toBeDefined();
    client.send(xml('authenticate', { xmlns: NS_SASL2, mechanism: 'X-UNKNOWN' }));
    const unknown = await client.next();
    expect(failureCondition(unknown)).toBe('invalid-mechanism');
    client.close();
  });

  it('invalidates a token on request, every token when the password changes, and with the account', async () => {
    const get = async (agent: string) => {
      const { client } = await tlsStream(h);
      const login = await sasl2Scram(client, 'alice', 'wonderland', {
        agent,
        inline: [xml('request-token', { xmlns: NS_FAST, mechanism: 'HT-SHA-256-NONE' })],
      });
      client.close();
      return tokenOf(login.result)!.token;
    };
    const fastLogin = async (agent: string, token: string, invalidate = false) => {
      const { client } = await tlsStream(h);
      const out = await sasl2Fast(client, 'alice', token, { agent, invalidate });
      client.close();
      return out.result;
    };
    const laptop = await get('laptop');
    const ok = await fastLogin('laptop', laptop, true);
    expect(ok.localName).toBe('success');
    expect(tokenOf(ok)).toBeUndefined();
    expect(failureCondition(await fastLogin('laptop', laptop))).toBe('not-authorized');

    const tablet = await get('tablet');
    expect((await fastLogin('tablet', tablet)).localName).toBe('success');
    // A password change (here as the admin API makes it: new credentials in the store).
    const account = (await h.stores.accounts.get('alice@localhost'))!;
    await h.stores.accounts.update({
      ...account,
      credentials: await deriveCredentials('looking-glass', { iterations: 4096 }),
    });
    expect(failureCondition(await fastLogin('tablet', tablet))).toBe('not-authorized');
    await h.stores.accounts.update(account);

    // An expired token is recognized, and refused with credentials-expired (XEP-0484 5.2).
    const clock = await get('clock');
    const agent = agentOf('clock');
    const record = (await fastTokens.get('alice@localhost', agent))!;
    await fastTokens.set({ ...record, next: { ...record.next!, expiresAt: Date.now() - 1 } });
    expect(failureCondition(await fastLogin('clock', clock))).toBe('credentials-expired');

    // A deleted account's token is refused, also when an account of that name is made again.
    const watch = await get('watch');
    expect((await fastLogin('watch', watch)).localName).toBe('success');
    await h.stores.accounts.delete('alice@localhost');
    expect(failureCondition(await fastLogin('watch', watch))).toBe('not-authorized');
    await h.createAccount('alice', 'wonderland');
    expect(failureCondition(await fastLogin('watch', watch))).toBe('not-authorized');
  });

  it('resumes a stream management session inline, in the success, and retransmits what was not acknowledged', async () => {
    const first = await tlsStream(h);
    const login = await sasl2Scram(first.client, 'bob', 'builder', {
      agent: 'bob-tablet',
      inline: [
        bindRequest('Tab', xml('enable', { xmlns: NS_SM, resume: 'true' })),
        xml('request-token', { xmlns: NS_FAST, mechanism: 'HT-SHA-256-NONE' }),
      ],
    });
    const jid = login.result.getChildText('authorization-identifier')!;
    const previd = login.result
      .getChild('bound', NS_BIND2)!
      .getChild('enabled', NS_SM)!
      .attr('id')!;
    const bind = await h.registry.waitFor('bind', (b) => `bob@localhost/${b.resource}` === jid);
    deliver(h.bus, 'gw1', bind.conn, jid, 'm1');
    expect(await receiveIds(first.client, 1)).toEqual(['m1']);
    // Sessions of earlier tests may wait for resumption too.
    const detached = h.gateway.detachedCount();
    first.client.close();
    await vi.waitFor(() => expect(h.gateway.detachedCount()).toBe(detached + 1), WAIT);
    deliver(h.bus, 'gw1', bind.conn, jid, 'm2');

    const second = await tlsStream(h);
    const out = await sasl2Fast(second.client, 'bob', tokenOf(login.result)!.token, {
      agent: 'bob-tablet',
      inline: [xml('resume', { xmlns: NS_SM, previd, h: '0' }), bindRequest('Tab')],
    });
    const resumed = out.result.getChild('resumed', NS_SM);
    expect(resumed?.attr('previd')).toBe(previd);
    expect(out.result.getChildText('authorization-identifier')).toBe('bob@localhost');
    expect(out.result.getChild('bound', NS_BIND2)).toBeUndefined();
    expect(await receiveIds(second.client, 2)).toEqual(['m1', 'm2']);
    await vi.waitFor(() => expect(h.gateway.detachedCount()).toBe(detached), WAIT);
    second.client.close();
  });
});

describe('FAST token rotation', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      configure: (c) => {
        // Every use is "near expiry": each login with a token rotates it.
        c.c2s.fast.tokenLifetimeMs = 600_000;
        c.c2s.fast.rotateBeforeMs = 599_999;
      },
    });
    await h.createAccount('carol', 'pass');
  });
  afterAll(() => h.close());

  const fastLogin = async (token: string) => {
    const client = await h.connect();
    await client.open();
    await client.starttls();
    await client.open();
    const out = await sasl2Fast(client, 'carol', token, { agent: 'carol-phone' });
    client.close();
    return out.result;
  };

  it('gives a new token near expiry and keeps the used one valid until the new one is used', async () => {
    const client = await h.connect();
    await client.open();
    await client.starttls();
    await client.open();
    const login = await sasl2Scram(client, 'carol', 'pass', {
      agent: 'carol-phone',
      inline: [xml('request-token', { xmlns: NS_FAST, mechanism: 'HT-SHA-256-NONE' })],
    });
    client.close();
    const a = tokenOf(login.result)!.token;
    const first = await fastLogin(a);
    const b = tokenOf(first)!.token;
    expect(b).not.toBe(a);
    // The client may not have received b: a still works (and is rotated again).
    const again = await fastLogin(a);
    const c = tokenOf(again)!.token;
    expect(c).not.toBe(b);
    // The newest token is used: every older one is invalid from then on.
    expect((await fastLogin(c)).localName).toBe('success');
    expect(failureCondition(await fastLogin(a))).toBe('not-authorized');
    expect(failureCondition(await fastLogin(b))).toBe('not-authorized');
  });
});

describe('FAST across the gateways of a cluster', () => {
  let h1: Harness;
  let h2: Harness;
  beforeAll(async () => {
    const fastTokens = new MemoryFastTokenStore();
    const configure = (c: Harness['config']) => void (c.sasl.fakeSaltSecret = SECRET);
    h1 = await startHarness({ configure, gatewayDeps: { fastTokens } });
    h2 = await startHarness({
      gatewayId: 'gw2',
      configure,
      cluster: h1,
      gatewayDeps: { fastTokens },
    });
    await h1.createAccount('dave', 'secret');
  });
  afterAll(async () => {
    await h2.close();
    await h1.close();
  });

  it('accepts on the second gateway a token the first one issued', async () => {
    const one = await tlsStream(h1);
    const login = await sasl2Scram(one.client, 'dave', 'secret', {
      agent: 'dave-phone',
      inline: [xml('request-token', { xmlns: NS_FAST, mechanism: 'HT-SHA-256-NONE' })],
    });
    one.client.close();
    const two = await tlsStream(h2);
    const out = await sasl2Fast(two.client, 'dave', tokenOf(login.result)!.token, {
      agent: 'dave-phone',
      inline: [bindRequest('Dave')],
    });
    expect(out.result.getChildText('authorization-identifier')).toMatch(/^dave@localhost\/Dave\//);
    expect(loginMechanisms(h2)).toEqual(['HT-SHA-256-NONE']);
    two.client.close();
  });
});
