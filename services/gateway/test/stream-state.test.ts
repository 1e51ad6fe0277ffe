import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { xml } from '@parley/xml';
import { builtinStreamModules } from '../src/index.js';
import type { StreamModule } from '../src/index.js';
import { authenticate, startHarness } from './helpers/harness.js';
import type { Harness } from './helpers/harness.js';

/** A module with a bug: it claims the stream is bound without a bind. */
const buggy: StreamModule = {
  name: 'buggy',
  xeps: [],
  register(ctx) {
    ctx.nonza('authenticated', 'urn:example:buggy', (conn) => {
      conn.transition('bound');
    });
  },
};

describe('the stream state owner', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      gatewayDeps: { streamModules: [...builtinStreamModules, buggy] },
    });
    await h.createAccount('alice', 'wonderland');
  });
  afterAll(() => h.close());

  it('fails the stream with internal-server-error on a transition the table does not allow, and logs it', async () => {
    const client = await authenticate(h, 'alice', 'wonderland');
    client.send(xml('oops', { xmlns: 'urn:example:buggy' }));
    expect(await client.streamError()).toBe('internal-server-error');
    const record = await h.logged('internal error on a client connection');
    expect(JSON.stringify(record['err'])).toContain(
      "stream event 'bound' is not allowed in state 'authenticated'",
    );
  });
});
