#!/bin/sh
# End-to-end: Debian's mod_auth_openidc signs in through mod_oidc_idp.
#
#   sh tests/e2e/mod_auth_openidc.sh
#
# Starts an IdP over https (tests/e2e/idp.sh, SQLite, a throwaway
# self-signed certificate) and a second httpd with mod_auth_openidc on
# loopback, in a temporary folder, on free ports. That httpd has four virtual
# hosts (tests/e2e/mod_auth_openidc/*.conf.in), two relying parties:
#   (1) the Jira / miniOrange setup with every endpoint entered by hand
#       (Casdoor's paths, /api/get-account as userinfo, the Jira guide's
#       scopes) and a Casdoor-dialect client;
#   (2) a standard client through discovery with PKCE, then RP-initiated
#       logout through the IdP's end_session_endpoint;
# and two OAuth 2.0 resource servers (AuthType oauth20) taking bearer tokens:
#   (3) rs-introspect: introspects every token at the IdP's introspection
#       endpoint as its own confidential client (client_secret_basic), no
#       introspection cache, so a token revoked at the IdP (RFC 7009) is
#       refused on the very next request;
#   (4) rs-jwt: validates the RFC 9068 JWT access tokens locally against
#       the IdP's JWKS (a changed signature is refused; a revocation cannot
#       be seen there, that is what (3) is for).
# tests/e2e/mod_auth_openidc/rp_flow.py plays the browser (cookie jar,
# redirects followed by hand, the login form filled); rs_flow.py gets a user
# access token through the authorization code flow of a third client and
# presents it to (3) and (4). Everything is stopped
# and removed at the end, also on failure. Prints
#   E2E mod_auth_openidc: <passed> passed, <failed> failed
# and exits non-zero on any failure. KEEP=1 keeps the temporary folder.
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$TOP/tests/e2e/mod_auth_openidc"
ADMIN="$TOP/build/oidc-idp-admin"
MOD_AUTH_OPENIDC=/usr/lib/apache2/modules/mod_auth_openidc.so
# Debian's Python with Debian's python3-requests (scripts/deps.sh), whatever
# else is first on PATH
PYTHON=${PYTHON:-/usr/bin/python3}
export PYTHONDONTWRITEBYTECODE=1   # no __pycache__ in the tree

E2E_NAME=mod_auth_openidc
. "$TOP/tests/e2e/lib.sh"

# What this test needs is installed by scripts/deps.sh; missing is a failure.
missing=""
[ -x /usr/sbin/apache2 ] || missing="$missing apache2"
[ -f "$MOD_AUTH_OPENIDC" ] || missing="$missing libapache2-mod-auth-openidc"
"$PYTHON" -c 'import requests' 2>/dev/null || missing="$missing python3-requests"
command -v curl >/dev/null 2>&1 || missing="$missing curl"
command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
[ -z "$missing" ] || die "required packages are installed (missing:$missing; run: sh scripts/deps.sh test)"
if [ ! -x "$ADMIN" ] || [ ! -f "$TOP/build/mod_oidc_idp.so" ]; then
    make -C "$TOP" -s all >/dev/null || die "make all"
fi
echo "# $(dpkg-query -W -f='${Package} ${Version}' libapache2-mod-auth-openidc 2>/dev/null)"

