#!/bin/sh
# Fault: graceful restarts under token load on SQLite.
#
#   sh tests/faults/sqlite-graceful.sh
#
# One IdP on SQLite (tests/e2e/idp.sh, the DBDInitSQL lines of `make run`);
# wrk sends client_credentials token requests on 8 connections for 12 s (a
# new connection per request: tests/faults/close.lua says why) while
# `apache2 -k graceful` runs three times (at 3, 6 and 9 s): new children
# open their connections and prepare the module's statements while the old
# ones still write. Checks: zero failed requests (wrk's non-2xx count and
# its socket errors), each restart made a new generation, and no error from
# the module or mod_dbd in the error log. Prints the figures and
#   E2E faults-sqlite-graceful: <passed> passed, <failed> failed
# Stops and removes everything it started, also on failure. KEEP=1 keeps the
# temporary folder.
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
ADMIN="$TOP/build/oidc-idp-admin"
PYTHON=${PYTHON:-/usr/bin/python3}
DURATION=${FAULT_DURATION:-12}

E2E_NAME=faults-sqlite-graceful
. "$TOP/tests/e2e/lib.sh"

missing=""
[ -x /usr/sbin/apache2 ] || missing="$missing apache2"
ls /usr/lib/*/apr-util-1/apr_dbd_sqlite3*.so >/dev/null 2>&1 || missing="$missing libaprutil1-dbd-sqlite3"
command -v wrk >/dev/null 2>&1 || missing="$missing wrk"
command -v curl >/dev/null 2>&1 || missing="$missing curl"
[ -z "$missing" ] || die "required packages are installed (missing:$missing; run: sh scripts/deps.sh test)"
if [ ! -x "$ADMIN" ] || [ ! -f "$TOP/build/mod_oidc_idp.so" ]; then
    make -C "$TOP" -s all >/dev/null || die "make all"
fi

WORK=$(mktemp -d /tmp/oidp-fault-graceful.XXXXXX)
chmod 0755 "$WORK"
export E2E_DIR="$WORK/nodes"
WRK_PID=""
cleanup() {
    rc=$?
    [ -z "$WRK_PID" ] || kill "$WRK_PID" 2>/dev/null || true
    sh "$TOP/tests/e2e/idp.sh" stop a || true
    if [ "${KEEP:-}" = 1 ]; then echo "# kept $WORK"; else rm -rf "$WORK"; fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

port=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
out=$(sh "$TOP/tests/e2e/idp.sh" start a "$port" sqlite) || die "the IdP starts"
eval "$out"
SECRET=$("$ADMIN" --db "$IDP_DB" client add svc --grant-types client_credentials 2>/dev/null |
    sed -n 's/^client_secret: //p')
[ -n "$SECRET" ] || die "client registered"
ok "the IdP on SQLite at $IDP_URL"

gen() { # the children's process ids, sorted, on one line
    ps -o pid= --ppid "$(cat "$IDP_STATE/httpd.pid")" | sort -n | tr -d ' ' | tr '\n' ' '
}
FAULT_BENCH_LUA="$TOP/bench/wrk/request.lua" BENCH_METHOD=POST BENCH_BODY='grant_type=client_credentials' \
    BENCH_AUTHZ="Basic $(printf 'svc:%s' "$SECRET" | base64 -w0)" \
    wrk -t 2 -c 8 -d "${DURATION}s" -s "$TOP/tests/faults/close.lua" "$IDP_URL/token" \
    >"$WORK/wrk.out" 2>&1 &
WRK_PID=$!
step=$((DURATION / 4))
restarts=0
newgen=0
for i in 1 2 3; do
    sleep "$step"
    before=$(gen)
    /usr/sbin/apache2 -f "$IDP_STATE/httpd.conf" -k graceful && restarts=$((restarts + 1))
    j=0
    while [ "$(gen)" = "$before" ] && [ $j -lt 30 ]; do sleep 0.1; j=$((j + 1)); done
    [ "$(gen)" = "$before" ] || newgen=$((newgen + 1))
done
wait "$WRK_PID" || true
WRK_PID=""
sed 's/^/# /' "$WORK/wrk.out"
line=$(grep '^BENCHJSON' "$WORK/wrk.out" || true)
num() { printf '%s\n' "$line" | sed -n "s/.*\"$1\":\\([0-9.]*\\).*/\\1/p"; }
n=$(num requests)
st=$(num status_errors)
sock=$(( $(num err_connect) + $(num err_read) + $(num err_write) + $(num err_timeout) ))
echo "# $n token requests in ${DURATION} s, $restarts graceful restarts ($newgen new generations seen), $st non-2xx, $sock socket errors, max latency $(num lat_max_ms) ms"
if [ -n "$n" ] && [ "$n" -gt 0 ]; then ok "wrk ran ($n token requests)"; else not_ok "wrk ran"; fi
if [ "$restarts" -eq 3 ] && [ "$newgen" -eq 3 ]; then
    ok "three graceful restarts, each a new generation of children"
else
    not_ok "three graceful restarts, each a new generation of children ($restarts restarts, $newgen new generations)"
fi
if [ "${st:-1}" -eq 0 ] && [ "$sock" -eq 0 ]; then
    ok "zero failed token requests over the restarts"
else
    not_ok "zero failed token requests over the restarts ($st non-2xx, $sock socket errors)"
fi
LOG="$IDP_STATE/error.log"
if grep -E '\[(oidc_idp|dbd):(error|crit|alert|emerg)\]|AH0063[0-9]' "$LOG" >/dev/null; then
    not_ok "no error of the module or mod_dbd logged"
    grep -E '\[(oidc_idp|dbd):(error|crit|alert|emerg)\]|AH0063[0-9]' "$LOG" | head -5 | sed 's/^/# /'
else
    ok "no error of the module or mod_dbd logged"
fi
curl -sf -o /dev/null -u "svc:$SECRET" -d grant_type=client_credentials "$IDP_URL/token" &&
    ok "the IdP serves after the restarts" || not_ok "the IdP serves after the restarts"
finish
