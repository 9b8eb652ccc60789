#!/bin/sh
# End-to-end: two Apache nodes of one deployment on one PostgreSQL.
#
#   sh tests/e2e/multinode.sh
#
# Starts a throwaway PostgreSQL 15 cluster (Debian's binaries, run as the
# postgres user, trust authentication, a free loopback port) and two httpd
# instances with mod_oidc_idp (tests/e2e/idp.sh) on different ports that
# share it, the signing keys and the session passphrase (one SHARED_DIR),
# and one issuer (node B gets node A's through ISSUER), as two nodes behind a
# load balancer would. tests/e2e/multinode/checks.py then sends each request
# to one node's port directly: a code issued by A is redeemed on B, refresh
# tokens rotate across nodes and a replay fails on either, a token revoked
# on one is inactive on the other, a login session ended on one node is
# ended on the other. Everything is stopped and removed at the end, also on
# failure. Prints
#   E2E multinode: <passed> passed, <failed> failed
# and exits non-zero on any failure. KEEP=1 keeps the temporary folder
# (servers stopped).
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
ADMIN="$TOP/build/oidc-idp-admin"
export PYTHONDONTWRITEBYTECODE=1   # no __pycache__ in the tree

E2E_NAME=multinode
. "$TOP/tests/e2e/lib.sh"
e2e_pg_require cryptography

e2e_pg_workdir oidp-e2e-multi
cleanup() {
    rc=$?
    e2e_pg_teardown a b
    exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# ---------------------------------------------------------------- PostgreSQL
t0=$(date +%s)
e2e_pg_init
DB="pgsql:host=127.0.0.1 port=$PG_PORT dbname=oidp user=postgres"
ok "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT ($(($(date +%s) - t0)) s)"
"$ADMIN" --db "$DB" init >/dev/null || die "oidc-idp-admin --db '$DB' init"
ok "oidc-idp-admin init: the schema on PostgreSQL"

# ---------------------------------------------------------------- two nodes
# shellcheck disable=SC2046
set -- $(free_ports 2)
unset ISSUER
out=$(sh "$TOP/tests/e2e/idp.sh" start a "$1" "$DB" "" "$WORK/shared") || die "node A starts"
eval "$out"
A_URL=$IDP_URL
ISSUER_URL=$IDP_ISSUER
out=$(ISSUER=$ISSUER_URL sh "$TOP/tests/e2e/idp.sh" start b "$2" "$DB" "" "$WORK/shared") || die "node B starts"
eval "$out"
B_URL=$IDP_URL
if [ "$IDP_ISSUER" = "$ISSUER_URL" ] && [ "$A_URL" != "$B_URL" ]; then
    ok "node A at $A_URL and node B at $B_URL, one issuer $ISSUER_URL"
else
    not_ok "two nodes with one issuer (A $A_URL, B $B_URL, issuer of B $IDP_ISSUER)"
fi

# one database serves one issuer: the first node's start bound the unbound
# database to the issuer, which the second node shares (tests/e2e/binding.sh)
if "$ADMIN" --db "$DB" status 2>&1 | grep -qx "issuer: *$ISSUER_URL"; then
    ok "the database is bound to $ISSUER_URL by the first start; both nodes of that issuer run on it"
else
    not_ok "the database is bound to $ISSUER_URL: $("$ADMIN" --db "$DB" status 2>&1)"
fi

USERNAME=bob
PASSWORD="pw-$(openssl rand -hex 8)"
printf '%s\n' "$PASSWORD" | "$ADMIN" --db "$DB" user add "$USERNAME" --password-stdin \
    --name "Bob Builder" --email bob@example.com --email-verified >/dev/null || die "user added"
REDIRECT=http://127.0.0.1:9/callback        # never contacted: the checks stop at the redirect
POST_LOGOUT=http://127.0.0.1:9/signed-out
SECRET=$("$ADMIN" --db "$DB" client add app --first-party --name "App" \
    --redirect-uri "$REDIRECT" --post-logout-uri "$POST_LOGOUT" \
    --grant-types "authorization_code refresh_token client_credentials" 2>/dev/null | sed -n 's/^client_secret: //p')
if [ -n "$SECRET" ]; then ok "client and user registered in PostgreSQL"; else not_ok "client registered"; fi

# ---------------------------------------------------------------- checks
out=$("$PYTHON" "$TOP/tests/e2e/multinode/checks.py" "$A_URL" "$B_URL" "$ISSUER_URL" app "$SECRET" \
    "$REDIRECT" "$POST_LOGOUT" "$USERNAME" "$PASSWORD") || true
printf '%s\n' "$out"
passed=$((passed + $(printf '%s\n' "$out" | grep -c '^ok ' || true)))
failed=$((failed + $(printf '%s\n' "$out" | grep -c '^not ok ' || true)))
printf '%s\n' "$out" | grep -q '^# multinode:' || not_ok "the checks ran to the end"

# both nodes really served requests, and neither logged an error
for n in a b; do
    hits=$(grep -c '"POST /api/login/oauth/access_token' "$E2E_DIR/$n/access.log" 2>/dev/null || true)
    if [ "${hits:-0}" -gt 0 ]; then ok "node $n served $hits token requests"; else not_ok "node $n served token requests"; fi
done
if grep -hE '\[(oidc_idp|dbd):(error|crit|alert|emerg)\]' "$E2E_DIR/a/error.log" "$E2E_DIR/b/error.log" >/dev/null 2>&1; then
    not_ok "no errors in the nodes' error logs"
    grep -hE '\[(oidc_idp|dbd):(error|crit|alert|emerg)\]' "$E2E_DIR/a/error.log" "$E2E_DIR/b/error.log" | sed 's/^/# /' | head -20
else
    ok "no errors in the nodes' error logs"
fi

finish
