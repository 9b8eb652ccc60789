#!/bin/sh
# End-to-end: the login form's passwords checked by a real directory.
#
#   sh tests/e2e/authn.sh
#
# Starts, on free loopback ports in a temporary folder: OpenLDAP's slapd
# (a throwaway slapd.conf, back_mdb, the memberof overlay; people with uid,
# cn, sn, mail, displayName, one with a non-ASCII name, in groupOfNames
# groups), an IdP over https (tests/e2e/idp.sh, SQLite) whose authorization
# endpoint has OIDCIdPAuthnProvider ldap (mod_authnz_ldap) and OIDCIdPClaim
# lines as README.md's "Where users come from", and a mod_auth_openidc RP
# configured as README.md's Jira section. Checks (tests/e2e/authn_flow.py
# plays the browser):
#   - a directory user signs in: name, email, email_verified, groups (from
#     memberOf), preferred_username, amr pwd; the sub is the same at the
#     next sign-in and differs between users;
#   - a wrong password and an unknown user get the same page;
#   - mod_auth_openidc (Jira setup, Casdoor dialect) signs the directory
#     user in and receives name, email and display_name from LDAP;
#   - slapd stopped: a 503 page that says the directory is unavailable,
#     never a wrong-password message, never a sign-in (not even for the
#     user who just signed in: mod_ldap's cache is off in this setup);
#   - slapd started again: the same user signs in with the same sub.
# Everything is stopped and removed at the end, also on failure. Prints
#   E2E authn-ldap: P passed, F failed
# and exits non-zero on any failure. KEEP=1 keeps the temporary folder.
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$TOP/tests/e2e"
ADMIN="$TOP/build/oidc-idp-admin"
PYTHON=${PYTHON:-/usr/bin/python3}
MODS=/usr/lib/apache2/modules
export PYTHONDONTWRITEBYTECODE=1

E2E_NAME=authn-ldap
. "$TOP/tests/e2e/lib.sh"

# What this test needs is installed by scripts/deps.sh; missing is a failure.
missing=""
[ -x /usr/sbin/slapd ] || missing="$missing slapd"
command -v slappasswd >/dev/null 2>&1 || missing="$missing slapd(slappasswd)"
[ -f /usr/lib/ldap/back_mdb.so ] || missing="$missing slapd(back_mdb)"
command -v ldapadd >/dev/null 2>&1 || missing="$missing ldap-utils"
[ -x /usr/sbin/apache2 ] || missing="$missing apache2"
[ -f "$MODS/mod_authnz_ldap.so" ] || missing="$missing apache2(mod_authnz_ldap)"
[ -f "$MODS/mod_auth_openidc.so" ] || missing="$missing libapache2-mod-auth-openidc"
"$PYTHON" -c 'import requests' 2>/dev/null || missing="$missing python3-requests"
command -v curl >/dev/null 2>&1 || missing="$missing curl"
[ -z "$missing" ] || die "required packages are installed (missing:$missing; run: sh scripts/deps.sh test)"
if [ ! -x "$ADMIN" ] || [ ! -f "$TOP/build/mod_oidc_idp.so" ]; then
    make -C "$TOP" -s all >/dev/null || die "make all"
fi

