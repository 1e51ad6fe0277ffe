/**
 * registerUser refuses the names reserved for registration
 * (registration.reservedNames and the admin API's own identity) with 400,
 * like in-band registration's not-acceptable (issue 15).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKENS, bearer, buildTestApp } from './helpers.js';

describe('registerUser and reserved names', () => {
  let t: Awaited<ReturnType<typeof buildTestApp>>;
  beforeAll(async () => {
    t = await buildTestApp({ registration: { reservedNames: ['admin', 'Billing'] } });
  });
  afterAll(() => t.close());

  const register = (jid: string) =>
    t.app.inject({
      method: 'POST',
      url: '/api/users',
      headers: bearer(TOKENS.admin),
      payload: { jid, password: 'pw' },
    });

  it('answers 400 naming the reserved name, on every served domain', async () => {
    for (const jid of ['admin@localhost', 'ADMIN@example.net', 'billing@localhost']) {
      const res = await register(jid);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ detail: expect.stringContaining('is reserved') });
    }
    expect((await register('admin-api@localhost')).statusCode).toBe(400);
  });

  it('registers any other name, and names left off the configured list', async () => {
    expect((await register('root@localhost')).statusCode).toBe(201);
    expect((await register('administrator@localhost')).statusCode).toBe(201);
  });
});
