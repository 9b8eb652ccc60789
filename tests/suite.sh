#!/bin/sh
# One run of the Apache::Test suite against one store:
#   sh tests/suite.sh sqlite3|pgsql [TEST.PL arguments, e.g. 200-token-errors.t -verbose]
#
# Makes a per-run state folder under /tmp (signing keys generated now, never
# committed; the database; the DocumentRoot; dbd.conf), starts PostgreSQL
# for pgsql (tests/pg.sh), runs tests/TEST.PL (which starts httpd, runs the
# .t files and stops httpd), and removes everything it made, also on failure
# or interruption. As root, httpd's workers run as nobody: the database
# folder is theirs, the state folder is searchable by them, and nothing they
# need lies in the clone (which may sit under a folder they cannot enter).
# The summary line is printed by TEST.PL; OIDP_TEST_SUMMARY=file also gets
# it in key=value form (tests/run-all.sh reads it).
# OIDP_TEST_MODULE=FILE loads another build of the module (default
# build/mod_oidc_idp.so) and OIDP_TEST_HTTPD=PROGRAM runs another httpd
# (default /usr/sbin/apache2), e.g. a wrapper that sets its environment:
# tests/asan.sh runs the suite so against build/asan/mod_oidc_idp.so.
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
backend=${1:-}
case $backend in
sqlite3 | pgsql) shift ;;
*) echo "usage: $0 sqlite3|pgsql [TEST.PL arguments]" >&2; exit 1 ;;
esac

ADMIN=$TOP/build/oidc-idp-admin
MODULE=${OIDP_TEST_MODULE:-$TOP/build/mod_oidc_idp.so}
for f in "$MODULE" "$ADMIN"; do
    [ -x "$f" ] || [ -f "$f" ] || { echo "suite: $f is missing: run make all" >&2; exit 1; }
