import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdminTestServer } from './admin-api-harness.js';
import type { AdminTestServer } from './admin-api-harness.js';

describe('smoke', () => {
  let t: AdminTestServer;
  beforeAll(async () => {
    t = await startAdminTestServer();
  });
  afterAll(async () => t.stop());
  it('works', async () => {
    const r = await t.api('GET', '/api/status');
    console.log(r.status, r.text);
    const d = await t.api('GET', '/openapi.json');
    console.log(d.status, d.text.slice(0, 3000));
    const u = await t.api('POST', '/api/users', { jid: 'alice@localhost', password: 'x' });
    console.log(u.status, u.text);
    const s = await t.api('GET', '/api/stats');
    console.log(s.status, s.text);
    const bad = await t.api('POST', '/api/users', { jid: 'alice@localhost', pw: 'x' });
    console.log(bad.status, bad.headers['content-type'], bad.text);
    expect(r.status).toBe(200);
  });
});
