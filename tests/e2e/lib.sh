# Shared by the end-to-end shell scripts: TAP-style counting and the final
# "E2E <name>: P passed, F failed" line that tests/run-all.sh reads.
# Source it after setting E2E_NAME.
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $1"; }
finish() {
    echo "E2E $E2E_NAME: $passed passed, $failed failed"
    [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
}
die() { not_ok "$1"; finish || true; exit 1; }

# ---------------------------------------------------------------------------
# IdP nodes on a throwaway PostgreSQL 15 cluster (tests/e2e/multinode.sh,
# tests/faults/pg-outage.sh). Expects TOP; uses PGBIN and PYTHON (defaults
# below). In order:
#   e2e_pg_require [MODULE ...]  dies unless PostgreSQL 15, its apr_dbd
#                     driver, apache2, curl and python3-requests (and
#                     python3-MODULE for each MODULE) are installed; builds
#                     the module and the admin tool when they are missing
#   e2e_pg_workdir PREFIX  WORK=$(mktemp -d /tmp/PREFIX.XXXXXX), the IdP
#                     nodes under E2E_DIR=$WORK/nodes, the cluster in PG=$WORK/pg
#   e2e_pg_init       initdb, start on a free port (PG_PORT, 3 tries), CREATE
#                     DATABASE oidp
#   e2e_pg_start      starts the cluster again on PG_PORT (after a stop)
#   e2e_pg_teardown NODE ...  (from the script's EXIT trap) stops the IdP
#                     nodes and the cluster, removes WORK unless KEEP=1
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PYTHON=${PYTHON:-/usr/bin/python3}   # Debian's, with python3-requests

# runs a command as the cluster's owner (initdb and postgres refuse root)
as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# N distinct free loopback ports, held together while chosen
free_ports() {
    "$PYTHON" -c '
import socket, sys
ss = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))' "$1"
}

# What these tests need is installed by scripts/deps.sh; missing is a failure.
e2e_pg_require() {
    missing=""
    for t in initdb pg_ctl postgres psql; do
        [ -x "$PGBIN/$t" ] || { missing="$missing postgresql($t)"; break; }
    done
    [ "$(id -u)" != 0 ] || id postgres >/dev/null 2>&1 || missing="$missing postgresql(user)"
    ls /usr/lib/*/apr-util-1/apr_dbd_pgsql*.so >/dev/null 2>&1 || missing="$missing libaprutil1-dbd-pgsql"
    [ -x /usr/sbin/apache2 ] || missing="$missing apache2"
    for m in requests "$@"; do
        "$PYTHON" -c "import $m" 2>/dev/null || missing="$missing python3-$m"
    done
    command -v curl >/dev/null 2>&1 || missing="$missing curl"
    [ -z "$missing" ] || die "required packages are installed (missing:$missing; run: sh scripts/deps.sh test)"
    if [ ! -x "$TOP/build/oidc-idp-admin" ] || [ ! -f "$TOP/build/mod_oidc_idp.so" ]; then
        make -C "$TOP" -s all >/dev/null || die "make all"
    fi
}

e2e_pg_workdir() {
    WORK=$(mktemp -d "/tmp/$1.XXXXXX")
    chmod 0755 "$WORK"
    export E2E_DIR="$WORK/nodes"
    PG="$WORK/pg"
    mkdir -p "$PG"
    [ "$(id -u)" = 0 ] && chown postgres: "$PG"
    chmod 0700 "$PG"
}

e2e_pg_start() {
    as_postgres "$PGBIN/pg_ctl" -D "$PG/data" -l "$PG/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null 2>&1
}

e2e_pg_init() {
    if ! as_postgres "$PGBIN/initdb" -D "$PG/data" -U postgres -A trust -E UTF8 --no-locale --no-sync \
        >"$PG/initdb.log" 2>&1; then
        sed 's/^/# /' "$PG/initdb.log"
        die "initdb"
    fi
    tries=0
    while :; do
        PG_PORT=$(free_ports 1)
        e2e_pg_start && break
        tries=$((tries + 1))
        if [ $tries -ge 3 ]; then
            sed 's/^/# /' "$PG/server.log"
            die "PostgreSQL starts"
        fi
    done
    "$PGBIN/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 \
        -c "CREATE DATABASE oidp" || die "CREATE DATABASE"
}

e2e_pg_teardown() {
    for node in "$@"; do
        sh "$TOP/tests/e2e/idp.sh" stop "$node" || true
    done
    if [ -f "$PG/data/postmaster.pid" ]; then
        as_postgres "$PGBIN/pg_ctl" -D "$PG/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || {
            pid=$(head -n 1 "$PG/data/postmaster.pid" 2>/dev/null || true)
            if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null || true; fi
        }
    fi
    if [ "${KEEP:-}" = 1 ]; then echo "# kept $WORK"; else rm -rf "$WORK"; fi
}
