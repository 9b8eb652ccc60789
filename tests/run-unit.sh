#!/bin/sh
# Runs every C unit test binary given (Check suites built by `make check`),
# shows each one's report and ends with one summary line of totals:
#   unit: N suites, C checks, F failures, E errors
# Exits non-zero when any check failed or errored, or a binary did not run
# to its report (crash, missing file).
set -u

if [ $# -eq 0 ]; then
    echo "unit: no test binaries given (make check builds and passes them)" >&2
    exit 1
fi

suites=0 checks=0 failures=0 errors=0 broken=
out=$(mktemp)
trap 'rm -f "$out"' EXIT INT TERM

for t in "$@"; do
    suites=$((suites + 1))
    if [ ! -x "$t" ]; then
        echo "unit: $t: not built" >&2
        broken="$broken $t"
        continue
    fi
    "$t" >"$out" 2>&1
    rc=$?
    cat "$out"
    # Check's summary: "100%: Checks: 12, Failures: 0, Errors: 0"
    line=$(grep -E '^[0-9]+%: Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' "$out" | tail -n 1)
    if [ -z "$line" ]; then
        echo "unit: $t exited with $rc without a Check report" >&2
        broken="$broken $t"
        continue
    fi
    c=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
    f=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
    e=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
    checks=$((checks + c))
    failures=$((failures + f))
    errors=$((errors + e))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && [ "$e" -eq 0 ]; then
        echo "unit: $t exited with $rc" >&2
        broken="$broken $t"
    fi
done

status=ok
if [ "$failures" -ne 0 ] || [ "$errors" -ne 0 ] || [ -n "$broken" ]; then
    status=FAILED
fi
echo "unit: $suites suites, $checks checks, $failures failures, $errors errors${broken:+, broken:$broken}: $status"
[ "$status" = ok ]
