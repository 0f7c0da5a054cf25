--[[
  Claims a lock for one process of a fleet (e.g. the server that repairs a store which lost its data):
  set only when nobody holds it, with an expiry so a holder that died releases it.

  KEYS[1]  the lock key
  ARGV[1]  the claimant's name (stored, for operators to see who holds it)
  ARGV[2]  how long the claim lasts, ms
  Returns  1 when this claimant got the lock, 0 when another holds it.
]]

if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 1
end
return 0
