--[[
  Adds an id to, or removes it from, an exclusion row (connections, blocks or dismissals) of one or more
  users, all in one atomic step: a connection or block event on one Redis node is one call holding both
  users' keys, so a crash never leaves half of it. Adding also removes the id from that user's candidate
  list and behavioural features; removing leaves the list alone (a list is only rebuilt by a publish).
  Every value is validated and every new value computed before anything is written. Existing values keep
  their TTLs; a row created by an add gets ARGV[7]. Applying the same call twice changes nothing more.

  KEYS repeat in groups of 3, one group per user (all in one hash slot on a cluster: one group per call):
  KEYS[1]  the user's id row (codec 'ids'): connections, blocked or dismissed
  KEYS[2]  the user's candidate list (codec 'candidates'), same hash slot
  KEYS[3]  the user's behavioural features (codec 'behaviour'), same hash slot
  ARGV[1]  ids codec tag byte
  ARGV[2]  ids codec version
  ARGV[3]  candidates codec tag byte
  ARGV[4]  candidates codec version
  ARGV[5]  behaviour codec tag byte
  ARGV[6]  behaviour codec version
  ARGV[7]  TTL in milliseconds for a newly created row (0 = none)
  ARGV[8]  'add' or 'del'
  ARGV[8+g] the other user's dense id for group g (g = 1 .. #KEYS / 3)
  Returns  { rows changed (ids inserted or deleted), candidate rows removed }, summed over the groups
  Errors   'PYMK_STORE_INVALID …' when a stored value is not in the expected format (nothing is written).
]]
-- @include "codec.lua"

local idsTag, idsVer = tonumber(ARGV[1]), tonumber(ARGV[2])
local candTag, candVer = tonumber(ARGV[3]), tonumber(ARGV[4])
local behTag, behVer = tonumber(ARGV[5]), tonumber(ARGV[6])
local ttl = tonumber(ARGV[7])
local add = ARGV[8] == 'add'
if not add and ARGV[8] ~= 'del' then return redis.error_reply('PYMK_INTERNAL edit_exclusions: op must be add or del, got ' .. tostring(ARGV[8])) end
if #KEYS % 3 ~= 0 or #ARGV ~= 8 + #KEYS / 3 then return redis.error_reply('PYMK_INTERNAL edit_exclusions: KEYS/ARGV counts do not match') end

-- First pass: read and compute everything (a malformed value fails here, before any write).
local writes = {}
local changed, removed = 0, 0
for g = 1, #KEYS / 3 do
  local rowKey, listKey, behKey = KEYS[3 * g - 2], KEYS[3 * g - 1], KEYS[3 * g]
  local id = tonumber(ARGV[8 + g])
  local row = redis.call('GET', rowKey)
  if add then
    local newRow, inserted
    if row then newRow, inserted = pymk_ids_insert(row, rowKey, id, idsTag, idsVer)
    else newRow, inserted = pymk_ids_one(id, idsTag, idsVer), 1 end
    if inserted > 0 then
      writes[#writes + 1] = { rowKey, newRow, row ~= false and row ~= nil }
      changed = changed + 1
    end
    local list = redis.call('GET', listKey)
    if list then
      local newList, n = pymk_candidates_remove(list, listKey, id, candTag, candVer)
      if n > 0 then writes[#writes + 1] = { listKey, newList, true }; removed = removed + n end
    end
    local beh = redis.call('GET', behKey)
    if beh then
      local newBeh, n = pymk_candidates_remove(beh, behKey, id, behTag, behVer)
      if n > 0 then writes[#writes + 1] = { behKey, newBeh, true } end
    end
  elseif row then
    local newRow, deleted = pymk_ids_remove(row, rowKey, id, idsTag, idsVer)
    if deleted > 0 then
      writes[#writes + 1] = { rowKey, newRow, true }
      changed = changed + 1
    end
  end
end

-- Second pass: write (an existing value keeps its TTL).
for _, w in ipairs(writes) do
  if w[3] then redis.call('SET', w[1], w[2], 'KEEPTTL')
  elseif ttl > 0 then redis.call('SET', w[1], w[2], 'PX', ttl)
  else redis.call('SET', w[1], w[2]) end
end
return { changed, removed }
