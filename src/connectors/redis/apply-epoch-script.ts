/**
 * The Lua script that publishes a Redis sink's prepared entries: it takes the oldest
 * entries of an epoch's sorted set, applies them (latest-value hashes with a TTL,
 * stream entries, channel messages) and removes them, all in one atomic step, so each
 * entry is applied exactly once however often the commit is retried.
 */

/**
 * `KEYS[1]`: the epoch's sorted set (members `<seq>:<entry JSON>`, scored by seq);
 * `ARGV[1]`: the most entries to apply in this call. Returns the entries left.
 *
 * An entry is `{ k?, f?, t?, o?, s?, m?, x?, c?, d? }`: hash key, flat field list,
 * TTL ms, order; stream key, approximate MAXLEN, stream field list; channel, message.
 * The hash is replaced (DEL + HSET) unless it holds an `_order` greater than `o`, so a
 * late update of an older window never hides a newer one. Every key of the chunk is
 * checked first: a key of the wrong type fails the call with an error reply naming
 * it, before anything is written (Redis does not roll back a failed script).
 */
export const APPLY_EPOCH_SCRIPT = `
local members = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
local entries = {}
for i, member in ipairs(members) do
  local colon = string.find(member, ':', 1, true)
  local e = cjson.decode(string.sub(member, colon + 1))
  entries[i] = e
  if e.k then
    local t = redis.call('TYPE', e.k).ok
    if t ~= 'hash' and t ~= 'none' then
      return redis.error_reply('WRONGTYPE key ' .. e.k .. ' holds a ' .. t .. ', not a hash')
    end
  end
  if e.s then
    local t = redis.call('TYPE', e.s).ok
    if t ~= 'stream' and t ~= 'none' then
      return redis.error_reply('WRONGTYPE key ' .. e.s .. ' holds a ' .. t .. ', not a stream')
    end
  end
end
for _, e in ipairs(entries) do
  if e.k then
    local apply = true
    if e.o then
      local current = redis.call('HGET', e.k, '_order')
      if current and tonumber(current) > e.o then apply = false end
    end
    if apply then
      redis.call('DEL', e.k)
      redis.call('HSET', e.k, unpack(e.f))
      if e.t then redis.call('PEXPIRE', e.k, e.t) end
    end
  end
  if e.s then
    redis.call('XADD', e.s, 'MAXLEN', '~', e.m, '*', unpack(e.x))
  end
  if e.c then redis.call('PUBLISH', e.c, e.d) end
end
if #members > 0 then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, #members - 1) end
return redis.call('ZCARD', KEYS[1])
`;
