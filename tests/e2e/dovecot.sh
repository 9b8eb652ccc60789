#!/bin/sh
# End-to-end: Debian's Dovecot IMAP server takes a user's access token from
# mod_oidc_idp (SASL XOAUTH2 and OAUTHBEARER) and asks the IdP's
# introspection endpoint whose it is.
#
#   sh tests/e2e/dovecot.sh
#
# Starts an IdP over https (tests/e2e/idp.sh, SQLite, a throwaway
# self-signed certificate) and registers with oidc-idp-admin the user alice
# (mail alice@example.test), the mail app (a confidential client with the
# default method, client_secret_basic: the user's tokens) and Dovecot (a
# confidential client of its own: the resource server). Then starts a
# throwaway Dovecot (tests/e2e/dovecot/dovecot.conf.in, `dovecot -c`, its own
# base_dir, IMAP without TLS on a free loopback port, a maildir per user in
# the temporary folder) whose passdb oauth2
# (tests/e2e/dovecot/dovecot-oauth2.conf.ext.in) introspects every token at
# /api/login/oauth/introspect with Dovecot's client id and secret (Basic),
# username_attribute = email, active_attribute = active, no auth cache.
# As root its processes run as Debian's dovecot and dovenull and the mail as
# nobody; otherwise all as the running user (Dovecot's rootless setup).
# tests/e2e/dovecot/imap_flow.py gets two user access tokens through the
# authorization code flow (the login form filled, PKCE), each code redeemed
# with the secret in the POST body (client_secret_post, as Roundcube 1.6
# does) for the client registered client_secret_basic: one with the scope
# `openid email`, one with `openid profile`. Checks (python3's imaplib):
# XOAUTH2 and OAUTHBEARER log in as alice@example.test (Dovecot's log says
# so) and SELECT INBOX; a garbage token, alice's token for another mailbox
# and the token without the email scope ("No username returned" in Dovecot's
# log) are refused; after the mail app revokes the token at the IdP (RFC
# 7009), the next login with it is refused. Then no errors in the IdP's log,
# none in Dovecot's but the expected ones, Dovecot stops and leaves no
# process. Everything is stopped and removed at the end, also on failure.
# Prints
#   E2E dovecot <version>: <passed> passed, <failed> failed
# and exits non-zero on any failure; a missing dependency is a failure
# (scripts/deps.sh test installs dovecot-core and dovecot-imapd). KEEP=1
# keeps the temporary folder.
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$TOP/tests/e2e/dovecot"
ADMIN="$TOP/build/oidc-idp-admin"
# Debian's Python with Debian's python3-requests (scripts/deps.sh), whatever
# else is first on PATH
PYTHON=${PYTHON:-/usr/bin/python3}
export PYTHONDONTWRITEBYTECODE=1   # no __pycache__ in the tree

E2E_NAME=dovecot
. "$TOP/tests/e2e/lib.sh"

# What this test needs is installed by scripts/deps.sh; missing is a failure.
missing=""
[ -x /usr/sbin/apache2 ] || missing="$missing apache2"
[ -x /usr/sbin/dovecot ] && [ -x /usr/bin/doveadm ] || missing="$missing dovecot-core"
[ -x /usr/lib/dovecot/imap ] || missing="$missing dovecot-imapd"
"$PYTHON" -c 'import requests' 2>/dev/null || missing="$missing python3-requests"
command -v curl >/dev/null 2>&1 || missing="$missing curl"
command -v pgrep >/dev/null 2>&1 || missing="$missing procps"
command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
[ -z "$missing" ] || die "required packages are installed (missing:$missing; run: sh scripts/deps.sh test)"
if [ ! -x "$ADMIN" ] || [ ! -f "$TOP/build/mod_oidc_idp.so" ]; then
    make -C "$TOP" -s all >/dev/null || die "make all"
fi
E2E_NAME="dovecot $(/usr/sbin/dovecot --version | cut -d' ' -f1)"
echo "# $(dpkg-query -W -f='${Package} ${Version}' dovecot-imapd 2>/dev/null)"

