#!/usr/bin/env bash
# `make bench`: mod_oidc_idp against Apache serving static files of the same size, in one run.
#
#   sh bench/run.sh            (or: make bench)
#
# Starts, on free loopback ports, in a temporary folder:
#   - httpd with mod_oidc_idp (SQLite through mod_dbd as `make run` sets it up, a fresh database
#     with the client bench-client and a user, RSA-2048 + P-256 keys made with openssl), a second
#     one on the same database with the P-256 key first (ES256), a third on PostgreSQL; each
#     also over TLS 1.3 and HTTP/2 (bench/conf/tls.conf),
#   - httpd serving byte-for-byte copies of the discovery document and the JWKS that
#     mod_oidc_idp returned (EnableMMAP Off, EnableSendfile Off), over HTTP and TLS,
# both with the same event MPM settings (bench/conf/common.conf); checks each response; then per
# round and per test a wrk warm-up and a measured wrk run; prints a table with req/s, latency and
# ratios; saves everything under bench/results/<UTC timestamp>/ (not committed). Stops everything
# it started, also on failure or Ctrl-C. Read bench/README.md for the method and the output.
#
# Environment (defaults in brackets):
#   BENCH_DURATION     measured seconds per wrk run [5]
#   BENCH_WARMUP       warm-up seconds before each measured run, not recorded [1]
#   BENCH_ROUNDS       rounds; every test is measured once per round, tests interleaved [2]
#   BENCH_CONNECTIONS  wrk -c [16]        BENCH_THREADS  wrk -t [1]
#   BENCH_OPENSSL_SECONDS  `openssl speed -seconds N rsa2048` (the RS256 signing ceiling) [2]
#   BENCH_TESTS        which tests, of: discovery jwks token token-opaque (peers) introspect
#                      userinfo refresh flow [all]; each runs on every instance that has it
#   BENCH_PG=0         without the PostgreSQL instance (a throwaway cluster on a Unix socket) [1]
#   BENCH_LONG=1       after the rounds, 1,000,000 token requests: RSS after 100,000 and after
#                      1,000,000 (about 7 more minutes)
#   BENCH_PEERS=1      also benchmark the peers of $PEERS_DIR [../shared/peers] (copied to a
#                      temporary folder and started with their own scripts)
#   BENCH_DBD_INIT_SQL statements, one a line, that replace the DBDInitSQL lines taken from
#                      conf/httpd-run.conf.in (experiments only; recorded and printed)
#   BENCH_IDP_CONF     extra httpd directives for the mod_oidc_idp instance (experiments only;
#                      recorded in the results and printed with the table)
#   BENCH_PROFILE=1    count, with `perf stat`, context switches and the system calls that matter
#                      (fdatasync, futex, sleeps, file I/O, locks) per request during the measured
#                      runs of mod_oidc_idp; printed as a second table (perturbs those runs a little)
#   BENCH_KEEP=1       keep the temporary folder (configs, database, logs) and print its path
#   BENCH_TMPDIR       where the temporary folder goes [/tmp]; httpd's workers (www-data) must
#                      be able to reach it
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -euo pipefail

BENCH=$(cd "$(dirname "$0")" && pwd)
TOP=$(dirname "$BENCH")
HTTPD=${HTTPD:-/usr/sbin/apache2}
DURATION=${BENCH_DURATION:-5}
WARMUP=${BENCH_WARMUP:-1}
ROUNDS=${BENCH_ROUNDS:-2}
CONNS=${BENCH_CONNECTIONS:-16}
THREADS=${BENCH_THREADS:-1}
SSL_SECONDS=${BENCH_OPENSSL_SECONDS:-2}
WITH_PEERS=${BENCH_PEERS:-0}
WITH_PG=${BENCH_PG:-1}
LONG=${BENCH_LONG:-0}
IDP_EXTRA=${BENCH_IDP_CONF:-}
DBD_INIT_SQL=${BENCH_DBD_INIT_SQL:-}
KEEP=${BENCH_KEEP:-0}
PROFILE=${BENCH_PROFILE:-0}
ONLY_TESTS=" ${BENCH_TESTS:-discovery jwks token token-opaque introspect userinfo refresh flow} "
if [[ -n ${PEERS_DIR:-} ]]; then
    PEERS_SRC=$PEERS_DIR
elif [[ -d $TOP/../shared/peers ]]; then
    PEERS_SRC=$(cd "$TOP/../shared/peers" && pwd)
else
    PEERS_SRC=/work/shared/peers
fi

CLIENT_ID=bench-client
CLIENT_SECRET=bench-secret-0123456789-abcdefghijklmnop   # the admin tool refuses weak secrets
PEER_SECRET=bench-secret                                  # the peers' (../shared/peers)
REDIRECT=http://127.0.0.1:9/cb                            # never contacted: codes are read from the 302
USER_NAME=bench-user
USER_PASSWORD=bench-password-$RANDOM$RANDOM
TOKEN_BODY='grant_type=client_credentials&scope=bench'
AUTHZ="Basic $(printf '%s:%s' "$CLIENT_ID" "$CLIENT_SECRET" | base64 -w0)"
PEER_AUTHZ="Basic $(printf '%s:%s' "$CLIENT_ID" "$PEER_SECRET" | base64 -w0)"
LUA="$BENCH/wrk/request.lua"

die() { printf 'bench: %s\n' "$*" >&2; exit 1; }
log() { printf '%s\n' "$*" >&2; }

