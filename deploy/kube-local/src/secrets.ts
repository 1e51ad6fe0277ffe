/**
 * The Secrets the manifests reference but never ship, made the way an
 * operator would (`kubectl create secret generic|tls`): a private CA and a
 * server certificate naming the link host names (NATS, Redis, PostgreSQL)
 * and the XMPP domains, random passwords, an admin token whose SHA-256 goes
 * into `parley-admin`, the Server Dialback secret of the s2s workers
 * (`parley-s2s`), the secret of the gateways' fake SCRAM salts
 * (`parley-sasl`).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createTestPki } from '@parley/testkit';
import type { TestPki } from '@parley/testkit';
import type { KubeObject } from './types.js';

/** NATS users of docs/security.md, one per kind of process. */
export const NATS_SERVICES = ['gateway', 'session-registry', 'muc', 'admin-api', 's2s'] as const;

export interface GeneratedSecrets {
  pki: TestPki;
  /** name -> key -> value (decoded). */
  data: Map<string, Map<string, string>>;
  /** The plain admin token whose hash is in parley-admin. */
  adminToken: string;
  redisPassword: string;
  postgresPassword: string;
  /** XEP-0185 secret of every s2s replica (`parley-s2s`, key `dialback-secret`). */
  dialbackSecret: string;
  /** Secret of the SCRAM salts of unknown users, every gateway (`parley-sasl`, key `fake-salt-secret`). */
  fakeSaltSecret: string;
  natsPasswords: Map<string, string>;
  /** The Secret objects (base64 `data`), as `kubectl create secret ... -o yaml` prints them. */
  objects: KubeObject[];
}

const password = (): string => randomBytes(18).toString('base64url');

export interface SecretOptions {
  namespace: string;
  /** DNS names of the server certificate (link hosts and XMPP domains). */
  hosts: string[];
  /** NATS users beyond those of security.md (from `nats-<user>-password` references). */
  extraNatsUsers?: string[];
}

export async function generateSecrets(opts: SecretOptions): Promise<GeneratedSecrets> {
  const pki = await createTestPki({ hosts: [...new Set(opts.hosts)] });
  const [ca, cert, key] = await Promise.all([
    readFile(pki.caFile, 'utf8'),
    readFile(pki.serverCertFile, 'utf8'),
    readFile(pki.serverKeyFile, 'utf8'),
  ]);
  const adminToken = randomBytes(24).toString('base64url');
  const redisPassword = password();
  const postgresPassword = password();
  const dialbackSecret = randomBytes(32).toString('base64');
  const fakeSaltSecret = randomBytes(32).toString('base64');
  const natsPasswords = new Map<string, string>();
  for (const svc of new Set([...NATS_SERVICES, ...(opts.extraNatsUsers ?? [])])) {
    natsPasswords.set(svc, password());
  }
  const sha = createHash('sha256').update(adminToken).digest('hex');
  const data = new Map<string, Map<string, string>>([
    [
      'parley-links',
      new Map([
        ['ca.crt', ca],
        ['redis-password', redisPassword],
        ...[...natsPasswords].map(([svc, pw]) => [`nats-${svc}-password`, pw] as [string, string]),
      ]),
    ],
    [
      'parley-tls',
      new Map([
        ['tls.crt', cert],
        ['tls.key', key],
      ]),
    ],
    ['parley-admin', new Map([['PARLEY_ADMIN_TOKENS', `kube-local:${sha}:admin`]])],
    [
      'parley-postgres',
      new Map([
        ['password', postgresPassword],
        ['ca.crt', ca],
      ]),
    ],
    ['parley-s2s', new Map([['dialback-secret', dialbackSecret]])],
    ['parley-sasl', new Map([['fake-salt-secret', fakeSaltSecret]])],
  ]);
  const objects: KubeObject[] = [...data].map(([name, entries]) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: opts.namespace },
    type: name === 'parley-tls' ? 'kubernetes.io/tls' : 'Opaque',
    data: Object.fromEntries(
      [...entries].map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]),
    ),
  }));
  return {
    pki,
    data,
    adminToken,
    redisPassword,
    postgresPassword,
    dialbackSecret,
    fakeSaltSecret,
    natsPasswords,
    objects,
  };
}