WORK=$(mktemp -d /tmp/oidp-e2e-rp.XXXXXX)
chmod 0755 "$WORK"
export E2E_DIR="$WORK/idp"
RP="$WORK/rp"
cleanup() {
    rc=$?
    if [ -f "$RP/httpd.pid" ]; then
        /usr/sbin/apache2 -f "$RP/httpd.conf" -k stop 2>/dev/null || kill "$(cat "$RP/httpd.pid")" 2>/dev/null || true
        i=0
        while [ -f "$RP/httpd.pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    fi
    sh "$TOP/tests/e2e/idp.sh" stop idp || true
    if [ "${KEEP:-}" = 1 ]; then echo "# kept $WORK"; else rm -rf "$WORK"; fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# five distinct free loopback ports (held together while chosen)
# shellcheck disable=SC2046
set -- $("$PYTHON" -c '
import socket
ss = [socket.socket() for _ in range(5)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')
IDP_PORT=$1 JIRA_PORT=$2 STD_PORT=$3 RSI_PORT=$4 RSJ_PORT=$5

# ---------------------------------------------------------------- the IdP
unset ISSUER
out=$(sh "$TOP/tests/e2e/idp.sh" start idp "$IDP_PORT" sqlite https) || die "the IdP starts"
eval "$out"
ISSUER=$IDP_ISSUER
ok "the IdP answers over https at $ISSUER"

USERNAME=alice
PASSWORD="pw-$(openssl rand -hex 8)"
FULLNAME="Zoë Doe-Ångström"     # not ASCII on purpose: names are UTF-8 end to end
EMAIL=alice@example.com
printf '%s\n' "$PASSWORD" | "$ADMIN" --db "$IDP_DB" user add "$USERNAME" --password-stdin \
    --name "$FULLNAME" --given-name Zoë --family-name Doe-Ångström --email "$EMAIL" --email-verified >/dev/null ||
    die "user added"
SUB=$("$ADMIN" --db "$IDP_DB" --json user show "$USERNAME" | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["id"])')

secret_of() { sed -n 's/^client_secret: //p'; }
JIRA_SECRET=$("$ADMIN" --db "$IDP_DB" client add jira --dialect casdoor --first-party \
    --auth-method client_secret_post --name "Jira" \
    --redirect-uri "http://127.0.0.1:$JIRA_PORT/protected/redirect_uri" \
    --grant-types "authorization_code refresh_token" 2>/dev/null | secret_of)
STD_SECRET=$("$ADMIN" --db "$IDP_DB" client add wiki --name "Team Wiki" \
    --redirect-uri "http://127.0.0.1:$STD_PORT/protected/redirect_uri" \
    --post-logout-uri "http://127.0.0.1:$STD_PORT/loggedout.html" \
    --grant-types "authorization_code refresh_token" 2>/dev/null | secret_of)
if [ -n "$JIRA_SECRET" ] && [ -n "$STD_SECRET" ]; then
    ok "clients jira (casdoor dialect) and wiki (standard) registered"
else
    not_ok "clients registered"
fi
# the resource server is a confidential client of its own: it only
# introspects (no redirect URI, no user sign-in); the app is the client the
# user's access token is issued to, and the one that revokes it. Nothing
# listens at the app's redirect URI: rs_flow.py stops there.
API_SECRET=$("$ADMIN" --db "$IDP_DB" client add api --name "Resource server" \
    --grant-types client_credentials 2>/dev/null | secret_of)
APP_REDIRECT="http://127.0.0.1:$RSI_PORT/app/callback"
APP_SECRET=$("$ADMIN" --db "$IDP_DB" client add app --name "API app" --redirect-uri "$APP_REDIRECT" \
    --grant-types authorization_code 2>/dev/null | secret_of)
if [ -n "$API_SECRET" ] && [ -n "$APP_SECRET" ]; then
    ok "clients api (the resource server) and app (the API's client) registered"
else
    not_ok "clients api and app registered"
fi
# the resource servers are configured from the IdP's metadata
# shellcheck disable=SC2046
set -- $(curl -s --cacert "$IDP_CA" "$ISSUER/.well-known/openid-configuration" | "$PYTHON" -c '
import json, sys
m = json.load(sys.stdin)
urls = [m.get("introspection_endpoint", ""), m.get("jwks_uri", "")]
if all(u.startswith(sys.argv[1] + "/") for u in urls): print(*urls)' "$ISSUER")
[ $# = 2 ] || die "discovery names the introspection endpoint and the JWKS URL, under the issuer"
INTROSPECTION_ENDPOINT=$1 JWKS_URI=$2
ok "discovery names the introspection endpoint and the JWKS URL"

# ---------------------------------------------------------------- the RP
mkdir -p "$RP/htdocs/protected"
cp "$HERE/claims.cgi" "$RP/htdocs/protected/claims"
chmod 0755 "$RP" "$RP/htdocs" "$RP/htdocs/protected" "$RP/htdocs/protected/claims"
printf '<!doctype html><title>Signed out</title><p>You are logged out.</p>\n' > "$RP/htdocs/loggedout.html"
chmod 0644 "$RP/htdocs/loggedout.html"
user=""
[ "$(id -u)" = 0 ] && user="User www-data
Group www-data"
PASSPHRASE=$(openssl rand -hex 32)
subst() { # template client_id client_secret
    sed -e "s|@STATE@|$RP|g" -e "s|@ISSUER@|$ISSUER|g" -e "s|@CA@|$IDP_CA|g" \
        -e "s|@JIRA_PORT@|$JIRA_PORT|g" -e "s|@STD_PORT@|$STD_PORT|g" \
        -e "s|@RSI_PORT@|$RSI_PORT|g" -e "s|@RSJ_PORT@|$RSJ_PORT|g" \
        -e "s|@INTROSPECTION_ENDPOINT@|$INTROSPECTION_ENDPOINT|g" -e "s|@JWKS_URI@|$JWKS_URI|g" \
        -e "s|@PASSPHRASE@|$PASSPHRASE|g" -e "s|@CLIENT_ID@|$2|g" -e "s|@CLIENT_SECRET@|$3|g" "$1"
}
subst "$HERE/jira.conf.in" jira "$JIRA_SECRET" > "$RP/jira.conf"
subst "$HERE/standard.conf.in" wiki "$STD_SECRET" > "$RP/standard.conf"
subst "$HERE/rs-introspect.conf.in" api "$API_SECRET" > "$RP/rs-introspect.conf"
subst "$HERE/rs-jwt.conf.in" - - > "$RP/rs-jwt.conf"
subst "$HERE/rp.conf.in" - - | awk -v u="$user" '{ if ($0 == "@USER@") $0 = u; print }' > "$RP/httpd.conf"

rp_up() { # every virtual host answers
    for p in "$JIRA_PORT" "$STD_PORT" "$RSI_PORT" "$RSJ_PORT"; do
        curl -s -o /dev/null "http://127.0.0.1:$p/loggedout.html" || return 1
    done
}
if /usr/sbin/apache2 -f "$RP/httpd.conf" -k start; then
    i=0
    until rp_up; do
        i=$((i + 1))
        [ $i -gt 100 ] && break
        sleep 0.1
    done
fi
if rp_up; then
    ok "the RP (mod_auth_openidc) is up on ports $JIRA_PORT and $STD_PORT, the RSs on $RSI_PORT and $RSJ_PORT"
else
    sed 's/^/# /' "$RP/error.log" 2>/dev/null
    die "the RP (mod_auth_openidc) starts"
fi

# ---------------------------------------------------------------- flows
tally() { # label: counts the checks a flow printed (in $out)
    printf '%s\n' "$out"
    passed=$((passed + $(printf '%s\n' "$out" | grep -c '^ok ' || true)))
    failed=$((failed + $(printf '%s\n' "$out" | grep -c '^not ok ' || true)))
    # a flow that printed no check at all is a failure too
    printf '%s\n' "$out" | grep -q '^\(not \)\?ok ' || not_ok "$1: the flow printed no result"
}
run_flow() { # mode port expected-json
    out=$("$PYTHON" "$HERE/rp_flow.py" "$1" "http://127.0.0.1:$2" "$ISSUER" "$IDP_CA" \
        "$USERNAME" "$PASSWORD" "$3") || true
    tally "$1"
}

# (1) Jira's mapping: Username `name`, Email `email`, Full name `display_name`
run_flow jira "$JIRA_PORT" "{\"REMOTE_USER\": \"$USERNAME\", \"name\": \"$USERNAME\",
    \"email\": \"$EMAIL\", \"display_name\": \"$FULLNAME\"}"
# (2) standard claims: name is the full name, preferred_username the username
run_flow standard "$STD_PORT" "{\"REMOTE_USER\": \"$USERNAME\", \"sub\": \"$SUB\",
    \"name\": \"$FULLNAME\", \"preferred_username\": \"$USERNAME\", \"email\": \"$EMAIL\"}"
# (3) and (4): the resource servers, with a user access token of the app
out=$("$PYTHON" "$HERE/rs_flow.py" "$ISSUER" "$IDP_CA" "$USERNAME" "$PASSWORD" "$SUB" \
    app "$APP_SECRET" "$APP_REDIRECT" "http://127.0.0.1:$RSI_PORT" "http://127.0.0.1:$RSJ_PORT") || true
tally rs

# nothing went wrong on either side that the flows did not see
if grep -E '\[(auth_openidc|oidc_idp):(error|crit|alert|emerg)\]' "$RP/error.log" "$WORK/idp/idp/error.log" >/dev/null 2>&1; then
    not_ok "no errors in the RP's and the IdP's error logs"
    grep -hE '\[(auth_openidc|oidc_idp):(error|crit|alert|emerg)\]' "$RP/error.log" "$WORK/idp/idp/error.log" | sed 's/^/# /' | head -20
else
    ok "no errors in the RP's and the IdP's error logs"
fi
# the resource servers log their own refusals as errors: the one expected is
# the JWT whose signature rs_flow.py changed (an inactive token is logged at
# debug level only)
RS_EXPECTED='JWT signature verification failed|JWT access token signature could not be validated'
if grep -E '\[auth_openidc:(error|crit|alert|emerg)\]' "$RP/rs-error.log" 2>/dev/null | grep -vqE "$RS_EXPECTED"; then
    not_ok "the resource servers logged no errors but the refused signature"
    grep -E '\[auth_openidc:(error|crit|alert|emerg)\]' "$RP/rs-error.log" | grep -vE "$RS_EXPECTED" | sed 's/^/# /' | head -20
else
    ok "the resource servers logged no errors but the refused signature"
fi

finish
