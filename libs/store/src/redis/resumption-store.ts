/**
 * Resumption state in Redis (ioredis), shared by every gateway.
 *
 * Layout (`<p>` is the key prefix, default `parley:sm:`):
 * - `<p>{<id>}`   hash: jid, gw, conn, epoch, inH, outSeq, acked, exp, det
 * - `<p>{<id>}:q` sorted set of unacknowledged outbound stanzas: score = seq,
 *                 member = `<seq> <xml>` (the seq keeps members unique), or
 *                 `<seq>:<did> <xml>` when the entry has a delivery id. A
 *                 reader takes the stanza after the first space, so a
 *                 release that knows no delivery ids still reads the
 *                 stanza, and a member without `:` has no id.
 * - `<p>{<id>}:a` sorted set of the delivery ids of acknowledged entries:
 *                 score = when acknowledged (ms), trimmed on every ack to
 *                 the retention and count of `ackedDids`.
 * - `<p>expiry`   sorted set id -> exp: an index of expiry times for `expired()`.
 *
 * Every operation is one Lua script on the three keys of one record (they share
 * the `{<id>}` hash tag, so this also works on Redis Cluster), which makes it
 * atomic. The expiry index is written next to it and is only a hint: `reap`
 * re-checks the record and repairs the index entry when it was stale. Both
 * keys carry a TTL of (exp - now) + retainMs, so a record nobody reaps
 * disappears on its own (the `:a` set gets the record's TTL on every ack).
 *
 * Calls made in the same tick are pipelined into one round trip when the
 * store owns its connection (created from a URL with auto-pipelining).
 */
import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { toStoreError } from '../errors.js';
import { outOfSequence } from '../shared/resumption-validate.js';
import { ACKED_DID_MAX, ACKED_DID_RETAIN_MS } from '../resumption.js';
import type {
  ClaimRequest,
  NewResumption,
  OutboundEntry,
  ResumptionState,
  ResumptionStore,
} from '../resumption.js';
import { Lifecycle } from '../shared/lifecycle.js';
import { checkCounter, checkEntries, checkResumptionId } from '../shared/resumption-validate.js';

export interface RedisResumptionStoreOptions {
  /** A connection to use (not closed by `close()`); otherwise `url` is connected to. */
  redis?: Redis;
  /** `redis://host:port/db`; the store then owns an auto-pipelining connection. */
  url?: string;
  /** ioredis options of that connection (password, ACL user, TLS), merged over the store's own. */
  redisOptions?: RedisOptions;
  /** Key prefix (default `parley:sm:`). */
  prefix?: string;
  /** How long after expiry an unreaped record is still kept (default 60 s). */
  retainMs?: number;
}

/** Checks that the record exists and is at epoch ARGV[1]; returns 0 from the script otherwise. */
const OWNED = `
local e = redis.call('hget', KEYS[1], 'epoch')
if not e or e ~= ARGV[1] then return 0 end
`;

const SNAPSHOT = `{redis.call('hgetall', KEYS[1]), redis.call('zrange', KEYS[2], 0, -1, 'WITHSCORES'),
  redis.call('zrange', KEYS[3], 0, -1)}`;

