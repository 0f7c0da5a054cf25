--[[
  Adds an id to one of a user's exclusion rows (connections, blocks or dismissals) and removes it from the
  user's candidate list and behavioural features, atomically. Existing values keep their TTLs; a missing
  row is created with ARGV[8].

  KEYS[1]  the user's id row (codec 'ids'): connections, blocked or dismissed
  KEYS[2]  the user's candidate list (codec 'candidates'), same hash slot
  KEYS[3]  the user's behavioural features (codec 'behaviour'), same hash slot
  ARGV[1]  the other user's dense id
  ARGV[2]  ids codec tag byte
  ARGV[3]  ids codec version
  ARGV[4]  candidates codec tag byte
  ARGV[5]  candidates codec version
  ARGV[6]  behaviour codec tag byte
  ARGV[7]  behaviour codec version
  ARGV[8]  TTL in milliseconds for a newly created row (0 = none)
  Returns  { inserted (0/1), candidate rows removed }
  Errors   'PYMK_STORE_INVALID …' when a stored value is not in the expected format.
]]
-- @include "codec.lua"

local id = tonumber(ARGV[1])
local row = redis.call('GET', KEYS[1])
local list = redis.call('GET', KEYS[2])
local beh = redis.call('GET', KEYS[3])

-- Compute every new value first: a malformed value fails the script before anything is written.
local newRow, inserted
if row then
  newRow, inserted = pymk_ids_insert(row, KEYS[1], id, tonumber(ARGV[2]), tonumber(ARGV[3]))
else
  newRow, inserted = pymk_ids_one(id, tonumber(ARGV[2]), tonumber(ARGV[3])), 1
end
local newList, removed = nil, 0
if list then
  newList, removed = pymk_candidates_remove(list, KEYS[2], id, tonumber(ARGV[4]), tonumber(ARGV[5]))
end
local newBeh, behRemoved = nil, 0
if beh then
  newBeh, behRemoved = pymk_candidates_remove(beh, KEYS[3], id, tonumber(ARGV[6]), tonumber(ARGV[7]))
end

if inserted > 0 then
  local ttl = tonumber(ARGV[8])
  if row then
    redis.call('SET', KEYS[1], newRow, 'KEEPTTL')
  elseif ttl > 0 then
    redis.call('SET', KEYS[1], newRow, 'PX', ttl)
  else
    redis.call('SET', KEYS[1], newRow)
  end
end
if removed > 0 then redis.call('SET', KEYS[2], newList, 'KEEPTTL') end
if behRemoved > 0 then redis.call('SET', KEYS[3], newBeh, 'KEEPTTL') end
return { inserted, removed }
