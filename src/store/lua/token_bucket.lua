--[[
  Takes tokens from one client's token bucket, atomically, on the Redis server's clock (every process
  sharing this Redis sees one bucket per client, so N servers do not allow N times the limit). The bucket
  is a hash { tokens, ts } that refills at ARGV[1] tokens per second up to ARGV[2]; it expires once it
  would be full again, so idle clients cost no memory.

  KEYS[1]  the client's bucket (hash: tokens, ts in ms)
  ARGV[1]  refill rate, tokens per second (> 0)
  ARGV[2]  bucket size (burst), tokens (>= 1)
  ARGV[3]  tokens this request takes (usually 1)
  Returns  { allowed (0/1), tokens left (floored), ms until the next token is there (0 when allowed),
             ms until the bucket is full again }
]]

local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local stored = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(stored[1])
local ts = tonumber(stored[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
local elapsed = now - ts
if elapsed < 0 then elapsed = 0 end
tokens = math.min(burst, tokens + elapsed * rate / 1000)

local allowed = 0
local retry = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  retry = math.ceil((cost - tokens) * 1000 / rate)
end
local full = math.ceil((burst - tokens) * 1000 / rate)

redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], full + 1000)
return { allowed, math.floor(tokens), retry, full }
