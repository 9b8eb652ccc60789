#!/bin/sh
# End-to-end: identities from upstream Apache authentication with client
# certificates (OIDCIdPUpstreamAuth Optional, mod_ssl's SSLUserName).
#
#   sh tests/e2e/upstream.sh
#
# Makes a throwaway test CA (openssl) that issues a client certificate for
# alice, and a second, unknown CA that issues one for mallory; starts an IdP
# over https (tests/e2e/idp.sh, SQLite) with SSLVerifyClient optional_no_ca
# and SSLCACertificateFile the test CA, and in the authorization endpoint's
# <Location> SSLUserName SSL_CLIENT_S_DN_CN, OIDCIdPUpstreamAuth Optional and
# OIDCIdPClaim email %{SSL_CLIENT_S_DN_Email}. Checks (curl is the browser):
#   - alice's certificate signs in without a page: a code; its ID token has
#     amr ["swk"], acr "x509", and userinfo the email of the certificate;
#   - no certificate: the password form;
#   - mallory's certificate of the unknown CA (optional_no_ca sets r->user,
#     SSL_CLIENT_VERIFY is not SUCCESS): NOT trusted, the password form;
#   - prompt=none with alice's certificate: a code; without: login_required.
# Everything is stopped and removed at the end, also on failure. Prints
#   E2E upstream-x509: P passed, F failed
# and exits non-zero on any failure. KEEP=1 keeps the temporary folder.
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
ADMIN="$TOP/build/oidc-idp-admin"
E2E_NAME=upstream-x509
. "$TOP/tests/e2e/lib.sh"

missing=""
[ -x /usr/sbin/apache2 ] || missing="$missing apache2"
[ -f /usr/lib/apache2/modules/mod_ssl.so ] || missing="$missing apache2(mod_ssl)"
command -v curl >/dev/null 2>&1 || missing="$missing curl"
command -v openssl >/dev/null 2>&1 || missing="$missing openssl"
[ -z "$missing" ] || die "required packages are installed (missing:$missing; run: sh scripts/deps.sh test)"
if [ ! -x "$ADMIN" ] || [ ! -f "$TOP/build/mod_oidc_idp.so" ]; then
    make -C "$TOP" -s all >/dev/null || die "make all"
fi

WORK=$(mktemp -d /tmp/oidp-e2e-upstream.XXXXXX)
chmod 0755 "$WORK"
export E2E_DIR="$WORK/idp"
cleanup() {
    rc=$?
    sh "$TOP/tests/e2e/idp.sh" stop idp || true
    if [ "${KEEP:-}" = 1 ]; then echo "# kept $WORK"; else rm -rf "$WORK"; fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# ---------------------------------------------------------------- the CAs
PKI="$WORK/pki"
mkdir -p "$PKI"
ca() { # name
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1" \
        -keyout "$PKI/$1.key" -out "$PKI/$1.crt" 2>/dev/null
}
client() { # ca cn email
    openssl req -newkey rsa:2048 -nodes -subj "/CN=$2/emailAddress=$3" \
        -keyout "$PKI/$2.key" -out "$PKI/$2.csr" 2>/dev/null &&
        printf 'extendedKeyUsage=clientAuth\n' >"$PKI/ext" &&
        openssl x509 -req -in "$PKI/$2.csr" -CA "$PKI/$1.crt" -CAkey "$PKI/$1.key" -CAcreateserial \
            -days 2 -extfile "$PKI/ext" -out "$PKI/$2.crt" 2>/dev/null
}
ca test-ca && ca unknown-ca && client test-ca alice alice@example.org &&
    client unknown-ca mallory mallory@example.org || die "the test CAs issue client certificates"
chmod 0644 "$PKI"/*.crt
ok "a test CA issued alice's certificate, an unknown CA mallory's"

# ---------------------------------------------------------------- the IdP
cat >"$WORK/upstream.conf" <<EOF
SSLCACertificateFile "$PKI/test-ca.crt"
SSLVerifyClient optional_no_ca
SSLVerifyDepth 2
<LocationMatch "^/(login/oauth/authorize|authorize)\$">
    SSLUserName SSL_CLIENT_S_DN_CN
    OIDCIdPUpstreamAuth Optional
    OIDCIdPClaim email %{SSL_CLIENT_S_DN_Email}
</LocationMatch>
EOF
chmod 0644 "$WORK/upstream.conf"
# shellcheck disable=SC2046
set -- $(free_ports 1)
unset ISSUER
out=$(IDP_EXTRA_CONF="$WORK/upstream.conf" sh "$TOP/tests/e2e/idp.sh" start idp "$1" sqlite https) ||
    die "the IdP starts with SSLVerifyClient optional_no_ca and OIDCIdPUpstreamAuth Optional"
eval "$out"
ok "the IdP answers over https at $IDP_ISSUER"

RP=https://rp.example.test/cb
SECRET=$("$ADMIN" --db "$IDP_DB" client add app --first-party --redirect-uri "$RP" \
    --grant-types authorization_code 2>/dev/null | sed -n 's/^client_secret: //p')
[ -n "$SECRET" ] || die "client app registered"

AUTHZ="$IDP_URL/authorize?response_type=code&client_id=app&redirect_uri=$RP&scope=openid%20email&state=st"
# curl as a browser: -> "STATUS LOCATION" and the body in $WORK/body
get() { # url [cert-name]
    set -- "$1" ${2:+--cert "$PKI/$2.crt" --key "$PKI/$2.key"}
    url=$1
    shift
    curl -s --cacert "$IDP_CA" "$@" -o "$WORK/body" -w '%{http_code} %{redirect_url}' "$url" || echo "000 curl failed"
}
code_of() { printf '%s' "$1" | sed -n 's/.*[?&]code=\([^&]*\).*/\1/p'; }
is_login_page() { grep -q 'name="password"' "$WORK/body"; }

r=$(get "$AUTHZ" alice)
code=$(code_of "$r")
case $r in
"302 $RP"*) [ -n "$code" ] && ok "alice's certificate: a code without a page" || not_ok "alice's certificate: a code ($r)" ;;
*) not_ok "alice's certificate: a code without a page (got $r)" ;;
esac
tok=$(curl -s --cacert "$IDP_CA" -u "app:$SECRET" -d grant_type=authorization_code -d "code=$code" \
    --data-urlencode "redirect_uri=$RP" "$IDP_URL/token" || true)
