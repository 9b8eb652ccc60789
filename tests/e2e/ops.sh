#!/bin/sh
# End-to-end: operations (issue 12): server-status counters across children,
# the purge by mod_watchdog, backup and restore of the SQLite store while
# httpd runs, oidc-idp-admin check.
#
#   sh tests/e2e/ops.sh
#
# One httpd (event MPM, 3 children of 2 threads, mod_status) with two
# providers on one SQLite database: the main server (lifetimes of 15
# minutes) and a virtual host on a second port whose tokens live 2 seconds;
# OIDCIdPPurgeInterval 2s.
#  1. tests/e2e/ops/status.py: sign-ins, tokens of each grant, refreshes, a
#     replay, revocations, introspections and discovery requests, sent by 8
#     threads, then /server-status?auto: every OIDCIdP counter moved by what
#     was sent; the access log shows more than one child served them.
#  2. purge: expired tokens written into both databases (the main one and
#     the 2-second vhost's own) and an old throttle counter are gone within a few
#     intervals without any request or admin command; the main server's
#     live token is still there.
#  3. backup under load (a client issuing tokens meanwhile), restore into a
#     new database, a second httpd on it: the tokens issued before the backup
#     introspect active there; restore into a live database (httpd running).
#  4. oidc-idp-admin check: clean database and keys pass; a bad redirect
#     URI, a bad key and an old schema version are each named (exit 6).
# Prints "E2E ops: P passed, F failed". KEEP=1 keeps the temporary folder.
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
ADMIN="$TOP/build/oidc-idp-admin"
PYTHON=${PYTHON:-/usr/bin/python3}
export PYTHONDONTWRITEBYTECODE=1

E2E_NAME=ops
. "$TOP/tests/e2e/lib.sh"

for t in /usr/sbin/apache2 curl sqlite3; do
    command -v "$t" >/dev/null 2>&1 || die "$t is installed (sh scripts/deps.sh test)"
done
"$PYTHON" -c "import requests" 2>/dev/null || die "python3-requests is installed"
[ -f /usr/lib/apache2/modules/mod_status.so ] || die "mod_status is installed"
if [ ! -x "$ADMIN" ] || [ ! -f "$TOP/build/mod_oidc_idp.so" ]; then
    make -C "$TOP" -s all >/dev/null || die "make all"
fi

