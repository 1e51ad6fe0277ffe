/**
 * XEP-0357 push in the local cluster: gateway and session-registry workers
 * as separate processes over NATS and Redis. Debian's slixmpp registers on
 * push.localhost, enables push and drops its socket; the gateway process
 * reports the detached session over the bus (`session-detached`), a contact
 * writes, and the registry worker owning push.localhost delivers to the
 * test's FCM endpoint.
 *
 * The FCM endpoint is a test double (@parley/testkit push-doubles.ts)
 * written to Google's documented contract (OAuth 2.0 for service accounts,
 * FCM HTTP v1 messages:send): it verifies the assertion's signature with
 * the test's public key, the bearer token and the body. No Google endpoint
 * is reached.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { deviceHash } from '@parley/push';
import { createTestPki, fcmDoubleApp, startFcmDouble } from '@parley/testkit';
import type { FcmDouble, RecordedPush, TestPki } from '@parley/testkit';
import { startTestCluster } from './cluster-harness.js';
import type { TestCluster } from './cluster-harness.js';
import { runPhone } from './push-phone.js';
import { requirePython } from './slixmpp-runner.js';

/** The sum of a metric's series in a Prometheus exposition text. */
function total(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n'))
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

describe('cluster: XEP-0357 push across gateway and registry processes', () => {
  let pki: TestPki;
  let dir: string;
  let fcm: FcmDouble;
  let t: TestCluster;

  beforeAll(async () => {
    requirePython();
    pki = await createTestPki();
    dir = await mkdtemp(join(tmpdir(), 'parley-push-cluster-'));
    fcm = await startFcmDouble(pki, dir);
    const apps = [fcmDoubleApp(fcm, pki.caFile)];
    t = await startTestCluster(['pc-phone', 'pc-friend'], {
      partitions: 8,
      env: {
        PARLEY_PUSH_ENABLED: 'true',
        PARLEY_PUSH_SERVICE_ENABLED: 'true',
        PARLEY_PUSH_SERVICE_APPS: JSON.stringify(apps),
        PARLEY_PUSH_SERVICE_RETRY_BASE_MS: '10',
      },
    });
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
    await fcm?.close();
    await pki?.remove();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a message for a detached phone reaches FCM from the registry worker', async () => {
    const gateway = t.cluster.gateways[0]!;
    const detached = async () =>
      total(
        await (await fetch(`http://127.0.0.1:${gateway.httpPort}/metrics`)).text(),
        'parley_sm_detached_sessions',
      );
    const before = await detached();
    const token = 'cluster-fcm-token:APA91b_phone';
    let push: RecordedPush | undefined;
    const run = await runPhone(
      [gateway.c2sPort!, 'fcm', token, 'android-cluster', 'pc'],
      () =>
        vi.waitFor(async () => expect(await detached()).toBe(before + 1), {
          timeout: 10_000,
          interval: 50,
        }),
      async () => {
        push = (await fcm.waitForPushes(1, 20_000))[0];
      },
    );
    expect(run.result, run.err.slice(-3000)).toMatchObject({
      status: 'completed',
      enable: 'result',
      done: true,
    });
    expect(fcm.rejected).toEqual([]);
    expect(push).toMatchObject({
      token,
      body: { token, data: { account: deviceHash('pc-phone@localhost', 'android-cluster') } },
    });
    expect(run.code).toBe(0);
  }, 120_000);
});
