#!/bin/sh
# Schema migrations end to end, on SQLite and on PostgreSQL (a throwaway
# cluster, tests/pg.sh): a database of schema version 1 (tests/fixtures/v1:
# the schema files of version 1 and a row in every table) is upgraded by
# `oidc-idp-admin migrate`, and must then hold every row it held, carry
# version OIDP_SCHEMA_VERSION and have the schema of a database made by
# `init` (tables, columns, types, indexes). Then `make run` on a state/
# whose database is of version 1: it migrates, serves, and the fixture's
# client, user and live access token work.
# Every check prints "ok - ..." or "not ok - ..."; the last line is
#   E2E migrations: P passed, F failed
# A missing sqlite3, psql or PostgreSQL is a failure, never a skip.
# Needs `make all`. Uses free loopback ports; stops what it started.
set -u

TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
E2E_NAME=migrations
. "$TOP/tests/e2e/lib.sh"

ADMIN="$TOP/build/oidc-idp-admin"
FIX="$TOP/tests/fixtures/v1"
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
VERSION=$(sed -n 's/^#define OIDP_SCHEMA_VERSION \([0-9]*\)$/\1/p' include/core/oidp_schema.h)
TABLES="oidp_meta oidp_client oidp_client_uri oidp_user oidp_code oidp_token oidp_grant_revoked
oidp_session oidp_consent"

