-- wrk script template; bench.py fills in the users (id, bearer header, task ids) and the
-- scenario. Every request string is built once in init(), so the client spends its CPU on
-- sending, not on Lua.
--
--   list   GET   /api/{u}/tasks                      users in turn
--   get    GET   /api/{u}/tasks/{id}                 random user, random task of theirs
--   create POST  /api/{u}/tasks  {"title": ...}      users in turn
--   toggle PATCH /api/{u}/tasks/{id}/complete        random user, random task of theirs
--   mix    70% list, 10% get, 10% create, 10% toggle (a fixed cycle of ten)
--   keyed  POST  /api/{u}/tasks  as create, with an Idempotency-Key of its own each time
--          (built per request: the key differs)

local users = {
--USERS--
}
local scenario = --SCENARIO--

local list, create, by_task = {}, {}, {}
local CREATE_BODY = '{"title":"Benchmark task","description":null}'
local run_id = 0
local get, toggle = {}, {}
local counter = 0

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

-- wrk.init sets the Host header, then calls this.
function init(args)
  for i, user in ipairs(users) do
    local headers = { ["Authorization"] = user.auth }
    list[i] = wrk.format("GET", "/api/" .. user.id .. "/tasks", headers)
    local json_headers = { ["Authorization"] = user.auth, ["Content-Type"] = "application/json" }
    create[i] = wrk.format("POST", "/api/" .. user.id .. "/tasks", json_headers, CREATE_BODY)
    for _, id in ipairs(user.ids) do
      local base = "/api/" .. user.id .. "/tasks/" .. id
      table.insert(get, wrk.format("GET", base, headers))
      table.insert(toggle, wrk.format("PATCH", base .. "/complete", headers))
    end
  end
  -- Threads start at different users; random choices differ per thread.
  counter = thread_index * 37
  math.randomseed(os.time() + thread_index * 7919)
  run_id = os.time()
end

local function next_list()
  counter = counter + 1
  return list[(counter % #list) + 1]
end

local function next_create()
  counter = counter + 1
  return create[(counter % #create) + 1]
end

local function next_keyed_create()
  counter = counter + 1
  local user = users[(counter % #users) + 1]
  return wrk.format("POST", "/api/" .. user.id .. "/tasks", {
    ["Authorization"] = user.auth,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = string.format("bench-%d-%d-%d", run_id, thread_index, counter),
  }, CREATE_BODY)
end

local cycle = 0
local function next_mix()
  cycle = (cycle % 10) + 1
  if cycle <= 7 then return next_list() end
  if cycle == 8 then return get[math.random(#get)] end
  if cycle == 9 then return next_create() end
  return toggle[math.random(#toggle)]
end

request = ({
  list = next_list,
  get = function() return get[math.random(#get)] end,
  create = next_create,
  keyed = next_keyed_create,
  toggle = function() return toggle[math.random(#toggle)] end,
  mix = next_mix,
})[scenario]

-- Machine-readable summary for bench.py; wrk counts responses with status >= 400 as
-- `status` errors (bench.py checks the exact 2xx codes separately).
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max))
end
