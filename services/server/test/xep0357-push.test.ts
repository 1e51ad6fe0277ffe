/**
 * XEP-0357 Push Notifications end to end in the all-in-one server, with
 * Debian's slixmpp as the phone (interop/slixmpp_push.py): it registers on
 * push.localhost with an ad-hoc command, enables push with the node and
 * secret it got, and its stream-management session detaches when the
 * socket dies; a contact writes, and the push reaches the test's FCM (or
 * APNs) endpoint, correctly authenticated and naming the device token.
 *
 * The FCM and APNs endpoints are test doubles (@parley/testkit
 * push-doubles.ts) written to Google's and Apple's documented contracts:
 * they verify the OAuth assertion / provider token signatures with the
 * test's public keys, the headers and the JSON body. No Google or Apple
 * endpoint is reached.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { deviceHash } from '@parley/push';
import {
  apnsDoubleApp,
  createTestPki,
  fcmDoubleApp,
  startApnsDouble,
  startFcmDouble,
} from '@parley/testkit';
import type { ApnsDouble, FcmDouble, RecordedPush, TestPki } from '@parley/testkit';
import { WAIT, startTestServer } from './harness.js';
import type { TestServer } from './harness.js';
import { runPhone } from './push-phone.js';
import type { PhoneRun } from './push-phone.js';
import { requirePython } from './slixmpp-runner.js';

describe('interop: XEP-0357 push with slixmpp, FCM and APNs doubles', () => {
  let pki: TestPki;
  let dir: string;
  let fcm: FcmDouble;
  let apns: ApnsDouble;
  let t: TestServer;

  beforeAll(async () => {
    requirePython();
    pki = await createTestPki();
    dir = await mkdtemp(join(tmpdir(), 'parley-push-e2e-'));
    fcm = await startFcmDouble(pki, dir);
    apns = await startApnsDouble(pki, dir);
    t = await startTestServer({
      push: {
        enabled: true,
        service: {
          enabled: true,
          apps: [fcmDoubleApp(fcm, pki.caFile), apnsDoubleApp(apns, pki.caFile)],
        },
      },
    });
    for (const u of ['pf-phone', 'pf-friend', 'pa-phone', 'pa-friend']) await t.addUser(u);
  });
  afterAll(async () => {
    await t?.stop();
    await fcm?.close();
    await apns?.close();
    await pki?.remove();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Runs the phone against `double`; returns the scenario's result and the push that arrived. */
  async function phoneRun(
    kind: 'fcm' | 'apns',
    token: string,
    deviceId: string,
    prefix: string,
    double: { pushes: RecordedPush[]; waitForPushes(n: number): Promise<RecordedPush[]> },
  ): Promise<{ run: PhoneRun; push: RecordedPush | undefined }> {
    const before = double.pushes.length;
    const detached = t.server.gateway.detachedCount();
    let push: RecordedPush | undefined;
    const run = await runPhone(
      [t.port, kind, token, deviceId, prefix],
      // The gateway saw the socket die and keeps the session for resumption.
      () => vi.waitFor(() => expect(t.server.gateway.detachedCount()).toBe(detached + 1), WAIT),
      async () => {
        push = (await double.waitForPushes(before + 1))[before];
      },
    );
    return { run, push };
  }

  it('a message for a phone whose only session detached reaches FCM, authenticated, naming its token', async () => {
    const token = 'cFcm-Token:APA91bHparley_test_device';
    const { run, push } = await phoneRun('fcm', token, 'android-1234', 'pf', fcm);
    expect(run.result, run.err.slice(-3000)).toMatchObject({
      sm_resume: 'true',
      first_status: 'executing',
      status: 'completed',
      registered: { jid: 'push.localhost', node: true, secret: true },
      enable: 'result',
      done: true,
    });
    expect(run.result['commands']).toEqual(
      expect.arrayContaining(['register-push-fcm', 'register-push-apns']),
    );
    expect(run.result['asked']).toEqual(expect.arrayContaining(['token', 'device-id']));
    expect(fcm.rejected).toEqual([]);
    expect(push).toBeDefined();
    expect(push!.token).toBe(token);
    expect(push!.headers['authorization']).toMatch(/^Bearer ya29\./);
    expect(push!.body).toEqual({
      token,
      data: { account: deviceHash('pf-phone@localhost', 'android-1234') },
      android: { priority: 'HIGH' },
    });
    expect(JSON.stringify(push!.body)).not.toContain('secret only');
    expect(run.code).toBe(0);
  }, 90_000);

  it('the same for an APNs registration', async () => {
    const token = 'fe01'.repeat(16);
    const { run, push } = await phoneRun('apns', token, 'iphone-5678', 'pa', apns);
    expect(run.result, run.err.slice(-3000)).toMatchObject({
      status: 'completed',
      enable: 'result',
      done: true,
    });
    expect(apns.rejected).toEqual([]);
    expect(push).toBeDefined();
    expect(push!.token).toBe(token);
    expect(push!.headers).toMatchObject({
      ':path': `/3/device/${token}`,
      'apns-topic': apns.topic,
      'apns-push-type': 'alert',
      'apns-priority': '10',
    });
    expect(push!.headers['authorization']).toMatch(/^bearer /);
    expect(push!.body).toEqual({
      account: deviceHash('pa-phone@localhost', 'iphone-5678'),
      aps: { alert: { body: 'New message' }, sound: 'default', 'mutable-content': 1 },
    });
    expect(run.code).toBe(0);
  }, 90_000);
});
