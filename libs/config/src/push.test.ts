import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './index.js';
import { configError, testFiles } from '../test/helpers.js';

const files = testFiles('parley-push-config-');
const dir = files.dir;
const sa = files.write('sa.json', '{}');
const p8 = files.write('AuthKey.p8', 'key');

const fcm = { id: 'conversations', type: 'fcm', serviceAccountFile: sa };
const apns = {
  id: 'ios',
  type: 'apns',
  keyFile: p8,
  keyId: 'ABC123DEFG',
  teamId: 'DEF123GHIJ',
  topic: 'org.example.app',
};

describe('push settings (XEP-0357)', () => {
  it('defaults: off, no body in notifications, the service off on push.<domain>', () => {
    const c = loadConfig({ env: {} });
    expect(c.push).toMatchObject({
      enabled: false,
      maxRegistrations: 20,
      bodyDomains: [],
      includeSender: true,
      notifyMentions: true,
      publishTimeoutMs: 60_000,
      service: {
        enabled: false,
        subdomain: 'push',
        apps: [],
        maxAttempts: 5,
        retryBaseMs: 1000,
        retryMaxMs: 60_000,
      },
    });
  });

  it('reads apps from a file and from JSON in the environment, with APNs defaults', () => {
    const c = loadConfig({
      env: {},
      overrides: { push: { service: { apps: [fcm, apns] as never } } },
    });
    expect(c.push.service.apps).toEqual([
      fcm,
      { ...apns, environment: 'production', pushType: 'alert', alertText: 'New message' },
    ]);
    const e = loadConfig({
      env: {
        PARLEY_PUSH_SERVICE_APPS: JSON.stringify([{ ...apns, environment: 'sandbox' }]),
        PARLEY_PUSH_BODY_DOMAINS: 'Example.ORG, chat.example.net',
      },
    });
    expect(e.push.service.apps[0]).toMatchObject({ environment: 'sandbox' });
    expect(e.push.bodyDomains).toEqual(['example.org', 'chat.example.net']);
  });

  it('names the app and key of a bad value', () => {
    const bad = (apps: unknown[]) =>
      configError(() =>
        loadConfig({ env: {}, overrides: { push: { service: { apps: apps as never } } } }),
      );
    expect(bad([{ ...fcm, serviceAccountFile: join(dir, 'nope.json') }]).message).toMatch(
      /push\.service\.apps.*\[0\].*serviceAccountFile: a readable file/,
    );
    expect(bad([fcm, { ...apns, keyId: 'short' }]).message).toMatch(/\[1\].*keyId/);
    expect(bad([fcm, { ...fcm }]).message).toMatch(/one app per id/);
    expect(bad([{ ...fcm, type: 'webpush' }]).message).toMatch(/type: "fcm" or "apns"/);
    expect(bad([{ ...fcm, extra: 1 }]).message).toMatch(/no key extra/);
    expect(bad([{ ...apns, environment: 'staging' }]).message).toMatch(/environment/);
  });
});
