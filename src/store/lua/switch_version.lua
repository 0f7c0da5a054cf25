--[[
  Points readers at a new generation, only if the pointer still holds what the publisher read when it
  started (compare-and-set), so two publishes can never overwrite each other's switch unnoticed.

  KEYS[1]  the pointer key (`<prefix>:current`)
  ARGV[1]  the new generation (decimal)
  ARGV[2]  the generation the publisher expects the pointer to hold ('' = no pointer yet)
  Returns  the previous generation ('' when there was none).
  Errors   'PYMK_STORE_CONFLICT …' when the pointer changed meanwhile.
]]

local cur = redis.call('GET', KEYS[1]) or ''
if cur ~= ARGV[2] then
  return redis.error_reply('PYMK_STORE_CONFLICT pointer ' .. KEYS[1] .. ' is ' .. cur .. ', expected ' .. ARGV[2])
end
redis.call('SET', KEYS[1], ARGV[1])
return cur
