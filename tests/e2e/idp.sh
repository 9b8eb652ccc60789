#!/bin/sh
# Starts and stops IdP instances (httpd + mod_oidc_idp) for end-to-end tests.
#
#   idp.sh start NAME PORT [sqlite|pgsql:PARAMS] [https] [SHARED_DIR]
#       Starts an instance on 127.0.0.1:PORT with state in $E2E_DIR/NAME
#       (E2E_DIR defaults to /tmp/oidp-e2e). SHARED_DIR holds the keys and the
#       session passphrase; instances given the same SHARED_DIR share them
#       (several nodes of one deployment). Prints shell assignments to eval:
#       IDP_URL (this instance: scheme://localhost:PORT), IDP_ISSUER,
#       IDP_DB (for oidc-idp-admin --db), IDP_STATE, IDP_CA (https).
#       ISSUER=URL in the environment sets OIDCIdPIssuer (default: IDP_URL):
#       the nodes of one deployment behind a load balancer share one issuer.
#       IDP_EXTRA_CONF=FILE is Included at the end of the configuration
#       (tests/e2e/authn.sh: the login form's passwords checked by LDAP).
#   idp.sh stop NAME
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
E2E_DIR=${E2E_DIR:-/tmp/oidp-e2e}
cmd=$1
name=$2
state="$E2E_DIR/$name"

case $cmd in
stop)
    if [ -f "$state/httpd.pid" ]; then
        /usr/sbin/apache2 -f "$state/httpd.conf" -k stop 2>/dev/null || kill "$(cat "$state/httpd.pid")" 2>/dev/null || true
        i=0
        while [ -f "$state/httpd.pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    fi
    exit 0
    ;;
start) ;;
*) echo "usage: $0 start|stop NAME ..." >&2; exit 2 ;;
esac

port=$3
db=${4:-sqlite}
tls=${5:-}
shared=${6:-$state/shared}
mkdir -p "$state/htdocs" "$shared"
chmod 0755 "$E2E_DIR" "$state" "$state/htdocs"

[ -s "$shared/signing-rs256.pem" ] ||
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$shared/signing-rs256.pem" 2>/dev/null
[ -s "$shared/signing-es256.pem" ] ||
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$shared/signing-es256.pem" 2>/dev/null
[ -s "$shared/session-passphrase" ] || openssl rand -base64 32 > "$shared/session-passphrase"
chmod 0600 "$shared"/*

user=""
if [ "$(id -u)" = 0 ]; then
    user="User www-data
Group www-data"
fi

scheme=http
ssl_load=""
ssl_conf=""
if [ "$tls" = https ]; then
    scheme=https
    [ -s "$shared/tls.crt" ] ||
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
            -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
            -keyout "$shared/tls.key" -out "$shared/tls.crt" 2>/dev/null
    ssl_load="LoadModule socache_shmcb_module /usr/lib/apache2/modules/mod_socache_shmcb.so
LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so"
    ssl_conf="SSLEngine on
SSLCertificateFile \"$shared/tls.crt\"
SSLCertificateKeyFile \"$shared/tls.key\"
SSLSessionCache none"
    chmod 0644 "$shared/tls.crt"
fi

url="$scheme://localhost:$port"
issuer=${ISSUER:-$url}
case $db in
sqlite)
    mkdir -p "$state/db"
    [ "$(id -u)" = 0 ] && chown www-data:www-data "$state/db"
    driver=sqlite3
    params="$state/db/idp.db"
    # order matters: see conf/httpd-run.conf.in
    dbinit='DBDInitSQL "PRAGMA synchronous = NORMAL"
DBDInitSQL "PRAGMA busy_timeout = 5000"'
    admin_db="sqlite3:$params"
    # one database serves one issuer: bound to it now (a PostgreSQL database
    # shared by several nodes is bound by the first node's start)
    "$TOP/build/oidc-idp-admin" --db "$admin_db" init --issuer "$issuer" >/dev/null
    ;;
pgsql:*)
    driver=pgsql
    params=${db#pgsql:}
    dbinit=""
    admin_db="$db"
    ;;
*) echo "unknown database $db" >&2; exit 2 ;;
esac

# an https issuer keeps the __Host- cookie of conf/oidc_idp-endpoints.conf;
# browsers refuse it over http (as conf/httpd-run.conf.in does for make run)
cookie=""
case $issuer in
http:*) cookie="Define OIDP_SESSION_COOKIE oidp_session" ;;
esac
awk -v top="$TOP" -v st="$state" -v port="$port" -v u="$user" -v sl="$ssl_load" -v sc="$ssl_conf" \
    -v drv="$driver" -v prm="$params" -v dbi="$dbinit" -v sh="$shared" -v iss="$issuer" -v ck="$cookie" '
    { gsub("@TOP@", top); gsub("@STATE@", st); gsub("@PORT@", port); gsub("@DBDRIVER@", drv);
      gsub("@DBPARAMS@", prm); gsub("@SHARED@", sh); gsub("@ISSUER@", iss);
      if ($0 == "@USER@") $0 = u; if ($0 == "@SSL_LOAD@") $0 = sl; if ($0 == "@SSL_CONF@") $0 = sc;
      if ($0 == "@DBINIT@") $0 = dbi; if ($0 == "@COOKIE@") $0 = ck; print }' "$TOP/tests/e2e/idp.conf.in" > "$state/httpd.conf"

[ -z "${IDP_EXTRA_CONF:-}" ] || printf 'Include "%s"\n' "$IDP_EXTRA_CONF" >>"$state/httpd.conf"

rm -f "$state/httpd.pid"
/usr/sbin/apache2 -f "$state/httpd.conf" -k start
i=0
until curl -sfk -o /dev/null "$url/.well-known/openid-configuration"; do
    i=$((i + 1))
    if [ $i -gt 100 ]; then
        echo "idp $name did not start; $state/error.log:" >&2
        cat "$state/error.log" >&2 || true
        exit 1
    fi
    sleep 0.1
done
echo "IDP_URL='$url'; IDP_ISSUER='$issuer'; IDP_DB='$admin_db'; IDP_STATE='$state'; IDP_CA='$shared/tls.crt'"
