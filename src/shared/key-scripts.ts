/**
 * The Lua scripts on one API key's state. Each touches only the keys of ONE hash tag,
 * `{<namespace>:<provider>:<keyId>}` (its `:state` hash and `:leases` sorted set), so it runs on
 * Redis Cluster too: a script whose keys span two slots fails there with CROSSSLOT. That is why the
 * breaker (per provider endpoint, another tag) has its own scripts (breaker-scripts.ts) and the
 * acquire script does not read it: the local breaker actor, kept in sync over Pub/Sub, gates first.
 *
 * Time is Redis's own (`TIME`), so instances' clocks never matter. Waits go out as relative ms.
 * Events are published as JSON on the endpoint's channel (ARGV), which is not a key.
 */

/** Redis TIME in ms, and effects replication on servers older than 5 (a no-op since then). */
const NOW = `
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * A continuously refilling bucket: capacity `cap` per `win` ms, starting full (no stored level).
 * `need` above the capacity is clamped to it, else a large estimate would wait forever.
 */
/** Refill margin of `limits` buckets, ms (see waitFor). */
const SKEW_MS = 250;

const BUCKETS = `
-- The provider's budget as its headers describe it (see LOWER): capacity C, refill per ms R,
-- level L at T. Nil until a header was seen.
local function headerLevel(C, R, L, T)
  local c, r, l = tonumber(C), tonumber(R), tonumber(L)
  if not (c and r and l) then return nil end
  l = l + (now - (tonumber(T) or now)) * r
  if l > c then l = c end
  return { level = l, cap = c, rate = r }
end
-- The same refill margin as waitFor's: a request granted now reaches the provider a little later,
-- and another instance's may overtake it; at the provider's full rate, without a margin, the one
-- that arrives second finds the provider's bucket a fraction short.
local function headerWait(h, n)
  n = n + h.rate * ${SKEW_MS}
  if n > h.cap then n = h.cap end
  if h.level >= n - 1e-9 then return 0 end
  return math.ceil((n - h.level) / h.rate)
end
local function level(L, T, cap, win)
  local l = tonumber(L)
  if not l then return cap end
  l = l + (now - (tonumber(T) or now)) * cap / win
  if l > cap then l = cap end
  return l
end
-- A grant leaves a margin of ${SKEW_MS} ms of refill: the provider's bucket started refilling when
-- the first request ARRIVED, ours when it was granted; a first request slow on its way (a busy
-- instance) would otherwise leave ours ahead of the provider's by that delay.
local function waitFor(l, n, cap, win)
  n = n + cap * ${SKEW_MS} / win
  if n > cap then n = cap end
  if l >= n - 1e-9 then return 0 end
  return math.ceil((n - l) * win / cap)
end
`;

/** State kept two days past the last write (a per-day quota needs one). */
const STATE_TTL_MS = 2 * 86_400_000;

/**
 * Acquire: KEYS = state, leases. ARGV = leaseId, estTokens, maxConcurrent, rpm, tpm, rpd, leaseTtlMs.
 * Checks in order disabled, cooling, exhausted, concurrency (expired leases dropped first), the
 * buckets (rpm, tpm, rpd, then the provider's header budgets, which only lower); reserves all of
 * them at once, or nothing.
 * → {1, leaseId, 'ok', now} | {0, waitMs, reason, now} | {-1, 0, 'disabled', now}
 */
export const ACQUIRE = `${NOW}${BUCKETS}
local s = redis.call('HMGET', KEYS[1], 'disabled', 'coolUntil', 'exhaustUntil', 'rL', 'rT', 'tL', 'tT', 'dL', 'dT', 'hrC', 'hrR', 'hrL', 'hrT', 'htC', 'htR', 'htL', 'htT', 'seen')
if s[1] then return {-1, 0, 'disabled', now} end
local cool = tonumber(s[2]) or 0
if cool > now then return {0, cool - now, 'cooling', now} end
local ex = tonumber(s[3]) or 0
if ex > now then return {0, ex - now, 'exhausted', now} end
local maxC = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
-- Nothing known of the key's budget yet (no limits, no answer so far): one request at a time,
-- across all instances, probes it; its settle wakes the others ('released').
if not s[18] and tonumber(ARGV[4]) == 0 and tonumber(ARGV[5]) == 0 and not s[10] then
  if redis.call('ZCARD', KEYS[2]) > 0 then maxC = 1 end
end
if maxC > 0 and redis.call('ZCARD', KEYS[2]) >= maxC then
  local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  return {0, math.max(1, tonumber(first[2]) - now), 'concurrency', now}
