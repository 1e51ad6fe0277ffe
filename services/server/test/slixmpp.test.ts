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
      // slixmpp asks for tls-unique, which TLS 1.3 does not define (RFC 9266), on both
      // -PLUS mechanisms; each is refused at once, then its SCRAM-SHA-256 with the 'y'
      // flag is accepted because this stream saw the mismatch (not a downgrade).
      auth_failures: 4,
      subscription: 'both',
      message_from: 'slix-a@localhost/one',
      reply_from: 'slix-b@localhost/two',
    });
    expect(r.code).toBe(0);
  }, 60_000);
});
