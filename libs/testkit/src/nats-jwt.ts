/**
 * Decentralized NATS authentication for tests: an operator, one account and
 * one user, as `nsc` would make them (JWTs signed with Ed25519 NKeys, claims
 * of nats-io/jwt v2), and the user's `.creds` file. The server side goes to
 * `startNatsServer({ auth: { operator } })` (a MEMORY resolver preloaded
 * with the account).
 */
import { createHash, sign } from 'node:crypto';
import { base32, createNkey } from './nkey.js';
import type { SigningNkey } from './nkey.js';

export interface NatsOperatorAuth {
  /** The operator JWT (`operator:` of the server configuration). */
  operatorJwt: string;
  /** Account public key to account JWT (`resolver_preload`). */
  accounts: Record<string, string>;
}

export interface NatsJwtSetup {
  operator: NatsOperatorAuth;
  /** Contents of the user's `.creds` file. */
  creds: string;
  userPublicKey: string;
}

function b64url(value: object | Buffer): string {
  return (Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value))).toString(
    'base64url',
  );
}

function jwt(issuer: SigningNkey, subject: string, name: string, nats: object): string {
  const header = b64url({ typ: 'JWT', alg: 'ed25519-nkey' });
  const claims: Record<string, unknown> = {
    iat: Math.floor(Date.now() / 1000),
    iss: issuer.publicKey,
    name,
    sub: subject,
    nats,
  };
  claims['jti'] = base32(createHash('sha256').update(JSON.stringify(claims)).digest());
  const payload = b64url(claims);
  const signature = sign(null, Buffer.from(`${header}.${payload}`), issuer.privateKey);
  return `${header}.${payload}.${b64url(signature)}`;
}

/** An operator, an account without limits and a user with every permission. */
export function createNatsJwtSetup(): NatsJwtSetup {
  const operator = createNkey('operator');
  const account = createNkey('account');
  const user = createNkey('user');
  const unlimited = { subs: -1, data: -1, payload: -1 };
  const operatorJwt = jwt(operator, operator.publicKey, 'parley-test', {
    type: 'operator',
    version: 2,
  });
  const accountJwt = jwt(operator, account.publicKey, 'parley', {
    limits: { ...unlimited, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 },
    default_permissions: { pub: {}, sub: {} },
    type: 'account',
    version: 2,
  });
  const userJwt = jwt(account, user.publicKey, 'gateway', {
    pub: {},
    sub: {},
    ...unlimited,
    type: 'user',
    version: 2,
  });
  const creds = [
    '-----BEGIN NATS USER JWT-----',
    userJwt,
    '------END NATS USER JWT------',
    '',
    '************************* IMPORTANT *************************',
    'NKEY Seed printed below can be used to sign and prove identity.',
    'NKEYs are sensitive and should be treated as secrets.',
    '',
    '-----BEGIN USER NKEY SEED-----',
    user.seed,
    '------END USER NKEY SEED------',
    '',
    '*************************************************************',
    '',
  ].join('\n');
  return {
    operator: { operatorJwt, accounts: { [account.publicKey]: accountJwt } },
    creds,
    userPublicKey: user.publicKey,
  };
}
