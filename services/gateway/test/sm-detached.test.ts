/**
 * XEP-0198: a resumable session whose connection drops without a stream
 * close is reported to the registry as `session-detached` (what XEP-0357
 * push notifications go by); a clean close is not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryResumptionStore } from '@parley/store';
import { startHarness } from './helpers/harness.js';
import type { Harness } from './helpers/harness.js';
import { smLogin, storeState } from './helpers/sm.js';

describe('XEP-0198 detach notice to the registry', () => {
  let h: Harness;
  const store = new MemoryResumptionStore();
  beforeAll(async () => {
    h = await startHarness({
      resumption: store,
      configure: (c) => void (c.sm.resumeTimeoutMs = 60_000),
    });
    await h.createAccount('dora', 'secret');
  });
  afterAll(async () => {
    await h.close();
    await store.close();
  });

  it('tells the registry once when the connection of a resumable session is lost', async () => {
    const { client, jid, conn, id } = await smLogin(h, 'dora', 'phone');
    client.close(); // the socket goes, no </stream:stream>
    await storeState(store, id, (s) => s.detachedAt !== undefined, 'the session to detach');
    const notice = await h.registry.waitFor('session-detached', (m) => m.conn === conn);
    expect(notice).toMatchObject({ jid, conn });
    const published = await h.publishedBeforeMarker();
    expect(published.filter((r) => r.msg.t === 'session-detached')).toHaveLength(1);
  });

  it('says nothing for a clean close', async () => {
    const { client, jid } = await smLogin(h, 'dora', 'tablet');
    client.send('</stream:stream>');
    await client.closed();
    await h.registry.waitFor('unbind', (u) => u.jid === jid);
    const published = await h.publishedBeforeMarker();
    expect(published.filter((r) => r.msg.t === 'session-detached' && r.msg.jid === jid)).toEqual(
      [],
    );
  });
});
