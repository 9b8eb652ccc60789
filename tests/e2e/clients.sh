#!/bin/sh
# End-to-end suite: relying parties nobody here wrote sign in through
# mod_oidc_idp (issue 4, relying parties 2-4).
#
#   openid-client   npm, panva's certified RP library (tests/e2e/node/openid-client.mjs)
#   authlib         Debian's python3-authlib (tests/e2e/python/authlib_rp.py)
#   browser         Debian's chromium driven by playwright-core, through a tiny
#                   relying party on loopback (tests/e2e/node/browser.mjs)
#
# Starts one IdP (tests/e2e/idp.sh, SQLite, http on loopback), registers the
# clients and the user it needs with oidc-idp-admin, runs the three, stops
# everything, prints one line per client
#   E2E <client> <version>: <passed> passed, <failed> failed
# and exits non-zero on any failure. A missing dependency is a failure, never
# a skip (scripts/deps.sh test installs them).
#
# Environment: E2E_CLIENTS="openid-client authlib browser" (the default) runs a
# subset; E2E_OUTPUT (default tests/e2e/output) receives screenshots and logs;
# E2E_TIMEOUT (default 300) bounds each client in seconds; E2E_PYTHON (default
# /usr/bin/python3, Debian's, where python3-authlib is) the Python to run Authlib.
set -eu

TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP"
NODE_DIR="$TOP/tests/e2e/node"
OUT=${E2E_OUTPUT:-$TOP/tests/e2e/output}
CLIENTS=${E2E_CLIENTS:-openid-client authlib browser}
PYTHON=${E2E_PYTHON:-/usr/bin/python3} # Debian's python3: python3-authlib lives there, not in a pyenv

