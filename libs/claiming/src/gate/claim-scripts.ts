/**
 * The Lua scripts of the claim gate. Redis runs each atomically, so "round open, citizen under the
 * limit, quota left, reserve" is one decision no other claim can interleave with.
 *
 * Meta hash fields (see gate-meta.ts): born (batch creation, ms), loaded, ok ('1' claimable), why (reason when not), lim
 * (per-citizen limit), roll ('1' rolls unclaimed quota over), quota, ret (returned by expired
 * vouchers), issued (reserved + issued, all rounds), n (rounds), vu (fixed
 * validity end, ms, or ''), and per round j: id<j>, o<j> (opens, ms), e<j> (effective end, ms),
 * q<j> (quota), cap<j> (quota + carried in - carried out), cc<j> (sum of cap up to j), is<j> (issued).
 */

/**
 * Reserve, for one or more claims of one batch in one call: the API gathers the claims that reach
 * it in one turn of its event loop and sends them together, so a burst costs one script call (and
 * one network round trip) per turn rather than per claim. Each claim is decided in turn exactly as
 * if it had been sent alone: the script is atomic, and claims later in the list see the counters
 * left by the earlier ones.
 * Safe to run twice: the client resends a call whose reply was lost with a dropped connection
 * (ioredis's autoResendUnfulfilledCommands), and deciding its claims again would find them already
 * reserved (limit reached, with the first reservations held until reconciliation). So each call
 * carries a unique id, and its answers are kept under the call's key for a short while: a run that
 * finds them returns them and changes nothing. cjson keeps 14 significant digits, so every number
 * in an answer must stay below 1e14 (ms timestamps do until the year 5138).
 * KEYS: meta, slots, pending, rate window hash (citizens), rate window hash (addresses),
 * per-second bucket (every claim of the call is in the same rate window and the same second),
 * the call's answers (claimKeys().call(callId)).
 * ARGV: max per citizen, max per ip, window end ms, round hint (the caller's guess of the open
 * round: its fields come with the first read, so the usual claim reads meta once), how long the
 * answers are kept (ms), then per claim three values: now ms, citizen id, ip.
 * Answers: one answer per claim, in order, each
 *   {'NL'} not loaded | {'RL', retryMs} | {'NE', reason} | {'NO', opensAt or -1}
 *   | {'BSO'} | {'RSO', seq, roundEnd, nextOpens or -1} | {'LIM', limit}
 *   | {'OK', slot, seq, roundId, roundLeftAfter, batchLeftAfter, borrowed, roundEnd, nextOpens or -1}
 * (borrowed: 1 when the claim counts past its round's own quota, on quota other rounds left; only
 * informational: PostgreSQL's counting trigger moves that quota when the row is inserted).
 */
export const RESERVE_LUA = `
local done = redis.call('GET', KEYS[7])
if done then return cjson.decode(done) end

local meta = KEYS[1]
local perCitizen, perIp, windowEnd = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local hint = tonumber(ARGV[4])

local function reserve(now, cid, ip)
  local k = hint
  local f = redis.call('HMGET', meta, 'loaded', 'ok', 'why', 'lim', 'roll', 'quota', 'ret', 'issued', 'n', 'vu',
    'o' .. k, 'e' .. k, 'cap' .. k, 'cc' .. k, 'is' .. k, 'id' .. k, 'o' .. (k + 1))
  if not f[1] then return {'NL'} end
  if redis.call('HINCRBY', KEYS[4], cid, 1) > perCitizen then return {'RL', windowEnd - now} end
  local byIp = redis.call('HINCRBY', KEYS[5], ip, 1)
  if byIp == 1 then
    -- A new address in this window (at least once per window): make sure both windows expire.
    redis.call('PEXPIRE', KEYS[4], windowEnd - now + 1000)
    redis.call('PEXPIRE', KEYS[5], windowEnd - now + 1000)
  end
  if byIp > perIp then return {'RL', windowEnd - now} end
  if f[2] ~= '1' then return {'NE', f[3] or ''} end
  if f[10] and f[10] ~= '' and now >= tonumber(f[10]) then return {'NE', 'validity_over'} end
  local quota, ret, issued = tonumber(f[6]), tonumber(f[7]), tonumber(f[8])
  local n = tonumber(f[9])
  if n < 1 then return {'NO', -1} end
  local o, e = tonumber(f[11]), tonumber(f[12])
  local rr = {f[13], f[14], f[15], f[16], f[17]}
  if not o or now < o or now >= e then
    -- The hint was wrong: find the open round from the first.
    k = 1
    while true do
      local r = redis.call('HMGET', meta, 'o' .. k, 'e' .. k)
      o, e = tonumber(r[1]), tonumber(r[2])
      if now < o then return {'NO', o} end
      if now < e then break end
      if k == n then
        if quota + ret - issued <= 0 then return {'BSO'} end
        return {'NE', 'rounds_over'}
      end
      k = k + 1
    end
    rr = redis.call('HMGET', meta, 'cap' .. k, 'cc' .. k, 'is' .. k, 'id' .. k, 'o' .. (k + 1))
    hint = k
  end
  local batchLeft = quota + ret - issued
  if batchLeft <= 0 then return {'BSO'} end
  local cap, cc, is = tonumber(rr[1]), tonumber(rr[2]), tonumber(rr[3])
  local nextOpens = -1
  if rr[5] then nextOpens = tonumber(rr[5]) end
  local left
  if f[5] == '1' then left = cc - issued else left = cap - is end
  if left > batchLeft then left = batchLeft end
  if left <= 0 then return {'RSO', k, e, nextOpens} end
  local lim = tonumber(f[4])
  local slot = 0
  for s = 1, lim do
    if redis.call('HEXISTS', KEYS[2], cid .. ':' .. s) == 0 then
      slot = s
      break
    end
  end
  if slot == 0 then return {'LIM', lim} end
  redis.call('HSET', KEYS[2], cid .. ':' .. slot, k)
  redis.call('HINCRBY', meta, 'is' .. k, 1)
  redis.call('HINCRBY', meta, 'issued', 1)
  redis.call('ZADD', KEYS[3], now, cid .. ':' .. slot .. ':' .. k)
  if redis.call('INCR', KEYS[6]) == 1 then redis.call('EXPIRE', KEYS[6], 300) end
  local borrowed = 0
  if is + 1 > cap then borrowed = 1 end
  return {'OK', slot, k, tonumber(rr[4]), left - 1, batchLeft - 1, borrowed, e, nextOpens}
end

local answers = {}
for i = 6, #ARGV, 3 do
  answers[#answers + 1] = reserve(tonumber(ARGV[i]), ARGV[i + 1], ARGV[i + 2])
end
redis.call('SET', KEYS[7], cjson.encode(answers), 'PX', ARGV[5])
return answers
`;

