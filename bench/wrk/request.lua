-- wrk script for every request bench/run.sh measures, GET or POST.
-- Set through the environment by bench/run.sh:
--   BENCH_METHOD  GET (default) or POST
--   BENCH_BODY    the request body of a POST, sent as application/x-www-form-urlencoded
--   BENCH_AUTHZ   a whole Authorization header value ("Basic <base64(id:secret)>"), or empty
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
if method == "POST" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

-- One machine-readable line after wrk's own report.
function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local n = summary.requests
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_s":%.3f,"rps":%.1f,"bytes":%d,"bytes_per_response":%.1f,' ..
    '"lat_mean_ms":%.3f,"lat_p50_ms":%.3f,"lat_p90_ms":%.3f,"lat_p99_ms":%.3f,"lat_max_ms":%.3f,' ..
    '"status_errors":%d,"err_connect":%d,"err_read":%d,"err_write":%d,"err_timeout":%d}\n',
    n, secs, n / secs, summary.bytes, n > 0 and summary.bytes / n or 0,
    latency.mean / 1000, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect, e.read, e.write, e.timeout))
end
