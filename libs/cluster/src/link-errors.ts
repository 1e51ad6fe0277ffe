/**
 * Clear start-up errors for the links to NATS and Redis: a refused
 * certificate or credential names the configuration keys to check.
 */
import type { Redis } from 'ioredis';

export type LinkName = 'nats' | 'redis';

/** A connection to NATS or Redis could not be established or authenticated. */
export class LinkError extends Error {
  override readonly name = 'LinkError';
  constructor(
    readonly link: LinkName,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Node's certificate verification failures (tls.connect `err.code`). */
const CERT_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const KEYS: Record<LinkName, { auth: string; tls: string }> = {
  nats: {
    auth: 'bus.nats.token(File), bus.nats.user + bus.nats.password(File), bus.nats.nkeySeed(File) or bus.nats.credsFile',
    tls: 'bus.nats.tls.caFile (the CA that signed the NATS server certificate) and the host names in bus.natsUrl',
  },
  redis: {
    auth: 'redis.username and redis.password(File)',
    tls: 'redis.tls.caFile (the CA that signed the Redis server certificate) and the host name in redis.url',
  },
};

export type LinkFailureKind = 'certificate' | 'auth' | 'tls' | 'other';

/** What kind of failure `err` is (looking through `cause`). */
export function linkFailureKind(err: unknown): LinkFailureKind {
  for (let e = err as (Error & { code?: unknown; cause?: unknown }) | undefined; e;) {
    if (typeof e.code === 'string' && CERT_CODES.has(e.code)) return 'certificate';
    const text = `${e.name} ${e.message}`;
    if (/Authorization Violation|AuthorizationError|NOAUTH|WRONGPASS|authentication/i.test(text))
      return 'auth';
    if (/\btls\b|ssl|EPROTO|wrong version number/i.test(text)) return 'tls';
    e = e.cause as typeof e;
  }
  return 'other';
}

/** Wraps a connection failure into a LinkError that says which keys to check. */
export function linkError(link: LinkName, target: string, err: unknown): LinkError {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | undefined)?.code;
  const what = link === 'nats' ? 'NATS' : 'Redis';
  const kind = linkFailureKind(err);
  const hint =
    kind === 'certificate'
      ? `the server's TLS certificate was not accepted${typeof code === 'string' ? ` (${code})` : ''}; check ${KEYS[link].tls}`
      : kind === 'auth'
        ? `the server refused the credentials; check ${KEYS[link].auth}`
        : kind === 'tls'
          ? `TLS could not be negotiated; check that the server and ${link === 'nats' ? 'bus.natsUrl (tls://)' : 'redis.url (rediss://)'} agree on TLS`
          : 'cannot connect';
  return new LinkError(link, `${what} at ${redact(target)}: ${hint}: ${message}`, { cause: err });
}

/** URLs without user info (a password in a URL is never logged). */
function redact(target: string): string {
  return target.replace(/\/\/[^@/]*@/g, '//***@');
}

/**
 * Waits for the first outcome of a new Redis connection: ready, or an
 * error. Refused credentials or certificates reject with a LinkError (they
 * will not fix themselves); an unreachable server only logs, since the
 * client keeps retrying and a Redis restart is ridden out.
 */
export function redisLinkReady(
  redis: Redis,
  target: string,
  warn: (message: string, fields: Record<string, unknown>) => void,
  timeoutMs = 10_000,
): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('error', onError);
    };
    const onReady = (): void => {
      done();
      resolve();
    };
    const onError = (err: unknown): void => {
      done();
      const kind = linkFailureKind(err);
      if (kind === 'other') {
        warn('Redis not reachable yet; retrying in the background', { err });
        resolve();
      } else {
        reject(linkError('redis', target, err));
      }
    };
    const timer = setTimeout(onReady, timeoutMs);
    redis.on('ready', onReady);
    redis.on('error', onError);
  });
}
