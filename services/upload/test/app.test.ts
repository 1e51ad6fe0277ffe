/**
 * The upload HTTP app with fastify's inject (no socket): signed PUTs
 * stored with their exact size and type, downloads, CORS, and the
 * refusals of unsigned, altered or mis-sized uploads.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalFiles, keyPath, newSlotId, objectKey, signPut } from '@parley/upload';
import { buildUploadApp } from '../src/app.js';

const SECRET = 'app-test-secret';
const NOW = 1_800_000_000_000;

function slot(filename: string, size: number, contentType: string, expires = NOW / 1000 + 60) {
  const key = { user: 'u'.repeat(20), slot: newSlotId(), filename };
  return {
    url: `/files/${keyPath(key)}`,
    authorization: signPut(SECRET, { key: objectKey(key), size, contentType, expires }),
  };
}

describe('upload HTTP app', () => {
  let app: FastifyInstance;
  let corsApp: FastifyInstance;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-upload-app-'));
    const files = new LocalFiles(dir);
    app = await buildUploadApp({ files, secret: SECRET, corsOrigins: [], now: () => NOW });
    corsApp = await buildUploadApp({
      files,
      secret: SECRET,
      corsOrigins: ['https://chat.example.org'],
      now: () => NOW,
    });
  });
  afterAll(async () => {
    await app?.close();
    await corsApp?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores a signed PUT and serves the same bytes with its type and disposition', async () => {
    const payload = Buffer.from([0, 1, 2, 250, 251, 252, 10, 13]);
    const s = slot('pic ü.png', payload.length, 'image/png');
    const put = await app.inject({
      method: 'PUT',
      url: s.url,
      headers: { authorization: s.authorization, 'content-type': 'image/png' },
      payload,
    });
    expect(put.statusCode).toBe(201);
    const get = await app.inject({ method: 'GET', url: s.url });
    expect(get.statusCode).toBe(200);
    expect(get.rawPayload.equals(payload)).toBe(true);
    expect(get.headers['content-type']).toBe('image/png');
    expect(get.headers['content-length']).toBe(String(payload.length));
    expect(get.headers['content-disposition']).toBe(
      `inline; filename="pic _.png"; filename*=UTF-8''pic%20%C3%BC.png`,
    );
    expect(get.headers['x-content-type-options']).toBe('nosniff');
    expect(get.headers['access-control-allow-origin']).toBe('*');
    const head = await app.inject({ method: 'HEAD', url: s.url });
    expect(head.statusCode).toBe(200);
    expect(head.headers['content-length']).toBe(String(payload.length));
    // A slot is used once.
    const again = await app.inject({
      method: 'PUT',
      url: s.url,
      headers: { authorization: s.authorization, 'content-type': 'image/png' },
      payload,
    });
    expect(again.statusCode).toBe(409);
  });

  it('serves HTML as an attachment in a sandbox', async () => {
    const s = slot('page.html', 5, 'text/html');
    const headers = { authorization: s.authorization, 'content-type': 'text/html' };
    expect(
      (await app.inject({ method: 'PUT', url: s.url, headers, payload: '<b/>\n' })).statusCode,
    ).toBe(201);
    const get = await app.inject({ method: 'GET', url: s.url });
    expect(get.headers['content-disposition']).toMatch(/^attachment;/);
    expect(get.headers['content-security-policy']).toContain('sandbox');
  });

  it('refuses missing, altered and expired signatures', async () => {
    const s = slot('a.txt', 5, 'text/plain');
    const put = (headers: Record<string, string>, payload = 'hello', url = s.url) =>
      app.inject({ method: 'PUT', url, headers, payload }).then((r) => r.statusCode);
    expect(await put({ 'content-type': 'text/plain' })).toBe(401);
    expect(await put({ authorization: s.authorization, 'content-type': 'text/html' })).toBe(403);
    expect(
      await put({ authorization: s.authorization, 'content-type': 'text/plain' }, 'hello!'),
    ).toBe(403);
    expect(
      await put(
        { authorization: s.authorization, 'content-type': 'text/plain' },
        'hello',
        s.url.replace('a.txt', 'b.txt'),
      ),
    ).toBe(403);
    const old = slot('a.txt', 5, 'text/plain', NOW / 1000 - 1);
    expect(
      await put(
        { authorization: old.authorization, 'content-type': 'text/plain' },
        'hello',
        old.url,
      ),
    ).toBe(403);
    expect((await app.inject({ method: 'GET', url: s.url })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/nothing/here' })).statusCode).toBe(404);
  });

  it('answers CORS preflights, for any origin or the configured ones', async () => {
    const preflight = (a: FastifyInstance, origin: string) =>
      a.inject({
        method: 'OPTIONS',
        url: '/files/x/y/z.txt',
        headers: {
          origin,
          'access-control-request-method': 'PUT',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
    const any = await preflight(app, 'https://web.example.net');
    expect(any.statusCode).toBe(204);
    expect(any.headers['access-control-allow-origin']).toBe('*');
    expect(any.headers['access-control-allow-methods']).toContain('PUT');
    expect(String(any.headers['access-control-allow-headers']).toLowerCase()).toContain(
      'authorization',
    );
    const allowed = await preflight(corsApp, 'https://chat.example.org');
    expect(allowed.headers['access-control-allow-origin']).toBe('https://chat.example.org');
    const other = await preflight(corsApp, 'https://evil.example.net');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});
