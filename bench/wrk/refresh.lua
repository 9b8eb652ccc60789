-- wrk script of the refresh test: each request redeems a refresh token and the response's new one
-- (rotation) is queued for a later request. BENCH_RT_FILE holds the starting tokens, one a line, at
-- least as many as connections (bench/flows.py refresh). BENCH_AUTHZ: the client's Basic header.
-- The response() hook costs wrk some CPU: compare this test's ratio, not its absolute rate.
local authz = os.getenv("BENCH_AUTHZ") or ""
local queue, head, tail = {}, 1, 0

function init(args)
  for line in io.lines(os.getenv("BENCH_RT_FILE")) do
    if line ~= "" then tail = tail + 1; queue[tail] = line end
  end
end

function request()
  local rt = ""
  if head <= tail then rt = queue[head]; queue[head] = nil; head = head + 1 end
  return wrk.format("POST", nil, {["Authorization"] = authz, ["Accept"] = "application/json",
    ["Content-Type"] = "application/x-www-form-urlencoded"},
    "grant_type=refresh_token&refresh_token=" .. rt)
end

function response(status, headers, body)
  local rt = body and body:match('"refresh_token":"([^"]+)"')
  if rt then tail = tail + 1; queue[tail] = rt end
end

dofile(os.getenv("BENCH_DONE_LUA"))
