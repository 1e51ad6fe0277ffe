/**
 * XEP-0363 with S3 storage, against s3rver (a local S3-compatible server
 * from npm) on a free loopback port: the all-in-one server gives presigned
 * URLs and runs no upload HTTP service; slixmpp PUTs its file to the
 * presigned URL and the test GETs the same bytes from the presigned GET
 * URL; the quota is computed from the bucket listing (over-quota refusal).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@parley/config';
import { newSlotId } from '@parley/upload';
import { S3Backend } from '@parley/upload/s3';
import { startTestServer } from './harness.js';
import type { TestServer } from './harness.js';
import { requirePython, runScenario } from './slixmpp-runner.js';

const BUCKET = 'parley-uploads';
const SIZE = 40_000;
const MAX = 100_000;
const QUOTA = 100_000;
const payload = (size: number) =>
  Buffer.from(Array.from({ length: size }, (_, i) => (i * 7 + 3) % 256));

describe('XEP-0363 with S3 storage (s3rver)', () => {
  let s3: S3rver;
  let s3dir: string;
  let endpoint: string;
  let t: TestServer;
  const s3Config = () => ({
    bucket: BUCKET,
    endpoint,
    forcePathStyle: true,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
  });

  beforeAll(async () => {
    requirePython();
    s3dir = await mkdtemp(join(tmpdir(), 'parley-s3rver-'));
    s3 = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: s3dir,
      configureBuckets: [{ name: BUCKET }],
    });
    const addr = await s3.run();
    endpoint = `http://127.0.0.1:${addr.port}`;
    t = await startTestServer({
      upload: {
        enabled: true,
        maxFileBytes: MAX,
        quotaBytesPerUser: QUOTA,
        storage: { kind: 's3', s3: s3Config() },
      },
    });
    await t.addUser('slix-up');
  });
  afterAll(async () => {
    await t?.stop();
    await s3?.close();
    await rm(s3dir, { recursive: true, force: true });
  });

  it('slixmpp uploads to the presigned PUT URL; the presigned GET URL gives the same bytes', async () => {
    expect(t.server.upload).toBeUndefined();
    const r = await runScenario('slixmpp_upload.py', [t.port, SIZE, MAX + 1, QUOTA - SIZE + 1]);
    const result = r.result as {
      url: string;
      oversize: Record<string, string | null>;
      overquota: Record<string, string | null>;
    };
    expect(result, r.err.slice(-3000)).toMatchObject({ login: true, service: 'upload.localhost' });
    expect(result.url.startsWith(`${endpoint}/${BUCKET}/`)).toBe(true);
    expect(result.url).toContain('X-Amz-Signature=');
    const res = await fetch(result.url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(payload(SIZE))).toBe(true);
    expect(res.headers.get('content-type')).toBe('application/x-parley-test');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; /);
    expect(result.oversize).toMatchObject({
      condition: 'not-acceptable',
      max_file_size: String(MAX),
    });
    // The stored object (listed from the bucket) counts toward the quota.
    expect(result.overquota).toMatchObject({ condition: 'resource-constraint', type: 'wait' });
    expect(r.code).toBe(0);
  }, 60_000);

  // s3rver does not check SigV4 signatures (its code says so), so the store's refusal of another
  // size or type cannot be shown here: the test checks that the URL signs both headers, which
  // is what AWS S3, MinIO or Ceph enforce.
  it('presigns a PUT that signs Content-Length and Content-Type; a real PUT then GET round-trips', async () => {
    const config = loadConfig({
      env: {},
      overrides: { upload: { storage: { kind: 's3', s3: s3Config() } } },
    });
    const backend = new S3Backend({ s3: config.upload.storage.s3, expiryDays: 1 });
    try {
      const key = { user: 'x'.repeat(20), slot: newSlotId(), filename: 'a.txt' };
      const slot = await backend.slot({
        key,
        size: 5,
        contentType: 'text/plain',
        putExpires: Math.floor(Date.now() / 1000) + 60,
      });
      const put = (body: string, type: string) =>
        fetch(slot.put, { method: 'PUT', body, headers: { 'content-type': type } }).then(
          (r) => r.status,
        );
      const signed = new URL(slot.put).searchParams.get('X-Amz-SignedHeaders')!.split(';');
      expect(signed).toEqual(expect.arrayContaining(['content-length', 'content-type', 'host']));
      expect(new URL(slot.put).searchParams.get('X-Amz-Expires')).toMatch(/^(59|60)$/);
      expect(slot.headers).toEqual([]);
      expect(await put('hello', 'text/plain')).toBe(200);
      const got = await fetch(slot.get);
      expect(await got.text()).toBe('hello');
      expect((await backend.files(key.user)).map((f) => [f.slot, f.size])).toEqual([[key.slot, 5]]);
    } finally {
      backend.close();
    }
  });
});
