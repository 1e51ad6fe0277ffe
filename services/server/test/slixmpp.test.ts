import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from './harness.js';
import type { TestServer } from './harness.js';
import { requirePython, runScenario } from './slixmpp-runner.js';

describe('interop: slixmpp (Debian python3-slixmpp) as an independent client', () => {
  let t: TestServer;
  beforeAll(async () => {
    requirePython();
    t = await startTestServer();
    await t.addUser('slix-a');
    await t.addUser('slix-b');
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('logs in, gets the roster, subscribes both ways, sees presence and exchanges messages', async () => {
    const r = await runScenario('slixmpp_scenario.py', [t.port]);
    const result = r.result;
    expect(result, r.err.slice(-2000)).toMatchObject({
      login: true,
      // With its default settings slixmpp picks SCRAM-SHA-256-PLUS over tls-unique, which
      // the server gives on TLS 1.3 as OpenSSL peers compute it: in on the first try.
      auth_failures: 0,
      subscription: 'both',
      message_from: 'slix-a@localhost/one',
      reply_from: 'slix-b@localhost/two',
    });
    expect(r.code).toBe(0);
    expect(
      await t.server.metrics.value('c2s_logins_total', {
        mechanism: 'SCRAM-SHA-256-PLUS',
        result: 'success',
      }),
    ).toBeGreaterThanOrEqual(2);
  }, 60_000);
});
