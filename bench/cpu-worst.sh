#!/usr/bin/env bash
# The server CPU time of the worst accepted request of each endpoint (issue 8: no request that
# the module accepts may cost much CPU; target under 5 ms each). Not part of `make test`.
#
#   sh bench/cpu-worst.sh
#
# Starts httpd with mod_oidc_idp as bench/run.sh does (a temporary folder, a free loopback port,
# fresh keys, an SQLite database made with oidc-idp-admin; bench/conf/cpu-worst.conf.in adds
# mod_session and maps every endpoint through conf/oidc_idp-endpoints.conf), registers a client
# with the most scopes a client can have (100, most of them 256 bytes long) and a user, then for
# each endpoint sends CPU_WORST_N requests built to be the most expensive ones the module still
# accepts (the largest body or request line it takes, every list at its limit), checks that each
# is accepted, and prints the CPU time the server's processes used (utime + stime from /proc, all
# httpd processes) divided by the number of requests. The client's own CPU is not counted.
#
# The requests (see worst() in the Python part below):
#   discovery   GET /.well-known/openid-configuration
#   authorize   POST, 64 KB body: 100 scopes of up to 256 bytes, an 8 KB claims request, a
#               512-byte UTF-8 nonce and login_hint, prompt with 3 values, max_age, PKCE, the rest
#               of the body in state; the answer is the login page with every field echoed
#   authorize+password  the login page posted back with the right password: bcrypt runs (by
#               design; password guessing is throttled, not made cheap); shown apart
#   authorize (consent)  a signed-in browser, the 64 KB request for a client that is not
#               first-party: the consent page (its one-time token written to the session cookie)
#   authorize+allow  that page's Allow posted back: the token used up, consent stored, a code
#   token       authorization_code redeemed, every scope and the claims request: access, refresh
#               and ID token (two RS256 signatures)
#   userinfo    POST with the access token of all scopes and claims in the body (it is
#               longer than httpd's 8 KB header field limit)
#   introspect  POST token=<that access token>, client authenticated
#   revoke      POST token=<a refresh token>, a different one each time
#   logout      GET /logout with a signed-in session, id_token_hint, post_logout_redirect_uri and
#               an 8 KB request line (state): the session ended, 302
#
# Environment: CPU_WORST_N requests per endpoint [100]; CPU_WORST_KEEP=1 keeps the folder;
# CPU_WORST_ONLY=NAME,... measures only those lines (e.g. "authorize (minimal)", for a profiler);
# CPU_WORST_CONF='LINES' adds configuration lines (e.g. 'SessionCryptoCipher aes128', README.md,
# Performance).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -euo pipefail

BENCH=$(cd "$(dirname "$0")" && pwd)
TOP=$(dirname "$BENCH")
HTTPD=${HTTPD:-/usr/sbin/apache2}
N=${CPU_WORST_N:-100}
KEEP=${CPU_WORST_KEEP:-0}
CONF_EXTRA=${CPU_WORST_CONF:-}
ADMIN="$TOP/build/oidc-idp-admin"

die() { printf 'cpu-worst: %s\n' "$*" >&2; exit 1; }
[[ $N =~ ^[0-9]+$ && $N -gt 0 ]] || die "CPU_WORST_N must be a positive whole number"
for t in "$HTTPD" python3 openssl sqlite3 curl; do
    command -v "$t" >/dev/null || die "missing $t"
done
python3 -c 'import requests' 2>/dev/null || die "missing python3-requests (apt-get install python3-requests)"
[[ -f $TOP/build/mod_oidc_idp.so && -x $ADMIN ]] || die "run make all first"
AS_ROOT=0
[[ $(id -u) == 0 ]] && AS_ROOT=1

