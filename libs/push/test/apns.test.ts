/**
 * The APNs sender against a local HTTP/2 test double written to Apple's
 * documented contract (token-based connection, POST /3/device/<token>):
 * libs/testkit/src/push-doubles.ts. No Apple endpoint is reached; the
 * double verifies the provider token's ES256 signature with the test's
 * public key, its kid/iss/iat, the apns-* headers and the payload, and
 * answers scripted errors.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, startApnsDouble } from '@parley/testkit';
import type { ApnsDouble, TestPki } from '@parley/testkit';
import { ApnsSender, PROVIDER_TOKEN_MS, classifyApns } from '../src/index.js';
import type { ApnsOptions } from '../src/index.js';

const TOKEN = 'a1'.repeat(32);
const retry = { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 2000 };

describe('APNs sender (against the HTTP/2 test double)', () => {
  let pki: TestPki;
  let dir: string;
  let apns: ApnsDouble;
  let opts: ApnsOptions;
  // The first provider token is signed 55 minutes "ago" (still valid for Apple: under an hour).
  let clock = Date.now() - 55 * 60_000;
  let sender: ApnsSender;

  beforeAll(async () => {
    pki = await createTestPki();
    dir = await mkdtemp(join(tmpdir(), 'parley-apns-'));
    apns = await startApnsDouble(pki, dir);
    opts = {
      keyFile: apns.keyFile,
      keyId: apns.keyId,
      teamId: apns.teamId,
      topic: apns.topic,
      pushType: 'alert',
      alertText: 'New message',
      environment: 'sandbox',
      endpoint: apns.url,
      caFile: pki.caFile,
      timeoutMs: 5000,
      retry,
    };
    sender = new ApnsSender(opts, { now: () => clock, sleep: async () => undefined });
  });
  afterAll(async () => {
    await sender?.close();
    await apns?.close();
    await pki?.remove();
    await rm(dir, { recursive: true, force: true });
  });

  it('sends an alert push with a provider token, topic, push type and priority', async () => {
    const r = await sender.send(TOKEN, { account: 'abc' });
    expect(apns.rejected).toEqual([]);
    expect(r).toMatchObject({ kind: 'ok', status: 200, attempts: 1 });
    const [p] = apns.pushes;
    expect(p!.headers).toMatchObject({
      ':path': `/3/device/${TOKEN}`,
      'apns-topic': 'org.parley.test',
      'apns-push-type': 'alert',
      'apns-priority': '10',
    });
    expect(p!.body).toEqual({
      account: 'abc',
      aps: { alert: { body: 'New message' }, sound: 'default', 'mutable-content': 1 },
    });
  });

  it('reuses the provider token, and signs a new one after 50 minutes', async () => {
    await sender.send(TOKEN, {});
    expect(apns.providerTokens.size).toBe(1);
    clock += PROVIDER_TOKEN_MS - 60_000;
    await sender.send(TOKEN, {});
    expect(apns.providerTokens.size).toBe(1);
    clock = Date.now(); // 55 minutes after the first token
    await sender.send(TOKEN, {});
    expect(apns.providerTokens.size).toBe(2);
  });

  it('retries 503 and 429 and then delivers', async () => {
    const t = 'b2'.repeat(32);
    apns.script(t, [
      { status: 503, body: { reason: 'ServiceUnavailable' } },
      { status: 429, body: { reason: 'TooManyRequests' }, headers: { 'retry-after': '0' } },
    ]);
    const r = await sender.send(t, {});
    expect(r).toMatchObject({ kind: 'ok', attempts: 3 });
  });

  it('reports 410 Unregistered and 400 BadDeviceToken as dead tokens', async () => {
    const gone = 'c3'.repeat(32);
    apns.unregister(gone);
    expect(await sender.send(gone, {})).toMatchObject({
      kind: 'dead',
      status: 410,
      reason: 'Unregistered',
    });
    expect(await sender.send('d4'.repeat(10), {})).toMatchObject({
      kind: 'dead',
      status: 400,
      reason: 'BadDeviceToken',
    });
  });

  it('sends background pushes with priority 5 and content-available', async () => {
    const bg = new ApnsSender({ ...opts, pushType: 'background' });
    const t = 'e5'.repeat(32);
    expect((await bg.send(t, { account: 'z' })).kind).toBe('ok');
    await bg.close();
    const p = apns.pushes.find((x) => x.token === t)!;
    expect(p.headers).toMatchObject({ 'apns-push-type': 'background', 'apns-priority': '5' });
    expect(p.body).toEqual({ account: 'z', aps: { 'content-available': 1 } });
  });

  it('a provider token from another team is refused (the double checks the claims)', async () => {
    const other = new ApnsSender({
      ...opts,
      teamId: 'ZZZZZZZZZZ',
      retry: { ...retry, maxAttempts: 1 },
    });
    expect(await other.send(TOKEN, {})).toMatchObject({
      kind: 'failed',
      status: 403,
      reason: 'InvalidProviderToken',
    });
    await other.close();
  });
});

describe('APNs answers', () => {
  it('classifies answers as Apple documents them', () => {
    const body = (reason: string) => JSON.stringify({ reason });
    expect(classifyApns(200, '', { 'apns-id': 'X' })).toEqual({ kind: 'ok', status: 200, id: 'X' });
    expect(classifyApns(410, body('ExpiredToken'), {}).kind).toBe('dead');
    expect(classifyApns(400, body('DeviceTokenNotForTopic'), {}).kind).toBe('dead');
    expect(classifyApns(400, body('BadTopic'), {}).kind).toBe('failed');
    expect(classifyApns(500, body('InternalServerError'), {}).kind).toBe('retry');
    expect(classifyApns(403, body('ExpiredProviderToken'), {})).toMatchObject({ kind: 'failed' });
  });
});

describe('APNs credentials', () => {
  it('refuses a key file that is not a P-256 private key, at construction', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { writeFile } = await import('node:fs/promises');
    const dir = await mkdtemp(join(tmpdir(), 'parley-apns-key-'));
    try {
      const rsa = join(dir, 'rsa.p8');
      await writeFile(
        rsa,
        generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
          type: 'pkcs8',
          format: 'pem',
        }),
      );
      const junk = join(dir, 'junk.p8');
      await writeFile(junk, 'not a key');
      const base = {
        keyId: 'ABC123DEFG',
        teamId: 'DEF123GHIJ',
        topic: 't',
        pushType: 'alert' as const,
        alertText: 'x',
        environment: 'sandbox' as const,
        timeoutMs: 1000,
        retry,
      };
      expect(() => new ApnsSender({ ...base, keyFile: rsa })).toThrow(/not a P-256/);
      expect(() => new ApnsSender({ ...base, keyFile: junk })).toThrow(/not a PEM private key/);
      expect(() => new ApnsSender({ ...base, keyFile: join(dir, 'missing.p8') })).toThrow(
        /cannot read/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
