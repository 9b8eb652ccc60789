#!/bin/sh
# Every suite, in order, then one summary (what `make test` runs after
# `make all`):
#   1. C unit tests                  make check (tests/run-unit.sh)
#   2. Apache::Test on SQLite        sh tests/suite.sh sqlite3
#   3. Apache::Test on PostgreSQL    sh tests/suite.sh pgsql (throwaway cluster)
#   4. Apache::Test under ASan+UBSan make asan (tests/asan.sh: SQLite, 0 reports)
#   5. valgrind                      make valgrind (tests/valgrind.sh: unit tests and
#                                    the admin tool, 0 errors, 0 definite leaks)
#   6. fuzz corpus replay            sh tests/fuzz/run.sh 0
#   7. source checks                 sh tests/check_sources.sh, and its self-test
#                                    (each check fails on a planted violation)
#   8. schema migrations             sh tests/migrate.sh (SQLite, PostgreSQL, make run)
#   9. end-to-end relying parties    tests/e2e/{mod_auth_openidc,multinode,binding,clients,dovecot,ops,authn,upstream}.sh
#  10. faults                        tests/faults/{pg-outage,sqlite-graceful,sqlite-locked}.sh
#  11. Debian package                tests/package.sh (make deb, lintian, install,
#                                    upgrade with a migration, remove, purge)
# Every step runs even when an earlier one failed, so that one run reports
# everything; the exit status is non-zero if any step failed. Each step
# stops what it started (httpd, PostgreSQL), also on failure or Ctrl-C.
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
MAKE=${MAKE:-make}

WORK=$(mktemp -d /tmp/oidp-run-all.XXXXXXXX)
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

ROWS="$WORK/rows"
: >"$ROWS"
overall=0
t0=$(date +%s)

# step NAME COMMAND...: runs the command with its output shown and kept in
# $WORK/NAME.log; sets $rc and $secs.
step() {
    name=$1
    shift
    echo
    echo "==== $name: $*"
    s=$(date +%s)
    { r=0; "$@" 2>&1 || r=$?; echo $r >"$WORK/$name.rc"; } | tee "$WORK/$name.log"
    rc=$(cat "$WORK/$name.rc")
    secs=$(($(date +%s) - s))
}

# row NAME RUN PASSED FAILED SKIPPED STATUS
row() {
    printf '%-32s %7s %7s %7s %8s %6ss  %s\n' "$1" "$2" "$3" "$4" "$5" "$secs" "$6" >>"$ROWS"
    [ "$6" = ok ] || [ "$6" = "not present" ] || overall=1
}

# ---- 1. C unit tests: "unit: N suites, C checks, F failures, E errors...: ok"
step unit "$MAKE" --no-print-directory check
line=$(grep -E '^unit: [0-9]+ suites, [0-9]+ checks, [0-9]+ failures, [0-9]+ errors' "$WORK/unit.log" | tail -n 1 || true)
if [ -n "$line" ]; then
    c=$(echo "$line" | sed -E 's/.* ([0-9]+) checks.*/\1/')
    f=$(echo "$line" | sed -E 's/.* ([0-9]+) failures.*/\1/')
    e=$(echo "$line" | sed -E 's/.* ([0-9]+) errors.*/\1/')
    st=ok
    [ "$rc" -eq 0 ] || st=FAILED
    row "unit (make check)" "$c" $((c - f - e)) $((f + e)) - "$st"
else
    row "unit (make check)" ? ? ? - "FAILED (exit $rc, no summary line)"
fi

# ---- 2, 3. Apache::Test suite on each store
for backend in sqlite3 pgsql; do
    sum="$WORK/summary.$backend"
    export OIDP_TEST_SUMMARY="$sum"
    step "apache-test-$backend" sh tests/suite.sh "$backend"
    unset OIDP_TEST_SUMMARY
    if [ -s "$sum" ]; then
        # files=9 tests=N passed=P failed=F skipped=S status=ok
        get() { tr ' ' '\n' <"$sum" | sed -n "s/^$1=//p"; }
        st=$(get status)
        [ "$rc" -eq 0 ] || st=FAILED
        [ "$st" = ok ] || st="FAILED"
        row "apache-test $backend ($(get files) files)" "$(get tests)" "$(get passed)" "$(get failed)" \
            "$(get skipped)" "$st"
    else
        row "apache-test $backend" ? ? ? ? "FAILED (exit $rc, did not run to its summary)"
    fi
done

# ---- 4. the Apache::Test suite on SQLite against the ASan+UBSan build
sum="$WORK/summary.asan"
export OIDP_TEST_SUMMARY="$sum"
step asan "$MAKE" --no-print-directory asan
unset OIDP_TEST_SUMMARY
# "asan: ok: ... 0 sanitizer reports" or "asan: FAILED: ..., N sanitizer report files, ..."
line=$(grep -E '^asan: (ok|FAILED)' "$WORK/asan.log" | tail -n 1 || true)
if [ -s "$sum" ] && [ -n "$line" ]; then
    get() { tr ' ' '\n' <"$sum" | sed -n "s/^$1=//p"; }
    st=ok
    [ "$rc" -eq 0 ] && [ "$(get status)" = ok ] || st="FAILED (${line#asan: FAILED: })"
    row "apache-test sqlite3 ASan+UBSan" "$(get tests)" "$(get passed)" "$(get failed)" "$(get skipped)" "$st"
