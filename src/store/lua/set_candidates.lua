--[[
  Replaces a user's candidate list, its behavioural features and its profile pack in one atomic step, each
  with a fresh TTL (the refresher's write, recommend/refresh.ts; the values are encoded as a publish
  encodes them).

  KEYS[1]  the user's candidate list (codec 'candidates')
  KEYS[2]  the user's behavioural features (codec 'behaviour'), same hash slot
  KEYS[3]  the user's profile pack (codec 'profiles'), same hash slot
  ARGV[1]  the list value
  ARGV[2]  the behavioural value, '' for none (the key is deleted)
  ARGV[3]  the pack value
  ARGV[4]  the list's TTL in milliseconds (0 = none)
  ARGV[5]  the behavioural value's TTL in milliseconds (0 = none)
  ARGV[6]  the pack's TTL in milliseconds (0 = none)
  Returns  1
]]

local function put(key, value, ttl)
  if tonumber(ttl) > 0 then redis.call('SET', key, value, 'PX', ttl) else redis.call('SET', key, value) end
end

put(KEYS[1], ARGV[1], ARGV[4])
if ARGV[2] == '' then redis.call('DEL', KEYS[2]) else put(KEYS[2], ARGV[2], ARGV[5]) end
put(KEYS[3], ARGV[3], ARGV[6])
return 1