WORK=$(mktemp -d /tmp/oidp-e2e-ops.XXXXXX)
chmod 0755 "$WORK"
cleanup() {
    rc=$?
    for n in a b; do
        if [ -f "$WORK/$n/httpd.pid" ]; then
            /usr/sbin/apache2 -f "$WORK/$n/httpd.conf" -k stop 2>/dev/null || true
            i=0
            while [ -f "$WORK/$n/httpd.pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
        fi
    done
    [ -z "${LOAD_PID:-}" ] || kill "$LOAD_PID" 2>/dev/null || true
    if [ "${KEEP:-}" = 1 ]; then echo "# kept $WORK"; else rm -rf "$WORK"; fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

mkdir -p "$WORK/keys"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/keys/rsa.pem" 2>/dev/null
openssl rand -base64 32 >"$WORK/keys/session-passphrase"
chmod 0644 "$WORK/keys/"*

# NAME PORT1 PORT2 DBFILE [ISSUER_PORT1 ISSUER_PORT2]: writes
# $WORK/NAME/httpd.conf and starts it (the issuers name the ISSUER ports: a
# server restored from a backup keeps the issuer of the one backed up)
start_idp() {
    n=$1 p1=$2 p2=$3 dbf=$4 i1=${5:-$2} i2=${6:-$3}
    # the virtual host has an issuer of its own, so a database of its own
    # (one database serves one issuer)
    dbs=${dbf%.db}-short.db
    [ -f "$dbs" ] || "$ADMIN" --db "sqlite3:$dbs" init >/dev/null || return 1
    mkdir -p "$WORK/$n/htdocs"
    chmod 0755 "$WORK/$n" "$WORK/$n/htdocs"
    user=""
    [ "$(id -u)" = 0 ] && user="User www-data
Group www-data"
    cat >"$WORK/$n/httpd.conf" <<CONF
ServerRoot "$WORK/$n"
ServerName localhost
Listen 127.0.0.1:$p1
Listen 127.0.0.1:$p2
PidFile "$WORK/$n/httpd.pid"
Mutex file:$WORK/$n default
$user
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule status_module /usr/lib/apache2/modules/mod_status.so
LoadModule dbd_module /usr/lib/apache2/modules/mod_dbd.so
LoadModule session_module /usr/lib/apache2/modules/mod_session.so
LoadModule session_cookie_module /usr/lib/apache2/modules/mod_session_cookie.so
LoadModule session_crypto_module /usr/lib/apache2/modules/mod_session_crypto.so
LoadModule oidc_idp_module "$TOP/build/mod_oidc_idp.so"
# several children, few threads each: the counters are shared
StartServers 3
ServerLimit 4
ThreadsPerChild 2
MinSpareThreads 2
MaxSpareThreads 8
MaxRequestWorkers 8
ErrorLog "$WORK/$n/error.log"
LogLevel warn oidc_idp:debug
LogFormat "%P %h \"%r\" %>s" pid
CustomLog "$WORK/$n/access.log" pid
DocumentRoot "$WORK/$n/htdocs"
DBDriver sqlite3
DBDParams "$dbf"
DBDInitSQL "PRAGMA synchronous = NORMAL"
DBDInitSQL "PRAGMA busy_timeout = 5000"
SessionCryptoPassphraseFile "$WORK/keys/session-passphrase"
Define OIDP_SESSION_COOKIE oidp_session
OIDCIdPIssuer http://localhost:$i1
OIDCIdPSigningKey "$WORK/keys/rsa.pem"
OIDCIdPAccessTokenLifetime 15m
OIDCIdPPurgeInterval 2s
<Location /server-status>
    SetHandler server-status
</Location>
Include "$TOP/conf/oidc_idp-endpoints.conf"
<VirtualHost 127.0.0.1:$p2>
    ServerName localhost
    OIDCIdPIssuer http://localhost:$i2
    OIDCIdPAccessTokenLifetime 2
    DBDriver sqlite3
    DBDParams "$dbs"
    DBDInitSQL "PRAGMA synchronous = NORMAL"
    DBDInitSQL "PRAGMA busy_timeout = 5000"
</VirtualHost>
CONF
    rm -f "$WORK/$n/httpd.pid"
    /usr/sbin/apache2 -f "$WORK/$n/httpd.conf" -k start || return 1
    i=0
    until curl -sf -o /dev/null "http://localhost:$p1/.well-known/openid-configuration"; do
        i=$((i + 1))
        if [ $i -gt 100 ]; then sed 's/^/# /' "$WORK/$n/error.log"; return 1; fi
        sleep 0.1
    done
}

# the database, owned by the workers' user
mkdir -p "$WORK/db"
[ "$(id -u)" = 0 ] && chown www-data:www-data "$WORK/db"
DB="$WORK/db/idp.db"
"$ADMIN" --db "sqlite3:$DB" init >/dev/null || die "oidc-idp-admin init"
REDIRECT=http://127.0.0.1:9/callback
PASSWORD="pw-$(openssl rand -hex 8)"
printf '%s\n' "$PASSWORD" | "$ADMIN" --db "sqlite3:$DB" user add bob --password-stdin >/dev/null || die "user added"
SECRET=$("$ADMIN" --db "sqlite3:$DB" client add app --first-party --redirect-uri "$REDIRECT" \
    --grant-types "authorization_code refresh_token client_credentials" 2>/dev/null | sed -n 's/^client_secret: //p')
[ -n "$SECRET" ] || die "client registered"

# shellcheck disable=SC2046
set -- $(free_ports 4)
PA1=$1 PA2=$2 PB1=$3 PB2=$4
start_idp a "$PA1" "$PA2" "$DB" || die "httpd A starts"
A="http://localhost:$PA1"
S="http://localhost:$PA2"
ok "httpd A (3 children of 2 threads) at $A, the 2-second provider at $S"

# ---------------------------------------------------------------- 1. status
out=$("$PYTHON" "$TOP/tests/e2e/ops/status.py" "$A" app "$SECRET" "$REDIRECT" bob "$PASSWORD") || true
printf '%s\n' "$out" | grep -v '^# tokens:'
passed=$((passed + $(printf '%s\n' "$out" | grep -c '^ok ' || true)))
failed=$((failed + $(printf '%s\n' "$out" | grep -c '^not ok ' || true)))
TOKENS=$(printf '%s\n' "$out" | sed -n 's/^# tokens: //p')
[ -n "$TOKENS" ] || not_ok "status.py ran to the end"
pids=$(awk '$3 ~ /"POST/ {print $1}' "$WORK/a/access.log" | sort -u | wc -l)
if [ "$pids" -ge 2 ]; then ok "the counted requests were served by $pids children"; else not_ok "several children served the requests (saw $pids)"; fi

# ---------------------------------------------------------------- 2. purge
# Access tokens of client_credentials leave no row (only a revocation does),
# so the expired rows are written here: tokens of the 2-second provider's
# own database and of the main one, a live token, an old throttle counter.
DBS="$WORK/db/idp-short.db"
now=$(date +%s)
rows() { # DBFILE SQL: one count
    sqlite3 "$1" "PRAGMA busy_timeout = 5000; $2" | tail -n 1
}
expired_rows() { # DBFILE ISSUER N
    i=0 sql=""
    while [ $i -lt "$3" ]; do
        sql="$sql INSERT INTO oidp_token (token_hash, issuer, kind, client_id, scope, issued_at, expires_at)
VALUES ('ops-expired-$i', '$2', 'access', 'app', 'openid', $((now - 10)), $((now - 8)));"
        i=$((i + 1))
    done
    sqlite3 "$1" "PRAGMA busy_timeout = 5000; $sql" >/dev/null 2>"$WORK/sqlite.err" || sed 's/^/# /' "$WORK/sqlite.err"
}
expired_rows "$DBS" "$S" 5
expired_rows "$DB" "$A" 3
sqlite3 "$DB" "PRAGMA busy_timeout = 5000;
INSERT INTO oidp_token (token_hash, issuer, kind, client_id, scope, issued_at, expires_at)
VALUES ('ops-live', '$A', 'access', 'app', 'openid', $now, $((now + 3600)));
INSERT INTO oidp_throttle (tkey, failures, last_at) VALUES ('ops-test-key', 3, $((now - 90000)));" \
    >/dev/null 2>"$WORK/sqlite.err" || { sed 's/^/# /' "$WORK/sqlite.err"; not_ok "a live token and an old throttle counter written"; }
before_short=$(rows "$DBS" "SELECT count(*) FROM oidp_token WHERE token_hash LIKE 'ops-expired-%'")
before_main=$(rows "$DB" "SELECT count(*) FROM oidp_token WHERE token_hash LIKE 'ops-expired-%'")
[ "$before_short" = 5 ] && [ "$before_main" = 3 ] && ok "expired tokens stored in both databases (5 and 3 rows)" ||
    not_ok "expired tokens stored ($before_short, $before_main)"
i=0
while [ $i -lt 40 ]; do
    left=$(rows "$DBS" "SELECT count(*) FROM oidp_token WHERE token_hash LIKE 'ops-expired-%'")
    leftm=$(rows "$DB" "SELECT count(*) FROM oidp_token WHERE token_hash LIKE 'ops-expired-%'")
    thr=$(rows "$DB" "SELECT count(*) FROM oidp_throttle WHERE tkey = 'ops-test-key'")
    [ "$left" = 0 ] && [ "$leftm" = 0 ] && [ "$thr" = 0 ] && break
    sleep 0.5
    i=$((i + 1))
done
if [ "$left" = 0 ] && [ "$leftm" = 0 ] && [ "$thr" = 0 ]; then
    ok "the expired tokens of both databases and the old throttle counter were purged by httpd itself (within $((i / 2)) s)"
else
    not_ok "expired rows purged by the watchdog ($left + $leftm tokens, $thr counters left)"
fi
live=$(rows "$DB" "SELECT count(*) FROM oidp_token WHERE token_hash = 'ops-live'")
[ "$live" = 1 ] && ok "the live token was kept" || not_ok "live token kept ($live)"
if grep -q 'OIDP00623.*purged [1-9]' "$WORK/a/error.log"; then ok "the purge logged what it deleted"; else not_ok "the purge is logged"; fi
purgers=$(grep 'OIDP00623' "$WORK/a/error.log" | sed -n 's/.*\[pid \([0-9]*\).*/\1/p' | sort -u | wc -l)
[ "$purgers" = 1 ] && ok "one process purged (singleton watchdog)" || not_ok "one process purges (saw $purgers)"

# ---------------------------------------------------------------- 3. backup
( while :; do curl -s -o /dev/null -u "app:$SECRET" -d grant_type=client_credentials "$A/token"; done ) &
LOAD_PID=$!
sleep 1
if "$ADMIN" --db "sqlite3:$DB" backup "$WORK/db/backup.db" >"$WORK/backup.out" 2>&1; then
    ok "oidc-idp-admin backup while httpd serves token requests: $(cat "$WORK/backup.out")"
else
    not_ok "backup under load"; sed 's/^/# /' "$WORK/backup.out"
fi
sleep 0.5
kill "$LOAD_PID" 2>/dev/null || true
wait "$LOAD_PID" 2>/dev/null || true
LOAD_PID=""
served=$(grep -c '"POST /token' "$WORK/a/access.log" || true)
ok "httpd kept serving during the backup ($served token requests in all)"
[ "$(sqlite3 "$WORK/db/backup.db" 'PRAGMA integrity_check')" = ok ] && ok "the backup passes SQLite's integrity check" || not_ok "backup integrity"

# restore into a new state folder: an empty database of this version, then restore
mkdir -p "$WORK/db2"
[ "$(id -u)" = 0 ] && chown www-data:www-data "$WORK/db2"
DB2="$WORK/db2/idp.db"
"$ADMIN" --db "sqlite3:$DB2" init >/dev/null || not_ok "init of the new database"
if "$ADMIN" --db "sqlite3:$DB2" restore "$WORK/db/backup.db" >"$WORK/restore.out" 2>&1; then
    ok "oidc-idp-admin restore into a new database: $(cat "$WORK/restore.out")"
else
    not_ok "restore"; sed 's/^/# /' "$WORK/restore.out"
fi
start_idp b "$PB1" "$PB2" "$DB2" "$PA1" "$PA2" || die "httpd B starts on the restored database"
# same keys, session passphrase and issuers as A, on other ports
B="http://localhost:$PB1"
active=0 total=0
for t in $TOKENS; do
    total=$((total + 1))
    r=$(curl -s -u "app:$SECRET" --data-urlencode "token=$t" "$B/introspect")
    case $r in *'"active":true'*) active=$((active + 1)) ;; *) echo "# $r" ;; esac
