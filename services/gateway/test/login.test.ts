import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  NS_BIND,
  NS_REGISTER_FEATURE,
  NS_ROSTERVER,
  NS_SASL,
  NS_SESSION,
  NS_TLS,
} from '@parley/stanza';
import type { Element } from '@parley/xml';
import { NS_SASL_CB } from '../src/index.js';
import { startHarness } from './helpers/harness.js';
import type { Harness } from './helpers/harness.js';
import { boundJid } from './helpers/test-client.js';

function mechanisms(features: Element): string[] {
  return (features.getChild('mechanisms', NS_SASL)?.getChildren('mechanism') ?? []).map((m) =>
    m.text(),
  );
}

describe('STARTTLS, SASL and resource binding', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    await h.createAccount('alice', 'wonderland');
  });
  afterAll(() => h.close());

  it('negotiates STARTTLS, SCRAM-SHA-256 and binds a resource', async () => {
    const client = await h.connect();
    const plainFeatures = await client.open();
    const starttls = plainFeatures.getChild('starttls', NS_TLS);
    expect(starttls?.getChild('required')).toBeDefined();
    expect(mechanisms(plainFeatures)).toEqual([]);
    expect(client.headers[0]?.attrs['from']).toBe('localhost');
    expect(client.headers[0]?.attrs['version']).toBe('1.0');
    const firstId = client.headers[0]?.attrs['id'];

    await client.starttls();
    const tlsFeatures = await client.open();
    expect(client.headers[1]?.attrs['id']).not.toBe(firstId);
    expect(tlsFeatures.getChild('starttls', NS_TLS)).toBeUndefined();
    expect(mechanisms(tlsFeatures)).toEqual([
      'SCRAM-SHA-256-PLUS',
      'SCRAM-SHA-256',
      'SCRAM-SHA-1-PLUS',
      'SCRAM-SHA-1',
      'PLAIN',
    ]);
    const cbTypes = tlsFeatures
      .getChild('sasl-channel-binding', NS_SASL_CB)
      ?.getChildren('channel-binding')
      .map((c) => c.attr('type'));
    expect(cbTypes).toContain('tls-server-end-point');
    expect(cbTypes).toContain('tls-exporter');
    expect(tlsFeatures.getChild('register', NS_REGISTER_FEATURE)).toBeUndefined();

    const outcome = await client.scram('alice', 'wonderland');
    expect(outcome.is('success', NS_SASL)).toBe(true);

    const boundFeatures = await client.open();
    expect(boundFeatures.getChild('bind', NS_BIND)).toBeDefined();
    expect(boundFeatures.getChild('session', NS_SESSION)?.getChild('optional')).toBeDefined();
    expect(boundFeatures.getChild('ver', NS_ROSTERVER)).toBeDefined();
    expect(mechanisms(boundFeatures)).toEqual([]);

    const reply = await client.bind('laptop');
    expect(reply.attr('type')).toBe('result');
    expect(boundJid(reply)).toBe('alice@localhost/laptop');
    const bindReq = await h.registry.waitFor('bind');
    expect(bindReq).toMatchObject({ jid: 'alice@localhost', resource: 'laptop', gw: 'gw1' });
    expect(h.gateway.connectionCount()).toBe(1);
    client.close();
  });
});

