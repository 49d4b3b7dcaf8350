-- wrk script of benches/compare/run.sh: POSTs one GraphQL scenario, with random ids.
--
--   SCENARIO=ours_a IDS_FILE=ids.txt QUERIES_FILE=queries.txt wrk -s wrk.lua http://127.0.0.1:4011/graphql
--
-- SCENARIO     ours_a | pgl_a | ours_b | pgl_b | ours_c | ours_d (see queries.txt)
-- IDS_FILE     campaign ids, one per line (the random ids are drawn from it)
-- QUERIES_FILE the documents, `<name>: <document>` per line
-- ENTITIES     representations per `_entities` request (ours_c), 50 by default
--
-- A response that is not HTTP 200 or that carries GraphQL `errors` counts as bad;
-- done() prints one `WRKRESULT key=value …` line that run.sh parses.

local scenario = os.getenv("SCENARIO") or error("SCENARIO is not set")
local ids_file = os.getenv("IDS_FILE") or error("IDS_FILE is not set")
local queries_file = os.getenv("QUERIES_FILE") or error("QUERIES_FILE is not set")
local entities = tonumber(os.getenv("ENTITIES") or "50")

local function json_string(s)
  return '"' .. s:gsub('\\', '\\\\'):gsub('"', '\\"') .. '"'
end

local query
for line in io.lines(queries_file) do
  local name, document = line:match("^([%w_]+):%s*(.+)$")
  if name == scenario then query = document end
end
if not query then error("no query named " .. scenario .. " in " .. queries_file) end
local query_json = json_string(query)

local ids = {}
for line in io.lines(ids_file) do
  if #line > 0 then ids[#ids + 1] = line end
end
if #ids == 0 then error("no ids in " .. ids_file) end

local function random_id()
  return ids[math.random(#ids)]
end

local function body_with(variables)
  return '{"query":' .. query_json .. ',"variables":' .. variables .. '}'
end

local builders = {
  ours_a = function() return body_with('{"id":"' .. random_id() .. '"}') end,
  pgl_a = function() return body_with('{"id":"' .. random_id() .. '"}') end,
  ours_c = function()
    local reps = {}
    for i = 1, entities do
      reps[i] = '{"__typename":"Campaign","id":"' .. random_id() .. '"}'
    end
    return body_with('{"r":[' .. table.concat(reps, ",") .. ']}')
  end,
  ours_d = function()
    -- A new random value: the patch is an effective change (a new version) each time.
    return body_with('{"id":"' .. random_id() .. '","patch":{"counter":' .. math.random(1, 1000000000) .. '}}')
  end,
}
local constant_body = body_with('{}')
local build = builders[scenario] or function() return constant_body end

local headers = { ["Content-Type"] = "application/json", ["Accept"] = "application/json" }

-- Main state: one entry per thread, to read their counters in done().
local threads = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_no", thread_count)
  table.insert(threads, thread)
end

-- Thread states.
bad = 0
first_bad = nil

function init(args)
  math.randomseed(os.time() * 1000 + (thread_no or 0) * 7919)
end

function request()
  return wrk.format("POST", nil, headers, build())
end

function response(status, headers, body)
  if status ~= 200 or body:find('"errors"', 1, true) then
    bad = bad + 1
    if not first_bad then first_bad = status .. " " .. body:sub(1, 300) end
  end
end

function done(summary, latency, requests)
  local total_bad = 0
  local sample = ""
  for _, thread in ipairs(threads) do
    total_bad = total_bad + (thread:get("bad") or 0)
    local first = thread:get("first_bad")
    if first and sample == "" then sample = first end
  end
  local e = summary.errors
  io.write(string.format(
    "WRKRESULT requests=%d duration_us=%d bad=%d socket_errors=%d non2xx=%d timeouts=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, total_bad, e.connect + e.read + e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
  if sample ~= "" then
    io.write("WRKBAD " .. sample:gsub("\n", " ") .. "\n")
  end
end
