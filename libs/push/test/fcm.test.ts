/**
 * The FCM sender against a local test double written to Google's
 * documented contracts (FCM HTTP v1 messages:send and the OAuth 2.0 token
 * endpoint of service accounts): libs/testkit/src/push-doubles.ts. No
 * Google endpoint is reached; the double verifies the assertion's RS256
 * signature with the test's public key, its claims, the bearer token and
 * the message body, and answers scripted errors.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, startFcmDouble } from '@parley/testkit';
import type { FcmDouble, TestPki } from '@parley/testkit';
import { FcmSender, PushError, classifyFcm, readServiceAccount } from '../src/index.js';

const retry = { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 2000 };

describe('FCM HTTP v1 sender (against the test double)', () => {
  let pki: TestPki;
  let dir: string;
  let fcm: FcmDouble;
  let sender: FcmSender;
  const sleeps: number[] = [];

  beforeAll(async () => {
    pki = await createTestPki();
    dir = await mkdtemp(join(tmpdir(), 'parley-fcm-'));
    fcm = await startFcmDouble(pki, dir);
    sender = new FcmSender(
      {
        serviceAccountFile: fcm.serviceAccountFile,
        endpoint: fcm.url,
        caFile: pki.caFile,
        timeoutMs: 5000,
        retry,
      },
      { sleep: async (ms) => void sleeps.push(ms) },
    );
  });
  afterAll(async () => {
    await sender?.close();
    await fcm?.close();
    await pki?.remove();
    await rm(dir, { recursive: true, force: true });
  });

  it('gets an access token with a signed assertion once, and sends a data message with it', async () => {
    const a = await sender.send('tok-a', { account: 'abc' });
    const b = await sender.send('tok-b', { account: 'def' });
    expect(fcm.rejected).toEqual([]);
    expect(a).toMatchObject({ kind: 'ok', status: 200, attempts: 1 });
    expect(a.kind === 'ok' && a.id).toMatch(/^projects\/parley-test-project\/messages\//);
    expect(b.kind).toBe('ok');
    expect(fcm.tokensIssued).toBe(1); // cached until it expires
    const [first] = fcm.pushes;
    expect(first).toMatchObject({
      token: 'tok-a',
      body: { token: 'tok-a', data: { account: 'abc' }, android: { priority: 'HIGH' } },
    });
    expect(first!.headers['authorization']).toMatch(/^Bearer ya29\./);
  });

  it('retries 503 and 429 (after Retry-After) and then delivers', async () => {
    sleeps.length = 0;
    fcm.script('tok-retry', [
      { status: 503, body: { error: { code: 503, status: 'UNAVAILABLE', message: 'busy' } } },
      {
        status: 429,
        headers: { 'retry-after': '1' },
        body: {
          error: {
            code: 429,
            status: 'RESOURCE_EXHAUSTED',
            details: [{ errorCode: 'QUOTA_EXCEEDED' }],
          },
        },
      },
    ]);
    const r = await sender.send('tok-retry', { account: 'x' });
    expect(r).toMatchObject({ kind: 'ok', attempts: 3 });
    expect(sleeps[1]).toBe(1000);
    expect(fcm.pushes.filter((p) => p.token === 'tok-retry').map((p) => p.status)).toEqual([
      503, 429, 200,
    ]);
  });

  it('reports an unregistered token as dead (404 UNREGISTERED) without retrying', async () => {
    fcm.unregister('tok-gone');
    const r = await sender.send('tok-gone', { account: 'x' });
    expect(r).toMatchObject({ kind: 'dead', status: 404, reason: 'UNREGISTERED', attempts: 1 });
  });

  it('renews a refused access token once', async () => {
    fcm.revokeTokens();
    const before = fcm.tokensIssued;
    const r = await sender.send('tok-c', { account: 'x' });
    expect(r).toMatchObject({ kind: 'ok', attempts: 2 });
    expect(fcm.tokensIssued).toBe(before + 1);
  });

  it('fails a 400 without retrying', async () => {
    fcm.script('tok-bad', [
      {
        status: 400,
        body: {
          error: {
            code: 400,
            status: 'INVALID_ARGUMENT',
            message: 'bad',
            details: [{ errorCode: 'INVALID_ARGUMENT' }],
          },
        },
      },
    ]);
    expect(await sender.send('tok-bad', {})).toMatchObject({
      kind: 'failed',
      status: 400,
      attempts: 1,
    });
  });

  it('a token signed with another key is refused by the token endpoint (the double checks signatures)', async () => {
    const forged = join(dir, 'forged.json');
    const real = JSON.parse(
      await import('node:fs').then((fs) => fs.readFileSync(fcm.serviceAccountFile, 'utf8')),
    ) as Record<string, string>;
    const { generateKeyPairSync } = await import('node:crypto');
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    await writeFile(forged, JSON.stringify({ ...real, private_key: other }));
    const s = new FcmSender({
      serviceAccountFile: forged,
      endpoint: fcm.url,
      caFile: pki.caFile,
      timeoutMs: 5000,
      retry: { ...retry, maxAttempts: 1 },
    });
    const r = await s.send('tok-a', {});
    await s.close();
    expect(r).toMatchObject({ kind: 'failed' });
    expect(fcm.rejected.at(-1)).toBe('token: bad signature');
  });
});

describe('FCM answers and credentials', () => {
  it('classifies answers as Google documents them', () => {
    const err = (status: number, code?: string) =>
      JSON.stringify({
        error: { code: status, status: 'X', details: code ? [{ errorCode: code }] : [] },
      });
    expect(classifyFcm(404, err(404, 'UNREGISTERED'), undefined).kind).toBe('dead');
    expect(classifyFcm(403, err(403, 'SENDER_ID_MISMATCH'), undefined).kind).toBe('dead');
    expect(classifyFcm(500, err(500, 'INTERNAL'), undefined).kind).toBe('retry');
    expect(classifyFcm(429, err(429, 'QUOTA_EXCEEDED'), '7')).toMatchObject({
      kind: 'retry',
      retryAfterMs: 7000,
    });
    expect(classifyFcm(400, err(400, 'INVALID_ARGUMENT'), undefined).kind).toBe('failed');
    expect(classifyFcm(401, err(401, 'THIRD_PARTY_AUTH_ERROR'), undefined).kind).toBe('failed');
  });

  it('refuses a service-account file that is not one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'parley-fcm-'));
    try {
      const f = join(dir, 'sa.json');
      await writeFile(f, JSON.stringify({ type: 'authorized_user' }));
      expect(() => readServiceAccount(f)).toThrow(PushError);
      expect(() => readServiceAccount(join(dir, 'missing.json'))).toThrow(/cannot read/);
      const base = {
        type: 'service_account',
        project_id: 'p',
        private_key_id: 'k',
        client_email: 'e',
        token_uri: 'https://oauth2.example/token',
      };
      await writeFile(f, JSON.stringify({ ...base, private_key: 'nope' }));
      expect(() => readServiceAccount(f)).toThrow(/not a PEM private key/);
      const { generateKeyPairSync } = await import('node:crypto');
      const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
        type: 'pkcs8',
        format: 'pem',
      });
      await writeFile(f, JSON.stringify({ ...base, private_key: ec }));
      expect(() => readServiceAccount(f)).toThrow(/not an RSA key/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
