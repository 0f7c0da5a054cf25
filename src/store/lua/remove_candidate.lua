--[[
  Removes a candidate, with its pair features, from a user's stored candidate list. The list keeps its TTL.

  KEYS[1]  the user's candidate list (codec 'candidates')
  ARGV[1]  the candidate's dense id
  ARGV[2]  candidates codec tag byte
  ARGV[3]  candidates codec version
  Returns  the number of rows removed (0 when the list is absent or does not hold the candidate).
  Errors   'PYMK_STORE_INVALID …' when the stored value is not a candidates value of this version.
]]
-- @include "codec.lua"

local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local out, removed = pymk_candidates_remove(v, KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]))
if removed > 0 then redis.call('SET', KEYS[1], out, 'KEEPTTL') end
return removed