done
APXS=${APXS:-/usr/bin/apxs}
MODULES=$("$APXS" -q LIBEXECDIR) || { echo "suite: $APXS is missing (apache2-dev)" >&2; exit 1; }
[ -f "$MODULES/mod_dbd.so" ] || { echo "suite: $MODULES/mod_dbd.so is missing (apache2)" >&2; exit 1; }
for m in sqlite3 pgsql; do
    # apr-util's DBD drivers are loaded by name at run time: check they exist
    [ "$backend" != "$m" ] || ls /usr/lib/*/apr-util-1/apr_dbd_"$m"*.so >/dev/null 2>&1 ||
        { echo "suite: apr-util's $m driver is missing (libaprutil1-dbd-$m)" >&2; exit 1; }
done

if [ "$(id -u)" = 0 ]; then
    run_user=${APACHE_TEST_USER:-nobody}
    run_group=${APACHE_TEST_GROUP:-$(id -gn "$run_user")}
    export APACHE_TEST_USER="$run_user" APACHE_TEST_GROUP="$run_group"
else
    run_user=$(id -un)
fi

STATE=
PG_DIR=
cleanup() {
    rc=$?
    trap - EXIT INT TERM HUP
    # httpd: TEST.PL stops it; if TEST.PL died first, stop it by its pid file
    pidfile="$TOP/tests/logs/httpd.pid"
    if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        pid=$(cat "$pidfile")
        echo "suite: stopping httpd $pid left running" >&2
        kill -TERM "$pid" 2>/dev/null || true
        i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    [ -z "$PG_DIR" ] || sh "$TOP/tests/pg.sh" stop "$PG_DIR" || true
    [ -z "$STATE" ] || rm -rf "$STATE"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

umask 022
STATE=$(mktemp -d /tmp/oidp-test.XXXXXXXX)
chmod 0755 "$STATE"
mkdir -p "$STATE/keys" "$STATE/db" "$STATE/htdocs" "$STATE/tmp"
chmod 0700 "$STATE/keys"

# Signing keys of this run: httpd reads them as root at start-up.
genkey() {
    case $2 in
    rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$STATE/keys/$1.pem" ;;
    ec) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$STATE/keys/$1.pem" ;;
    esac 2>/dev/null || { echo "suite: openssl could not make key $1" >&2; exit 1; }
}
genkey main-rsa rsa
genkey main-ec ec
genkey override-rsa rsa
genkey override-rsa-next rsa
genkey spare-ec ec
openssl rand -base64 32 >"$STATE/keys/session-passphrase"

case $backend in
sqlite3)
    DB="sqlite3:$STATE/db/idp.db"
    "$ADMIN" --db "$DB" init >/dev/null
    cat >"$STATE/dbd.conf" <<EOF
DBDriver sqlite3
DBDParams "$STATE/db/idp.db"
DBDInitSQL "PRAGMA synchronous = NORMAL"
DBDInitSQL "PRAGMA busy_timeout = 5000"
EOF
    ;;
pgsql)
    out=$(sh "$TOP/tests/pg.sh" start) || { echo "suite: tests/pg.sh start failed (see above)" >&2; exit 1; }
    eval "$out"
    PG_DIR=$OIDP_PG_DIR
    DB=$OIDP_PG_DB
    cat >"$STATE/dbd.conf" <<EOF
DBDriver pgsql
DBDParams "host=127.0.0.1 port=$OIDP_PG_PORT dbname=oidp user=postgres"
EOF
    ;;
esac

# One database serves one issuer (the module refuses to start otherwise):
# each virtual host of tests/conf/vhosts.conf.in with an issuer of its own
# has its own database, included there from dbd-NAME.conf (oidp_inherit
# keeps the main server's issuer and database). They are left unbound: the
# first start binds each to its server's issuer. OIDP_TEST_DBS lists them
# ("NAME=DRIVER:PARAMS" lines) for the admin tool (OIDP::Test's mirror).
VHOST_DBS="oidp_override oidp_partial oidp_short oidp_https oidp_trust oidp_authn"
DBS=
for v in $VHOST_DBS; do
    case $backend in
    sqlite3)
        spec="sqlite3:$STATE/db/$v.db"
        params="$STATE/db/$v.db"
        init_sql='DBDInitSQL "PRAGMA synchronous = NORMAL"
DBDInitSQL "PRAGMA busy_timeout = 5000"'
        ;;
    pgsql)
        "${PGBIN:-/usr/lib/postgresql/15/bin}/psql" -X -q -h 127.0.0.1 -p "$OIDP_PG_PORT" -U postgres -d postgres \
            -v ON_ERROR_STOP=1 -c "CREATE DATABASE $v" >&2 ||
            { echo "suite: cannot create the database $v" >&2; exit 1; }
        spec="pgsql:host=127.0.0.1 port=$OIDP_PG_PORT dbname=$v user=postgres"
        params="host=127.0.0.1 port=$OIDP_PG_PORT dbname=$v user=postgres"
        init_sql=
        ;;
    esac
    "$ADMIN" --db "$spec" init >/dev/null || { echo "suite: oidc-idp-admin init of $v failed" >&2; exit 1; }
    printf 'DBDriver %s\nDBDParams "%s"\n%s\n' "$backend" "$params" "$init_sql" >"$STATE/dbd-$v.conf"
    DBS="$DBS$v=$spec
"
done

# another application's users table for mod_authn_dbd (tests/720-authn-providers.t),
# in the database of the virtual host oidp_authn (mod_authn_dbd queries the
# server's own connections): there before httpd starts, since mod_dbd
# prepares its query on each connection
case $backend in
sqlite3) sqlite3 -batch -bail "$STATE/db/oidp_authn.db" <"$TOP/tests/conf/authn-users.sql" >/dev/null ;;
pgsql)
    /usr/lib/postgresql/15/bin/psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 \
        -p "$OIDP_PG_PORT" -U postgres -d oidp_authn -f "$TOP/tests/conf/authn-users.sql" >/dev/null
    ;;
esac || { echo "suite: tests/conf/authn-users.sql did not load" >&2; exit 1; }

# the workers own the database folder (SQLite adds -wal and -shm files)
if [ "$(id -u)" = 0 ]; then
    chown -R "$run_user:$run_group" "$STATE/db"
    chmod 0700 "$STATE/db"
    runuser -u "$run_user" -- test -x "$STATE/db" ||
        { echo "suite: $run_user cannot reach $STATE/db" >&2; exit 1; }
fi

export OIDP_TEST_TOP="$TOP" OIDP_TEST_STATE="$STATE" OIDP_TEST_DB="$DB" OIDP_TEST_DBS="$DBS" \
    OIDP_TEST_BACKEND="$backend" OIDP_TEST_MODULES="$MODULES" OIDP_TEST_MODULE="$MODULE" APXS="$APXS"

# a fresh error_log per run (the .t files read it; Apache::Test appends)
rm -f "$TOP/tests/logs/error_log" "$TOP/tests/logs/access_log"

# Not exec: the trap must run after TEST.PL.
rc=0
perl "$TOP/tests/TEST.PL" "$@" || rc=$?
# kept for reading after the run (tests/logs is ignored by git)
[ ! -f "$TOP/tests/logs/error_log" ] || cp "$TOP/tests/logs/error_log" "$TOP/tests/logs/error_log.$backend"
if [ $rc -ne 0 ] && [ -f "$TOP/tests/logs/error_log" ]; then
    echo "suite: last lines of tests/logs/error_log:" >&2
    grep -v '\[trace' "$TOP/tests/logs/error_log" | tail -n 25 >&2 || true
fi
exit $rc
