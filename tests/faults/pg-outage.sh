#!/bin/sh
# Fault: PostgreSQL stopped for 10 s under token and login load, then
# started again, with httpd left running.
#
#   sh tests/faults/pg-outage.sh
#
# A throwaway PostgreSQL 15 cluster and one IdP node on it (tests/e2e/idp.sh,
# DBDParams with connect_timeout=3); tests/faults/load.py drives token
# requests (client_credentials, and codes redeemed), introspection of a live
# token, userinfo with a live user token, a signed-in browser asking for
# codes and new browsers signing in, all the time. After 3 s PostgreSQL is
# stopped (pg_ctl -m fast), 10 s later started on the same port. Checks:
# during the outage each request gets a clear 503 (JSON for the APIs, an
# HTML page for people) within a bounded wait (FAULT_BOUND, 5 s), never a
# 401, a 500, "active": false, a login page for the signed-in browser or a
# hang; afterwards every path answers 200 again without restarting httpd;
# every access token answered 200 before, during or after is introspected as
# active. Prints the figures and
#   E2E faults-pg-outage: <passed> passed, <failed> failed
# Stops and removes everything it started, also on failure. KEEP=1 keeps the
# temporary folder.
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
ADMIN="$TOP/build/oidc-idp-admin"
export PYTHONDONTWRITEBYTECODE=1

E2E_NAME=faults-pg-outage
. "$TOP/tests/e2e/lib.sh"
e2e_pg_require

e2e_pg_workdir oidp-fault-pg
RUN="$WORK/run"
mkdir -p "$RUN"
LOAD_PID=""
cleanup() {
    rc=$?
    [ -z "$LOAD_PID" ] || kill "$LOAD_PID" 2>/dev/null || true
    e2e_pg_teardown a
    exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

mark() { echo "$1 $(date +%s.%N)" >>"$RUN/marks"; }

# ---------------------------------------------------------------- PostgreSQL
e2e_pg_init
# connect_timeout: a connection attempt to a database host that drops packets
# gives up after 3 s instead of the kernel's minutes (README.md, storage)
DB="pgsql:host=127.0.0.1 port=$PG_PORT dbname=oidp user=postgres connect_timeout=3"
"$ADMIN" --db "$DB" init >/dev/null || die "oidc-idp-admin init"

out=$(sh "$TOP/tests/e2e/idp.sh" start a "$(free_ports 1)" "$DB") || die "the IdP starts"
eval "$out"
ok "PostgreSQL on 127.0.0.1:$PG_PORT, the IdP at $IDP_URL"

REDIRECT=http://127.0.0.1:9/callback
PASSWORD="pw-$(openssl rand -hex 8)"
printf '%s\n' "$PASSWORD" | "$ADMIN" --db "$DB" user add bob --password-stdin --name "Bob" \
    --email bob@example.com >/dev/null || die "user added"
SECRET=$("$ADMIN" --db "$DB" client add app --first-party --name App --redirect-uri "$REDIRECT" \
    --grant-types "authorization_code refresh_token client_credentials" 2>/dev/null |
    sed -n 's/^client_secret: //p')
[ -n "$SECRET" ] || die "client registered"

# ---------------------------------------------------------------- the outage
"$PYTHON" "$TOP/tests/faults/load.py" pg-outage "$RUN" "$IDP_URL" app "$SECRET" "$REDIRECT" bob \
    "$PASSWORD" >"$RUN/load.out" 2>&1 &
LOAD_PID=$!
i=0
until [ -f "$RUN/ready" ]; do
    i=$((i + 1))
    [ $i -lt 300 ] || break
    sleep 0.1
done
sleep 3
mark fault
as_postgres "$PGBIN/pg_ctl" -D "$PG/data" -m fast -w -t 30 stop >/dev/null 2>&1 || not_ok "PostgreSQL stops"
sleep 10
e2e_pg_start || not_ok "PostgreSQL starts again on port $PG_PORT"
mark cleared
sleep 6
touch "$RUN/stop"
wait "$LOAD_PID" || true
LOAD_PID=""
cat "$RUN/load.out"
passed=$((passed + $(grep -c '^ok ' "$RUN/load.out" || true)))
failed=$((failed + $(grep -c '^not ok ' "$RUN/load.out" || true)))
grep -q '^# faults pg-outage:' "$RUN/load.out" || not_ok "the load driver ran to the end"

# ------------------------------------------------- a restart while idle
# The connections mod_dbd keeps were not used while PostgreSQL was down: the
# first use of each finds it lost (a 503), mod_dbd reconnects it at the next
# acquire, and the module's statements must be prepared again on the new
# session, or that connection fails every request for as long as it lives.
as_postgres "$PGBIN/pg_ctl" -D "$PG/data" -m fast -w -t 30 stop >/dev/null 2>&1 || not_ok "PostgreSQL stops (idle)"
e2e_pg_start || not_ok "PostgreSQL starts again (idle)"
AUTHZ="Basic $(printf 'app:%s' "$SECRET" | base64 -w0)"
wrk_token() { # SECONDS: token requests, 8 connections; prints wrk's report
    BENCH_METHOD=POST BENCH_BODY='grant_type=client_credentials' BENCH_AUTHZ="$AUTHZ"         wrk -t 2 -c 8 -d "$1" -s "$TOP/bench/wrk/request.lua" "$IDP_URL/token" 2>&1
}
# Each lost connection answers one 503 at its first use, whenever that
# comes (a connection little used may first serve seconds later): the
# windows go on until one has no failure, and the failures are at most a
# few per pooled connection; a connection whose statements stayed stale
# would fail in every window.
total=0
clean=
w=0
while [ $w -lt 6 ]; do
    w=$((w + 1))
    out=$(wrk_token 3)
    n=$(printf '%s\n' "$out" | sed -n 's/.*"requests":\([0-9]*\).*"status_errors":\([0-9]*\).*/\1 \2/p')
    echo "# after a restart while idle: window $w (3 s): $n (requests, non-2xx)"
    set -- $n
    [ "${1:-0}" -gt 0 ] || break
    total=$((total + ${2:-0}))
    if [ "${2:-1}" -eq 0 ]; then
        clean=$w
        break
    fi
done
if [ -n "$clean" ] && [ "$total" -le 64 ]; then
    ok "after PostgreSQL restarted while httpd was idle, every connection serves again ($total 503s at first uses, none in window $clean)"
else
    not_ok "after PostgreSQL restarted while httpd was idle, every connection serves again ($total failures, no clean window)"
fi

LOG="$IDP_STATE/error.log"
if grep -E 'unknown client|wrong secret' "$LOG" >/dev/null; then
    not_ok "no client authentication failure logged (a failed query read as no row)"
    grep -E 'unknown client|wrong secret' "$LOG" | head -3 | sed 's/^/# /'
else
    ok "no client authentication failure logged (a failed query read as no row)"
fi
if grep -E 'exit signal|Segmentation|AH00052' "$LOG" >/dev/null; then
    not_ok "no httpd child crashed"
else
    ok "no httpd child crashed"
fi
n503=$(grep -c '" 503 ' "$IDP_STATE/access.log" || true)
n500=$(grep -c '" 500 ' "$IDP_STATE/access.log" || true)
echo "# access log: $(wc -l <"$IDP_STATE/access.log") requests, $n503 answered 503, $n500 answered 500"
finish
