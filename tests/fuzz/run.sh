#!/bin/sh
# Builds the libFuzzer targets tests/fuzz/fuzz_*.c with clang (ASan, UBSan,
# every finding fatal) into build/fuzz/ and runs each one.
#
#   sh tests/fuzz/run.sh SECONDS      replay the seed corpus, then fuzz each
#                                     target for SECONDS
#   sh tests/fuzz/run.sh 0            replay the corpus plus a short run per
#                                     target (FUZZ_SHORT seconds, default 3),
#                                     what `make test` does (< 1 minute)
#   sh tests/fuzz/run.sh SECONDS NAME...   only these targets (e.g. jose_verify)
#
# Seeds are read from tests/fuzz/corpus/<name>/ (a dictionary from
# tests/fuzz/<name>.dict if there is one) and never written: what the
# fuzzer finds goes to build/fuzz/corpus/<name>/ and crash reproducers to
# build/fuzz/artifacts/. Replay one with build/fuzz/fuzz_<name> FILE.
# Exits non-zero on any crash, sanitizer report, violated property or
# build failure; prints one line per target with the executions measured.
set -eu

TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP"
SECS=${1:-0}
[ $# -gt 0 ] && shift
SHORT=${FUZZ_SHORT:-3}
CC=${FUZZ_CC:-clang}
OUT=build/fuzz

case "$SECS" in
'' | *[!0-9]*)
    echo "usage: $0 SECONDS [NAME...]" >&2
    exit 2
    ;;
esac

if ! command -v "$CC" >/dev/null 2>&1; then
    echo "fuzz: $CC not found (Debian: apt-get install clang libclang-rt-14-dev)" >&2
    exit 1
fi
# libFuzzer comes with compiler-rt, only Recommended by Debian's clang
rt=$("$CC" -print-file-name="libclang_rt.fuzzer-$(uname -m).a")
if [ ! -f "$rt" ]; then
    echo "fuzz: $CC has no libFuzzer runtime (Debian: apt-get install libclang-rt-14-dev)" >&2
    exit 1
fi

# the code under test: the pure parsers and what they call
SRCS="src/core/acr.c src/core/form.c src/core/utf8.c src/core/util.c src/core/b64url.c src/core/json.c src/core/scope.c src/core/jose.c src/core/claims.c src/core/redirect.c src/core/pkce.c"
CFLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
    -fno-omit-frame-pointer -Wall -Wextra -Werror -Wno-unused-parameter -std=gnu11
    -Iinclude/core -Itests/fuzz $(apr-1-config --includes --cppflags) $(apu-1-config --includes)
    $(pkg-config --cflags jansson openssl)"
LIBS="$(apr-1-config --link-ld --libs) $(apu-1-config --link-ld --libs)
    $(pkg-config --libs jansson openssl) -ldl"

if [ $# -gt 0 ]; then
    NAMES=$*
else
    NAMES=$(ls tests/fuzz/fuzz_*.c | sed 's|tests/fuzz/fuzz_||; s|\.c$||')
fi

mkdir -p "$OUT/obj" "$OUT/artifacts"
LOG="$OUT/build.log"
: >"$LOG"

# objects shared by every target, rebuilt when a source is newer
OBJS=
for s in $SRCS tests/fuzz/fuzz.c; do
    o="$OUT/obj/$(basename "$s" .c).o"
    if [ ! -f "$o" ] || [ "$s" -nt "$o" ] || [ -n "$(find include tests/fuzz/fuzz.h -newer "$o" 2>/dev/null)" ]; then
        # shellcheck disable=SC2086
        if ! $CC $CFLAGS -c -o "$o" "$s" >>"$LOG" 2>&1; then
            cat "$LOG" >&2
            echo "fuzz: cannot build $s" >&2
            exit 1
        fi
    fi
    OBJS="$OBJS $o"
done

for n in $NAMES; do
    src="tests/fuzz/fuzz_$n.c"
    bin="$OUT/fuzz_$n"
    if [ ! -f "$src" ]; then
        echo "fuzz: no target $src" >&2
        exit 2
    fi
    # shellcheck disable=SC2086
    if ! $CC $CFLAGS -o "$bin" "$src" $OBJS $LIBS >>"$LOG" 2>&1; then
        cat "$LOG" >&2
        echo "fuzz: cannot build $bin (is libclang-rt-14-dev installed?)" >&2
        exit 1
    fi
done

status=0
total=0
for n in $NAMES; do
    bin="$OUT/fuzz_$n"
    seeds="tests/fuzz/corpus/$n"
    found="$OUT/corpus/$n"
    log="$OUT/$n.log"
    mkdir -p "$found"
    nseeds=$(find "$seeds" -type f 2>/dev/null | wc -l)
    if [ "$nseeds" -eq 0 ]; then
        echo "fuzz $n: FAILED: no seeds in $seeds"
        status=1
        continue
    fi
    # 1. replay every seed once
    if ! "$bin" "$seeds"/* >"$log" 2>&1; then
        cat "$log"
        echo "fuzz $n: FAILED replaying $seeds"
        status=1
        continue
    fi
    # 2. fuzz from the seeds and what earlier runs found
    before=$(find "$found" -type f | wc -l)
    crashes0=$(ls "$OUT"/artifacts/"$n"-* 2>/dev/null | wc -l)
    t=$SECS
    [ "$t" -eq 0 ] && t=$SHORT
    dict=
    [ -f "tests/fuzz/$n.dict" ] && dict="-dict=tests/fuzz/$n.dict"
    # shellcheck disable=SC2086
    if ! "$bin" $dict -max_total_time="$t" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$n-" "$found" "$seeds" >>"$log" 2>&1; then
        tail -n 60 "$log"
        crashes=$(($(ls "$OUT"/artifacts/"$n"-* 2>/dev/null | wc -l) - crashes0))
        execs=$(grep -Eo '^#[0-9]+' "$log" | tail -n 1 | tr -d '#')
        echo "fuzz $n: FAILED: ${execs:-?} executions, $crashes crashes (crash reproducer: $(ls -t "$OUT"/artifacts/"$n"-* 2>/dev/null | head -n 1))"
        status=1
        continue
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    persec=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -n 1 | sed 's/cov: //')
    total=$((total + ${execs:-0}))
    after=$(find "$found" -type f | wc -l)
    echo "fuzz $n: ok: $nseeds seeds replayed, ${execs:-?} executions in ${t}s (${persec:-?}/s), 0 crashes, coverage ${cov:-?} edges, $((after - before)) new inputs ($after in $found)"
done

if [ $status -eq 0 ]; then
    echo "fuzz: ok: $(echo "$NAMES" | wc -w) targets, $total executions"
else
    echo "fuzz: FAILED"
fi
exit $status
