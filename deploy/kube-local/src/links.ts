/**
 * The services outside the manifests (NATS, Redis, PostgreSQL), started
 * with @parley/testkit as the manifests and docs/security.md expect them:
 * TLS with a certificate from the generated CA, one NATS user per service
 * with the subject permissions of security.md, a Redis password, a
 * PostgreSQL role with a password. Each runs on a free 127.0.0.1 port; a
 * relay on a loopback address of its own (127.0.5.N) listens on the port of
 * the manifests' URL, and the host name of that URL maps to that address in
 * the containers (`--add-host`). The machine's own services on 4222, 6379
 * and 5432 stay out of the way.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { NATS_SERVICE_PERMISSIONS } from '@parley/routing';
import { startNatsServer, startPostgresServer, startRedisServer } from '@parley/testkit';
import type { NatsPermissions, NatsServer, PostgresServer, RedisServer } from '@parley/testkit';
import { KubeLocalError } from './errors.js';
import { RoundRobinRelay } from './relay.js';
import type { GeneratedSecrets } from './secrets.js';

const run = promisify(execFile);

/** docs/security.md, "NATS permissions per service", as the testkit's nats-server takes them. */
export const NATS_PERMISSIONS: Record<string, NatsPermissions> = NATS_SERVICE_PERMISSIONS;

export interface LinkAddress {
  /** Host name in the manifests (e.g. `nats`). */
  host: string;
  /** Loopback address the host name maps to in the containers. */
  ip: string;
  /** Port of the manifests' URL, served on `ip` by a relay. */
  port: number;
}

export interface PostgresTarget extends LinkAddress {
  database: string;
  user: string;
}

export interface LinksPlan {
  nats?: LinkAddress;
  redis?: LinkAddress;
  postgres?: PostgresTarget;
  jetstream: boolean;
}

export interface Links {
  plan: LinksPlan;
  nats?: NatsServer;
  redis?: RedisServer;
  postgres?: PostgresServer;
  relays: RoundRobinRelay[];
  /** name -> loopback address, for `--add-host`. */
  hosts: Array<[string, string]>;
  stop(): Promise<void>;
}

/** `tls://nats:4222` -> host and port (default port per scheme). */
export function urlTarget(url: string, defaultPort: number): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: u.port ? Number(u.port) : defaultPort };
}

/** What the manifests' configuration points at (ConfigMap data and literal env values). */
export function planLinks(config: Map<string, string>, ipBase = '127.0.5.'): LinksPlan {
  let n = 1;
  const plan: LinksPlan = { jetstream: config.get('PARLEY_BUS_DURABLE') === 'jetstream' };
  const natsUrl = config.get('PARLEY_BUS_NATS_URL') ?? config.get('NATS_URL');
  if (natsUrl) plan.nats = { ...urlTarget(natsUrl, 4222), ip: `${ipBase}${n++}` };
  const redisUrl = config.get('PARLEY_REDIS_URL') ?? config.get('REDIS_URL');
  if (redisUrl) plan.redis = { ...urlTarget(redisUrl, 6379), ip: `${ipBase}${n++}` };
  if (config.get('PARLEY_STORE_KIND') === 'postgres') {
    const url = config.get('PARLEY_STORE_POSTGRES_URL');
    const u = url ? new URL(url) : undefined;
    plan.postgres = {
      host: u?.hostname ?? config.get('PARLEY_STORE_POSTGRES_HOST') ?? '127.0.0.1',
      port: Number(u?.port || config.get('PARLEY_STORE_POSTGRES_PORT') || 5432),
      database: (u?.pathname.slice(1) || config.get('PARLEY_STORE_POSTGRES_DATABASE')) ?? 'parley',
      user: (u?.username || config.get('PARLEY_STORE_POSTGRES_USER')) ?? 'parley',
      ip: `${ipBase}${n++}`,
    };
  }
  return plan;
}

async function psql(server: PostgresServer, sql: string): Promise<void> {
  try {
    await run('psql', [`${server.url}?sslmode=require`, '-v', 'ON_ERROR_STOP=1', '-c', sql]);
  } catch (cause) {
    const stderr = (cause as { stderr?: string }).stderr ?? String(cause);
    throw new KubeLocalError('docker-failed', `psql: ${stderr.trim()}`, { cause });
  }
}

const ident = (s: string): string => `"${s.replace(/"/g, '""')}"`;
const literal = (s: string): string => `'${s.replace(/'/g, "''")}'`;

export async function startLinks(plan: LinksPlan, secrets: GeneratedSecrets): Promise<Links> {
  const tls = { certFile: secrets.pki.serverCertFile, keyFile: secrets.pki.serverKeyFile };
  const links: Links = {
    plan,
    relays: [],
    hosts: [],
    async stop() {
      await Promise.allSettled(links.relays.map((r) => r.close()));
      await Promise.allSettled([links.nats?.stop(), links.redis?.stop(), links.postgres?.stop()]);
    },
  };
  try {
    if (plan.nats) {
      const users = [...secrets.natsPasswords].map(([user, password]) => {
        const permissions = NATS_PERMISSIONS[user];
        if (!permissions) {
          throw new KubeLocalError(
            'missing-reference',
            `NATS user ${user}: no permissions in docs/security.md`,
          );
        }
        return { user, password, permissions };
      });
      links.nats = await startNatsServer({ auth: { users }, tls, jetstream: plan.jetstream });
    }
    if (plan.redis) {
      links.redis = await startRedisServer({ password: secrets.redisPassword, tls });
    }
    if (plan.postgres) {
      const pg = plan.postgres;
      const superPassword =
        pg.user === 'postgres' ? secrets.postgresPassword : randomBytes(18).toString('base64url');
      links.postgres = await startPostgresServer({ password: superPassword, tls });
      if (pg.user !== 'postgres') {
        await psql(
          links.postgres,
          `CREATE ROLE ${ident(pg.user)} LOGIN PASSWORD ${literal(secrets.postgresPassword)}`,
        );
      }
      if (pg.database !== 'postgres') {
        await psql(links.postgres, `CREATE DATABASE ${ident(pg.database)} OWNER ${ident(pg.user)}`);
      }
    }
    const relay = async (
      addr: LinkAddress | undefined,
      port: number | undefined,
    ): Promise<void> => {
      if (addr === undefined || port === undefined) return;
      links.relays.push(
        await RoundRobinRelay.start(addr.ip, addr.port, () => [{ host: '127.0.0.1', port }]),
      );
      links.hosts.push([addr.host, addr.ip]);
    };
    await relay(plan.nats, links.nats?.port);
    await relay(plan.redis, links.redis?.port);
    await relay(plan.postgres, links.postgres?.port);
  } catch (err) {
    await links.stop();
    throw err;
  }
  return links;
}