WORK=$(mktemp -d /tmp/oidp-migrate.XXXXXXXX)
OIDP_PG_DIR=
RUN_PID=
cleanup() {
    if [ -n "$RUN_PID" ]; then
        kill -TERM "-$RUN_PID" 2>/dev/null
        sleep 1
        kill -KILL "-$RUN_PID" 2>/dev/null
    fi
    [ -z "$OIDP_PG_DIR" ] || sh "$TOP/tests/pg.sh" stop "$OIDP_PG_DIR"
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

[ -x "$ADMIN" ] || die "$ADMIN is built (make all)"
[ -n "$VERSION" ] || die "OIDP_SCHEMA_VERSION read from include/core/oidp_schema.h"
[ "$VERSION" -ge 2 ] || die "OIDP_SCHEMA_VERSION is 2 or more"

# check NAME COMMAND...: ok when the command succeeds
check() {
    name=$1
    shift
    if "$@"; then ok "$name"; else not_ok "$name"; fi
}
# same FILE_A FILE_B: identical files; shows the difference when not
same() {
    if cmp -s "$1" "$2"; then return 0; fi
    diff "$1" "$2" | head -n 20 | sed 's/^/#   /'
    return 1
}
# has FILE PATTERN: grep -E; shows the file when it does not match
has() {
    if grep -qE -- "$2" "$1"; then return 0; fi
    sed 's/^/#   /' "$1" | head -n 20
    return 1
}
# jqr FILE FILTER: jq -r on a file, empty when it is not JSON
jqr() { jq -r "$2" "$1" 2>/dev/null; }
# admin OUT ERR ARGS...: runs the admin tool, output to files; its status
admin() {
    o=$1
    e=$2
    shift 2
    "$ADMIN" "$@" >"$o" 2>"$e"
}

# ------------------------------------------------------------- the drivers
# sql_<driver> DB QUERY: rows as col|col (NULL as \N), unsorted
sql_sqlite3() {
    sqlite3 -batch -noheader -bail -cmd ".nullvalue \\N" -separator '|' "$1" "$2"
}
sql_pgsql() {
    "$PGBIN/psql" -X -q -A -t -F '|' -P 'null=\N' -v ON_ERROR_STOP=1 \
        -h 127.0.0.1 -p "$OIDP_PG_PORT" -U postgres -d "$1" -c "$2"
}
load_sqlite3() { # DB FILE
    sqlite3 -batch -bail "$1" <"$2" >/dev/null
}
load_pgsql() {
    "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$OIDP_PG_PORT" -U postgres -d "$1" \
        -f "$2" >/dev/null
}
spec_sqlite3() { echo "sqlite3:$1"; }
spec_pgsql() { echo "pgsql:host=127.0.0.1 port=$OIDP_PG_PORT dbname=$1 user=postgres"; }
# new_<driver> NAME: a new empty database; prints what the other functions take
new_sqlite3() { echo "$WORK/$1.db"; }
new_pgsql() {
    sql_pgsql postgres "CREATE DATABASE $1" >/dev/null && echo "$1"
}
# shape_<driver> DB: tables, columns and types, indexes, constraints
shape_sqlite3() {
    sql_sqlite3 "$1" "SELECT m.name, c.cid, c.name, c.type, c.\"notnull\", c.dflt_value, c.pk
        FROM sqlite_master m, pragma_table_info(m.name) c WHERE m.type = 'table'
        ORDER BY m.name, c.cid"
    sql_sqlite3 "$1" "SELECT m.name, l.name, l.\"unique\", l.origin, i.seqno, i.name
        FROM sqlite_master m, pragma_index_list(m.name) l, pragma_index_info(l.name) i
        WHERE m.type = 'table' ORDER BY m.name, l.name, i.seqno"
    sql_sqlite3 "$1" "SELECT m.name, f.\"table\", f.\"from\", f.\"to\", f.on_delete
        FROM sqlite_master m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table'
        ORDER BY 1, 2, 3"
}
shape_pgsql() {
    sql_pgsql "$1" "SELECT table_name, ordinal_position, column_name, data_type, is_nullable,
        column_default FROM information_schema.columns WHERE table_schema = 'public'
        ORDER BY table_name, ordinal_position"
    sql_pgsql "$1" "SELECT tablename, indexname, indexdef FROM pg_indexes
        WHERE schemaname = 'public' ORDER BY tablename, indexname"
    sql_pgsql "$1" "SELECT table_name, constraint_name, constraint_type
        FROM information_schema.table_constraints
        WHERE table_schema = 'public' AND constraint_type <> 'CHECK' ORDER BY 1, 2"
}
# cols_<driver> DB TABLE: the table's columns, comma-separated, in order
cols_sqlite3() {
    sql_sqlite3 "$1" "SELECT name FROM pragma_table_info('$2') ORDER BY cid" | paste -sd, -
}
cols_pgsql() {
    sql_pgsql "$1" "SELECT column_name FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name = '$2' ORDER BY ordinal_position" |
        paste -sd, -
}
# dump DRIVER DB [COLUMNS-OF]: every row of every table, sorted per table;
# with COLUMNS-OF (a database), only the columns that table has there (the
# rows of a migrated database compared with what they were before the
# migration added columns)
dump() {
    for t in $TABLES; do
        echo "== $t"
        c=$("cols_$1" "${3:-$2}" "$t")
        "sql_$1" "$2" "SELECT ${c:-*} FROM $t" | LC_ALL=C sort
    done
}
version_of() { # DRIVER DB
    "sql_$1" "$2" "SELECT value FROM oidp_meta WHERE name = 'schema_version'"
}
# v1 DRIVER NAME: a new database of schema version 1 with the fixture's rows
v1() {
    db=$("new_$1" "$2") || return 1
    "load_$1" "$db" "$FIX/schema.$1.sql" && "load_$1" "$db" "$FIX/data.sql" && echo "$db"
}

# ------------------------------------------------------------- the checks
suite() {
    d=$1
    w="$WORK/$d"
    mkdir -p "$w"

    db=$(v1 "$d" v1) || { not_ok "$d: a version-1 database loads from tests/fixtures/v1"; return; }
    spec=$("spec_$d" "$db")
    check "$d: the fixture database has schema version 1" [ "$(version_of "$d" "$db")" = 1 ]
    dump "$d" "$db" >"$w/before"
    empty=$(awk '/^== / { if (t != "" && n == 0) print t; t = $2; n = 0; next } { n++ }
        END { if (n == 0) print t }' "$w/before")
    check "$d: the fixture has rows in every table${empty:+ (empty: $empty)}" [ -z "$empty" ]

    admin "$w/out" "$w/err" --db "$spec" migrate
    rc=$?
    check "$d: migrate exits 0 (got $rc)" [ "$rc" = 0 ]
    check "$d: migrate says what it did" \
        has "$w/out" "^migrated $d database .*from schema version 1 to $VERSION: 2: index on "
    check "$d: the database has schema version $VERSION" [ "$(version_of "$d" "$db")" = "$VERSION" ]
    # the columns of version 1, from a second copy of the fixture
    ref=$(v1 "$d" v1ref) || not_ok "$d: a second version-1 database loads"
    dump "$d" "$db" "$ref" >"$w/after"
    sed "s/^schema_version|1\$/schema_version|$VERSION/" "$w/before" >"$w/expected"
    check "$d: every row is as it was (but the version)" same "$w/expected" "$w/after"
    check "$d: migrate says it added auth_method_pinned (version 3)" \
        has "$w/out" "3: oidp_client.auth_method_pinned"
    check "$d: migrate says it added oidp_throttle (version 4)" \
        has "$w/out" "4: oidp_throttle"
    n=$("sql_$d" "$db" "SELECT count(*) FROM oidp_throttle")
    check "$d: ... which starts empty ($n rows)" [ "$n" = 0 ]
    n=$("sql_$d" "$db" "SELECT count(*) FROM oidp_client WHERE auth_method_pinned = 0")
    m=$("sql_$d" "$db" "SELECT count(*) FROM oidp_client")
    check "$d: ... and no migrated client is pinned ($n of $m)" [ "$n" = "$m" -a "${m:-0}" -gt 0 ]

    check "$d: migrate says it added oidp_user.source (version 6)" \
        has "$w/out" "6: oidp_user.source"
    n=$("sql_$d" "$db" "SELECT count(*) FROM oidp_user WHERE source = ''")
    m=$("sql_$d" "$db" "SELECT count(*) FROM oidp_user")
    check "$d: ... every migrated user is of the own table ($n of $m)" [ "$n" = "$m" -a "${m:-0}" -gt 0 ]

    fresh=$("new_$d" fresh) && admin "$w/out" "$w/err" --db "$("spec_$d" "$fresh")" init
    check "$d: a new database initialises" [ $? = 0 ]
    "shape_$d" "$db" >"$w/shape.migrated"
    "shape_$d" "$fresh" >"$w/shape.new"
    check "$d: the migrated schema is the one init creates (tables, columns, types, indexes)" \
        same "$w/shape.new" "$w/shape.migrated"
    check "$d: ... which has version 2's index" has "$w/shape.migrated" "oidp_grant_revoked_at"
    check "$d: ... and version 3's column" has "$w/shape.migrated" "auth_method_pinned"
    check "$d: ... and version 4's table and index" has "$w/shape.migrated" "oidp_throttle_last"
    check "$d: ... and version 6's unique (source, username)" \
        has "$w/shape.migrated" "source_username|oidp_user\|sqlite_autoindex_oidp_user_2\|1\|u\|1\|username"

    admin "$w/out" "$w/err" --db "$spec" migrate
    rc=$?
    check "$d: migrate again exits 0 (got $rc)" [ "$rc" = 0 ]
    check "$d: migrate again has nothing to do" \
        has "$w/out" "^schema version $VERSION is current: nothing to do$"
    dump "$d" "$db" "$ref" >"$w/again"
    check "$d: ... and changes nothing" same "$w/after" "$w/again"

    admin "$w/out" "$w/err" --db "$spec" --json client show demo
    check "$d: client show sees the confidential fixture client" \
        [ "$(jqr "$w/out" '[.client_id, .type, .redirect_uris[0], .post_logout_uris[0]] | join(" ")')" \
          = "demo confidential http://localhost:8080/demo/callback http://localhost:8080/demo/" ]
    admin "$w/out" "$w/err" --db "$spec" client show spa
    check "$d: client show sees the public fixture client" has "$w/out" "^type: +public"
    admin "$w/out" "$w/err" --db "$spec" --json user show jose
    check "$d: user show sees the fixture user with a non-ASCII name" \
        [ "$(jqr "$w/out" '.name + " " + (.has_password | tostring)')" = "José Müller true" ]
    admin "$w/out" "$w/err" --db "$spec" purge
    check "$d: purge runs on the migrated database" has "$w/out" "^purged [0-9]+ expired"

    # one database serves one issuer: a migrated database is unbound until
    # the module's first start binds it, or migrate --issuer does
    admin "$w/out" "$w/err" --db "$spec" status
    check "$d: a migrated database is bound to no issuer yet" has "$w/out" "^issuer: +\(unbound"
    admin "$w/out" "$w/err" --db "$spec" migrate --issuer https://idp.example.com
    check "$d: migrate --issuer binds it" \
        has "$w/out" "^bound the $d database .*to the issuer https://idp.example.com$"
    admin "$w/out" "$w/err" --db "$spec" migrate --issuer https://other.example.com
    rc=$?
    check "$d: ... and then refuses another issuer (exit 3, got $rc)" [ "$rc" = 3 ]

    old=$(v1 "$d" v1b) || { not_ok "$d: a second version-1 database loads"; return; }
    ospec=$("spec_$d" "$old")
    "shape_$d" "$old" >"$w/shape.v1"
    admin "$w/out" "$w/err" --db "$ospec" init
    rc=$?
    check "$d: init on a version-1 database refuses (exit $rc)" [ "$rc" != 0 ]
    check "$d: ... naming oidc-idp-admin migrate" has "$w/err" "run 'oidc-idp-admin migrate'"
    "shape_$d" "$old" >"$w/shape.v1.after"
    check "$d: ... and leaves it as it was" same "$w/shape.v1" "$w/shape.v1.after"
    admin "$w/out" "$w/err" --db "$ospec" client list
    rc=$?
    check "$d: client list on a version-1 database refuses (exit $rc)" [ "$rc" != 0 ]
    check "$d: ... naming oidc-idp-admin migrate" \
        has "$w/err" "schema version 1.*run 'oidc-idp-admin migrate'"
    check "$d: ... and lists nothing" [ ! -s "$w/out" ]

    "sql_$d" "$old" "UPDATE oidp_meta SET value = '99' WHERE name = 'schema_version'" >/dev/null
    admin "$w/out" "$w/err" --db "$ospec" migrate
    rc=$?
    check "$d: migrate refuses a database of schema version 99 (exit $rc)" [ "$rc" != 0 ]
    check "$d: ... saying it is newer" has "$w/err" "schema version 99, newer than.*upgrade"
    check "$d: ... and leaves it at 99" [ "$(version_of "$d" "$old")" = 99 ]
    admin "$w/out" "$w/err" --db "$ospec" client list
    rc=$?
    check "$d: client list refuses a database of schema version 99 (exit $rc)" [ "$rc" != 0 ]
    check "$d: ... saying to upgrade the tool" \
        has "$w/err" "schema version 99.*upgrade mod_oidc_idp and oidc-idp-admin"
    admin "$w/out" "$w/err" --db "$ospec" init
    rc=$?
    check "$d: init refuses a database of schema version 99 (exit $rc)" [ "$rc" != 0 ]
}

# ---- SQLite
if command -v sqlite3 >/dev/null 2>&1; then
    suite sqlite3
else
    not_ok "sqlite3: the sqlite3 command is installed (scripts/deps.sh test)"
fi

# ---- PostgreSQL
if [ ! -x "$PGBIN/psql" ]; then
    not_ok "pgsql: PostgreSQL 15 is installed at $PGBIN (scripts/deps.sh test)"
elif ! env_pg=$(sh "$TOP/tests/pg.sh" start); then
    not_ok "pgsql: a throwaway PostgreSQL cluster starts (tests/pg.sh)"
else
    eval "$env_pg"
    ok "pgsql: a throwaway PostgreSQL cluster runs on port $OIDP_PG_PORT"
    suite pgsql
fi

# ---- make run on a state/ of version 1
free_port() {
    perl -MIO::Socket::INET -e '
        my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1", LocalPort => 0,
                                      Proto => "tcp", ReuseAddr => 1) or die "no free port: $!\n";
        print $s->sockport, "\n";'
}
run_state() {
    port=$(free_port) || { not_ok "run: a free loopback port"; return; }
    state="$WORK/state"
    url="http://127.0.0.1:$port"
    secret=demo-fixture-secret-v1
    password=demo-fixture-password
    mkdir -p "$state/db" "$state/keys" "$state/run"
    # the state/ a `make run` of version 1 left: its database (WAL, as init
    # set it) with the fixture's rows for this port's issuer, and the demo
    # credentials it printed
    sed "s|http://localhost:8080|http://localhost:$port|g" "$FIX/data.sql" >"$WORK/data.run.sql"
    if ! { load_sqlite3 "$state/db/idp.db" "$FIX/schema.sqlite3.sql" &&
        sqlite3 -batch "$state/db/idp.db" "PRAGMA journal_mode = WAL" >/dev/null &&
        load_sqlite3 "$state/db/idp.db" "$WORK/data.run.sql"; }; then
        not_ok "run: a version-1 state/ is made"
        return
    fi
    printf 'client_id=demo\nclient_secret=%s\nusername=demo\npassword=%s\n' "$secret" "$password" \
        >"$state/demo-credentials"
    if [ "$(id -u)" = 0 ]; then
        # as make run left it: the database folder and files are httpd's
        chown -R www-data:www-data "$state/db"
    fi
    check "run: the state's database has schema version 1" \
        [ "$(version_of sqlite3 "$state/db/idp.db")" = 1 ]
    cp -p "$state/db/idp.db" "$WORK/idp-v1.db"

    # its own session and process group: httpd runs in the foreground
    PORT=$port STATE=$state setsid sh "$TOP/scripts/run.sh" >"$WORK/run.log" 2>&1 </dev/null &
    RUN_PID=$!
    up=
    i=0
    while [ $i -lt 60 ]; do
        if curl -sf -o /dev/null "$url/.well-known/openid-configuration"; then
            up=1
            break
        fi
        kill -0 "$RUN_PID" 2>/dev/null || break
        sleep 0.5
        i=$((i + 1))
    done
    if [ -z "$up" ]; then
        not_ok "run: scripts/run.sh serves on port $port"
        sed 's/^/#   /' "$WORK/run.log" | tail -n 30
        return
    fi
    ok "run: scripts/run.sh serves on port $port"
    check "run: it migrated the database and said so" \
        has "$WORK/run.log" "^make run: migrated sqlite3 database .* from schema version 1 to $VERSION: 2: "
    check "run: the database has schema version $VERSION" \
        [ "$(version_of sqlite3 "$state/db/idp.db")" = "$VERSION" ]
    check "run: the migrated database is bound to the run's issuer http://localhost:$port" \
        [ "$(sqlite3 "$state/db/idp.db" "SELECT value FROM oidp_meta WHERE name = 'issuer'")" = "http://localhost:$port" ]
    check "run: it printed the state's client secret" \
        has "$WORK/run.log" "^client_secret: $secret\$"
    check "run: it printed the state's password" has "$WORK/run.log" "^password: +$password\$"

    code=$(curl -s -o "$WORK/token.json" -w '%{http_code}' -u "demo:$secret" \
        -d grant_type=client_credentials -d scope=api "$url/api/login/oauth/access_token")
    check "run: client_credentials with the state's credentials: 200 (got $code)" [ "$code" = 200 ]
    check "run: ... with an access token" [ -n "$(jqr "$WORK/token.json" '.access_token // empty')" ]

    curl -s -o "$WORK/intro.json" -u "demo:$secret" -d token=fixture-access-token-v1 \
        "$url/api/login/oauth/introspect"
    check "run: the fixture's live access token introspects active" \
        [ "$(jqr "$WORK/intro.json" '[.active, .username, .client_id] | map(tostring) | join(" ")')" \
          = "true demo demo" ]
    curl -s -o "$WORK/intro2.json" -u "demo:$secret" -d token=fixture-access-token-v2 \
        "$url/api/login/oauth/introspect"
    check "run: an unknown token introspects inactive" \
        [ "$(jqr "$WORK/intro2.json" .active)" = false ]
    code=$(curl -s -o /dev/null -w '%{http_code}' -u "demo:wrong-secret" \
        -d grant_type=client_credentials -d scope=api "$url/api/login/oauth/access_token")
    check "run: a wrong secret is refused (got $code)" [ "$code" = 401 ]

    kill -TERM "-$RUN_PID" 2>/dev/null
    i=0
    while [ $i -lt 40 ] && [ -n "$(ps -o pid= -g "$RUN_PID" 2>/dev/null)" ]; do
        sleep 0.25
        i=$((i + 1))
    done
    left=$(ps -o pid= -g "$RUN_PID" 2>/dev/null | tr -d ' ' | tr '\n' ' ')
    check "run: stopping it leaves nothing running${left:+ (left: $left)}" [ -z "$left" ]
    [ -n "$left" ] || RUN_PID=
}
run_state

# ---- the module refuses a database whose schema version it does not know:
# httpd (the configuration make run wrote) on the version-1 database, then
# on one claiming version 99, stops by itself and names what to run
refused() { # LABEL PATTERN
    if [ ! -f "$WORK/state/httpd.conf" ]; then
        not_ok "refuse $1: make run wrote no httpd.conf"
        return
    fi
    [ "$(id -u)" != 0 ] || chown www-data:www-data "$WORK/state/db/idp.db"
    rm -f "$WORK/state/db/idp.db-wal" "$WORK/state/db/idp.db-shm" "$WORK/state/run/httpd.pid"
    setsid timeout 30 /usr/sbin/apache2 -f "$WORK/state/httpd.conf" -DFOREGROUND \
        >"$WORK/refuse.log" 2>&1 </dev/null
    rc=$?
    check "refuse $1: httpd stops by itself (exit $rc, not the 30 s time-out)" [ "$rc" != 124 ]
    check "refuse $1: the log says why" has "$WORK/refuse.log" "$2"
    check "refuse $1: ... as an emergency of mod_oidc_idp" has "$WORK/refuse.log" "\\[oidc_idp:emerg\\]"
    if ! has "$WORK/refuse.log" "$2" >/dev/null 2>&1; then
        sed 's/^/#   /' "$WORK/refuse.log" | tail -n 15
    fi
}
if [ -f "$WORK/idp-v1.db" ]; then
    cp "$WORK/idp-v1.db" "$WORK/state/db/idp.db"
    refused "a version-1 database" "schema version 1, this module needs $VERSION: run 'oidc-idp-admin migrate'"
    cp "$WORK/idp-v1.db" "$WORK/state/db/idp.db"
    sqlite3 -batch "$WORK/state/db/idp.db" "UPDATE oidp_meta SET value = '99' WHERE name = 'schema_version'"
    refused "a version-99 database" "schema version 99, newer than this module's $VERSION"
else
    not_ok "refuse: no copy of the version-1 state database"
fi

finish
