--[[
  Adds an id to one of a user's exclusion rows (connections, blocks or dismissals) and removes it from the
  user's candidate list, atomically. An existing row keeps its TTL; a missing row is created with ARGV[6].

  KEYS[1]  the user's id row (codec 'ids'): connections, blocked or dismissed
  KEYS[2]  the user's candidate list (codec 'candidates'), same hash slot
  ARGV[1]  the other user's dense id
  ARGV[2]  ids codec tag byte
  ARGV[3]  ids codec version
  ARGV[4]  candidates codec tag byte
  ARGV[5]  candidates codec version
  ARGV[6]  TTL in milliseconds for a newly created row (0 = none)
  Returns  { inserted (0/1), candidate rows removed }
  Errors   'PYMK_STORE_INVALID …' when a stored value is not in the expected format.
]]
-- @include "codec.lua"

local id = tonumber(ARGV[1])
local row = redis.call('GET', KEYS[1])
local list = redis.call('GET', KEYS[2])

-- Compute both new values first: a malformed value fails the script before anything is written.
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

if inserted > 0 then
  local ttl = tonumber(ARGV[6])
  if row then
    redis.call('SET', KEYS[1], newRow, 'KEEPTTL')
  elseif ttl > 0 then
    redis.call('SET', KEYS[1], newRow, 'PX', ttl)
  else
    redis.call('SET', KEYS[1], newRow)
  end
end
if removed > 0 then redis.call('SET', KEYS[2], newList, 'KEEPTTL') end
return { inserted, removed }