else
    row "apache-test sqlite3 ASan+UBSan" ? ? ? ? "FAILED (exit $rc, no summary)"
fi

# ---- 5. valgrind: "valgrind NAME: R runs, ..." per binary, then
# "valgrind: ok: N binaries, E errors, D bytes definitely lost"
step valgrind "$MAKE" --no-print-directory valgrind
n=$(grep -cE '^valgrind [^ ]+: [0-9]+ runs' "$WORK/valgrind.log" || true)
bad=$(grep -cE '^valgrind [^ ]+: [0-9]+ runs.*: FAILED$' "$WORK/valgrind.log" || true)
st=ok
[ "$rc" -eq 0 ] && grep -qE '^valgrind: ok:' "$WORK/valgrind.log" || st="FAILED (exit $rc)"
row "valgrind (unit, admin tool)" "$n" $((n - bad)) "$bad" - "$st"

# ---- 6. fuzz corpus replay
step fuzz sh tests/fuzz/run.sh 0
st=ok
[ "$rc" -eq 0 ] || st="FAILED (exit $rc)"
row "fuzz replay" - - - - "$st"

# ---- 7. source checks
step sources sh tests/check_sources.sh
st=ok
[ "$rc" -eq 0 ] || st="FAILED (exit $rc)"
row "source checks" - - - - "$st"
step sources-selftest sh tests/check_sources_selftest.sh
ok=$(grep -c '^ok ' "$WORK/sources-selftest.log" || true)
bad=$(grep -c '^not ok ' "$WORK/sources-selftest.log" || true)
st=ok
[ "$rc" -eq 0 ] && [ "$ok" -gt 0 ] || st="FAILED (exit $rc)"
row "source checks self-test" $((ok + bad)) "$ok" "$bad" - "$st"

# e2e_rows STEP: a row per "E2E <name>: P passed, F failed" line of the
# step's log (tests/e2e/lib.sh prints them); a failed row or exit fails.
e2e_rows() {
    lines=$(grep -E '^E2E .*: [0-9]+ passed, [0-9]+ failed' "$WORK/$1.log" || true)
    if [ -z "$lines" ]; then
        row "e2e ${1#e2e-}" ? ? ? - "FAILED (exit $rc, no summary line)"
        return
    fi
    echo "$lines" | while IFS= read -r l; do
        name=$(echo "$l" | sed -E 's/^E2E (.*): [0-9]+ passed, [0-9]+ failed.*/\1/')
        p=$(echo "$l" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
        f=$(echo "$l" | sed -E 's/.* ([0-9]+) failed.*/\1/')
        st=ok
        [ "$f" -eq 0 ] || st=FAILED
        printf '%-32s %7s %7s %7s %8s %6ss  %s\n' "e2e $name" $((p + f)) "$p" "$f" - "$secs" "$st" >>"$ROWS"
    done
    if [ "$rc" -ne 0 ] || echo "$lines" | grep -qvE ': [0-9]+ passed, 0 failed'; then
        overall=1
    fi
}

# ---- 8. schema migrations: "E2E migrations: P passed, F failed"
step migrations sh tests/migrate.sh
e2e_rows migrations

# ---- 9. end-to-end: each script prints "E2E <client...>: P passed, F failed"
for e2e in mod_auth_openidc multinode binding clients dovecot ops authn upstream; do
    step "e2e-$e2e" sh "tests/e2e/$e2e.sh"
    e2e_rows "e2e-$e2e"
done

# ---- 10. faults: "E2E faults-<name>: P passed, F failed"
for f in pg-outage sqlite-graceful sqlite-locked; do
    step "faults-$f" sh "tests/faults/$f.sh"
    e2e_rows "faults-$f"
done

# ---- 11. the Debian package: "E2E package: P passed, F failed"
step package sh tests/package.sh
e2e_rows package

echo
echo "==== summary ($(($(date +%s) - t0))s)"
printf '%-32s %7s %7s %7s %8s %7s  %s\n' suite run passed failed skipped time status
cat "$ROWS"
# what failed, in a few lines per failed step (CI shows only the end of the
# output): the failing assertions and files as the suites name them
for rcf in "$WORK"/*.rc; do
    [ "$(cat "$rcf")" = 0 ] && continue
    name=$(basename "$rcf" .rc)
    echo "---- $name failed; its failing lines:"
    grep -E '^not ok|Failed tests?:|\(Wstat: |Non-zero (exit|wait)|Parse errors|^FAIL|: FAILED|^# +(Failed|got|expected)|^suite: ' \
        "$WORK/$name.log" | head -n 15 || true
done
if [ $overall -eq 0 ]; then
    echo "make test: ok"
else
    echo "make test: FAILED"
fi
exit $overall
