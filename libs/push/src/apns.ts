/**
 * Apple Push Notification service, token-based: HTTP/2 POST
 * /3/device/{token} to api.push.apple.com (or api.sandbox.push.apple.com)
 * with `authorization: bearer <provider token>`, `apns-topic`,
 * `apns-push-type` and `apns-priority`, and the JSON payload. The provider
 * token is a JWT signed with the team's .p8 key (ES256, header kid = key
 * id, claims iss = team id and iat), renewed every 50 minutes (Apple
 * refuses tokens older than an hour and asks for no more than one new token
 * every 20 minutes). Answers, as Apple documents them: 200 sent; 410
 * (Unregistered, ExpiredToken) and 400 BadDeviceToken /
 * DeviceTokenNotForTopic mean the token is dead; 403
 * ExpiredProviderToken renews the provider token once; 429 and 5xx are
 * retried with backoff; other answers fail.
 */
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as http2 from 'node:http2';
import { SignJWT, importPKCS8 } from 'jose';
import { PushError } from './errors.js';
import { jsonOf } from './http.js';
import type { AttemptOutcome, DeliveryResult, RetryDeps, RetryPolicy } from './retry.js';
import { parseRetryAfter, withRetries } from './retry.js';

export const APNS_PRODUCTION = 'https://api.push.apple.com';
export const APNS_SANDBOX = 'https://api.sandbox.push.apple.com';
/** A provider token is used this long, then replaced (Apple: between 20 and 60 minutes). */
export const PROVIDER_TOKEN_MS = 50 * 60_000;

export interface ApnsOptions {
  /** The .p8 signing key file (PKCS#8 PEM) from the Apple developer account. */
  keyFile: string;
  /** Its 10-character key id. */
  keyId: string;
  /** The 10-character team id. */
  teamId: string;
  /** The app's bundle id (the apns-topic). */
  topic: string;
  /** `alert` (a visible notification, priority 10) or `background` (content-available, priority 5). */
  pushType: 'alert' | 'background';
  /** The visible text of an alert push (never message content). */
  alertText: string;
  environment: 'production' | 'sandbox';
  /** Overrides the environment's origin (tests point it at a double). */
  endpoint?: string;
  /** Extra CA to trust for `endpoint` (tests, proxies). */
  caFile?: string;
  timeoutMs: number;
  retry: RetryPolicy;
}

const DEAD_REASONS = new Set([
  'BadDeviceToken',
  'Unregistered',
  'ExpiredToken',
  'DeviceTokenNotForTopic',
]);

/** Classifies one APNs answer (exported for tests). */
export function classifyApns(
  status: number,
  text: string,
  headers: Record<string, string | undefined>,
): AttemptOutcome {
  if (status === 200) {
    const id = headers['apns-id'];
    return id === undefined ? { kind: 'ok', status } : { kind: 'ok', status, id };
  }
  const body = jsonOf(text) as { reason?: unknown } | undefined;
  const reason = typeof body?.reason === 'string' ? body.reason : `HTTP ${status}`;
  if (status === 410 || DEAD_REASONS.has(reason)) return { kind: 'dead', status, reason };
  if (status === 429 || status >= 500) {
    const after = parseRetryAfter(headers['retry-after']);
    return after === undefined
      ? { kind: 'retry', status, reason }
      : { kind: 'retry', status, reason, retryAfterMs: after };
  }
  return { kind: 'failed', status, reason };
}

export class ApnsSender {
  private readonly origin: string;
  private readonly ca: string | undefined;
  private session: http2.ClientHttp2Session | undefined;
  private key: ReturnType<typeof importPKCS8> | undefined;
  private providerToken: { jwt: string; at: number } | undefined;
  private readonly pem: string;