WORK=$(mktemp -d /tmp/oidc-idp-cpu.XXXXXX)
chmod 755 "$WORK"
IDP="$WORK/idp"
cleanup() {
    local rc=$? pid
    trap - EXIT INT TERM
    if [[ -s $IDP/run/httpd.pid ]]; then
        pid=$(cat "$IDP/run/httpd.pid")
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    if [[ $KEEP == 1 ]]; then echo "cpu-worst: kept $WORK" >&2; else rm -rf "$WORK"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_in_use() {
    local hex
    hex=$(printf '%04X' "$1")
    awk -v p=":$hex" 'substr($2, length($2) - 4) == p && $4 == "0A" { f = 1 } END { exit !f }' \
        /proc/net/tcp /proc/net/tcp6 2>/dev/null
}
free_port() {
    local p
    for _ in $(seq 1 200); do
        p=$((20000 + RANDOM % 40000))
        port_in_use "$p" || { echo "$p"; return 0; }
    done
    return 1
}

mkdir -p "$IDP/keys" "$IDP/db" "$IDP/htdocs" "$IDP/run" "$IDP/logs"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$IDP/keys/signing-rs256.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$IDP/keys/signing-es256.pem" 2>/dev/null
openssl rand -hex 32 > "$IDP/keys/session-passphrase"
DB="sqlite3:$IDP/db/idp.db"
"$ADMIN" --db "$DB" init > "$WORK/admin.txt" 2>&1 || { cat "$WORK/admin.txt" >&2; die "init failed"; }

# the most a client may hold: 100 scopes, the 94 beyond the standard ones 256 bytes long
SCOPES="openid profile email address phone offline_access"
for i in $(seq 1 94); do
    SCOPES="$SCOPES $(printf 's%03d' "$i")$(head -c 252 /dev/zero | tr '\0' 'x')"
done
RP=http://127.0.0.1:9/cb
# the admin tool refuses weak secrets (at least 32 characters)
SECRET=cpu-secret-0123456789abcdefghijklmnop
BYE=http://127.0.0.1:9/bye
printf '%s\n' "$SECRET" | "$ADMIN" --db "$DB" client add cpu-client --secret-stdin \
    --grant-types 'authorization_code refresh_token client_credentials' --scopes "$SCOPES" \
    --redirect-uri "$RP" --post-logout-uri "$BYE" --first-party >> "$WORK/admin.txt" 2>&1 ||
    { cat "$WORK/admin.txt" >&2; die "client add failed"; }
# the same, not first-party: its users see the consent page
printf '%s\n' "$SECRET" | "$ADMIN" --db "$DB" client add cpu-third --secret-stdin \
    --grant-types 'authorization_code refresh_token' --scopes "$SCOPES" \
    --redirect-uri "$RP" >> "$WORK/admin.txt" 2>&1 ||
    { cat "$WORK/admin.txt" >&2; die "client add failed"; }
printf 'cpu-password-1\n' | "$ADMIN" --db "$DB" user add cpu-user --password-stdin --name 'C. P. User' \
    --email cpu@example.test --email-verified --phone '+1 555 0100' --street 'Main St 1' \
    --locality Springfield --country US --group a --group b >> "$WORK/admin.txt" 2>&1 ||
    { cat "$WORK/admin.txt" >&2; die "user add failed"; }
if [[ $AS_ROOT == 1 ]]; then
    chown -R www-data:www-data "$IDP/db" "$IDP/keys"
    USER_LINES=$'User www-data\nGroup www-data'
else
    USER_LINES=""
fi
DBD_INIT=$(grep -E '^[[:space:]]*DBDInitSQL' "$TOP/conf/httpd-run.conf.in" || true)

started=0
for _ in 1 2 3; do
    PORT=$(free_port) || die "no free loopback port"
    sed -e "s|@DIR@|$IDP|g" -e "s|@PORT@|$PORT|g" -e "s|@TOP@|$TOP|g" -e "s|@BENCH@|$BENCH|g" \
        "$BENCH/conf/cpu-worst.conf.in" |
        awk -v u="$USER_LINES" -v d="$DBD_INIT" -v x="$CONF_EXTRA" \
            '{ if ($0 == "@USER@") print u; else if ($0 == "@DBD_INIT@") print d; else if ($0 == "@EXTRA@") print x; else print }' \
            > "$IDP/httpd.conf"
    "$HTTPD" -f "$IDP/httpd.conf" -t > "$IDP/logs/configtest.txt" 2>&1 ||
        { cat "$IDP/logs/configtest.txt" >&2; die "httpd config test failed"; }
    if "$HTTPD" -f "$IDP/httpd.conf" -k start > "$IDP/logs/start.txt" 2>&1; then
        for _ in $(seq 1 100); do
            if [[ -s $IDP/run/httpd.pid ]] &&
                curl -s -o /dev/null "http://127.0.0.1:$PORT/.well-known/openid-configuration"; then
                started=1
                break
            fi
            sleep 0.1
        done
    fi
    [[ $started == 1 ]] && break
    grep -q 'could not bind' "$IDP/logs/start.txt" "$IDP/logs/error.log" 2>/dev/null || break
done
[[ $started == 1 ]] || { tail -20 "$IDP/logs/error.log" >&2 || true; die "httpd did not start"; }

echo "cpu-worst: mod_oidc_idp at http://127.0.0.1:$PORT (git $(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo none)), $N requests per endpoint, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
CPU_WORST_ONLY=${CPU_WORST_ONLY:-} CPU_URL="http://127.0.0.1:$PORT" CPU_PIDFILE="$IDP/run/httpd.pid" CPU_N=$N CPU_SCOPES="$SCOPES" \
    CPU_RP=$RP CPU_BYE=$BYE CPU_SECRET=$SECRET python3 - <<'PY'
import base64, hashlib, html.parser, json, os, re, secrets, subprocess, sys, urllib.parse
import requests

URL = os.environ["CPU_URL"]
N = int(os.environ["CPU_N"])
SCOPES = os.environ["CPU_SCOPES"]
RP, BYE = os.environ["CPU_RP"], os.environ["CPU_BYE"]
PIDFILE = os.environ["CPU_PIDFILE"]
HZ = os.sysconf("SC_CLK_TCK")
AUTH = ("cpu-client", os.environ["CPU_SECRET"])
MAX_BODY = 65536

def pids():
    parent = open(PIDFILE).read().strip()
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", parent], capture_output=True, text=True).stdout
    return [parent] + out.split()

def ticks():
    total = 0
    for p in pids():
        try:
            f = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])
    return total

