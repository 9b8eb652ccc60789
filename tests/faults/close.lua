-- bench/wrk/request.lua (its environment and its BENCHJSON line), each
-- request on a new connection: a graceful restart closes the idle
-- keep-alive connections of the old children, and a request sent on one at
-- that moment gets no answer (wrk: a read error) whatever the module does.
-- FAULT_BENCH_LUA is the path of bench/wrk/request.lua.
dofile(os.getenv("FAULT_BENCH_LUA"))
wrk.headers["Connection"] = "close"
