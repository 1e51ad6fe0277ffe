/**
 * Firebase Cloud Messaging HTTP v1: POST
 * {endpoint}/v1/projects/{project}/messages:send with a Bearer access token
 * of the app's service account (google-auth.ts) and a JSON body
 * `{message: {token, data, android: {priority}}}`. Answers, as Google
 * documents them: 200 sent; 404 / UNREGISTERED and 403 / SENDER_ID_MISMATCH
 * mean the token is dead; 401 means the access token was refused (renewed
 * once, then failed); 429 QUOTA_EXCEEDED and 500/503 are retried with
 * backoff, after Retry-After when given; other 4xx fail.
 */
import { PushError } from './errors.js';
import { GoogleTokenSource, readServiceAccount } from './google-auth.js';
import type { ServiceAccount } from './google-auth.js';
import { HttpClient, jsonOf } from './http.js';
import type { AttemptOutcome, DeliveryResult, RetryDeps, RetryPolicy } from './retry.js';
import { parseRetryAfter, withRetries } from './retry.js';

export const FCM_ENDPOINT = 'https://fcm.googleapis.com';

export interface FcmOptions {
  /** The service-account key file (JSON) of the Firebase project. */
  serviceAccountFile: string;
  /** The project id; default: project_id of the service-account file. */
  projectId?: string;
  /** Base URL of the FCM API (default https://fcm.googleapis.com); tests point it at a double. */
  endpoint?: string;
  /** Extra CA to trust for `endpoint` and the token URI (tests, proxies). */
  caFile?: string;
  timeoutMs: number;
  retry: RetryPolicy;
}

/** What a push carries to the device: string values only (FCM data messages). */
export type PushData = Record<string, string>;

const DEAD_CODES = new Set(['UNREGISTERED', 'SENDER_ID_MISMATCH']);
const RETRY_CODES = new Set(['QUOTA_EXCEEDED', 'UNAVAILABLE', 'INTERNAL']);

/** The FcmError code and message of an error body, if any. */
function fcmError(text: string): { code?: string; message?: string; status?: string } {
  const o = jsonOf(text) as { error?: Record<string, unknown> } | undefined;
  const err = o?.error;
  if (typeof err !== 'object' || err === null) return {};
  const out: { code?: string; message?: string; status?: string } = {};
  if (typeof err['message'] === 'string') out.message = err['message'];
  if (typeof err['status'] === 'string') out.status = err['status'];
  const details = Array.isArray(err['details']) ? (err['details'] as unknown[]) : [];
  for (const d of details) {
    const code = (d as Record<string, unknown> | null)?.['errorCode'];
    if (typeof code === 'string') out.code = code;
  }
  return out;
}

/** Classifies one answer of messages:send (exported for tests). */
export function classifyFcm(
  status: number,
  text: string,
  retryAfter: string | undefined,
): AttemptOutcome {
  if (status === 200) {
    const name = (jsonOf(text) as { name?: unknown } | undefined)?.name;
    return typeof name === 'string' ? { kind: 'ok', status, id: name } : { kind: 'ok', status };
  }
  const e = fcmError(text);
  const reason = e.code ?? e.status ?? `HTTP ${status}`;
  if (status === 404 || (e.code !== undefined && DEAD_CODES.has(e.code)))
    return { kind: 'dead', status, reason };
  if (status === 429 || status >= 500 || (e.code !== undefined && RETRY_CODES.has(e.code))) {
    const after = parseRetryAfter(retryAfter);
    return after === undefined
      ? { kind: 'retry', status, reason }
      : { kind: 'retry', status, reason, retryAfterMs: after };
  }
  return { kind: 'failed', status, reason: e.message ? `${reason}: ${e.message}` : reason };
}

export class FcmSender {
  readonly projectId: string;
  private readonly url: string;
  private readonly http: HttpClient;
  private readonly tokens: GoogleTokenSource;

  constructor(
    private readonly opts: FcmOptions,
    private readonly deps: RetryDeps = {},
    account: ServiceAccount = readServiceAccount(opts.serviceAccountFile),
  ) {
    this.projectId = opts.projectId ?? account.projectId;
    const base = (opts.endpoint ?? FCM_ENDPOINT).replace(/\/+$/, '');
    this.url = `${base}/v1/projects/${encodeURIComponent(this.projectId)}/messages:send`;
    const http: { timeoutMs: number; caFile?: string } = { timeoutMs: opts.timeoutMs };
    if (opts.caFile !== undefined) http.caFile = opts.caFile;
    this.http = new HttpClient(http);
    this.tokens = new GoogleTokenSource(account, this.http);
  }

  /** Sends a data message to one registration token, with retries. */
  send(token: string, data: PushData): Promise<DeliveryResult> {
    const body = JSON.stringify({ message: { token, data, android: { priority: 'HIGH' } } });
    let renewed = false;
    return withRetries(
      this.opts.retry,
      async () => {
        let access: string;
        try {
          access = await this.tokens.token();
        } catch (err) {
          // A key that cannot sign never will; the token endpoint down or refusing is
          // treated as transient, like a 5xx.
          if (err instanceof PushError && err.code === 'bad-credentials')
            return { kind: 'failed', status: 0, reason: err.message };
          const reason = err instanceof PushError ? err.message : 'token request failed';
          return { kind: 'retry', status: 0, reason };
        }
        let res;
        try {
          res = await this.http.post(
            this.url,
            {
              authorization: `Bearer ${access}`,
              'content-type': 'application/json; charset=UTF-8',
            },
            body,
          );
        } catch (err) {
          return { kind: 'retry', status: 0, reason: `network: ${(err as Error).message}` };
        }
        if (res.status === 401 && !renewed) {
          // The access token was revoked or expired early: one more try with a fresh one.
          renewed = true;
          this.tokens.invalidate();
          return { kind: 'retry', status: 401, reason: 'access token refused', retryAfterMs: 0 };
        }
        return classifyFcm(res.status, res.text, res.headers['retry-after']);
      },
      this.deps,
    );
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