describe('SASL', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ directTls: true });
    await h.createAccount('bob', 'builder');
    await h.createAccount('mallory', 'secret', { banned: true });
  });
  afterAll(() => h.close());

  async function secured() {
    const client = await h.connect();
    await client.open();
    await client.starttls();
    const features = await client.open();
    return { client, features };
  }

  it('authenticates with SCRAM-SHA-256-PLUS over tls-exporter (TLS 1.3)', async () => {
    const { client } = await secured();
    expect(client.tlsSocket.getProtocol()).toBe('TLSv1.3');
    const outcome = await client.scram('bob', 'builder', 'SHA-256', 'tls-exporter');
    expect(outcome.is('success', NS_SASL)).toBe(true);
    await client.open();
    expect(boundJid(await client.bind('plus'))).toBe('bob@localhost/plus');
    client.close();
  });

  it('authenticates with SCRAM-SHA-256-PLUS over tls-unique on TLS 1.3 (as slixmpp and ejabberd compute it)', async () => {
    const { client, features } = await secured();
    expect(client.tlsSocket.getProtocol()).toBe('TLSv1.3');
    const advertised = (
      features.getChild('sasl-channel-binding', NS_SASL_CB)?.getChildren('channel-binding') ?? []
    ).map((c) => c.attr('type'));
    expect(advertised).toEqual(['tls-exporter', 'tls-server-end-point', 'tls-unique']);
    const outcome = await client.scram('bob', 'builder', 'SHA-256', 'tls-unique');
    expect(outcome.is('success', NS_SASL)).toBe(true);
    client.close();
  });

  it("keeps refusing the 'y' flag after a -PLUS attempt with a binding type it does not know", async () => {
    const { client } = await secured();
    const { ScramClient } = await import('@parley/sasl');
    // A -PLUS attempt naming an unknown type is refused at once...
    client.send(
      `<auth xmlns='${NS_SASL}' mechanism='SCRAM-SHA-256-PLUS'>${Buffer.from('p=tls-made-up,,n=bob,r=abcdefgh').toString('base64')}</auth>`,
    );
    const refused = await client.next();
    expect(refused.is('failure', NS_SASL)).toBe(true);
    // ...and does not switch the downgrade protection off: 'y' while -PLUS is offered.
    const downgrade = new ScramClient('SHA-256', 'bob', 'builder', undefined, {
      supportsChannelBinding: true,
    });
    client.send(
      `<auth xmlns='${NS_SASL}' mechanism='SCRAM-SHA-256'>${downgrade.first().toString('base64')}</auth>`,
    );
    const answer = await client.next();
    expect(answer.is('failure', NS_SASL), answer.toString()).toBe(true);
    client.close();
  });

  it('authenticates with SCRAM-SHA-1-PLUS over tls-server-end-point', async () => {
    const { client } = await secured();
    const outcome = await client.scram('bob', 'builder', 'SHA-1', 'tls-server-end-point');
    expect(outcome.is('success', NS_SASL)).toBe(true);
    client.close();
  });

  it('rejects a -PLUS exchange whose binding data does not match', async () => {
    const { client } = await secured();
    const other = await secured();
    // Binding data of another TLS connection: what a man in the middle would present.
    const { tlsChannelBinding } = await import('@parley/sasl');
    const foreign = tlsChannelBinding(other.client.tlsSocket, 'client').get('tls-exporter')!;
    const { ScramClient } = await import('@parley/sasl');
    const scram = new ScramClient('SHA-256', 'bob', 'builder', {
      type: 'tls-exporter',
      data: foreign,
    });
    client.send(
      `<auth xmlns='${NS_SASL}' mechanism='SCRAM-SHA-256-PLUS'>${scram.first().toString('base64')}</auth>`,
    );
    const challenge = await client.next();
    client.send(
      `<response xmlns='${NS_SASL}'>${(await scram.finalAsync(Buffer.from(challenge.text(), 'base64'))).toString('base64')}</response>`,
    );
    const failure = await client.next();
    expect(failure.is('failure', NS_SASL)).toBe(true);
    client.close();
    other.client.close();
  });

  it('authenticates with PLAIN over TLS', async () => {
    const { client } = await secured();
    const payload = Buffer.from('\u0000bob\u0000builder').toString('base64');
    client.send(`<auth xmlns='${NS_SASL}' mechanism='PLAIN'>${payload}</auth>`);
    const outcome = await client.next();
    expect(outcome.is('success', NS_SASL)).toBe(true);
    client.close();
  });

  it('answers a wrong password with not-authorized, keeps the stream, and other connections still log in', async () => {
    const { client } = await secured();
    const failure = await client.scram('bob', 'wrong');
    expect(failure.is('failure', NS_SASL)).toBe(true);
    expect(failure.getChild('not-authorized')).toBeDefined();
    // Same stream, second try with the right password.
    const retry = await client.scram('bob', 'builder');
    expect(retry.is('success', NS_SASL)).toBe(true);
    client.close();

    const { client: second } = await h.login('bob', 'builder', 'second');
    expect(second.socketClosed).toBe(false);
    second.close();
  });

  it('closes the stream with policy-violation after five failed attempts', async () => {
    const { client } = await secured();
    for (let i = 0; i < 4; i++) {
      const failure = await client.scram('bob', `wrong${i}`);
      expect(failure.getChild('not-authorized')).toBeDefined();
    }
    const last = await client.scram('bob', 'wrong4');
    expect(last.getChild('not-authorized')).toBeDefined();
    expect(await client.streamError()).toBe('policy-violation');
  });

  it('fails unknown users exactly like wrong passwords', async () => {
    const { client } = await secured();
    const failure = await client.scram('nobody', 'builder');
    expect(failure.getChild('not-authorized')).toBeDefined();
    client.close();
  });

  it('refuses a banned account with account-disabled', async () => {
    const { client } = await secured();
    const failure = await client.scram('mallory', 'secret');
    expect(failure.getChild('account-disabled')).toBeDefined();
    client.close();
  });

  it('refuses a mechanism that was not offered, and answers abort', async () => {
    const { client } = await secured();
    client.send(`<auth xmlns='${NS_SASL}' mechanism='DIGEST-MD5'/>`);
    expect((await client.next()).getChild('invalid-mechanism')).toBeDefined();
    client.send(`<auth xmlns='${NS_SASL}' mechanism='SCRAM-SHA-256'>bm9%%%</auth>`);
    expect((await client.next()).getChild('incorrect-encoding')).toBeDefined();
    client.send(`<auth xmlns='${NS_SASL}' mechanism='SCRAM-SHA-256'/>`);
    const challenge = await client.next();
    expect(challenge.localName).toBe('challenge');
    client.send(`<abort xmlns='${NS_SASL}'/>`);
    expect((await client.next()).getChild('aborted')).toBeDefined();
    client.close();
  });

  it('refuses SASL before TLS when TLS is required', async () => {
    const client = await h.connect();
    await client.open();
    client.send(
      `<auth xmlns='${NS_SASL}' mechanism='PLAIN'>${Buffer.from('\u0000bob\u0000builder').toString('base64')}</auth>`,
    );
    const failure = await client.next();
    expect(failure.getChild('encryption-required')).toBeDefined();
    client.close();
  });

  it('rejects an authorization identity other than the account', async () => {
    const { client } = await secured();
    const payload = Buffer.from('alice@localhost\u0000bob\u0000builder').toString('base64');
    client.send(`<auth xmlns='${NS_SASL}' mechanism='PLAIN'>${payload}</auth>`);
    expect((await client.next()).getChild('invalid-authzid')).toBeDefined();
    client.close();
  });

  it('serves direct TLS (XEP-0368) with ALPN xmpp-client', async () => {
    const client = await h.connect({ tls: true, alpn: ['xmpp-client'] });
    expect(client.tlsSocket.alpnProtocol).toBe('xmpp-client');
    const features = await client.open();
    expect(features.getChild('starttls', NS_TLS)).toBeUndefined();
    expect(mechanisms(features)).toContain('SCRAM-SHA-256-PLUS');
    const outcome = await client.scram('bob', 'builder', 'SHA-1');
    expect(outcome.is('success', NS_SASL)).toBe(true);
    await client.open();
    expect(boundJid(await client.bind('direct'))).toBe('bob@localhost/direct');
    client.close();
  });

  it('lets the registry refuse a bind (conflict) and generates a resource when none is asked for', async () => {
    h.registry.taken.add('bob@localhost/busy');
    const { client } = await secured();
    await client.scram('bob', 'builder');
    await client.open();
    const refused = await client.bind('busy', 'b1');
    expect(refused.attr('type')).toBe('error');
    expect(refused.getChild('error')?.getChild('conflict')).toBeDefined();
    const generated = await client.bind(undefined, 'b2');
    expect(boundJid(generated)).toMatch(/^bob@localhost\/gen\d+$/);
    const again = await client.bind('x', 'b3');
    expect(again.getChild('error')?.getChild('not-allowed')).toBeDefined();
    client.close();
  });

  it('answers a bad resourcepart with bad-request', async () => {
    const { client } = await secured();
    await client.scram('bob', 'builder');
    await client.open();
    const reply = await client.bind('x'.repeat(1100), 'b1');
    expect(reply.getChild('error')?.getChild('bad-request')).toBeDefined();
    client.close();
  });

  it('counts logins in parley_c2s_logins_total', async () => {
    const text = await h.metrics.text();
    expect(text).toMatch(
      /parley_c2s_logins_total\{mechanism="SCRAM-SHA-256",result="success"\} [1-9]/,
    );
    expect(text).toMatch(
      /parley_c2s_logins_total\{mechanism="SCRAM-SHA-256",result="failure"\} [1-9]/,
    );
    expect(text).toMatch(/parley_c2s_connections\{transport="tcp"\}/);
  });
});

describe('optional TLS (loopback benchmark mode)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      configure: (c) => {
        c.c2s.requireTls = false;
        c.c2s.allowPlainWithoutTls = true;
      },
    });
    await h.createAccount('bench', 'mark');
  });
  afterAll(() => h.close());

  it('offers STARTTLS without <required/> next to the mechanisms, and accepts PLAIN in the clear', async () => {
    const client = await h.connect();
    const features = await client.open();
    expect(features.getChild('starttls', NS_TLS)?.getChild('required')).toBeUndefined();
    expect(mechanisms(features)).toEqual(['SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN']);
    const payload = Buffer.from('\u0000bench\u0000mark').toString('base64');
    client.send(`<auth xmlns='${NS_SASL}' mechanism='PLAIN'>${payload}</auth>`);
    expect((await client.next()).is('success', NS_SASL)).toBe(true);
    client.restart();
    await client.open();
    expect(boundJid(await client.bind('b'))).toBe('bench@localhost/b');
    client.close();
  });
});
