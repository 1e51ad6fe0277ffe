/**
 * Start-up errors of the NATS and Redis links: which failures are
 * classified how (through `cause` chains), what the LinkError says (the
 * keys to check, never a password), and how `redisLinkReady` waits for a
 * new Redis connection (a real redis-server; its timeout on fake timers).
 */
import { startRedisServer } from '@parley/testkit';
import type { RedisServer } from '@parley/testkit';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  LinkError,
  connectRedis,
  linkError,
  linkFailureKind,
  redisLinkReady,
} from '../src/index.js';
import type { LinkFailureKind } from '../src/index.js';

const coded = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('linkFailureKind', () => {
  const cases: Array<[string, unknown, LinkFailureKind]> = [
    ['an expired certificate', coded('certificate has expired', 'CERT_HAS_EXPIRED'), 'certificate'],
    ['a self-signed chain', coded('self-signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN'), 'certificate'],
    ['a host name not in the certificate', coded("Hostname/IP does not match certificate's altnames", 'ERR_TLS_CERT_ALTNAME_INVALID'), 'certificate'],
    ['an unknown issuer', coded('unable to get local issuer certificate', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'), 'certificate'],
    ['a certificate error under a wrapper', new Error('connect failed', { cause: coded('x', 'DEPTH_ZERO_SELF_SIGNED_CERT') }), 'certificate'],
    ['Redis WRONGPASS', new Error('WRONGPASS invalid username-password pair or user is disabled.'), 'auth'],
    ['Redis NOAUTH', new Error('NOAUTH Authentication required.'), 'auth'],
    ['NATS Authorization Violation', new Error("'Authorization Violation'"), 'auth'],
    ['an AuthorizationError by name', Object.assign(new Error('refused'), { name: 'AuthorizationError' }), 'auth'],
    ['an auth failure two causes deep', new Error('a', { cause: new Error('b', { cause: new Error('WRONGPASS') }) }), 'auth'],
    ['a TLS version mismatch', new Error('write EPROTO 1C0A:error:0A00010B:SSL routines:ssl3_get_record:wrong version number'), 'tls'],
    ['a TLS handshake failure', new Error('Client network socket disconnected before secure TLS connection was established'), 'tls'],
    ['a refused connection', coded('connect ECONNREFUSED 127.0.0.1:6379', 'ECONNREFUSED'), 'other'],
    ['an unknown host', coded('getaddrinfo ENOTFOUND redis.invalid', 'ENOTFOUND'), 'other'],
    ['a non-certificate code', coded('socket hang up', 'ECONNRESET'), 'other'],
    ['no error at all', undefined, 'other'],
  ]; // prettier-ignore

  it.each(cases)('%s is %s', (_what, err, kind) => {
    expect(linkFailureKind(err)).toBe(kind);
  });

  it('a certificate code wins over words in the message', () => {
    expect(linkFailureKind(coded('TLS authentication failed', 'CERT_UNTRUSTED'))).toBe(
      'certificate',
    );
  });
});

describe('linkError', () => {
  it('is a LinkError naming the link, keeping the cause', () => {
    const cause = new Error('NOAUTH Authentication required.');
    const err = linkError('redis', 'redis://127.0.0.1:6379', cause);
    expect(err).toBeInstanceOf(LinkError);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('LinkError');
    expect(err.link).toBe('redis');
    expect(err.cause).toBe(cause);
  });

  it.each([
    [
      'redis',
      'auth',
      new Error('WRONGPASS x'),
      'Redis at redis://127.0.0.1:6379: the server refused the credentials; check redis.username and redis.password(File): WRONGPASS x',
    ],
    [
      'nats',
      'auth',
      new Error('Authorization Violation'),
      'NATS at nats://n1:4222: the server refused the credentials; check bus.nats.token(File), bus.nats.user + bus.nats.password(File), bus.nats.nkeySeed(File) or bus.nats.credsFile: Authorization Violation',
    ],
    [
      'redis',
      'certificate',
      coded('certificate has expired', 'CERT_HAS_EXPIRED'),
      "Redis at redis://127.0.0.1:6379: the server's TLS certificate was not accepted (CERT_HAS_EXPIRED); check redis.tls.caFile (the CA that signed the Redis server certificate) and the host name in redis.url: certificate has expired",
    ],
    [
      'nats',
      'tls',
      new Error('wrong version number'),
      'NATS at nats://n1:4222: TLS could not be negotiated; check that the server and bus.natsUrl (tls://) agree on TLS: wrong version number',
    ],
    [
      'redis',
      'tls',
      new Error('wrong version number'),
      'Redis at redis://127.0.0.1:6379: TLS could not be negotiated; check that the server and redis.url (rediss://) agree on TLS: wrong version number',
    ],
    [
      'redis',
      'other',
      coded('connect ECONNREFUSED', 'ECONNREFUSED'),
      'Redis at redis://127.0.0.1:6379: cannot connect: connect ECONNREFUSED',
    ],
  ] as const)('%s, %s: says what to check', (link, _kind, cause, message) => {
    const target = link === 'nats' ? 'nats://n1:4222' : 'redis://127.0.0.1:6379';
    expect(linkError(link, target, cause).message).toBe(message);
  });

  it('never repeats a password given in the URL', () => {
    const err = linkError(
      'nats',
      'nats://gw:s3cret@n1:4222,tls://tok3n@n2:4222',
      new Error('Authorization Violation'),
    );
    expect(err.message).not.toContain('s3cret');
    expect(err.message).not.toContain('tok3n');
    expect(err.message).toContain('NATS at nats://***@n1:4222,tls://***@n2:4222:');
    expect(linkError('redis', 'rediss://:pw@r:6380', new Error('x')).message).toContain(
      'Redis at rediss://***@r:6380:',
    );
  });

  it('takes a thrown non-Error as its message', () => {
    expect(linkError('redis', 'redis://r', 'boom').message).toBe(
      'Redis at redis://r: cannot connect: boom',
    );
  });
});

describe('redisLinkReady on a real redis-server', () => {
  let server: RedisServer;
  let secured: RedisServer;
  const clients: Redis[] = [];
  const track = (r: Redis) => (clients.push(r), r);
  beforeAll(async () => {
    server = await startRedisServer();
    secured = await startRedisServer({ password: 'right' });
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await Promise.all([server?.stop(), secured?.stop()]);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves once a new connection is ready, and at once for a ready one', async () => {
    const redis = track(connectRedis(server.url, 'ready-test'));
    const warn = vi.fn();
    await redisLinkReady(redis, server.url, warn);
    expect(redis.status).toBe('ready');
    await redisLinkReady(redis, server.url, warn);
    expect(warn).not.toHaveBeenCalled();
    expect(redis.listenerCount('ready')).toBe(0);
    expect(redis.listenerCount('error')).toBe(0);
  });

  it('rejects with a LinkError naming the keys when the password is refused', async () => {
    const url = secured.url.replace('redis://', 'redis://:wrong@');
    const redis = track(connectRedis(secured.url, 'auth-test', { password: 'wrong' }));
    redis.on('error', () => undefined); // the client keeps retrying after the test has its answer
    const failure = await redisLinkReady(redis, url, vi.fn()).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(LinkError);
    const err = failure as LinkError;
    expect(err.link).toBe('redis');
    expect(err.message).toContain('the server refused the credentials');
    expect(err.message).toContain('redis.username and redis.password(File)');
    expect(err.message).not.toContain('wrong@');
  });

  it('connects with the right password', async () => {
    const redis = track(connectRedis(secured.url, 'auth-ok-test', { password: 'right' }));
    await redisLinkReady(redis, secured.url, vi.fn());
    expect(await redis.ping()).toBe('PONG');
  });

  it('an unreachable server only warns: the client keeps retrying and connects once it is up', async () => {
    const later = await startRedisServer();
    await later.kill(); // its port is known and nothing listens there now
    try {
      const redis = track(connectRedis(later.url, 'unreachable-test'));
      redis.on('error', () => undefined);
      const warn = vi.fn();
      await redisLinkReady(redis, later.url, warn);
      expect(warn).toHaveBeenCalledWith(
        'Redis not reachable yet; retrying in the background',
        expect.objectContaining({ err: expect.objectContaining({ code: 'ECONNREFUSED' }) }),
      );
      expect(redis.status).not.toBe('ready');
      await later.start();
      await vi.waitFor(() => expect(redis.status).toBe('ready'), { timeout: 10_000, interval: 50 });
      expect(await redis.ping()).toBe('PONG');
    } finally {
      await later.stop();
    }
  });

  it('gives up waiting after its timeout and lets the start go on', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    // A client that never connects by itself: no 'ready', no 'error'.
    const redis = track(new Redis(server.url, { lazyConnect: true }));
    let done = false;
    const waiting = redisLinkReady(redis, server.url, vi.fn(), 10_000).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(9_999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await waiting;
    expect(done).toBe(true);
    expect(redis.listenerCount('ready')).toBe(0);
  });
});
