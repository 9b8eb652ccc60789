#!/bin/sh
# `make run`: sets up state/ once (keys, SQLite database, demo client and
# user) and serves the IdP in the foreground on http://localhost:$PORT.
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
PORT=${PORT:-8080}
STATE=${STATE:-$TOP/state}
ADMIN="$TOP/build/oidc-idp-admin"
ISSUER="http://localhost:$PORT"
REDIRECT="$ISSUER/demo/callback"
DB="sqlite3:$STATE/db/idp.db"
CREDS="$STATE/demo-credentials"

umask 077
mkdir -p "$STATE/run" "$STATE/keys" "$STATE/db"

# httpd's workers run as www-data when started as root: they own the
# database folder (SQLite writes -wal and -shm files beside the database).
# They must also be able to reach it: a clone under /root is not searchable by
# others, so search-only permission (o+x, no listing) is granted where missing.
USER_LINES=""
if [ "$(id -u)" = 0 ]; then
    USER_LINES="User www-data
Group www-data"
    chown www-data:www-data "$STATE/db"
    chmod 0700 "$STATE/db"
    chmod 0755 "$STATE"
    d="$STATE"
    while [ "$d" != "/" ]; do
        if ! runuser -u www-data -- test -x "$d"; then
            chmod o+x "$d"
            echo "make run: granted search permission (o+x) on $d so that httpd's workers (www-data) reach $STATE/db"
        fi
        d=$(dirname "$d")
    done
fi

# Signing keys: RSA signs (RS256 is mandatory in OpenID Connect), the EC key is
# published too (ES256 for clients that register it).
[ -s "$STATE/keys/signing-rs256.pem" ] ||
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$STATE/keys/signing-rs256.pem" 2>/dev/null
[ -s "$STATE/keys/signing-es256.pem" ] ||
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$STATE/keys/signing-es256.pem" 2>/dev/null

[ -s "$STATE/keys/session-passphrase" ] ||
    openssl rand -base64 32 > "$STATE/keys/session-passphrase"

if [ ! -s "$CREDS" ]; then
    # the database is bound to this issuer (one database serves one issuer)
    "$ADMIN" --db "$DB" init --issuer "$ISSUER" >/dev/null
    secret=$("$ADMIN" --db "$DB" client add demo --name "Demo application" \
        --grant-types "authorization_code refresh_token client_credentials" \
        --scopes "openid profile email address phone offline_access api" \
        --redirect-uri "$REDIRECT" 2>/dev/null | sed -n 's/^client_secret: //p')
    password=$(openssl rand -base64 18 | tr -d '/+=' | cut -c1-16)
    printf '%s\n' "$password" | "$ADMIN" --db "$DB" user add demo --password-stdin \
        --name "Demo User" --given-name Demo --family-name User \
        --email demo@example.com --email-verified --phone "+1 555 0100" \
        --street "1 Demo Street" --locality Springfield --postal-code 12345 --country US \
        --locale en --group demo-users >/dev/null
    printf 'client_id=demo\nclient_secret=%s\nusername=demo\npassword=%s\n' "$secret" "$password" > "$CREDS"
else
    # a state/ of an earlier version: its database gets this version's schema,
    # rows kept (a newer one is refused, with what to do)
    migrated=$("$ADMIN" --db "$DB" migrate) || {
        echo "make run: the database of $STATE could not be brought to this version's schema" \
            "(see above)" >&2
        exit 1
    }
    echo "make run: $migrated"
    # the port may have changed since the database was created: the demo's
    # issuer follows it (a database of an earlier version is unbound until
    # then), and so does the demo client's redirect URI
    "$ADMIN" --db "$DB" rebind --issuer "$ISSUER" | grep -v 'nothing to do' | sed 's/^/make run: /' || true
    "$ADMIN" --db "$DB" client update demo --redirect-uri "$REDIRECT" >/dev/null || {
        echo "make run: the demo client of $STATE could not be updated (see above)" >&2
        exit 1
    }
fi
client_secret=$(sed -n 's/^client_secret=//p' "$CREDS")
password=$(sed -n 's/^password=//p' "$CREDS")

sed -e "s|@TOP@|$TOP|g" -e "s|@STATE@|$STATE|g" -e "s|@PORT@|$PORT|g" \
    "$TOP/conf/httpd-run.conf.in" | awk -v u="$USER_LINES" '{ if ($0 == "@USER@") print u; else print }' \
    > "$STATE/httpd.conf"

TOKEN_URL="$ISSUER/api/login/oauth/access_token"
AUTHZ_URL="$ISSUER/login/oauth/authorize?client_id=demo&response_type=code&scope=openid%20profile%20email%20offline_access&redirect_uri=$(printf %s "$REDIRECT" | sed 's/:/%3A/g; s|/|%2F|g')&state=demo-state&nonce=demo-nonce"
cat <<INFO

mod_oidc_idp is serving on $ISSUER (Ctrl-C stops it; state in $STATE)

issuer:        $ISSUER
discovery:     $ISSUER/.well-known/openid-configuration
jwks:          $ISSUER/.well-known/jwks
client_id:     demo
client_secret: $client_secret
redirect_uri:  $REDIRECT
username:      demo
password:      $password

token (client_credentials):
curl -s -u 'demo:$client_secret' -d grant_type=client_credentials -d scope=api $TOKEN_URL

sign in with a browser (user demo), then copy the code from the address bar:
$AUTHZ_URL

exchange the code for tokens:
curl -s -u 'demo:$client_secret' -d grant_type=authorization_code -d redirect_uri=$REDIRECT -d code=PASTE_THE_CODE_HERE $TOKEN_URL

verify a token against the served JWKS with openssl:
sh $TOP/scripts/verify-jwt.sh <access_token> $ISSUER/.well-known/jwks

INFO
exec /usr/sbin/apache2 -f "$STATE/httpd.conf" -DFOREGROUND
