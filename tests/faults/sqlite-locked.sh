#!/bin/sh
# Fault: the SQLite database locked by another writer for longer than the
# busy timeout.
#
#   sh tests/faults/sqlite-locked.sh
#
# One IdP on SQLite (tests/e2e/idp.sh: WAL, DBDInitSQL busy_timeout 5000);
# tests/faults/load.py drives token requests, introspection and sign-ins.
# After 3 s another process (python3's sqlite3) takes the write lock
# (BEGIN EXCLUSIVE) and holds it for 10 s, twice the busy timeout, then
# rolls back. Checks: a request that needs to write waits at most the busy
# timeout and a little (FAULT_BOUND, 10 s), then gets a clear 503 (JSON for
# the APIs, a page for people), never a 500, a wrong answer or a hang;
# readers are not failed; once the lock is released every path answers 200
# again; every access token answered 200 is introspected as active. Prints
# the figures and
#   E2E faults-sqlite-locked: <passed> passed, <failed> failed
# Stops and removes everything it started, also on failure. KEEP=1 keeps the
# temporary folder.
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
ADMIN="$TOP/build/oidc-idp-admin"
PYTHON=${PYTHON:-/usr/bin/python3}
HOLD=${FAULT_HOLD:-10}
export PYTHONDONTWRITEBYTECODE=1
export FAULT_BOUND=${FAULT_BOUND:-10}

E2E_NAME=faults-sqlite-locked
. "$TOP/tests/e2e/lib.sh"

missing=""
[ -x /usr/sbin/apache2 ] || missing="$missing apache2"
ls /usr/lib/*/apr-util-1/apr_dbd_sqlite3*.so >/dev/null 2>&1 || missing="$missing libaprutil1-dbd-sqlite3"
"$PYTHON" -c 'import requests, sqlite3' 2>/dev/null || missing="$missing python3-requests"
command -v curl >/dev/null 2>&1 || missing="$missing curl"
[ -z "$missing" ] || die "required packages are installed (missing:$missing; run: sh scripts/deps.sh test)"
if [ ! -x "$ADMIN" ] || [ ! -f "$TOP/build/mod_oidc_idp.so" ]; then
    make -C "$TOP" -s all >/dev/null || die "make all"
fi

WORK=$(mktemp -d /tmp/oidp-fault-locked.XXXXXX)
chmod 0755 "$WORK"
export E2E_DIR="$WORK/nodes"
RUN="$WORK/run"
mkdir -p "$RUN"
LOAD_PID=""
HOLD_PID=""
cleanup() {
    rc=$?
    [ -z "$HOLD_PID" ] || kill "$HOLD_PID" 2>/dev/null || true
    [ -z "$LOAD_PID" ] || kill "$LOAD_PID" 2>/dev/null || true
    sh "$TOP/tests/e2e/idp.sh" stop a || true
    if [ "${KEEP:-}" = 1 ]; then echo "# kept $WORK"; else rm -rf "$WORK"; fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
mark() { echo "$1 $(date +%s.%N)" >>"$RUN/marks"; }

port=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
out=$(sh "$TOP/tests/e2e/idp.sh" start a "$port" sqlite) || die "the IdP starts"
eval "$out"
DBFILE=${IDP_DB#sqlite3:}
REDIRECT=http://127.0.0.1:9/callback
PASSWORD="pw-$(openssl rand -hex 8)"
printf '%s\n' "$PASSWORD" | "$ADMIN" --db "$IDP_DB" user add bob --password-stdin --name Bob >/dev/null ||
    die "user added"
SECRET=$("$ADMIN" --db "$IDP_DB" client add app --first-party --name App --redirect-uri "$REDIRECT" \
    --grant-types "authorization_code refresh_token client_credentials" 2>/dev/null |
    sed -n 's/^client_secret: //p')
[ -n "$SECRET" ] || die "client registered"
ok "the IdP on SQLite at $IDP_URL"

"$PYTHON" "$TOP/tests/faults/load.py" sqlite-locked "$RUN" "$IDP_URL" app "$SECRET" "$REDIRECT" bob \
    "$PASSWORD" >"$RUN/load.out" 2>&1 &
LOAD_PID=$!
i=0
until [ -f "$RUN/ready" ]; do
    i=$((i + 1))
    [ $i -lt 300 ] || break
    sleep 0.1
done
sleep 3
# the other writer: holds the write lock, says when it has it and when it let go
"$PYTHON" -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
c.execute("ROLLBACK")
print("released", flush=True)' "$DBFILE" "$HOLD" >"$RUN/holder.out" 2>&1 &
HOLD_PID=$!
i=0
until grep -q locked "$RUN/holder.out" 2>/dev/null || [ $i -ge 300 ]; do sleep 0.05; i=$((i + 1)); done
mark fault
wait "$HOLD_PID" || true
HOLD_PID=""
mark cleared
grep -q released "$RUN/holder.out" && ok "another writer held the database locked for $HOLD s" ||
    { not_ok "another writer held the database locked"; sed 's/^/# /' "$RUN/holder.out"; }
sleep 6
touch "$RUN/stop"
wait "$LOAD_PID" || true
LOAD_PID=""
cat "$RUN/load.out"
passed=$((passed + $(grep -c '^ok ' "$RUN/load.out" || true)))
failed=$((failed + $(grep -c '^not ok ' "$RUN/load.out" || true)))
grep -q '^# faults sqlite-locked:' "$RUN/load.out" || not_ok "the load driver ran to the end"
LOG="$IDP_STATE/error.log"
if grep -E 'exit signal|Segmentation' "$LOG" >/dev/null; then not_ok "no httpd child crashed"; else ok "no httpd child crashed"; fi
echo "# access log: $(wc -l <"$IDP_STATE/access.log") requests, $(grep -c '" 503 ' "$IDP_STATE/access.log" || true) answered 503, $(grep -c '" 500 ' "$IDP_STATE/access.log" || true) answered 500"
finish
