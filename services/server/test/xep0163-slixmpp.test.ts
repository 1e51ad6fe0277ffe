import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from './harness.js';
import type { TestServer } from './harness.js';
import { requirePython, runScenario } from './slixmpp-runner.js';

describe('interop: PEP with slixmpp (xep_0060, xep_0163, xep_0084)', () => {
  let t: TestServer;
  beforeAll(async () => {
    requirePython();
    t = await startTestServer();
    const a = await t.addUser('slix-pa');
    const b = await t.addUser('slix-pb');
    // A mutual presence subscription: b is auto-subscribed to a's PEP service.
    await t.server.stores.rosters.setItem(a, {
      jid: b,
      subscription: 'both',
      groups: [],
      listed: true,
    });
    await t.server.stores.rosters.setItem(b, {
      jid: a,
      subscription: 'both',
      groups: [],
      listed: true,
    });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('publishes a PEP avatar that a contact with +notify caps receives as an event and fetches', async () => {
    const r = await runScenario('slixmpp_pep.py', [t.port]);
    const result = r.result;
    expect(result, r.err.slice(-2000)).toMatchObject({
      login: true,
      event_from: 'slix-pa@localhost',
      event_node: 'urn:xmpp:avatar:metadata',
      retrieved: true,
    });
    expect(result.event_item).toBe(result.published);
    expect(r.code).toBe(0);
  }, 60_000);
});
