#!/bin/sh
# The Apache::Test suite on SQLite against the module built with
# AddressSanitizer and UndefinedBehaviorSanitizer (build/asan/mod_oidc_idp.so,
# `make asan` builds it and runs this):
#   sh tests/asan.sh [TEST.PL arguments, e.g. 610-login-flow.t -verbose]
# OIDP_ASAN_BACKEND=pgsql runs it on PostgreSQL instead (tests/pg.sh).
#
# Debian's /usr/sbin/apache2 is not instrumented, so httpd runs through a
# wrapper that preloads gcc's libasan and libubsan (ASan must be the first
# library loaded; the module links both). Every finding is fatal
# (-fno-sanitize-recover=all, halt_on_error=1) and each process writes its
# reports to a file of its own (log_path=DIR/asan, DIR/ubsan: a file
# NAME.PID per process that reports), so a worker that dies on a report
# cannot go unnoticed: the run fails if any such file exists, or if a report
# reached httpd's error_log, whatever the suite said.
#
# Leaks: off inside httpd (detect_leaks=0). Debian's APR allocates its pool
# blocks with mmap, which LeakSanitizer does not scan, so at httpd's exit
# every malloc'd object a pool owns through a cleanup (OpenSSL keys,
# jansson values, PCRE patterns) is reported as a direct leak although the
# pool still holds it: tried, the only reports were those. Leaks are checked
# by tests/valgrind.sh (unit tests and the admin tool, whose pools are
# destroyed). OIDP_ASAN_LEAKS=1 turns LSan on here, with full allocation
# stacks, to look at them.
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
MODULE=$TOP/build/asan/mod_oidc_idp.so
[ -f "$MODULE" ] || { echo "asan: $MODULE is missing: run make asan" >&2; exit 1; }
HTTPD=${OIDP_ASAN_HTTPD:-/usr/sbin/apache2}

# the runtimes the module was linked with (gcc's: libasan8, libubsan1)
rt() {
    p=$(ldd "$MODULE" | awk -v l="$1" '$1 ~ "^"l"\\.so" {print $3}')
    [ -n "$p" ] && [ -f "$p" ] || { echo "asan: $MODULE does not link $1 (rebuild with make asan)" >&2; exit 1; }
    echo "$p"
}
ASAN_RT=$(rt libasan)
UBSAN_RT=$(rt libubsan)

LOGS=$(mktemp -d /tmp/oidp-asan.XXXXXXXX)
cleanup() {
    rc=$?
    trap - EXIT INT TERM HUP
    rm -rf "$LOGS"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# httpd's workers run as nobody (tests/suite.sh): they write their reports here
chmod 0755 "$LOGS"
mkdir -m 1777 "$LOGS/reports"

# with leaks on, a leak at exit must not change httpd's exit status (the
# report file fails the run) and the stacks go through every library
LEAKS=${OIDP_ASAN_LEAKS:-0}
lsan=detect_leaks=0
[ "$LEAKS" = 0 ] || lsan=detect_leaks=1:exitcode=0:fast_unwind_on_malloc=0:malloc_context_size=40

# The wrapper: only httpd (and the `apache2 -t` of 010-config.t) runs with
# the runtimes preloaded, not perl, curl or the admin tool.
cat >"$LOGS/httpd" <<EOF
#!/bin/sh
LD_PRELOAD="$ASAN_RT $UBSAN_RT\${LD_PRELOAD:+ \$LD_PRELOAD}"
ASAN_OPTIONS="log_path=$LOGS/reports/asan:halt_on_error=1:abort_on_error=1:$lsan:detect_stack_use_after_return=0:strict_string_checks=1:check_initialization_order=1"
UBSAN_OPTIONS="log_path=$LOGS/reports/ubsan:halt_on_error=1:abort_on_error=1:print_stacktrace=1"
export LD_PRELOAD ASAN_OPTIONS UBSAN_OPTIONS
exec "$HTTPD" "\$@"
EOF
chmod 0755 "$LOGS/httpd"

# the wrapper runs: a report of its own start-up would say so here
"$LOGS/httpd" -v >/dev/null 2>"$LOGS/start.err" || {
    cat "$LOGS/start.err" >&2
    echo "asan: $HTTPD does not start with $ASAN_RT preloaded" >&2
    exit 1
}

rc=0
BACKEND=${OIDP_ASAN_BACKEND:-sqlite3}
OIDP_TEST_MODULE=$MODULE OIDP_TEST_HTTPD=$LOGS/httpd sh "$TOP/tests/suite.sh" "$BACKEND" "$@" || rc=$?

# every report, whichever process wrote it; kept in tests/logs/asan/
rm -rf "$TOP/tests/logs/asan" && mkdir -p "$TOP/tests/logs/asan"
cp "$LOGS"/reports/* "$TOP/tests/logs/asan/" 2>/dev/null || true
n=$(find "$LOGS/reports" -type f | wc -l)
for f in $(find "$LOGS/reports" -type f | sort); do
    echo "---- $(basename "$f")"
    head -n 60 "$f"
done
elog=$TOP/tests/logs/error_log.$BACKEND
inlog=0
if [ -f "$elog" ]; then
    inlog=$(grep -cE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: (Address|Undefined|Leak)' "$elog" || true)
    [ "$inlog" -eq 0 ] || grep -E -B2 -A20 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$elog" | head -n 80
fi
# a worker killed by a sanitizer: httpd's parent logs its exit
aborted=0
[ ! -f "$elog" ] || aborted=$(grep -cE 'AH00052|exit signal (Aborted|Segmentation)' "$elog" || true)
[ "$aborted" -eq 0 ] || grep -E 'AH00052|exit signal' "$elog" | head -n 10

if [ "$n" -eq 0 ] && [ "$inlog" -eq 0 ] && [ "$aborted" -eq 0 ] && [ $rc -eq 0 ]; then
    echo "asan: ok: the suite passed under ASan+UBSan, 0 sanitizer reports"
    exit 0
fi
echo "asan: FAILED: suite exit $rc, $n sanitizer report files, $inlog reports in error_log, $aborted workers killed"
exit 1