class Forms(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.fields = {}
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("type") == "hidden" and "name" in a:
            self.fields[a["name"]] = a.get("value", "")

def hidden(text):
    f = Forms()
    f.feed(text)
    return f.fields

def fail(what, r):
    sys.exit(f"cpu-worst: {what}: HTTP {r.status_code}: {r.text[:300]}")

CLAIMS_NAMES = ["name", "given_name", "family_name", "preferred_username", "picture", "locale",
                "updated_at", "groups", "email", "email_verified", "phone_number",
                "phone_number_verified", "address"]

def claims_request(limit=8192):
    c = {"userinfo": {n: {"essential": True} for n in CLAIMS_NAMES},
         "id_token": {n: {"essential": True} for n in CLAIMS_NAMES}}
    base = json.dumps(c, separators=(",", ":"))
    pad = limit - len(base) - len(',"values":[""]')
    c["userinfo"]["email"]["values"] = ["v" * pad]
    s = json.dumps(c, separators=(",", ":"))
    assert len(s) <= limit, len(s)
    return s

NONCE = ("n-\u00e9\u20ac" * 200).encode()[:510].decode("utf-8", "ignore")

def authz_params(state_fill=True, **more):
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    p = {"response_type": "code", "client_id": "cpu-client", "redirect_uri": RP, "scope": SCOPES,
         "claims": claims_request(), "nonce": NONCE, "login_hint": "cpu-user",
         "prompt": "login consent select_account", "max_age": "0", "code_challenge": challenge,
         "code_challenge_method": "S256", "response_mode": "query"}
    p.update(more)
    if state_fill:
        used = len(urllib.parse.urlencode(p)) + len("&state=")
        p["state"] = "s" * (MAX_BODY - used - 16)
    return p, verifier

def login(session):
    """a fresh sign-in in session: returns (code, verifier)"""
    p, verifier = authz_params(state_fill=False, state="x", prompt="login")
    r = session.post(URL + "/login/oauth/authorize", data=p, allow_redirects=False)
    if r.status_code != 200:
        fail("login page", r)
    f = hidden(r.text)
    f.update({"username": "cpu-user", "password": "cpu-password-1", "oidp_action": "login"})
    r = session.post(URL + "/login/oauth/authorize", data=f, allow_redirects=False)
    loc = r.headers.get("Location", "")
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query).get("code", [None])[0]
    if r.status_code != 302 or not code:
        fail("sign-in", r)
    return code, verifier

