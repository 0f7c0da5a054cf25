--[[
  Shared helpers for the pymk value layouts (see src/store/codec.ts). Included into other scripts by the
  loader (a line `-- @include "codec.lua"`); not a script on its own.
]]

-- Fails the script with a PYMK_STORE_INVALID error naming the key.
local function pymk_invalid(key, what)
  error({ err = 'PYMK_STORE_INVALID stored value ' .. key .. ': ' .. what })
end

-- Checks the two header bytes [tag][version].
local function pymk_check_header(v, key, tag, version, codec)
  if #v < 2 then pymk_invalid(key, 'truncated: no header') end
  if string.byte(v, 1) ~= tag then pymk_invalid(key, 'not a ' .. codec .. ' value') end
  if string.byte(v, 2) ~= version then
    pymk_invalid(key, codec .. ' format version ' .. string.byte(v, 2) .. ', this script knows ' .. version)
  end
end

-- Removes every row whose id is `id` from a 'candidates' or 'behaviour' value (same layout); returns the new
-- value and the count removed.
-- Layout: [tag][version][nfeat][stored][count u32][mask u32] then rows of (2 + stored) 4-byte words.
local function pymk_candidates_remove(v, key, id, tag, version)
  pymk_check_header(v, key, tag, version, 'candidates/behaviour')
  if #v < 12 then pymk_invalid(key, 'truncated: no counts') end
  local stored = string.byte(v, 4)
  local n = struct.unpack('<I4', v, 5)
  local rs = 8 + 4 * stored
  if #v ~= 12 + n * rs then pymk_invalid(key, 'length ' .. #v .. ' does not match ' .. n .. ' candidates') end
  -- The id's 4 bytes found by a plain search; a match counts only at a row start (a feature's bytes can
  -- match too). Kept rows are copied as runs between removed rows, not row by row.
  local needle = struct.pack('<i4', id)
  local runs = {}
  local from, at, removed = 13, 13, 0
  while true do
    local p = string.find(v, needle, at, true)
    if not p then break end
    if (p - 13) % rs == 0 then
      runs[#runs + 1] = string.sub(v, from, p - 1)
      removed = removed + 1
      from = p + rs
      at = from
    else
      at = p + 1
    end
  end
  if removed == 0 then return v, 0 end
  runs[#runs + 1] = string.sub(v, from)
  return string.sub(v, 1, 4) .. struct.pack('<I4', n - removed) .. string.sub(v, 9, 12) .. table.concat(runs), removed
end

-- Finds `id` in an 'ids' value (sorted ascending, no duplicates) after checking its layout; returns the count,
-- the position where `id` is or would go (0-based), and whether it is there.
-- Layout: [tag][version][0][0][count u32] then ids i32.
local function pymk_ids_find(v, key, id, tag, version)
  pymk_check_header(v, key, tag, version, 'ids')
  if #v < 8 then pymk_invalid(key, 'truncated: no count') end
  local n = struct.unpack('<I4', v, 5)
  if #v ~= 8 + 4 * n then pymk_invalid(key, 'length ' .. #v .. ' does not match ' .. n .. ' ids') end
  local lo, hi = 0, n
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if struct.unpack('<i4', v, 9 + 4 * mid) < id then lo = mid + 1 else hi = mid end
  end
  return n, lo, lo < n and struct.unpack('<i4', v, 9 + 4 * lo) == id
end

-- Inserts `id` into an 'ids' value; returns the new value and 1, or v and 0 when it is already there.
local function pymk_ids_insert(v, key, id, tag, version)
  local n, at, found = pymk_ids_find(v, key, id, tag, version)
  if found then return v, 0 end
  return string.sub(v, 1, 4) .. struct.pack('<I4', n + 1) .. string.sub(v, 9, 8 + 4 * at) .. struct.pack('<i4', id)
    .. string.sub(v, 9 + 4 * at), 1
end

-- A new 'ids' value holding one id.
local function pymk_ids_one(id, tag, version)
  return string.char(tag, version, 0, 0) .. struct.pack('<I4i4', 1, id)
end

-- Removes `id` from an 'ids' value; returns the new value and 1, or v and 0 when it is not there.
local function pymk_ids_remove(v, key, id, tag, version)
  local n, at, found = pymk_ids_find(v, key, id, tag, version)
  if not found then return v, 0 end
  return string.sub(v, 1, 4) .. struct.pack('<I4', n - 1) .. string.sub(v, 9, 8 + 4 * at) .. string.sub(v, 13 + 4 * at), 1
end
