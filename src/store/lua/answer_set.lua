--[[
  Writes one cached answer (L2) of a user for one limit, and renews the user's expiry. The user's answers
  for every limit are one hash, so an invalidation deletes them all with one DEL.

  KEYS[1]  the user's answers (hash: limit → JSON { version, computedAt, body })
  ARGV[1]  the limit (hash field)
  ARGV[2]  the answer, JSON
  ARGV[3]  expiry of the hash, ms (> 0)
  Returns  1
]]

redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
