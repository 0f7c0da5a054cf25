--[[
  Removes a candidate, with its pair features, from a user's stored candidate list and from the user's
  behavioural features, atomically. Both values keep their TTLs.

  KEYS[1]  the user's candidate list (codec 'candidates')
  KEYS[2]  the user's behavioural features (codec 'behaviour'), same hash slot
  ARGV[1]  the candidate's dense id
  ARGV[2]  candidates codec tag byte
  ARGV[3]  candidates codec version
  ARGV[4]  behaviour codec tag byte
  ARGV[5]  behaviour codec version
  Returns  the number of list rows removed (0 when the list is absent or does not hold the candidate).
  Errors   'PYMK_STORE_INVALID …' when a stored value is not in the expected format (nothing is written).
]]
-- @include "codec.lua"

local id = tonumber(ARGV[1])
local list = redis.call('GET', KEYS[1])
local beh = redis.call('GET', KEYS[2])
local newList, removed = nil, 0
if list then newList, removed = pymk_candidates_remove(list, KEYS[1], id, tonumber(ARGV[2]), tonumber(ARGV[3])) end
local newBeh, behRemoved = nil, 0
if beh then newBeh, behRemoved = pymk_candidates_remove(beh, KEYS[2], id, tonumber(ARGV[4]), tonumber(ARGV[5])) end
if removed > 0 then redis.call('SET', KEYS[1], newList, 'KEEPTTL') end
if behRemoved > 0 then redis.call('SET', KEYS[2], newBeh, 'KEEPTTL') end
return removed
