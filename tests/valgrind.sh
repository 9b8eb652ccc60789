#!/bin/sh
# The C unit tests and the admin tool under valgrind's memcheck (what
# `make valgrind` runs, after building them):
#   sh tests/valgrind.sh
#
# Each unit test binary runs in one process (CK_FORK=no: Check's forked
# tests would each be a process valgrind does not follow into); the admin
# tool runs a session of commands (init, client add/update/list/show/remove,
# user add/update/list/show/remove, migrate of a version-1 database, purge,
# backup, restore, check,
# and refused ones) on a temporary SQLite database. A run fails on any
# memory error (invalid read or write, uninitialised value, bad free) or
# any definitely lost block (--errors-for-leak-kinds=definite), and if the
# program itself fails. Prints one line per binary:
#   valgrind NAME: R runs, E errors, D bytes definitely lost in B blocks: ok
# and a total: "valgrind: N binaries, E errors, D bytes definitely lost: ok".
# The logs stay in build/valgrind/ for reading.
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
command -v valgrind >/dev/null 2>&1 ||
    { echo "valgrind: not installed (Debian: apt-get install valgrind; make deps-test)" >&2; exit 1; }
ADMIN=build/oidc-idp-admin
UNITS=$(ls build/unit/test_* 2>/dev/null || true)
[ -x "$ADMIN" ] && [ -n "$UNITS" ] || { echo "valgrind: build the unit tests and the admin tool first (make valgrind)" >&2; exit 1; }

OUT=build/valgrind
rm -rf "$OUT" && mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/oidp-valgrind.XXXXXXXX)
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

VG_EXIT=99
vg() {
    # vg LOG COMMAND...: one run under memcheck, its log in LOG.PID
    log=$1
    shift
    valgrind -q --tool=memcheck --leak-check=full --show-leak-kinds=definite \
        --errors-for-leak-kinds=definite --error-exitcode=$VG_EXIT --track-origins=yes \
        --num-callers=30 --log-file="$log.%p" "$@"
}

