-- The BENCHJSON line bench/run.sh reads after wrk's own report (every wrk script loads this).
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