claims=$(printf '%s' "$tok" | "$PYTHON" -c '
import base64, json, sys
t = json.load(sys.stdin)
p = t["id_token"].split(".")[1]
c = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
print(json.dumps(c.get("amr")), c.get("acr"), t["access_token"])' 2>/dev/null || true)
set -- $claims ""
[ "${1:-}" = '["swk"]' ] && ok "alice: amr [\"swk\"]" || not_ok "alice: amr [\"swk\"] (got ${1:-none})"
[ "${2:-}" = x509 ] && ok "alice: acr x509" || not_ok "alice: acr x509 (got ${2:-none})"
ui=$(curl -s --cacert "$IDP_CA" -H "Authorization: Bearer ${3:-none}" "$IDP_URL/userinfo" || true)
case $ui in
*'"email":"alice@example.org"'*) ok "alice: userinfo email from the certificate (OIDCIdPClaim)" ;;
*) not_ok "alice: userinfo email from the certificate (got $ui)" ;;
esac

r=$(get "$AUTHZ")
case $r in "200 "*) is_login_page && ok "no certificate: the password form" || not_ok "no certificate: the password form (not a login page)" ;;
*) not_ok "no certificate: the password form (got $r)" ;; esac

r=$(get "$AUTHZ" mallory)
case $r in "200 "*) is_login_page && ok "mallory's certificate of an unknown CA (optional_no_ca): not trusted, the password form" ||
    not_ok "unknown CA: the password form (not a login page)" ;;
*) not_ok "mallory's certificate of an unknown CA: not trusted (got $r)" ;; esac
if grep -q "OIDP00730: upstream user 'mallory' not trusted" "$IDP_STATE/error_log" 2>/dev/null ||
    grep -rq "OIDP00730: upstream user 'mallory' not trusted" "$IDP_STATE" 2>/dev/null; then
    ok "unknown CA: logged as not trusted (OIDP00730)"
else
    not_ok "unknown CA: logged as not trusted (OIDP00730)"
fi

r=$(get "$AUTHZ&prompt=none" alice)
case $r in "302 $RP"*code=*) ok "prompt=none with alice's certificate: a code" ;;
*) not_ok "prompt=none with alice's certificate: a code (got $r)" ;; esac
r=$(get "$AUTHZ&prompt=none")
case $r in "302 $RP"*error=login_required*) ok "prompt=none without a certificate: login_required" ;;
*) not_ok "prompt=none without a certificate: login_required (got $r)" ;; esac

finish