  constructor(
    private readonly opts: ApnsOptions,
    private readonly deps: RetryDeps & { now?: () => number } = {},
  ) {
    this.origin = (
      opts.endpoint ?? (opts.environment === 'sandbox' ? APNS_SANDBOX : APNS_PRODUCTION)
    ).replace(/\/+$/, '');
    try {
      this.pem = readFileSync(opts.keyFile, 'utf8');
    } catch (cause) {
      throw new PushError('bad-credentials', `cannot read the APNs key file ${opts.keyFile}`, {
        cause,
      });
    }
    let key;
    try {
      key = createPrivateKey(this.pem);
    } catch (cause) {
      throw new PushError('bad-credentials', `${opts.keyFile} is not a PEM private key`, { cause });
    }
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
      throw new PushError('bad-credentials', `${opts.keyFile} is not a P-256 (ES256) key`);
    try {
      this.ca = opts.caFile === undefined ? undefined : readFileSync(opts.caFile, 'utf8');
    } catch (cause) {
      throw new PushError('bad-credentials', `cannot read the CA file ${opts.caFile}`, { cause });
    }
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  /** The provider token, signed anew once it is PROVIDER_TOKEN_MS old. */
  async token(): Promise<string> {
    const t = this.providerToken;
    const now = this.now();
    if (t !== undefined && now - t.at < PROVIDER_TOKEN_MS) return t.jwt;
    this.key ??= importPKCS8(this.pem, 'ES256').catch((cause: unknown) => {
      this.key = undefined;
      throw new PushError('bad-credentials', `${this.opts.keyFile} is not a PKCS#8 P-256 key`, {
        cause,
      });
    });
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: this.opts.keyId })
      .setIssuer(this.opts.teamId)
      .setIssuedAt(Math.floor(now / 1000))
      .sign(await this.key);
    this.providerToken = { jwt, at: now };
    return jwt;
  }

  /** The JSON payload of a push: what Apple shows (alert) or hands the app (background). */
  payload(data: Record<string, string>): string {
    const aps =
      this.opts.pushType === 'alert'
        ? { alert: { body: this.opts.alertText }, sound: 'default', 'mutable-content': 1 }
        : { 'content-available': 1 };
    return JSON.stringify({ ...data, aps });
  }

  /** Sends one push to a device token, with retries. */
  send(deviceToken: string, data: Record<string, string>): Promise<DeliveryResult> {
    const body = this.payload(data);
    let renewed = false;
    return withRetries(
      this.opts.retry,
      async () => {
        let jwt: string;
        try {
          jwt = await this.token();
        } catch (err) {
          return { kind: 'failed', status: 0, reason: (err as Error).message };
        }
        let res;
        try {
          res = await this.post(deviceToken, jwt, body);
        } catch (err) {
          return { kind: 'retry', status: 0, reason: `network: ${(err as Error).message}` };
        }
        const outcome = classifyApns(res.status, res.text, res.headers);
        if (outcome.kind === 'failed' && outcome.reason === 'ExpiredProviderToken' && !renewed) {
          renewed = true;
          this.providerToken = undefined;
          return { kind: 'retry', status: res.status, reason: outcome.reason, retryAfterMs: 0 };
        }
        return outcome;
      },
      this.deps,
    );
  }

  private connect(): http2.ClientHttp2Session {
    const s = this.session;
    if (s !== undefined && !s.closed && !s.destroyed) return s;
    const session = http2.connect(this.origin, this.ca === undefined ? {} : { ca: this.ca });
    session.on('error', () => undefined); // each request sees its own failure
    const forget = () => {
      if (this.session === session) this.session = undefined;
    };
    session.on('close', forget);
    session.on('goaway', forget);
    session.unref();
    this.session = session;
    return session;
  }

  private post(
    deviceToken: string,
    jwt: string,
    body: string,
  ): Promise<{ status: number; text: string; headers: Record<string, string | undefined> }> {
    const alert = this.opts.pushType === 'alert';
    return new Promise((resolve, reject) => {
      const req = this.connect().request({
        ':method': 'POST',
        ':path': `/3/device/${encodeURIComponent(deviceToken)}`,
        authorization: `bearer ${jwt}`,
        'apns-topic': this.opts.topic,
        'apns-push-type': this.opts.pushType,
        'apns-priority': alert ? '10' : '5',
        'apns-expiration': '0',
        'content-type': 'application/json',
      });
      req.setTimeout(this.opts.timeoutMs, () => req.close(http2.constants.NGHTTP2_CANCEL));
      let status = 0;
      const headers: Record<string, string | undefined> = {};
      let text = '';
      req.setEncoding('utf8');
      req.on('response', (h) => {
        status = Number(h[':status']);
        for (const [k, v] of Object.entries(h))
          if (!k.startsWith(':'))
            headers[k] = Array.isArray(v) ? v[0] : v === undefined ? v : String(v);
      });
      req.on('data', (chunk: string) => (text += chunk));
      req.on('end', () =>
        status === 0
          ? reject(new Error('stream ended without a response'))
          : resolve({ status, text, headers }),
      );
      req.on('error', reject);
      req.on('close', () => {
        if (status === 0) reject(new Error('request closed without a response'));
      });
      req.end(body);
    });
  }

  close(): Promise<void> {
    const s = this.session;
    this.session = undefined;
    if (s === undefined || s.closed) return Promise.resolve();
    return new Promise((resolve) => s.close(() => resolve()));
  }
}