end
local est = tonumber(ARGV[2])
local rpm, tpm, rpd = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local wait, reason = 0, 'budget'
local rL, tL, dL
if rpm > 0 then rL = level(s[4], s[5], rpm, 60000); wait = math.max(wait, waitFor(rL, 1, rpm, 60000)) end
if tpm > 0 then tL = level(s[6], s[7], tpm, 60000); wait = math.max(wait, waitFor(tL, est, tpm, 60000)) end
if rpd > 0 then dL = level(s[8], s[9], rpd, 86400000); wait = math.max(wait, waitFor(dL, 1, rpd, 86400000)) end
local hr = headerLevel(s[10], s[11], s[12], s[13])
local ht = headerLevel(s[14], s[15], s[16], s[17])
if hr then local w = headerWait(hr, 1); if w > wait then wait = w; reason = 'headers' end end
if ht then local w = headerWait(ht, est); if w > wait then wait = w; reason = 'headers' end end
if wait > 0 then return {0, wait, reason, now} end
local set = {}
if rL then table.insert(set, 'rL'); table.insert(set, tostring(rL - 1)); table.insert(set, 'rT'); table.insert(set, now) end
if tL then table.insert(set, 'tL'); table.insert(set, tostring(tL - est)); table.insert(set, 'tT'); table.insert(set, now) end
if dL then table.insert(set, 'dL'); table.insert(set, tostring(dL - 1)); table.insert(set, 'dT'); table.insert(set, now) end
if hr then table.insert(set, 'hrL'); table.insert(set, tostring(hr.level - 1)); table.insert(set, 'hrT'); table.insert(set, now) end
if ht then table.insert(set, 'htL'); table.insert(set, tostring(ht.level - est)); table.insert(set, 'htT'); table.insert(set, now) end
if #set > 0 then
  redis.call('HSET', KEYS[1], unpack(set))
  redis.call('PEXPIRE', KEYS[1], ${STATE_TTL_MS})
end
local ttl = tonumber(ARGV[7])
redis.call('ZADD', KEYS[2], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[2], ttl * 2)
return {1, ARGV[1], 'ok', now}
`;

/**
 * Settle: KEYS = state, leases. ARGV = leaseId, estTokens, usedTokens, tpm, rpm, unsent (1|0),
 * maxConcurrent, channel, origin, keyId. A lease that already expired settles nothing (its
 * reservation stands, which only errs on the safe side). Refunds estimate − used tokens (a
 * negative refund charges the overrun), and the request itself when it was never sent. Publishes
 * `released` when the key was at its concurrency limit, so an instance waiting on it wakes.
 * → 2 settled, and it was the key's first answer (the probe: everyone waiting goes) | 1 settled | 0 lease unknown
 */
export const SETTLE = `${NOW}${BUCKETS}
local maxC = tonumber(ARGV[7])
local before = redis.call('ZCARD', KEYS[2])
if redis.call('ZREM', KEYS[2], ARGV[1]) == 0 then return 0 end
-- The key's first answer: the probing is over (see ACQUIRE); every request waiting behind it goes.
local probed = redis.call('HSETNX', KEYS[1], 'seen', 1) == 1
if probed then
  redis.call('PUBLISH', ARGV[8], cjson.encode({ k = 'key', id = ARGV[10], ev = 'released', all = 1, o = ARGV[9], now = now, untilMs = now }))
end
local est, used, tpm, rpm = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local s = redis.call('HMGET', KEYS[1], 'tL', 'tT', 'rL', 'rT', 'htC', 'htR', 'htL', 'htT')
if tpm > 0 and est ~= used and s[1] then
  local l = level(s[1], s[2], tpm, 60000) + est - used
  if l > tpm then l = tpm end
  redis.call('HSET', KEYS[1], 'tL', tostring(l), 'tT', now)
end
local ht = headerLevel(s[5], s[6], s[7], s[8])
if ht and est ~= used then
  redis.call('HSET', KEYS[1], 'htL', tostring(math.min(ht.cap, ht.level + est - used)), 'htT', now)
end
if ARGV[6] == '1' and rpm > 0 and s[3] then
  local l = level(s[3], s[4], rpm, 60000) + 1
  if l > rpm then l = rpm end
  redis.call('HSET', KEYS[1], 'rL', tostring(l), 'rT', now)
end
if maxC > 0 and before >= maxC and not probed then
  redis.call('PUBLISH', ARGV[8], cjson.encode({ k = 'key', id = ARGV[10], ev = 'released', o = ARGV[9], now = now, untilMs = now }))
end
if probed then return 2 end
return 1
`;

/**
 * A key event: KEYS = state. ARGV = event ('disabled'|'cooling'|'exhausted'), waitMs, reason,
 * channel, origin, keyId. Cooling and exhaustion keep the LATER of the stored and the new instant
 * (a shorter 429 wait never shortens a longer one). Publishes the resulting state.
 * → {untilMs, now}
 */
export const KEY_EVENT = `${NOW}
local ev = ARGV[1]
local untilMs = now
if ev == 'disabled' then
  redis.call('HSET', KEYS[1], 'disabled', '1')
else
  local field = ev == 'cooling' and 'coolUntil' or 'exhaustUntil'
  local old = tonumber(redis.call('HGET', KEYS[1], field)) or 0
  untilMs = math.max(old, now + tonumber(ARGV[2]))
  redis.call('HSET', KEYS[1], field, untilMs)