# report NAME RUNS FAILED: the line of one binary from its logs (LOG.PID)
report() {
    name=$1 runs=$2 failed=$3
    logs=$(ls "$OUT/$name".log.* 2>/dev/null || true)
    err=0 bytes=0 blocks=0
    for l in $logs; do
        # "ERROR SUMMARY" is not printed with -q: count valgrind's own lines
        e=$(grep -cE '^==[0-9]+== (Invalid|Conditional|Use of uninitialised|Syscall param|Mismatched|Source and destination|Argument .* fishy)' "$l" || true)
        err=$((err + e))
        # -q prints only what is lost: "N bytes in B blocks are definitely
        # lost" or "N (D direct, I indirect) bytes in B blocks are ..."
        for pair in $(sed -nE 's/^==[0-9]+== ([0-9,]+) (\([^)]*\) )?bytes in ([0-9,]+) blocks are definitely lost.*/\1:\3/p' "$l" | tr -d ,); do
            bytes=$((bytes + ${pair%%:*}))
            blocks=$((blocks + ${pair##*:}))
        done
    done
    st=ok
    [ "$failed" -eq 0 ] && [ "$err" -eq 0 ] && [ "$bytes" -eq 0 ] && [ "$blocks" -eq 0 ] || st=FAILED
    extra=
    [ "$failed" -eq 0 ] || extra=", $failed runs failed"
    echo "valgrind $name: $runs runs, $err errors, $bytes bytes definitely lost in $blocks blocks$extra: $st"
    if [ "$st" != ok ]; then
        for l in $logs; do [ -s "$l" ] && { echo "---- $l"; head -n 80 "$l"; }; done
    fi
}

# ---- the unit tests, each in one process. RSA keys are generated natively
# beforehand (tests/unit/unit.c reads them from UT_KEY_DIR): generated under
# valgrind they took most of the run's 4 minutes.
# The unit tests and the admin session run side by side (two processes:
# valgrind is slow, and most of an admin command's time is valgrind's start).
mkdir -p "$WORK/keys"
for spec in 2048:8 3072:2 1024:2; do
    bits=${spec%%:*}
    i=0
    while [ $i -lt "${spec##*:}" ]; do
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:"$bits" -out "$WORK/keys/rsa-$bits-$i.pem" 2>/dev/null ||
            { echo "valgrind: openssl cannot generate RSA keys" >&2; exit 1; }
        i=$((i + 1))
    done
done
units() {
    for t in $UNITS; do
        name=$(basename "$t")
        failed=0
        CK_FORK=no UT_KEY_DIR="$WORK/keys" vg "$OUT/$name.log" "$t" >"$OUT/$name.out" 2>&1 || failed=1
        grep -qE '^100%: Checks: [0-9]+, Failures: 0, Errors: 0' "$OUT/$name.out" || failed=1
        [ "$failed" -eq 0 ] || tail -n 20 "$OUT/$name.out"
        report "$name" 1 "$failed"
    done
}
units >"$WORK/units.txt" 2>&1 &
units_pid=$!

# ---- the admin tool: a session of commands on a throwaway database.
# admin WANT ARGS...: one command under memcheck with the exit status WANT
# (the refused ones too: their error paths must not leak either)
runs=0
afail=0
DB="sqlite3:$WORK/idp.db"
admin() {
    want=$1
    shift
    runs=$((runs + 1))
    rc=0
    vg "$OUT/oidc-idp-admin.log" "$ADMIN" --db "$DB" "$@" <"$WORK/stdin" >"$WORK/out" 2>&1 || rc=$?
    if [ "$rc" -ne "$want" ]; then
        echo "valgrind: oidc-idp-admin $*: exit $rc, expected $want:"
        cat "$WORK/out"
        afail=$((afail + 1))
    fi
}
: >"$WORK/stdin"
admin 0 init
admin 0 status
admin 0 init --issuer https://idp.example.com
admin 3 migrate --issuer https://other.example.com
admin 0 rebind --issuer https://login.example.com
admin 1 rebind --issuer 'https://bad example'
admin 0 --json client add web --redirect-uri https://rp.example.com/cb --post-logout-uri https://rp.example.com/bye \
    --name 'Web app' --first-party --grant-types 'authorization_code refresh_token client_credentials'
admin 0 client add spa --public --redirect-uri http://127.0.0.1/cb --dialect casdoor --id-token-alg ES256
printf 'an-imported-secret-that-is-long-enough-0123456789\n' >"$WORK/stdin"
admin 0 client add imported --secret-stdin --auth-method client_secret_post --pin-auth-method \
    --redirect-uri https://rp.example.com/imported
: >"$WORK/stdin"
admin 0 client update web --new-secret --scopes 'openid profile email' --no-first-party
admin 0 --json client list
admin 0 client show web
admin 0 --json client show spa
admin 2 client show nobody
admin 3 client add web --redirect-uri https://rp.example.com/cb
admin 1 client add bad --grant-types 'password'
printf 'alice-password\n' >"$WORK/stdin"
admin 0 user add alice --password-stdin --name 'Alice Liddell' --email alice@example.com --email-verified \
    --group staff --group admins --street '1 Main St' --country NL
printf 'new-password\n' >"$WORK/stdin"
admin 0 user update alice --password-stdin --phone '+31 6 1234' --phone-verified
: >"$WORK/stdin"
admin 0 user add bob --no-password
admin 0 user update bob --disable
admin 0 user list
admin 0 --json user show alice
admin 2 user show carol
admin 0 purge
admin 0 backup "$WORK/backup.db"
admin 4 backup "$WORK/backup.db"
admin 1 backup
admin 0 restore "$WORK/backup.db"
admin 2 restore "$WORK/no-such-backup.db"
admin 0 check
admin 6 check --key "$WORK/no-such-key.pem"
admin 0 migrate
admin 0 client remove spa
admin 0 user remove bob
admin 1 no-such-command
admin 0 --help
# a version-1 database (tests/fixtures/v1) upgraded, then used
if command -v sqlite3 >/dev/null 2>&1; then
    sqlite3 "$WORK/v1.db" <tests/fixtures/v1/schema.sqlite3.sql
    sqlite3 "$WORK/v1.db" <tests/fixtures/v1/data.sql
    DB="sqlite3:$WORK/v1.db"
    admin 4 client list
    admin 0 migrate
    admin 0 client list
else
    echo "valgrind: sqlite3 is missing (the migration runs need it)"
    afail=$((afail + 1))
fi
# no database at all
DB="sqlite3:$WORK/missing/none.db"
admin 4 client list
report oidc-idp-admin "$runs" "$afail" >"$WORK/admin.txt"
wait $units_pid || true
cat "$WORK/units.txt" "$WORK/admin.txt"

# the totals, from the lines of every binary
lines=$(grep -hE '^valgrind [^ ]+: [0-9]+ runs' "$WORK/units.txt" "$WORK/admin.txt" || true)
nbin=$(echo "$lines" | grep -c . || true)
tot_err=$(echo "$lines" | sed -E 's/.* ([0-9]+) errors.*/\1/' | awk '{s += $1} END {print s + 0}')
tot_bytes=$(echo "$lines" | sed -E 's/.* ([0-9]+) bytes definitely.*/\1/' | awk '{s += $1} END {print s + 0}')
want=$(($(echo "$UNITS" | wc -w) + 1))
if [ "$nbin" -eq "$want" ] && ! echo "$lines" | grep -q ': FAILED$'; then
    echo "valgrind: ok: $nbin binaries, $tot_err errors, $tot_bytes bytes definitely lost"
    exit 0
fi
echo "valgrind: FAILED: $nbin of $want binaries reported, $tot_err errors, $tot_bytes bytes definitely lost (logs in $OUT)"
exit 1
