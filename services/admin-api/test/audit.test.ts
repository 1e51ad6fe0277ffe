/**
 * The audit log (issue 15): every /api request leaves one record, on the
 * `audit` channel of the log and in admin.auditLog, naming who, what, the
 * target and the outcome; passwords, tokens and message bodies never appear.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { TOKENS, bearer, buildTestApp } from './helpers.js';

const SECRETS = {
  password: 'Pa55-word-in-the-body',
  newPassword: 'n3w-Pa55-word',
  body: 'a message body that must not be logged',
  stanzaBody: 'a stanza body that must not be logged',
  vcard: 'FN-that-must-not-be-logged',
  badToken: 'not-a-valid-token-but-secret',
};

interface Rec {
  channel: string;
  msg: string;
  actor: Record<string, unknown>;
  action: string;
  method: string;
  route?: string;
  target?: Record<string, unknown>;
  outcome: string;
  status: number;
  error?: string;
}

describe('admin API audit log', () => {
  let app: FastifyInstance;
  let close: () => Promise<void>;
  const lines: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'admin-audit-'));
  const file = join(dir, 'audit.log');

  beforeAll(async () => {
    ({ app, close } = await buildTestApp({ admin: { auditLog: file } }, (l) => lines.push(l)));
  });
  afterAll(async () => {
    await close();
    rmSync(dir, { recursive: true, force: true });
  });

  const audited = (): Rec[] =>
    lines.map((l) => JSON.parse(l) as Rec).filter((r) => r.channel === 'audit');

  it('records each request with who, what, target and outcome, without secrets', async () => {
    const call = (
      method: 'GET' | 'POST' | 'PUT' | 'DELETE',
      url: string,
      token: string,
      payload?: object,
    ) => app.inject({ method, url, headers: bearer(token), ...(payload ? { payload } : {}) });
    expect(
      (
        await call('POST', '/api/users', TOKENS.admin, {
          jid: 'alice@localhost',
          password: SECRETS.password,
        })
      ).statusCode,
    ).toBe(201);
    expect(
      (
        await call('PUT', '/api/users/alice@localhost/password', TOKENS.admin, {
          password: SECRETS.newPassword,
        })
      ).statusCode,
    ).toBe(204);
    await call('POST', '/api/users/alice@localhost/password/check', TOKENS.admin, {
      password: SECRETS.password,
    });
    await call('POST', '/api/messages', TOKENS.admin, {
      from: 'alice@localhost',
      to: 'bob@localhost',
      body: SECRETS.body,
    });
    await call('POST', '/api/stanzas', TOKENS.admin, {
      stanza: `<message from='alice@localhost' to='bob@localhost'><body>${SECRETS.stanzaBody}</body></message>`,
    });
    await call('PUT', '/api/users/alice@localhost/vcard', TOKENS.admin, {
      vcard: `<vCard xmlns='vcard-temp'><FN>${SECRETS.vcard}</FN></vCard>`,
    });
    // Refused: a read token deleting, a bad token, no token, a password in the query string.
    expect((await call('DELETE', '/api/users/alice@localhost', TOKENS.read)).statusCode).toBe(403);
    expect((await call('GET', '/api/users', SECRETS.badToken)).statusCode).toBe(401);
    expect(
      (await app.inject({ method: 'GET', url: `/api/users?password=${SECRETS.password}` }))
        .statusCode,
    ).toBe(401);
    expect(
      (await call('GET', `/api/nowhere?token=${SECRETS.badToken}`, TOKENS.admin)).statusCode,
    ).toBe(404);
    // Not under /api: not an admin action.
    await app.inject({ method: 'GET', url: '/openapi.json', headers: bearer(TOKENS.admin) });

    const recs = audited();
    expect(recs.map((r) => [r.action, r.status])).toEqual([
      ['registerUser', 201],
      ['changePassword', 204],
      ['checkPassword', 200],
      ['sendMessage', 202],
      ['sendStanza', 202],
      ['setVcard', expect.any(Number)],
      ['removeUser', 403],
      ['listUsers', 401],
      ['listUsers', 401],
      ['unknown', 404],
    ]);
    expect(recs[0]).toMatchObject({
      msg: 'admin action',
      actor: { kind: 'token', token: 'admin', scopes: ['admin'], address: '127.0.0.1' },
      method: 'POST',
      route: '/api/users',
      target: { jid: 'alice@localhost' },
      outcome: 'ok',
    });
    expect(recs[3]!.target).toEqual({ from: 'alice@localhost', to: 'bob@localhost' });
    expect(recs[6]).toMatchObject({
      actor: { kind: 'token', token: 'read', scopes: ['read'] },
      route: '/api/users/:jid',
      target: { jid: 'alice@localhost' },
      outcome: 'refused',
      error: 'insufficient-scope',
    });
    expect(recs[7]).toMatchObject({
      actor: { kind: 'anonymous', address: '127.0.0.1' },
      error: 'unauthorized',
    });
    expect(recs[7]!.target).toBeUndefined();

    // The same records in the file, and no secret anywhere.
    const fileRecs = readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Rec);
    expect(fileRecs.map((r) => r.action)).toEqual(recs.map((r) => r.action));
    const all = lines.join('') + readFileSync(file, 'utf8');
    for (const secret of [...Object.values(SECRETS), TOKENS.admin, TOKENS.read]) {
      expect(all).not.toContain(secret);
    }
  });
});