const SCRIPTS = {
  smCreate: `
if redis.call('exists', KEYS[1]) == 1 then return 0 end
redis.call('del', KEYS[2], KEYS[3])
redis.call('hset', KEYS[1], 'jid', ARGV[1], 'gw', ARGV[2], 'conn', ARGV[3], 'epoch', '1',
  'inH', '0', 'outSeq', '0', 'acked', '0', 'exp', ARGV[4])
redis.call('pexpire', KEYS[1], ARGV[5])
return 1`,
  smGet: `
if redis.call('exists', KEYS[1]) == 0 then return false end
return ${SNAPSHOT}`,
  smAppend: `${OWNED}
local function seqOf(prefix) return string.match(prefix, '^%d+') end
if #ARGV >= 2 and tonumber(seqOf(ARGV[2])) ~= tonumber(redis.call('hget', KEYS[1], 'outSeq')) + 1 then
  return -1
end
local last
for i = 2, #ARGV, 2 do
  local seq = seqOf(ARGV[i])
  redis.call('zadd', KEYS[2], seq, ARGV[i] .. ' ' .. ARGV[i + 1])
  last = seq
end
if last then redis.call('hset', KEYS[1], 'outSeq', last) end
local ttl = redis.call('pttl', KEYS[1])
if ttl > 0 then redis.call('pexpire', KEYS[2], ttl) end
return 1`,
  smAck: `${OWNED}
local now = tonumber(ARGV[3])
for _, m in ipairs(redis.call('zrangebyscore', KEYS[2], '-inf', ARGV[2])) do
  local did = string.match(m, '^%d+:([^ ]+) ')
  if did then redis.call('zadd', KEYS[3], now, did) end
end
redis.call('zremrangebyscore', KEYS[3], '-inf', now - tonumber(ARGV[4]))
redis.call('zremrangebyrank', KEYS[3], 0, -(tonumber(ARGV[5]) + 1))
local ttl = redis.call('pttl', KEYS[1])
if ttl > 0 then redis.call('pexpire', KEYS[3], ttl) end
redis.call('zremrangebyscore', KEYS[2], '-inf', ARGV[2])
if tonumber(ARGV[2]) > tonumber(redis.call('hget', KEYS[1], 'acked')) then
  redis.call('hset', KEYS[1], 'acked', ARGV[2])
end
return 1`,
  smSetInboundH: `${OWNED}
redis.call('hset', KEYS[1], 'inH', ARGV[2])
return 1`,
  smTouch: `${OWNED}
redis.call('hset', KEYS[1], 'exp', ARGV[2])
redis.call('pexpire', KEYS[1], ARGV[3])
redis.call('pexpire', KEYS[2], ARGV[3])
redis.call('pexpire', KEYS[3], ARGV[3])
return 1`,
  smDetach: `${OWNED}
redis.call('hset', KEYS[1], 'det', ARGV[2], 'exp', ARGV[3])
redis.call('pexpire', KEYS[1], ARGV[4])
redis.call('pexpire', KEYS[2], ARGV[4])
redis.call('pexpire', KEYS[3], ARGV[4])
return 1`,
  smClaim: `
local e = redis.call('hget', KEYS[1], 'epoch')
if not e or e ~= ARGV[1] then return false end
if tonumber(redis.call('hget', KEYS[1], 'exp')) <= tonumber(ARGV[4]) then return false end
redis.call('hincrby', KEYS[1], 'epoch', 1)
redis.call('hset', KEYS[1], 'gw', ARGV[2], 'conn', ARGV[3], 'exp', ARGV[5])
redis.call('hdel', KEYS[1], 'det')
redis.call('pexpire', KEYS[1], ARGV[6])
redis.call('pexpire', KEYS[2], ARGV[6])
redis.call('pexpire', KEYS[3], ARGV[6])
return ${SNAPSHOT}`,
  smDelete: `
local e = redis.call('hget', KEYS[1], 'epoch')
if not e or (ARGV[1] ~= '' and e ~= ARGV[1]) then return false end
local r = ${SNAPSHOT}
redis.call('del', KEYS[1], KEYS[2], KEYS[3])
return r`,
  smReap: `
local exp = redis.call('hget', KEYS[1], 'exp')
if not exp then return false end
if tonumber(exp) > tonumber(ARGV[1]) then return exp end
local r = ${SNAPSHOT}
redis.call('del', KEYS[1], KEYS[2], KEYS[3])
return r`,
} as const;

type ScriptName = keyof typeof SCRIPTS;
type Snapshot = [string[], string[], string[]];
type ScriptCaller = (...args: (string | number)[]) => Promise<unknown>;

export class RedisResumptionStore implements ResumptionStore {
  private readonly redis: Redis;
  private readonly owned: boolean;
  private readonly prefix: string;
  private readonly index: string;
  private readonly retainMs: number;
  private readonly life = new Lifecycle();

