/**
 * Test doubles of Firebase Cloud Messaging (HTTP v1 with the OAuth 2.0
 * token endpoint of a service account) and of the Apple Push Notification
 * service (HTTP/2, token-based authentication), written to Google's and
 * Apple's documented contracts; no Google or Apple endpoint can be reached
 * from the tests. Each checks every request the way the real service
 * documents it (method, path, headers, the JWT's header, claims and
 * signature, verified here with node:crypto against the test's public key,
 * independently of the code under test, and the body's JSON), records it,
 * and answers success, or a scripted error to drive retries and the
 * removal of dead tokens. Both listen on 127.0.0.1 over TLS with a
 * certificate of the test PKI (test-pki.ts).
 */
import {
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  verify as verifySignature,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFile, writeFile } from 'node:fs/promises';
import * as https from 'node:https';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TestPki } from './test-pki.js';

/** A scripted answer: status, JSON body, extra headers. */
export interface ScriptedAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A request a double accepted as well-formed (whatever it answered). */
export interface RecordedPush {
  /** The device token the request names. */
  token: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
  /** The status the double answered. */
  status: number;
}

interface Jwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

/**
 * Splits and verifies a compact JWS: `alg` must be `alg`, the signature
 * must verify with `key` (RS256: PKCS#1 v1.5 SHA-256; ES256: ECDSA P-256
 * SHA-256 with the 64-byte r||s encoding of RFC 7518 3.4). A string: why not.
 */
export function verifyJwt(jwt: string, key: KeyObject, alg: 'RS256' | 'ES256'): Jwt | string {
  const parts = jwt.split('.');
  if (parts.length !== 3) return 'not a compact JWS';
  const [h, c, s] = parts as [string, string, string];
  let header: Record<string, unknown>;
  let claims: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, unknown>;
    claims = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return 'header or claims are not base64url JSON';
  }
  if (header['alg'] !== alg) return `alg is ${String(header['alg'])}, not ${alg}`;
  const sig = Buffer.from(s, 'base64url');
  if (alg === 'ES256' && sig.length !== 64) return 'an ES256 signature is 64 bytes (r || s)';
  const ok = verifySignature(
    'sha256',
    Buffer.from(`${h}.${c}`),
    alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key,
    sig,
  );
  return ok ? { header, claims } : 'bad signature';
}

