#!/bin/sh
# End-to-end: two Apache nodes of one deployment on one PostgreSQL.
#
#   sh tests/e2e/multinode.sh
#
# Starts a throwaway PostgreSQL 15 cluster (Debian's binaries, run as the
# postgres user, trust authentication, a free loopback port) and two httpd
# instances with mod_oidc_idp (tests/e2e/idp.sh) on different ports that
# share it, the signing keys and the session passphrase (one SHARED_DIR),
# and one issuer (node B gets node A's through ISSUER), as two nodes behind a
# load balancer would. tests/e2e/multinode/checks.py then sends each request
# to one node's port directly: a code issued by A is redeemed on B, refresh
# tokens rotate across nodes and a replay fails on either, a token revoked
# on one is inactive on the other, a login session ended on one node is
# ended on the other. Everything is stopped and removed at the end, also on
# failure. Prints
#   E2E multinode: <passed> passed, <failed> failed
# and exits non-zero on any failure. KEEP=1 keeps the temporary folder
# (servers stopped).
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
ADMIN="$TOP/build/oidc-idp-admin"
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PYTHON=${PYTHON:-/usr/bin/python3}   # Debian's, with python3-requests
export PYTHONDONTWRITEBYTECODE=1   # no __pycache__ in the tree

E2E_NAME=multinode
. "$TOP/tests/e2e/lib.sh"

# What this test needs is installed by scripts/deps.sh; missing is a failure.
missing=""
for t in initdb pg_ctl postgres psql; do
    [ -x "$PGBIN/$t" ] || { missing="$missing postgresql($t)"; break; }