def sso_code(session):
    p, verifier = authz_params(state_fill=False, state="x", prompt="none")
    del p["max_age"]
    r = session.post(URL + "/login/oauth/authorize", data=p, allow_redirects=False)
    loc = r.headers.get("Location", "")
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query).get("code", [None])[0]
    if r.status_code != 302 or not code:
        fail("SSO code", r)
    return code, verifier

def redeem(code, verifier):
    return requests.post(URL + "/api/login/oauth/access_token", auth=AUTH,
                         data={"grant_type": "authorization_code", "code": code, "redirect_uri": RP,
                               "code_verifier": verifier})

results = []

ONLY = [x for x in os.environ.get("CPU_WORST_ONLY", "").split(",") if x]

def measure(name, prepare, send, check, note=""):
    """prepare(i) -> args made before the clock starts; send(args) -> response"""
    if ONLY and name not in ONLY:
        return
    args = [prepare(i) for i in range(N)]
    check(send(prepare(-1)))  # one checked and not counted (warms the worker)
    t0 = ticks()
    for a in args:
        r = send(a)
        check(r)
    t1 = ticks()
    ms = (t1 - t0) * 1000.0 / HZ / N
    results.append((name, ms, note))
    print(f"  {name:<22} {ms:7.2f} ms CPU per request   {note}", flush=True)

def expect(status, what):
    def check(r):
        if r.status_code != status:
            fail(what, r)
    return check

print("  endpoint               server CPU of the worst accepted request", flush=True)
measure("discovery", lambda i: None,
        lambda a: requests.get(URL + "/.well-known/openid-configuration"), expect(200, "discovery"))

def authz_prepare(i):
    p, _ = authz_params()
    body = urllib.parse.urlencode(p)
    assert len(body) <= MAX_BODY, len(body)
    return body
measure("authorize", authz_prepare,
        lambda body: requests.post(URL + "/login/oauth/authorize", data=body, allow_redirects=False,
                                   headers={"Content-Type": "application/x-www-form-urlencoded"}),
        lambda r: (r.status_code == 200 and 'type="password"' in r.text) or fail("authorize", r),
        f"({len(authz_prepare(0))}-byte body: the login page)")

