import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NS_REGISTER, NS_REGISTER_FEATURE, NS_SASL } from '@parley/stanza';
import { startHarness } from './helpers/harness.js';
import type { Harness } from './helpers/harness.js';
import type { TestClient } from './helpers/test-client.js';
import { errorCondition } from './helpers/test-client.js';

async function iq(client: TestClient, id: string, type: string, payload: string, to = '') {
  client.send(
    `<iq type='${type}' id='${id}'${to && ` to='${to}'`}><query xmlns='${NS_REGISTER}'>${payload}</query></iq>`,
  );
  return client.nextMatching((e) => e.name === 'iq' && e.attr('id') === id, `the reply to ${id}`);
}

describe('in-band registration enabled', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      configure: (c) => {
        c.registration.enabled = true;
        // Several accounts from 127.0.0.1 here; the rate limits: login-limits.test.ts.
        c.registration.maxPerAddress = 0;
      },
    });
  });
  afterAll(() => h.close());

  async function secured() {
    const client = await h.connect();
    const plain = await client.open();
    await client.starttls();
    const features = await client.open();
    return { client, plain, features };
  }

  it('is offered after TLS only, and creates an account that can log in', async () => {
    const { client, plain, features } = await secured();
    expect(plain.getChild('register', NS_REGISTER_FEATURE)).toBeUndefined();
    expect(features.getChild('register', NS_REGISTER_FEATURE)).toBeDefined();

    const form = await iq(client, 'r1', 'get', '');
    expect(form.attr('type')).toBe('result');
    const query = form.getChild('query', NS_REGISTER)!;
    expect(query.getChild('username')).toBeDefined();
    expect(query.getChild('password')).toBeDefined();

    const created = await iq(
      client,
      'r2',
      'set',
      '<username>Grace</username><password>hopper</password>',
      'localhost',
    );
    expect(created.attr('type')).toBe('result');
    const account = await h.stores.accounts.get('grace@localhost');
    expect(account?.credentials['SCRAM-SHA-256'].iterations).toBe(h.config.sasl.scramIterations);
    expect(JSON.stringify(account)).not.toContain('hopper');

    // One account per stream.
    const second = await iq(
      client,
      'r3',
      'set',
      '<username>other</username><password>x</password>',
    );
    expect(errorCondition(second)).toBe('not-acceptable');

    const outcome = await client.scram('grace', 'hopper');
    expect(outcome.is('success', NS_SASL)).toBe(true);
    client.close();
  });

  it('answers an existing username with conflict and missing fields with not-acceptable', async () => {
    await h.createAccount('taken', 'pw');
    const { client } = await secured();
    expect(
      errorCondition(
        await iq(client, 'c1', 'set', '<username>taken</username><password>x</password>'),
      ),
    ).toBe('conflict');
    const { client: other } = await secured();
    expect(
      errorCondition(await iq(other, 'c2', 'set', '<username>someone</username><password/>')),
    ).toBe('not-acceptable');
    client.close();
    other.close();
  });

  it('refuses registration before TLS', async () => {
    const client = await h.connect();
    await client.open();
    const reply = await iq(client, 'p1', 'get', '');
    expect(errorCondition(reply)).toBe('not-authorized');
    client.close();
  });

  it('changes the password of the logged-in account', async () => {
    await h.createAccount('heidi', 'old');
    const { client } = await h.login('heidi', 'old', 'r');
    const info = await iq(client, 'g1', 'get', '');
    expect(info.getChild('query', NS_REGISTER)?.getChild('registered')).toBeDefined();
    expect(
      errorCondition(
        await iq(client, 'w1', 'set', '<username>someoneelse</username><password>new</password>'),
      ),
    ).toBe('not-allowed');
    const changed = await iq(
      client,
      'w2',
      'set',
      '<username>heidi</username><password>new</password>',
    );
    expect(changed.attr('type')).toBe('result');
    client.close();
    const { client: again } = await h.login('heidi', 'new', 'r2');
    again.close();
    expect(h.registry.of('stanza').some((m) => m.env.xml.includes(NS_REGISTER))).toBe(false);
  });

  it('removes the account and closes the stream on <remove/>', async () => {
    await h.createAccount('ivan', 'pw');
    const { client, jid } = await h.login('ivan', 'pw', 'r');
    const reply = await iq(client, 'x1', 'set', '<remove/>');
    expect(reply.attr('type')).toBe('result');
    expect(await client.streamError()).toBe('not-authorized');
    expect(await h.stores.accounts.get('ivan@localhost')).toBeUndefined();
    await h.registry.waitFor('unbind', (u) => u.jid === jid);
  });
});

describe('in-band registration disabled', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('is not offered and answers service-unavailable', async () => {
    const client = await h.connect();
    await client.open();
    await client.starttls();
    const features = await client.open();
    expect(features.getChild('register', NS_REGISTER_FEATURE)).toBeUndefined();
    const reply = await iq(
      client,
      'r1',
      'set',
      '<username>mallory</username><password>x</password>',
    );
    expect(errorCondition(reply)).toBe('service-unavailable');
    expect(await h.stores.accounts.get('mallory@localhost')).toBeUndefined();
    client.close();
  });
});

describe('in-band registration without TLS', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      configure: (c) => {
        c.registration.enabled = true;
        c.registration.allowWithoutTls = true;
      },
    });
  });
  afterAll(() => h.close());

  it('is offered next to STARTTLS when allowed', async () => {
    const client = await h.connect();
    const features = await client.open();
    expect(features.getChild('register', NS_REGISTER_FEATURE)).toBeDefined();
    const reply = await iq(client, 'r1', 'set', '<username>judy</username><password>pw</password>');
    expect(reply.attr('type')).toBe('result');
    client.close();
  });
});
