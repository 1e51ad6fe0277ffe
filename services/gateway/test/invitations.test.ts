/**
 * In-band registration with invitations (XEP-0445, XEP-0401): the stream
 * feature, the preauth IQ, invitation-only registration, single use,
 * reserved usernames, and the mutual subscription asked of the registry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NS_IBR_TOKEN, NS_PARS, NS_REGISTER, NS_SASL } from '@parley/stanza';
import { MemoryInvitationStore } from '@parley/store';
import type { Invitation } from '@parley/store';
import { startHarness } from './helpers/harness.js';
import type { Harness } from './helpers/harness.js';
import type { TestClient } from './helpers/test-client.js';
import { errorCondition } from './helpers/test-client.js';

const DAY = 86_400_000;
let seq = 0;

function invitation(extra: Partial<Invitation> = {}): Invitation {
  const now = Date.now();
  return {
    token: `tok-${++seq}-abcdefghijklmnop`,
    domain: 'localhost',
    register: true,
    subscribe: false,
    createdAt: now,
    expiresAt: now + DAY,
    ...extra,
  };
}

async function iq(client: TestClient, id: string, payload: string) {
  client.send(`<iq type='set' id='${id}'>${payload}</iq>`);
  return client.nextMatching((e) => e.name === 'iq' && e.attr('id') === id, `the reply to ${id}`);
}
const preauth = (c: TestClient, id: string, token: string) =>
  iq(c, id, `<preauth xmlns='${NS_PARS}' token='${token}'/>`);
const register = (c: TestClient, id: string, user: string, pw = 'pw-1234') =>
  iq(
    c,
    id,
    `<query xmlns='${NS_REGISTER}'><username>${user}</username><password>${pw}</password></query>`,
  );

describe('registration with invitations (invitation-only server)', () => {
  let h: Harness;
  const store = new MemoryInvitationStore();
  beforeAll(async () => {
    h = await startHarness({
      gatewayDeps: { invitations: store },
      configure: (c) => {
        c.registration.enabled = true;
        c.registration.maxPerAddress = 0;
        c.registration.invitations.required = true;
      },
    });
    // The registry's side of the mutual subscription: answered like the real one.
    h.bus.subscribe('xmpp.r.>', (m) => {
      if ((m.data as { t: string }).t === 'admin-subscription') m.respond?.({ ok: true });
    });
  });
  afterAll(() => h.close());
  const invitations = () => store;

  async function secured() {
    const client = await h.connect();
    await client.open();
    await client.starttls();
    const features = await client.open();
    return { client, features };
  }

  it('offers the ibr-token feature and refuses registration without a token', async () => {
    const { client, features } = await secured();
    expect(features.getChild('register', NS_IBR_TOKEN)).toBeDefined();
    const refused = await register(client, 'r1', 'mallory');
    expect(errorCondition(refused)).toBe('forbidden');
    expect(await h.stores.accounts.get('mallory@localhost')).toBeUndefined();
    // An unknown token, and one for another domain.
    expect(errorCondition(await preauth(client, 'p1', 'tok-unknown-xxxxxxxxxx'))).toBe(
      'item-not-found',
    );
    const other = invitation({ domain: 'example.net' });
    await invitations().create(other);
    expect(errorCondition(await preauth(client, 'p2', other.token))).toBe('item-not-found');
    expect(errorCondition(await preauth(client, 'p3', 'bad token'))).toBe('item-not-found');
    client.close();
  });

  it('registers one account per token, then subscribes it and its inviter to each other', async () => {
    await h.createAccount('romeo', 'pw');
    const inv = invitation({ inviter: 'romeo@localhost', subscribe: true });
    await invitations().create(inv);
    const { client } = await secured();
    expect((await preauth(client, 'p1', inv.token)).attr('type')).toBe('result');
    expect((await register(client, 'r1', 'juliet', 'balcony')).attr('type')).toBe('result');
    expect(await h.stores.accounts.get('juliet@localhost')).toBeDefined();
    // Used: gone from the store, and refused to another stream.
    expect(await invitations().get(inv.token, Date.now())).toBeUndefined();
    const subs = () =>
      h.registry.received
        .map((r) => r.msg as unknown as { t: string; jid: string; contact: string })
        .filter((m) => m.t === 'admin-subscription')
        .map((m) => `${m.jid}>${m.contact}`);
    await expect
      .poll(subs)
      .toEqual(['romeo@localhost>juliet@localhost', 'juliet@localhost>romeo@localhost']);
    expect((await client.scram('juliet', 'balcony')).is('success', NS_SASL)).toBe(true);
    client.close();
    const again = await secured();
    expect(errorCondition(await preauth(again.client, 'p2', inv.token))).toBe('item-not-found');
    again.client.close();
  });

  it('keeps the token when the registration fails, and holds a named invitation to its username', async () => {
    await h.createAccount('taken', 'pw');
    const inv = invitation({ username: 'paris' });
    await invitations().create(inv);
    const { client } = await secured();
    expect((await preauth(client, 'p1', inv.token)).attr('type')).toBe('result');
    // Another name than the invitation's: refused, the token kept.
    expect(errorCondition(await register(client, 'r1', 'tybalt'))).toBe('not-acceptable');
    expect(await invitations().get(inv.token, Date.now())).toBeDefined();
    client.close();
    // The name is reserved: no other invitation registers it.
    const other = invitation();
    await invitations().create(other);
    const second = await secured();
    expect((await preauth(second.client, 'p2', other.token)).attr('type')).toBe('result');
    expect(errorCondition(await register(second.client, 'r2', 'paris'))).toBe('conflict');
    // A taken name fails without using the token, which then registers a free name.
    expect(errorCondition(await register(second.client, 'r3', 'taken'))).toBe('conflict');
    expect(await invitations().get(other.token, Date.now())).toBeDefined();
    expect((await register(second.client, 'r4', 'benvolio')).attr('type')).toBe('result');
    second.client.close();
    const third = await secured();
    expect((await preauth(third.client, 'p3', inv.token)).attr('type')).toBe('result');
    expect((await register(third.client, 'r5', 'paris')).attr('type')).toBe('result');
    third.client.close();
  });
});