done
[ "$(id -u)" != 0 ] || id postgres >/dev/null 2>&1 || missing="$missing postgresql(user)"
ls /usr/lib/*/apr-util-1/apr_dbd_pgsql*.so >/dev/null 2>&1 || missing="$missing libaprutil1-dbd-pgsql"
[ -x /usr/sbin/apache2 ] || missing="$missing apache2"
"$PYTHON" -c 'import requests' 2>/dev/null || missing="$missing python3-requests"
"$PYTHON" -c 'import cryptography' 2>/dev/null || missing="$missing python3-cryptography"
command -v curl >/dev/null 2>&1 || missing="$missing curl"
[ -z "$missing" ] || die "required packages are installed (missing:$missing; run: sh scripts/deps.sh test)"
if [ ! -x "$ADMIN" ] || [ ! -f "$TOP/build/mod_oidc_idp.so" ]; then
    make -C "$TOP" -s all >/dev/null || die "make all"
fi

as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

WORK=$(mktemp -d /tmp/oidp-e2e-multi.XXXXXX)
chmod 0755 "$WORK"
export E2E_DIR="$WORK/nodes"
PG="$WORK/pg"
mkdir -p "$PG"
[ "$(id -u)" = 0 ] && chown postgres: "$PG"
chmod 0700 "$PG"
cleanup() {
    rc=$?
    sh "$TOP/tests/e2e/idp.sh" stop a || true
    sh "$TOP/tests/e2e/idp.sh" stop b || true
    if [ -f "$PG/data/postmaster.pid" ]; then
        as_postgres "$PGBIN/pg_ctl" -D "$PG/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || {
            pid=$(head -n 1 "$PG/data/postmaster.pid" 2>/dev/null || true)
            if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null || true; fi
        }
    fi
    if [ "${KEEP:-}" = 1 ]; then echo "# kept $WORK"; else rm -rf "$WORK"; fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

free_ports() { # N distinct free loopback ports, held together while chosen
    "$PYTHON" -c '
import socket, sys
ss = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))' "$1"
}

# ---------------------------------------------------------------- PostgreSQL
t0=$(date +%s)
if ! as_postgres "$PGBIN/initdb" -D "$PG/data" -U postgres -A trust -E UTF8 --no-locale --no-sync \
    >"$PG/initdb.log" 2>&1; then
    sed 's/^/# /' "$PG/initdb.log"
    die "initdb"
fi
tries=0
while :; do
    PG_PORT=$(free_ports 1)
    if as_postgres "$PGBIN/pg_ctl" -D "$PG/data" -l "$PG/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null 2>&1; then
        break
    fi
    tries=$((tries + 1))
    if [ $tries -ge 3 ]; then
        sed 's/^/# /' "$PG/server.log"
        die "PostgreSQL starts"
    fi
done
"$PGBIN/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -c "CREATE DATABASE oidp" || die "CREATE DATABASE"
DB="pgsql:host=127.0.0.1 port=$PG_PORT dbname=oidp user=postgres"
ok "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT ($(($(date +%s) - t0)) s)"
"$ADMIN" --db "$DB" init >/dev/null || die "oidc-idp-admin --db '$DB' init"
ok "oidc-idp-admin init: the schema on PostgreSQL"

# ---------------------------------------------------------------- two nodes
# shellcheck disable=SC2046
set -- $(free_ports 2)
unset ISSUER
out=$(sh "$TOP/tests/e2e/idp.sh" start a "$1" "$DB" "" "$WORK/shared") || die "node A starts"
eval "$out"
A_URL=$IDP_URL
ISSUER_URL=$IDP_ISSUER
out=$(ISSUER=$ISSUER_URL sh "$TOP/tests/e2e/idp.sh" start b "$2" "$DB" "" "$WORK/shared") || die "node B starts"
eval "$out"
B_URL=$IDP_URL
if [ "$IDP_ISSUER" = "$ISSUER_URL" ] && [ "$A_URL" != "$B_URL" ]; then
    ok "node A at $A_URL and node B at $B_URL, one issuer $ISSUER_URL"
else
    not_ok "two nodes with one issuer (A $A_URL, B $B_URL, issuer of B $IDP_ISSUER)"
fi

USERNAME=bob
PASSWORD="pw-$(openssl rand -hex 8)"
printf '%s\n' "$PASSWORD" | "$ADMIN" --db "$DB" user add "$USERNAME" --password-stdin \
    --name "Bob Builder" --email bob@example.com --email-verified >/dev/null || die "user added"
REDIRECT=http://127.0.0.1:9/callback        # never contacted: the checks stop at the redirect
POST_LOGOUT=http://127.0.0.1:9/signed-out
SECRET=$("$ADMIN" --db "$DB" client add app --first-party --name "App" \
    --redirect-uri "$REDIRECT" --post-logout-uri "$POST_LOGOUT" \
    --grant-types "authorization_code refresh_token" 2>/dev/null | sed -n 's/^client_secret: //p')
if [ -n "$SECRET" ]; then ok "client and user registered in PostgreSQL"; else not_ok "client registered"; fi

# ---------------------------------------------------------------- checks
out=$("$PYTHON" "$TOP/tests/e2e/multinode/checks.py" "$A_URL" "$B_URL" "$ISSUER_URL" app "$SECRET" \
    "$REDIRECT" "$POST_LOGOUT" "$USERNAME" "$PASSWORD") || true
printf '%s\n' "$out"
passed=$((passed + $(printf '%s\n' "$out" | grep -c '^ok ' || true)))
failed=$((failed + $(printf '%s\n' "$out" | grep -c '^not ok ' || true)))
printf '%s\n' "$out" | grep -q '^# multinode:' || not_ok "the checks ran to the end"

# both nodes really served requests, and neither logged an error
for n in a b; do
    hits=$(grep -c '"POST /api/login/oauth/access_token' "$E2E_DIR/$n/access.log" 2>/dev/null || true)
    if [ "${hits:-0}" -gt 0 ]; then ok "node $n served $hits token requests"; else not_ok "node $n served token requests"; fi
done
if grep -hE '\[(oidc_idp|dbd):(error|crit|alert|emerg)\]' "$E2E_DIR/a/error.log" "$E2E_DIR/b/error.log" >/dev/null 2>&1; then
    not_ok "no errors in the nodes' error logs"
    grep -hE '\[(oidc_idp|dbd):(error|crit|alert|emerg)\]' "$E2E_DIR/a/error.log" "$E2E_DIR/b/error.log" | sed 's/^/# /' | head -20
else
    ok "no errors in the nodes' error logs"
fi

finish
