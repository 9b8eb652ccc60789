-- wrk script of the browser-less code flow: GET /authorize with a signed-in session and
-- prompt=none (answered 302 with a code), then POST /token redeeming that code (PKCE S256 with the
-- fixed verifier of bench/flows.py). One flow = two requests. Set by bench/run.sh:
--   BENCH_COOKIE  the session's Cookie header     BENCH_AUTHZ  the client's Basic header
--   BENCH_AUTHZ_QUERY  the authorization request's query string (prompt=none included)
--   BENCH_REDIRECT     its redirect_uri (form-encoded)
local cookie = os.getenv("BENCH_COOKIE") or ""
local authz = os.getenv("BENCH_AUTHZ") or ""
local query = os.getenv("BENCH_AUTHZ_QUERY") or ""
local redirect = os.getenv("BENCH_REDIRECT") or ""
local verifier = "bench-verifier-0123456789-abcdefghijklmnopqrstuvwxyz"
local codes, head, tail = {}, 1, 0

function request()
  if head <= tail then
    local code = codes[head]; codes[head] = nil; head = head + 1
    return wrk.format("POST", "/token", {["Authorization"] = authz, ["Accept"] = "application/json",
      ["Content-Type"] = "application/x-www-form-urlencoded"},
      "grant_type=authorization_code&code=" .. code .. "&redirect_uri=" .. redirect ..
      "&code_verifier=" .. verifier)
  end
  return wrk.format("GET", "/authorize?" .. query, {["Cookie"] = cookie})
end

function response(status, headers, body)
  if status == 302 then
    local code = (headers["Location"] or ""):match("[?&]code=([^&]+)")
    if code then tail = tail + 1; codes[tail] = code end
  end
end

dofile(os.getenv("BENCH_DONE_LUA"))