WORK=$(mktemp -d /tmp/oidp-e2e-authn.XXXXXX)
chmod 0755 "$WORK"
export E2E_DIR="$WORK/idp"
LDAP="$WORK/ldap"
RP="$WORK/rp"
slapd_stop() {
    if [ -f "$LDAP/slapd.pid" ]; then
        kill "$(cat "$LDAP/slapd.pid")" 2>/dev/null || true
        i=0
        while [ -f "$LDAP/slapd.pid" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    fi
}
cleanup() {
    rc=$?
    if [ -f "$RP/httpd.pid" ]; then
        /usr/sbin/apache2 -f "$RP/httpd.conf" -k stop 2>/dev/null || kill "$(cat "$RP/httpd.pid")" 2>/dev/null || true
        i=0
        while [ -f "$RP/httpd.pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    fi
    sh "$TOP/tests/e2e/idp.sh" stop idp || true
    slapd_stop
    if [ "${KEEP:-}" = 1 ]; then echo "# kept $WORK"; else rm -rf "$WORK"; fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# shellcheck disable=SC2046
set -- $(free_ports 3)
LDAP_PORT=$1 IDP_PORT=$2 JIRA_PORT=$3
LDAP_URL="ldap://127.0.0.1:$LDAP_PORT/"

# ---------------------------------------------------------------- slapd
mkdir -p "$LDAP/db"
chmod 0700 "$LDAP"
cat >"$LDAP/slapd.conf" <<EOF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
pidfile $LDAP/slapd.pid
argsfile $LDAP/slapd.args
database mdb
maxsize 10485760
suffix "dc=example,dc=org"
rootdn "cn=admin,dc=example,dc=org"
rootpw admin-secret
directory $LDAP/db
overlay memberof
access to attrs=userPassword by anonymous auth by * none
access to * by * read
EOF
ALICE_PW="alice-$(openssl rand -hex 6)"
BOB_PW="bob-$(openssl rand -hex 6)"
DISPLAY="Zoë Ångström-Liddell"     # not ASCII on purpose: UTF-8 from LDAP to the RP
person() { # uid cn sn displayName mail password
    printf 'dn: uid=%s,ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\nuid: %s\ncn: %s\nsn: %s\ndisplayName: %s\nmail: %s\nuserPassword: %s\n\n' \
        "$1" "$1" "$2" "$3" "$4" "$5" "$(slappasswd -s "$6")"
}
group() { # cn member-uid...
    g=$1
    shift
    printf 'dn: cn=%s,ou=groups,dc=example,dc=org\nobjectClass: groupOfNames\ncn: %s\n' "$g" "$g"
    for u in "$@"; do printf 'member: uid=%s,ou=people,dc=example,dc=org\n' "$u"; done
    printf '\n'
}
{
    printf 'dn: dc=example,dc=org\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n\n'
    printf 'dn: ou=people,dc=example,dc=org\nobjectClass: organizationalUnit\nou: people\n\n'
    printf 'dn: ou=groups,dc=example,dc=org\nobjectClass: organizationalUnit\nou: groups\n\n'
    person alice "Alice Liddell" Liddell "$DISPLAY" alice@example.org "$ALICE_PW"
    person bob "Bob Builder" Builder "Bob Builder" bob@example.org "$BOB_PW"
    # the groups after the people: the memberof overlay sets their memberOf
    group admins alice
    group staff alice bob
} >"$LDAP/data.ldif"

slapd_start() {
    /usr/sbin/slapd -f "$LDAP/slapd.conf" -h "$LDAP_URL" || return 1
    i=0
    until ldapsearch -x -H "$LDAP_URL" -b "" -s base >/dev/null 2>&1; do
        i=$((i + 1))
        [ $i -gt 100 ] && return 1
        sleep 0.1
    done
}
slapd_start || die "slapd starts on $LDAP_URL"
ok "slapd answers on $LDAP_URL"
if ldapadd -x -H "$LDAP_URL" -D "cn=admin,dc=example,dc=org" -w admin-secret -f "$LDAP/data.ldif" >/dev/null; then
    ok "the directory is loaded (2 people, 2 groups)"
else
    die "the directory is loaded"
fi
n=$(ldapsearch -x -LLL -H "$LDAP_URL" -b "ou=people,dc=example,dc=org" "(uid=alice)" memberOf | grep -c '^memberOf:' || true)
[ "$n" = 2 ] && ok "alice is a memberOf 2 groups" || not_ok "alice is a memberOf 2 groups (got $n)"

# ---------------------------------------------------------------- the IdP
# README.md "Where users come from": LDAP with the attributes the claims need
cat >"$WORK/ldap-authn.conf" <<EOF
LoadModule ldap_module $MODS/mod_ldap.so
LoadModule authnz_ldap_module $MODS/mod_authnz_ldap.so
# no cached credentials: with the directory down nobody signs in
LDAPCacheEntries 0
LDAPOpCacheEntries 0
<LocationMatch "^/(login/oauth/authorize|authorize)\$">
    OIDCIdPAuthnProvider ldap
    AuthLDAPURL "${LDAP_URL}ou=people,dc=example,dc=org?uid,mail,cn,sn,displayName,memberOf?sub?(objectClass=inetOrgPerson)"
    OIDCIdPClaim name           %{reqenv:AUTHENTICATE_DISPLAYNAME}
    OIDCIdPClaim family_name    %{reqenv:AUTHENTICATE_SN}
    OIDCIdPClaim email          %{reqenv:AUTHENTICATE_MAIL}
    OIDCIdPClaim email_verified true
    OIDCIdPClaim groups         %{reqenv:AUTHENTICATE_MEMBEROF}
</LocationMatch>
EOF
chmod 0644 "$WORK/ldap-authn.conf"
unset ISSUER
out=$(IDP_EXTRA_CONF="$WORK/ldap-authn.conf" sh "$TOP/tests/e2e/idp.sh" start idp "$IDP_PORT" sqlite https) ||
    die "the IdP starts with OIDCIdPAuthnProvider ldap"
eval "$out"
ISSUER=$IDP_ISSUER
ok "the IdP answers over https at $ISSUER, passwords checked by LDAP"

secret_of() { sed -n 's/^client_secret: //p'; }
APP_REDIRECT="http://127.0.0.1:$JIRA_PORT/app/callback"
APP_SECRET=$("$ADMIN" --db "$IDP_DB" client add app --first-party --redirect-uri "$APP_REDIRECT" \
    --grant-types authorization_code 2>/dev/null | secret_of)
JIRA_SECRET=$("$ADMIN" --db "$IDP_DB" client add jira --dialect casdoor --first-party \
    --auth-method client_secret_post --name "Jira" \
    --redirect-uri "http://127.0.0.1:$JIRA_PORT/protected/redirect_uri" \
    --grant-types "authorization_code refresh_token" 2>/dev/null | secret_of)
[ -n "$APP_SECRET" ] && [ -n "$JIRA_SECRET" ] && ok "clients app (standard) and jira (casdoor dialect) registered" ||
    not_ok "clients registered"

tally() { # label: counts the checks a flow printed (in $out)
    printf '%s\n' "$out"
    passed=$((passed + $(printf '%s\n' "$out" | grep -c '^ok ' || true)))
    failed=$((failed + $(printf '%s\n' "$out" | grep -c '^not ok ' || true)))
    printf '%s\n' "$out" | grep -q '^\(not \)\?ok ' || not_ok "$1: the flow printed no result"
}
flow() { # mode user password [expected-json]
    m=$1
    shift
    case $m in
    signin) out=$("$PYTHON" "$HERE/authn_flow.py" signin "$ISSUER" "$IDP_CA" app "$APP_SECRET" "$APP_REDIRECT" "$@") || true ;;
    *) out=$("$PYTHON" "$HERE/authn_flow.py" "$m" "$ISSUER" "$IDP_CA" app "$APP_REDIRECT" "$@") || true ;;
    esac
    tally "$m $1"
}
sub_of() { printf '%s\n' "$out" | sed -n 's/^# sub=//p'; }
page_of() { printf '%s\n' "$out" | sed -n 's/^# page=//p'; }

# ---------------------------------------------------------------- sign-ins
ALICE_CLAIMS=$(cat <<EOF
{"name": "$DISPLAY", "family_name": "Liddell", "email": "alice@example.org", "email_verified": true,
 "preferred_username": "alice", "amr": ["pwd"],
 "groups": ["cn=admins,ou=groups,dc=example,dc=org", "cn=staff,ou=groups,dc=example,dc=org"]}
EOF
)
flow signin alice "$ALICE_PW" "$ALICE_CLAIMS"
ALICE_SUB=$(sub_of)
flow signin alice "$ALICE_PW" '{"amr": ["pwd"]}'
[ -n "$ALICE_SUB" ] && [ "$(sub_of)" = "$ALICE_SUB" ] && ok "alice's second sign-in has the same sub" ||
    not_ok "alice's second sign-in has the same sub ($ALICE_SUB, $(sub_of))"
flow signin bob "$BOB_PW" '{"name": "Bob Builder", "groups": ["cn=staff,ou=groups,dc=example,dc=org"]}'
[ -n "$(sub_of)" ] && [ "$(sub_of)" != "$ALICE_SUB" ] && ok "bob has a sub of his own" || not_ok "bob has a sub of his own"
n=$(sqlite3 "$IDP_STATE/db/idp.db" "SELECT count(*) FROM oidp_user WHERE source = 'ldap'" 2>/dev/null || echo "?")
[ "$n" = 2 ] && ok "two user rows of source ldap (made at the first sign-ins)" || not_ok "two user rows of source ldap (got $n)"

flow refused alice "wrong-$ALICE_PW"
WRONG=$(page_of)
flow refused "nobody-$(openssl rand -hex 4)" "$ALICE_PW"
[ -n "$WRONG" ] && [ "$(page_of)" = "$WRONG" ] && ok "an unknown user gets the wrong password's page" ||
    not_ok "an unknown user gets the wrong password's page"

# ---------------------------------------------------------------- mod_auth_openidc, the Jira setup
mkdir -p "$RP/htdocs/protected"
cp "$HERE/mod_auth_openidc/claims.cgi" "$RP/htdocs/protected/claims"
chmod 0755 "$RP" "$RP/htdocs" "$RP/htdocs/protected" "$RP/htdocs/protected/claims"
printf '<!doctype html><title>Signed out</title><p>You are logged out.</p>\n' >"$RP/htdocs/loggedout.html"
chmod 0644 "$RP/htdocs/loggedout.html"
user=""
[ "$(id -u)" = 0 ] && user="User www-data
Group www-data"
subst() {
    sed -e "s|@STATE@|$RP|g" -e "s|@ISSUER@|$ISSUER|g" -e "s|@CA@|$IDP_CA|g" \
        -e "s|@JIRA_PORT@|$JIRA_PORT|g" -e "s|@PASSPHRASE@|$(openssl rand -hex 32)|g" \
        -e "s|@CLIENT_ID@|jira|g" -e "s|@CLIENT_SECRET@|$JIRA_SECRET|g" "$1"
}
subst "$HERE/mod_auth_openidc/jira.conf.in" >"$RP/jira.conf"
# the RP of tests/e2e/mod_auth_openidc.sh with its Jira virtual host only
subst "$HERE/mod_auth_openidc/rp.conf.in" | grep -v -e '@STD_PORT@' -e '@RSI_PORT@' -e '@RSJ_PORT@' \
    -e 'standard.conf' -e 'rs-introspect.conf' -e 'rs-jwt.conf' |
    awk -v u="$user" '{ if ($0 == "@USER@") $0 = u; print }' >"$RP/httpd.conf"
if /usr/sbin/apache2 -f "$RP/httpd.conf" -k start; then
    i=0
    until curl -s -o /dev/null "http://127.0.0.1:$JIRA_PORT/loggedout.html"; do
        i=$((i + 1))
        [ $i -gt 100 ] && break
        sleep 0.1
    done
fi
if curl -s -o /dev/null "http://127.0.0.1:$JIRA_PORT/loggedout.html"; then
    ok "the RP (mod_auth_openidc, Jira setup) is up on port $JIRA_PORT"
    out=$("$PYTHON" "$HERE/mod_auth_openidc/rp_flow.py" jira "http://127.0.0.1:$JIRA_PORT" "$ISSUER" "$IDP_CA" \
        alice "$ALICE_PW" "{\"REMOTE_USER\": \"alice\", \"name\": \"alice\",
        \"email\": \"alice@example.org\", \"display_name\": \"$DISPLAY\"}") || true
    tally jira
else
    sed 's/^/# /' "$RP/error.log" 2>/dev/null || true
    not_ok "the RP (mod_auth_openidc) starts"
fi

# ---------------------------------------------------------------- the directory down
slapd_stop
if ldapsearch -x -H "$LDAP_URL" -b "" -s base >/dev/null 2>&1; then
    not_ok "slapd is stopped"
else
    ok "slapd is stopped"
fi
flow down alice "$ALICE_PW"
flow down alice "wrong-$ALICE_PW"
flow down "nobody-$(openssl rand -hex 4)" "$ALICE_PW"
if grep -q "OIDP00685: authn provider 'ldap' could not check a password" "$IDP_STATE/error.log"; then
    ok "the IdP logged that the directory could not answer (OIDP00685)"
else
    not_ok "the IdP logged that the directory could not answer (OIDP00685)"
    grep -a 'ldap\|OIDP' "$IDP_STATE/error.log" | tail -n 5 | sed 's/^/#   /'
fi

# ---------------------------------------------------------------- back
slapd_start && ok "slapd started again" || not_ok "slapd started again"
flow signin alice "$ALICE_PW" '{"email": "alice@example.org"}'
[ "$(sub_of)" = "$ALICE_SUB" ] && ok "with the directory back alice signs in, the same sub" ||
    not_ok "with the directory back alice signs in, the same sub"

finish