WORK=$(mktemp -d /tmp/oidp-clients.XXXXXXXX)
chmod 0755 "$WORK" # httpd workers (www-data) and oidc-idp-admin reach the state below
export E2E_DIR="$WORK/idp"
IDP_NAME=clients
started=""
cleanup() {
    if [ -n "$started" ]; then sh "$TOP/tests/e2e/idp.sh" stop "$IDP_NAME" || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

mkdir -p "$OUT"
rm -rf "$OUT/browser" "$OUT"/*.log # nothing stale from an earlier run
RESULTS="$WORK/results"
: >"$RESULTS"
t0=$(date +%s)

# result CLIENT VERSION PASSED FAILED
result() {
    printf 'E2E %s %s: %s passed, %s failed\n' "$1" "$2" "$3" "$4" >>"$RESULTS"
}

# ---- dependencies: each missing one fails the clients that need it
missing=""
command -v node >/dev/null 2>&1 || missing="$missing node"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
[ -x /usr/bin/chromium ] || missing="$missing chromium"
"$PYTHON" -c 'import authlib, requests' 2>/dev/null || missing="$missing python3-authlib/python3-requests"
command -v jq >/dev/null 2>&1 || missing="$missing jq"
[ -x build/mod_oidc_idp.so ] && [ -x build/oidc-idp-admin ] || missing="$missing build/(run make all)"
if [ -n "$missing" ]; then
    echo "e2e clients: missing:$missing (scripts/deps.sh test installs them)" >&2
fi

# node_modules from the committed lock file, when absent or installed from
# another lock file (its checksum is kept beside what npm ci installed)
npm_ok=1
if command -v npm >/dev/null 2>&1; then
    want=$(cksum <"$NODE_DIR/package-lock.json")
    if [ "$(cat "$NODE_DIR/node_modules/.oidp-lock-cksum" 2>/dev/null || true)" != "$want" ]; then
        echo "e2e clients: npm ci in tests/e2e/node"
        if (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error) >"$WORK/npm.log" 2>&1; then
            echo "$want" >"$NODE_DIR/node_modules/.oidp-lock-cksum"
        else
            cat "$WORK/npm.log" >&2
            echo "e2e clients: npm ci failed" >&2
            npm_ok=0
        fi
    fi
else
    npm_ok=0
fi

free_port() {
    node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# ---- the IdP and what the clients need in it
fail_all() {
    for c in $CLIENTS; do result "$c" "?" 0 1; done
}
if command -v node >/dev/null 2>&1 && [ -x build/oidc-idp-admin ] && command -v jq >/dev/null 2>&1; then
    IDP_PORT=$(free_port)
    RP_PORT=$(free_port)
    if out=$(sh "$TOP/tests/e2e/idp.sh" start "$IDP_NAME" "$IDP_PORT" sqlite 2>"$WORK/idp.err"); then
        started=1
        eval "$out"
    else
        cat "$WORK/idp.err" >&2
    fi
fi

if [ -z "$started" ]; then
    echo "e2e clients: the IdP did not start" >&2
    fail_all
else
    admin() { "$TOP/build/oidc-idp-admin" --db "$IDP_DB" "$@"; }
    # secret CLIENT_ID ADD-OPTIONS...: registers a client, prints its secret
    secret() {
        id=$1
        shift
        admin client add "$id" "$@" 2>/dev/null | sed -n 's/^client_secret: //p'
    }
    # A password with what form encoding gets wrong: spaces, &, =, +, %, quotes, non-ASCII.
    PASSWORD="Pä ss&=+%\"'$(openssl rand -hex 6)"
    USERNAME=alice
    FULLNAME="Alice Zoë O'Doe"
    EMAIL=alice@example.org
    printf '%s\n' "$PASSWORD" | admin user add "$USERNAME" --password-stdin --name "$FULLNAME" \
        --given-name Alice --family-name "O'Doe" --email "$EMAIL" --email-verified \
        --phone "+1 555 0100" --locality Springfield --country US --group staff >/dev/null

    CB=http://127.0.0.1:9 # scripted clients stop at the redirect; nothing listens there
    RP="http://127.0.0.1:$RP_PORT"
    ALL_SCOPES="openid profile email address phone offline_access api"
    S_OC_BASIC=$(secret oc-basic --name "openid-client (basic)" --redirect-uri "$CB/oc-basic/cb" \
        --post-logout-uri "$CB/oc-basic/logged-out" \
        --grant-types "authorization_code refresh_token client_credentials" --scopes "$ALL_SCOPES")
    S_OC_POST=$(secret oc-post --name "openid-client (post)" --auth-method client_secret_post \
        --redirect-uri "$CB/oc-post/cb" --grant-types client_credentials --scopes api)
    S_OC_PIN=$(secret oc-pinned --name "openid-client (pinned post)" --auth-method client_secret_post \
        --pin-auth-method --grant-types client_credentials --scopes api)
    ODD_ID="svc:reports+ü/1 %"
    S_OC_ODD=$(secret "$ODD_ID" --name "A service" --grant-types client_credentials --scopes api)
    admin client add oc-public --public --first-party --name "openid-client (public)" \
        --redirect-uri "$CB/oc-public/cb" --grant-types "authorization_code refresh_token" >/dev/null 2>&1
    S_AL_RS=$(secret authlib-rs --name "Authlib (RS256)" --redirect-uri "$CB/authlib-rs/cb" --scopes "$ALL_SCOPES")
    S_AL_ES=$(secret authlib-es --name "Authlib (ES256, post)" --auth-method client_secret_post \
        --id-token-alg ES256 --redirect-uri "$CB/authlib-es/cb" --scopes "$ALL_SCOPES")
    S_BR=$(secret team-wiki --name "Team Wiki" --redirect-uri "$RP/cb" --post-logout-uri "$RP/logged-out" \
        --scopes "$ALL_SCOPES")

    CONFIG="$WORK/config.json"
    jq -n --arg issuer "$IDP_URL" --arg user "$USERNAME" --arg pw "$PASSWORD" --arg name "$FULLNAME" \
        --arg email "$EMAIL" --arg cb "$CB" --arg rp "$RP" --arg rp_port "$RP_PORT" --arg out "$OUT" \
        --arg ocb "$S_OC_BASIC" --arg ocp "$S_OC_POST" --arg ocpin "$S_OC_PIN" --arg oddid "$ODD_ID" --arg odd "$S_OC_ODD" --arg alr "$S_AL_RS" --arg ale "$S_AL_ES" --arg br "$S_BR" '{
        issuer: $issuer,
        user: {username: $user, password: $pw, name: $name, email: $email},
        output: $out,
        rp_port: ($rp_port | tonumber),
        clients: {
          basic: {client_id: "oc-basic", client_secret: $ocb, redirect_uri: ($cb + "/oc-basic/cb"),
                  post_logout_uri: ($cb + "/oc-basic/logged-out")},
          post: {client_id: "oc-post", client_secret: $ocp},
          pinned: {client_id: "oc-pinned", client_secret: $ocpin},
          odd: {client_id: $oddid, client_secret: $odd},
          public: {client_id: "oc-public", redirect_uri: ($cb + "/oc-public/cb")},
          authlib_rs: {client_id: "authlib-rs", client_secret: $alr, redirect_uri: ($cb + "/authlib-rs/cb")},
          authlib_es: {client_id: "authlib-es", client_secret: $ale, redirect_uri: ($cb + "/authlib-es/cb")},
          browser: {client_id: "team-wiki", client_secret: $br, redirect_uri: ($rp + "/cb"),
                    post_logout_uri: ($rp + "/logged-out")}
        }}' >"$CONFIG"
    for s in "$S_OC_BASIC" "$S_OC_POST" "$S_OC_PIN" "$S_OC_ODD" "$S_AL_RS" "$S_AL_ES" "$S_BR"; do
        [ -n "$s" ] || { echo "e2e clients: registering a client failed" >&2; break; }
    done

    # run CLIENT VERSION COMMAND...: shows the output, keeps it in $OUT/CLIENT.log,
    # reads its "RESULT <client> <version> passed=P failed=F" line. A client
    # that runs longer than E2E_TIMEOUT seconds (default 300) is killed and fails.
    run() {
        c=$1
        v=$2
        shift 2
        echo
        echo "==== e2e $c: $*"
        { timeout -k 10 "${E2E_TIMEOUT:-300}" "$@" 2>&1 || echo "exit status $?"; } | tee "$OUT/$c.log"
        line=$(grep -E "^RESULT $c " "$OUT/$c.log" | tail -n 1 || true)
        if [ -n "$line" ]; then
            v=$(echo "$line" | cut -d' ' -f3)
            p=$(echo "$line" | sed -E 's/.*passed=([0-9]+).*/\1/')
            f=$(echo "$line" | sed -E 's/.*failed=([0-9]+).*/\1/')
            # a crash after the summary, or a non-zero exit with no failed check
            if grep -q '^exit status' "$OUT/$c.log" && [ "$f" -eq 0 ]; then f=1; fi
        else
            p=$(grep -c '^ok ' "$OUT/$c.log" || true)
            f=$(($(grep -c '^not ok ' "$OUT/$c.log" || true) + 1))
            echo "e2e $c: no RESULT line (crashed or did not start)" >&2
        fi
        result "$c" "$v" "$p" "$f"
    }

    for c in $CLIENTS; do
        case $c in
        openid-client)
            if [ $npm_ok = 1 ]; then
                run openid-client "?" node "$NODE_DIR/openid-client.mjs" "$CONFIG"
            else
                result openid-client "?" 0 1
            fi
            ;;
        authlib)
            run authlib "?" "$PYTHON" "$TOP/tests/e2e/python/authlib_rp.py" "$CONFIG"
            ;;
        browser)
            if [ $npm_ok = 1 ]; then
                run browser "?" node "$NODE_DIR/browser.mjs" "$CONFIG"
            else
                result browser "?" 0 1
            fi
            ;;
        *) echo "e2e clients: unknown client $c" >&2; result "$c" "?" 0 1 ;;
        esac
    done
    if grep -E 'AH[0-9]+: .*(segfault|exit signal)|\[core:(crit|alert|emerg)\]' "$IDP_STATE/error.log" >&2; then
        echo "e2e clients: the IdP crashed (above, from its error.log)" >&2
        result idp-error-log "-" 0 1
    fi
    cp "$IDP_STATE/error.log" "$OUT/idp-error.log" 2>/dev/null || true
    cp "$IDP_STATE/access.log" "$OUT/idp-access.log" 2>/dev/null || true
fi

echo
echo "==== e2e clients ($(($(date +%s) - t0))s; screenshots and logs in $OUT)"
cat "$RESULTS"
if grep -qv ' 0 failed$' "$RESULTS" || [ ! -s "$RESULTS" ]; then
    echo "e2e clients: FAILED"
    exit 1
fi
echo "e2e clients: ok"
