/**
 * The Lua scripts of `RedisLoginLimits`: each runs atomically on the Redis
 * server, so gateways counting at the same time lose nothing. Every key
 * they write has a TTL: a fixed window for counters (set when the counter
 * is created), the remaining wait for a gate, the refusal time for a
 * refusal.
 */

/**
 * One failure. KEYS: address failures, address gate, address refusal,
 * account failures. ARGV: windowMs, baseDelayMs, maxDelayMs,
 * refuseAfterFailures, refuseForMs, '1' to count the account.
 * Returns {addressFailures, accountFailures, waitMs, refusalTtlMs (-1: none), refusedNow}.
 */
export const RECORD_FAILURE = `
local window = tonumber(ARGV[1])
local f = redis.call('INCR', KEYS[1])
if f == 1 then redis.call('PEXPIRE', KEYS[1], window) end
local c = 0
if ARGV[6] == '1' then
  c = redis.call('INCR', KEYS[4])
  if c == 1 then redis.call('PEXPIRE', KEYS[4], window) end
end
local base = tonumber(ARGV[2])
local d = 0
if base > 0 then d = math.min(tonumber(ARGV[3]), base * 2 ^ math.min(f - 1, 30)) end
local w = redis.call('PTTL', KEYS[2])
if w < 0 then w = 0 end
w = math.floor(math.min(w + d, window))
if w > 0 then redis.call('SET', KEYS[2], '1', 'PX', w) end
local r = redis.call('PTTL', KEYS[3])
local now = 0
local n = tonumber(ARGV[4])
if r < 0 and n > 0 and f >= n then
  r = tonumber(ARGV[5])
  redis.call('SET', KEYS[3], f, 'PX', r)
  now = 1
end
return {f, c, w, r, now}
`;

/**
 * Takes one registration. KEYS: address count, global count. ARGV:
 * maxPerAddress, addressWindowMs, maxGlobal, globalWindowMs (a 0 maximum
 * is not counted). Returns {0} when taken, {1, ttl} over the address
 * limit, {2, ttl} over the global one.
 */
export const TAKE_REGISTRATION = `
local ma = tonumber(ARGV[1])
local mg = tonumber(ARGV[3])
if ma > 0 and tonumber(redis.call('GET', KEYS[1]) or '0') >= ma then
  return {1, redis.call('PTTL', KEYS[1])}
end
if mg > 0 and tonumber(redis.call('GET', KEYS[2]) or '0') >= mg then
  return {2, redis.call('PTTL', KEYS[2])}
end
if ma > 0 and redis.call('INCR', KEYS[1]) == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if mg > 0 and redis.call('INCR', KEYS[2]) == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[4]) end
return {0}
`;

/** Gives back one registration: decrements each key that still exists and is positive (never makes a key). */
export const RETURN_REGISTRATION = `
for _, k in ipairs(KEYS) do
  local v = tonumber(redis.call('GET', k) or '0')
  if v > 0 then redis.call('DECR', k) end
end
return 0
`;
