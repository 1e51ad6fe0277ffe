/**
 * Issue 15: the admin API acts toward the MUC service as admin.mucActor
 * (default admin-api@<first domain>), which operators list in muc.admins.
 * Nobody may register that account or log in as it, or they own every room.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NS_REGISTER, NS_SASL } from '@parley/stanza';
import { startHarness } from './helpers/harness.js';
import type { Harness } from './helpers/harness.js';
import type { TestClient } from './helpers/test-client.js';
import { errorCondition } from './helpers/test-client.js';

async function iq(client: TestClient, id: string, payload: string) {
  client.send(`<iq type='set' id='${id}'><query xmlns='${NS_REGISTER}'>${payload}</query></iq>`);
  return client.nextMatching((e) => e.name === 'iq' && e.attr('id') === id, `the reply to ${id}`);
}

describe('the admin API identity is reserved', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      configure: (c) => {
        c.registration.enabled = true;
        c.muc.admins = ['admin-api@localhost', 'ops-bot@example.test'];
        c.admin.mucActor = 'ops-bot@example.test';
      },
    });
  });
  afterAll(() => h.close());

  async function secured(): Promise<TestClient> {
    const client = await h.connect();
    await client.open();
    await client.starttls();
    await client.open();
    return client;
  }

  it('refuses to register admin-api (any case) with not-acceptable', async () => {
    for (const name of ['admin-api', 'Admin-API']) {
      const client = await secured();
      const reply = await iq(client, 'r1', `<username>${name}</username><password>pw</password>`);
      expect(reply.attr('type')).toBe('error');
      expect(errorCondition(reply)).toBe('not-acceptable');
      expect(reply.toString()).toContain('reserved');
      client.close();
    }
    expect(await h.stores.accounts.get('admin-api@localhost')).toBeUndefined();
  });

  it('refuses to let anyone log in as a reserved account that exists anyway', async () => {
    // An account made before the name was reserved.
    await h.stores.accounts.delete('admin-api@localhost');
    await h.createAccount('admin-api', 'known-password');
    const client = await secured();
    const outcome = await client.scram('admin-api', 'known-password');
    expect(outcome.is('failure', NS_SASL)).toBe(true);
    expect(outcome.getChild('not-authorized')).toBeDefined();
    client.close();
  });

  it('still lets ordinary users register', async () => {
    const client = await secured();
    const reply = await iq(
      client,
      'r2',
      '<username>admin-apiary</username><password>pw</password>',
    );
    expect(reply.attr('type')).toBe('result');
    client.close();
  });
});