done
[ "$total" -gt 0 ] && [ "$active" = "$total" ] && ok "the $total tokens issued before the backup introspect active on the restored server" \
    || not_ok "tokens from before the backup active after restore ($active of $total)"
# restore into the live database of A (httpd A running and serving)
"$ADMIN" --db "sqlite3:$DB" client remove app >/dev/null 2>&1
gone=$(curl -s -o /dev/null -w '%{http_code}' -u "app:$SECRET" -d grant_type=client_credentials "$A/token")
if "$ADMIN" --db "sqlite3:$DB" restore "$WORK/db/backup.db" >"$WORK/restore2.out" 2>&1; then
    back=$(curl -s -o /dev/null -w '%{http_code}' -u "app:$SECRET" -d grant_type=client_credentials "$A/token")
    [ "$gone" = 401 ] && [ "$back" = 200 ] && ok "restore into the live database: a removed client is back at once (HTTP $gone, then $back)" \
        || not_ok "restore into a live database (HTTP $gone then $back)"
else
    not_ok "restore into the live database"; sed 's/^/# /' "$WORK/restore2.out"
fi

# ---------------------------------------------------------------- 4. check
if "$ADMIN" --db "sqlite3:$DB2" check --key "$WORK/keys/rsa.pem" >"$WORK/check.out" 2>&1; then
    ok "oidc-idp-admin check passes a sound database and key"
