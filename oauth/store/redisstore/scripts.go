package redisstore

import "github.com/redis/go-redis/v9"

// Every multi-step change is one Lua script, so it is atomic across
// replicas. Scripts receive the store's clock as ARGV (Unix ms) rather than
// reading Redis's, so expiry is decided by one clock everywhere. Missing
// hash fields read as false in Lua.

// putToken replaces a token record and adds it to its grant's set, whose
// TTL only ever grows.
// KEYS: record, grant set. ARGV: TTL ms, set member, field/value pairs...
var putToken = redis.NewScript(`
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[1]) then
  redis.call('PEXPIRE', KEYS[2], ARGV[1])
end
return 1
`)

// invalidateCode marks a code redeemed by one redemption attempt (its
// nonce). Returns 0: no live code; 1: invalidated by this attempt (also when
// the attempt's reply was lost and the client retried); 2: already
// invalidated by another attempt — the caller lost the race.
// KEYS: code. ARGV: now ms, nonce.
var invalidateCode = redis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 'e', 'inv')
if not v[1] then return 0 end
local e = tonumber(v[1])
if e ~= 0 and tonumber(ARGV[1]) >= e then return 0 end
if v[2] then
  if v[2] == ARGV[2] then return 1 end
  return 2
end
redis.call('HSET', KEYS[1], 'inv', ARGV[2])
return 1
`)

// rotateRefresh marks a refresh token rotated (keeping the first rotation
// time) and deletes the access token issued with it, announcing the grant
// on the revocation channel. Returns 0 when there is no live token.
// KEYS: refresh record. ARGV: now ms, key prefix, channel.
var rotateRefresh = redis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 'e', 'rot', 'a', 'g')
if not v[1] then return 0 end
local e = tonumber(v[1])
if e ~= 0 and tonumber(ARGV[1]) >= e then return 0 end
if not v[2] then redis.call('HSET', KEYS[1], 'rot', ARGV[1]) end
if v[3] and v[3] ~= '' and redis.call('DEL', ARGV[2] .. 'at:' .. v[3]) == 1 and v[4] then
  redis.call('SREM', ARGV[2] .. 'grant:' .. v[4], 'a:' .. v[3])
  redis.call('PUBLISH', ARGV[3], v[4])
end
return 1
`)

// revokeGrant deletes every access ('a') or refresh ('r') token of a grant;
// deleted access tokens are announced on the revocation channel.
// KEYS: grant set. ARGV: key prefix, kind, channel, grant ID.
var revokeGrant = redis.NewScript(`
local kind = ARGV[2]
local sub = 'rt:'
if kind == 'a' then sub = 'at:' end
local n = 0
for _, m in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if string.sub(m, 1, 2) == kind .. ':' then
    n = n + redis.call('DEL', ARGV[1] .. sub .. string.sub(m, 3))
    redis.call('SREM', KEYS[1], m)
  end
end
if kind == 'a' and n > 0 then redis.call('PUBLISH', ARGV[3], ARGV[4]) end
return n
`)

// deleteToken deletes one token record and its grant set entry; a deleted
// access token is announced on the revocation channel.
// KEYS: record. ARGV: key prefix, kind, channel, signature.
var deleteToken = redis.NewScript(`
local g = redis.call('HGET', KEYS[1], 'g')
if redis.call('DEL', KEYS[1]) == 0 then return 0 end
if g then
  redis.call('SREM', ARGV[1] .. 'grant:' .. g, ARGV[2] .. ':' .. ARGV[4])
  if ARGV[2] == 'a' then redis.call('PUBLISH', ARGV[3], g) end
end
return 1
`)

// createClient stores a registered client unless its ID is taken by a live
// one or the live clients reach the limit (0: none). Returns 'ok',
// 'exists' or 'limit'.
// KEYS: client, clients set. ARGV: now ms, limit, id, data, e, TTL ms, score.
var createClient = redis.NewScript(`
local now = tonumber(ARGV[1])
local e = redis.call('HGET', KEYS[1], 'e')
if e then
  e = tonumber(e)
  if e == 0 or now < e then return 'exists' end
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
local limit = tonumber(ARGV[2])
if limit > 0 and redis.call('ZCARD', KEYS[2]) >= limit then return 'limit' end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'd', ARGV[4], 'e', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('ZADD', KEYS[2], ARGV[7], ARGV[3])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[6]) then redis.call('PEXPIRE', KEYS[2], ARGV[6]) end
return 'ok'
`)

// replaceClient is the compare-and-set of TouchClient: it writes the new
// client only if the stored one is still the one read. Returns 0 if not.
// KEYS: client, clients set. ARGV: old data, new data, e, TTL ms, id, score.
var replaceClient = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'd') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'd', ARGV[2], 'e', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[6], ARGV[5])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[4]) then redis.call('PEXPIRE', KEYS[2], ARGV[4]) end
return 1
`)

// deleteLive deletes a record (and its member of a sorted set, when given)
// and returns 1 if it was alive, 0 if it was absent or expired.
// KEYS: record [, set]. ARGV: now ms [, member].
var deleteLive = redis.NewScript(`
local e = redis.call('HGET', KEYS[1], 'e')
if not e then return 0 end
redis.call('DEL', KEYS[1])
if KEYS[2] then redis.call('ZREM', KEYS[2], ARGV[2]) end
e = tonumber(e)
if e == 0 or tonumber(ARGV[1]) < e then return 1 end
return 0
`)

// setJTI records a client assertion ID unless a live record exists.
// Returns 0 if it does. KEYS: jti. ARGV: now ms, e, TTL ms.
var setJTI = redis.NewScript(`
local e = redis.call('GET', KEYS[1])
if e then
  e = tonumber(e)
  if e == 0 or tonumber(ARGV[1]) < e then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`)
