--[[
  Replaces a user's candidate list, its behavioural features and its profile pack in one atomic step, each
  with a fresh TTL (the refresher's write, recommend/refresh.ts; the values are encoded as a publish
  encodes them), only if the two values the refresh was computed from are unchanged: the user's connection
  row (another event, or a refresh in another process, came in between: the list is stale) and the pack
  (its row 0, the user's own profile, was changed by set_flags or replace_values: recomputed with it).

  KEYS[1]  the user's candidate list (codec 'candidates')
  KEYS[2]  the user's behavioural features (codec 'behaviour'), same hash slot
  KEYS[3]  the user's profile pack (codec 'profiles'), same hash slot
  KEYS[4]  the user's connection row (codec 'ids'), same hash slot
  ARGV[1]  the list value
  ARGV[2]  the behavioural value, '' for none (the key is deleted)
  ARGV[3]  the pack value
  ARGV[4]  the list's TTL in milliseconds (0 = none)
  ARGV[5]  the behavioural value's TTL in milliseconds (0 = none)
  ARGV[6]  the pack's TTL in milliseconds (0 = none)
  ARGV[7]  the connection row the list was computed from (an 'ids' value; absent and empty rows are equal)
  ARGV[8]  the pack as read before ('' = absent)
  Returns  1 written; 0 the connection row changed; -1 the pack changed (nothing written in either case)
]]

-- An 'ids' value's count and ids (bytes 5..), a missing or empty row as count 0.
local function ids_body(v)
  if not v or #v < 8 then return '\0\0\0\0' end
  return string.sub(v, 5)
end

if ids_body(redis.call('GET', KEYS[4])) ~= ids_body(ARGV[7]) then return 0 end
if (redis.call('GET', KEYS[3]) or '') ~= ARGV[8] then return -1 end

local function put(key, value, ttl)
  if tonumber(ttl) > 0 then redis.call('SET', key, value, 'PX', ttl) else redis.call('SET', key, value) end
end

put(KEYS[1], ARGV[1], ARGV[4])
if ARGV[2] == '' then redis.call('DEL', KEYS[2]) else put(KEYS[2], ARGV[2], ARGV[5]) end
put(KEYS[3], ARGV[3], ARGV[6])
return 1