for v in DURATION WARMUP ROUNDS CONNS THREADS SSL_SECONDS; do
    [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number (got '${!v}')"
done
((DURATION > 0 && ROUNDS > 0 && CONNS > 0 && THREADS > 0 && CONNS >= THREADS)) ||
    die "BENCH_DURATION, BENCH_ROUNDS, BENCH_CONNECTIONS, BENCH_THREADS must be > 0, connections >= threads"
for t in "$HTTPD" wrk curl jq openssl base64 awk sqlite3 ps; do
    command -v "$t" >/dev/null || die "missing $t (make bench installs the test dependencies)"
done
if [[ $PROFILE == 1 ]]; then
    command -v perf >/dev/null || die "BENCH_PROFILE=1 needs perf (Debian: linux-perf)"
fi
for f in "$TOP/build/mod_oidc_idp.so" "$TOP/build/oidc-idp-admin"; do
    [[ -x $f || -f $f ]] || die "missing $f: run make all first"
done
ADMIN="$TOP/build/oidc-idp-admin"
AS_ROOT=0
[[ $(id -u) == 0 ]] && AS_ROOT=1

TS=$(date -u +%Y%m%dT%H%M%SZ)
OUT="$BENCH/results/$TS"
RAW="$OUT/raw"
mkdir -p "$RAW"
RESULTS="$OUT/results.jsonl"
: > "$RESULTS"
HZ=$(getconf CLK_TCK)

# ------------------------------------------------------------------ cleanup
WORK=""
HTTPD_PIDFILES=()
PEERS_STARTED=()
PDIR=""
cleanup() {
    local rc=$? pf pid p
    trap - EXIT INT TERM
    for p in "${PEERS_STARTED[@]}"; do
        "$PDIR/$p/stop.sh" >> "$RAW/peers-stop.txt" 2>&1 || log "bench: stopping peer $p failed (see $RAW/peers-stop.txt)"
    done
    if [[ -n ${PG_STARTED:-} ]]; then
        runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PG/data" -m immediate -w -t 30 stop > /dev/null 2>&1 ||
            "$PGBIN/pg_ctl" -D "$PG/data" -m immediate -w -t 30 stop > /dev/null 2>&1 || log "bench: stopping PostgreSQL failed"
    fi
    for pf in "${HTTPD_PIDFILES[@]}"; do
        [[ -s $pf ]] || continue
        pid=$(cat "$pf")
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    if [[ -n $WORK && -d $WORK ]]; then
        # what is worth keeping: rendered configs and error logs
        for i in idp idp-es idp-pg static; do
            [[ -f $WORK/$i/httpd.conf ]] && cp "$WORK/$i/httpd.conf" "$OUT/$i.httpd.conf" 2>/dev/null || true
            [[ -f $WORK/$i/logs/error.log ]] && cp "$WORK/$i/logs/error.log" "$RAW/$i.error.log" 2>/dev/null || true
        done
        if [[ $KEEP == 1 ]]; then
            log "bench: kept $WORK"
        else
            rm -rf "$WORK"
        fi
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------ helpers
port_in_use() { # listening on any address, IPv4 or IPv6
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
render() { # template out, then key=value pairs for @KEY@
    local in=$1 out=$2 user_lines=""
    shift 2
    if [[ $AS_ROOT == 1 ]]; then user_lines=$'User www-data\nGroup www-data'; fi
    local args=()
    for kv in "$@"; do args+=(-e "s|@${kv%%=*}@|${kv#*=}|g"); done
    sed "${args[@]}" "$in" | awk -v u="$user_lines" -v x="$IDP_EXTRA" -v d="$DBD_INIT_NOW" -v t="$TLS_BLOCK" \
        '{ if ($0 == "@USER@") print u; else if ($0 == "@EXTRA@") print x; else if ($0 == "@DBD_INIT@") print d; else if ($0 == "@TLS@") print t; else print }' > "$out"
}
# Starts httpd with config $1/httpd.conf rendered from a template on a free loopback port; retries
# on another port if the chosen one was taken meanwhile. Writes the port to $1/port.
start_httpd() { # dir template [extra key=value...]
    local dir=$1 tpl=$2 port
    shift 2
    mkdir -p "$dir/run" "$dir/logs"
    chmod 755 "$dir/run"
    HTTPD_PIDFILES+=("$dir/run/httpd.pid")
    for _ in 1 2 3; do
        port=$(free_port) || die "no free loopback port"
        tls_port=$(free_port) || die "no free loopback port"
        [[ $tls_port != "$port" ]] || continue
        TLS_BLOCK=$(sed -e "s|TLS_PORT|$tls_port|g" -e "s|CERT_DIR|$WORK/cert|g" "$BENCH/conf/tls.conf")
        render "$tpl" "$dir/httpd.conf" DIR="$dir" PORT="$port" TOP="$TOP" BENCH="$BENCH" "$@"
        "$HTTPD" -f "$dir/httpd.conf" -t > "$dir/logs/configtest.txt" 2>&1 ||
            { cat "$dir/logs/configtest.txt" >&2; die "httpd config test failed for $dir"; }
        if "$HTTPD" -f "$dir/httpd.conf" -k start > "$dir/logs/start.txt" 2>&1; then
            for _ in $(seq 1 100); do
                if [[ -s $dir/run/httpd.pid ]] && curl -s -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null; then
                    echo "$port" > "$dir/port"
                    echo "$tls_port" > "$dir/tls_port"
                    return 0
                fi
                sleep 0.1
            done
        fi
        if grep -q 'could not bind' "$dir/logs/start.txt" "$dir/logs/error.log" 2>/dev/null; then
            continue
        fi
        cat "$dir/logs/start.txt" >&2
        tail -20 "$dir/logs/error.log" >&2 2>/dev/null || true
        die "httpd did not start ($dir)"
    done
    die "httpd could not bind a free port ($dir)"
}
pids_of() { # pidfile -> the pid and its children (httpd workers)
    local pf=$1 pid
    [[ -s $pf ]] || return 0
    pid=$(cat "$pf")
    kill -0 "$pid" 2>/dev/null || return 0
    echo "$pid"
    ps -o pid= --ppid "$pid" 2>/dev/null | tr -d ' ' || true
}
cpu_ticks() { # utime + stime + reaped children's, summed over the pids
    local s=0 v p
    for p in "$@"; do
        v=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13 + $14 + $15}' || true)
        s=$((s + ${v:-0}))
    done
    echo "$s"
}
machine_ticks() { # busy (user+nice+system+irq+softirq) and steal ticks of the whole machine
    awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $9}' /proc/stat
}
rss_kb() {
    local s=0 v p
    for p in "$@"; do
        v=$(awk '$1 == "VmRSS:" {print $2}' "/proc/$p/status" 2>/dev/null || true)
        s=$((s + ${v:-0}))
    done
    echo "$s"
}
token_rows() { # rows in the token table of our instance (as the workers' user: no root-owned files)
    local q="SELECT count(*) FROM oidp_token"
    if [[ $AS_ROOT == 1 ]]; then
        runuser -u www-data -- sqlite3 -cmd '.timeout 5000' "$WORK/idp/db/idp.db" "$q"
    else
        sqlite3 -cmd '.timeout 5000' "$WORK/idp/db/idp.db" "$q"
    fi
}
b64url_json() { # decode a base64url JWT segment
    local s
    s=$(printf '%s' "$1" | tr '_-' '/+')
    case $((${#s} % 4)) in 2) s="$s==" ;; 3) s="$s=" ;; esac
    printf '%s' "$s" | base64 -d 2>/dev/null
}

# The store's per-connection set-up is what `make run` uses, unless an experiment replaces it.
if [[ -n $DBD_INIT_SQL ]]; then
    DBD_INIT=$(printf '%s\n' "$DBD_INIT_SQL" | awk 'NF { gsub(/"/, "\\\""); print "DBDInitSQL \"" $0 "\"" }')
else
    DBD_INIT=$(grep -E '^[[:space:]]*DBDInitSQL' "$TOP/conf/httpd-run.conf.in" || true)
fi

# ------------------------------------------------------------------ environment
{
    echo "date_utc: $TS"
    echo "git: $(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo none)$(git -C "$TOP" diff --quiet HEAD -- src include mod_oidc_idp.c 2>/dev/null || echo ' (module sources modified)')"
    echo "module: build/mod_oidc_idp.so of $(date -u -r "$TOP/build/mod_oidc_idp.so" +%Y-%m-%dT%H:%M:%SZ), sha256 $(sha256sum "$TOP/build/mod_oidc_idp.so" | cut -c1-12)"
    echo "cpus: $(nproc) x $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
    echo "mem_total_kb: $(awk '/MemTotal/ {print $2}' /proc/meminfo)"
    echo "kernel: $(uname -r)"
    echo "apache2: $("$HTTPD" -v 2>/dev/null | awk -F': ' '/Server version/ {print $2}')"
    echo "openssl: $(openssl version)"
    echo "sqlite3: $(sqlite3 --version | awk '{print $1}')"
    echo "wrk: $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}')"
    echo "wrk settings: -t$THREADS -c$CONNS, warm-up ${WARMUP}s, measured ${DURATION}s, $ROUNDS round(s)"
    echo "mod_oidc_idp DBDInitSQL$([[ -n $DBD_INIT_SQL ]] && echo ' (BENCH_DBD_INIT_SQL experiment)' || echo ' (from conf/httpd-run.conf.in)'): $(printf '%s' "$DBD_INIT" | sed 's/^[[:space:]]*DBDInitSQL //' | tr '\n' ';')"
    [[ -n $IDP_EXTRA ]] && echo "BENCH_IDP_CONF (experiment): $(printf '%s' "$IDP_EXTRA" | tr '\n' ';')"
    echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    read -r b0 _ < <(machine_ticks)
    sleep 2
    read -r b1 _ < <(machine_ticks)
    echo "machine busy before the run (2 s sample, % of one core): $(((b1 - b0) * 100 / HZ / 2))"
    echo "busiest processes before the run (top, 1 s):"
    top -b -n 2 -d 1 -w 200 2>/dev/null | awk '/^top -/ { f++ } f == 2 && $1 ~ /^[0-9]+$/ && n < 5 { print "    " $9 "% " $12; n++ }'
} > "$OUT/env.txt"
cat "$OUT/env.txt" >&2

# ------------------------------------------------------------------ signing ceiling
log "== openssl speed -seconds $SSL_SECONDS rsa2048 (one core: the RS256 signing ceiling)"
openssl speed -seconds "$SSL_SECONDS" rsa2048 > "$RAW/openssl-speed.txt" 2>&1 || true
RSA_SIGN=$(awk '/^rsa 2048 bits/ {print $(NF - 1)}' "$RAW/openssl-speed.txt")
[[ $RSA_SIGN =~ ^[0-9.]+$ ]] || die "could not read openssl speed's rsa2048 sign/s (see $RAW/openssl-speed.txt)"
jq -nc --argjson s "$RSA_SIGN" '{kind:"openssl", rsa2048_sign_s:$s}' >> "$RESULTS"
log "   rsa2048: $RSA_SIGN sign/s"

# ------------------------------------------------------------------ our instances
WORK=$(mktemp -d "${BENCH_TMPDIR:-/tmp}/oidc-idp-bench.XXXXXX")
chmod 755 "$WORK"
if [[ $AS_ROOT == 1 ]] && ! runuser -u www-data -- test -x "$WORK"; then
    die "www-data cannot reach $WORK (httpd's workers run as www-data): set BENCH_TMPDIR to a folder it can enter"
fi
# the throwaway certificate of every TLS virtual host (bench/conf/tls.conf)
mkdir -p "$WORK/cert"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$WORK/cert/key.pem" -out "$WORK/cert/cert.pem" 2>/dev/null ||
    die "openssl req (TLS certificate) failed"
chmod 644 "$WORK/cert/key.pem"
as_workers() { if [[ $AS_ROOT == 1 ]]; then runuser -u www-data -- "$@"; else "$@"; fi; }
# One mod_oidc_idp instance: dir, database (sqlite3 file or pgsql:params), key order.
setup_idp() { # dir db_driver db_params keys_first(rs|es) init_sql
    local dir=$1 driver=$2 params=$3 first=$4 init=$5 db keys
    mkdir -p "$dir/keys" "$dir/htdocs"
    chmod 700 "$dir/keys"
    cp "$WORK/keys/"*.pem "$dir/keys/"
    openssl rand -hex 32 > "$dir/keys/session-passphrase"
    [[ $AS_ROOT == 1 ]] && chown -R www-data:www-data "$dir/keys"
    if [[ $first == es ]]; then
        keys="\"$dir/keys/signing-es256.pem\" \"$dir/keys/signing-rs256.pem\""
    else
        keys="\"$dir/keys/signing-rs256.pem\" \"$dir/keys/signing-es256.pem\""
    fi
    DBD_INIT_NOW=$init
    start_httpd "$dir" "$BENCH/conf/idp.conf.in" DBDRIVER="$driver" DBPARAMS="$params" KEYS="$keys"
}
# The database: the client (client_credentials for the token test, a first-party code-flow
# client for the user tests) and one user.
setup_db() { # driver:params
    local db=$1
    "$ADMIN" --db "$db" init >> "$RAW/admin.txt" 2>&1 || { cat "$RAW/admin.txt" >&2; die "oidc-idp-admin init ($db) failed"; }
    printf '%s\n' "$CLIENT_SECRET" | "$ADMIN" --db "$db" client add "$CLIENT_ID" --secret-stdin --first-party \
        --grant-types "client_credentials authorization_code refresh_token" \
        --scopes "bench openid profile email offline_access" --redirect-uri "$REDIRECT" >> "$RAW/admin.txt" 2>&1 ||
        { cat "$RAW/admin.txt" >&2; die "oidc-idp-admin client add ($db) failed"; }
    printf '%s\n' "$USER_PASSWORD" | "$ADMIN" --db "$db" user add "$USER_NAME" --password-stdin \
        --name "Bench User" --email bench@example.com --email-verified >> "$RAW/admin.txt" 2>&1 ||
        { cat "$RAW/admin.txt" >&2; die "oidc-idp-admin user add ($db) failed"; }
}
mkdir -p "$WORK/keys"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/keys/signing-rs256.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/keys/signing-es256.pem" 2>/dev/null
IDP="$WORK/idp"
mkdir -p "$IDP/db"
DB="sqlite3:$IDP/db/idp.db"
setup_db "$DB"
if [[ $AS_ROOT == 1 ]]; then
    chown -R www-data:www-data "$IDP/db"
    chmod 700 "$IDP/db"
fi
log "== starting mod_oidc_idp (SQLite, RS256 first)"
setup_idp "$IDP" sqlite3 "$IDP/db/idp.db" rs "$DBD_INIT"
IDP_PORT=$(cat "$IDP/port")
IDP_URL="http://127.0.0.1:$IDP_PORT"
IDP_TLS="https://127.0.0.1:$(cat "$IDP/tls_port")"
log "   $IDP_URL, $IDP_TLS (pid $(cat "$IDP/run/httpd.pid"), folder $IDP)"
# the same database, ES256 first: the ES256 client_credentials row
IDP_ES="$WORK/idp-es"
log "== starting mod_oidc_idp (the same SQLite database, ES256 first)"
setup_idp "$IDP_ES" sqlite3 "$IDP/db/idp.db" es "$DBD_INIT"
IDP_ES_URL="http://127.0.0.1:$(cat "$IDP_ES/port")"
log "   $IDP_ES_URL (pid $(cat "$IDP_ES/run/httpd.pid"))"

# ------------------------------------------------------------------ checks, and the static copies
STATIC="$WORK/static"
mkdir -p "$STATIC/htdocs/.well-known"
check_get() { # name url out -> body in out; 200 and JSON required
    local name=$1 url=$2 out=$3 code
    code=$(curl -sS -o "$out" -w '%{http_code}' -H 'Accept: application/json' "$url" || echo 000)
    [[ $code == 200 ]] || die "$name: GET $url answered HTTP $code, expected 200"
    jq -e . "$out" > /dev/null 2>&1 || die "$name: GET $url did not return JSON"
}
check_get "mod_oidc_idp discovery" "$IDP_URL/.well-known/openid-configuration" \
    "$STATIC/htdocs/.well-known/openid-configuration"
ISS=$(jq -r .issuer "$STATIC/htdocs/.well-known/openid-configuration")
[[ $ISS == "$IDP_URL" ]] || die "discovery: issuer is '$ISS', expected '$IDP_URL'"
check_get "mod_oidc_idp JWKS" "$IDP_URL/.well-known/jwks" "$STATIC/htdocs/.well-known/jwks"
jq -e '.keys | length > 0' "$STATIC/htdocs/.well-known/jwks" > /dev/null || die "JWKS has no keys"
if jq -e '[.keys[] | has("d") or has("p") or has("q")] | any' "$STATIC/htdocs/.well-known/jwks" > /dev/null; then
    die "JWKS publishes private key members"
fi
cp "$STATIC/htdocs/.well-known/openid-configuration" "$RAW/idp.discovery.json"
cp "$STATIC/htdocs/.well-known/jwks" "$RAW/idp.jwks.json"
DISC_BYTES=$(wc -c < "$RAW/idp.discovery.json")
JWKS_BYTES=$(wc -c < "$RAW/idp.jwks.json")
log "   discovery: 200, issuer $ISS, $DISC_BYTES bytes; JWKS: 200, $(jq '.keys | length' "$RAW/idp.jwks.json") keys, $JWKS_BYTES bytes"

# A token response must be 200, JSON, Bearer, with an at+jwt access token signed with the expected
# alg (RS256 or ES256) whose signature verifies against the served JWKS ("strict"); peers' only
# need an access_token. Prints a one-line description.
check_token() { # name token_url jwks_url out [strict_alg|0] [secret] [body]
    local name=$1 url=$2 jwks=$3 out=$4 strict=${5:-0} secret=${6:-$CLIENT_SECRET} body=${7:-$TOKEN_BODY} code at hdr
    code=$(curl -sS -k -o "$out" -w '%{http_code}' -u "$CLIENT_ID:$secret" \
        -H 'Accept: application/json' --data "$body" "$url" || echo 000)
    [[ $code == 200 ]] || { echo "HTTP $code: $(head -c 300 "$out")"; return 1; }
    at=$(jq -er .access_token "$out" 2>/dev/null) || { echo "no access_token in the JSON"; return 1; }
    if [[ $strict != 0 ]]; then
        [[ $(jq -r .token_type "$out") == Bearer ]] || { echo "token_type is not Bearer"; return 1; }
        [[ $at == *.*.* ]] || { echo "access_token is not a JWS"; return 1; }
        hdr=$(b64url_json "${at%%.*}")
        [[ $(jq -r .alg <<< "$hdr") == "$strict" && $(jq -r .typ <<< "$hdr") == at+jwt ]] ||
            { echo "JWT header is $hdr, expected $strict at+jwt"; return 1; }
        if [[ $strict == RS256 ]]; then
            sh "$TOP/scripts/verify-jwt.sh" "$at" "$jwks" > "$out.verify" 2>&1 ||
                { echo "signature does not verify against $jwks: $(head -3 "$out.verify")"; return 1; }
            echo "200, Bearer, RS256 at+jwt verified against the JWKS, claims $(jq -c 'del(.jti, .iat, .exp) | keys' < <(sed -n '/^{/,$p' "$out.verify"))"
        else
            echo "200, Bearer, $strict at+jwt (its signature is checked by introspection below)"
        fi
    else
        if [[ $at == *.*.* ]]; then
            echo "200, JWT access token, header $(b64url_json "${at%%.*}")"
        else
            echo "200, opaque access token"
        fi
    fi
}
ROWS0=$(token_rows)
desc=$(check_token "mod_oidc_idp token" "$IDP_URL/api/login/oauth/access_token" \
    "$IDP_URL/.well-known/jwks" "$RAW/idp.token.json" RS256) || die "mod_oidc_idp token pre-check: $desc"
ROWS1=$(token_rows)
((ROWS1 == ROWS0)) || die "token pre-check: $((ROWS1 - ROWS0)) rows recorded for one client_credentials token, expected none (README, Storage)"
TOKEN_BYTES=$(wc -c < "$RAW/idp.token.json")
log "   token: $desc, no row recorded"
desc=$(check_token "mod_oidc_idp token (ES256)" "$IDP_ES_URL/api/login/oauth/access_token" \
    "$IDP_ES_URL/.well-known/jwks" "$RAW/idp-es.token.json" ES256) || die "mod_oidc_idp ES256 token pre-check: $desc"
log "   token (ES256 instance): $desc"

# The user's side, per instance: sign in once (bench/flows.py), then check each request measured.
# Writes $dir/flow/{cookie,access_token,refresh.0}.
check_json() { # name expected_code out curl-args... -> the body in out
    local name=$1 want=$2 out=$3 code
    shift 3
    code=$(curl -sS -k -o "$out" -w '%{http_code}' "$@" || echo 000)
    [[ $code == "$want" ]] || die "$name: HTTP $code, expected $want: $(head -c 300 "$out")"
}
user_side() { # key url dir
    local key=$1 url=$2 dir=$3 at
    mkdir -p "$dir/flow"
    python3 "$BENCH/flows.py" login "$url" "$CLIENT_ID" "$CLIENT_SECRET" "$REDIRECT" "$USER_NAME" \
        "$USER_PASSWORD" "$dir/flow" 2> "$RAW/$key.flows.txt" || die "$key: signing in failed: $(cat "$RAW/$key.flows.txt")"
    # introspection of a client_credentials token (no row: its claims, one statement)
    at=$(jq -r .access_token "$RAW/idp.token.json")
    [[ $key == idp ]] || at=$(curl -sS -u "$CLIENT_ID:$CLIENT_SECRET" --data "$TOKEN_BODY" "$url/token" | jq -r .access_token)
    echo "token=$at" > "$dir/flow/introspect.body"
    check_json "$key introspection" 200 "$RAW/$key.introspect.json" -u "$CLIENT_ID:$CLIENT_SECRET" \
        --data "token=$at" "$url/introspect"
    [[ $(jq -r .active "$RAW/$key.introspect.json") == true && $(jq -r .client_id "$RAW/$key.introspect.json") == "$CLIENT_ID" ]] ||
        die "$key introspection: not active for a fresh token: $(cat "$RAW/$key.introspect.json")"
    check_json "$key userinfo" 200 "$RAW/$key.userinfo.json" -H "Authorization: Bearer $(cat "$dir/flow/access_token")" "$url/userinfo"
    [[ $(jq -r .email "$RAW/$key.userinfo.json") == bench@example.com ]] || die "$key userinfo: $(cat "$RAW/$key.userinfo.json")"
    check_json "$key refresh" 200 "$RAW/$key.refresh.json" -u "$CLIENT_ID:$CLIENT_SECRET" \
        --data "grant_type=refresh_token&refresh_token=$(cat "$dir/flow/refresh.0")" "$url/token"
    jq -e '.access_token and .refresh_token' "$RAW/$key.refresh.json" > /dev/null || die "$key refresh: $(cat "$RAW/$key.refresh.json")"
    python3 "$BENCH/flows.py" refresh "$url" "$CLIENT_ID" "$CLIENT_SECRET" "$REDIRECT" "$dir/flow" 1 "$dir/flow/check.rt" \
        2> "$RAW/$key.flows.txt" || die "$key: authorize with prompt=none and code redemption failed: $(cat "$RAW/$key.flows.txt")"
    log "   $key: signed in; introspection active, userinfo 200 with the user's email, refresh rotates, prompt=none gives a code that redeems"
}
user_side idp "$IDP_URL" "$IDP"

log "== starting the static baseline (copies of the bytes above)"
if [[ $AS_ROOT == 1 ]]; then chmod -R go+rX "$STATIC/htdocs"; fi
start_httpd "$STATIC" "$BENCH/conf/static.conf.in"
STATIC_PORT=$(cat "$STATIC/port")
STATIC_URL="http://127.0.0.1:$STATIC_PORT"
STATIC_TLS="https://127.0.0.1:$(cat "$STATIC/tls_port")"
log "   $STATIC_URL, $STATIC_TLS (pid $(cat "$STATIC/run/httpd.pid"))"
for f in openid-configuration jwks; do
    curl -sS -o "$RAW/static.$f" "$STATIC_URL/.well-known/$f"
    cmp -s "$RAW/static.$f" "$STATIC/htdocs/.well-known/$f" || die "static baseline does not serve the copy of $f"
    curl -sS -k --http2 -o "$RAW/static-h2.$f" -w '%{http_version}' "$STATIC_TLS/.well-known/$f" > "$RAW/static-h2.$f.version"
    cmp -s "$RAW/static-h2.$f" "$STATIC/htdocs/.well-known/$f" && [[ $(cat "$RAW/static-h2.$f.version") == 2 ]] ||
        die "static baseline over TLS and HTTP/2 does not serve the copy of $f"
done
code=$(curl -sS -k --http2 -o "$RAW/idp-h2.discovery.json" -w '%{http_version} %{http_code}' "$IDP_TLS/.well-known/openid-configuration")
[[ $code == "2 200" ]] && cmp -s "$RAW/idp-h2.discovery.json" "$STATIC/htdocs/.well-known/openid-configuration" ||
    die "mod_oidc_idp over TLS and HTTP/2: $code, or not the same discovery document"
log "   TLS 1.3 and HTTP/2: both serve the same documents"

# ------------------------------------------------------------------ PostgreSQL (BENCH_PG=1, default)
if [[ $WITH_PG == 1 ]]; then
    PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    [[ -x $PGBIN/initdb ]] || die "BENCH_PG=1 needs PostgreSQL (Debian: postgresql); BENCH_PG=0 skips its rows"
    PG="$WORK/pg"
    mkdir -p "$PG/sock"
    chown -R postgres "$PG" 2>/dev/null || true
    chmod 777 "$PG/sock"
    as_pg() { if [[ $AS_ROOT == 1 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
    as_pg "$PGBIN/initdb" -D "$PG/data" -U postgres -A trust -E UTF8 --no-locale --no-sync > "$RAW/pg-initdb.txt" 2>&1 ||
        die "initdb failed (see $RAW/pg-initdb.txt)"
    PG_PORT=$(free_port)
    as_pg "$PGBIN/pg_ctl" -D "$PG/data" -l "$PG/server.log" -w -t 60 \
        -o "-c listen_addresses='' -c unix_socket_directories='$PG/sock' -p $PG_PORT -c fsync=on" start > "$RAW/pg-start.txt" 2>&1 ||
        die "PostgreSQL did not start (see $RAW/pg-start.txt)"
    PG_STARTED=1
    as_pg "$PGBIN/psql" -X -q -h "$PG/sock" -p "$PG_PORT" -U postgres -d postgres -c "CREATE DATABASE oidp" > /dev/null ||
        die "CREATE DATABASE failed"
    PG_PARAMS="host=$PG/sock port=$PG_PORT dbname=oidp user=postgres"
    setup_db "pgsql:$PG_PARAMS"
    IDP_PG="$WORK/idp-pg"
    log "== starting mod_oidc_idp (PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on a Unix socket, RS256 first)"
    setup_idp "$IDP_PG" pgsql "$PG_PARAMS" rs ""
    IDP_PG_URL="http://127.0.0.1:$(cat "$IDP_PG/port")"
    log "   $IDP_PG_URL (pid $(cat "$IDP_PG/run/httpd.pid"))"
    desc=$(check_token "mod_oidc_idp token (PostgreSQL)" "$IDP_PG_URL/token" "$IDP_PG_URL/.well-known/jwks" \
        "$RAW/idp-pg.token.json" RS256) || die "mod_oidc_idp PostgreSQL token pre-check: $desc"
    log "   token (PostgreSQL): $desc"
    user_side idp-pg "$IDP_PG_URL" "$IDP_PG"
fi

# ------------------------------------------------------------------ what to measure
# target|label|test|method|url|pidfile; per key (target.test): K_BODY, K_AUTHZ, K_LUA (a wrk
# script other than request.lua), K_HDR (one more header), K_PREP (run before each wrk run),
# K_TOOL (h2load for HTTP/2), K_BASE (the key its ratio divides by) and K_BASE_LABEL.
declare -A K_BODY=() K_AUTHZ=() K_LUA=() K_HDR=() K_PREP=() K_TOOL=() K_BASE=() K_BASE_LABEL=()
TESTS=()
add_test() { # target label test method url pidfile [base_key base_label]
    TESTS+=("$1|$2|$3|$4|$5|$6")
    if [[ -n ${7:-} ]]; then K_BASE[$1.$3]=$7; K_BASE_LABEL[$1.$3]=$8; fi
    if [[ $4 == POST ]]; then K_BODY[$1.$3]=$TOKEN_BODY; K_AUTHZ[$1.$3]=$AUTHZ; fi
}
# the refresh test: fresh refresh tokens before every wrk run, one chain per connection and a few
# spare (wrk asks its script for a request more often than it hands it responses, now and then)
prep_refresh() { # dir url
    python3 "$BENCH/flows.py" refresh "$2" "$CLIENT_ID" "$CLIENT_SECRET" "$REDIRECT" "$1/flow" "$((CONNS + 8))" "$1/flow/rt" \
        2>> "$RAW/flows-prep.txt" || die "refresh tokens for the refresh test: $(tail -3 "$RAW/flows-prep.txt")"
    export BENCH_RT_FILE="$1/flow/rt"
}
user_tests() { # target label url dir pidfile base_target
    local t=$1 l=$2 u=$3 d=$4 pf=$5 b=$6 sd="static.discovery" q
    add_test "$t" "$l" introspect POST "$u/introspect" "$pf" "$sd" "x static discovery"
    K_BODY[$t.introspect]=$(cat "$d/flow/introspect.body")
    add_test "$t" "$l" userinfo GET "$u/userinfo" "$pf" "$sd" "x static discovery"
    K_HDR[$t.userinfo]="Authorization: Bearer $(cat "$d/flow/access_token")"
    add_test "$t" "$l" refresh POST "$u/token" "$pf" "$b.token" "x client_credentials RS256"
    K_LUA[$t.refresh]="$BENCH/wrk/refresh.lua"
    K_PREP[$t.refresh]="prep_refresh $d $u"
    add_test "$t" "$l" flow GET "$u/" "$pf" "$b.token" "x client_credentials RS256 (req/s; flows/s = req/s / 2)"
    K_LUA[$t.flow]="$BENCH/wrk/flow.lua"
    K_AUTHZ[$t.flow]=$AUTHZ
    q="client_id=$CLIENT_ID&redirect_uri=$(jq -rn --arg v "$REDIRECT" '$v|@uri')&response_type=code&scope=openid%20profile%20email%20offline_access&state=bench&prompt=none"
    q+="&code_challenge=$(printf '%s' 'bench-verifier-0123456789-abcdefghijklmnopqrstuvwxyz' | openssl dgst -sha256 -binary | base64 -w0 | tr '+/' '-_' | tr -d '=')&code_challenge_method=S256"
    K_PREP[$t.flow]="export BENCH_COOKIE='$(cat "$d/flow/cookie")' BENCH_AUTHZ_QUERY='$q' BENCH_REDIRECT='$(jq -rn --arg v "$REDIRECT" '$v|@uri')'"
}
SP="$STATIC/run/httpd.pid" IP="$IDP/run/httpd.pid"
add_test static "Apache static file" discovery GET "$STATIC_URL/.well-known/openid-configuration" "$SP"
add_test idp mod_oidc_idp discovery GET "$IDP_URL/.well-known/openid-configuration" "$IP" static.discovery "x static discovery"
add_test static "Apache static file" jwks GET "$STATIC_URL/.well-known/jwks" "$SP"
add_test idp mod_oidc_idp jwks GET "$IDP_URL/.well-known/jwks" "$IP" static.jwks "x static jwks"
add_test idp mod_oidc_idp token POST "$IDP_URL/api/login/oauth/access_token" "$IP" static.discovery "x static discovery (not the same work)"
add_test idp-es "mod_oidc_idp, ES256 first" token POST "$IDP_ES_URL/api/login/oauth/access_token" "$IDP_ES/run/httpd.pid" idp.token "x client_credentials RS256"
user_tests idp mod_oidc_idp "$IDP_URL" "$IDP" "$IP" idp
# TLS 1.3 (wrk, HTTP/1.1 keep-alive) and HTTP/2 (h2load, one stream per connection at a time)
add_test static-tls "Apache static file, TLS 1.3" discovery GET "$STATIC_TLS/.well-known/openid-configuration" "$SP"
add_test idp-tls "mod_oidc_idp, TLS 1.3" discovery GET "$IDP_TLS/.well-known/openid-configuration" "$IP" static-tls.discovery "x static discovery over TLS"
add_test idp-tls "mod_oidc_idp, TLS 1.3" token POST "$IDP_TLS/api/login/oauth/access_token" "$IP" idp.token "x the same over plain HTTP"
if command -v h2load > /dev/null; then
    add_test static-h2 "Apache static file, HTTP/2" discovery GET "$STATIC_TLS/.well-known/openid-configuration" "$SP"
    add_test idp-h2 "mod_oidc_idp, HTTP/2" discovery GET "$IDP_TLS/.well-known/openid-configuration" "$IP" static-h2.discovery "x static discovery over HTTP/2"
    add_test idp-h2 "mod_oidc_idp, HTTP/2" token POST "$IDP_TLS/api/login/oauth/access_token" "$IP" idp.token "x the same over HTTP/1.1 without TLS"
    K_TOOL[static-h2.discovery]=h2load K_TOOL[idp-h2.discovery]=h2load K_TOOL[idp-h2.token]=h2load
else
    log "   no h2load (Debian: nghttp2-client): the HTTP/2 rows are not measured"
fi
if [[ $WITH_PG == 1 ]]; then
    PP="$IDP_PG/run/httpd.pid"
    add_test idp-pg "mod_oidc_idp, PostgreSQL" token POST "$IDP_PG_URL/token" "$PP" idp.token "x the same on SQLite"
    user_tests idp-pg "mod_oidc_idp, PostgreSQL" "$IDP_PG_URL" "$IDP_PG" "$PP" idp-pg
    for t in introspect userinfo refresh flow; do K_BASE[idp-pg.$t]=idp.$t; K_BASE_LABEL[idp-pg.$t]="x the same on SQLite"; done
fi
declare -A EXPECT_BYTES=([idp.discovery]=$DISC_BYTES [idp.jwks]=$JWKS_BYTES [idp.token]=$TOKEN_BYTES
    [static.discovery]=$DISC_BYTES [static.jwks]=$JWKS_BYTES [static-tls.discovery]=$DISC_BYTES
    [static-h2.discovery]=$DISC_BYTES [idp-tls.discovery]=$DISC_BYTES [idp-h2.discovery]=$DISC_BYTES)

# ------------------------------------------------------------------ peers (optional)
if [[ $WITH_PEERS == 1 ]]; then
    if [[ ! -d $PEERS_SRC || ! -f $PEERS_SRC/targets.tsv ]]; then
        log "== BENCH_PEERS=1 but no peers at $PEERS_SRC (set PEERS_DIR): skipped"
    else
        PDIR="$WORK/peers"
        mkdir -p "$PDIR"
        log "== peers: copying $PEERS_SRC to $PDIR"
        tar -C "$PEERS_SRC" --exclude=./results --exclude='./*/run' --exclude='./*/logs' \
            --exclude='./*/data' -cf - . | tar -C "$PDIR" -xf -
        chmod -R u+w,go+rX "$PDIR"
        declare -A PEER_OK=()
        while read -r t test method url body pidfile; do
            [[ -z $t || $t == \#* ]] && continue
            [[ $test == discovery || $test == jwks || $test == token || $test == token-opaque ]] || continue
            if [[ -z ${PEER_OK[$t]+x} ]]; then
                PEER_OK[$t]=0
                port=$(sed -E 's|^https?://[^:/]+:([0-9]+).*|\1|' <<< "$url")
                if [[ ! -x $PDIR/$t/start.sh ]]; then
                    log "   $t: no start.sh, skipped"
                elif port_in_use "$port"; then
                    log "   $t: port $port is already in use (another instance, not ours), skipped"
                else
                    log "   starting $t"
                    ok=1
                    PEERS_STARTED+=("$t")   # stop.sh is safe to call whatever happens next
                    if [[ $t == glewlwyd && ! -f $PDIR/$t/data/.setup-done ]]; then
                        "$PDIR/$t/setup.sh" > "$RAW/peer-$t-setup.txt" 2>&1 || ok=0
                    fi
                    if [[ $ok == 1 ]] && "$PDIR/$t/start.sh" > "$RAW/peer-$t-start.txt" 2>&1; then
                        PEER_OK[$t]=1
                        log "   $(tail -1 "$RAW/peer-$t-start.txt")"
                    else
                        log "   $t failed to start: $(tail -3 "$RAW/peer-$t-"*.txt | tr '\n' ' ')"
                    fi
                fi
            fi
            [[ ${PEER_OK[$t]} == 1 ]] || continue
            out="$RAW/peer-$t.$test.json"
            if [[ $method == POST ]]; then
                jwks_url=$(awk -v t="$t" '$1 == t && $2 == "jwks" {print $4}' "$PDIR/targets.tsv")
                if ! desc=$(check_token "$t $test" "$url" "$jwks_url" "$out" 0 "$PEER_SECRET" "$body"); then
                    log "   $t $test: FAILED pre-check ($desc), not measured"
                    jq -nc --arg t "$t" --arg s "$test" --arg d "$desc" '{kind:"skipped", target:$t, test:$s, why:$d}' >> "$RESULTS"
                    continue
                fi
            else
                code=$(curl -sS -o "$out" -w '%{http_code}' -H 'Accept: application/json' "$url" || echo 000)
                if [[ $code != 200 ]] || ! jq -e . "$out" > /dev/null 2>&1; then
                    log "   $t $test: FAILED pre-check (HTTP $code or not JSON), not measured"
                    jq -nc --arg t "$t" --arg s "$test" --arg d "HTTP $code" '{kind:"skipped", target:$t, test:$s, why:$d}' >> "$RESULTS"
                    continue
                fi
                desc="200, $(wc -c < "$out") bytes"
            fi
            log "   $t $test: $desc"
            EXPECT_BYTES[peer-$t.$test]=$(wc -c < "$out")
            TESTS+=("peer-$t|peer $t|$test|$method|$url|$PDIR/$pidfile")
            if [[ $method == POST ]]; then K_BODY[peer-$t.$test]=$body; K_AUTHZ[peer-$t.$test]=$PEER_AUTHZ; fi
        done < "$PDIR/targets.tsv"
    fi
fi

# ------------------------------------------------------------------ measure
# One load run of key for secs seconds into out (wrk, or h2load for the HTTP/2 rows), ending with
# a BENCHJSON line either way (bench/wrk/done.lua's fields).
load_run() { # key secs out method url [--latency]
    local key=$1 secs=$2 out=$3 method=$4 url=$5 lat=${6:-}
    export BENCH_METHOD=$method BENCH_BODY=${K_BODY[$key]:-} BENCH_AUTHZ=${K_AUTHZ[$key]:-} BENCH_HEADER=${K_HDR[$key]:-}
    export BENCH_DONE_LUA="$BENCH/wrk/done.lua"
    if [[ -n ${K_PREP[$key]:-} ]]; then eval "${K_PREP[$key]}"; fi
    if [[ ${K_TOOL[$key]:-wrk} == h2load ]]; then
        local args=(-c"$CONNS" -t"$THREADS" -m1 -D"$secs")
        [[ -n $BENCH_HEADER ]] && args+=(-H "$BENCH_HEADER")
        if [[ $method == POST ]]; then
            printf '%s' "$BENCH_BODY" > "$out.body"
            args+=(-d "$out.body" -H 'content-type: application/x-www-form-urlencoded' -H "authorization: $BENCH_AUTHZ")
        fi
        h2load "${args[@]}" -H 'accept: application/json' "$url" > "$out" 2>&1 || true
        awk -v secs="$secs" '
            function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v + 0 }
            /^finished in/ { d = $3 + 0 }
            /^requests:/ { n = $6 + 0; fl = $10 + 0; er = $12 + 0; to = $14 + 0 }
            /^status codes:/ { s4 = $7 + 0; s5 = $9 + 0 }
            /^traffic:/ { b = $3; gsub(/[()]/, "", b); b += 0 }
            /^time for request:/ { mx = ms($5); me = ms($6) }
            END { if (d == 0) d = secs
                  printf "BENCHJSON {\"requests\":%d,\"duration_s\":%.3f,\"rps\":%.1f,\"bytes\":%d,\"bytes_per_response\":%.1f,\"lat_mean_ms\":%.3f,\"lat_p50_ms\":%.3f,\"lat_p90_ms\":%.3f,\"lat_p99_ms\":%.3f,\"lat_max_ms\":%.3f,\"status_errors\":%d,\"err_connect\":%d,\"err_read\":%d,\"err_write\":%d,\"err_timeout\":%d,\"h2load\":true}\n",
                      n, d, n / d, b, n ? b / n : 0, me, me, me, mx, mx, s4 + s5, er, 0, 0, to }' "$out" >> "$out"
    else
        wrk -t"$THREADS" -c"$CONNS" -d"${secs}s" $lat -s "${K_LUA[$key]:-$LUA}" "$url" > "$out" 2>&1 || true
    fi
}
run_wrk() { # key round method url pidfile
    local key=$1 round=$2 method=$3 url=$4 pf=$5 pids t0 t1 m0 m1 s0 s1 wu ws wr bj rec r0=0 r1=0
    [[ $key == idp.token ]] && r0=$(token_rows)
    if ((WARMUP > 0)); then
        load_run "$key" "$WARMUP" "$RAW/$key.r$round.warmup.txt" "$method" "$url"
    fi
    [[ -z ${K_PREP[$key]:-} ]] || eval "${K_PREP[$key]}"   # before the CPU counters: not measured
    K_PREP_SAVED=${K_PREP[$key]:-}
    K_PREP[$key]=""
    mapfile -t pids < <(pids_of "$pf")
    ((${#pids[@]} > 0)) || die "$key: the server is gone (pidfile $pf)"
    local perf_pid=""
    if [[ $PROFILE == 1 && $key == idp* ]]; then
        perf stat -x, -e "$PERF_EVENTS" -p "$(IFS=,; echo "${pids[*]}")" -o "$RAW/$key.r$round.perf.csv" \
            -- sleep "$DURATION" > /dev/null 2>&1 &
        perf_pid=$!
    fi
    t0=$(cpu_ticks "${pids[@]}")
    read -r m0 s0 < <(machine_ticks)
    TIMEFORMAT='%U %S %R'
    { time load_run "$key" "$DURATION" "$RAW/$key.r$round.wrk.txt" "$method" "$url" --latency; } 2> "$RAW/$key.r$round.time.txt" || true
    K_PREP[$key]=$K_PREP_SAVED
    [[ -z $perf_pid ]] || wait "$perf_pid" || true
    mapfile -t pids < <(pids_of "$pf")
    t1=$(cpu_ticks "${pids[@]}")
    read -r m1 s1 < <(machine_ticks)
    read -r wu ws wr < "$RAW/$key.r$round.time.txt" || { wu=0; ws=0; }
    bj=$(sed -n 's/^BENCHJSON //p' "$RAW/$key.r$round.wrk.txt" | tail -1)
    [[ -n $bj ]] || die "$key: wrk gave no result (see $RAW/$key.r$round.wrk.txt)"
    local non2xx warm_n=0 warm_err=0
    non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$RAW/$key.r$round.wrk.txt")
    if [[ $key == idp.token ]]; then
        r1=$(token_rows)
        if ((WARMUP > 0)); then
            warm_n=$(sed -n 's/^BENCHJSON //p' "$RAW/$key.r$round.warmup.txt" | jq '.requests' 2>/dev/null || echo 0)
            warm_err=$(sed -n 's/^BENCHJSON //p' "$RAW/$key.r$round.warmup.txt" | jq '.status_errors' 2>/dev/null || echo 0)
        fi
    fi
    local perf='null'
    if [[ -n $perf_pid && -s $RAW/$key.r$round.perf.csv ]]; then
        perf=$(awk -F, '!/^#/ && NF >= 3 && $1 ~ /^[0-9.]+$/ { e = $3; sub(/^syscalls:sys_enter_/, "", e);
                   printf "%s\"%s\":%s", (n++ ? "," : "{"), e, $1 } END { print (n ? "}" : "null") }' \
               "$RAW/$key.r$round.perf.csv")
    fi
    rec=$(jq -c --arg key "$key" --argjson round "$round" --arg url "$url" --argjson perf "$perf" \
        --argjson sc "$((t1 - t0))" --argjson hz "$HZ" --arg wu "$wu" --arg ws "$ws" \
        --argjson mb "$((m1 - m0))" --argjson st "$((s1 - s0))" --arg non2xx "${non2xx:-0}" \
        --argjson rows "$((r1 - r0))" --argjson wn "${warm_n:-0}" --argjson we "${warm_err:-0}" \
        --argjson expect "${EXPECT_BYTES[$key]:-0}" --argjson rss "$(rss_kb "${pids[@]}")" \
        '. + {kind:"wrk", key:$key, round:$round, url:$url, non2xx_line:($non2xx|tonumber),
              server_cpu_pct: (($sc / $hz) / .duration_s * 100),
              wrk_cpu_pct: ((($wu|tonumber) + ($ws|tonumber)) / .duration_s * 100),
              machine_busy_pct: (($mb / $hz) / .duration_s * 100),
              steal_pct: (($st / $hz) / .duration_s * 100),
              expected_body_bytes: $expect, server_rss_kb: $rss}
         | . + {other_cpu_pct: (.machine_busy_pct - .server_cpu_pct - .wrk_cpu_pct),
                server_cpu_us_per_req: (if .rps > 0 then .server_cpu_pct / 100 / .rps * 1e6 else null end)}
         | if $perf != null then .requests as $n | . + {perf: $perf, perf_per_req: ($perf | map_values(. / $n))} else . end
         | if $key == "idp.token" then . + {rows_inserted:$rows, warmup_requests:$wn, warmup_status_errors:$we} else . end' \
        <<< "$bj")
    echo "$rec" >> "$RESULTS"
    jq -r '"   \(.rps|round) req/s, p50 \(.lat_p50_ms) ms, p99 \(.lat_p99_ms) ms, non-2xx \(.status_errors), socket errors \(.err_connect + .err_read + .err_write + .err_timeout), \(.bytes_per_response|round) B/resp, CPU server \(.server_cpu_pct|round)% wrk \(.wrk_cpu_pct|round)% other \(.other_cpu_pct|round)%"
           + (if .rows_inserted then ", rows inserted \(.rows_inserted) for \(.requests + .warmup_requests) responses" else "" end)' <<< "$rec" >&2
}

# BENCH_PROFILE: what is counted per request (perf stat on the server's processes)
PERF_EVENTS=task-clock,context-switches
for sc in futex fdatasync fsync pread64 pwrite64 fcntl clock_nanosleep select openat newfstatat \
    epoll_wait writev read; do
    PERF_EVENTS+=",syscalls:sys_enter_$sc"
done

for round in $(seq 1 "$ROUNDS"); do
    for line in "${TESTS[@]}"; do
        IFS='|' read -r target label test method url pf <<< "$line"
        [[ $ONLY_TESTS == *" $test "* ]] || continue
        log "== round $round/$ROUNDS: $label $test ($method $url)"
        run_wrk "$target.$test" "$round" "$method" "$url" "$pf"
    done
done

# ------------------------------------------------------------------ BENCH_LONG=1: memory
# client_credentials tokens in 10 s wrk runs until 100,000, then 1,000,000 requests: the RSS of all
# of mod_oidc_idp's processes at each mark (no growth: at most 1.05 x).
if [[ $LONG == 1 ]]; then
    log "== BENCH_LONG: 1,000,000 token requests, RSS after 100,000 and after 1,000,000"
    total=0 rss100k="" rss1m="" chunk=0
    while ((total < 1000000)); do
        chunk=$((chunk + 1))
        load_run idp.token 10 "$RAW/long.$chunk.txt" POST "$IDP_URL/api/login/oauth/access_token"
        n=$(sed -n 's/^BENCHJSON //p' "$RAW/long.$chunk.txt" | jq '.requests + 0')
        e=$(sed -n 's/^BENCHJSON //p' "$RAW/long.$chunk.txt" | jq '.status_errors + .err_connect + .err_read + .err_write + .err_timeout')
        ((e == 0)) || die "BENCH_LONG: $e failed requests in chunk $chunk (see $RAW/long.$chunk.txt)"
        total=$((total + n))
        mapfile -t pids < <(pids_of "$IP")
        if [[ -z $rss100k ]] && ((total >= 100000)); then rss100k=$(rss_kb "${pids[@]}"); log "   $total requests: RSS $rss100k kB (${#pids[@]} processes)"; fi
        if ((total >= 1000000)); then rss1m=$(rss_kb "${pids[@]}"); log "   $total requests: RSS $rss1m kB (${#pids[@]} processes)"; fi
    done
    jq -nc --argjson a "$rss100k" --argjson b "$rss1m" --argjson n "$total" \
        '{kind:"long", rss_kb_100k:$a, rss_kb_1m:$b, requests:$n}' >> "$RESULTS"
fi

# ------------------------------------------------------------------ summary
# the order of the rows, their labels and what each ratio divides by
ORDER=$(for line in "${TESTS[@]}"; do
        IFS='|' read -r target label test _ <<< "$line"
        k="$target.$test"
        b=${K_BASE[$k]:-} bl=${K_BASE_LABEL[$k]:-}
        if [[ -z $b && $target == peer-* ]]; then
            case $test in discovery | jwks) b=static.$test bl="x static $test" ;; *) b=static.discovery bl="x static discovery (not the same work)" ;; esac
        fi
        jq -nc --arg k "$k" --arg l "$label" --arg b "$b" --arg bl "$bl" '{key:$k, label:$l, base:$b, base_label:$bl}'
    done | jq -s .)
jq -s --argjson order "$ORDER" --argjson rsa "$RSA_SIGN" --argjson disc "$DISC_BYTES" \
    --argjson jwks "$JWKS_BYTES" --argjson conns "$CONNS" '
  def r1: . * 10 | round / 10;
  def r2: . * 100 | round / 100;
  def mean(f): (map(f) | add / length);
  [ .[] | select(.kind == "wrk") ] as $w
  | ($w | group_by(.key) | map({
        key: .[0].key, target: (.[0].key | split(".")[0]), test: (.[0].key | split(".")[1]),
        rounds: length, rps: mean(.rps), rps_min: (map(.rps) | min), rps_max: (map(.rps) | max),
        p50: mean(.lat_p50_ms), p99: mean(.lat_p99_ms), non2xx: (map(.status_errors) | add),
        non2xx_line: (map(.non2xx_line) | add),
        sock: (map(.err_connect + .err_read + .err_write + .err_timeout) | add),
        bpr: mean(.bytes_per_response), body: .[0].expected_body_bytes,
        server_cpu: mean(.server_cpu_pct), wrk_cpu: mean(.wrk_cpu_pct), other_cpu: mean(.other_cpu_pct),
        steal: mean(.steal_pct), us_per_req: mean(.server_cpu_us_per_req), rss_kb: (map(.server_rss_kb) | max),
        rows: (map(.rows_inserted // 0) | add), responses: (map(.requests + (.warmup_requests // 0)) | add),
        errors_all: (map(.status_errors + (.warmup_status_errors // 0)) | add) }))
  | (map({(.key): .}) | add) as $by
  | { tests: ., by: $by, order: $order,
      base: { discovery: $by["static.discovery"].rps, jwks: $by["static.jwks"].rps, token: $by["static.discovery"].rps },
      rsa: $rsa, disc: $disc, jwks_bytes: $jwks, conns: $conns }' "$RESULTS" > "$OUT/summary.json"

{
    echo "# mod_oidc_idp benchmark $TS"
    echo
    echo '```'
    cat "$OUT/env.txt"
    echo '```'
    echo
    jq -r '
      def f0: round | tostring;
      def f2: (. * 100 | round) as $n | "\($n / 100 | floor).\($n % 100 | tostring | if length == 1 then "0" + . else . end)";
      . as $s
      | "| test | server | req/s | range (rounds) | p50 ms | p99 ms | non-2xx | socket err | B/resp | server CPU % | CPU us/req | wrk CPU % | other CPU % | ratio |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        ( $s.order[] as $o | $s.by[$o.key] as $t | select($t != null)
          | ($s.by[$o.base].rps // null) as $b
          | "| \($t.test) | \($o.label)\(if ($t.target | startswith("static")) then " (\($t.body) B)" else "" end) | \($t.rps | f0) | \($t.rps_min | f0)-\($t.rps_max | f0) (\($t.rounds)) | \($t.p50 | f2) | \($t.p99 | f2) | \($t.non2xx) | \($t.sock) | \($t.bpr | f0) | \($t.server_cpu | f0) | \($t.us_per_req // 0 | f0) | \($t.wrk_cpu | f0) | \($t.other_cpu | f0) | "
            + (if ($t.target | startswith("static")) then "1.00 (baseline)"
               elif $b == null or $b == 0 then "-"
               else "\($t.rps / $b | f2) \($o.base_label)" end) + " |" ),
        "| token | openssl speed rsa2048, one core | \($s.rsa | f0) sign/s | | | | | | | | | | | ceiling for RS256 on one core |"
    ' "$OUT/summary.json"
    echo
    echo "HTTP/2 rows: h2load (one stream per connection at a time); its p50 column is the mean, p99 the maximum."
    echo "The refresh and flow rows' wrk scripts read every response (a response() hook): wrk spends more CPU there."
    echo
    # the issue's targets, each with its figure from this run
    jq -r --argjson ncpu "$(nproc)" '
      def f2: (. * 100 | round) as $n | "\($n / 100 | floor).\($n % 100 | tostring | if length == 1 then "0" + . else . end)";
      . as $s | $s.by as $b
      | def r($x; $y): if $b[$x] == null or $b[$y] == null or $b[$y].rps == 0 then null else $b[$x].rps / $b[$y].rps end;
        def line($what; $v; $op; $target):
          if $v == null then "- \($what): not measured in this run"
          else "- \($what): \($v | f2) (target \($op) \($target)): " + (if ($op == ">=" and $v >= $target) or ($op == "<=" and $v <= $target) then "met" else "NOT MET" end) end;
        "Targets (ratios of this run):",
        line("discovery, req/s x static"; r("idp.discovery"; "static.discovery"); ">="; 0.97),
        line("discovery, p99 x static"; (if $b["idp.discovery"] and $b["static.discovery"] then $b["idp.discovery"].p99 / $b["static.discovery"].p99 else null end); "<="; 1.5),
        line("JWKS, req/s x static"; r("idp.jwks"; "static.jwks"); ">="; 0.97),
        line("JWKS, p99 x static"; (if $b["idp.jwks"] and $b["static.jwks"] then $b["idp.jwks"].p99 / $b["static.jwks"].p99 else null end); "<="; 1.5),
        line("client_credentials ES256 x node-oidc-provider opaque"; r("idp-es.token"; "peer-node-oidc-provider.token-opaque"); ">="; 3),
        line("client_credentials RS256 x node-oidc-provider RS256"; r("idp.token"; "peer-node-oidc-provider.token"); ">="; 2),
        line("client_credentials RS256 x what openssl signs on \($ncpu) cores minus wrk'"'"'s share";
             (if $b["idp.token"] then $b["idp.token"].rps / ($s.rsa * ($ncpu - $b["idp.token"].wrk_cpu / 100)) else null end); ">="; 0.85),
        line("userinfo x static discovery"; r("idp.userinfo"; "static.discovery"); ">="; 0.3),
        line("introspection x static discovery"; r("idp.introspect"; "static.discovery"); ">="; 0.3),
        line("refresh x client_credentials RS256"; r("idp.refresh"; "idp.token"); ">="; 0.8),
        line("PostgreSQL client_credentials x SQLite"; r("idp-pg.token"; "idp.token"); ">="; 0.7),
        line("PostgreSQL refresh x SQLite"; r("idp-pg.refresh"; "idp.refresh"); ">="; 0.7),
        (if $b["idp.flow"] then "- code flow with prompt=none: \($b["idp.flow"].rps / 2 | round) flows/s (authorize + code redemption each)" else empty end),
        (if $b["idp-pg.flow"] then "- code flow with prompt=none on PostgreSQL: \($b["idp-pg.flow"].rps / 2 | round) flows/s" else empty end)
    ' "$OUT/summary.json"
    echo
    jq -r '
      def f0: round | tostring;
      def f2: (. * 100 | round) as $n | "\($n / 100 | floor).\($n % 100 | tostring | if length == 1 then "0" + . else . end)";
      . as $s | $s.by["idp.token"] as $t
      | if $t == null then empty else
        "Token endpoint against pure signing: \($t.rps | f0) tokens/s = \($t.rps / $s.rsa | f2) x openssl'"'"'s rsa2048 sign/s on one core (\($s.rsa | f0)/s).",
        "Server CPU per token: \($t.us_per_req | f0) us RS256 (\($t.server_cpu | f0)% of one core busy)"
          + (if $s.by["idp-es.token"] then ", \($s.by["idp-es.token"].us_per_req | f0) us ES256" else "" end)
          + "; one RSA-2048 signature costs \(1e6 / $s.rsa | f0) us,",
        "so signing is \(1e6 / $s.rsa / $t.us_per_req * 100 | f0)% of the server CPU spent per RS256 token; the machine has 2 cores shared with wrk (\($t.wrk_cpu | f0)% of one core).",
        "SQLite: \($t.rows) rows inserted for \($t.responses) client_credentials token responses (warm-ups included; \($t.errors_all) non-2xx); "
          + (if $t.rows > 0 then "ROWS WRITTEN: a client_credentials token is known from its claims and needs none (README, Storage)"
             else "none, as designed (revocation writes a row of its jti; README, Storage)" end)
        end
    ' "$OUT/summary.json"
    echo
    if jq -e '.tests | map(select(.target | startswith("peer-"))) | length > 0' "$OUT/summary.json" > /dev/null; then
        echo "mod_oidc_idp against each peer, same request, same run (req/s of mod_oidc_idp / req/s of the peer):"
        echo
        jq -r '
          def f2: (. * 100 | round) as $n | "\($n / 100 | floor).\($n % 100 | tostring | if length == 1 then "0" + . else . end)";
          . as $s
          | "| peer | discovery | jwks | token | token-opaque |", "|---|---:|---:|---:|---:|",
            ( $s.tests | map(select(.target | startswith("peer-")) | .target) | unique[] as $p
              | "| \($p | sub("^peer-"; "")) | "
                + (["discovery", "jwks", "token", "token-opaque"] | map(. as $t | $s.by["\($p).\($t)"] as $x
                    | $s.by[if $t == "token-opaque" then "idp-es.token" else "idp.\($t)" end] as $o
                    | if $x == null or $o == null or $x.rps == 0 then "-" else ($o.rps / $x.rps | f2) end) | join(" | ")) + " |" )
        ' "$OUT/summary.json"
        echo
    fi
    if jq -e 'select(.kind == "wrk" and .perf_per_req != null)' "$RESULTS" > /dev/null 2>&1; then
        echo "BENCH_PROFILE: per request of mod_oidc_idp (perf stat on its processes during the measured runs, mean over rounds):"
        echo
        jq -rs '
          def f1: . * 10 | round / 10 | tostring;
          def f2: (. * 100 | round) as $n | "\($n / 100 | floor).\($n % 100 | tostring | if length == 1 then "0" + . else . end)";
          [ .[] | select(.kind == "wrk" and .perf_per_req != null) ] | group_by(.key)
          | (["futex", "fdatasync", "fsync", "pread64", "pwrite64", "fcntl", "clock_nanosleep", "select",
              "openat", "newfstatat", "epoll_wait", "writev", "read"]) as $sc
          | "| test | CPU us | context switches | " + ($sc | join(" | ")) + " |",
            "|---|---:|---:|" + ($sc | map("---:") | join("|")) + "|",
            ( .[] | (.[0].key | split(".")[1]) as $t | length as $k
              | (map(.perf_per_req) | reduce .[] as $p ({}; reduce ($p | keys[]) as $e (.; .[$e] += $p[$e] / $k))) as $m
              | "| \($t) | \($m["task-clock"] * 1000 | f1) | \($m["context-switches"] | f2) | "
                + ($sc | map($m[.] // 0 | f2) | join(" | ")) + " |" )
        ' "$RESULTS"
        echo
    fi
    if grep -q '"kind":"long"' "$RESULTS"; then
        jq -r 'select(.kind == "long") | "BENCH_LONG: RSS of all of mod_oidc_idp'"'"'s processes \(.rss_kb_100k) kB after 100,000 token requests, \(.rss_kb_1m) kB after \(.requests): \((.rss_kb_1m / .rss_kb_100k * 100 | round) / 100) x (target <= 1.05: " + (if .rss_kb_1m <= 1.05 * .rss_kb_100k then "met" else "NOT MET" end) + ")"' "$RESULTS"
        echo
    fi
    echo "ratio: req/s divided by the static baseline of the same size measured in this run (the token test"
    echo "is divided by the static discovery rate: it shows the cost of a token against the cheapest"
    echo "possible answer, not like for like). req/s and latencies are means over the rounds."
    echo "CPU % are of one core ($(nproc) cores here); other = machine busy - server - wrk: kernel work not"
    echo "charged to either plus any foreign load. More than ~20% other means a disturbed run."
    echo "non-2xx: wrk's 'Non-2xx or 3xx responses' (status >= 400); B/resp is bytes per response"
    echo "including headers (bodies: discovery $DISC_BYTES B, JWKS $JWKS_BYTES B, token response $TOKEN_BYTES B)."
    if grep -q '"kind":"skipped"' "$RESULTS"; then
        echo
        jq -r 'select(.kind == "skipped") | "not measured: \(.target) \(.test): \(.why)"' "$RESULTS"
    fi
    mism=$(jq -r 'select(.kind == "wrk" and .non2xx_line != .status_errors) | .key' "$RESULTS" | sort -u | tr '\n' ' ')
    [[ -z $mism ]] || echo "WARNING: wrk's Non-2xx line and its Lua summary disagree for: $mism"
    disturbed=$(jq -r 'select(.kind == "wrk" and .other_cpu_pct > 20) | "\(.key) r\(.round)"' "$RESULTS" | tr '\n' ' ')
    [[ -z $disturbed ]] || echo "WARNING: other CPU above 20% of a core (foreign load?) during: $disturbed"
} > "$OUT/summary.md"
cat "$OUT/summary.md"
log ""
log "results: $OUT"
# Failed requests of our instance or of the baseline make the run fail (a peer's are only reported).
fails=$(jq -s '[.[] | select(.kind == "wrk" and (.key | startswith("peer-") | not))
               | .status_errors + .err_connect + .err_read + .err_write + .err_timeout] | add // 0' "$RESULTS")
if ((fails > 0)); then
    log "bench: $fails failed requests (non-2xx or socket errors) against mod_oidc_idp or the baseline"
    exit 1
fi
