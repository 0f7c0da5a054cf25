--[[
  Reads one cached answer (L2) of a user for one limit.

  KEYS[1]  the user's answers (hash: limit → JSON)
  ARGV[1]  the limit (hash field)
  Returns  the answer's JSON, or nil
]]

return redis.call('HGET', KEYS[1], ARGV[1])