WORK=$(mktemp -d /tmp/oidp-e2e-dovecot.XXXXXX)
chmod 0755 "$WORK"
export E2E_DIR="$WORK/idp"
DV="$WORK/dovecot"
DV_CONF="$DV/dovecot.conf"
INSTANCE="oidp-e2e-$$"             # Dovecot's process titles: dovecot-$INSTANCE/...
dovecot_pid() { cat "$DV/run/master.pid" 2>/dev/null || true; }
dovecot_left() { # processes of this instance still running
    pgrep -a -f "^(/usr/sbin/dovecot -c $DV_CONF|dovecot-$INSTANCE/)" || true
}
dovecot_stop() {
    pid=$(dovecot_pid)
    [ -n "$pid" ] || return 0
    doveadm -c "$DV_CONF" stop 2>/dev/null || kill "$pid" 2>/dev/null || true
    i=0
    while [ -n "$(dovecot_left)" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
}
cleanup() {
    rc=$?
    dovecot_stop
    sh "$TOP/tests/e2e/idp.sh" stop idp || true
    if [ "${KEEP:-}" = 1 ]; then echo "# kept $WORK"; else rm -rf "$WORK"; fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# two distinct free loopback ports (held together while chosen)
# shellcheck disable=SC2046
set -- $("$PYTHON" -c '
import socket
ss = [socket.socket() for _ in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')
IDP_PORT=$1 IMAP_PORT=$2

# ---------------------------------------------------------------- the IdP
unset ISSUER
out=$(sh "$TOP/tests/e2e/idp.sh" start idp "$IDP_PORT" sqlite https) || die "the IdP starts"
eval "$out"
ISSUER=$IDP_ISSUER
ok "the IdP answers over https at $ISSUER"

USERNAME=alice
PASSWORD="pw-$(openssl rand -hex 8)"
EMAIL=alice@example.test
printf '%s\n' "$PASSWORD" | "$ADMIN" --db "$IDP_DB" user add "$USERNAME" --password-stdin \
    --name "Alice Liddell" --email "$EMAIL" --email-verified >/dev/null || die "user $USERNAME ($EMAIL) added"
ok "user $USERNAME ($EMAIL) added"

secret_of() { sed -n 's/^client_secret: //p'; }
# the mail app (a webmail such as Roundcube): the user's tokens, the default
# authentication method; nothing listens at its redirect URI, imap_flow.py
# stops there
APP_REDIRECT="https://mail.example.test/index.php/login/oauth"
APP_SECRET=$("$ADMIN" --db "$IDP_DB" client add webmail --name "Webmail" --redirect-uri "$APP_REDIRECT" \
    --grant-types "authorization_code refresh_token" --scopes "openid email profile offline_access" \
    2>/dev/null | secret_of)
# Dovecot, the resource server: a confidential client that only introspects
RS_SECRET=$("$ADMIN" --db "$IDP_DB" client add dovecot --name "Dovecot IMAP" \
    --grant-types client_credentials 2>/dev/null | secret_of)
if [ -n "$APP_SECRET" ] && [ -n "$RS_SECRET" ]; then
    ok "clients webmail (the user's tokens) and dovecot (the resource server) registered"
else
    die "clients webmail and dovecot registered"
fi
if "$ADMIN" --db "$IDP_DB" --json client show webmail | grep -q '"client_secret_basic"'; then
    ok "webmail is registered with the default method, client_secret_basic"
else
    not_ok "webmail is registered with the default method, client_secret_basic"
fi
introspect=$(curl -s --cacert "$IDP_CA" "$ISSUER/.well-known/openid-configuration" |
    "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin).get("introspection_endpoint", ""))')
if [ "$introspect" = "$ISSUER/api/login/oauth/introspect" ]; then
    ok "discovery names the introspection endpoint $introspect"
else
    not_ok "discovery names the introspection endpoint $ISSUER/api/login/oauth/introspect (got '$introspect')"
fi

# ---------------------------------------------------------------- Dovecot
mkdir -p "$DV/run" "$DV/lib" "$DV/mail"
chmod 0755 "$DV"
if [ "$(id -u)" = 0 ]; then
    internal_user=dovecot internal_group=dovecot login_user=dovenull chroots=""
    mail_uid=$(id -u nobody) mail_gid=$(id -g nobody)
    chown "$mail_uid:$mail_gid" "$DV/mail"
else
    internal_user=$(id -un) internal_group=$(id -gn) login_user=$(id -un)
    chroots="service anvil {
  chroot =
}
service imap-login {
  chroot =
}"
    mail_uid=$(id -u) mail_gid=$(id -g)
fi
# the client id and secret in the URL's user info, percent-encoded
enc() { "$PYTHON" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
sed -e "s|@RS_ID@|$(enc dovecot)|" -e "s|@RS_SECRET@|$(enc "$RS_SECRET")|" \
    -e "s|@IDP_HOSTPORT@|localhost:$IDP_PORT|" -e "s|@IDP_CA@|$IDP_CA|" \
    "$HERE/dovecot-oauth2.conf.ext.in" > "$DV/dovecot-oauth2.conf.ext"
# it holds Dovecot's secret: readable by the auth process's group only
chgrp "$internal_group" "$DV/dovecot-oauth2.conf.ext"
chmod 0640 "$DV/dovecot-oauth2.conf.ext"
sed -e "s|@STATE@|$DV|g" -e "s|@INSTANCE@|$INSTANCE|" -e "s|@IMAP_PORT@|$IMAP_PORT|" \
    -e "s|@INTERNAL_USER@|$internal_user|" -e "s|@INTERNAL_GROUP@|$internal_group|" \
    -e "s|@LOGIN_USER@|$login_user|" -e "s|@MAIL_UID@|$mail_uid|" -e "s|@MAIL_GID@|$mail_gid|" \
    "$HERE/dovecot.conf.in" | awk -v c="$chroots" '{ if ($0 == "@CHROOTS@") $0 = c; print }' > "$DV_CONF"

if doveconf -c "$DV_CONF" -n > "$DV/doveconf.txt" 2>&1; then
    ok "doveconf accepts the configuration"
else
    sed 's/^/# /' "$DV/doveconf.txt"
    die "doveconf accepts the configuration"
fi
imap_up() { "$PYTHON" -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
sys.exit(0 if s.recv(200).startswith(b"* OK") else 1)' "$IMAP_PORT" 2>/dev/null; }
if /usr/sbin/dovecot -c "$DV_CONF"; then
    i=0
    until imap_up; do
        i=$((i + 1))
        [ $i -gt 100 ] && break
        sleep 0.1
    done
fi
if imap_up; then
    ok "Dovecot (pid $(dovecot_pid)) greets on 127.0.0.1:$IMAP_PORT"
else
    sed 's/^/# /' "$DV/dovecot.log" 2>/dev/null
    die "Dovecot starts"
fi

# ---------------------------------------------------------------- IMAP
out=$("$PYTHON" "$HERE/imap_flow.py" "$ISSUER" "$IDP_CA" "$USERNAME" "$PASSWORD" "$EMAIL" \
    webmail "$APP_SECRET" "$APP_REDIRECT" "$IMAP_PORT" "$DV/dovecot.log" "$DV/mail" dovecot "$RS_SECRET") || true
printf '%s\n' "$out"
passed=$((passed + $(printf '%s\n' "$out" | grep -c '^ok ' || true)))
failed=$((failed + $(printf '%s\n' "$out" | grep -c '^not ok ' || true)))
printf '%s\n' "$out" | grep -q '^\(not \)\?ok ' || not_ok "imap_flow.py printed no result"

# nothing went wrong that the flow did not see: no errors in the IdP's log;
# in Dovecot's only the refusals of the token without the email scope
if grep -E '\[oidc_idp:(error|crit|alert|emerg)\]' "$IDP_STATE/error.log" >/dev/null 2>&1; then
    not_ok "no errors in the IdP's error log"
    grep -E '\[oidc_idp:(error|crit|alert|emerg)\]' "$IDP_STATE/error.log" | sed 's/^/# /' | head -20
else
    ok "no errors in the IdP's error log"
fi
DV_EXPECTED='oauth2 failed: Introspection failed: No username returned$'
if grep -E ' (Error|Fatal|Panic|Warning): ' "$DV/dovecot.log" | grep -vqE "$DV_EXPECTED"; then
    not_ok "no errors or warnings in Dovecot's log but 'No username returned'"
    grep -E ' (Error|Fatal|Panic|Warning): ' "$DV/dovecot.log" | grep -vE "$DV_EXPECTED" | sed 's/^/# /' | head -20
else
    ok "no errors or warnings in Dovecot's log but 'No username returned'"
fi

dovecot_stop
left=$(dovecot_left)
if [ -z "$left" ] && [ ! -e "$DV/run/master.pid" ]; then
    ok "doveadm stop ends Dovecot: no process of the instance is left"
else
    not_ok "doveadm stop ends Dovecot: no process of the instance is left"
    printf '%s\n' "$left" | sed 's/^/# /'
fi

finish
