#!/bin/sh
# One database serves one issuer (README, Security and Storage): two virtual
# hosts of one httpd with different issuers.
#   1. on one (unbound) database: httpd refuses to start, the error naming
#      both issuers and the command to run; the same on a database that
#      `oidc-idp-admin init --issuer` bound to one of them;
#   2. on two databases: both serve, each database bound to its issuer by the
#      first start (oidc-idp-admin status);
#   3. an issuer renamed: refused until `oidc-idp-admin rebind --issuer NEW`,
#      then served; init --issuer with another issuer is refused.
# (Several nodes of one issuer on one PostgreSQL: tests/e2e/multinode.sh.)
# SQLite, free loopback ports, a temporary folder (KEEP=1 keeps it).
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
E2E_NAME=binding
. "$TOP/tests/e2e/lib.sh"
ADMIN="$TOP/build/oidc-idp-admin"
HTTPD=/usr/sbin/apache2
for t in "$HTTPD" curl openssl; do
    command -v "$t" >/dev/null 2>&1 || die "$t is installed (sh scripts/deps.sh test)"
done
[ -x "$ADMIN" ] && [ -f "$TOP/build/mod_oidc_idp.so" ] || die "the module is built (make all)"

WORK=$(mktemp -d /tmp/oidp-e2e-binding.XXXXXX)
cleanup() {
    rc=$?
    [ ! -s "$WORK/httpd.pid" ] || kill "$(cat "$WORK/httpd.pid")" 2>/dev/null || true
    [ "${KEEP:-0}" = 1 ] && echo "kept $WORK" || rm -rf "$WORK"
    exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

chmod 0755 "$WORK"
mkdir -p "$WORK/db" "$WORK/keys" "$WORK/htdocs"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/keys/rs256.pem" 2>/dev/null ||
    die "openssl makes a key"
openssl rand -base64 32 >"$WORK/keys/session-passphrase"
user=""
if [ "$(id -u)" = 0 ]; then
    user="User www-data
Group www-data"
    chown www-data:www-data "$WORK/db"
fi
# shellcheck disable=SC2046
set -- $(free_ports 2)
P1=$1
P2=$2
ISS1=http://localhost:$P1
ISS2=http://localhost:$P2

# conf ISSUER1 DB1 ISSUER2 DB2: two virtual hosts, each its issuer and database
conf() {
    cat >"$WORK/httpd.conf" <<EOF
ServerRoot "$WORK"
ServerName localhost
Listen 127.0.0.1:$P1
Listen 127.0.0.1:$P2
PidFile "$WORK/httpd.pid"
Mutex file:$WORK default
$user
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule dbd_module /usr/lib/apache2/modules/mod_dbd.so
LoadModule session_module /usr/lib/apache2/modules/mod_session.so
LoadModule session_cookie_module /usr/lib/apache2/modules/mod_session_cookie.so
LoadModule session_crypto_module /usr/lib/apache2/modules/mod_session_crypto.so
LoadModule oidc_idp_module "$TOP/build/mod_oidc_idp.so"
ErrorLog "$WORK/error.log"
LogLevel warn oidc_idp:notice
DocumentRoot "$WORK/htdocs"
DBDriver sqlite3
DBDInitSQL "PRAGMA busy_timeout = 5000"
SessionCryptoPassphraseFile "$WORK/keys/session-passphrase"
Define OIDP_SESSION_COOKIE oidp_session
Include "$TOP/conf/oidc_idp-endpoints.conf"
<VirtualHost 127.0.0.1:$P1>
    OIDCIdPIssuer $1
    OIDCIdPSigningKey "$WORK/keys/rs256.pem"
    DBDParams "$WORK/db/$2"
</VirtualHost>
<VirtualHost 127.0.0.1:$P2>
    OIDCIdPIssuer $3
    OIDCIdPSigningKey "$WORK/keys/rs256.pem"
    DBDParams "$WORK/db/$4"
</VirtualHost>
EOF
}

newdb() { # NAME [--issuer URL]
    rm -f "$WORK/db/$1"*
    db=$1
    shift
    "$ADMIN" --db "sqlite3:$WORK/db/$db" init "$@" >/dev/null || die "oidc-idp-admin init $db $*"
    [ "$(id -u)" != 0 ] || chown www-data:www-data "$WORK/db/$db"*
}

issuer_at() { # PORT -> the issuer its discovery document names, or nothing
    curl -sf "http://127.0.0.1:$1/.well-known/openid-configuration" |
        sed -n 's/.*"issuer":"\([^"]*\)".*/\1/p'
}

# start: 0 when both hosts serve, 1 when httpd stopped (it refused)
start() {
    : >"$WORK/error.log"
    rm -f "$WORK/httpd.pid"
    "$HTTPD" -f "$WORK/httpd.conf" -k start 2>>"$WORK/error.log" || return 1
    i=0
    while [ $i -lt 150 ]; do
        if [ -n "$(issuer_at "$P1")" ] && [ -n "$(issuer_at "$P2")" ]; then
            return 0
        fi
        if [ ! -s "$WORK/httpd.pid" ] || ! kill -0 "$(cat "$WORK/httpd.pid")" 2>/dev/null; then
            return 1
        fi
        sleep 0.1
        i=$((i + 1))
    done
    return 2
}

stop() {
    [ -s "$WORK/httpd.pid" ] || return 0
    pid=$(cat "$WORK/httpd.pid")
    kill -TERM "$pid" 2>/dev/null || return 0
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
}

has() { grep -qF -- "$2" "$1"; }

# refused WHAT BOUND OTHER: httpd stopped, the log names both issuers and rebind
refused() {
    if [ "$rc" = 1 ] && has "$WORK/error.log" "OIDP00602" &&
        has "$WORK/error.log" "is bound to the issuer $2" && has "$WORK/error.log" "(issuer $3)" &&
        has "$WORK/error.log" "oidc-idp-admin rebind --issuer $3"; then
        ok "$1: httpd refuses to start, naming the bound issuer $2, this server's $3 and rebind"
    else
        not_ok "$1: refused (start: $rc)"
        grep -v '^$' "$WORK/error.log" | tail -n 5
    fi
    stop
}

# ------------------------------------------------ 1. one database, two issuers
newdb one.db
conf "$ISS1" one.db "$ISS2" one.db
start
rc=$?
if has "$WORK/error.log" "OIDP00602" && has "$WORK/error.log" "is bound to the issuer $ISS2"; then
    refused "two issuers on one unbound database" "$ISS2" "$ISS1"
else
    refused "two issuers on one unbound database" "$ISS1" "$ISS2"
fi
newdb one.db --issuer "$ISS1"
start
rc=$?
refused "two issuers on one database bound by init --issuer to the first" "$ISS1" "$ISS2"

# ------------------------------------------------ 2. two databases
newdb one.db
newdb two.db
conf "$ISS1" one.db "$ISS2" two.db
start
rc=$?
if [ "$rc" = 0 ] && [ "$(issuer_at "$P1")" = "$ISS1" ] && [ "$(issuer_at "$P2")" = "$ISS2" ]; then
    ok "two issuers on two databases: both serve ($ISS1, $ISS2)"
else
    not_ok "two issuers on two databases serve (start: $rc)"
    tail -n 5 "$WORK/error.log"
fi
if has "$WORK/error.log" "OIDP00601"; then
    ok "the first start says it bound the unbound databases (OIDP00601)"
else
    not_ok "the first start logs the binding (OIDP00601)"
fi
stop
"$ADMIN" --db "sqlite3:$WORK/db/two.db" status >"$WORK/status" 2>&1
if grep -qx "issuer: *$ISS2" "$WORK/status"; then
    ok "oidc-idp-admin status: the second database is bound to $ISS2"
else
    not_ok "oidc-idp-admin status shows the binding: $(cat "$WORK/status")"
fi

# ------------------------------------------------ 3. a renamed issuer
NEW2=http://127.0.0.1:$P2
conf "$ISS1" one.db "$NEW2" two.db
start
rc=$?
refused "the second issuer renamed to $NEW2" "$ISS2" "$NEW2"
"$ADMIN" --db "sqlite3:$WORK/db/two.db" init --issuer "$NEW2" >"$WORK/out" 2>&1
rc=$?
if [ "$rc" = 3 ] && has "$WORK/out" "bound to the issuer $ISS2"; then
    ok "oidc-idp-admin init --issuer with another issuer is refused (exit 3)"
else
    not_ok "init --issuer another issuer refused (exit $rc): $(cat "$WORK/out")"
fi
"$ADMIN" --db "sqlite3:$WORK/db/two.db" rebind --issuer "$NEW2" >"$WORK/out" 2>&1
rc=$?
if [ "$rc" = 0 ] && has "$WORK/out" "now bound to the issuer $NEW2 (was $ISS2)"; then
    ok "oidc-idp-admin rebind --issuer $NEW2"
else
    not_ok "rebind (exit $rc): $(cat "$WORK/out")"
fi
start
rc=$?
if [ "$rc" = 0 ] && [ "$(issuer_at "$P2")" = "$NEW2" ] && [ "$(issuer_at "$P1")" = "$ISS1" ]; then
    ok "after rebind both serve, the second as $NEW2"
else
    not_ok "after rebind both serve (start: $rc)"
    tail -n 5 "$WORK/error.log"
fi
stop

finish