  constructor(opts: RedisResumptionStoreOptions) {
    if (opts.redis !== undefined) {
      this.redis = opts.redis;
      this.owned = false;
    } else if (opts.url !== undefined) {
      this.redis = new Redis(opts.url, {
        connectionName: 'parley-resumption',
        enableAutoPipelining: true,
        maxRetriesPerRequest: 2,
        retryStrategy: (times) => Math.min(50 * times, 1000),
        ...opts.redisOptions,
      });
      this.owned = true;
    } else {
      throw new TypeError('RedisResumptionStore needs a redis connection or a url');
    }
    this.prefix = opts.prefix ?? 'parley:sm:';
    this.index = `${this.prefix}expiry`;
    this.retainMs = opts.retainMs ?? 60_000;
    for (const [name, lua] of Object.entries(SCRIPTS)) {
      // defineCommand is idempotent per name for one connection.
      if (!(name in this.redis)) this.redis.defineCommand(name, { lua, numberOfKeys: 3 });
    }
  }

  async create(init: NewResumption): Promise<boolean> {
    checkResumptionId(init.id);
    const ok = await this.run('create', 'smCreate', init.id, [
      init.jid,
      init.gw,
      init.conn,
      init.expiresAt,
      this.ttl(init.expiresAt),
    ]);
    if (ok !== 1) return false;
    await this.indexAt(init.id, init.expiresAt);
    return true;
  }

  async get(id: string): Promise<ResumptionState | undefined> {
    checkResumptionId(id);
    return decode(id, await this.run('get', 'smGet', id, []));
  }

  async appendOutbound(
    id: string,
    epoch: number,
    entries: readonly OutboundEntry[],
  ): Promise<boolean> {
    checkResumptionId(id);
    checkEntries(entries);
    const args: (string | number)[] = [epoch];
    // ARGV pairs: the member's prefix (`<seq>` or `<seq>:<did>`), then the stanza. The score is
    // the seq, read by the script from the prefix.
    for (const [seq, xml, did] of entries)
      args.push(did === undefined ? seq : `${seq}:${did}`, xml);
    const reply = await this.run('appendOutbound', 'smAppend', id, args);
    if (reply === -1) throw outOfSequence(id);
    return reply === 1;
  }

  async ack(id: string, epoch: number, h: number, now = Date.now()): Promise<boolean> {
    checkResumptionId(id);
    checkCounter(h, 'h');
    const args = [epoch, h, now, ACKED_DID_RETAIN_MS, ACKED_DID_MAX];
    return (await this.run('ack', 'smAck', id, args)) === 1;
  }

  async setInboundH(id: string, epoch: number, h: number): Promise<boolean> {
    checkResumptionId(id);
    checkCounter(h, 'h');
    return (await this.run('setInboundH', 'smSetInboundH', id, [epoch, h])) === 1;
  }

  async touch(id: string, epoch: number, expiresAt: number): Promise<boolean> {
    checkResumptionId(id);
    const ok = await this.run('touch', 'smTouch', id, [epoch, expiresAt, this.ttl(expiresAt)]);
    if (ok !== 1) return false;
    await this.indexAt(id, expiresAt);
    return true;
  }

  async detach(id: string, epoch: number, detachedAt: number, expiresAt: number): Promise<boolean> {
    checkResumptionId(id);
    const ok = await this.run('detach', 'smDetach', id, [
      epoch,
      detachedAt,
      expiresAt,
      this.ttl(expiresAt),
    ]);
    if (ok !== 1) return false;
    await this.indexAt(id, expiresAt);
    return true;
  }

  async claim(id: string, req: ClaimRequest): Promise<ResumptionState | undefined> {
    checkResumptionId(id);
    const state = decode(
      id,
      await this.run('claim', 'smClaim', id, [
        req.epoch,
        req.gw,
        req.conn,
        req.now,
        req.expiresAt,
        this.ttl(req.expiresAt),
      ]),
    );
    if (state !== undefined) await this.indexAt(id, req.expiresAt);
    return state;
  }

