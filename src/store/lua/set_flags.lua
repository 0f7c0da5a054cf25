--[[
  Sets profile flag bits (FLAG_DEACTIVATED, FLAG_BANNED) of one user in its profile row and in row 0 (the
  user itself) of its profile pack, atomically when both keys are passed in one call (one Redis node; a
  cluster keeps them in two slots, so it calls once per key). Each value is recognised by its kind tag and
  validated before anything is written; absent values (never published, expired) are left absent. Values
  keep their TTLs. Setting bits that are already set changes nothing.

  KEYS repeat in groups of 1:
  KEYS[1]  a profile row (codec 'profile') or a profile pack (codec 'profiles') of the user
  ARGV[1]  the flag bits to set (OR)
  ARGV[2]  profile codec tag byte
  ARGV[3]  profile codec version
  ARGV[4]  profiles (pack) codec tag byte
  ARGV[5]  profiles (pack) codec version
  ARGV[6]  the user's dense id (row 0 of a pack must be this user)
  Returns  the number of values changed
  Errors   'PYMK_STORE_INVALID …' when a value is of another kind, version or length (nothing is written).
]]
-- @include "codec.lua"

local bits = tonumber(ARGV[1])
local rowTag, rowVer = tonumber(ARGV[2]), tonumber(ARGV[3])
local packTag, packVer = tonumber(ARGV[4]), tonumber(ARGV[5])
local uid = tonumber(ARGV[6])

local function with_bits(old)
  local f = old
  for b = 0, 7 do
    local p = 2 ^ b
    if bits % (2 * p) >= p and f % (2 * p) < p then f = f + p end
  end
  return f
end

local writes = {}
for i = 1, #KEYS do
  local key = KEYS[i]
  local v = redis.call('GET', key)
  if v then
    local pos
    if #v >= 1 and string.byte(v, 1) == rowTag then
      pymk_check_header(v, key, rowTag, rowVer, 'profile')
      if #v ~= 24 then pymk_invalid(key, 'length ' .. #v .. ', a profile row has 24') end
      pos = 20
    else
      pymk_check_header(v, key, packTag, packVer, 'profile pack')
      if #v < 8 then pymk_invalid(key, 'truncated: no count') end
      local n = struct.unpack('<I4', v, 5)
      if n < 1 or #v ~= 8 + 26 * n then pymk_invalid(key, 'length ' .. #v .. ' does not match ' .. n .. ' profile rows') end
      if struct.unpack('<i4', v, 9) ~= uid then pymk_invalid(key, 'row 0 is not user ' .. uid) end
      pos = 9 + 25 * n
    end
    local old = string.byte(v, pos)
    local new = with_bits(old)
    if new ~= old then writes[#writes + 1] = { key, string.sub(v, 1, pos - 1) .. string.char(new) .. string.sub(v, pos + 1) } end
  end
end
for _, w in ipairs(writes) do redis.call('SET', w[1], w[2], 'KEEPTTL') end
return #writes
