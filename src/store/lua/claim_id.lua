--[[
  Claims a dense id for an external user id created online (user.created), unless the external id already
  has one: two deliveries of one event, or two events for one user, end with one id.

  KEYS[1]  the external id's key (<gen>:id:<external>)
  ARGV[1]  the dense id to claim (decimal)
  ARGV[2]  expiry of the id key, ms (0 = none: the ids kind's TTL)
  Returns  the id the external id now has (ARGV[1], or the one it had), as a string.
]]

local had = redis.call('GET', KEYS[1])
if had then
  return had
end
if tonumber(ARGV[2]) > 0 then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
else
  redis.call('SET', KEYS[1], ARGV[1])
end
return ARGV[1]