  async delete(id: string, epoch?: number): Promise<ResumptionState | undefined> {
    checkResumptionId(id);
    const state = decode(id, await this.run('delete', 'smDelete', id, [epoch ?? '']));
    if (state !== undefined) await this.unindex(id);
    return state;
  }

  async expired(now: number, limit: number): Promise<string[]> {
    this.life.assertOpen();
    checkCounter(limit, 'limit');
    if (limit === 0) return [];
    try {
      return await this.redis.zrangebyscore(this.index, '-inf', now, 'LIMIT', 0, limit);
    } catch (err) {
      throw toStoreError(err, 'resumption.expired');
    }
  }

  async reap(id: string, now: number): Promise<ResumptionState | undefined> {
    checkResumptionId(id);
    const reply = await this.run('reap', 'smReap', id, [now]);
    if (typeof reply === 'string') {
      // Not expired: the index entry was stale.
      await this.indexAt(id, Number(reply));
      return undefined;
    }
    await this.unindex(id);
    return decode(id, reply);
  }

  async close(): Promise<void> {
    if (this.life.closed) return;
    this.life.markClosed();
    if (this.owned) {
      try {
        await this.redis.quit();
      } catch {
        this.redis.disconnect();
      }
    }
  }

  private key(id: string): string {
    return `${this.prefix}{${id}}`;
  }

  private ttl(expiresAt: number): number {
    return Math.max(0, Math.ceil(expiresAt - Date.now())) + this.retainMs;
  }

  private async run(
    op: string,
    script: ScriptName,
    id: string,
    args: (string | number)[],
  ): Promise<unknown> {
    this.life.assertOpen();
    const key = this.key(id);
    const call = (this.redis as unknown as Record<ScriptName, ScriptCaller>)[script];
    try {
      return await call.call(this.redis, key, `${key}:q`, `${key}:a`, ...args);
    } catch (err) {
      throw toStoreError(err, `resumption.${op}`);
    }
  }

  private async indexAt(id: string, expiresAt: number): Promise<void> {
    try {
      await this.redis.zadd(this.index, expiresAt, id);
    } catch (err) {
      throw toStoreError(err, 'resumption.index');
    }
  }

  private async unindex(id: string): Promise<void> {
    try {
      await this.redis.zrem(this.index, id);
    } catch (err) {
      throw toStoreError(err, 'resumption.index');
    }
  }
}

function decode(id: string, reply: unknown): ResumptionState | undefined {
  if (!Array.isArray(reply)) return undefined;
  const [flat, queue, ackedDids] = reply as Snapshot;
  const h: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) h[flat[i]!] = flat[i + 1]!;
  const outbound: OutboundEntry[] = [];
  for (let i = 0; i + 1 < queue.length; i += 2) {
    const member = queue[i]!;
    const space = member.indexOf(' ');
    const colon = member.indexOf(':');
    const xml = member.slice(space + 1);
    const seq = Number(queue[i + 1]);
    // `<seq>:<did> <xml>` carries a delivery id; `<seq> <xml>` (older records) does not.
    if (colon !== -1 && colon < space) outbound.push([seq, xml, member.slice(colon + 1, space)]);
    else outbound.push([seq, xml]);
  }
  const state: ResumptionState = {
    id,
    jid: h['jid'] ?? '',
    gw: h['gw'] ?? '',
    conn: h['conn'] ?? '',
    epoch: Number(h['epoch'] ?? 0),
    inboundH: Number(h['inH'] ?? 0),
    outboundSeq: Number(h['outSeq'] ?? 0),
    acked: Number(h['acked'] ?? 0),
    outbound,
    expiresAt: Number(h['exp'] ?? 0),
  };
  if (ackedDids.length > 0) state.ackedDids = ackedDids;
  if (h['det'] !== undefined) state.detachedAt = Number(h['det']);
  return state;
}
