#!/bin/sh
# Source guards, run by `make test`:
#  - every OIDCIdP* directive of the module's table is documented in
#    conf/oidc_idp.conf.example and README.md;
#  - the reference manual docs/manual/mod_oidc_idp.xml documents exactly the
#    directives of the table, with its defaults and contexts
#    (tests/check_manual.py);
#  - log tags OIDP_LOGNO(n) are unique and below include/next-log-number;
#  - no symbol uses mod_auth_openidc's oidc_ prefix (both modules may load
#    into one httpd);
#  - the layering (tests/check_deps.pl): project headers of a file's own
#    layer or a lower one only, no httpd header in the core and the admin
#    tool; from the objects' symbols (`make -s objects` first): no use of a
#    higher layer, no dependency cycle between files, exported names
#    prefixed by their file (or a family of src/README.md);
#  - the C sources are formatted as .clang-format says (`make format`).
#
# Usage: check_sources.sh [--selftest]
#   --selftest  plant one violation of each kind in a copy of the tree and
#               check that each is reported (tests/check_sources_selftest.sh)
set -eu
cd "$(dirname "$0")/.."
if [ "${1:-}" = --selftest ]; then
    exec sh tests/check_sources_selftest.sh
fi
fail=0
n=0

for d in $(grep -o 'AP_INIT_[A-Z0-9]*("OIDCIdP[A-Za-z]*"' mod_oidc_idp.c | sed 's/.*("//; s/"$//'); do
    n=$((n + 1))
    if ! grep -q "^ *# $d " conf/oidc_idp.conf.example; then
        echo "check: $d is not documented in conf/oidc_idp.conf.example"
        fail=1
    fi
    if ! grep -q "$d" README.md; then
        echo "check: $d is not documented in README.md"
        fail=1
    fi
done
[ "$n" -gt 0 ] || { echo "check: no directives found"; fail=1; }
if command -v python3 >/dev/null 2>&1; then
    python3 tests/check_manual.py || fail=1
else
    echo "check: python3 is missing (tests/check_manual.py checks the manual)"
    fail=1
fi

tags=$(grep -ho 'OIDP_LOGNO([0-9]*)' mod_oidc_idp.c src/*/*.c | sed 's/[^0-9]//g' | sort)
dups=$(echo "$tags" | uniq -d)
if [ -n "$dups" ]; then
    echo "check: log tags used twice:" $dups
    fail=1
fi
next=$(cat include/next-log-number)
for t in $tags; do
    if [ "$t" -ge "$next" ]; then
        echo "check: log tag $t is not below include/next-log-number ($next)"
        fail=1
    fi
done

if grep -nE '\boidc_[a-z]+\s*\(' mod_oidc_idp.c src/*/*.c include/*/*.h tools/*.c tools/*.h \
    | grep -v 'oidc_idp_module'; then
    echo "check: symbols must use the oidp_ prefix, not oidc_"
    fail=1
fi

# Layering: the includes from the text, the rest from the objects' symbols.
perl tests/check_deps.pl includes || fail=1
if log=$(make -s objects 2>&1); then
    perl tests/check_deps.pl layers cycles prefixes || fail=1
else
    echo "$log" | grep -E 'error|Error' | head -n 20
    echo "check: make objects failed: no symbol checks (layers, cycles, prefixes)"
    fail=1
fi

# Formatting: the files of the Makefile's FORMAT_SRCS.
if command -v clang-format >/dev/null 2>&1; then
    files=
    for f in mod_oidc_idp.c src/*/*.c include/*/*.h tools/*.c tools/*.h tests/unit/*.c \
        tests/unit/*.h tests/unit/*/*.c tests/unit/*/*.h tests/fuzz/*.c tests/fuzz/*.h; do
        [ -f "$f" ] && files="$files $f"
    done
    # shellcheck disable=SC2086
    bad=$(clang-format --dry-run -Werror $files 2>&1 | awk -F: '
        / error: code should be clang-formatted/ {
            if (!(($1, $2) in seen)) { seen[$1, $2] = 1; lines[$1] = lines[$1] (n[$1]++ ? ", " : "") $2 }
            if (!($1 in order)) { order[$1] = ++k; name[k] = $1 }
            next
        }
        / error: / { print "format: " $0 }
        END {
            for (i = 1; i <= k; i++) {
                f = name[i]; l = lines[f]
                if (n[f] > 12) { split(l, a, ", "); l = a[1]; for (j = 2; j <= 12; j++) l = l ", " a[j]; l = l ", ..." }
                print "format: " f " differs from .clang-format at line" (n[f] > 1 ? "s " : " ") l " (" n[f] ")"
            }
        }')
    if [ -n "$bad" ]; then
        echo "$bad"
        echo "check: $(echo "$bad" | grep -c '^format: .* differs') files are not formatted (make format; make format-check)"
        fail=1
    fi
else
    echo "check: clang-format is missing (sh scripts/deps.sh test installs it)"
    fail=1
fi

if [ $fail = 0 ]; then
    echo "source checks: $n directives documented (manual too), $(echo "$tags" | wc -w) log tags unique, layering and formatting: ok"
fi
exit $fail