else
    not_ok "check of a sound database"; sed 's/^/# /' "$WORK/check.out"
fi
sqlite3 "$DB2" "INSERT INTO oidp_client_uri (client_id, kind, uri) VALUES ('app', 'redirect', 'javascript:alert(1)')" 2>"$WORK/sqlite.err" \
    || sed 's/^/# /' "$WORK/sqlite.err"
echo "not a key" >"$WORK/keys/bad.pem"
"$ADMIN" --db "sqlite3:$DB2" check --key "$WORK/keys/bad.pem" >"$WORK/check.out" 2>&1 && rc=0 || rc=$?
if [ "$rc" = 6 ] && grep -q "problem: client app: redirect URI 'javascript:alert(1)'" "$WORK/check.out" \
    && grep -q "problem: signing key $WORK/keys/bad.pem" "$WORK/check.out"; then
    ok "check names the bad redirect URI and the bad key (exit 6)"
else
    not_ok "check names the problems (exit $rc)"; sed 's/^/# /' "$WORK/check.out"
fi
sqlite3 "$DB2" "UPDATE oidp_meta SET value = '4' WHERE name = 'schema_version'" 2>/dev/null || true
"$ADMIN" --db "sqlite3:$DB2" check >"$WORK/check.out" 2>&1 && rc=0 || rc=$?
if [ "$rc" = 6 ] && grep -q "problem: the database has schema version .*migrate" "$WORK/check.out"; then
    ok "check names an old schema version"
else
    not_ok "check names an old schema version (exit $rc)"; sed 's/^/# /' "$WORK/check.out"
fi

if grep -hE '\[(oidc_idp|dbd):(error|crit|alert|emerg)\]' "$WORK/a/error.log" "$WORK/b/error.log" >/dev/null 2>&1; then
    not_ok "no errors in the error logs"
    grep -hE '\[(oidc_idp|dbd):(error|crit|alert|emerg)\]' "$WORK/a/error.log" "$WORK/b/error.log" | sed 's/^/# /' | head
else
    ok "no errors in the error logs"
fi
finish
