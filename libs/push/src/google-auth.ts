/**
 * OAuth 2.0 access tokens for a Google service account, as Google documents
 * for server-to-server applications: a JWT signed with the account's RSA
 * key (RS256, `kid` = private_key_id) claiming iss = client_email, the
 * scope, aud = token_uri, iat and exp (at most an hour later), exchanged at
 * token_uri with grant_type urn:ietf:params:oauth:grant-type:jwt-bearer.
 * The access token is cached until a minute before it expires; concurrent
 * callers share one exchange.
 */
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SignJWT, importPKCS8 } from 'jose';
import { PushError } from './errors.js';
import type { HttpClient } from './http.js';
import { jsonOf } from './http.js';

export const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
const GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const ASSERTION_LIFETIME_S = 3600;
/** A cached access token is renewed this long before it expires. */
const RENEW_MARGIN_MS = 60_000;

/** The fields of a service-account key file (JSON) that signing needs. */
export interface ServiceAccount {
  projectId: string;
  clientEmail: string;
  privateKey: string;
  privateKeyId: string;
  tokenUri: string;
}

function field(o: Record<string, unknown>, key: string, file: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v === '')
    throw new PushError('bad-credentials', `${file}: "${key}" is missing or not a string`);
  return v;
}

/** Reads and checks a service-account key file (as downloaded from the Firebase console). */
export function readServiceAccount(file: string): ServiceAccount {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new PushError('bad-credentials', `cannot read the service-account file ${file}`, {
      cause,
    });
  }
  const o = jsonOf(text);
  if (typeof o !== 'object' || o === null || Array.isArray(o))
    throw new PushError('bad-credentials', `${file} is not a JSON object`);
  const rec = o as Record<string, unknown>;
  if (rec['type'] !== 'service_account')
    throw new PushError('bad-credentials', `${file}: "type" is not "service_account"`);
  const tokenUri = field(rec, 'token_uri', file);
  if (!URL.canParse(tokenUri) || !/^https?:$/.test(new URL(tokenUri).protocol))
    throw new PushError('bad-credentials', `${file}: "token_uri" is not an http(s) URL`);
  const privateKey = field(rec, 'private_key', file);
  let kind: string | undefined;
  try {
    kind = createPrivateKey(privateKey).asymmetricKeyType;
  } catch (cause) {
    throw new PushError('bad-credentials', `${file}: "private_key" is not a PEM private key`, {
      cause,
    });
  }
  if (kind !== 'rsa')
    throw new PushError('bad-credentials', `${file}: "private_key" is not an RSA key (${kind})`);
  return {
    projectId: field(rec, 'project_id', file),
    clientEmail: field(rec, 'client_email', file),
    privateKey,
    privateKeyId: field(rec, 'private_key_id', file),
    tokenUri,
  };
}

export interface AccessToken {
  token: string;
  /** ms since epoch */
  expiresAt: number;
}

export class GoogleTokenSource {
  private key: ReturnType<typeof importPKCS8> | undefined;
  private cached: AccessToken | undefined;
  private pending: Promise<AccessToken> | undefined;

  constructor(
    private readonly account: ServiceAccount,
    private readonly http: HttpClient,
    private readonly now: () => number = Date.now,
  ) {}

  /** A valid access token: the cached one, or a fresh one from token_uri. */
  async token(): Promise<string> {
    const c = this.cached;
    if (c !== undefined && this.now() < c.expiresAt - RENEW_MARGIN_MS) return c.token;
    this.pending ??= this.fetchToken().finally(() => (this.pending = undefined));
    return (await this.pending).token;
  }

  /** Forgets the cached token (the provider said it is no longer valid). */
  invalidate(): void {
    this.cached = undefined;
  }

  /** The signed assertion exchanged for an access token. */
  async assertion(): Promise<string> {
    this.key ??= importPKCS8(this.account.privateKey, 'RS256').catch((cause: unknown) => {
      this.key = undefined;
      throw new PushError(
        'bad-credentials',
        'the service account private_key is not an RSA PKCS#8 key',
        {
          cause,
        },
      );
    });
    const iat = Math.floor(this.now() / 1000);
    return new SignJWT({ scope: FCM_SCOPE })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.account.privateKeyId })
      .setIssuer(this.account.clientEmail)
      .setAudience(this.account.tokenUri)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ASSERTION_LIFETIME_S)
      .sign(await this.key);
  }

  private async fetchToken(): Promise<AccessToken> {
    const body = new URLSearchParams({ grant_type: GRANT_TYPE, assertion: await this.assertion() });
    const started = this.now();
    let res;
    try {
      res = await this.http.post(
        this.account.tokenUri,
        { 'content-type': 'application/x-www-form-urlencoded' },
        body.toString(),
      );
    } catch (cause) {
      throw new PushError('token-failed', `token request to ${this.account.tokenUri} failed`, {
        cause,
      });
    }
    const o = jsonOf(res.text) as Record<string, unknown> | undefined;
    const token = o?.['access_token'];
    const expiresIn = o?.['expires_in'];
    if (res.status !== 200 || typeof token !== 'string' || token === '')
      throw new PushError(
        'token-failed',
        `token endpoint answered ${res.status}${typeof o?.['error'] === 'string' ? ` (${o['error']})` : ''}`,
      );
    const seconds = typeof expiresIn === 'number' && expiresIn > 0 ? expiresIn : 3600;
    this.cached = { token, expiresAt: started + seconds * 1000 };
    return this.cached;
  }
}