/**
 * How long the reserve script keeps a call's answers for a resend: ioredis resends as soon as it
 * has reconnected, within seconds of noticing the drop. One key per call (not per claim).
 */
export const RESERVE_CALL_TTL_MS = 30_000;

/**
 * Release a reservation whose row was not written. Only the holder of the pending entry releases,
 * so a release and a confirmation (or two releases) never both count.
 * KEYS: meta, slots, pending. ARGV: member. Answers -1 not loaded, 0 nothing to release, 1 released.
 */
export const RELEASE_LUA = `
if redis.call('HEXISTS', KEYS[1], 'loaded') == 0 then return -1 end
if redis.call('ZREM', KEYS[3], ARGV[1]) == 0 then return 0 end
local cid, slot, seq = string.match(ARGV[1], '^(%d+):(%d+):(%d+)$')
redis.call('HDEL', KEYS[2], cid .. ':' .. slot)
redis.call('HINCRBY', KEYS[1], 'is' .. seq, -1)
redis.call('HINCRBY', KEYS[1], 'issued', -1)
return 1
`;

/**
 * Confirm reservations whose rows are committed: drop them from the pending set and make sure each
 * is counted (a rebuild from PostgreSQL that ran before the commit did not see the row).
 * KEYS: meta, slots, pending. ARGV: members. Answers -1 not loaded, else how many were re-counted.
 */
export const CONFIRM_LUA = `
if redis.call('HEXISTS', KEYS[1], 'loaded') == 0 then return -1 end
local added = 0
for i = 1, #ARGV do
  local m = ARGV[i]
  redis.call('ZREM', KEYS[3], m)
  local cid, slot, seq = string.match(m, '^(%d+):(%d+):(%d+)$')
  if redis.call('HSETNX', KEYS[2], cid .. ':' .. slot, seq) == 1 then
    redis.call('HINCRBY', KEYS[1], 'is' .. seq, 1)
    redis.call('HINCRBY', KEYS[1], 'issued', 1)
    added = added + 1
  end
end
return added
`;

/**
 * Refresh the rules and rounds of a loaded batch from PostgreSQL, keeping its live counters
 * (issued, is<j>: they include reservations PostgreSQL does not have yet).
 * KEYS: meta. ARGV: rounds count, the batch's creation time, then field/value pairs.
 * Answers -1 when not loaded or loaded for another batch of that id (rebuild instead).
 */
export const REFRESH_LUA = `
if redis.call('HEXISTS', KEYS[1], 'loaded') == 0 then return -1 end
if redis.call('HGET', KEYS[1], 'born') ~= ARGV[2] then return -1 end
local n = tonumber(ARGV[1])
local old = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
for j = n + 1, old do
  redis.call('HDEL', KEYS[1], 'id' .. j, 'o' .. j, 'e' .. j, 'q' .. j, 'cap' .. j, 'cc' .. j, 'is' .. j)
end
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
for j = 1, n do redis.call('HSETNX', KEYS[1], 'is' .. j, 0) end
return 1
`;

/** Delete a key only when it holds our token (releasing a lock we own). */
export const UNLOCK_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;
