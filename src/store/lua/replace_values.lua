--[[
  Compare-and-set of several values in one atomic step: every KEYS[i] is set to its new value (keeping its
  TTL) only if every KEYS[i] still holds the value the caller read. The caller reads, computes the new
  values in TypeScript (a profile row and a profile pack, StoreWriter.updateProfile) and retries when
  another write came in between. An absent value is passed as '' and stays absent.

  KEYS repeat in groups of 1:
  KEYS[1]      a value the caller read (KEYS[i] for the i-th)
  ARGV[1]      what the caller read of KEYS[1] ('' = absent; ARGV[2i-1] for KEYS[i])
  ARGV[2]      its new value (ARGV[2i] for KEYS[i])
  Returns      1 when written, 0 when any value changed meanwhile (nothing written)
]]
if #ARGV ~= 2 * #KEYS then return redis.error_reply('PYMK_INTERNAL replace_values: ARGV must hold an old and a new value per key') end
for i = 1, #KEYS do
  local v = redis.call('GET', KEYS[i])
  if (v or '') ~= ARGV[2 * i - 1] then return 0 end
end
for i = 1, #KEYS do
  if ARGV[2 * i - 1] ~= '' then redis.call('SET', KEYS[i], ARGV[2 * i], 'KEEPTTL') end
end
return 1
