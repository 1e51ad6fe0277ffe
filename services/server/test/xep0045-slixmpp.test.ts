import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from './harness.js';
import type { TestServer } from './harness.js';
import { requirePython, runScenario } from './slixmpp-runner.js';

describe('interop: slixmpp xep_0045 (Debian python3-slixmpp) in a room', () => {
  let t: TestServer;
  beforeAll(async () => {
    requirePython();
    t = await startTestServer();
    await t.addUser('slix-ma');
    await t.addUser('slix-mb');
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('creates and configures a room, joins it with history, exchanges groupchat and a private message', async () => {
    const r = await runScenario('slixmpp_muc.py', [t.port]);
    const result = r.result;
    expect(result, r.err.slice(-2000)).toMatchObject({
      service_is_muc: true,
      created_codes: expect.arrayContaining([110, 201]),
      affiliation: 'owner',
      b_role: 'participant',
      b_history: ['before b'],
      b_occupants: ['Alpha', 'Beta'],
      groupchat_from: 'slix@conference.localhost/Alpha',
      reply_from: 'slix@conference.localhost/Beta',
      pm_from: 'slix@conference.localhost/Beta',
    });
    expect(r.code).toBe(0);
  }, 60_000);
});
