/**
 * The configured apps of the push service (`push.service.apps`) as senders:
 * one FCM or APNs client per app, keeping its connections and credentials
 * (access token, provider token) between pushes.
 */
import { createHash } from 'node:crypto';
import type { PushAppConfig } from '@parley/config';
import { ApnsSender } from './apns.js';
import { FcmSender } from './fcm.js';
import type { DeliveryResult, RetryDeps, RetryPolicy } from './retry.js';

export interface PushSender {
  readonly app: PushAppConfig;
  /** Delivers one push to a device token, retrying transient failures. */
  send(token: string, data: Record<string, string>): Promise<DeliveryResult>;
  close(): Promise<void>;
}

export interface SenderSettings {
  timeoutMs: number;
  retry: RetryPolicy;
}

/** A sender for one app; reads its credential files now (a PushError when they are bad). */
export function openSender(
  app: PushAppConfig,
  settings: SenderSettings,
  deps: RetryDeps = {},
): PushSender {
  if (app.type === 'fcm') {
    const opts: ConstructorParameters<typeof FcmSender>[0] = {
      serviceAccountFile: app.serviceAccountFile,
      timeoutMs: settings.timeoutMs,
      retry: settings.retry,
    };
    if (app.projectId !== undefined) opts.projectId = app.projectId;
    if (app.endpoint !== undefined) opts.endpoint = app.endpoint;
    if (app.caFile !== undefined) opts.caFile = app.caFile;
    const fcm = new FcmSender(opts, deps);
    return { app, send: (t, d) => fcm.send(t, d), close: () => fcm.close() };
  }
  const opts: ConstructorParameters<typeof ApnsSender>[0] = {
    keyFile: app.keyFile,
    keyId: app.keyId,
    teamId: app.teamId,
    topic: app.topic,
    pushType: app.pushType,
    alertText: app.alertText,
    environment: app.environment,
    timeoutMs: settings.timeoutMs,
    retry: settings.retry,
  };
  if (app.endpoint !== undefined) opts.endpoint = app.endpoint;
  if (app.caFile !== undefined) opts.caFile = app.caFile;
  const apns = new ApnsSender(opts, deps);
  return { app, send: (t, d) => apns.send(t, d), close: () => apns.close() };
}

const FCM_TOKEN = /^[\x21-\x7e]{1,4096}$/;
const APNS_TOKEN = /^[0-9a-fA-F]{32,200}$/;

/** Whether `token` has the shape of a device token of that provider. */
export function validToken(type: PushAppConfig['type'], token: string): boolean {
  return type === 'fcm' ? FCM_TOKEN.test(token) : APNS_TOKEN.test(token);
}

/**
 * The device's name toward the provider, as Conversations' app server (p2)
 * computes it: SHA-1 (hex) of the bare JID and the device id joined by a NUL.
 * The client computes the same value to know which account a push wakes;
 * neither the JID nor the device id reach Google or Apple.
 */
export function deviceHash(bareJid: string, deviceId: string): string {
  return createHash('sha1').update(`${bareJid}\u0000${deviceId}`, 'utf8').digest('hex');
}
