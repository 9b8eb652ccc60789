-- wrk script for every request bench/run.sh measures, GET or POST.
-- Set through the environment by bench/run.sh:
--   BENCH_METHOD  GET (default) or POST
--   BENCH_BODY    the request body of a POST, sent as application/x-www-form-urlencoded
--   BENCH_AUTHZ   a whole Authorization header value ("Basic <base64(id:secret)>"), or empty
--   BENCH_HEADER  one more header, "Name: value" (the userinfo test's Bearer token), or empty
--   BENCH_DONE_LUA  bench/wrk/done.lua, the summary line every script ends with (default: beside this file)
-- There is deliberately no response() hook: with one, wrk hands every response to Lua, and that
-- CPU is taken from the server under test on a 2-core machine. wrk itself counts responses with
-- status >= 400 (its "Non-2xx or 3xx responses" line, summary.errors.status); bench/run.sh also
-- compares the bytes per response with the response checked before the run.
local method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY") or ""
local authz = os.getenv("BENCH_AUTHZ") or ""

wrk.method = method
wrk.headers["Accept"] = "application/json"
if authz ~= "" then
  wrk.headers["Authorization"] = authz
end
local extra = os.getenv("BENCH_HEADER") or ""
if extra ~= "" then
  local name, value = extra:match("^([^:]+):%s*(.*)$")
  wrk.headers[name] = value
end
if method == "POST" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

-- done.lua beside this file unless BENCH_DONE_LUA names it (tests/faults load this script too)
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(os.getenv("BENCH_DONE_LUA") or (here .. "done.lua"))
