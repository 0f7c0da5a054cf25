--[[
  The next generation number: never one this store used before, even after it lost its data (a restart
  without persistence, a failover to an empty replica, a FLUSHALL restart the counter at 0). The counter is
  incremented and then raised to at least the publish time in milliseconds, so a publish into an emptied
  store gets a number above every generation published before it (a publish takes far longer than 1 ms, so
  the next one's clock has moved on; the counter covers clocks that did not).

  KEYS[1]  the generation counter (`<prefix>:gen`)
  ARGV[1]  the floor: the publisher's clock in milliseconds since the epoch
  Returns  the new generation (integer).
]]

local g = redis.call('INCR', KEYS[1])
local floor = tonumber(ARGV[1])
if g < floor then
  redis.call('SET', KEYS[1], ARGV[1])
  g = floor
end
return g
