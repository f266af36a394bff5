// The Redis backend's Lua scripts. Redis runs each one atomically: it is the
// unit of every state change, whatever replica sends it. Decisions that core/
// owns (backoff, stall and failure rules) are taken in C++ before the call and
// the scripts re-check the lease token, so a decision made on stale data is
// refused instead of applied. docs/storage-format.md ("Redis") lists the keys.
#include "storage/redis_scripts.h"

#include "core/limits.h"

namespace cronq::redis {
namespace {

// Shared helpers. Writes go through zadd/zrem/hincr/hput/snap, which also record
// the inverse operation in the batch's undo journal (ARGV[2]) for Rollback().
constexpr const char* kPrelude = R"LUA(
local P, JK = ARGV[1], ARGV[2]
local function num(x) return string.format('%.0f', x) end
-- The decimal string after the integer string s, formatted once per value and call.
local NEXT = {}
local function next_int(s)
  local r = NEXT[s]
  if not r then r = num(s + 1); NEXT[s] = r end
  return r
end
-- Journal entries are gathered and appended with one RPUSH when the script ends,
-- also when it fails half-way (see ScriptSource). An entry is a packed string, or
-- a table still being filled (one entry for many jobs, e.g. HSETS), packed then.
local UNDO = {}
local function undo(...) if JK ~= '' then UNDO[#UNDO + 1] = cmsgpack.pack({...}) end end
local function flush_undo()
  local es = {}
  for _, e in ipairs(UNDO) do
    if type(e) ~= 'table' then es[#es + 1] = e elseif #e > 1 then es[#es + 1] = cmsgpack.pack(e) end
  end
  for i = 1, #es, 1000 do redis.call('RPUSH', JK, unpack(es, i, math.min(i + 999, #es))) end
  UNDO = {}
end
local function snap(k)
  if JK == '' then return end
  local d = redis.call('DUMP', k)
  if d then undo('RESTORE', k, d) else undo('DEL', k) end
end
local function zadd(k, s, m)
  if JK ~= '' then
    local old = redis.call('ZSCORE', k, m)
    if old then undo('ZADD', k, old, m) else undo('ZREM', k, m) end
  end
  redis.call('ZADD', k, s, m)
end
local function zrem(k, m)
  if JK ~= '' then
    local old = redis.call('ZSCORE', k, m)
    if not old then return end
    undo('ZADD', k, old, m)
  end
  redis.call('ZREM', k, m)
end
local function hincr(k, f, n) undo('HINCRBY', k, f, -n); redis.call('HINCRBY', k, f, n) end
-- Sets fields of hash k from t = {f1, v1, f2, v2, ...}; a value `false` deletes the field.
local function hput(k, t)
  if JK ~= '' then
    local fs = {}
    for i = 1, #t, 2 do fs[#fs + 1] = t[i] end
    local old = redis.call('HMGET', k, unpack(fs))
    local u = {'HFIELDS', k}
    for i, f in ipairs(fs) do u[#u + 1] = f; u[#u + 1] = old[i] end
    undo(unpack(u))
  end
  local set, del = {}, {}
  for i = 1, #t, 2 do
    if t[i + 1] == false then del[#del + 1] = t[i] else set[#set + 1] = t[i]; set[#set + 1] = t[i + 1] end
  end
  if #set > 0 then redis.call('HSET', k, unpack(set)) end
  if #del > 0 then redis.call('HDEL', k, unpack(del)) end
end
-- Length-prefixed fields ("3:abc2:de"), decoded by the C++ side.
local function enc(...)
  local t = {}
  for i = 1, select('#', ...) do
    local v = tostring(select(i, ...))
    t[#t + 1] = #v .. ':' .. v
  end
  return table.concat(t)
end

local function jkey(seq) return P .. 'j/' .. seq end
-- A job's data longer than this lives in its own string key, <job key>/d, and the
-- hash holds 'd' = '' (data is JSON text, never empty): a hash value over
-- hash-max-listpack-value (64 bytes by default) turns the whole hash from a
-- listpack into a hashtable, ~5x the memory (856 against 136 + 168 bytes for a
-- job with 100 bytes of data).
local DATA_INLINE = 64
local function store_data(jk, data)
  if #data <= DATA_INLINE then return data end
  redis.call('SET', jk .. '/d', data)
  return ''
end
local function load_data(jk, d)
  if d ~= '' then return d end
  return redis.call('GET', jk .. '/d') or ''
end
local function qkey(q) return P .. 'q/' .. q end
local function skey(name) return P .. 's/' .. name end
-- Files schedule `name` in sdue (active, with a next slot) and, when its slots
-- may be claimed ahead (overlap allow, ov = 0), in sahead; from its hash.
local function sched_index(name)
  local f = redis.call('HMGET', skey(name), 'paused', 'nd', 'ov')
  if f[1] == '0' and f[2] then
    zadd(P .. 'sdue', f[2], name)
    if f[3] == '0' then zadd(P .. 'sahead', f[2], name) else zrem(P .. 'sahead', name) end
  else
    zrem(P .. 'sdue', name)
    zrem(P .. 'sahead', name)
  end
end
-- Waiting jobs sort by priority (the score), then by sequence: the member is the
-- zero-padded sequence number, and Redis orders equal scores by member.
local function wm(seq) return string.rep('0', 20 - #seq) .. seq end
local function unwm(m) return string.match(m, '^0*(%d+)$') end

-- The index holding a job in state s: (key, member).
local function idx(q, seq, s)
  if s == 0 then return qkey(q) .. '/wait', wm(seq)
  elseif s == 1 then return P .. 'delayed', seq
  elseif s == 2 then return P .. 'active', seq
  elseif s == 3 then return qkey(q) .. '/done', seq end
  return qkey(q) .. '/failed', seq
end
-- A delayed job is in two sets scored by its run_at: the global `delayed` (the
-- due pass, the deadlines) and its queue's <queue>/delayed (a fetch leases the
-- queue's jobs already due before the due pass promotes them).
-- Moves a job between state indexes and counts; from or to may be nil.
local function move(q, seq, from, to, score)
  if from ~= nil then
    local k, m = idx(q, seq, from)
    zrem(k, m)
    if from == 1 then zrem(qkey(q) .. '/delayed', seq) end
    hincr(qkey(q), 'c' .. from, -1)
  end
  if to ~= nil then
    local k, m = idx(q, seq, to)
    zadd(k, score, m)
    if to == 1 then zadd(qkey(q) .. '/delayed', score, seq) end
    hincr(qkey(q), 'c' .. to, 1)
  end
end

local function ensure_queue(q, now)
  local k = qkey(q)
  if redis.call('EXISTS', k) == 0 then
    undo('DEL', k)
    redis.call('HSET', k, 'created', now, 'paused', '0', 'c0', 0, 'c1', 0, 'c2', 0, 'c3', 0, 'c4', 0)
    zadd(P .. 'queues', 0, q)
  end
end

-- A job id as the API sees it -> its sequence number in queue q, or nil.
local function resolve(q, id)
  if string.match(id, '^[1-9]%d*$') then
    if redis.call('HGET', jkey(id), 'q') == q then return id end
    return nil
  end
  local seq = redis.call('HGET', qkey(q) .. '/ids', id)
  if seq then return seq end
  return nil
end

-- Deletes a job and every index entry of it.
local function deljob(seq)
  local jk = jkey(seq)
  local f = redis.call('HMGET', jk, 'q', 's', 'cid')
  if not f[1] then return end
  local q, s = f[1], tonumber(f[2])
  snap(jk); snap(jk .. '/d'); snap(jk .. '/att'); snap(jk .. '/log')
  redis.call('DEL', jk, jk .. '/d', jk .. '/att', jk .. '/log')
  zrem(qkey(q) .. '/all', seq)
  zrem(P .. 'expire', seq)
  move(q, seq, s, nil, 0)
  if f[3] then
    local ik = qkey(q) .. '/ids'
    if JK ~= '' then undo('HSET', ik, f[3], seq) end
    redis.call('HDEL', ik, f[3])
  end
end

-- A fired job finished or went away: record the outcome on its slot, once.
local function settle(sc, sd, status, note)
  if not sc or sc == '' then return end
  local k = skey(sc) .. '/slot/' .. sd
  if redis.call('HGET', k, 's') ~= '0' then return end
  local t = {'s', status}
  if note then t[3] = 'n'; t[4] = note end
  hput(k, t)
end

-- Applies a finished job's retention ("" keep, "r" remove now, "count,age").
local function retain(q, seq, state, keep, now)
  if not keep or keep == '' then return end
  if keep == 'r' then deljob(seq); return end
  local count, age = string.match(keep, '^(%-?%d+),(%-?%d+)$')
  count, age = tonumber(count), tonumber(age)
  if age and age >= 0 then
    hput(jkey(seq), {'ea', num(now + age)})
    zadd(P .. 'expire', now + age, seq)
  end
  if count and count >= 0 then
    local k = state == 3 and qkey(q) .. '/done' or qkey(q) .. '/failed'
    local n = redis.call('ZCARD', k)
    if n > count then
      for _, s in ipairs(redis.call('ZRANGE', k, 0, n - count - 1)) do deljob(s) end
    end
  end
end

-- Adds a job; job fields are ARGV[o .. o+11]: name, data, custom id, priority,
-- delay, attempts, max stalls, backoff, timeout, keep-complete, keep-fail, and
-- which of attempts/backoff take the queue's defaults (fields da/db of q/<queue>).
-- The job waits until `ready` (when after now; a slot claimed ahead) plus its delay.
-- Returns id, duplicate (0/1), state.
local function insert(q, now, o, sc, sd, ready)
  local name, data, cid = ARGV[o], ARGV[o + 1], ARGV[o + 2]
  local prio, delay = tonumber(ARGV[o + 3]), tonumber(ARGV[o + 4])
  local qk = qkey(q)
  if cid ~= '' then
    local ex = redis.call('HGET', qk .. '/ids', cid)
    if ex then return cid, 1, tonumber(redis.call('HGET', jkey(ex), 's')) end
  end
  ensure_queue(q, now)
  -- ARGV[o + 11]: "a" / "b" / "ab", the options the job left to the queue's defaults.
  local am, bo = ARGV[o + 5], ARGV[o + 7]
  local unset = ARGV[o + 11] or ''
  if unset ~= '' then
    local d = redis.call('HMGET', qk, 'da', 'db')
    if d[1] and string.find(unset, 'a', 1, true) then am = d[1] end
    if d[2] and string.find(unset, 'b', 1, true) then bo = d[2] end
  end
  local seq = tostring(redis.call('INCR', P .. 'seq'))  -- never undone: ids are never reused
  local jk = jkey(seq)
  undo('DEL', jk)
  undo('DEL', jk .. '/d')
  local base = now
  if ready and ready > now then base = ready end
  local state = 0
  if delay > 0 or base > now then state = 1 end
  local f = {'q', q, 'n', name, 'd', store_data(jk, data), 's', state, 'p', ARGV[o + 3], 'c', num(now), 'am', am,
             'ms', ARGV[o + 6], 'a', 0, 'st', 0, 'ln', 0}
  local function opt(k, v) if v ~= '' then f[#f + 1] = k; f[#f + 1] = v end end
  opt('cid', cid); opt('b', bo); opt('kc', ARGV[o + 9]); opt('kf', ARGV[o + 10])
  if ARGV[o + 8] ~= '0' then opt('t', ARGV[o + 8]) end
  if delay > 0 then opt('dl', ARGV[o + 4]) end
  if state == 1 then opt('r', num(base + delay)) end
  if sc then opt('sc', sc); opt('sd', sd) end
  redis.call('HSET', jk, unpack(f))
  zadd(qk .. '/all', seq, seq)
  if state == 0 then move(q, seq, nil, 0, prio) else move(q, seq, nil, 1, base + delay) end
  if cid ~= '' then
    undo('HDEL', qk .. '/ids', cid)
    redis.call('HSET', qk .. '/ids', cid, seq)
  end
  if cid ~= '' then return cid, 0, state end
  return seq, 0, state
end
)LUA";

// Adds a run of jobs to one queue, each exactly as insert() would, in order (a
// jobId repeated inside the run is a duplicate of its first occurrence). One call
// for the run: the queue check, the queue's defaults and the sequence numbers are
// read once, the indexes and counters get one command each, and the journal gets
// one ENQ entry for all the new jobs (their sequence numbers are consecutive).
// The jobs' options come once per distinct set (an "option set"), each job naming
// its set. The loop over the jobs passes strings (not numbers) to redis.call,
// builds no table or closure per job, and works out a set's optional fields
// (which depend only on the options and `now`) again only when a job's set
// differs from the job before's.
// ARGV[3] queue, [4] now, [5] S, the number of option sets, then S sets of 9
// fields (insert's priority .. which options take the queue's defaults), then 4
// fields per job: name, data, custom id, its option set (1..S).
// -> {id, duplicate (0/1), state, id, ...}, three entries per job
constexpr const char* kEnqueueLua = R"LUA(
local q, now = ARGV[3], tonumber(ARGV[4])
local qk = qkey(q)
local ik = qk .. '/ids'
local sets = tonumber(ARGV[5])
local jobs = 6 + 9 * sets  -- the first job's offset
local n = (#ARGV - jobs + 1) / 4
-- An option set's offset in ARGV and the state of its jobs (1: delayed).
local function set_at(o) return 6 + 9 * (ARGV[o + 3] - 1) end
local set_state = {}
for i = 1, sets do
  local d = ARGV[6 + 9 * (i - 1) + 1]
  set_state[i] = (d ~= '0' and tonumber(d) > 0) and 1 or 0
end
-- The new jobs: fo[k] their ARGV offset, fi[k] their id's place in out.
local out, fo, fi, nf, first = {}, {}, {}, 0, {}
for i = 0, n - 1 do
  local o = jobs + 4 * i
  local cid = ARGV[o + 2]
  local state = set_state[tonumber(ARGV[o + 3])]
  local seen = cid ~= '' and first[cid]
  local x = #out
  if seen then
    out[x + 1] = cid; out[x + 2] = 1; out[x + 3] = seen
  else
    local ex = cid ~= '' and redis.call('HGET', ik, cid)
    if ex then
      out[x + 1] = cid; out[x + 2] = 1; out[x + 3] = tonumber(redis.call('HGET', jkey(ex), 's'))
    else
      if cid ~= '' then first[cid] = state end
      nf = nf + 1
      fo[nf] = o; fi[nf] = x + 1
      out[x + 1] = cid; out[x + 2] = 0; out[x + 3] = state
    end
  end
end
if nf == 0 then return out end
ensure_queue(q, now)
local defaults = nil
local last = redis.call('INCRBY', P .. 'seq', nf)  -- never undone: ids are never reused
local lo = last - nf + 1
local snow = num(now)
local all, wait, delayed, idpairs, long = {}, {}, {}, {}, {}
-- The journal's entry for every write below but the counters, filled in before
-- them (so a run that fails half-way is undone too): {'ENQ', prefix, queue, first
-- seq, last seq, jobId, ...}. Undoing a write not made yet changes nothing: the
-- seqs and jobIds are new.
local ej = {'ENQ', P, q, num(lo), num(last)}
if JK ~= '' then UNDO[#UNDO + 1] = ej end
-- What the previous job's option set gave: its offset, priority, am, ms, the
-- state string, the optional fields after cid (b, kc, kf, t, dl, r), the delayed
-- score (nil: waiting).
local pso, prio, am, ms, st, opt, r
local zeros = {}
for k = 1, nf do
  local o = fo[k]
  local so = set_at(o)
  if so ~= pso then
    pso = so
    -- The set: priority, delay, attempts, max stalls, backoff, timeout,
    -- keep-complete, keep-fail, and "a" / "b" / "ab": the options the jobs left
    -- to the queue's defaults.
    local d, bo, t, kc, kf, unset = ARGV[so + 1], ARGV[so + 4], ARGV[so + 5], ARGV[so + 6], ARGV[so + 7], ARGV[so + 8]
    prio, am, ms = ARGV[so], ARGV[so + 2], ARGV[so + 3]
    if unset ~= '' then
      defaults = defaults or redis.call('HMGET', qk, 'da', 'db')
      if defaults[1] and string.find(unset, 'a', 1, true) then am = defaults[1] end
      if defaults[2] and string.find(unset, 'b', 1, true) then bo = defaults[2] end
    end
    opt = {}
    if bo ~= '' then opt[#opt + 1] = 'b'; opt[#opt + 1] = bo end
    if kc ~= '' then opt[#opt + 1] = 'kc'; opt[#opt + 1] = kc end
    if kf ~= '' then opt[#opt + 1] = 'kf'; opt[#opt + 1] = kf end
    if t ~= '0' and t ~= '' then opt[#opt + 1] = 't'; opt[#opt + 1] = t end
    r = nil
    st = '0'
    if d ~= '0' and tonumber(d) > 0 then
      r = num(now + tonumber(d))
      opt[#opt + 1] = 'dl'; opt[#opt + 1] = d; opt[#opt + 1] = 'r'; opt[#opt + 1] = r
      st = '1'
    end
  end
  local seq = num(lo + k - 1)
  local jk = P .. 'j/' .. seq
  local cid = ARGV[o + 2]
  -- Long data goes to its own key (store_data), all of the run's in one MSET below.
  local dv = ARGV[o + 1]
  if #dv > DATA_INLINE then
    long[#long + 1] = jk .. '/d'; long[#long + 1] = dv
    dv = ''
  end
  if cid ~= '' then
    redis.call('HSET', jk, 'q', q, 'n', ARGV[o], 'd', dv, 's', st, 'p', prio, 'c', snow, 'am', am,
               'ms', ms, 'a', '0', 'st', '0', 'ln', '0', 'cid', cid, unpack(opt))
    local c = #idpairs
    ej[#ej + 1] = cid; idpairs[c + 1] = cid; idpairs[c + 2] = seq
  else
    redis.call('HSET', jk, 'q', q, 'n', ARGV[o], 'd', dv, 's', st, 'p', prio, 'c', snow, 'am', am,
               'ms', ms, 'a', '0', 'st', '0', 'ln', '0', unpack(opt))
    out[fi[k]] = seq
  end
  all[2 * k - 1] = seq; all[2 * k] = seq
  if r then
    local x = #delayed
    delayed[x + 1] = r; delayed[x + 2] = seq
  else
    local z = zeros[#seq]
    if not z then z = string.rep('0', 20 - #seq); zeros[#seq] = z end
    local x = #wait
    wait[x + 1] = prio; wait[x + 2] = z .. seq
  end
end
if #long > 0 then redis.call('MSET', unpack(long)) end
redis.call('ZADD', qk .. '/all', unpack(all))
if #wait > 0 then
  redis.call('ZADD', qk .. '/wait', unpack(wait))
  hincr(qk, 'c0', #wait / 2)
end
if #delayed > 0 then
  redis.call('ZADD', P .. 'delayed', unpack(delayed))
  redis.call('ZADD', qk .. '/delayed', unpack(delayed))
  hincr(qk, 'c1', #delayed / 2)
end
if #idpairs > 0 then redis.call('HSET', ik, unpack(idpairs)) end
return out
)LUA";

// ARGV[3] queue, [4] now, [5] lock ms, [6] worker, [7] max, [8..] random token
// suffixes, then the push flag and max_active. Lease maths as core/lease.h
// ComputeLease: the lock, cut short by the attempt's timeout.
constexpr const char* kLeaseLua = R"LUA(
local q, now, lock, worker, max = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6], tonumber(ARGV[7])
local qk = qkey(q)
-- ARGV[8 + max]: "1" for cronq's push deliverer. A push queue (field push) serves
-- only it (-1: refused); the deliverer takes nothing from other queues.
-- ARGV[9 + max]: max_active, a cap on the queue's active jobs (c2) across every
-- replica (0: none).
local f0 = redis.call('HMGET', qk, 'paused', 'push', 'c2')
if f0[2] and ARGV[8 + max] ~= '1' then return -1 end
if not f0[2] and ARGV[8 + max] == '1' then return {} end
if f0[1] == '1' then return {} end
local flags = 8 + max
local cap = tonumber(ARGV[flags + 1] or '0')
if cap > 0 then
  local room = cap - tonumber(f0[3] or '0')
  if room <= 0 then return {} end
  if room < max then max = room end
end
-- ARGV[flags + 2], [flags + 3]: a rate limit (max starts per window of ms; 0:
-- none), counted across every replica in the sorted set <queue>/starts (score:
-- start time, member: the lease token).
local rate_max, rate_per = tonumber(ARGV[flags + 2] or '0'), tonumber(ARGV[flags + 3] or '0')
local sk = qk .. '/starts'
if rate_max > 0 then
  redis.call('ZREMRANGEBYSCORE', sk, '-inf', num(now - rate_per))
  local room = rate_max - redis.call('ZCARD', sk)
  if room <= 0 then return {} end
  if room < max then max = room end
end
-- The leased jobs leave `wait` in one ZREMRANGEBYRANK and enter `active` in one
-- ZADD; each job hash is written with one HSET, its journal entry holding the
-- previous values read by the same HMGET that reads the job.
-- The queue's delayed jobs already due are leased as the due pass would leave
-- them once promoted: merged with the waiting ones by (priority, seq).
local wk, dk = qk .. '/wait', qk .. '/delayed'
local head = redis.call('ZRANGE', wk, 0, max - 1, 'WITHSCORES')
local due = redis.call('ZRANGEBYSCORE', dk, '-inf', num(now), 'LIMIT', 0, max)
-- pseq: the picked seqs in lease order; pdue[i]: true for a due delayed one.
local pseq, pdue, nw = {}, {}, #head / 2
if #due > 0 then
  local c = {}
  for i = 1, nw do c[#c + 1] = {tonumber(head[2 * i]), tonumber(unwm(head[2 * i - 1])), unwm(head[2 * i - 1]), 0} end
  for _, seq in ipairs(due) do
    local p = redis.call('HGET', jkey(seq), 'p')
    if p then c[#c + 1] = {tonumber(p), tonumber(seq), seq, 1} else zrem(dk, seq) end
  end
  table.sort(c, function(a, b) if a[1] ~= b[1] then return a[1] < b[1] end return a[2] < b[2] end)
  nw = 0
  for i = 1, math.min(max, #c) do
    pseq[i] = c[i][3]
    pdue[i] = c[i][4] == 1
    if c[i][4] == 0 then nw = nw + 1 end
  end
else
  for i = 1, nw do pseq[i] = unwm(head[2 * i - 1]) end
end
if #pseq == 0 then return {} end
if nw > 0 then  -- the waiting picks are the head of `wait`
  redis.call('ZREMRANGEBYRANK', wk, 0, nw - 1)
  local back = {}
  for i = 1, 2 * nw, 2 do back[#back + 1] = head[i + 1]; back[#back + 1] = head[i] end
  undo('ZADD', wk, unpack(back))
end
-- The loop below runs once per job: it passes strings (not numbers) to
-- redis.call, formats each number once, and gathers the journal's entries for
-- the job hashes into one HSETS entry (packed once, when the script ends), or,
-- for jobs never leased before, into one LEASED0 entry of (key, state) pairs.
local n = #pseq
local out, act, actm = {}, {}, {}
local journal = JK ~= ''
local hj, fresh = {'HSETS'}, {'LEASED0'}
if journal then UNDO[#UNDO + 1] = hj; UNDO[#UNDO + 1] = fresh end
local snow, sexp = num(now), num(now + lock)
for i = 1, n do
  local seq = pseq[i]
  local jk = P .. 'j/' .. seq
  if pdue[i] then
    zrem(P .. 'delayed', seq)
    zrem(dk, seq)
    hput(jk, {'r', false})
  end
  local f = redis.call('HMGET', jk, 'cid', 'n', 'd', 'a', 'am', 't', 'c', 'ln', 'sc', 'sd', 's', 'tk', 'le', 'lt', 'sa',
                       'w')
  f[3] = load_data(jk, f[3] or '')
  local timeout = tonumber(f[6] or '0')
  local exp, byt = sexp, '0'
  if timeout > 0 and timeout <= lock then exp = num(now + timeout); byt = '1' end
  local ln = next_int(f[8])
  local token = ln .. '.' .. ARGV[7 + i]
  if journal and f[8] == '0' and not (f[12] or f[13] or f[14] or f[15] or f[16]) then
    fresh[#fresh + 1] = jk; fresh[#fresh + 1] = f[11]  -- never leased before
  elseif journal then
    local h = #hj
    hj[h + 1] = jk; hj[h + 2] = 7
    hj[h + 3] = 's'; hj[h + 4] = f[11]; hj[h + 5] = 'ln'; hj[h + 6] = f[8]; hj[h + 7] = 'tk'; hj[h + 8] = f[12]
    hj[h + 9] = 'le'; hj[h + 10] = f[13]; hj[h + 11] = 'lt'; hj[h + 12] = f[14]; hj[h + 13] = 'sa'; hj[h + 14] = f[15]
    hj[h + 15] = 'w'; hj[h + 16] = f[16]
  end
  if worker ~= '' then
    redis.call('HSET', jk, 's', '2', 'ln', ln, 'tk', token, 'le', exp, 'lt', byt, 'sa', snow, 'w', worker)
  else
    redis.call('HSET', jk, 's', '2', 'ln', ln, 'tk', token, 'le', exp, 'lt', byt, 'sa', snow)
    if f[16] then redis.call('HDEL', jk, 'w') end
  end
  act[2 * i - 1] = exp; act[2 * i] = seq; actm[i] = seq
  out[i] = {f[1] or seq, f[2], f[3], f[4] + 1, token, exp, f[7], f[6] or '0', f[5], f[9] or '', f[10] or ''}
end
redis.call('ZADD', P .. 'active', unpack(act))
undo('ZREM', P .. 'active', unpack(actm))
if nw > 0 then hincr(qk, 'c0', -nw) end
if n > nw then hincr(qk, 'c1', nw - n) end
hincr(qk, 'c2', n)
if rate_max > 0 then
  local st, stm = {}, {}
  for i = 1, n do st[#st + 1] = snow; st[#st + 1] = out[i][5]; stm[#stm + 1] = out[i][5] end
  redis.call('ZADD', sk, unpack(st))
  redis.call('PEXPIRE', sk, math.max(rate_per, 1))
  undo('ZREM', sk, unpack(stm))
end
return out
)LUA";

// ARGV[3] queue, [4] id, [5] token, [6] now, [7] lock ms, [8] "1" to set
// progress, [9] progress, [10..] log lines. -> {0, expires} | {1} | {2, state}
constexpr const char* kExtendLua = R"LUA(
local q, id, token, now, lock = ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7])
local seq = resolve(q, id)
if not seq then return {1} end
local jk = jkey(seq)
local f = redis.call('HMGET', jk, 's', 'tk', 'sa', 't')
if f[1] ~= '2' or f[2] ~= token then return {2, f[1] or ''} end
local timeout, started = tonumber(f[4] or '0'), tonumber(f[3])
local exp, byt = now + lock, 0
if timeout > 0 and started + timeout <= exp then exp = started + timeout; byt = 1 end
local t = {'le', num(exp), 'lt', byt}
if ARGV[8] == '1' then t[5] = 'pg'; t[6] = ARGV[9] end
hput(jk, t)
zadd(P .. 'active', exp, seq)
if #ARGV >= 10 then
  local lk = jk .. '/log'
  snap(lk)
  for i = 10, #ARGV, 1000 do
    local lines = {}
    for j = i, math.min(i + 999, #ARGV) do lines[#lines + 1] = ARGV[6] .. ' ' .. ARGV[j] end
    redis.call('RPUSH', lk, unpack(lines))
  end
  redis.call('LTRIM', lk, -LOG_LINES, -1)
end
return {0, num(exp)}
)LUA";

// Ends attempts, each under its lease token, in order. ARGV[3] now, [4] "1": only
// if the lease has expired; then 10 fields per attempt: queue, id, token, kind
// (complete | fail | stall), state after, outcome, run_at, message, stack, result.
// [4] "c": completions only, 4 fields each: queue, id, token, result.
// -> one reply per attempt: {0, name, attempt, started_at} | {1} not found |
// {2, state} stale | {3} not expired; then {delayed, expire}: the earliest
// deadline the call added to `delayed` (a retry's run_at) and to `expire` (a
// retention age), 0 for none, so that the caller's kept deadlines stay true.
//
// The job hash and its attempt list are written per attempt (a later entry for
// the same job sees the earlier one's effect). The index moves of a plain job
// (no retention, no schedule slot) are gathered and written once at the end: one
// ZREM from `active`, one ZADD per target index, one HINCRBY per counter, each
// with one journal entry. A job with retention or a slot moves at once, because
// retain() and settle() read the indexes.
constexpr const char* kFinishLua = R"LUA(
local now, only_expired = tonumber(ARGV[3]), ARGV[4] == '1'
local out = {}
local gone, gonem = {}, {}  -- leaving `active`: journal pairs (old score, seq), and the seqs
local adds = {}             -- index key -> {score, member, ...}
local counts, order = {}, {}  -- queue key -> field -> delta
local dmin, emin = 0, 0          -- earliest deadlines added to `delayed` and `expire`
local function earliest(cur, t) if cur == 0 or t < cur then return t end return cur end
local function count(qk, f, d)
  if not counts[qk] then counts[qk] = {}; order[#order + 1] = qk end
  counts[qk][f] = (counts[qk][f] or 0) + d
end
-- The journal entries of the job hashes and attempt lists written between two
-- flush() calls are gathered into one DONE, one HSETS and one RPOPS entry (see
-- flush_undo and kRollback).
local journal = JK ~= ''
local dj, hj, rj
local function gather()
  dj, hj, rj = {'DONE'}, {'HSETS'}, {'RPOPS'}
  if journal then UNDO[#UNDO + 1] = dj; UNDO[#UNDO + 1] = hj; UNDO[#UNDO + 1] = rj end
end
gather()
-- Writes the gathered index moves.
local function flush()
  if #gonem > 0 then
    redis.call('ZREM', P .. 'active', unpack(gonem))
    undo('ZADD', P .. 'active', unpack(gone))
  end
  for k, a in pairs(adds) do
    redis.call('ZADD', k, unpack(a))
    local ms = {}
    for i = 2, #a, 2 do ms[#ms + 1] = a[i] end
    undo('ZREM', k, unpack(ms))
  end
  for _, qk in ipairs(order) do
    for fld, d in pairs(counts[qk]) do
      if d ~= 0 then hincr(qk, fld, d) end
    end
  end
  gone, gonem, adds, counts, order = {}, {}, {}, {}, {}
  gather()  -- later entries come after the ones flushed here
end
local snow = num(now)
-- The job fields read: a completion needs the first 14, the other kinds all.
local fields = {'s', 'tk', 'a', 'sa', 'w', 'n', 'sc', 'sd', 'kc', 'le', 'q', 'lt', 'fa', 'res', 'st', 'kf', 'p', 'fr',
                'stk', 'r'}
-- Where each field written below is in the HMGET's reply (its previous value).
local at = {s = 1, tk = 2, a = 3, le = 10, lt = 12, fa = 13, res = 14, st = 15, fr = 18, stk = 19, r = 20}
-- A field of an attempt record: length-prefixed, the prefixes cached.
local prefixes = {}
local function lp(v)
  local p = prefixes[#v]
  if not p then p = #v .. ':'; prefixes[#v] = p end
  return p .. v
end
local lsnow = lp(snow)
local write, finished
local function one(q, id, token, kind, tos, outcome, runat, msg, stack, result)
  -- resolve() and hput() folded into one HMGET: it checks the queue of a numeric
  -- id and reads the previous values of every field written below.
  local seq = id
  if not string.match(id, '^[1-9]%d*$') then seq = redis.call('HGET', qkey(q) .. '/ids', id) end
  if not seq then return {1} end
  local jk = P .. 'j/' .. seq
  local f = redis.call('HMGET', jk, unpack(fields, 1, kind == 'complete' and 14 or 20))
  if f[11] ~= q then return {1} end
  if f[1] ~= '2' or f[2] ~= token then return {2, f[1] or ''} end
  if only_expired and tonumber(redis.call('ZSCORE', P .. 'active', seq) or '0') > now then return {3} end
  local to = tonumber(tos)
  local sattempt = next_int(f[3])
  local final = to == 3 or to == 4
  if kind == 'complete' and final and not f[13] and not f[14] then
    -- The usual completion (no finished time or result before): its journal
    -- entry is positional, DONE {key, tk, le, lt, a}, restoring s = 2 and
    -- deleting fa and res.
    if journal then
      local d = #dj
      dj[d + 1] = jk; dj[d + 2] = f[2]; dj[d + 3] = f[10]; dj[d + 4] = f[12]; dj[d + 5] = f[3]
    end
    if result ~= '' then
      redis.call('HSET', jk, 's', tos, 'fa', snow, 'a', sattempt, 'res', result)
    else
      redis.call('HSET', jk, 's', tos, 'fa', snow, 'a', sattempt)
    end
    redis.call('HDEL', jk, 'tk', 'le', 'lt')
  else
    write(jk, f, kind, tos, to, final, sattempt, runat, msg, stack, result)
  end
  finished(q, seq, jk, f, kind, to, tos, final, sattempt, outcome, runat, msg, stack)
  return {0, f[6], f[3] + 1, f[4]}
end
-- Writes the job hash of an ended attempt, with its journal entry (HSETS).
write = function(jk, f, kind, tos, to, final, sattempt, runat, msg, stack, result)
  -- The fields written, in pairs; false deletes the field.
  local t = {'s', tos, 'tk', false, 'le', false, 'lt', false, 'fa', final and snow}
  if kind == 'complete' then
    t[11] = 'a'; t[12] = sattempt; t[13] = 'res'; t[14] = result ~= '' and result
  elseif kind == 'fail' then
    t[11] = 'a'; t[12] = sattempt; t[13] = 'fr'; t[14] = msg ~= '' and msg; t[15] = 'stk'; t[16] = stack ~= '' and stack
    t[17] = 'r'; t[18] = to == 1 and runat
  else
    t[11] = 'st'; t[12] = num(f[15] + 1)
    if to == 4 then t[13] = 'fr'; t[14] = msg end
  end
  -- A field absent before and deleted now is left out of the HDEL and the journal.
  local set, del = {jk}, {jk}
  local h = #hj
  local nj = 0
  if journal then hj[h + 1] = jk; hj[h + 2] = 0 end
  for i = 1, #t, 2 do
    local k, v = t[i], t[i + 1]
    local old = f[at[k]]
    if v then set[#set + 1] = k; set[#set + 1] = v elseif old then del[#del + 1] = k end
    if journal and (v or old) then
      nj = nj + 1
      hj[h + 1 + 2 * nj] = k; hj[h + 2 + 2 * nj] = old
    end
  end
  if journal then hj[h + 2] = nj end
  redis.call('HSET', unpack(set))
  if #del > 1 then redis.call('HDEL', unpack(del)) end
end
-- After the job hash: the attempt record, then the index moves (gathered for a
-- plain job, at once for one with retention or a schedule slot).
finished = function(q, seq, jk, f, kind, to, tos, final, sattempt, outcome, runat, msg, stack)
  local score = seq
  if to == 0 then score = f[17] elseif to == 1 then score = runat end
  local ak = jk .. '/att'
  local amsg, astack = msg, stack
  if kind == 'complete' then amsg = '' end
  if kind ~= 'fail' then astack = '' end
  redis.call('RPUSH', ak, lp(sattempt) .. lp(tostring(f[4])) .. lsnow .. lp(outcome) .. lp(amsg) .. lp(astack) ..
                          lp(f[5] or ''))
  if journal then rj[#rj + 1] = ak end
  local keep = f[16]
  if to == 3 then keep = f[9] end
  if to == 1 then dmin = earliest(dmin, tonumber(runat)) end
  if final and keep then
    local age = tonumber(string.match(keep, '^%-?%d+,(%-?%d+)$') or '-1')
    if age >= 0 then emin = earliest(emin, now + age) end
  end
  if (final and keep and keep ~= '') or (f[7] and f[7] ~= '') then
    flush()  -- retain() and settle() read the indexes: bring them up to date first
    move(q, seq, 2, to, score)
    if final then
      local status = 2
      if to == 3 then status = 1 end
      settle(f[7], f[8], status, nil)
      retain(q, seq, to, keep, now)
    end
  else
    gone[#gone + 1] = f[10] or snow; gone[#gone + 1] = seq; gonem[#gonem + 1] = seq
    local k, m = idx(q, seq, to)
    local a = adds[k]
    if not a then a = {}; adds[k] = a end
    a[#a + 1] = score; a[#a + 1] = m
    if to == 1 then
      k = qkey(q) .. '/delayed'
      a = adds[k]
      if not a then a = {}; adds[k] = a end
      a[#a + 1] = score; a[#a + 1] = seq
    end
    local qk = qkey(q)
    count(qk, 'c2', -1)
    count(qk, 'c' .. tos, 1)
  end
end
if ARGV[4] == 'c' then
  for i = 5, #ARGV, 4 do
    out[#out + 1] = one(ARGV[i], ARGV[i + 1], ARGV[i + 2], 'complete', '3', '1', '0', '', '', ARGV[i + 3])
  end
else
  for i = 5, #ARGV, 10 do
    out[#out + 1] = one(ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5], ARGV[i + 6],
                        ARGV[i + 7], ARGV[i + 8], ARGV[i + 9])
  end
end
flush()
out[#out + 1] = {dmin, emin}
return out
)LUA";

// ARGV[3] now, [4] limit -> {promoted, queue...}
constexpr const char* kPromoteDueLua = R"LUA(
local due = redis.call('ZRANGEBYSCORE', P .. 'delayed', '-inf', ARGV[3], 'LIMIT', 0, ARGV[4])
local woken, n = {}, 0
for _, seq in ipairs(due) do
  local jk = jkey(seq)
  local f = redis.call('HMGET', jk, 'q', 'p')
  if f[1] then
    hput(jk, {'s', 0, 'r', false})
    move(f[1], seq, 1, 0, tonumber(f[2]))
    woken[f[1]] = true
    n = n + 1
  else
    zrem(P .. 'delayed', seq)
  end
end
local out = {n}
for q in pairs(woken) do out[#out + 1] = q end
return out
)LUA";

// ARGV[3] now, [4] limit -> removed
constexpr const char* kExpireDueLua = R"LUA(
local old = redis.call('ZRANGEBYSCORE', P .. 'expire', '-inf', ARGV[3], 'LIMIT', 0, ARGV[4])
for _, seq in ipairs(old) do
  if redis.call('EXISTS', jkey(seq)) == 1 then deljob(seq) else zrem(P .. 'expire', seq) end
end
return #old
)LUA";

// ARGV[3] queue, [4] id -> {seq, state, fields...} of the job's lease, or {}
constexpr const char* kLookupLua = R"LUA(
local seq = resolve(ARGV[3], ARGV[4])
if not seq then return {} end
local f = redis.call('HMGET', jkey(seq), 's', 'tk', 'n', 'a', 'am', 'ms', 'st', 'sa', 't', 'b', 'lt', 'le')
return {seq, f[1], f[2] or '', f[3], f[4], f[5], f[6], f[7], f[8] or '0', f[9] or '0', f[10] or '', f[11] or '0',
        f[12] or '0'}
)LUA";

// Operator actions. ARGV[3] queue, [4] id, [5] retry | promote | remove,
// [6] the state the caller saw. -> {0} | {1} not found | {2, state} changed meanwhile
constexpr const char* kOperateLua = R"LUA(
local q, id, op = ARGV[3], ARGV[4], ARGV[5]
local seq = resolve(q, id)
if not seq then return {1} end
local jk = jkey(seq)
local f = redis.call('HMGET', jk, 's', 'p', 'sc', 'sd')
if f[1] ~= ARGV[6] then return {2, f[1]} end
local from = tonumber(f[1])
if op == 'retry' then
  hput(jk, {'s', 0, 'a', 0, 'st', 0, 'fa', false, 'ea', false, 'res', false, 'fr', false, 'stk', false,
            'pg', false, 'w', false})
  zrem(P .. 'expire', seq)
  move(q, seq, from, 0, tonumber(f[2]))
elseif op == 'promote' then
  hput(jk, {'s', 0, 'r', false})
  move(q, seq, from, 0, tonumber(f[2]))
else
  if from == 0 or from == 1 then settle(f[3], f[4], 3, 'job removed') end
  deljob(seq)
end
return {0}
)LUA";

// ARGV[3] queue, [4] now, [5] create | pause | resume | config
constexpr const char* kQueueOpLua = R"LUA(
ensure_queue(ARGV[3], ARGV[4])
if ARGV[5] == 'pause' then hput(qkey(ARGV[3]), {'paused', '1'})
elseif ARGV[5] == 'resume' then hput(qkey(ARGV[3]), {'paused', '0'})
elseif ARGV[5] == 'config' then
  -- [6] push config JSON, [7] job defaults JSON, [8] default attempts, [9] default
  -- backoff (the job field's encoding); '' removes each.
  local function opt(v) if v == '' then return false end return v end
  hput(qkey(ARGV[3]), {'push', opt(ARGV[6]), 'jdef', opt(ARGV[7]), 'da', opt(ARGV[8]), 'db', opt(ARGV[9])})
  if ARGV[6] ~= '' then zadd(P .. 'pushq', 0, ARGV[3]) else zrem(P .. 'pushq', ARGV[3]) end
end
return 0
)LUA";

// ARGV[3] queue -> {} | {paused, c0..c4, created_at of the oldest waiting job, push, jdef}.
// The oldest waiting job is the first of some priority band: visit each band.
constexpr const char* kQueueInfoLua = R"LUA(
local qk = qkey(ARGV[3])
local f = redis.call('HMGET', qk, 'paused', 'c0', 'c1', 'c2', 'c3', 'c4', 'push', 'jdef')
if not f[1] then return {} end
local k, best, guard = qk .. '/wait', nil, 0
local first = redis.call('ZRANGE', k, 0, 0, 'WITHSCORES')
while first[1] and guard < 256 do
  if not best or first[1] < best then best = first[1] end
  first = redis.call('ZRANGEBYSCORE', k, '(' .. first[2], '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
  guard = guard + 1
end
local oldest = '0'
if best then oldest = redis.call('HGET', jkey(unwm(best)), 'c') or '0' end
return {f[1], f[2] or '0', f[3] or '0', f[4] or '0', f[5] or '0', f[6] or '0', oldest, f[7] or '', f[8] or ''}
)LUA";

// ARGV[3] queue, [4] id -> {} | {seq, HGETALL, attempts, logs, data kept apart ('' if none)}
constexpr const char* kGetJobLua = R"LUA(
local seq = resolve(ARGV[3], ARGV[4])
if not seq then return {} end
local jk = jkey(seq)
return {seq, redis.call('HGETALL', jk), redis.call('LRANGE', jk .. '/att', 0, -1), redis.call('LRANGE', jk .. '/log', 0, -1),
        redis.call('GET', jk .. '/d') or ''}
)LUA";

// ARGV[3] name, [4] now, [5] next due ("" none), [6] paused, [7..] field pairs
constexpr const char* kSchedPutLua = R"LUA(
local name, now, nd, paused = ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local k = skey(name)
local t = {'u', now, 'paused', paused}
if nd == '' then t[#t + 1] = 'nd'; t[#t + 1] = false else t[#t + 1] = 'nd'; t[#t + 1] = nd end
for i = 7, #ARGV, 2 do t[#t + 1] = ARGV[i]; t[#t + 1] = ARGV[i + 1] end
if redis.call('EXISTS', k) == 0 then
  undo('DEL', k)
  redis.call('HSET', k, 'cr', now)
  zadd(P .. 'schedules', 0, name)
end
hput(k, t)
sched_index(name)
return 0
)LUA";

// ARGV[3] name, [4] pause | advance, [5] next due ("" none), [6] paused, [7] now -> 0 | 1 not found
constexpr const char* kSchedSetLua = R"LUA(
local name, mode, nd = ARGV[3], ARGV[4], ARGV[5]
local k = skey(name)
if redis.call('EXISTS', k) == 0 then return 1 end
local t = {}
if nd == '' then t = {'nd', false} else t = {'nd', nd} end
if mode == 'pause' then t[3] = 'paused'; t[4] = ARGV[6]; t[5] = 'u'; t[6] = ARGV[7] end
hput(k, t)
sched_index(name)
return 0
)LUA";

// ARGV[3] name -> 0 | 1 not found. Fired jobs stay; the slot history goes.
constexpr const char* kSchedDelLua = R"LUA(
local name = ARGV[3]
local k = skey(name)
if redis.call('EXISTS', k) == 0 then return 1 end
local zk = k .. '/slots'
for _, d in ipairs(redis.call('ZRANGE', zk, 0, -1)) do
  local sk = k .. '/slot/' .. d
  snap(sk)
  redis.call('DEL', sk)
end
snap(zk); snap(k)
redis.call('DEL', zk, k)
zrem(P .. 'schedules', name)
zrem(P .. 'sdue', name)
zrem(P .. 'sahead', name)
return 0
)LUA";

// Claims slot (name, due) once: the slot hash is created only if absent (SET NX
// semantics), and a fired slot's job is enqueued in the same script.
// ARGV[3] name, [4] due, [5] status, [6] queue, [7] note, [8] now, [9] "1": enqueue
// the job in ARGV[11..22], [10] ready_at: after now, the slot is claimed ahead
// (handled at ready_at, its job delayed until then; field c: when claimed).
// -> {0} handled before | {1, job id, job state}
constexpr const char* kClaimLua = R"LUA(
local name, due, status, q, note, now = ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], tonumber(ARGV[8])
local ready = tonumber(ARGV[10])
local k = skey(name)
local sk = k .. '/slot/' .. due
if redis.call('EXISTS', sk) == 1 then return {0} end
undo('DEL', sk)
if ready > now then
  redis.call('HSET', sk, 'h', num(ready), 'c', num(now), 's', status, 'n', note)
else
  redis.call('HSET', sk, 'h', num(now), 's', status, 'n', note)
end
local zk = k .. '/slots'
zadd(zk, due, due)
local out = {1, '', 0}
if status == '0' and ARGV[9] == '1' then
  local id, dup, st = insert(q, now, 11, name, due, ready)
  redis.call('HSET', sk, 'jq', q, 'ji', id)
  if redis.call('EXISTS', k) == 1 then hput(k, {'lq', q, 'li', id}) end
  out = {1, id, st}
end
local n = redis.call('ZCARD', zk)
if n >= SLOT_HISTORY + SLOT_SLACK then
  for _, d in ipairs(redis.call('ZRANGE', zk, 0, n - SLOT_HISTORY - 1)) do
    snap(k .. '/slot/' .. d)
    redis.call('DEL', k .. '/slot/' .. d)
    zrem(zk, d)
  end
end
return out
)LUA";

// Takes back the slots of schedule ARGV[3] claimed ahead and still ahead of
// ARGV[4] (now): each slot due later whose job is still delayed loses its job and
// its slot hash. The schedule's latest job falls back to the newest slot left
// with a job. -> the due instants taken back, earliest first.
constexpr const char* kWithdrawLua = R"LUA(
local name = ARGV[3]
local k = skey(name)
local zk = k .. '/slots'
local out = {}
for _, d in ipairs(redis.call('ZRANGEBYSCORE', zk, '(' .. ARGV[4], '+inf')) do
  local sk = k .. '/slot/' .. d
  local f = redis.call('HMGET', sk, 's', 'jq', 'ji')
  if f[1] == '0' and f[2] and f[3] then
    local seq = resolve(f[2], f[3])
    if seq and redis.call('HGET', jkey(seq), 's') == '1' then
      deljob(seq)
      snap(sk)
      redis.call('DEL', sk)
      zrem(zk, d)
      out[#out + 1] = d
    end
  end
end
if #out > 0 and redis.call('EXISTS', k) == 1 then
  local lq, li = false, false
  for _, d in ipairs(redis.call('ZREVRANGE', zk, 0, -1)) do
    local f = redis.call('HMGET', k .. '/slot/' .. d, 'jq', 'ji')
    if f[2] then lq, li = f[1], f[2]; break end
  end
  hput(k, {'lq', lq, 'li', li})
end
return out
)LUA";

// Appends one audit entry. ARGV[3] at, [4] actor, [5] scope, [6] action, [7] target,
// [8] detail. The member holds the length-prefixed fields, the score the entry's seq.
constexpr const char* kAuditAppendLua = R"LUA(
local seq = redis.call('INCR', P .. 'audit/seq')  -- never undone: seqs are never reused
zadd(P .. 'audit', seq, enc(seq, ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]))
return seq
)LUA";

// Undoes a batch: applies its journal (ARGV[1]) newest entry first, then drops it.
constexpr const char* kRollbackLua = R"LUA(
local JK = ARGV[1]
local es = redis.call('LRANGE', JK, 0, -1)
for i = #es, 1, -1 do
  local e = cmsgpack.unpack(es[i])
  local c = e[1]
  if c == 'RESTORE' then
    redis.call('RESTORE', e[2], 0, e[3], 'REPLACE')
  elseif c == 'HFIELDS' then
    for j = 3, #e, 2 do
      if e[j + 1] then redis.call('HSET', e[2], e[j], e[j + 1]) else redis.call('HDEL', e[2], e[j]) end
    end
  elseif c == 'HSETS' then  -- {'HSETS', key, n, field, value, ... (n pairs), key, n, ...}
    local j = 2
    while j <= #e do
      local k, nf = e[j], e[j + 1]
      for x = j + 2, j + 2 * nf, 2 do
        if e[x + 1] then redis.call('HSET', k, e[x], e[x + 1]) else redis.call('HDEL', k, e[x]) end
      end
      j = j + 2 + 2 * nf
    end
  elseif c == 'RPOPS' then  -- {'RPOPS', key, key, ...}
    for j = 2, #e do redis.call('RPOP', e[j]) end
  elseif c == 'LEASED0' then  -- {'LEASED0', key, state, ...}: jobs leased for the first time
    for j = 2, #e, 2 do
      redis.call('HSET', e[j], 's', e[j + 1], 'ln', '0')
      redis.call('HDEL', e[j], 'tk', 'le', 'lt', 'sa', 'w')
    end
  elseif c == 'ENQ' then  -- {'ENQ', prefix, queue, first seq, last seq, jobId, ...}: jobs enqueued
    local p, qk = e[2], e[2] .. 'q/' .. e[3]
    for x = tonumber(e[4]), tonumber(e[5]) do
      local seq = string.format('%.0f', x)
      redis.call('DEL', p .. 'j/' .. seq, p .. 'j/' .. seq .. '/d')
      redis.call('ZREM', qk .. '/all', seq)
      redis.call('ZREM', qk .. '/wait', string.rep('0', 20 - #seq) .. seq)
      redis.call('ZREM', p .. 'delayed', seq)
      redis.call('ZREM', qk .. '/delayed', seq)
    end
    if #e > 5 then redis.call('HDEL', qk .. '/ids', unpack(e, 6)) end
  elseif c == 'DONE' then  -- {'DONE', key, tk, le, lt, a, ...}: completions (s was 2, no fa or res)
    for j = 2, #e, 5 do
      local k = e[j]
      redis.call('HSET', k, 's', '2', 'tk', e[j + 1])
      for x = 2, 4 do
        local fld = x == 2 and 'le' or x == 3 and 'lt' or 'a'
        if e[j + x] then redis.call('HSET', k, fld, e[j + x]) else redis.call('HDEL', k, fld) end
      end
      redis.call('HDEL', k, 'fa', 'res')
    end
  else
    redis.call(unpack(e))
  end
end
redis.call('DEL', JK)
return #es
)LUA";

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
  return s;
}

}  // namespace

std::string ScriptSource(ScriptId id) {
  static const char* const kBodies[kScriptCount] = {
      kEnqueueLua, kLeaseLua,     kExtendLua, kFinishLua,  kPromoteDueLua, kExpireDueLua,
      kLookupLua,  kOperateLua,   kQueueOpLua, kQueueInfoLua, kGetJobLua, kSchedPutLua,
      kSchedSetLua, kSchedDelLua, kClaimLua,  kWithdrawLua, kAuditAppendLua, kRollbackLua};
  // Scripts that move or remove work run even when Redis is out of memory
  // (maxmemory with noeviction): a worker can always finish or be leased what is
  // queued, so a full Redis drains instead of locking up, and a failed batch can
  // always be undone. Only scripts that add work (enqueue, schedules, slots) are
  // refused then, and cronq answers those 503.
  const bool allow_oom = id == kLease || id == kFinish || id == kPromoteDue || id == kExpireDue || id == kOperate ||
                         id == kRollback;
  std::string s = allow_oom ? "#!lua flags=allow-oom\n" : "";
  if (id == kRollback) return s + kRollbackLua;
  // The body runs as a function so that the gathered journal entries are
  // appended however it ends; an error is raised again after that, so a script
  // that failed half-way can still be undone by Rollback().
  s += std::string(kPrelude) + "local function body()\n" + kBodies[id] +
       "\nend\n"
       "local ok, r = pcall(body)\n"
       "if #UNDO > 0 then\n"
       "  if ok then flush_undo() else pcall(flush_undo) end\n"
       "end\n"
       "if not ok then\n"
       "  if type(r) == 'table' and r.err then return r end\n"  // a refused redis.call: its own error reply
       "  error(r, 0)\n"
       "end\n"
       "return r\n";
  s = Replace(s, "LOG_LINES", std::to_string(limits::kLogLinesPerJob));
  s = Replace(s, "SLOT_HISTORY", "1000");
  s = Replace(s, "SLOT_SLACK", "64");
  return s;
}

}  // namespace cronq::redis
