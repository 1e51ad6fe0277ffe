/**
 * The login limits of a cluster, in Redis: every gateway reads and counts
 * the same keys (scripts in redis-scripts.ts). Keys, all with a TTL:
 *
 * - `<prefix>:af:<address>`: failures from an address (fixed window);
 * - `<prefix>:ag:<address>`: its gate (the PTTL is the wait);
 * - `<prefix>:ar:<address>`: its refusal (value: failures; PTTL: time left);
 * - `<prefix>:cf:<account>`: failures against an account (fixed window);
 * - `<prefix>:ra:<address>`, `<prefix>:rg`: registrations per address, overall.
 *
 * Times are relative (TTLs), so gateway clocks need not agree; refusal end
 * times are this gateway's clock plus the TTL. Errors (Redis unreachable)
 * reject: the caller decides (the gateway fails open).
 */
import type { Redis } from 'ioredis';
import { addressKey } from './address-key.js';
import type {
  AddressState,
  FailureOutcome,
  LoginLimits,
  LoginLimitsOptions,
  RegistrationVerdict,
  Refusal,
} from './contract.js';
import { RECORD_FAILURE, RETURN_REGISTRATION, TAKE_REGISTRATION } from './redis-scripts.js';

export const LOGIN_LIMITS_PREFIX = 'parley:login';

export class RedisLoginLimits implements LoginLimits {
  constructor(
    private readonly redis: Redis,
    private readonly opts: LoginLimitsOptions,
    private readonly prefix = LOGIN_LIMITS_PREFIX,
  ) {}

  private key(kind: string, id: string): string {
    return `${this.prefix}:${kind}:${id}`;
  }

  async address(address: string): Promise<AddressState> {
    const a = addressKey(address);
    const res = await this.redis
      .multi()
      .get(this.key('af', a))
      .pttl(this.key('ag', a))
      .pttl(this.key('ar', a))
      .exec();
    const [failures, gate, refusal] = values(res, 3);
    const refusalTtl = Number(refusal);
    return {
      failures: Number(failures ?? 0),
      waitMs: Math.max(0, Number(gate)),
      ...(refusalTtl > 0 && { refusedUntil: Date.now() + refusalTtl }),
    };
  }

  async accountFailures(account: string): Promise<number> {
    return Number((await this.redis.get(this.key('cf', account))) ?? 0);
  }

  async recordFailure(address: string, account?: string): Promise<FailureOutcome> {
    const a = addressKey(address);
    const o = this.opts;
    const res = (await this.redis.eval(
      RECORD_FAILURE,
      4,
      this.key('af', a),
      this.key('ag', a),
      this.key('ar', a),
      this.key('cf', account ?? ''),
      o.windowMs,
      o.baseDelayMs,
      o.maxDelayMs,
      o.refuseAfterFailures,
      o.refuseForMs,
      account === undefined ? '0' : '1',
    )) as number[];
    const [addressFailures = 0, accountFailures = 0, waitMs = 0, refusalTtl = -1, now = 0] = res;
    return {
      addressFailures,
      accountFailures,
      waitMs,
      ...(refusalTtl > 0 && { refusedUntil: Date.now() + refusalTtl }),
      refusedNow: now === 1,
    };
  }

  async refusals(): Promise<Refusal[]> {
    const prefix = this.key('ar', '');
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await this.redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
    if (keys.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const k of keys) pipe.get(k).pttl(k);
    const res = values(await pipe.exec(), keys.length * 2);
    const now = Date.now();
    const out: Refusal[] = [];
    keys.forEach((k, i) => {
      const ttl = Number(res[2 * i + 1]);
      if (ttl <= 0) return;
      out.push({ address: k.slice(prefix.length), until: now + ttl, failures: Number(res[2 * i]) });
    });
    return out;
  }

  async lift(address: string): Promise<boolean> {
    const a = addressKey(address);
    const res = await this.redis
      .multi()
      .del(this.key('ar', a))
      .del(this.key('af', a), this.key('ag', a))
      .exec();
    return Number(values(res, 1)[0]) === 1;
  }

  async takeRegistration(address: string): Promise<RegistrationVerdict> {
    const r = this.opts.registration;
    const [code, ttl] = (await this.redis.eval(
      TAKE_REGISTRATION,
      2,
      this.key('ra', addressKey(address)),
      `${this.prefix}:rg`,
      r.maxPerAddress,
      r.addressWindowMs,
      r.maxGlobal,
      r.globalWindowMs,
    )) as [number, number?];
    if (code === 0) return { ok: true };
    return {
      ok: false,
      limit: code === 1 ? 'address' : 'global',
      retryAfterMs: Math.max(0, ttl ?? 0),
    };
  }

  async returnRegistration(address: string): Promise<void> {
    await this.redis.eval(
      RETURN_REGISTRATION,
      2,
      this.key('ra', addressKey(address)),
      `${this.prefix}:rg`,
    );
  }
}

/** The results of a MULTI or pipeline, throwing the first command error. */
function values(res: [Error | null, unknown][] | null, expected: number): unknown[] {
  if (res === null || res.length < expected) throw new Error('Redis transaction aborted');
  return res.map(([err, value]) => {
    if (err !== null) throw err;
    return value;
  });
}