end
redis.call('PEXPIRE', KEYS[1], ${STATE_TTL_MS})
redis.call('PUBLISH', ARGV[4], cjson.encode({ k = 'key', id = ARGV[6], ev = ev, o = ARGV[5], now = now, untilMs = untilMs, reason = ARGV[3] }))
return {untilMs, now}
`;

/**
 * The provider's rate-limit headers: KEYS = state. ARGV = limitRequests, remainingRequests,
 * resetRequestsMs, limitTokens, remainingTokens, resetTokensMs (-1 when absent). Each pair becomes
 * a continuously refilling bucket shared by all instances, as the provider keeps it: capacity the
 * limit, refilling at a LOWER BOUND of the provider's rate — `remaining` is rounded down and the
 * reset up, so (limit − remaining − 1) / reset never exceeds the true rate; the best (largest) lower
 * bound seen is kept. A header only ever lowers the level. Before any rate is known the bucket
 * assumes the slowest common window, a minute (providers' documented windows: OpenAI, Groq, Anthropic).
 * KEYS[2] = the key's leases. `remaining` was counted when this answer's request reached the
 * provider; every other request still in flight (a lease not yet settled, across all instances) may
 * have reached it after that, so it is taken from `remaining` before the min with ours: setting the
 * level to a bare `remaining` would forget them, and the instances would over-admit by as many.
 * (One that arrived before is taken twice, which only errs on the safe side for one refill.)
 */
export const LOWER = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
-- The answering request's own lease was settled just before (and if not, counting it once more is safe).
local unseen = redis.call('ZCARD', KEYS[2])
local function lower(p, C, R, T)
  if R < 0 then return end
  local s = redis.call('HMGET', KEYS[1], p .. 'C', p .. 'R', p .. 'L', p .. 'T')
  local oldC, oldRate, oldL = tonumber(s[1]), tonumber(s[2]) or 0, tonumber(s[3])
  local cap = C > 0 and C or (oldC or math.max(R, 1))
  local rate = oldRate
  if T > 0 and cap - R - 1 > 0 then rate = math.max(rate, (cap - R - 1) / T) end
  if rate <= 0 then rate = cap / 60000 end
  local l = R
  if p == 'hr' then l = R - unseen end
  if oldL then
    local cur = oldL + (now - (tonumber(s[4]) or now)) * oldRate
    if cur > cap then cur = cap end
    if cur < l then l = cur end
  end
  redis.call('HSET', KEYS[1], p .. 'C', cap, p .. 'R', tostring(rate), p .. 'L', tostring(l), p .. 'T', now)
end
lower('hr', tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]))
lower('ht', tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]))
redis.call('PEXPIRE', KEYS[1], ${STATE_TTL_MS})
return 1
`;

/**
 * After Redis came back (or lost its data): KEYS = state. ARGV = rpm, tpm, rpd, seed (1|0),
 * spentRequests, spentTokens. With seed (Redis came back without its data), a bucket with no
 * stored level would start full, yet this window's spending is unknown; it starts empty instead.
 * What this instance spent from its local share while degraded is then charged to every bucket
 * (the shared ones refilled meanwhile as if nothing had gone out).
 * → {disabled (0|1), coolUntil, exhaustUntil, now} so the instance resynchronises its key actor.
 */
export const RESYNC = `${NOW}${BUCKETS}
local s = redis.call('HMGET', KEYS[1], 'disabled', 'coolUntil', 'exhaustUntil', 'rL', 'rT', 'tL', 'tT', 'dL', 'dT', 'hrC', 'hrR', 'hrL', 'hrT', 'htC', 'htR', 'htL', 'htT')
local seed = ARGV[4] == '1'
local spentR, spentT = tonumber(ARGV[5]) or 0, tonumber(ARGV[6]) or 0
local function charge(lf, tf, L, T, cap, win, spent)
  if cap <= 0 then return end
  local l
  if L then l = level(L, T, cap, win) elseif seed then l = 0 else l = cap end
  if L or seed or spent > 0 then redis.call('HSET', KEYS[1], lf, tostring(l - spent), tf, now) end
end
charge('rL', 'rT', s[4], s[5], tonumber(ARGV[1]), 60000, spentR)
charge('tL', 'tT', s[6], s[7], tonumber(ARGV[2]), 60000, spentT)
charge('dL', 'dT', s[8], s[9], tonumber(ARGV[3]), 86400000, spentR)
local hr = headerLevel(s[10], s[11], s[12], s[13])
if hr and spentR > 0 then redis.call('HSET', KEYS[1], 'hrL', tostring(hr.level - spentR), 'hrT', now) end
local ht = headerLevel(s[14], s[15], s[16], s[17])
if ht and spentT > 0 then redis.call('HSET', KEYS[1], 'htL', tostring(ht.level - spentT), 'htT', now) end
return {s[1] and 1 or 0, tonumber(s[2]) or 0, tonumber(s[3]) or 0, now}
`;
