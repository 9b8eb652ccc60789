# Shared by the end-to-end shell scripts: TAP-style counting and the final
# "E2E <name>: P passed, F failed" line that tests/run-all.sh reads.
# Source it after setting E2E_NAME.
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $1"; }
finish() {
    echo "E2E $E2E_NAME: $passed passed, $failed failed"
    [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
}
die() { not_ok "$1"; finish || true; exit 1; }
