#!/bin/sh
# A throwaway PostgreSQL 15 cluster for the test suite, on a free loopback TCP
# port with trust authentication, in a mktemp folder owned by the user the
# server runs as (postgres when we are root: initdb and postgres refuse root).
#
#   eval "$(sh tests/pg.sh start)"   # sets OIDP_PG_DIR, OIDP_PG_PORT, OIDP_PG_DB
#   sh tests/pg.sh stop "$OIDP_PG_DIR"
#
# start creates the database `oidp` and its schema (oidc-idp-admin init);
# OIDP_PG_DB is the --db argument of the admin tool ('pgsql:host=...'). If
# start fails half-way it removes what it made. stop stops the server and
# removes the folder; it is safe to call twice or on a half-made folder.
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
ADMIN=${OIDP_ADMIN:-$TOP/build/oidc-idp-admin}

# runs a command as the cluster's owner
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    perl -MIO::Socket::INET -e '
        my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1", LocalPort => 0,
                                      Proto => "tcp", ReuseAddr => 1) or die "no free port: $!\n";
        print $s->sockport, "\n";'
}

stop() {
    dir=$1
    [ -n "$dir" ] && [ -d "$dir" ] || return 0
    case $dir in
    /tmp/oidp-pg.*) ;;
    *) echo "pg.sh: refusing to remove $dir (not made by pg.sh start)" >&2; return 1 ;;
    esac
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || {
            # pg_ctl could not stop it: end the postmaster by its pid (first line)
            pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)
            [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
        }
    fi
    rm -rf "$dir"
}

start() {
    for tool in initdb pg_ctl postgres psql; do
        [ -x "$PGBIN/$tool" ] || {
            echo "pg.sh: $PGBIN/$tool is missing (Debian package postgresql, version 15)" >&2
            exit 1
        }
    done
    [ -x "$ADMIN" ] || { echo "pg.sh: $ADMIN is missing (make all)" >&2; exit 1; }
    if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
        echo "pg.sh: no postgres user (Debian package postgresql)" >&2
        exit 1
    fi

    dir=$(mktemp -d /tmp/oidp-pg.XXXXXXXX)
    trap 'stop "$dir"' EXIT
    trap 'exit 1' INT TERM HUP
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    chmod 0700 "$dir"

    as_owner "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale --no-sync \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }

    # a port can be taken between the probe and the bind: try a few
    tries=0
    while :; do
        port=$(free_port)
        if as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
            start >/dev/null 2>&1; then
            break
        fi
        tries=$((tries + 1))
        if [ $tries -ge 3 ]; then
            echo "pg.sh: PostgreSQL did not start:" >&2
            cat "$dir/server.log" >&2 || true
            exit 1
        fi
    done

    "$PGBIN/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
        -c "CREATE DATABASE oidp" >&2
    db="pgsql:host=127.0.0.1 port=$port dbname=oidp user=postgres"
    "$ADMIN" --db "$db" init >&2

    trap - EXIT INT TERM HUP
    printf "OIDP_PG_DIR='%s'\nOIDP_PG_PORT='%s'\nOIDP_PG_DB='%s'\n" "$dir" "$port" "$db"
}

case ${1:-} in
start) start ;;
stop) stop "${2:-}" ;;
*) echo "usage: $0 start | stop DIR" >&2; exit 1 ;;
esac