# the floor: the smallest request that shows the same page (what mod_session_crypto and the
# page cost whatever the request holds)
measure("authorize (minimal)", lambda i: None,
        lambda a: requests.get(URL + "/login/oauth/authorize", allow_redirects=False,
                               params={"response_type": "code", "client_id": "cpu-client",
                                       "redirect_uri": RP, "scope": "openid", "state": "x",
                                       "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                                       "code_challenge_method": "S256"}),
        lambda r: (r.status_code == 200 and 'type="password"' in r.text) or fail("authorize", r),
        "(for comparison: scope=openid, the same login page)")

# a signed-in browser: codes come by SSO, one per token request
browser = requests.Session()
login(browser)
measure("token", lambda i: sso_code(browser), lambda a: redeem(*a), expect(200, "token"),
        "(authorization_code: access, refresh and ID token, all scopes and claims)")
tokens = [redeem(*sso_code(browser)).json() for _ in range(N + 1)]
at = tokens[0]["access_token"]
# (a token of 100 long scopes is over httpd's 8 KB header field limit: it goes in the body)
measure("userinfo", lambda i: None,
        lambda a: requests.post(URL + "/userinfo", data={"access_token": at}),
        expect(200, "userinfo"), f"(POST, a {len(at)}-byte token of all scopes and claims)")
measure("introspect", lambda i: None,
        lambda a: requests.post(URL + "/introspect", auth=AUTH, data={"token": at}),
        lambda r: (r.status_code == 200 and r.json().get("active")) or fail("introspect", r))
rts = iter([t["refresh_token"] for t in tokens])
measure("revoke", lambda i: next(rts),
        lambda rt: requests.post(URL + "/revoke", auth=AUTH,
                                 data={"token": rt, "token_type_hint": "refresh_token"}),
        expect(200, "revoke"), "(a refresh token each time: the grant revoked)")

# a signed-in browser asked to consent for a client that is not first-party: the consent page
# (a one-time consent token written to the session cookie), then the answer (the token used up,
# the cookie written again, a code issued)
def consent_params():
    p, _ = authz_params(state_fill=False, client_id="cpu-third", prompt="consent", state="x")
    del p["max_age"]
    used = len(urllib.parse.urlencode(p)) - len("x")
    # room for what the page adds when posted back (CSRF and consent tokens, the button)
    p["state"] = "s" * (MAX_BODY - used - 512)
    return p

def is_consent(r):
    return r.status_code == 200 and 'value="allow"' in r.text and 'type="password"' not in r.text

consenting = requests.Session()
login(consenting)
measure("authorize (consent)", lambda i: urllib.parse.urlencode(consent_params()),
        lambda body: consenting.post(URL + "/login/oauth/authorize", data=body, allow_redirects=False,
                                     headers={"Content-Type": "application/x-www-form-urlencoded"}),
        lambda r: is_consent(r) or fail("consent page", r),
        "(signed in, 64 KB body, a client that is not first-party: the consent page)")

def consent_prepare(i):
    s = requests.Session()
    login(s)
    r = s.post(URL + "/login/oauth/authorize", data=consent_params(), allow_redirects=False)
    if not is_consent(r):
        fail("consent page", r)
    f = hidden(r.text)
    f["oidp_action"] = "allow"
    return s, f
measure("authorize+allow", consent_prepare,
        lambda a: a[0].post(URL + "/login/oauth/authorize", data=a[1], allow_redirects=False),
        lambda r: (r.status_code == 302 and "code=" in r.headers.get("Location", "")) or fail("allow", r),
        "(the consent page's Allow: consent recorded, a code)")

def logout_prepare(i):
    s = requests.Session()
    code, verifier = login(s)
    idt = redeem(code, verifier).json()["id_token"]
    q = {"id_token_hint": idt, "post_logout_redirect_uri": BYE, "client_id": "cpu-client"}
    q["state"] = "s" * (8000 - len(urllib.parse.urlencode(q)) - 200)
    return s, q
measure("logout", logout_prepare,
        lambda a: a[0].get(URL + "/logout", params=a[1], allow_redirects=False),
        lambda r: (r.status_code == 302 and r.headers["Location"].startswith(BYE)) or fail("logout", r),
        "(a session ended, hint verified, 8 KB request line)")

def login_prepare(i):
    s = requests.Session()
    p, _ = authz_params(state_fill=False, state="x", prompt="login")
    r = s.post(URL + "/login/oauth/authorize", data=p, allow_redirects=False)
    f = hidden(r.text)
    f.update({"username": "cpu-user", "password": "cpu-password-1", "oidp_action": "login"})
    return s, f
measure("authorize+password", login_prepare,
        lambda a: a[0].post(URL + "/login/oauth/authorize", data=a[1], allow_redirects=False),
        expect(302, "sign-in"), "(bcrypt: by design; not counted against the target)")

worst = max([ms for name, ms, _ in results if name != "authorize+password"] or [0])
print(f"cpu-worst: the worst endpoint (without the password check) {worst:.2f} ms; target < 5 ms: "
      + ("ok" if worst < 5 else "OVER"))
PY