async function listenTls(
  pki: TestPki,
  make: (opts: { key: Buffer; cert: Buffer }) => https.Server | http2.Http2SecureServer,
): Promise<{ server: https.Server | http2.Http2SecureServer; port: number }> {
  const key = await readFile(pki.serverKeyFile);
  const cert = await readFile(pki.serverCertFile);
  const server = make({ key, cert });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

function readBody(req: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

/** The pushes a double recorded, and waits for the next ones (no polling). */
class Recorded {
  readonly list: RecordedPush[] = [];
  private waiters: (() => void)[] = [];

  constructor(private readonly what: string) {}

  add(p: RecordedPush): void {
    this.list.push(p);
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves once `n` pushes were recorded; rejects after `timeoutMs`. */
  waitFor(n: number, timeoutMs: number): Promise<RecordedPush[]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `${this.what}: ${this.list.length} of ${n} pushes arrived within ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      );
      const check = () => {
        if (this.list.length >= n) {
          clearTimeout(timer);
          resolve(this.list);
        } else this.waiters.push(check);
      };
      check();
    });
  }
}

/* ------------------------------------------------------------------------ */
/* FCM HTTP v1 and Google's OAuth 2.0 token endpoint                         */
/* ------------------------------------------------------------------------ */

export const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';

export interface FcmDouble {
  /** Base URL of the double (the app's `endpoint`). */
  readonly url: string;
  readonly projectId: string;
  /** A service-account key file naming this double as token_uri. */
  readonly serviceAccountFile: string;
  /** Well-formed message sends, in arrival order. */
  readonly pushes: RecordedPush[];
  /** Access tokens handed out by the token endpoint. */
  readonly tokensIssued: number;
  /** Requests refused as malformed or unauthenticated, with the reason. */
  readonly rejected: string[];
  /** The next answers for sends to `token`, consumed in order (then 200). */
  script(token: string, answers: ScriptedAnswer[]): void;
  /** Sends to `token` are answered 404 UNREGISTERED from now on. */
  unregister(token: string): void;
  /** Invalidates the issued access tokens (the next send gets 401). */
  revokeTokens(): void;
  waitForPushes(n: number, timeoutMs?: number): Promise<RecordedPush[]>;
  close(): Promise<void>;
}

function fcmError(status: number, googleStatus: string, message: string, errorCode?: string) {
  const error: Record<string, unknown> = { code: status, message, status: googleStatus };
  if (errorCode !== undefined)
    error['details'] = [
      { '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode },
    ];
  return { status, body: { error } };
}

/** Starts the FCM double; writes the service-account file into `dir`. */
export async function startFcmDouble(pki: TestPki, dir: string): Promise<FcmDouble> {
  const projectId = 'parley-test-project';
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyId = randomBytes(20).toString('hex');
  const clientEmail = `push@${projectId}.iam.gserviceaccount.com`;
  const recorded = new Recorded('FCM double');
  const rejected: string[] = [];
  const scripts = new Map<string, ScriptedAnswer[]>();
  const unregistered = new Set<string>();
  let issued = new Set<string>();
  let tokensIssued = 0;
  let url = '';

  const send = (res: ServerResponse, a: ScriptedAnswer) => {
    res.writeHead(a.status, { 'content-type': 'application/json; charset=UTF-8', ...a.headers });
    res.end(JSON.stringify(a.body ?? {}));
  };
  const refuse = (res: ServerResponse, a: ScriptedAnswer, why: string) => {
    rejected.push(why);
    send(res, a);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    if (req.method === 'POST' && req.url === '/token') {
      // Google's OAuth 2.0 for service accounts: a form with the JWT bearer grant.
      if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded'))
        return refuse(
          res,
          { status: 400, body: { error: 'invalid_request' } },
          'token: content-type',
        );
      const form = new URLSearchParams(body);
      if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer')
        return refuse(
          res,
          { status: 400, body: { error: 'unsupported_grant_type' } },
          'token: grant_type',
        );
      const jwt = verifyJwt(form.get('assertion') ?? '', publicKey, 'RS256');
      if (typeof jwt === 'string')
        return refuse(res, { status: 400, body: { error: 'invalid_grant' } }, `token: ${jwt}`);
      const { header, claims } = jwt;
      const now = Math.floor(Date.now() / 1000);
      const iat = Number(claims['iat']);
      const exp = Number(claims['exp']);
      const problems = [
        header['kid'] !== privateKeyId && 'kid is not private_key_id',
        claims['iss'] !== clientEmail && 'iss is not client_email',
        claims['aud'] !== `${url}/token` && 'aud is not token_uri',
        claims['scope'] !== FCM_SCOPE && 'scope is not firebase.messaging',
        !(Math.abs(iat - now) <= 300) && 'iat is not now',
        !(exp > now && exp - iat <= 3600) && 'exp is not within an hour of iat',
      ].filter((p): p is string => typeof p === 'string');
      if (problems.length > 0)
        return refuse(
          res,
          { status: 400, body: { error: 'invalid_grant' } },
          `token: ${problems.join(', ')}`,
        );
      const token = `ya29.${randomBytes(24).toString('base64url')}`;
      issued.add(token);
      tokensIssued++;
      return send(res, {
        status: 200,
        body: { access_token: token, expires_in: 3599, token_type: 'Bearer' },
      });
    }
    const path = `/v1/projects/${projectId}/messages:send`;
    if (req.method !== 'POST' || req.url !== path)
      return refuse(
        res,
        fcmError(404, 'NOT_FOUND', 'no such method'),
        `send: ${req.method} ${req.url}`,
      );
    const auth = req.headers['authorization'];
    if (typeof auth !== 'string' || !auth.startsWith('Bearer ') || !issued.has(auth.slice(7)))
      return refuse(
        res,
        fcmError(401, 'UNAUTHENTICATED', 'invalid credentials'),
        'send: bearer token',
      );
    if (!String(req.headers['content-type']).startsWith('application/json'))
      return refuse(res, fcmError(400, 'INVALID_ARGUMENT', 'content-type'), 'send: content-type');
    let msg: Record<string, unknown> | undefined;
    try {
      msg = (JSON.parse(body) as { message?: Record<string, unknown> }).message;
    } catch {
      msg = undefined;
    }
    const token = msg?.['token'];
    const data = msg?.['data'];
    const dataOk =
      data === undefined ||
      (typeof data === 'object' &&
        data !== null &&
        Object.values(data).every((v) => typeof v === 'string'));
    if (msg === undefined || typeof token !== 'string' || token === '' || !dataOk)
      return refuse(
        res,
        fcmError(400, 'INVALID_ARGUMENT', 'bad message', 'INVALID_ARGUMENT'),
        'send: body',
      );
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)]),
    );
    const next = scripts.get(token)?.shift();
    const answer: ScriptedAnswer =
      next ??
      (unregistered.has(token)
        ? fcmError(404, 'NOT_FOUND', 'Requested entity was not found.', 'UNREGISTERED')
        : { status: 200, body: { name: `projects/${projectId}/messages/${randomUUID()}` } });
    recorded.add({ token, headers, body: msg, status: answer.status });
    send(res, answer);
  };

  const { server, port } = await listenTls(pki, (o) =>
    https.createServer(o, (req, res) => {
      handle(req, res).catch(() => {
        res.writeHead(500).end();
      });
    }),
  );
  url = `https://127.0.0.1:${port}`;
  const serviceAccountFile = join(dir, 'fcm-service-account.json');
  await writeFile(
    serviceAccountFile,
    JSON.stringify({
      type: 'service_account',
      project_id: projectId,
      private_key_id: privateKeyId,
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
      client_email: clientEmail,
      client_id: '1234567890',
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: `${url}/token`,
    }),
    { mode: 0o600 },
  );
  return {
    url,
    projectId,
    serviceAccountFile,
    pushes: recorded.list,
    get tokensIssued() {
      return tokensIssued;
    },
    rejected,
    script: (token, answers) =>
      void scripts.set(token, [...(scripts.get(token) ?? []), ...answers]),
    unregister: (token) => void unregistered.add(token),
    revokeTokens: () => void (issued = new Set()),
    waitForPushes: (n, timeoutMs = 10_000) => recorded.waitFor(n, timeoutMs),
    close: () =>
      new Promise<void>((resolve) => {
        (server as https.Server).closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/* ------------------------------------------------------------------------ */
/* APNs (HTTP/2, token-based)                                                */
/* ------------------------------------------------------------------------ */

export interface ApnsDouble {
  /** Origin of the double (the app's `endpoint`). */
  readonly url: string;
  /** The .p8 key file (PKCS#8 PEM, P-256) the provider token must be signed with. */
  readonly keyFile: string;
  readonly keyId: string;
  readonly teamId: string;
  readonly topic: string;
  readonly pushes: RecordedPush[];
  readonly rejected: string[];
  /** Distinct provider tokens seen. */
  readonly providerTokens: Set<string>;
  script(token: string, answers: ScriptedAnswer[]): void;
  /** Pushes to `token` are answered 410 Unregistered from now on. */
  unregister(token: string): void;
  waitForPushes(n: number, timeoutMs?: number): Promise<RecordedPush[]>;
  close(): Promise<void>;
}

/** Starts the APNs double; writes the .p8 key into `dir`. */
export async function startApnsDouble(
  pki: TestPki,
  dir: string,
  topic = 'org.parley.test',
): Promise<ApnsDouble> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keyId = 'ABC123DEFG';
  const teamId = 'DEF123GHIJ';
  const recorded = new Recorded('APNs double');
  const rejected: string[] = [];
  const scripts = new Map<string, ScriptedAnswer[]>();
  const unregistered = new Set<string>();
  const providerTokens = new Set<string>();
  const pub = createPublicKey(publicKey.export({ type: 'spki', format: 'pem' }));

  const answer = (stream: http2.ServerHttp2Stream, a: ScriptedAnswer) => {
    stream.respond({ ':status': a.status, 'apns-id': randomUUID().toUpperCase(), ...a.headers });
    stream.end(a.body === undefined ? undefined : JSON.stringify(a.body));
  };
  const refuse = (stream: http2.ServerHttp2Stream, status: number, reason: string) => {
    rejected.push(reason);
    answer(stream, { status, body: { reason } });
  };

  const onStream = async (stream: http2.ServerHttp2Stream, h: http2.IncomingHttpHeaders) => {
    const body = await readBody(stream);
    const path = String(h[':path']);
    const m = /^\/3\/device\/([^/?]+)$/.exec(path);
    if (h[':method'] !== 'POST') return refuse(stream, 405, 'MethodNotAllowed');
    if (!m) return refuse(stream, 404, 'BadPath');
    const token = decodeURIComponent(m[1]!);
    // Apple's checks, in the order its documentation lists the reasons.
    const auth = h['authorization'];
    if (typeof auth !== 'string' || !auth.startsWith('bearer '))
      return refuse(stream, 403, 'MissingProviderToken');
    const jwt = verifyJwt(auth.slice(7), pub, 'ES256');
    if (typeof jwt === 'string') return refuse(stream, 403, 'InvalidProviderToken');
    const iat = Number(jwt.claims['iat']);
    const now = Math.floor(Date.now() / 1000);
    if (jwt.header['kid'] !== keyId || jwt.claims['iss'] !== teamId || !(iat <= now + 60))
      return refuse(stream, 403, 'InvalidProviderToken');
    if (now - iat > 3600) return refuse(stream, 403, 'ExpiredProviderToken');
    providerTokens.add(auth.slice(7));
    if (h['apns-topic'] === undefined) return refuse(stream, 400, 'MissingTopic');
    if (h['apns-topic'] !== topic) return refuse(stream, 400, 'TopicDisallowed');
    const pushType = h['apns-push-type'];
    if (pushType !== 'alert' && pushType !== 'background')
      return refuse(stream, 400, 'InvalidPushType');
    const priority = h['apns-priority'];
    if (priority !== undefined && !['5', '10', '1'].includes(String(priority)))
      return refuse(stream, 400, 'BadPriority');
    if (pushType === 'background' && priority === '10') return refuse(stream, 400, 'BadPriority');
    if (!/^[0-9a-fA-F]{64,200}$/.test(token)) return refuse(stream, 400, 'BadDeviceToken');
    let payload: Record<string, unknown>;
    try {
      payload = JSON.parse(body) as Record<string, unknown>;
    } catch {
      return refuse(stream, 400, 'PayloadEmpty');
    }
    if (typeof payload['aps'] !== 'object' || payload['aps'] === null)
      return refuse(stream, 400, 'PayloadEmpty');
    if (Buffer.byteLength(body) > 4096) return refuse(stream, 413, 'PayloadTooLarge');
    const headers = Object.fromEntries(
      Object.entries(h)
        .filter(([k]) => !k.startsWith(':'))
        .map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)]),
    );
    headers[':path'] = path;
    const next = scripts.get(token)?.shift();
    const a: ScriptedAnswer =
      next ??
      (unregistered.has(token)
        ? { status: 410, body: { reason: 'Unregistered', timestamp: Date.now() } }
        : { status: 200 });
    recorded.add({ token, headers, body: payload, status: a.status });
    answer(stream, a);
  };

  const { server, port } = await listenTls(pki, (o) => {
    const s = http2.createSecureServer(o);
    s.on('stream', (stream, h) => {
      onStream(stream, h).catch(() => {
        if (!stream.headersSent) stream.respond({ ':status': 500 });
        stream.end();
      });
    });
    return s;
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  (server as http2.Http2SecureServer).on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  const keyFile = join(dir, `AuthKey_${keyId}.p8`);
  await writeFile(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return {
    url: `https://127.0.0.1:${port}`,
    keyFile,
    keyId,
    teamId,
    topic,
    pushes: recorded.list,
    rejected,
    providerTokens,
    script: (token, answers) =>
      void scripts.set(token, [...(scripts.get(token) ?? []), ...answers]),
    unregister: (token) => void unregistered.add(token),
    waitForPushes: (n, timeoutMs = 10_000) => recorded.waitFor(n, timeoutMs),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/* ------------------------------------------------------------------------ */
/* The push service's app entries for the doubles                          */
/* ------------------------------------------------------------------------ */

/** An FCM app entry of `push.service.apps` (id `conversations`) delivering to the double. */
export function fcmDoubleApp(fcm: FcmDouble, caFile: string) {
  return {
    id: 'conversations',
    type: 'fcm' as const,
    serviceAccountFile: fcm.serviceAccountFile,
    endpoint: fcm.url,
    caFile,
  };
}

/** An APNs app entry of `push.service.apps` (id `ios`, sandbox, alert pushes) delivering to the double. */
export function apnsDoubleApp(apns: ApnsDouble, caFile: string) {
  return {
    id: 'ios',
    type: 'apns' as const,
    keyFile: apns.keyFile,
    keyId: apns.keyId,
    teamId: apns.teamId,
    topic: apns.topic,
    environment: 'sandbox' as const,
    pushType: 'alert' as const,
    alertText: 'New message',
    endpoint: apns.url,
    caFile,
  };
}
