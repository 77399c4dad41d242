/**
 * The Lua scripts of the breaker shared per provider endpoint, and of the instance heartbeats.
 * All keys under ONE hash tag, `{<namespace>:<provider>:ep-<endpointId>}` (`:breaker` hash,
 * `:probes` and `:instances` sorted sets): never the tag of an API key, so that every script touches
 * one Redis Cluster slot. Each instance counts its own consecutive failures (no round trip on a
 * success); the first to reach the threshold runs TRIP. The reset timeout runs on Redis's clock.
 */

const NOW = `
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/** Opens the breaker and publishes it. ARGV = resetTimeoutMs, channel, origin. */
const OPEN = `
local function open(resetMs)
  local untilMs = now + resetMs
  local trips = redis.call('HINCRBY', KEYS[1], 'trips', 1)
  redis.call('HSET', KEYS[1], 'state', 'open', 'until', untilMs, 'ok', 0)
  redis.call('DEL', KEYS[2])
  redis.call('PUBLISH', ARGV[2], cjson.encode({ k = 'breaker', state = 'open', o = ARGV[3], now = now, untilMs = untilMs, trips = trips }))
  return {'open', untilMs - now, trips}
end
`;

/**
 * Trip: KEYS = breaker, probes. ARGV = resetTimeoutMs, channel, origin. Opens unless already
 * open (a second instance reaching its threshold does not extend the first one's timeout).
 * → {state, waitMs, trips}
 */
export const TRIP = `${NOW}${OPEN}
local s = redis.call('HMGET', KEYS[1], 'state', 'until', 'trips')
if s[1] == 'open' and (tonumber(s[2]) or 0) > now then return {'open', tonumber(s[2]) - now, tonumber(s[3]) or 0} end
return open(tonumber(ARGV[1]))
`;

/**
 * Probe: KEYS = breaker, probes. ARGV = resetTimeoutMs, channel, origin, halfOpenProbes, leaseId,
 * leaseTtlMs. Open past its reset instant → halfOpen (published). Half-open admits
 * `halfOpenProbes` attempts across all instances: live probe leases plus probes that already
 * succeeded; a lease whose instance died expires and frees its place.
 * → {'closed', 0, trips} | {'probe', leaseId, trips} | {state, waitMs, trips}
 */
export const PROBE = `${NOW}
local s = redis.call('HMGET', KEYS[1], 'state', 'until', 'trips', 'ok')
local state, untilMs, trips, ok = s[1], tonumber(s[2]) or 0, tonumber(s[3]) or 0, tonumber(s[4]) or 0
if state ~= 'open' and state ~= 'halfOpen' then return {'closed', 0, trips} end
if state == 'open' then
  if untilMs > now then return {'open', untilMs - now, trips} end
  state = 'halfOpen'
  ok = 0
  redis.call('HSET', KEYS[1], 'state', 'halfOpen', 'ok', 0)
  redis.call('DEL', KEYS[2])
  redis.call('PUBLISH', ARGV[2], cjson.encode({ k = 'breaker', state = 'halfOpen', o = ARGV[3], now = now, untilMs = now, trips = trips }))
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) + ok < tonumber(ARGV[4]) then
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[6]), ARGV[5])
  return {'probe', ARGV[5], trips}
end
local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
local wait = first[2] and math.max(1, tonumber(first[2]) - now) or tonumber(ARGV[1])
return {'halfOpen', wait, trips}
`;

/**
 * A probe's outcome: KEYS = breaker, probes. ARGV = resetTimeoutMs, channel, origin,
 * halfOpenProbes, leaseId, outcome ('ok'|'failed'|'released'). `halfOpenProbes` successes close
 * the breaker for all; one failure opens it again. An unknown lease (expired, or the breaker moved
 * on) changes nothing.
 * → {state, waitMs, trips}
 */
export const PROBE_RESULT = `${NOW}${OPEN}
local s = redis.call('HMGET', KEYS[1], 'state', 'until', 'trips')
local trips = tonumber(s[3]) or 0
if s[1] ~= 'halfOpen' or redis.call('ZREM', KEYS[2], ARGV[5]) == 0 then
  return {s[1] or 'closed', math.max(0, (tonumber(s[2]) or 0) - now), trips}
end
if ARGV[6] == 'failed' then return open(tonumber(ARGV[1])) end
if ARGV[6] == 'ok' then
  local ok = redis.call('HINCRBY', KEYS[1], 'ok', 1)
  if ok >= tonumber(ARGV[4]) then
    redis.call('HSET', KEYS[1], 'state', 'closed', 'ok', 0)
    redis.call('DEL', KEYS[2])
    redis.call('PUBLISH', ARGV[2], cjson.encode({ k = 'breaker', state = 'closed', o = ARGV[3], now = now, untilMs = now, trips = trips }))
    return {'closed', 0, trips}
  end
end
return {'halfOpen', 0, trips}
`;

/** Read: KEYS = breaker. → {state, waitMs, trips} (open past its instant reads as halfOpen-due: waitMs 0). */
export const BREAKER_READ = `${NOW}
local s = redis.call('HMGET', KEYS[1], 'state', 'until', 'trips')
return {s[1] or 'closed', math.max(0, (tonumber(s[2]) or 0) - now), tonumber(s[3]) or 0}
`;

/**
 * Heartbeat: KEYS = instances. ARGV = instanceId, ttlMs ('0' removes it: a clean stop), channel.
 * Drops the expired ones. A join or a leave is published with the new count, so the others' N
 * (their degraded share) is right at once, not after their next beat.
 * → {the number of instances alive, now}: the count and the Redis instant it is true at (a reply
 * and a published count travel on two connections; the later one by Redis's clock wins).
 */
export const HEARTBEAT = `${NOW}
local changed
if ARGV[2] == '0' then
  changed = redis.call('ZREM', KEYS[1], ARGV[1])
else
  changed = redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local n = redis.call('ZCARD', KEYS[1])
if changed == 1 then redis.call('PUBLISH', ARGV[3], cjson.encode({ k = 'instances', o = ARGV[1], n = n, now = now })) end
return {n, now}
`;
